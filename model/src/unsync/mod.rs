//! The `unsync` model: two or three goroutines using one plain Go 1.19 map with no
//! synchronisation, every operation split at the points where another goroutine can run.
//!
//! What it models: runtime/map_fast64.go's mapassign_fast64, mapdelete_fast64 and
//! mapaccess2_fast64, and runtime/map.go's mapiterinit/mapiternext, on the hmap model's own
//! state ([`HmapState`]: the header, bucket arrays, tophash states, growth) and with the hmap
//! model's algorithms for the parts that stay whole (hashGrow, evacuate, newoverflow,
//! mapiternext). The steps of a write are Go's:
//!
//! ```text
//! mapassign: check hashWriting (throw "concurrent map writes") | load h.flags | store
//!            h.flags ^ hashWriting | [h.buckets == nil: newobject] | again: growWork's
//!            evacuate(bucket & oldmask) | evacuate(nevacuate) | bucket walk (+ the decision
//!            to grow: hashGrow, goto again) | slot write (tophash, key; newoverflow) |
//!            load h.count | store count+1 | check hashWriting again (throw) and load h.flags |
//!            store h.flags &^ hashWriting | the caller's store of the elem
//! mapdelete: check count == 0, hashWriting | load/store flags | growWork | bucket walk with
//!            the slot writes (emptyOne, emptyRest) | load/store count-1 | check | clear flag
//! mapaccess2: check count == 0, hashWriting ("concurrent map read and map write") | pick
//!            the bucket (old one while unevacuated) | scan the chain
//! range:     mapiterinit + first mapiternext | each mapiternext, checking hashWriting
//!            ("concurrent map iteration and map write")
//! ```
//!
//! `h.flags ^= hashWriting` and `count++` are plain read-modify-writes of a byte and an int:
//! two steps each, so two writers' XORs can cancel and an increment can be lost. The elem is
//! stored after mapassign returns, so after the flag is cleared: a reader can find the key
//! with its elem not yet written.
//!
//! What it abstracts: a goroutine's steps are atomic with respect to each other (a step is a
//! few loads and stores Go does back to back; the Go memory model gives racy programs no
//! such guarantee, so real racy programs can do even worse). Go's throws are terminal: the
//! whole program dies. Hashes come from the hmap model's hash assignments (one initial state
//! per assignment). Each goroutine performs up to `ops_per_goroutine` operations, choosing
//! each one (and its key and elem) nondeterministically; goroutines with the same choices
//! are interchangeable (symmetry reduction sorts them), and so are keys when every goroutine
//! may choose every key with every assignment of hashes (symmetry reduction renames them
//! into hash order; see `symmetry`).
//!
//! Preemption bounding (`max_preemptions = k`, off by default): the search keeps only the
//! executions in which at most k times a goroutine steps while the goroutine that stepped
//! last is inside an operation ([`Sched`]); moving on between operations is free. It is the
//! context bounding of systematic concurrency testing: every execution within the bound is
//! explored. A violation or an example found within the bound is one of the unbounded model
//! too; a "holds" of an `always` property (or a `sometimes` not reached) is only known
//! within the bound. Without the parameter the state carries no scheduling information and
//! every interleaving is explored.
//!
//! Dead registers (`clear_dead_registers = true`, off by default): after each step, the
//! goroutine's registers that no later step of its operation reads are reset to their
//! initial values ([`steps::live`], one entry per step, written from the steps' reads), so
//! states that differ only in values no step will read are one state. The cleared states
//! have the futures of the states they stand for: the same verdicts and counterexample
//! steps, over fewer states (`tests.rs` checks that the reduced search reaches exactly the
//! cleared states of the full one on configurations that reach every step).
//!
//! Terminal states (`merge_terminal_states = true`, off by default, needs the search's
//! symmetry): a state in which a goroutine threw (the program died) or every goroutine
//! finished has no successors, and all a check reads of it is the value of each property
//! there. The step that reaches one stores those values in the ghost (`UGhost::terminal`),
//! and the symmetry representative of every terminal state with the same values is one
//! state ([`symmetry::representative`]). The checker still evaluates the properties on the
//! state it reached and continues paths from it, so every verdict and counterexample is one
//! the search without the parameter finds; it counts the non-terminal classes plus one state
//! per set of property values met at a terminal state (`tests.rs` checks both).
//!
//! Invariants (properties): a racy execution either throws or is silently wrong in ways the
//! properties name: `racy_execution_detected` (every finished racy execution threw),
//! `no_lost_insert`, `no_duplicate_key`, `count_matches_live_entries` (at quiescent states),
//! `no_torn_read`. The checker decides which of these hold.
//!
//! Follows Go 1.19.8: runtime/map_fast64.go (mapaccess2_fast64, mapassign_fast64,
//! mapdelete_fast64, growWork_fast64, evacuate_fast64), runtime/map.go (hashGrow,
//! mapiterinit, mapiternext).

