//! The `cache` model: the seed postmortem's order cache, the fixes it proposes and two it
//! does not, with a happens-before data-race detector that follows the Go memory model.
//!
//! What it models: goroutines that update orders (`o1`, `o2`) in a cache keyed by order ID and
//! goroutines that read them. An `Order` is a heap object with plain fields (`Status`,
//! `Note`): shared memory with no synchronisation of its own. How the cache is kept is the
//! `protocol` parameter, each one a Go program transcribed statement by statement (one action
//! per statement that touches shared memory or synchronises):
//!
//! - `seed`: the postmortem's `updateStatus` exactly as written: `LoadOrStore` a fresh
//!   `&Order{ID}`; if loaded, set `order.Status` in place, then `Store` the same pointer.
//!   Readers `Load` and read the fields.
//! - `rwmutex-copy-reader`, `rwmutex-pointer-reader`: the postmortem's fix, a
//!   `map[uint64]*Order` behind a `sync.RWMutex`, writers doing `cache[id].Status = s` under
//!   `Lock`; readers either copy the order under `RLock` or keep the pointer and read its
//!   fields after `RUnlock`. As written the fix dereferences `cache[id]` without checking it:
//!   for an order not yet in the cache the goroutine panics (nil pointer dereference).
//! - `cow-store`: copy-on-write on sync.Map: `Load`, copy the order, modify the copy, `Store`.
//! - `cow-cas`: the same with a `CompareAndSwap` retry loop (Go 1.20's
//!   `sync.Map.CompareAndSwap`; `LoadOrStore` when the order is absent).
//! - `rcu`: the postmortem's RCU map: a writer loads the map pointer, copies the whole map,
//!   puts a new copy of the order into the copy and `atomic.SwapPointer`s it in, with no writer
//!   lock. Readers load the pointer and index the map.
//! - `safemap`: the postmortem's SafeMap: `Store` takes the mutex, deep-copies the value and
//!   the whole map (`m.data = copyMap(m.data)`, then `m.data[key] = cloned`). The postmortem
//!   shows no lock in `Load` (only an atomic load of a version counter before it returns,
//!   which orders nothing before it), so `Load` reads `m.data` and the map unlocked. Updates
//!   are `Load`, copy, modify, `Store`.
//!
//! What it abstracts: sync.Map is one atomic object here, each of its methods a single step
//! (linearizable). This is an abstraction step, not a fact taken on faith: the `syncmap` model
//! checks Go 1.19's sync.Map step by step (read/dirty/misses/expunged) against a sequential
//! map and finds its operations linearizable (`linearizable` holds in
//! specs/syncmap-two-goroutines.toml and specs/syncmap-three-goroutines.toml). Plain memory is sequentially consistent here
//! (every read sees the latest write); Go promises that only to race-free programs, so in a
//! run with a data race the values the model reports are one of the outcomes, not the only
//! ones. Maps under a lock are single objects: any access to a Go map is an access of the
//! whole map (as Go's race detector treats it). Garbage is collected after every step: the
//! heap holds exactly the objects reachable from the cache and the goroutines' variables.
//!
//! The race detector (vector clocks, as in FastTrack): each goroutine has a clock; each plain
//! location (an order's field, a plain map, SafeMap's `m.data`) remembers its last write
//! (goroutine and clock) and the clock of each goroutine's last read since. Synchronisation
//! follows the Go memory model (https://go.dev/ref/mem, sync/map.go's doc):
//! - sync.Map: a write operation is synchronized before any read operation that observes its
//!   effect. Each key keeps the join of its writers' clocks (Go 1.19's Store CASes the entry
//!   after loading it, so successive writes of a key are themselves ordered); a `Load`, a
//!   loading `LoadOrStore` or a `CompareAndSwap` that observes the entry joins it.
//! - Mutex: the n'th `Unlock` is synchronized before the (n+1)'th `Lock` returns.
//! - RWMutex: an `RLock` returns after the `Unlock` before it; each `RUnlock` is synchronized
//!   before the next `Lock` returns.
//! - Atomic pointer (RCU): atomics are sequentially consistent and a load that observes a
//!   store is synchronized after it; `SwapPointer` both observes and stores.
//!
//! A data race is two accesses to the same location, at least one a write, not ordered by
//! happens-before. Allocation writes every field of the new object (its initialisation).
//!
//! Properties (one name each, used by the specs and docs/seed-claims.md):
//! - `no_data_race`: no two accesses race.
//! - `no_lost_update`: when every goroutine has finished, each order's fields are those of
//!   some order of the completed updates: a field some update set holds the value of one of
//!   them (updates of different fields both survive).
//! - `completed_update_visible`: a read that starts after an update completed sees that
//!   update's value or that of an update not completed before it started (never the value it
//!   overwrote, never a missing order).
//! - `first_update_applied`: an update that finds its order absent (and runs alone on it)
//!   leaves the order in the cache with its value.
//! - `live_orders_bounded`: live `Order` objects never exceed the keys plus two per
//!   operation in flight (the one it read and the one it is about to publish): garbage is
//!   collected, whatever the number of completed updates. The leak the seed blames on
//!   `updateStatus` would break it.

use crate::framework::check::Checkable;
use crate::framework::info::{Kind, ModelInfo, ParamDef, PropertyInfo, SpecModel};
use crate::framework::spec::{Spec, SpecError, Strategy, Verdict};
use stateright::{Model, Property};
use std::fmt::Write as _;

/// Goroutines at most (writers plus readers).
pub const MAX_G: usize = 4;
/// Order fields: plain shared memory.
pub const FIELDS: [&str; 2] = ["Status", "Note"];

/// A vector clock: `vc[g]` is the last clock of goroutine g that happens before.
pub type Vc = [u8; MAX_G];
/// A heap index (objects are renumbered by the collector, keeping allocation order).
pub type Ref = u8;

fn join(a: &mut Vc, b: &Vc) {
    for i in 0..MAX_G {
        a[i] = a[i].max(b[i]);
    }
}

/// The cache-update protocol, by its spec name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Seed,
    RwmutexCopyReader,
    RwmutexPointerReader,
    CowStore,
    CowCas,
    Rcu,
    SafeMap,
}

pub const PROTOCOLS: &[(&str, Protocol)] = &[
    ("seed", Protocol::Seed),
    ("rwmutex-copy-reader", Protocol::RwmutexCopyReader),
    ("rwmutex-pointer-reader", Protocol::RwmutexPointerReader),
    ("cow-store", Protocol::CowStore),
    ("cow-cas", Protocol::CowCas),
    ("rcu", Protocol::Rcu),
    ("safemap", Protocol::SafeMap),
];

impl Protocol {
    fn uses_sync_map(self) -> bool {
        matches!(self, Protocol::Seed | Protocol::CowStore | Protocol::CowCas)
    }
    fn rwmutex(self) -> bool {
        matches!(
            self,
            Protocol::RwmutexCopyReader | Protocol::RwmutexPointerReader
        )
    }
}

/// What a goroutine does: one update or one read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sets field `f` of order `k` (0-based) to `v` (distinct per update, from 1).
    Update { k: u8, f: u8, v: u8 },
    /// Reads every updated field of order `k`.
    Read { k: u8 },
}

/// What the race detector remembers of a plain location.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Shadow {
    /// The last write: (goroutine, its clock then). None: only the initialisation, which
    /// happens before every goroutine starts.
    pub w: Option<(u8, u8)>,
    /// `r[g]`: goroutine g's clock at its last read since that write (0: none).
    pub r: Vc,
}

