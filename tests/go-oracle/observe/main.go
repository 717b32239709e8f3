// Command observe runs real goroutines against one Go 1.19 map (or a
// sync.Map, or an RWMutex-guarded map) over and over and counts what happens:
// the final map as read from the runtime's memory, each goroutine's results,
// and the runtime's throws. Formats: docs/observe-format.md.
//
// The process given the flags is the supervisor; it re-executes itself as a
// worker that runs the trials, and restarts it whenever a throw kills it.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"gomap/go-oracle/hmapview"
)

type config struct {
	scenario   string
	out        string
	trials     int64
	seconds    float64
	seed       int64
	perTrial   bool
	gomaxprocs int
}

func parseFlags(args []string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("observe", flag.ContinueOnError)
	fs.StringVar(&c.scenario, "scenario", "", "scenario file (JSON, docs/observe-format.md)")
	fs.StringVar(&c.out, "out", "-", "output file (JSON Lines; - = stdout)")
	fs.Int64Var(&c.trials, "trials", 0, "stop after this many trials (0 = no limit; give -trials or -seconds)")
	fs.Float64Var(&c.seconds, "seconds", 0, "stop after this many seconds (0 = no limit)")
	fs.Int64Var(&c.seed, "seed", 0, "seed of key choice and generated programs (0 = from the clock; recorded in the header)")
	fs.BoolVar(&c.perTrial, "per-trial", false, "also write one line per trial, with its concrete keys and hashes")
	fs.IntVar(&c.gomaxprocs, "gomaxprocs", 2, "GOMAXPROCS of the worker")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() != 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.scenario == "" {
		return nil, fmt.Errorf("-scenario is required")
	}
	if c.trials < 0 || c.seconds < 0 || (c.trials == 0 && c.seconds == 0) {
		return nil, fmt.Errorf("give -trials N and/or -seconds S (> 0)")
	}
	if c.gomaxprocs < 1 {
		return nil, fmt.Errorf("-gomaxprocs must be >= 1")
	}
	if c.seed == 0 {
		c.seed = time.Now().UnixNano()%1000000000 + 1
	}
	return c, nil
}

// agg is one distinct outcome and how often it was seen.
type agg struct {
	outcome    json.RawMessage
	class      string
	count      int64
	firstTrial int64
	detail     json.RawMessage
}

type summary struct {
	Kind             string           `json:"kind"`
	Trials           int64            `json:"trials"`
	Completed        int64            `json:"completed"`
	Throws           int64            `json:"throws"`
	Workers          int64            `json:"workers"`
	ElapsedS         float64          `json:"elapsed_s"`
	TrialsPerS       float64          `json:"trials_per_s"`
	DistinctOutcomes int              `json:"distinct_outcomes"`
	Classes          map[string]int64 `json:"classes"`
}

type supervisor struct {
	c       *config
	exe     string
	w       *bufio.Writer
	byText  map[string]*agg
	order   []*agg
	trials  int64
	done    int64
	throws  int64
	workers int64
}

func (s *supervisor) find(outcome []byte, class string, trial int64, detail []byte) *agg {
	a := s.byText[string(outcome)]
	if a == nil {
		a = &agg{outcome: append(json.RawMessage(nil), outcome...), class: class, firstTrial: trial,
			detail: append(json.RawMessage(nil), detail...)}
		s.byText[string(outcome)] = a
		s.order = append(s.order, a)
	}
	return a
}

// workerLine is what a worker writes for a new outcome (or every trial).
type workerLine struct {
	ID      int             `json:"id"`
	Trial   int64           `json:"trial"`
	Outcome json.RawMessage `json:"outcome"`
	Detail  json.RawMessage `json:"detail"`
}

// throwMessage extracts what killed a worker from its stderr: the text of the
// first "fatal error: " line, else of the first "panic: " line, else "".
func throwMessage(stderr []byte) string {
	var panicLine string
	for _, l := range strings.Split(string(stderr), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "fatal error: ") {
			return strings.TrimPrefix(l, "fatal error: ")
		}
		if panicLine == "" && strings.HasPrefix(l, "panic: ") {
			panicLine = l
		}
	}
	return panicLine
}

