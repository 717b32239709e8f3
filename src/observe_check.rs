//! `gomap observe`: real goroutines on real Go 1.19 against the model.
//!
//! For an `unsync` spec with fixed `programs`, the spec becomes a scenario for the Go harness
//! (tests/go-oracle/observe: real goroutines released together, thousands of trials, each
//! on a fresh map at Go's parameters, keys drawn under the live hash0 so that their low hash
//! bits are the spec's `hash_pattern` and their tophashes are equal, as in the model); the
//! model's terminal outcomes are enumerated exhaustively; every outcome real Go produced must
//! be one of them (inclusion), and each class of outcome is reported with how often real Go
//! produced it and the model's shortest path to it (coverage).
//!
//! For a `syncmap` or `rwmutex` spec the harness runs random programs from the spec's
//! parameters on a real sync.Map (or an RWMutex-guarded map) and records each trial's
//! history; every history must pass the project's linearizability checker (per key, which is
//! Go's promise for Range too), and the Range outcomes that are not snapshots are counted
//! (the syncmap model's `range_is_snapshot` is violated; on an RWMutex map they must not
//! occur).

use crate::checker::{self, Spec};
use crate::observe::{HistoryOutcome, Kind, MapOutcome, MapResult, Outcome, OutcomeFile};
use gomap_impl::syncmap::conform::{SyncMapConformance, SyncOp, SyncRet};
use gomap_impl::syncmap::history;
use gomap_model::hmap::steps::Geometry;
use gomap_model::unsync::outcomes::{terminal_outcomes, DoneOutcome, Outcome as MOutcome};
use gomap_model::unsync::{ORes, UOp, UnsyncModel, FAULT_OLDBUCKETS, THROW_BAD_MAP_STATE};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A spec that cannot be observed, with the field to blame.
#[derive(Debug)]
pub struct ObserveSetupError {
    pub field: &'static str,
    pub msg: String,
}

/// The model side of a map scenario: its outcomes and how to name keys.
pub struct MapScenario {
    pub model: UnsyncModel,
    /// The scenario for the Go harness.
    pub scenario: Value,
    /// Keys k1..k`keys`, then fillers f1..
    pub keys: u8,
    pub initial: u8,
}

fn key_name(k: u64, keys: u8) -> String {
    if k >= 1 && k <= keys as u64 {
        format!("k{k}")
    } else if k > keys as u64 && k <= keys as u64 + 8 {
        format!("f{}", k - keys as u64)
    } else {
        format!("?{k}")
    }
}

