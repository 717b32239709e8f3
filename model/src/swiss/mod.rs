//! The `swiss` model: one goroutine using one Go 1.24 map (`internal/runtime/maps`, the
//! Swiss table), one Go operation per action.
//!
//! What it models: `Map` (used, seed, the small map's one group or the directory with
//! globalDepth, clearSeq), tables (used, capacity, growthLeft, localDepth, index) of groups
//! with a control word (ctrlEmpty, ctrlDeleted, or the H2 of a full slot) and slots; H1
//! picks the probe start, H2 is matched against the control word, the top globalDepth bits
//! pick the directory entry; `runtime_mapassign_fast64` (small-map insert, growToSmall,
//! growToTable when the small group is full, the table insert loop remembering the first
//! tombstone and going on to the first group with an empty slot, rehash = grow by doubling
//! or split past maxTableCapacity with installTableSplit's directory doubling),
//! `Map.Delete` (small: ctrlEmpty; table: ctrlEmpty if the group has an empty slot, else a
//! tombstone; a new seed when used reaches 0), `runtime_mapaccess2_fast64`, `Map.Clear`
//! (groups emptied in place, capacity kept, clearSeq++, new seed), and iterators
//! (`Iter.Init` with rand()'s entryOffset and dirOffset, `Iter.Next` with its fast and
//! slow paths, the old table's or small group's order and the re-lookup of its keys in the
//! current map when the table was replaced, the dirIdx/dirOffset shift when the directory
//! grew, nextDirIdx skipping a table's other directory entries). [`steps`] performs each
//! operation as Go does; `// Deviation from Go:` marks every departure.
//!
//! Go 1.24 never rehashes in place (`table.rehash` always calls `grow` or `split`; the TODO
//! there says in-place rehash is unclear with iteration): tombstones go only when a table is
//! copied, and nothing ever shrinks.
//!
//! What it abstracts: hashes are chosen nondeterministically from a small domain (`h2_values`
//! H2 values, `h1_bits` low bits of H1, `dir_bits` top bits), every injective assignment of
//! hashes to keys being one initial state, so every H2 collision, probe pattern and
//! directory split is explored; a new seed (delete to used 0, clear) explores every
//! assignment again. Group size, maximum load and maximum table capacity are parameters
//! (Go: 8, 7, 1024). Iterator starts: every entryOffset below maxTableCapacity and every
//! dirOffset below dirLen (Go draws 64-bit values, which only matter modulo the capacity
//! and the directory length). Memory is arenas of tables and small groups, compacted after
//! every step. `writing` is not kept (see [`state::Hdr`]).
//!
//! What ties it to real Go: tests/swiss_lockstep.rs runs generated operation sequences on
//! this model and on gomap-impl's `SwissMap` (the port that replays real Go 1.24 traces
//! byte for byte) at Go's group size and load with a scaled and with Go's maxTableCapacity,
//! comparing every table, group, control word, the directory and the iterators after every
//! operation, and `gomap replay` replays the swiss-v1 traces of real Go on the model too.
//! Not tied yet: the scaled group sizes and loads (the port only has Go's 8 slots and 7/8
//! load), the hint of make (the model starts from `make(map[uint64]uint64)`).

pub mod properties;
pub mod render;
pub mod state;
pub mod steps;
pub mod symmetry;

use crate::framework::check::Checkable;
use crate::framework::hashfns::*;
use crate::framework::info::{Kind, ModelInfo, ParamDef, PropertyInfo, SpecModel};
use crate::framework::log::Log;
use crate::framework::params::{bool_param, int_param};
use crate::framework::spec::{Spec, SpecError, Strategy, Verdict};
pub use state::*;
use stateright::{Model, Property};
pub use steps::{Geometry, Machine};

/// Which operations the goroutine performs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct OpSet {
    pub assign: bool,
    pub delete: bool,
    pub access: bool,
    pub clear: bool,
    pub iterate: bool,
}

/// Parameters of the `swiss` model.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct SwissParams {
    pub geo: Geometry,
    pub keys: u64,
    pub values: u64,
    pub h2_values: u32,
    pub h1_bits: u32,
    pub dir_bits: u32,
    pub max_ops: u8,
    pub max_iters: u8,
    pub reseed: bool,
    pub ops: OpSet,
}

