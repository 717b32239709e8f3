//! Reading the files of the real-Go side of `gomap observe` (tests/go-oracle/observe): the
//! scenario a run was given and the JSON Lines outcome file it wrote. Both formats are
//! described in docs/observe-format.md.
//!
//! Every error names the file, the line (1-based; the scenario's own line for a scenario
//! file) and the field. Outcome files are checked beyond their shape: the first line is the
//! header, map outcomes have one result per op of the header's scenario (of the right shape),
//! history tickets are the ranks `0..2n`, and the outcome counts add up to the summary's.
//! [`HistoryOutcome::calls`] turns a recorded sync.Map / RWMutex history into the
//! [`Call`]s of the project's linearizability checker.

use gomap_impl::syncmap::conform::{SyncOp, SyncRet};
use gomap_impl::syncmap::history::Call;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// An error in a scenario or outcome file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObserveError {
    pub file: String,
    /// 1-based; 0 when the error concerns the whole file.
    pub line: usize,
    pub msg: String,
}

impl fmt::Display for ObserveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.msg)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.msg)
        }
    }
}

impl std::error::Error for ObserveError {}

/// What the goroutines share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A plain `map[uint64]uint64`, no synchronisation.
    Map,
    /// A `sync.Map`.
    Syncmap,
    /// A `map[uint64]uint64` guarded by a `sync.RWMutex` (RLock for Load and Range).
    Rwmutex,
}

/// One operation of a goroutine's program. Map ops: assign, delete, access, range.
/// sync.Map / RWMutex ops: load, store, load_or_store, load_and_delete, delete, range.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    Assign { key: String, elem: u64 },
    Delete { key: String },
    Access { key: String },
    Range,
    Load { key: String },
    Store { key: String, value: u64 },
    LoadOrStore { key: String, value: u64 },
    LoadAndDelete { key: String },
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::Assign { .. } => "assign",
            Op::Delete { .. } => "delete",
            Op::Access { .. } => "access",
            Op::Range => "range",
            Op::Load { .. } => "load",
            Op::Store { .. } => "store",
            Op::LoadOrStore { .. } => "load_or_store",
            Op::LoadAndDelete { .. } => "load_and_delete",
        }
    }
    pub fn key(&self) -> Option<&str> {
        match self {
            Op::Assign { key, .. }
            | Op::Delete { key }
            | Op::Access { key }
            | Op::Load { key }
            | Op::Store { key, .. }
            | Op::LoadOrStore { key, .. }
            | Op::LoadAndDelete { key } => Some(key),
            Op::Range => None,
        }
    }
    fn allowed(&self, kind: Kind) -> bool {
        match kind {
            Kind::Map => matches!(
                self,
                Op::Assign { .. } | Op::Delete { .. } | Op::Access { .. } | Op::Range
            ),
            Kind::Syncmap | Kind::Rwmutex => !matches!(self, Op::Assign { .. } | Op::Access { .. }),
        }
    }
}

/// A fresh random program per trial (syncmap and rwmutex only).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generate {
    pub goroutines: usize,
    pub ops_per_goroutine: usize,
    /// Keys k1..k<keys>.
    pub keys: u8,
    /// Values 1..=values.
    pub values: u64,
    pub ops: Vec<String>,
}

/// Constraints on a map trial's concrete keys under the map's hash0.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyPattern {
    /// Low hash bits reported per key in the outcome (and constrained by `low`).
    #[serde(default)]
    pub hash_bits: u8,
    /// Required low `hash_bits` bits of the named keys' hashes.
    #[serde(default)]
    pub low: BTreeMap<String, u64>,
    /// Groups of keys whose tophash is equal; every other pair's tophash differs.
    #[serde(default)]
    pub tophash_equal: Vec<Vec<String>>,
}

/// A scenario file.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub kind: Kind,
    /// Initial entries `[key, elem]` (keys `kN`).
    #[serde(default)]
    pub initial: Vec<(String, u64)>,
    /// Map only: this many filler keys `f1..fN` with elems `1..=N`, stored before `initial`.
    #[serde(default)]
    pub initial_count: usize,
    /// One program per goroutine (or `generate`).
    #[serde(default)]
    pub goroutines: Vec<Vec<Op>>,
    pub generate: Option<Generate>,
    pub key_pattern: Option<KeyPattern>,
    /// Syncmap only (default true): the initial entries are promoted into `read.m`.
    pub initial_in_read: Option<bool>,
}

const SYNC_OPS: [&str; 6] = [
    "load",
    "store",
    "load_or_store",
    "load_and_delete",
    "delete",
    "range",
];

