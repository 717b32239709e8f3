// Command go-oracle runs generated operation sequences on a real Go
// map[uint64]uint64 (the classic hmap: Go 1.19 .. 1.23, and 1.24/1.25 built
// with GOEXPERIMENT=noswissmap) and records them, with the runtime's exact memory state
// after every op, in the delta-v1 trace format
// (docs/go-trace-format.md in the repository).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/bits"
	"math/rand"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

type config struct {
	seed         int64
	ops          int
	keys         int
	elems        uint64
	bigKeys      bool
	wAssign      int
	wDelete      int
	wLookup      int
	wMake        int
	wClear       int
	clearEvery   int
	maxLive      int
	hint         int
	hintMax      int
	pattern      string
	patternBits  int
	hotRotate    int
	iterOnGrow   bool
	iterProb     float64
	iterMax      int
	iterNextProb float64
	iterNextGrow float64
	verifyEvery  int
	out          string
}

// maxCount keeps B below 16: 6.5 * 2^15 entries fit in B=15.
const maxCount = 13 * (1 << 15) / 2

func parseFlags(args []string) (*config, string, error) {
	c := &config{}
	fs := flag.NewFlagSet("go-oracle", flag.ContinueOnError)
	// Definition order = order in the header's generator string.
	fs.Int64Var(&c.seed, "seed", 0, "generator seed (0 = pick one from the clock; the chosen seed is recorded)")
	fs.IntVar(&c.ops, "ops", 1000, "number of op lines (including the initial make)")
	fs.IntVar(&c.keys, "keys", 1000, "key domain size: keys are drawn from [0,keys)")
	fs.Uint64Var(&c.elems, "elems", 100, "elems are drawn from [0,elems)")
	fs.BoolVar(&c.bigKeys, "bigkeys", false, "map key k in [0,keys) to k*0x9E3779B97F4A7C15 (full-width u64 keys)")
	fs.IntVar(&c.wAssign, "w-assign", 70, "weight of assign")
	fs.IntVar(&c.wDelete, "w-delete", 15, "weight of delete (80% a live key, else a random key)")
	fs.IntVar(&c.wLookup, "w-lookup", 15, "weight of lookup (50% a live key, else a random key)")
	fs.IntVar(&c.wMake, "w-make", 0, "weight of a new make (replaces the map, abandons iterators)")
	fs.IntVar(&c.wClear, "w-clear", 0, "weight of clear (one runtime mapclear: clear(m) from Go 1.21, the range-delete idiom before)")
	fs.IntVar(&c.clearEvery, "clear-every", 0, "every N ops delete all live keys one by one down to count 0 (reseeds hash0); 0 = never")
	fs.IntVar(&c.maxLive, "max-live", 0, "if >0, an assign while count >= max-live becomes a delete of a live key")
	fs.IntVar(&c.hint, "hint", 0, "hint of the initial make")
	fs.IntVar(&c.hintMax, "hint-max", 0, "if >0, later makes use a random hint in [0,hint-max] (log-uniform); else -hint")
	fs.StringVar(&c.pattern, "pattern", "uniform", "key pattern for assigns: uniform | samesize (keys whose hash low bits equal a rotating hot value, under the current hash0)")
	fs.IntVar(&c.patternBits, "pattern-bits", 8, "samesize: number of low hash bits that must match the hot value")
	fs.IntVar(&c.hotRotate, "hot-rotate", 24, "samesize: pick a new hot value after this many assigns")
	fs.BoolVar(&c.iterOnGrow, "iter-on-grow", false, "start an iterator (room permitting) when a grow becomes imminent and again when it starts")
	fs.Float64Var(&c.iterProb, "iter-prob", 0, "per-op probability of starting an iterator")
	fs.IntVar(&c.iterMax, "iter-max", 0, "max open iterators (<= 3)")
	fs.Float64Var(&c.iterNextProb, "iter-next-prob", 0, "per-op probability of advancing a random open iterator")
	fs.Float64Var(&c.iterNextGrow, "iter-next-prob-grow", -1, "if >= 0, per-op probability of advancing an iterator while the map is growing (oldbuckets != nil)")
	fs.IntVar(&c.verifyEvery, "verify-every", 1, "run the full memory self-check every N ops (0 = never)")
	fs.StringVar(&c.out, "out", "-", "output file (- = stdout)")
	if err := fs.Parse(args); err != nil {
		return nil, "", err
	}
	if fs.NArg() != 0 {
		return nil, "", fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if c.seed == 0 {
		c.seed = time.Now().UnixNano()%1000000000 + 1
		set["seed"] = true
		if err := fs.Set("seed", strconv.FormatInt(c.seed, 10)); err != nil {
			return nil, "", err
		}
	}
	switch {
	case c.ops < 1:
		return nil, "", fmt.Errorf("-ops must be >= 1")
	case c.keys < 1 || c.keys > maxCount:
		return nil, "", fmt.Errorf("-keys must be in [1,%d] (keeps B < 16)", maxCount)
	case c.elems < 1:
		return nil, "", fmt.Errorf("-elems must be >= 1")
	case c.hint < 0 || c.hint > maxCount || c.hintMax < 0 || c.hintMax > maxCount:
		return nil, "", fmt.Errorf("-hint/-hint-max must be in [0,%d] (keeps B < 16)", maxCount)
	case c.iterMax < 0 || c.iterMax > 3:
		return nil, "", fmt.Errorf("-iter-max must be in [0,3]")
	case c.wAssign < 0 || c.wDelete < 0 || c.wLookup < 0 || c.wMake < 0 || c.wClear < 0 || c.wAssign+c.wDelete+c.wLookup+c.wMake+c.wClear == 0:
		return nil, "", fmt.Errorf("weights must be >= 0 and not all 0")
	case c.pattern != "uniform" && c.pattern != "samesize":
		return nil, "", fmt.Errorf("-pattern must be uniform or samesize")
	case c.patternBits < 0 || c.patternBits > 16:
		return nil, "", fmt.Errorf("-pattern-bits must be in [0,16]")
	case c.hotRotate < 1:
		return nil, "", fmt.Errorf("-hot-rotate must be >= 1")
	}
	if c.pattern == "samesize" && c.keys < 64<<c.patternBits {
		return nil, "", fmt.Errorf("-pattern samesize needs -keys >= 64<<pattern-bits (%d)", 64<<c.patternBits)
	}
	var gen []string
	for _, name := range flagOrder {
		if !set[name] {
			continue
		}
		f := fs.Lookup(name)
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			if f.Value.String() == "true" {
				gen = append(gen, "-"+name)
			} else {
				gen = append(gen, "-"+name+"=false")
			}
			continue
		}
		gen = append(gen, "-"+name, f.Value.String())
	}
	return c, strings.Join(gen, " "), nil
}

