//! `gomap bench --targets`: every target of the checker-capacity issue measured in one run,
//! each reported as met, not met (with its distance and its measured cause) or not measured
//! (with the command that measures it).
//!
//! Every search runs in a child process (`gomap bench --child`, [`crate::bench`]), one after
//! the other. The targets:
//! - `hmap-throughput`: DFS and BFS on one thread, every pinned hmap spec over 10^5 states
//!   (found by reading the specs), >= 10^6 unique states/s with the pinned count and verdicts;
//!   cause: transitions per unique state, the share of the search's time that is the
//!   model's own work, timed apart over a sample of states ([`crate::checker::ModelCost`]),
//!   and stateright's floor: the same search of a null model of the run's shape, whose
//!   states cost nothing ([`crate::bench_floor`]);
//! - `memory`: bytes per state (peak memory growth / unique states, `VmHWM`) at most a quarter
//!   of the committed baseline (`bench/baseline.toml`); cause: for BFS, the share of the peak
//!   that is the queue (BFS minus DFS on the same spec), and the rows whose goal is below the
//!   fewest bytes any exact set of that many 64-bit fingerprints can take
//!   ([`exact_set_floor_bytes_per_state`]), where no visited set that keeps every
//!   fingerprint can meet it;
//! - `two-threads`: 2 threads >= 1.7x the states/s of 1 on every spec over 10^6 states, each
//!   in its own strategy, from [`SCALING_ROUNDS`] alternating rounds (1 thread, 2 threads, 1
//!   thread, ...) and the median run of each; cause: the cores each run had (CPU time / wall
//!   time), the states per CPU-second, and the ratio stateright alone gets on a null model of
//!   the spec's shape in the same rounds;
//! - `capacity-*`: each spec of [`CAPACITY_SPECS`] complete within 600 s and 16 GiB, with
//!   every interleaving (a spec with `max_preemptions` is not met however fast it is); an
//!   incomplete run of a spec whose size a complete run pinned is measured against that
//!   count: the share searched, and the time the measured rate needs for all of it;
//! - `main-job`: the wall time of `gomap check specs/`, run as a child;
//! - `port`: the rows `scripts/bench-port.sh` wrote (`target/bench-port/rows.tsv`), none
//!   slower than Go.

use crate::bench::{self, ChildExtras, Measure};
use crate::bench_floor::{self, FloorRun, Shape};
use crate::checker::{collect_spec_paths, Spec, Strategy};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The capacity specs of the issue: (name, path from the repository root). A missing file is
/// reported as "spec missing" (not met).
pub const CAPACITY_SPECS: &[(&str, &str)] = &[
    (
        "syncmap",
        "specs/slow/syncmap-three-goroutines-two-ops-two-keys.toml",
    ),
    (
        "unsync",
        "specs/slow/unsync-three-goroutines-two-ops-two-keys-every-interleaving.toml",
    ),
    (
        "rwmutex",
        "specs/rwmutex-three-goroutines-two-ops-two-keys.toml",
    ),
];

/// A configuration's goroutines, operations per goroutine and keys.
pub type Gok = (u32, u32, u32);

/// Complete searches that estimate the size of a capacity spec no search on this machine
/// completes ([`size_estimate`]): the capacity spec's name, and its configuration with fewer
/// goroutines, operations per goroutine or keys, one spec each (paths from the repository
/// root).
pub const SIZE_SPECS: &[(&str, &[(Gok, &str)])] = &[(
    "unsync",
    &[
        ((2, 1, 1), "specs/slow/size/unsync-2x1x1.toml"),
        ((2, 1, 2), "specs/slow/size/unsync-2x1x2.toml"),
        ((2, 2, 1), "specs/slow/size/unsync-2x2x1.toml"),
        ((2, 2, 2), "specs/slow/size/unsync-2x2x2.toml"),
        ((3, 1, 1), "specs/slow/size/unsync-3x1x1.toml"),
        ((3, 1, 2), "specs/slow/size/unsync-3x1x2.toml"),
    ],
)];

/// A size that differs from `base` in two dimensions, from the two sizes that each differ
/// from `base` in one of them (the growth along one dimension carried to the other):
/// N(a and b) ~ N(a) * N(b) / N(base).
pub fn product_rule(a: f64, b: f64, base: f64) -> f64 {
    a * b / base
}

/// The estimated size of the 3 x 2 x 2 configuration, and the product rule tried where the
/// counts know the answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SizeEstimate {
    /// N(3,2,2) ~ N(3,1,2) * N(2,2,2) / N(2,1,2): the growth from one to two operations per
    /// goroutine, measured with two goroutines, carried to three.
    pub estimate: f64,
    /// The same rule on counts that are known: (configuration, estimated, counted).
    pub tries: Vec<(Gok, f64, usize)>,
}

/// The count of configuration `c` among `counts`, if there is one and it is not 0.
fn count_of(counts: &[(Gok, usize)], c: Gok) -> Option<usize> {
    counts
        .iter()
        .find(|(k, _)| *k == c)
        .map(|&(_, v)| v)
        .filter(|&v| v > 0)
}

/// [`SizeEstimate`] from the complete counts of the six configurations of [`SIZE_SPECS`];
/// None if one is missing.
pub fn size_estimate(counts: &[(Gok, usize)]) -> Option<SizeEstimate> {
    let n = |c: Gok| count_of(counts, c).map(|v| v as f64);
    let estimate = product_rule(n((3, 1, 2))?, n((2, 2, 2))?, n((2, 1, 2))?);
    let tries = vec![
        (
            (2, 2, 2),
            product_rule(n((2, 1, 2))?, n((2, 2, 1))?, n((2, 1, 1))?),
            n((2, 2, 2))? as usize,
        ),
        (
            (3, 1, 2),
            product_rule(n((3, 1, 1))?, n((2, 1, 2))?, n((2, 1, 1))?),
            n((3, 1, 2))? as usize,
        ),
    ];
    Some(SizeEstimate { estimate, tries })
}

/// A count in the form 1.41 x 10^11.
fn sci(x: f64) -> String {
    if !(x.is_finite() && x >= 1.0) {
        return format!("{x:.3}");
    }
    let e = x.log10().floor() as i32;
    format!("{:.2} x 10^{e}", x / 10f64.powi(e))
}

/// Unique states per second the hmap specs must reach on one core.
pub const THROUGHPUT_GOAL: f64 = 1e6;
/// Pinned unique states above which an hmap spec is held to [`THROUGHPUT_GOAL`].
pub const THROUGHPUT_MIN_STATES: usize = 100_000;
/// Two threads' states/s over one thread's.
pub const SCALING_GOAL: f64 = 1.7;
/// Pinned unique states above which a spec is held to [`SCALING_GOAL`].
pub const SCALING_MIN_STATES: usize = 1_000_000;
/// Rounds of the two-thread target: each round runs the spec with 1 thread and then with 2,
/// and the ratio is that of the median runs. Single runs on a shared 2-core machine move by
/// up to 1.4x, which one run per configuration would read as the ratio.
pub const SCALING_ROUNDS: usize = 3;
/// New bytes per state over the baseline's.
pub const MEMORY_GOAL: f64 = 0.25;
/// Seconds and MiB a capacity spec may take.
pub const CAPACITY_SECS: u64 = 600;
pub const CAPACITY_MIB: u64 = 16 * 1024;
/// Seconds the main job (`gomap check specs/`) may take.
pub const MAIN_JOB_SECS: f64 = 180.0;
/// The port's time over Go's on its slowest row.
pub const PORT_GOAL: f64 = 1.0;
/// Where `scripts/bench-port.sh` writes its rows.
pub const PORT_ROWS: &str = "target/bench-port/rows.tsv";
/// States sampled to time the model apart from the checker.
const COST_SAMPLE: usize = 20_000;
const COST_SAMPLE_QUICK: usize = 2_000;

/// The baseline of bytes per state, compiled in.
const BASELINE: &str = include_str!("../bench/baseline.toml");

#[derive(Debug, Deserialize)]
pub struct Baseline {
    pub source: String,
    pub row: Vec<BaselineRow>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct BaselineRow {
    pub spec: String,
    pub config: String,
    pub unique_states: usize,
    pub bytes_per_state: f64,
}

/// The committed baseline of bytes per state.
pub fn baseline() -> Result<Baseline, String> {
    toml::from_str(BASELINE).map_err(|e| format!("bench/baseline.toml: {e}"))
}

/// A target's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Status {
    #[serde(rename = "met")]
    Met,
    #[serde(rename = "not met")]
    NotMet,
    #[serde(rename = "not measured")]
    NotMeasured,
}

impl Status {
    pub fn text(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::NotMet => "not met",
            Status::NotMeasured => "not measured",
        }
    }
    /// The status of a target made of rows: not met if a row is not met, else not measured
    /// if a row is not measured (or there is none), else met.
    fn of_rows(rows: impl IntoIterator<Item = Status>) -> Status {
        let mut any = false;
        let mut unmeasured = false;
        for s in rows {
            any = true;
            match s {
                Status::NotMet => return Status::NotMet,
                Status::NotMeasured => unmeasured = true,
                Status::Met => {}
            }
        }
        if !any || unmeasured {
            Status::NotMeasured
        } else {
            Status::Met
        }
    }
}

/// Whether a bigger value is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    Higher,
    Lower,
}

impl Better {
    /// How far `value` is from `goal`, as a factor > 1, when it misses it.
    pub fn shortfall(self, value: f64, goal: f64) -> Option<f64> {
        match self {
            Better::Higher if value < goal && value > 0.0 => Some(goal / value),
            Better::Lower if value > goal && goal > 0.0 => Some(value / goal),
            _ => None,
        }
    }
    pub fn meets(self, value: f64, goal: f64) -> bool {
        match self {
            Better::Higher => value >= goal,
            Better::Lower => value <= goal,
        }
    }
}

/// One target of the report.
#[derive(Clone, Debug, Serialize)]
pub struct Target {
    pub id: String,
    pub name: String,
    /// The target, as the issue states it.
    pub target: String,
    pub status: Status,
    /// What was measured, in a sentence.
    pub measured: String,
    /// The deciding value (the worst row), when measured.
    pub value: Option<f64>,
    pub goal: f64,
    pub unit: String,
    pub better: Better,
    /// How far from the goal, when not met (e.g. "2.40x short").
    pub distance: Option<String>,
    /// The same as a factor > 1, when it is one.
    pub distance_factor: Option<f64>,
    /// The measured cause (and what each figure in it is).
    pub cause: String,
    /// The command that measures this target alone.
    pub command: String,
    /// The rows the value is the worst of.
    pub rows: serde_json::Value,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub quick: bool,
    pub budget_secs: u64,
    pub targets: Vec<Target>,
}

