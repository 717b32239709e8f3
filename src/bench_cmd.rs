//! `gomap bench`: the checker's throughput and memory per spec, measured by
//! [`gomap::bench`] (each configuration in a child process: `gomap bench --child ...`) and
//! printed as a table or JSON; `gomap bench --targets`: every target of the checker-capacity
//! issue, met or not with its distance and measured cause ([`gomap::bench_targets`]).

use clap::Args;
use gomap::{bench, bench_targets};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct BenchArgs {
    /// Spec files or folders (default: specs/).
    pub paths: Vec<PathBuf>,
    /// Print JSON (one object per spec; with --targets, one report object) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Seconds each configuration may search before it is capped (default 20; with
    /// --targets 600, the capacity target's limit; with --quick 3).
    #[arg(long)]
    pub budget: Option<u64>,
    /// Configurations to run, comma-separated among bfs1, bfs2, dfs, dfs2.
    #[arg(long, default_value = "bfs1,bfs2,dfs", value_delimiter = ',')]
    pub configs: Vec<String>,
    /// Report every target of the checker-capacity issue (hmap throughput, bytes per state,
    /// 2 threads vs 1, capacity specs, the main job, the port): met, or the distance and its
    /// measured cause.
    #[arg(long, conflicts_with_all = ["paths", "child"])]
    pub targets: bool,
    /// With --targets: small budgets and one spec per target (well under a minute); targets
    /// it does not run are reported as not measured.
    #[arg(long, requires = "targets")]
    pub quick: bool,
    /// With --targets: the specs folder (default specs/; the capacity specs' paths are from
    /// its parent).
    #[arg(long, value_name = "DIR", requires = "targets")]
    pub specs: Option<PathBuf>,
    /// With --targets: the rows scripts/bench-port.sh wrote.
    #[arg(long, value_name = "FILE", requires = "targets", default_value = bench_targets::PORT_ROWS)]
    pub port_rows: PathBuf,
    /// Internal: run one configuration of one spec and print its measurement as JSON.
    #[arg(long, hide = true, requires = "paths")]
    pub child: bool,
    /// Internal (--child): time the model apart from the checker over this many states.
    #[arg(long, hide = true, requires = "child")]
    pub cost: Option<usize>,
    /// Internal (--child): the search's memory limit, MiB.
    #[arg(long, hide = true, requires = "child")]
    pub max_memory: Option<u64>,
}

/// The default budget of plain `gomap bench`.
const BUDGET: u64 = 20;
/// With --targets, and with --targets --quick.
const TARGETS_BUDGET: u64 = bench_targets::CAPACITY_SECS;
const QUICK_BUDGET: u64 = 3;

/// `gomap bench --child`: one configuration of one spec, measured in this process.
fn child(args: &BenchArgs) -> Result<(), String> {
    let [path] = args.paths.as_slice() else {
        return Err("--child takes one spec".into());
    };
    let Some(cfg) = args.configs.first().and_then(|c| bench::config_of(c)) else {
        return Err("--child takes one of bfs1, bfs2, dfs".into());
    };
    crate::check_max_memory(args.max_memory)?;
    let extras = bench::ChildExtras {
        cost_sample: args.cost,
        max_memory_mb: args.max_memory,
    };
    let m = bench::measure_with(path, cfg, args.budget.unwrap_or(BUDGET), extras)?;
    println!("{}", serde_json::to_string(&m).map_err(|e| e.to_string())?);
    Ok(())
}

/// `gomap bench --targets`.
fn targets(args: &BenchArgs) -> ExitCode {
    let budget = args.budget.unwrap_or(if args.quick {
        QUICK_BUDGET
    } else {
        TARGETS_BUDGET
    });
    if budget == 0 {
        return crate::fail(
            crate::EXIT_BAD_INPUT,
            "--budget must be at least 1 (seconds)",
        );
    }
    let opts = bench_targets::Options {
        quick: args.quick,
        budget,
        specs_dir: args
            .specs
            .clone()
            .unwrap_or_else(bench_targets::default_specs_dir),
        port_rows: args.port_rows.clone(),
        progress: true,
    };
    let (report, failed) = match bench_targets::report(&opts) {
        Ok(r) => r,
        Err(e) => return crate::fail(crate::EXIT_BAD_INPUT, e),
    };
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => return crate::fail(crate::EXIT_BAD_INPUT, e),
        }
    } else {
        println!("{}", bench_targets::text(&report));
    }
    if failed {
        eprintln!("error: a search failed: its row says why");
        ExitCode::from(crate::EXIT_MISMATCH)
    } else {
        ExitCode::SUCCESS
    }
}

pub fn run(args: BenchArgs) -> ExitCode {
    if args.child {
        return match child(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => crate::fail(crate::EXIT_BAD_INPUT, e),
        };
    }
    if args.targets {
        return targets(&args);
    }
    let (configs, specs) = match bench::parse_configs(&args.configs)
        .and_then(|c| Ok((c, bench::load_specs(&args.paths)?)))
    {
        Ok(x) => x,
        Err(e) => return crate::fail(crate::EXIT_BAD_INPUT, e),
    };
    if !args.json {
        println!("{}", bench::header());
    }
    let mut all = Vec::new();
    for spec in &specs {
        let b = bench::bench_spec(spec, &configs, args.budget.unwrap_or(BUDGET), |run| {
            if let Some(line) = run.line(&spec.name).filter(|_| !args.json) {
                println!("{line}");
            }
        });
        if let Some(line) = b.ratio_line().filter(|_| !args.json) {
            println!("{line}");
        }
        all.push(b);
    }
    if args.json {
        match serde_json::to_string_pretty(&all) {
            Ok(s) => println!("{s}"),
            Err(e) => return crate::fail(crate::EXIT_BAD_INPUT, e),
        }
    }
    if all.iter().any(|b| b.failed()) {
        ExitCode::from(crate::EXIT_MISMATCH)
    } else {
        ExitCode::SUCCESS
    }
}
