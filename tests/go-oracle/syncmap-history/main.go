// Command syncmap-history runs generated programs of sync.Map operations on
// real goroutines and records each run as a history: every call takes a
// ticket from one shared atomic counter just before it starts and another
// just after it returns (as impl/src/syncmap/history.rs does in Rust), so a
// call whose return ticket is below another's invoke ticket really finished
// before the other started. The histories are written as JSON Lines (format
// in README.md) for a linearizability check against a sequential map.
//
// -scenario range-vs-stores records a fixed program instead, in which a Range that is not a
// snapshot of the map can be seen (README.md).
//
// The operations are those the Go version has: Load, Store, LoadOrStore,
// LoadAndDelete, Delete and Range (Go 1.19), Swap, CompareAndSwap and
// CompareAndDelete (Go 1.20, ops_go120.go) and Clear (Go 1.23, ops_go123.go).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// call is one recorded call.
type call struct {
	Thread   int      `json:"thread"`
	Op       string   `json:"op"`
	Key      *uint8   `json:"key,omitempty"`
	Value    *uint16  `json:"value,omitempty"` // Store, LoadOrStore, Swap: the value; CompareAnd*: old
	New      *uint16  `json:"new,omitempty"`   // CompareAndSwap: new
	Ret      *uint16  `json:"ret,omitempty"`   // Load, LoadAndDelete, Swap: previous value; LoadOrStore: actual
	Ok       *bool    `json:"ok,omitempty"`    // Load, LoadAndDelete, Swap: present; LoadOrStore: loaded; CompareAnd*: swapped/deleted
	Seen     [][2]int `json:"seen,omitempty"`  // Range: the (key, value) pairs it visited, in order
	Invoked  uint64   `json:"invoked"`
	Returned uint64   `json:"returned"`
}

// op is one generated operation.
type op struct {
	name     string
	key      uint8
	val, new uint16
}

// opNames lists the operations this Go version has (ops_go*.go add to it).
var opNames = []string{"Load", "Store", "LoadOrStore", "LoadAndDelete", "Delete", "Range"}

// extraOps runs the operations of later Go versions (ops_go120.go, ops_go123.go).
var extraOps = map[string]func(m *sync.Map, o op, c *call){}

// rangeYield: Range calls runtime.Gosched() after each visit (-range-yield).
var rangeYield bool

// The range-vs-stores scenario's hand-over, reset for each history: Range's callback closes
// visited after its first visit and waits (at most a second) for stored, which the writer
// goroutine closes after its two Stores; the writer waits (as long) for visited before its
// first Store. Both goroutines' calls stay real sync.Map calls; the hand-over only makes
// the writes land between two visits of one Range. A Range that held a lock the writer
// needs would time out instead (and then show no such interleaving).
var (
	handover        bool
	visited, stored chan struct{}
)

func wait(c chan struct{}) {
	select {
	case <-c:
	case <-time.After(time.Second):
	}
}

func u8(v uint8) *uint8    { return &v }
func u16(v uint16) *uint16 { return &v }
func bl(v bool) *bool      { return &v }

func run(m *sync.Map, o op, c *call, tickets *uint64) {
	c.Op = o.name
	if o.name != "Range" && o.name != "Clear" {
		c.Key = u8(o.key)
	}
	c.Invoked = atomic.AddUint64(tickets, 1)
	switch o.name {
	case "Load":
		v, ok := m.Load(o.key)
		c.Ok = bl(ok)
		if ok {
			c.Ret = u16(v.(uint16))
		}
	case "Store":
		c.Value = u16(o.val)
		m.Store(o.key, o.val)
	case "LoadOrStore":
		c.Value = u16(o.val)
		v, loaded := m.LoadOrStore(o.key, o.val)
		c.Ret, c.Ok = u16(v.(uint16)), bl(loaded)
	case "LoadAndDelete":
		v, ok := m.LoadAndDelete(o.key)
		c.Ok = bl(ok)
		if ok {
			c.Ret = u16(v.(uint16))
		}
	case "Delete":
		m.Delete(o.key)
	case "Range":
		m.Range(func(k, v any) bool {
			c.Seen = append(c.Seen, [2]int{int(k.(uint8)), int(v.(uint16))})
			if rangeYield {
				runtime.Gosched() // let writers run between two visits
			}
			if handover && len(c.Seen) == 1 && c.Thread == 0 {
				close(visited)
				wait(stored)
			}
			return true
		})
	default:
		extraOps[o.name](m, o, c)
	}
	c.Returned = atomic.AddUint64(tickets, 1)
}

