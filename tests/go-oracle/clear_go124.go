//go:build go1.24

package main

// clearMap runs runtime.mapclear on theMap: the clear builtin.
func clearMap() { clear(theMap) }

// Go 1.24+ (noswissmap): mapclear only increments clearSeq; overflow buckets
// and oldbuckets keep their entries, so an open iterator still reaches them
// (and may hash them), but yields an entry only through a lookup in the
// current map, which finds no stale one.
const (
	clearLeavesStale = true
	staleYields      = false
	// see recycledByClear: the overflow buckets it unlinks keep their entries
	clearUnlinksLiveOverflow = true
)
