package main

// kind "map": goroutines racing on one plain map[uint64]uint64.

import (
	"fmt"
	"math/rand"
	"sort"
	"strconv"

	"gomap/go-oracle/hmapview"
)

// obsMap is the map of the current trial; a global so that it is heap
// allocated like any shared map.
var obsMap map[uint64]uint64

const (
	opAssign = iota
	opDelete
	opAccess
	opRange
)

var mapOpKind = map[string]uint8{"assign": opAssign, "delete": opDelete, "access": opAccess, "range": opRange}

type mop struct {
	kind uint8
	idx  int // key index into names
	elem uint64
}

type kv struct{ key, elem uint64 }

type mres struct {
	elem   uint64
	ok     bool
	yields []kv
}

type mapRunner struct {
	names    []string // symbolic keys: f1..fN, then kN
	initial  []mop    // assigns done before the release
	progs    [][]mop
	possible [][]uint64 // per key: every elem it is ever given
	deleted  []bool     // per key: some goroutine deletes it
	pattern  *KeyPattern
	hashBits int
	low      []int64 // per key: required low hash bits, -1 = free
	group    []int   // per key: tophash group (-1 = none)

	rng   *rand.Rand
	keys  []uint64 // concrete keys of the trial
	hash0 uint32
	res   [][]mres
	slots []hmapview.Slot
}

func newMapRunner(sc *Scenario, rng *rand.Rand) *mapRunner {
	r := &mapRunner{names: sc.mapKeyNames(), rng: rng, pattern: sc.KeyPattern}
	index := map[string]int{}
	for i, n := range r.names {
		index[n] = i
	}
	nk := len(r.names)
	r.possible = make([][]uint64, nk)
	r.deleted = make([]bool, nk)
	r.keys = make([]uint64, nk)
	r.low = make([]int64, nk)
	r.group = make([]int, nk)
	for i := range r.low {
		r.low[i], r.group[i] = -1, -1
	}
	for i := 0; i < sc.InitialCount; i++ {
		r.initial = append(r.initial, mop{kind: opAssign, idx: i, elem: uint64(i + 1)})
	}
	for _, in := range sc.Initial {
		r.initial = append(r.initial, mop{kind: opAssign, idx: index[in.Key], elem: in.Elem})
	}
	for _, in := range r.initial {
		r.possible[in.idx] = append(r.possible[in.idx], in.elem)
	}
	for _, prog := range sc.Goroutines {
		var p []mop
		for _, op := range prog {
			m := mop{kind: mapOpKind[op.Op]}
			if op.Key != "" {
				m.idx = index[op.Key]
			}
			switch m.kind {
			case opAssign:
				m.elem = *op.Elem
				r.possible[m.idx] = append(r.possible[m.idx], m.elem)
			case opDelete:
				r.deleted[m.idx] = true
			}
			p = append(p, m)
		}
		r.progs = append(r.progs, p)
		res := make([]mres, len(p))
		for i := range res {
			res[i].yields = make([]kv, 0, 2*nk)
		}
		r.res = append(r.res, res)
	}
	if p := sc.KeyPattern; p != nil {
		r.hashBits = p.HashBits
		for n, v := range p.Low {
			r.low[index[n]] = int64(v)
		}
		for gi, grp := range p.TophashEqual {
			for _, n := range grp {
				r.group[index[n]] = gi
			}
		}
	}
	return r
}

func (r *mapRunner) goroutines() int { return len(r.progs) }

// chooseKeys picks distinct random keys under hash0 that fit the key pattern:
// required low hash bits, and (with a pattern) tophash equal exactly within
// the tophash_equal groups.
func (r *mapRunner) chooseKeys() {
	mask := uint64(1)<<uint(r.hashBits) - 1
	for i := range r.keys {
		for try := 0; ; try++ {
			if try > 1<<24 {
				panic(fmt.Sprintf("observe-worker: no key fits the pattern for %s", r.names[i]))
			}
			k := r.rng.Uint64()
			if r.fits(i, k, mask) {
				r.keys[i] = k
				break
			}
		}
	}
}

func (r *mapRunner) fits(i int, k uint64, mask uint64) bool {
	h := hmapview.HashKey(k, r.hash0)
	if r.low[i] >= 0 && h&mask != uint64(r.low[i]) {
		return false
	}
	top := hmapview.TopHash(h)
	for j := 0; j < i; j++ {
		if r.keys[j] == k {
			return false
		}
		if r.pattern == nil {
			continue
		}
		same := hmapview.TopHash(hmapview.HashKey(r.keys[j], r.hash0)) == top
		want := r.group[i] >= 0 && r.group[i] == r.group[j]
		if same != want {
			return false
		}
	}
	return true
}

