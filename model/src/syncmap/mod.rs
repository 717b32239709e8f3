//! The `syncmap` model: Go 1.19's sync.Map under two or three goroutines, every atomic step
//! separate, checked for linearizability against a plain map.
//!
//! What it models: sync/map.go as of Go 1.19: `read` (an atomic.Value holding
//! `readOnly{m, amended}`), `dirty`, `misses`, `mu`, and entries whose `p` is nil,
//! expunged or a value. Load, Store, LoadOrStore, LoadAndDelete, Delete and Range, each step
//! a single atomic action of Go's code:
//!
//! ```text
//! m.read.Load()                      ReadLoad (the first step of every operation)
//! atomic.LoadPointer(&e.p) / CAS     EntryLoad, TryStoreLoad/TryStoreCas, Tls/TlsCas,
//!                                    DelLoad/DelCas, ExpungeLoad/ExpungeCas, Unexpunge
//! m.mu.Lock() / Unlock()             Lock (blocks while held), Unlock
//! m.read.Load() under mu             Reread
//! m.dirty[key] (read, write, delete) DirtyLookup, DirtyAdd, NewEntry
//! missLocked (misses++, promotion)   Miss
//! dirtyLocked                        DirtyLockedInit, then ExpungeLoad/ExpungeCas per entry
//! m.read.Store(amended: true)        ReadAmend
//! Range's promotion under mu         Promote
//! Range's e.load() per key           RangeNext
//! ```
//!
//! What it abstracts: values are small numbers v1..vN compared by value, where Go compares
//! pointers (`&value` is fresh per call): a CAS whose expected pointer was replaced by
//! another pointer to an equal value succeeds here where Go fails and retries once; the
//! results are the same. `sync.Mutex` is an abstract lock (no spinning, starvation mode or
//! wake-up order). Range walks read.m in key order, where Go's order is random.
//! Each goroutine performs `ops_per_goroutine` operations, choosing each one and its key and
//! value nondeterministically; goroutines are interchangeable (symmetry reduction sorts
//! them).
//!
//! Invariants, by property name (from sync/map.go's field comments; those about `dirty` are
//! checked whenever `mu` is free, as they describe the map between critical sections):
//! - `linearizable`: Load/Store/LoadOrStore/LoadAndDelete/Delete histories are linearizable
//!   with respect to a plain map (stateright's LinearizabilityTester, rebuilt from the
//!   state's event log at each return);
//! - `s24_completed_store_visible_to_later_load`: a Load that starts after a Store(k, v)
//!   returned (with no other write of k since the Store began) returns v: seed claim S24;
//! - `range_is_snapshot`: what one Range yields was the map's content at some instant during
//!   the call;
//! - `expunged_never_in_dirty`: no entry in dirty is expunged;
//! - `amended_dirty_holds_read`: when read.amended, dirty holds every non-expunged key of
//!   read.m;
//! - `entry_shared_by_read_and_dirty`: a key in both read.m and dirty maps to the same *entry;
//! - `misses_reset_on_promotion`: misses is 0 whenever dirty is nil (promotion resets it).
//!
//! Follows Go 1.19.8 sync/map.go: Load, Store, tryStore, unexpungeLocked, storeLocked,
//! LoadOrStore, tryLoadOrStore, LoadAndDelete, Delete, delete, Range, missLocked,
//! dirtyLocked, tryExpungeLocked.

use crate::framework::check::Checkable;
use crate::framework::concurrent::{self, Event, MapOp, MapRet, PropDef, SeqMap};
use crate::framework::info::{Kind, ModelInfo, ParamDef, SpecModel};
use crate::framework::log::{note, Log};
use crate::framework::params;
use crate::framework::spec::{Spec, SpecError, Strategy};
use stateright::{Model, Property};

/// Keys k1..k3 at indices 0..2.
pub const MAX_KEYS: usize = 3;

/// Index of an entry in [`SmState::entries`].
pub type EntryId = u8;

/// `entry.p`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum P {
    /// nil: deleted, and m.dirty == nil or m.dirty[key] is e.
    Nil,
    /// expunged: deleted, m.dirty != nil, and the entry is missing from m.dirty.
    Expunged,
    /// A value, recorded in m.read.m[key] and, if m.dirty != nil, in m.dirty[key].
    Val(u8),
}

impl std::fmt::Display for P {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            P::Nil => write!(f, "nil"),
            P::Expunged => write!(f, "expunged"),
            P::Val(v) => write!(f, "v{v}"),
        }
    }
}

/// A map from keys to entries (`map[any]*entry`).
pub type EntryMap = [Option<EntryId>; MAX_KEYS];

/// `readOnly`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ReadOnly {
    pub m: EntryMap,
    /// true if the dirty map contains some key not in m.
    pub amended: bool,
}

/// A goroutine's operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum SOp {
    Map(MapOp),
    Range,
}

impl std::fmt::Display for SOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SOp::Map(op) => write!(f, "sync.Map.{}", concurrent::op_text(op)),
            SOp::Range => write!(f, "sync.Map.Range"),
        }
    }
}

/// The next step of a goroutine (see the table in the module header).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum After {
    /// The lock-free fast path: return.
    Return,
    /// After unexpungeLocked: unlock.
    Unlock,
    /// Found in dirty: missLocked, then unlock.
    MissUnlock,
}

/// An operation in progress and its locals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
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
    /// dirtyLocked's position in read.m (keys below it are done).
    pub cursor: u8,
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
    fn new(op: SOp) -> Self {
        SCur {
            op,
            pc: SPc::ReadLoad,
            e: None,
            amended: false,
            p: P::Nil,
            ret: None,
            after: After::Return,
            cursor: 0,
            snap: [None; MAX_KEYS],
            yielded: [0; MAX_KEYS],
            seen: 0,
            s24_expect: 0,
            overlapped: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct SG {
    pub done: u8,
    pub cur: Option<SCur>,
}

/// Ghost state for the properties.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, serde::Serialize)]
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
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct SmState {
    pub read: ReadOnly,
    pub dirty: Option<EntryMap>,
    pub misses: u8,
    /// The goroutine holding mu.
    pub mu: Option<u8>,
    pub entries: Vec<P>,
    pub gs: Vec<SG>,
    pub history: Vec<Event>,
    pub ghost: SmGhost,
}

impl std::fmt::Debug for SmState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&state_text(self))
    }
}