// runWorker starts one worker and consumes it. It returns whether the
// worker finished its share normally.
func (s *supervisor) runWorker(deadline time.Time) (bool, error) {
	f, err := os.CreateTemp("", "observe-counters-*")
	if err != nil {
		return false, err
	}
	defer f.Close()
	os.Remove(f.Name()) // the open descriptors keep it alive
	if err := f.Truncate(counterSize); err != nil {
		return false, err
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, counterSize, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return false, err
	}
	defer syscall.Munmap(data)
	ctr := (*[maxOutcomes]uint64)(unsafe.Pointer(&data[0]))

	max := int64(1) << 62
	if s.c.trials > 0 {
		max = s.c.trials - s.trials
	}
	args := []string{"-scenario", s.c.scenario, "-seed", strconv.FormatInt(s.c.seed+s.workers*1000003, 10),
		"-first-trial", strconv.FormatInt(s.trials, 10), "-max-trials", strconv.FormatInt(max, 10),
		"-gomaxprocs", strconv.Itoa(s.c.gomaxprocs)}
	if !deadline.IsZero() {
		args = append(args, "-deadline-ns", strconv.FormatInt(deadline.UnixNano(), 10))
	}
	if s.c.perTrial {
		args = append(args, "-per-trial")
	}
	s.workers++
	cmd := exec.Command(s.exe, args...)
	cmd.Env = append(os.Environ(), workerEnv+"=1", "GOTRACEBACK=none")
	cmd.ExtraFiles = []*os.File{f}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return false, err
	}
	if err := cmd.Start(); err != nil {
		return false, err
	}
	ids := map[int]*agg{}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<16), 1<<26)
	var perr error
	for sc.Scan() {
		var wl workerLine
		var cl struct {
			Class string `json:"class"`
		}
		if err := json.Unmarshal(sc.Bytes(), &wl); err != nil {
			perr = fmt.Errorf("worker line %q: %v", sc.Bytes(), err)
			break
		}
		if err := json.Unmarshal(wl.Outcome, &cl); err != nil {
			perr = fmt.Errorf("worker outcome %q: %v", wl.Outcome, err)
			break
		}
		ids[wl.ID] = s.find(wl.Outcome, cl.Class, wl.Trial, wl.Detail)
		if s.c.perTrial {
			fmt.Fprintf(s.w, "{\"kind\":\"trial\",\"trial\":%d,\"outcome\":%s,\"detail\":%s}\n", wl.Trial, wl.Outcome, wl.Detail)
		}
	}
	if perr == nil {
		perr = sc.Err()
	}
	if perr != nil {
		_ = cmd.Process.Kill()
	}
	_, _ = io.Copy(io.Discard, stdout)
	werr := cmd.Wait()
	if perr != nil {
		return false, perr
	}
	completed := int64(0)
	for id, a := range ids {
		n := int64(atomicLoad(&ctr[id]))
		a.count += n
		completed += n
	}
	s.trials += completed
	s.done += completed
	if werr == nil {
		return true, nil
	}
	var ee *exec.ExitError
	if !errors.As(werr, &ee) {
		return false, werr
	}
	if ee.ExitCode() == exitFull {
		return false, nil
	}
	if bytes.Contains(stderr.Bytes(), []byte("observe-worker: ")) {
		return false, fmt.Errorf("worker failed: %s", strings.TrimSpace(stderr.String()))
	}
	msg := throwMessage(stderr.Bytes())
	if msg == "" {
		msg = ee.String()
	}
	out, _ := json.Marshal(map[string]string{"class": "throw:" + msg, "throw": msg})
	a := s.find(out, "throw:"+msg, s.trials, []byte("{}"))
	if s.c.perTrial {
		fmt.Fprintf(s.w, "{\"kind\":\"trial\",\"trial\":%d,\"outcome\":%s,\"detail\":{}}\n", s.trials, out)
	}
	a.count++
	s.trials++
	s.throws++
	return false, nil
}

