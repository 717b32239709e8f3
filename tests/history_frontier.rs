//! `history = "frontier"` decides what `history = "events"` decides, in fewer states.
//!
//! Every committed syncmap and rwmutex spec that keeps the event history (the default) is run
//! again with the frontier: every property must get the verdict the spec expects (which
//! tests/specs.rs checks for the event history), the search must be complete, and it may
//! not explore more unique states than the spec pins for the event history.

use gomap_model::framework::check::RunOptions;
use gomap_model::framework::spec::{collect_spec_paths, ParamValue, Spec};
use gomap_model::registry::run_spec;
use std::path::PathBuf;

fn event_history_specs() -> Vec<Spec> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs");
    collect_spec_paths(&[dir.clone(), dir.join("observe")])
        .unwrap()
        .iter()
        .map(|p| Spec::load(p).unwrap())
        .filter(|s| s.model == "syncmap" || s.model == "rwmutex")
        .filter(|s| {
            s.params
                .get("history")
                .is_none_or(|v| v.value.as_str() == Some("events"))
        })
        .collect()
}

#[test]
fn the_frontier_gives_every_verdict_of_the_event_history_in_fewer_states() {
    let specs = event_history_specs();
    assert!(specs.len() >= 8, "only {} specs to compare", specs.len());
    let opts = RunOptions {
        shorten: false,
        ..RunOptions::default()
    };
    let mut failures = Vec::new();
    let mut rows = Vec::new();
    for spec in specs {
        let events = spec.unique_states.expect("tests/specs.rs: pinned").0;
        let mut f = spec.clone();
        f.params.insert(
            "history".into(),
            ParamValue {
                value: toml::Value::String("frontier".into()),
                line: 0,
            },
        );
        f.unique_states = None;
        let r = run_spec(&f, &opts).unwrap();
        if !r.complete {
            failures.push(format!("{}: frontier search incomplete", spec.name));
        }
        for p in &r.properties {
            if !p.ok {
                failures.push(format!(
                    "{}: {} expected {} got {} with the frontier",
                    spec.name, p.name, p.expected, p.verdict
                ));
            }
        }
        if r.unique_states > events {
            failures.push(format!(
                "{}: frontier {} unique states > events {events}",
                spec.name, r.unique_states
            ));
        }
        rows.push(format!(
            "{:45} events {:>9} frontier {:>9} ({:.1}x)",
            spec.name,
            events,
            r.unique_states,
            events as f64 / r.unique_states as f64
        ));
    }
    println!("{}", rows.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_bad_history_value_names_the_file_line_and_field() {
    let dir = std::env::temp_dir().join(format!("gomap-history-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(
        &path,
        "model = \"syncmap\"\n[params]\nhistory = \"sometimes\"\n[expect]\nlinearizable = \"holds\"\n",
    )
    .unwrap();
    let spec = Spec::load(&path).unwrap();
    let err = run_spec(&spec, &RunOptions::default())
        .unwrap_err()
        .to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        err.contains("bad.toml") && err.contains(":3") && err.contains("params.history"),
        "{err}"
    );
    assert!(err.contains("\"events\", \"frontier\""), "{err}");
}
