//! `SyncMap<K, V>`: a port of Go 1.19's `sync.Map` (sync/map.go), plus Go 1.20's `Swap`,
//! `CompareAndSwap` and `CompareAndDelete`, step for step with Go's names.
//!
//! # The design (Go's, unchanged)
//!
//! Two maps. `read` is a read-only map published atomically: a `readOnly{m, amended}` that
//! is never mutated once stored, so loads and updates of keys already in it need no lock.
//! `dirty` holds, under `mu`, every live entry of `read.m` plus the keys added since the last
//! promotion; `amended` says whether `dirty` has keys that `read.m` lacks. Both maps point to
//! the same `entry` objects, so updating a key present in `read.m` is a single atomic
//! operation on its entry, seen through either map.
//!
//! An entry's pointer `p` is in one of three states:
//! - `p == nil`: deleted; either `dirty == nil` or `dirty[key] == e`.
//! - `p == expunged`: deleted, `dirty != nil`, and the entry is missing from `dirty`.
//! - otherwise: live, in `read.m` and, if `dirty != nil`, in `dirty[key]`.
//!
//! A load that misses `read.m` while `amended` takes `mu`, re-checks `read` (it may have been
//! promoted meanwhile), looks in `dirty` and counts a miss (`miss_locked`); once the misses
//! reach `len(dirty)`, `dirty` is promoted to `read` (`amended = false`) and `dirty = nil`.
//! The next store of a new key rebuilds `dirty` from `read.m` (`dirty_locked`), expunging the
//! nil entries (`try_expunge_locked`) so that they can be left out; storing to an expunged
//! key first un-expunges it and puts it back into `dirty` (`unexpunge_locked`), under `mu`.
//! `Range` promotes a pending `dirty` and walks `read.m`: it is not a snapshot.
//!
//! # What differs from Go, and why
//!
//! Go's map leans on its garbage collector: a goroutine may hold a `*entry`, a `readOnly` or
//! a value pointer loaded from an atomic at any time, and nothing is freed while it does.
//! Safe Rust needs the same guarantee from a reclamation scheme, so:
//! - `read` is an [`arc_swap::ArcSwap`] of the `readOnly` (Go: `atomic.Value`);
//! - each entry's `p` is an [`arc_swap::ArcSwapOption`] (Go: `unsafe.Pointer` with
//!   `atomic.LoadPointer`/`CompareAndSwapPointer`/`StorePointer`/`Swap`), where `None` is
//!   Go's nil and one sentinel `Arc` per map, compared by pointer, is Go's `expunged`;
//! - entries are `Arc<Entry>` shared by `read.m` and `dirty`, and `read.m` is an
//!   `Arc<HashMap>` so that `readOnly{m: read.m, amended: true}` shares the map as Go does.
//!
//! arc-swap's operations each contain a `SeqCst` read-modify-write, so they have a single
//! global order, as Go's `sync/atomic` operations do. A CAS compares pointers, and the caller
//! always holds the `Arc` it compares against, so an address cannot be freed and reused in
//! between (Go's GC gives the same protection against ABA). `mu` guards `dirty` and `misses`
//! by owning them: a `_locked` function takes the `Locked` state, which only a held `mu`
//! gives out.
//!
//! # Test hooks
//!
//! A [`Hooks`] type parameter (default [`NoHooks`], which compiles to nothing) is called
//! before each atomic step ([`Step`]), so a controlled scheduler (shuttle, or a test's
//! step-by-step replay of a model counterexample) can run the steps of several threads in a
//! chosen order. A [`Fault`] can be injected to check that the conformance tests notice
//! departures from Go's algorithm; it is not part of Go.
//!
//! Follows Go 1.19.8's sync/map.go (Load, Store, LoadOrStore, LoadAndDelete, Delete, Range,
//! missLocked, dirtyLocked, entry.load/tryStore/unexpungeLocked/storeLocked/tryLoadOrStore/
//! delete/tryExpungeLocked) and Go 1.20's additions (Swap, CompareAndSwap, CompareAndDelete,
//! entry.trySwap/swapLocked/tryCompareAndSwap).

