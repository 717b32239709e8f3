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

/// The last op of `trace` repeats a yield of the same iterator with no `delete` of that
/// key and no `clear` in between; returns its index.
fn repeated_yield_at_the_end(trace: &Trace) -> usize {
    use gomap_impl::trace::TraceOpKind;
    let mut seen: std::collections::HashMap<u64, std::collections::HashSet<u64>> =
        Default::default();
    for (n, op) in trace.ops.iter().enumerate() {
        match &op.op {
            TraceOpKind::Make { .. } => seen.clear(),
            TraceOpKind::IterStart { iter, .. } => {
                seen.insert(*iter, Default::default());
            }
            TraceOpKind::Clear => seen.values_mut().for_each(|s| s.clear()),
            TraceOpKind::Delete { key, .. } => seen.values_mut().for_each(|s| {
                s.remove(key);
            }),
            TraceOpKind::IterNext {
                iter,
                item: Some((k, _)),
            } if !seen.get_mut(iter).expect("started").insert(*k) => {
                assert_eq!(n, trace.ops.len() - 1, "the repeat ends the trace");
                return n;
            }
            _ => {}
        }
    }
    panic!("no key yielded twice")
}

/// An iterator that stands in an overflow bucket when `mapclear` runs keeps walking it:
/// the clear zeroes the preallocated overflow buckets with the array and `newoverflow`
/// hands them out again to any chain (the last one's overflow is the sentinel, bucket 0),
/// and from Go 1.24 the other overflow buckets keep their entries, looked up in the
/// current map. The iterator yields a key created after the clear in another bucket's
/// chain and again in that bucket. Traces recorded by real Go (Go 1.22 and Go 1.25
/// noswissmap), cut after the repeated yield; the port yields the same.
#[test]
fn an_iterator_in_an_overflow_bucket_a_clear_recycles_yields_a_key_twice() {
    for name in [
        "go1.22.10-clear-recycled-overflow-yields-twice.jsonl",
        "go1.25.5-noswissmap-clear-recycled-overflow-yields-twice.jsonl",
    ] {
        let trace = parse_trace_str(name, &load(name)).expect("parses");
        let n = repeated_yield_at_the_end(&trace);
        let r = replay_on_port(&trace).unwrap_or_else(|m| panic!("{m}"));
        assert_eq!(r.ops_replayed, trace.ops.len(), "{name}");
        println!("{name}: op {n} repeats a yield; the port yields the same");
    }
}
