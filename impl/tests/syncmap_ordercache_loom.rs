//! The data races that the Rust ports of the order-cache protocols cannot have (safe Rust
//! forbids them; `ordercache` uses atomic fields instead), shown under loom with the Go
//! programs' plain fields: an order's `Status` is a `loom::cell::UnsafeCell`, the cache a
//! loom lock giving the synchronisation the Go version has (sync.Map: a write is synchronized
//! before a read that observes it; RWMutex: Unlock before the next RLock/Lock). loom reports
//! an access to the cell not ordered by happens-before with a conflicting one by panicking.
//!
//! - seed claim S4 (`updateStatus` and readers are race-free): `invalid_` test, loom finds
//!   the race between the in-place `order.Status = newStatus` and a reader.
//! - seed claim S6 (the RWMutex fix is race-free whatever readers do with the pointer): a
//!   reader that copies the order under `RLock` is race-free (`valid_`), one that reads
//!   through the pointer after `RUnlock` races with the next writer (`invalid_`).

use loom::cell::UnsafeCell;
use loom::sync::{Arc, Mutex, RwLock};
use loom::thread;
use std::collections::HashMap;

/// `type Order struct { ID uint64; Status int }` with a plain field.
struct Order {
    status: UnsafeCell<u16>,
}

impl Order {
    fn new() -> Arc<Order> {
        Arc::new(Order {
            status: UnsafeCell::new(0),
        })
    }
    fn read_status(&self) -> u16 {
        self.status.with(|p| unsafe { *p })
    }
    fn write_status(&self, s: u16) {
        self.status.with_mut(|p| unsafe { *p = s })
    }
}

/// A sync.Map of `*Order` with the synchronisation Go's has (each method under one lock is
/// stronger than sync.Map, so a race found here is a race there too).
type SyncMapOfOrders = Mutex<HashMap<u64, Arc<Order>>>;

fn load_or_store(m: &SyncMapOfOrders, id: u64, fresh: Arc<Order>) -> (Arc<Order>, bool) {
    let mut g = m.lock().unwrap();
    match g.get(&id) {
        Some(o) => (o.clone(), true),
        None => {
            g.insert(id, fresh.clone());
            (fresh, false)
        }
    }
}

/// The seed's `updateStatus`.
fn update_status(m: &SyncMapOfOrders, id: u64, s: u16) {
    let (order, loaded) = load_or_store(m, id, Order::new());
    if loaded {
        order.write_status(s); // order.Status = newStatus: a plain write
        m.lock().unwrap().insert(id, order); // cache.Store(orderID, order)
    }
}

#[test]
#[should_panic(expected = "Causality violation: Concurrent read and write accesses")]
fn invalid_seed_update_status_races_with_a_reader() {
    loom::model(|| {
        let m: Arc<SyncMapOfOrders> = Arc::new(Mutex::new(HashMap::new()));
        m.lock().unwrap().insert(1, Order::new()); // the order is cached
        let w = {
            let m = m.clone();
            thread::spawn(move || update_status(&m, 1, 7))
        };
        // A reader: v, _ := cache.Load(id); v.(*Order).Status
        let o = m.lock().unwrap().get(&1).cloned();
        if let Some(o) = o {
            let _ = o.read_status();
        }
        w.join().unwrap();
    });
}

/// The RWMutex fix: `mu.Lock(); cache[key].Status = s; mu.Unlock()`.
fn rw_update(m: &RwLock<HashMap<u64, Arc<Order>>>, id: u64, s: u16) {
    let g = m.write().unwrap();
    g[&id].write_status(s);
}

fn rw_fix(pointer_reader: bool) {
    loom::model(move || {
        let m = Arc::new(RwLock::new(HashMap::new()));
        m.write().unwrap().insert(1u64, Order::new());
        let w = {
            let m = m.clone();
            thread::spawn(move || rw_update(&m, 1, 7))
        };
        let g = m.read().unwrap();
        if pointer_reader {
            let o = g[&1].clone();
            drop(g); // RUnlock, then read through the pointer
            let _ = o.read_status();
        } else {
            let _copy = g[&1].read_status(); // copy under RLock
            drop(g);
        }
        w.join().unwrap();
    });
}

#[test]
fn valid_rwmutex_fix_with_readers_that_copy_under_rlock() {
    rw_fix(false);
}

#[test]
#[should_panic(expected = "Causality violation: Concurrent read and write accesses")]
fn invalid_rwmutex_fix_with_readers_that_keep_the_pointer() {
    rw_fix(true);
}