/// Builds the Go scenario of an `unsync` spec with fixed programs.
pub fn map_scenario(spec: &Spec) -> Result<MapScenario, ObserveSetupError> {
    let entry = gomap_model::registry::entry(spec).map_err(|e| ObserveSetupError {
        field: "model",
        msg: e.to_string(),
    })?;
    if entry.name != "unsync" {
        return Err(ObserveSetupError {
            field: "model",
            msg: format!(
                "observe compares map scenarios of the unsync model (got {})",
                entry.name
            ),
        });
    }
    let mut model = gomap_model::unsync::from_spec(spec).map_err(|e| ObserveSetupError {
        field: "params",
        msg: e.to_string(),
    })?;
    let p = &model.params;
    let bad = |field: &'static str, msg: &str| ObserveSetupError {
        field,
        msg: msg.to_string(),
    };
    if p.geo != Geometry::GO {
        return Err(bad(
            "params.bucket_cnt",
            "real Go has 8 slots per bucket and load factor 13/2: set bucket_cnt = 8, load_factor = \"13/2\"",
        ));
    }
    if p.hint != 0 {
        return Err(bad(
            "params.hint",
            "the harness makes its maps with make(map[uint64]uint64): hint must be 0",
        ));
    }
    let Some(programs) = p.programs.clone() else {
        return Err(bad(
            "params.programs",
            "observe needs fixed programs, one per goroutine",
        ));
    };
    let Some(pattern) = p.hash_pattern.clone() else {
        return Err(bad(
            "params.hash_pattern",
            "observe needs the low hash bits of every key",
        ));
    };
    let (keys, initial) = (p.keys, p.initial);
    let ops: Vec<Vec<Value>> = programs
        .iter()
        .map(|prog| {
            prog.iter()
                .map(|op| match *op {
                    UOp::Assign { key, elem } => {
                        json!({"op": "assign", "key": format!("k{key}"), "elem": elem})
                    }
                    UOp::Delete { key } => json!({"op": "delete", "key": format!("k{key}")}),
                    UOp::Access { key } => json!({"op": "access", "key": format!("k{key}")}),
                    UOp::Range => json!({"op": "range"}),
                })
                .collect()
        })
        .collect();
    let names: Vec<String> = (1..=(keys + initial) as u64)
        .map(|k| key_name(k, keys))
        .collect();
    let low: BTreeMap<String, u8> = names.iter().cloned().zip(pattern.iter().copied()).collect();
    let scenario = json!({
        "kind": "map",
        "initial_count": initial,
        "goroutines": ops,
        "key_pattern": {"hash_bits": p.hash_bits, "low": low, "tophash_equal": [names]},
    });
    model.record_results = true;
    model.exhaustive = true;
    Ok(MapScenario {
        model,
        scenario,
        keys,
        initial,
    })
}

/// Go's throw text for a model's terminal throw.
fn go_throw(msg: &str) -> String {
    if msg == FAULT_OLDBUCKETS {
        "fault".into()
    } else if msg == THROW_BAD_MAP_STATE {
        "bad map state".into()
    } else {
        msg.to_string()
    }
}

/// The model's form of an outcome real Go produced (None: it names a key the trial never
/// used, which the model cannot produce).
fn from_go(o: &MapOutcome, sc: &crate::observe::Scenario, keys: u8) -> Result<MOutcome, String> {
    let num = |name: &str| -> Result<u64, String> {
        if let Some(n) = name.strip_prefix('k').and_then(|n| n.parse::<u64>().ok()) {
            return Ok(n);
        }
        if let Some(n) = name.strip_prefix('f').and_then(|n| n.parse::<u64>().ok()) {
            return Ok(keys as u64 + n);
        }
        Err(format!("key {name} is not one of the scenario's"))
    };
    let pairs = |v: &[(String, u64)]| -> Result<Vec<(u64, u64)>, String> {
        let mut out = v
            .iter()
            .map(|(k, e)| Ok((num(k)?, *e)))
            .collect::<Result<Vec<_>, String>>()?;
        out.sort_unstable();
        Ok(out)
    };
    let mut results = Vec::new();
    for (g, prog) in sc.goroutines.iter().enumerate() {
        let mut rs = Vec::new();
        for (i, op) in prog.iter().enumerate() {
            rs.push(match o.result(op, g, i)? {
                MapResult::None => ORes::Unit,
                MapResult::Access { elem, ok } => ORes::Access(elem, ok),
                MapResult::Range(ys) => ORes::Range(
                    ys.iter()
                        .map(|(k, e)| Ok((num(k)?, *e)))
                        .collect::<Result<Vec<_>, String>>()?,
                ),
            });
        }
        results.push(rs);
    }
    Ok(MOutcome::Done(DoneOutcome {
        count: o.count,
        b: o.b,
        flags: o.flags,
        growing: o.growing,
        entries: pairs(&o.entries)?,
        old_entries: pairs(&o.old_entries)?,
        results,
    }))
}

