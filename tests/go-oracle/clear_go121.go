//go:build go1.21

package main

// clearMap runs runtime.mapclear on theMap: the clear builtin (Go 1.21+).
func clearMap() { clear(theMap) }

// clearBuiltin: clearMap is the clear builtin, not the range-delete idiom.
const clearBuiltin = true