fn map_text(s: &SmState, m: &EntryMap) -> String {
    let v: Vec<String> = m
        .iter()
        .enumerate()
        .filter_map(|(k, e)| e.map(|e| format!("k{}: e{}={}", k + 1, e, s.entries[e as usize])))
        .collect();
    format!("{{{}}}", v.join(", "))
}

fn state_text(s: &SmState) -> String {
    let mut out = format!(
        "read = {} amended={}\ndirty = {}\nmisses = {}  mu = {}",
        map_text(s, &s.read.m),
        s.read.amended,
        match &s.dirty {
            Some(d) => map_text(s, d),
            None => "nil".into(),
        },
        s.misses,
        match s.mu {
            Some(g) => format!("held by g{}", g + 1),
            None => "free".into(),
        }
    );
    for (i, g) in s.gs.iter().enumerate() {
        out.push_str(&format!("\ng{}: ", i + 1));
        match &g.cur {
            None => out.push_str(&format!("{} op(s) done, idle", g.done)),
            Some(c) => {
                out.push_str(&format!("{} at {:?}", c.op, c.pc));
                if let Some(e) = c.e {
                    out.push_str(&format!(" e=e{e}"));
                }
                if let Some(r) = c.ret {
                    out.push_str(&format!(" result={r}"));
                }
            }
        }
    }
    if !s.history.is_empty() {
        out.push_str(&format!(
            "\nhistory: {}",
            concurrent::history_text(&s.history)
        ));
    }
    out
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
        }
    }
}

/// An action: a goroutine begins an operation (its first step) or takes its next step.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SAction {
    Start { g: u8, op: SOp },
    Step { g: u8, op: SOp, pc: SPc },
}

/// The stateright model.
#[derive(Clone, Debug)]
pub struct SyncMapModel {
    pub params: SyncMapParams,
    pub selected: Vec<usize>,
    pub exhaustive: bool,
}

fn kidx(op: &MapOp) -> usize {
    op.key() as usize - 1
}

impl SyncMapModel {
    pub fn new(params: SyncMapParams, names: Option<&[String]>) -> Self {
        SyncMapModel {
            params,
            selected: concurrent::select(PROPERTIES, names),
            exhaustive: true,
        }
    }

    fn init_map(&self) -> SeqMap {
        let mut m = vec![0u8; self.params.keys as usize + 1];
        m.iter_mut()
            .skip(1)
            .take(self.params.prefill as usize)
            .for_each(|v| *v = 1);
        SeqMap(m)
    }

    fn choices(&self) -> Vec<SOp> {
        let p = &self.params;
        let mut v = Vec::new();
        for k in 1..=p.keys {
            if p.ops & 1 != 0 {
                v.push(SOp::Map(MapOp::Load(k)));
            }
            for val in 1..=p.values {
                if p.ops & 2 != 0 {
                    v.push(SOp::Map(MapOp::Store(k, val)));
                }
                if p.ops & 4 != 0 {
                    v.push(SOp::Map(MapOp::LoadOrStore(k, val)));
                }
            }
            if p.ops & 8 != 0 {
                v.push(SOp::Map(MapOp::LoadAndDelete(k)));
            }
            if p.ops & 16 != 0 {
                v.push(SOp::Map(MapOp::Delete(k)));
            }
        }
        if p.ops & 32 != 0 {
            v.push(SOp::Range);
        }
        v
    }

    /// The map's content at this instant, key by key: what an atomic Load would return.
    pub fn content(s: &SmState) -> [u8; MAX_KEYS] {
        let mut out = [0; MAX_KEYS];
        for (k, o) in out.iter_mut().enumerate() {
            let e = match s.read.m[k] {
                Some(e) => Some(e),
                None if s.read.amended => s.dirty.and_then(|d| d[k]),
                None => None,
            };
            if let Some(e) = e {
                if let P::Val(v) = s.entries[e as usize] {
                    *o = v;
                }
            }
        }
        out
    }

    fn content_bit(&self, c: &[u8; MAX_KEYS]) -> u64 {
        let base = self.params.values as u64 + 1;
        let mut idx = 0u64;
        for &v in c.iter().rev() {
            idx = idx * base + v as u64;
        }
        1u64 << idx
    }

    fn new_entry(s: &mut SmState, p: P) -> EntryId {
        s.entries.push(p);
        (s.entries.len() - 1) as EntryId
    }

    /// missLocked: misses++, and promotion when misses >= len(dirty).
    fn miss_locked(s: &mut SmState, log: &mut Log) {
        s.misses += 1;
        let len = s
            .dirty
            .map_or(0, |d| d.iter().filter(|e| e.is_some()).count());
        if (s.misses as usize) < len {
            note(log, || {
                format!("missLocked: misses = {} < len(dirty) = {len}", s.misses)
            });
            return;
        }
        s.read = ReadOnly {
            m: s.dirty.unwrap_or([None; MAX_KEYS]),
            amended: false,
        };
        s.dirty = None;
        s.misses = 0;
        s.ghost.promoted = true;
        note(log, || {
            format!(
                "missLocked: misses >= len(dirty) = {len}: read = dirty, dirty = nil, misses = 0"
            )
        });
    }

    /// The next key (index) at or after `from` that `m` holds.
    fn next_key(m: &EntryMap, from: u8) -> Option<u8> {
        (from as usize..MAX_KEYS)
            .find(|&k| m[k].is_some())
            .map(|k| k as u8)
    }

