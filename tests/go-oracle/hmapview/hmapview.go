// Package hmapview reads a Go 1.19 map[uint64]uint64 through mirrors of the
// runtime's memory layouts (amd64) and exposes the runtime's own hasher for it.
// It is shared by the trace recorder (go-oracle) and by observe.
//
// Every mirror is checked by CheckLayouts against facts that can be observed
// from outside the runtime; callers must run it (once) before reading maps.
package hmapview

import (
	"fmt"
	"reflect"
	"unsafe"
)

const (
	BucketCnt  = 8   // runtime/map.go bucketCntBits=3
	BucketSize = 144 // 8 tophash + 8*8 keys + 8*8 elems + overflow pointer
	MinTopHash = 5   // runtime/map.go

	// hmap.flags bits (runtime/map.go)
	FlagIterator     = 1
	FlagOldIterator  = 2
	FlagHashWriting  = 4
	FlagSameSizeGrow = 8

	// tophash special values (runtime/map.go)
	EmptyRest      = 0
	EmptyOne       = 1
	EvacuatedX     = 2
	EvacuatedY     = 3
	EvacuatedEmpty = 4
)

// Hmap mirrors runtime.hmap (runtime/map.go). 48 bytes on amd64.
type Hmap struct {
	Count      int
	Flags      uint8
	B          uint8
	Noverflow  uint16
	Hash0      uint32
	Buckets    unsafe.Pointer
	Oldbuckets unsafe.Pointer
	Nevacuate  uintptr
	Extra      *Mapextra
}

// Mapextra mirrors runtime.mapextra (runtime/map.go).
type Mapextra struct {
	Overflow     unsafe.Pointer // *[]*bmap
	Oldoverflow  unsafe.Pointer // *[]*bmap
	NextOverflow *Bmap
}

