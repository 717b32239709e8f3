//! The checker's throughput and memory per spec (`gomap bench`).
//!
//! Each configuration (BFS with 1 thread, BFS with 2 threads, DFS with 1 thread; DFS with 2
//! threads on request) runs in a child process of its own (`gomap bench --child ...`, which
//! calls [`measure`]; [`measure_with`] adds a memory limit and the model's costs timed apart,
//! for `gomap bench --targets`), so that its peak resident memory (`VmHWM` in
//! `/proc/self/status`) is its own: bytes per state are the growth of the peak over the
//! resident memory just before the search, divided by the unique states.
//!
//! Configurations a spec cannot use are skipped: simulation specs (random walks have no
//! state count to compare), and BFS for symmetry specs whose model reduces by a
//! representative function (stateright ignores it under BFS, so the count would be that of
//! the unreduced space; `registry::symmetry_needs_dfs`). Each run gets a time budget
//! (`--budget`, 20 s by default): a run stopped by it is reported as capped, with the
//! throughput of the part it searched.

use crate::checker::{
    collect_spec_paths, model_cost, run_spec, symmetry_needs_dfs, ModelCost, RunOptions, Spec,
    Strategy,
};
use gomap_model::framework::bounded::status_field_kib;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One configuration of a search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub strategy: &'static str,
    pub threads: usize,
}

/// The configuration named `bfs1`, `bfs2`, `dfs` or `dfs2` (DFS with 2 threads, which
/// `gomap bench --targets` uses for the 2-thread scaling of DFS specs).
pub fn config_of(name: &str) -> Option<Config> {
    match name {
        "dfs2" => Some(Config {
            strategy: "dfs",
            threads: 2,
        }),
        "bfs1" => Some(Config {
            strategy: "bfs",
            threads: 1,
        }),
        "bfs2" => Some(Config {
            strategy: "bfs",
            threads: 2,
        }),
        "dfs" => Some(Config {
            strategy: "dfs",
            threads: 1,
        }),
        _ => None,
    }
}

/// What a child measures.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Measure {
    pub unique_states: usize,
    pub total_states: usize,
    pub seconds: f64,
    pub states_per_sec: f64,
    pub complete: bool,
    pub stopped_by: Option<String>,
    /// The verdicts and the pinned count as expected (only meaningful when complete).
    pub ok: bool,
    /// Resident memory just before the search, bytes.
    pub base_rss: u64,
    /// Peak resident memory of the process, bytes.
    pub peak_rss: u64,
    /// File-backed resident memory (`RssFile`: pages of the binary and its libraries) just
    /// before the search and just after it, bytes. What it grows by is part of the peak's
    /// growth, but it is neither the visited set nor the queue: the search's first reads of
    /// the binary's code. File pages stay resident, so the growth at the end bounds the
    /// growth at the peak from above.
    #[serde(default)]
    pub base_file_rss: u64,
    #[serde(default)]
    pub end_file_rss: u64,
    /// CPU time (user + system) of the process during the search, seconds.
    #[serde(default)]
    pub cpu_seconds: Option<f64>,
    /// The model's own work timed apart from the checker (`--cost N`), after the search.
    #[serde(default)]
    pub cost: Option<ModelCost>,
    /// The deepest state reached (stateright's depth: the initial states are at 1).
    #[serde(default)]
    pub max_depth: usize,
    /// How many properties the model evaluates at every state.
    #[serde(default)]
    pub model_properties: usize,
}

/// One row of the report.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    pub config: String,
    pub strategy: String,
    pub threads: usize,
    #[serde(flatten)]
    pub measure: Option<Measure>,
    /// Bytes of peak memory growth per unique state.
    pub bytes_per_state: Option<f64>,
    /// Why the configuration did not run, or why the child failed.
    pub skipped: Option<String>,
    /// Whether the child failed (its error is in `skipped`).
    #[serde(skip)]
    pub failed: bool,
}

/// A spec's runs.
#[derive(Clone, Debug, Serialize)]
pub struct SpecBench {
    pub spec: String,
    pub path: String,
    pub model: String,
    pub symmetry: bool,
    pub runs: Vec<Run>,
    /// BFS states/s with 2 threads over 1 thread, when both ran.
    pub bfs2_over_bfs1: Option<f64>,
}

/// Size fields of this process's `/proc/self/status` (`VmHWM`, `VmRSS`, `RssFile`) in bytes,
/// from one reading of it (0 for a field it lacks).
fn proc_status_bytes<const N: usize>(fields: [&str; N]) -> [u64; N] {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    fields.map(|field| status_field_kib(&s, field).unwrap_or(0) * 1024)
}

