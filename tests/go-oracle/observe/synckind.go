package main

// kinds "syncmap" and "rwmutex": goroutines calling sync.Map, or a map
// guarded by sync.RWMutex, with every call's invoke and return ticket taken
// from one shared atomic counter (like impl/src/syncmap/history.rs).

import (
	"math/rand"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
)

const (
	sLoad = iota
	sStore
	sLoadOrStore
	sLoadAndDelete
	sDelete
	sRange
)

var syncOpKind = map[string]uint8{"load": sLoad, "store": sStore, "load_or_store": sLoadOrStore,
	"load_and_delete": sLoadAndDelete, "delete": sDelete, "range": sRange}
var syncOpName = []string{"load", "store", "load_or_store", "load_and_delete", "delete", "range"}

// scall is one call of a history. key is the symbolic number N of kN.
type scall struct {
	op       uint8
	key, val uint64
	inv, ret uint64
	rv       uint64 // load, load_and_delete: value; load_or_store: actual
	rok      bool   // load, load_and_delete: ok; load_or_store: loaded
	yields   []kv
}

// rwMap is a map guarded by a sync.RWMutex: reads (Load, Range) under
// RLock, everything else under Lock. Range holds RLock for the whole walk.
type rwMap struct {
	mu sync.RWMutex
	m  map[uint64]uint64
}

var (
	obsSync *sync.Map
	obsRW   *rwMap
	ticket  padded
)

func tick() uint64 { return atomic.AddUint64(&ticket.v, 1) }

type syncRunner struct {
	rw       bool
	inRead   bool
	initial  []Initial
	initKeys []uint64
	fixed    [][]Op
	gen      *Generate
	rng      *rand.Rand
	calls    [][]scall
	keyNums  []uint64 // the scenario's key numbers, ascending
	lin      linChecker
	tickets  []uint64
}

func newSyncRunner(sc *Scenario, rng *rand.Rand) *syncRunner {
	r := &syncRunner{rw: sc.Kind == "rwmutex", inRead: sc.Kind == "syncmap", initial: sc.Initial,
		fixed: sc.Goroutines, gen: sc.Generate, rng: rng}
	if sc.InitialInRead != nil {
		r.inRead = *sc.InitialInRead
	}
	for _, in := range sc.Initial {
		n, _ := keyNum(in.Key)
		r.initKeys = append(r.initKeys, uint64(n))
	}
	for _, name := range sc.symKeys() {
		n, _ := keyNum(name)
		r.keyNums = append(r.keyNums, uint64(n))
	}
	ng := len(sc.Goroutines)
	if sc.Generate != nil {
		ng = sc.Generate.Goroutines
	}
	r.calls = make([][]scall, ng)
	for g := range r.calls {
		n := 0
		if sc.Generate != nil {
			n = sc.Generate.OpsPerGoroutine
		} else {
			n = len(sc.Goroutines[g])
		}
		r.calls[g] = make([]scall, n)
		for i := range r.calls[g] {
			r.calls[g][i].yields = make([]kv, 0, 2*len(r.keyNums))
		}
		if sc.Generate == nil {
			for i, op := range sc.Goroutines[g] {
				c := &r.calls[g][i]
				c.op = syncOpKind[op.Op]
				if op.Key != "" {
					n, _ := keyNum(op.Key)
					c.key = uint64(n)
				}
				if op.Value != nil {
					c.val = *op.Value
				}
			}
		}
	}
	return r
}

func (r *syncRunner) goroutines() int { return len(r.calls) }

func (r *syncRunner) prepare() {
	if g := r.gen; g != nil {
		for _, cs := range r.calls {
			for i := range cs {
				c := &cs[i]
				c.op = syncOpKind[g.Ops[r.rng.Intn(len(g.Ops))]]
				c.key, c.val = 0, 0
				if c.op != sRange {
					c.key = uint64(1 + r.rng.Intn(g.Keys))
				}
				if c.op == sStore || c.op == sLoadOrStore {
					c.val = uint64(1 + r.rng.Intn(g.Values))
				}
			}
		}
	}
	for _, cs := range r.calls {
		for i := range cs {
			cs[i].rv, cs[i].rok, cs[i].yields = 0, false, cs[i].yields[:0]
		}
	}
	if r.rw {
		obsRW = &rwMap{m: make(map[uint64]uint64)}
		for i, in := range r.initial {
			obsRW.m[r.initKeys[i]] = in.Elem
		}
	} else {
		m := new(sync.Map)
		for i, in := range r.initial {
			m.Store(r.initKeys[i], in.Elem)
		}
		if r.inRead {
			m.Range(func(_, _ interface{}) bool { return true }) // promotes dirty into read.m
		}
		obsSync = m
	}
	atomic.StoreUint64(&ticket.v, 0)
}