    /// Takes goroutine `g`'s step; returns the operation's result when it returns.
    fn step(&self, s: &mut SmState, c: &mut SCur, g: u8, log: &mut Log) -> Option<MapRet> {
        let op = c.op;
        let (k, val) = match op {
            SOp::Map(m) => (
                kidx(&m),
                match m {
                    MapOp::Store(_, v) | MapOp::LoadOrStore(_, v) => v,
                    _ => 0,
                },
            ),
            SOp::Range => (0, 0),
        };
        let ent = |s: &SmState, e: Option<EntryId>| s.entries[e.expect("an entry") as usize];
        match c.pc {
            SPc::ReadLoad => {
                let read = s.read;
                c.amended = read.amended;
                match op {
                    SOp::Range => {
                        c.snap = read.m;
                        if read.amended {
                            note(log, || "read.amended: lock to promote".into());
                            c.pc = SPc::Lock;
                        } else {
                            note(log, || "read not amended: walk read.m".into());
                            return self.range_begin(s, c, log);
                        }
                    }
                    SOp::Map(m) => {
                        c.e = read.m[k];
                        note(log, || {
                            format!(
                                "read.m[k{}] {}{}",
                                k + 1,
                                match c.e {
                                    Some(e) => format!("= e{e}"),
                                    None => "miss".into(),
                                },
                                if read.amended { ", amended" } else { "" }
                            )
                        });
                        match (m, c.e) {
                            (MapOp::Load(_), None)
                            | (MapOp::LoadAndDelete(_) | MapOp::Delete(_), None) => {
                                if read.amended {
                                    c.pc = SPc::Lock;
                                } else {
                                    return Some(Self::absent(&m));
                                }
                            }
                            (MapOp::Load(_), Some(_)) => c.pc = SPc::EntryLoad,
                            (MapOp::LoadAndDelete(_) | MapOp::Delete(_), Some(_)) => {
                                c.pc = SPc::DelLoad
                            }
                            (MapOp::Store(..), Some(_)) => c.pc = SPc::TryStoreLoad,
                            (MapOp::LoadOrStore(..), Some(_)) => {
                                c.after = After::Return;
                                c.pc = SPc::Tls;
                            }
                            (MapOp::Store(..) | MapOp::LoadOrStore(..), None) => c.pc = SPc::Lock,
                        }
                    }
                }
            }
            SPc::Lock => {
                debug_assert!(s.mu.is_none(), "Lock is enabled only when mu is free");
                s.mu = Some(g);
                note(log, || "m.mu.Lock()".into());
                c.pc = SPc::Reread;
            }
            SPc::Reread => {
                let read = s.read;
                c.amended = read.amended;
                match op {
                    SOp::Range => {
                        c.snap = read.m;
                        if read.amended {
                            note(log, || "read reloaded: still amended".into());
                            c.pc = SPc::Promote;
                        } else {
                            note(log, || "read reloaded: no longer amended".into());
                            c.pc = SPc::Unlock;
                        }
                    }
                    SOp::Map(m) => {
                        c.e = read.m[k];
                        note(log, || {
                            format!(
                                "read reloaded: read.m[k{}] {}",
                                k + 1,
                                match c.e {
                                    Some(e) => format!("= e{e}"),
                                    None => "miss".into(),
                                }
                            )
                        });
                        c.pc = match (m, c.e) {
                            (MapOp::Load(_) | MapOp::LoadAndDelete(_) | MapOp::Delete(_), None) => {
                                if read.amended {
                                    SPc::DirtyLookup
                                } else {
                                    SPc::Unlock
                                }
                            }
                            (
                                MapOp::Load(_) | MapOp::LoadAndDelete(_) | MapOp::Delete(_),
                                Some(_),
                            ) => SPc::Unlock,
                            (MapOp::Store(..) | MapOp::LoadOrStore(..), Some(_)) => SPc::Unexpunge,
                            (MapOp::Store(..) | MapOp::LoadOrStore(..), None) => SPc::DirtyLookup,
                        };
                    }
                }
            }
            SPc::DirtyLookup => {
                let SOp::Map(m) = op else { unreachable!() };
                let found = s.dirty.and_then(|d| d[k]);
                note(log, || {
                    format!(
                        "dirty[k{}] {}",
                        k + 1,
                        match found {
                            Some(e) => format!("= e{e}"),
                            None => "miss".into(),
                        }
                    )
                });
                match m {
                    MapOp::Load(_) => {
                        c.e = found;
                        c.pc = SPc::Miss;
                    }
                    MapOp::LoadAndDelete(_) | MapOp::Delete(_) => {
                        c.e = found;
                        if let Some(d) = &mut s.dirty {
                            d[k] = None;
                        }
                        note(log, || format!("delete(m.dirty, k{})", k + 1));
                        c.pc = SPc::Miss;
                    }
                    MapOp::Store(..) => match found {
                        Some(e) => {
                            c.e = Some(e);
                            c.pc = SPc::StoreLocked;
                        }
                        None if !c.amended => c.pc = SPc::DirtyLockedInit,
                        None => c.pc = SPc::NewEntry,
                    },
                    MapOp::LoadOrStore(..) => match found {
                        Some(e) => {
                            c.e = Some(e);
                            c.after = After::MissUnlock;
                            c.pc = SPc::Tls;
                        }
                        None if !c.amended => c.pc = SPc::DirtyLockedInit,
                        None => c.pc = SPc::NewEntry,
                    },
                }
            }
            SPc::Miss => {
                Self::miss_locked(s, log);
                c.pc = SPc::Unlock;
            }
            SPc::Unlock => {
                s.mu = None;
                note(log, || "m.mu.Unlock()".into());
                match op {
                    SOp::Range => return self.range_begin(s, c, log),
                    SOp::Map(m) => match m {
                        MapOp::Load(_) => match c.e {
                            Some(_) => c.pc = SPc::EntryLoad,
                            None => return Some(Self::absent(&m)),
                        },
                        MapOp::LoadAndDelete(_) | MapOp::Delete(_) => match c.e {
                            Some(_) => c.pc = SPc::DelLoad,
                            None => return Some(Self::absent(&m)),
                        },
                        MapOp::Store(..) => return Some(MapRet::Unit),
                        MapOp::LoadOrStore(..) => return c.ret,
                    },
                }
            }
            SPc::EntryLoad => {
                let p = ent(s, c.e);
                note(log, || format!("e{}.load(): p = {p}", c.e.unwrap()));
                return Some(MapRet::Value(match p {
                    P::Val(v) => Some(v),
                    _ => None,
                }));
            }
            SPc::TryStoreLoad => {
                c.p = ent(s, c.e);
                note(log, || {
                    format!("tryStore: p = e{}.p = {}", c.e.unwrap(), c.p)
                });
                c.pc = if c.p == P::Expunged {
                    SPc::Lock
                } else {
                    SPc::TryStoreCas
                };
            }
            SPc::TryStoreCas => {
                let e = c.e.unwrap() as usize;
                if s.entries[e] == c.p {
                    s.entries[e] = P::Val(val);
                    note(log, || format!("CAS(e{e}.p, {}, v{val}) succeeds", c.p));
                    return Some(MapRet::Unit);
                }
                note(log, || format!("CAS(e{e}.p, {}, v{val}) fails", c.p));
                c.pc = SPc::TryStoreLoad;
            }
            SPc::Unexpunge => {
                let e = c.e.unwrap() as usize;
                let ok = s.entries[e] == P::Expunged;
                if ok {
                    s.entries[e] = P::Nil;
                    s.ghost.unexpunged = true;
                }
                note(log, || {
                    format!(
                        "unexpungeLocked: CAS(e{e}.p, expunged, nil) {}",
                        if ok { "succeeds" } else { "fails" }
                    )
                });
                c.pc = if ok {
                    SPc::DirtyAdd
                } else {
                    self.after_unexpunge(c)
                };
            }
            SPc::DirtyAdd => {
                let d = s.dirty.get_or_insert([None; MAX_KEYS]);
                d[k] = c.e;
                note(log, || format!("m.dirty[k{}] = e{}", k + 1, c.e.unwrap()));
                c.pc = self.after_unexpunge(c);
            }
            SPc::StoreLocked => {
                let e = c.e.unwrap() as usize;
                s.entries[e] = P::Val(val);
                note(log, || format!("storeLocked: e{e}.p = v{val}"));
                c.pc = SPc::Unlock;
            }
            SPc::DirtyLockedInit => {
                if s.dirty.is_some() {
                    note(log, || "dirtyLocked: dirty != nil".into());
                    c.pc = SPc::ReadAmend;
                } else {
                    s.dirty = Some([None; MAX_KEYS]);
                    note(log, || "dirtyLocked: m.dirty = make(map)".into());
                    self.dirty_locked_next(s, c, 0);
                }
            }
            SPc::ExpungeLoad => {
                let kk = c.cursor as usize;
                let e = s.read.m[kk].expect("cursor on a read key");
                c.p = s.entries[e as usize];
                note(log, || {
                    format!("tryExpungeLocked(k{}): p = e{e}.p = {}", kk + 1, c.p)
                });
                match c.p {
                    P::Nil => c.pc = SPc::ExpungeCas,
                    P::Expunged => self.dirty_locked_next(s, c, kk as u8 + 1),
                    P::Val(_) => {
                        s.dirty.as_mut().expect("dirtyLocked made it")[kk] = Some(e);
                        note(log, || format!("m.dirty[k{}] = e{e}", kk + 1));
                        self.dirty_locked_next(s, c, kk as u8 + 1);
                    }
                }
            }
            SPc::ExpungeCas => {
                let kk = c.cursor as usize;
                let e = s.read.m[kk].expect("cursor on a read key") as usize;
                if s.entries[e] == P::Nil {
                    s.entries[e] = P::Expunged;
                    s.ghost.expunged = true;
                    note(log, || {
                        format!(
                            "CAS(e{e}.p, nil, expunged) succeeds: k{} left out of dirty",
                            kk + 1
                        )
                    });
                    self.dirty_locked_next(s, c, kk as u8 + 1);
                } else {
                    note(log, || format!("CAS(e{e}.p, nil, expunged) fails"));
                    c.pc = SPc::ExpungeLoad;
                }
            }
            SPc::ReadAmend => {
                s.read = ReadOnly {
                    m: s.read.m,
                    amended: true,
                };
                note(log, || {
                    "m.read.Store(readOnly{m: read.m, amended: true})".into()
                });
                c.pc = SPc::NewEntry;
            }
            SPc::NewEntry => {
                let e = Self::new_entry(s, P::Val(val));
                s.dirty.as_mut().expect("dirty exists when amended")[k] = Some(e);
                note(log, || {
                    format!("m.dirty[k{}] = newEntry(v{val}) = e{e}", k + 1)
                });
                c.e = Some(e);
                if matches!(op, SOp::Map(MapOp::LoadOrStore(..))) {
                    c.ret = Some(MapRet::Actual(val, false));
                }
                c.pc = SPc::Unlock;
            }
            SPc::Tls => {
                let p = ent(s, c.e);
                c.p = p;
                note(log, || {
                    format!("tryLoadOrStore: p = e{}.p = {p}", c.e.unwrap())
                });
                match p {
                    P::Expunged => {
                        debug_assert_eq!(c.after, After::Return, "under mu nothing expunges");
                        c.pc = SPc::Lock;
                    }
                    P::Val(x) => return self.tls_done(c, MapRet::Actual(x, true)),
                    P::Nil => c.pc = SPc::TlsCas,
                }
            }
            SPc::TlsCas => {
                let e = c.e.unwrap() as usize;
                if s.entries[e] == P::Nil {
                    s.entries[e] = P::Val(val);
                    note(log, || format!("CAS(e{e}.p, nil, v{val}) succeeds"));
                    return self.tls_done(c, MapRet::Actual(val, false));
                }
                note(log, || format!("CAS(e{e}.p, nil, v{val}) fails"));
                c.pc = SPc::Tls;
            }
            SPc::DelLoad => {
                let p = ent(s, c.e);
                c.p = p;
                note(log, || format!("delete: p = e{}.p = {p}", c.e.unwrap()));
                match p {
                    P::Nil | P::Expunged => {
                        let SOp::Map(m) = op else { unreachable!() };
                        return Some(Self::absent(&m));
                    }
                    P::Val(_) => c.pc = SPc::DelCas,
                }
            }
            SPc::DelCas => {
                let e = c.e.unwrap() as usize;
                if s.entries[e] == c.p {
                    s.entries[e] = P::Nil;
                    note(log, || format!("CAS(e{e}.p, {}, nil) succeeds", c.p));
                    let P::Val(v) = c.p else { unreachable!() };
                    return Some(match op {
                        SOp::Map(MapOp::Delete(_)) => MapRet::Unit,
                        _ => MapRet::Value(Some(v)),
                    });
                }
                note(log, || format!("CAS(e{e}.p, {}, nil) fails", c.p));
                c.pc = SPc::DelLoad;
            }
            SPc::Promote => {
                s.read = ReadOnly {
                    m: s.dirty.unwrap_or([None; MAX_KEYS]),
                    amended: false,
                };
                c.snap = s.read.m;
                s.dirty = None;
                s.misses = 0;
                s.ghost.promoted = true;
                note(log, || {
                    "read = readOnly{m: m.dirty}; m.read.Store(read); m.dirty = nil; m.misses = 0"
                        .into()
                });
                c.pc = SPc::Unlock;
            }
            SPc::RangeNext => {
                let kk = c.cursor as usize;
                let e = c.snap[kk].expect("cursor on a snapshot key");
                let p = s.entries[e as usize];
                match p {
                    P::Val(v) => {
                        c.yielded[kk] = v;
                        note(log, || format!("e{e}.load() = v{v}: f(k{}, v{v})", kk + 1));
                    }
                    _ => note(log, || format!("e{e}.load(): {p}: k{} skipped", kk + 1)),
                }
                match Self::next_key(&c.snap, kk as u8 + 1) {
                    Some(n) => c.cursor = n,
                    None => return Some(MapRet::Unit),
                }
            }
        }
        None
    }