/// `kN` (1 ≤ N ≤ 255) → N.
pub fn key_num(name: &str) -> Option<u8> {
    let n: u8 = name.strip_prefix('k')?.parse().ok()?;
    (n >= 1 && format!("k{n}") == name).then_some(n)
}

fn json_error(file: &str, line_base: usize, e: &serde_json::Error) -> ObserveError {
    let msg = e.to_string();
    // serde_json appends " at line L column C"; keep the column, move the line out.
    let (text, col) = match msg.rsplit_once(" at line ") {
        Some((text, pos)) => (
            text.to_string(),
            pos.split_once(" column ").map(|(_, c)| c.to_string()),
        ),
        None => (msg.clone(), None),
    };
    ObserveError {
        file: file.to_string(),
        line: line_base + e.line().saturating_sub(1),
        msg: match col {
            Some(c) => format!("{text} (column {c})"),
            None => text,
        },
    }
}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ObserveError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ObserveError {
            file: file.clone(),
            line: 0,
            msg: e.to_string(),
        })?;
        Scenario::parse(&text, &file)
    }

    /// Parses and validates a scenario; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ObserveError> {
        let sc: Scenario = serde_json::from_str(text).map_err(|e| json_error(file, 1, &e))?;
        sc.validate().map_err(|msg| ObserveError {
            file: file.to_string(),
            line: 0,
            msg,
        })?;
        Ok(sc)
    }

    fn is_filler(&self, name: &str) -> bool {
        self.kind == Kind::Map
            && name
                .strip_prefix('f')
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|n| n >= 1 && n <= self.initial_count && format!("f{n}") == name)
    }

    /// The symbolic keys: fillers `f1..fN`, then every `kN` named, by N (for a map
    /// scenario this is the order of the outcome's key lists).
    pub fn key_names(&self) -> Vec<String> {
        let mut ks: Vec<u8> = self
            .initial
            .iter()
            .filter_map(|(k, _)| key_num(k))
            .chain(
                self.goroutines
                    .iter()
                    .flatten()
                    .filter_map(|op| op.key().and_then(key_num)),
            )
            .chain(self.generate.iter().flat_map(|g| 1..=g.keys))
            .collect();
        ks.sort_unstable();
        ks.dedup();
        (1..=self.initial_count)
            .map(|i| format!("f{i}"))
            .chain(ks.into_iter().map(|n| format!("k{n}")))
            .collect()
    }

    /// The same checks as the Go side's.
    pub fn validate(&self) -> Result<(), String> {
        let map = self.kind == Kind::Map;
        if self.initial_count > 1000 {
            return Err(format!(
                "initial_count: want 0..1000, got {}",
                self.initial_count
            ));
        }
        if self.initial_count > 0 && !map {
            return Err("initial_count: only for kind map (use initial)".into());
        }
        if self.initial_in_read.is_some() && self.kind != Kind::Syncmap {
            return Err("initial_in_read: only for kind syncmap".into());
        }
        for (i, (k, _)) in self.initial.iter().enumerate() {
            if key_num(k).is_none() {
                return Err(format!("initial[{i}]: key {k:?} is not k1..k255"));
            }
            if self.initial[..i].iter().any(|(o, _)| o == k) {
                return Err(format!("initial[{i}]: key {k:?} twice"));
            }
        }
        if self.goroutines.is_empty() == self.generate.is_none() {
            return Err("give exactly one of goroutines and generate".into());
        }
        if self.goroutines.len() > 8 {
            return Err(format!(
                "goroutines: at most 8, got {}",
                self.goroutines.len()
            ));
        }
        for (g, prog) in self.goroutines.iter().enumerate() {
            if prog.len() > 64 {
                return Err(format!("goroutines[{g}]: at most 64 ops"));
            }
            for (i, op) in prog.iter().enumerate() {
                if !op.allowed(self.kind) {
                    return Err(format!(
                        "goroutines[{g}][{i}].op: {:?} is not a {:?} op",
                        op.name(),
                        self.kind
                    ));
                }
                if let Some(k) = op.key() {
                    if key_num(k).is_none() && !self.is_filler(k) {
                        return Err(format!(
                            "goroutines[{g}][{i}].key: {k:?} is not k1..k255 (or, for map, a filler f1..f<initial_count>)"
                        ));
                    }
                }
            }
        }
        if let Some(g) = &self.generate {
            if map {
                return Err("generate: only for syncmap and rwmutex".into());
            }
            if !(1..=8).contains(&g.goroutines) || !(1..=64).contains(&g.ops_per_goroutine) {
                return Err("generate: goroutines 1..8 and ops_per_goroutine 1..64".into());
            }
            if g.keys == 0 || g.values == 0 {
                return Err("generate: keys 1..255 and values >= 1".into());
            }
            if g.ops.is_empty() {
                return Err("generate.ops: empty".into());
            }
            if let Some(o) = g.ops.iter().find(|o| !SYNC_OPS.contains(&o.as_str())) {
                return Err(format!("generate.ops: {o:?} is not one of {SYNC_OPS:?}"));
            }
        }
        if let Some(p) = &self.key_pattern {
            if !map {
                return Err("key_pattern: only for kind map".into());
            }
            if p.hash_bits > 16 {
                return Err(format!(
                    "key_pattern.hash_bits: want 0..16, got {}",
                    p.hash_bits
                ));
            }
            let names = self.key_names();
            for (n, v) in &p.low {
                if !names.contains(n) {
                    return Err(format!(
                        "key_pattern.low: {n:?} is not a key of the scenario"
                    ));
                }
                if v >> p.hash_bits != 0 {
                    return Err(format!(
                        "key_pattern.low: {n:?} = {v} does not fit in {} bits",
                        p.hash_bits
                    ));
                }
            }
            let mut seen: Vec<&String> = Vec::new();
            for grp in &p.tophash_equal {
                if grp.len() < 2 {
                    return Err("key_pattern.tophash_equal: a group needs 2 or more keys".into());
                }
                for n in grp {
                    if !names.contains(n) || seen.contains(&n) {
                        return Err(format!(
                            "key_pattern.tophash_equal: {n:?} unknown or in two groups"
                        ));
                    }
                    seen.push(n);
                }
            }
        }
        Ok(())
    }
}

