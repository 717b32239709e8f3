//! Traces recorded by real Go under several releases (tests/data/go-versions/, one per
//! behaviour that differs from Go 1.19; docs/go-versions.md) replay on the port at their
//! header's version, and fail when the header names a release that behaves otherwise:
//! the Go-version parameter is what makes them pass.

use std::path::Path;

use gomap_impl::trace::{parse_trace_str, replay_on_port, Trace};

fn load(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/go-versions")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The trace with its header's `go` field replaced (and `clear_seq` dropped from every
/// state when the new version has none).
fn as_version(text: &str, go: &str) -> Trace {
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    lines[0]["go"] = go.into();
    let keep = gomap_impl::GoVersion::parse(go).unwrap().has_clear_seq();
    for l in &mut lines[1..] {
        if !keep {
            l["state"].as_object_mut().unwrap().remove("clear_seq");
        }
    }
    let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    parse_trace_str(go, &text.join("\n")).expect("still a valid trace")
}

/// Replays `name` as recorded, then as `other` Go; returns the op name of the mismatch.
fn check(name: &str, other: &str) -> String {
    let text = load(name);
    let trace = parse_trace_str(name, &text).expect("parses");
    let r = replay_on_port(&trace).unwrap_or_else(|m| panic!("{m}"));
    assert_eq!(r.ops_replayed, trace.ops.len());
    let m = replay_on_port(&as_version(&text, other))
        .expect_err("replaying with another Go version's behaviour must fail");
    println!("{name} as {other}: {m}");
    m.op
}

#[test]
fn go1_19_mapclear_leaves_entries_an_open_iterator_yields() {
    // As Go 1.22 (no load-factor difference), mapclear marks the buckets emptyRest and
    // the stale yields of Go 1.19 cannot happen.
    assert_eq!(
        check("go1.19.8-clear-stale-yields.jsonl", "go1.22.10"),
        "iter_next"
    );
}

#[test]
fn go1_21_grows_at_load_factor_6() {
    assert_eq!(
        check("go1.21.13-load-factor-12.jsonl", "go1.22.10"),
        "assign"
    );
}

#[test]
fn go1_23_mapclear_stops_open_iterators() {
    assert_eq!(
        check("go1.23.9-clear-marks-empty.jsonl", "go1.19.8"),
        "iter_next"
    );
}

#[test]
fn go1_25_noswissmap_iterators_look_up_after_a_clear() {
    assert_eq!(
        check("go1.25.5-noswissmap-clear-seq.jsonl", "go1.23.9"),
        "iter_next"
    );
}
