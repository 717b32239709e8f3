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
//! Safe Rust needs the same guarantee from a reclamation scheme. The port uses epochs
//! ([`crossbeam_epoch`]):
//! - `read` is an epoch-managed pointer to the `readOnly` (Go: `atomic.Value`);
//! - each entry's `p` is an epoch-managed pointer to the value (Go: `unsafe.Pointer` with
//!   `atomic.LoadPointer`/`CompareAndSwapPointer`/`StorePointer`/`Swap`): null is Go's nil,
//!   and null with tag bit 1 is Go's `expunged` (a marker only ever compared, never read);
//! - entries are `Arc<Entry>` shared by `read.m` and `dirty`, and `read.m` is an
//!   `Arc<HashMap>` so that `readOnly{m: read.m, amended: true}` shares the map as Go does.
//!
//! An operation pins the epoch once and loads `read` and `p` with plain atomic loads, as
//! Go's loads are (nothing shared is written). A pointer replaced by a store, swap or CAS
//! is freed once every thread pinned at the time has unpinned, as Go's collector frees an
//! object once nothing reaches it. Every atomic operation on `read` and `p` is `SeqCst`, so
//! they have a single global order, as Go's `sync/atomic` operations do. A CAS compares
//! pointers; the pointer compared against was loaded while pinned, so its address cannot be
//! freed and reused in between (Go's GC gives the same protection against ABA). `mu` guards
//! `dirty` and `misses` by owning them: a `_locked` function takes the `Locked` state, which
//! only a held `mu` gives out.
//!
//! Garbage is bounded as Go's is paced: a thread whose replaced values not yet freed exceed
//! [`MAX_PENDING_PER_THREAD`] waits, unpinned, after its operation (yielding) until they are
//! freed, as Go makes an allocating goroutine assist the collector when it falls behind.
//! A thread counts what it retires in a thread-local and learns what was freed from a
//! canary it retires after every 64 objects, so no shared word is written per object.
//! A thread preempted while pinned therefore holds the other threads' garbage near the
//! bound (a writer that has waited 200 ms goes on, one more value per operation). No
//! callback (a `Range` function) runs while pinned; K's `Hash` and `Eq` and V's `Clone` do,
//! as in any map, and one that blocks holds the others back for those 200 ms at most.
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

use crossbeam_epoch::{self as epoch, Atomic, Guard, Owned, Shared};
use std::cell::Cell;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::{Duration, Instant};

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
    /// Called while waiting for `mu` (cooperative schedulers only), and between tries while
    /// a thread waits for its garbage to be freed (see [`MAX_PENDING_PER_THREAD`]).
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

/// What a non-nil, non-expunged `e.p` points to: the value (Go: the `any` it points to).
/// Aligned to 2 so that the pointer's low bit is free for the expunged tag.
#[repr(align(2))]
struct Val<V>(V);

/// `e.p`'s expunged tag (Go: `expunged = unsafe.Pointer(new(any))`), set on a null pointer.
const EXPUNGED: usize = 1;

/// `entry`: a slot in the map for one key, shared by `read.m` and `dirty`.
struct Entry<V> {
    /// nil (null): deleted, and `dirty == nil` or `dirty[key] == e`.
    /// expunged (null, tag 1): deleted, `dirty != nil`, and the entry is missing from
    /// `dirty`.
    /// otherwise: live, in `read.m` and, if `dirty != nil`, in `dirty[key]`.
    p: Atomic<Val<V>>,
}

