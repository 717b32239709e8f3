//! `gomap syncmap-history`: sync.Map histories of real Go checked with the linearizability
//! checker ([`gomap::syncmap_history`]). Either check recorded files
//! (tests/go-oracle/syncmap-history's output), or record fresh ones with the toolchains of
//! `--go` and check them. Exits 1 if a history is not linearizable per key, 2 on bad input.

use clap::Args;
use gomap::{gotoolchain, syncmap_history};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct SyncmapHistoryArgs {
    /// Recorded history files (syncmap-history-v1 JSON Lines).
    pub files: Vec<PathBuf>,
    /// Record fresh histories with these toolchains (a version, a minor release, a
    /// comma-separated list, `ci` or `all`) instead of reading files.
    #[arg(long = "go", conflicts_with = "files")]
    pub go: Option<String>,
    /// What to record: random programs, the range-vs-stores scenario, or both.
    #[arg(long, default_value = "both", value_parser = ["random", "range-vs-stores", "both"])]
    pub scenario: String,
    /// Histories to record per scenario and version (1..=100000).
    #[arg(long, default_value_t = 200)]
    pub histories: usize,
    /// Print a JSON array of reports.
    #[arg(long)]
    pub json: bool,
    /// The repository root (holding tests/go-oracle/syncmap-history).
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
}

pub fn run(args: SyncmapHistoryArgs) -> ExitCode {
    let mut reports = Vec::new();
    match &args.go {
        None => {
            if args.files.is_empty() {
                return crate::fail(
                    crate::EXIT_BAD_INPUT,
                    "give history files, or --go VERSION to record fresh ones",
                );
            }
            for f in &args.files {
                match syncmap_history::check_file(f) {
                    Ok(r) => reports.push(r),
                    Err(e) => return crate::fail(crate::EXIT_BAD_INPUT, e),
                }
            }
        }
        Some(sel) => {
            if !(1..=100_000).contains(&args.histories) {
                return crate::fail(
                    crate::EXIT_BAD_INPUT,
                    format!("--histories must be in 1..=100000, got {}", args.histories),
                );
            }
            let toolchains = match gotoolchain::select(sel) {
                Ok(t) => t,
                Err(e) => return crate::fail(crate::EXIT_BAD_INPUT, e),
            };
            let mut gos = Vec::new();
            for t in &toolchains {
                match gotoolchain::require(&args.root, t) {
                    Ok(go) => gos.push((t.version.clone(), go)),
                    Err(e) => return crate::fail(crate::EXIT_BAD_INPUT, e),
                }
            }
            let scenarios: &[&str] = match args.scenario.as_str() {
                "both" => &["random", "range-vs-stores"],
                "random" => &["random"],
                _ => &["range-vs-stores"],
            };
            let dir = std::env::temp_dir().join(format!("gomap-syncmap-{}", std::process::id()));
            for (v, go) in &gos {
                for s in scenarios {
                    let file = dir.join(format!("{v}-{s}.jsonl"));
                    let r = syncmap_history::record(&args.root, go, s, args.histories, &file)
                        .and_then(|_| syncmap_history::check_file(&file));
                    match r {
                        Ok(r) => reports.push(r),
                        Err(e) => {
                            let _ = std::fs::remove_dir_all(&dir);
                            return crate::fail(crate::EXIT_MISMATCH, format!("Go {v}: {e}"));
                        }
                    }
                }
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&reports).unwrap_or_default()
        );
    } else {
        for r in &reports {
            print!("{}", syncmap_history::text(r));
        }
    }
    if reports.iter().all(|r| r.linearizable()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::EXIT_MISMATCH)
    }
}
