// Runtime facts behind the seed's claims, one subcommand per claim, each printing
// `key=value` lines that `gomap claims` reads. Usage: facts s1|s3|s5|s13|s18|s20|s21|s24|s28.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

type Order struct {
	ID     uint64
	Status string
}

// ---- S1: LoadOrStore on an existing key --------------------------------------------------

func s1() {
	var m sync.Map
	old, fresh := &Order{ID: 1, Status: "old"}, &Order{ID: 1, Status: "new"}
	m.Store(1, old)
	v, loaded := m.LoadOrStore(1, fresh)
	now, _ := m.Load(1)
	fmt.Printf("returned_old=%t\n", v == old)
	fmt.Printf("loaded=%t\n", loaded)
	fmt.Printf("stored_after=%s\n", map[bool]string{true: "old", false: "new"}[now == old])
}

// ---- S3: the seed's updateStatus on a new order ----------------------------------------------

var cache sync.Map

func updateStatus(orderID uint64, newStatus string) {
	if val, loaded := cache.LoadOrStore(orderID, &Order{ID: orderID}); loaded {
		order := val.(*Order)
		order.Status = newStatus
		cache.Store(orderID, order)
	}
}

func s3() {
	updateStatus(42, "paid")
	v, _ := cache.Load(uint64(42))
	fmt.Printf("status_after_first_update=%q\n", v.(*Order).Status)
	updateStatus(42, "shipped")
	v, _ = cache.Load(uint64(42))
	fmt.Printf("status_after_second_update=%q\n", v.(*Order).Status)
}

// ---- S5: bucket chains under the seed's pattern ----------------------------------------------

// Go 1.19's runtime.hmap and sync.Map layouts (runtime/map.go, sync/map.go).
type hmap struct {
	count      int
	flags      uint8
	B          uint8
	noverflow  uint16
	hash0      uint32
	buckets    unsafe.Pointer
	oldbuckets unsafe.Pointer
	nevacuate  uintptr
	extra      unsafe.Pointer
}

type syncMap struct {
	mu     sync.Mutex
	read   atomic.Value // readOnly{m map[any]*entry, amended bool}
	dirty  map[any]unsafe.Pointer
	misses int
}

// The bmap of map[any]*entry: 8 tophash bytes, 8 interface keys, 8 pointers, overflow.
const bucketSize = 8 + 8*16 + 8*8 + 8

func s5() {
	const ids, updates = 10000, 200000
	for i := 0; i < updates; i++ {
		updateStatus(uint64(i%ids), fmt.Sprint("s", i))
	}
	// Promote dirty to read: a miss per dirty entry.
	for i := 0; i < ids+1; i++ {
		cache.Load("absent")
	}
	sm := (*syncMap)(unsafe.Pointer(&cache))
	ro := (*[2]unsafe.Pointer)(unsafe.Pointer(&sm.read))[1] // the readOnly the Value holds
	h := *(**hmap)(ro)
	nb := 1 << h.B
	live, chains, longest := 0, 0, 0
	for i := 0; i < nb; i++ {
		n := 0
		for b := unsafe.Add(h.buckets, i*bucketSize); b != nil; b = *(*unsafe.Pointer)(unsafe.Add(b, bucketSize-8)) {
			n++
			for j := 0; j < 8; j++ {
				if *(*uint8)(unsafe.Add(b, j)) >= 5 { // minTopHash
					live++
				}
			}
		}
		chains += n
		if n > longest {
			longest = n
		}
	}
	fmt.Printf("updates=%d\n", updates)
	fmt.Printf("orders=%d\n", ids)
	fmt.Printf("count=%d\n", h.count)
	fmt.Printf("live_cells=%d\n", live)
	fmt.Printf("buckets=%d\n", nb)
	fmt.Printf("mean_chain=%.2f\n", float64(chains)/float64(nb))
	fmt.Printf("longest_chain=%d\n", longest)
	fmt.Printf("mean_entries_per_bucket=%.2f\n", float64(h.count)/float64(nb))
}

// ---- S13: m2 := m1 ------------------------------------------------------------------------

func s13() {
	m1 := map[string]int{"a": 1}
	m2 := m1
	m2["a"] = 2
	m2["b"] = 3
	same := *(*unsafe.Pointer)(unsafe.Pointer(&m1)) == *(*unsafe.Pointer)(unsafe.Pointer(&m2))
	fmt.Printf("same_hmap=%t\n", same)
	fmt.Printf("m1_sees_update=%t\n", m1["a"] == 2)
	fmt.Printf("m1_sees_insert=%t\n", len(m1) == 2)
}

