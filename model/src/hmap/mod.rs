//! The `hmap` model: one goroutine using one Go 1.19 map, at Go's own step granularity.
//!
//! What it models: runtime/map.go and runtime/map_fast64.go for `map[uint64]uint64`: the
//! `hmap` header, bucket arrays of bmaps chained through overflow buckets, the tophash states
//! (emptyRest, emptyOne, evacuatedX, evacuatedY, evacuatedEmpty), mapassign, mapdelete with
//! emptyRest propagation and the hash0 reseed at count 0, mapaccess2, incremental growth
//! (hashGrow, growWork, evacuate, advanceEvacuationMark) both doubling and same-size, and
//! iterators (mapiterinit, mapiternext with checkBucket and the re-lookup of evacuated
//! entries), and mapclear as each release from Go 1.19 to 1.25 (noswissmap) does it. Bucket
//! memory has Go's identity where it is observable: an iterator keeps the array it started
//! on, an overflow bucket is either one of the array's preallocated ones (B >= 4), which
//! mapclear zeroes with the array and newoverflow hands out again, or a separately allocated
//! one that outlives the clear. Each Go operation is one action; [`steps`] performs it exactly
//! as Go does.
//!
//! What it abstracts: the key's hash is chosen nondeterministically from a small domain
//! (`hash_bits` low bits and `tophash_values` top bytes), every injective assignment of
//! hashes to keys being one initial state, so every collision pattern is explored: same
//! bucket, different buckets, equal tophash with unequal keys, X versus Y halves. A reseed
//! (delete to count 0) explores every new assignment again. Bucket size and load factor are
//! parameters. Memory addresses are array identities in an arena.
//!
//! What the checker leaves out: of the actions whose steps are read-only and do the same at
//! a state (lookups, deletes of absent keys, assigns of the elem a key has), it lists only the
//! first, whose successor the others share ([`HmapModel::merge_read_only`]). The explorer and
//! simulations list every action.
//!
//! Invariants (the properties, by name): see [`properties`].

pub mod convert;
pub mod intern;
pub mod packed;
pub mod properties;
pub mod render;
pub mod state;
pub mod steps;
pub mod symmetry;

use crate::framework::check::{Checkable, Representative, RunOptions, SpecResult};
use crate::framework::cost::ModelCost;
use crate::framework::hashfns::*;
use crate::framework::info::{Kind, ModelInfo, ParamDef, PropertyInfo, SpecModel};
use crate::framework::log::Log;
use crate::framework::packed::{cost_packing_bfs, run_packing_bfs};
use crate::framework::params::{bool_param, int_param};
use crate::framework::spec::{ParamValue, Spec, SpecError, Strategy, Verdict};
pub use state::*;
use stateright::{Model, Property};
use std::collections::BTreeMap;
use steps::ReadOnlyStep;
use steps::{Geometry, GoRelease, Machine, Track};

/// Which operations the model's goroutine performs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct OpSet {
    pub assign: bool,
    pub delete: bool,
    pub access: bool,
    pub iterate: bool,
    /// `clear(m)` (mapclear); not in the default set.
    pub clear: bool,
}

/// Parameters of the `hmap` model.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct HmapParams {
    pub geo: Geometry,
    /// Keys are 1..=keys.
    pub keys: u64,
    /// Elems are 1..=values.
    pub values: u64,
    /// Hashes vary in their low `hash_bits` bits...
    pub hash_bits: u32,
    /// ...and take `tophash_values` distinct top bytes.
    pub tophash_values: u32,
    /// Go operations per run.
    pub max_ops: u8,
    /// Iterators open at once.
    pub max_iters: u8,
    /// makemap's size hint.
    pub hint: usize,
    /// Explore every new hash function when a delete reseeds hash0.
    pub reseed: bool,
    /// 0: every injective assignment of hashes to keys; n > 0: n pseudo-random ones.
    pub hash_functions: u32,
    pub ops: OpSet,
    /// The Go release whose mapclear and mapiternext run.
    pub go_version: GoRelease,
}

