// Command bench times Go 1.19's own map[uint64]uint64 and sync.Map on the same key
// sequences and workloads as the Rust port's benchmarks (impl/benches/gomap.rs and
// impl/benches/syncmap.rs), for scripts/bench-port.sh.
//
// Output, one line each:
//
//	map <op> <n> <ns per key>
//	syncmap <read-mostly|mixed> <threads> <ops per second>
//
// Flags: -benchtime (per map row, as go test's), -big (adds 2^20 keys), -syncops (ops per
// thread per SyncMap run), -maps=false and -syncmap=false (leave out one table:
// scripts/bench-port.sh times the map table in several rounds and sync.Map once).
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

// splitmix64Keys is the key sequence shared with the Rust side.
func splitmix64Keys(seed uint64, n int) []uint64 {
	x := seed
	out := make([]uint64, n)
	for i := range out {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		out[i] = z ^ (z >> 31)
	}
	return out
}

var sink uint64

func filled(keys []uint64) map[uint64]uint64 {
	m := make(map[uint64]uint64)
	for _, k := range keys {
		m[k] = k
	}
	return m
}

func mapBenches(n int) map[string]func(b *testing.B) {
	keys := splitmix64Keys(1, n)
	miss := splitmix64Keys(2, n)
	full := filled(keys)
	return map[string]func(b *testing.B){
		"insert": func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				m := make(map[uint64]uint64, n)
				for _, k := range keys {
					m[k] = k
				}
			}
		},
		"grow": func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				m := make(map[uint64]uint64)
				for _, k := range keys {
					m[k] = k
				}
			}
		},
		"hit": func(b *testing.B) {
			var s uint64
			for i := 0; i < b.N; i++ {
				for _, k := range keys {
					v, ok := full[k]
					if !ok {
						v = 0
					}
					s += v
				}
			}
			sink += s
		},
		"miss": func(b *testing.B) {
			var s uint64
			for i := 0; i < b.N; i++ {
				for _, k := range miss {
					v, ok := full[k]
					if !ok {
						v = 1
					}
					s += v
				}
			}
			sink += s
		},
		"delete": func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				m := filled(keys)
				b.StartTimer()
				for _, k := range keys {
					delete(m, k)
				}
			}
		},
		"iterate": func(b *testing.B) {
			var s uint64
			for i := 0; i < b.N; i++ {
				for k, v := range full {
					s += k ^ v
				}
			}
			sink += s
		},
	}
}

// syncRun: each thread does ops operations on a sync.Map preloaded with 1024 keys; a
// Store with probability storePct percent (to a present key), otherwise a Load. The op
// stream is the same xorshift as the Rust side's. Returns ops per second.
func syncRun(threads, ops int, storePct uint64) float64 {
	keys := splitmix64Keys(1, 1024)
	var m sync.Map
	for _, k := range keys {
		m.Store(k, k)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for t := 0; t < threads; t++ {
		wg.Add(1)
		go func(t int) {
			defer wg.Done()
			r := uint64(t)*0x9e3779b97f4a7c15 + 1
			var s uint64
			<-start
			for i := 0; i < ops; i++ {
				r ^= r << 13
				r ^= r >> 7
				r ^= r << 17
				k := keys[r&1023]
				if (r>>32)%100 < storePct {
					m.Store(k, r)
				} else if v, ok := m.Load(k); ok {
					s += v.(uint64)
				}
			}
			sink += s
		}(t)
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	return float64(threads*ops) / time.Since(t0).Seconds()
}

func main() {
	testing.Init()
	benchtime := flag.String("benchtime", "300ms", "time per map row")
	big := flag.Bool("big", false, "add 2^20 keys")
	syncops := flag.Int("syncops", 2000000, "ops per thread per sync.Map run")
	maps := flag.Bool("maps", true, "time the map rows")
	syncmap := flag.Bool("syncmap", true, "time the sync.Map rows")
	flag.Parse()
	if err := flag.Set("test.benchtime", *benchtime); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	sizes := []int{1 << 10, 1 << 14, 1 << 18}
	if *big {
		sizes = append(sizes, 1<<20)
	}
	if !*maps {
		sizes = nil
	}
	for _, n := range sizes {
		bs := mapBenches(n)
		for _, op := range []string{"insert", "grow", "hit", "miss", "delete", "iterate"} {
			r := testing.Benchmark(bs[op])
			fmt.Printf("map %s %d %.3f\n", op, n, float64(r.T.Nanoseconds())/float64(r.N)/float64(n))
		}
	}
	loads := []struct {
		name string
		pct  uint64
	}{{"read-mostly", 1}, {"mixed", 50}}
	if !*syncmap {
		loads = nil
	}
	for _, load := range loads {
		for _, threads := range []int{1, 2} {
			best := 0.0
			for rep := 0; rep < 3; rep++ {
				if v := syncRun(threads, *syncops, load.pct); v > best {
					best = v
				}
			}
			fmt.Printf("syncmap %s %d %.0f\n", load.name, threads, best)
		}
	}
	fmt.Fprintf(os.Stderr, "GOMAXPROCS=%d %s\n", runtime.GOMAXPROCS(0), runtime.Version())
}