var flagOrder = []string{"seed", "ops", "keys", "elems", "bigkeys", "w-assign", "w-delete", "w-lookup", "w-make",
	"w-clear", "clear-every", "max-live", "hint", "hint-max", "pattern", "pattern-bits", "hot-rotate",
	"iter-on-grow", "iter-prob", "iter-max", "iter-next-prob", "iter-next-prob-grow", "verify-every", "out"}

type iterator struct {
	id   int
	it   *reflect.MapIter
	mi   *mapIter
	seen map[uint64]bool
	// stale: entries that were live when a clear ran while this iterator was
	// open, on runtimes whose mapclear leaves overflow and old buckets as they
	// were (Go 1.19, 1.24+); before Go 1.21 the iterator may still yield them.
	// Every value a key had at any such clear counts: a key live at two
	// clears may have left an entry at each.
	stale map[uint64]map[uint64]bool
	// clearedInOverflow: a clear ran while this iterator stood in an overflow
	// bucket that the clear recycles (clearRecyclesOverflow). Its next advance
	// continues in that bucket, which may by then belong to another chain (or,
	// the last preallocated one, lead to bucket 0 through the sentinel), so it
	// may yield again a key it yielded after the clear, or yield now a key it
	// will meet again in its own bucket: Go's behaviour, recorded as it is.
	clearedInOverflow bool
	// result of the advance inside iter_start, reported by the first iter_next
	firstPending bool
	firstOK      bool
	firstKey     uint64
	firstElem    uint64
}