impl Default for HmapParams {
    fn default() -> Self {
        HmapParams {
            geo: Geometry {
                bucket_cnt: 2,
                load_factor_num: 3,
                load_factor_den: 2,
            },
            keys: 2,
            values: 1,
            hash_bits: 2,
            tophash_values: 1,
            max_ops: 6,
            max_iters: 1,
            hint: 0,
            reseed: true,
            hash_functions: 0,
            ops: OpSet {
                assign: true,
                delete: true,
                access: true,
                iterate: true,
                clear: false,
            },
            go_version: GoRelease::default(),
        }
    }
}

/// The stateright model, whose bmaps have `N` slots (see [`state::slots_for`]: specs run
/// with the fewest slots that hold `bucket_cnt`; the default is Go's eight).
#[derive(Clone, Debug)]
pub struct HmapModel<const N: usize = MAX_BUCKET_CNT> {
    pub params: HmapParams,
    pub machine: Machine,
    /// Every injective assignment of hashes to keys 1..=keys; hash0 indexes it.
    pub assignments: Vec<BTreeMap<u64, u64>>,
    /// The same, shared: states point to them instead of copying them.
    pub hash_fns: Vec<HashFn>,
    /// Indices into [`properties::PROPERTIES`] of the properties this instance checks.
    pub selected: Vec<usize>,
    /// Add an always-true property so the search never stops early and state counts are
    /// exact.
    pub exhaustive: bool,
    /// List one action of those whose steps are read-only and do the same, the first in the
    /// fixed order ([`ReadOnlyStep`]). The read-only steps are `mapaccess2`, `mapdelete` at
    /// count 0 or of an absent key, and `mapassign` of the elem a key already has; during a
    /// growth the last two only where growWork's own old bucket is evacuated already, so that
    /// growWork evacuates h.nevacuate whichever key asked. Such a step leaves the state as it
    /// was but for `ops`, its ghost bits and that evacuation (`step_fn` resets the bits, and
    /// what else it sets depends on the state alone), so the actions left out have the
    /// successor of the one kept. The state graph loses only edges that duplicate an earlier
    /// sibling's: a search meets the same new states in the same order from the same parents
    /// (the same unique states, verdicts and counterexamples) and computes fewer successors.
    /// On for the checker; off for simulations and for the explorer
    /// ([`Checkable::explorer_model`]), which list every action.
    /// `read_only_actions_merge_only_equal_successors` (tests) checks it.
    pub merge_read_only: bool,
    /// Key symmetry: initial states carry what [`symmetry::representative`] needs, or, with
    /// `reseed = false`, are only the hash-ordered assignments (see
    /// [`HmapModel::symmetry_at_init`]).
    pub key_symmetry: bool,
    /// The bucket arrays this model's packed states name (hmap::packed), shared by its
    /// clones.
    pub arrays_table: std::sync::Arc<intern::ArrayTable<N>>,
}

/// The hash domain: top byte (from MIN_TOP_HASH up) and low bits.
pub fn hash_domain(hash_bits: u32, tophash_values: u32) -> Vec<u64> {
    let mut v = Vec::new();
    for t in 0..tophash_values as u64 {
        for low in 0..(1u64 << hash_bits) {
            v.push(((MIN_TOP_HASH as u64 + t) << 56) | low);
        }
    }
    v
}

