//! `gomap bench`: the checker's throughput and memory per spec.
//!
//! Each configuration (BFS with 1 thread, BFS with 2 threads, DFS with 1 thread) runs in a
//! child process of its own (`gomap bench --child ...`), so that its peak resident memory
//! (`VmHWM` in `/proc/self/status`) is its own: bytes per state are the growth of the peak
//! over the resident memory just before the search, divided by the unique states.
//!
//! Configurations a spec cannot use are skipped: simulation specs (random walks have no
//! state count to compare), and BFS for symmetry specs (stateright ignores symmetry under
//! BFS, so the count would be that of the unreduced space). Each run gets a time budget
//! (`--budget`, 20 s by default): a run stopped by it is reported as capped, with the
//! throughput of the part it searched.

use clap::Args;
use gomap_model::framework::check::RunOptions;
use gomap_model::framework::spec::{collect_spec_paths, Spec, Strategy};
use gomap_model::registry::run_spec;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::process::{Command, ExitCode};

#[derive(Args)]
pub struct BenchArgs {
    /// Spec files or folders (default: specs/).
    pub paths: Vec<PathBuf>,
    /// Print JSON (one object per spec) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Seconds each configuration may search before it is capped.
    #[arg(long, default_value_t = 20)]
    pub budget: u64,
    /// Configurations to run, comma-separated among bfs1, bfs2, dfs.
    #[arg(long, default_value = "bfs1,bfs2,dfs", value_delimiter = ',')]
    pub configs: Vec<String>,
    /// Internal: run one configuration of one spec and print its measurement as JSON.
    #[arg(long, hide = true, requires = "paths")]
    pub child: bool,
}

/// One configuration of a search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub strategy: &'static str,
    pub threads: usize,
}

fn config_of(name: &str) -> Option<Config> {
    match name {
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
}

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

/// `VmHWM` or `VmRSS` of this process in bytes.
fn proc_status_kib(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

fn child(args: &BenchArgs) -> ExitCode {
    let [path] = args.paths.as_slice() else {
        eprintln!("error: --child takes one spec");
        return ExitCode::from(crate::EXIT_BAD_INPUT);
    };
    let Some(cfg) = args.configs.first().and_then(|c| config_of(c)) else {
        eprintln!("error: --child takes one of bfs1, bfs2, dfs");
        return ExitCode::from(crate::EXIT_BAD_INPUT);
    };
    let mut spec = match Spec::load(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(crate::EXIT_BAD_INPUT);
        }
    };
    spec.strategy = if cfg.strategy == "bfs" {
        Strategy::Bfs
    } else {
        Strategy::Dfs
    };
    spec.threads = cfg.threads;
    spec.timeout_secs = spec.timeout_secs.min(args.budget);
    let opts = RunOptions {
        progress: None,
        threads: Some(cfg.threads),
        shorten: false,
    };
    let base_rss = proc_status_kib("VmRSS:");
    let r = match run_spec(&spec, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(crate::EXIT_BAD_INPUT);
        }
    };
    let m = Measure {
        unique_states: r.unique_states,
        total_states: r.total_states,
        seconds: r.seconds,
        states_per_sec: r.states_per_sec,
        complete: r.complete,
        stopped_by: r.stopped_by,
        ok: r.ok,
        base_rss,
        peak_rss: proc_status_kib("VmHWM:"),
    };
    match serde_json::to_string(&m) {
        Ok(s) => {
            println!("{s}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(crate::EXIT_BAD_INPUT)
        }
    }
}

fn run_child(path: &std::path::Path, name: &str, budget: u64) -> Result<Measure, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .arg("bench")
        .arg("--child")
        .arg("--budget")
        .arg(budget.to_string())
        .arg("--configs")
        .arg(name)
        .arg(path)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "child failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("child output: {e}"))
}

fn header() -> String {
    format!(
        "{:<36} {:<5} {:>10} {:>8} {:>11} {:>9} {:>8}  note",
        "spec", "conf", "states", "seconds", "states/s", "peak MiB", "B/state"
    )
}

