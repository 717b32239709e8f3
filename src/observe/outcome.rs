//! The JSON Lines outcome file of `gomap observe` (docs/observe-format.md): its header, map
//! outcomes, sync.Map / RWMutex histories and throws, each checked against the header's
//! scenario, and the summary whose counts the outcomes must add up to.

use super::*;

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
