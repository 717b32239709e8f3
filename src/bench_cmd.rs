//! `gomap bench`: the checker's throughput and memory per spec, measured by
//! [`gomap::bench`] (each configuration in a child process: `gomap bench --child ...`) and
//! printed as a table or JSON.

use clap::Args;
use gomap::bench;
use std::path::PathBuf;
use std::process::ExitCode;

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

/// `gomap bench --child`: one configuration of one spec, measured in this process.
fn child(args: &BenchArgs) -> Result<(), String> {
    let [path] = args.paths.as_slice() else {
        return Err("--child takes one spec".into());
    };
    let Some(cfg) = args.configs.first().and_then(|c| bench::config_of(c)) else {
        return Err("--child takes one of bfs1, bfs2, dfs".into());
    };
    let m = bench::measure(path, cfg, args.budget)?;
    println!("{}", serde_json::to_string(&m).map_err(|e| e.to_string())?);
    Ok(())
}

pub fn run(args: BenchArgs) -> ExitCode {
    if args.child {
        return match child(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => crate::fail(crate::EXIT_BAD_INPUT, e),
        };
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
        let b = bench::bench_spec(spec, &configs, args.budget, |run| {
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