/// The first line of an outcome file.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub kind: String,
    /// "observe-v1".
    pub format: String,
    /// runtime.Version() of the Go program, e.g. "go1.19.8".
    pub go: String,
    pub goarch: String,
    pub ncpu: u32,
    pub gomaxprocs: u32,
    pub seed: i64,
    pub per_trial: bool,
    pub scenario_file: String,
    pub scenario: Scenario,
}

/// What a trial of kind map left behind, read from the runtime's memory after every
/// goroutine finished.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapOutcome {
    /// The Go side's classes joined by '+', or "clean".
    pub class: String,
    /// h.count.
    pub count: i64,
    /// len(m).
    pub len: i64,
    #[serde(rename = "B")]
    pub b: u8,
    pub flags: u8,
    /// h.oldbuckets != nil.
    pub growing: bool,
    /// Live slots of h.buckets, sorted by key (names; `?N` for a key the trial never used),
    /// duplicates kept.
    pub entries: Vec<(String, u64)>,
    /// Live slots of the unevacuated buckets of h.oldbuckets.
    pub old_entries: Vec<(String, u64)>,
    /// Per goroutine, per op: see [`MapResult`]; raw here, typed by [`MapOutcome::result`].
    pub results: Vec<Vec<Value>>,
    /// With key_pattern.hash_bits > 0: each key's low hash bits.
    pub low: Option<BTreeMap<String, u64>>,
    /// Groups of keys with equal tophash in this trial.
    pub tophash_equal: Vec<Vec<String>>,
}

/// One op's result in a map outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapResult {
    /// assign, delete.
    None,
    /// access: `v, ok := m[k]`.
    Access { elem: u64, ok: bool },
    /// range: the (key, elem) yields in order.
    Range(Vec<(String, u64)>),
}

impl MapOutcome {
    /// The classes (empty for "clean").
    pub fn classes(&self) -> Vec<&str> {
        self.class.split('+').filter(|c| *c != "clean").collect()
    }

    /// Goroutine g's op i's result, typed by the op it belongs to.
    pub fn result(&self, op: &Op, g: usize, i: usize) -> Result<MapResult, String> {
        let field = format!("results[{g}][{i}]");
        let v = self
            .results
            .get(g)
            .and_then(|r| r.get(i))
            .ok_or_else(|| format!("{field}: missing"))?;
        match op {
            Op::Assign { .. } | Op::Delete { .. } => match v {
                Value::Null => Ok(MapResult::None),
                _ => Err(format!("{field}: {} returns nothing, got {v}", op.name())),
            },
            Op::Access { .. } => serde_json::from_value::<(u64, bool)>(v.clone())
                .map(|(elem, ok)| MapResult::Access { elem, ok })
                .map_err(|e| format!("{field}: access result is [elem, ok]: {e}")),
            Op::Range => serde_json::from_value::<Vec<(String, u64)>>(v.clone())
                .map(MapResult::Range)
                .map_err(|e| format!("{field}: range result is [[key, elem], ...]: {e}")),
            _ => Err(format!("{field}: {} is not a map op", op.name())),
        }
    }

