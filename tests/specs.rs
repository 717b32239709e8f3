//! Every spec under specs/ decides each property as it expects, and every exhaustive spec pins
//! its unique-state count (in its `[expect] unique_states`), so a change of the state space is
//! a deliberate edit of the spec.

use gomap_model::framework::check::RunOptions;
use gomap_model::framework::spec::{collect_spec_paths, Spec, Strategy};
use gomap_model::registry::run_spec;
use std::path::PathBuf;

fn specs() -> Vec<Spec> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs");
    // specs/observe/: the scenarios `gomap observe` runs on real Go, checked like the rest.
    collect_spec_paths(&[dir.clone(), dir.join("observe")])
        .unwrap()
        .iter()
        .map(|p| Spec::load(p).unwrap())
        .collect()
}

#[test]
fn there_are_at_least_twelve_hmap_specs_with_a_header_comment() {
    let specs = specs();
    assert!(specs.iter().filter(|s| s.model == "hmap").count() >= 12);
    for s in &specs {
        let src = std::fs::read_to_string(&s.path).unwrap();
        assert!(
            src.starts_with("# Scenario:"),
            "{} must start with its scenario comment",
            s.path.display()
        );
        for part in ["# Go behaviour:", "# Expect:"] {
            assert!(src.contains(part), "{} lacks {part}", s.path.display());
        }
    }
}

#[test]
fn every_exhaustive_spec_pins_its_state_count() {
    for s in specs() {
        if s.strategy != Strategy::Simulation {
            assert!(
                s.unique_states.is_some(),
                "{} does not pin unique_states",
                s.path.display()
            );
        }
    }
}

#[test]
fn the_largest_specs_explore_a_million_states() {
    let max = specs()
        .iter()
        .filter_map(|s| s.unique_states.map(|u| u.0))
        .max()
        .unwrap();
    assert!(max >= 1_000_000, "largest pinned spec has {max} states");
}

#[test]
fn every_spec_decides_as_expected() {
    let opts = RunOptions {
        shorten: false,
        ..RunOptions::default()
    };
    let mut failures = Vec::new();
    for s in specs() {
        let r = run_spec(&s, &opts).unwrap();
        for p in &r.properties {
            if !p.ok {
                failures.push(format!(
                    "{}: {} expected {} got {}",
                    r.spec, p.name, p.expected, p.verdict
                ));
            }
        }
        if let Some(n) = r.expected_unique_states {
            if !r.complete || n != r.unique_states {
                failures.push(format!(
                    "{}: pinned {n} unique states, got {} (complete: {})",
                    r.spec, r.unique_states, r.complete
                ));
            }
        }
        // A violated `always` property comes with a path that really violates it.
        for p in &r.properties {
            if let Some(cx) = &p.counterexample {
                assert!(!cx.explorer_path.is_empty());
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn state_counts_do_not_depend_on_the_thread_count() {
    let s = specs()
        .into_iter()
        .find(|s| s.name == "hmap-iteration")
        .unwrap();
    let one = run_spec(
        &s,
        &RunOptions {
            threads: Some(1),
            shorten: false,
            ..RunOptions::default()
        },
    )
    .unwrap();
    let two = run_spec(
        &s,
        &RunOptions {
            threads: Some(2),
            shorten: false,
            ..RunOptions::default()
        },
    )
    .unwrap();
    assert_eq!(one.unique_states, two.unique_states);
    assert_eq!(Some(one.unique_states), s.unique_states.map(|u| u.0));
}

/// docs/swiss-vs-classic.md compares the two maps by spec verdicts: every spec a row names
/// exists, every property it names is expected by one of the row's specs, and a property
/// written as "`p` holds" or "`p` violated" is expected with that verdict there.
#[test]
fn the_classic_versus_swiss_table_names_real_specs_and_their_verdicts() {
    use gomap_model::framework::spec::Verdict;
    let specs = specs();
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/swiss-vs-classic.md"),
    )
    .unwrap();
    let rows: Vec<&str> = doc
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Question"))
        .collect();
    assert!(rows.len() >= 6, "the table has {} rows", rows.len());
    let mut checked = 0;
    for row in rows {
        // Backquoted names with the text that follows each.
        let parts: Vec<&str> = row.split('`').collect();
        let names: Vec<(&str, &str)> = (1..parts.len())
            .step_by(2)
            .map(|i| (parts[i], parts.get(i + 1).copied().unwrap_or("")))
            .collect();
        let row_specs: Vec<&Spec> = names
            .iter()
            .filter_map(|(n, _)| specs.iter().find(|s| s.name == *n))
            .collect();
        for (n, after) in &names {
            let is_property = n.contains('_')
                && n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !is_property {
                continue;
            }
            let want = if after.starts_with(" holds") {
                Some(Verdict::Holds)
            } else if after.starts_with(" violated") {
                Some(Verdict::Violated)
            } else {
                None
            };
            let found = row_specs.iter().any(|s| {
                s.expect
                    .iter()
                    .any(|e| e.property == *n && want.is_none_or(|v| e.verdict == v))
            });
            assert!(
                found,
                "docs/swiss-vs-classic.md: `{n}`{} is not expected by any spec of its row ({:?})",
                match want {
                    Some(v) => format!(" {v:?}"),
                    None => String::new(),
                },
                row_specs.iter().map(|s| &s.name).collect::<Vec<_>>()
            );
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} properties checked");
}