    fn absent(m: &MapOp) -> MapRet {
        match m {
            MapOp::Delete(_) => MapRet::Unit,
            _ => MapRet::Value(None),
        }
    }

    fn after_unexpunge(&self, c: &mut SCur) -> SPc {
        match c.op {
            SOp::Map(MapOp::Store(..)) => SPc::StoreLocked,
            _ => {
                c.after = After::Unlock;
                SPc::Tls
            }
        }
    }

    fn tls_done(&self, c: &mut SCur, r: MapRet) -> Option<MapRet> {
        match c.after {
            After::Return => Some(r),
            After::Unlock => {
                c.ret = Some(r);
                c.pc = SPc::Unlock;
                None
            }
            After::MissUnlock => {
                c.ret = Some(r);
                c.pc = SPc::Miss;
                None
            }
        }
    }

    fn dirty_locked_next(&self, s: &SmState, c: &mut SCur, from: u8) {
        match Self::next_key(&s.read.m, from) {
            Some(n) => {
                c.cursor = n;
                c.pc = SPc::ExpungeLoad;
            }
            None => c.pc = SPc::ReadAmend,
        }
    }

    fn range_begin(&self, _s: &SmState, c: &mut SCur, log: &mut Log) -> Option<MapRet> {
        match Self::next_key(&c.snap, 0) {
            Some(n) => {
                c.cursor = n;
                c.pc = SPc::RangeNext;
                None
            }
            None => {
                note(log, || "read.m is empty".into());
                Some(MapRet::Unit)
            }
        }
    }

