//go:build !go1.21

package main

// clearMap runs runtime.mapclear on theMap. Before Go 1.21 there is no clear
// builtin; the compiler turns the range-delete loop of mapClearIdiom into one
// mapclear call (cmd/compile/internal/walk/range.go, isMapClear / mapClear),
// but Go 1.19 does so only where the loop is not inlined (inlined, or over
// the global theMap, it stays a loop of mapdelete_fast64 calls), hence
// go:noinline. oracle_test.go checks that a clear zeroes the bucket keys,
// which a loop of deletes never does.
func clearMap() { mapClearIdiom(theMap) }

//go:noinline
func mapClearIdiom(m map[uint64]uint64) {
	for k := range m {
		delete(m, k)
	}
}

// Before Go 1.21 mapclear zeroes only the bucket array: an open iterator may
// still reach, and yield, entries of overflow buckets and of oldbuckets
// (issue 59411).
const (
	clearLeavesStale = true
	staleYields      = true
	// see recycledByClear
	clearUnlinksLiveOverflow = false
)