/// The classes of an outcome, by the same rules as the Go harness's (docs/observe-format.md):
/// `clean`, `throw:<msg>`, or some of lost_insert, duplicate_key, wrong_count, wrong_elem,
/// torn_read, writing_flag_stuck joined by '+'.
pub fn classify(o: &MOutcome, programs: &[Vec<UOp>], keys: u8, initial: u8) -> String {
    let d = match o {
        MOutcome::Throw(m) => return format!("throw:{}", go_throw(m)),
        MOutcome::Done(d) => d,
    };
    let mut given: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for i in 0..initial as u64 {
        given.entry(keys as u64 + 1 + i).or_default().push(i + 1);
    }
    let mut deleted = std::collections::BTreeSet::new();
    for op in programs.iter().flatten() {
        match *op {
            UOp::Assign { key, elem } => given.entry(key as u64).or_default().push(elem as u64),
            UOp::Delete { key } => {
                deleted.insert(key as u64);
            }
            _ => {}
        }
    }
    let all: Vec<(u64, u64)> = d.entries.iter().chain(&d.old_entries).copied().collect();
    let mut classes = Vec::new();
    if given
        .keys()
        .any(|k| !deleted.contains(k) && !all.iter().any(|(x, _)| x == k))
    {
        classes.push("lost_insert");
    }
    let mut ks: Vec<u64> = all.iter().map(|e| e.0).collect();
    ks.sort_unstable();
    if ks.windows(2).any(|w| w[0] == w[1]) {
        classes.push("duplicate_key");
    }
    if d.count != all.len() as i64 {
        classes.push("wrong_count");
    }
    let ok_elem = |k: u64, e: u64| given.get(&k).is_some_and(|v| v.contains(&e));
    if all.iter().any(|&(k, e)| !ok_elem(k, e)) {
        classes.push("wrong_elem");
    }
    let torn = programs.iter().zip(&d.results).any(|(prog, rs)| {
        prog.iter().zip(rs).any(|(op, r)| match (op, r) {
            (UOp::Access { key }, ORes::Access(e, true)) => !ok_elem(*key as u64, *e),
            (_, ORes::Range(ys)) => ys.iter().any(|&(k, e)| !ok_elem(k, e)),
            _ => false,
        })
    });
    if torn {
        classes.push("torn_read");
    }
    if d.flags & 4 != 0 {
        classes.push("writing_flag_stuck");
    }
    if classes.is_empty() {
        "clean".into()
    } else {
        classes.join("+")
    }
}

/// One class of outcome in the coverage table.
#[derive(Clone, Debug, Serialize)]
pub struct ClassRow {
    pub class: String,
    /// Distinct model outcomes of this class.
    pub model_outcomes: usize,
    /// The model's shortest path to one of them (actions).
    pub model_path_len: Option<usize>,
    /// Trials of real Go with this class.
    pub go_trials: u64,
    /// Distinct outcomes real Go produced of this class.
    pub go_outcomes: usize,
}

/// An outcome real Go produced that the model cannot reach.
#[derive(Clone, Debug, Serialize)]
pub struct Unreached {
    pub class: String,
    pub trials: u64,
    pub first_trial: u64,
    /// The outcome as the harness wrote it.
    pub go: Value,
    /// The trial's concrete keys, hashes and hash0.
    pub detail: Value,
}

/// What `gomap observe` found.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub spec: String,
    pub kind: String,
    pub trials: u64,
    pub trials_per_s: f64,
    pub model_states: usize,
    pub model_complete: bool,
    pub classes: Vec<ClassRow>,
    /// Inclusion: every outcome real Go produced is one the model reaches.
    pub unreached: Vec<Unreached>,
    /// sync.Map / RWMutex: histories checked, not linearizable (per key), and Range calls
    /// that were not snapshots.
    pub histories: u64,
    pub not_linearizable: u64,
    pub range_not_snapshot: u64,
    /// The first non-linearizable history, rendered.
    pub counterexample: Option<String>,
}

impl Report {
    /// Inclusion holds and no history failed.
    pub fn passed(&self) -> bool {
        self.unreached.is_empty() && self.not_linearizable == 0 && self.model_complete
    }
}

