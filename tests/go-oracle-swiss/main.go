// Command go-oracle-swiss records real Go 1.24 map[uint64]uint64 behaviour (the
// Swiss-table map of internal/runtime/maps) as swiss-v1 JSON Lines traces: after every
// op, the Map header, the directory, every changed table header and group (control
// word and all slots, stale bytes included), lookup results and iterator yields and
// state. See docs/swiss-trace-format.md and README.md.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"reflect"
	"runtime"
	"strings"
	"time"
	"unsafe"
)

const formatName = "swiss-v1"

type config struct {
	seed         int64
	ops          int
	keys         int
	bigKeys      bool
	elems        int
	wAssign      int
	wDelete      int
	wLookup      int
	wClear       int
	wMake        int
	hint         int
	hintMax      int
	maxLive      int
	iterProb     float64
	iterMax      int
	iterNextProb float64
	out          string
	anyVersion   bool
}

type header struct {
	Format           string `json:"format"`
	Go               string `json:"go"`
	Goarch           string `json:"goarch"`
	Generator        string `json:"generator"`
	GroupSlots       int    `json:"groupSlots"`
	GroupSize        int    `json:"groupSize"`
	MaxTableCapacity int    `json:"maxTableCapacity"`
	// Hashkey is runtime.hashkey when the runtime hashes with memhash64Fallback
	// (GODEBUG=cpu.aes=off, recorder built with -tags hashkey); absent otherwise.
	Hashkey *[4]uint64 `json:"hashkey,omitempty"`
}

type opLine struct {
	I      int         `json:"i"`
	Op     string      `json:"op"`
	Key    *uint64     `json:"key,omitempty"`
	Elem   *uint64     `json:"elem,omitempty"`
	Hash   *uint64     `json:"hash,omitempty"`
	Hint   *int        `json:"hint,omitempty"`
	Found  *bool       `json:"found,omitempty"`
	It     *int        `json:"it,omitempty"`
	Yield  *[2]uint64  `json:"yield,omitempty"`
	End    *bool       `json:"end,omitempty"`
	Iter   *iterState  `json:"iter,omitempty"`
	Map    mapState    `json:"map"`
	Tables []tableHdr  `json:"tables,omitempty"`
	Groups []groupLine `json:"groups,omitempty"`
	Small  *groupLine  `json:"small,omitempty"`
}

type openIter struct {
	id      int
	it      *reflect.MapIter
	yielded map[uint64]bool
}

type recorder struct {
	c      *config
	rng    *rand.Rand
	w      *bufio.Writer
	tr     *tracker
	i      int
	shadow map[uint64]uint64
	live   []uint64
	pos    map[uint64]int
	iters  []*openIter
	nextIt int
}

func u64(v uint64) *uint64 { return &v }
func bptr(v bool) *bool    { return &v }
func iptr(v int) *int      { return &v }

func (r *recorder) keyOf(k int) uint64 {
	if r.c.bigKeys {
		return uint64(k) * 0x9E3779B97F4A7C15
	}
	return uint64(k)
}

func (r *recorder) shadowSet(k, e uint64) {
	if _, ok := r.shadow[k]; !ok {
		r.pos[k] = len(r.live)
		r.live = append(r.live, k)
	}
	r.shadow[k] = e
}

func (r *recorder) shadowDel(k uint64) {
	if _, ok := r.shadow[k]; !ok {
		return
	}
	delete(r.shadow, k)
	p := r.pos[k]
	last := r.live[len(r.live)-1]
	r.live[p] = last
	r.pos[last] = p
	r.live = r.live[:len(r.live)-1]
	delete(r.pos, k)
	// A deleted key may be yielded again if it is re-inserted (a new entry).
	for _, it := range r.iters {
		delete(it.yielded, k)
	}
}

func (r *recorder) shadowReset() {
	r.shadow = map[uint64]uint64{}
	r.live = nil
	r.pos = map[uint64]int{}
	for _, it := range r.iters {
		it.yielded = map[uint64]bool{}
	}
}

func (r *recorder) emit(l *opLine) {
	l.I = r.i
	r.i++
	r.tr.capture(l)
	r.verify()
	b, err := json.Marshal(l)
	if err != nil {
		fatalf("marshal: %v", err)
	}
	r.w.Write(b)
	r.w.WriteByte('\n')
}

func (r *recorder) seed() uintptr { return curHdr().seed }

func (r *recorder) opMake(hint int) {
	r.iters = nil // iterators of the old map are dropped
	theMap = make(map[uint64]uint64, hint)
	r.shadowReset()
	r.emit(&opLine{Op: "make", Hint: iptr(hint)})
}

func (r *recorder) opAssign(k, e uint64) {
	h := hashKey(k, r.seed())
	theMap[k] = e
	r.shadowSet(k, e)
	r.emit(&opLine{Op: "assign", Key: u64(k), Elem: u64(e), Hash: u64(h)})
}

func (r *recorder) opDelete(k uint64) {
	h := hashKey(k, r.seed())
	delete(theMap, k)
	r.shadowDel(k)
	r.emit(&opLine{Op: "delete", Key: u64(k), Hash: u64(h)})
}

