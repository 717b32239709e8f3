//! `gomap check`: runs specs, prints one row per spec and each property's verdict against the
//! expected one, and every counterexample step by step.

use clap::Args;
use gomap_model::framework::check::{Counterexample, Progress, RunOptions, SpecResult};
use gomap_model::framework::info::Kind;
use gomap_model::framework::spec::{collect_spec_paths, Spec, SpecError, Verdict};
use gomap_model::registry::run_spec;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct CheckArgs {
    /// Spec files, or folders whose *.toml files are all checked.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Print a JSON array (one object per spec) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write each counterexample and example as JSON into this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Checker threads (overrides each spec's search.threads).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Stop each search (as incomplete) when the process's resident memory reaches this many
    /// MiB (overrides each spec's limits.max_memory_mb; default half the machine).
    #[arg(long, value_name = "MB")]
    pub max_memory: Option<u64>,
    /// Stop each search (as incomplete) after this many seconds (overrides each spec's
    /// limits.timeout_secs).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Keep the counterexample the search found instead of searching for a shortest one.
    #[arg(long)]
    pub no_shorten: bool,
    /// Print no progress lines.
    #[arg(long, short)]
    pub quiet: bool,
}

fn bad_input(errors: &[SpecError]) -> ExitCode {
    for e in errors {
        eprintln!("error: {e}");
    }
    ExitCode::from(crate::EXIT_BAD_INPUT)
}

pub fn run(args: CheckArgs) -> ExitCode {
    if let Err(e) = crate::check_threads(args.threads)
        .and_then(|_| crate::check_max_memory(args.max_memory))
        .and_then(|_| crate::check_timeout(args.timeout))
    {
        return crate::fail(crate::EXIT_BAD_INPUT, e);
    }
    let paths = match collect_spec_paths(&args.paths) {
        Ok(p) => p,
        Err(e) => return bad_input(&[e]),
    };
    // Parse and validate every spec before checking any, so bad input fails fast.
    let mut specs = Vec::new();
    let mut errors = Vec::new();
    for p in &paths {
        match Spec::load(p).and_then(|s| validate(&s).map(|_| s)) {
            Ok(mut s) => {
                if let Some(t) = args.timeout {
                    s.timeout_secs = t;
                }
                specs.push(s)
            }
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return bad_input(&errors);
    }
    if let Some(dir) = &args.out {
        if let Err(e) = std::fs::create_dir_all(dir).and_then(|_| probe_writable(dir)) {
            eprintln!(
                "error: {}: cannot write to output folder: {e}",
                gomap::text::quoted_path(dir)
            );
            return ExitCode::from(crate::EXIT_BAD_INPUT);
        }
    }

    let quiet = args.quiet;
    let progress = move |p: &Progress| {
        if quiet || p.elapsed.as_secs() < 2 {
            return;
        }
        let secs = p.elapsed.as_secs_f64();
        eprintln!(
            "  .. {}: {} states, {:.0} states/s, depth {}, {:.0} s",
            p.spec,
            p.unique_states,
            p.unique_states as f64 / secs,
            p.max_depth,
            secs
        );
    };
    let opts = RunOptions {
        progress: Some(&progress),
        threads: args.threads,
        shorten: !args.no_shorten,
        max_memory_mb: args.max_memory,
    };

    let mut results = Vec::new();
    if !args.json {
        println!("{}", header());
    }
    for spec in &specs {
        let r = match run_spec(spec, &opts) {
            Ok(r) => r,
            Err(e) => return bad_input(&[e]),
        };
        if !args.json {
            print_result(&r);
            let _ = std::io::stdout().flush();
        }
        if let Some(dir) = &args.out {
            if let Err(e) = write_counterexamples(dir, &r) {
                eprintln!("error: {}: {e}", dir.display());
                return ExitCode::from(crate::EXIT_BAD_INPUT);
            }
        }
        results.push(r);
    }
    let failed: Vec<&SpecResult> = results.iter().filter(|r| !r.ok).collect();
    if args.json {
        match serde_json::to_string_pretty(&results) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(crate::EXIT_BAD_INPUT);
            }
        }
    } else {
        let states: usize = results.iter().map(|r| r.unique_states).sum();
        let secs: f64 = results.iter().map(|r| r.seconds).sum();
        println!(
            "\n{} specs, {} as expected, {} not; {} unique states in {:.1} s",
            results.len(),
            results.len() - failed.len(),
            failed.len(),
            states,
            secs
        );
        for r in &failed {
            println!("FAILED {} ({})", r.spec, r.path);
        }
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::EXIT_MISMATCH)
    }
}