mod check;
pub mod conform;
pub mod history;
mod newer;

use arc_swap::{ArcSwap, ArcSwapOption, Guard};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};

/// An atomic step of a `SyncMap` operation, named after the Go operation it ports. Hooks are
/// called just before the step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// `m.read.Load()`.
    LoadRead,
    /// `m.read.Store(...)` (with `mu` held).
    StoreRead,
    /// `m.mu.Lock()`.
    Lock,
    /// `m.mu.Unlock()`.
    Unlock,
    /// `atomic.LoadPointer(&e.p)`.
    LoadEntry,
    /// `atomic.CompareAndSwapPointer(&e.p, old, new)`.
    CasEntry,
    /// `atomic.StorePointer(&e.p, new)`.
    StoreEntry,
    /// `e.p.Swap(new)` (Go 1.20).
    SwapEntry,
}

/// Called by a `SyncMap` before each of its atomic steps. Not part of Go.
pub trait Hooks: Send + Sync {
    /// Whether threads are run cooperatively on one OS thread (shuttle): then `mu` is taken
    /// with `try_lock`, calling [`Hooks::lock_contended`] while it is held elsewhere, because
    /// blocking the OS thread would block every thread.
    const COOPERATIVE: bool = false;
    /// Called just before `step`.
    fn before(&self, _step: Step) {}
    /// Called while waiting for `mu` (cooperative schedulers only).
    fn lock_contended(&self) {
        std::thread::yield_now()
    }
}

/// No hooks: the production configuration.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoHooks;
impl Hooks for NoHooks {}

/// A test-only fault, injected into the algorithm to check that the conformance tests notice
/// it. Not part of Go.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Load's slow path does not re-check `read` after taking `mu`: a promotion that happened
    /// while it waited makes it look in a `dirty` that is now nil and report a spurious miss.
    LoadSkipsRecheck,
    /// `tryCompareAndSwap` compares, then stores unconditionally (a plain store instead of
    /// the CAS): two concurrent CompareAndSwaps of the same old value can both succeed.
    CompareAndSwapNotAtomic,
    /// Range walks `read.m` without promoting `dirty` first: keys only in `dirty` are missed.
    RangeSkipsPromotion,
    /// Store un-expunges an entry without putting it back into `dirty`: the key is lost at
    /// the next promotion.
    UnexpungeWithoutDirty,
}

impl Fault {
    pub const ALL: [Fault; 4] = [
        Fault::LoadSkipsRecheck,
        Fault::CompareAndSwapNotAtomic,
        Fault::RangeSkipsPromotion,
        Fault::UnexpungeWithoutDirty,
    ];
    /// The kebab-case name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Fault::LoadSkipsRecheck => "load-skips-recheck",
            Fault::CompareAndSwapNotAtomic => "compare-and-swap-not-atomic",
            Fault::RangeSkipsPromotion => "range-skips-promotion",
            Fault::UnexpungeWithoutDirty => "unexpunge-without-dirty",
        }
    }
    pub fn from_name(s: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == s)
    }
}

/// What `e.p` points to: a value, or the `expunged` marker (Go: `new(any)`, only ever
/// compared by address).
enum Slot<V> {
    Value(V),
    Expunged,
}

/// `*interface{}` (Go): a pointer to a value, or to the expunged marker.
type P<V> = Option<Arc<Slot<V>>>;

/// `entry`: a slot in the map for one key, shared by `read.m` and `dirty`.
struct Entry<V> {
    /// nil (`None`): deleted, and `dirty == nil` or `dirty[key] == e`.
    /// expunged: deleted, `dirty != nil`, and the entry is missing from `dirty`.
    /// otherwise: live, in `read.m` and, if `dirty != nil`, in `dirty[key]`.
    p: ArcSwapOption<Slot<V>>,
}

/// `map[any]*entry`. Hashed with ahash's per-process random keys, as Go's map hashes with
/// aeshash and a per-process random seed; the hash function is not observable.
type EntryMap<K, V> = HashMap<K, Arc<Entry<V>>, ahash::RandomState>;

