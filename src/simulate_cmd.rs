//! `gomap simulate`: random walks through a spec's model (stateright's simulation checker with
//! a uniform chooser), for configurations too big to search exhaustively.
//!
//! The spec is run as if its `search.strategy` were `simulation`, through the same runner as
//! `gomap check` (`gomap_model::registry::run_spec`), with `--seed`, `--walks` and `--depth`
//! overriding its search and limits. stateright's simulation counts states, not walks: a walk
//! of at most `--depth` operations visits at most depth + 1 states, so the search stops after
//! walks × (depth + 1) states, that is after at least `--walks` walks (more when walks end
//! early, at the model's own operation bound).
//!
//! Verdicts: random walks can find a violation or an example, never prove an absence. So a
//! property expected to `hold` as `always`, or to be `violated` as `sometimes`, is reported
//! "not refuted" when the walks found nothing, which agrees with the expectation; a
//! counterexample to the first, or an example of the second, disagrees. An expected
//! counterexample or example that the walks did not find also disagrees (exit 1), like
//! `gomap check`.

use crate::check_cmd::print_path;
use clap::Args;
use gomap_model::framework::check::{Progress, RunOptions};
use gomap_model::framework::info::Kind;
use gomap_model::framework::spec::{Spec, Strategy, Verdict};
use gomap_model::registry::run_spec;
use std::path::PathBuf;
use std::process::ExitCode;

/// Walk length when neither `--depth` nor the spec's `limits.max_depth` sets one.
const DEFAULT_DEPTH: usize = 100;
/// Longest walk (operations): a walk's path is kept in memory.
const MAX_DEPTH: usize = 1_000_000;
/// Walks when neither `--walks` nor the spec's `limits.max_states` sets a budget.
const DEFAULT_WALKS: usize = 1000;