/// Options of a run.
pub struct Options {
    pub quick: bool,
    /// Seconds each search may take (capacity searches: at most [`CAPACITY_SECS`]).
    pub budget: u64,
    /// The specs folder (its *.toml files, as `gomap check` reads it).
    pub specs_dir: PathBuf,
    /// The rows of `scripts/bench-port.sh`.
    pub port_rows: PathBuf,
    /// Print a line on stderr before each search.
    pub progress: bool,
}

/// The runs of one report, by (spec path, config): each configuration of a spec runs once and
/// every target that needs it reads it.
struct Runs<'a> {
    opts: &'a Options,
    done: Vec<(PathBuf, String, Result<Measure, String>)>,
    failed: bool,
}

impl Runs<'_> {
    fn get(&mut self, spec: &Spec, config: &str, extras: ChildExtras) -> Result<Measure, String> {
        if let Some((_, _, r)) = self
            .done
            .iter()
            .find(|(p, c, _)| *p == spec.path && c == config)
        {
            return r.clone();
        }
        let budget = match extras.max_memory_mb {
            Some(_) => self.opts.budget.min(CAPACITY_SECS),
            None => self.opts.budget,
        };
        if self.opts.progress {
            eprintln!("bench --targets: {} {config} ...", spec.name);
        }
        let r = bench::run_child_with(&spec.path, config, budget, extras);
        if r.is_err() {
            self.failed = true;
        }
        self.done
            .push((spec.path.clone(), config.to_string(), r.clone()));
        r
    }
}

impl Runs<'_> {
    /// The `round`th run of a configuration: round 0 is the one every target shares
    /// ([`Runs::get`]); later rounds run again, unshared.
    fn round(&mut self, spec: &Spec, config: &str, round: usize) -> Result<Measure, String> {
        if round == 0 {
            return self.get(spec, config, ChildExtras::default());
        }
        if self.opts.progress {
            eprintln!(
                "bench --targets: {} {config} (round {}) ...",
                spec.name,
                round + 1
            );
        }
        let r = bench::run_child_with(&spec.path, config, self.opts.budget, ChildExtras::default());
        if r.is_err() {
            self.failed = true;
        }
        r
    }
}

impl Runs<'_> {
    /// stateright's floor for `shape` ([`crate::bench_floor`]), searched in this process.
    fn floor(&mut self, shape: &Shape, strategy: Strategy, threads: usize) -> FloorRun {
        if self.opts.progress {
            eprintln!(
                "bench --targets: null model, {} states, {:.2} per state, depth {}, {} properties, {strategy:?}, {threads} thread(s) ...",
                shape.unique_states, shape.branching, shape.layers, shape.properties
            );
        }
        let f = bench_floor::run(shape, strategy, threads);
        if !f.held {
            // Every property of the null model holds: a discovery means it is broken.
            self.failed = true;
        }
        f
    }
}

/// The null model's shape for a spec's run.
fn shape_of(m: &Measure) -> Shape {
    Shape::of(
        m.unique_states,
        m.total_states,
        m.max_depth,
        m.model_properties,
    )
}

/// The throughput target's sentence on stateright's floor, for the runs `rows` and the
/// slowest one `w`.
fn floor_cause(rows: &[ThroughputRow], w: &ThroughputRow) -> String {
    let floors: Vec<(&ThroughputRow, f64)> = rows
        .iter()
        .filter_map(|r| r.floor_states_per_sec.map(|f| (r, f)))
        .collect();
    if floors.is_empty() {
        return String::new();
    }
    let range = |dfs: bool| {
        let v: Vec<f64> = floors
            .iter()
            .filter(|(r, _)| (r.config == "dfs") == dfs)
            .map(|(_, f)| *f)
            .collect();
        if v.is_empty() {
            "none".to_string()
        } else {
            let (lo, hi) = min_max(&v);
            format!("{}-{}", thousands(lo), thousands(hi))
        }
    };
    let under = floors.iter().filter(|(_, f)| *f < THROUGHPUT_GOAL).count();
    let mut c = format!(
        ". stateright's floor (a null model of each run's shape: as many unique states, transitions per state, depth and properties, and a state that is one u64, so that the model's steps, copies, hashes and drops cost nothing; same strategy, one thread): DFS {}, BFS {} unique states/s; {under} of {} runs have a floor under 10^6, where no model can meet the goal with this checker on this machine",
        range(true),
        range(false),
        floors.len()
    );
    if let (Some(f), Some(v)) = (w.floor_states_per_sec, w.states_per_sec) {
        c += &format!(
            "; the slowest run's floor is {} unique states/s and the run reaches {} of it, so stateright's own loop is about {} of the run's time",
            thousands(f),
            pct(v / f),
            pct(v / f)
        );
        if let Some(k) = w.checker_share.filter(|k| *k >= v / f) {
            c += &format!(
                ", and the other {} of the checker's share is what this model's states cost inside that loop (copies into the {}, drops of duplicates, allocation, memory traffic)",
                pct(k - v / f),
                if w.config.starts_with("bfs") {
                    "queue"
                } else {
                    "stack"
                }
            );
        }
    }
    // The step's budget: what each run's floor leaves the model per transition, against what
    // the model's step alone costs.
    let budgets: Vec<(f64, f64)> = rows
        .iter()
        .filter_map(|r| Some((r.step_budget_ns?, r.step_ns?)))
        .collect();
    if !budgets.is_empty() {
        let span = |v: Vec<f64>| {
            let (lo, hi) = min_max(&v);
            format!("{lo:.0}-{hi:.0}")
        };
        let over = budgets.iter().filter(|(b, s)| s > b).count();
        c += &format!(
            ". For a run to reach 10^6 on its floor F, everything the model adds (steps, properties, hashing, its states' copies in the loop) may cost at most 1/10^6 - 1/F per unique state: over each run's transitions per state, {} ns per transition (step_budget_ns), while the model's step alone, timed apart, costs {} ns; the step alone exceeds its run's budget on {over} of {} runs with a floor over 10^6",
            span(budgets.iter().map(|b| b.0).collect()),
            span(budgets.iter().map(|b| b.1).collect()),
            budgets.len()
        );
    }
    c
}

/// The run with the median states/s (the lower middle one of an even count).
fn median_run(mut v: Vec<Measure>) -> Option<Measure> {
    v.sort_by(|a, b| rate(a).total_cmp(&rate(b)));
    let mid = v.len().checked_sub(1)? / 2;
    Some(v.swap_remove(mid))
}

/// The median of `v` (the lower middle one of an even count), as [`median_run`] picks runs.
fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(|a, b| a.total_cmp(b));
    let mid = v.len().checked_sub(1)? / 2;
    Some(v[mid])
}

fn pinned(spec: &Spec) -> Option<usize> {
    spec.unique_states.map(|(n, _)| n)
}

/// The specs a per-spec target measures: searched exhaustively (not simulated), pinned at
/// more than `min_states` unique states, and `also`; smallest first, only the smallest with
/// `quick`. Also returns how many qualify in all.
fn qualifying(
    specs: &[Spec],
    min_states: usize,
    quick: bool,
    also: impl Fn(&Spec) -> bool,
) -> (Vec<&Spec>, usize) {
    let mut chosen: Vec<&Spec> = specs
        .iter()
        .filter(|s| {
            s.strategy != Strategy::Simulation
                && pinned(s).is_some_and(|n| n > min_states)
                && also(s)
        })
        .collect();
    chosen.sort_by_key(|s| pinned(s));
    let all = chosen.len();
    if quick {
        chosen.truncate(1);
    }
    (chosen, all)
}

fn rate(m: &Measure) -> f64 {
    m.states_per_sec
}

fn bytes_per_state(m: &Measure) -> Option<f64> {
    (m.unique_states > 0)
        .then(|| m.peak_rss.saturating_sub(m.base_rss) as f64 / m.unique_states as f64)
}

/// Of [`bytes_per_state`], the file-backed pages the search made resident (`RssFile` after
/// the search less before it, per unique state): the binary's code it ran for the first
/// time, counted by `VmHWM` but neither visited set nor queue. None for a child that did not
/// report them.
fn file_bytes_per_state(m: &Measure) -> Option<f64> {
    (m.unique_states > 0 && m.base_file_rss > 0)
        .then(|| m.end_file_rss.saturating_sub(m.base_file_rss) as f64 / m.unique_states as f64)
}

/// `n` with thousands separators.
fn thousands(n: f64) -> String {
    let s = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// The least and the greatest of `v` (the greatest no less than 0: every figure these
/// ranges print is).
fn min_max(v: &[f64]) -> (f64, f64) {
    (
        v.iter().cloned().fold(f64::INFINITY, f64::min),
        v.iter().cloned().fold(0.0, f64::max),
    )
}

/// `lo-hi` of percentages, or one if they are equal as printed.
fn pct_range(lo: f64, hi: f64) -> String {
    if pct(lo) == pct(hi) {
        pct(lo)
    } else {
        format!("{}-{}", pct(lo), pct(hi))
    }
}

/// Sets a target's status, value, distance from its rows' worst value.
fn decide(t: &mut Target, status: Status, value: Option<f64>) {
    t.status = status;
    t.value = value;
    if status == Status::NotMet {
        if let Some(f) = value.and_then(|v| t.better.shortfall(v, t.goal)) {
            t.distance_factor = Some(f);
            t.distance = Some(match t.better {
                Better::Higher => format!("{f:.2}x short"),
                Better::Lower => format!("{f:.2}x over"),
            });
        }
    }
}

fn target(id: &str, name: &str, goal_text: &str, goal: f64, unit: &str, better: Better) -> Target {
    Target {
        id: id.into(),
        name: name.into(),
        target: goal_text.into(),
        status: Status::NotMeasured,
        measured: String::new(),
        value: None,
        goal,
        unit: unit.into(),
        better,
        distance: None,
        distance_factor: None,
        cause: String::new(),
        command: String::new(),
        rows: serde_json::Value::Array(vec![]),
    }
}

/// The name of a 1- or 2-thread configuration in `strategy`.
fn config_name(strategy: Strategy, threads: usize) -> &'static str {
    match (strategy, threads) {
        (Strategy::Bfs, 1) => "bfs1",
        (Strategy::Bfs, _) => "bfs2",
        (_, 1) => "dfs",
        _ => "dfs2",
    }
}

