//! A trace corrupted in one field must be reported at exactly that op and field; a
//! malformed trace must be rejected with its file, line and field, never with a panic.

use std::path::Path;

use gomap_impl::trace::{parse_trace_str, replay_on_port, TraceErrorKind, TraceOpKind};
use gomap_impl::ReplayMismatch;
use serde_json::Value;

fn sample_lines() -> Vec<String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sample-trace.jsonl");
    std::fs::read_to_string(p)
        .expect("sample trace")
        .lines()
        .map(str::to_string)
        .collect()
}

/// The sample with op `i`'s line (line i + 2) edited by `f`.
fn edited(i: usize, f: impl FnOnce(&mut Value)) -> String {
    let mut lines = sample_lines();
    let mut v: Value = serde_json::from_str(&lines[i + 1]).expect("json");
    f(&mut v);
    lines[i + 1] = serde_json::to_string(&v).expect("serialize");
    lines.join("\n")
}

fn replay_text(text: &str) -> Result<usize, Box<ReplayMismatch>> {
    let trace = parse_trace_str("corrupt.jsonl", text).expect("still a well-formed trace");
    replay_on_port(&trace)
        .map(|r| r.ops_replayed)
        .map_err(Box::new)
}

fn mismatch_of(text: &str) -> ReplayMismatch {
    let m = replay_text(text).expect_err("corruption must be reported");
    println!("{m}");
    *m
}

#[test]
fn the_unedited_sample_replays_so_every_mismatch_below_is_the_edit() {
    let text = edited(5, |_| {});
    assert_eq!(replay_text(&text), Ok(150));
}

#[test]
fn a_corrupted_tophash_byte_is_reported_at_its_op_and_slot() {
    // Op 5 (assign 980) writes tophash 185 into slot 2 of bucket 0.
    let text = edited(5, |v| {
        let th = &mut v["state"]["buckets_delta"][0][1][0]["tophash"][2];
        assert_eq!(th.as_u64(), Some(185));
        *th = Value::from(186u64);
    });
    let m = mismatch_of(&text);
    assert_eq!((m.op_index, m.line), (5, 7));
    assert_eq!(m.field, "buckets[0][0].tophash[2]");
    assert_eq!((m.expected.as_str(), m.actual.as_str()), ("186", "185"));
}

/// The first op whose delta shows a stale key: a slot that is empty (tophash 0 or 1) but
/// still holds a non-zero key, as Go leaves it after a delete.
fn first_stale_key() -> (usize, usize, usize, usize, u64) {
    for (n, line) in sample_lines().iter().enumerate().skip(1) {
        let v: Value = serde_json::from_str(line).unwrap();
        let delta = v["state"]["buckets_delta"].as_array().unwrap();
        for (d, pair) in delta.iter().enumerate() {
            for (j, bm) in pair[1].as_array().unwrap().iter().enumerate() {
                for s in 0..8 {
                    let th = bm["tophash"][s].as_u64().unwrap();
                    let k = bm["keys"][s].as_u64().unwrap();
                    if th <= 1 && k != 0 {
                        return (n - 1, d, j, s, k);
                    }
                }
            }
        }
    }
    panic!("the sample has deletes, hence stale keys");
}

#[test]
fn a_corrupted_stale_key_is_reported_at_its_op_and_slot() {
    let (i, d, j, s, k) = first_stale_key();
    let mut idx = 0;
    let text = edited(i, |v| {
        idx = v["state"]["buckets_delta"][d][0].as_u64().unwrap();
        v["state"]["buckets_delta"][d][1][j]["keys"][s] = Value::from(k + 1000);
    });
    let m = mismatch_of(&text);
    assert_eq!(m.op_index as usize, i);
    assert_eq!(m.field, format!("buckets[{idx}][{j}].keys[{s}]"));
    assert_eq!(m.expected, (k + 1000).to_string());
    assert_eq!(m.actual, k.to_string());
}

#[test]
fn a_corrupted_noverflow_is_reported_at_its_op() {
    let text = edited(40, |v| v["state"]["noverflow"] = Value::from(1u64));
    let m = mismatch_of(&text);
    assert_eq!((m.op_index, m.field.as_str()), (40, "noverflow"));
    assert_eq!((m.expected.as_str(), m.actual.as_str()), ("1", "0"));
}

#[test]
fn a_corrupted_prealloc_left_is_reported_at_its_op() {
    let text = edited(41, |v| v["state"]["prealloc_left"] = Value::from(3u64));
    let m = mismatch_of(&text);
    assert_eq!((m.op_index, m.field.as_str()), (41, "prealloc_left"));
}

