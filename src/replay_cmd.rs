//! `gomap replay [--target port|model] <TRACE.jsonl>...`: replays Go 1.19 traces with
//! [`gomap::replay::replay_files`] and prints one line (or JSON object) per file, then a total.

use gomap::replay::{replay_files, Target};
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
    let summary = summary.and_then(|s| {
        if !args.json {
            println!("{}", s.total_line());
        }
        s.check()
    });
    match summary {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => crate::fail(crate::EXIT_MISMATCH, e),
    }
}
