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
//! dirtyLocked                        DirtyLockedInit, then per entry of read.m in any order:
//!                                    ExpungeNext (pick, load), ExpungeCas (retry: ExpungeLoad)
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

pub mod properties;
pub mod render;
pub mod state;
pub mod steps;
pub mod symmetry;

use crate::framework::check::{Checkable, RunOptions, SpecResult};
use crate::framework::concurrent::{self, MapOp, SeqMap};
use crate::framework::concurrent_model::ConcurrentModel;
use crate::framework::cost::ModelCost;
use crate::framework::history::History;
use crate::framework::info::{ParamDef, SpecModel};
use crate::framework::log::Log;
use crate::framework::packed;
use crate::framework::params;
use crate::framework::spec::{Spec, SpecError};
use properties::PROPERTIES;
pub use state::{
    After, EntryId, EntryMap, ReadOnly, SAction, SCur, SOp, SPc, SmGhost, SmState, SyncMapParams,
    MAX_KEYS, OP_NAMES, P, SG,
};
use stateright::{Model, Property};

/// The stateright model.
#[derive(Clone, Debug)]
pub struct SyncMapModel {
    pub params: SyncMapParams,
    pub selected: Vec<usize>,
    pub exhaustive: bool,
    /// The map the goroutines start from (prefill), which histories are checked against;
    /// built once, as every return reads it.
    init: SeqMap,
}

impl SyncMapModel {
    pub fn new(params: SyncMapParams, names: Option<&[String]>) -> Self {
        let mut m = vec![0u8; params.keys as usize + 1];
        m.iter_mut()
            .skip(1)
            .take(params.prefill as usize)
            .for_each(|v| *v = 1);
        SyncMapModel {
            params,
            selected: concurrent::select(PROPERTIES, names),
            exhaustive: true,
            init: SeqMap(m),
        }
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
            history: History::new(
                self.params.history,
                self.params.goroutines as usize,
                &self.init,
            ),
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
                    if c.pc == SPc::ExpungeNext {
                        for key in SyncMapModel::unvisited(s, &c) {
                            actions.push(SAction::Step {
                                g: i as u8,
                                op: c.op,
                                pc: c.pc,
                                key,
                            });
                        }
                        continue;
                    }
                    actions.push(SAction::Step {
                        g: i as u8,
                        op: c.op,
                        pc: c.pc,
                        key: 0,
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
        Some(self.next(s, &a))
    }

    fn format_action(&self, a: &SAction) -> String {
        match a {
            SAction::Start { g, op } => concurrent::action_text(*g, op, None),
            SAction::Step {
                g,
                op,
                pc: pc @ SPc::ExpungeNext,
                key,
            } => format!(
                "{} (k{})",
                concurrent::action_text(*g, op, Some(pc)),
                key + 1
            ),
            SAction::Step { g, op, pc, .. } => concurrent::action_text(*g, op, Some(pc)),
        }
    }

    fn format_step(&self, last: &SmState, a: SAction) -> Option<String> {
        Some(self.step_text(last, &a))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        self.checked_properties()
    }
}

impl ConcurrentModel for SyncMapModel {
    const MODEL: &'static str = "syncmap";
    const DESCRIPTION: &'static str = "Go 1.19 sync.Map under 2-3 goroutines, every atomic step separate (read load, entry.p loads and CASes, mu, dirty, missLocked, dirtyLocked/expunge), linearizability against a plain map (sync/map.go)";
    const PARAMS: &'static [ParamDef] = PARAMS;
    const PROPERTIES: &'static [concurrent::PropDef<Self>] = PROPERTIES;
    type Params = SyncMapParams;

    fn parse_params(spec: &Spec) -> Result<SyncMapParams, SpecError> {
        let mut p = SyncMapParams::default();
        for (name, v) in &spec.params {
            match name.as_str() {
                "goroutines" => p.goroutines = params::int_param(spec, name, v, 1, 3)? as u8,
                "ops_per_goroutine" => {
                    p.ops_per_goroutine = params::int_param(spec, name, v, 1, 3)? as u8
                }
                "keys" => p.keys = params::int_param(spec, name, v, 1, MAX_KEYS as i64)? as u8,
                "values" => p.values = params::int_param(spec, name, v, 1, 3)? as u8,
                "prefill" => {
                    p.prefill = params::int_param(spec, name, v, 0, MAX_KEYS as i64)? as u8
                }
                "ops" => p.ops = params::names_param(spec, name, v, OP_NAMES)?,
                "history" => p.history = params::history_param(spec, name, v)?,
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
        Ok(p)
    }
    fn with_params(p: SyncMapParams, names: Option<&[String]>) -> Self {
        SyncMapModel::new(p, names)
    }
    fn selection(&self) -> (&[usize], bool) {
        (&self.selected, self.exhaustive)
    }
    fn selection_mut(&mut self) -> (&mut Vec<usize>, &mut bool) {
        (&mut self.selected, &mut self.exhaustive)
    }
    fn perform(&self, s: &mut SmState, a: &SAction, log: &mut Log) -> String {
        self.apply(s, a, log)
    }
    fn render(&self, s: &SmState) -> String {
        render::state_text(s)
    }
    fn symmetry() -> Option<fn(&SmState) -> SmState> {
        Some(symmetry::representative)
    }
    /// Breadth-first searches hold the frontier's states as bytes (framework::packed).
    fn run_spec(spec: &Spec, opts: &RunOptions) -> Result<SpecResult, SpecError> {
        packed::run_packing_bfs(spec, <Self as SpecModel>::from_spec(spec)?, opts)
    }
    fn cost_spec(spec: &Spec, n: usize) -> Result<ModelCost, SpecError> {
        packed::cost_packing_bfs(spec, <Self as SpecModel>::from_spec(spec)?, n)
    }
}

/// The state as postcard writes it: every field, small numbers in one byte.
impl packed::PackCodec for SyncMapModel {
    fn write_state(&self, s: &SmState, out: &mut Vec<u8>) {
        packed::write_serde(s, out)
    }
    fn read_state(&self, bytes: &[u8]) -> SmState {
        packed::read_serde(bytes)
    }
    fn step_then<R>(
        &self,
        s: &SmState,
        a: SAction,
        slot: usize,
        then: impl FnOnce(&SmState) -> R,
    ) -> Option<R> {
        Some(packed::step_in_place(
            s,
            slot,
            SmState::copy_from,
            |n| {
                self.perform(n, &a, &mut Log::default());
            },
            then,
        ))
    }
}

// ---- the model's entry: parameters --------------------------------------------------------

pub const PARAMS: &[ParamDef] = &[
    params::GOROUTINES,
    params::OPS_PER_GOROUTINE,
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
    params::HISTORY,
];

#[cfg(test)]
mod tests;
