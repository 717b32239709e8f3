//! `gomap observe`: real goroutines on real Go 1.19 against the model. Each scenario runs a
//! short budget of real trials (Go 1.19 is installed by scripts/install-go.sh); inclusion
//! must hold: every outcome real Go produced is one the model reaches. An outcome the model
//! cannot produce must make the command fail and name it.

use std::process::Command;

fn gomap(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gomap"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run gomap");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn observe(spec: &str, trials: &str) -> serde_json::Value {
    let (code, out, err) = gomap(&["observe", spec, "--trials", trials, "--json"]);
    assert_eq!(code, 0, "gomap observe {spec}: exit {code}\n{out}\n{err}");
    let r: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    assert!(r["trials"].as_u64().unwrap() >= trials.parse::<u64>().unwrap());
    assert_eq!(r["unreached"].as_array().unwrap().len(), 0, "{out}");
    r
}

#[test]
fn every_outcome_of_two_real_goroutines_assigning_is_one_the_model_reaches() {
    let r = observe("specs/observe/assign-assign-7.toml", "2000");
    assert!(r["model_complete"].as_bool().unwrap());
    // The model reaches the silent lost insert real Go produces a few times per million.
    let classes = r["classes"].as_array().unwrap();
    assert!(classes
        .iter()
        .any(|c| c["class"].as_str().unwrap().starts_with("lost_insert")
            && c["model_outcomes"].as_u64().unwrap() > 0));
}

#[test]
fn every_outcome_of_an_assign_racing_a_delete_is_one_the_model_reaches() {
    observe("specs/observe/assign-delete-7.toml", "2000");
}

#[test]
fn every_outcome_of_a_read_racing_a_growing_assign_is_one_the_model_reaches() {
    observe("specs/observe/assign-access-growth.toml", "2000");
}

#[test]
fn real_sync_map_histories_are_linearizable() {
    let r = observe("specs/syncmap-two-goroutines.toml", "3000");
    assert!(r["histories"].as_u64().unwrap() >= 3000);
    assert_eq!(r["not_linearizable"].as_u64().unwrap(), 0);
}

#[test]
fn real_rwmutex_map_histories_are_linearizable_and_never_throw() {
    let r = observe("specs/rwmutex-two-goroutines.toml", "3000");
    assert_eq!(r["not_linearizable"].as_u64().unwrap(), 0);
    assert_eq!(r["range_not_snapshot"].as_u64().unwrap(), 0);
    for c in r["classes"].as_array().unwrap() {
        assert!(!c["class"].as_str().unwrap().starts_with("throw"), "{c}");
    }
}

#[test]
fn an_outcome_the_model_cannot_produce_fails_and_is_named() {
    // A recorded file with one outcome added by hand: k1 holding an elem nobody assigned.
    let (code, out, _) = gomap(&[
        "observe",
        "specs/observe/assign-assign-7.toml",
        "--outcomes",
        "tests/observe/impossible-outcome.jsonl",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("NOT IN THE MODEL: wrong_elem"), "{out}");
    assert!(out.contains("[\"k1\",77]"), "{out}");
    // The same file without that outcome passes.
    let (code, out, _) = gomap(&[
        "observe",
        "specs/observe/assign-assign-7.toml",
        "--outcomes",
        "tests/observe/assign-assign-7-recorded.jsonl",
    ]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_spec_observe_cannot_run_is_refused_with_its_field() {
    let (code, _, err) = gomap(&[
        "observe",
        "specs/unsync-two-goroutines.toml",
        "--trials",
        "1",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("params.bucket_cnt") || err.contains("params.programs"),
        "{err}"
    );
}

#[test]
fn real_sync_map_ranges_racing_stores_and_deletes_are_linearizable() {
    // specs/syncmap-range-snapshot.toml: prefilled k1, k2; store, delete and range; the
    // model finds range_is_snapshot violated, real Go is counted in range_not_snapshot.
    let r = observe("specs/syncmap-range-snapshot.toml", "3000");
    assert!(r["histories"].as_u64().unwrap() >= 3000);
    assert_eq!(r["not_linearizable"].as_u64().unwrap(), 0);
    assert!(r["range_not_snapshot"].as_u64().is_some(), "{r}");
}