/// A heap object.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Obj {
    /// `&Order{ID: id, Status: f[0], Note: f[1]}`.
    Order { id: u8, f: [u8; 2], sh: [Shadow; 2] },
    /// A plain `map[uint64]*Order`: slot k holds order o(k+1)'s pointer.
    Map { slots: Vec<Option<Ref>>, sh: Shadow },
}

/// The mutex (SafeMap) or RWMutex (the seed's fix).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Mu {
    /// Held by a writer (`Lock`).
    pub writer: bool,
    /// Readers inside `RLock`.
    pub readers: u8,
    /// The clock of the last `Unlock`.
    pub w_clock: Vc,
    /// The join of the `RUnlock`s since the last `Lock`.
    pub r_clock: Vc,
}

/// A goroutine: its program counter, clock and local variables.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Gor {
    pub pc: u8,
    pub started: bool,
    pub done: bool,
    pub vc: Vc,
    /// `order` / `old` / the order a reader got.
    pub a: Option<Ref>,
    /// The new object (`c`, `cloned`, RCU's `next` map).
    pub b: Option<Ref>,
    /// A map the goroutine holds (RCU's `old`).
    pub m: Option<Ref>,
    /// The update found its order absent.
    pub created: bool,
    /// An update: the updates completed when it started. A read: per field, the values it
    /// must not return (superseded when it started).
    pub before: u8,
    pub forbid: [u8; 2],
}

/// Facts about the run that are not program state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ghost {
    pub race: bool,
    pub stale_read: bool,
    pub first_lost: bool,
    /// A goroutine panicked (the program died).
    pub crashed: bool,
    /// Updates started / completed (bit per goroutine).
    pub started: u8,
    pub completed: u8,
    /// `[key][field]`: values (bit v; bit 0 is the zero value) that a read starting now must
    /// not return: overwritten by a completed update.
    pub superseded: [[u8; 2]; 2],
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheState {
    pub gs: Vec<Gor>,
    pub heap: Vec<Obj>,
    /// sync.Map (seed, cow-*): entry per key, and the join of its writers' clocks.
    pub sm: Vec<Option<Ref>>,
    pub sm_clock: Vec<Vc>,
    /// The map: the RWMutex-protected map, RCU's current map, SafeMap's `m.data`.
    pub root: Option<Ref>,
    /// RCU: the atomic pointer's clock.
    pub root_clock: Vc,
    /// SafeMap: `m.data` is a plain variable.
    pub root_sh: Shadow,
    pub mu: Mu,
    pub ghost: Ghost,
}

/// An action: goroutine `g` runs its statement `pc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Step {
    pub g: u8,
    pub pc: u8,
}

/// Parameters of the `cache` model.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheParams {
    pub protocol: Protocol,
    /// One goroutine per update, then one per read.
    pub roles: Vec<Role>,
    /// Orders o1..oN.
    pub keys: u8,
    /// Every order starts in the cache as `&Order{ID: k}`.
    pub preexisting: bool,
}

#[derive(Clone)]
pub struct CacheModel {
    pub params: CacheParams,
    pub selected: Vec<usize>,
    pub exhaustive: bool,
}

type Log = Option<Vec<String>>;

fn note(log: &mut Log, f: impl FnOnce() -> String) {
    if let Some(v) = log {
        v.push(f());
    }
}

fn val(v: u8) -> String {
    if v == 0 {
        "0".into()
    } else {
        format!("v{v}")
    }
}

fn gname(g: usize) -> String {
    format!("g{}", g + 1)
}

impl CacheModel {
    pub fn new(params: CacheParams, names: Option<&[String]>) -> Self {
        let selected = match names {
            None => (0..PROPERTIES.len()).collect(),
            Some(ns) => ns
                .iter()
                .filter_map(|n| PROPERTIES.iter().position(|p| p.name == n))
                .collect(),
        };
        CacheModel {
            params,
            selected,
            exhaustive: true,
        }
    }

    /// Fields some update touches, per key (bit f).
    fn fields_of(&self, k: u8) -> u8 {
        let mut m = 0;
        for r in &self.params.roles {
            if let Role::Update { k: rk, f, .. } = r {
                if *rk == k {
                    m |= 1 << f;
                }
            }
        }
        m
    }

    fn update_text(&self, g: usize) -> String {
        match self.params.roles[g] {
            Role::Update { k, f, v } => format!("o{}.{} = {}", k + 1, FIELDS[f as usize], val(v)),
            Role::Read { k } => format!("read o{}", k + 1),
        }
    }

    /// The Go statement goroutine g runs at `pc`.
    pub fn statement(&self, g: usize, pc: u8) -> String {
        use Protocol::*;
        let role = self.params.roles[g];
        let (k, fname, v) = match role {
            Role::Update { k, f, v } => (k + 1, FIELDS[f as usize], val(v)),
            Role::Read { k } => (k + 1, "", String::new()),
        };
        let fields = {
            let kk = k - 1;
            let fm = self.fields_of(kk);
            let names: Vec<&str> = (0..2)
                .filter(|f| fm & (1 << f) != 0)
                .map(|f| FIELDS[f])
                .collect();
            names
        };
        let read_fields = |var: &str| {
            let parts: Vec<String> = fields.iter().map(|f| format!("{var}.{f}")).collect();
            format!("read {}", parts.join(", "))
        };
        let p = self.params.protocol;
        let s: String = match (role, p, pc) {
            (Role::Update { .. }, Seed, 0) => format!("cache.LoadOrStore(o{k}, &Order{{ID: {k}}})"),
            (Role::Update { .. }, Seed, 1) => format!("order.{fname} = {v}"),
            (Role::Update { .. }, Seed, 2) => format!("cache.Store(o{k}, order)"),
            (Role::Update { .. }, CowStore | CowCas, 0) => format!("old, ok := cache.Load(o{k})"),
            (Role::Update { .. }, CowStore | CowCas, 1) => {
                format!("c := copy of *old (or &Order{{ID: {k}}}); c.{fname} = {v}")
            }
            (Role::Update { .. }, CowStore, 2) => format!("cache.Store(o{k}, c)"),
            (Role::Update { .. }, CowCas, 2) => format!("cache.LoadOrStore(o{k}, c)"),
            (Role::Update { .. }, CowCas, 3) => format!("cache.CompareAndSwap(o{k}, old, c)"),
            (Role::Update { .. }, RwmutexCopyReader | RwmutexPointerReader, 0) => {
                "mu.Lock()".into()
            }
            (Role::Update { .. }, RwmutexCopyReader | RwmutexPointerReader, 1) => {
                format!("cache[o{k}].{fname} = {v}")
            }
            (Role::Update { .. }, RwmutexCopyReader | RwmutexPointerReader, 2) => {
                "mu.Unlock()".into()
            }
            (Role::Update { .. }, Rcu, 0) => "old := atomic.LoadPointer(&m.data)".into(),
            (Role::Update { .. }, Rcu, 1) => format!(
                "next := copy of *old; next[o{k}] = &Order{{copy of (*old)[o{k}], {fname}: {v}}}"
            ),
            (Role::Update { .. }, Rcu, 2) => "atomic.SwapPointer(&m.data, next)".into(),
            (Role::Update { .. }, SafeMap, 0) => {
                format!("old := sm.Load(o{k})  // m.data[o{k}], no lock")
            }
            (Role::Update { .. }, SafeMap, 1) => {
                format!("c := copy of *old (or &Order{{ID: {k}}}); c.{fname} = {v}")
            }
            (Role::Update { .. }, SafeMap, 2) => format!("sm.Store(o{k}, c): mu.Lock()"),
            (Role::Update { .. }, SafeMap, 3) => {
                "cloned := deepCopy(c); m.data = copyMap(m.data)".into()
            }
            (Role::Update { .. }, SafeMap, 4) => format!("m.data[o{k}] = cloned"),
            (Role::Update { .. }, SafeMap, 5) => "mu.Unlock()".into(),
            (Role::Read { .. }, Seed | CowStore | CowCas, 0) => {
                format!("v, ok := cache.Load(o{k})")
            }
            (Role::Read { .. }, Seed | CowStore | CowCas, 1) => read_fields("order"),
            (Role::Read { .. }, RwmutexCopyReader | RwmutexPointerReader, 0) => "mu.RLock()".into(),
            (Role::Read { .. }, RwmutexCopyReader, 1) => format!("o := *cache[o{k}]"),
            (Role::Read { .. }, RwmutexCopyReader | RwmutexPointerReader, 2) => {
                "mu.RUnlock()".into()
            }
            (Role::Read { .. }, RwmutexPointerReader, 1) => format!("p := cache[o{k}]"),
            (Role::Read { .. }, RwmutexPointerReader, 3) => read_fields("p"),
            (Role::Read { .. }, Rcu, 0) => "p := atomic.LoadPointer(&m.data)".into(),
            (Role::Read { .. }, Rcu, 1) => format!("o := (*p)[o{k}]"),
            (Role::Read { .. }, Rcu, 2) => read_fields("o"),
            (Role::Read { .. }, SafeMap, 0) => {
                format!("o := sm.Load(o{k})  // m.data[o{k}], no lock")
            }
            (Role::Read { .. }, SafeMap, 1) => read_fields("o"),
            _ => format!("pc {pc}"),
        };
        format!("{}: {s}", gname(g))
    }

