package main

// Brute-force linearizability of small recorded histories (the Rust side
// re-checks with stateright's LinearizabilityTester; this is for the counts).
//
// A history is checked twice against a sequential map whose initial content
// is the scenario's initial entries:
//   - whole: every call, a Range an atomic read of the whole map (it must
//     yield exactly the map's content at its linearization point);
//   - per key (locality): for each key, the calls on that key plus every
//     Range restricted to that key (a read of the key: its yield, or absent).
//     This is what Go promises for Range.
// Real-time order: call a precedes call b iff a.ret < b.inv (tickets).
// class: "clean" (whole holds), "range_not_snapshot" (per key holds, whole
// fails), "not_linearizable" (per key fails), "unchecked" (> 32 calls).

const absent = ^uint64(0)

type linChecker struct {
	calls []*scall
	keys  []uint64 // key numbers, ascending; state index = position
	only  int      // -1: whole map; else the state index of the key checked
	memo  map[string]bool
	st    []uint64
	buf   []byte
}

func (l *linChecker) keyIdx(n uint64) int {
	for i, k := range l.keys {
		if k == n {
			return i
		}
	}
	return -1
}

func (l *linChecker) classify(r *syncRunner) string {
	l.keys = r.keyNums
	l.calls = l.calls[:0]
	for _, cs := range r.calls {
		for i := range cs {
			l.calls = append(l.calls, &cs[i])
		}
	}
	if len(l.calls) > 32 {
		return "unchecked"
	}
	init := make([]uint64, len(l.keys))
	for i := range init {
		init[i] = absent
	}
	for i, in := range r.initial {
		init[l.keyIdx(r.initKeys[i])] = in.Elem
	}
	all := l.calls
	perKey := true
	for k := range l.keys {
		var sub []*scall
		for _, c := range all {
			if c.op == sRange || l.keyIdx(c.key) == k {
				sub = append(sub, c)
			}
		}
		l.calls, l.only = sub, k
		if !l.check(init) {
			perKey = false
			break
		}
	}
	l.calls, l.only = all, -1
	switch {
	case !perKey:
		return "not_linearizable"
	case l.check(init):
		return "clean"
	default:
		return "range_not_snapshot"
	}
}

func (l *linChecker) check(init []uint64) bool {
	l.memo = map[string]bool{}
	st := append([]uint64(nil), init...)
	return l.dfs(0, st)
}

func (l *linChecker) dfs(done uint32, st []uint64) bool {
	n := len(l.calls)
	if done == uint32(1)<<uint(n)-1 {
		return true
	}
	l.buf = l.buf[:0]
	l.buf = append(l.buf, byte(done), byte(done>>8), byte(done>>16), byte(done>>24))
	for _, v := range st {
		for s := 0; s < 64; s += 8 {
			l.buf = append(l.buf, byte(v>>uint(s)))
		}
	}
	if l.memo[string(l.buf)] {
		return false
	}
	key := string(l.buf)
	minRet := ^uint64(0)
	for i, c := range l.calls {
		if done&(1<<uint(i)) == 0 && c.ret < minRet {
			minRet = c.ret
		}
	}
	next := make([]uint64, len(st))
	for i, c := range l.calls {
		if done&(1<<uint(i)) != 0 || c.inv > minRet {
			continue
		}
		copy(next, st)
		if l.apply(c, next) && l.dfs(done|1<<uint(i), next) {
			return true
		}
	}
	l.memo[key] = true
	return false
}

// apply performs c on st (the sequential spec) and reports whether c's
// recorded result is the one the spec gives.
func (l *linChecker) apply(c *scall, st []uint64) bool {
	if c.op == sRange {
		if l.only >= 0 {
			var got uint64 = absent
			for _, y := range c.yields {
				if l.keyIdx(y.key) == l.only {
					if got != absent {
						return false
					}
					got = y.elem
				}
			}
			return got == st[l.only]
		}
		present := 0
		for _, v := range st {
			if v != absent {
				present++
			}
		}
		if len(c.yields) != present {
			return false
		}
		for i, y := range c.yields {
			k := l.keyIdx(y.key)
			if k < 0 || st[k] != y.elem {
				return false
			}
			for _, z := range c.yields[:i] {
				if z.key == y.key {
					return false
				}
			}
		}
		return true
	}
	k := l.keyIdx(c.key)
	cur := st[k]
	switch c.op {
	case sLoad:
		return c.rok == (cur != absent) && (!c.rok || c.rv == cur)
	case sStore:
		st[k] = c.val
	case sLoadOrStore:
		if cur != absent {
			return c.rok && c.rv == cur
		}
		st[k] = c.val
		return !c.rok && c.rv == c.val
	case sLoadAndDelete:
		st[k] = absent
		return c.rok == (cur != absent) && (!c.rok || c.rv == cur)
	case sDelete:
		st[k] = absent
	}
	return true
}