fn print_run(spec: &str, r: &Run) {
    match (&r.measure, &r.skipped) {
        (Some(m), _) => {
            let mut note = String::new();
            if let Some(why) = &m.stopped_by {
                note = format!("capped: {why}");
            } else if !m.ok {
                note = "verdicts or pinned count differ".into();
            }
            println!(
                "{:<36} {:<5} {:>10} {:>8.2} {:>11.0} {:>9.1} {:>8}  {}",
                spec,
                r.config,
                m.unique_states,
                m.seconds,
                m.states_per_sec,
                m.peak_rss as f64 / (1024.0 * 1024.0),
                r.bytes_per_state
                    .map(|b| format!("{b:.0}"))
                    .unwrap_or_else(|| "-".into()),
                note
            );
        }
        (None, Some(why)) => println!("{:<36} {:<5} {:>10}  {}", spec, r.config, "-", why),
        (None, None) => {}
    }
}

pub fn run(args: BenchArgs) -> ExitCode {
    if args.child {
        return child(&args);
    }
    let mut configs = Vec::new();
    for c in &args.configs {
        match config_of(c) {
            Some(cfg) => configs.push((c.clone(), cfg)),
            None => {
                eprintln!("error: unknown configuration `{c}` (expected bfs1, bfs2 or dfs)");
                return ExitCode::from(crate::EXIT_BAD_INPUT);
            }
        }
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("specs")]
    } else {
        args.paths.clone()
    };
    let paths = match collect_spec_paths(&paths) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(crate::EXIT_BAD_INPUT);
        }
    };
    let mut specs = Vec::new();
    for p in &paths {
        match Spec::load(p) {
            Ok(s) => specs.push(s),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(crate::EXIT_BAD_INPUT);
            }
        }
    }
    if !args.json {
        println!("{}", header());
    }
    let mut all = Vec::new();
    let mut failed = false;
    for spec in &specs {
        let mut runs = Vec::new();
        for (name, cfg) in &configs {
            let skip = if spec.strategy == Strategy::Simulation {
                Some("skipped: simulation spec (no exhaustive count)".to_string())
            } else if spec.symmetry && cfg.strategy == "bfs" {
                Some("skipped: symmetry works with dfs only".to_string())
            } else {
                None
            };
            let run = match skip {
                Some(why) => Run {
                    config: name.clone(),
                    strategy: cfg.strategy.into(),
                    threads: cfg.threads,
                    measure: None,
                    bytes_per_state: None,
                    skipped: Some(why),
                },
                None => match run_child(&spec.path, name, args.budget) {
                    Ok(m) => Run {
                        config: name.clone(),
                        strategy: cfg.strategy.into(),
                        threads: cfg.threads,
                        bytes_per_state: (m.unique_states > 0).then(|| {
                            m.peak_rss.saturating_sub(m.base_rss) as f64 / m.unique_states as f64
                        }),
                        measure: Some(m),
                        skipped: None,
                    },
                    Err(e) => {
                        failed = true;
                        Run {
                            config: name.clone(),
                            strategy: cfg.strategy.into(),
                            threads: cfg.threads,
                            measure: None,
                            bytes_per_state: None,
                            skipped: Some(e),
                        }
                    }
                },
            };
            if !args.json {
                print_run(&spec.name, &run);
            }
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
        if !args.json {
            if let Some(x) = bfs2_over_bfs1 {
                println!("{:<36} bfs 2 threads / 1 thread: {x:.2}x", "");
            }
        }
        all.push(SpecBench {
            spec: spec.name.clone(),
            path: spec.path.display().to_string(),
            model: spec.model.clone(),
            symmetry: spec.symmetry,
            runs,
            bfs2_over_bfs1,
        });
    }
    if args.json {
        match serde_json::to_string_pretty(&all) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(crate::EXIT_BAD_INPUT);
            }
        }
    }
    if failed {
        ExitCode::from(crate::EXIT_MISMATCH)
    } else {
        ExitCode::SUCCESS
    }
}
