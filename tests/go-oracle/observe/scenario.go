package main

// Scenario files (docs/observe-format.md): what the goroutines of every trial do.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Scenario is one scenario file.
type Scenario struct {
	Kind         string      `json:"kind"`
	Initial      []Initial   `json:"initial,omitempty"`
	InitialCount int         `json:"initial_count,omitempty"`
	Goroutines   [][]Op      `json:"goroutines,omitempty"`
	Generate     *Generate   `json:"generate,omitempty"`
	KeyPattern   *KeyPattern `json:"key_pattern,omitempty"`
	// InitialInRead (syncmap only, default true): after storing the initial
	// entries, one Range promotes them from dirty into read.m.
	InitialInRead *bool `json:"initial_in_read,omitempty"`
}

// Initial is one initial entry, written [key, elem].
type Initial struct {
	Key  string
	Elem uint64
}

func (in *Initial) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || len(raw) != 2 {
		return fmt.Errorf("an initial entry is [\"kN\", elem], got %s", b)
	}
	if err := json.Unmarshal(raw[0], &in.Key); err != nil {
		return fmt.Errorf("initial entry key: %v", err)
	}
	if err := json.Unmarshal(raw[1], &in.Elem); err != nil {
		return fmt.Errorf("initial entry elem: %v", err)
	}
	return nil
}

func (in Initial) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf("[%q,%d]", in.Key, in.Elem)), nil
}

// Op is one operation of a goroutine's program.
type Op struct {
	Op    string  `json:"op"`
	Key   string  `json:"key,omitempty"`
	Elem  *uint64 `json:"elem,omitempty"`  // map: assign
	Value *uint64 `json:"value,omitempty"` // syncmap/rwmutex: store, load_or_store
}

// Generate asks for a fresh random program per trial (syncmap/rwmutex).
type Generate struct {
	Goroutines      int      `json:"goroutines"`
	OpsPerGoroutine int      `json:"ops_per_goroutine"`
	Keys            int      `json:"keys"`
	Values          int      `json:"values"`
	Ops             []string `json:"ops"`
}

// KeyPattern constrains the concrete keys of a map trial (see the format doc).
type KeyPattern struct {
	HashBits     int               `json:"hash_bits"`
	Low          map[string]uint64 `json:"low,omitempty"`
	TophashEqual [][]string        `json:"tophash_equal,omitempty"`
}

var mapOps = map[string]bool{"assign": true, "delete": true, "access": true, "range": true}
var syncOps = map[string]bool{"load": true, "store": true, "load_or_store": true, "load_and_delete": true, "delete": true, "range": true}

// keyNum parses "kN" (N >= 1).
func keyNum(name string) (int, bool) {
	if !strings.HasPrefix(name, "k") {
		return 0, false
	}
	n, err := strconv.Atoi(name[1:])
	if err != nil || n < 1 || n > 255 || "k"+strconv.Itoa(n) != name {
		return 0, false
	}
	return n, true
}

func opNeedsKey(op string) bool { return op != "range" }

// isFiller reports whether name is one of a map scenario's filler keys
// f1..f<initial_count>.
func (sc *Scenario) isFiller(name string) bool {
	if sc.Kind != "map" || !strings.HasPrefix(name, "f") {
		return false
	}
	n, err := strconv.Atoi(name[1:])
	return err == nil && n >= 1 && n <= sc.InitialCount && "f"+strconv.Itoa(n) == name
}

