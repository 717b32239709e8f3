package main

// The worker: a child process that runs trials in a loop. A throw kills it;
// everything it has reported survives: outcome definitions go to stdout one
// line each (written before the counter is bumped) and per-outcome counters
// live in a shared memory mapping of a file the supervisor passes as fd 3.

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"gomap/go-oracle/hmapview"
)

// maxOutcomes is the number of distinct outcomes one worker may count; a
// worker that needs more exits with exitFull and the supervisor starts a
// fresh one.
const (
	maxOutcomes = 1 << 16
	counterSize = 8 * maxOutcomes
	exitFull    = 3
	workerEnv   = "OBSERVE_WORKER"
	// testThrowEnv (tests only): at this global trial index the worker sets
	// hashWriting on a map and assigns to it, which makes the runtime throw
	// "concurrent map writes" for real.
	testThrowEnv = "OBSERVE_TEST_THROW_AT"
)

func workerFail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "observe-worker: "+format+"\n", args...)
	os.Exit(2)
}

func newRunner(sc *Scenario, rng *rand.Rand) runner {
	if sc.Kind == "map" {
		return newMapRunner(sc, rng)
	}
	return newSyncRunner(sc, rng)
}

// workerMain is the worker's entry point (args without the program name).
func workerMain(args []string) {
	fs := flag.NewFlagSet("observe-worker", flag.ContinueOnError)
	scPath := fs.String("scenario", "", "")
	seed := fs.Int64("seed", 1, "")
	first := fs.Int64("first-trial", 0, "")
	max := fs.Int64("max-trials", 0, "")
	deadline := fs.Int64("deadline-ns", 0, "")
	perTrial := fs.Bool("per-trial", false, "")
	procs := fs.Int("gomaxprocs", 2, "")
	if err := fs.Parse(args); err != nil {
		workerFail("%v", err)
	}
	runtime.GOMAXPROCS(*procs)
	if err := hmapview.CheckLayouts(); err != nil {
		workerFail("%v", err)
	}
	sc, err := LoadScenario(*scPath)
	if err != nil {
		workerFail("%v", err)
	}
	data, err := syscall.Mmap(3, 0, counterSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		workerFail("mmap of the counter file (fd 3): %v", err)
	}
	ctr := (*[maxOutcomes]uint64)(unsafe.Pointer(&data[0]))
	out := os.NewFile(1, "stdout")
	e := newEngine(newRunner(sc, rand.New(rand.NewSource(*seed))))
	throwAt := int64(-1)
	if v := os.Getenv(testThrowEnv); v != "" {
		if throwAt, err = strconv.ParseInt(v, 10, 64); err != nil {
			workerFail("%s: %v", testThrowEnv, err)
		}
	}
	ids := map[string]int{}
	var buf, line []byte
	for n := int64(0); n < *max; n++ {
		if *deadline != 0 && n&63 == 0 && time.Now().UnixNano() >= *deadline {
			break
		}
		if *first+n == throwAt {
			m := map[uint64]uint64{}
			hmapview.Of(&m).Flags |= hmapview.FlagHashWriting
			m[1] = 1
		}
		e.trial()
		buf, _ = e.r.outcome(buf[:0])
		id, seen := ids[string(buf)]
		if !seen || *perTrial {
			if !seen {
				id = len(ids)
				if id >= maxOutcomes {
					os.Exit(exitFull)
				}
				ids[string(buf)] = id
			}
			line = append(line[:0], `{"id":`...)
			line = strconv.AppendInt(line, int64(id), 10)
			line = append(line, `,"trial":`...)
			line = strconv.AppendInt(line, *first+n, 10)
			line = append(line, `,"outcome":`...)
			line = append(line, buf...)
			line = append(line, `,"detail":`...)
			line = e.r.detail(line)
			line = append(line, "}\n"...)
			if _, err := out.Write(line); err != nil {
				workerFail("write: %v", err)
			}
		}
		atomic.AddUint64(&ctr[id], 1)
	}
	os.Exit(0)
}

func atomicLoad(p *uint64) uint64 { return atomic.LoadUint64(p) }