func (r *syncRunner) run(g int) {
	cs := r.calls[g]
	if r.rw {
		m := obsRW
		for i := range cs {
			c := &cs[i]
			c.inv = tick()
			switch c.op {
			case sLoad:
				m.mu.RLock()
				c.rv, c.rok = m.m[c.key]
				m.mu.RUnlock()
			case sStore:
				m.mu.Lock()
				m.m[c.key] = c.val
				m.mu.Unlock()
			case sLoadOrStore:
				m.mu.Lock()
				if v, ok := m.m[c.key]; ok {
					c.rv, c.rok = v, true
				} else {
					m.m[c.key] = c.val
					c.rv, c.rok = c.val, false
				}
				m.mu.Unlock()
			case sLoadAndDelete:
				m.mu.Lock()
				c.rv, c.rok = m.m[c.key]
				delete(m.m, c.key)
				m.mu.Unlock()
			case sDelete:
				m.mu.Lock()
				delete(m.m, c.key)
				m.mu.Unlock()
			case sRange:
				m.mu.RLock()
				for k, v := range m.m {
					c.yields = append(c.yields, kv{k, v})
				}
				m.mu.RUnlock()
			}
			c.ret = tick()
		}
		return
	}
	m := obsSync
	for i := range cs {
		c := &cs[i]
		c.inv = tick()
		switch c.op {
		case sLoad:
			v, ok := m.Load(c.key)
			c.rok = ok
			if ok {
				c.rv = v.(uint64)
			}
		case sStore:
			m.Store(c.key, c.val)
		case sLoadOrStore:
			v, loaded := m.LoadOrStore(c.key, c.val)
			c.rv, c.rok = v.(uint64), loaded
		case sLoadAndDelete:
			v, ok := m.LoadAndDelete(c.key)
			c.rok = ok
			if ok {
				c.rv = v.(uint64)
			}
		case sDelete:
			m.Delete(c.key)
		case sRange:
			m.Range(func(k, v interface{}) bool {
				c.yields = append(c.yields, kv{k.(uint64), v.(uint64)})
				return true
			})
		}
		c.ret = tick()
	}
}

// rank maps a ticket to its rank among the trial's tickets (0-based).
func (r *syncRunner) rank(t uint64) int {
	return sort.Search(len(r.tickets), func(i int) bool { return r.tickets[i] >= t })
}

func appendKeyNum(b []byte, n uint64) []byte {
	b = append(b, `"k`...)
	b = strconv.AppendUint(b, n, 10)
	return append(b, '"')
}

func (r *syncRunner) outcome(b []byte) ([]byte, string) {
	r.tickets = r.tickets[:0]
	for _, cs := range r.calls {
		for i := range cs {
			r.tickets = append(r.tickets, cs[i].inv, cs[i].ret)
		}
	}
	sort.Slice(r.tickets, func(i, j int) bool { return r.tickets[i] < r.tickets[j] })
	class := r.lin.classify(r)
	b = append(b, `{"class":"`...)
	b = append(b, class...)
	b = append(b, `","history":[`...)
	first := true
	for g, cs := range r.calls {
		for i := range cs {
			c := &cs[i]
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, `{"g":`...)
			b = strconv.AppendInt(b, int64(g), 10)
			b = append(b, `,"op":"`...)
			b = append(b, syncOpName[c.op]...)
			b = append(b, '"')
			if c.op != sRange {
				b = append(b, `,"key":`...)
				b = appendKeyNum(b, c.key)
			}
			if c.op == sStore || c.op == sLoadOrStore {
				b = append(b, `,"value":`...)
				b = strconv.AppendUint(b, c.val, 10)
			}
			b = append(b, `,"inv":`...)
			b = strconv.AppendInt(b, int64(r.rank(c.inv)), 10)
			b = append(b, `,"ret":`...)
			b = strconv.AppendInt(b, int64(r.rank(c.ret)), 10)
			switch c.op {
			case sLoad, sLoadAndDelete:
				b = append(b, `,"ok":`...)
				b = strconv.AppendBool(b, c.rok)
				if c.rok {
					b = append(b, `,"result":`...)
					b = strconv.AppendUint(b, c.rv, 10)
				}
			case sLoadOrStore:
				b = append(b, `,"actual":`...)
				b = strconv.AppendUint(b, c.rv, 10)
				b = append(b, `,"loaded":`...)
				b = strconv.AppendBool(b, c.rok)
			case sRange:
				b = append(b, `,"yields":[`...)
				for y, kv := range c.yields {
					if y > 0 {
						b = append(b, ',')
					}
					b = append(b, '[')
					b = appendKeyNum(b, kv.key)
					b = append(b, ',')
					b = strconv.AppendUint(b, kv.elem, 10)
					b = append(b, ']')
				}
				b = append(b, ']')
			}
			b = append(b, '}')
		}
	}
	return append(b, "]}"...), class
}

func (r *syncRunner) detail(b []byte) []byte { return append(b, "{}"...) }