    pub fn all_done(&self, s: &CacheState) -> bool {
        s.gs.iter().all(|g| g.done)
    }

    /// The order the cache holds for key k now.
    pub fn cached(&self, s: &CacheState, k: u8) -> Option<Ref> {
        if self.params.protocol.uses_sync_map() {
            s.sm[k as usize]
        } else {
            let r = s.root?;
            match &s.heap[r as usize] {
                Obj::Map { slots, .. } => slots[k as usize],
                _ => None,
            }
        }
    }

    fn initial(&self) -> CacheState {
        let p = &self.params;
        let keys = p.keys as usize;
        let mut heap = Vec::new();
        let mut slots = vec![None; keys];
        if p.preexisting {
            for (k, slot) in slots.iter_mut().enumerate() {
                *slot = Some(heap.len() as Ref);
                heap.push(Obj::Order {
                    id: k as u8 + 1,
                    f: [0; 2],
                    sh: Default::default(),
                });
            }
        }
        let (sm, root) = if p.protocol.uses_sync_map() {
            (slots, None)
        } else {
            let r = heap.len() as Ref;
            heap.push(Obj::Map {
                slots,
                sh: Shadow::default(),
            });
            (vec![None; keys], Some(r))
        };
        let gs = (0..p.roles.len())
            .map(|g| {
                let mut vc = [0; MAX_G];
                vc[g] = 1;
                Gor {
                    vc,
                    ..Gor::default()
                }
            })
            .collect();
        CacheState {
            gs,
            heap,
            sm,
            sm_clock: vec![[0; MAX_G]; keys],
            root,
            root_clock: [0; MAX_G],
            root_sh: Shadow::default(),
            mu: Mu::default(),
            ghost: Ghost::default(),
        }
    }

    fn enabled(&self, s: &CacheState, g: usize) -> bool {
        let gr = &s.gs[g];
        if gr.done || s.ghost.crashed {
            return false;
        }
        let p = self.params.protocol;
        match (self.params.roles[g], gr.pc) {
            (Role::Update { .. }, 0) if p.rwmutex() => !s.mu.writer && s.mu.readers == 0,
            (Role::Update { .. }, 2) if p == Protocol::SafeMap => !s.mu.writer,
            (Role::Read { .. }, 0) if p.rwmutex() => !s.mu.writer,
            _ => true,
        }
    }

    /// Runs goroutine `g`'s next statement; returns what it observed.
    pub fn apply(&self, s: &mut CacheState, g: usize, log: &mut Log) -> String {
        let out = match self.params.roles[g] {
            Role::Update { k, f, v } => self.update_step(s, g, k, f, v, log),
            Role::Read { k } => self.read_step(s, g, k, log),
        };
        collect(s);
        out
    }

    fn start_update(&self, s: &mut CacheState, g: usize) {
        if !s.gs[g].started {
            s.gs[g].started = true;
            s.gs[g].before = s.ghost.completed;
            s.ghost.started |= 1 << g;
        }
    }

    fn start_read(&self, s: &mut CacheState, g: usize, k: u8) {
        s.gs[g].started = true;
        s.gs[g].forbid = s.ghost.superseded[k as usize];
    }

    /// An update completes: record what it superseded, and check that a first update of a
    /// new order (alone on it) left its value in the cache.
    fn complete_update(&self, s: &mut CacheState, g: usize, k: u8, f: u8, v: u8, log: &mut Log) {
        let gr = &mut s.gs[g];
        gr.done = true;
        gr.a = None;
        gr.b = None;
        gr.m = None;
        let before = gr.before;
        let created = gr.created;
        s.ghost.completed |= 1 << g;
        let mut sup = 1u8; // the zero value
        for (h, r) in self.params.roles.iter().enumerate() {
            if let Role::Update {
                k: hk,
                f: hf,
                v: hv,
            } = r
            {
                if *hk == k && *hf == f && before & (1 << h) != 0 {
                    sup |= 1 << hv;
                }
            }
        }
        s.ghost.superseded[k as usize][f as usize] |= sup;
        if created {
            let others = self
                .params
                .roles
                .iter()
                .enumerate()
                .filter(|(h, r)| *h != g && matches!(r, Role::Update { k: hk, .. } if *hk == k))
                .any(|(h, _)| s.ghost.started & (1 << h) != 0);
            if !others {
                let now = self.cached(s, k).map(|o| field(s, o, f));
                if now != Some(v) {
                    s.ghost.first_lost = true;
                    note(log, || {
                        format!(
                            "first update of o{} not applied: the cache holds {}",
                            k + 1,
                            match now {
                                None => "no order".to_string(),
                                Some(x) => format!("{} = {}", FIELDS[f as usize], val(x)),
                            }
                        )
                    });
                }
            }
        }
    }

    /// A read returns `seen` (per field; None: no order). Checks it against the updates
    /// completed before the read started.
    fn finish_read(
        &self,
        s: &mut CacheState,
        g: usize,
        k: u8,
        seen: Option<Ref>,
        log: &mut Log,
    ) -> String {
        let fm = self.fields_of(k);
        let mut parts = Vec::new();
        for f in 0..2u8 {
            if fm & (1 << f) == 0 {
                continue;
            }
            let x = match seen {
                Some(o) => field(s, o, f),
                None => 0,
            };
            parts.push(format!("{} = {}", FIELDS[f as usize], val(x)));
            if s.gs[g].forbid[f as usize] & (1 << x) != 0 {
                s.ghost.stale_read = true;
                note(log, || {
                    format!(
                        "stale read: o{}.{} = {} although an update that overwrote it had completed before this read began",
                        k + 1,
                        FIELDS[f as usize],
                        val(x)
                    )
                });
            }
        }
        let gr = &mut s.gs[g];
        gr.done = true;
        gr.a = None;
        gr.m = None;
        if seen.is_none() {
            parts.insert(0, "no order".into());
        }
        parts.join(", ")
    }