/// Compares an outcome file of a map scenario with the model.
pub fn compare_map(
    spec_name: &str,
    ms: &MapScenario,
    file: &OutcomeFile,
    max_states: usize,
) -> Result<Report, String> {
    let programs = ms.model.params.programs.clone().unwrap_or_default();
    let model = terminal_outcomes(&ms.model, max_states);
    let mut rows: BTreeMap<String, ClassRow> = BTreeMap::new();
    let row = |rows: &mut BTreeMap<String, ClassRow>, c: &str| {
        rows.entry(c.to_string())
            .or_insert_with(|| ClassRow {
                class: c.to_string(),
                model_outcomes: 0,
                model_path_len: None,
                go_trials: 0,
                go_outcomes: 0,
            })
            .class
            .clone()
    };
    for (o, path) in &model.outcomes {
        let c = classify(o, &programs, ms.keys, ms.initial);
        row(&mut rows, &c);
        let r = rows.get_mut(&c).unwrap();
        r.model_outcomes += 1;
        r.model_path_len = Some(r.model_path_len.map_or(path.len(), |l| l.min(path.len())));
    }
    let sc = &file.header.scenario;
    let mut unreached = Vec::new();
    for c in &file.outcomes {
        let mo = match &c.outcome {
            Outcome::Throw(t) => Ok(MOutcome::Throw(t.throw.clone())),
            Outcome::Map(m) => from_go(m, sc, ms.keys),
            Outcome::History(_) => Err("a history in a map scenario's outcome file".into()),
        };
        let (class, reached) = match &mo {
            Ok(MOutcome::Throw(t)) => {
                let class = format!("throw:{t}");
                let reached = model
                    .outcomes
                    .keys()
                    .any(|o| matches!(o, MOutcome::Throw(m) if go_throw(m) == *t));
                (class, reached)
            }
            Ok(o) => (
                classify(o, &programs, ms.keys, ms.initial),
                model.outcomes.contains_key(o),
            ),
            Err(_) => (c.outcome.class().to_string(), false),
        };
        row(&mut rows, &class);
        let r = rows.get_mut(&class).unwrap();
        r.go_trials += c.count;
        r.go_outcomes += 1;
        if !reached {
            unreached.push(Unreached {
                class,
                trials: c.count,
                first_trial: c.first_trial,
                go: outcome_json(&c.outcome),
                detail: serde_json::to_value(format!("{:?}", c.detail)).unwrap_or(Value::Null),
            });
        }
    }
    Ok(Report {
        spec: spec_name.to_string(),
        kind: "map".into(),
        trials: file.summary.trials,
        trials_per_s: file.summary.trials_per_s,
        model_states: model.states,
        model_complete: model.complete,
        classes: rows.into_values().collect(),
        unreached,
        histories: 0,
        not_linearizable: 0,
        range_not_snapshot: 0,
        counterexample: None,
    })
}

fn outcome_json(o: &Outcome) -> Value {
    match o {
        Outcome::Throw(t) => json!({"throw": t.throw}),
        Outcome::Map(m) => json!({
            "class": m.class, "count": m.count, "len": m.len, "B": m.b, "flags": m.flags,
            "growing": m.growing, "entries": m.entries, "old_entries": m.old_entries,
            "results": m.results,
        }),
        Outcome::History(h) => json!({"class": h.class}),
    }
}