func (r *recorder) opLookup(k uint64) {
	h := hashKey(k, r.seed())
	e, ok := theMap[k]
	if se, sok := r.shadow[k]; sok != ok || se != e {
		fatalf("lookup %d: map (%d,%v) shadow (%d,%v)", k, e, ok, se, sok)
	}
	r.emit(&opLine{Op: "lookup", Key: u64(k), Hash: u64(h), Found: bptr(ok), Elem: u64(e)})
}

func (r *recorder) opClear() {
	clear(theMap)
	r.shadowReset()
	r.emit(&opLine{Op: "clear"})
}

func (r *recorder) advance(it *openIter, l *opLine) {
	more := it.it.Next()
	mi := (*mapIter)(unsafe.Pointer(it.it))
	l.It = iptr(it.id)
	if more {
		k, e := it.it.Key().Uint(), it.it.Value().Uint()
		if se, ok := r.shadow[k]; !ok || se != e {
			fatalf("iterator %d yielded (%d,%d), shadow (%d,%v)", it.id, k, e, se, ok)
		}
		if it.yielded[k] {
			fatalf("iterator %d yielded %d twice", it.id, k)
		}
		it.yielded[k] = true
		l.Yield = &[2]uint64{k, e}
	} else {
		l.End = bptr(true)
		r.closeIter(it)
	}
	l.Iter = r.tr.iterOf(mi)
}

func (r *recorder) closeIter(it *openIter) {
	for i, o := range r.iters {
		if o == it {
			r.iters = append(r.iters[:i], r.iters[i+1:]...)
			return
		}
	}
}

func (r *recorder) opIterStart() {
	it := &openIter{id: r.nextIt, it: reflect.ValueOf(theMap).MapRange(), yielded: map[uint64]bool{}}
	r.nextIt++
	r.iters = append(r.iters, it)
	l := &opLine{Op: "iter_start"}
	r.advance(it, l)
	r.emit(l)
}

func (r *recorder) opIterNext(it *openIter) {
	l := &opLine{Op: "iter_next"}
	r.advance(it, l)
	r.emit(l)
}

func (r *recorder) randomHint() int {
	if r.c.hintMax <= 0 {
		return 0
	}
	// log-uniform in [0, hintMax]
	x := r.rng.Float64() * float64(bitsLen(r.c.hintMax)+1)
	v := int(float64(int(1)<<uint(x)) * (1 + r.rng.Float64()))
	if v > r.c.hintMax {
		v = r.rng.Intn(r.c.hintMax + 1)
	}
	return v
}

func bitsLen(n int) int {
	l := 0
	for n > 0 {
		l++
		n >>= 1
	}
	return l
}

func (r *recorder) step() {
	c := r.c
	if len(r.iters) > 0 && r.rng.Float64() < c.iterNextProb {
		r.opIterNext(r.iters[r.rng.Intn(len(r.iters))])
		return
	}
	if len(r.iters) < c.iterMax && r.rng.Float64() < c.iterProb {
		r.opIterStart()
		return
	}
	total := c.wAssign + c.wDelete + c.wLookup + c.wClear + c.wMake
	x := r.rng.Intn(total)
	switch {
	case x < c.wAssign:
		if c.maxLive > 0 && len(r.live) >= c.maxLive {
			r.opDelete(r.live[r.rng.Intn(len(r.live))])
			return
		}
		r.opAssign(r.keyOf(r.rng.Intn(c.keys)), uint64(r.rng.Intn(c.elems)))
	case x < c.wAssign+c.wDelete:
		if len(r.live) > 0 && r.rng.Intn(10) < 8 {
			r.opDelete(r.live[r.rng.Intn(len(r.live))])
		} else {
			r.opDelete(r.keyOf(r.rng.Intn(c.keys)))
		}
	case x < c.wAssign+c.wDelete+c.wLookup:
		if len(r.live) > 0 && r.rng.Intn(2) == 0 {
			r.opLookup(r.live[r.rng.Intn(len(r.live))])
		} else {
			r.opLookup(r.keyOf(r.rng.Intn(c.keys)))
		}
	case x < c.wAssign+c.wDelete+c.wLookup+c.wClear:
		r.opClear()
	default:
		r.opMake(r.randomHint())
	}
}