impl<const N: usize> HmapModel<N> {
    /// Whether `s` has done the most operations a state may (`max_ops`): it has no actions.
    pub fn done(&self, s: &HmapState<N>) -> bool {
        s.ops >= self.params.max_ops
    }
    /// Builds the model checking the named properties (all when `names` is None). Parameters
    /// must have been validated (see `crate::registry`).
    pub fn new(params: HmapParams, names: Option<&[String]>) -> Self {
        let selected = crate::framework::concurrent::select(properties::PROPERTIES, names);
        let mut track = Track {
            abs: true,
            ..Track::default()
        };
        for &i in &selected {
            let need = properties::PROPERTIES[i].needs;
            track.iters |= need.iters;
            track.grow_works |= need.grow_works;
            track.claims |= need.claims;
        }
        let domain = hash_domain(params.hash_bits, params.tophash_values);
        let assignments = if params.hash_functions == 0 {
            injective_assignments(params.keys, &domain)
        } else {
            sampled_assignments(params.keys, &domain, params.hash_functions)
        };
        let hash_fns = assignments.iter().cloned().map(HashFn::interned).collect();
        HmapModel {
            hash_fns,
            machine: Machine {
                geo: params.geo,
                track,
                go: params.go_version,
            },
            params,
            assignments,
            selected,
            exhaustive: true,
            merge_read_only: false,
            key_symmetry: false,
            arrays_table: Default::default(),
        }
    }

    /// Key symmetry decided once, at the initial states: with `reseed = false` no step
    /// changes a state's hash function, so every state reachable from an assignment is the
    /// renaming of one reachable from that assignment in hash order (the renaming maps
    /// initial states to initial states and steps to steps), and a reachable state in hash
    /// order has no other renaming in hash order (hashes are injective). The states reachable
    /// from the hash-ordered assignments are therefore exactly one per symmetry class: the
    /// representatives stateright would count, each reached by a real path. The search
    /// starts from those assignments only and computes no representative per transition.
    pub fn symmetry_at_init(&self) -> bool {
        self.key_symmetry && !self.params.reseed
    }

    /// The transition function as a plain function: applies `action` to a copy of `state`.
    pub fn apply(&self, state: &HmapState<N>, action: &HmapAction) -> (HmapState<N>, Outcome) {
        let mut s = state.clone();
        let out = self.step(&mut s, action, &mut Log::default());
        (s, out)
    }

    /// The successor of `s` by `action` (what `next_state` returns) into `out`: a state
    /// already there (a successor the checker did not keep) is made equal to `s` in place,
    /// reusing its memory, instead of a fresh clone.
    pub fn next_state_in(
        &self,
        s: &HmapState<N>,
        action: HmapAction,
        out: &mut Option<HmapState<N>>,
    ) {
        let next = match out {
            Some(next) => {
                next.copy_from(s);
                next
            }
            None => out.insert(s.clone()),
        };
        self.step(next, &action, &mut Log::default());
        next.arrays.seal();
    }

    /// Applies `action` in place, with a log of Go's internal steps when `log` is enabled.
    pub fn step(&self, s: &mut HmapState<N>, action: &HmapAction, log: &mut Log) -> Outcome {
        let new_hashes = match action {
            HmapAction::Delete {
                reseed: Some(h0), ..
            }
            | HmapAction::Clear { reseed: Some(h0) } => self.hash_fns.get(*h0 as usize),
            _ => None,
        };
        self.machine
            .step_fn(s, action, new_hashes, log)
            .expect("the model's own actions are always well formed")
    }

    /// The internal steps of `action` from `state`, in Go's terms.
    pub fn explain(
        &self,
        state: &HmapState<N>,
        action: &HmapAction,
    ) -> (HmapState<N>, Outcome, Vec<String>) {
        let mut s = state.clone();
        let mut log = Log::enabled();
        let out = self.step(&mut s, action, &mut log);
        (s, out, log.0.unwrap_or_default())
    }
}

impl<const N: usize> Model for HmapModel<N> {
    type State = HmapState<N>;
    type Action = HmapAction;

