//go:build goexperiment.swissmap || go1.26

package main

import "unsafe"

// Swiss tables (internal/runtime/maps, Go 1.24+ by default, the only map from Go 1.26).
const mapImpl = "swiss"

// swissMap mirrors the start of internal/runtime/maps.Map (unchanged from 1.24 to 1.27).
type swissMap struct {
	used        uint64
	seed        uintptr
	dirPtr      unsafe.Pointer // a small map's group, or the directory: *[dirLen]*table
	dirLen      int
	globalDepth uint8
}

// table mirrors internal/runtime/maps.table.
type table struct {
	used       uint16
	capacity   uint16
	growthLeft uint16
	localDepth uint8
	index      int
	groups     unsafe.Pointer // groupsReference.data
	lengthMask uint64
}

func header(m map[uint64]uint64) *swissMap { return *(**swissMap)(unsafe.Pointer(&m)) }

type array struct {
	ptr  uintptr
	size int
}

// A group of map[uint64]uint64: the control word and 8 slots of key and elem.
const group64 = 8 + 8*(8+8)

// arrays: the small group, or the directory and the groups of each distinct table.
func arrays(m map[uint64]uint64) []array {
	h := header(m)
	if h.dirLen == 0 {
		return []array{{uintptr(h.dirPtr), group64}}
	}
	a := []array{{uintptr(h.dirPtr), h.dirLen * 8}}
	dir := unsafe.Slice((**table)(h.dirPtr), h.dirLen)
	var last *table
	for _, t := range dir {
		if t != last {
			a = append(a, array{uintptr(t.groups), int(t.lengthMask+1) * group64})
			last = t
		}
	}
	return a
}

// growthFinished: Swiss tables grow and split inside the write that needs room.
func growthFinished(m map[uint64]uint64) bool { return true }

type chains struct{ count, live, buckets, chains, longest int }

func chainsOf(unsafe.Pointer) chains { return chains{} }