type recorder struct {
	c   *config
	rng *rand.Rand
	w   *bufio.Writer
	buf []byte

	i        int
	prev     *state
	shadow   map[uint64]uint64
	live     []uint64
	livePos  map[uint64]int
	iters    []*iterator
	nextIter int

	clearing bool
	// twice counts yields of a key an iterator had already yielded (since the
	// last clear or delete of that key), allowed only by clearedInOverflow
	twice     int
	nextClear int

	hot         uint64
	hotLeft     int
	growArmed   bool
	prevPred    bool
	prevGrowing bool
}

func (r *recorder) keyOf(k int) uint64 {
	if r.c.bigKeys {
		return uint64(k) * 0x9E3779B97F4A7C15
	}
	return uint64(k)
}

func (r *recorder) randomKey() uint64 { return r.keyOf(r.rng.Intn(r.c.keys)) }

func (r *recorder) randomLive() uint64 { return r.live[r.rng.Intn(len(r.live))] }

func (r *recorder) hash0() uint32 { return curHmap().hash0 }

// hotKey draws a key whose hash (under the current hash0) has its low
// pattern-bits bits equal to the hot value.
func (r *recorder) hotKey() uint64 {
	if r.hotLeft <= 0 {
		r.hot = r.rng.Uint64() & (1<<r.c.patternBits - 1)
		r.hotLeft = r.c.hotRotate
	}
	r.hotLeft--
	mask := uint64(1)<<r.c.patternBits - 1
	seed := r.hash0()
	for try := 0; try < 64<<r.c.patternBits; try++ {
		k := r.randomKey()
		if hashKey(k, seed)&mask == r.hot {
			return k
		}
	}
	return r.randomKey()
}

func (r *recorder) shadowSet(k, e uint64) {
	if _, ok := r.shadow[k]; !ok {
		r.livePos[k] = len(r.live)
		r.live = append(r.live, k)
	}
	r.shadow[k] = e
}

func (r *recorder) shadowDel(k uint64) {
	p, ok := r.livePos[k]
	if !ok {
		return
	}
	last := r.live[len(r.live)-1]
	r.live[p] = last
	r.livePos[last] = p
	r.live = r.live[:len(r.live)-1]
	delete(r.livePos, k)
	delete(r.shadow, k)
}

func (r *recorder) shadowReset() {
	r.shadow = map[uint64]uint64{}
	r.livePos = map[uint64]int{}
	r.live = nil
}

func (r *recorder) begin(op string) {
	r.buf = r.buf[:0]
	r.buf = append(r.buf, `{"kind":"op","i":`...)
	r.buf = strconv.AppendInt(r.buf, int64(r.i), 10)
	r.buf = append(r.buf, `,"op":"`...)
	r.buf = append(r.buf, op...)
	r.buf = append(r.buf, '"')
}

func (r *recorder) field(name string, v uint64) {
	r.buf = append(r.buf, ',', '"')
	r.buf = append(r.buf, name...)
	r.buf = append(r.buf, '"', ':')
	r.buf = strconv.AppendUint(r.buf, v, 10)
}

func (r *recorder) boolField(name string, v bool) {
	r.buf = append(r.buf, ',', '"')
	r.buf = append(r.buf, name...)
	r.buf = append(r.buf, '"', ':')
	r.buf = strconv.AppendBool(r.buf, v)
}