    /// Applies an action; returns the text of what the program observed.
    pub fn apply(&self, s: &mut SmState, a: &SAction, log: &mut Log) -> String {
        s.ghost.not_linearizable = false;
        s.ghost.s24_missed = false;
        s.ghost.range_not_snapshot = false;
        s.ghost.promoted = false;
        s.ghost.expunged = false;
        s.ghost.unexpunged = false;
        let (g, mut c) = match *a {
            SAction::Start { g, op } => {
                let mut c = SCur::new(op);
                if let SOp::Map(m) = op {
                    self.invoke(s, g, &m, &mut c);
                }
                (g, c)
            }
            SAction::Step { g, .. } => (g, s.gs[g as usize].cur.expect("in an operation")),
        };
        let r = self.step(s, &mut c, g, log);
        let mut out = String::new();
        match r {
            None => s.gs[g as usize].cur = Some(c),
            Some(ret) => {
                s.gs[g as usize].cur = None;
                s.gs[g as usize].done += 1;
                match c.op {
                    SOp::Map(m) => {
                        out = format!("returns {ret}");
                        self.ret(s, g, &m, &c, ret);
                    }
                    SOp::Range => {
                        c.seen |= self.content_bit(&Self::content(s));
                        let y: Vec<String> = c
                            .yielded
                            .iter()
                            .enumerate()
                            .filter(|(_, &v)| v != 0)
                            .map(|(k, v)| format!("k{}: v{v}", k + 1))
                            .collect();
                        out = format!("Range saw {{{}}}", y.join(", "));
                        if c.seen & self.content_bit(&c.yielded) == 0 {
                            s.ghost.range_not_snapshot = true;
                            out.push_str(": the map never held exactly this during the call");
                        }
                    }
                }
            }
        }
        // Ranges in progress see the map's content now.
        let bit = self.content_bit(&Self::content(s));
        for g in &mut s.gs {
            if let Some(c) = &mut g.cur {
                if c.op == SOp::Range {
                    c.seen |= bit;
                }
            }
        }
        canonicalize(s);
        out
    }

    fn invoke(&self, s: &mut SmState, g: u8, m: &MapOp, c: &mut SCur) {
        s.history.push(Event::Invoke(g, *m));
        let k = kidx(m);
        if m.writes() {
            s.ghost.settled[k] = 0;
            for (j, o) in s.gs.iter_mut().enumerate() {
                if j == g as usize {
                    continue;
                }
                if let Some(oc) = &mut o.cur {
                    if let SOp::Map(om) = oc.op {
                        if kidx(&om) == k {
                            oc.s24_expect = 0;
                            if om.writes() {
                                oc.overlapped = true;
                                c.overlapped = true;
                            }
                        }
                    }
                }
            }
        } else {
            c.s24_expect = s.ghost.settled[k];
        }
    }

    fn ret(&self, s: &mut SmState, g: u8, m: &MapOp, c: &SCur, ret: MapRet) {
        s.history.push(Event::Return(g, ret));
        if !concurrent::linearizable(&self.init_map(), &s.history) {
            s.ghost.not_linearizable = true;
        }
        let k = kidx(m);
        match *m {
            MapOp::Store(_, v) if !c.overlapped => s.ghost.settled[k] = v,
            MapOp::Load(_) if c.s24_expect != 0 && ret != MapRet::Value(Some(c.s24_expect)) => {
                s.ghost.s24_missed = true;
            }
            _ => {}
        }
    }
}

