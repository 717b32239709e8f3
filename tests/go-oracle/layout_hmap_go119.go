//go:build !go1.24

package main

import "unsafe"

// Go 1.19 .. 1.23: runtime/map.go.

// hmap mirrors runtime.hmap. 48 bytes on amd64.
type hmap struct {
	count      int
	flags      uint8
	B          uint8
	noverflow  uint16
	hash0      uint32
	buckets    unsafe.Pointer
	oldbuckets unsafe.Pointer
	nevacuate  uintptr
	extra      *mapextra
}

// hiter mirrors runtime.hiter, which reflect.hiter (reflect/value.go) mirrors
// as well. 12 words = 96 bytes.
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
}

const (
	hmapSize  = 48
	hiterSize = 12 * 8
	// hasClearSeq: hmap and hiter have a clearSeq field (Go 1.24+).
	hasClearSeq = false
)

func clearSeqOf(h *hmap) uint64 { return 0 }
