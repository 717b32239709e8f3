//! `gomap replay <TRACE.jsonl>...`: replays traces recorded from real Go 1.19
//! (`map[uint64]uint64`, format delta-v1, see shared/spec/go-trace-format.md) on the
//! port in gomap-impl and compares the whole map state after every op.
//!
//! For each file it prints the ops replayed and states compared, or the first mismatch
//! (op index, line, field path, expected and actual), or the reason the file could not be
//! read as a trace. [`run`] returns an error when any file fails, so the CLI exits
//! non-zero. With `--json` it prints one JSON object per file instead of text.

use std::path::PathBuf;

use gomap_impl::trace::{parse_trace, replay_on_port, ReplayMismatch, ReplayReport, TraceError};
use serde::Serialize;

/// Arguments of `gomap replay`.
#[derive(clap::Args, Debug, Clone)]
pub struct ReplayArgs {
    /// Trace files (JSON Lines, delta-v1) recorded from Go 1.19.
    #[arg(required = true, value_name = "TRACE.jsonl")]
    pub traces: Vec<PathBuf>,
    /// Print one JSON object per trace instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What happened to one file.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum FileOutcome {
    /// Every op replayed and every state matched.
    Replayed(ReplayReport),
    /// The port differs from Go: the first difference.
    Mismatch(ReplayMismatch),
    /// The file is not a readable delta-v1 trace.
    TraceError(TraceError),
}

/// One file's result.
#[derive(Debug, Clone, Serialize)]
pub struct FileResult {
    /// The path as given (serialized by the outcome, which names its file too).
    #[serde(skip)]
    pub file: String,
    /// The outcome.
    #[serde(flatten)]
    pub outcome: FileOutcome,
}

impl FileResult {
    /// Whether the file replayed cleanly.
    pub fn ok(&self) -> bool {
        matches!(self.outcome, FileOutcome::Replayed(_))
    }
}

/// The results of a `gomap replay` run.
#[derive(Debug, Clone, Serialize)]
pub struct ReplaySummary {
    /// One entry per file, in the order given.
    pub files: Vec<FileResult>,
    /// Ops replayed, over the clean files.
    pub ops_replayed: usize,
    /// States compared, over the clean files.
    pub states_compared: usize,
}

/// Replays one file.
pub fn replay_file(path: &std::path::Path) -> FileResult {
    let file = path.display().to_string();
    let outcome = match parse_trace(path) {
        Err(e) => FileOutcome::TraceError(e),
        Ok(trace) => match replay_on_port(&trace) {
            Ok(r) => FileOutcome::Replayed(r),
            Err(m) => FileOutcome::Mismatch(m),
        },
    };
    FileResult { file, outcome }
}

fn text_line(r: &FileResult) -> String {
    match &r.outcome {
        FileOutcome::Replayed(rep) => format!(
            "{}: ok: {} ops replayed, {} states compared ({} lookups, {} iterator yields, {} bmaps)",
            r.file,
            rep.ops_replayed,
            rep.states_compared,
            rep.lookups_compared,
            rep.yields_compared,
            rep.bmaps_compared
        ),
        FileOutcome::Mismatch(m) => format!(
            "{}: MISMATCH at op {} ({}), line {}: {}: expected {}, got {}",
            r.file, m.op_index, m.op, m.line, m.field, m.expected, m.actual
        ),
        FileOutcome::TraceError(e) => format!("{}: ERROR: {e}", r.file),
    }
}

/// Replays every file in `paths`, printing one line (or JSON object) per file, then a
/// total. Returns the summary when all files replay cleanly, otherwise an error naming
/// the failed files (each failure was printed already).
pub fn run(paths: &[PathBuf], json: bool) -> Result<ReplaySummary, String> {
    if paths.is_empty() {
        return Err("gomap replay: no trace files given".to_string());
    }
    let mut summary = ReplaySummary {
        files: Vec::new(),
        ops_replayed: 0,
        states_compared: 0,
    };
    for p in paths {
        let r = replay_file(p);
        if json {
            println!(
                "{}",
                serde_json::to_string(&r).map_err(|e| format!("cannot print JSON: {e}"))?
            );
        } else {
            println!("{}", text_line(&r));
        }
        if let FileOutcome::Replayed(rep) = &r.outcome {
            summary.ops_replayed += rep.ops_replayed;
            summary.states_compared += rep.states_compared;
        }
        summary.files.push(r);
    }
    let failed: Vec<&str> = summary
        .files
        .iter()
        .filter(|r| !r.ok())
        .map(|r| r.file.as_str())
        .collect();
    if !json {
        println!(
            "replayed {} of {} traces: {} ops, {} states compared",
            summary.files.len() - failed.len(),
            summary.files.len(),
            summary.ops_replayed,
            summary.states_compared
        );
    }
    if failed.is_empty() {
        Ok(summary)
    } else {
        Err(format!(
            "{} of {} traces failed to replay: {}",
            failed.len(),
            summary.files.len(),
            failed.join(", ")
        ))
    }
}

/// [`run`] with parsed CLI arguments.
pub fn run_args(args: &ReplayArgs) -> Result<ReplaySummary, String> {
    run(&args.traces, args.json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("impl/tests/data/sample-trace.jsonl")
    }

    #[test]
    fn replay_of_the_sample_trace_succeeds_with_every_state_compared() {
        let s = run(&[sample()], false).expect("sample replays");
        assert_eq!((s.ops_replayed, s.states_compared), (150, 150));
        assert!(s.files[0].ok());
    }

    #[test]
    fn replay_fails_when_any_file_is_not_a_trace() {
        let missing = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("no/such/trace.jsonl");
        let err = run(&[sample(), missing], true).expect_err("missing file fails the run");
        assert!(err.contains("1 of 2 traces failed"), "{err}");
    }
}