/// `readOnly`: immutable once stored in `read`.
struct ReadOnly<K, V> {
    m: Arc<EntryMap<K, V>>,
    /// true if `dirty` contains some key not in `m`.
    amended: bool,
}

/// The fields `mu` guards.
struct Locked<K, V> {
    /// Every non-expunged entry of `read.m` plus the keys added since the last promotion;
    /// `None` (Go: nil) right after a promotion, until the next store of a new key.
    dirty: Option<EntryMap<K, V>>,
    /// Loads since `read` was last replaced that needed `mu` to find out whether the key was
    /// present; `dirty` is promoted when they reach `len(dirty)`.
    misses: usize,
}

/// Go 1.19's `sync.Map`, with Go 1.20's `Swap`, `CompareAndSwap` and `CompareAndDelete` and
/// Go 1.23's `Clear`.
pub struct SyncMap<K, V, H: Hooks = NoHooks> {
    mu: Mutex<Locked<K, V>>,
    read: ArcSwap<ReadOnly<K, V>>,
    /// Go: `var expunged = unsafe.Pointer(new(any))` (here one per map; compared by address).
    expunged: Arc<Slot<V>>,
    hooks: H,
    fault: Option<Fault>,
}

impl<K: Eq + Hash + Clone, V: Clone> Default for SyncMap<K, V> {
    fn default() -> Self {
        SyncMap::new()
    }
}

impl<K: Eq + Hash + Clone, V: Clone> SyncMap<K, V> {
    /// The zero Map: empty and ready for use.
    pub fn new() -> Self {
        SyncMap::with_hooks(NoHooks)
    }
}

impl<K: Eq + Hash + Clone, V: Clone, H: Hooks> SyncMap<K, V, H> {
    /// An empty map whose atomic steps call `hooks`.
    pub fn with_hooks(hooks: H) -> Self {
        SyncMap {
            mu: Mutex::new(Locked {
                dirty: None,
                misses: 0,
            }),
            read: ArcSwap::from_pointee(ReadOnly {
                m: Arc::new(EntryMap::default()),
                amended: false,
            }),
            expunged: Arc::new(Slot::Expunged),
            hooks,
            fault: None,
        }
    }

    /// Injects a test-only fault (see [`Fault`]).
    #[doc(hidden)]
    pub fn with_fault(mut self, fault: Option<Fault>) -> Self {
        self.fault = fault;
        self
    }

    pub fn hooks(&self) -> &H {
        &self.hooks
    }

    fn faulty(&self, f: Fault) -> bool {
        self.fault == Some(f)
    }

    // ---- the steps ----------------------------------------------------------------------

    /// `m.read.Load().(readOnly)`. A guard, not a new reference: loading touches no
    /// reference count that other threads' loads also write (Go's GC needs none either).
    fn load_read(&self) -> Guard<Arc<ReadOnly<K, V>>> {
        self.hooks.before(Step::LoadRead);
        self.read.load()
    }

    /// `m.read.Store(r)`.
    fn store_read(&self, r: ReadOnly<K, V>) {
        self.hooks.before(Step::StoreRead);
        self.read.store(Arc::new(r));
    }

    /// `m.mu.Lock()`.
    // Deviation from Go: a panic while `mu` is held (only K's Hash/Eq or V's Clone can panic)
    // poisons a std Mutex; Go has no poisoning, so the poison is ignored.
    fn lock(&self) -> MutexGuard<'_, Locked<K, V>> {
        self.hooks.before(Step::Lock);
        if H::COOPERATIVE {
            loop {
                match self.mu.try_lock() {
                    Ok(g) => return g,
                    Err(TryLockError::Poisoned(p)) => return p.into_inner(),
                    Err(TryLockError::WouldBlock) => self.hooks.lock_contended(),
                }
            }
        }
        self.mu.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `m.mu.Unlock()`.
    fn unlock(&self, g: MutexGuard<'_, Locked<K, V>>) {
        self.hooks.before(Step::Unlock);
        drop(g);
    }

    fn is_expunged(&self, p: &P<V>) -> bool {
        p.as_ref().is_some_and(|a| Arc::ptr_eq(a, &self.expunged))
    }