// finish captures the state after the op, writes the line and runs checks.
func (r *recorder) finish(isMake bool) {
	r.buf = append(r.buf, ',')
	prev := r.prev
	if isMake {
		prev = nil
	}
	var st *state
	r.buf, st = captureState(r.buf, prev)
	r.buf = append(r.buf, '}', '\n')
	if _, err := r.w.Write(r.buf); err != nil {
		fatalf("write: %v", err)
	}
	if r.c.verifyEvery > 0 && (r.i%r.c.verifyEvery == 0 || r.i == r.c.ops-1) {
		verifyState(st, r.shadow)
	} else if st.h.count != len(r.shadow) {
		fatalf("count %d, shadow model has %d", st.h.count, len(r.shadow))
	}
	// iter-on-grow bookkeeping
	pred := st.growPredicted()
	growing := st.growing()
	started := !isMake && r.prev != nil && st.buckets != nil && r.prev.buckets != nil && st.buckets.ptr != r.prev.buckets.ptr
	if (pred && !r.prevPred) || started || (growing && !r.prevGrowing) {
		r.growArmed = true
	}
	if !pred && !growing && !started {
		r.growArmed = false
	}
	r.prevPred, r.prevGrowing = pred, growing
	r.prev = st
	r.i++
}

func (r *recorder) opMake(hint int) {
	r.begin("make")
	r.field("hint", uint64(hint))
	theMap = make(map[uint64]uint64, hint)
	r.iters = nil // abandoned
	r.shadowReset()
	r.clearing = false
	r.hotLeft = 0
	r.finish(true)
}

func (r *recorder) opAssign(k, e uint64) {
	hv := hashKey(k, r.hash0())
	r.begin("assign")
	r.field("key", k)
	r.field("elem", e)
	r.field("hash", hv)
	theMap[k] = e
	r.shadowSet(k, e)
	r.finish(false)
}

func (r *recorder) opDelete(k uint64) {
	hv := hashKey(k, r.hash0())
	r.begin("delete")
	r.field("key", k)
	r.field("hash", hv)
	before := r.hash0()
	delete(theMap, k)
	r.shadowDel(k)
	for _, it := range r.iters {
		// a deleted and re-inserted key is a new entry that may be yielded again
		delete(it.seen, k)
	}
	if r.hash0() != before {
		r.staleHashes()
	}
	r.finish(false)
}

func (r *recorder) opLookup(k uint64) {
	hv := hashKey(k, r.hash0())
	r.begin("lookup")
	r.field("key", k)
	r.field("hash", hv)
	v, ok := theMap[k]
	if sv, sok := r.shadow[k]; sok != ok || sv != v {
		fatalf("lookup %d: map gave %d,%v shadow %d,%v", k, v, ok, sv, sok)
	}
	r.boolField("found", ok)
	r.field("elem", v)
	r.finish(false)
}

func (r *recorder) opClear() {
	r.begin("clear")
	ovf := overflowOf(curHmap())
	var inOverflow []*iterator
	for _, it := range r.iters {
		if ovf[it.mi.hiter.bptr] {
			inOverflow = append(inOverflow, it)
		}
		if clearLeavesStale {
			if it.stale == nil {
				it.stale = map[uint64]map[uint64]bool{}
			}
			for k, e := range r.shadow {
				if it.stale[k] == nil {
					it.stale[k] = map[uint64]bool{}
				}
				it.stale[k][e] = true
			}
		}
		// every key is deleted: one that is re-inserted is a new entry
		it.seen = map[uint64]bool{}
	}
	clearMap()
	for _, it := range inOverflow {
		if recycledByClear(curHmap(), it.mi.hiter.bptr) {
			it.clearedInOverflow = true
		}
	}
	r.shadowReset()
	r.clearing = false
	r.staleHashes()
	r.finish(false)
}

