//! The seed postmortem's order cache (`orderCache.updateStatus`), its proposed fixes and two
//! protocols it does not propose, written in safe Rust on the [`SyncMap`] port, so that their
//! recorded histories can be checked against an order store whose `update(id, field, value)`
//! and `read(id)` are atomic ([`conform`]).
//!
//! An order has two fields, `Status` and `Note` (as in the `cache` model): with one field,
//! two concurrent updates of it are linearizable whichever wins, and a lost update cannot
//! show. The protocols (the `cache` model's names):
//!
//! - `seed`: `updateStatus` as written: `LoadOrStore(id, &Order{ID})`; if loaded, set the
//!   field in place on the shared order, then `Store` the same pointer. Bug kept: on the first
//!   update of a new order the fresh order is stored with the default status and the new
//!   value is dropped.
//! - `rwmutex-copy-reader`: the postmortem's fix, `map[uint64]*Order` behind an RWMutex, the
//!   field set in place under `Lock`, readers copying the order under `RLock`. Correct.
//! - `rwmutex-pointer-reader`: the same, but readers keep the pointer and read the fields
//!   after `RUnlock` (S6's "whatever readers do with the pointer"): the two fields can come
//!   from different moments.
//! - `cow-store`: copy-on-write: `Load`, copy, modify the copy, `Store`. Lost updates.
//! - `cow-cas`: copy-on-write with a `CompareAndSwap` retry loop (`LoadOrStore` when absent;
//!   the comparison is of `*Order` pointers, as in Go). Correct.
//! - `rcu`: writers load the map pointer, copy the whole map, change the copy and swap it in
//!   with no writer lock. Lost updates, of any order.
//! - `safemap`: the postmortem's SafeMap: `Store` takes the mutex and deep-copies the whole
//!   map; `Load` takes no lock; updates are `Load`, copy, modify, `Store`. Lost updates.
//!
//! # What differs from Go
//!
//! Go's versions of `seed` and `rwmutex-pointer-reader` write a plain field of a shared
//! `*Order` while other goroutines may read it: a data race, which safe Rust forbids. Here
//! the fields are atomics (`SharedOrder`), so the Rust programs are race-free and only the
//! logical bugs remain (the lost first status; reads that mix two moments). The races
//! themselves are shown under loom in impl/tests/syncmap_ordercache_loom.rs, where the field
//! is a `loom::cell::UnsafeCell` and loom reports the unsynchronised accesses. Likewise
//! SafeMap's unlocked `Load` of its `m.data` field is a data race in Go; here `m.data` is an
//! atomically swapped pointer.
//!
//! The seed's RWMutex fix does `cache[key].Status = newStatus`, which panics (nil pointer
//! dereference) for an order not yet cached; here the update inserts a fresh order first.

pub mod conform;

use crate::syncmap::SyncMap;
use arc_swap::ArcSwap;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// A field of an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Status,
    Note,
}

/// An order's fields, as a reader sees them (0 = never set).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Order {
    pub status: u16,
    pub note: u16,
}

impl Order {
    fn with(mut self, field: Field, value: u16) -> Order {
        match field {
            Field::Status => self.status = value,
            Field::Note => self.note = value,
        }
        self
    }
}

/// A cache of orders, shared by threads.
pub trait OrderCache: Send + Sync {
    /// Sets one field of order `id` (creating the order if absent).
    fn update(&self, id: u64, field: Field, value: u16);
    /// The order's fields, if it is cached.
    fn read(&self, id: u64) -> Option<Order>;
}

/// The protocols of the module header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    Seed,
    RwMutexCopyReader,
    RwMutexPointerReader,
    CowStore,
    CowCas,
    Rcu,
    SafeMap,
}

impl Variant {
    pub const ALL: [Variant; 7] = [
        Variant::Seed,
        Variant::RwMutexCopyReader,
        Variant::RwMutexPointerReader,
        Variant::CowStore,
        Variant::CowCas,
        Variant::Rcu,
        Variant::SafeMap,
    ];
    /// The `cache` model's name of the protocol.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Seed => "seed",
            Variant::RwMutexCopyReader => "rwmutex-copy-reader",
            Variant::RwMutexPointerReader => "rwmutex-pointer-reader",
            Variant::CowStore => "cow-store",
            Variant::CowCas => "cow-cas",
            Variant::Rcu => "rcu",
            Variant::SafeMap => "safemap",
        }
    }
    pub fn from_name(s: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.name() == s)
    }
    /// Whether the protocol is linearizable (what the conformance check should find).
    pub fn is_linearizable(self) -> bool {
        matches!(self, Variant::RwMutexCopyReader | Variant::CowCas)
    }
    /// A fresh, empty cache of this protocol.
    pub fn make(self) -> Box<dyn OrderCache> {
        match self {
            Variant::Seed => Box::new(SeedCache::default()),
            Variant::RwMutexCopyReader => Box::new(RwMutexCache::new(false)),
            Variant::RwMutexPointerReader => Box::new(RwMutexCache::new(true)),
            Variant::CowStore => Box::new(CowCache::new(false)),
            Variant::CowCas => Box::new(CowCache::new(true)),
            Variant::Rcu => Box::new(RcuCache::default()),
            Variant::SafeMap => Box::new(SafeMapCache::default()),
        }
    }
}

/// `*Order` whose fields are written in place (Go: plain fields; here atomics, see the
/// module header).
#[derive(Debug, Default)]
pub struct SharedOrder {
    pub id: u64,
    status: AtomicU16,
    note: AtomicU16,
}

