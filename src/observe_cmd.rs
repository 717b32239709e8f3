//! `gomap observe SPEC`: runs the spec's scenario on real goroutines (Go 1.19) and maps every
//! outcome onto the model's (see [`gomap::observe_check`]); prints the coverage table or JSON.

use clap::Args;
use gomap::checker::Spec;
use gomap::observe::OutcomeFile;
use gomap::observe_check::{self, Report};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ObserveArgs {
    /// An unsync spec with fixed `programs` (or a syncmap / rwmutex spec).
    pub spec: PathBuf,
    /// Trials of real Go to run.
    #[arg(long)]
    pub trials: Option<u64>,
    /// Seconds of real Go to run (with --trials: whichever comes first).
    #[arg(long)]
    pub seconds: Option<u64>,
    /// Compare an outcome file recorded before instead of running Go.
    #[arg(long)]
    pub outcomes: Option<PathBuf>,
    /// Where the harness writes its outcome file (default target/observe/SPEC.jsonl).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// States the model's enumeration may visit.
    #[arg(long, default_value_t = 5_000_000)]
    pub max_states: usize,
    /// Print JSON instead of the table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: ObserveArgs) -> ExitCode {
    let spec = match Spec::load(&args.spec) {
        Ok(s) => s,
        Err(e) => return crate::fail(crate::EXIT_BAD_INPUT, e),
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = args.out.clone().unwrap_or_else(|| {
        root.join("target/observe")
            .join(format!("{}.jsonl", spec.name))
    });
    let map = spec.model == "unsync";
    let (scenario, ms, kind) = if map {
        match observe_check::map_scenario(&spec) {
            Ok(ms) => (ms.scenario.clone(), Some(ms), None),
            Err(e) => {
                return crate::fail(
                    crate::EXIT_BAD_INPUT,
                    format!("{}: {}: {}", args.spec.display(), e.field, e.msg),
                )
            }
        }
    } else {
        match observe_check::sync_scenario(&spec) {
            Ok((k, sc)) => (sc, None, Some(k)),
            Err(e) => {
                return crate::fail(
                    crate::EXIT_BAD_INPUT,
                    format!("{}: {}: {}", args.spec.display(), e.field, e.msg),
                )
            }
        }
    };
    let file_path = match &args.outcomes {
        Some(p) => p.clone(),
        None => {
            let trials = if args.trials.is_none() && args.seconds.is_none() {
                Some(100_000)
            } else {
                args.trials
            };
            if let Err(e) = observe_check::run_harness(&root, &scenario, &out, trials, args.seconds)
            {
                return crate::fail(crate::EXIT_BAD_INPUT, e);
            }
            out
        }
    };
    let file = match OutcomeFile::load(&file_path) {
        Ok(f) => f,
        Err(e) => return crate::fail(crate::EXIT_BAD_INPUT, e),
    };
    let report: Result<Report, String> = match (&ms, kind) {
        (Some(ms), _) => observe_check::compare_map(&spec.name, ms, &file, args.max_states),
        (None, Some(k)) => observe_check::compare_sync(&spec.name, k, &file),
        _ => unreachable!(),
    };
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            return crate::fail(
                crate::EXIT_BAD_INPUT,
                format!("{}: {e}", file_path.display()),
            )
        }
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print!("{}", observe_check::report_text(&report));
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::EXIT_MISMATCH)
    }
}