    fn check(&self, sc: &Scenario) -> Result<(), String> {
        if self.results.len() != sc.goroutines.len() {
            return Err(format!(
                "outcome.results: {} goroutines, the scenario has {}",
                self.results.len(),
                sc.goroutines.len()
            ));
        }
        for (g, prog) in sc.goroutines.iter().enumerate() {
            if self.results[g].len() != prog.len() {
                return Err(format!(
                    "outcome.results[{g}]: {} results, the program has {} ops",
                    self.results[g].len(),
                    prog.len()
                ));
            }
            for (i, op) in prog.iter().enumerate() {
                self.result(op, g, i).map_err(|e| format!("outcome.{e}"))?;
            }
        }
        Ok(())
    }
}

/// One call of a recorded history.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryCall {
    /// The goroutine (thread) number.
    pub g: u32,
    pub op: String,
    pub key: Option<String>,
    /// The argument of store and load_or_store.
    pub value: Option<u64>,
    /// Invoke and return tickets, as ranks 0..2n among the trial's tickets.
    pub inv: u64,
    pub ret: u64,
    /// load, load_and_delete: whether the key was present.
    pub ok: Option<bool>,
    /// load, load_and_delete with ok: the value.
    pub result: Option<u64>,
    /// load_or_store: the actual value and whether it was loaded.
    pub actual: Option<u64>,
    pub loaded: Option<bool>,
    /// range: the (key, value) yields in order.
    pub yields: Option<Vec<(String, u64)>>,
}

/// A trial of kind syncmap or rwmutex: its history.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryOutcome {
    /// "clean", "range_not_snapshot", "not_linearizable" or "unchecked".
    pub class: String,
    pub history: Vec<HistoryCall>,
}

fn small_key(field: &str, k: &Option<String>) -> Result<u8, String> {
    let k = k
        .as_deref()
        .ok_or_else(|| format!("{field}.key: missing"))?;
    key_num(k).ok_or_else(|| format!("{field}.key: {k:?} is not k1..k255"))
}

fn small_value(field: &str, v: Option<u64>) -> Result<u16, String> {
    let v = v.ok_or_else(|| format!("{field}: missing"))?;
    u16::try_from(v).map_err(|_| format!("{field}: {v} does not fit the checker's u16 values"))
}

impl HistoryOutcome {
    /// The history as the linearizability checker's calls (impl/src/syncmap/history.rs).
    pub fn calls(&self) -> Result<Vec<Call<SyncOp, SyncRet>>, String> {
        let mut out = Vec::with_capacity(self.history.len());
        for (i, c) in self.history.iter().enumerate() {
            let f = format!("history[{i}]");
            let value_ret = || -> Result<SyncRet, String> {
                match c.ok {
                    Some(true) => Ok(SyncRet::Value(Some(small_value(
                        &format!("{f}.result"),
                        c.result,
                    )?))),
                    Some(false) => Ok(SyncRet::Value(None)),
                    None => Err(format!("{f}.ok: missing")),
                }
            };
            let (op, ret) = match c.op.as_str() {
                "load" => (SyncOp::Load(small_key(&f, &c.key)?), value_ret()?),
                "store" => (
                    SyncOp::Store(
                        small_key(&f, &c.key)?,
                        small_value(&format!("{f}.value"), c.value)?,
                    ),
                    SyncRet::Unit,
                ),
                "load_or_store" => (
                    SyncOp::LoadOrStore(
                        small_key(&f, &c.key)?,
                        small_value(&format!("{f}.value"), c.value)?,
                    ),
                    SyncRet::Actual(
                        small_value(&format!("{f}.actual"), c.actual)?,
                        c.loaded.ok_or_else(|| format!("{f}.loaded: missing"))?,
                    ),
                ),
                "load_and_delete" => (SyncOp::LoadAndDelete(small_key(&f, &c.key)?), value_ret()?),
                "delete" => (SyncOp::Delete(small_key(&f, &c.key)?), SyncRet::Unit),
                "range" => {
                    let ys = c
                        .yields
                        .as_ref()
                        .ok_or_else(|| format!("{f}.yields: missing"))?;
                    let mut kv = Vec::with_capacity(ys.len());
                    for (y, (k, v)) in ys.iter().enumerate() {
                        let k = key_num(k)
                            .ok_or_else(|| format!("{f}.yields[{y}]: key {k:?} is not k1..k255"))?;
                        kv.push((k, small_value(&format!("{f}.yields[{y}]"), Some(*v))?));
                    }
                    kv.sort_unstable();
                    (SyncOp::Range, SyncRet::Visited(kv))
                }
                other => return Err(format!("{f}.op: unknown op {other:?}")),
            };
            out.push(Call {
                thread: c.g,
                op,
                ret: Some(ret),
                invoked: c.inv,
                returned: c.ret,
            });
        }
        Ok(out)
    }