    fn init_states(&self) -> Vec<HmapState<N>> {
        let sym = if self.key_symmetry && !self.symmetry_at_init() {
            symmetry::key_symmetry_ctx(&self.assignments, &self.hash_fns)
        } else {
            SymCtx::default()
        };
        let at_init = self.symmetry_at_init();
        self.hash_fns
            .iter()
            .enumerate()
            .filter(|(_, hashes)| !at_init || symmetry::in_hash_order(hashes))
            .map(|(h0, hashes)| {
                let mut s = self
                    .machine
                    .makemap(self.params.hint, h0 as u32, hashes.clone());
                s.ghost.abs = vec![0; self.params.keys as usize + 1];
                s.sym = sym;
                s.arrays.seal();
                s
            })
            .collect()
    }

    fn actions(&self, s: &HmapState<N>, actions: &mut Vec<HmapAction>) {
        let p = &self.params;
        if self.done(s) {
            return;
        }
        // The read-only steps listed so far (see `merge_read_only`): an action is left out
        // when its step is one of them. `step` is None for an action that is not read-only.
        let mut read_only: smallvec::SmallVec<[ReadOnlyStep; 4]> = smallvec::SmallVec::new();
        let mut left_out = |step: Option<ReadOnlyStep>| match step {
            Some(step) if read_only.contains(&step) => true,
            Some(step) => {
                read_only.push(step);
                false
            }
            None => false,
        };
        if p.ops.assign {
            for key in 1..=p.keys {
                for elem in 1..=p.values {
                    if self.merge_read_only
                        && left_out(self.machine.mapassign_read_only(s, key, elem))
                    {
                        continue;
                    }
                    actions.push(HmapAction::Assign { key, elem });
                }
            }
        }
        if p.ops.delete {
            for key in 1..=p.keys {
                let empties = s.h.count == 1 && self.machine.lookup(s, key).is_some();
                if empties && p.reseed {
                    for h0 in 0..self.assignments.len() {
                        actions.push(HmapAction::Delete {
                            key,
                            reseed: Some(h0 as u32),
                        });
                    }
                } else if empties {
                    // Deviation from Go: with `reseed = false` the new hash0 hashes every key
                    // as the old one did.
                    actions.push(HmapAction::Delete {
                        key,
                        reseed: Some(s.h.hash0),
                    });
                } else {
                    if self.merge_read_only && left_out(self.machine.mapdelete_read_only(s, key)) {
                        continue;
                    }
                    actions.push(HmapAction::Delete { key, reseed: None });
                }
            }
        }
        if p.ops.clear {
            if s.h.count == 0 {
                // mapclear returns at once: no fastrand draw.
                actions.push(HmapAction::Clear { reseed: None });
            } else if p.reseed {
                for h0 in 0..self.assignments.len() {
                    actions.push(HmapAction::Clear {
                        reseed: Some(h0 as u32),
                    });
                }
            } else {
                // Deviation from Go (as for delete): with `reseed = false` the new hash0
                // hashes every key as the old one did.
                actions.push(HmapAction::Clear {
                    reseed: Some(s.h.hash0),
                });
            }
        }
        if p.ops.access {
            for key in 1..=p.keys {
                if self.merge_read_only && left_out(self.machine.mapaccess2_read_only(s, key)) {
                    continue;
                }
                actions.push(HmapAction::Access { key });
            }
        }
        if p.ops.iterate {
            if s.iters.len() < p.max_iters as usize && s.h.count > 0 {
                for start_bucket in 0..(1u16 << s.h.b) {
                    for offset in 0..p.geo.bucket_cnt as u8 {
                        actions.push(HmapAction::IterInit {
                            start_bucket,
                            offset,
                        });
                    }
                }
            }
            for it in &s.iters {
                actions.push(HmapAction::IterNext { iter: it.id });
            }
        }
    }

    fn next_state(&self, s: &HmapState<N>, action: HmapAction) -> Option<HmapState<N>> {
        let mut next = None;
        self.next_state_in(s, action, &mut next);
        next
    }