/// The Go scenario of a syncmap or rwmutex spec: random programs drawn from exactly the
/// spec's parameters (goroutines, ops_per_goroutine, keys, values, ops; syncmap's prefill as
/// initial entries promoted into read.m), a parameter the spec leaves out taking the model's
/// default. The rwmutex model's map operations are run as the RWMutex-guarded map's
/// equivalents: assign as store, access as load, delete as delete.
pub fn sync_scenario(spec: &Spec) -> Result<(Kind, Value), ObserveSetupError> {
    let kind = match spec.model.as_str() {
        "syncmap" => Kind::Syncmap,
        "rwmutex" => Kind::Rwmutex,
        other => {
            return Err(ObserveSetupError {
                field: "model",
                msg: format!("observe runs unsync, syncmap and rwmutex specs (got {other})"),
            })
        }
    };
    let info = checker::models()
        .into_iter()
        .find(|m| m.name == spec.model)
        .ok_or_else(|| ObserveSetupError {
            field: "model",
            msg: format!("model {} is not registered", spec.model),
        })?;
    let default = |name: &str| -> Option<toml::Value> {
        let d = info.params.iter().find(|p| p.name == name)?.default;
        toml::from_str::<toml::Table>(&format!("v = {d}"))
            .ok()?
            .remove("v")
    };
    let param = |name: &str| -> Option<toml::Value> {
        spec.params
            .get(name)
            .map(|v| v.value.clone())
            .or_else(|| default(name))
    };
    let int = |name: &'static str| -> Result<i64, ObserveSetupError> {
        param(name)
            .and_then(|v| v.as_integer())
            .ok_or_else(|| ObserveSetupError {
                field: name,
                msg: format!("params.{name}: an integer is needed"),
            })
    };
    let model_ops: Vec<String> = param("ops")
        .and_then(|v| {
            v.as_array().map(|a| {
                a.iter()
                    .filter_map(|o| o.as_str().map(str::to_string))
                    .collect()
            })
        })
        .ok_or_else(|| ObserveSetupError {
            field: "ops",
            msg: "params.ops: a list of operation names is needed".into(),
        })?;
    let ops: Vec<&str> = model_ops
        .iter()
        .map(|o| match (kind, o.as_str()) {
            (Kind::Rwmutex, "assign") => Ok("store"),
            (Kind::Rwmutex, "access") => Ok("load"),
            (Kind::Rwmutex, "delete") => Ok("delete"),
            (
                Kind::Syncmap,
                op @ ("load" | "store" | "load_or_store" | "load_and_delete" | "delete" | "range"),
            ) => Ok(op),
            (_, other) => Err(ObserveSetupError {
                field: "ops",
                msg: format!("params.ops: {other} has no real-Go counterpart in observe"),
            }),
        })
        .collect::<Result<_, _>>()?;
    let mut scenario = json!({
        "kind": if kind == Kind::Syncmap { "syncmap" } else { "rwmutex" },
        "generate": {
            "goroutines": int("goroutines")?,
            "ops_per_goroutine": int("ops_per_goroutine")?,
            "keys": int("keys")?,
            "values": int("values")?,
            "ops": ops,
        },
    });
    if kind == Kind::Syncmap {
        // The model's prefill: keys k1..kN hold v1 in read.m at the start.
        let prefill = int("prefill")?;
        if prefill > 0 {
            scenario["initial"] = json!((1..=prefill)
                .map(|k| json!([format!("k{k}"), 1]))
                .collect::<Vec<_>>());
            scenario["initial_in_read"] = json!(true);
        }
    }
    Ok((kind, scenario))
}

