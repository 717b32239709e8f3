package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

func TestLayoutsMatchTheRuntime(t *testing.T) {
	checkLayouts() // panics on any mismatch
}

// A full small group followed by an update of one of its keys: Go 1.24 grows it to a
// 16-slot table anyway (runtime_mapassign_fast64 checks used < 8 before looking).
func TestUpdateOfFullSmallMapGrowsInGo124(t *testing.T) {
	if !knownVersion(runtime.Version()) {
		t.Skip("Go 1.24 behaviour")
	}
	checkLayouts()
	n := 0
	m := make(map[uint64]uint64, n)
	for k := uint64(0); k < 8; k++ {
		m[k] = k
	}
	if h := hdrOf(&m); h.dirLen != 0 {
		t.Fatalf("8 entries: dirLen %d, want a small map", h.dirLen)
	}
	m[3] = 33
	if h := hdrOf(&m); h.dirLen != 1 || dirAt(h, 0).capacity != 16 {
		t.Fatalf("update of a full small map: dirLen %d, want 1 (grown)", h.dirLen)
	}
}

func record(t *testing.T, args ...string) []map[string]interface{} {
	t.Helper()
	c, gen, err := parseFlags(args)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := run(c, gen, &buf); err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	var lines []map[string]interface{}
	sc := bufio.NewScanner(&buf)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var l map[string]interface{}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d: %v", len(lines), err)
		}
		lines = append(lines, l)
	}
	return lines
}

func TestShortRecordingsSelfCheck(t *testing.T) {
	for _, flags := range []string{
		"-seed 3 -ops 400 -keys 50 -w-clear 2 -w-make 2 -hint-max 100 -iter-prob 0.05 -iter-max 3 -iter-next-prob 0.4",
		"-seed 4 -ops 1500 -keys 3000 -w-assign 90 -w-delete 5 -w-lookup 5 -iter-prob 0.01",
		"-seed 5 -ops 800 -keys 100000 -bigkeys -max-live 60 -w-assign 50 -w-delete 45 -w-lookup 5",
	} {
		lines := record(t, strings.Fields(flags)...)
		if lines[0]["format"] != formatName {
			t.Fatalf("header %v", lines[0])
		}
		ops := lines[1:]
		if len(ops) < 400 || ops[0]["op"] != "make" {
			t.Fatalf("%s: %d ops, first %v", flags, len(ops), ops[0]["op"])
		}
		for i, l := range ops {
			if int(l["i"].(float64)) != i {
				t.Fatalf("%s: op %d numbered %v", flags, i, l["i"])
			}
		}
	}
}