// staleHashes adds, after an op that reseeded hash0, the hashes under the new
// hash0 of the stale entries open iterators may still reach: mapiternext
// hashes the keys of an old bucket it walks during a grow (checkBucket), and
// from Go 1.24 looks up every entry of an iterator started before the clear;
// the replay has no other source for those hashes. They are the entries live
// at a clear that left them in place (Go 1.19 and 1.24+) and every key in a
// non-empty cell of the bucket memory an open iterator may still walk (its
// bucket array, the chain from its bptr, oldbuckets): Go 1.21 .. 1.23's
// markBucketsEmpty reaches only buckets and oldbuckets, and an evacuated old
// cell keeps a key that may have been deleted from the map before the reseed.
func (r *recorder) staleHashes() {
	keys := map[uint64]bool{}
	for _, it := range r.iters {
		for k := range it.stale {
			keys[k] = true
		}
	}
	if len(r.iters) > 0 {
		reachableKeys(curHmap(), r.iters, keys)
	}
	if len(keys) == 0 {
		return
	}
	sorted := make([]uint64, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	seed := r.hash0()
	r.buf = append(r.buf, `,"stale_hashes":[`...)
	for i, k := range sorted {
		if i > 0 {
			r.buf = append(r.buf, ',')
		}
		r.buf = append(r.buf, '[')
		r.buf = strconv.AppendUint(r.buf, k, 10)
		r.buf = append(r.buf, ',')
		r.buf = strconv.AppendUint(r.buf, hashKey(k, seed), 10)
		r.buf = append(r.buf, ']')
	}
	r.buf = append(r.buf, ']')
}

// reachableKeys adds to keys the key of every non-empty cell (a live or
// evacuatedX/Y tophash) that the open iterators its may still reach: each
// iterator's bucket array with its overflow chains, the chain from its bptr
// (through the sentinel of the last preallocated overflow bucket, if that is
// where it stands), and h.oldbuckets, which an iterator started during a grow
// walks instead of unevacuated new buckets.
func reachableKeys(h *hmap, its []*iterator, keys map[uint64]bool) {
	walk := func(b *bmap) {
		for n := 0; b != nil && n <= maxChain; n++ {
			for i := 0; i < bucketCnt; i++ {
				if t := b.tophash[i]; t > emptyOne && t != evacuatedEmpty {
					keys[b.keys[i]] = true
				}
			}
			b = b.overflow
		}
	}
	walkArray := func(base unsafe.Pointer, B uint8) {
		for i := 0; i < 1<<B; i++ {
			walk(bucketAt(base, i))
		}
	}
	for _, it := range its {
		hi := &it.mi.hiter
		if hi.buckets != nil {
			walkArray(hi.buckets, hi.B)
		}
		if hi.bptr != nil {
			walk((*bmap)(hi.bptr))
		}
	}
	if h.oldbuckets != nil {
		oldB := h.B
		if h.flags&flagSameSizeGrow == 0 {
			oldB--
		}
		walkArray(h.oldbuckets, oldB)
	}
}

// overflowOf returns the overflow buckets of h.buckets' chains.
func overflowOf(h *hmap) map[unsafe.Pointer]bool {
	set := map[unsafe.Pointer]bool{}
	if h.buckets == nil {
		return set
	}
	for i := 0; i < 1<<h.B; i++ {
		n := 0
		for b := bucketAt(h.buckets, i).overflow; b != nil; b = b.overflow {
			set[unsafe.Pointer(b)] = true
			if n++; n > maxChain {
				fatalf("overflow chain of bucket %d too long", i)
			}
		}
	}
	return set
}

// recycledByClear reports whether p, an overflow bucket of h.buckets' chains
// before a mapclear, is one the clear recycles while an iterator standing in
// it keeps walking it: a preallocated overflow bucket (makeBucketArray clears
// them with the array, newoverflow hands them out again to any bucket, and the
// last one's overflow is again the sentinel, h.buckets itself), or from Go
// 1.24 any overflow bucket (the others are unlinked but keep their entries,
// and mapiternext looks their keys up in the current map). h is the map after
// the clear, whose nextOverflow is the first preallocated bucket again.
func recycledByClear(h *hmap, p unsafe.Pointer) bool {
	if clearUnlinksLiveOverflow {
		return true
	}
	first := uintptr(h.buckets) + uintptr(bucketSize)<<h.B
	return uintptr(p) >= first && uintptr(p) < first+uintptr(preallocLeft(h)*bucketSize)
}

func (r *recorder) opIterStart() {
	it := &iterator{id: r.nextIter, seen: map[uint64]bool{}}
	r.nextIter++
	it.it = reflect.ValueOf(theMap).MapRange()
	it.mi = (*mapIter)(unsafe.Pointer(it.it))
	// mapiterinit, which runs the first mapiternext.
	ok := it.it.Next()
	hi := &it.mi.hiter
	if hi.t != unsafe.Pointer(mt) {
		fatalf("hiter.t does not point at the map type: hiter layout mismatch")
	}
	h := curHmap()
	var start, offset uint64
	if h.count > 0 {
		if hi.h != unsafe.Pointer(h) || hi.buckets != h.buckets || hi.B != h.B {
			fatalf("hiter h/buckets/B do not match the map: hiter layout mismatch")
		}
		if hi.startBucket >= uintptr(1)<<h.B || hi.offset >= bucketCnt {
			fatalf("hiter startBucket %d offset %d out of range", hi.startBucket, hi.offset)
		}
		start, offset = uint64(hi.startBucket), uint64(hi.offset)
	} else if ok {
		fatalf("iterator over empty map yielded")
	}
	it.firstPending = true
	it.firstOK = ok
	if ok {
		it.firstKey = it.it.Key().Uint()
		it.firstElem = it.it.Value().Uint()
		r.checkYield(it, it.firstKey, it.firstElem)
	}
	r.iters = append(r.iters, it)
	r.begin("iter_start")
	r.field("iter", uint64(it.id))
	r.field("start_bucket", start)
	r.field("offset", offset)
	r.finish(false)
}

func (r *recorder) opIterNext(idx int) {
	it := r.iters[idx]
	var ok bool
	var k, e uint64
	if it.firstPending {
		it.firstPending = false
		ok, k, e = it.firstOK, it.firstKey, it.firstElem
	} else {
		ok = it.it.Next()
		if ok {
			k = it.it.Key().Uint()
			e = it.it.Value().Uint()
			r.checkYield(it, k, e)
		}
	}
	r.begin("iter_next")
	r.field("iter", uint64(it.id))
	if ok {
		r.field("key", k)
		r.field("elem", e)
	} else {
		r.boolField("done", true)
		r.iters = append(r.iters[:idx], r.iters[idx+1:]...)
	}
	r.finish(false)
}

// checkYield is called right after an advance: a yielded entry is always
// live at that moment, with its current value, and is not yielded twice
// unless it was deleted (and re-inserted) in between.
func (r *recorder) checkYield(it *iterator, k, e uint64) {
	if sv, sok := r.shadow[k]; (!sok || sv != e) && staleYields {
		if it.stale[k][e] {
			return // a stale entry left behind by mapclear (before Go 1.21)
		}
	}
	if it.seen[k] {
		if !it.clearedInOverflow {
			fatalf("iterator %d yielded key %d twice", it.id, k)
		}
		r.twice++
	}
	it.seen[k] = true
	if sv, sok := r.shadow[k]; !sok || sv != e {
		fatalf("iterator %d yielded %d=%d, shadow has %d,%v", it.id, k, e, sv, sok)
	}
}

func (r *recorder) randomHint() int {
	if r.c.hintMax <= 0 {
		return r.c.hint
	}
	// log-uniform: pick a bit length, then a value with that length.
	nb := r.rng.Intn(bits.Len(uint(r.c.hintMax)) + 1)
	if nb == 0 {
		return 0
	}
	lo := 1 << (nb - 1)
	hi := 1<<nb - 1
	if hi > r.c.hintMax {
		hi = r.c.hintMax
	}
	return lo + r.rng.Intn(hi-lo+1)
}

func (r *recorder) step() {
	c := r.c
	count := len(r.shadow)
	p := c.iterNextProb
	if c.iterNextGrow >= 0 && r.prev != nil && r.prev.growing() {
		p = c.iterNextGrow
	}
	if len(r.iters) > 0 && r.rng.Float64() < p {
		r.opIterNext(r.rng.Intn(len(r.iters)))
		return
	}
	if len(r.iters) < c.iterMax {
		if c.iterOnGrow && r.growArmed {
			r.growArmed = false
			r.opIterStart()
			return
		}
		if r.rng.Float64() < c.iterProb {
			r.opIterStart()
			return
		}
	}
	if c.clearEvery > 0 && !r.clearing && r.i >= r.nextClear {
		r.nextClear = r.i + c.clearEvery
		r.clearing = count > 0
	}
	if r.clearing {
		r.opDelete(r.randomLive())
		if len(r.shadow) == 0 {
			r.clearing = false
			r.nextClear = r.i + c.clearEvery
		}
		return
	}
	x := r.rng.Intn(c.wAssign + c.wDelete + c.wLookup + c.wMake + c.wClear)
	switch {
	case x < c.wAssign:
		if c.maxLive > 0 && count >= c.maxLive {
			r.opDelete(r.randomLive())
			return
		}
		var k uint64
		if c.pattern == "samesize" {
			k = r.hotKey()
		} else {
			k = r.randomKey()
		}
		r.opAssign(k, uint64(r.rng.Int63())%c.elems)
	case x < c.wAssign+c.wDelete:
		if count > 0 && r.rng.Intn(10) < 8 {
			r.opDelete(r.randomLive())
		} else {
			r.opDelete(r.randomKey())
		}
	case x < c.wAssign+c.wDelete+c.wLookup:
		if count > 0 && r.rng.Intn(2) == 0 {
			r.opLookup(r.randomLive())
		} else {
			r.opLookup(r.randomKey())
		}
	case x < c.wAssign+c.wDelete+c.wLookup+c.wMake:
		r.opMake(r.randomHint())
	default:
		r.opClear()
	}
}

func run(c *config, generator string, w io.Writer) (err error) {
	var r *recorder
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
			if r != nil {
				// Keep what was recorded: the lines of every op before the
				// failing one, then a fatal line naming the op index and the
				// message (the failing op's own line is never written).
				line := append([]byte(`{"kind":"fatal","i":`), strconv.Itoa(r.i)...)
				line = append(line, `,"msg":`...)
				line = strconv.AppendQuote(line, err.Error())
				line = append(line, "}\n"...)
				if _, werr := r.w.Write(line); werr == nil {
					r.w.Flush()
				}
			}
		}
	}()
	checkLayouts()
	r = &recorder{c: c, rng: rand.New(rand.NewSource(c.seed)), w: bufio.NewWriterSize(w, 1<<20)}
	r.nextClear = c.clearEvery
	r.buf = append(r.buf, `{"kind":"header","go":"`...)
	r.buf = append(r.buf, runtime.Version()...)
	r.buf = append(r.buf, `","key":"uint64","elem":"uint64","format":"delta-v1","bucket_size":144,"generator":`...)
	r.buf = strconv.AppendQuote(r.buf, generator)
	r.buf = append(r.buf, "}\n"...)
	if _, err := r.w.Write(r.buf); err != nil {
		return err
	}
	r.opMake(c.hint)
	for r.i < c.ops {
		r.step()
	}
	if r.twice > 0 {
		fmt.Fprintf(os.Stderr, "go-oracle: %d yields of a key the iterator had already yielded, by iterators that stood in an overflow bucket a clear recycled\n", r.twice)
	}
	return r.w.Flush()
}

func main() {
	c, gen, err := parseFlags(os.Args[1:])
	if err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "go-oracle:", err)
		os.Exit(2)
	}
	var w io.Writer = os.Stdout
	var f *os.File
	if c.out != "-" {
		f, err = os.Create(c.out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "go-oracle:", err)
			os.Exit(1)
		}
		w = f
	}
	if err := run(c, gen, w); err != nil {
		fmt.Fprintln(os.Stderr, "go-oracle: FAILED:", err)
		if f != nil {
			f.Close()
			// never leave a partial trace under the trace's name: keep it,
			// ending in the fatal line, as OUT.failed
			if rerr := os.Rename(c.out, c.out+".failed"); rerr == nil {
				fmt.Fprintln(os.Stderr, "go-oracle: partial trace kept in", c.out+".failed")
			} else {
				os.Remove(c.out)
			}
		}
		os.Exit(1)
	}
	if f != nil {
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "go-oracle:", err)
			os.Exit(1)
		}
	}
}
