//go:build go1.24

package main

import "unsafe"

// Go 1.24, 1.25 built with GOEXPERIMENT=noswissmap: runtime/map_noswiss.go,
// reflect/map_noswiss.go. Both hmap and hiter end in a clearSeq counter that
// mapclear increments and mapiternext compares (in hmap it sits before extra). With Swiss tables (the default
// from Go 1.24 on) the map is not an hmap at all; checkLayouts' probe fails then.

// hmap mirrors runtime.hmap. 56 bytes on amd64.
type hmap struct {
	count      int
	flags      uint8
	B          uint8
	noverflow  uint16
	hash0      uint32
	buckets    unsafe.Pointer
	oldbuckets unsafe.Pointer
	nevacuate  uintptr
	clearSeq   uint64
	extra      *mapextra
}

// hiter mirrors runtime.hiter / reflect.hiter: 8 + 12 words = 104 bytes.
type hiter struct {
	key         unsafe.Pointer
	elem        unsafe.Pointer
	t           unsafe.Pointer
	h           unsafe.Pointer
	buckets     unsafe.Pointer
	bptr        unsafe.Pointer
	overflow    unsafe.Pointer
	oldoverflow unsafe.Pointer
	startBucket uintptr
	offset      uint8
	wrapped     bool
	B           uint8
	i           uint8
	bucket      uintptr
	checkBucket uintptr
	clearSeq    uint64
}

const (
	hmapSize    = 56
	hiterSize   = 8 + 12*8
	hasClearSeq = true
)

func clearSeqOf(h *hmap) uint64 { return h.clearSeq }