use crate::framework::check::{Checkable, RunOptions, SpecResult};
use crate::framework::concurrent::{self, PropDef};
use crate::framework::concurrent_model::ConcurrentModel;
use crate::framework::cost::ModelCost;
use crate::framework::info::{cost_checked, run_checked, ParamDef, SpecModel};
use crate::framework::log::Log;
use crate::framework::spec::{Spec, SpecError};
use crate::hmap::{hash_domain, state::*};
use stateright::{Model, Property};
use std::collections::BTreeMap;

pub mod outcomes;
pub mod params;
pub mod properties;
pub mod refinement;
pub mod render;
pub mod state;
pub mod steps;
pub mod symmetry;
#[cfg(test)]
mod tests;

pub use params::{parse_uop, PARAMS};
pub use properties::PROPERTIES;
pub use render::map_text;
use render::state_text;
pub use state::*;
pub use steps::*;
pub use symmetry::{canonicalize, representative};

/// The stateright model, whose bmaps have `N` slots (specs run with the fewest that hold
/// `bucket_cnt`, as the hmap model's do: [`crate::hmap::state::slots_for`]).
#[derive(Clone, Debug)]
pub struct UnsyncModel<const N: usize = MAX_BUCKET_CNT> {
    pub params: UnsyncParams,
    pub steps: Steps,
    pub assignments: Vec<BTreeMap<u64, u64>>,
    /// The same assignments as hash functions (a reseed picks one).
    pub hash_fns: Vec<HashFn>,
    pub selected: Vec<usize>,
    pub exhaustive: bool,
    /// Keep every operation's result in the state (`gomap observe` compares them with real
    /// Go's); off for the specs, whose state counts it would change.
    pub record_results: bool,
    /// The search reduces by symmetry: the states carry the key symmetry's context when the
    /// keys are interchangeable (see [`UnsyncModel::keys_interchangeable`]).
    pub symmetry: bool,
}

impl<const N: usize> UnsyncModel<N> {
    pub fn new(params: UnsyncParams, names: Option<&[String]>) -> Self {
        let domain = hash_domain(params.hash_bits, 1);
        let mut assignments: Vec<BTreeMap<u64, u64>> = Vec::new();
        let keys = params.keys as usize;
        if let Some(pat) = &params.hash_pattern {
            assignments.push(
                pat.iter()
                    .enumerate()
                    .map(|(k, &low)| (k as u64 + 1, domain[low as usize % domain.len()]))
                    .collect(),
            );
        }
        // Every injective assignment of hashes to keys.
        let mut idx = vec![0usize; keys];
        while params.hash_pattern.is_none() {
            let mut seen = std::collections::BTreeSet::new();
            if idx.iter().all(|&i| seen.insert(i)) {
                assignments.push(
                    idx.iter()
                        .enumerate()
                        .map(|(k, &i)| (k as u64 + 1, domain[i]))
                        .collect(),
                );
            }
            let mut p = 0;
            while p < keys {
                idx[p] += 1;
                if idx[p] < domain.len() {
                    break;
                }
                idx[p] = 0;
                p += 1;
            }
            if p == keys {
                break;
            }
        }
        UnsyncModel {
            steps: Steps {
                injected_defect: params.injected_defect,
                ..Steps::new(params.geo)
            },
            params,
            hash_fns: assignments
                .iter()
                .map(|a| HashFn::interned(a.clone()))
                .collect(),
            assignments,
            selected: concurrent::select(properties::Props::<N>::ALL, names),
            exhaustive: true,
            record_results: false,
            symmetry: false,
        }
    }

