//! Replays of real Go 1.19 traces on the port.

use std::path::{Path, PathBuf};

use gomap_impl::trace::{parse_trace, replay_on_port};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn sample_trace_replays_cleanly_with_every_state_compared() {
    let trace = parse_trace(&data("sample-trace.jsonl")).expect("sample trace parses");
    assert_eq!(trace.ops.len(), 150);
    let report = replay_on_port(&trace).unwrap_or_else(|m| panic!("{m}"));
    println!("{report:?}");
    assert_eq!(report.ops_replayed, 150);
    assert_eq!(report.states_compared, 150);
}

/// Every trace of the repository's corpus (`tests/traces/*.jsonl` at the workspace root),
/// recorded from real Go 1.19.
fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/traces");
    let mut out: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .map(|e| e.expect("readable dir entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

#[test]
fn every_corpus_trace_replays_cleanly() {
    let files = corpus();
    assert!(
        !files.is_empty(),
        "no tests/traces/*.jsonl corpus in the workspace root"
    );
    let mut failures = Vec::new();
    for f in &files {
        match parse_trace(f) {
            Err(e) => failures.push(e.to_string()),
            Ok(trace) => match replay_on_port(&trace) {
                Ok(r) => {
                    assert_eq!(r.ops_replayed, trace.ops.len());
                    assert_eq!(r.states_compared, trace.ops.len());
                    println!(
                        "{}: {} ops replayed, {} states compared",
                        f.display(),
                        r.ops_replayed,
                        r.states_compared
                    );
                }
                Err(m) => failures.push(m.to_string()),
            },
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
