package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// TestHasherMatchesRuntime checks hashKey against the tophash the runtime
// itself writes for a freshly inserted key.
func TestHasherMatchesRuntime(t *testing.T) {
	checkLayouts()
	theMap = make(map[uint64]uint64)
	for k := uint64(0); k < 8; k++ {
		theMap[k*0x9E3779B97F4A7C15] = k
	}
	h := curHmap()
	b := bucketAt(h.buckets, 0)
	for s := 0; s < bucketCnt; s++ {
		if got, want := b.tophash[s], tophash(hashKey(b.keys[s], h.hash0)); got != want {
			t.Fatalf("slot %d key %d: runtime tophash %d, hashKey gives %d", s, b.keys[s], got, want)
		}
	}
	// A wrong seed must be detected by verifyState.
	st := &state{h: *h, buckets: &snap{ptr: h.buckets}}
	st.buckets.chains, _ = readArray(h.buckets, 1, nil)
	shadow := map[uint64]uint64{}
	for k, v := range theMap {
		shadow[k] = v
	}
	verifyState(st, shadow)
	st.h.hash0++
	func() {
		defer func() {
			if recover() == nil {
				t.Fatalf("verifyState accepted a wrong hash0")
			}
		}()
		verifyState(st, shadow)
	}()
}

// TestRecordShape records short traces and checks the line shapes.
func TestRecordShape(t *testing.T) {
	for _, args := range [][]string{
		{"-seed", "301", "-ops", "300", "-keys", "1000", "-clear-every", "75", "-iter-on-grow", "-iter-prob", "0.02", "-iter-max", "2", "-iter-next-prob", "0.3"},
		{"-seed", "5", "-ops", "400", "-keys", "100000", "-max-live", "30", "-pattern", "samesize", "-iter-prob", "0.05", "-iter-max", "3", "-iter-next-prob", "0.4"},
		{"-seed", "6", "-ops", "300", "-keys", "3000", "-hint-max", "2000", "-w-make", "3", "-hint", "900"},
	} {
		c, gen, err := parseFlags(args)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(gen, "-seed "+args[1]+" -ops ") {
			t.Fatalf("generator %q", gen)
		}
		var out bytes.Buffer
		if err := run(c, gen, &out); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(&out)
		sc.Buffer(make([]byte, 1<<20), 1<<26)
		n := -1
		for sc.Scan() {
			var d map[string]json.RawMessage
			if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
				t.Fatalf("line %d: %v", n+2, err)
			}
			if n == -1 {
				if string(d["format"]) != `"delta-v1"` || string(d["bucket_size"]) != "144" {
					t.Fatalf("bad header %s", sc.Bytes())
				}
			} else if string(d["i"]) != itoa(n) {
				t.Fatalf("line %d has i=%s", n+2, d["i"])
			}
			n++
		}
		if n != c.ops {
			t.Fatalf("%d op lines, want %d", n, c.ops)
		}
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestClearMapIsMapclear checks that clearMap runs runtime.mapclear, not a
// loop of deletes: mapclear reseeds hash0 and zeroes the whole bucket array
// (makeBucketArray with dirtyalloc), while mapdelete_fast64 leaves the uint64
// keys of deleted slots in place.
func TestClearMapIsMapclear(t *testing.T) {
	checkLayouts()
	theMap = make(map[uint64]uint64)
	for k := uint64(1); k <= 40; k++ {
		theMap[k] = k
	}
	h := curHmap()
	seq := clearSeqOf(h)
	buckets, B := h.buckets, h.B
	clearMap()
	if h.count != 0 || h.buckets != buckets || h.B != B {
		t.Fatalf("after clear: count %d, B %d (was %d), same array %v", h.count, h.B, B, h.buckets == buckets)
	}
	for i := 0; i < 1<<B; i++ {
		b := bucketAt(h.buckets, i)
		if b.tophash != [bucketCnt]uint8{} || b.keys != [bucketCnt]uint64{} || b.overflow != nil {
			t.Fatalf("bucket %d not zeroed after clear: a loop of deletes, not mapclear", i)
		}
	}
	if hasClearSeq && clearSeqOf(h) != seq+1 {
		t.Fatalf("clearSeq %d after clear, was %d", clearSeqOf(h), seq)
	}
}

// bucketKeys returns keysFor: keysFor(b, n, seed) gives n keys, none given
// before, that hash to bucket b of a B=4 map under seed.
func bucketKeys() func(b uint64, n int, seed uint32) []uint64 {
	next := uint64(1)
	return func(b uint64, n int, seed uint32) []uint64 {
		var ks []uint64
		for ; len(ks) < n; next++ {
			if hashKey(next, seed)&15 == b {
				ks = append(ks, next)
			}
		}
		return ks
	}
}

// iterateTo starts an iterator over theMap and advances it until it stands in
// bucket p; it returns the iterator and its hiter.
func iterateTo(t *testing.T, p unsafe.Pointer) (*reflect.MapIter, *hiter) {
	t.Helper()
	it := reflect.ValueOf(theMap).MapRange()
	hi := &(*mapIter)(unsafe.Pointer(it)).hiter
	for hi.bptr != p {
		if !it.Next() {
			t.Fatalf("iterator ended before reaching the overflow bucket")
		}
	}
	return it, hi
}

// TestClearRecycledOverflowYieldsTwice: an iterator that stands in a
// preallocated overflow bucket when the map is cleared keeps walking that
// bucket, which makeBucketArray has zeroed and newoverflow hands out again to
// another bucket's chain. It yields the new entries there, and yields them
// again when it reaches that bucket's chain: real Go behaviour (all classic-map
// versions), which the recorder records (recycledByClear) instead of stopping.
func TestClearRecycledOverflowYieldsTwice(t *testing.T) {
	checkLayouts()
	keysFor := bucketKeys()
	for attempt := 0; attempt < 50; attempt++ {
		theMap = make(map[uint64]uint64, 60) // B=4, 2 preallocated overflow buckets
		h := curHmap()
		if h.B != 4 || preallocLeft(h) < 1 {
			t.Fatalf("make(60): B=%d, %d preallocated overflow buckets", h.B, preallocLeft(h))
		}
		p0 := unsafe.Pointer(h.extra.nextOverflow)
		// bucket 3: 8 keys in the main bucket, 2 in p0
		for _, k := range keysFor(3, 10, h.hash0) {
			theMap[k] = k
		}
		if unsafe.Pointer(bucketAt(h.buckets, 3).overflow) != p0 {
			t.Fatalf("bucket 3's overflow is not the first preallocated bucket")
		}
		it, hi := iterateTo(t, p0)
		yielded := map[uint64]int{}
		// the buckets still ahead of the iterator, after bucket 3's chain
		start := uint64(hi.startBucket)
		if start == 4 {
			continue // none: try another random start
		}
		j := uint64(4) // visited after 3, before the iterator returns to start
		if ovf := overflowOf(h); !ovf[hi.bptr] {
			t.Fatalf("overflowOf misses the iterator's bucket")
		}
		clearMap()
		if !recycledByClear(h, hi.bptr) {
			t.Fatalf("recycledByClear: the iterator's preallocated bucket is not recycled")
		}
		// bucket j: 8 keys in the main bucket, 8 in p0 (handed out again)
		for _, k := range keysFor(j, 16, h.hash0) {
			theMap[k] = k
		}
		if unsafe.Pointer(bucketAt(h.buckets, int(j)).overflow) != p0 {
			t.Fatalf("after clear, bucket %d's overflow is not the first preallocated bucket", j)
		}
		twice := 0
		for it.Next() {
			k := it.Key().Uint()
			if yielded[k]++; yielded[k] == 2 {
				twice++
			}
		}
		if twice == 0 {
			t.Fatalf("no key yielded twice (start bucket %d)", start)
		}
		t.Logf("start bucket %d: %d keys yielded twice", start, twice)
		return
	}
	t.Fatalf("the iterator never had a bucket ahead of it")
}

// TestClearSentinelOverflowYieldsTwice: the case the recordings hit. The last
// preallocated overflow bucket's overflow pointer is makeBucketArray's
// sentinel, the bucket array itself; newoverflow sets it to nil when it hands
// the bucket out, and mapclear's makeBucketArray sets it again. An iterator
// standing in that bucket at a clear follows the sentinel into bucket 0's
// chain, then (bucket 15 done) wraps around to bucket 0 and walks it again.
func TestClearSentinelOverflowYieldsTwice(t *testing.T) {
	checkLayouts()
	keysFor := bucketKeys()
	for attempt := 0; attempt < 50; attempt++ {
		theMap = make(map[uint64]uint64, 60)
		h := curHmap()
		if h.B != 4 || preallocLeft(h) != 2 {
			t.Fatalf("make(60): B=%d, %d preallocated overflow buckets, want 4, 2", h.B, preallocLeft(h))
		}
		last := unsafe.Add(unsafe.Pointer(h.extra.nextOverflow), bucketSize)
		// bucket 3 takes the first preallocated overflow bucket, bucket 15 the last
		for _, k := range append(keysFor(3, 9, h.hash0), keysFor(15, 10, h.hash0)...) {
			theMap[k] = k
		}
		if unsafe.Pointer(bucketAt(h.buckets, 15).overflow) != last {
			t.Fatalf("bucket 15's overflow is not the last preallocated bucket")
		}
		it, hi := iterateTo(t, last)
		if hi.startBucket == 0 {
			continue // bucket 0 is behind the iterator: try another random start
		}
		clearMap()
		if !recycledByClear(h, hi.bptr) {
			t.Fatalf("recycledByClear: the last preallocated bucket is not recycled")
		}
		if (*bmap)(hi.bptr).overflow != (*bmap)(h.buckets) {
			t.Fatalf("after clear, the last preallocated bucket's overflow is not the sentinel")
		}
		k := keysFor(0, 1, h.hash0)[0]
		theMap[k] = k
		n := 0
		for it.Next() {
			if it.Key().Uint() == k {
				n++
			}
		}
		if n != 2 {
			t.Fatalf("key %d in bucket 0 yielded %d times, want 2 (start bucket %d)", k, n, hi.startBucket)
		}
		return
	}
	t.Fatalf("the iterator always started at bucket 0")
}