// verify checks the map's memory against the hasher and the shadow model.
func (r *recorder) verify() {
	h := curHdr()
	if h.writing != 0 {
		fatalf("writing flag set after op")
	}
	if h.used != uint64(len(r.shadow)) {
		fatalf("used %d, shadow %d", h.used, len(r.shadow))
	}
	full := uint64(0)
	checkGroup := func(g *group, where string) {
		for i := 0; i < groupSlots; i++ {
			c := uint8(g.ctrl >> (8 * i))
			if c&ctrlEmpty != 0 {
				if c != ctrlEmpty && c != ctrlDeleted {
					fatalf("%s slot %d: ctrl %#x", where, i, c)
				}
				continue
			}
			full++
			s := g.slots[i]
			if c != h2(hashKey(s.key, h.seed)) {
				fatalf("%s slot %d: ctrl %#x is not h2 of key %d", where, i, c, s.key)
			}
			if e, ok := r.shadow[s.key]; !ok || e != s.elem {
				fatalf("%s slot %d: (%d,%d) not in shadow", where, i, s.key, s.elem)
			}
		}
	}
	switch {
	case h.dirPtr == nil:
	case h.dirLen == 0:
		checkGroup((*group)(h.dirPtr), "small group")
	default:
		if h.dirLen != 1<<h.globalDepth {
			fatalf("dirLen %d globalDepth %d", h.dirLen, h.globalDepth)
		}
		var last *table
		for i := 0; i < h.dirLen; i++ {
			t := dirAt(h, i)
			if t == last {
				continue
			}
			last = t
			if t.index != i {
				fatalf("table at %d has index %d", i, t.index)
			}
			for gi := uint64(0); gi <= t.lengthMask; gi++ {
				checkGroup(groupAt(t, gi), fmt.Sprintf("table %d group %d", i, gi))
			}
		}
	}
	if full != h.used {
		fatalf("%d full slots, used %d", full, h.used)
	}
}

func run(c *config, generator string, w io.Writer) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	checkLayouts()
	r := &recorder{c: c, rng: rand.New(rand.NewSource(c.seed)), w: bufio.NewWriter(w), tr: newTracker()}
	hdr := header{Format: formatName, Go: runtime.Version(), Goarch: runtime.GOARCH, Generator: generator,
		GroupSlots: groupSlots, GroupSize: groupSize, MaxTableCapacity: maxTableCapacity}
	if hk, ok := portableHashkey(); ok {
		hdr.Hashkey = &hk
	}
	b, _ := json.Marshal(hdr)
	r.w.Write(b)
	r.w.WriteByte('\n')
	r.opMake(c.hint)
	for r.i < c.ops {
		r.step()
	}
	return r.w.Flush()
}

func parseFlags(args []string) (*config, string, error) {
	fs := flag.NewFlagSet("go-oracle-swiss", flag.ContinueOnError)
	c := &config{}
	fs.Int64Var(&c.seed, "seed", 0, "generator seed (0: from the clock)")
	fs.IntVar(&c.ops, "ops", 200, "number of op lines, including the initial make")
	fs.IntVar(&c.keys, "keys", 1000, "keys are drawn from [0,N)")
	fs.BoolVar(&c.bigKeys, "bigkeys", false, "use k*0x9E3779B97F4A7C15 as keys")
	fs.IntVar(&c.elems, "elems", 100, "elems are drawn from [0,N)")
	fs.IntVar(&c.wAssign, "w-assign", 60, "weight of assign")
	fs.IntVar(&c.wDelete, "w-delete", 20, "weight of delete")
	fs.IntVar(&c.wLookup, "w-lookup", 20, "weight of lookup")
	fs.IntVar(&c.wClear, "w-clear", 0, "weight of clear(m)")
	fs.IntVar(&c.wMake, "w-make", 0, "weight of make (fresh map)")
	fs.IntVar(&c.hint, "hint", 0, "hint of the initial make")
	fs.IntVar(&c.hintMax, "hint-max", 0, "later makes use a log-uniform hint in [0,M]")
	fs.IntVar(&c.maxLive, "max-live", 0, "an assign while len >= N becomes a delete")
	fs.Float64Var(&c.iterProb, "iter-prob", 0, "per-op probability of starting an iterator")
	fs.IntVar(&c.iterMax, "iter-max", 2, "at most N iterators open")
	fs.Float64Var(&c.iterNextProb, "iter-next-prob", 0.2, "per-op probability of advancing an open iterator")
	fs.StringVar(&c.out, "out", "-", "output file (- = stdout)")
	fs.BoolVar(&c.anyVersion, "any-version", false, "run on a Go version other than 1.24 if the layout checks pass")
	if err := fs.Parse(args); err != nil {
		return nil, "", err
	}
	if c.seed == 0 {
		c.seed = time.Now().UnixNano()%1_000_000_000 + 1
	}
	if c.keys < 1 || c.elems < 1 || c.ops < 1 || c.wAssign+c.wDelete+c.wLookup+c.wClear+c.wMake < 1 {
		return nil, "", fmt.Errorf("bad -keys/-elems/-ops/weights")
	}
	var parts []string
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "seed" {
			parts = append(parts, "-"+f.Name+" "+f.Value.String())
		}
	})
	gen := strings.Join(append([]string{fmt.Sprintf("-seed %d", c.seed)}, parts...), " ")
	return c, gen, nil
}

func main() {
	c, gen, err := parseFlags(os.Args[1:])
	if err != nil {
		os.Exit(2)
	}
	if !knownVersion(runtime.Version()) && !c.anyVersion {
		fmt.Fprintf(os.Stderr, "go-oracle-swiss: built by %s; the mirrors follow Go 1.24's internal/runtime/maps (use -any-version to try the layout checks)\n", runtime.Version())
		os.Exit(1)
	}
	var w io.Writer = os.Stdout
	var f *os.File
	if c.out != "-" {
		f, err = os.Create(c.out)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		w = f
	}
	err = run(c, gen, w)
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(c.out)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
