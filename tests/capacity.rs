//! The capacity question for the plain map (three goroutines, two operations each from all
//! four, over two keys, no lock) is answered by a preemption-bounded search: the two specs
//! in specs/slow/ complete with every verdict they expect and their pinned counts. They sit
//! in specs/slow/ to keep `gomap check specs/` short: together about two minutes on one core
//! (the counterexample shortening, which this test skips, adds more).

use gomap_model::framework::check::{RunOptions, SpecResult};
use gomap_model::framework::info::Kind;
use gomap_model::framework::spec::{Spec, Verdict};
use gomap_model::registry::run_spec;
use std::path::PathBuf;

fn run(name: &str) -> SpecResult {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("specs/slow")
        .join(name);
    let spec = Spec::load(&path).unwrap();
    let r = run_spec(
        &spec,
        &RunOptions {
            // One thread: the count of a symmetry-reduced DFS is pinned for one thread.
            threads: Some(1),
            shorten: false,
            ..RunOptions::default()
        },
    )
    .unwrap();
    assert!(r.complete, "{name}: stopped by {:?}", r.stopped_by);
    for p in &r.properties {
        assert!(
            p.ok,
            "{name}: {}: expected {} got {}",
            p.name, p.expected, p.verdict
        );
    }
    assert_eq!(Some(r.unique_states), r.expected_unique_states, "{name}");
    r
}

#[test]
fn the_unsync_capacity_specs_complete_and_a_larger_bound_finds_everything_a_smaller_one_does() {
    let one = run("unsync-three-goroutines-two-ops-two-keys-one-preemption.toml");
    let two = run("unsync-three-goroutines-two-ops-two-keys.toml");
    assert!(two.unique_states > 10 * one.unique_states);
    // Within two preemptions every invariant is violated and every behaviour reached, so
    // no verdict depends on the bound.
    for p in &two.properties {
        let found = match p.kind {
            Kind::Always => p.verdict == Verdict::Violated,
            Kind::Sometimes => p.verdict == Verdict::Holds,
        };
        assert!(found, "{}: {} with two preemptions", p.name, p.verdict);
    }
    // What one preemption finds, two find too.
    for p in &one.properties {
        let q = two.properties.iter().find(|q| q.name == p.name).unwrap();
        let found = match p.kind {
            Kind::Always => p.verdict == Verdict::Violated,
            Kind::Sometimes => p.verdict == Verdict::Holds,
        };
        if found {
            assert_eq!(q.verdict, p.verdict, "{}", p.name);
        }
    }
}
