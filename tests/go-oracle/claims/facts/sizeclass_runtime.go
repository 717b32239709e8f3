//go:build !go1.25

package main

import _ "unsafe" // go:linkname

// Go 1.19 .. 1.24: the size classes are runtime's (runtime/sizeclasses.go). Go 1.23+ links
// this only with -ldflags=-checklinkname=0.

//go:linkname classToSize runtime.class_to_size
var classToSize [68]uint16

//go:linkname sizeToClass8 runtime.size_to_class8
var sizeToClass8 [129]uint8