// Bmap mirrors the compiler-generated bucket type for map[uint64]uint64
// (cmd/compile/internal/reflectdata/reflect.go MapBucketType; runtime/map.go
// bmap + dataOffset): tophash, then 8 keys, then 8 elems, then the overflow
// pointer. 144 bytes.
type Bmap struct {
	Tophash  [BucketCnt]uint8
	Keys     [BucketCnt]uint64
	Elems    [BucketCnt]uint64
	Overflow *Bmap
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

// Hiter mirrors runtime.hiter (runtime/map.go), which reflect.hiter
// (reflect/value.go) mirrors as well. 12 words = 96 bytes.
type Hiter struct {
	Key         unsafe.Pointer
	Elem        unsafe.Pointer
	T           unsafe.Pointer
	H           unsafe.Pointer
	Buckets     unsafe.Pointer
	Bptr        unsafe.Pointer
	Overflow    unsafe.Pointer
	Oldoverflow unsafe.Pointer
	StartBucket uintptr
	Offset      uint8
	Wrapped     bool
	B           uint8
	I           uint8
	Bucket      uintptr
	CheckBucket uintptr
}

// MapIter mirrors reflect.MapIter (reflect/value.go): {m Value; hiter hiter}.
type MapIter struct {
	M     [3]uintptr // reflect.Value{typ, ptr, flag}
	Hiter Hiter
}

// mt is the *runtime.maptype of map[uint64]uint64: the type word of an
// interface{} holding such a map.
var mt = func() *maptype {
	var m map[uint64]uint64
	var e interface{} = m
	return (*maptype)((*[2]unsafe.Pointer)(unsafe.Pointer(&e))[0])
}()

// MapType returns the address of the runtime's maptype for map[uint64]uint64
// (what hiter.t points at).
func MapType() unsafe.Pointer { return unsafe.Pointer(mt) }

// Of returns the *hmap that the map variable *m currently points to (nil for
// a nil map).
func Of(m *map[uint64]uint64) *Hmap {
	return *(**Hmap)(unsafe.Pointer(m))
}

// BucketAt returns bucket i of the bucket array at base.
func BucketAt(base unsafe.Pointer, i int) *Bmap {
	return (*Bmap)(unsafe.Add(base, i*BucketSize))
}

// HashKey computes t.hasher(&key, seed) exactly as mapassign_fast64 does.
func HashKey(key uint64, seed uint32) uint64 {
	k := key
	return uint64(mt.hasher(unsafe.Pointer(&k), uintptr(seed)))
}

// TopHash mirrors tophash() in runtime/map.go.
func TopHash(hash uint64) uint8 {
	top := uint8(hash >> 56)
	if top < MinTopHash {
		top += MinTopHash
	}
	return top
}

// Evacuated mirrors evacuated() in runtime/map.go.
func Evacuated(b *Bmap) bool {
	h := b.Tophash[0]
	return h > EmptyOne && h < MinTopHash
}

// OldBucketCount is the number of buckets in h.oldbuckets (0 if not growing).
func OldBucketCount(h *Hmap) int {
	if h.Oldbuckets == nil {
		return 0
	}
	if h.Flags&FlagSameSizeGrow != 0 {
		return 1 << h.B
	}
	return 1 << (h.B - 1)
}

// CheckLayouts verifies the mirrors against observable facts.
func CheckLayouts() error {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		return fmt.Errorf("only 64-bit platforms are supported")
	}
	if s := unsafe.Sizeof(Hmap{}); s != 48 {
		return fmt.Errorf("hmap mirror is %d bytes, want 48", s)
	}
	if s := unsafe.Sizeof(Bmap{}); s != BucketSize {
		return fmt.Errorf("bmap mirror is %d bytes, want %d", s, BucketSize)
	}
	if s := unsafe.Sizeof(Hiter{}); s != 12*8 {
		return fmt.Errorf("hiter mirror is %d bytes, want 96", s)
	}
	if s := unsafe.Sizeof(reflect.Value{}); s != unsafe.Sizeof([3]uintptr{}) {
		return fmt.Errorf("reflect.Value is %d bytes, want 24", s)
	}
	if s := unsafe.Offsetof(maptype{}.hasher); s != 72 {
		return fmt.Errorf("maptype.hasher offset %d, want 72", s)
	}
	if reflect.Kind(mt.typ.kind&31) != reflect.Map {
		return fmt.Errorf("type word is not a map type (kind %d)", mt.typ.kind&31)
	}
	if mt.keysize != 8 || mt.elemsize != 8 || mt.bucketsize != BucketSize {
		return fmt.Errorf("maptype sizes key=%d elem=%d bucket=%d", mt.keysize, mt.elemsize, mt.bucketsize)
	}
	if mt.bucket.size != BucketSize || mt.bucket.ptrdata != 0 {
		return fmt.Errorf("bucket type size=%d ptrdata=%d, want 144/0 (noscan bucket)", mt.bucket.size, mt.bucket.ptrdata)
	}
	if mt.key.size != 8 || mt.elem.size != 8 {
		return fmt.Errorf("key/elem type sizes %d/%d", mt.key.size, mt.elem.size)
	}
	if mt.hasher == nil {
		return fmt.Errorf("nil hasher")
	}
	return nil
}

// Slot is one live slot (tophash >= MinTopHash) found by Scan.
type Slot struct {
	Key, Elem uint64
	Old       bool // found in an unevacuated bucket of h.oldbuckets
	Bucket    int  // bucket index in its array
}

// MaxChain bounds overflow chains walked by Scan (a racy map can hold a
// cycle).
const MaxChain = 1 << 16

// Scan appends every live slot of h to out: every chain of h.buckets, and,
// while growing, every chain of h.oldbuckets whose first bucket is not marked
// evacuated. Duplicates are kept. It reports false if a chain was longer
// than MaxChain (the walk stops there).
func Scan(h *Hmap, out []Slot) ([]Slot, bool) {
	ok := true
	walk := func(base unsafe.Pointer, n int, old bool) {
		for i := 0; i < n; i++ {
			b := BucketAt(base, i)
			if old && Evacuated(b) {
				continue
			}
			for l := 0; b != nil; b, l = b.Overflow, l+1 {
				if l >= MaxChain {
					ok = false
					break
				}
				for s := 0; s < BucketCnt; s++ {
					if b.Tophash[s] >= MinTopHash {
						out = append(out, Slot{Key: b.Keys[s], Elem: b.Elems[s], Old: old, Bucket: i})
					}
				}
			}
		}
	}
	if h == nil {
		return out, true
	}
	if h.Buckets != nil {
		walk(h.Buckets, 1<<h.B, false)
	}
	if h.Oldbuckets != nil {
		walk(h.Oldbuckets, OldBucketCount(h), true)
	}
	return out, ok
}