#[test]
fn a_corrupted_iterator_yield_is_reported_at_its_op() {
    // Op 10: iter_next of iterator 0 yields key 912, elem 20.
    let text = edited(10, |v| {
        assert_eq!(v["key"].as_u64(), Some(912));
        v["elem"] = Value::from(21u64);
    });
    let m = mismatch_of(&text);
    assert_eq!(
        (m.op_index, m.op.as_str(), m.field.as_str()),
        (10, "iter_next", "elem")
    );
    assert_eq!((m.expected.as_str(), m.actual.as_str()), ("21", "20"));

    let text = edited(10, |v| v["key"] = Value::from(913u64));
    let m = mismatch_of(&text);
    assert_eq!((m.op_index, m.field.as_str()), (10, "key"));
}

#[test]
fn an_iterator_that_goes_on_where_go_ended_is_reported_at_its_op() {
    // Op 25: iterator 0 is done in Go; claim it yielded one more element.
    let text = edited(25, |v| {
        let o = v.as_object_mut().unwrap();
        assert_eq!(o.remove("done"), Some(Value::Bool(true)));
        o.insert("key".into(), Value::from(1u64));
        o.insert("elem".into(), Value::from(2u64));
    });
    let m = mismatch_of(&text);
    assert_eq!((m.op_index, m.field.as_str()), (25, "done"));
    assert_eq!(
        (m.expected.as_str(), m.actual.as_str()),
        ("key 1, elem 2", "done")
    );
}

#[test]
fn an_iterator_used_after_its_done_line_is_an_inconsistent_trace() {
    // Op 10 becomes iterator 0's end, but op 13 uses iterator 0 again.
    let text = edited(10, |v| {
        let o = v.as_object_mut().unwrap();
        o.remove("key");
        o.remove("elem");
        o.insert("done".into(), Value::Bool(true));
    });
    let err = parse_trace_str("corrupt.jsonl", &text).expect_err("iterator used after done");
    assert_eq!(
        (err.kind, err.line, err.field.as_str()),
        (TraceErrorKind::Inconsistent, 15, "iter")
    );
}

#[test]
fn a_corrupted_lookup_result_is_reported_at_its_op() {
    // Op 27: lookup 455 finds 26.
    let text = edited(27, |v| v["found"] = Value::Bool(false));
    let m = mismatch_of(&text);
    assert_eq!((m.op_index, m.field.as_str()), (27, "found"));
    let text = edited(27, |v| v["elem"] = Value::from(27u64));
    let m = mismatch_of(&text);
    assert_eq!((m.op_index, m.field.as_str()), (27, "elem"));
}

#[test]
fn a_corrupted_hash_of_a_live_key_is_reported() {
    // Op 4 assigns 912; give it a hash with another top byte: its tophash must then differ.
    let text = edited(4, |v| v["hash"] = Value::from(0xff00_0000_0000_0000u64));
    let m = mismatch_of(&text);
    assert_eq!(
        (m.op_index, m.field.as_str()),
        (4, "buckets[0][0].tophash[1]")
    );
}

#[test]
fn u64_values_above_two_to_the_53_are_parsed_exactly() {
    let trace = parse_trace_str("sample", &sample_lines().join("\n")).unwrap();
    match trace.ops[5].op {
        TraceOpKind::Assign { hash, .. } => assert_eq!(hash, 13340532732886197168),
        ref other => panic!("op 5 is {other:?}"),
    }
    // 2^53 + 1 is not representable as f64; an f64 detour would read 2^53.
    let text = edited(3, |v| v["key"] = Value::from(9_007_199_254_740_993u64));
    let trace = parse_trace_str("edited", &text).unwrap();
    match trace.ops[3].op {
        TraceOpKind::Assign { key, .. } => assert_eq!(key, 9_007_199_254_740_993),
        ref other => panic!("op 3 is {other:?}"),
    }
}

fn parse_err(text: &str) -> gomap_impl::TraceError {
    let e = parse_trace_str("bad.jsonl", text).expect_err("must be rejected");
    println!("{e}");
    assert!(e.to_string().starts_with("bad.jsonl:"), "{e}");
    e
}

#[test]
fn malformed_json_names_the_line() {
    let mut lines = sample_lines();
    lines[4].truncate(40);
    let e = parse_err(&lines.join("\n"));
    assert_eq!((e.kind, e.line), (TraceErrorKind::MalformedJson, 5));
}

#[test]
fn a_missing_field_names_the_line_and_field() {
    let text = edited(2, |v| {
        v.as_object_mut().unwrap().remove("hash");
    });
    let e = parse_err(&text);
    assert_eq!(
        (e.kind, e.line, e.field.as_str()),
        (TraceErrorKind::MissingField, 4, "hash")
    );

    let text = edited(3, |v| {
        v["state"]["buckets_delta"][0][1][0]
            .as_object_mut()
            .unwrap()
            .remove("keys");
    });
    let e = parse_err(&text);
    assert_eq!(
        (e.kind, e.line, e.field.as_str()),
        (
            TraceErrorKind::MissingField,
            5,
            "state.buckets_delta[0][1][0].keys"
        )
    );
}

