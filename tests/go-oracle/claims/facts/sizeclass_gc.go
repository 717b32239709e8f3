//go:build go1.25

package main

import _ "unsafe" // go:linkname

// Go 1.25+: the size classes moved to internal/runtime/gc/sizeclasses.go (links only with
// -ldflags=-checklinkname=0).

//go:linkname classToSize internal/runtime/gc.SizeClassToSize
var classToSize [68]uint16

//go:linkname sizeToClass8 internal/runtime/gc.SizeToSizeClass8
var sizeToClass8 [129]uint8
