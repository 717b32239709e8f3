// Command syncmap-history runs generated programs of sync.Map operations on
// real goroutines and records each run as a history: every call takes a
// ticket from one shared atomic counter just before it starts and another
// just after it returns (as impl/src/syncmap/history.rs does in Rust), so a
// call whose return ticket is below another's invoke ticket really finished
// before the other started. The histories are written as JSON Lines (format
// in README.md) for a linearizability check against a sequential map.
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
	flag.Parse()
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
	}
	if err := enc.Encode(header); err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewSource(*seed))
	for h := 0; h < *histories; h++ {
		progs := make([][]op, *threads)
		for t := range progs {
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
		calls := make([][]call, *threads)
		var start, done sync.WaitGroup
		start.Add(1)
		for t := 0; t < *threads; t++ {
			done.Add(1)
			go func(t int) {
				defer done.Done()
				start.Wait()
				calls[t] = make([]call, len(progs[t]))
				for i, o := range progs[t] {
					calls[t][i].Thread = t
					run(&m, o, &calls[t][i], &tickets)
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