#[derive(Serialize)]
struct ThroughputRow {
    spec: String,
    config: String,
    status: Status,
    unique_states: Option<usize>,
    pinned_states: Option<usize>,
    seconds: Option<f64>,
    states_per_sec: Option<f64>,
    complete: Option<bool>,
    /// Verdicts and pinned count as expected.
    ok: Option<bool>,
    /// Generated states (transitions) per unique state.
    transitions_per_state: Option<f64>,
    /// Model's `actions` + `next_state` per transition, ns (sample).
    step_ns: Option<f64>,
    /// Hashing a successor (fingerprint), ns (sample).
    hash_ns: Option<f64>,
    /// Symmetry representative per transition, ns (sample).
    representative_ns: Option<f64>,
    /// Every property per state, ns (sample).
    properties_ns: Option<f64>,
    /// The run's CPU time over its wall time: the cores it had.
    cores: Option<f64>,
    /// Unique states per CPU-second.
    states_per_cpu_sec: Option<f64>,
    /// Share of the search's CPU time that is the model's step, representative and properties.
    model_share: Option<f64>,
    /// Share that is hashing states.
    hash_share: Option<f64>,
    /// The rest: the checker's visited set, queue or stack, paths, allocation.
    checker_share: Option<f64>,
    /// stateright's floor: unique states/s of a null model of this run's shape, same
    /// strategy, one thread ([`crate::bench_floor`]).
    floor_states_per_sec: Option<f64>,
    /// The null model's own transitions per unique state and unique states.
    floor_transitions_per_state: Option<f64>,
    floor_unique_states: Option<usize>,
    /// What the model may add per transition (its step, properties, hashing, and what its
    /// states cost inside the checker's loop), ns, for this run to reach the goal given its
    /// floor: (1/goal - 1/floor) per unique state over the run's transitions per state. None
    /// where the floor is under the goal (no model can reach it) or was not measured.
    step_budget_ns: Option<f64>,
    note: Option<String>,
}

/// [`ThroughputRow::step_budget_ns`] for a run of `transitions_per_state` whose floor is
/// `floor` unique states/s.
fn step_budget_ns(floor: f64, transitions_per_state: Option<f64>) -> Option<f64> {
    let tps = transitions_per_state.filter(|t| *t > 0.0)?;
    (floor > THROUGHPUT_GOAL).then(|| (1e9 / THROUGHPUT_GOAL - 1e9 / floor) / tps)
}

fn throughput_row(spec: &Spec, config: &str, r: Result<Measure, String>) -> ThroughputRow {
    let mut row = ThroughputRow {
        spec: spec.name.clone(),
        config: config.into(),
        status: Status::NotMeasured,
        unique_states: None,
        pinned_states: pinned(spec),
        seconds: None,
        states_per_sec: None,
        complete: None,
        ok: None,
        transitions_per_state: None,
        step_ns: None,
        hash_ns: None,
        representative_ns: None,
        properties_ns: None,
        cores: None,
        states_per_cpu_sec: None,
        model_share: None,
        hash_share: None,
        checker_share: None,
        floor_states_per_sec: None,
        floor_transitions_per_state: None,
        floor_unique_states: None,
        step_budget_ns: None,
        note: None,
    };
    let m = match r {
        Ok(m) => m,
        Err(e) => {
            row.note = Some(e);
            return row;
        }
    };
    row.unique_states = Some(m.unique_states);
    row.seconds = Some(m.seconds);
    row.states_per_sec = Some(rate(&m));
    row.complete = Some(m.complete);
    row.ok = Some(m.ok);
    if m.unique_states > 0 {
        row.transitions_per_state = Some(m.total_states as f64 / m.unique_states as f64);
    }
    let cpu = m.cpu_seconds.filter(|c| *c > 0.0);
    if let Some(c) = cpu {
        row.cores = (m.seconds > 0.0).then(|| c / m.seconds);
        row.states_per_cpu_sec = Some(m.unique_states as f64 / c);
    }
    if let Some(c) = &m.cost {
        row.step_ns = Some(c.step_ns);
        row.hash_ns = Some(c.hash_ns);
        row.representative_ns = c.representative.then_some(c.representative_ns);
        row.properties_ns = Some(c.properties_ns);
        // The search's CPU time (wall time where it cannot be read): on a shared machine a
        // run does not have its core all the time.
        let search_ns = cpu.unwrap_or(m.seconds) * 1e9;
        if search_ns > 0.0 {
            let total = m.total_states as f64;
            let unique = m.unique_states as f64;
            let model = (c.step_ns + c.representative_ns) * total + c.properties_ns * unique;
            // With a representative, stateright hashes it and, for a new state, the state
            // itself.
            let hashes = total + if c.representative { unique } else { 0.0 };
            let hash = c.hash_ns * hashes;
            row.model_share = Some(model / search_ns);
            row.hash_share = Some(hash / search_ns);
            row.checker_share = Some(1.0 - (model + hash) / search_ns);
        }
    }
    let fast = rate(&m) >= THROUGHPUT_GOAL;
    row.status = if m.complete && !m.ok {
        row.note = Some("verdicts or pinned count differ".into());
        Status::NotMet
    } else if !fast {
        if !m.complete {
            row.note = m.stopped_by.as_ref().map(|w| format!("capped: {w}"));
        }
        Status::NotMet
    } else if m.complete {
        Status::Met
    } else {
        row.note = Some(format!(
            "capped ({}) before the count and verdicts could be compared",
            m.stopped_by.as_deref().unwrap_or("?")
        ));
        Status::NotMeasured
    };
    row
}

fn throughput(specs: &[Spec], runs: &mut Runs, quick: bool) -> Target {
    let mut t = target(
        "hmap-throughput",
        "hmap throughput",
        ">= 10^6 unique states/s on one core with DFS and with BFS, on every pinned hmap spec over 10^5 states; same state counts and verdicts",
        THROUGHPUT_GOAL,
        "states/s",
        Better::Higher,
    );
    t.command = "gomap bench --configs dfs,bfs1 specs/<each hmap spec over 10^5 states>.toml (or gomap bench --targets)".into();
    let (chosen, all) = qualifying(specs, THROUGHPUT_MIN_STATES, quick, |s| s.model == "hmap");
    let sample = if quick {
        COST_SAMPLE_QUICK
    } else {
        COST_SAMPLE
    };
    let extras = ChildExtras {
        cost_sample: Some(sample),
        max_memory_mb: None,
    };
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for s in &chosen {
        for config in ["dfs", "bfs1"] {
            // stateright ignores a representative function under BFS: it would search the
            // unreduced space (a spec whose model cannot be built fails in its child).
            if config == "bfs1" && bench::bfs_ignores_symmetry(s) {
                skipped.push(s.name.clone());
                continue;
            }
            let r = runs.get(s, config, extras);
            let shape = r.as_ref().ok().map(shape_of);
            let mut row = throughput_row(s, config, r);
            if let Some(shape) = shape {
                let strategy = if config == "dfs" {
                    Strategy::Dfs
                } else {
                    Strategy::Bfs
                };
                let f = runs.floor(&shape, strategy, 1);
                row.floor_states_per_sec = Some(f.states_per_sec);
                row.floor_transitions_per_state = Some(f.transitions_per_state());
                row.floor_unique_states = Some(f.unique_states);
                row.step_budget_ns = step_budget_ns(f.states_per_sec, row.transitions_per_state);
            }
            rows.push(row);
        }
    }
    let status = Status::of_rows(rows.iter().map(|r| r.status));
    let worst = rows
        .iter()
        .filter(|r| r.states_per_sec.is_some())
        .min_by(|a, b| a.states_per_sec.partial_cmp(&b.states_per_sec).unwrap());
    let rates: Vec<f64> = rows.iter().filter_map(|r| r.states_per_sec).collect();
    let (lo, hi) = min_max(&rates);
    t.measured = if rows.is_empty() {
        "no pinned hmap spec over 10^5 states found".into()
    } else {
        format!(
            "{} of {all} hmap specs over 10^5 states, {} runs: {}-{} unique states/s{}{}",
            chosen.len(),
            rows.len(),
            thousands(lo),
            thousands(hi),
            if quick {
                " (quick: the smallest spec only)"
            } else {
                ""
            },
            if skipped.is_empty() {
                String::new()
            } else {
                format!(
                    "; BFS not run on {} (symmetry: DFS only)",
                    skipped.join(", ")
                )
            }
        )
    };
    decide(&mut t, status, worst.and_then(|r| r.states_per_sec));
    if t.status == Status::NotMet && t.distance.is_none() {
        let n = rows.iter().filter(|r| r.ok == Some(false)).count();
        t.distance = Some(format!("verdicts or pinned count differ on {n} runs"));
    }
    if let Some(w) = worst {
        let mut c = format!(
            "slowest run {} {}: {} unique states/s",
            w.spec,
            w.config,
            thousands(w.states_per_sec.unwrap_or(0.0))
        );
        if let (Some(k), Some(r)) = (w.cores, w.states_per_cpu_sec) {
            c += &format!(
                " on {k:.2} cores (CPU time over wall time; {} unique states per CPU-second)",
                thousands(r)
            );
        }
        if let Some(tp) = w.transitions_per_state {
            c += &format!(
                ", {tp:.2} transitions per unique state ({} transitions/s)",
                thousands(w.states_per_sec.unwrap_or(0.0) * tp)
            );
        }
        if let (Some(m), Some(h), Some(k)) = (w.model_share, w.hash_share, w.checker_share) {
            c += &format!(
                "; of its CPU time, the model's steps and properties {} ({:.0} ns per transition, {:.0} ns of properties per state), hashing states {} ({:.0} ns each), the checker's own work (visited set, {}, paths, allocation) the remaining {}",
                pct(m),
                w.step_ns.unwrap_or(0.0) + w.representative_ns.unwrap_or(0.0),
                w.properties_ns.unwrap_or(0.0),
                pct(h),
                w.hash_ns.unwrap_or(0.0),
                if w.config.starts_with("bfs") { "queue" } else { "stack" },
                pct(k.max(0.0))
            );
            if k < 0.0 {
                c += " (the sample's states cost more than the search's average: deep states are over-represented in random walks)";
            }
        }
        c += &floor_cause(&rows, w);
        c += &format!(
            ". Model figures: each piece timed alone, in thread CPU time, over about {sample} states reached by random walks, times the run's transitions and states, over its CPU time"
        );
        t.cause = c;
    }
    t.rows = serde_json::to_value(&rows).unwrap_or_default();
    t
}

