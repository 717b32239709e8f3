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

pub mod properties;
pub mod render;
pub mod state;
pub mod steps;
pub mod symmetry;

use crate::framework::check::Checkable;
use crate::framework::concurrent::{self, MapOp, SeqMap};
use crate::framework::concurrent_model::ConcurrentModel;
use crate::framework::history::History;
use crate::framework::info::ParamDef;
use crate::framework::log::Log;
use crate::framework::params;
use crate::framework::spec::{Spec, SpecError};
use crate::hmap::state::HashFn;
use crate::unsync::{self, Steps};
use properties::PROPERTIES;
use render::op_text;
pub use state::{
    LPc, RAction, RCur, RwGhost, RwMutex, RwParams, RwState, FATAL_RUNLOCK, FATAL_UNLOCK, RG,
    RWMUTEX_MAX_READERS,
};
use stateright::{Model, Property};

#[derive(Clone, Debug)]
pub struct RwModel {
    pub params: RwParams,
    pub steps: Steps,
    /// One hash function per assignment of hashes to keys (the unsync model's, interned).
    pub hash_fns: Vec<HashFn>,
    pub selected: Vec<usize>,
    pub exhaustive: bool,
}

impl RwModel {
    pub fn new(params: RwParams, names: Option<&[String]>) -> Self {
        // The unsync model enumerates the hash assignments the same way.
        let u: unsync::UnsyncModel = unsync::UnsyncModel::new(map_params(&params), Some(&[][..]));
        RwModel {
            steps: Steps::new(params.geo),
            hash_fns: u.hash_fns,
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
}

impl Model for RwModel {
    type State = RwState;
    type Action = RAction;

    fn init_states(&self) -> Vec<RwState> {
        self.hash_fns
            .iter()
            .enumerate()
            .map(|(h0, hashes)| RwState {
                m: self
                    .steps
                    .machine
                    .makemap(self.params.hint, h0 as u32, hashes.clone()),
                rw: RwMutex::default(),
                gs: vec![RG { done: 0, cur: None }; self.params.goroutines as usize],
                history: History::new(
                    self.params.history,
                    self.params.goroutines as usize,
                    &SeqMap::default(),
                ),
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
        Some(self.next(s, &a))
    }

    fn format_action(&self, a: &RAction) -> String {
        match a {
            RAction::Start { g, op } => concurrent::action_text(*g, op_text(op), None),
            RAction::Step { g, op, lpc } => concurrent::action_text(*g, op_text(op), Some(lpc)),
        }
    }

    fn format_step(&self, last: &RwState, a: RAction) -> Option<String> {
        Some(self.step_text(last, &a))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        self.checked_properties()
    }
}

/// The same map as the unsync model's parameters: rwmutex takes its map parameters, their
/// parsing and checks, and its hash assignments from there.
fn map_params(p: &RwParams) -> unsync::UnsyncParams {
    unsync::UnsyncParams {
        geo: p.geo,
        goroutines: p.goroutines,
        ops_per_goroutine: p.ops_per_goroutine,
        keys: p.keys,
        values: p.values,
        hash_bits: p.hash_bits,
        hint: p.hint,
        ..unsync::UnsyncParams::default()
    }
}

impl ConcurrentModel for RwModel {
    const MODEL: &'static str = "rwmutex";
    const DESCRIPTION: &'static str = "the plain Go 1.19 map behind a sync.RWMutex (readerCount/readerWait, writer preference), map operations at the unsync model's steps, linearizability (sync/rwmutex.go)";
    const PARAMS: &'static [ParamDef] = PARAMS;
    const PROPERTIES: &'static [concurrent::PropDef<Self>] = PROPERTIES;
    type Params = RwParams;

    /// The map's parameters are the unsync model's, parsed and checked there; `ops` names
    /// the operations this model has.
    fn parse_params(spec: &Spec) -> Result<RwParams, SpecError> {
        let mut u = map_params(&RwParams::default());
        let mut ops = RwParams::default().ops;
        let mut history = RwParams::default().history;
        for (name, v) in &spec.params {
            match name.as_str() {
                "ops" => ops = params::names_param(spec, name, v, &["assign", "delete", "access"])?,
                "history" => history = params::history_param(spec, name, v)?,
                _ if PARAMS.iter().any(|d| d.name == name) => {
                    unsync::params::param(spec, name, v, &mut u)?;
                }
                _ => return Err(params::unknown_param(spec, "rwmutex", name, v, PARAMS)),
            }
        }
        unsync::params::check(spec, &mut u)?;
        Ok(RwParams {
            geo: u.geo,
            goroutines: u.goroutines,
            ops_per_goroutine: u.ops_per_goroutine,
            keys: u.keys,
            values: u.values,
            hash_bits: u.hash_bits,
            hint: u.hint,
            ops,
            history,
        })
    }
    fn with_params(p: RwParams, names: Option<&[String]>) -> Self {
        RwModel::new(p, names)
    }
    fn selection(&self) -> (&[usize], bool) {
        (&self.selected, self.exhaustive)
    }
    fn selection_mut(&mut self) -> (&mut Vec<usize>, &mut bool) {
        (&mut self.selected, &mut self.exhaustive)
    }
    fn perform(&self, s: &mut RwState, a: &RAction, log: &mut Log) -> String {
        self.apply(s, a, log)
    }
    fn render(&self, s: &RwState) -> String {
        render::state_text(s, self.params.geo.bucket_cnt)
    }
    fn symmetry() -> Option<fn(&RwState) -> RwState> {
        Some(symmetry::representative)
    }
}

// ---- the model's entry: parameters --------------------------------------------------------

pub const PARAMS: &[ParamDef] = &[
    params::GOROUTINES,
    params::OPS_PER_GOROUTINE,
    unsync::params::KEYS,
    unsync::params::VALUES,
    unsync::params::HASH_BITS,
    unsync::params::BUCKET_CNT,
    unsync::params::LOAD_FACTOR,
    unsync::params::HINT,
    ParamDef {
        name: "ops",
        default: "[\"assign\", \"delete\", \"access\"]",
        description: "assign and delete take Lock, access takes RLock",
    },
    params::HISTORY,
];

#[cfg(test)]
mod tests;