impl Default for SwissParams {
    fn default() -> Self {
        SwissParams {
            geo: Geometry {
                slots: 2,
                max_avg_group_load: 1,
                max_table_capacity: 8,
            },
            keys: 2,
            values: 1,
            h2_values: 1,
            h1_bits: 1,
            dir_bits: 1,
            max_ops: 6,
            max_iters: 1,
            reseed: true,
            ops: OpSet {
                assign: true,
                delete: true,
                access: true,
                clear: false,
                iterate: true,
            },
        }
    }
}

/// The hash domain: H2 in the low 7 bits, `h1_bits` bits above them, `dir_bits` at the top.
pub fn hash_domain(h2_values: u32, h1_bits: u32, dir_bits: u32) -> Vec<u64> {
    let mut v = Vec::new();
    for top in 0..(1u64 << dir_bits) {
        for low in 0..(1u64 << h1_bits) {
            for h2 in 0..h2_values as u64 {
                let t = if dir_bits == 0 {
                    0
                } else {
                    top << (64 - dir_bits)
                };
                v.push(t | low << 7 | h2);
            }
        }
    }
    v
}

/// The stateright model.
#[derive(Clone, Debug)]
pub struct SwissModel {
    pub params: SwissParams,
    pub machine: Machine,
    /// The hash functions; the state's seed indexes them.
    pub hash_fns: Vec<HashFn>,
    pub selected: Vec<usize>,
    pub exhaustive: bool,
}

impl SwissModel {
    /// The model checking the named properties (all when None).
    pub fn new(params: SwissParams, names: Option<&[String]>) -> Self {
        let domain = hash_domain(params.h2_values, params.h1_bits, params.dir_bits);
        let fns = injective_assignments(params.keys, &domain)
            .into_iter()
            .map(HashFn::interned)
            .collect();
        Self::with_hash_fns(params, fns, names)
    }

    /// The model with given hash functions (seed i hashes as `hash_fns[i]`).
    pub fn with_hash_fns(
        params: SwissParams,
        hash_fns: Vec<HashFn>,
        names: Option<&[String]>,
    ) -> Self {
        let selected = crate::framework::concurrent::select(properties::PROPERTIES, names);
        let track_iters = selected.iter().any(|&i| properties::PROPERTIES[i].iters);
        SwissModel {
            machine: Machine {
                geo: params.geo,
                track_iters,
            },
            params,
            hash_fns,
            selected,
            exhaustive: true,
        }
    }

    /// The empty map `make(map[uint64]uint64)` with seed `seed`.
    pub fn initial(&self, seed: u32) -> SwissState {
        SwissState {
            m: Hdr {
                used: 0,
                seed,
                small: None,
                dir: Vec::new(),
                global_depth: 0,
                clear_seq: 0,
            },
            tables: Vec::new(),
            smalls: Vec::new(),
            iters: Vec::new(),
            hashes: self.hash_fns[seed as usize].clone(),
            ops: 0,
            next_iter_id: 0,
            ghost: Ghost {
                abs: vec![0; self.params.keys as usize + 1],
                ..Ghost::default()
            },
        }
    }

    fn reseed(&self, s: &mut SwissState, seed: u32) {
        s.m.seed = seed;
        s.hashes = self.hash_fns[seed as usize].clone();
        s.ghost.events |= steps::ev::RESEED;
    }

