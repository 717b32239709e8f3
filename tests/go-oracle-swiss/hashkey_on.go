//go:build hashkey

package main

// Built with -tags hashkey -ldflags=-checklinkname=0 (record.sh, make-corpus.sh): reads
// the runtime's hash keys, so that a trace recorded with GODEBUG=cpu.aes=off (portable
// memhash64Fallback instead of aeshash) carries what the Rust side needs to recompute
// every hash from the key and the map's seed.

import _ "unsafe" // for go:linkname

//go:linkname runtimeHashkey runtime.hashkey
var runtimeHashkey [4]uintptr

//go:linkname runtimeUseAeshash runtime.useAeshash
var runtimeUseAeshash bool

// portableHashkey returns runtime.hashkey when the runtime hashes with the portable
// fallback (not AES), and ok=false otherwise.
func portableHashkey() (hk [4]uint64, ok bool) {
	if runtimeUseAeshash {
		return hk, false
	}
	for i, w := range runtimeHashkey {
		hk[i] = uint64(w)
	}
	return hk, true
}