    /// The same model with bmaps of `M` slots, which must hold `bucket_cnt` (see
    /// [`crate::hmap::state::slots_for`]).
    pub fn with_slots<const M: usize>(self) -> UnsyncModel<M> {
        assert!(
            M >= self.params.geo.bucket_cnt,
            "bmaps of {M} slots cannot hold bucket_cnt = {}",
            self.params.geo.bucket_cnt
        );
        UnsyncModel {
            params: self.params,
            steps: self.steps,
            assignments: self.assignments,
            hash_fns: self.hash_fns,
            selected: self.selected,
            exhaustive: self.exhaustive,
            record_results: self.record_results,
            symmetry: self.symmetry,
        }
    }

    /// Whether renaming keys maps executions to executions with the same verdicts: every
    /// goroutine chooses among the same operations on every key, every injective assignment
    /// of hashes to keys is an initial state (and a reseed's choice), no property names a
    /// particular key, and the state keeps no results (which hold keys). Fixed programs, a
    /// hash pattern and initial keys single keys out.
    pub fn keys_interchangeable(&self) -> bool {
        let p = &self.params;
        p.programs.is_none() && p.hash_pattern.is_none() && p.initial == 0 && !self.record_results
    }

    /// makemap(hint) and the initial keys, assigned in order by one goroutine (the hmap
    /// model's mapassign).
    fn initial_map(&self, h0: usize) -> HmapState<N> {
        let mach = &self.steps.machine;
        let mut m = mach.makemap(self.params.hint, h0 as u32, self.hash_fns[h0].clone());
        for i in 0..self.params.initial {
            let k = (self.params.keys + 1 + i) as u64;
            mach.mapassign(&mut m, k, i as u64 + 1, &mut Log::default())
                .expect("one goroutine's mapassign");
        }
        crate::hmap::steps::Machine::collect_arrays(&mut m);
        m.ghost = Default::default();
        m
    }

    /// The operations goroutine `g` chooses from.
    pub fn choices_for(&self, g: usize) -> Vec<UOp> {
        if let Some(p) = &self.params.programs {
            return match p.get(g) {
                Some(ops) => ops.clone(),
                None => Vec::new(),
            };
        }
        let p = &self.params;
        let reader = g >= p.goroutines as usize;
        let mut v = Vec::new();
        for key in 1..=p.keys {
            if p.ops.assign && !reader {
                for elem in 1..=p.values {
                    v.push(UOp::Assign { key, elem });
                }
            }
            if p.ops.delete && !reader {
                v.push(UOp::Delete { key });
            }
            if p.ops.access || reader {
                v.push(UOp::Access { key });
            }
        }
        if p.ops.iterate {
            v.push(UOp::Range);
        }
        v
    }

    pub fn all_done(&self, s: &UnsyncState<N>) -> bool {
        s.ghost.thrown.is_none()
            && s.gs
                .iter()
                .enumerate()
                .all(|(i, g)| g.cur.is_none() && g.done == self.ops_of(i))
    }

    /// How many operations goroutine `g` performs.
    pub fn ops_of(&self, g: usize) -> u8 {
        match &self.params.programs {
            Some(p) => p.get(g).map_or(0, |ops| ops.len() as u8),
            None => self.params.ops_per_goroutine,
        }
    }

