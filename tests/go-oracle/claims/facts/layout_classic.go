//go:build !goexperiment.swissmap && !go1.26

package main

import "unsafe"

// The classic map (runtime/map.go; runtime/map_noswiss.go with GOEXPERIMENT=noswissmap).
const mapImpl = "classic"

// hmap mirrors the start of runtime.hmap on 64-bit (unchanged from Go 1.19 to 1.25;
// Go 1.24 appends clearSeq after nevacuate).
type hmap struct {
	count      int
	flags      uint8
	B          uint8
	noverflow  uint16
	hash0      uint32
	buckets    unsafe.Pointer
	oldbuckets unsafe.Pointer
	nevacuate  uintptr
}

func header(m map[uint64]uint64) *hmap { return *(**hmap)(unsafe.Pointer(&m)) }

// array is one allocation of a map's storage.
type array struct {
	ptr  uintptr
	size int
}

// The bmap of map[uint64]uint64: 8 tophash bytes, 8 keys, 8 elems, overflow pointer.
const bucket64 = 8 + 8*8 + 8*8 + 8

// arrays: the bucket array, and the old one while growing.
func arrays(m map[uint64]uint64) []array {
	h := header(m)
	a := []array{{uintptr(h.buckets), (1 << h.B) * bucket64}}
	if h.oldbuckets != nil {
		a = append(a, array{uintptr(h.oldbuckets), 0})
	}
	return a
}

// growthFinished: no evacuation in progress.
func growthFinished(m map[uint64]uint64) bool { return header(m).oldbuckets == nil }

// The bmap of map[any]*entry (sync.Map's maps): 8 tophash bytes, 8 interface keys,
// 8 pointers, overflow.
const bucketAny = 8 + 8*16 + 8*8 + 8

type chains struct{ count, live, buckets, chains, longest int }

// chainsOf walks every bucket chain of a map[any]*entry.
func chainsOf(hp unsafe.Pointer) chains {
	h := (*hmap)(hp)
	c := chains{count: h.count, buckets: 1 << h.B}
	for i := 0; i < c.buckets; i++ {
		n := 0
		for b := unsafe.Add(h.buckets, i*bucketAny); b != nil; b = *(*unsafe.Pointer)(unsafe.Add(b, bucketAny-8)) {
			n++
			for j := 0; j < 8; j++ {
				if *(*uint8)(unsafe.Add(b, j)) >= 5 { // minTopHash
					c.live++
				}
			}
		}
		c.chains += n
		if n > c.longest {
			c.longest = n
		}
	}
	return c
}
