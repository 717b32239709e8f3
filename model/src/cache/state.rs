//! The `cache` model's types: protocols, goroutine roles, the race detector's shadow of a
//! location, heap objects, the mutex, goroutines, ghost facts, the state, the action and the
//! parameters.

/// Goroutines at most (writers plus readers).
pub const MAX_G: usize = 4;
/// Order fields: plain shared memory.
pub const FIELDS: [&str; 2] = ["Status", "Note"];

/// A vector clock: `vc[g]` is the last clock of goroutine g that happens before.
pub type Vc = [u8; MAX_G];
/// A heap index (objects are renumbered by the collector, keeping allocation order).
pub type Ref = u8;

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
    pub fn uses_sync_map(self) -> bool {
        matches!(self, Protocol::Seed | Protocol::CowStore | Protocol::CowCas)
    }
    pub fn rwmutex(self) -> bool {
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