    fn update_step(
        &self,
        s: &mut CacheState,
        g: usize,
        k: u8,
        f: u8,
        v: u8,
        log: &mut Log,
    ) -> String {
        use Protocol::*;
        let ku = k as usize;
        let pc = s.gs[g].pc;
        self.start_update(s, g);
        match (self.params.protocol, pc) {
            // ---- the seed's updateStatus -------------------------------------------------
            (Seed, 0) => {
                let fresh = alloc_order(s, g, k + 1, [0; 2]);
                match s.sm[ku] {
                    Some(o) => {
                        acquire(s, g, s.sm_clock[ku]);
                        s.gs[g].a = Some(o);
                        s.gs[g].pc = 1;
                        format!("loaded Order#{o} (loaded=true); the fresh &Order is garbage")
                    }
                    None => {
                        s.sm[ku] = Some(fresh);
                        release(s, g, Rel::SyncMap(ku));
                        s.gs[g].created = true;
                        self.complete_update(s, g, k, f, v, log);
                        format!(
                            "stored Order#{fresh} (loaded=false): the if body is skipped, {} is never set",
                            val(v)
                        )
                    }
                }
            }
            (Seed, 1) => {
                let o = s.gs[g].a.unwrap();
                write_field(s, g, o, f, v, log);
                s.gs[g].pc = 2;
                String::new()
            }
            (Seed, 2) => {
                let o = s.gs[g].a.unwrap();
                s.sm[ku] = Some(o);
                release(s, g, Rel::SyncMap(ku));
                self.complete_update(s, g, k, f, v, log);
                String::new()
            }
            // ---- copy-on-write on sync.Map ------------------------------------------------
            (CowStore | CowCas, 0) => {
                s.gs[g].a = s.sm[ku];
                s.gs[g].created = s.sm[ku].is_none();
                s.gs[g].pc = 1;
                match s.sm[ku] {
                    Some(o) => {
                        acquire(s, g, s.sm_clock[ku]);
                        format!("Order#{o}, true")
                    }
                    None => "nil, false".into(),
                }
            }
            (CowStore | CowCas | SafeMap, 1) => {
                let c = copy_order(s, g, s.gs[g].a, k, log);
                write_field(s, g, c, f, v, log);
                s.gs[g].b = Some(c);
                if self.params.protocol != CowCas {
                    s.gs[g].a = None;
                }
                s.gs[g].pc = if self.params.protocol == CowCas && s.gs[g].a.is_some() {
                    3
                } else {
                    2
                };
                format!("c = Order#{c}")
            }
            (CowStore, 2) => {
                s.sm[ku] = s.gs[g].b;
                release(s, g, Rel::SyncMap(ku));
                self.complete_update(s, g, k, f, v, log);
                String::new()
            }
            (CowCas, 2) => match s.sm[ku] {
                Some(o) => {
                    acquire(s, g, s.sm_clock[ku]);
                    retry(s, g);
                    format!("loaded Order#{o} (loaded=true): another update created it; retry")
                }
                None => {
                    s.sm[ku] = s.gs[g].b;
                    release(s, g, Rel::SyncMap(ku));
                    self.complete_update(s, g, k, f, v, log);
                    "stored (loaded=false)".into()
                }
            },
            (CowCas, 3) => {
                acquire(s, g, s.sm_clock[ku]);
                if s.sm[ku] == s.gs[g].a {
                    s.sm[ku] = s.gs[g].b;
                    release(s, g, Rel::SyncMap(ku));
                    self.complete_update(s, g, k, f, v, log);
                    "swapped = true".into()
                } else {
                    retry(s, g);
                    "swapped = false: the order changed since Load; retry".into()
                }
            }
            // ---- the seed's fix: RWMutex ---------------------------------------------------
            (RwmutexCopyReader | RwmutexPointerReader, 0) => {
                s.mu.writer = true;
                let (w, r) = (s.mu.w_clock, s.mu.r_clock);
                acquire(s, g, w);
                acquire(s, g, r);
                s.mu.r_clock = [0; MAX_G];
                s.gs[g].pc = 1;
                String::new()
            }
            (RwmutexCopyReader | RwmutexPointerReader, 1) => {
                let m = s.root.unwrap();
                match map_read(s, g, m, k, log) {
                    None => {
                        s.ghost.crashed = true;
                        s.ghost.first_lost = true;
                        note(log, || {
                            format!("cache[o{}] is nil: the program panics", k + 1)
                        });
                        "panic: runtime error: invalid memory address or nil pointer dereference"
                            .into()
                    }
                    Some(o) => {
                        write_field(s, g, o, f, v, log);
                        s.gs[g].pc = 2;
                        String::new()
                    }
                }
            }
            (RwmutexCopyReader | RwmutexPointerReader, 2) => {
                s.mu.writer = false;
                release(s, g, Rel::MuUnlock);
                self.complete_update(s, g, k, f, v, log);
                String::new()
            }
            // ---- the seed's RCU map --------------------------------------------------------
            (Rcu, 0) => {
                acquire(s, g, s.root_clock);
                s.gs[g].m = s.root;
                s.gs[g].pc = 1;
                format!("Map#{}", s.root.unwrap())
            }
            (Rcu, 1) => {
                let old = s.gs[g].m.unwrap();
                let o = map_read(s, g, old, k, log);
                s.gs[g].created = o.is_none();
                let c = copy_order(s, g, o, k, log);
                write_field(s, g, c, f, v, log);
                let Obj::Map { slots, .. } = &s.heap[old as usize] else {
                    unreachable!()
                };
                let mut slots = slots.clone();
                slots[ku] = Some(c);
                let next = alloc_map(s, g, slots);
                s.gs[g].b = Some(next);
                s.gs[g].m = None;
                s.gs[g].pc = 2;
                format!("next = Map#{next}")
            }
            (Rcu, 2) => {
                acquire(s, g, s.root_clock);
                let old = s.root;
                s.root = s.gs[g].b;
                release(s, g, Rel::Root);
                self.complete_update(s, g, k, f, v, log);
                format!("replaced Map#{}", old.unwrap())
            }
            // ---- the seed's SafeMap --------------------------------------------------------
            (SafeMap, 0) => {
                var_read(s, g, log);
                let m = s.root.unwrap();
                let o = map_read(s, g, m, k, log);
                s.gs[g].a = o;
                s.gs[g].created = o.is_none();
                s.gs[g].pc = 1;
                match o {
                    Some(o) => format!("Order#{o}"),
                    None => "nil".into(),
                }
            }
            (SafeMap, 2) => {
                s.mu.writer = true;
                acquire(s, g, s.mu.w_clock);
                s.gs[g].pc = 3;
                String::new()
            }
            (SafeMap, 3) => {
                let cloned = copy_order(s, g, s.gs[g].b, k, log);
                s.gs[g].b = Some(cloned);
                var_read(s, g, log);
                let m = s.root.unwrap();
                map_read_all(s, g, m, log);
                let Obj::Map { slots, .. } = &s.heap[m as usize] else {
                    unreachable!()
                };
                let slots = slots.clone();
                let copies: Vec<Option<Ref>> = slots
                    .iter()
                    .enumerate()
                    .map(|(i, o)| o.map(|o| copy_order(s, g, Some(o), i as u8, log)))
                    .collect();
                let next = alloc_map(s, g, copies);
                var_write(s, g, next, log);
                s.gs[g].pc = 4;
                format!("m.data = Map#{next} (every order deep-copied)")
            }
            (SafeMap, 4) => {
                var_read(s, g, log);
                let m = s.root.unwrap();
                map_write(s, g, m, k, s.gs[g].b, log);
                s.gs[g].b = None;
                s.gs[g].pc = 5;
                String::new()
            }
            (SafeMap, 5) => {
                s.mu.writer = false;
                release(s, g, Rel::MuUnlock);
                self.complete_update(s, g, k, f, v, log);
                String::new()
            }
            (p, pc) => unreachable!("no statement {pc} in {p:?}"),
        }
    }