    /// [`HmapModel::next_state_in`], for a checker that keeps `out` (stateright with
    /// upstream/stateright's patch 0011).
    #[cfg(feature = "stateright-patched")]
    fn next_state_into(
        &self,
        s: &HmapState<N>,
        action: HmapAction,
        out: &mut Option<HmapState<N>>,
    ) -> bool {
        self.next_state_in(s, action, out);
        true
    }

    fn format_action(&self, action: &HmapAction) -> String {
        action.to_string()
    }

    fn format_step(&self, last_state: &HmapState<N>, action: HmapAction) -> Option<String> {
        let (next, out, log) = self.explain(last_state, &action);
        Some(render::step_text(&action, &out, &log, &next, self))
    }

    fn as_svg(&self, path: stateright::Path<HmapState<N>, HmapAction>) -> Option<String> {
        let state = path.last_state();
        Some(render::svg(state, self))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        crate::framework::concurrent::selected_properties(
            properties::Props::<N>::ALL,
            &self.selected,
            self.exhaustive,
        )
    }
}

// ---- the model's entry: parameters, from_spec, info ----------------------------------------

const HMAP_PARAMS: &[ParamDef] = &[
    ParamDef { name: "keys", default: "2", description: "keys k1..kN (1..=64)" },
    ParamDef { name: "values", default: "1", description: "elems v1..vN assigned (1..=8)" },
    ParamDef { name: "hash_bits", default: "2", description: "low hash bits that vary (bucket index and X/Y choice; 0..=8)" },
    ParamDef { name: "tophash_values", default: "1", description: "distinct top bytes of the hash (2+ explores equal low bits with unequal tophash; 1..=4)" },
    ParamDef { name: "bucket_cnt", default: "2", description: "slots per bmap, a power of two <= 8 (Go: 8)" },
    ParamDef { name: "load_factor", default: "\"3/2\"", description: "loadFactorNum/loadFactorDen as \"N/D\" (Go: \"13/2\")" },
    ParamDef { name: "max_ops", default: "6", description: "Go operations per execution (1..=250)" },
    ParamDef { name: "max_iters", default: "1", description: "range loops open at once (0..=3)" },
    ParamDef { name: "hint", default: "0", description: "makemap's size hint" },
    ParamDef { name: "hash_functions", default: "0", description: "0: every injective assignment of hashes to keys (one initial state each); N: N pseudo-random ones, for configurations too big to enumerate" },
    ParamDef { name: "reseed", default: "true", description: "explore every new hash function when a delete reseeds hash0 at count 0" },
    ParamDef { name: "ops", default: "[\"assign\", \"delete\", \"access\", \"iterate\"]", description: "operations the goroutine performs (also \"clear\": mapclear)" },
    ParamDef { name: "go_version", default: "\"1.19\"", description: "the Go release whose mapclear and mapiternext run: \"1.19\", \"1.21\", \"1.22\", \"1.23\", \"1.24\" or \"1.25\" (docs/go-versions.md)" },
];

fn hmap_info() -> ModelInfo {
    ModelInfo {
        name: "hmap",
        description: "one goroutine using one Go 1.19 map[uint64]uint64: buckets, tophash states, growth and evacuation, deletes, iterators (runtime/map.go, map_fast64.go)",
        params: HMAP_PARAMS.to_vec(),
        properties: properties::PROPERTIES
            .iter()
            .map(|p| PropertyInfo {
                name: p.name,
                kind: p.kind,
                description: p.description,
            })
            .collect(),
    }
}

