package main

// Mirrors of the classic runtime map's (and reflect's) memory layouts, amd64,
// Go 1.19 .. 1.23 and Go 1.24/1.25 built with GOEXPERIMENT=noswissmap. hmap and
// hiter differ per version: layout_hmap_go119.go (before 1.24) and
// layout_hmap_go124.go (1.24 on, with clearSeq). Every mirror is checked at
// start-up (checkLayouts) against facts that can be observed from outside the
// runtime; a mismatch aborts the recorder.

import (
	"fmt"
	"reflect"
	"unsafe"
)

const (
	bucketCnt  = 8   // runtime/map.go bucketCntBits=3
	bucketSize = 144 // 8 tophash + 8*8 keys + 8*8 elems + overflow pointer
	minTopHash = 5   // runtime/map.go

	// hmap.flags bits (runtime/map.go)
	flagIterator     = 1
	flagOldIterator  = 2
	flagHashWriting  = 4
	flagSameSizeGrow = 8

	// tophash special values (runtime/map.go)
	emptyRest      = 0
	emptyOne       = 1
	evacuatedX     = 2
	evacuatedY     = 3
	evacuatedEmpty = 4
)

// hmapHead mirrors runtime.hmap up to nevacuate, the same in every classic-map
// release (runtime/map.go; runtime/map_noswiss.go from Go 1.24 on). 40 bytes on
// amd64. hmap (layout_hmap_go119.go, layout_hmap_go124.go) embeds it: its fields
// lie in place and are promoted.
type hmapHead struct {
	count      int
	flags      uint8
	B          uint8
	noverflow  uint16
	hash0      uint32
	buckets    unsafe.Pointer
	oldbuckets unsafe.Pointer
	nevacuate  uintptr
}

