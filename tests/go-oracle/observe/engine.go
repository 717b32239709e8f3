package main

// The trial engine: goroutines that live across trials and are released
// together by a spin barrier on an atomic counter.

import (
	"runtime"
	"sync/atomic"
	"syscall"
)

// runner is one kind of trial (map, syncmap, rwmutex).
type runner interface {
	// goroutines is the number of goroutines of every trial.
	goroutines() int
	// prepare builds the fresh object of the next trial (runs on goroutine 0,
	// before the release).
	prepare()
	// run performs goroutine g's program and records its results.
	run(g int)
	// outcome appends the trial's outcome object (canonical JSON, equal for
	// equal outcomes) and returns its class.
	outcome(buf []byte) ([]byte, string)
	// detail appends a JSON object with what is particular to this trial
	// (concrete keys, hashes), not part of the outcome.
	detail(buf []byte) []byte
}

// padded keeps each counter on its own cache line.
type padded struct {
	v uint64
	_ [56]byte
}

// engine runs trials of r. Goroutine 0 is the caller of trial; goroutines
// 1..n-1 are started once and loop. A trial: goroutine 0 prepares, then
// publishes the trial number in gen; every goroutine, once it sees gen,
// increments arrived and spins until all n have arrived (the release); then
// runs its program; goroutines 1..n-1 increment done and goroutine 0 waits
// for done before reading the outcome.
type engine struct {
	r       runner
	n       uint64
	t       uint64
	gen     padded
	arrived padded
	done    padded
}

func newEngine(r runner) *engine {
	e := &engine{r: r, n: uint64(r.goroutines())}
	for g := 1; g < r.goroutines(); g++ {
		go e.loop(g)
	}
	return e
}

// spinUntil spins until *p >= v. Every 16384 spins (some microseconds) it yields the thread
// (sched_yield) and the P (Gosched): the goroutine it waits for may be on a
// thread the OS has descheduled (the cores are shared), or not running.
func spinUntil(p *uint64, v uint64) {
	for i := 1; atomic.LoadUint64(p) < v; i++ {
		if i&(1<<14-1) == 0 {
			syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0)
			runtime.Gosched()
		}
	}
}

func (e *engine) barrier(t uint64) {
	atomic.AddUint64(&e.arrived.v, 1)
	spinUntil(&e.arrived.v, t*e.n)
}

func (e *engine) loop(g int) {
	for t := uint64(1); ; t++ {
		spinUntil(&e.gen.v, t)
		e.barrier(t)
		e.r.run(g)
		atomic.AddUint64(&e.done.v, 1)
	}
}

// trial runs one trial; the outcome is then read from the runner.
func (e *engine) trial() {
	e.t++
	t := e.t
	e.r.prepare()
	atomic.StoreUint64(&e.gen.v, t)
	e.barrier(t)
	e.r.run(0)
	spinUntil(&e.done.v, t*(e.n-1))
}