// LoadScenario reads and validates a scenario file.
func LoadScenario(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sc, err := ParseScenario(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return sc, nil
}

// ParseScenario decodes and validates a scenario.
func ParseScenario(b []byte) (*Scenario, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	sc := &Scenario{}
	if err := d.Decode(sc); err != nil {
		return nil, err
	}
	return sc, sc.validate()
}

func (sc *Scenario) validate() error {
	var ops map[string]bool
	switch sc.Kind {
	case "map":
		ops = mapOps
	case "syncmap", "rwmutex":
		ops = syncOps
	default:
		return fmt.Errorf("kind: want map, syncmap or rwmutex, got %q", sc.Kind)
	}
	if sc.InitialCount < 0 || sc.InitialCount > 1000 {
		return fmt.Errorf("initial_count: want 0..1000, got %d", sc.InitialCount)
	}
	if sc.InitialCount > 0 && sc.Kind != "map" {
		return fmt.Errorf("initial_count: only for kind map (use initial)")
	}
	if sc.InitialInRead != nil && sc.Kind != "syncmap" {
		return fmt.Errorf("initial_in_read: only for kind syncmap")
	}
	seen := map[string]bool{}
	for i, in := range sc.Initial {
		if _, ok := keyNum(in.Key); !ok {
			return fmt.Errorf("initial[%d]: key %q is not k1..k255", i, in.Key)
		}
		if seen[in.Key] {
			return fmt.Errorf("initial[%d]: key %q twice", i, in.Key)
		}
		seen[in.Key] = true
	}
	if (len(sc.Goroutines) > 0) == (sc.Generate != nil) {
		return fmt.Errorf("give exactly one of goroutines and generate")
	}
	if len(sc.Goroutines) > 8 {
		return fmt.Errorf("goroutines: at most 8, got %d", len(sc.Goroutines))
	}
	for g, prog := range sc.Goroutines {
		if len(prog) > 64 {
			return fmt.Errorf("goroutines[%d]: at most 64 ops", g)
		}
		for i, op := range prog {
			where := fmt.Sprintf("goroutines[%d][%d]", g, i)
			if !ops[op.Op] {
				return fmt.Errorf("%s: op %q is not a %s op (%s)", where, op.Op, sc.Kind, strings.Join(sortedKeys(ops), ", "))
			}
			if opNeedsKey(op.Op) {
				if _, ok := keyNum(op.Key); !ok && !sc.isFiller(op.Key) {
					return fmt.Errorf("%s: key %q is not k1..k255 (or, for map, a filler f1..f<initial_count>)", where, op.Key)
				}
			} else if op.Key != "" {
				return fmt.Errorf("%s: range takes no key", where)
			}
			wantElem := op.Op == "assign"
			wantValue := op.Op == "store" || op.Op == "load_or_store"
			if wantElem != (op.Elem != nil) {
				return fmt.Errorf("%s: elem is required for assign and only for assign", where)
			}
			if wantValue != (op.Value != nil) {
				return fmt.Errorf("%s: value is required for store/load_or_store and only for them", where)
			}
		}
	}
	if g := sc.Generate; g != nil {
		if sc.Kind == "map" {
			return fmt.Errorf("generate: only for syncmap and rwmutex")
		}
		if g.Goroutines < 1 || g.Goroutines > 8 || g.OpsPerGoroutine < 1 || g.OpsPerGoroutine > 64 {
			return fmt.Errorf("generate: goroutines 1..8 and ops_per_goroutine 1..64")
		}
		if g.Keys < 1 || g.Keys > 255 || g.Values < 1 {
			return fmt.Errorf("generate: keys 1..255 and values >= 1")
		}
		if len(g.Ops) == 0 {
			return fmt.Errorf("generate: ops is empty")
		}
		for _, o := range g.Ops {
			if !syncOps[o] {
				return fmt.Errorf("generate: op %q is not a %s op (%s)", o, sc.Kind, strings.Join(sortedKeys(syncOps), ", "))
			}
		}
	}
	if p := sc.KeyPattern; p != nil {
		if sc.Kind != "map" {
			return fmt.Errorf("key_pattern: only for kind map")
		}
		if p.HashBits < 0 || p.HashBits > 16 {
			return fmt.Errorf("key_pattern.hash_bits: want 0..16, got %d", p.HashBits)
		}
		names := map[string]bool{}
		for _, n := range sc.mapKeyNames() {
			names[n] = true
		}
		for n, v := range p.Low {
			if !names[n] {
				return fmt.Errorf("key_pattern.low: %q is not a key of the scenario", n)
			}
			if v>>uint(p.HashBits) != 0 {
				return fmt.Errorf("key_pattern.low: %q = %d does not fit in %d bits", n, v, p.HashBits)
			}
		}
		inGroup := map[string]bool{}
		for _, grp := range p.TophashEqual {
			if len(grp) < 2 {
				return fmt.Errorf("key_pattern.tophash_equal: a group needs 2 or more keys")
			}
			for _, n := range grp {
				if !names[n] || inGroup[n] {
					return fmt.Errorf("key_pattern.tophash_equal: %q unknown or in two groups", n)
				}
				inGroup[n] = true
			}
		}
	}
	return nil
}

// mapKeyNames lists a map scenario's symbolic keys: fillers f1..fN first, then
// every kN of initial and of the programs, by N.
func (sc *Scenario) mapKeyNames() []string {
	var names []string
	for i := 1; i <= sc.InitialCount; i++ {
		names = append(names, "f"+strconv.Itoa(i))
	}
	return append(names, sc.symKeys()...)
}

// symKeys lists the kN named anywhere in the scenario, by N.
func (sc *Scenario) symKeys() []string {
	set := map[int]bool{}
	for _, in := range sc.Initial {
		n, _ := keyNum(in.Key)
		set[n] = true
	}
	for _, prog := range sc.Goroutines {
		for _, op := range prog {
			if n, ok := keyNum(op.Key); ok {
				set[n] = true
			}
		}
	}
	if sc.Generate != nil {
		for n := 1; n <= sc.Generate.Keys; n++ {
			set[n] = true
		}
	}
	var ns []int
	for n := range set {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	var out []string
	for _, n := range ns {
		out = append(out, "k"+strconv.Itoa(n))
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	var s []string
	for k := range m {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}
