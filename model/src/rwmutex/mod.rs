//! The `rwmutex` model: the plain map of [`crate::unsync`] behind a Go 1.19 `sync.RWMutex`:
//! writers (mapassign, mapdelete) take `Lock`, readers (mapaccess2) take `RLock`.
//!
//! What it models: sync/rwmutex.go step by step, each atomic operation one step:
//!
//! ```text
//! Lock:    w.Lock() | r := atomic.AddInt32(&readerCount, -rwmutexMaxReaders) + max |
//!          r != 0: atomic.AddInt32(&readerWait, r) != 0: semacquire(&writerSem)
//! Unlock:  r := atomic.AddInt32(&readerCount, rwmutexMaxReaders) (r >= max: fatal) |
//!          semrelease(&readerSem) r times | w.Unlock()
//! RLock:   atomic.AddInt32(&readerCount, 1) < 0: semacquire(&readerSem)
//! RUnlock: r := atomic.AddInt32(&readerCount, -1) | r < 0: rUnlockSlow: (fatal checks)
//!          atomic.AddInt32(&readerWait, -1) == 0: semrelease(&writerSem)
//! ```
//!
//! Writer preference follows from it: once Lock has subtracted rwmutexMaxReaders, readerCount
//! is negative and every new RLock waits on readerSem until Unlock releases it. Between lock
//! and unlock the goroutine runs the unsync model's steps of its map operation, hashWriting
//! checks included, so a throw would show a hole in the locking.
//!
//! What it abstracts: the writer mutex `w` (a sync.Mutex) is an abstract lock; semaphores
//! are counters (runtime_Semacquire blocks while 0; which waiter a release wakes is the
//! checker's choice, which covers every wake-up order); Unlock's loop of r semreleases is one
//! step. The map is the unsync model's (see there for its abstractions).
//!
//! Invariants (properties): `linearizable` (histories of Load = mapaccess2, Store =
//! mapassign, Delete = mapdelete against a plain map), `no_throw` (no Go throw, neither the
//! map's nor the RWMutex's), `no_deadlock` (never a state where goroutines still have work and
//! none can step: a state predicate checked with `always`, since stateright's `eventually`
//! misses violations on paths that loop).
//!
//! Follows Go 1.19.8 sync/rwmutex.go (RLock, RUnlock, rUnlockSlow, Lock, Unlock) and, for
//! the map, what crate::unsync follows.

use crate::framework::check::Checkable;
use crate::framework::concurrent::{self, Event, MapOp, MapRet, PropDef, SeqMap};
use crate::framework::info::{Kind, ModelInfo, ParamDef, SpecModel};
use crate::framework::log::{note, Log};
use crate::framework::params;
use crate::framework::spec::{Spec, SpecError, Strategy};
use crate::hmap::state::HmapState;
use crate::hmap::steps::Geometry;
use crate::unsync::{self, GMap, Stepped, Steps, UOp};
use stateright::{Model, Property};
use std::collections::BTreeMap;

/// `rwmutexMaxReaders`.
pub const RWMUTEX_MAX_READERS: i64 = 1 << 30;

pub const FATAL_UNLOCK: &str = "sync: Unlock of unlocked RWMutex";
pub const FATAL_RUNLOCK: &str = "sync: RUnlock of unlocked RWMutex";

/// The next lock step of a goroutine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum LPc {
    /// Lock: `rw.w.Lock()` (blocks while w is held).
    WLock,
    /// Lock: `atomic.AddInt32(&rw.readerCount, -rwmutexMaxReaders)`.
    AddReaderCount,
    /// Lock: `atomic.AddInt32(&rw.readerWait, r)`.
    AddReaderWait,
    /// Lock: `runtime_SemacquireMutex(&rw.writerSem)` (blocks while 0).
    AcquireWriterSem,
    /// The map operation, step by step.
    Critical,
    /// Unlock: `atomic.AddInt32(&rw.readerCount, rwmutexMaxReaders)`.
    UnlockAddReaderCount,
    /// Unlock: `runtime_Semrelease(&rw.readerSem)` r times.
    ReleaseReaders,
    /// Unlock: `rw.w.Unlock()`.
    WUnlock,
    /// RLock: `atomic.AddInt32(&rw.readerCount, 1)`.
    RLockAdd,
    /// RLock: `runtime_SemacquireMutex(&rw.readerSem)` (blocks while 0).
    AcquireReaderSem,
    /// RUnlock: `atomic.AddInt32(&rw.readerCount, -1)`.
    RUnlockAdd,
    /// RUnlock's rUnlockSlow: `atomic.AddInt32(&rw.readerWait, -1)`, semrelease(writerSem).
    RUnlockSlow,
}

