//! The `syncmap` model's types: `entry.p`, `readOnly`, a goroutine's operation, program
//! counter and locals, the ghost state for the properties, the state, the parameters and the
//! actions.

use crate::framework::concurrent::{MapOp, MapRet};
use crate::framework::history::{History, HistoryMode};

/// Keys k1..k3 at indices 0..2.
pub const MAX_KEYS: usize = 3;

/// Index of an entry in [`SmState::entries`].
pub type EntryId = u8;

/// `entry.p`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum P {
    /// nil: deleted, and m.dirty == nil or `m.dirty[key]` is e.
    Nil,
    /// expunged: deleted, m.dirty != nil, and the entry is missing from m.dirty.
    Expunged,
    /// A value, recorded in `m.read.m[key]` and, if m.dirty != nil, in `m.dirty[key]`.
    Val(u8),
}

/// A map from keys to entries (`map[any]*entry`).
pub type EntryMap = [Option<EntryId>; MAX_KEYS];

/// `readOnly`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct ReadOnly {
    pub m: EntryMap,
    /// true if the dirty map contains some key not in m.
    pub amended: bool,
}

/// A goroutine's operation.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum SOp {
    Map(MapOp),
    Range,
}

/// The next step of a goroutine (see the table in the module header).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum SPc {
    ReadLoad,
    Lock,
    Reread,
    DirtyLookup,
    Miss,
    Unlock,
    EntryLoad,
    TryStoreLoad,
    TryStoreCas,
    Unexpunge,
    DirtyAdd,
    StoreLocked,
    DirtyLockedInit,
    /// dirtyLocked's `for k, e := range read.m`: picks the next key (Go's map order is
    /// random) and runs tryExpungeLocked's first load of e.p.
    ExpungeNext,
    /// tryExpungeLocked's `p := e.p.Load()` again after a failed CAS.
    ExpungeLoad,
    ExpungeCas,
    ReadAmend,
    NewEntry,
    Tls,
    TlsCas,
    DelLoad,
    DelCas,
    Promote,
    RangeNext,
}

/// Where tryLoadOrStore goes when it has its result.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum After {
    /// The lock-free fast path: return.
    Return,
    /// After unexpungeLocked: unlock.
    Unlock,
    /// Found in dirty: missLocked, then unlock.
    MissUnlock,
}

/// An operation in progress and its locals.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct SCur {
    pub op: SOp,
    pub pc: SPc,
    /// `e` (the entry found) and `ok`.
    pub e: Option<EntryId>,
    /// `read.amended` of the last read load.
    pub amended: bool,
    /// The `p` loaded before a CAS.
    pub p: P,
    /// The result, once known.
    pub ret: Option<MapRet>,
    pub after: After,
    /// dirtyLocked's key in read.m.
    pub cursor: u8,
    /// dirtyLocked: the keys of read.m it has done (bit k).
    pub visited: u8,
    /// Range: the readOnly.m it walks.
    pub snap: EntryMap,
    /// Range: value yielded per key (0 = not yielded).
    pub yielded: [u8; MAX_KEYS],
    /// Range: the map contents seen during the call, one bit per content (see `content`).
    pub seen: u64,
    /// Load: the value a Store that completed before this Load began left (0: none known).
    pub s24_expect: u8,
    /// Store: another write of the same key overlapped it.
    pub overlapped: bool,
}

impl SCur {
    pub(super) fn new(op: SOp) -> Self {
        SCur {
            op,
            pc: SPc::ReadLoad,
            e: None,
            amended: false,
            p: P::Nil,
            ret: None,
            after: After::Return,
            cursor: 0,
            visited: 0,
            snap: [None; MAX_KEYS],
            yielded: [0; MAX_KEYS],
            seen: 0,
            s24_expect: 0,
            overlapped: false,
        }
    }
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct SG {
    pub done: u8,
    pub cur: Option<SCur>,
}

/// Ghost state for the properties.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct SmGhost {
    /// The last step returned and the history is not linearizable.
    pub not_linearizable: bool,
    /// The last step was a Load that missed a completed Store (S24).
    pub s24_missed: bool,
    /// The last step ended a Range whose yield was never the map's content.
    pub range_not_snapshot: bool,
    /// Per key: the value of the last Store that completed with no other write of the key
    /// overlapping it or begun since (0: none).
    pub settled: [u8; MAX_KEYS],
    /// Events of the last step.
    pub promoted: bool,
    pub expunged: bool,
    pub unexpunged: bool,
}

/// The whole state.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SmState {
    pub read: ReadOnly,
    pub dirty: Option<EntryMap>,
    pub misses: u8,
    /// The goroutine holding mu.
    pub mu: Option<u8>,
    pub entries: Vec<P>,
    pub gs: Vec<SG>,
    pub history: History,
    pub ghost: SmGhost,
}

impl SmState {
    /// Makes this state equal to `src`, keeping the allocations this one has (a derived
    /// `clone_from` makes new ones).
    pub fn copy_from(&mut self, src: &SmState) {
        self.read = src.read;
        self.dirty = src.dirty;
        self.misses = src.misses;
        self.mu = src.mu;
        self.entries.clone_from(&src.entries);
        self.gs.clone_from(&src.gs);
        match (&mut self.history, &src.history) {
            (History::Events(a), History::Events(b)) => a.clone_from(b),
            (History::Frontier(a), History::Frontier(b)) => {
                a.pending = b.pending;
                a.configs.clone_from(&b.configs);
            }
            (h, src) => *h = src.clone(),
        }
        self.ghost.clone_from(&src.ghost);
    }
}

/// Parameters of the `syncmap` model.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct SyncMapParams {
    pub goroutines: u8,
    pub ops_per_goroutine: u8,
    pub keys: u8,
    pub values: u8,
    /// Keys k1..kN hold v1 in read.m at the start (as after a promotion).
    pub prefill: u8,
    /// Bits: load, store, load_or_store, load_and_delete, delete, range.
    pub ops: u32,
    /// What the state keeps for `linearizable` (framework::history).
    pub history: HistoryMode,
}

pub const OP_NAMES: &[&str] = &[
    "load",
    "store",
    "load_or_store",
    "load_and_delete",
    "delete",
    "range",
];

impl Default for SyncMapParams {
    fn default() -> Self {
        SyncMapParams {
            goroutines: 2,
            ops_per_goroutine: 2,
            keys: 2,
            values: 1,
            prefill: 0,
            ops: 0b11111,
            history: HistoryMode::Events,
        }
    }
}

/// An action: a goroutine begins an operation (its first step) or takes its next step.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SAction {
    Start {
        g: u8,
        op: SOp,
    },
    /// `key`: at ExpungeNext, the read.m key dirtyLocked's range visits next; else 0.
    Step {
        g: u8,
        op: SOp,
        pc: SPc,
        key: u8,
    },
}