/// User + system CPU time of this process, seconds.
fn cpu_seconds() -> Option<f64> {
    // SAFETY: getrusage writes into the zeroed struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return None;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Some(secs(ru.ru_utime) + secs(ru.ru_stime))
}

/// What a child run is asked for besides the configuration and the budget.
#[derive(Clone, Copy, Debug, Default)]
pub struct ChildExtras {
    /// Time the model apart from the checker over a sample of this many states.
    pub cost_sample: Option<usize>,
    /// The search's memory limit, MiB (default: the spec's, else half the machine).
    pub max_memory_mb: Option<u64>,
}

/// Runs configuration `cfg` of the spec at `path` in this process, with at most `budget`
/// seconds of search, and measures it (what `gomap bench --child` prints).
pub fn measure(path: &Path, cfg: Config, budget: u64) -> Result<Measure, String> {
    measure_with(path, cfg, budget, ChildExtras::default())
}

/// [`measure`], with a memory limit and the model's costs timed after the search if asked.
pub fn measure_with(
    path: &Path,
    cfg: Config,
    budget: u64,
    extras: ChildExtras,
) -> Result<Measure, String> {
    let mut spec = Spec::load(path).map_err(|e| e.to_string())?;
    spec.strategy = if cfg.strategy == "bfs" {
        Strategy::Bfs
    } else {
        Strategy::Dfs
    };
    spec.threads = cfg.threads;
    spec.timeout_secs = spec.timeout_secs.min(budget);
    let opts = RunOptions {
        progress: None,
        threads: Some(cfg.threads),
        shorten: false,
        max_memory_mb: extras.max_memory_mb,
    };
    let [base_rss, base_file_rss] = proc_status_bytes(["VmRSS", "RssFile"]);
    let cpu_before = cpu_seconds();
    let r = run_spec(&spec, &opts).map_err(|e| e.to_string())?;
    let cpu = match (cpu_before, cpu_seconds()) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    // Read before the cost sample, which allocates too.
    let [peak_rss, end_file_rss] = proc_status_bytes(["VmHWM", "RssFile"]);
    let cost = match extras.cost_sample {
        Some(n) => Some(model_cost(&spec, n).map_err(|e| e.to_string())?),
        None => None,
    };
    Ok(Measure {
        unique_states: r.unique_states,
        total_states: r.total_states,
        seconds: r.seconds,
        states_per_sec: r.states_per_sec,
        complete: r.complete,
        stopped_by: r.stopped_by,
        ok: r.ok,
        base_rss,
        peak_rss,
        base_file_rss,
        end_file_rss,
        cpu_seconds: cpu,
        cost,
        max_depth: r.max_depth,
        model_properties: r.model_properties,
    })
}

/// Measures configuration `name` of the spec at `path` in a child process: this executable
/// run as `gomap bench --child --budget B --configs NAME PATH`.
fn run_child(path: &Path, name: &str, budget: u64) -> Result<Measure, String> {
    run_child_with(path, name, budget, ChildExtras::default())
}

/// `run_child` with `--cost N` and `--max-memory MB` when `extras` asks for them.
pub fn run_child_with(
    path: &Path,
    name: &str,
    budget: u64,
    extras: ChildExtras,
) -> Result<Measure, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(exe);
    cmd.arg("bench")
        .arg("--child")
        .arg("--budget")
        .arg(budget.to_string())
        .arg("--configs")
        .arg(name);
    if let Some(n) = extras.cost_sample {
        cmd.arg("--cost").arg(n.to_string());
    }
    if let Some(mb) = extras.max_memory_mb {
        cmd.arg("--max-memory").arg(mb.to_string());
    }
    let out = cmd.arg(path).output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "child failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("child output: {e}"))
}

/// The configurations named (bfs1, bfs2, dfs), or an error naming an unknown one.
pub fn parse_configs(names: &[String]) -> Result<Vec<(String, Config)>, String> {
    names
        .iter()
        .map(|c| match config_of(c) {
            Some(cfg) => Ok((c.clone(), cfg)),
            None => Err(format!(
                "unknown configuration `{c}` (expected bfs1, bfs2, dfs or dfs2)"
            )),
        })
        .collect()
}

/// The specs in `paths` (files or folders; specs/ when empty), loaded.
pub fn load_specs(paths: &[PathBuf]) -> Result<Vec<Spec>, String> {
    let paths = if paths.is_empty() {
        vec![PathBuf::from("specs")]
    } else {
        paths.to_vec()
    };
    let paths = collect_spec_paths(&paths).map_err(|e| e.to_string())?;
    paths
        .iter()
        .map(|p| Spec::load(p).map_err(|e| e.to_string()))
        .collect()
}

