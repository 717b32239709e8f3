//go:build go1.21 && !go1.24

package main

// clearMap runs runtime.mapclear on theMap: the clear builtin.
func clearMap() { clear(theMap) }

// Go 1.21 .. 1.23: mapclear marks every bucket of buckets and oldbuckets
// emptyRest (issue 59411), so an open iterator reaches no stale entry.
const (
	clearLeavesStale = false
	staleYields      = false
	// see recycledByClear
	clearUnlinksLiveOverflow = false
)