    fn check(&self) -> Result<(), String> {
        let n = self.history.len() as u64;
        let mut seen = vec![false; 2 * self.history.len()];
        for (i, c) in self.history.iter().enumerate() {
            if c.inv >= c.ret {
                return Err(format!(
                    "outcome.history[{i}]: inv {} >= ret {}",
                    c.inv, c.ret
                ));
            }
            for t in [c.inv, c.ret] {
                if t >= 2 * n || std::mem::replace(&mut seen[t as usize], true) {
                    return Err(format!(
                        "outcome.history[{i}]: ticket {t} repeated or not a rank in 0..{}",
                        2 * n
                    ));
                }
            }
        }
        self.calls().map(|_| ()).map_err(|e| format!("outcome.{e}"))
    }
}

/// A throw that killed the worker during a trial.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrowOutcome {
    /// "throw:" + throw.
    pub class: String,
    /// The text after "fatal error: " (e.g. "concurrent map writes"), or the "panic: ..."
    /// line, or the worker's exit status.
    pub throw: String,
}

/// A trial's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Throw(ThrowOutcome),
    Map(MapOutcome),
    History(HistoryOutcome),
}

impl Outcome {
    pub fn class(&self) -> &str {
        match self {
            Outcome::Throw(o) => &o.class,
            Outcome::Map(o) => &o.class,
            Outcome::History(o) => &o.class,
        }
    }

    fn parse(v: Value, sc: &Scenario) -> Result<Outcome, String> {
        let has = |f: &str| v.get(f).is_some();
        let o = if has("throw") {
            Outcome::Throw(serde_json::from_value(v).map_err(|e| format!("outcome (throw): {e}"))?)
        } else if sc.kind == Kind::Map {
            let m: MapOutcome =
                serde_json::from_value(v).map_err(|e| format!("outcome (map): {e}"))?;
            m.check(sc)?;
            Outcome::Map(m)
        } else {
            let h: HistoryOutcome =
                serde_json::from_value(v).map_err(|e| format!("outcome (history): {e}"))?;
            h.check()?;
            Outcome::History(h)
        };
        if let Outcome::Throw(t) = &o {
            if t.class != format!("throw:{}", t.throw) {
                return Err(format!(
                    "outcome.class: {:?} for throw {:?}",
                    t.class, t.throw
                ));
            }
        }
        Ok(o)
    }
}

/// A map trial's concrete keys (kept for the first trial of each outcome, and for every
/// trial with -per-trial); empty for other kinds and for throws.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detail {
    pub hash0: Option<u32>,
    #[serde(default)]
    pub keys: BTreeMap<String, KeyDetail>,
}

/// A symbolic key's concrete key, its hash under the trial's hash0, and its tophash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyDetail {
    pub key: u64,
    pub hash: u64,
    pub tophash: u8,
}

/// A distinct outcome and how many trials had it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counted {
    pub count: u64,
    pub first_trial: u64,
    pub outcome: Outcome,
    pub detail: Detail,
}

/// One trial (files written with -per-trial).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trial {
    pub trial: u64,
    pub outcome: Outcome,
    pub detail: Detail,
}

/// The last line.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    pub kind: String,
    pub trials: u64,
    pub completed: u64,
    pub throws: u64,
    /// Worker processes started (1 + restarts).
    pub workers: u64,
    pub elapsed_s: f64,
    pub trials_per_s: f64,
    pub distinct_outcomes: u64,
    pub classes: BTreeMap<String, u64>,
}