    fn read_step(&self, s: &mut CacheState, g: usize, k: u8, log: &mut Log) -> String {
        use Protocol::*;
        let ku = k as usize;
        let pc = s.gs[g].pc;
        if pc == 0 {
            self.start_read(s, g, k);
        }
        match (self.params.protocol, pc) {
            (Seed | CowStore | CowCas, 0) => match s.sm[ku] {
                Some(o) => {
                    acquire(s, g, s.sm_clock[ku]);
                    s.gs[g].a = Some(o);
                    s.gs[g].pc = 1;
                    format!("Order#{o}, true")
                }
                None => {
                    let r = self.finish_read(s, g, k, None, log);
                    format!("nil, false: {r}")
                }
            },
            (Seed | CowStore | CowCas, 1) | (RwmutexPointerReader, 3) | (Rcu, 2) | (SafeMap, 1) => {
                let o = s.gs[g].a.unwrap();
                self.read_fields(s, g, o, k, log);
                self.finish_read(s, g, k, Some(o), log)
            }
            (RwmutexCopyReader | RwmutexPointerReader, 0) => {
                s.mu.readers += 1;
                acquire(s, g, s.mu.w_clock);
                s.gs[g].pc = 1;
                String::new()
            }
            (RwmutexCopyReader, 1) => {
                let m = s.root.unwrap();
                let o = map_read(s, g, m, k, log);
                s.gs[g].pc = 2;
                if let Some(o) = o {
                    self.read_fields(s, g, o, k, log);
                }
                // The copy is a local value: what the read returns is fixed here.
                let r = self.finish_read(s, g, k, o, log);
                s.gs[g].done = false;
                r
            }
            (RwmutexCopyReader, 2) => {
                s.mu.readers -= 1;
                release(s, g, Rel::MuRUnlock);
                s.gs[g].done = true;
                String::new()
            }
            (RwmutexPointerReader, 1) => {
                let m = s.root.unwrap();
                let o = map_read(s, g, m, k, log);
                s.gs[g].a = o;
                s.gs[g].pc = 2;
                match o {
                    Some(o) => format!("Order#{o}"),
                    None => "nil".into(),
                }
            }
            (RwmutexPointerReader, 2) => {
                s.mu.readers -= 1;
                release(s, g, Rel::MuRUnlock);
                s.gs[g].pc = 3;
                if s.gs[g].a.is_none() {
                    return self.finish_read(s, g, k, None, log);
                }
                String::new()
            }
            (Rcu, 0) => {
                acquire(s, g, s.root_clock);
                s.gs[g].m = s.root;
                s.gs[g].pc = 1;
                format!("Map#{}", s.root.unwrap())
            }
            (Rcu, 1) => {
                let m = s.gs[g].m.unwrap();
                let o = map_read(s, g, m, k, log);
                s.gs[g].m = None;
                s.gs[g].a = o;
                s.gs[g].pc = 2;
                match o {
                    Some(o) => format!("Order#{o}"),
                    None => {
                        let r = self.finish_read(s, g, k, None, log);
                        format!("nil: {r}")
                    }
                }
            }
            (SafeMap, 0) => {
                var_read(s, g, log);
                let m = s.root.unwrap();
                let o = map_read(s, g, m, k, log);
                s.gs[g].a = o;
                s.gs[g].pc = 1;
                match o {
                    Some(o) => format!("Order#{o}"),
                    None => {
                        let r = self.finish_read(s, g, k, None, log);
                        format!("nil: {r}")
                    }
                }
            }
            (p, pc) => unreachable!("no read statement {pc} in {p:?}"),
        }
    }

    fn read_fields(&self, s: &mut CacheState, g: usize, o: Ref, k: u8, log: &mut Log) {
        let fm = self.fields_of(k);
        for f in 0..2u8 {
            if fm & (1 << f) != 0 {
                read_field(s, g, o, f, log);
            }
        }
    }

    /// The state, a few lines.
    pub fn text(&self, s: &CacheState) -> String {
        let mut t = String::new();
        for (g, gr) in s.gs.iter().enumerate() {
            let what = self.update_text(g);
            let at = if gr.done {
                "done".to_string()
            } else if s.ghost.crashed && gr.started {
                "crashed".to_string()
            } else {
                format!(
                    "next `{}`",
                    self.statement(g, gr.pc).split_once(": ").unwrap().1
                )
            };
            let mut vars = Vec::new();
            for (n, r) in [("a", gr.a), ("b", gr.b), ("m", gr.m)] {
                if let Some(r) = r {
                    vars.push(format!("{n}=#{r}"));
                }
            }
            let _ = writeln!(
                t,
                "{} {what}: {at}{} clock {:?}",
                gname(g),
                if vars.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", vars.join(" "))
                },
                &gr.vc[..s.gs.len()]
            );
        }
        if self.params.protocol.uses_sync_map() {
            let e: Vec<String> =
                s.sm.iter()
                    .enumerate()
                    .map(|(k, o)| match o {
                        Some(o) => format!("o{} -> Order#{o}", k + 1),
                        None => format!("o{} absent", k + 1),
                    })
                    .collect();
            let _ = writeln!(t, "cache (sync.Map): {}", e.join(", "));
        } else {
            let _ = writeln!(t, "cache: Map#{}", s.root.unwrap_or(255));
        }
        let objs: Vec<String> = s
            .heap
            .iter()
            .enumerate()
            .map(|(i, o)| match o {
                Obj::Order { id, f, .. } => format!(
                    "Order#{i}{{ID: {id}, Status: {}, Note: {}}}",
                    val(f[0]),
                    val(f[1])
                ),
                Obj::Map { slots, .. } => {
                    let e: Vec<String> = slots
                        .iter()
                        .enumerate()
                        .filter_map(|(k, o)| o.map(|o| format!("o{}: #{o}", k + 1)))
                        .collect();
                    format!("Map#{i}{{{}}}", e.join(", "))
                }
            })
            .collect();
        let _ = write!(t, "heap: {}", objs.join(" "));
        let mut flags = Vec::new();
        if s.ghost.race {
            flags.push("data race");
        }
        if s.ghost.stale_read {
            flags.push("stale read");
        }
        if s.ghost.first_lost {
            flags.push("first update lost");
        }
        if s.ghost.crashed {
            flags.push("panicked");
        }
        if !flags.is_empty() {
            let _ = write!(t, "\nseen: {}", flags.join(", "));
        }
        t
    }
}

// ---- memory and synchronisation -------------------------------------------------------------

/// Where a release goes.
enum Rel {
    SyncMap(usize),
    Root,
    MuUnlock,
    MuRUnlock,
}

fn acquire(s: &mut CacheState, g: usize, c: Vc) {
    join(&mut s.gs[g].vc, &c);
}