/// An operation in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct RCur {
    pub op: MapOp,
    pub lpc: LPc,
    /// The register `r` of Lock/Unlock/RUnlock.
    pub r: i64,
    /// The map operation's own state, inside the critical section.
    pub map: Option<GMap>,
    pub ret: Option<MapRet>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct RG {
    pub done: u8,
    pub cur: Option<RCur>,
}

/// `sync.RWMutex`'s fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct RwMutex {
    /// `w`: the goroutine holding it.
    pub w: Option<u8>,
    pub writer_sem: u8,
    pub reader_sem: u8,
    /// number of pending readers (minus rwmutexMaxReaders while a writer is pending).
    pub reader_count: i64,
    /// number of departing readers.
    pub reader_wait: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct RwGhost {
    pub thrown: Option<(u8, &'static str)>,
    /// The last step returned and the history is not linearizable.
    pub not_linearizable: bool,
}

#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct RwState {
    pub m: HmapState,
    pub rw: RwMutex,
    pub gs: Vec<RG>,
    pub history: Vec<Event>,
    pub ghost: RwGhost,
}

impl std::fmt::Debug for RwState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&state_text(self, 8))
    }
}

fn state_text(s: &RwState, bucket_cnt: usize) -> String {
    let rw = &s.rw;
    let mut out = format!(
        "rw: w={} readerCount={} readerWait={} writerSem={} readerSem={}\n{}",
        match rw.w {
            Some(g) => format!("g{}", g + 1),
            None => "free".into(),
        },
        count_text(rw.reader_count),
        rw.reader_wait,
        rw.writer_sem,
        rw.reader_sem,
        unsync::map_text(&s.m, bucket_cnt)
    );
    for (i, g) in s.gs.iter().enumerate() {
        out.push_str(&format!("\ng{}: ", i + 1));
        match &g.cur {
            None => out.push_str(&format!("{} op(s) done, idle", g.done)),
            Some(c) => {
                out.push_str(&format!("{} at {:?}", op_text(&c.op), c.lpc));
                if let Some(gm) = &c.map {
                    out.push_str(&format!(" / {:?}", gm.pc));
                }
            }
        }
    }
    if let Some((g, msg)) = s.ghost.thrown {
        out.push_str(&format!("\nfatal error: {msg} (in g{})", g + 1));
    }
    if !s.history.is_empty() {
        out.push_str(&format!(
            "\nhistory: {}",
            concurrent::history_text(&s.history)
        ));
    }
    out
}

fn count_text(n: i64) -> String {
    if n < 0 {
        format!("{}-rwmutexMaxReaders", n + RWMUTEX_MAX_READERS)
    } else {
        n.to_string()
    }
}

fn op_text(op: &MapOp) -> String {
    match *op {
        MapOp::Store(k, v) => format!("Lock; m[k{k}] = v{v}; Unlock"),
        MapOp::Delete(k) => format!("Lock; delete(m, k{k}); Unlock"),
        MapOp::Load(k) => format!("RLock; m[k{k}]; RUnlock"),
        other => concurrent::op_text(&other),
    }
}

fn uop(op: &MapOp) -> UOp {
    match *op {
        MapOp::Store(key, elem) => UOp::Assign { key, elem },
        MapOp::Delete(key) => UOp::Delete { key },
        MapOp::Load(key) => UOp::Access { key },
        _ => unreachable!("the rwmutex model performs Store, Delete and Load"),
    }
}

/// Parameters of the `rwmutex` model.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct RwParams {
    pub geo: Geometry,
    pub goroutines: u8,
    pub ops_per_goroutine: u8,
    pub keys: u8,
    pub values: u8,
    pub hash_bits: u32,
    pub hint: usize,
    /// Bits: assign, delete, access.
    pub ops: u32,
}

