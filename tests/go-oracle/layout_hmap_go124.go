//go:build go1.24

package main

// Go 1.24, 1.25 built with GOEXPERIMENT=noswissmap: runtime/map_noswiss.go,
// reflect/map_noswiss.go. Both hmap and hiter end in a clearSeq counter that
// mapclear increments and mapiternext compares (in hmap it sits before extra). With Swiss tables (the default
// from Go 1.24 on) the map is not an hmap at all; checkLayouts' probe fails then.

// hmap mirrors runtime.hmap. 56 bytes on amd64.
type hmap struct {
	hmapHead
	clearSeq uint64
	extra    *mapextra
}

// hiter mirrors runtime.hiter / reflect.hiter: 8 + 12 words = 104 bytes.
type hiter struct {
	hiterHead
	clearSeq uint64
}

const (
	hmapSize    = 56
	hiterSize   = 8 + 12*8
	hasClearSeq = true
)

func clearSeqOf(h *hmap) uint64 { return h.clearSeq }