/// Publishes goroutine g's clock into a synchronisation object, then ticks it.
fn release(s: &mut CacheState, g: usize, to: Rel) {
    let c = s.gs[g].vc;
    match to {
        Rel::SyncMap(k) => join(&mut s.sm_clock[k], &c),
        Rel::Root => join(&mut s.root_clock, &c),
        Rel::MuUnlock => s.mu.w_clock = c,
        Rel::MuRUnlock => join(&mut s.mu.r_clock, &c),
    }
    s.gs[g].vc[g] += 1;
}

/// Checks an access of a location; returns the description of a race, if any.
fn access(sh: &mut Shadow, g: usize, vc: &Vc, write: bool) -> Option<String> {
    let mut why = None;
    if let Some((h, c)) = sh.w {
        if h as usize != g && c > vc[h as usize] {
            why = Some(format!(
                "{}'s write (at its clock {c}) does not happen before this {}",
                gname(h as usize),
                if write { "write" } else { "read" }
            ));
        }
    }
    if write {
        if why.is_none() {
            if let Some((h, r)) = (0..MAX_G)
                .map(|h| (h, sh.r[h]))
                .find(|&(h, r)| h != g && r > vc[h])
            {
                why = Some(format!(
                    "{}'s read (at its clock {r}) does not happen before this write",
                    gname(h)
                ));
            }
        }
        sh.w = Some((g as u8, vc[g]));
        sh.r = [0; MAX_G];
    } else {
        sh.r[g] = vc[g];
    }
    why
}

fn race(s: &mut CacheState, g: usize, what: String, why: Option<String>, log: &mut Log) {
    if let Some(why) = why {
        s.ghost.race = true;
        note(log, || {
            format!("DATA RACE on {what}: {} accesses it, and {why}", gname(g))
        });
    }
}

fn field(s: &CacheState, o: Ref, f: u8) -> u8 {
    match &s.heap[o as usize] {
        Obj::Order { f: fs, .. } => fs[f as usize],
        Obj::Map { .. } => unreachable!("not an order"),
    }
}

fn read_field(s: &mut CacheState, g: usize, o: Ref, f: u8, log: &mut Log) -> u8 {
    let vc = s.gs[g].vc;
    let Obj::Order { f: fs, sh, .. } = &mut s.heap[o as usize] else {
        unreachable!()
    };
    let x = fs[f as usize];
    let why = access(&mut sh[f as usize], g, &vc, false);
    race(s, g, format!("Order#{o}.{}", FIELDS[f as usize]), why, log);
    x
}

fn write_field(s: &mut CacheState, g: usize, o: Ref, f: u8, v: u8, log: &mut Log) {
    let vc = s.gs[g].vc;
    let Obj::Order { f: fs, sh, .. } = &mut s.heap[o as usize] else {
        unreachable!()
    };
    fs[f as usize] = v;
    let why = access(&mut sh[f as usize], g, &vc, true);
    race(s, g, format!("Order#{o}.{}", FIELDS[f as usize]), why, log);
}

fn map_shadow(s: &mut CacheState, m: Ref) -> &mut Shadow {
    match &mut s.heap[m as usize] {
        Obj::Map { sh, .. } => sh,
        Obj::Order { .. } => unreachable!("not a map"),
    }
}

fn map_read_all(s: &mut CacheState, g: usize, m: Ref, log: &mut Log) {
    let vc = s.gs[g].vc;
    let why = access(map_shadow(s, m), g, &vc, false);
    race(s, g, format!("Map#{m}"), why, log);
}

fn map_read(s: &mut CacheState, g: usize, m: Ref, k: u8, log: &mut Log) -> Option<Ref> {
    map_read_all(s, g, m, log);
    match &s.heap[m as usize] {
        Obj::Map { slots, .. } => slots[k as usize],
        Obj::Order { .. } => unreachable!(),
    }
}

fn map_write(s: &mut CacheState, g: usize, m: Ref, k: u8, o: Option<Ref>, log: &mut Log) {
    let vc = s.gs[g].vc;
    let why = access(map_shadow(s, m), g, &vc, true);
    race(s, g, format!("Map#{m}"), why, log);
    if let Obj::Map { slots, .. } = &mut s.heap[m as usize] {
        slots[k as usize] = o;
    }
}

/// SafeMap's plain `m.data`.
fn var_read(s: &mut CacheState, g: usize, log: &mut Log) {
    let vc = s.gs[g].vc;
    let why = access(&mut s.root_sh, g, &vc, false);
    race(s, g, "SafeMap.data".into(), why, log);
}

fn var_write(s: &mut CacheState, g: usize, m: Ref, log: &mut Log) {
    let vc = s.gs[g].vc;
    let why = access(&mut s.root_sh, g, &vc, true);
    race(s, g, "SafeMap.data".into(), why, log);
    s.root = Some(m);
}

/// A new object, initialised by goroutine g (its initialisation is g's write).
fn alloc(s: &mut CacheState, obj: Obj) -> Ref {
    assert!(s.heap.len() < 250, "heap overflow");
    s.heap.push(obj);
    (s.heap.len() - 1) as Ref
}

fn written_by(g: usize, vc: &Vc) -> Shadow {
    Shadow {
        w: Some((g as u8, vc[g])),
        r: [0; MAX_G],
    }
}

fn alloc_order(s: &mut CacheState, g: usize, id: u8, f: [u8; 2]) -> Ref {
    let sh = written_by(g, &s.gs[g].vc);
    alloc(s, Obj::Order { id, f, sh: [sh; 2] })
}

fn alloc_map(s: &mut CacheState, g: usize, slots: Vec<Option<Ref>>) -> Ref {
    let sh = written_by(g, &s.gs[g].vc);
    alloc(s, Obj::Map { slots, sh })
}

/// `c := *old` (reading old's fields) or `&Order{ID: k}` when old is nil.
fn copy_order(s: &mut CacheState, g: usize, old: Option<Ref>, k: u8, log: &mut Log) -> Ref {
    match old {
        Some(o) => {
            let f = [read_field(s, g, o, 0, log), read_field(s, g, o, 1, log)];
            let Obj::Order { id, .. } = s.heap[o as usize] else {
                unreachable!()
            };
            alloc_order(s, g, id, f)
        }
        None => alloc_order(s, g, k + 1, [0; 2]),
    }
}

fn retry(s: &mut CacheState, g: usize) {
    let gr = &mut s.gs[g];
    gr.pc = 0;
    gr.a = None;
    gr.b = None;
    gr.created = false;
}

/// The garbage collector: drops unreachable objects and renumbers the rest, keeping their
/// order (so that equal heaps are equal states and numbers change little between steps).
fn collect(s: &mut CacheState) {
    let n = s.heap.len();
    let mut live = vec![false; n];
    let mut stack: Vec<Ref> = Vec::new();
    stack.extend(s.sm.iter().flatten());
    stack.extend(s.root);
    for g in &s.gs {
        stack.extend(g.a);
        stack.extend(g.b);
        stack.extend(g.m);
    }
    while let Some(r) = stack.pop() {
        if std::mem::replace(&mut live[r as usize], true) {
            continue;
        }
        if let Obj::Map { slots, .. } = &s.heap[r as usize] {
            stack.extend(slots.iter().flatten());
        }
    }
    if live.iter().all(|&l| l) {
        return;
    }
    let mut map = vec![0u8; n];
    let mut next = 0u8;
    for i in 0..n {
        if live[i] {
            map[i] = next;
            next += 1;
        }
    }
    let remap = |r: &mut Option<Ref>| {
        if let Some(x) = r {
            *x = map[*x as usize];
        }
    };
    let old = std::mem::take(&mut s.heap);
    for (i, mut o) in old.into_iter().enumerate() {
        if !live[i] {
            continue;
        }
        if let Obj::Map { slots, .. } = &mut o {
            slots.iter_mut().for_each(remap);
        }
        s.heap.push(o);
    }
    s.sm.iter_mut().for_each(remap);
    remap(&mut s.root);
    for g in &mut s.gs {
        remap(&mut g.a);
        remap(&mut g.b);
        remap(&mut g.m);
    }
}