/// Fails unless a file can be created in `dir` (before any search, not after the first).
fn probe_writable(dir: &std::path::Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".gomap-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(&probe)
}

/// Model-specific validation without running anything.
fn validate(spec: &Spec) -> Result<(), SpecError> {
    (gomap_model::registry::entry(spec)?.validate)(spec)
}

fn header() -> String {
    format!(
        "{:<44} {:<7} {:>11} {:>6} {:>8} {:>10} {:<9} result",
        "spec", "model", "states", "depth", "seconds", "states/s", "complete"
    )
}

fn print_result(r: &SpecResult) {
    println!(
        "{:<44} {:<7} {:>11} {:>6} {:>8.2} {:>10.0} {:<9} {}",
        r.spec,
        r.model,
        r.unique_states,
        r.max_depth,
        r.seconds,
        r.states_per_sec,
        if r.complete { "yes" } else { "no" },
        if r.ok { "ok" } else { "FAILED" }
    );
    if let Some(why) = &r.stopped_by {
        println!("    search stopped early: {why}");
    }
    if let Some(n) = r.expected_unique_states {
        if n != r.unique_states || !r.complete {
            println!(
                "    unique states: expected {n} (pinned), got {}{}",
                r.unique_states,
                if r.complete {
                    ""
                } else {
                    " (incomplete search)"
                }
            );
        }
    }
    for p in &r.properties {
        let mark = if p.ok { "ok " } else { "BAD" };
        let kind = match p.kind {
            Kind::Always => "always",
            Kind::Sometimes => "sometimes",
        };
        println!(
            "    {mark} {:<42} {:<9} expected {:<8} got {}",
            p.name, kind, p.expected, p.verdict
        );
    }
    for p in &r.properties {
        if let Some(cx) = &p.counterexample {
            let (label, show) = match (p.kind, p.verdict) {
                (Kind::Always, Verdict::Violated) => ("counterexample", true),
                // Examples of `sometimes` properties are printed only when unexpected.
                (Kind::Sometimes, _) => ("example", !p.ok),
                _ => ("path", true),
            };
            if show {
                print_path(r, &p.name, label, cx);
            }
        }
    }
}

pub(crate) fn print_path(r: &SpecResult, prop: &str, label: &str, cx: &Counterexample) {
    println!("\n    {label} for {prop} ({} steps):", cx.steps.len());
    println!("      initial state:");
    for l in cx.initial_state.lines() {
        println!("        {l}");
    }
    for (i, s) in cx.steps.iter().enumerate() {
        println!("      {}. {}", i + 1, s.action);
        for g in &s.go_steps {
            println!("           -> {g}");
        }
        if !s.outcome.is_empty() {
            println!("           = {}", s.outcome);
        }
        for l in s.state.lines() {
            println!("           {l}");
        }
    }
    println!(
        "      explorer: gomap explore {} then open /#/steps/{}",
        r.path, cx.explorer_path
    );
    println!();
}

fn write_counterexamples(dir: &std::path::Path, r: &SpecResult) -> std::io::Result<()> {
    for p in &r.properties {
        if let Some(cx) = &p.counterexample {
            let file = dir.join(format!("{}.{}.json", r.spec, p.name));
            let doc = serde_json::json!({
                "spec": r.spec,
                "model": r.model,
                "property": p.name,
                "kind": p.kind,
                "verdict": p.verdict,
                "expected": p.expected,
                "counterexample": cx,
            });
            std::fs::write(&file, serde_json::to_string_pretty(&doc)? + "\n")?;
        }
    }
    Ok(())
}
