//go:build go1.21

package main

// clearMap runs runtime.mapclear on theMap: the clear builtin (Go 1.21+).
func clearMap() { clear(theMap) }

// clearMarksEmpty: mapclear leaves no entry an open iterator could still
// yield (Go 1.21 .. 1.23 mark every bucket of buckets and oldbuckets
// emptyRest, issue 59411; Go 1.24+ compares hiter.clearSeq).
const clearMarksEmpty = true
