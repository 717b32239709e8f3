// Command hashvectors prints test vectors of Go's portable 64-bit key hash
// (runtime/hash64.go memhash64Fallback), as the map type's Hasher computes it when
// AES hashing is off, with the runtime's hashkey, so that the Rust port's default
// hasher can be checked against real Go.
//
// Build and run (the linkname of runtime.hashkey needs -checklinkname=0):
//
//	go build -ldflags=-checklinkname=0 -o hashvectors . && GODEBUG=cpu.aes=off ./hashvectors
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"unsafe"
	_ "unsafe" // for go:linkname
)

//go:linkname hashkey runtime.hashkey
var hashkey [4]uintptr

//go:linkname useAeshash runtime.useAeshash
var useAeshash bool

type vector struct {
	Key  uint64 `json:"key"`
	Seed uint64 `json:"seed"`
	Hash uint64 `json:"hash"`
}

type output struct {
	Go      string    `json:"go"`
	Goarch  string    `json:"goarch"`
	Hashkey [4]uint64 `json:"hashkey"`
	Vectors []vector  `json:"vectors"`
}

func main() {
	if useAeshash {
		fmt.Fprintln(os.Stderr, "hashvectors: AES hashing is on; run with GODEBUG=cpu.aes=off")
		os.Exit(1)
	}
	var m map[uint64]uint64
	var e interface{} = m
	// abi.SwissMapType / abi.MapType: Hasher at offset 72 (see ../../layout.go).
	mt := (*[2]unsafe.Pointer)(unsafe.Pointer(&e))[0]
	hasher := *(*func(unsafe.Pointer, uintptr) uintptr)(unsafe.Add(mt, 72))
	out := output{Go: runtime.Version(), Goarch: runtime.GOARCH}
	for i, w := range hashkey {
		out.Hashkey[i] = uint64(w)
	}
	keys := []uint64{0, 1, 2, 42, 1 << 32, 0x9E3779B97F4A7C15, ^uint64(0)}
	seeds := []uint64{0, 1, 0xdeadbeefcafef00d, ^uint64(0)}
	for _, k := range keys {
		for _, s := range seeds {
			kk := k
			out.Vectors = append(out.Vectors, vector{Key: k, Seed: s, Hash: uint64(hasher(unsafe.Pointer(&kk), uintptr(s)))})
		}
	}
	b, _ := json.MarshalIndent(out, "", " ")
	fmt.Println(string(b))
}
