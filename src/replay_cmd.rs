//! `gomap replay [--target port|model] <TRACE.jsonl>...`: replays Go 1.19 traces with
//! [`gomap::replay::replay_files`] and prints one line (or JSON object) per file, then a total.
//! Files whose header says swiss-v1 (Go 1.24's Swiss-table map) are replayed instead with
//! [`gomap::replay_swiss`] on the Swiss port or the `swiss` model (text lines only).

use gomap::replay::{replay_files, FileOutcome, Target};
use gomap::replay_swiss::SwissFileStatus;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `gomap replay`.
#[derive(clap::Args, Debug, Clone)]
pub struct ReplayArgs {
    /// Trace files (JSON Lines): delta-v1 recorded from Go 1.19, or swiss-v1 from Go 1.24.
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
    let (swiss, classic): (Vec<PathBuf>, Vec<PathBuf>) = args
        .traces
        .iter()
        .cloned()
        .partition(|p| gomap::replay_swiss::is_swiss_trace(p));
    let mut swiss_failed = Vec::new();
    let mut swiss_bad_input = false;
    let mut swiss_ops = 0;
    for p in &swiss {
        let (line, status, ops) =
            gomap::replay_swiss::replay_swiss_file(p, args.target == Target::Model);
        println!("{line}");
        swiss_ops += ops;
        if status != SwissFileStatus::Ok {
            swiss_failed.push(p.display().to_string());
            swiss_bad_input |= status == SwissFileStatus::BadInput;
        }
    }
    if !swiss.is_empty() {
        println!(
            "replayed {} of {} swiss-v1 traces: {swiss_ops} ops",
            swiss.len() - swiss_failed.len(),
            swiss.len()
        );
    }
    if classic.is_empty() {
        return if swiss_failed.is_empty() {
            ExitCode::SUCCESS
        } else {
            crate::fail(
                if swiss_bad_input {
                    crate::EXIT_BAD_INPUT
                } else {
                    crate::EXIT_MISMATCH
                },
                format!(
                    "swiss-v1 traces failed to replay: {}",
                    swiss_failed.join(", ")
                ),
            )
        };
    }
    let args = &ReplayArgs {
        traces: classic,
        ..args.clone()
    };
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
    let code = if swiss_bad_input
        || summary
            .files
            .iter()
            .any(|f| matches!(f.outcome, FileOutcome::TraceError(_)))
    {
        crate::EXIT_BAD_INPUT
    } else {
        crate::EXIT_MISMATCH
    };
    let summary = summary.check().and_then(|s| {
        if swiss_failed.is_empty() {
            Ok(s)
        } else {
            Err(format!(
                "swiss-v1 traces failed to replay: {}",
                swiss_failed.join(", ")
            ))
        }
    });
    match summary {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => crate::fail(code, e),
    }
}