#[derive(Serialize)]
struct MemoryRow {
    spec: String,
    config: String,
    status: Status,
    baseline_bytes_per_state: f64,
    baseline_states: usize,
    unique_states: Option<usize>,
    bytes_per_state: Option<f64>,
    /// Measured over baseline.
    ratio: Option<f64>,
    peak_mib: Option<f64>,
    /// BFS rows: the share of the peak growth that is the queue (BFS minus DFS bytes per
    /// state, on the same spec in this run, over BFS's).
    queue_share: Option<f64>,
    /// Of `bytes_per_state`, the file-backed pages the search made resident
    /// ([`file_bytes_per_state`]).
    file_bytes_per_state: Option<f64>,
    /// The fewest bytes per state any exact set of this row's unique states (as 64-bit
    /// fingerprints) can take ([`exact_set_floor_bytes_per_state`]), and whether the goal
    /// (a quarter of the baseline) is below it: then no visited set that keeps every
    /// fingerprint can meet the goal on this row, whatever else the search saves.
    exact_set_floor_bytes_per_state: Option<f64>,
    goal_below_exact_set_floor: Option<bool>,
    note: Option<String>,
}

/// The least number of bytes per element that any exact representation of a set of `n`
/// distinct 64-bit fingerprints takes: it must tell apart all C(2^64, n) such sets, so it
/// needs log2 C(2^64, n) bits, about 64 - log2(n) + log2(e) per element. Computed as a lower
/// bound: log2(2^64 (2^64 - 1) ... (2^64 - n + 1)) >= n log2(2^64 - n + 1), and log2(n!) at
/// most Stirling's n ln n - n + ln(2 pi n)/2 + 1/(12 n), over ln 2.
pub fn exact_set_floor_bytes_per_state(n: usize) -> Option<f64> {
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let m = 2f64.powi(64);
    let falling = nf * (64.0 + (-(nf - 1.0) / m).ln_1p() / std::f64::consts::LN_2);
    let ln_fact =
        nf * nf.ln() - nf + (2.0 * std::f64::consts::PI * nf).ln() / 2.0 + 1.0 / (12.0 * nf);
    let bits = falling - ln_fact / std::f64::consts::LN_2;
    Some(bits / 8.0 / nf)
}

fn memory(specs: &[Spec], runs: &mut Runs, quick: bool) -> Result<Target, String> {
    let base = baseline()?;
    let mut t = target(
        "memory",
        "bytes per state",
        "bytes per state (visited set + queue, by VmHWM) at most a quarter of today's (bench/baseline.toml)",
        MEMORY_GOAL,
        "new/baseline",
        Better::Lower,
    );
    t.command =
        "gomap bench SPEC (B/state column) against bench/baseline.toml, or gomap bench --targets"
            .into();
    let mut rows = Vec::new();
    let mut dfs_bps: Vec<(String, f64)> = Vec::new();
    for b in &base.row {
        let floor = exact_set_floor_bytes_per_state(b.unique_states);
        let mut row = MemoryRow {
            spec: b.spec.clone(),
            config: b.config.clone(),
            status: Status::NotMeasured,
            baseline_bytes_per_state: b.bytes_per_state,
            baseline_states: b.unique_states,
            unique_states: None,
            bytes_per_state: None,
            ratio: None,
            peak_mib: None,
            queue_share: None,
            file_bytes_per_state: None,
            exact_set_floor_bytes_per_state: floor,
            goal_below_exact_set_floor: floor.map(|f| b.bytes_per_state * MEMORY_GOAL < f),
            note: None,
        };
        let Some(spec) = specs.iter().find(|s| s.name == b.spec) else {
            row.note = Some("spec no longer in specs/".into());
            rows.push(row);
            continue;
        };
        if pinned(spec) != Some(b.unique_states) {
            row.note = Some(format!(
                "not comparable: the state space changed (pinned {}, baseline {})",
                pinned(spec).map(|n| n.to_string()).unwrap_or("none".into()),
                b.unique_states
            ));
            rows.push(row);
            continue;
        }
        if quick
            && !runs
                .done
                .iter()
                .any(|(p, c, _)| *p == spec.path && *c == b.config)
        {
            row.note = Some("quick: not run".into());
            rows.push(row);
            continue;
        }
        let extras = ChildExtras::default();
        // A run the throughput target made (with a cost sample) is the same search.
        let r = match runs
            .done
            .iter()
            .find(|(p, c, _)| *p == spec.path && *c == b.config)
        {
            Some((_, _, r)) => r.clone(),
            None => runs.get(spec, &b.config, extras),
        };
        match r {
            Err(e) => row.note = Some(e),
            Ok(m) => {
                row.unique_states = Some(m.unique_states);
                row.peak_mib = Some(m.peak_rss as f64 / (1024.0 * 1024.0));
                row.bytes_per_state = bytes_per_state(&m);
                row.file_bytes_per_state = file_bytes_per_state(&m);
                row.ratio = row.bytes_per_state.map(|x| x / b.bytes_per_state);
                if b.config == "dfs" {
                    if let Some(x) = row.bytes_per_state {
                        dfs_bps.push((b.spec.clone(), x));
                    }
                }
                row.status = if !m.complete {
                    row.note = Some(format!(
                        "capped ({}): not comparable",
                        m.stopped_by.as_deref().unwrap_or("?")
                    ));
                    Status::NotMeasured
                } else if row.ratio.is_some_and(|r| r <= MEMORY_GOAL) {
                    Status::Met
                } else {
                    Status::NotMet
                };
            }
        }
        rows.push(row);
    }
    for row in rows.iter_mut().filter(|r| r.config.starts_with("bfs")) {
        if let (Some(b), Some((_, d))) = (
            row.bytes_per_state,
            dfs_bps.iter().find(|(s, _)| *s == row.spec),
        ) {
            if b > 0.0 {
                row.queue_share = Some(((b - d) / b).max(0.0));
            }
        }
    }
    let measured: Vec<&MemoryRow> = rows
        .iter()
        .filter(|r| r.status != Status::NotMeasured)
        .collect();
    let status = Status::of_rows(measured.iter().map(|r| r.status));
    let worst = measured
        .iter()
        .filter(|r| r.ratio.is_some())
        .max_by(|a, b| a.ratio.partial_cmp(&b.ratio).unwrap());
    let not_comparable = rows
        .iter()
        .filter(|r| {
            r.note
                .as_deref()
                .is_some_and(|n| n.starts_with("not comparable"))
        })
        .count();
    t.measured = format!(
        "{} of {} baseline rows measured and comparable ({} not comparable: state space changed); new/baseline {}",
        measured.len(),
        rows.len(),
        not_comparable,
        match (
            measured.iter().filter_map(|r| r.ratio).fold(f64::INFINITY, f64::min),
            worst.and_then(|w| w.ratio)
        ) {
            (lo, Some(hi)) => format!("{lo:.2}-{hi:.2}"),
            _ => "-".into(),
        }
    );
    decide(&mut t, status, worst.and_then(|w| w.ratio));
    let shares: Vec<f64> = measured.iter().filter_map(|r| r.queue_share).collect();
    let mut c = String::new();
    if let Some(w) = worst {
        c += &format!(
            "worst {} {}: {:.0} bytes/state against {:.0}",
            w.spec,
            w.config,
            w.bytes_per_state.unwrap_or(0.0),
            w.baseline_bytes_per_state
        );
        if let Some(q) = w.queue_share {
            c += &format!(
                ", of which the queue {} (BFS minus DFS on the same spec)",
                pct(q)
            );
        }
    }
    if !shares.is_empty() {
        let (lo, hi) = min_max(&shares);
        c += &format!(
            "; on the BFS rows the queue is {} of the peak growth (BFS bytes/state minus DFS bytes/state of the same spec in this run, over BFS's)",
            pct_range(lo, hi)
        );
    }
    // The binary's pages among the growth of the rows that miss the goal.
    let missed: Vec<(&&MemoryRow, f64, f64)> = measured
        .iter()
        .filter(|r| r.status == Status::NotMet)
        .filter_map(|r| Some((r, r.bytes_per_state?, r.file_bytes_per_state?)))
        .collect();
    if !missed.is_empty() {
        let files: Vec<f64> = missed.iter().map(|(_, _, f)| *f).collect();
        let (lo, hi) = min_max(&files);
        let within: Vec<String> = missed
            .iter()
            .filter(|(r, b, f)| b - f <= r.baseline_bytes_per_state * MEMORY_GOAL)
            .map(|(r, _, _)| format!("{} {}", r.spec, r.config))
            .collect();
        c += &format!(
            "; of the growth of the {} rows not met, {lo:.1}-{hi:.1} bytes/state are file-backed pages the search made resident (RssFile: the binary's code, neither visited set nor queue), and the growth less those pages is within the goal on {} of them{}",
            missed.len(),
            within.len(),
            if within.is_empty() {
                String::new()
            } else {
                format!(" ({}; the baseline counted such pages too)", within.join(", "))
            }
        );
    }
    let dfs: Vec<f64> = measured
        .iter()
        .filter(|r| r.config == "dfs")
        .filter_map(|r| r.bytes_per_state)
        .collect();
    if !dfs.is_empty() {
        let (lo, hi) = min_max(&dfs);
        c += &format!("; DFS (visited set + stack) {lo:.0}-{hi:.0} bytes/state");
    }
    // Rows whose goal no exact visited set can reach.
    let below: Vec<&&MemoryRow> = measured
        .iter()
        .filter(|r| r.goal_below_exact_set_floor == Some(true))
        .collect();
    if !below.is_empty() {
        let floors: Vec<f64> = below
            .iter()
            .filter_map(|r| r.exact_set_floor_bytes_per_state)
            .collect();
        let goals: Vec<f64> = below
            .iter()
            .map(|r| r.baseline_bytes_per_state * MEMORY_GOAL)
            .collect();
        let span = |v: &[f64]| match min_max(v) {
            (lo, hi) if format!("{lo:.1}") == format!("{hi:.1}") => format!("{lo:.1}"),
            (lo, hi) => format!("{lo:.1}-{hi:.1}"),
        };
        let (floors, goals) = (span(&floors), span(&goals));
        let not_met: Vec<String> = below
            .iter()
            .filter(|r| r.status == Status::NotMet)
            .map(|r| format!("{} {}", r.spec, r.config))
            .collect();
        c += &format!(
            "; on {} of the measured rows ({} of them not met: {}) the goal, {goals} bytes/state, is below {floors}, the fewest bytes per state any exact set of that many 64-bit fingerprints can take (log2 C(2^64, n) / n bits): no visited set that keeps every fingerprint, as stateright's do, can meet the goal on those rows",
            below.len(),
            not_met.len(),
            not_met.join(", ")
        );
    }
    t.cause = c;
    t.rows = serde_json::to_value(&rows).unwrap_or_default();
    Ok(t)
}