/// Drops entries nothing refers to and numbers the rest in order of first reference:
/// read.m, dirty, then the goroutines' locals.
pub fn canonicalize(s: &mut SmState) {
    let mut order: Vec<EntryId> = Vec::with_capacity(s.entries.len());
    let mut push = |e: Option<EntryId>| {
        if let Some(e) = e {
            if !order.contains(&e) {
                order.push(e);
            }
        }
    };
    s.read.m.iter().for_each(|&e| push(e));
    if let Some(d) = &s.dirty {
        d.iter().for_each(|&e| push(e));
    }
    for g in &s.gs {
        if let Some(c) = &g.cur {
            push(c.e);
            c.snap.iter().for_each(|&e| push(e));
        }
    }
    if order.len() == s.entries.len() && order.iter().enumerate().all(|(i, &e)| i == e as usize) {
        return;
    }
    let remap =
        |e: Option<EntryId>| e.map(|e| order.iter().position(|&o| o == e).unwrap() as EntryId);
    s.entries = order.iter().map(|&e| s.entries[e as usize]).collect();
    for x in s.read.m.iter_mut() {
        *x = remap(*x);
    }
    if let Some(d) = &mut s.dirty {
        for x in d.iter_mut() {
            *x = remap(*x);
        }
    }
    for g in &mut s.gs {
        if let Some(c) = &mut g.cur {
            c.e = remap(c.e);
            for x in c.snap.iter_mut() {
                *x = remap(*x);
            }
        }
    }
}

/// The representative of a state's symmetry class: goroutines sorted by progress and
/// locals; the history, mu's holder and entries renamed to match.
pub fn representative(s: &SmState) -> SmState {
    let perm = concurrent::canonical_permutation(&s.gs, |_| 0, |g| *g);
    let mut r = s.clone();
    r.gs = concurrent::permute(&s.gs, &perm);
    r.history = s.history.iter().map(|e| e.renamed(&perm)).collect();
    r.mu = s.mu.map(|g| perm[g as usize]);
    canonicalize(&mut r);
    r
}

impl Model for SyncMapModel {
    type State = SmState;
    type Action = SAction;

    fn init_states(&self) -> Vec<SmState> {
        let mut s = SmState {
            read: ReadOnly {
                m: [None; MAX_KEYS],
                amended: false,
            },
            dirty: None,
            misses: 0,
            mu: None,
            entries: Vec::new(),
            gs: vec![SG { done: 0, cur: None }; self.params.goroutines as usize],
            history: Vec::new(),
            ghost: SmGhost::default(),
        };
        for k in 0..self.params.prefill as usize {
            let e = Self::new_entry(&mut s, P::Val(1));
            s.read.m[k] = Some(e);
            s.ghost.settled[k] = 1;
        }
        vec![s]
    }

    fn actions(&self, s: &SmState, actions: &mut Vec<SAction>) {
        for (i, g) in s.gs.iter().enumerate() {
            match g.cur {
                Some(c) => {
                    if c.pc == SPc::Lock && s.mu.is_some() {
                        continue; // blocked in m.mu.Lock()
                    }
                    actions.push(SAction::Step {
                        g: i as u8,
                        op: c.op,
                        pc: c.pc,
                    });
                }
                None if g.done < self.params.ops_per_goroutine => {
                    for op in self.choices() {
                        actions.push(SAction::Start { g: i as u8, op });
                    }
                }
                None => {}
            }
        }
    }

    fn next_state(&self, s: &SmState, a: SAction) -> Option<SmState> {
        let mut n = s.clone();
        self.apply(&mut n, &a, &mut Log::default());
        Some(n)
    }

    fn format_action(&self, a: &SAction) -> String {
        match a {
            SAction::Start { g, op } => format!("g{}: {op} begins", g + 1),
            SAction::Step { g, op, pc } => format!("g{}: {op}: {pc:?}", g + 1),
        }
    }

    fn format_step(&self, last: &SmState, a: SAction) -> Option<String> {
        Some(self.step_text(last, &a))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        concurrent::selected_properties(PROPERTIES, &self.selected, self.exhaustive)
    }
}

impl Checkable for SyncMapModel {
    fn state_text(&self, s: &SmState) -> String {
        state_text(s)
    }
    fn explain_step(&self, s: &SmState, a: &SAction) -> (Vec<String>, String, SmState) {
        let mut n = s.clone();
        let mut log = Log::enabled();
        let out = self.apply(&mut n, a, &mut log);
        (log.0.unwrap_or_default(), out, n)
    }
    fn only(&self, name: &'static str) -> Self {
        let mut m = self.clone();
        m.exhaustive = false;
        m.selected.retain(|&i| PROPERTIES[i].name == name);
        m
    }
    fn symmetry_fn(&self) -> Option<fn(&SmState) -> SmState> {
        Some(representative)
    }
}

// ---- properties ---------------------------------------------------------------------------

fn linearizable(_: &SyncMapModel, s: &SmState) -> bool {
    !s.ghost.not_linearizable
}
fn s24_completed_store_visible_to_later_load(_: &SyncMapModel, s: &SmState) -> bool {
    !s.ghost.s24_missed
}
fn range_is_snapshot(_: &SyncMapModel, s: &SmState) -> bool {
    !s.ghost.range_not_snapshot
}
fn expunged_never_in_dirty(_: &SyncMapModel, s: &SmState) -> bool {
    s.dirty.is_none_or(|d| {
        d.iter()
            .flatten()
            .all(|&e| s.entries[e as usize] != P::Expunged)
    })
}
fn amended_dirty_holds_read(_: &SyncMapModel, s: &SmState) -> bool {
    if s.mu.is_some() || !s.read.amended {
        return true;
    }
    let Some(d) = &s.dirty else { return false };
    (0..MAX_KEYS).all(|k| match s.read.m[k] {
        Some(e) if s.entries[e as usize] != P::Expunged => d[k].is_some(),
        _ => true,
    })
}
fn entry_shared_by_read_and_dirty(_: &SyncMapModel, s: &SmState) -> bool {
    if s.mu.is_some() {
        return true;
    }
    s.dirty.is_none_or(|d| {
        (0..MAX_KEYS).all(|k| match (s.read.m[k], d[k]) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        })
    })
}
fn misses_reset_on_promotion(_: &SyncMapModel, s: &SmState) -> bool {
    s.dirty.is_some() || s.misses == 0
}
fn reaches_promotion_by_misses(_: &SyncMapModel, s: &SmState) -> bool {
    s.ghost.promoted
}
fn reaches_expunge(_: &SyncMapModel, s: &SmState) -> bool {
    s.ghost.expunged
}
fn reaches_unexpunge(_: &SyncMapModel, s: &SmState) -> bool {
    s.ghost.unexpunged
}