func (r *mapRunner) prepare() {
	obsMap = make(map[uint64]uint64)
	r.hash0 = hmapview.Of(&obsMap).Hash0
	r.chooseKeys()
	m := obsMap
	for _, in := range r.initial {
		m[r.keys[in.idx]] = in.elem
	}
}

func (r *mapRunner) run(g int) {
	m := obsMap
	res := r.res[g]
	for i, op := range r.progs[g] {
		switch op.kind {
		case opAssign:
			m[r.keys[op.idx]] = op.elem
		case opDelete:
			delete(m, r.keys[op.idx])
		case opAccess:
			res[i].elem, res[i].ok = m[r.keys[op.idx]]
		case opRange:
			ys := res[i].yields[:0]
			for k, v := range m {
				ys = append(ys, kv{k, v})
			}
			res[i].yields = ys
		}
	}
}

// keyIndex returns the symbolic index of a concrete key, -1 if unknown.
func (r *mapRunner) keyIndex(k uint64) int {
	for i, c := range r.keys {
		if c == k {
			return i
		}
	}
	return -1
}

func (r *mapRunner) appendKey(b []byte, k uint64) []byte {
	if i := r.keyIndex(k); i >= 0 {
		b = append(b, '"')
		b = append(b, r.names[i]...)
		return append(b, '"')
	}
	b = append(b, `"?`...)
	b = strconv.AppendUint(b, k, 10)
	return append(b, '"')
}

func (r *mapRunner) possibleElem(i int, e uint64) bool {
	for _, p := range r.possible[i] {
		if p == e {
			return true
		}
	}
	return false
}

// Class names, in the order they are joined (docs/observe-format.md).
var mapClassOrder = []string{"lost_insert", "duplicate_key", "wrong_count", "wrong_elem", "foreign_entry", "torn_read", "writing_flag_stuck"}

// classify derives the map classes of a finished trial from what was read.
func (r *mapRunner) classify(h *hmapview.Hmap, slots []hmapview.Slot, chainOK bool) string {
	found := map[string]bool{}
	seen := make([]int, len(r.names))
	for _, s := range slots {
		i := r.keyIndex(s.Key)
		if i < 0 {
			found["foreign_entry"] = true
			continue
		}
		seen[i]++
		if !r.possibleElem(i, s.Elem) {
			found["wrong_elem"] = true
		}
	}
	for i, n := range seen {
		if n > 1 {
			found["duplicate_key"] = true
		}
		if n == 0 && len(r.possible[i]) > 0 && !r.deleted[i] {
			found["lost_insert"] = true
		}
	}
	if h.Count != len(slots) || !chainOK {
		found["wrong_count"] = true
	}
	if h.Flags&hmapview.FlagHashWriting != 0 {
		found["writing_flag_stuck"] = true
	}
	for g, prog := range r.progs {
		for j, op := range prog {
			res := &r.res[g][j]
			switch op.kind {
			case opAccess:
				if res.ok && !r.possibleElem(op.idx, res.elem) {
					found["torn_read"] = true
				}
			case opRange:
				for _, y := range res.yields {
					if i := r.keyIndex(y.key); i < 0 || !r.possibleElem(i, y.elem) {
						found["torn_read"] = true
					}
				}
			}
		}
	}
	class := ""
	for _, c := range mapClassOrder {
		if found[c] {
			if class != "" {
				class += "+"
			}
			class += c
		}
	}
	if class == "" {
		class = "clean"
	}
	return class
}

func (r *mapRunner) appendEntries(b []byte, slots []hmapview.Slot, old bool) []byte {
	type ent struct {
		idx  int
		key  uint64
		elem uint64
	}
	var es []ent
	for _, s := range slots {
		if s.Old == old {
			es = append(es, ent{r.keyIndex(s.Key), s.Key, s.Elem})
		}
	}
	sort.Slice(es, func(a, c int) bool {
		if es[a].idx != es[c].idx {
			return uint(es[a].idx) < uint(es[c].idx) // unknown keys (-1) last
		}
		if es[a].key != es[c].key {
			return es[a].key < es[c].key
		}
		return es[a].elem < es[c].elem
	})
	b = append(b, '[')
	for i, e := range es {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = r.appendKey(b, e.key)
		b = append(b, ',')
		b = strconv.AppendUint(b, e.elem, 10)
		b = append(b, ']')
	}
	return append(b, ']')
}