#[derive(Serialize)]
struct ScalingRow {
    spec: String,
    strategy: String,
    status: Status,
    one_thread_states_per_sec: Option<f64>,
    two_threads_states_per_sec: Option<f64>,
    ratio: Option<f64>,
    /// CPU time over wall time of each run: the cores it had.
    one_thread_cores: Option<f64>,
    two_threads_cores: Option<f64>,
    /// Unique states per CPU-second of each run.
    one_thread_states_per_cpu_sec: Option<f64>,
    two_threads_states_per_cpu_sec: Option<f64>,
    /// Each round's 2-thread states/s over its 1-thread states/s, in run order.
    round_ratios: Vec<f64>,
    /// stateright alone: a null model of this spec's shape ([`crate::bench_floor`]), in the
    /// same strategy and as many alternating rounds; median runs, and each round's ratio.
    floor_one_thread_states_per_sec: Option<f64>,
    floor_two_threads_states_per_sec: Option<f64>,
    floor_ratio: Option<f64>,
    floor_round_ratios: Vec<f64>,
    note: Option<String>,
}

fn scaling(specs: &[Spec], runs: &mut Runs, quick: bool) -> Target {
    let mut t = target(
        "two-threads",
        "2 threads vs 1",
        "2 threads >= 1.7x the throughput of 1 on every spec over 10^6 states",
        SCALING_GOAL,
        "x",
        Better::Higher,
    );
    t.command = "gomap bench --configs bfs1,bfs2 SPEC (BFS specs) or --configs dfs,dfs2 SPEC (DFS specs), or gomap bench --targets".into();
    let (chosen, all) = qualifying(specs, SCALING_MIN_STATES, quick, |_| true);
    let mut rows = Vec::new();
    for s in &chosen {
        let (c1, c2) = (config_name(s.strategy, 1), config_name(s.strategy, 2));
        let rounds = if quick { 1 } else { SCALING_ROUNDS };
        let (mut ones, mut twos, mut round_ratios) = (Vec::new(), Vec::new(), Vec::new());
        let mut err = None;
        for round in 0..rounds {
            match (runs.round(s, c1, round), runs.round(s, c2, round)) {
                (Ok(a), Ok(b)) => {
                    if rate(&a) > 0.0 {
                        round_ratios.push(rate(&b) / rate(&a));
                    }
                    ones.push(a);
                    twos.push(b);
                }
                (Err(e), _) | (_, Err(e)) => {
                    err = Some(e);
                    break;
                }
            }
        }
        let (a, b) = match (err, median_run(ones), median_run(twos)) {
            (Some(e), _, _) => (Err(e.clone()), Err(e)),
            (None, Some(a), Some(b)) => (Ok(a), Ok(b)),
            _ => {
                let e = "no run".to_string();
                (Err(e.clone()), Err(e))
            }
        };
        let cores = |m: &Measure| {
            m.cpu_seconds
                .filter(|_| m.seconds > 0.0)
                .map(|c| c / m.seconds)
        };
        let per_cpu = |m: &Measure| {
            m.cpu_seconds
                .filter(|c| *c > 0.0)
                .map(|c| m.unique_states as f64 / c)
        };
        let mut row = ScalingRow {
            spec: s.name.clone(),
            strategy: if s.strategy == Strategy::Bfs {
                "bfs"
            } else {
                "dfs"
            }
            .into(),
            status: Status::NotMeasured,
            one_thread_states_per_sec: None,
            two_threads_states_per_sec: None,
            ratio: None,
            one_thread_cores: None,
            two_threads_cores: None,
            one_thread_states_per_cpu_sec: None,
            two_threads_states_per_cpu_sec: None,
            round_ratios,
            floor_one_thread_states_per_sec: None,
            floor_two_threads_states_per_sec: None,
            floor_ratio: None,
            floor_round_ratios: Vec::new(),
            note: None,
        };
        if let Ok(a) = &a {
            let shape = shape_of(a);
            let (mut ones, mut twos) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                let (f1, f2) = (
                    runs.floor(&shape, s.strategy, 1),
                    runs.floor(&shape, s.strategy, 2),
                );
                if f1.states_per_sec > 0.0 {
                    row.floor_round_ratios
                        .push(f2.states_per_sec / f1.states_per_sec);
                }
                ones.push(f1.states_per_sec);
                twos.push(f2.states_per_sec);
            }
            let (m1, m2) = (median(ones), median(twos));
            row.floor_one_thread_states_per_sec = m1;
            row.floor_two_threads_states_per_sec = m2;
            if let (Some(x), Some(y)) = (m1, m2) {
                row.floor_ratio = (x > 0.0).then(|| y / x);
            }
        }
        match (a, b) {
            (Ok(a), Ok(b)) => {
                row.one_thread_states_per_sec = Some(rate(&a));
                row.two_threads_states_per_sec = Some(rate(&b));
                row.one_thread_cores = cores(&a);
                row.two_threads_cores = cores(&b);
                row.one_thread_states_per_cpu_sec = per_cpu(&a);
                row.two_threads_states_per_cpu_sec = per_cpu(&b);
                if !a.complete || !b.complete {
                    row.note = Some("capped: rates of the part searched".into());
                }
                if rate(&a) > 0.0 {
                    let r = rate(&b) / rate(&a);
                    row.ratio = Some(r);
                    row.status = if r >= SCALING_GOAL {
                        Status::Met
                    } else {
                        Status::NotMet
                    };
                }
            }
            (Err(e), _) | (_, Err(e)) => row.note = Some(e),
        }
        rows.push(row);
    }
    let status = Status::of_rows(rows.iter().map(|r| r.status));
    let worst = rows
        .iter()
        .filter(|r| r.ratio.is_some())
        .min_by(|a, b| a.ratio.partial_cmp(&b.ratio).unwrap());
    let ratios: Vec<f64> = rows.iter().filter_map(|r| r.ratio).collect();
    let (lo, hi) = min_max(&ratios);
    t.measured = if rows.is_empty() {
        "no pinned spec over 10^6 states found".into()
    } else {
        format!(
            "{} of {all} specs over 10^6 states, each in its own strategy: 2 threads / 1 thread {lo:.2}-{hi:.2}x (median runs of {} alternating rounds){}",
            chosen.len(),
            if quick { 1 } else { SCALING_ROUNDS },
            if quick { " (quick: the smallest spec only)" } else { "" }
        )
    };
    decide(&mut t, status, worst.and_then(|w| w.ratio));
    if let Some(w) = worst {
        let f = |x: Option<f64>| x.map(|v| format!("{v:.2}")).unwrap_or("?".into());
        let g = |x: Option<f64>| x.map(thousands).unwrap_or("?".into());
        t.cause = format!(
            "worst {} ({}; rounds {}): median 1 thread {} states/s on {} cores, 2 threads {} states/s on {} cores; unique states per CPU-second {} with 1 thread and {} with 2. Cores = the run's CPU time (getrusage) over its wall time: below 2 with 2 threads, the second thread did not have a core of its own; fewer states per CPU-second with 2 threads is the cost of sharing the visited set and the queue",
            w.spec,
            w.strategy,
            w.round_ratios
                .iter()
                .map(|r| format!("{r:.2}x"))
                .collect::<Vec<_>>()
                .join(", "),
            g(w.one_thread_states_per_sec),
            f(w.one_thread_cores),
            g(w.two_threads_states_per_sec),
            f(w.two_threads_cores),
            g(w.one_thread_states_per_cpu_sec),
            g(w.two_threads_states_per_cpu_sec),
        );
        let floors: Vec<f64> = rows.iter().filter_map(|r| r.floor_ratio).collect();
        let (lo, hi) = min_max(&floors);
        if let Some(fr) = w.floor_ratio {
            t.cause += &format!(
                ". stateright alone, on a null model of the same shape (as many unique states, transitions per state, depth and properties; a state that is one u64, so the model costs nothing), same strategy, as many alternating rounds: 2 threads / 1 = {fr:.2}x for this spec (rounds {}); {lo:.2}-{hi:.2}x over the {} specs, under 1.7x on {}",
                w.floor_round_ratios
                    .iter()
                    .map(|r| format!("{r:.2}x"))
                    .collect::<Vec<_>>()
                    .join(", "),
                floors.len(),
                floors.iter().filter(|r| **r < SCALING_GOAL).count(),
            );
        }
    }
    t.rows = serde_json::to_value(&rows).unwrap_or_default();
    t
}

#[derive(Serialize)]
struct CapacityRow {
    spec: String,
    path: String,
    config: Option<String>,
    unique_states: Option<usize>,
    seconds: Option<f64>,
    complete: Option<bool>,
    ok: Option<bool>,
    peak_mib: Option<f64>,
    states_per_sec: Option<f64>,
    bytes_per_state: Option<f64>,
    stopped_by: Option<String>,
    note: Option<String>,
}