    /// Applies an action, logging Go's inner steps; returns (log, outcome text).
    pub fn apply(&self, s: &mut UnsyncState<N>, a: &UAction, log: &mut Log) -> String {
        s.ghost.torn_read = false;
        s.ghost.growth_while_racing = false;
        let (gi, mut gm) = match *a {
            UAction::Start { g, op } => {
                let bit = 1u8 << (op.key().max(1) - 1);
                match op {
                    UOp::Assign { .. } => s.ghost.assigned |= bit,
                    UOp::Delete { .. } => s.ghost.deleted |= bit,
                    _ => {}
                }
                (g, GMap::new(op))
            }
            UAction::Step { g, .. } => (g, s.gs[g as usize].cur.expect("in an operation")),
        };
        if self.params.max_preemptions.is_some() {
            if let Some(l) = s.sched.last {
                if l != gi && s.gs[l as usize].cur.is_some() {
                    s.sched.preemptions += 1;
                }
            }
            s.sched.last = Some(gi);
        }
        let others_busy =
            s.gs.iter()
                .enumerate()
                .any(|(j, o)| j != gi as usize && o.cur.is_some());
        let grows = matches!(
            gm.pc,
            Pc::GrowStoreBuckets | Pc::EvacCell | Pc::EvacDstTophash | Pc::EvacMark
        );
        let choice = match *a {
            UAction::Step { choice, .. } => choice as usize,
            UAction::Start { .. } => 0,
        };
        let r = self
            .steps
            .step(&mut s.m, &mut gm, gi, choice, &self.hash_fns, log);
        if grows && others_busy {
            s.ghost.growth_while_racing = true;
        }
        if let Some(u) = gm.unlinked.take() {
            // newoverflow unlinked bmaps: other goroutines' pointers into them follow.
            for (j, o) in s.gs.iter_mut().enumerate() {
                if j != gi as usize {
                    if let Some(c) = &mut o.cur {
                        c.at.iter_mut().for_each(|p| u.remap(p));
                        c.slot.iter_mut().for_each(|p| u.remap(p));
                    }
                }
            }
        }
        if self.params.clear_dead_registers {
            gm.clear_dead_registers();
        }
        let g = &mut s.gs[gi as usize];
        let out = match r {
            Stepped::Continue => {
                g.cur = Some(gm);
                String::new()
            }
            Stepped::Yield(k, e) => {
                g.cur = Some(gm);
                if self.record_results {
                    s.ghost.yields[gi as usize].push((k, e));
                }
                format!("range yields (k{k}, v{e})")
            }
            Stepped::Done(res) => {
                g.cur = None;
                g.done += 1;
                if self.record_results {
                    let r = match (gm.op, res) {
                        (UOp::Access { .. }, Some((e, ok))) => ORes::Access(e, ok),
                        (UOp::Range, _) => {
                            ORes::Range(std::mem::take(&mut s.ghost.yields[gi as usize]))
                        }
                        _ => ORes::Unit,
                    };
                    s.ghost.results[gi as usize].push(r);
                }
                match res {
                    Some((e, ok)) => {
                        if ok && e == 0 {
                            s.ghost.torn_read = true;
                        }
                        if ok {
                            format!("returns (v{e}, true)")
                        } else {
                            "returns (0, false)".into()
                        }
                    }
                    None => "returns".into(),
                }
            }
            Stepped::Throw(msg) => {
                g.cur = Some(gm);
                s.ghost.thrown = Some((gi, msg));
                format!("fatal error: {msg}")
            }
        };
        // A data race: two operations in progress at once, one of them a write.
        let mut busy = s.gs.iter().filter_map(|g| g.cur.map(|c| c.op));
        if busy.clone().count() >= 2 && busy.any(|o| o.writes()) {
            s.ghost.raced = true;
        }
        let mut refs: smallvec::SmallVec<[&mut GMap; 4]> =
            s.gs.iter_mut().filter_map(|g| g.cur.as_mut()).collect();
        canonicalize(&mut s.m, &mut refs);
        drop(refs);
        // The digests of the arrays this step wrote, computed once: the fingerprints of this
        // state's representative and of its successors that keep the arrays reuse them.
        s.m.arrays.seal();
        if self.params.merge_terminal_states && !self.record_results && self.is_terminal(s) {
            s.ghost.terminal = Some(self.property_bits(s));
        }
        out
    }

    /// No goroutine can step: one threw (the program died), or every one finished its
    /// operations ([`Model::actions`] gives nothing exactly then).
    pub fn is_terminal(&self, s: &UnsyncState<N>) -> bool {
        s.ghost.thrown.is_some() || self.all_done(s)
    }

