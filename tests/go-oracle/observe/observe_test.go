package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gomap/go-oracle/hmapview"
)

// The test binary doubles as the worker the supervisor re-executes.
func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) == "1" {
		workerMain(os.Args[1:])
		return
	}
	if err := hmapview.CheckLayouts(); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

type outLine struct {
	Kind       string          `json:"kind"`
	Count      int64           `json:"count"`
	FirstTrial int64           `json:"first_trial"`
	Outcome    json.RawMessage `json:"outcome"`
	Trials     int64           `json:"trials"`
	Completed  int64           `json:"completed"`
	Throws     int64           `json:"throws"`
	Classes    map[string]int64
}

type mapOutcome struct {
	Class      string              `json:"class"`
	Throw      string              `json:"throw"`
	Count      int                 `json:"count"`
	Len        int                 `json:"len"`
	Entries    [][2]interface{}    `json:"entries"`
	OldEntries [][2]interface{}    `json:"old_entries"`
	Results    [][]json.RawMessage `json:"results"`
}

type histOutcome struct {
	Class   string `json:"class"`
	History []struct {
		G      int              `json:"g"`
		Op     string           `json:"op"`
		Inv    int              `json:"inv"`
		Ret    int              `json:"ret"`
		Yields [][2]interface{} `json:"yields"`
	} `json:"history"`
}

// observeRun runs the supervisor on a scenario and returns its parsed lines.
func observeRun(t *testing.T, scenario string, extra ...string) (outcomes []outLine, sum outLine) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scenario.json")
	if err := os.WriteFile(path, []byte(scenario), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := parseFlags(append([]string{"-scenario", path, "-seed", "7"}, extra...))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(c, &out); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	n := 0
	for sc.Scan() {
		var l outLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d: %v: %s", n+1, err, sc.Bytes())
		}
		switch {
		case n == 0 && l.Kind != "header":
			t.Fatalf("first line is not the header: %s", sc.Bytes())
		case l.Kind == "outcome":
			outcomes = append(outcomes, l)
		case l.Kind == "summary":
			sum = l
		case l.Kind != "header" && l.Kind != "trial":
			t.Fatalf("line %d: kind %q", n+1, l.Kind)
		}
		n++
	}
	var total int64
	for _, o := range outcomes {
		total += o.Count
	}
	if sum.Kind != "summary" || total != sum.Trials {
		t.Fatalf("summary %+v, outcome counts add up to %d", sum, total)
	}
	return outcomes, sum
}

func TestSingleGoroutineIsClean(t *testing.T) {
	outcomes, sum := observeRun(t, `{"kind":"map","initial_count":7,"initial":[["k3",30]],
		"goroutines":[[{"op":"assign","key":"k1","elem":11},{"op":"access","key":"k1"},{"op":"delete","key":"f2"},
		{"op":"access","key":"k2"},{"op":"assign","key":"k2","elem":12},{"op":"range"}]],
		"key_pattern":{"hash_bits":1,"low":{"k1":1,"k2":0}}}`, "-trials", "500")
	if sum.Trials != 500 || sum.Throws != 0 || sum.Classes["clean"] != 500 {
		t.Fatalf("summary %+v", sum)
	}
	for _, o := range outcomes {
		var m mapOutcome
		var low struct {
			Low map[string]int `json:"low"`
		}
		if err := json.Unmarshal(o.Outcome, &m); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(o.Outcome, &low); err != nil {
			t.Fatal(err)
		}
		if m.Count != 9 || m.Len != 9 || len(m.Entries)+len(m.OldEntries) != 9 {
			t.Fatalf("outcome %s", o.Outcome)
		}
		if string(m.Results[0][1]) != "[11,true]" || string(m.Results[0][3]) != "[0,false]" || string(m.Results[0][0]) != "null" {
			t.Fatalf("results %s", o.Outcome)
		}
		var ys [][2]interface{}
		if err := json.Unmarshal(m.Results[0][5], &ys); err != nil || len(ys) != 9 {
			t.Fatalf("range results %s", m.Results[0][5])
		}
		if low.Low["k1"] != 1 || low.Low["k2"] != 0 {
			t.Fatalf("key pattern not honoured: %s", o.Outcome)
		}
	}
}

func TestSyncKindsHistories(t *testing.T) {
	for _, kind := range []string{"syncmap", "rwmutex"} {
		outcomes, sum := observeRun(t, `{"kind":"`+kind+`","initial":[["k1",1],["k2",1]],
			"generate":{"goroutines":3,"ops_per_goroutine":3,"keys":2,"values":3,
			"ops":["load","store","load_or_store","load_and_delete","delete","range"]}}`, "-trials", "3000")
		if sum.Trials != 3000 || sum.Throws != 0 {
			t.Fatalf("%s: summary %+v", kind, sum)
		}
		for _, o := range outcomes {
			var h histOutcome
			if err := json.Unmarshal(o.Outcome, &h); err != nil {
				t.Fatal(err)
			}
			ok := h.Class == "clean" || (kind == "syncmap" && h.Class == "range_not_snapshot")
			if !ok || len(h.History) != 9 {
				t.Fatalf("%s: outcome %s", kind, o.Outcome)
			}
			seen := map[int]bool{}
			for _, c := range h.History {
				if c.Inv >= c.Ret || seen[c.Inv] || seen[c.Ret] || c.Ret >= 18 {
					t.Fatalf("%s: tickets are not ranks 0..17: %s", kind, o.Outcome)
				}
				seen[c.Inv], seen[c.Ret] = true, true
			}
		}
	}
}