fn capacity(name: &str, path: &str, runs: &mut Runs, quick: bool) -> Target {
    let mut t = target(
        &format!("capacity-{name}"),
        &format!("capacity: {name}"),
        &format!("{name} with 3 goroutines x 2 ops over 2 keys and all its operations complete and exhaustive within {CAPACITY_SECS} s and {} GiB", CAPACITY_MIB / 1024),
        CAPACITY_SECS as f64,
        "s",
        Better::Lower,
    );
    t.command = format!("gomap bench --budget {CAPACITY_SECS} --configs dfs {path}");
    let mut row = CapacityRow {
        spec: name.into(),
        path: path.into(),
        config: None,
        unique_states: None,
        seconds: None,
        complete: None,
        ok: None,
        peak_mib: None,
        states_per_sec: None,
        bytes_per_state: None,
        stopped_by: None,
        note: None,
    };
    // The capacity paths are from the repository root, as the specs folder is.
    let file = runs
        .opts
        .specs_dir
        .parent()
        .map(|root| root.join(path))
        .unwrap_or_else(|| PathBuf::from(path));
    if !file.is_file() {
        t.status = Status::NotMet;
        t.measured = format!("spec missing: {path}");
        t.distance = Some("spec missing".into());
        t.cause = format!("{path} does not exist, so nothing was checked");
        row.note = Some("spec missing".into());
        t.rows = serde_json::to_value(vec![row]).unwrap_or_default();
        return t;
    }
    let spec = match Spec::load(&file) {
        Ok(s) => s,
        Err(e) => {
            t.measured = format!("cannot load {path}");
            t.cause = e.to_string();
            row.note = Some(e.to_string());
            runs.failed = true;
            t.rows = serde_json::to_value(vec![row]).unwrap_or_default();
            return t;
        }
    };
    if quick && pinned(&spec).is_none_or(|n| n > SCALING_MIN_STATES) {
        t.measured = "quick: not run (pinned over 10^6 states, or not pinned)".into();
        row.note = Some("quick: not run".into());
        t.rows = serde_json::to_value(vec![row]).unwrap_or_default();
        return t;
    }
    let config = config_name(spec.strategy, spec.threads.min(2));
    row.config = Some(config.into());
    let budget = runs.opts.budget.min(CAPACITY_SECS);
    let r = runs.get(
        &spec,
        config,
        ChildExtras {
            cost_sample: None,
            max_memory_mb: Some(CAPACITY_MIB),
        },
    );
    let m = match r {
        Ok(m) => m,
        Err(e) => {
            t.measured = "the search failed".into();
            t.cause = e.clone();
            row.note = Some(e);
            t.rows = serde_json::to_value(vec![row]).unwrap_or_default();
            return t;
        }
    };
    let peak = m.peak_rss as f64 / (1024.0 * 1024.0);
    // The rows of the size searches, after the capacity run's own (see `size_cause`).
    let mut size_rows = Vec::new();
    row.unique_states = Some(m.unique_states);
    row.seconds = Some(m.seconds);
    row.complete = Some(m.complete);
    row.ok = Some(m.ok);
    row.peak_mib = Some(peak);
    row.states_per_sec = Some(rate(&m));
    row.bytes_per_state = bytes_per_state(&m);
    row.stopped_by = m.stopped_by.clone();
    t.measured = format!(
        "{} unique states in {:.1} s, peak {:.0} MiB ({}, {})",
        thousands(m.unique_states as f64),
        m.seconds,
        peak,
        config,
        if m.complete { "complete" } else { "incomplete" }
    );
    let rate_text = format!(
        "{} unique states/s, {:.0} bytes/state",
        thousands(rate(&m)),
        row.bytes_per_state.unwrap_or(0.0)
    );
    if m.complete {
        if !m.ok {
            t.status = Status::NotMet;
            t.value = Some(m.seconds);
            t.distance = Some("verdicts or pinned count differ".into());
            t.cause = "the search completed but a verdict or the pinned count differs from the spec's [expect] (gomap check shows which)".into();
        } else if peak > CAPACITY_MIB as f64 {
            t.status = Status::NotMet;
            t.value = Some(m.seconds);
            t.distance = Some(format!(
                "{:.2}x over the memory",
                peak / CAPACITY_MIB as f64
            ));
            t.cause = format!("peak {peak:.0} MiB: {rate_text}");
        } else {
            decide(
                &mut t,
                if m.seconds <= CAPACITY_SECS as f64 {
                    Status::Met
                } else {
                    Status::NotMet
                },
                Some(m.seconds),
            );
            t.cause = format!("{rate_text}, peak {peak:.0} MiB of {CAPACITY_MIB}");
        }
    } else if budget < CAPACITY_SECS
        && m.stopped_by
            .as_deref()
            .is_some_and(|w| w.starts_with("timeout"))
    {
        t.status = Status::NotMeasured;
        t.cause = format!(
            "stopped by --budget {budget} s, under the target's {CAPACITY_SECS} s: {rate_text}"
        );
    } else {
        t.status = Status::NotMet;
        t.value = Some(m.seconds);
        let stopped = m.stopped_by.as_deref().unwrap_or("a limit");
        match pinned(&spec) {
            // A complete run pinned the space's size: the distance is how much of it was
            // searched, and the time the measured rate needs for all of it.
            Some(n) if n > m.unique_states && rate(&m) > 0.0 => {
                t.distance = Some(format!(
                    "incomplete: stopped by {stopped} after {} of the pinned {} unique states ({})",
                    thousands(m.unique_states as f64),
                    thousands(n as f64),
                    pct(m.unique_states as f64 / n as f64)
                ));
                t.cause = format!(
                    "{rate_text} while it ran; peak {peak:.0} MiB: at that rate the pinned {} unique states take about {:.0} s, {:.1}x the {CAPACITY_SECS} s",
                    thousands(n as f64),
                    n as f64 / rate(&m),
                    n as f64 / rate(&m) / CAPACITY_SECS as f64
                );
            }
            _ => {
                t.distance = Some(format!(
                    "incomplete: stopped by {stopped} after {} unique states",
                    thousands(m.unique_states as f64)
                ));
                t.cause = format!(
                    "{rate_text} while it ran; peak {peak:.0} MiB: the space is bigger than this rate covers in {CAPACITY_SECS} s, or than {} GiB holds",
                    CAPACITY_MIB / 1024
                );
                if let Some(sizes) = SIZE_SPECS.iter().find(|(n, _)| *n == name) {
                    let (cause, rows) = size_cause(sizes.1, &spec, &m, runs);
                    t.cause += &format!(". {cause}");
                    size_rows = rows;
                }
            }
        }
    }
    // A preemption-bounded search is not every interleaving, however fast it is.
    if let Some(k) = spec.params.get("max_preemptions") {
        if t.status == Status::Met {
            t.status = Status::NotMet;
            t.distance = Some(format!(
                "exhaustive only within max_preemptions = {}",
                k.value
            ));
            row.note = Some(format!(
                "preemption-bounded (max_preemptions = {})",
                k.value
            ));
        }
    }
    let mut rows = vec![serde_json::to_value(row).unwrap_or_default()];
    rows.extend(size_rows);
    t.rows = serde_json::Value::Array(rows);
    t
}

/// The size of an incomplete capacity search's space, estimated from complete searches of
/// its smaller versions (`sizes`, see [`SIZE_SPECS`]), and what that size costs at the
/// search's rate, at stateright's own floor on a null model of the search's shape, and in
/// any exact visited set: a sentence, and a row per smaller search.
fn size_cause(
    sizes: &[(Gok, &str)],
    spec: &Spec,
    m: &Measure,
    runs: &mut Runs,
) -> (String, Vec<serde_json::Value>) {
    let root = runs
        .opts
        .specs_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut rows = Vec::new();
    let mut counts = Vec::new();
    let mut missing = Vec::new();
    for &(gok, path) in sizes {
        let loaded = Spec::load(&root.join(path)).map_err(|e| e.to_string());
        let r = loaded.and_then(|s| {
            let config = config_name(s.strategy, s.threads.min(2));
            runs.get(
                &s,
                config,
                ChildExtras {
                    cost_sample: None,
                    max_memory_mb: Some(CAPACITY_MIB),
                },
            )
        });
        let (g, o, k) = gok;
        match &r {
            Ok(sm) if sm.complete && sm.ok => counts.push((gok, sm.unique_states)),
            Ok(sm) => missing.push(format!(
                "{path} {}",
                if sm.complete {
                    "differs from its [expect]"
                } else {
                    "did not complete"
                }
            )),
            Err(e) => missing.push(format!("{path}: {e}")),
        }
        rows.push(serde_json::json!({
            "spec": format!("size estimate {g} x {o} x {k}"),
            "path": path,
            "unique_states": r.as_ref().ok().map(|sm| sm.unique_states),
            "seconds": r.as_ref().ok().map(|sm| sm.seconds),
            "complete": r.as_ref().ok().map(|sm| sm.complete),
            "ok": r.as_ref().ok().map(|sm| sm.ok),
            "note": r.as_ref().err(),
        }));
    }
    let est = match (missing.is_empty(), size_estimate(&counts)) {
        (true, Some(e)) => e,
        _ => {
            runs.failed = true;
            return (
                format!(
                    "No size estimate: {}",
                    if missing.is_empty() {
                        "a configuration is missing from the size specs".to_string()
                    } else {
                        missing.join("; ")
                    }
                ),
                rows,
            );
        }
    };
    let n = |c: Gok| count_of(&counts, c).map_or(String::new(), |v| thousands(v as f64));
    let tries: Vec<String> = est
        .tries
        .iter()
        .map(|&((g, o, k), e, c)| {
            format!(
                "N({g},{o},{k}) {} estimated, {} counted ({:.1}x)",
                thousands(e),
                thousands(c as f64),
                c as f64 / e
            )
        })
        .collect();
    let low = est
        .tries
        .iter()
        .filter(|&&(_, e, c)| (c as f64) > e)
        .count();
    let errs = match (low, est.tries.len()) {
        (l, n) if l == n => {
            "it errs low on each: the estimate is more likely under the size than over it"
        }
        (0, _) => "it errs high on each: the estimate is more likely over the size than under it",
        _ => "it errs both ways",
    };
    let threads = spec.threads.clamp(1, 2);
    let floor = runs.floor(&shape_of(m), spec.strategy, threads);
    let hours = |r: f64| {
        if r > 0.0 {
            est.estimate / r / 3600.0
        } else {
            f64::INFINITY
        }
    };
    let exact = exact_set_floor_bytes_per_state(est.estimate as usize).unwrap_or(0.0);
    let exact_gib = exact * est.estimate / (1u64 << 30) as f64;
    let gib = (CAPACITY_MIB / 1024) as f64;
    let floor_secs = hours(floor.states_per_sec) * 3600.0;
    let verdict = if floor_secs > CAPACITY_SECS as f64 || exact_gib > gib {
        format!(
            "If the estimate holds, no exhaustive search of this spec meets the target on this machine, however little the model cost: {}",
            [
                (floor_secs > CAPACITY_SECS as f64).then(|| format!(
                    "stateright alone needs {:.0}x the {CAPACITY_SECS} s",
                    floor_secs / CAPACITY_SECS as f64
                )),
                (exact_gib > gib).then(|| format!(
                    "an exact visited set needs {:.0}x the {gib:.0} GiB",
                    exact_gib / gib
                )),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", and ")
        )
    } else {
        "The estimate is within what stateright alone and an exact visited set can do in the target's time and memory: the distance is the model's own cost".to_string()
    };
    let folder = sizes
        .first()
        .and_then(|(_, p)| Path::new(p).parent())
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    (
        format!(
            "Its size, estimated from complete searches of its smaller versions ({folder}, goroutines x operations per goroutine x keys): N(3,2,2) ~ N(3,1,2) x N(2,2,2) / N(2,1,2) = {} x {} / {} = {} unique states, {:.0}x the states this run searched; the same rule where the count is known: {} ({errs}). At this run's rate that is {:.1} h ({:.0}x the {CAPACITY_SECS} s); at stateright's own floor (a null model of this search's shape, a state that costs nothing, searched in this run: {} unique states/s on {threads} thread(s)) {:.1} h; any exact set of that many 64-bit fingerprints takes at least {exact:.2} bytes each, {exact_gib:.0} GiB. {verdict}",
            n((3, 1, 2)),
            n((2, 2, 2)),
            n((2, 1, 2)),
            sci(est.estimate),
            est.estimate / m.unique_states.max(1) as f64,
            tries.join("; "),
            hours(rate(m)),
            hours(rate(m)) * 3600.0 / CAPACITY_SECS as f64,
            thousands(floor.states_per_sec),
            hours(floor.states_per_sec),
        ),
        rows,
    )
}

