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
//!
//! This file reads scenarios; `outcome.rs` reads outcome files.

use gomap_impl::syncmap::conform::{SyncOp, SyncRet};
use gomap_impl::syncmap::history::Call;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

mod outcome;
pub use outcome::*;

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
    /// Keys k1..k`keys`.
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

#[cfg(test)]
mod tests;