func TestThrowIsRecordedAndWorkerRestarted(t *testing.T) {
	t.Setenv(testThrowEnv, "40")
	outcomes, sum := observeRun(t, `{"kind":"map","initial_count":1,
		"goroutines":[[{"op":"assign","key":"k1","elem":1}]]}`, "-trials", "100")
	if sum.Trials != 100 || sum.Throws != 1 || sum.Completed != 99 || sum.Classes["throw:concurrent map writes"] != 1 {
		t.Fatalf("summary %+v", sum)
	}
	for _, o := range outcomes {
		var m mapOutcome
		_ = json.Unmarshal(o.Outcome, &m)
		if m.Throw != "" && (o.FirstTrial != 40 || m.Throw != "concurrent map writes") {
			t.Fatalf("throw outcome %+v %s", o, o.Outcome)
		}
	}
}

func TestThrowMessage(t *testing.T) {
	for in, want := range map[string]string{
		"fatal error: concurrent map writes\n\ngoroutine 1 [running]:\n":                               "concurrent map writes",
		"unexpected fault address 0x0\nfatal error: fault\n[signal SIGSEGV: segmentation violation]\n": "fault",
		"panic: runtime error: index out of range\n":                                                   "panic: runtime error: index out of range",
		"": "",
	} {
		if got := throwMessage([]byte(in)); got != want {
			t.Errorf("throwMessage(%q) = %q, want %q", in, got, want)
		}
	}
}

// corruptTrial runs one trial of the scenario in this process, with the
// goroutines one after the other, applies corrupt and returns the class.
func corruptTrial(t *testing.T, scenario string, corrupt func(r *mapRunner, h *hmapview.Hmap)) string {
	t.Helper()
	sc, err := ParseScenario([]byte(scenario))
	if err != nil {
		t.Fatal(err)
	}
	r := newMapRunner(sc, rand.New(rand.NewSource(1)))
	r.prepare()
	for g := range r.progs {
		r.run(g)
	}
	corrupt(r, hmapview.Of(&obsMap))
	out, class := r.outcome(nil)
	var m mapOutcome
	if err := json.Unmarshal(out, &m); err != nil || m.Class != class {
		t.Fatalf("outcome %s: %v", out, err)
	}
	return class
}

// slotOf finds the live slot holding key k in h.buckets.
func slotOf(h *hmapview.Hmap, k uint64) (*hmapview.Bmap, int) {
	for i := 0; i < 1<<h.B; i++ {
		for b := hmapview.BucketAt(h.Buckets, i); b != nil; b = b.Overflow {
			for s := 0; s < hmapview.BucketCnt; s++ {
				if b.Tophash[s] >= hmapview.MinTopHash && b.Keys[s] == k {
					return b, s
				}
			}
		}
	}
	return nil, 0
}

