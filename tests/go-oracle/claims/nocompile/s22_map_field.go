//go:build ignore

// Seed claim S22: `m["k"].Field = v` on a map[string]Struct does not compile. The map's
// elements are not addressable; Go 1.19 rejects the assignment.
package main

type Order struct{ Status string }

func main() {
	m := map[string]Order{"k": {}}
	m["k"].Status = "paid"
	_ = m
}