    /// Applies `action` in place.
    pub fn step(&self, s: &mut SwissState, action: &SwissAction, log: &mut Log) -> Outcome {
        let mach = &self.machine;
        s.ghost.violations = 0;
        s.ghost.events = 0;
        let cap_before = mach.capacity(s);
        s.ops = s.ops.saturating_add(1);
        let set_abs = |s: &mut SwissState, k: u64, e: u64| {
            if let Some(x) = s.ghost.abs.get_mut(k as usize) {
                *x = e;
            }
        };
        let out = match *action {
            SwissAction::Assign { key, elem } => {
                mach.mapassign(s, key, elem, log);
                set_abs(s, key, elem);
                Outcome::None
            }
            SwissAction::Delete { key, reseed } => {
                if mach.mapdelete(s, key, log) {
                    if let Some(r) = reseed {
                        self.reseed(s, r);
                        log.note(|| format!("m.used == 0: m.seed = rand() (hash function {r})"));
                    }
                }
                set_abs(s, key, 0);
                Outcome::None
            }
            SwissAction::Access { key } => mach.mapaccess2(s, key, log),
            SwissAction::Clear { reseed } => {
                if s.m.used > 0 {
                    mach.clear(s, log);
                    self.reseed(s, reseed);
                    log.note(|| format!("m.seed = rand() (hash function {reseed})"));
                }
                for x in s.ghost.abs.iter_mut() {
                    *x = 0;
                }
                Outcome::None
            }
            SwissAction::IterInit {
                entry_offset,
                dir_offset,
            } => {
                let id = mach.iter_init(s, entry_offset, dir_offset);
                log.note(|| {
                    format!(
                        "Iter.Init (it{id}): entryOffset = rand() = {entry_offset}, dirOffset = rand() = {dir_offset}; globalDepth {}, clearSeq {}{}",
                        s.m.global_depth,
                        s.m.clear_seq,
                        if s.dir_len() == 0 {
                            "; the map is small: the iterator walks its group"
                        } else {
                            ""
                        }
                    )
                });
                let kv = mach.iter_next(s, id, log);
                Outcome::Yield { iter: id, kv }
            }
            SwissAction::IterNext { iter } => {
                let kv = mach.iter_next(s, iter, log);
                Outcome::Yield { iter, kv }
            }
        };
        if mach.capacity(s) < cap_before {
            s.ghost.violations |= steps::viol::CAPACITY_DECREASED;
        }
        mach.compact(s);
        out
    }

    /// The transition as a plain function.
    pub fn apply(&self, s: &SwissState, a: &SwissAction) -> (SwissState, Outcome) {
        let mut n = s.clone();
        let out = self.step(&mut n, a, &mut Log::default());
        (n, out)
    }

    /// The transition with Go's inner steps logged.
    pub fn explain(&self, s: &SwissState, a: &SwissAction) -> (SwissState, Outcome, Vec<String>) {
        let mut n = s.clone();
        let mut log = Log::enabled();
        let out = self.step(&mut n, a, &mut log);
        (n, out, log.0.unwrap_or_default())
    }

    fn seeds(&self, s: &SwissState) -> Vec<u32> {
        if self.params.reseed {
            (0..self.hash_fns.len() as u32).collect()
        } else {
            // Deviation from Go: with `reseed = false` the new seed hashes as the old one.
            vec![s.m.seed]
        }
    }
}

impl Model for SwissModel {
    type State = SwissState;
    type Action = SwissAction;

    fn init_states(&self) -> Vec<SwissState> {
        (0..self.hash_fns.len() as u32)
            .map(|h| self.initial(h))
            .collect()
    }

    fn actions(&self, s: &SwissState, actions: &mut Vec<SwissAction>) {
        let p = &self.params;
        if s.ops >= p.max_ops {
            return;
        }
        if p.ops.assign {
            for key in 1..=p.keys {
                for elem in 1..=p.values {
                    actions.push(SwissAction::Assign { key, elem });
                }
            }
        }
        if p.ops.delete {
            for key in 1..=p.keys {
                if s.m.used == 1 && self.machine.lookup(s, key).0.is_some() {
                    for r in self.seeds(s) {
                        actions.push(SwissAction::Delete {
                            key,
                            reseed: Some(r),
                        });
                    }
                } else {
                    actions.push(SwissAction::Delete { key, reseed: None });
                }
            }
        }
        if p.ops.access {
            for key in 1..=p.keys {
                actions.push(SwissAction::Access { key });
            }
        }
        if p.ops.clear && s.m.used > 0 {
            // (clear of an empty map returns at once: not offered.)
            for r in self.seeds(s) {
                actions.push(SwissAction::Clear { reseed: r });
            }
        }
        if p.ops.iterate {
            if s.iters.len() < p.max_iters as usize && s.m.used > 0 {
                if s.dir_len() == 0 {
                    for e in 0..p.geo.slots as u64 {
                        actions.push(SwissAction::IterInit {
                            entry_offset: e,
                            dir_offset: 0,
                        });
                    }
                } else {
                    for e in 0..p.geo.max_table_capacity as u64 {
                        for d in 0..s.dir_len() as u64 {
                            actions.push(SwissAction::IterInit {
                                entry_offset: e,
                                dir_offset: d,
                            });
                        }
                    }
                }
            }
            for it in &s.iters {
                actions.push(SwissAction::IterNext { iter: it.id });
            }
        }
    }

    fn next_state(&self, s: &SwissState, a: SwissAction) -> Option<SwissState> {
        let mut n = s.clone();
        self.step(&mut n, &a, &mut Log::default());
        Some(n)
    }

