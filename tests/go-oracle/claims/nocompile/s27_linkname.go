//go:build ignore

// Seed claim S27: `//go:linkname` can replace runtime.mapaccess1 with your own function to
// audit bucket access. Defining a body under the runtime's symbol name makes a second
// definition of it; the Go 1.19 linker refuses the program.
package main

import (
	"fmt"
	"unsafe"
)

//go:linkname mapaccess1 runtime.mapaccess1
func mapaccess1(t, h, key unsafe.Pointer) unsafe.Pointer {
	fmt.Println("audited bucket access")
	return nil
}

func main() {
	m := map[string]int{"a": 1}
	fmt.Println(m["a"])
}