    /// `*(*any)(p)` for a p that is neither nil nor expunged; None otherwise.
    fn value_of(&self, p: &P<V>) -> Option<V> {
        match p.as_deref() {
            Some(Slot::Value(v)) => Some(v.clone()),
            Some(Slot::Expunged) => {
                debug_assert!(self.is_expunged(p));
                None
            }
            None => None,
        }
    }

    fn new_p(value: V) -> Arc<Slot<V>> {
        Arc::new(Slot::Value(value))
    }

    fn new_entry(value: V) -> Arc<Entry<V>> {
        Arc::new(Entry {
            p: ArcSwapOption::new(Some(Self::new_p(value))),
        })
    }

    /// `atomic.LoadPointer(&e.p)`. A guard, as for `read` (see [`Self::load_read`]).
    fn load_p(&self, e: &Entry<V>) -> Guard<P<V>> {
        self.hooks.before(Step::LoadEntry);
        e.p.load()
    }

    /// `atomic.CompareAndSwapPointer(&e.p, old, new)`: whether it swapped. `old` is held by
    /// the caller, so its address cannot have been reused.
    fn cas_p(&self, e: &Entry<V>, old: &P<V>, new: P<V>) -> bool {
        self.hooks.before(Step::CasEntry);
        let old_raw = old.as_ref().map_or(std::ptr::null(), Arc::as_ptr);
        let prev = e.p.compare_and_swap(old_raw, new);
        prev.as_ref().map_or(std::ptr::null(), Arc::as_ptr) == old_raw
    }

    /// `entry.load`.
    fn entry_load(&self, e: &Entry<V>) -> Option<V> {
        let p = self.load_p(e);
        self.value_of(&p)
    }

    // ---- Load ---------------------------------------------------------------------------

    /// `Load` returns the value stored in the map for a key, or None if no value is present.
    pub fn load(&self, key: &K) -> Option<V> {
        let read = self.load_read();
        let e = read.m.get(key);
        if e.is_none() && read.amended {
            let mut locked = self.lock();
            let mut e = None;
            if self.faulty(Fault::LoadSkipsRecheck) {
                if let Some(dirty) = &locked.dirty {
                    e = dirty.get(key).cloned();
                    self.miss_locked(&mut locked);
                }
            } else {
                // Avoid reporting a spurious miss if m.dirty got promoted while we were
                // blocked on m.mu.
                let read = self.load_read();
                e = read.m.get(key).cloned();
                if e.is_none() && read.amended {
                    e = locked.dirty.as_ref().and_then(|d| d.get(key).cloned());
                    // Regardless of whether the entry was present, record a miss: this key
                    // will take the slow path until the dirty map is promoted.
                    self.miss_locked(&mut locked);
                }
            }
            self.unlock(locked);
            return e.and_then(|e| self.entry_load(&e));
        }
        // The entry is borrowed from `read.m`, which the guard keeps alive.
        e.and_then(|e| self.entry_load(e))
    }

    // ---- Store (Go 1.19) ----------------------------------------------------------------

    /// `Store` sets the value for a key.
    pub fn store(&self, key: K, value: V) {
        let new = Self::new_p(value);
        let read = self.load_read();
        if let Some(e) = read.m.get(&key) {
            if self.try_store(e, &new) {
                return;
            }
        }

        let mut locked = self.lock();
        let read = self.load_read();
        if let Some(e) = read.m.get(&key) {
            if self.unexpunge_locked(e) && !self.faulty(Fault::UnexpungeWithoutDirty) {
                // The entry was previously expunged, which implies that there is a non-nil
                // dirty map and this entry is not in it.
                dirty_of(&mut locked).insert(key, e.clone());
            }
            self.store_locked(e, new);
        } else if let Some(e) = locked.dirty.as_ref().and_then(|d| d.get(&key)) {
            self.store_locked(e, new);
        } else {
            if !read.amended {
                // We're adding the first new key to the dirty map. Make sure it is allocated
                // and mark the read-only map as incomplete.
                self.dirty_locked(&mut locked);
                self.store_read(ReadOnly {
                    m: read.m.clone(),
                    amended: true,
                });
            }
            dirty_of(&mut locked).insert(
                key,
                Arc::new(Entry {
                    p: ArcSwapOption::new(Some(new)),
                }),
            );
        }
        self.unlock(locked);
    }