/// Whether a BFS of `spec` would ignore its symmetry reduction (a representative function,
/// `registry::symmetry_needs_dfs`), so that it is not run. A symmetry spec whose model cannot
/// be built counts as one (it fails in its DFS child).
pub fn bfs_ignores_symmetry(spec: &Spec) -> bool {
    symmetry_needs_dfs(spec).unwrap_or(spec.symmetry)
}

/// Runs each configuration of `spec` in a child process (skipping those it cannot use),
/// handing each run to `each` as soon as it is measured (to print it).
pub fn bench_spec(
    spec: &Spec,
    configs: &[(String, Config)],
    budget: u64,
    mut each: impl FnMut(&Run),
) -> SpecBench {
    let mut runs = Vec::new();
    // Asked once per spec (it builds the model).
    let symmetry_needs_dfs = bfs_ignores_symmetry(spec);
    for (name, cfg) in configs {
        let skip = if spec.strategy == Strategy::Simulation {
            Some("skipped: simulation spec (no exhaustive count)".to_string())
        } else if symmetry_needs_dfs && cfg.strategy == "bfs" {
            Some("skipped: this spec's symmetry works with dfs only".to_string())
        } else {
            None
        };
        let unmeasured = |why: String, failed: bool| Run {
            config: name.clone(),
            strategy: cfg.strategy.into(),
            threads: cfg.threads,
            measure: None,
            bytes_per_state: None,
            skipped: Some(why),
            failed,
        };
        let run = match skip {
            Some(why) => unmeasured(why, false),
            None => match run_child(&spec.path, name, budget) {
                Ok(m) => Run {
                    config: name.clone(),
                    strategy: cfg.strategy.into(),
                    threads: cfg.threads,
                    bytes_per_state: (m.unique_states > 0).then(|| {
                        m.peak_rss.saturating_sub(m.base_rss) as f64 / m.unique_states as f64
                    }),
                    measure: Some(m),
                    skipped: None,
                    failed: false,
                },
                Err(e) => unmeasured(e, true),
            },
        };
        each(&run);
        runs.push(run);
    }
    let rate = |c: &str| {
        runs.iter()
            .find(|r| r.config == c)
            .and_then(|r| r.measure.as_ref())
            .map(|m| m.states_per_sec)
    };
    let bfs2_over_bfs1 = match (rate("bfs1"), rate("bfs2")) {
        (Some(a), Some(b)) if a > 0.0 => Some(b / a),
        _ => None,
    };
    SpecBench {
        spec: spec.name.clone(),
        path: spec.path.display().to_string(),
        model: spec.model.clone(),
        symmetry: spec.symmetry,
        runs,
        bfs2_over_bfs1,
    }
}

impl SpecBench {
    /// Whether a child failed.
    pub fn failed(&self) -> bool {
        self.runs.iter().any(|r| r.failed)
    }

    /// The table's line for the BFS speed-up, when both BFS configurations ran.
    pub fn ratio_line(&self) -> Option<String> {
        self.bfs2_over_bfs1
            .map(|x| format!("{:<36} bfs 2 threads / 1 thread: {x:.2}x", ""))
    }
}

/// The table's header.
pub fn header() -> String {
    format!(
        "{:<36} {:<5} {:>10} {:>8} {:>11} {:>9} {:>8}  note",
        "spec", "conf", "states", "seconds", "states/s", "peak MiB", "B/state"
    )
}

impl Run {
    /// The table's line for this run of `spec` (none for a run neither measured nor skipped).
    pub fn line(&self, spec: &str) -> Option<String> {
        match (&self.measure, &self.skipped) {
            (Some(m), _) => {
                let mut note = String::new();
                if let Some(why) = &m.stopped_by {
                    note = format!("capped: {why}");
                } else if !m.ok {
                    note = "verdicts or pinned count differ".into();
                }
                Some(format!(
                    "{:<36} {:<5} {:>10} {:>8.2} {:>11.0} {:>9.1} {:>8}  {}",
                    spec,
                    self.config,
                    m.unique_states,
                    m.seconds,
                    m.states_per_sec,
                    m.peak_rss as f64 / (1024.0 * 1024.0),
                    self.bytes_per_state
                        .map(|b| format!("{b:.0}"))
                        .unwrap_or_else(|| "-".into()),
                    note
                ))
            }
            (None, Some(why)) => Some(format!(
                "{:<36} {:<5} {:>10}  {}",
                spec, self.config, "-", why
            )),
            (None, None) => None,
        }
    }
}
