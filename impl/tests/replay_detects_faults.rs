//! The replay must notice when the port departs from Go: a port with an injected fault
//! (a copy of the algorithm with one bug) replays a real Go trace with a mismatch.

use std::path::{Path, PathBuf};

use gomap_impl::map::Fault;
use gomap_impl::trace::{parse_trace, replay_on_port_with, ReplayOptions};

fn path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The first mismatch of the faulty port on trace `rel`, if any.
fn replay_with(rel: &str, fault: Fault) -> Option<gomap_impl::ReplayMismatch> {
    let trace = parse_trace(&path(rel)).expect("trace parses");
    replay_on_port_with(
        &trace,
        &ReplayOptions {
            faults: vec![fault],
        },
    )
    .err()
}

const SAMPLE: &str = "tests/data/sample-trace.jsonl";

#[test]
fn evacuating_to_the_wrong_half_is_caught_by_the_sample_trace() {
    let m = replay_with(SAMPLE, Fault::EvacuateWrongHalf).expect("fault must be seen");
    println!("{m}");
    // The first grow of the sample (B 0 -> 1) is at op 16.
    assert_eq!(m.op_index, 16);
    assert!(m.field.starts_with("buckets["), "{m}");
}

#[test]
fn missing_empty_rest_propagation_is_caught_by_the_sample_trace() {
    let m = replay_with(SAMPLE, Fault::NoEmptyRestPropagation).expect("fault must be seen");
    println!("{m}");
    assert_eq!((m.op_index, m.op.as_str()), (80, "delete"));
    assert!(m.field.contains(".tophash["), "{m}");
    assert_eq!((m.expected.as_str(), m.actual.as_str()), ("0", "1"));
}

#[test]
fn clearing_keys_on_delete_is_caught_by_the_sample_trace() {
    let m = replay_with(SAMPLE, Fault::ClearKeyOnDelete).expect("fault must be seen");
    println!("{m}");
    // The first successful delete of the sample is op 20 (key 980).
    assert_eq!(m.op_index, 20);
    assert!(m.field.contains(".keys["), "{m}");
    assert_eq!((m.expected.as_str(), m.actual.as_str()), ("980", "0"));
}

#[test]
fn skipping_the_extra_evacuation_in_grow_work_is_caught_by_the_sample_trace() {
    let m = replay_with(SAMPLE, Fault::NoExtraEvacuation).expect("fault must be seen");
    println!("{m}");
    // The grow B 1 -> 2 at op 35: Go evacuates old bucket (hash & 1) and then the one at
    // nevacuate, finishing the growth in that op.
    assert_eq!(m.op_index, 35);
    assert_eq!(m.field, "nevacuate");
}

#[test]
fn iterating_without_re_lookup_of_evacuated_entries_is_caught_by_the_corpus() {
    let m = replay_with(
        "../tests/traces/iter-across-growth-mutations.jsonl",
        Fault::IterNoRelookup,
    )
    .expect("fault must be seen");
    println!("{m}");
    assert_eq!(m.op, "iter_next");
}