    /// `entry.tryStore`: stores a value if the entry has not been expunged.
    fn try_store(&self, e: &Entry<V>, new: &Arc<Slot<V>>) -> bool {
        loop {
            let p = self.load_p(e);
            if self.is_expunged(&p) {
                return false;
            }
            if self.cas_p(e, &p, Some(new.clone())) {
                return true;
            }
        }
    }

    /// `entry.unexpungeLocked`: ensures that the entry is not marked as expunged. If it was,
    /// it must be added to the dirty map before `mu` is unlocked.
    fn unexpunge_locked(&self, e: &Entry<V>) -> bool {
        self.cas_p(e, &Some(self.expunged.clone()), None)
    }

    /// `entry.storeLocked`: unconditionally stores a value; the entry must be known not to be
    /// expunged.
    fn store_locked(&self, e: &Entry<V>, new: Arc<Slot<V>>) {
        self.hooks.before(Step::StoreEntry);
        e.p.store(Some(new));
    }

    // ---- LoadOrStore --------------------------------------------------------------------

    /// `LoadOrStore` returns the existing value for the key if present (and `true`).
    /// Otherwise, it stores and returns the given value (and `false`).
    pub fn load_or_store(&self, key: K, value: V) -> (V, bool) {
        // Avoid locking if it's a clean hit.
        let read = self.load_read();
        if let Some(e) = read.m.get(&key) {
            if let Some(r) = self.try_load_or_store(e, &value) {
                return r;
            }
        }

        let mut locked = self.lock();
        let read = self.load_read();
        let r;
        if let Some(e) = read.m.get(&key) {
            if self.unexpunge_locked(e) && !self.faulty(Fault::UnexpungeWithoutDirty) {
                dirty_of(&mut locked).insert(key, e.clone());
            }
            r = self
                .try_load_or_store(e, &value)
                .expect("entry not expunged under mu");
        } else if let Some(e) = locked.dirty.as_ref().and_then(|d| d.get(&key)).cloned() {
            r = self
                .try_load_or_store(&e, &value)
                .expect("dirty entries are never expunged");
            self.miss_locked(&mut locked);
        } else {
            if !read.amended {
                self.dirty_locked(&mut locked);
                self.store_read(ReadOnly {
                    m: read.m.clone(),
                    amended: true,
                });
            }
            dirty_of(&mut locked).insert(key, Self::new_entry(value.clone()));
            r = (value, false);
        }
        self.unlock(locked);
        r
    }

    /// `entry.tryLoadOrStore`: atomically loads or stores a value if the entry is not
    /// expunged; None if it is.
    fn try_load_or_store(&self, e: &Entry<V>, value: &V) -> Option<(V, bool)> {
        let p = self.load_p(e);
        if self.is_expunged(&p) {
            return None;
        }
        if let Some(v) = self.value_of(&p) {
            return Some((v, true));
        }
        let ic = Self::new_p(value.clone());
        loop {
            if self.cas_p(e, &None, Some(ic.clone())) {
                return Some((value.clone(), false));
            }
            let p = self.load_p(e);
            if self.is_expunged(&p) {
                return None;
            }
            if let Some(v) = self.value_of(&p) {
                return Some((v, true));
            }
        }
    }

    // ---- LoadAndDelete, Delete ----------------------------------------------------------

    /// `LoadAndDelete` deletes the value for a key, returning the previous value if any.
    pub fn load_and_delete(&self, key: &K) -> Option<V> {
        let read = self.load_read();
        let mut e = read.m.get(key).cloned();
        if e.is_none() && read.amended {
            let mut locked = self.lock();
            let read = self.load_read();
            e = read.m.get(key).cloned();
            if e.is_none() && read.amended {
                e = locked.dirty.as_mut().and_then(|d| d.remove(key));
                // Regardless of whether the entry was present, record a miss.
                self.miss_locked(&mut locked);
            }
            self.unlock(locked);
        }
        e.and_then(|e| self.entry_delete(&e))
    }