impl SharedOrder {
    fn new(id: u64) -> Self {
        SharedOrder {
            id,
            ..Default::default()
        }
    }
    fn set(&self, field: Field, value: u16) {
        match field {
            Field::Status => self.status.store(value, Ordering::SeqCst),
            Field::Note => self.note.store(value, Ordering::SeqCst),
        }
    }
    fn get(&self) -> Order {
        Order {
            status: self.status.load(Ordering::SeqCst),
            note: self.note.load(Ordering::SeqCst),
        }
    }
}

/// `seed`: `updateStatus` as written, on the SyncMap port.
#[derive(Default)]
pub struct SeedCache {
    cache: SyncMap<u64, Arc<SharedOrder>>,
}

impl OrderCache for SeedCache {
    fn update(&self, id: u64, field: Field, value: u16) {
        // if val, loaded := cache.LoadOrStore(orderID, &Order{ID: orderID}); loaded {
        //     order := val.(*Order)
        //     order.Status = newStatus
        //     cache.Store(orderID, order)
        // }
        let (order, loaded) = self.cache.load_or_store(id, Arc::new(SharedOrder::new(id)));
        if loaded {
            // Deviation from Go: an atomic store, where Go's plain write is a data race.
            order.set(field, value);
            self.cache.store(id, order);
        }
    }
    fn read(&self, id: u64) -> Option<Order> {
        self.cache.load(&id).map(|o| o.get())
    }
}

/// `rwmutex-*`: `map[uint64]*Order` behind an RWMutex, fields set in place under `Lock`.
pub struct RwMutexCache {
    cache: RwLock<HashMap<u64, Arc<SharedOrder>>>,
    /// Readers keep the pointer and read the fields after `RUnlock`.
    pointer_reader: bool,
}

impl RwMutexCache {
    fn new(pointer_reader: bool) -> Self {
        RwMutexCache {
            cache: RwLock::new(HashMap::new()),
            pointer_reader,
        }
    }
}

impl OrderCache for RwMutexCache {
    fn update(&self, id: u64, field: Field, value: u16) {
        let mut m = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        // Deviation from the seed: `cache[key].Status = s` panics for an absent order; here
        // a fresh order is inserted first.
        m.entry(id)
            .or_insert_with(|| Arc::new(SharedOrder::new(id)))
            .set(field, value);
    }
    fn read(&self, id: u64) -> Option<Order> {
        let m = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        if self.pointer_reader {
            let p = m.get(&id).cloned();
            drop(m); // RUnlock, then read through the pointer.
            p.map(|o| o.get())
        } else {
            m.get(&id).map(|o| o.get())
        }
    }
}

/// `*Order` compared by address, as Go's `CompareAndSwap` compares `*Order` values.
#[derive(Clone, Debug)]
pub struct OrderPtr(pub Arc<Order>);

impl PartialEq for OrderPtr {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// `cow-store` and `cow-cas`: immutable orders in a SyncMap, replaced by modified copies.
pub struct CowCache {
    cache: SyncMap<u64, OrderPtr>,
    cas: bool,
}

impl CowCache {
    fn new(cas: bool) -> Self {
        CowCache {
            cache: SyncMap::new(),
            cas,
        }
    }
}

impl OrderCache for CowCache {
    fn update(&self, id: u64, field: Field, value: u16) {
        if !self.cas {
            let old = self.cache.load(&id).map(|p| *p.0).unwrap_or_default();
            self.cache
                .store(id, OrderPtr(Arc::new(old.with(field, value))));
            return;
        }
        loop {
            match self.cache.load(&id) {
                None => {
                    let new = OrderPtr(Arc::new(Order::default().with(field, value)));
                    if !self.cache.load_or_store(id, new).1 {
                        return;
                    }
                }
                Some(old) => {
                    let new = OrderPtr(Arc::new(old.0.with(field, value)));
                    if self.cache.compare_and_swap(&id, &old, new) {
                        return;
                    }
                }
            }
        }
    }
    fn read(&self, id: u64) -> Option<Order> {
        self.cache.load(&id).map(|p| *p.0)
    }
}

/// `rcu`: the whole map behind an atomic pointer; writers copy it and swap the copy in.
#[derive(Default)]
pub struct RcuCache {
    m: ArcSwap<HashMap<u64, Order>>,
}

impl OrderCache for RcuCache {
    fn update(&self, id: u64, field: Field, value: u16) {
        let cur = self.m.load_full();
        let mut copy: HashMap<u64, Order> = (*cur).clone();
        let o = copy.entry(id).or_default();
        *o = o.with(field, value);
        self.m.swap(Arc::new(copy)); // atomic.SwapPointer, no writer lock
    }
    fn read(&self, id: u64) -> Option<Order> {
        self.m.load().get(&id).copied()
    }
}

/// `safemap`: a mutex for `Store`, which deep-copies the whole map; `Load` unlocked.
#[derive(Default)]
pub struct SafeMapCache {
    mu: Mutex<()>,
    /// Go: a plain `map` field read by `Load` without the lock (a data race); here an atomic
    /// pointer.
    data: ArcSwap<HashMap<u64, Order>>,
}

impl SafeMapCache {
    /// `SafeMap.Load`.
    fn load(&self, id: u64) -> Option<Order> {
        self.data.load().get(&id).copied()
    }
    /// `SafeMap.Store`: `m.data = copyMap(m.data); m.data[key] = cloned` under `mu`.
    fn store(&self, id: u64, o: Order) {
        let _g = self.mu.lock().unwrap_or_else(PoisonError::into_inner);
        let mut copy: HashMap<u64, Order> = (**self.data.load()).clone();
        copy.insert(id, o);
        self.data.store(Arc::new(copy));
    }
}

impl OrderCache for SafeMapCache {
    fn update(&self, id: u64, field: Field, value: u16) {
        let o = self.load(id).unwrap_or_default();
        self.store(id, o.with(field, value));
    }
    fn read(&self, id: u64) -> Option<Order> {
        self.load(id)
    }
}