func (r *mapRunner) outcome(b []byte) ([]byte, string) {
	h := hmapview.Of(&obsMap)
	var ok bool
	r.slots, ok = hmapview.Scan(h, r.slots[:0])
	class := r.classify(h, r.slots, ok)
	b = append(b, `{"class":"`...)
	b = append(b, class...)
	b = append(b, `","count":`...)
	b = strconv.AppendInt(b, int64(h.Count), 10)
	b = append(b, `,"len":`...)
	b = strconv.AppendInt(b, int64(len(obsMap)), 10)
	b = append(b, `,"B":`...)
	b = strconv.AppendUint(b, uint64(h.B), 10)
	b = append(b, `,"flags":`...)
	b = strconv.AppendUint(b, uint64(h.Flags), 10)
	b = append(b, `,"growing":`...)
	b = strconv.AppendBool(b, h.Oldbuckets != nil)
	b = append(b, `,"entries":`...)
	b = r.appendEntries(b, r.slots, false)
	b = append(b, `,"old_entries":`...)
	b = r.appendEntries(b, r.slots, true)
	b = append(b, `,"results":[`...)
	for g, prog := range r.progs {
		if g > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, op := range prog {
			if j > 0 {
				b = append(b, ',')
			}
			res := &r.res[g][j]
			switch op.kind {
			case opAssign, opDelete:
				b = append(b, "null"...)
			case opAccess:
				b = append(b, '[')
				b = strconv.AppendUint(b, res.elem, 10)
				b = append(b, ',')
				b = strconv.AppendBool(b, res.ok)
				b = append(b, ']')
			case opRange:
				b = append(b, '[')
				for y, kv := range res.yields {
					if y > 0 {
						b = append(b, ',')
					}
					b = append(b, '[')
					b = r.appendKey(b, kv.key)
					b = append(b, ',')
					b = strconv.AppendUint(b, kv.elem, 10)
					b = append(b, ']')
				}
				b = append(b, ']')
			}
		}
		b = append(b, ']')
	}
	b = append(b, ']')
	if r.hashBits > 0 {
		b = append(b, `,"low":{`...)
		mask := uint64(1)<<uint(r.hashBits) - 1
		for i, k := range r.keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, r.names[i]...)
			b = append(b, `":`...)
			b = strconv.AppendUint(b, hmapview.HashKey(k, r.hash0)&mask, 10)
		}
		b = append(b, '}')
	}
	b = append(b, `,"tophash_equal":`...)
	b = r.appendTophashGroups(b)
	return append(b, '}'), class
}

// appendTophashGroups lists the groups (2 or more keys) of equal tophash
// under this trial's hash0, each in key order, by first key.
func (r *mapRunner) appendTophashGroups(b []byte) []byte {
	b = append(b, '[')
	used := make([]bool, len(r.keys))
	first := true
	for i := range r.keys {
		if used[i] {
			continue
		}
		ti := hmapview.TopHash(hmapview.HashKey(r.keys[i], r.hash0))
		var grp []int
		for j := i + 1; j < len(r.keys); j++ {
			if !used[j] && hmapview.TopHash(hmapview.HashKey(r.keys[j], r.hash0)) == ti {
				grp = append(grp, j)
			}
		}
		if len(grp) == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '[', '"')
		b = append(b, r.names[i]...)
		b = append(b, '"')
		for _, j := range grp {
			used[j] = true
			b = append(b, ',', '"')
			b = append(b, r.names[j]...)
			b = append(b, '"')
		}
		b = append(b, ']')
	}
	return append(b, ']')
}

func (r *mapRunner) detail(b []byte) []byte {
	b = append(b, `{"hash0":`...)
	b = strconv.AppendUint(b, uint64(r.hash0), 10)
	b = append(b, `,"keys":{`...)
	for i, k := range r.keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, r.names[i]...)
		b = append(b, `":{"key":`...)
		b = strconv.AppendUint(b, k, 10)
		h := hmapview.HashKey(k, r.hash0)
		b = append(b, `,"hash":`...)
		b = strconv.AppendUint(b, h, 10)
		b = append(b, `,"tophash":`...)
		b = strconv.AppendUint(b, uint64(hmapview.TopHash(h)), 10)
		b = append(b, '}')
	}
	return append(b, "}}"...)
}
