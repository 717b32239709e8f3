// The seed postmortem's order-cache code and its fixes, run concurrently. Built with -race,
// Go's race detector reports each data race it sees ("WARNING: DATA RACE") and the program
// exits with status 66. Usage: race <protocol>, protocols below.
package main

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"
)

type Order struct {
	ID     uint64
	Status string
	Note   string
}

const rounds = 300

// run starts, for each order ID of a round, the updates and reads at once.
func run(update func(id uint64, field int, v string), read func(id uint64) (string, string)) {
	for r := 0; r < rounds; r++ {
		id := uint64(r)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				<-start
				switch g {
				case 0:
					update(id, 0, "paid")
				case 1:
					update(id, 1, "gift")
				default:
					read(id)
				}
			}(g)
		}
		close(start)
		wg.Wait()
	}
}

func set(o *Order, field int, v string) {
	if field == 0 {
		o.Status = v
	} else {
		o.Note = v
	}
}

// ---- seed: updateStatus exactly as the postmortem writes it --------------------------------

var cache sync.Map

func updateStatus(orderID uint64, field int, newStatus string) {
	if val, loaded := cache.LoadOrStore(orderID, &Order{ID: orderID}); loaded {
		order := val.(*Order)
		set(order, field, newStatus) // order.Status = newStatus
		cache.Store(orderID, order)
	}
}

func seedRead(id uint64) (string, string) {
	if v, ok := cache.Load(id); ok {
		o := v.(*Order)
		return o.Status, o.Note
	}
	return "", ""
}

// ---- the seed's fix: map behind an RWMutex ---------------------------------------------------

var (
	mu    sync.RWMutex
	plain = map[uint64]*Order{}
)

func rwPrefill() {
	for r := 0; r < rounds; r++ {
		plain[uint64(r)] = &Order{ID: uint64(r)}
	}
}

func rwUpdate(id uint64, field int, v string) {
	mu.Lock()
	set(plain[id], field, v) // cache[key].Status = newStatus
	mu.Unlock()
}

func rwCopyRead(id uint64) (string, string) {
	mu.RLock()
	o := *plain[id]
	mu.RUnlock()
	return o.Status, o.Note
}

func rwPointerRead(id uint64) (string, string) {
	mu.RLock()
	p := plain[id]
	mu.RUnlock()
	return p.Status, p.Note
}

// ---- copy-on-write on sync.Map ---------------------------------------------------------------

func cowUpdate(id uint64, field int, v string) {
	var c Order
	if old, ok := cache.Load(id); ok {
		c = *old.(*Order)
	} else {
		c = Order{ID: id}
	}
	set(&c, field, v)
	cache.Store(id, &c)
}

// ---- the seed's RCU map -----------------------------------------------------------------------

type RCUMap struct{ data unsafe.Pointer } // *map[uint64]*Order

func newRCU() *RCUMap {
	m := map[uint64]*Order{}
	return &RCUMap{data: unsafe.Pointer(&m)}
}

func (m *RCUMap) Load(k uint64) *Order {
	p := atomic.LoadPointer(&m.data)
	return (*(*map[uint64]*Order)(p))[k]
}

// Store: copy the map, change the copy, swap it in; no writer lock.
func (m *RCUMap) Store(k uint64, v *Order) {
	old := *(*map[uint64]*Order)(atomic.LoadPointer(&m.data))
	next := make(map[uint64]*Order, len(old)+1)
	for kk, vv := range old {
		next[kk] = vv
	}
	next[k] = v
	atomic.SwapPointer(&m.data, unsafe.Pointer(&next))
}

var rcu = newRCU()

func rcuUpdate(id uint64, field int, v string) {
	var c Order
	if old := rcu.Load(id); old != nil {
		c = *old
	} else {
		c = Order{ID: id}
	}
	set(&c, field, v)
	rcu.Store(id, &c)
}

func rcuRead(id uint64) (string, string) {
	if o := rcu.Load(id); o != nil {
		return o.Status, o.Note
	}
	return "", ""
}

// ---- the seed's SafeMap -----------------------------------------------------------------------

type SafeMap struct {
	mu      sync.Mutex
	data    map[uint64]*Order
	version uint64
}

func deepCopy(o *Order) *Order { c := *o; return &c }

func copyMap(m map[uint64]*Order) map[uint64]*Order {
	n := make(map[uint64]*Order, len(m)+1)
	for k, v := range m {
		n[k] = deepCopy(v)
	}
	return n
}

func (m *SafeMap) Store(key uint64, value *Order) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cloned := deepCopy(value)
	m.data = copyMap(m.data)
	m.data[key] = cloned
	atomic.AddUint64(&m.version, 1)
}

// Load as the postmortem describes it: no lock, an atomic load of the version before return.
func (m *SafeMap) Load(key uint64) *Order {
	o := m.data[key]
	atomic.LoadUint64(&m.version)
	return o
}

var safe = &SafeMap{data: map[uint64]*Order{}}

func safeUpdate(id uint64, field int, v string) {
	var c Order
	if old := safe.Load(id); old != nil {
		c = *old
	} else {
		c = Order{ID: id}
	}
	set(&c, field, v)
	safe.Store(id, &c)
}

func safeRead(id uint64) (string, string) {
	if o := safe.Load(id); o != nil {
		return o.Status, o.Note
	}
	return "", ""
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: race seed|rwmutex-copy-reader|rwmutex-pointer-reader|cow-store|rcu|safemap")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "seed":
		run(updateStatus, seedRead)
	case "rwmutex-copy-reader":
		rwPrefill()
		run(rwUpdate, rwCopyRead)
	case "rwmutex-pointer-reader":
		rwPrefill()
		run(rwUpdate, rwPointerRead)
	case "cow-store":
		run(cowUpdate, seedRead)
	case "rcu":
		run(rcuUpdate, rcuRead)
	case "safemap":
		run(safeUpdate, safeRead)
	default:
		fmt.Fprintln(os.Stderr, "unknown protocol", os.Args[1])
		os.Exit(2)
	}
	fmt.Println("done", os.Args[1])
}