#[derive(Args)]
pub struct SimulateArgs {
    /// The spec whose model to walk.
    pub spec: PathBuf,
    /// Seed of the first walk (default: the spec's search.seed, else 0).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Walks to run at least (default: the spec's limits.max_states / (depth + 1), else 1000).
    #[arg(long)]
    pub walks: Option<usize>,
    /// Go operations per walk at most (default: the spec's limits.max_depth - 1, else 100).
    #[arg(long)]
    pub depth: Option<usize>,
    /// Checker threads (default: the spec's search.threads).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Stop the walks (as incomplete) when the process's resident memory reaches this many
    /// MiB (default: the spec's limits.max_memory_mb, else half the machine).
    #[arg(long, value_name = "MB")]
    pub max_memory: Option<u64>,
    /// Print no progress lines.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: SimulateArgs) -> ExitCode {
    if args.walks == Some(0) || args.depth == Some(0) || args.threads == Some(0) {
        eprintln!("error: --walks, --depth and --threads must be at least 1");
        return ExitCode::from(crate::EXIT_BAD_INPUT);
    }
    if let Err(e) =
        crate::check_threads(args.threads).and_then(|_| crate::check_max_memory(args.max_memory))
    {
        return crate::fail(crate::EXIT_BAD_INPUT, e);
    }
    if args.depth.is_some_and(|d| d > MAX_DEPTH) {
        return crate::fail(
            crate::EXIT_BAD_INPUT,
            format!("--depth must be at most {MAX_DEPTH}"),
        );
    }
    let mut spec = match Spec::load(&args.spec) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(crate::EXIT_BAD_INPUT);
        }
    };
    let kinds = match gomap_model::registry::entry(&spec) {
        Ok(e) => (e.info)().properties,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(crate::EXIT_BAD_INPUT);
        }
    };
    let kind_of = |name: &str| {
        kinds
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.kind)
            .unwrap_or(Kind::Always)
    };

    // stateright's depth counts states: a walk of d operations ends at depth d + 1.
    let depth = args
        .depth
        .or(spec.max_depth.map(|d| d.saturating_sub(1).max(1)))
        .unwrap_or(DEFAULT_DEPTH)
        .min(MAX_DEPTH);
    let max_states = match (args.walks, spec.max_states) {
        (Some(w), _) => w.saturating_mul(depth + 1),
        (None, Some(n)) if spec.strategy == Strategy::Simulation => n,
        _ => DEFAULT_WALKS * (depth + 1),
    };
    let walks = max_states / (depth + 1);
    spec.strategy = Strategy::Simulation;
    spec.seed = args.seed.unwrap_or(spec.seed);
    spec.max_depth = Some(depth + 1);
    spec.max_states = Some(max_states);
    spec.symmetry = false;
    spec.unique_states = None;
    // A simulation cannot establish an absence (the runner refuses to expect one): ask the
    // runner for the opposite verdict and read "incomplete" as "not refuted" below.
    let mut absence = Vec::new();
    for e in &mut spec.expect {
        let kind = kind_of(&e.property);
        let expects_absence = matches!(
            (kind, e.verdict),
            (Kind::Always, Verdict::Holds) | (Kind::Sometimes, Verdict::Violated)
        );
        if expects_absence {
            absence.push(e.property.clone());
            e.verdict = match e.verdict {
                Verdict::Holds => Verdict::Violated,
                _ => Verdict::Holds,
            };
        }
    }

    eprintln!(
        "simulating {}: at least {walks} random walks of up to {depth} operations (at most {max_states} states), seed {}",
        spec.path.display(),
        spec.seed
    );
    let quiet = args.quiet;
    let progress = move |p: &Progress| {
        if quiet {
            return;
        }
        let secs = p.elapsed.as_secs_f64();
        eprintln!(
            "  .. {}: {} states visited ({:.0}/s), deepest walk {} operations, {:.0} s",
            p.spec,
            p.unique_states,
            p.unique_states as f64 / secs.max(1e-9),
            p.max_depth,
            secs
        );
    };
    let opts = RunOptions {
        progress: Some(&progress),
        threads: args.threads,
        // Walks are deep and their spaces too big to search for a shorter path.
        shorten: false,
        max_memory_mb: args.max_memory,
    };
    let mut r = match run_spec(&spec, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(crate::EXIT_BAD_INPUT);
        }
    };

    println!(
        "{}: {} states in {:.1} s ({:.0} states/s), deepest walk {} operations, seed {}",
        r.spec, r.total_states, r.seconds, r.states_per_sec, r.max_depth, spec.seed
    );
    let mut all_ok = true;
    for p in &mut r.properties {
        let kind = match p.kind {
            Kind::Always => "always",
            Kind::Sometimes => "sometimes",
        };
        let (expected, got, ok) = if absence.contains(&p.name) {
            // Expected no discovery: nothing found is agreement, a discovery is not.
            let found = p.counterexample.is_some();
            let expected = match p.kind {
                Kind::Always => Verdict::Holds,
                Kind::Sometimes => Verdict::Violated,
            };
            p.expected = expected;
            p.ok = !found;
            let got = if found {
                p.verdict.to_string()
            } else {
                "not refuted".to_string()
            };
            (expected, got, !found)
        } else {
            let got = if p.verdict == Verdict::Incomplete {
                "not found".to_string()
            } else {
                p.verdict.to_string()
            };
            (p.expected, got, p.ok)
        };
        all_ok &= ok;
        println!(
            "    {} {:<42} {:<9} expected {:<8} got {}",
            if ok { "ok " } else { "BAD" },
            p.name,
            kind,
            expected,
            got
        );
    }
    for p in &r.properties {
        if let Some(cx) = &p.counterexample {
            let label = match p.kind {
                Kind::Always => "counterexample",
                Kind::Sometimes => "example",
            };
            // Examples of `sometimes` properties are printed only when unexpected.
            if p.kind == Kind::Always || !p.ok {
                print_path(&r, &p.name, label, cx);
            }
        }
    }
    if all_ok {
        println!("as expected");
        ExitCode::SUCCESS
    } else {
        println!("FAILED {} ({})", r.spec, r.path);
        ExitCode::from(crate::EXIT_MISMATCH)
    }
}