/// Builds the `hmap` model a spec describes, checking every parameter and property name.
pub fn hmap_model<const N: usize>(spec: &Spec) -> Result<HmapModel<N>, SpecError> {
    let mut p = HmapParams::default();
    let mut lf_line = None;
    for (name, v) in &spec.params {
        let field = format!("params.{name}");
        match name.as_str() {
            "keys" => p.keys = int_param(spec, name, v, 1, 64)? as u64,
            "hash_functions" => p.hash_functions = int_param(spec, name, v, 0, 4096)? as u32,
            "values" => p.values = int_param(spec, name, v, 1, 8)? as u64,
            "hash_bits" => p.hash_bits = int_param(spec, name, v, 0, 8)? as u32,
            "tophash_values" => p.tophash_values = int_param(spec, name, v, 1, 4)? as u32,
            "bucket_cnt" => geometry_param(spec, name, v, &mut p.geo)?,
            "load_factor" => {
                lf_line = Some(v.line);
                // A denominator above 2^15 is refused after the other checks.
                load_factor_param(spec, name, v, usize::MAX, &mut p.geo)?
            }
            "max_ops" => p.max_ops = int_param(spec, name, v, 1, 250)? as u8,
            "max_iters" => p.max_iters = int_param(spec, name, v, 0, 3)? as u8,
            "hint" => p.hint = int_param(spec, name, v, 0, 1 << 20)? as usize,
            "reseed" => p.reseed = bool_param(spec, name, v)?,
            "go_version" => {
                let name = v.value.as_str();
                match GoRelease::NAMES.iter().find(|(n, _)| Some(*n) == name) {
                    Some((_, r)) => p.go_version = *r,
                    None => {
                        let known: Vec<String> = GoRelease::NAMES
                            .iter()
                            .map(|(n, _)| format!("\"{n}\""))
                            .collect();
                        return Err(spec.error(
                            Some(v.line),
                            Some(&field),
                            format!("expected one of {}, got {}", known.join(", "), v.value),
                        ));
                    }
                }
            }
            "ops" => {
                let mut ops = OpSet {
                    assign: false,
                    delete: false,
                    access: false,
                    iterate: false,
                    clear: false,
                };
                let toml::Value::Array(items) = &v.value else {
                    return Err(spec.error(
                        Some(v.line),
                        Some(&field),
                        "expected a list such as [\"assign\", \"delete\"]",
                    ));
                };
                for it in items {
                    match it.as_str() {
                        Some("assign") => ops.assign = true,
                        Some("delete") => ops.delete = true,
                        Some("access") => ops.access = true,
                        Some("iterate") => ops.iterate = true,
                        Some("clear") => ops.clear = true,
                        _ => {
                            return Err(spec.error(
                                Some(v.line),
                                Some(&field),
                                format!(
                                "unknown operation {it} (expected assign, delete, access, iterate, clear)"
                            ),
                            ))
                        }
                    }
                }
                if items.is_empty() {
                    // No operation: the search would check the empty map alone and pass.
                    return Err(spec.error(
                        Some(v.line),
                        Some(&field),
                        "the list is empty: name at least one of assign, delete, access, iterate, clear",
                    ));
                }
                p.ops = ops;
            }
            _ => {
                let known: Vec<&str> = HMAP_PARAMS.iter().map(|d| d.name).collect();
                return Err(spec.error(
                    Some(v.line),
                    Some(&field),
                    format!(
                        "unknown parameter of model `hmap` (known: {})",
                        known.join(", ")
                    ),
                ));
            }
        }
    }
    // The largest B the model can reach must keep bucket indices within u16 and below
    // Go's B = 16 (from there incrnoverflow is random).
    let domain = hash_domain(p.hash_bits, p.tophash_values).len() as u64;
    if p.keys > domain {
        let line = spec.params.get("keys").map(|v| v.line);
        return Err(spec.error(
            line,
            Some("params.keys"),
            format!(
                "{} keys cannot have distinct hashes in a domain of {domain} (2^hash_bits x tophash_values)",
                p.keys
            ),
        ));
    }
    if p.hash_functions == 0 {
        // Every injective assignment is an initial state: refuse counts that cannot be
        // enumerated.
        let n: f64 = (0..p.keys).map(|i| (domain - i) as f64).product();
        if n > 100_000.0 {
            let line = spec.params.get("keys").map(|v| v.line);
            return Err(spec.error(
                line,
                Some("params.keys"),
                format!(
                    "{} keys over a domain of {domain} hashes make {n:.3e} hash functions to enumerate (at most 100000); set params.hash_functions to sample some",
                    p.keys
                ),
            ));
        }
    }
    if p.geo.load_factor_num > p.geo.bucket_cnt * p.geo.load_factor_den {
        // Go's 13/2 is below its 8 slots. Above bucket_cnt, a same-size grow can leave as many
        // overflow buckets as it found, and mapassign's hashGrow / `goto again` never ends.
        return Err(spec.error(
            lf_line.or(spec.params.get("bucket_cnt").map(|v| v.line)),
            Some("params.load_factor"),
            format!(
                "load factor {}/{} exceeds bucket_cnt {}: a same-size grow could re-trigger forever (Go: 13/2 <= 8)",
                p.geo.load_factor_num, p.geo.load_factor_den, p.geo.bucket_cnt
            ),
        ));
    }
    if p.geo.load_factor_den > 1 << 15 {
        return Err(spec.error(lf_line, Some("params.load_factor"), "denominator too large"));
    }
    let mut names = Vec::new();
    for e in &spec.expect {
        match properties::find(&e.property) {
            None => {
                return Err(spec.error(
                    Some(e.line),
                    Some(&format!("expect.{}", e.property)),
                    "unknown property of model `hmap` (see `gomap list`)",
                ))
            }
            Some(def) => {
                if spec.strategy == Strategy::Simulation
                    && def.kind == Kind::Always
                    && e.verdict == Verdict::Holds
                {
                    return Err(spec.error(
                        Some(e.line),
                        Some(&format!("expect.{}", e.property)),
                        "a simulation visits some states, not all: it can never establish that an `always` property holds; use bfs or dfs",
                    ));
                }
            }
        }
        names.push(e.property.clone());
    }
    if spec.symmetry && p.hash_functions > 0 {
        return Err(spec.error(
            spec.symmetry_line,
            Some("search.symmetry"),
            "key symmetry needs every hash function (hash_functions = 0): a sample is not closed under renaming keys",
        ));
    }
    let mut model = HmapModel::new(p, Some(&names));
    model.key_symmetry = spec.symmetry;
    model.exhaustive = spec.strategy != Strategy::Simulation;
    model.merge_read_only = model.exhaustive;
    Ok(model)
}