#[derive(Serialize)]
struct MainJobSpec {
    spec: String,
    seconds: f64,
}

fn main_job(opts: &Options, failed: &mut bool) -> Target {
    let mut t = target(
        "main-job",
        "main job",
        "`cargo run --release -- check specs/` stays under 3 minutes after the build",
        MAIN_JOB_SECS,
        "s",
        Better::Lower,
    );
    t.command = format!("time gomap check {}", opts.specs_dir.display());
    if opts.quick {
        t.measured = "quick: not run".into();
        return t;
    }
    if opts.progress {
        eprintln!(
            "bench --targets: gomap check {} ...",
            opts.specs_dir.display()
        );
    }
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            t.cause = e.to_string();
            *failed = true;
            return t;
        }
    };
    let start = Instant::now();
    let out = Command::new(exe)
        .args(["check", "--json", "-q"])
        .arg(&opts.specs_dir)
        .output();
    let wall = start.elapsed().as_secs_f64();
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            t.cause = e.to_string();
            *failed = true;
            return t;
        }
    };
    let results: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let mut specs: Vec<MainJobSpec> = results
        .iter()
        .map(|r| MainJobSpec {
            spec: r["spec"].as_str().unwrap_or("?").to_string(),
            seconds: r["seconds"].as_f64().unwrap_or(0.0),
        })
        .collect();
    specs.sort_by(|a, b| b.seconds.partial_cmp(&a.seconds).unwrap());
    let sum: f64 = specs.iter().map(|s| s.seconds).sum();
    t.measured = format!(
        "wall time of `gomap check {}` run as a child: {wall:.1} s ({} specs; sum of their search times {sum:.1} s)",
        opts.specs_dir.display(),
        specs.len()
    );
    let top: Vec<String> = specs
        .iter()
        .take(3)
        .map(|s| format!("{} {:.1} s", s.spec, s.seconds))
        .collect();
    t.cause = format!(
        "slowest specs: {}; {} of the wall time is the sum of the searches (the rest: loading, counterexample shortening, output)",
        top.join(", "),
        pct(if wall > 0.0 { sum / wall } else { 0.0 })
    );
    if out.status.code() == Some(0) {
        decide(
            &mut t,
            if wall <= MAIN_JOB_SECS {
                Status::Met
            } else {
                Status::NotMet
            },
            Some(wall),
        );
    } else {
        t.status = Status::NotMet;
        t.value = Some(wall);
        t.distance = Some(format!(
            "the job fails ({}): a verdict or pinned count differs",
            out.status
        ));
    }
    t.rows = serde_json::to_value(specs).unwrap_or_default();
    t
}

/// One row of `scripts/bench-port.sh` (`rows.tsv`).
#[derive(Clone, Debug, Serialize)]
pub struct PortRow {
    pub table: String,
    pub op: String,
    pub size: String,
    pub port: f64,
    pub go: f64,
    /// `ns/key` (lower is better) or `Mops/s` (higher is better).
    pub unit: String,
    /// The port's time over Go's (ns/key: port/go; Mops/s: go/port): > 1 is slower.
    pub slowdown: f64,
    /// The same ratio in each round, when the row was timed in rounds (port and go are then
    /// the medians of the rounds).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rounds: Vec<f64>,
}

/// Parses `rows.tsv`: `table op size port go unit [rounds]`, tab-separated, `#` comments;
/// `rounds` is each round's slowdown, comma-separated.
pub fn parse_port_rows(text: &str) -> Result<Vec<PortRow>, String> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let bad = |why: &str| format!("line {}: {why}: {line:?}", i + 1);
        if f.len() != 6 && f.len() != 7 {
            return Err(bad(
                "expected 6 or 7 tab-separated fields (table op size port go unit [rounds])",
            ));
        }
        let num = |s: &str| {
            s.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x > 0.0)
                .ok_or_else(|| bad(&format!("`{s}` is not a positive number")))
        };
        let (port, go) = (num(f[3])?, num(f[4])?);
        let slowdown = match f[5] {
            "ns/key" => port / go,
            "Mops/s" => go / port,
            u => return Err(bad(&format!("unknown unit `{u}` (ns/key or Mops/s)"))),
        };
        let rounds = match f.get(6) {
            Some(r) => r
                .split(',')
                .map(num)
                .collect::<Result<Vec<f64>, String>>()?,
            None => Vec::new(),
        };
        rows.push(PortRow {
            table: f[0].into(),
            op: f[1].into(),
            size: f[2].into(),
            port,
            go,
            unit: f[5].into(),
            slowdown,
            rounds,
        });
    }
    Ok(rows)
}

fn port(opts: &Options, failed: &mut bool) -> Target {
    let mut t = target(
        "port",
        "port vs Go",
        "scripts/bench-port.sh: no row of the port slower than Go 1.19's map or sync.Map",
        PORT_GOAL,
        "port/go",
        Better::Lower,
    );
    t.command =
        "scripts/bench-port.sh (writes target/bench-port/rows.tsv), then gomap bench --targets"
            .into();
    let text = match std::fs::read_to_string(&opts.port_rows) {
        Ok(s) => s,
        Err(_) => {
            t.measured = format!(
                "not measured in this run: no {} (run scripts/bench-port.sh, about 5 minutes)",
                opts.port_rows.display()
            );
            return t;
        }
    };
    let rows = match parse_port_rows(&text) {
        Ok(r) if !r.is_empty() => r,
        Ok(_) => {
            t.measured = format!("{} has no rows", opts.port_rows.display());
            return t;
        }
        Err(e) => {
            t.measured = format!("{}: {e}", opts.port_rows.display());
            *failed = true;
            return t;
        }
    };
    let age = std::fs::metadata(&opts.port_rows)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|m| m.elapsed().ok())
        .map(|d| format!("{:.1} h", d.as_secs_f64() / 3600.0))
        .unwrap_or("?".into());
    let slower: Vec<&PortRow> = rows.iter().filter(|r| r.slowdown > PORT_GOAL).collect();
    let worst = rows
        .iter()
        .max_by(|a, b| a.slowdown.partial_cmp(&b.slowdown).unwrap())
        .unwrap();
    t.measured = format!(
        "{} rows of {} (written {age} ago by scripts/bench-port.sh): {} slower than Go; port/go {:.2}-{:.2}",
        rows.len(),
        opts.port_rows.display(),
        slower.len(),
        rows.iter().map(|r| r.slowdown).fold(f64::INFINITY, f64::min),
        worst.slowdown
    );
    decide(
        &mut t,
        if slower.is_empty() {
            Status::Met
        } else {
            Status::NotMet
        },
        Some(worst.slowdown),
    );
    if !slower.is_empty() {
        let list: Vec<String> = slower
            .iter()
            .map(|r| {
                let rounds: Vec<String> = r.rounds.iter().map(|x| format!("{x:.2}")).collect();
                let rounds = if rounds.is_empty() {
                    String::new()
                } else {
                    format!(" (rounds {})", rounds.join(", "))
                };
                format!("{} {} {} {:.2}x{rounds}", r.table, r.op, r.size, r.slowdown)
            })
            .collect();
        t.cause = format!(
            "rows slower than Go (the port's time over Go's, from the same bench-port run; map rows: medians of its rounds): {}",
            list.join(", ")
        );
    }
    t.rows = serde_json::to_value(&rows).unwrap_or_default();
    t
}

