package main

// Mirrors of Go 1.24 internal/runtime/maps (Swiss table) and internal/abi memory
// layouts for map[uint64]uint64 on 64-bit little-endian platforms. Every mirror is
// checked at start-up (checkLayouts): sizes against unsafe.Sizeof, the map type's
// fields against known values, and the header/table/group/iterator mirrors against a
// scratch map driven into a known shape. A mismatch aborts the recorder.

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"unsafe"
)

const (
	groupSlots       = 8    // abi.SwissMapGroupSlots
	groupSize        = 136  // ctrl word + 8 * (8-byte key + 8-byte elem)
	maxTableCapacity = 1024 // table.go
	maxAvgGroupLoad  = 7    // group.go

	ctrlEmpty   = 0x80 // group.go ctrlEmpty
	ctrlDeleted = 0xfe // group.go ctrlDeleted
)

// mapHdr mirrors maps.Map (map.go). 48 bytes.
type mapHdr struct {
	used        uint64
	seed        uintptr
	dirPtr      unsafe.Pointer
	dirLen      int
	globalDepth uint8
	globalShift uint8
	writing     uint8
	clearSeq    uint64
}

// table mirrors maps.table (table.go) with its groupsReference inlined. 32 bytes.
type table struct {
	used       uint16
	capacity   uint16
	growthLeft uint16
	localDepth uint8
	index      int
	groupsData unsafe.Pointer
	lengthMask uint64
}

// slot and group mirror the compiler-generated group type of map[uint64]uint64
// (cmd/compile/internal/reflectdata/map_swiss.go SwissMapGroupType):
// ctrl word, then 8 {key, elem} slots.
type slot struct {
	key  uint64
	elem uint64
}

type group struct {
	ctrl  uint64
	slots [groupSlots]slot
}

// iter mirrors maps.Iter (table.go). 12 words.
type iter struct {
	key         unsafe.Pointer
	elem        unsafe.Pointer
	typ         unsafe.Pointer
	m           unsafe.Pointer
	entryOffset uint64
	dirOffset   uint64
	clearSeq    uint64
	globalDepth uint8
	dirIdx      int
	tab         unsafe.Pointer
	group       unsafe.Pointer // groupReference{data}
	entryIdx    uint64
}

// mapIter mirrors reflect.MapIter (reflect/map_swiss.go): {m Value; hiter maps.Iter}.
type mapIter struct {
	m     [3]uintptr
	hiter iter
}

// rtype mirrors abi.Type (internal/abi/type.go). 48 bytes.
type rtype struct {
	size       uintptr
	ptrBytes   uintptr
	hash       uint32
	tflag      uint8
	align      uint8
	fieldAlign uint8
	kind       uint8
	equal      unsafe.Pointer
	gcdata     unsafe.Pointer
	str        int32
	ptrToThis  int32
}

// swissMapType mirrors abi.SwissMapType (Go 1.24 internal/abi/map_swiss.go).
type swissMapType struct {
	typ       rtype
	key       *rtype
	elem      *rtype
	group     *rtype
	hasher    func(unsafe.Pointer, uintptr) uintptr
	groupSize uintptr
	slotSize  uintptr
	elemOff   uintptr
	flags     uint32
}

// strideMapType mirrors abi.MapType of later Go versions (1.27's internal/abi/map.go),
// whose group access is described by KeysOff/KeyStride/ElemsOff/ElemStride (so that
// GOEXPERIMENT=mapsplitgroup can put all keys before all elems). The first fields,
// hasher and GroupSize included, are where they are in 1.24.
type strideMapType struct {
	typ        rtype
	key        *rtype
	elem       *rtype
	group      *rtype
	hasher     func(unsafe.Pointer, uintptr) uintptr
	groupSize  uintptr
	keysOff    uintptr
	keyStride  uintptr
	elemsOff   uintptr
	elemStride uintptr
	elemOff    uintptr
	flags      uint32
}

// theMap is the map under test: a package-level global, so that the Map and its
// groups are heap allocated.
var theMap map[uint64]uint64

// scratch is the map the start-up layout check drives into a known shape.
var scratch map[uint64]uint64

var mt *swissMapType

func hdrOf(m *map[uint64]uint64) *mapHdr {
	return *(**mapHdr)(unsafe.Pointer(m))
}

func curHdr() *mapHdr { return hdrOf(&theMap) }

func dirAt(h *mapHdr, i int) *table {
	return *(**table)(unsafe.Add(h.dirPtr, i*8))
}

func groupAt(t *table, i uint64) *group {
	return (*group)(unsafe.Add(t.groupsData, uintptr(i)*groupSize))
}

// hashKey is typ.Hasher(&key, m.seed), as runtime_mapassign_fast64 computes it.
func hashKey(key uint64, seed uintptr) uint64 {
	k := key
	return uint64(mt.hasher(unsafe.Pointer(&k), seed))
}

func h2(hash uint64) uint8 { return uint8(hash & 0x7f) }

func fatalf(format string, args ...interface{}) {
	panic(fmt.Sprintf("go-oracle-swiss: "+format, args...))
}

// knownVersion reports whether this Go version's map source was read and mirrored.
func knownVersion(v string) bool {
	return strings.HasPrefix(v, "go1.24.") || v == "go1.24"
}

