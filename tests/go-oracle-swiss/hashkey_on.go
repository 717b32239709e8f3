//go:build hashkey

package main

// Built with -tags hashkey -ldflags=-checklinkname=0 (record.sh, make-corpus.sh): reads
// the runtime's hash keys, so that a trace recorded with GODEBUG=cpu.aes=off (portable
// memhash64Fallback instead of aeshash) carries what the Rust side needs to recompute
// every hash from the key and the map's seed. Go 1.24 keeps them in runtime.hashkey;
// later versions (1.27) in internal/runtime/maps.hashkey. A candidate is used only if
// the map type's Hasher agrees with memhash64Fallback under it.

import (
	"math/bits"
	_ "unsafe" // for go:linkname
)

//go:linkname runtimeHashkey runtime.hashkey
var runtimeHashkey [4]uintptr

//go:linkname mapsHashkey internal/runtime/maps.hashkey
var mapsHashkey [4]uintptr

// memhash64Fallback is runtime/hash64.go's (Go 1.24) with the given hashkey.
func memhash64Fallback(k, seed uint64, hk [4]uint64) uint64 {
	const m5 = 0x1d8e4e27c47d124f
	mix := func(a, b uint64) uint64 {
		hi, lo := bits.Mul64(a, b)
		return hi ^ lo
	}
	return mix(m5^8, mix(k^hk[1], k^seed^hk[0]))
}

// portableHashkey returns the hash keys when the map type's Hasher is
// memhash64Fallback under them (AES hashing off), ok=false otherwise.
func portableHashkey() (hk [4]uint64, ok bool) {
	for _, cand := range [][4]uintptr{runtimeHashkey, mapsHashkey} {
		for i, w := range cand {
			hk[i] = uint64(w)
		}
		ok = true
		for _, k := range []uint64{0, 1, 42, 1 << 40, ^uint64(0)} {
			for _, s := range []uint64{0, 7, 0x9E3779B97F4A7C15} {
				if hashKey(k, uintptr(s)) != memhash64Fallback(k, s, hk) {
					ok = false
				}
			}
		}
		if ok {
			return hk, true
		}
	}
	return [4]uint64{}, false
}
