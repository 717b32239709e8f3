//go:build go1.20 && !goexperiment.synchashtriemap && !go1.26

package main

import (
	"sync"
	"unsafe"
)

// Go 1.20 .. 1.23's sync.Map (sync/map.go): read is an atomic.Pointer[readOnly].
const syncMapImpl = "read-dirty"

type syncMap struct {
	_      [0]func() // noCopy is zero-sized
	mu     sync.Mutex
	read   unsafe.Pointer // *readOnly{m map[any]*entry, amended bool}
	dirty  map[any]unsafe.Pointer
	misses int
}

// readMapHeader: the hmap of read.m.
func readMapHeader(m *sync.Map) unsafe.Pointer {
	sm := (*syncMap)(unsafe.Pointer(m))
	return *(*unsafe.Pointer)(sm.read)
}
