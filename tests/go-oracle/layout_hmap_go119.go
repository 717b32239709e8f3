//go:build !go1.24

package main

// Go 1.19 .. 1.23: runtime/map.go.

// hmap mirrors runtime.hmap. 48 bytes on amd64.
type hmap struct {
	hmapHead
	extra *mapextra
}

// hiter mirrors runtime.hiter, which reflect.hiter (reflect/value.go) mirrors
// as well. 12 words = 96 bytes.
type hiter struct {
	hiterHead
}

const (
	hmapSize  = 48
	hiterSize = 12 * 8
	// hasClearSeq: hmap and hiter have a clearSeq field (Go 1.24+).
	hasClearSeq = false
)

func clearSeqOf(h *hmap) uint64 { return 0 }
