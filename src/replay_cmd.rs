//! `gomap replay [--target port|model] <TRACE.jsonl>...`: replays Go 1.19 traces with
//! [`gomap::replay::replay_files`] and prints one line (or JSON object) per file, then a total.

use gomap::replay::{replay_files, FileOutcome, Target};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `gomap replay`.
#[derive(clap::Args, Debug, Clone)]
pub struct ReplayArgs {
    /// Trace files (JSON Lines, delta-v1) recorded from Go 1.19.
    #[arg(required = true, value_name = "TRACE.jsonl")]
    pub traces: Vec<PathBuf>,
    /// Print one JSON object per trace instead of text.
    #[arg(long)]
    pub json: bool,
    /// Replay on the port or on the model.
    #[arg(long, value_enum, default_value_t = Target::Port)]
    pub target: Target,
}

pub fn run(args: &ReplayArgs) -> ExitCode {
    let summary = replay_files(&args.traces, args.target, |r| {
        if args.json {
            let line = serde_json::to_string(r).map_err(|e| format!("cannot print JSON: {e}"))?;
            println!("{line}");
        } else {
            println!("{}", r.text_line());
        }
        Ok(())
    });
    let summary = match summary {
        Ok(s) => s,
        Err(e) => return crate::fail(crate::EXIT_BAD_INPUT, e),
    };
    if !args.json {
        println!("{}", summary.total_line());
    }
    // A file that is not a readable trace is bad input (2), whatever the others did; a
    // difference from Go is a mismatch (1).
    let code = if summary
        .files
        .iter()
        .any(|f| matches!(f.outcome, FileOutcome::TraceError(_)))
    {
        crate::EXIT_BAD_INPUT
    } else {
        crate::EXIT_MISMATCH
    };
    match summary.check() {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => crate::fail(code, e),
    }
}
