//go:build !go1.20

package main

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// Go 1.19's sync.Map (sync/map.go): read is an atomic.Value holding a readOnly.
const syncMapImpl = "read-dirty"

type syncMap struct {
	mu     sync.Mutex
	read   atomic.Value // readOnly{m map[any]*entry, amended bool}
	dirty  map[any]unsafe.Pointer
	misses int
}

// readMapHeader: the hmap of read.m.
func readMapHeader(m *sync.Map) unsafe.Pointer {
	sm := (*syncMap)(unsafe.Pointer(m))
	ro := (*[2]unsafe.Pointer)(unsafe.Pointer(&sm.read))[1] // the readOnly the Value holds
	return *(*unsafe.Pointer)(ro)
}