func main() {
	threads := flag.Int("threads", 3, "goroutines per history")
	histories := flag.Int("histories", 100, "histories to record")
	ops := flag.Int("ops", 6, "operations per goroutine per history")
	keys := flag.Int("keys", 2, "keys are drawn from [0,keys) (few keys: contention)")
	values := flag.Int("values", 4, "values are drawn from [1,values]")
	seed := flag.Int64("seed", 1, "generator seed")
	out := flag.String("out", "-", "output file (- = stdout)")
	scenario := flag.String("scenario", "random", "random: generated programs; range-vs-stores: "+
		"keys 0 and 1 stored with value 1 (and promoted to sync.Map's read map by a Range) before "+
		"goroutine 0 ranges over the map while goroutine 1 stores 2 to key 0, then to key 1")
	flag.BoolVar(&rangeYield, "range-yield", false, "Range yields the processor after each visit")
	flag.Parse()
	if *scenario == "range-vs-stores" {
		*threads, *ops, *keys, handover = 2, 2, 2, true
	} else if *scenario != "random" {
		fmt.Fprintln(os.Stderr, "syncmap-history: -scenario must be random or range-vs-stores")
		os.Exit(2)
	}
	if *keys < 1 || *keys > 255 || *values < 1 || *values > 65535 || *threads < 1 {
		fmt.Fprintln(os.Stderr, "syncmap-history: bad flags")
		os.Exit(2)
	}
	sort.Strings(opNames)
	w := bufio.NewWriter(os.Stdout)
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "syncmap-history:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = bufio.NewWriter(f)
	}
	enc := json.NewEncoder(w)
	header := map[string]any{
		"kind": "header", "go": runtime.Version(), "format": "syncmap-history-v1",
		"ops": opNames, "threads": *threads, "keys": *keys, "seed": *seed,
		"scenario": *scenario, "range_yield": rangeYield,
	}
	if err := enc.Encode(header); err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewSource(*seed))
	for h := 0; h < *histories; h++ {
		progs := make([][]op, *threads)
		var setup []op
		if *scenario == "range-vs-stores" {
			setup = []op{{name: "Store", key: 0, val: 1}, {name: "Store", key: 1, val: 1}, {name: "Range"}}
			progs[0] = []op{{name: "Range"}}
			progs[1] = []op{{name: "Store", key: 0, val: 2}, {name: "Store", key: 1, val: 2}}
		}
		for t := range progs {
			if *scenario != "random" {
				break
			}
			for i := 0; i < *ops; i++ {
				progs[t] = append(progs[t], op{
					name: opNames[rng.Intn(len(opNames))],
					key:  uint8(rng.Intn(*keys)),
					val:  uint16(1 + rng.Intn(*values)),
					new:  uint16(1 + rng.Intn(*values)),
				})
			}
		}
		var m sync.Map
		var tickets uint64
		visited, stored = make(chan struct{}), make(chan struct{})
		calls := make([][]call, *threads, *threads+1)
		// The setup runs on its own (thread index = threads) before the goroutines start.
		if len(setup) > 0 {
			cs := make([]call, len(setup))
			for i, o := range setup {
				cs[i].Thread = *threads
				run(&m, o, &cs[i], &tickets)
			}
			calls = append(calls, cs)
		}
		var start, done sync.WaitGroup
		start.Add(1)
		for t := 0; t < *threads; t++ {
			done.Add(1)
			go func(t int) {
				defer done.Done()
				start.Wait()
				calls[t] = make([]call, len(progs[t]))
				for i, o := range progs[t] {
					if handover && t == 1 && i == 0 {
						wait(visited)
					}
					calls[t][i].Thread = t
					run(&m, o, &calls[t][i], &tickets)
				}
				if handover && t == 1 {
					close(stored)
				}
			}(t)
		}
		start.Done()
		done.Wait()
		var all []call
		for _, cs := range calls {
			all = append(all, cs...)
		}
		sort.Slice(all, func(i, j int) bool { return all[i].Invoked < all[j].Invoked })
		if err := enc.Encode(map[string]any{"kind": "history", "i": h, "calls": all}); err != nil {
			panic(err)
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "syncmap-history:", err)
		os.Exit(1)
	}
}