// ---- stateright -----------------------------------------------------------------------------

impl Model for CacheModel {
    type State = CacheState;
    type Action = Step;

    fn init_states(&self) -> Vec<CacheState> {
        vec![self.initial()]
    }

    fn actions(&self, s: &CacheState, actions: &mut Vec<Step>) {
        for g in 0..s.gs.len() {
            if self.enabled(s, g) {
                actions.push(Step {
                    g: g as u8,
                    pc: s.gs[g].pc,
                });
            }
        }
    }

    fn next_state(&self, s: &CacheState, a: Step) -> Option<CacheState> {
        let mut n = s.clone();
        self.apply(&mut n, a.g as usize, &mut None);
        Some(n)
    }

    fn format_action(&self, a: &Step) -> String {
        self.statement(a.g as usize, a.pc)
    }

    fn format_step(&self, last: &CacheState, a: Step) -> Option<String> {
        let (log, out, next) = self.explain_step(last, &a);
        let mut t = self.format_action(&a);
        if !out.is_empty() {
            let _ = write!(t, " -> {out}");
        }
        for l in log {
            let _ = write!(t, "\n  {l}");
        }
        let _ = write!(t, "\n{}", self.text(&next));
        Some(t)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let mut v: Vec<Property<Self>> = self
            .selected
            .iter()
            .map(|&i| {
                let p = &PROPERTIES[i];
                match p.kind {
                    Kind::Always => Property::always(p.name, p.check),
                    Kind::Sometimes => Property::sometimes(p.name, p.check),
                }
            })
            .collect();
        if self.exhaustive {
            v.push(Property::always(crate::EXHAUSTIVE_SENTINEL, |_, _| true));
        }
        v
    }
}

impl Checkable for CacheModel {
    fn state_text(&self, s: &CacheState) -> String {
        self.text(s)
    }
    fn explain_step(&self, s: &CacheState, a: &Step) -> (Vec<String>, String, CacheState) {
        let mut n = s.clone();
        let mut log = Some(Vec::new());
        let out = self.apply(&mut n, a.g as usize, &mut log);
        (log.unwrap_or_default(), out, n)
    }
    fn only(&self, name: &'static str) -> Self {
        let mut m = self.clone();
        m.exhaustive = false;
        m.selected.retain(|&i| PROPERTIES[i].name == name);
        m
    }
}

// ---- properties -----------------------------------------------------------------------------

/// A property of the `cache` model.
pub struct PropDef {
    pub name: &'static str,
    pub kind: Kind,
    pub description: &'static str,
    pub check: fn(&CacheModel, &CacheState) -> bool,
}

fn no_data_race(_: &CacheModel, s: &CacheState) -> bool {
    !s.ghost.race
}

fn no_lost_update(m: &CacheModel, s: &CacheState) -> bool {
    if !m.all_done(s) || s.ghost.crashed {
        return true;
    }
    for k in 0..m.params.keys {
        let now = m.cached(s, k);
        for f in 0..2u8 {
            let vals: Vec<u8> = m
                .params
                .roles
                .iter()
                .filter_map(|r| match r {
                    Role::Update { k: rk, f: rf, v } if *rk == k && *rf == f => Some(*v),
                    _ => None,
                })
                .collect();
            if vals.is_empty() {
                continue;
            }
            let x = now.map(|o| field(s, o, f)).unwrap_or(0);
            if !vals.contains(&x) {
                return false;
            }
        }
    }
    true
}

fn completed_update_visible(_: &CacheModel, s: &CacheState) -> bool {
    !s.ghost.stale_read
}

fn first_update_applied(_: &CacheModel, s: &CacheState) -> bool {
    !s.ghost.first_lost
}

fn live_orders_bounded(m: &CacheModel, s: &CacheState) -> bool {
    let live = s
        .heap
        .iter()
        .filter(|o| matches!(o, Obj::Order { .. }))
        .count();
    let in_flight = s.gs.iter().filter(|g| g.started && !g.done).count();
    live <= m.params.keys as usize + 2 * in_flight
}

/// Every property of the `cache` model.
pub const PROPERTIES: &[PropDef] = &[
    PropDef {
        name: "no_data_race",
        kind: Kind::Always,
        description: "no two accesses of an order field, a plain map or SafeMap.data (one a write) are unordered by happens-before (Go memory model)",
        check: no_data_race,
    },
    PropDef {
        name: "no_lost_update",
        kind: Kind::Always,
        description: "when all goroutines are done, every field some update set holds the value of one of them (the state of some order of the updates)",
        check: no_lost_update,
    },
    PropDef {
        name: "completed_update_visible",
        kind: Kind::Always,
        description: "a read that starts after an update completed never returns the value that update overwrote (or a missing order)",
        check: completed_update_visible,
    },
    PropDef {
        name: "first_update_applied",
        kind: Kind::Always,
        description: "an update that finds its order absent (no other update of it started) leaves the order in the cache with its value",
        check: first_update_applied,
    },
    PropDef {
        name: "live_orders_bounded",
        kind: Kind::Always,
        description: "live Order objects never exceed the keys plus two per operation in flight (no leak, whatever the number of updates)",
        check: live_orders_bounded,
    },
];

// ---- registry -------------------------------------------------------------------------------

pub const PARAMS: &[ParamDef] = &[
    ParamDef {
        name: "protocol",
        default: "\"seed\"",
        description: "seed | rwmutex-copy-reader | rwmutex-pointer-reader | cow-store | cow-cas | rcu | safemap",
    },
    ParamDef {
        name: "updates",
        default: "[\"o1.Status\", \"o1.Status\"]",
        description: "one goroutine per update: order and field it sets (o1/o2, Status/Note); update i sets value v(i+1)",
    },
    ParamDef {
        name: "readers",
        default: "[\"o1\"]",
        description: "one goroutine per read of an order (every updated field)",
    },
    ParamDef {
        name: "preexisting",
        default: "false",
        description: "every order starts in the cache as &Order{ID: k}",
    },
];

pub fn info() -> ModelInfo {
    ModelInfo {
        name: "cache",
        description: "the seed's order-cache update protocol and its fixes (sync.Map as an atomic object, RWMutex, copy-on-write, CAS, RCU, SafeMap) with a happens-before data-race detector",
        params: PARAMS.to_vec(),
        properties: PROPERTIES
            .iter()
            .map(|p| PropertyInfo {
                name: p.name,
                kind: p.kind,
                description: p.description,
            })
            .collect(),
    }
}

fn str_list(
    spec: &Spec,
    name: &str,
    v: &crate::framework::spec::ParamValue,
) -> Result<Vec<String>, SpecError> {
    let field = format!("params.{name}");
    let toml::Value::Array(items) = &v.value else {
        return Err(spec.error(Some(v.line), Some(&field), "expected a list of strings"));
    };
    items
        .iter()
        .map(|i| {
            i.as_str().map(str::to_string).ok_or_else(|| {
                spec.error(
                    Some(v.line),
                    Some(&field),
                    format!("expected a string, got {i}"),
                )
            })
        })
        .collect()
}

