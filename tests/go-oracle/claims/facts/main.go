// Runtime facts behind the seed's claims, one subcommand per claim, each printing
// `key=value` lines that `gomap claims` reads. Usage: facts s1|s3|s5|s13|s18|s20|s21|s24|s28.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
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

// The layouts differ per Go version: sync.Map's read map (syncmap_*.go) and the map's
// buckets (layout_*.go). map_impl and syncmap_impl say which ones this build has.
func s5() {
	const ids, updates = 10000, 200000
	for i := 0; i < updates; i++ {
		updateStatus(uint64(i%ids), fmt.Sprint("s", i))
	}
	// Promote dirty to read: a miss per dirty entry.
	for i := 0; i < ids+1; i++ {
		cache.Load("absent")
	}
	fmt.Printf("map_impl=%s\n", mapImpl)
	fmt.Printf("syncmap_impl=%s\n", syncMapImpl)
	fmt.Printf("updates=%d\n", updates)
	fmt.Printf("orders=%d\n", ids)
	h := readMapHeader(&cache)
	if h == nil || mapImpl != "classic" {
		// No hmap with bucket chains inside this sync.Map.
		fmt.Printf("inspected=false\n")
		return
	}
	c := chainsOf(h)
	fmt.Printf("inspected=true\n")
	fmt.Printf("count=%d\n", c.count)
	fmt.Printf("live_cells=%d\n", c.live)
	fmt.Printf("buckets=%d\n", c.buckets)
	fmt.Printf("mean_chain=%.2f\n", float64(c.chains)/float64(c.buckets))
	fmt.Printf("longest_chain=%d\n", c.longest)
	fmt.Printf("mean_entries_per_bucket=%.2f\n", float64(c.count)/float64(c.buckets))
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

func s28() {
	// The size class tables (sizeclass_*.go): class_to_size[1] is 8 in every Go release, so
	// anything else means the linkname did not reach the runtime's table.
	fmt.Printf("table_read=%t\n", classToSize[1] == 8 && sizeToClass8[1] == 1)
	fmt.Printf("class_21_size=%d\n", classToSize[21])
	// A spanClass is sizeclass<<1 | noscan.
	fmt.Printf("spanclass_21_sizeclass=%d\n", 21>>1)
	fmt.Printf("spanclass_21_size=%d\n", classToSize[21>>1])
	fmt.Printf("spanclass_21_noscan=%t\n", 21&1 == 1)
	c := sizeToClass8[(64+7)/8]
	fmt.Printf("class_of_64_bytes=%d\n", c)
	fmt.Printf("spanclasses_of_64_bytes=%d,%d\n", c<<1, c<<1|1)
}

// ---- S18, S21: bucket arrays and the GC ---------------------------------------------------

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

// S18: does a GC cycle move a map's storage (the bucket array, or the Swiss directory and
// each table's groups: arrays() in layout_*.go)?
func s18() {
	m := make(map[uint64]uint64, 1000)
	for i := uint64(0); i < 1000; i++ {
		m[i] = i
	}
	before := arrays(m)
	cycles, moved := 20, 0
	for r := 0; r < cycles; r++ {
		churn(256, 2000)
		if !sameArrays(before, arrays(m)) {
			moved++
		}
	}
	fmt.Printf("map_impl=%s\n", mapImpl)
	fmt.Printf("arrays=%d\n", len(before))
	fmt.Printf("gc_cycles=%d\n", cycles)
	fmt.Printf("buckets_moved=%d\n", moved)
}

func sameArrays(a, b []array) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ptr != b[i].ptr {
			return false
		}
	}
	return true
}

// S21: an iterator started before growth, with every array it started on dropped by the map,
// garbage of the old arrays' size allocated and collected, still yields intact entries
// (v == 3k)?
func s21() {
	m := make(map[uint64]uint64)
	for i := uint64(0); i < 64; i++ {
		m[i] = i * 3
	}
	start := arrays(m)
	oldSize := 0
	for _, a := range start {
		if a.size > oldSize {
			oldSize = a.size
		}
	}
	grew, yields, corrupt := false, 0, 0
	for k, v := range m {
		if yields == 0 {
			for i := uint64(1000); i < 5000; i++ {
				m[i] = i * 3
			}
			grew = growthFinished(m)
			now := arrays(m)
			for _, a := range start {
				for _, b := range now {
					if a.ptr == b.ptr {
						grew = false // the map still holds an array the iterator started on
					}
				}
			}
			for r := 0; r < 5; r++ {
				churn(oldSize, 2000)
			}
		}
		if v != k*3 {
			corrupt++
		}
		yields++
	}
	fmt.Printf("map_impl=%s\n", mapImpl)
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