func TestClassifyCorruptedMaps(t *testing.T) {
	const sc = `{"kind":"map","initial_count":3,"goroutines":[[{"op":"assign","key":"k1","elem":5},
		{"op":"access","key":"k1"}],[{"op":"assign","key":"k2","elem":6},{"op":"range"}]]}`
	k := func(r *mapRunner, name string) uint64 {
		for i, n := range r.names {
			if n == name {
				return r.keys[i]
			}
		}
		t.Fatalf("no key %s", name)
		return 0
	}
	for _, tc := range []struct {
		name    string
		corrupt func(r *mapRunner, h *hmapview.Hmap)
		want    string
	}{
		{"untouched", func(*mapRunner, *hmapview.Hmap) {}, "clean"},
		{"lost k1, count kept", func(r *mapRunner, h *hmapview.Hmap) {
			b, s := slotOf(h, k(r, "k1"))
			b.Tophash[s] = hmapview.EmptyOne
		}, "lost_insert+wrong_count"},
		{"lost k1, count decremented (silent lost insert)", func(r *mapRunner, h *hmapview.Hmap) {
			b, s := slotOf(h, k(r, "k1"))
			b.Tophash[s] = hmapview.EmptyOne
			h.Count--
		}, "lost_insert"},
		{"count one high", func(r *mapRunner, h *hmapview.Hmap) { h.Count++ }, "wrong_count"},
		{"k2 twice", func(r *mapRunner, h *hmapview.Hmap) {
			b, s := slotOf(h, k(r, "k2"))
			d := hmapview.BucketAt(h.Buckets, 0)
			for e := 0; e < hmapview.BucketCnt; e++ {
				if d.Tophash[e] < hmapview.MinTopHash {
					d.Tophash[e], d.Keys[e], d.Elems[e] = b.Tophash[s], b.Keys[s], b.Elems[s]
					h.Count++
					return
				}
			}
			t.Fatal("no free slot")
		}, "duplicate_key"},
		{"k1 holds k2's elem", func(r *mapRunner, h *hmapview.Hmap) {
			b, s := slotOf(h, k(r, "k1"))
			b.Elems[s] = 6
		}, "wrong_elem"},
		{"k1 replaced by an unknown key", func(r *mapRunner, h *hmapview.Hmap) {
			b, s := slotOf(h, k(r, "k1"))
			b.Keys[s] = 12345
		}, "lost_insert+foreign_entry"},
		{"access saw elem 0", func(r *mapRunner, h *hmapview.Hmap) {
			r.res[0][1].elem = 0
		}, "torn_read"},
		{"range saw a wrong elem", func(r *mapRunner, h *hmapview.Hmap) {
			r.res[1][1].yields[0].elem = 99
		}, "torn_read"},
		{"hashWriting left set", func(r *mapRunner, h *hmapview.Hmap) {
			h.Flags |= hmapview.FlagHashWriting
		}, "writing_flag_stuck"},
	} {
		if got := corruptTrial(t, sc, tc.corrupt); got != tc.want {
			t.Errorf("%s: class %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestLinearizabilityClasses(t *testing.T) {
	r := &syncRunner{initial: []Initial{{"k1", 1}, {"k2", 1}}, initKeys: []uint64{1, 2}, keyNums: []uint64{1, 2}}
	rng := func(inv, ret uint64, ys ...kv) scall { return scall{op: sRange, inv: inv, ret: ret, yields: ys} }
	store := func(k, v, inv, ret uint64) scall { return scall{op: sStore, key: k, val: v, inv: inv, ret: ret} }
	load := func(k, v uint64, ok bool, inv, ret uint64) scall {
		return scall{op: sLoad, key: k, rv: v, rok: ok, inv: inv, ret: ret}
	}
	for _, tc := range []struct {
		name  string
		calls [][]scall
		want  string
	}{
		{"range sees k2's later store but not k1's earlier one",
			[][]scall{{rng(1, 6, kv{1, 1}, kv{2, 2})}, {store(1, 2, 2, 3), store(2, 2, 4, 5)}}, "range_not_snapshot"},
		{"range sees both stores",
			[][]scall{{rng(1, 6, kv{2, 2}, kv{1, 2})}, {store(1, 2, 2, 3), store(2, 2, 4, 5)}}, "clean"},
		{"range sees only the earlier store",
			[][]scall{{rng(1, 6, kv{1, 2}, kv{2, 1})}, {store(1, 2, 2, 3), store(2, 2, 4, 5)}}, "clean"},
		{"range after the stores sees an old value",
			[][]scall{{store(1, 2, 1, 2), store(2, 2, 3, 4)}, {rng(5, 6, kv{1, 1}, kv{2, 2})}}, "not_linearizable"},
		{"load of a value never stored",
			[][]scall{{load(1, 7, true, 1, 2)}}, "not_linearizable"},
		{"load misses a present key",
			[][]scall{{load(2, 0, false, 1, 2)}}, "not_linearizable"},
		{"load overlapping a store sees either",
			[][]scall{{load(1, 2, true, 1, 4)}, {store(1, 2, 2, 3)}}, "clean"},
	} {
		r.calls = tc.calls
		if got := r.lin.classify(r); got != tc.want {
			t.Errorf("%s: class %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestScenarioErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{"kind":"hashmap","goroutines":[[{"op":"range"}]]}`:                  "kind",
		`{"kind":"map","goroutines":[[{"op":"assign","key":"k1"}]]}`:          "elem is required",
		`{"kind":"map","goroutines":[[{"op":"store","key":"k1","value":1}]]}`: "not a map op",
		`{"kind":"map","goroutines":[[{"op":"access","key":"x1"}]]}`:          "not k1..k255",
		`{"kind":"map","goroutines":[[{"op":"range"}]],"extra":1}`:            "unknown field",
		`{"kind":"map"}`: "exactly one of",
		`{"kind":"syncmap","initial_count":3,"goroutines":[[{"op":"range"}]]}`:          "only for kind map",
		`{"kind":"map","goroutines":[[{"op":"range"}]],"key_pattern":{"low":{"k9":0}}}`: "not a key",
		`{"kind":"map","initial":[["k1"]],"goroutines":[[{"op":"range"}]]}`:             "initial entry",
	} {
		_, err := ParseScenario([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", in, err, want)
		}
	}
}