/// bucket_cnt and load_factor as the hmap model parses them (a load factor's denominator
/// at most 2^15).
pub fn geometry_param(
    spec: &Spec,
    name: &str,
    v: &ParamValue,
    geo: &mut Geometry,
) -> Result<(), SpecError> {
    if name == "bucket_cnt" {
        let n = int_param(spec, name, v, 0, i64::MAX)?;
        if n == 0 || n > 8 || (n & (n - 1)) != 0 {
            return Err(spec.error(
                Some(v.line),
                Some(&format!("params.{name}")),
                format!("bucket_cnt must be a power of two between 1 and 8 (Go: 8), got {n}"),
            ));
        }
        geo.bucket_cnt = n as usize;
        return Ok(());
    }
    load_factor_param(spec, name, v, 1 << 15, geo)
}

/// A load factor "N/D" with N > 0 and 0 < D <= `max_den`.
fn load_factor_param(
    spec: &Spec,
    name: &str,
    v: &ParamValue,
    max_den: usize,
    geo: &mut Geometry,
) -> Result<(), SpecError> {
    let parsed = match &v.value {
        toml::Value::String(s) => s.split_once('/').and_then(|(a, b)| {
            Some((
                a.trim().parse::<usize>().ok()?,
                b.trim().parse::<usize>().ok()?,
            ))
        }),
        _ => None,
    };
    match parsed {
        Some((n, d)) if n > 0 && d > 0 && d <= max_den => {
            geo.load_factor_num = n;
            geo.load_factor_den = d;
            Ok(())
        }
        _ => Err(spec.error(
            Some(v.line),
            Some(&format!("params.{name}")),
            format!(
                "expected \"N/D\" with N, D > 0 (Go: \"13/2\"), got {}",
                v.value
            ),
        )),
    }
}