func run(c *config, w io.Writer) error {
	if err := hmapview.CheckLayouts(); err != nil {
		return err
	}
	sc, err := LoadScenario(c.scenario)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	s := &supervisor{c: c, exe: exe, w: bufio.NewWriterSize(w, 1<<20), byText: map[string]*agg{}}
	scJSON, _ := json.Marshal(sc)
	fmt.Fprintf(s.w, "{\"kind\":\"header\",\"format\":\"observe-v1\",\"go\":%q,\"goarch\":%q,\"ncpu\":%d,\"gomaxprocs\":%d,\"seed\":%d,\"per_trial\":%v,\"scenario_file\":%q,\"scenario\":%s}\n",
		runtime.Version(), runtime.GOARCH, runtime.NumCPU(), c.gomaxprocs, c.seed, c.perTrial, c.scenario, scJSON)
	start := time.Now()
	var deadline time.Time
	if c.seconds > 0 {
		deadline = start.Add(time.Duration(c.seconds * float64(time.Second)))
	}
	for {
		if c.trials > 0 && s.trials >= c.trials {
			break
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			break
		}
		finished, err := s.runWorker(deadline)
		if err != nil {
			return err
		}
		if finished {
			break
		}
	}
	elapsed := time.Since(start).Seconds()
	sort.SliceStable(s.order, func(i, j int) bool { return s.order[i].firstTrial < s.order[j].firstTrial })
	sum := summary{Kind: "summary", Trials: s.trials, Completed: s.done, Throws: s.throws, Workers: s.workers,
		ElapsedS: elapsed, TrialsPerS: float64(s.trials) / elapsed, Classes: map[string]int64{}}
	for _, a := range s.order {
		if a.count == 0 {
			continue // defined by a worker that died before counting it
		}
		sum.DistinctOutcomes++
		sum.Classes[a.class] += a.count
		fmt.Fprintf(s.w, "{\"kind\":\"outcome\",\"count\":%d,\"first_trial\":%d,\"outcome\":%s,\"detail\":%s}\n", a.count, a.firstTrial, a.outcome, a.detail)
	}
	b, _ := json.Marshal(sum)
	s.w.Write(append(b, '\n'))
	if err := s.w.Flush(); err != nil {
		return err
	}
	printTable(os.Stderr, &sum)
	return nil
}

// printTable writes the human summary: trials, rate, and each class's count
// and frequency.
func printTable(w io.Writer, sum *summary) {
	fmt.Fprintf(w, "observe: %d trials in %.1fs (%.0f trials/s), %d worker processes\n",
		sum.Trials, sum.ElapsedS, sum.TrialsPerS, sum.Workers)
	var names []string
	for c := range sum.Classes {
		names = append(names, c)
	}
	sort.Slice(names, func(i, j int) bool { return sum.Classes[names[i]] > sum.Classes[names[j]] })
	for _, c := range names {
		n := sum.Classes[c]
		fmt.Fprintf(w, "  %-40s %12d  %12.2f per million  (1 in %.0f)\n", c, n,
			1e6*float64(n)/float64(sum.Trials), float64(sum.Trials)/float64(n))
	}
}

func main() {
	if os.Getenv(workerEnv) == "1" {
		workerMain(os.Args[1:])
		return
	}
	c, err := parseFlags(os.Args[1:])
	if err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "observe:", err)
		os.Exit(2)
	}
	if !strings.HasPrefix(runtime.Version(), "go1.19") {
		fmt.Fprintf(os.Stderr, "observe: built with %s; the mirrored layouts are Go 1.19's\n", runtime.Version())
		os.Exit(2)
	}
	var w io.Writer = os.Stdout
	var f *os.File
	if c.out != "-" {
		if f, err = os.Create(c.out); err != nil {
			fmt.Fprintln(os.Stderr, "observe:", err)
			os.Exit(1)
		}
		w = f
	}
	if err := run(c, w); err != nil {
		fmt.Fprintln(os.Stderr, "observe: FAILED:", err)
		if f != nil {
			f.Close()
			os.Remove(c.out)
		}
		os.Exit(1)
	}
	if f != nil {
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "observe:", err)
			os.Exit(1)
		}
	}
}