impl Default for RwParams {
    fn default() -> Self {
        RwParams {
            geo: Geometry {
                bucket_cnt: 1,
                load_factor_num: 1,
                load_factor_den: 2,
            },
            goroutines: 2,
            ops_per_goroutine: 2,
            keys: 2,
            values: 1,
            hash_bits: 1,
            hint: 0,
            ops: 0b111,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RAction {
    Start { g: u8, op: MapOp },
    Step { g: u8, op: MapOp, lpc: LPc },
}

#[derive(Clone, Debug)]
pub struct RwModel {
    pub params: RwParams,
    pub steps: Steps,
    pub assignments: Vec<BTreeMap<u64, u64>>,
    pub selected: Vec<usize>,
    pub exhaustive: bool,
}

impl RwModel {
    pub fn new(params: RwParams, names: Option<&[String]>) -> Self {
        // The unsync model enumerates the hash assignments the same way.
        let u = unsync::UnsyncModel::new(
            unsync::UnsyncParams {
                geo: params.geo,
                keys: params.keys,
                hash_bits: params.hash_bits,
                ..unsync::UnsyncParams::default()
            },
            Some(&[][..]),
        );
        RwModel {
            steps: Steps::new(params.geo),
            assignments: u.assignments,
            params,
            selected: concurrent::select(PROPERTIES, names),
            exhaustive: true,
        }
    }

    fn choices(&self) -> Vec<MapOp> {
        let p = &self.params;
        let mut v = Vec::new();
        for k in 1..=p.keys {
            if p.ops & 1 != 0 {
                for val in 1..=p.values {
                    v.push(MapOp::Store(k, val));
                }
            }
            if p.ops & 2 != 0 {
                v.push(MapOp::Delete(k));
            }
            if p.ops & 4 != 0 {
                v.push(MapOp::Load(k));
            }
        }
        v
    }

    /// Whether goroutine `g`'s next step can run (it is not blocked).
    pub fn enabled(s: &RwState, c: &RCur) -> bool {
        match c.lpc {
            LPc::WLock => s.rw.w.is_none(),
            LPc::AcquireWriterSem => s.rw.writer_sem > 0,
            LPc::AcquireReaderSem => s.rw.reader_sem > 0,
            _ => true,
        }
    }

    fn step(&self, s: &mut RwState, c: &mut RCur, g: u8, log: &mut Log) -> Option<MapRet> {
        let rw = &mut s.rw;
        match c.lpc {
            LPc::WLock => {
                rw.w = Some(g);
                note(log, || "rw.w.Lock()".into());
                c.lpc = LPc::AddReaderCount;
            }
            LPc::AddReaderCount => {
                rw.reader_count -= RWMUTEX_MAX_READERS;
                c.r = rw.reader_count + RWMUTEX_MAX_READERS;
                note(log, || {
                    format!(
                        "readerCount -= rwmutexMaxReaders: r = {} active reader(s)",
                        c.r
                    )
                });
                c.lpc = if c.r != 0 {
                    LPc::AddReaderWait
                } else {
                    self.enter(c)
                };
            }
            LPc::AddReaderWait => {
                rw.reader_wait += c.r;
                note(log, || {
                    format!("readerWait += {} = {}", c.r, rw.reader_wait)
                });
                c.lpc = if rw.reader_wait != 0 {
                    LPc::AcquireWriterSem
                } else {
                    self.enter(c)
                };
            }
            LPc::AcquireWriterSem => {
                rw.writer_sem -= 1;
                note(log, || "semacquire(&writerSem) returns".into());
                c.lpc = self.enter(c);
            }
            LPc::RLockAdd => {
                rw.reader_count += 1;
                note(log, || {
                    format!("readerCount += 1 = {}", count_text(rw.reader_count))
                });
                c.lpc = if rw.reader_count < 0 {
                    LPc::AcquireReaderSem
                } else {
                    self.enter(c)
                };
            }
            LPc::AcquireReaderSem => {
                rw.reader_sem -= 1;
                note(log, || "semacquire(&readerSem) returns".into());
                c.lpc = self.enter(c);
            }
            LPc::Critical => {
                let mut gm = c.map.expect("in the critical section");
                // Deviation from Go: the map operation runs as one step here. Inside the
                // critical section no other goroutine touches the map (a writer excludes
                // everyone, readers only load), so interleaving its loads and stores with
                // other goroutines' steps adds states but no behaviour: a sound reduction.
                // A delete that empties the map keeps the hash function (no reseed): under
                // the lock every hash function gives the same contents.
                let r = loop {
                    let r = self.steps.step(&mut s.m, &mut gm, g, 0, &[], log);
                    if r != Stepped::Continue {
                        break r;
                    }
                };
                c.map = Some(gm);
                match r {
                    Stepped::Continue | Stepped::Yield(..) => {}
                    Stepped::Throw(msg) => s.ghost.thrown = Some((g, msg)),
                    Stepped::Done(res) => {
                        c.ret = Some(match (c.op, res) {
                            (MapOp::Load(_), Some((e, true))) => MapRet::Value(Some(e as u8)),
                            (MapOp::Load(_), _) => MapRet::Value(None),
                            _ => MapRet::Unit,
                        });
                        c.map = None;
                        c.lpc = match c.op {
                            MapOp::Load(_) => LPc::RUnlockAdd,
                            _ => LPc::UnlockAddReaderCount,
                        };
                    }
                }
            }
            LPc::UnlockAddReaderCount => {
                rw.reader_count += RWMUTEX_MAX_READERS;
                c.r = rw.reader_count;
                note(log, || {
                    format!(
                        "readerCount += rwmutexMaxReaders: r = {} blocked reader(s)",
                        c.r
                    )
                });
                if c.r >= RWMUTEX_MAX_READERS {
                    s.ghost.thrown = Some((g, FATAL_UNLOCK));
                    return None;
                }
                c.lpc = if c.r > 0 {
                    LPc::ReleaseReaders
                } else {
                    LPc::WUnlock
                };
            }
            LPc::ReleaseReaders => {
                rw.reader_sem += c.r as u8;
                note(log, || format!("semrelease(&readerSem) x {}", c.r));
                c.lpc = LPc::WUnlock;
            }
            LPc::WUnlock => {
                rw.w = None;
                note(log, || "rw.w.Unlock()".into());
                return c.ret;
            }
            LPc::RUnlockAdd => {
                rw.reader_count -= 1;
                c.r = rw.reader_count;
                note(log, || format!("readerCount -= 1 = {}", count_text(c.r)));
                if c.r < 0 {
                    c.lpc = LPc::RUnlockSlow;
                } else {
                    return c.ret;
                }
            }
            LPc::RUnlockSlow => {
                if c.r + 1 == 0 || c.r + 1 == -RWMUTEX_MAX_READERS {
                    s.ghost.thrown = Some((g, FATAL_RUNLOCK));
                    return None;
                }
                rw.reader_wait -= 1;
                let wake = rw.reader_wait == 0;
                if wake {
                    rw.writer_sem += 1;
                }
                note(log, || {
                    format!(
                        "rUnlockSlow: readerWait -= 1 = {}{}",
                        rw.reader_wait,
                        if wake { ": semrelease(&writerSem)" } else { "" }
                    )
                });
                return c.ret;
            }
        }
        None
    }

    fn enter(&self, c: &mut RCur) -> LPc {
        c.map = Some(GMap::new(uop(&c.op)));
        LPc::Critical
    }

    pub fn apply(&self, s: &mut RwState, a: &RAction, log: &mut Log) -> String {
        s.ghost.not_linearizable = false;
        let (g, mut c) = match *a {
            RAction::Start { g, op } => {
                s.history.push(Event::Invoke(g, op));
                let lpc = match op {
                    MapOp::Load(_) => LPc::RLockAdd,
                    _ => LPc::WLock,
                };
                (
                    g,
                    RCur {
                        op,
                        lpc,
                        r: 0,
                        map: None,
                        ret: None,
                    },
                )
            }
            RAction::Step { g, .. } => (g, s.gs[g as usize].cur.expect("in an operation")),
        };
        let r = self.step(s, &mut c, g, log);
        let mut out = String::new();
        match r {
            None => s.gs[g as usize].cur = Some(c),
            Some(ret) => {
                s.gs[g as usize].cur = None;
                s.gs[g as usize].done += 1;
                s.history.push(Event::Return(g, ret));
                out = format!("returns {ret}");
                if !concurrent::linearizable(&SeqMap::default(), &s.history) {
                    s.ghost.not_linearizable = true;
                }
            }
        }
        if let Some((_, msg)) = s.ghost.thrown {
            out = format!("fatal error: {msg}");
        }
        let mut refs: Vec<&mut GMap> =
            s.gs.iter_mut()
                .filter_map(|g| g.cur.as_mut().and_then(|c| c.map.as_mut()))
                .collect();
        unsync::canonicalize(&mut s.m, &mut refs);
        out
    }

    /// Goroutines still have operations to do but none can take a step.
    pub fn deadlocked(&self, s: &RwState) -> bool {
        if s.ghost.thrown.is_some() {
            return false;
        }
        let mut pending = false;
        for g in &s.gs {
            match &g.cur {
                Some(c) => {
                    if Self::enabled(s, c) {
                        return false;
                    }
                    pending = true;
                }
                None if g.done < self.params.ops_per_goroutine => return false,
                None => {}
            }
        }
        pending
    }
}

/// The representative of a state's symmetry class: goroutines sorted, the history, w's
/// holder and the thrower renamed, arrays renumbered.
pub fn representative(s: &RwState) -> RwState {
    let perm = concurrent::canonical_permutation(&s.gs, |_| 0, |g| *g);
    let mut r = s.clone();
    r.gs = concurrent::permute(&s.gs, &perm);
    r.history = s.history.iter().map(|e| e.renamed(&perm)).collect();
    r.rw.w = s.rw.w.map(|g| perm[g as usize]);
    if let Some((g, msg)) = r.ghost.thrown {
        r.ghost.thrown = Some((perm[g as usize], msg));
    }
    let mut refs: Vec<&mut GMap> =
        r.gs.iter_mut()
            .filter_map(|g| g.cur.as_mut().and_then(|c| c.map.as_mut()))
            .collect();
    unsync::canonicalize(&mut r.m, &mut refs);
    r
}

impl Model for RwModel {
    type State = RwState;
    type Action = RAction;

    fn init_states(&self) -> Vec<RwState> {
        self.assignments
            .iter()
            .enumerate()
            .map(|(h0, hashes)| RwState {
                m: self
                    .steps
                    .machine
                    .makemap(self.params.hint, h0 as u32, hashes.clone()),
                rw: RwMutex::default(),
                gs: vec![RG { done: 0, cur: None }; self.params.goroutines as usize],
                history: Vec::new(),
                ghost: RwGhost::default(),
            })
            .collect()
    }

    fn actions(&self, s: &RwState, actions: &mut Vec<RAction>) {
        if s.ghost.thrown.is_some() {
            return;
        }
        for (i, g) in s.gs.iter().enumerate() {
            match &g.cur {
                Some(c) if Self::enabled(s, c) => {
                    actions.push(RAction::Step {
                        g: i as u8,
                        op: c.op,
                        lpc: c.lpc,
                    });
                }
                Some(_) => {} // blocked
                None if g.done < self.params.ops_per_goroutine => {
                    for op in self.choices() {
                        // The first step of Lock is w.Lock(): blocked while w is held.
                        if op.writes() && s.rw.w.is_some() {
                            continue;
                        }
                        actions.push(RAction::Start { g: i as u8, op });
                    }
                }
                None => {}
            }
        }
    }

    fn next_state(&self, s: &RwState, a: RAction) -> Option<RwState> {
        let mut n = s.clone();
        self.apply(&mut n, &a, &mut Log::default());
        Some(n)
    }

    fn format_action(&self, a: &RAction) -> String {
        match a {
            RAction::Start { g, op } => format!("g{}: {} begins", g + 1, op_text(op)),
            RAction::Step { g, op, lpc } => format!("g{}: {}: {lpc:?}", g + 1, op_text(op)),
        }
    }

    fn format_step(&self, last: &RwState, a: RAction) -> Option<String> {
        Some(self.step_text(last, &a))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        concurrent::selected_properties(PROPERTIES, &self.selected, self.exhaustive)
    }
}

impl Checkable for RwModel {
    fn state_text(&self, s: &RwState) -> String {
        state_text(s, self.params.geo.bucket_cnt)
    }
    fn explain_step(&self, s: &RwState, a: &RAction) -> (Vec<String>, String, RwState) {
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
    fn symmetry_fn(&self) -> Option<fn(&RwState) -> RwState> {
        Some(representative)
    }
}

// ---- properties ---------------------------------------------------------------------------

fn linearizable(_: &RwModel, s: &RwState) -> bool {
    !s.ghost.not_linearizable
}
fn no_throw(_: &RwModel, s: &RwState) -> bool {
    s.ghost.thrown.is_none()
}
fn no_deadlock(m: &RwModel, s: &RwState) -> bool {
    !m.deadlocked(s)
}
fn reaches_reader_waits_for_pending_writer(_: &RwModel, s: &RwState) -> bool {
    let waiting = |lpc: LPc| s.gs.iter().any(|g| g.cur.is_some_and(|c| c.lpc == lpc));
    waiting(LPc::AcquireReaderSem) && waiting(LPc::AcquireWriterSem)
}
fn reaches_readers_share_the_lock(_: &RwModel, s: &RwState) -> bool {
    s.gs.iter()
        .filter(|g| {
            g.cur
                .is_some_and(|c| c.lpc == LPc::Critical && matches!(c.op, MapOp::Load(_)))
        })
        .count()
        >= 2
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

/// Every property of the `rwmutex` model.
pub const PROPERTIES: &[PropDef<RwModel>] = &[
    prop!(linearizable, Always,
        "every history of m[k] (RLock), m[k] = v and delete(m, k) (Lock) is linearizable with respect to a plain map"),
    prop!(no_throw, Always,
        "no Go throw: neither the map's hashWriting checks nor the RWMutex's fatal errors fire"),
    prop!(no_deadlock, Always,
        "never a state where goroutines still have operations to do and none can take a step"),
    prop!(reaches_reader_waits_for_pending_writer, Sometimes,
        "writer preference: an RLock waits on readerSem while a Lock waits on writerSem for the readers before it"),
    prop!(reaches_readers_share_the_lock, Sometimes,
        "two readers are inside the read lock at once"),
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
        description: "keys k1..kN (1..=4)",
    },
    ParamDef {
        name: "values",
        default: "1",
        description: "elems v1..vN assigned (1..=3)",
    },
    ParamDef {
        name: "hash_bits",
        default: "1",
        description:
            "low hash bits that vary (0..=3); every injective assignment is an initial state",
    },
    ParamDef {
        name: "bucket_cnt",
        default: "1",
        description: "slots per bmap, a power of two <= 8 (Go: 8)",
    },
    ParamDef {
        name: "load_factor",
        default: "\"1/2\"",
        description: "loadFactorNum/loadFactorDen as \"N/D\" (Go: \"13/2\")",
    },
    ParamDef {
        name: "hint",
        default: "0",
        description: "makemap's size hint",
    },
    ParamDef {
        name: "ops",
        default: "[\"assign\", \"delete\", \"access\"]",
        description: "assign and delete take Lock, access takes RLock",
    },
];

pub fn info() -> ModelInfo {
    ModelInfo {
        name: "rwmutex",
        description: "the plain Go 1.19 map behind a sync.RWMutex (readerCount/readerWait, writer preference), map operations at the unsync model's steps, linearizability (sync/rwmutex.go)",
        params: PARAMS.to_vec(),
        properties: PROPERTIES.iter().map(|p| p.info()).collect(),
    }
}

/// Builds the model a spec describes, checking every parameter and property name.
pub fn from_spec(spec: &Spec) -> Result<RwModel, SpecError> {
    let mut p = RwParams::default();
    for (name, v) in &spec.params {
        match name.as_str() {
            "goroutines" => p.goroutines = params::int_param(spec, name, v, 1, 3)? as u8,
            "ops_per_goroutine" => {
                p.ops_per_goroutine = params::int_param(spec, name, v, 1, 3)? as u8
            }
            "keys" => p.keys = params::int_param(spec, name, v, 1, 4)? as u8,
            "values" => p.values = params::int_param(spec, name, v, 1, 3)? as u8,
            "hash_bits" => p.hash_bits = params::int_param(spec, name, v, 0, 3)? as u32,
            "hint" => p.hint = params::int_param(spec, name, v, 0, 64)? as usize,
            "bucket_cnt" | "load_factor" => crate::hmap::geometry_param(spec, name, v, &mut p.geo)?,
            "ops" => p.ops = params::names_param(spec, name, v, &["assign", "delete", "access"])?,
            _ => return Err(params::unknown_param(spec, "rwmutex", name, v, PARAMS)),
        }
    }
    if p.keys as u64 > 1 << p.hash_bits {
        return Err(spec.error(
            spec.params.get("keys").map(|v| v.line),
            Some("params.keys"),
            format!(
                "{} keys cannot have distinct hashes in a domain of {} (2^hash_bits)",
                p.keys,
                1u32 << p.hash_bits
            ),
        ));
    }
    if p.geo.load_factor_num > p.geo.bucket_cnt * p.geo.load_factor_den {
        return Err(spec.error(
            spec.params.get("load_factor").map(|v| v.line),
            Some("params.load_factor"),
            format!(
                "load factor {}/{} exceeds bucket_cnt {}: a same-size grow could re-trigger forever (Go: 13/2 <= 8)",
                p.geo.load_factor_num, p.geo.load_factor_den, p.geo.bucket_cnt
            ),
        ));
    }
    let names = params::expected_names(spec, "rwmutex", PROPERTIES)?;
    let mut m = RwModel::new(p, Some(&names));
    m.exhaustive = spec.strategy != Strategy::Simulation;
    Ok(m)
}

impl SpecModel for RwModel {
    const NAME: &'static str = "rwmutex";
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

    fn model(goroutines: u8) -> RwModel {
        RwModel::new(
            RwParams {
                goroutines,
                ..RwParams::default()
            },
            None,
        )
    }

    fn step(m: &RwModel, s: &mut RwState, g: u8) {
        let c = s.gs[g as usize].cur.unwrap();
        assert!(
            RwModel::enabled(s, &c),
            "g{} is blocked at {:?}",
            g + 1,
            c.lpc
        );
        m.apply(
            s,
            &RAction::Step {
                g,
                op: c.op,
                lpc: c.lpc,
            },
            &mut Log::default(),
        );
    }

    #[test]
    fn a_pending_writer_makes_a_new_reader_wait() {
        let m = model(3);
        let mut s = m.init_states().remove(0);
        // g1 reads and stays inside the read lock.
        m.apply(
            &mut s,
            &RAction::Start {
                g: 0,
                op: MapOp::Load(1),
            },
            &mut Log::default(),
        );
        assert_eq!(s.gs[0].cur.unwrap().lpc, LPc::Critical);
        // g2 wants to write: it takes w, announces itself, and waits for g1.
        m.apply(
            &mut s,
            &RAction::Start {
                g: 1,
                op: MapOp::Store(1, 1),
            },
            &mut Log::default(),
        );
        step(&m, &mut s, 1);
        step(&m, &mut s, 1);
        assert_eq!(s.gs[1].cur.unwrap().lpc, LPc::AcquireWriterSem);
        assert!(!RwModel::enabled(&s, &s.gs[1].cur.unwrap()));
        // g3's RLock now blocks although only a reader holds the lock.
        m.apply(
            &mut s,
            &RAction::Start {
                g: 2,
                op: MapOp::Load(2),
            },
            &mut Log::default(),
        );
        assert_eq!(s.gs[2].cur.unwrap().lpc, LPc::AcquireReaderSem);
        assert!(reaches_reader_waits_for_pending_writer(&m, &s));
        // g1 finishes; its RUnlock wakes the writer.
        while s.gs[0].cur.is_some() {
            step(&m, &mut s, 0);
        }
        assert!(RwModel::enabled(&s, &s.gs[1].cur.unwrap()));
        assert!(!m.deadlocked(&s));
    }

    #[test]
    fn two_goroutines_never_throw_deadlock_or_break_linearizability() {
        use stateright::Checker;
        let p = RwParams {
            ops_per_goroutine: 1,
            ..RwParams::default()
        };
        let m = RwModel::new(p, None);
        let c = m.checker().spawn_dfs().join();
        for name in ["linearizable", "no_throw", "no_deadlock"] {
            assert!(c.discovery(name).is_none(), "{name} violated");
        }
    }

    fn spec(params: &str) -> Spec {
        let src =
            format!("model = \"rwmutex\"\n[params]\n{params}\n[expect]\nno_throw = \"holds\"\n");
        Spec::parse(Path::new("t.toml"), &src).unwrap()
    }

    #[test]
    fn valid_parameters_build_a_model() {
        let m = from_spec(&spec("goroutines = 3\nops = [\"access\"]")).unwrap();
        assert_eq!((m.params.goroutines, m.params.ops), (3, 4));
    }

    #[test]
    fn invalid_parameters_name_the_line_and_field() {
        let e = from_spec(&spec("ops = [\"iterate\"]")).unwrap_err();
        assert_eq!((e.field.as_deref(), e.line), (Some("params.ops"), Some(3)));
        let e = from_spec(&spec("load_factor = \"3\"")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("params.load_factor"));
    }
}