/// A whole outcome file.
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeFile {
    pub header: Header,
    pub trials: Vec<Trial>,
    pub outcomes: Vec<Counted>,
    pub summary: Summary,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCounted {
    #[allow(dead_code)]
    kind: String,
    count: u64,
    first_trial: u64,
    outcome: Value,
    detail: Detail,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrial {
    #[allow(dead_code)]
    kind: String,
    trial: u64,
    outcome: Value,
    detail: Detail,
}

impl OutcomeFile {
    pub fn load(path: &Path) -> Result<OutcomeFile, ObserveError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ObserveError {
            file: file.clone(),
            line: 0,
            msg: e.to_string(),
        })?;
        OutcomeFile::parse(&text, &file)
    }

    /// Parses and checks an outcome file; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<OutcomeFile, ObserveError> {
        let err = |line: usize, msg: String| ObserveError {
            file: file.to_string(),
            line,
            msg,
        };
        let mut header: Option<Header> = None;
        let mut trials = Vec::new();
        let mut outcomes = Vec::new();
        let mut summary: Option<Summary> = None;
        for (i, l) in text.lines().enumerate() {
            let n = i + 1;
            if summary.is_some() {
                return Err(err(n, "a line after the summary".into()));
            }
            let v: Value = serde_json::from_str(l).map_err(|e| json_error(file, n, &e))?;
            let kind = v
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let de = |e: serde_json::Error| err(n, format!("{kind} line: {e}"));
            match (kind.as_str(), &header) {
                ("header", None) => {
                    let h: Header = serde_json::from_value(v).map_err(de)?;
                    if h.format != "observe-v1" {
                        return Err(err(
                            n,
                            format!("format: want observe-v1, got {:?}", h.format),
                        ));
                    }
                    h.scenario
                        .validate()
                        .map_err(|e| err(n, format!("scenario.{e}")))?;
                    header = Some(h);
                }
                (_, None) => return Err(err(n, "kind: the first line must be the header".into())),
                ("trial", Some(h)) => {
                    let r: RawTrial = serde_json::from_value(v).map_err(de)?;
                    trials.push(Trial {
                        trial: r.trial,
                        outcome: Outcome::parse(r.outcome, &h.scenario).map_err(|e| err(n, e))?,
                        detail: r.detail,
                    });
                }
                ("outcome", Some(h)) => {
                    let r: RawCounted = serde_json::from_value(v).map_err(de)?;
                    if r.count == 0 {
                        return Err(err(n, "count: 0".into()));
                    }
                    outcomes.push(Counted {
                        count: r.count,
                        first_trial: r.first_trial,
                        outcome: Outcome::parse(r.outcome, &h.scenario).map_err(|e| err(n, e))?,
                        detail: r.detail,
                    });
                }
                ("summary", Some(_)) => {
                    let s: Summary = serde_json::from_value(v).map_err(de)?;
                    let total: u64 = outcomes.iter().map(|o| o.count).sum();
                    if total != s.trials {
                        return Err(err(
                            n,
                            format!(
                                "trials: {} but the outcome counts add up to {total}",
                                s.trials
                            ),
                        ));
                    }
                    let mut classes = BTreeMap::<String, u64>::new();
                    for o in &outcomes {
                        *classes.entry(o.outcome.class().to_string()).or_default() += o.count;
                    }
                    if classes != s.classes {
                        return Err(err(n, "classes: do not match the outcome lines".into()));
                    }
                    if s.completed + s.throws != s.trials {
                        return Err(err(n, "completed + throws != trials".into()));
                    }
                    summary = Some(s);
                }
                (k, Some(_)) => return Err(err(n, format!("kind: unknown line kind {k:?}"))),
            }
        }
        let header = header.ok_or_else(|| err(0, "empty file (no header)".into()))?;
        let summary = summary.ok_or_else(|| err(0, "no summary line (run cut short?)".into()))?;
        Ok(OutcomeFile {
            header,
            trials,
            outcomes,
            summary,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"{"kind":"map","initial_count":7,
        "goroutines":[[{"op":"assign","key":"k1","elem":101}],[{"op":"access","key":"k1"},{"op":"range"}]]}"#;

    fn header(sc: &str) -> String {
        format!(
            r#"{{"kind":"header","format":"observe-v1","go":"go1.19.8","goarch":"amd64","ncpu":2,"gomaxprocs":2,"seed":7,"per_trial":false,"scenario_file":"s.json","scenario":{}}}"#,
            sc.replace('\n', " ")
        )
    }

    const CLEAN: &str = r#"{"kind":"outcome","count":3,"first_trial":0,"outcome":{"class":"clean","count":8,"len":8,"B":0,"flags":0,"growing":false,"entries":[["f1",1],["k1",101]],"old_entries":[],"results":[[null],[[101,true],[["k1",101]]]],"tophash_equal":[]},"detail":{"hash0":5,"keys":{"k1":{"key":9,"hash":10,"tophash":11}}}}"#;
    const THROW: &str = r#"{"kind":"outcome","count":1,"first_trial":3,"outcome":{"class":"throw:concurrent map writes","throw":"concurrent map writes"},"detail":{}}"#;
    const SUMMARY: &str = r#"{"kind":"summary","trials":4,"completed":3,"throws":1,"workers":2,"elapsed_s":0.1,"trials_per_s":40,"distinct_outcomes":2,"classes":{"clean":3,"throw:concurrent map writes":1}}"#;

    fn file(lines: &[&str]) -> String {
        lines.join("\n") + "\n"
    }

    #[test]
    fn scenario_parses_and_lists_keys() {
        let sc = Scenario::parse(SCENARIO, "s.json").unwrap();
        assert_eq!(sc.kind, Kind::Map);
        assert_eq!(sc.key_names().len(), 8);
        assert_eq!(sc.key_names()[7], "k1");
        assert_eq!(
            sc.goroutines[0][0],
            Op::Assign {
                key: "k1".into(),
                elem: 101
            }
        );
    }

    #[test]
    fn scenario_errors_name_file_line_and_field() {
        let e = Scenario::parse(
            "{\"kind\":\"map\",\n\"goroutines\":[[{\"op\":\"assign\",\"key\":\"k1\"}]]}",
            "s.json",
        )
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("s.json", 2));
        assert!(e.msg.contains("missing field `elem`"), "{e}");
        let e = Scenario::parse(
            r#"{"kind":"map","goroutines":[[{"op":"store","key":"k1","value":1}]]}"#,
            "s.json",
        )
        .unwrap_err();
        assert!(
            e.to_string().starts_with("s.json: goroutines[0][0].op"),
            "{e}"
        );
        let e = Scenario::parse(
            r#"{"kind":"map","goroutines":[[{"op":"access","key":"f3"}]]}"#,
            "s.json",
        )
        .unwrap_err();
        assert!(e.msg.contains("goroutines[0][0].key"), "{e}");
        let e = Scenario::parse(
            r#"{"kind":"map","goroutines":[[{"op":"range"}]],"color":1}"#,
            "s.json",
        )
        .unwrap_err();
        assert!(e.msg.contains("unknown field `color`"), "{e}");
        let e = Scenario::parse(
            r#"{"kind":"syncmap","initial_count":2,"goroutines":[[{"op":"range"}]]}"#,
            "s.json",
        )
        .unwrap_err();
        assert!(e.msg.starts_with("initial_count"), "{e}");
    }

    #[test]
    fn outcome_file_parses() {
        let f = OutcomeFile::parse(
            &file(&[&header(SCENARIO), CLEAN, THROW, SUMMARY]),
            "o.jsonl",
        )
        .unwrap();
        assert_eq!(f.outcomes.len(), 2);
        let Outcome::Map(m) = &f.outcomes[0].outcome else {
            panic!("not a map outcome")
        };
        assert!(m.classes().is_empty());
        let op = &f.header.scenario.goroutines[1][0];
        assert_eq!(
            m.result(op, 1, 0),
            Ok(MapResult::Access {
                elem: 101,
                ok: true
            })
        );
        let op = &f.header.scenario.goroutines[1][1];
        assert_eq!(
            m.result(op, 1, 1),
            Ok(MapResult::Range(vec![("k1".into(), 101)]))
        );
        assert_eq!(f.outcomes[0].detail.keys["k1"].tophash, 11);
        assert_eq!(f.outcomes[1].outcome.class(), "throw:concurrent map writes");
        assert_eq!(f.summary.throws, 1);
    }

    #[test]
    fn outcome_file_errors_name_line_and_field() {
        let h = header(SCENARIO);
        // A result of the wrong shape for its op.
        let bad = CLEAN.replace("[101,true]", "null");
        let e = OutcomeFile::parse(&file(&[&h, &bad, THROW, SUMMARY]), "o.jsonl").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.msg.contains("outcome.results[1][0]"), "{e}");
        // Missing field.
        let bad = CLEAN.replace(r#""len":8,"#, "");
        let e = OutcomeFile::parse(&file(&[&h, &bad, THROW, SUMMARY]), "o.jsonl").unwrap_err();
        assert!(e.msg.contains("missing field `len`"), "{e}");
        // Counts that do not add up.
        let e = OutcomeFile::parse(&file(&[&h, CLEAN, SUMMARY]), "o.jsonl").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.msg.starts_with("trials:"), "{e}");
        // No header; no summary; broken JSON.
        let e = OutcomeFile::parse(&file(&[CLEAN]), "o.jsonl").unwrap_err();
        assert_eq!(e.line, 1);
        let e = OutcomeFile::parse(&file(&[&h, CLEAN]), "o.jsonl").unwrap_err();
        assert!(e.msg.contains("no summary"), "{e}");
        let e = OutcomeFile::parse(&file(&[&h, "{\"kind\":"]), "o.jsonl").unwrap_err();
        assert_eq!(e.line, 2);
    }

    const SYNC_SCENARIO: &str = r#"{"kind":"syncmap","initial":[["k1",1],["k2",1]],
        "goroutines":[[{"op":"range"}],[{"op":"store","key":"k1","value":2},{"op":"store","key":"k2","value":2}]]}"#;
    const NOT_SNAPSHOT: &str = r#"{"kind":"outcome","count":1,"first_trial":9,"outcome":{"class":"range_not_snapshot","history":[{"g":0,"op":"range","inv":1,"ret":5,"yields":[["k1",1],["k2",2]]},{"g":1,"op":"store","key":"k1","value":2,"inv":0,"ret":2},{"g":1,"op":"store","key":"k2","value":2,"inv":3,"ret":4}]},"detail":{}}"#;

    #[test]
    fn history_becomes_checker_calls() {
        use gomap_impl::syncmap::conform::SyncMapConformance;
        use gomap_impl::syncmap::history::check;
        let sum = r#"{"kind":"summary","trials":1,"completed":1,"throws":0,"workers":1,"elapsed_s":0.1,"trials_per_s":10,"distinct_outcomes":1,"classes":{"range_not_snapshot":1}}"#;
        let f = OutcomeFile::parse(
            &file(&[&header(SYNC_SCENARIO), NOT_SNAPSHOT, sum]),
            "o.jsonl",
        )
        .unwrap();
        let Outcome::History(h) = &f.outcomes[0].outcome else {
            panic!("not a history")
        };
        let calls = h.calls().unwrap();
        assert_eq!(calls[0].op, SyncOp::Range);
        assert_eq!(calls[0].ret, Some(SyncRet::Visited(vec![(1, 1), (2, 2)])));
        assert_eq!((calls[2].invoked, calls[2].returned), (3, 4));
        // Range is checked per key (Go's promise), so the checker accepts this history
        // once the initial Stores are part of it.
        let mut with_init = vec![
            Call {
                thread: 9,
                op: SyncOp::Store(1, 1),
                ret: Some(SyncRet::Unit),
                invoked: 0,
                returned: 1,
            },
            Call {
                thread: 9,
                op: SyncOp::Store(2, 1),
                ret: Some(SyncRet::Unit),
                invoked: 2,
                returned: 3,
            },
        ];
        with_init.extend(calls.into_iter().map(|mut c| {
            c.invoked += 4;
            c.returned += 4;
            c
        }));
        assert!(check::<SyncMapConformance>(&with_init).is_ok());
    }

    #[test]
    fn history_errors() {
        let h = header(SYNC_SCENARIO);
        let sum = r#"{"kind":"summary","trials":1,"completed":1,"throws":0,"workers":1,"elapsed_s":0.1,"trials_per_s":10,"distinct_outcomes":1,"classes":{"range_not_snapshot":1}}"#;
        let bad = NOT_SNAPSHOT.replace(r#""inv":3,"ret":4"#, r#""inv":3,"ret":3"#);
        let e = OutcomeFile::parse(&file(&[&h, &bad, sum]), "o.jsonl").unwrap_err();
        assert!(e.msg.contains("outcome.history[2]"), "{e}");
        let bad = NOT_SNAPSHOT.replace(r#"["k2",2]"#, r#"["x2",2]"#);
        let e = OutcomeFile::parse(&file(&[&h, &bad, sum]), "o.jsonl").unwrap_err();
        assert!(e.msg.contains("history[0].yields[1]"), "{e}");
        let bad = NOT_SNAPSHOT.replace(r#""value":2,"inv":0"#, r#""value":70000,"inv":0"#);
        let e = OutcomeFile::parse(&file(&[&h, &bad, sum]), "o.jsonl").unwrap_err();
        assert!(e.msg.contains("history[1].value"), "{e}");
    }

    /// Files written by the Go program itself (tests/go-oracle/observe/testdata, regenerated
    /// with observe.sh; the map one with OBSERVE_TEST_THROW_AT=60 so that it holds a throw).
    #[test]
    fn real_go_outputs_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/go-oracle/observe/testdata");
        let f = OutcomeFile::load(&dir.join("two-assigns-7.jsonl")).unwrap();
        assert_eq!(f.header.scenario.kind, Kind::Map);
        assert!(f.summary.throws >= 1 && f.summary.trials == 100);
        for o in &f.outcomes {
            if let Outcome::Map(m) = &o.outcome {
                assert_eq!(o.detail.keys.len(), 9);
                for (g, prog) in f.header.scenario.goroutines.iter().enumerate() {
                    for (i, op) in prog.iter().enumerate() {
                        assert_eq!(m.result(op, g, i), Ok(MapResult::None));
                    }
                }
            }
        }
        for name in ["syncmap-range-snapshot.jsonl", "rwmutex-per-trial.jsonl"] {
            let f = OutcomeFile::load(&dir.join(name)).unwrap();
            assert_ne!(f.header.scenario.kind, Kind::Map);
            let per_trial = f.header.per_trial;
            assert_eq!(per_trial, !f.trials.is_empty());
            for o in f
                .outcomes
                .iter()
                .map(|c| &c.outcome)
                .chain(f.trials.iter().map(|t| &t.outcome))
            {
                let Outcome::History(h) = o else {
                    panic!("{name}: not a history")
                };
                assert_eq!(h.calls().unwrap().len(), 4);
            }
        }
    }
}