/// Checks the histories of a sync.Map / RWMutex outcome file.
pub fn compare_sync(spec_name: &str, kind: Kind, file: &OutcomeFile) -> Result<Report, String> {
    let mut report = Report {
        spec: spec_name.to_string(),
        kind: format!("{kind:?}").to_lowercase(),
        trials: file.summary.trials,
        trials_per_s: file.summary.trials_per_s,
        model_states: 0,
        model_complete: true,
        classes: Vec::new(),
        unreached: Vec::new(),
        histories: 0,
        not_linearizable: 0,
        range_not_snapshot: 0,
        counterexample: None,
    };
    let mut rows: BTreeMap<String, ClassRow> = BTreeMap::new();
    for c in &file.outcomes {
        let class = c.outcome.class().to_string();
        let r = rows.entry(class.clone()).or_insert_with(|| ClassRow {
            class: class.clone(),
            model_outcomes: 0,
            model_path_len: None,
            go_trials: 0,
            go_outcomes: 0,
        });
        r.go_trials += c.count;
        r.go_outcomes += 1;
        match &c.outcome {
            Outcome::History(h) => {
                report.histories += c.count;
                if h.class.contains("range_not_snapshot") {
                    report.range_not_snapshot += c.count;
                }
                if let Err(e) = check_history(h, &file.header.scenario.initial) {
                    report.not_linearizable += c.count;
                    report.counterexample.get_or_insert(e);
                }
            }
            Outcome::Throw(t) => {
                // No throw is a behaviour of sync.Map or of a locked map.
                report.unreached.push(Unreached {
                    class: class.clone(),
                    trials: c.count,
                    first_trial: c.first_trial,
                    go: json!({"throw": t.throw}),
                    detail: Value::Null,
                });
            }
            Outcome::Map(_) => return Err("a map outcome in a sync scenario's file".into()),
        }
    }
    if kind == Kind::Rwmutex && report.range_not_snapshot > 0 {
        report.unreached.push(Unreached {
            class: "range_not_snapshot".into(),
            trials: report.range_not_snapshot,
            first_trial: 0,
            go: json!("a Range under RLock that was not a snapshot"),
            detail: Value::Null,
        });
    }
    report.classes = rows.into_values().collect();
    Ok(report)
}

/// Checks one recorded history for linearizability. The scenario's initial entries were
/// stored before the goroutines started: they enter the history as completed Stores of a
/// thread of their own, ahead of every recorded call.
fn check_history(h: &HistoryOutcome, initial: &[(String, u64)]) -> Result<(), String> {
    let recorded = h.calls()?;
    let shift = 2 * initial.len() as u64;
    let mut calls = Vec::with_capacity(initial.len() + recorded.len());
    for (i, (k, v)) in initial.iter().enumerate() {
        let key = crate::observe::key_num(k)
            .ok_or_else(|| format!("initial[{i}]: key {k:?} is not k1..k255"))?;
        let value = u16::try_from(*v).map_err(|_| format!("initial[{i}]: value {v} too large"))?;
        calls.push(history::Call {
            thread: u32::MAX,
            op: SyncOp::Store(key, value),
            ret: Some(SyncRet::Unit),
            invoked: 2 * i as u64,
            returned: 2 * i as u64 + 1,
        });
    }
    calls.extend(recorded.into_iter().map(|mut c| {
        c.invoked += shift;
        c.returned = c.returned.saturating_add(shift);
        c
    }));
    history::check::<SyncMapConformance>(&calls)
        .map_err(|cx| format!("key {}:\n{}", cx.key, history::render(&cx.minimised)))
}

/// Runs the Go harness on a scenario, writing the outcome file `out`.
pub fn run_harness(
    root: &Path,
    scenario: &Value,
    out: &Path,
    trials: Option<u64>,
    seconds: Option<u64>,
) -> Result<(), String> {
    let dir = out.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let sc_path: PathBuf = out.with_extension("scenario.json");
    std::fs::write(&sc_path, serde_json::to_string_pretty(scenario).unwrap())
        .map_err(|e| format!("{}: {e}", sc_path.display()))?;
    let mut cmd = std::process::Command::new(root.join("tests/go-oracle/observe.sh"));
    cmd.arg(&sc_path).arg(out);
    if let Some(t) = trials {
        cmd.arg("-trials").arg(t.to_string());
    }
    if let Some(s) = seconds {
        cmd.arg("-seconds").arg(s.to_string());
    }
    let st = cmd
        .status()
        .map_err(|e| format!("running tests/go-oracle/observe.sh: {e}"))?;
    if !st.success() {
        return Err(format!("tests/go-oracle/observe.sh exited with {st}"));
    }
    Ok(())
}

