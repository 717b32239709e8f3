//go:build !go1.21

package main

// clearMap runs runtime.mapclear on theMap. Before Go 1.21 there is no clear
// builtin; the compiler turns exactly this loop into one mapclear call
// (cmd/compile/internal/walk/range.go, isMapClear / mapClear).
func clearMap() {
	for k := range theMap {
		delete(theMap, k)
	}
}

const clearBuiltin = false

// clearMarksEmpty: before Go 1.21 mapclear zeroes only the bucket array; an
// open iterator may still yield entries from overflow buckets and from
// oldbuckets (issue 59411).
const clearMarksEmpty = false