    fn format_action(&self, a: &SwissAction) -> String {
        a.to_string()
    }

    fn format_step(&self, last: &SwissState, a: SwissAction) -> Option<String> {
        let (next, out, log) = self.explain(last, &a);
        Some(render::step_text(&a, &out, &log, &next, self))
    }

    fn as_svg(&self, path: stateright::Path<SwissState, SwissAction>) -> Option<String> {
        Some(render::svg(path.last_state(), self))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        crate::framework::concurrent::selected_properties(
            properties::PROPERTIES,
            &self.selected,
            self.exhaustive,
        )
    }
}

// ---- the model's entry: parameters, from_spec, info ----------------------------------------

const SWISS_PARAMS: &[ParamDef] = &[
    ParamDef { name: "keys", default: "2", description: "keys k1..kN (1..=64)" },
    ParamDef { name: "values", default: "1", description: "elems v1..vN assigned (1..=8)" },
    ParamDef { name: "h2_values", default: "1", description: "distinct H2 values (low 7 bits of the hash; 1 makes every control byte match: key comparisons; 1..=4)" },
    ParamDef { name: "h1_bits", default: "1", description: "low bits of H1 that vary (the probe start group; 0..=6)" },
    ParamDef { name: "dir_bits", default: "1", description: "top hash bits that vary (directory index and split side; 0..=3)" },
    ParamDef { name: "slots_per_group", default: "2", description: "abi.SwissMapGroupSlots, a power of two in 2..=8 (Go: 8)" },
    ParamDef { name: "max_avg_group_load", default: "1", description: "maxAvgGroupLoad, 1..slots_per_group-1 (Go: 7)" },
    ParamDef { name: "max_table_capacity", default: "8", description: "maxTableCapacity, a power of two >= 2*slots_per_group, <= 1024 (Go: 1024)" },
    ParamDef { name: "max_ops", default: "6", description: "Go operations per execution (1..=250)" },
    ParamDef { name: "max_iters", default: "1", description: "range loops open at once (0..=3)" },
    ParamDef { name: "reseed", default: "true", description: "explore every new seed (hash assignment) when a delete empties the map or clear runs" },
    ParamDef { name: "ops", default: "[\"assign\", \"delete\", \"access\", \"iterate\"]", description: "operations: assign, delete, access, clear, iterate" },
];

fn swiss_info() -> ModelInfo {
    ModelInfo {
        name: "swiss",
        description: "one goroutine using one Go 1.24 map[uint64]uint64: the Swiss table (small group, tables of groups with control words, tombstones, grow and split with the directory, clear, iterators) of internal/runtime/maps",
        params: SWISS_PARAMS.to_vec(),
        properties: properties::PROPERTIES
            .iter()
            .map(|p| PropertyInfo { name: p.name, kind: p.kind, description: p.description })
            .collect(),
    }
}