impl<const N: usize> Checkable for HmapModel<N> {
    fn state_text(&self, s: &Self::State) -> String {
        render::state_text(s, self)
    }
    fn explain_step(
        &self,
        s: &Self::State,
        a: &Self::Action,
    ) -> (Vec<String>, String, Self::State) {
        let (next, out, log) = self.explain(s, a);
        (log, render::outcome_text(&out), next)
    }
    fn only(&self, name: &'static str) -> Self {
        let mut m = self.clone();
        m.exhaustive = false;
        m.selected
            .retain(|&i| properties::PROPERTIES[i].name == name);
        m
    }
    fn explorer_model(&self) -> Self {
        let mut m = self.clone();
        m.merge_read_only = false;
        m
    }
    fn symmetry_fn(&self) -> Option<Representative<Self::State>> {
        if self.symmetry_at_init() {
            // The initial states are the representatives' (see `symmetry_at_init`).
            return None;
        }
        Some(crate::hmap::symmetry::representative)
    }
    fn init_states_estimate(&self) -> Option<(usize, u64)> {
        // One initial state per hash function, each with makemap's bucket array (built once
        // here to learn its B; one array is small next to the refusal threshold).
        let first = self.hash_fns.first()?;
        let s: HmapState<N> = self.machine.makemap(self.params.hint, 0, first.clone());
        let per_bucket =
            std::mem::size_of::<state::Bmap<N>>() + std::mem::size_of::<Vec<state::Bmap<N>>>();
        let bytes = (1u64 << s.h.b) * per_bucket as u64 + 1024;
        Some((self.hash_fns.len(), bytes))
    }
}

impl<const N: usize> HmapModel<N> {
    /// The same model with bmaps of `M` slots, which must hold `bucket_cnt` (see
    /// [`state::slots_for`]).
    pub fn with_slots<const M: usize>(self) -> HmapModel<M> {
        assert!(
            M >= self.machine.geo.bucket_cnt,
            "bmaps of {M} slots cannot hold bucket_cnt = {}",
            self.machine.geo.bucket_cnt
        );
        HmapModel {
            params: self.params,
            machine: self.machine,
            assignments: self.assignments,
            hash_fns: self.hash_fns,
            selected: self.selected,
            exhaustive: self.exhaustive,
            merge_read_only: self.merge_read_only,
            key_symmetry: self.key_symmetry,
            arrays_table: Default::default(),
        }
    }
}

/// Specs are checked (`run`) and timed (`cost`) with the fewest slots per bmap that hold
/// their `bucket_cnt` ([`state::slots_for`]); the explorer and the other users of
/// `HmapModel` keep Go's eight.
impl SpecModel for HmapModel {
    const NAME: &'static str = "hmap";
    fn info() -> ModelInfo {
        hmap_info()
    }
    fn from_spec(spec: &Spec) -> Result<Self, SpecError> {
        hmap_model(spec)
    }
    fn set_exhaustive(&mut self, on: bool) {
        self.exhaustive = on;
    }
    fn run(spec: &Spec, opts: &RunOptions) -> Result<SpecResult, SpecError> {
        let model = Self::from_spec(spec)?;
        let bucket_cnt = model.machine.geo.bucket_cnt;
        // Breadth-first: the queue holds the frontier's states, as bytes.
        state::with_bmap_slots!(bucket_cnt, model, |m| run_packing_bfs(spec, m, opts))
    }
    fn cost(spec: &Spec, n: usize) -> Result<ModelCost, SpecError> {
        let model = Self::from_spec(spec)?;
        let bucket_cnt = model.machine.geo.bucket_cnt;
        state::with_bmap_slots!(bucket_cnt, model, |m| cost_packing_bfs(spec, m, n))
    }
}

#[cfg(test)]
mod tests;
