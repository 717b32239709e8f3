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