#[test]
fn an_unknown_op_is_rejected() {
    let text = edited(2, |v| v["op"] = Value::from("swap"));
    let e = parse_err(&text);
    assert_eq!(
        (e.kind, e.line, e.field.as_str()),
        (TraceErrorKind::UnknownOp, 4, "op")
    );
}

#[test]
fn a_header_for_another_key_type_or_format_is_a_foreign_trace() {
    let mut lines = sample_lines();
    lines[0] = lines[0].replace("\"key\":\"uint64\"", "\"key\":\"string\"");
    let e = parse_err(&lines.join("\n"));
    assert_eq!(
        (e.kind, e.line, e.field.as_str()),
        (TraceErrorKind::ForeignTrace, 1, "key")
    );

    let mut lines = sample_lines();
    lines[0] = lines[0].replace("delta-v1", "full-v2");
    let e = parse_err(&lines.join("\n"));
    assert_eq!(
        (e.kind, e.field.as_str()),
        (TraceErrorKind::ForeignTrace, "format")
    );

    let e = parse_err(&sample_lines()[1..].join("\n"));
    assert_eq!((e.kind, e.line), (TraceErrorKind::ForeignTrace, 1));

    // Only classic-map Go versions of scripts/go-versions.txt: no 1.20 (not checked),
    // no Swiss tables (1.24/1.25 without noswissmap, 1.26+).
    for go in [
        "go1.20.1",
        "go1.25.5",
        "go1.26.6 X:noswissmap",
        "go1.18",
        "gccgo",
    ] {
        let mut lines = sample_lines();
        lines[0] = lines[0].replace("\"go1.19.8\"", &format!("{go:?}"));
        let e = parse_err(&lines.join("\n"));
        assert_eq!(
            (e.kind, e.field.as_str()),
            (TraceErrorKind::ForeignTrace, "go")
        );
    }
    let mut lines = sample_lines();
    lines[0] = lines[0].replace("\"go1.19.8\"", "\"go1.22.10\"");
    let t = parse_trace_str("go122", &lines.join("\n")).expect("a Go 1.22 header is read");
    assert_eq!(t.header.go_version().minor, 22);
    // From Go 1.24 every state carries hmap.clearSeq.
    let mut lines = sample_lines();
    lines[0] = lines[0].replace("\"go1.19.8\"", "\"go1.24.11 X:noswissmap\"");
    let e = parse_err(&lines.join("\n"));
    assert_eq!(
        (e.kind, e.field.as_str()),
        (TraceErrorKind::Inconsistent, "state.clear_seq")
    );

    let e = parse_err("");
    assert_eq!(e.kind, TraceErrorKind::ForeignTrace);
}

#[test]
fn non_integer_and_out_of_range_numbers_are_bad_values() {
    // Line 5 is op 3, assign 455.
    let mut lines = sample_lines();
    assert!(lines[4].contains("\"key\":455,"));
    lines[4] = lines[4].replacen("\"key\":455", "\"key\":455.0", 1);
    let e = parse_err(&lines.join("\n"));
    assert_eq!(
        (e.kind, e.line, e.field.as_str()),
        (TraceErrorKind::BadValue, 5, "key")
    );

    let mut lines = sample_lines();
    lines[4] = lines[4].replacen("\"key\":455", "\"key\":18446744073709551616", 1);
    let e = parse_err(&lines.join("\n"));
    assert_eq!(
        (e.kind, e.field.as_str()),
        (TraceErrorKind::BadValue, "key")
    );

    let text = edited(3, |v| {
        v["state"]["buckets_delta"][0][1][0]["tophash"][0] = Value::from(256u64)
    });
    let e = parse_err(&text);
    assert_eq!(
        (e.kind, e.field.as_str()),
        (
            TraceErrorKind::BadValue,
            "state.buckets_delta[0][1][0].tophash[0]"
        )
    );
}

#[test]
fn a_delta_outside_its_array_is_inconsistent() {
    let text = edited(4, |v| v["state"]["buckets_delta"][0][0] = Value::from(1u64));
    let e = parse_err(&text);
    assert_eq!(
        (e.kind, e.line, e.field.as_str()),
        (TraceErrorKind::Inconsistent, 6, "state.buckets_delta[0][0]")
    );
}

#[test]
fn truncated_lines_are_errors_never_panics() {
    let lines = sample_lines();
    for n in [1usize, 3, 6, 10, 17, 60] {
        for cut in [0usize, 1, 7, 30, 100, 200, 400] {
            let mut l = lines.clone();
            if cut >= l[n].len() {
                continue;
            }
            l[n].truncate(cut);
            let text = l.join("\n");
            let r = std::panic::catch_unwind(|| parse_trace_str("cut.jsonl", &text));
            let e = r
                .expect("no panic")
                .expect_err("truncated line is rejected");
            assert_eq!(e.line, n + 1, "{e}");
        }
    }
}