impl<V> Drop for Entry<V> {
    fn drop(&mut self) {
        // SAFETY: an entry is reached through `read.m` (whose `readOnly` is freed only after
        // every thread pinned when it was replaced has unpinned) or through an `Arc` clone,
        // so once its last `Arc` is gone no thread can load `p`; its value is ours to free.
        unsafe {
            let p = self.p.load(SeqCst, epoch::unprotected());
            if !p.is_null() {
                drop(p.into_owned());
            }
        }
    }
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

/// How many replaced values (and `readOnly`s) a thread may have waiting to be freed before
/// it waits, after its operation, until they are freed (see the module's header).
pub const MAX_PENDING_PER_THREAD: u64 = 512;

/// How long a thread waits at most for its garbage to be freed: past it the operation
/// returns anyway, so a thread stuck while pinned cannot hang the others.
const PACE_LIMIT: Duration = Duration::from_millis(200);

/// A canary is retired after every `CANARY_EVERY` objects a thread retires; when it runs,
/// every object that thread retired before it has been freed (a thread's garbage is freed
/// in the order it was retired, a batch at a time).
const CANARY_EVERY: u64 = 64;

/// A thread's retired objects, counted without a shared write per object.
struct Garbage {
    /// Objects this thread retired.
    retired: Cell<u64>,
    /// The canaries of this thread that have run (written by whichever thread frees them).
    canaries_run: Arc<AtomicU64>,
}

thread_local! {
    static GARBAGE: Garbage = Garbage {
        retired: Cell::new(0),
        canaries_run: Arc::new(AtomicU64::new(0)),
    };
}

/// How many of this thread's retired objects may not be freed yet: those after its last
/// canary that ran (0 while the thread's locals are being destroyed).
fn pending() -> u64 {
    GARBAGE
        .try_with(|t| t.retired.get() - t.canaries_run.load(SeqCst) * CANARY_EVERY)
        .unwrap_or(0)
}

/// Frees `ptr`'s object once every thread pinned now has unpinned (Go: the collector frees
/// an object once nothing reaches it), counting it as this thread's pending garbage until
/// then.
///
/// # Safety
/// `ptr` is non-null, untagged, no longer reachable from any atomic, and retired once.
unsafe fn retire<T: Send + 'static>(g: &Guard, ptr: Shared<'_, T>) {
    let raw = ptr.as_raw() as usize;
    // SAFETY: the caller's promise; the closure runs after every thread pinned now has
    // unpinned, and `T: Send + 'static` lets it run on any thread, after the map is gone.
    unsafe { g.defer_unchecked(move || drop(Owned::from_raw(raw as *mut T))) }
    let _ = GARBAGE.try_with(|t| {
        let n = t.retired.get() + 1;
        t.retired.set(n);
        if n % CANARY_EVERY == 0 {
            let run = t.canaries_run.clone();
            // SAFETY: the closure owns what it touches.
            unsafe {
                g.defer_unchecked(move || {
                    run.fetch_add(1, SeqCst);
                })
            }
        }
    });
}

/// `e.p` as loaded: null (nil), null tagged [`EXPUNGED`], or a value.
type P<'g, V> = Shared<'g, Val<V>>;

fn is_expunged<V>(p: P<'_, V>) -> bool {
    p.is_null() && p.tag() == EXPUNGED
}

fn is_nil<V>(p: P<'_, V>) -> bool {
    p.is_null() && p.tag() == 0
}

fn expunged<'g, V>() -> P<'g, V> {
    Shared::null().with_tag(EXPUNGED)
}

/// `*(*any)(p)` for a p that is neither nil nor expunged; None otherwise.
fn value_of<V: Clone>(p: P<'_, V>) -> Option<V> {
    // SAFETY: p was loaded while pinned, and the guard outlives this call.
    unsafe { p.as_ref() }.map(|v| v.0.clone())
}

/// Frees a value that was never published.
fn discard<V>(p: P<'_, V>) {
    // SAFETY: allocated by this operation and never stored into an atomic.
    drop(unsafe { p.into_owned() });
}

/// Go 1.19's `sync.Map`, with Go 1.20's `Swap`, `CompareAndSwap` and `CompareAndDelete` and
/// Go 1.23's `Clear`.
pub struct SyncMap<K, V, H: Hooks = NoHooks> {
    mu: Mutex<Locked<K, V>>,
    read: Atomic<ReadOnly<K, V>>,
    hooks: H,
    fault: Option<Fault>,
}

impl<K, V, H: Hooks> Drop for SyncMap<K, V, H> {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no thread can load `read` any more, and every `readOnly` it
        // held before was retired when it was replaced.
        unsafe {
            let r = self.read.load(SeqCst, epoch::unprotected());
            if !r.is_null() {
                drop(r.into_owned());
            }
        }
    }
}