fn key_of(spec: &Spec, field: &str, line: usize, s: &str) -> Result<u8, SpecError> {
    match s {
        "o1" => Ok(0),
        "o2" => Ok(1),
        _ => Err(spec.error(
            Some(line),
            Some(field),
            format!("unknown order `{s}` (expected o1 or o2)"),
        )),
    }
}

/// Builds the `cache` model a spec describes, checking every parameter and property name.
pub fn from_spec(spec: &Spec) -> Result<CacheModel, SpecError> {
    let mut protocol = Protocol::Seed;
    let mut updates = vec!["o1.Status".to_string(), "o1.Status".to_string()];
    let mut readers = vec!["o1".to_string()];
    let mut preexisting = false;
    let mut lines = (None, None);
    for (name, v) in &spec.params {
        let field = format!("params.{name}");
        match name.as_str() {
            "protocol" => {
                let s = v.value.as_str().unwrap_or("");
                protocol = PROTOCOLS
                    .iter()
                    .find(|(n, _)| *n == s)
                    .map(|(_, p)| *p)
                    .ok_or_else(|| {
                        let known: Vec<&str> = PROTOCOLS.iter().map(|p| p.0).collect();
                        spec.error(
                            Some(v.line),
                            Some(&field),
                            format!("unknown protocol {} (known: {})", v.value, known.join(", ")),
                        )
                    })?;
            }
            "updates" => {
                updates = str_list(spec, name, v)?;
                lines.0 = Some(v.line);
            }
            "readers" => {
                readers = str_list(spec, name, v)?;
                lines.1 = Some(v.line);
            }
            "preexisting" => match v.value {
                toml::Value::Boolean(b) => preexisting = b,
                ref other => {
                    return Err(spec.error(
                        Some(v.line),
                        Some(&field),
                        format!("expected true or false, got {}", other.type_str()),
                    ))
                }
            },
            _ => {
                let known: Vec<&str> = PARAMS.iter().map(|d| d.name).collect();
                return Err(spec.error(
                    Some(v.line),
                    Some(&field),
                    format!(
                        "unknown parameter of model `cache` (known: {})",
                        known.join(", ")
                    ),
                ));
            }
        }
    }
    let uline = lines.0.unwrap_or(spec.model_line);
    let mut roles = Vec::new();
    let mut keys = 1;
    for (i, u) in updates.iter().enumerate() {
        let (o, f) = u.split_once('.').ok_or_else(|| {
            spec.error(
                Some(uline),
                Some("params.updates"),
                format!("`{u}`: expected ORDER.FIELD such as o1.Status"),
            )
        })?;
        let k = key_of(spec, "params.updates", uline, o)?;
        let f = FIELDS.iter().position(|x| *x == f).ok_or_else(|| {
            spec.error(
                Some(uline),
                Some("params.updates"),
                format!("unknown field `{f}` (expected Status or Note)"),
            )
        })? as u8;
        keys = keys.max(k + 1);
        roles.push(Role::Update {
            k,
            f,
            v: i as u8 + 1,
        });
    }
    if updates.is_empty() {
        return Err(spec.error(Some(uline), Some("params.updates"), "at least one update"));
    }
    for r in &readers {
        let k = key_of(
            spec,
            "params.readers",
            lines.1.unwrap_or(spec.model_line),
            r,
        )?;
        keys = keys.max(k + 1);
        roles.push(Role::Read { k });
    }
    if roles.len() > MAX_G {
        return Err(spec.error(
            lines.1.or(lines.0),
            Some("params.readers"),
            format!(
                "{} goroutines: at most {MAX_G} updates and readers together",
                roles.len()
            ),
        ));
    }
    let mut names = Vec::new();
    for e in &spec.expect {
        if !PROPERTIES.iter().any(|p| p.name == e.property) {
            return Err(spec.error(
                Some(e.line),
                Some(&format!("expect.{}", e.property)),
                "unknown property of model `cache` (see `gomap list`)",
            ));
        }
        if spec.strategy == Strategy::Simulation && e.verdict == Verdict::Holds {
            return Err(spec.error(
                Some(e.line),
                Some(&format!("expect.{}", e.property)),
                "a simulation visits some states, not all: it can never establish that an `always` property holds; use bfs or dfs",
            ));
        }
        names.push(e.property.clone());
    }
    if spec.symmetry {
        return Err(spec.error(
            spec.symmetry_line,
            Some("search.symmetry"),
            "the cache model has no symmetry reduction",
        ));
    }
    let mut model = CacheModel::new(
        CacheParams {
            protocol,
            roles,
            keys,
            preexisting,
        },
        Some(&names),
    );
    model.exhaustive = spec.strategy != Strategy::Simulation;
    Ok(model)
}

impl SpecModel for CacheModel {
    const NAME: &'static str = "cache";
    fn info() -> ModelInfo {
        self::info()
    }
    fn from_spec(spec: &Spec) -> Result<Self, SpecError> {
        self::from_spec(spec)
    }
    fn set_exhaustive(&mut self, on: bool) {
        self.exhaustive = on;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(protocol: Protocol, roles: Vec<Role>, preexisting: bool) -> CacheModel {
        CacheModel::new(
            CacheParams {
                protocol,
                roles,
                keys: 1,
                preexisting,
            },
            None,
        )
    }

    fn run(m: &CacheModel, schedule: &[usize]) -> CacheState {
        let mut s = m.initial();
        for &g in schedule {
            assert!(m.enabled(&s, g), "g{} not enabled", g + 1);
            m.apply(&mut s, g, &mut None);
        }
        s
    }

    const W: Role = Role::Update { k: 0, f: 0, v: 1 };
    const W2: Role = Role::Update { k: 0, f: 0, v: 2 };
    const R: Role = Role::Read { k: 0 };

    #[test]
    fn a_read_after_the_seeds_in_place_write_but_before_its_store_races() {
        let m = model(Protocol::Seed, vec![W, W2, R], false);
        // g1 creates the order, g2 loads it and writes Status, g3 loads and reads.
        let s = run(&m, &[0, 1, 1, 2, 2]);
        assert!(s.ghost.race);
    }

    #[test]
    fn a_read_after_the_seeds_store_does_not_race() {
        let m = model(Protocol::Seed, vec![W, W2, R], false);
        let s = run(&m, &[0, 1, 1, 1, 2, 2]);
        assert!(!s.ghost.race);
        assert!(s.gs.iter().all(|g| g.done));
    }

    #[test]
    fn unlock_orders_the_next_lock_and_rlock() {
        let m = model(Protocol::RwmutexPointerReader, vec![W, W2, R], true);
        let s = run(&m, &[0, 0, 0, 1, 1, 1, 2, 2, 2, 2]);
        assert!(!s.ghost.race);
    }

    #[test]
    fn a_pointer_kept_past_runlock_races_with_the_next_writer() {
        let m = model(Protocol::RwmutexPointerReader, vec![W, R], true);
        // The reader takes the pointer and unlocks; the writer writes; the reader reads.
        let s = run(&m, &[1, 1, 1, 0, 0, 0, 1]);
        assert!(s.ghost.race);
    }

    #[test]
    fn garbage_is_collected_after_every_step() {
        let m = model(Protocol::Seed, vec![W, W2], false);
        let s = run(&m, &[0, 1]);
        // g1's order is in the cache; g2's fresh &Order was dropped when LoadOrStore loaded.
        assert_eq!(s.heap.len(), 1);
    }
}