// hiterHead mirrors runtime.hiter up to checkBucket, the same in every
// classic-map release (reflect.hiter mirrors it as well). 12 words = 96 bytes.
type hiterHead struct {
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

// mapextra mirrors runtime.mapextra (runtime/map.go).
type mapextra struct {
	overflow     unsafe.Pointer // *[]*bmap
	oldoverflow  unsafe.Pointer // *[]*bmap
	nextOverflow *bmap
}

// bmap mirrors the compiler-generated bucket type for map[uint64]uint64
// (cmd/compile/internal/reflectdata/reflect.go MapBucketType; runtime/map.go
// bmap + dataOffset): tophash, then 8 keys, then 8 elems, then the overflow
// pointer. 144 bytes.
type bmap struct {
	tophash  [bucketCnt]uint8
	keys     [bucketCnt]uint64
	elems    [bucketCnt]uint64
	overflow *bmap
}

// rtype mirrors runtime._type (runtime/type.go). 48 bytes on amd64.
type rtype struct {
	size       uintptr
	ptrdata    uintptr
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

// maptype mirrors runtime.maptype (runtime/type.go). hasher is at offset 72.
type maptype struct {
	typ        rtype
	key        *rtype
	elem       *rtype
	bucket     *rtype
	hasher     func(unsafe.Pointer, uintptr) uintptr
	keysize    uint8
	elemsize   uint8
	bucketsize uint16
	flags      uint32
}

// mapIter mirrors reflect.MapIter (reflect/value.go): {m Value; hiter hiter}.
type mapIter struct {
	m     [3]uintptr // reflect.Value{typ, ptr, flag}
	hiter hiter
}

// theMap is the map under test. It is a package-level global so that the
// hmap and its buckets are heap allocated.
var theMap map[uint64]uint64

// mt is the *runtime.maptype of map[uint64]uint64.
var mt *maptype

// curHmap returns the *hmap that theMap currently points to.
func curHmap() *hmap {
	return *(*(*hmap))(unsafe.Pointer(&theMap))
}

func bucketAt(base unsafe.Pointer, i int) *bmap {
	return (*bmap)(unsafe.Add(base, i*bucketSize))
}

// hashKey computes t.hasher(&key, seed) exactly as mapassign_fast64 does.
func hashKey(key uint64, seed uint32) uint64 {
	k := key
	return uint64(mt.hasher(unsafe.Pointer(&k), uintptr(seed)))
}

func tophash(hash uint64) uint8 {
	top := uint8(hash >> 56)
	if top < minTopHash {
		top += minTopHash
	}
	return top
}

func fatalf(format string, args ...interface{}) {
	panic(fmt.Sprintf("go-oracle: "+format, args...))
}

// checkLayouts verifies the mirrors against observable facts.
func checkLayouts() {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		fatalf("only 64-bit platforms are supported")
	}
	if s := unsafe.Sizeof(hmap{}); s != hmapSize {
		fatalf("hmap mirror is %d bytes, want %d", s, hmapSize)
	}
	if s := unsafe.Sizeof(bmap{}); s != bucketSize {
		fatalf("bmap mirror is %d bytes, want %d", s, bucketSize)
	}
	if s := unsafe.Sizeof(hiter{}); s != hiterSize {
		fatalf("hiter mirror is %d bytes, want %d", s, hiterSize)
	}
	if s := unsafe.Sizeof(reflect.Value{}); s != unsafe.Sizeof([3]uintptr{}) {
		fatalf("reflect.Value is %d bytes, want 24", s)
	}
	if s := unsafe.Offsetof(maptype{}.hasher); s != 72 {
		fatalf("maptype.hasher offset %d, want 72", s)
	}
	var m map[uint64]uint64
	var e interface{} = m
	mt = (*maptype)((*[2]unsafe.Pointer)(unsafe.Pointer(&e))[0])
	if reflect.Kind(mt.typ.kind&31) != reflect.Map {
		fatalf("type word is not a map type (kind %d)", mt.typ.kind&31)
	}
	if mt.keysize != 8 || mt.elemsize != 8 || mt.bucketsize != bucketSize {
		fatalf("maptype sizes key=%d elem=%d bucket=%d", mt.keysize, mt.elemsize, mt.bucketsize)
	}
	if mt.bucket.size != bucketSize || mt.bucket.ptrdata != 0 {
		fatalf("bucket type size=%d ptrdata=%d, want 144/0 (noscan bucket)", mt.bucket.size, mt.bucket.ptrdata)
	}
	if mt.key.size != 8 || mt.elem.size != 8 {
		fatalf("key/elem type sizes %d/%d", mt.key.size, mt.elem.size)
	}
	if mt.hasher == nil {
		fatalf("nil hasher")
	}
	probeClassicMap()
}

// probeClassicMap checks, on a live map, that the runtime really uses the
// mirrored hmap: 9 keys fill more than one bucket of 8, so the map grew to
// B=1, and both buckets together hold exactly the 9 keys, each with the
// tophash and bucket index that mt.hasher and hash0 give. A Swiss-table map
// (Go 1.24+ without GOEXPERIMENT=noswissmap) fails this.
func probeClassicMap() {
	saved := theMap
	defer func() { theMap = saved }()
	theMap = make(map[uint64]uint64)
	for k := uint64(0); k < 9; k++ {
		theMap[k] = k + 100
	}
	h := curHmap()
	if h.count != 9 || h.B != 1 || h.buckets == nil || h.oldbuckets != nil || h.flags&flagHashWriting != 0 {
		fatalf("runtime map is not the classic hmap (count=%d B=%d): a Swiss-table map? "+
			"Go 1.24 and 1.25 need GOEXPERIMENT=noswissmap", h.count, h.B)
	}
	found := 0
	for i := 0; i < 2; i++ {
		for b := bucketAt(h.buckets, i); b != nil; b = b.overflow {
			for s := 0; s < bucketCnt; s++ {
				if b.tophash[s] < minTopHash {
					continue
				}
				hv := hashKey(b.keys[s], h.hash0)
				if b.keys[s] >= 9 || b.elems[s] != b.keys[s]+100 || tophash(hv) != b.tophash[s] || int(hv&1) != i {
					fatalf("runtime map is not the classic hmap (bucket %d slot %d): a Swiss-table map? "+
						"Go 1.24 and 1.25 need GOEXPERIMENT=noswissmap", i, s)
				}
				found++
			}
		}
	}
	if found != 9 {
		fatalf("runtime map is not the classic hmap (%d of 9 keys in the buckets)", found)
	}
	if hasClearSeq {
		before := clearSeqOf(h)
		clearMap()
		if clearSeqOf(h) != before+1 {
			fatalf("hmap.clearSeq mirror: mapclear moved it from %d to %d", before, clearSeqOf(h))
		}
	}
}