    /// Bit i: property i of [`properties::Props::ALL`] holds on `s`.
    pub fn property_bits(&self, s: &UnsyncState<N>) -> u16 {
        const {
            assert!(
                properties::Props::<N>::ALL.len() <= 16,
                "one bit per property"
            )
        };
        properties::Props::<N>::ALL
            .iter()
            .enumerate()
            .filter(|(_, p)| (p.check)(self, s))
            .fold(0, |bits, (i, _)| bits | 1 << i)
    }

    /// `next_state`'s successor, into `out`: the state there, if any (a successor computed
    /// before, or any state), is made equal to `s` in place and then stepped, so that its
    /// allocations are reused; otherwise a clone of `s` is.
    pub fn next_state_in(&self, s: &UnsyncState<N>, a: UAction, out: &mut Option<UnsyncState<N>>) {
        let next = match out {
            Some(next) => {
                next.copy_from(s);
                next
            }
            None => out.insert(s.clone()),
        };
        self.perform(next, &a, &mut Log::default());
    }
}

impl<const N: usize> Model for UnsyncModel<N> {
    type State = UnsyncState<N>;
    type Action = UAction;

    fn init_states(&self) -> Vec<UnsyncState<N>> {
        let n = (self.params.goroutines + self.params.readers) as usize;
        let sym = if self.symmetry && self.keys_interchangeable() {
            crate::hmap::symmetry::key_symmetry_ctx(&self.assignments, &self.hash_fns)
        } else {
            SymCtx::default()
        };
        self.assignments
            .iter()
            .enumerate()
            .map(|(h0, _)| UnsyncState {
                m: HmapState {
                    sym,
                    ..self.initial_map(h0)
                },
                gs: (0..n)
                    .map(|i| G {
                        reader: i >= self.params.goroutines as usize,
                        done: 0,
                        cur: None,
                    })
                    .collect(),
                ghost: UGhost {
                    results: if self.record_results {
                        vec![Vec::new(); n]
                    } else {
                        Vec::new()
                    },
                    yields: if self.record_results {
                        vec![Vec::new(); n]
                    } else {
                        Vec::new()
                    },
                    ..UGhost::default()
                },
                sched: Sched::default(),
            })
            .collect()
    }

    fn actions(&self, s: &UnsyncState<N>, actions: &mut Vec<UAction>) {
        if s.ghost.thrown.is_some() {
            return;
        }
        // With a preemption bound used up, the goroutine inside an operation that stepped
        // last is the only one that may step.
        let only = match (self.params.max_preemptions, s.sched.last) {
            (Some(max), Some(l))
                if s.sched.preemptions >= max && s.gs[l as usize].cur.is_some() =>
            {
                Some(l as usize)
            }
            _ => None,
        };
        for (i, g) in s.gs.iter().enumerate() {
            if only.is_some_and(|l| l != i) {
                continue;
            }
            match g.cur {
                Some(c) => {
                    let n = self.steps.choices(&s.m, &c, self.hash_fns.len());
                    for choice in 0..n {
                        actions.push(UAction::Step {
                            g: i as u8,
                            op: c.op,
                            pc: c.pc,
                            choice: choice as u16,
                        });
                    }
                }
                None if g.done < self.ops_of(i) => match &self.params.programs {
                    Some(p) => actions.push(UAction::Start {
                        g: i as u8,
                        op: p[i][g.done as usize],
                    }),
                    None => {
                        for op in self.choices_for(i) {
                            actions.push(UAction::Start { g: i as u8, op });
                        }
                    }
                },
                None => {}
            }
        }
    }

    fn next_state(&self, s: &UnsyncState<N>, a: UAction) -> Option<UnsyncState<N>> {
        Some(self.next(s, &a))
    }

    /// [`UnsyncModel::next_state_in`], for a checker that keeps `out` (stateright with
    /// upstream/stateright's patches 0011 and 0013).
    #[cfg(feature = "stateright-patched")]
    fn next_state_into(
        &self,
        s: &UnsyncState<N>,
        a: UAction,
        out: &mut Option<UnsyncState<N>>,
    ) -> bool {
        self.next_state_in(s, a, out);
        true
    }