/// Measures every target. The error is for what stops the report (no specs folder, a spec
/// that does not load, a bad baseline); a search that fails is a row's note and sets the
/// second value.
pub fn report(opts: &Options) -> Result<(Report, bool), String> {
    if !opts.specs_dir.is_dir() {
        return Err(format!(
            "{}: no specs folder here (run from the repository root, or pass --specs DIR)",
            opts.specs_dir.display()
        ));
    }
    let paths =
        collect_spec_paths(std::slice::from_ref(&opts.specs_dir)).map_err(|e| e.to_string())?;
    let specs: Vec<Spec> = paths
        .iter()
        .map(|p| Spec::load(p).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let mut runs = Runs {
        opts,
        done: Vec::new(),
        failed: false,
    };
    let mut targets = vec![throughput(&specs, &mut runs, opts.quick)];
    targets.push(memory(&specs, &mut runs, opts.quick)?);
    targets.push(scaling(&specs, &mut runs, opts.quick));
    for (name, path) in CAPACITY_SPECS {
        targets.push(capacity(name, path, &mut runs, opts.quick));
    }
    let mut failed = runs.failed;
    targets.push(main_job(opts, &mut failed));
    targets.push(port(opts, &mut failed));
    Ok((
        Report {
            quick: opts.quick,
            budget_secs: opts.budget,
            targets,
        },
        failed,
    ))
}

/// The report as text.
pub fn text(r: &Report) -> String {
    let mut out = String::new();
    for t in &r.targets {
        out += &format!("[{}] {}: {}\n", t.status.text(), t.name, t.target);
        if !t.measured.is_empty() {
            out += &format!("    measured: {}\n", t.measured);
        }
        if let Some(d) = &t.distance {
            out += &format!("    distance: {d}\n");
        }
        if !t.cause.is_empty() {
            out += &format!("    cause: {}\n", t.cause);
        }
        if t.status == Status::NotMeasured {
            out += &format!("    to measure: {}\n", t.command);
        }
    }
    let met = r.targets.iter().filter(|t| t.status == Status::Met).count();
    out += &format!(
        "{met} of {} targets met{}",
        r.targets.len(),
        if r.quick {
            " (quick run: small budgets, a subset)"
        } else {
            ""
        }
    );
    out
}

/// `path` relative to the current folder, as given.
pub fn default_specs_dir() -> PathBuf {
    Path::new("specs").to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_estimate_carries_one_dimension_s_growth_to_another() {
        // The counts of specs/slow/size/ (their pins).
        let counts = [
            ((2, 1, 1), 2_978),
            ((2, 1, 2), 6_679),
            ((2, 2, 1), 4_659_211),
            ((2, 2, 2), 46_891_162),
            ((3, 1, 1), 3_578_655),
            ((3, 1, 2), 20_139_598),
        ];
        let e = size_estimate(&counts).unwrap();
        let want = 20_139_598.0 * 46_891_162.0 / 6_679.0;
        assert!((e.estimate - want).abs() < 1.0, "{}", e.estimate);
        assert_eq!(sci(e.estimate), "1.41 x 10^11");
        // The rule on the two counts it can be tried on: 10.4 million for 46.9 million, and
        // 8.0 million for 20.1 million.
        assert_eq!(e.tries.len(), 2);
        let (c, est, counted) = e.tries[0];
        assert_eq!((c, counted), ((2, 2, 2), 46_891_162));
        assert!((est - 6_679.0 * 4_659_211.0 / 2_978.0).abs() < 1.0, "{est}");
        let (c, est, counted) = e.tries[1];
        assert_eq!((c, counted), ((3, 1, 2), 20_139_598));
        assert!((est - 3_578_655.0 * 6_679.0 / 2_978.0).abs() < 1.0, "{est}");
        // Any configuration missing (or counted as nothing): no estimate.
        for i in 0..counts.len() {
            let mut fewer = counts.to_vec();
            fewer.remove(i);
            assert_eq!(size_estimate(&fewer), None, "without {:?}", counts[i].0);
            let mut zero = counts.to_vec();
            zero[i].1 = 0;
            assert_eq!(size_estimate(&zero), None, "{:?} at 0", counts[i].0);
        }
    }

    #[test]
    fn the_size_specs_are_the_capacity_spec_with_fewer_goroutines_ops_or_keys() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        for (name, sizes) in SIZE_SPECS {
            let (_, path) = CAPACITY_SPECS
                .iter()
                .find(|(n, _)| n == name)
                .expect("a size estimate of a capacity spec");
            let cap = Spec::load(&root.join(path)).unwrap();
            let mut seen = Vec::new();
            for &((g, o, k), p) in *sizes {
                let s = Spec::load(&root.join(p)).unwrap();
                assert!(s.unique_states.is_some(), "{p}: a pinned count");
                assert_eq!(
                    (&s.model, s.strategy, s.symmetry),
                    (&cap.model, cap.strategy, cap.symmetry),
                    "{p}"
                );
                let int = |s: &Spec, key: &str| {
                    s.params
                        .get(key)
                        .and_then(|v| v.value.as_integer())
                        .unwrap_or(0)
                };
                assert_eq!(
                    (
                        int(&s, "goroutines"),
                        int(&s, "ops_per_goroutine"),
                        int(&s, "keys")
                    ),
                    (i64::from(g), i64::from(o), i64::from(k)),
                    "{p}"
                );
                // Every other parameter as the capacity spec has it.
                let others = |s: &Spec| {
                    s.params
                        .iter()
                        .filter(|(key, _)| {
                            !["goroutines", "ops_per_goroutine", "keys"].contains(&key.as_str())
                        })
                        .map(|(key, v)| (key.clone(), v.value.clone()))
                        .collect::<Vec<_>>()
                };
                assert_eq!(others(&s), others(&cap), "{p}");
                assert!(!seen.contains(&(g, o, k)), "{p}: twice");
                seen.push((g, o, k));
            }
            // Every configuration the estimate reads.
            let counts: Vec<(Gok, usize)> = seen.iter().map(|&c| (c, 1)).collect();
            assert!(size_estimate(&counts).is_some(), "{name}: {seen:?}");
        }
    }

    #[test]
    fn the_exact_set_floor_is_log2_of_the_number_of_sets() {
        use super::exact_set_floor_bytes_per_state as floor;
        assert_eq!(floor(0), None);
        // One fingerprint: one of 2^64, 64 bits (Stirling's bound takes a few thousandths).
        let one = floor(1).unwrap();
        assert!(one <= 8.0 && one > 7.999, "{one}");
        // Against the sum of log2((2^64 - i) / (n - i)) (to f64's rounding): no more, and by
        // less than a millionth of a byte.
        let n = 1000usize;
        let exact: f64 = (0..n)
            .map(|i| (2f64.powi(64) - i as f64).log2() - ((n - i) as f64).log2())
            .sum::<f64>()
            / 8.0
            / n as f64;
        let f = floor(n).unwrap();
        assert!(f <= exact + 1e-9 && exact - f < 1e-6, "{f} against {exact}");
        // About 64 - log2(n) + log2(e) bits: 2^20 fingerprints take at least 5.68 bytes each.
        let m = floor(1 << 20).unwrap();
        assert!(
            (m - (64.0 - 20.0 + std::f64::consts::LOG2_E) / 8.0).abs() < 1e-3,
            "{m}"
        );
        // Larger sets take fewer bytes per fingerprint, never below zero.
        assert!(floor(1 << 30).unwrap() < m && floor(usize::MAX >> 1).unwrap() >= 0.0);
    }

    #[test]
    fn the_baseline_parses_and_names_its_source() {
        let b = baseline().unwrap();
        assert!(b.source.contains("2026-11-25"));
        assert!(b.row.len() > 20);
        assert!(b.row.iter().all(|r| r.bytes_per_state > 0.0
            && r.unique_states > 0
            && bench::config_of(&r.config).is_some()));
    }

    #[test]
    fn port_rows_parse_and_reject() {
        let rows = parse_port_rows(
            "# table\top\tsize\tport\tgo\tunit\nmap\titerate\t1024\t5.0\t2.0\tns/key\nsyncmap\tread-mostly\t1\t10\t20\tMops/s\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert!((rows[0].slowdown - 2.5).abs() < 1e-9);
        assert!((rows[1].slowdown - 2.0).abs() < 1e-9);
        assert!(parse_port_rows("map\tx\t1\t1\tns/key\n").is_err());
        assert!(parse_port_rows("map\tx\t1\t0\t1\tns/key\n").is_err());
        assert!(parse_port_rows("map\tx\t1\t1\t1\tms\n").is_err());
        let rounds =
            parse_port_rows("map\tmiss\t262144\t13.2\t16.3\tns/key\t0.81,1.47,0.89\n").unwrap();
        assert_eq!(rounds[0].rounds, vec![0.81, 1.47, 0.89]);
        assert!(parse_port_rows("map\tmiss\t1\t1\t1\tns/key\t0.8,x\n").is_err());
        assert!(parse_port_rows("map\tmiss\t1\t1\t1\tns/key\t0.8\textra\n").is_err());
    }

    #[test]
    fn file_pages_per_state_are_the_file_backed_growth_of_the_search() {
        let m = |base_file_rss: u64, end_file_rss: u64, unique_states: usize| Measure {
            unique_states,
            total_states: unique_states,
            seconds: 1.0,
            states_per_sec: unique_states as f64,
            complete: true,
            stopped_by: None,
            ok: true,
            base_rss: 10_000_000,
            peak_rss: 14_000_000,
            base_file_rss,
            end_file_rss,
            cpu_seconds: None,
            cost: None,
            max_depth: 10,
            model_properties: 3,
        };
        assert_eq!(
            file_bytes_per_state(&m(8_000_000, 9_500_000, 1000)),
            Some(1500.0)
        );
        assert_eq!(
            bytes_per_state(&m(8_000_000, 9_500_000, 1000)),
            Some(4000.0)
        );
        // Pages dropped meanwhile count as no growth; a child that reported no RssFile (0)
        // or no state gives none.
        assert_eq!(
            file_bytes_per_state(&m(8_000_000, 7_000_000, 1000)),
            Some(0.0)
        );
        assert_eq!(file_bytes_per_state(&m(0, 0, 1000)), None);
        assert_eq!(file_bytes_per_state(&m(8_000_000, 9_000_000, 0)), None);
    }

    #[test]
    fn the_median_run_is_the_middle_rate() {
        let run = |states: usize, seconds: f64| Measure {
            unique_states: states,
            total_states: states,
            seconds,
            states_per_sec: states as f64 / seconds,
            complete: true,
            stopped_by: None,
            ok: true,
            base_rss: 0,
            peak_rss: 0,
            base_file_rss: 0,
            end_file_rss: 0,
            cpu_seconds: None,
            cost: None,
            max_depth: 10,
            model_properties: 3,
        };
        let m = median_run(vec![run(100, 1.0), run(100, 4.0), run(100, 2.0)]).unwrap();
        assert_eq!(m.seconds, 2.0);
        let m = median_run(vec![run(100, 1.0), run(100, 2.0)]).unwrap();
        assert_eq!(m.seconds, 2.0, "the lower middle of two");
        assert!(median_run(Vec::new()).is_none());
    }

    #[test]
    fn status_of_rows() {
        use Status::*;
        assert_eq!(Status::of_rows([Met, Met]), Met);
        assert_eq!(Status::of_rows([Met, NotMeasured]), NotMeasured);
        assert_eq!(Status::of_rows([NotMeasured, NotMet]), NotMet);
        assert_eq!(Status::of_rows([]), NotMeasured);
    }

    #[test]
    fn distance_is_the_shortfall() {
        let mut t = target("x", "x", "x", 1e6, "states/s", Better::Higher);
        decide(&mut t, Status::NotMet, Some(4e5));
        assert_eq!(t.distance.as_deref(), Some("2.50x short"));
        let mut t = target("x", "x", "x", 0.25, "", Better::Lower);
        decide(&mut t, Status::NotMet, Some(1.0));
        assert_eq!(t.distance.as_deref(), Some("4.00x over"));
        assert_eq!(thousands(1234567.4), "1,234,567");
    }
}
