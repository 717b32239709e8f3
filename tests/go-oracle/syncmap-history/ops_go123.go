//go:build go1.23

package main

import "sync"

// Go 1.23: Clear.
func init() {
	opNames = append(opNames, "Clear")
	extraOps["Clear"] = func(m *sync.Map, o op, c *call) { m.Clear() }
}
