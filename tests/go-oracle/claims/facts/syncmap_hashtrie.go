//go:build goexperiment.synchashtriemap || go1.26

package main

import (
	"sync"
	"unsafe"
)

// Go 1.24+'s sync.Map wraps internal/sync.HashTrieMap: no Go map inside.
const syncMapImpl = "hashtrie"

func readMapHeader(*sync.Map) unsafe.Pointer { return nil }
