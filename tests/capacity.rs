//! The capacity questions (three goroutines, two operations each from all the model's
//! operations, over two keys) are answered: the specs in specs/slow/ complete with every
//! verdict they expect and their pinned counts. sync.Map is checked exhaustively (history
//! "frontier", symmetry; about a minute on one core); the plain map with no lock within a
//! preemption bound (two specs, together about two minutes). They sit in specs/slow/ to keep
//! `gomap check specs/` short (the counterexample shortening, which these tests skip, adds
//! more).

use gomap_model::framework::check::{RunOptions, SpecResult};
use gomap_model::framework::info::Kind;
use gomap_model::framework::spec::{Spec, Verdict};
use gomap_model::registry::run_spec;
use std::path::PathBuf;

fn slow_spec(name: &str) -> Spec {
    Spec::load(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("specs/slow")
            .join(name),
    )
    .unwrap()
}

fn run(name: &str) -> SpecResult {
    let spec = slow_spec(name);
    let r = run_spec(
        &spec,
        &RunOptions {
            // One thread, leaving the other core to the tests beside it.
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
fn the_syncmap_capacity_spec_completes_with_its_pinned_count() {
    let r = run("syncmap-three-goroutines-two-ops-two-keys.toml");
    assert!(r.unique_states > 5_000_000, "{}", r.unique_states);
}

#[test]
fn the_one_preemption_spec_completes_with_its_pinned_count() {
    run("unsync-three-goroutines-two-ops-two-keys-one-preemption.toml");
}

#[test]
fn the_two_preemption_spec_completes_and_finds_everything_one_preemption_finds() {
    let two = run("unsync-three-goroutines-two-ops-two-keys.toml");
    // Within two preemptions every invariant is violated and every behaviour reached, so
    // no verdict depends on the bound.
    let found = |kind: Kind, v: Verdict| match kind {
        Kind::Always => v == Verdict::Violated,
        Kind::Sometimes => v == Verdict::Holds,
    };
    for p in &two.properties {
        assert!(
            found(p.kind, p.verdict),
            "{}: {} with two preemptions",
            p.name,
            p.verdict
        );
    }
    // Every property the one-preemption spec expects, two preemptions decide the same way
    // or find it.
    let one = slow_spec("unsync-three-goroutines-two-ops-two-keys-one-preemption.toml");
    let mut compared = 0;
    for e in &one.expect {
        if let Some(q) = two.properties.iter().find(|q| q.name == e.property) {
            compared += 1;
            if found(q.kind, e.verdict) {
                assert_eq!(q.verdict, e.verdict, "{}", e.property);
            }
        }
    }
    assert_eq!(compared, two.properties.len());
    assert!(two.unique_states > 10 * one.unique_states.unwrap().0);
}

/// Every spec in specs/slow/ loads (model, parameters, properties, expected verdicts), those
/// no test runs too, and each pins its count or says in the folder's README why not.
#[test]
fn every_slow_spec_loads() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs/slow");
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "toml") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let spec = Spec::load(&path).unwrap_or_else(|e| panic!("{e}"));
            gomap_model::registry::validate_spec(&spec).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                readme.contains(&format!("`{name}`")),
                "{name} is not in specs/slow/README.md"
            );
            n += 1;
        }
    }
    assert!(n >= 8, "{n} slow specs");
}

/// The smaller versions of the every-interleaving spec whose counts estimate its size
/// (specs/slow/size/, `gomap bench --targets`): the four under a few seconds each. The two
/// larger (20 and 47 million states, about a minute together) are checked by
/// `gomap check specs/slow/size/` and by `gomap bench --targets`.
#[test]
fn the_small_size_specs_complete_with_their_pinned_counts() {
    for name in [
        "size/unsync-2x1x1.toml",
        "size/unsync-2x1x2.toml",
        "size/unsync-2x2x1.toml",
        "size/unsync-3x1x1.toml",
    ] {
        run(name);
    }
}
