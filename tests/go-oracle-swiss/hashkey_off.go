//go:build !hashkey

package main

// Without the hashkey build tag the recorder cannot read runtime.hashkey; traces then
// carry recorded hashes only (see hashkey_on.go).
func portableHashkey() (hk [4]uint64, ok bool) { return hk, false }