macro_rules! prop {
    ($f:ident, $kind:ident, $desc:expr) => {
        PropDef {
            name: stringify!($f),
            kind: Kind::$kind,
            description: $desc,
            check: $f,
        }
    };
}

/// Every property of the `syncmap` model.
pub const PROPERTIES: &[PropDef<SyncMapModel>] = &[
    prop!(linearizable, Always,
        "every history of Load/Store/LoadOrStore/LoadAndDelete/Delete is linearizable with respect to a plain map"),
    prop!(s24_completed_store_visible_to_later_load, Always,
        "seed claim S24, negated: a Load that begins after Store(k, v) returned, with no other write of k begun since the Store began, returns v"),
    prop!(range_is_snapshot, Always,
        "what one Range yields was exactly the map's content at some instant during the call"),
    prop!(expunged_never_in_dirty, Always,
        "no entry in m.dirty is expunged"),
    prop!(amended_dirty_holds_read, Always,
        "whenever mu is free and read.amended, m.dirty holds every non-expunged key of read.m"),
    prop!(entry_shared_by_read_and_dirty, Always,
        "whenever mu is free, a key in both read.m and m.dirty maps to the same *entry"),
    prop!(misses_reset_on_promotion, Always,
        "misses is 0 whenever m.dirty is nil (promotion resets it)"),
    prop!(reaches_promotion_by_misses, Sometimes,
        "dirty is promoted to read (by missLocked or Range)"),
    prop!(reaches_expunge, Sometimes,
        "dirtyLocked expunges a nil entry"),
    prop!(reaches_unexpunge, Sometimes,
        "a Store or LoadOrStore unexpunges an entry"),
];

// ---- registry -----------------------------------------------------------------------------

pub const PARAMS: &[ParamDef] = &[
    ParamDef {
        name: "goroutines",
        default: "2",
        description: "goroutines, each choosing its operations from ops (1..=3)",
    },
    ParamDef {
        name: "ops_per_goroutine",
        default: "2",
        description: "operations each goroutine performs (1..=3)",
    },
    ParamDef {
        name: "keys",
        default: "2",
        description: "keys k1..kN (1..=3)",
    },
    ParamDef {
        name: "values",
        default: "1",
        description: "values v1..vN stored (1..=3; (values+1)^keys <= 64)",
    },
    ParamDef {
        name: "prefill",
        default: "0",
        description: "keys k1..kN hold v1 in read.m at the start (0..=keys)",
    },
    ParamDef {
        name: "ops",
        default: "[\"load\", \"store\", \"load_or_store\", \"load_and_delete\", \"delete\"]",
        description: "operations: load, store, load_or_store, load_and_delete, delete, range",
    },
];

pub fn info() -> ModelInfo {
    ModelInfo {
        name: "syncmap",
        description: "Go 1.19 sync.Map under 2-3 goroutines, every atomic step separate (read load, entry.p loads and CASes, mu, dirty, missLocked, dirtyLocked/expunge), linearizability against a plain map (sync/map.go)",
        params: PARAMS.to_vec(),
        properties: PROPERTIES.iter().map(|p| p.info()).collect(),
    }
}

/// Builds the model a spec describes, checking every parameter and property name.
pub fn from_spec(spec: &Spec) -> Result<SyncMapModel, SpecError> {
    let mut p = SyncMapParams::default();
    for (name, v) in &spec.params {
        match name.as_str() {
            "goroutines" => p.goroutines = params::int_param(spec, name, v, 1, 3)? as u8,
            "ops_per_goroutine" => {
                p.ops_per_goroutine = params::int_param(spec, name, v, 1, 3)? as u8
            }
            "keys" => p.keys = params::int_param(spec, name, v, 1, MAX_KEYS as i64)? as u8,
            "values" => p.values = params::int_param(spec, name, v, 1, 3)? as u8,
            "prefill" => p.prefill = params::int_param(spec, name, v, 0, MAX_KEYS as i64)? as u8,
            "ops" => p.ops = params::names_param(spec, name, v, OP_NAMES)?,
            _ => return Err(params::unknown_param(spec, "syncmap", name, v, PARAMS)),
        }
    }
    if p.prefill > p.keys {
        return Err(spec.error(
            spec.params.get("prefill").map(|v| v.line),
            Some("params.prefill"),
            format!("prefill {} exceeds keys {}", p.prefill, p.keys),
        ));
    }
    if (p.values as u32 + 1).pow(p.keys as u32) > 64 {
        return Err(spec.error(
            spec.params.get("values").map(|v| v.line),
            Some("params.values"),
            format!(
                "(values + 1)^keys = {} map contents exceed the 64 that range_is_snapshot can track",
                (p.values as u32 + 1).pow(p.keys as u32)
            ),
        ));
    }
    let names = params::expected_names(spec, "syncmap", PROPERTIES)?;
    let mut m = SyncMapModel::new(p, Some(&names));
    m.exhaustive = spec.strategy != Strategy::Simulation;
    Ok(m)
}

impl SpecModel for SyncMapModel {
    const NAME: &'static str = "syncmap";
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
    use std::path::Path;

    fn model(goroutines: u8, prefill: u8) -> SyncMapModel {
        SyncMapModel::new(
            SyncMapParams {
                goroutines,
                prefill,
                ops_per_goroutine: 3,
                ops: 0b111111,
                ..SyncMapParams::default()
            },
            None,
        )
    }