    /// [`symmetry::representative_fingerprint`], for a depth-first search with symmetry
    /// (stateright with upstream/stateright's patch 0016): the same fingerprint as the
    /// representative's, without a representative to drop per successor. The representative
    /// the checker is given is always this model's ([`ConcurrentModel::symmetry`], through
    /// `Checkable::symmetry_fn`), so the argument is not called.
    #[cfg(feature = "stateright-patched")]
    fn representative_fingerprint(
        &self,
        s: &UnsyncState<N>,
        _representative: fn(&UnsyncState<N>) -> UnsyncState<N>,
    ) -> stateright::Fingerprint {
        symmetry::representative_fingerprint(s)
    }

    fn format_action(&self, a: &UAction) -> String {
        match a {
            UAction::Start { g, op } => concurrent::action_text(*g, op, None),
            UAction::Step {
                g, op, pc, choice, ..
            } => match pc {
                Pc::Reseed => format!(
                    "{} (hash function {choice})",
                    concurrent::action_text(*g, op, Some(pc))
                ),
                Pc::IterInit => format!(
                    "{} (fastrand pick {choice})",
                    concurrent::action_text(*g, op, Some(pc))
                ),
                _ => concurrent::action_text(*g, op, Some(pc)),
            },
        }
    }

    fn format_step(&self, last: &UnsyncState<N>, a: UAction) -> Option<String> {
        Some(self.step_text(last, &a))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        self.checked_properties()
    }
}

impl<const N: usize> ConcurrentModel for UnsyncModel<N> {
    const MODEL: &'static str = "unsync";
    const DESCRIPTION: &'static str = "2-3 goroutines on one plain Go 1.19 map without synchronisation: mapassign/mapdelete/mapaccess2/range split at Go's interleaving points, hashWriting detection, throws (runtime/map.go, map_fast64.go)";
    const PARAMS: &'static [ParamDef] = PARAMS;
    const PROPERTIES: &'static [PropDef<Self>] = properties::Props::<N>::ALL;
    type Params = UnsyncParams;

    fn parse_params(spec: &Spec) -> Result<UnsyncParams, SpecError> {
        params::parse_params(spec)
    }
    fn with_params(p: UnsyncParams, names: Option<&[String]>) -> Self {
        UnsyncModel::new(p, names)
    }
    fn selection(&self) -> (&[usize], bool) {
        (&self.selected, self.exhaustive)
    }
    fn selection_mut(&mut self) -> (&mut Vec<usize>, &mut bool) {
        (&mut self.selected, &mut self.exhaustive)
    }
    fn perform(&self, s: &mut UnsyncState<N>, a: &UAction, log: &mut Log) -> String {
        self.apply(s, a, log)
    }
    fn render(&self, s: &UnsyncState<N>) -> String {
        state_text(s, self.params.geo.bucket_cnt)
    }
    fn symmetry() -> Option<fn(&UnsyncState<N>) -> UnsyncState<N>> {
        Some(representative)
    }
    fn set_symmetry(&mut self, on: bool) {
        self.symmetry = on;
    }
    /// With the fewest slots per bmap that hold the spec's `bucket_cnt`, as the hmap model.
    fn run_spec(spec: &Spec, opts: &RunOptions) -> Result<SpecResult, SpecError> {
        let model = <Self as SpecModel>::from_spec(spec)?;
        let bucket_cnt = model.params.geo.bucket_cnt;
        crate::hmap::state::with_bmap_slots!(bucket_cnt, model, |m| run_checked(spec, m, opts))
    }
    fn cost_spec(spec: &Spec, n: usize) -> Result<ModelCost, SpecError> {
        let model = <Self as SpecModel>::from_spec(spec)?;
        let bucket_cnt = model.params.geo.bucket_cnt;
        crate::hmap::state::with_bmap_slots!(bucket_cnt, model, |m| cost_checked(spec, m, n))
    }
}

/// Builds the model a spec describes, checking every parameter and property name.
pub fn from_spec(spec: &Spec) -> Result<UnsyncModel, SpecError> {
    <UnsyncModel as SpecModel>::from_spec(spec)
}