    /// `Delete` deletes the value for a key.
    pub fn delete(&self, key: &K) {
        self.load_and_delete(key);
    }

    /// `entry.delete`.
    fn entry_delete(&self, e: &Entry<V>) -> Option<V> {
        loop {
            let p = self.load_p(e);
            if p.is_none() || self.is_expunged(&p) {
                return None;
            }
            if self.cas_p(e, &p, None) {
                return self.value_of(&p);
            }
        }
    }

    // ---- Range --------------------------------------------------------------------------

    /// `Range` calls `f` sequentially for each key and value present in the map; if `f`
    /// returns false, range stops. Not a snapshot: no key is visited more than once, but a
    /// key stored or deleted concurrently may show any mapping it had during the call.
    pub fn range(&self, mut f: impl FnMut(&K, &V) -> bool) {
        // We need to be able to iterate over all of the keys that were already present at
        // the start of the call. If read.amended is false, read.m satisfies that.
        // Held for the whole walk, which calls `f`: a reference, not a guard.
        let mut read = Guard::into_inner(self.load_read());
        if read.amended && !self.faulty(Fault::RangeSkipsPromotion) {
            // dirty contains keys not in read.m. Range is O(N) anyway, so it amortizes a
            // copy of the map: promote the dirty copy immediately.
            let mut locked = self.lock();
            read = Guard::into_inner(self.load_read());
            if read.amended {
                let promoted = Arc::new(ReadOnly {
                    m: Arc::new(locked.dirty.take().unwrap_or_default()),
                    amended: false,
                });
                self.hooks.before(Step::StoreRead);
                self.read.store(promoted.clone());
                read = promoted;
                locked.misses = 0;
            }
            self.unlock(locked);
        }
        // Deviation from Go: Go's `for k, e := range read.m` starts at a random bucket; this
        // walks the HashMap in its own (per-process random) order.
        for (k, e) in read.m.iter() {
            let Some(v) = self.entry_load(e) else {
                continue;
            };
            if !f(k, &v) {
                break;
            }
        }
    }

    // ---- promotion and expunging (caller holds mu) --------------------------------------

    /// `missLocked`: counts a miss; promotes dirty once misses reach `len(dirty)`.
    fn miss_locked(&self, locked: &mut Locked<K, V>) {
        locked.misses += 1;
        if locked.misses < locked.dirty.as_ref().map_or(0, HashMap::len) {
            return;
        }
        let dirty = locked.dirty.take().unwrap_or_default();
        self.store_read(ReadOnly {
            m: Arc::new(dirty),
            amended: false,
        });
        locked.misses = 0;
    }

    /// `dirtyLocked`: if dirty is nil, makes it a copy of `read.m` without the deleted
    /// entries, which it expunges.
    fn dirty_locked(&self, locked: &mut Locked<K, V>) {
        if locked.dirty.is_some() {
            return;
        }
        let read = self.load_read();
        let mut dirty = EntryMap::with_capacity_and_hasher(read.m.len(), Default::default());
        for (k, e) in read.m.iter() {
            if !self.try_expunge_locked(e) {
                dirty.insert(k.clone(), e.clone());
            }
        }
        locked.dirty = Some(dirty);
    }

    /// `entry.tryExpungeLocked`: turns nil into expunged; whether the entry is expunged.
    fn try_expunge_locked(&self, e: &Entry<V>) -> bool {
        let mut p = self.load_p(e);
        while p.is_none() {
            if self.cas_p(e, &None, Some(self.expunged.clone())) {
                return true;
            }
            p = self.load_p(e);
        }
        self.is_expunged(&p)
    }
}

/// `m.dirty`, known non-nil at this point (amended, or just built by `dirty_locked`).
fn dirty_of<K, V>(locked: &mut Locked<K, V>) -> &mut EntryMap<K, V> {
    locked
        .dirty
        .as_mut()
        .expect("dirty is non-nil when read is amended or an entry is expunged")
}