// checkLayouts verifies the mirrors against observable facts.
func checkLayouts() {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		fatalf("only 64-bit platforms are supported")
	}
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		fatalf("GOARCH %s not checked (little-endian amd64/arm64 only)", runtime.GOARCH)
	}
	if s := unsafe.Sizeof(mapHdr{}); s != 48 {
		fatalf("Map mirror is %d bytes, want 48", s)
	}
	if s := unsafe.Sizeof(table{}); s != 32 {
		fatalf("table mirror is %d bytes, want 32", s)
	}
	if s := unsafe.Sizeof(group{}); s != groupSize {
		fatalf("group mirror is %d bytes, want %d", s, groupSize)
	}
	if s := unsafe.Sizeof(iter{}); s != 12*8 {
		fatalf("Iter mirror is %d bytes, want 96", s)
	}
	if s, w := unsafe.Sizeof(reflect.MapIter{}), unsafe.Sizeof(mapIter{}); s != w {
		fatalf("reflect.MapIter is %d bytes, mirror %d", s, w)
	}
	if s := unsafe.Offsetof(swissMapType{}.hasher); s != 72 {
		fatalf("SwissMapType.Hasher offset %d, want 72", s)
	}
	var m map[uint64]uint64
	var e interface{} = m
	mt = (*swissMapType)((*[2]unsafe.Pointer)(unsafe.Pointer(&e))[0])
	if reflect.Kind(mt.typ.kind&31) != reflect.Map {
		fatalf("type word is not a map type (kind %d)", mt.typ.kind&31)
	}
	if knownVersion(runtime.Version()) {
		if mt.groupSize != groupSize || mt.slotSize != 16 || mt.elemOff != 8 || mt.flags != 0 {
			fatalf("SwissMapType GroupSize=%d SlotSize=%d ElemOff=%d Flags=%#x, want 136/16/8/0", mt.groupSize, mt.slotSize, mt.elemOff, mt.flags)
		}
	} else {
		// -any-version: only the interleaved {ctrl; [8]{key, elem}} group is mirrored.
		st := (*strideMapType)(unsafe.Pointer(mt))
		if st.groupSize != groupSize || st.keysOff != 8 || st.keyStride != 16 || st.elemsOff != 16 || st.elemStride != 16 || st.flags != 0 {
			fatalf("%s map type: GroupSize=%d KeysOff=%d KeyStride=%d ElemsOff=%d ElemStride=%d Flags=%#x: not the interleaved group layout",
				runtime.Version(), st.groupSize, st.keysOff, st.keyStride, st.elemsOff, st.elemStride, st.flags)
		}
	}
	if mt.group.size != groupSize || mt.group.ptrBytes != 0 {
		fatalf("group type size=%d ptrBytes=%d, want 136/0", mt.group.size, mt.group.ptrBytes)
	}
	if mt.key.size != 8 || mt.elem.size != 8 {
		fatalf("key/elem sizes %d/%d", mt.key.size, mt.elem.size)
	}
	if mt.hasher == nil {
		fatalf("nil hasher")
	}
	checkScratch()
}

// checkScratch drives a scratch map through a small map and a first table and checks
// the mirrors see what Go 1.24's algorithms imply.
func checkScratch() {
	n := 1
	scratch = make(map[uint64]uint64, n) // variable hint: makemap -> NewMap, no groups yet
	h := hdrOf(&scratch)
	if h.used != 0 || h.dirPtr != nil || h.dirLen != 0 {
		fatalf("fresh map: used=%d dirPtr=%p dirLen=%d", h.used, h.dirPtr, h.dirLen)
	}
	for k := uint64(0); k < 8; k++ {
		scratch[k] = k + 100
	}
	if h.used != 8 || h.dirLen != 0 || h.dirPtr == nil {
		fatalf("small map: used=%d dirLen=%d", h.used, h.dirLen)
	}
	g := (*group)(h.dirPtr)
	for i := 0; i < groupSlots; i++ {
		s := g.slots[i]
		c := uint8(g.ctrl >> (8 * i))
		if s.elem != s.key+100 || c != h2(hashKey(s.key, h.seed)) {
			fatalf("small group slot %d: key=%d elem=%d ctrl=%#x", i, s.key, s.elem, c)
		}
	}
	scratch[8] = 108
	if h.used != 9 || h.dirLen != 1 || h.globalDepth != 0 || h.globalShift != 64 {
		fatalf("first table: used=%d dirLen=%d globalDepth=%d globalShift=%d", h.used, h.dirLen, h.globalDepth, h.globalShift)
	}
	t := dirAt(h, 0)
	if t.used != 9 || t.capacity != 16 || t.growthLeft != 14-9 || t.localDepth != 0 || t.index != 0 || t.lengthMask != 1 {
		fatalf("first table: %+v", *t)
	}
	full := 0
	for gi := uint64(0); gi <= t.lengthMask; gi++ {
		g := groupAt(t, gi)
		for i := 0; i < groupSlots; i++ {
			c := uint8(g.ctrl >> (8 * i))
			if c&ctrlEmpty != 0 {
				continue
			}
			full++
			s := g.slots[i]
			if s.elem != s.key+100 || c != h2(hashKey(s.key, h.seed)) {
				fatalf("table slot %d/%d: key=%d elem=%d ctrl=%#x", gi, i, s.key, s.elem, c)
			}
		}
	}
	if full != 9 {
		fatalf("first table has %d full slots, want 9", full)
	}
	it := reflect.ValueOf(scratch).MapRange()
	if !it.Next() {
		fatalf("scratch iteration ended at once")
	}
	mi := (*mapIter)(unsafe.Pointer(it))
	if mi.hiter.m != unsafe.Pointer(h) || mi.hiter.typ != unsafe.Pointer(mt) || mi.hiter.tab != unsafe.Pointer(t) {
		fatalf("Iter mirror: m=%p typ=%p tab=%p", mi.hiter.m, mi.hiter.typ, mi.hiter.tab)
	}
	if *(*uint64)(mi.hiter.key) != it.Key().Uint() || mi.hiter.dirIdx != 0 {
		fatalf("Iter mirror: key or dirIdx")
	}
	scratch = nil
}