impl<K, V> Default for SyncMap<K, V>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn default() -> Self {
        SyncMap::new()
    }
}

impl<K, V> SyncMap<K, V>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// The zero Map: empty and ready for use.
    pub fn new() -> Self {
        SyncMap::with_hooks(NoHooks)
    }
}

impl<K, V, H: Hooks> SyncMap<K, V, H>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// An empty map whose atomic steps call `hooks`.
    pub fn with_hooks(hooks: H) -> Self {
        SyncMap {
            mu: Mutex::new(Locked {
                dirty: None,
                misses: 0,
            }),
            read: Atomic::new(ReadOnly {
                m: Arc::new(EntryMap::default()),
                amended: false,
            }),
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

    /// Runs one operation pinned, then (unpinned) waits while this thread has more than
    /// [`MAX_PENDING_PER_THREAD`] objects waiting to be freed, for at most `PACE_LIMIT`.
    /// Not Go: Go's collector paces allocation with assists instead.
    fn paced<R>(&self, op: impl FnOnce(&Guard) -> R) -> R {
        let r = op(&epoch::pin());
        // Deviation from Go: Go's sync.Map never waits here. The wait comes after the
        // operation's last step, unpinned, and changes nothing another thread can see, so
        // it only delays this thread's next step, as a preemption would.
        self.pace();
        r
    }

    fn pace(&self) {
        if pending() <= MAX_PENDING_PER_THREAD || epoch::is_pinned() {
            return;
        }
        let start = Instant::now();
        while pending() > MAX_PENDING_PER_THREAD && start.elapsed() < PACE_LIMIT {
            epoch::pin().flush();
            self.hooks.lock_contended();
        }
    }

    // ---- the steps ----------------------------------------------------------------------

    /// `m.read.Load().(readOnly)`: a plain atomic load while pinned (Go's writes nothing).
    fn load_read<'g>(&self, g: &'g Guard) -> &'g ReadOnly<K, V> {
        self.hooks.before(Step::LoadRead);
        self.current_read(g)
    }

    /// `read`'s current `readOnly`, without the hook (also for introspection).
    fn current_read<'g>(&self, g: &'g Guard) -> &'g ReadOnly<K, V> {
        // SAFETY: `read` is never null, and what it pointed to while pinned is not freed
        // before the guard is dropped.
        unsafe { self.read.load(SeqCst, g).deref() }
    }

    /// `m.read.Store(r)`; returns the stored `readOnly`.
    fn store_read<'g>(&self, r: ReadOnly<K, V>, g: &'g Guard) -> &'g ReadOnly<K, V> {
        self.hooks.before(Step::StoreRead);
        let new = Owned::new(r).into_shared(g);
        let old = self.read.swap(new, SeqCst, g);
        // SAFETY: `old` is no longer reachable from `read`, and only this swap replaced it;
        // `new` is not freed before the guard is dropped.
        unsafe {
            retire(g, old);
            new.deref()
        }
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

    fn new_p<'g>(value: V, g: &'g Guard) -> P<'g, V> {
        Owned::new(Val(value)).into_shared(g)
    }

    fn new_entry(p: P<'_, V>) -> Arc<Entry<V>> {
        let e = Entry { p: Atomic::null() };
        e.p.store(p, SeqCst);
        Arc::new(e)
    }

    /// `atomic.LoadPointer(&e.p)`.
    fn load_p<'g>(&self, e: &Entry<V>, g: &'g Guard) -> P<'g, V> {
        self.hooks.before(Step::LoadEntry);
        e.p.load(SeqCst, g)
    }

    /// `atomic.CompareAndSwapPointer(&e.p, old, new)`: whether it swapped. `old` was loaded
    /// while pinned, so its address cannot have been reused; a value it replaced is retired.
    fn cas_p<'g>(&self, e: &Entry<V>, old: P<'g, V>, new: P<'g, V>, g: &'g Guard) -> bool {
        self.hooks.before(Step::CasEntry);
        match e.p.compare_exchange(old, new, SeqCst, SeqCst, g) {
            Ok(_) => {
                if !old.is_null() {
                    // SAFETY: the CAS unlinked it; only the thread whose CAS or swap
                    // unlinks a value retires it.
                    unsafe { retire(g, old) };
                }
                true
            }
            Err(_) => false,
        }
    }

    /// `e.p`'s swap (Go: `atomic.StorePointer` in storeLocked, `e.p.Swap` in swapLocked):
    /// returns the value it replaced and retires it.
    fn swap_p<'g>(&self, e: &Entry<V>, new: P<'g, V>, g: &'g Guard) -> Option<V> {
        let old = e.p.swap(new, SeqCst, g);
        let v = value_of(old);
        if !old.is_null() {
            // SAFETY: the swap unlinked it.
            unsafe { retire(g, old) };
        }
        v
    }

    /// `entry.load`.
    fn entry_load(&self, e: &Entry<V>, g: &Guard) -> Option<V> {
        value_of(self.load_p(e, g))
    }

    // ---- Load ---------------------------------------------------------------------------

    /// `Load` returns the value stored in the map for a key, or None if no value is present.
    pub fn load(&self, key: &K) -> Option<V> {
        self.paced(|g| {
            let read = self.load_read(g);
            let e = read.m.get(key);
            if e.is_none() && read.amended {
                let mut locked = self.lock();
                let mut e = None;
                if self.faulty(Fault::LoadSkipsRecheck) {
                    if let Some(dirty) = &locked.dirty {
                        e = dirty.get(key).cloned();
                        self.miss_locked(&mut locked, g);
                    }
                } else {
                    e = self.lookup_locked(&mut locked, key, g);
                }
                self.unlock(locked);
                return e.and_then(|e| self.entry_load(&e, g));
            }
            // The entry is borrowed from `read.m`, which stays alive while pinned.
            e.and_then(|e| self.entry_load(e, g))
        })
    }

    /// The locked lookup that Load and CompareAndDelete share in Go, word for word: re-check
    /// `read` (avoid reporting a spurious miss if m.dirty got promoted while we were blocked
    /// on m.mu), else look in `dirty` and count a miss. Regardless of whether the entry was
    /// present, the miss is recorded: this key will take the slow path until the dirty map is
    /// promoted.
    fn lookup_locked(
        &self,
        locked: &mut Locked<K, V>,
        key: &K,
        g: &Guard,
    ) -> Option<Arc<Entry<V>>> {
        let read = self.load_read(g);
        let mut e = read.m.get(key).cloned();
        if e.is_none() && read.amended {
            e = locked.dirty.as_ref().and_then(|d| d.get(key).cloned());
            self.miss_locked(locked, g);
        }
        e
    }

    // ---- Store (Go 1.19) ----------------------------------------------------------------

    /// `Store` sets the value for a key.
    pub fn store(&self, key: K, value: V) {
        self.paced(|g| {
            let new = Self::new_p(value, g);
            let read = self.load_read(g);
            if let Some(e) = read.m.get(&key) {
                if self.try_store(e, new, g) {
                    return;
                }
            }

            let mut locked = self.lock();
            let read = self.load_read(g);
            if let Some(e) = read.m.get(&key) {
                if self.unexpunge_locked(e, g) && !self.faulty(Fault::UnexpungeWithoutDirty) {
                    // The entry was previously expunged, which implies that there is a
                    // non-nil dirty map and this entry is not in it.
                    dirty_of(&mut locked).insert(key, e.clone());
                }
                self.store_locked(e, new, g);
            } else if let Some(e) = locked.dirty.as_ref().and_then(|d| d.get(&key)) {
                self.store_locked(e, new, g);
            } else {
                if !read.amended {
                    // We're adding the first new key to the dirty map. Make sure it is
                    // allocated and mark the read-only map as incomplete.
                    self.amend_locked(&mut locked, read, g);
                }
                dirty_of(&mut locked).insert(key, Self::new_entry(new));
            }
            self.unlock(locked);
        })
    }

    /// `entry.tryStore`: stores a value if the entry has not been expunged.
    fn try_store<'g>(&self, e: &Entry<V>, new: P<'g, V>, g: &'g Guard) -> bool {
        loop {
            let p = self.load_p(e, g);
            if is_expunged(p) {
                return false;
            }
            if self.cas_p(e, p, new, g) {
                return true;
            }
        }
    }

    /// `entry.unexpungeLocked`: ensures that the entry is not marked as expunged. If it was,
    /// it must be added to the dirty map before `mu` is unlocked.
    fn unexpunge_locked(&self, e: &Entry<V>, g: &Guard) -> bool {
        self.cas_p(e, expunged(), Shared::null(), g)
    }

    /// `entry.storeLocked`: unconditionally stores a value; the entry must be known not to be
    /// expunged.
    fn store_locked<'g>(&self, e: &Entry<V>, new: P<'g, V>, g: &'g Guard) {
        self.hooks.before(Step::StoreEntry);
        self.swap_p(e, new, g);
    }

    // ---- LoadOrStore --------------------------------------------------------------------

    /// `LoadOrStore` returns the existing value for the key if present (and `true`).
    /// Otherwise, it stores and returns the given value (and `false`).
    pub fn load_or_store(&self, key: K, value: V) -> (V, bool) {
        self.paced(|g| {
            // Avoid locking if it's a clean hit.
            let read = self.load_read(g);
            if let Some(e) = read.m.get(&key) {
                if let Some(r) = self.try_load_or_store(e, &value, g) {
                    return r;
                }
            }

            let mut locked = self.lock();
            let read = self.load_read(g);
            let r;
            if let Some(e) = read.m.get(&key) {
                if self.unexpunge_locked(e, g) && !self.faulty(Fault::UnexpungeWithoutDirty) {
                    dirty_of(&mut locked).insert(key, e.clone());
                }
                r = self
                    .try_load_or_store(e, &value, g)
                    .expect("entry not expunged under mu");
            } else if let Some(e) = locked.dirty.as_ref().and_then(|d| d.get(&key)).cloned() {
                r = self
                    .try_load_or_store(&e, &value, g)
                    .expect("dirty entries are never expunged");
                self.miss_locked(&mut locked, g);
            } else {
                if !read.amended {
                    self.amend_locked(&mut locked, read, g);
                }
                let p = Self::new_p(value.clone(), g);
                dirty_of(&mut locked).insert(key, Self::new_entry(p));
                r = (value, false);
            }
            self.unlock(locked);
            r
        })
    }

    /// `entry.tryLoadOrStore`: atomically loads or stores a value if the entry is not
    /// expunged; None if it is.
    fn try_load_or_store(&self, e: &Entry<V>, value: &V, g: &Guard) -> Option<(V, bool)> {
        let p = self.load_p(e, g);
        if is_expunged(p) {
            return None;
        }
        if let Some(v) = value_of(p) {
            return Some((v, true));
        }
        let ic = Self::new_p(value.clone(), g);
        loop {
            if self.cas_p(e, Shared::null(), ic, g) {
                return Some((value.clone(), false));
            }
            let p = self.load_p(e, g);
            if is_expunged(p) {
                discard(ic);
                return None;
            }
            if let Some(v) = value_of(p) {
                discard(ic);
                return Some((v, true));
            }
        }
    }

    // ---- LoadAndDelete, Delete ----------------------------------------------------------

    /// `LoadAndDelete` deletes the value for a key, returning the previous value if any.
    pub fn load_and_delete(&self, key: &K) -> Option<V> {
        self.paced(|g| {
            let read = self.load_read(g);
            let mut e = read.m.get(key).cloned();
            if e.is_none() && read.amended {
                let mut locked = self.lock();
                let read = self.load_read(g);
                e = read.m.get(key).cloned();
                if e.is_none() && read.amended {
                    e = locked.dirty.as_mut().and_then(|d| d.remove(key));
                    // Regardless of whether the entry was present, record a miss.
                    self.miss_locked(&mut locked, g);
                }
                self.unlock(locked);
            }
            e.and_then(|e| self.entry_delete(&e, g))
        })
    }

    /// `Delete` deletes the value for a key.
    pub fn delete(&self, key: &K) {
        self.load_and_delete(key);
    }

    /// `entry.delete`.
    fn entry_delete(&self, e: &Entry<V>, g: &Guard) -> Option<V> {
        loop {
            let p = self.load_p(e, g);
            if p.is_null() {
                // nil or expunged
                return None;
            }
            if self.cas_p(e, p, Shared::null(), g) {
                return value_of(p);
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
        let m = self.paced(|g| {
            let mut read = self.load_read(g);
            if read.amended && !self.faulty(Fault::RangeSkipsPromotion) {
                // dirty contains keys not in read.m. Range is O(N) anyway, so it amortizes a
                // copy of the map: promote the dirty copy immediately.
                let mut locked = self.lock();
                read = self.load_read(g);
                if read.amended {
                    let m = Arc::new(locked.dirty.take().unwrap_or_default());
                    read = self.store_read(ReadOnly { m, amended: false }, g);
                    locked.misses = 0;
                }
                self.unlock(locked);
            }
            // Deviation from Go: Go walks `read.m` while its GC keeps it alive; the port
            // holds the map's `Arc` and pins only around each entry's load, so that `f`
            // (user code) never runs while pinned (see the module's header).
            read.m.clone()
        });
        // Deviation from Go: Go's `for k, e := range read.m` starts at a random bucket; this
        // walks the HashMap in its own (per-process random) order.
        for (k, e) in m.iter() {
            let Some(v) = self.paced(|g| self.entry_load(e, g)) else {
                continue;
            };
            if !f(k, &v) {
                break;
            }
        }
    }

    // ---- promotion and expunging (caller holds mu) --------------------------------------

    /// `missLocked`: counts a miss; promotes dirty once misses reach `len(dirty)`.
    fn miss_locked(&self, locked: &mut Locked<K, V>, g: &Guard) {
        locked.misses += 1;
        if locked.misses < locked.dirty.as_ref().map_or(0, HashMap::len) {
            return;
        }
        let dirty = locked.dirty.take().unwrap_or_default();
        self.store_read(
            ReadOnly {
                m: Arc::new(dirty),
                amended: false,
            },
            g,
        );
        locked.misses = 0;
    }

    /// `dirtyLocked`: if dirty is nil, makes it a copy of `read.m` without the deleted
    /// entries, which it expunges.
    fn dirty_locked(&self, locked: &mut Locked<K, V>, g: &Guard) {
        if locked.dirty.is_some() {
            return;
        }
        let read = self.load_read(g);
        let mut dirty = EntryMap::with_capacity_and_hasher(read.m.len(), Default::default());
        for (k, e) in read.m.iter() {
            if !self.try_expunge_locked(e, g) {
                dirty.insert(k.clone(), e.clone());
            }
        }
        locked.dirty = Some(dirty);
    }

    /// `m.dirtyLocked()` and `m.read.Store(&readOnly{m: read.m, amended: true})`: what
    /// Store, LoadOrStore and Swap do, in these words, before adding the first key that
    /// `read.m` lacks.
    fn amend_locked(&self, locked: &mut Locked<K, V>, read: &ReadOnly<K, V>, g: &Guard) {
        self.dirty_locked(locked, g);
        self.store_read(
            ReadOnly {
                m: read.m.clone(),
                amended: true,
            },
            g,
        );
    }

    /// `entry.tryExpungeLocked`: turns nil into expunged; whether the entry is expunged.
    fn try_expunge_locked(&self, e: &Entry<V>, g: &Guard) -> bool {
        let mut p = self.load_p(e, g);
        while is_nil(p) {
            if self.cas_p(e, Shared::null(), expunged(), g) {
                return true;
            }
            p = self.load_p(e, g);
        }
        is_expunged(p)
    }
}

/// `m.dirty`, known non-nil at this point (amended, or just built by `dirty_locked`).
fn dirty_of<K, V>(locked: &mut Locked<K, V>) -> &mut EntryMap<K, V> {
    locked
        .dirty
        .as_mut()
        .expect("dirty is non-nil when read is amended or an entry is expunged")
}