/// The report as a table.
pub fn report_text(r: &Report) -> String {
    let mut out = format!(
        "{}: {} trials of real Go 1.19 ({:.0}/s){}\n",
        r.spec,
        r.trials,
        r.trials_per_s,
        if r.kind == "map" {
            format!(
                ", model: {} states{}",
                r.model_states,
                if r.model_complete {
                    ""
                } else {
                    " (INCOMPLETE)"
                }
            )
        } else {
            String::new()
        }
    );
    out.push_str(&format!(
        "  {:<44} {:>8} {:>10} {:>12} {:>11}\n",
        "class", "model", "model path", "Go trials", "Go outcomes"
    ));
    for c in &r.classes {
        out.push_str(&format!(
            "  {:<44} {:>8} {:>10} {:>12} {:>11}\n",
            c.class,
            c.model_outcomes,
            c.model_path_len.map_or("-".into(), |l| l.to_string()),
            c.go_trials,
            c.go_outcomes
        ));
    }
    if r.kind != "map" {
        out.push_str(&format!(
            "  histories {}, not linearizable {}, Range not a snapshot {}\n",
            r.histories, r.not_linearizable, r.range_not_snapshot
        ));
        if let Some(cx) = &r.counterexample {
            out.push_str(&format!("  first non-linearizable history, {cx}\n"));
        }
    }
    if r.unreached.is_empty() {
        out.push_str("  inclusion: every outcome real Go produced is one the model reaches\n");
    } else {
        for u in &r.unreached {
            out.push_str(&format!(
                "  NOT IN THE MODEL: {} ({} trials, first trial {}): {}\n    keys: {}\n",
                u.class, u.trials, u.first_trial, u.go, u.detail
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario_of(spec: &str) -> (Kind, Value) {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(spec);
        sync_scenario(&Spec::load(&p).unwrap()).unwrap()
    }

    #[test]
    fn the_go_scenario_is_the_specs_own_parameters() {
        let (kind, sc) = scenario_of("specs/syncmap-range-snapshot.toml");
        assert_eq!(kind, Kind::Syncmap);
        let g = &sc["generate"];
        assert_eq!(
            (g["goroutines"].as_i64(), g["ops_per_goroutine"].as_i64()),
            (Some(2), Some(2))
        );
        assert_eq!(
            (g["keys"].as_i64(), g["values"].as_i64()),
            (Some(2), Some(2))
        );
        assert_eq!(g["ops"], json!(["store", "delete", "range"]));
        assert_eq!(sc["initial"], json!([["k1", 1], ["k2", 1]]));

        let (_, sc) = scenario_of("specs/syncmap-two-goroutines.toml");
        assert_eq!(sc["generate"]["values"].as_i64(), Some(1));
        assert!(sc.get("initial").is_none());
        let ops = sc["generate"]["ops"].as_array().unwrap();
        assert!(!ops.contains(&json!("range")), "{ops:?}");

        let (kind, sc) = scenario_of("specs/rwmutex-two-goroutines.toml");
        assert_eq!(kind, Kind::Rwmutex);
        assert_eq!(sc["generate"]["ops"], json!(["store", "delete", "load"]));
    }

    #[test]
    fn a_history_is_checked_from_the_scenarios_initial_entries() {
        let h = HistoryOutcome {
            class: "clean".into(),
            history: vec![crate::observe::HistoryCall {
                g: 0,
                op: "load".into(),
                key: Some("k1".into()),
                value: None,
                inv: 0,
                ret: 1,
                ok: Some(true),
                result: Some(1),
                actual: None,
                loaded: None,
                yields: None,
            }],
        };
        // A load of k1 that finds v1 is linearizable only if k1 held v1 at the start.
        assert!(check_history(&h, &[("k1".into(), 1)]).is_ok());
        assert!(check_history(&h, &[]).is_err());
        assert!(check_history(&h, &[("k1".into(), 2)]).is_err());
    }
}
