//! Where a later Go's Swiss-table map departs from the Go 1.24 port: replays every trace in
//! a folder (recorded with `tests/go-oracle-swiss` built by another Go and run with
//! `-any-version`) and prints, per trace, either that it replays like Go 1.24 or the first
//! op where it departs.
//!
//! `cargo run --release -p gomap-impl --example swiss_departures -- DIR`
//!
//! Exits 2 on a missing folder, a folder without traces or a trace that does not parse.

use gomap_impl::swiss::{parse_swiss_trace_str_any_version, replay_swiss_trace};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: swiss_departures DIR");
        return ExitCode::from(2);
    };
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect(),
        Err(e) => {
            eprintln!("error: {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    };
    files.sort();
    if files.is_empty() {
        eprintln!("error: {}: no .jsonl traces", dir.display());
        return ExitCode::from(2);
    }
    for f in files {
        let text = match std::fs::read_to_string(&f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {}: {e}", f.display());
                return ExitCode::from(2);
            }
        };
        let t = match parse_swiss_trace_str_any_version(&text) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {}: {e}", f.display());
                return ExitCode::from(2);
            }
        };
        match replay_swiss_trace(&t) {
            Ok(r) => println!(
                "{} ({}): replays like 1.24: {} ops",
                f.display(),
                t.header.go,
                r.ops
            ),
            Err(m) => println!("{} ({}): departs at {m}", f.display(), t.header.go),
        }
    }
    ExitCode::SUCCESS
}