// ---- S20: sync.Map's old read map after promotion -------------------------------------------

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func s20() {
	const n = 200000
	var m sync.Map
	for i := 0; i < n; i++ {
		m.Store(i, i)
	}
	for i := 0; i <= n; i++ { // misses promote dirty: read.m now holds n entries
		m.Load(-1)
	}
	full := heap()
	for i := 0; i < n; i++ { // entries become nil in read.m (deleted lazily)
		m.Delete(i)
	}
	m.Store(-2, 0) // dirtyLocked: a new dirty without the deleted (now expunged) entries
	m.Load(-1)     // one miss >= len(dirty): dirty ({-2}) replaces read; the old read map is garbage
	// That dirty was made with room for len(read.m) entries (dirtyLocked), so the new read map
	// is still big: one more round replaces it with a small one.
	m.Store(-3, 0)
	m.Load(-1)
	m.Load(-1)
	after := heap()
	v, ok := m.Load(-2)
	runtime.KeepAlive(&m)
	fmt.Printf("still_works=%t\n", ok && v == 0)
	fmt.Printf("old_read_map_freed=%t\n", after < full/4)
	fmt.Fprintf(os.Stderr, "heap with %d entries: %d bytes; after promotion: %d bytes\n", n, full, after)
}

// ---- S24: a completed Store is visible to a later Load ---------------------------------------

func s24() {
	var m sync.Map
	const rounds = 20000
	stale := 0
	done := make(chan int)
	for r := 0; r < rounds; r++ {
		go func(r int) {
			m.Store(r, r) // a new key: it goes to dirty, not read
			done <- r
		}(r)
		got := <-done // the Store has completed
		if v, ok := m.Load(got); !ok || v != got {
			stale++
		}
	}
	fmt.Printf("loads_after_completed_store=%d\n", rounds)
	fmt.Printf("stale_loads=%d\n", stale)
}

// ---- S28: size classes -----------------------------------------------------------------------

//go:linkname class_to_size runtime.class_to_size
var class_to_size [68]uint16

//go:linkname size_to_class8 runtime.size_to_class8
var size_to_class8 [129]uint8

func s28() {
	fmt.Printf("class_21_size=%d\n", class_to_size[21])
	// A spanClass is sizeclass<<1 | noscan.
	fmt.Printf("spanclass_21_sizeclass=%d\n", 21>>1)
	fmt.Printf("spanclass_21_size=%d\n", class_to_size[21>>1])
	fmt.Printf("spanclass_21_noscan=%t\n", 21&1 == 1)
	c := size_to_class8[(64+7)/8]
	fmt.Printf("class_of_64_bytes=%d\n", c)
	fmt.Printf("spanclasses_of_64_bytes=%d,%d\n", c<<1, c<<1|1)
}

// ---- S18, S21: bucket arrays and the GC ---------------------------------------------------

// hmapHeader mirrors runtime.hmap (runtime/map.go) on 64-bit.
type hmapHeader struct {
	count      int
	flags      uint8
	B          uint8
	noverflow  uint16
	hash0      uint32
	buckets    unsafe.Pointer
	oldbuckets unsafe.Pointer
	nevacuate  uintptr
	extra      unsafe.Pointer
}

func header(m map[uint64]uint64) *hmapHeader { return *(**hmapHeader)(unsafe.Pointer(&m)) }

var sink [][]byte

// churn allocates and drops garbage of `size` bytes filled with 0xff, then collects: freed
// memory of that size is reused and overwritten.
func churn(size, n int) {
	for j := 0; j < n; j++ {
		b := make([]byte, size)
		for i := range b {
			b[i] = 0xff
		}
		sink = append(sink, b)
	}
	sink = nil
	runtime.GC()
}

// S18: does a GC cycle move a map's bucket array (h.buckets changes)?
func s18() {
	m := make(map[uint64]uint64, 1000)
	for i := uint64(0); i < 1000; i++ {
		m[i] = i
	}
	before := uintptr(header(m).buckets)
	cycles, moved := 20, 0
	for r := 0; r < cycles; r++ {
		churn(256, 2000)
		if uintptr(header(m).buckets) != before {
			moved++
		}
	}
	fmt.Printf("gc_cycles=%d\n", cycles)
	fmt.Printf("buckets_moved=%d\n", moved)
}

// S21: an iterator started before growth, with the old array dropped by the map, garbage of
// the old array's size allocated and collected, still yields intact entries (v == 3k)?
func s21() {
	m := make(map[uint64]uint64)
	for i := uint64(0); i < 64; i++ {
		m[i] = i * 3
	}
	startB := header(m).B
	oldSize := (1 << startB) * 144
	grew, yields, corrupt := false, 0, 0
	for k, v := range m {
		if yields == 0 {
			for i := uint64(1000); i < 5000; i++ {
				m[i] = i * 3
			}
			grew = header(m).B > startB && header(m).oldbuckets == nil
			for r := 0; r < 5; r++ {
				churn(oldSize, 2000)
			}
		}
		if v != k*3 {
			corrupt++
		}
		yields++
	}
	fmt.Printf("grew_and_finished=%t\n", grew)
	fmt.Printf("yields=%d\n", yields)
	fmt.Printf("corrupt_yields=%d\n", corrupt)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: facts s1|s3|s5|s13|s18|s20|s21|s24|s28")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "s1":
		s1()
	case "s3":
		s3()
	case "s5":
		s5()
	case "s13":
		s13()
	case "s18":
		s18()
	case "s20":
		s20()
	case "s21":
		s21()
	case "s24":
		s24()
	case "s28":
		s28()
	default:
		fmt.Fprintln(os.Stderr, "unknown fact", os.Args[1])
		os.Exit(2)
	}
}