    /// Runs an operation of goroutine `g` to its end, alone; returns its log.
    fn run(m: &SyncMapModel, s: &mut SmState, g: u8, op: SOp) -> Vec<String> {
        let mut log = Log::enabled();
        m.apply(s, &SAction::Start { g, op }, &mut log);
        while let Some(c) = s.gs[g as usize].cur {
            m.apply(
                s,
                &SAction::Step {
                    g,
                    op: c.op,
                    pc: c.pc,
                },
                &mut log,
            );
        }
        log.0.unwrap()
    }

    #[test]
    fn a_completed_store_of_a_new_key_is_seen_by_a_later_load_through_dirty() {
        let m = model(2, 0);
        let mut s = m.init_states().remove(0);
        run(&m, &mut s, 0, SOp::Map(MapOp::Store(1, 1)));
        assert!(
            s.read.amended && s.read.m[0].is_none(),
            "the new key is only in dirty"
        );
        let log = run(&m, &mut s, 1, SOp::Map(MapOp::Load(1)));
        assert!(
            log.iter().any(|l| l.starts_with("dirty[k1] = e")),
            "{log:?}"
        );
        assert_eq!(
            s.history.last(),
            Some(&Event::Return(1, MapRet::Value(Some(1))))
        );
        assert!(!s.ghost.s24_missed && !s.ghost.not_linearizable);
        // One miss against a dirty map of one key promotes it.
        assert!(s.dirty.is_none() && s.read.m[0].is_some() && s.misses == 0);
    }

    #[test]
    fn a_load_that_ignores_dirty_is_caught_by_s24_and_linearizability() {
        // A mutant: the Store's key is in dirty, but read claims not to be amended, so the
        // Load returns on its lock-free path without looking in dirty.
        let m = model(2, 0);
        let mut s = m.init_states().remove(0);
        run(&m, &mut s, 0, SOp::Map(MapOp::Store(1, 1)));
        s.read.amended = false;
        run(&m, &mut s, 1, SOp::Map(MapOp::Load(1)));
        assert_eq!(
            s.history.last(),
            Some(&Event::Return(1, MapRet::Value(None)))
        );
        assert!(s.ghost.s24_missed);
        assert!(s.ghost.not_linearizable);
    }

    #[test]
    fn a_store_after_a_delete_and_a_new_key_unexpunges_the_entry() {
        let m = model(1, 1);
        let mut s = m.init_states().remove(0);
        run(&m, &mut s, 0, SOp::Map(MapOp::Delete(1)));
        assert_eq!(s.entries[s.read.m[0].unwrap() as usize], P::Nil);
        run(&m, &mut s, 0, SOp::Map(MapOp::Store(2, 1)));
        assert_eq!(s.entries[s.read.m[0].unwrap() as usize], P::Expunged);
        assert_eq!(
            s.dirty.unwrap()[0],
            None,
            "expunged entries stay out of dirty"
        );
        let log = run(&m, &mut s, 0, SOp::Map(MapOp::Store(1, 1)));
        assert!(log
            .iter()
            .any(|l| l.contains("unexpungeLocked") && l.ends_with("succeeds")));
        assert_eq!(
            s.dirty.unwrap()[0],
            s.read.m[0],
            "read and dirty share the entry"
        );
    }

    #[test]
    fn load_or_store_on_a_live_key_returns_the_old_value_and_stores_nothing() {
        let m = model(1, 1);
        let mut s = m.init_states().remove(0);
        run(&m, &mut s, 0, SOp::Map(MapOp::LoadOrStore(1, 2)));
        assert_eq!(
            s.history.last(),
            Some(&Event::Return(0, MapRet::Actual(1, true)))
        );
        assert_eq!(SyncMapModel::content(&s)[0], 1);
    }

    #[test]
    fn a_range_racing_two_stores_yields_a_mix_the_map_never_held() {
        let mut m = model(2, 2);
        m.params.values = 2;
        let mut s = m.init_states().remove(0);
        let range = SAction::Start {
            g: 1,
            op: SOp::Range,
        };
        m.apply(&mut s, &range, &mut Log::default());
        let next = |s: &SmState| SAction::Step {
            g: 1,
            op: SOp::Range,
            pc: s.gs[1].cur.unwrap().pc,
        };
        let a = next(&s);
        m.apply(&mut s, &a, &mut Log::default()); // yields k1 = v1
        run(&m, &mut s, 0, SOp::Map(MapOp::Store(1, 2)));
        run(&m, &mut s, 0, SOp::Map(MapOp::Store(2, 2)));
        let a = next(&s);
        m.apply(&mut s, &a, &mut Log::default()); // yields k2 = v2
        assert!(s.ghost.range_not_snapshot);
    }

    #[test]
    fn representatives_do_not_depend_on_goroutine_order() {
        let m = model(2, 0);
        let mut s = m.init_states().remove(0);
        let mut t = s.clone();
        run(&m, &mut s, 0, SOp::Map(MapOp::Store(1, 1)));
        run(&m, &mut t, 1, SOp::Map(MapOp::Store(1, 1)));
        assert_ne!(s, t);
        assert_eq!(representative(&s), representative(&t));
    }

    fn spec(params: &str) -> Spec {
        let src = format!(
            "model = \"syncmap\"\n[params]\n{params}\n[expect]\nlinearizable = \"holds\"\n"
        );
        Spec::parse(Path::new("t.toml"), &src).unwrap()
    }

    #[test]
    fn valid_parameters_build_a_model() {
        let m = from_spec(&spec("keys = 3\nprefill = 3\nops = [\"range\", \"store\"]")).unwrap();
        assert_eq!(m.params.ops, 0b100010);
    }

    #[test]
    fn invalid_parameters_name_the_line_and_field() {
        let e = from_spec(&spec("keys = 1\nprefill = 2")).unwrap_err();
        assert_eq!(
            (e.field.as_deref(), e.line),
            (Some("params.prefill"), Some(4))
        );
        let e = from_spec(&spec("values = 4")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("params.values"));
        assert!(e.message.contains("out of range"), "{e}");
        let e = from_spec(&spec("ops = [\"swap\"]")).unwrap_err();
        assert!(e.message.contains("unknown operation"), "{e}");
    }
}