/// Builds the `swiss` model a spec describes, checking every parameter and property name.
pub fn swiss_model(spec: &Spec) -> Result<SwissModel, SpecError> {
    let mut p = SwissParams::default();
    for (name, v) in &spec.params {
        let field = format!("params.{name}");
        let err = |msg: String| spec.error(Some(v.line), Some(&field), msg);
        match name.as_str() {
            "keys" => p.keys = int_param(spec, name, v, 1, 64)? as u64,
            "values" => p.values = int_param(spec, name, v, 1, 8)? as u64,
            "h2_values" => p.h2_values = int_param(spec, name, v, 1, 4)? as u32,
            "h1_bits" => p.h1_bits = int_param(spec, name, v, 0, 6)? as u32,
            "dir_bits" => p.dir_bits = int_param(spec, name, v, 0, 3)? as u32,
            "slots_per_group" => {
                let n = int_param(spec, name, v, 2, 8)? as usize;
                if !n.is_power_of_two() {
                    return Err(err(format!(
                        "slots_per_group must be 2, 4 or 8 (Go: 8), got {n}"
                    )));
                }
                p.geo.slots = n;
            }
            "max_avg_group_load" => {
                p.geo.max_avg_group_load = int_param(spec, name, v, 1, 7)? as u16
            }
            "max_table_capacity" => {
                let n = int_param(spec, name, v, 4, 1024)? as u16;
                if !n.is_power_of_two() {
                    return Err(err(format!(
                        "max_table_capacity must be a power of two (Go: 1024), got {n}"
                    )));
                }
                p.geo.max_table_capacity = n;
            }
            "max_ops" => p.max_ops = int_param(spec, name, v, 1, 250)? as u8,
            "max_iters" => p.max_iters = int_param(spec, name, v, 0, 3)? as u8,
            "reseed" => p.reseed = bool_param(spec, name, v)?,
            "ops" => {
                let toml::Value::Array(items) = &v.value else {
                    return Err(err(
                        "expected a list such as [\"assign\", \"delete\"]".into()
                    ));
                };
                let mut ops = OpSet {
                    assign: false,
                    delete: false,
                    access: false,
                    clear: false,
                    iterate: false,
                };
                for it in items {
                    match it.as_str() {
                        Some("assign") => ops.assign = true,
                        Some("delete") => ops.delete = true,
                        Some("access") => ops.access = true,
                        Some("clear") => ops.clear = true,
                        Some("iterate") => ops.iterate = true,
                        _ => return Err(err(format!("unknown operation {it} (expected assign, delete, access, clear, iterate)"))),
                    }
                }
                p.ops = ops;
            }
            _ => {
                let known: Vec<&str> = SWISS_PARAMS.iter().map(|d| d.name).collect();
                return Err(err(format!(
                    "unknown parameter of model `swiss` (known: {})",
                    known.join(", ")
                )));
            }
        }
    }
    let g = p.geo;
    let line = |n: &str| spec.params.get(n).map(|v| v.line);
    if g.max_avg_group_load as usize >= g.slots {
        // A table could fill every slot and a probe sequence would never end.
        return Err(spec.error(
            line("max_avg_group_load"),
            Some("params.max_avg_group_load"),
            format!(
                "max_avg_group_load {} must be below slots_per_group {} (Go: 7 < 8)",
                g.max_avg_group_load, g.slots
            ),
        ));
    }
    if (g.max_table_capacity as usize) < 2 * g.slots {
        return Err(spec.error(
            line("max_table_capacity"),
            Some("params.max_table_capacity"),
            format!(
                "max_table_capacity {} is below growToTable's 2*slots_per_group = {}",
                g.max_table_capacity,
                2 * g.slots
            ),
        ));
    }
    let domain = hash_domain(p.h2_values, p.h1_bits, p.dir_bits).len() as u64;
    if p.keys > domain {
        return Err(spec.error(
            line("keys"),
            Some("params.keys"),
            format!(
                "{} keys cannot have distinct hashes in a domain of {domain}",
                p.keys
            ),
        ));
    }
    let n: f64 = (0..p.keys).map(|i| (domain - i) as f64).product();
    if n > 100_000.0 {
        return Err(spec.error(line("keys"), Some("params.keys"),
            format!("{} keys over {domain} hashes make {n:.3e} hash functions to enumerate (at most 100000)", p.keys)));
    }
    let mut names = Vec::new();
    for e in &spec.expect {
        let Some(def) = properties::find(&e.property) else {
            return Err(spec.error(
                Some(e.line),
                Some(&format!("expect.{}", e.property)),
                "unknown property of model `swiss` (see `gomap list`)",
            ));
        };
        if spec.strategy == Strategy::Simulation
            && def.kind == Kind::Always
            && e.verdict == Verdict::Holds
        {
            return Err(spec.error(Some(e.line), Some(&format!("expect.{}", e.property)),
                "a simulation visits some states, not all: it can never establish that an `always` property holds; use bfs or dfs"));
        }
        names.push(e.property.clone());
    }
    if spec.symmetry {
        return Err(spec.error(
            spec.symmetry_line,
            Some("search.symmetry"),
            "the swiss model has no symmetry reduction yet",
        ));
    }
    let mut model = SwissModel::new(p, Some(&names));
    model.exhaustive = spec.strategy != Strategy::Simulation;
    Ok(model)
}

impl Checkable for SwissModel {
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
}

impl SpecModel for SwissModel {
    const NAME: &'static str = "swiss";
    fn info() -> ModelInfo {
        swiss_info()
    }
    fn from_spec(spec: &Spec) -> Result<Self, SpecError> {
        swiss_model(spec)
    }
    fn set_exhaustive(&mut self, on: bool) {
        self.exhaustive = on;
    }
}

#[cfg(test)]
mod render_tests;
#[cfg(test)]
mod tests;
