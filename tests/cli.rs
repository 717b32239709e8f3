//! The `gomap` command as a user runs it: bad input gets a clear error naming file, line and
//! field and exit code 2, never a panic; verdicts that differ exit 1; JSON output is complete.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn gomap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gomap"))
        .args(args)
        .output()
        .expect("run gomap")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A scratch folder under target/ for spec files written by a test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_spec(name: &str, body: &str) -> PathBuf {
    let dir = scratch(name);
    let p = dir.join(format!("{name}.toml"));
    std::fs::write(&p, body).unwrap();
    p
}

/// Runs `gomap check` on a spec expected to be rejected and returns its stderr.
fn rejected(name: &str, body: &str) -> String {
    let p = write_spec(name, body);
    let o = gomap(&["check", p.to_str().unwrap()]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "exit code for {name}: {err}");
    assert!(!err.contains("panicked"), "{name} panicked: {err}");
    assert!(
        err.contains(&format!("{name}.toml")),
        "{name}: error does not name the file: {err}"
    );
    err
}

const SMALL: &str = "model = \"hmap\"\n[params]\nkeys = 2\nmax_ops = 3\n[expect]\ncount_matches_live_entries = \"holds\"\n";

#[test]
fn malformed_toml_names_file_and_line() {
    let err = rejected("malformed", "model = \"hmap\"\n[params]\nkeys = = 2\n");
    assert!(err.contains("malformed.toml:3"), "{err}");
}

#[test]
fn unknown_model_names_the_model_line() {
    let err = rejected(
        "unknown_model",
        "# c\nmodel = \"btree\"\n[expect]\ncount_matches_live_entries = \"holds\"\n",
    );
    assert!(err.contains("unknown_model.toml:2"), "{err}");
    assert!(
        err.contains("field `model`") && err.contains("btree"),
        "{err}"
    );
}

#[test]
fn unknown_property_names_its_line_and_field() {
    let err = rejected(
        "unknown_property",
        "model = \"hmap\"\n[expect]\ncount_matches_live_entries = \"holds\"\nmap_is_fast = \"holds\"\n",
    );
    assert!(err.contains("unknown_property.toml:4"), "{err}");
    assert!(err.contains("expect.map_is_fast"), "{err}");
}

#[test]
fn unknown_parameter_names_its_line_and_field() {
    let err = rejected(
        "unknown_param",
        "model = \"hmap\"\n[params]\nkeys = 2\nbuckets = 4\n[expect]\ncount_matches_live_entries = \"holds\"\n",
    );
    assert!(err.contains("unknown_param.toml:4"), "{err}");
    assert!(err.contains("params.buckets"), "{err}");
}

#[test]
fn zero_bucket_size_is_rejected() {
    let err = rejected(
        "zero_bucket",
        "model = \"hmap\"\n[params]\nbucket_cnt = 0\n[expect]\ncount_matches_live_entries = \"holds\"\n",
    );
    assert!(
        err.contains("zero_bucket.toml:3") && err.contains("params.bucket_cnt"),
        "{err}"
    );
}

#[test]
fn bucket_size_must_be_a_power_of_two() {
    let err = rejected(
        "bucket3",
        "model = \"hmap\"\n[params]\nbucket_cnt = 3\n[expect]\ncount_matches_live_entries = \"holds\"\n",
    );
    assert!(err.contains("power of two"), "{err}");
}

#[test]
fn more_keys_than_the_hash_domain_can_tell_apart_is_rejected() {
    let err = rejected(
        "too_many_keys",
        "model = \"hmap\"\n[params]\nkeys = 5\nhash_bits = 1\ntophash_values = 2\n[expect]\ncount_matches_live_entries = \"holds\"\n",
    );
    assert!(
        err.contains("too_many_keys.toml:3") && err.contains("params.keys"),
        "{err}"
    );
    assert!(err.contains("domain of 4"), "{err}");
}

#[test]
fn load_factor_above_bucket_size_is_rejected() {
    let err = rejected(
        "lf",
        "model = \"hmap\"\n[params]\nbucket_cnt = 1\nload_factor = \"8/1\"\n[expect]\ncount_matches_live_entries = \"holds\"\n",
    );
    assert!(
        err.contains("lf.toml:4") && err.contains("params.load_factor"),
        "{err}"
    );
}

#[test]
fn wrong_types_and_values_are_rejected() {
    let err = rejected(
        "wrong_type",
        "model = \"hmap\"\n[params]\nkeys = \"three\"\n[expect]\ncount_matches_live_entries = \"holds\"\n",
    );
    assert!(
        err.contains("wrong_type.toml:3") && err.contains("expected an integer"),
        "{err}"
    );
    let err = rejected(
        "bad_verdict",
        "model = \"hmap\"\n[expect]\ncount_matches_live_entries = \"maybe\"\n",
    );
    assert!(
        err.contains("bad_verdict.toml:3") && err.contains("holds"),
        "{err}"
    );
    let err = rejected(
        "bad_threads",
        "model = \"hmap\"\n[search]\nthreads = 0\n[expect]\ncount_matches_live_entries = \"holds\"\n",
    );
    assert!(
        err.contains("bad_threads.toml:3") && err.contains("search.threads"),
        "{err}"
    );
    let err = rejected(
        "bad_strategy",
        "model = \"hmap\"\n[search]\nstrategy = \"astar\"\n[expect]\ncount_matches_live_entries = \"holds\"\n",
    );
    assert!(
        err.contains("bad_strategy.toml:3") && err.contains("astar"),
        "{err}"
    );
    let err = rejected(
        "unknown_section_field",
        "model = \"hmap\"\n[limits]\nmax_time = 3\n[expect]\ncount_matches_live_entries = \"holds\"\n",
    );
    assert!(err.contains("unknown_section_field.toml:3"), "{err}");
}

#[test]
fn a_simulation_cannot_expect_an_always_property_to_hold() {
    let err = rejected(
        "sim_holds",
        "model = \"hmap\"\n[search]\nstrategy = \"simulation\"\n[limits]\nmax_states = 100\n[expect]\ncount_matches_live_entries = \"holds\"\n",
    );
    assert!(
        err.contains("sim_holds.toml:7") && err.contains("simulation"),
        "{err}"
    );
}

#[test]
fn missing_spec_file_or_empty_folder_is_rejected() {
    let o = gomap(&["check", "no/such/spec.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("no/such/spec.toml"));
    let dir = scratch("empty_folder");
    let o = gomap(&["check", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("no spec files"));
}

#[test]
fn a_spec_without_expectations_is_rejected() {
    let err = rejected("no_expect", "model = \"hmap\"\n[expect]\n");
    assert!(err.contains("expect"), "{err}");
}

#[test]
fn a_verdict_that_differs_exits_1_and_says_so() {
    let p = write_spec(
        "wrong_verdict",
        "model = \"hmap\"\n[params]\nkeys = 2\nmax_ops = 3\n[expect]\ns11_delete_clears_key = \"holds\"\n",
    );
    let o = gomap(&["check", p.to_str().unwrap()]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("BAD s11_delete_clears_key"), "{out}");
    assert!(
        out.contains("expected holds") && out.contains("got violated"),
        "{out}"
    );
    assert!(out.contains("FAILED wrong_verdict"), "{out}");
}

#[test]
fn a_changed_state_count_fails_the_pin() {
    let p = write_spec(
        "wrong_pin",
        "model = \"hmap\"\n[params]\nkeys = 2\nmax_ops = 3\n[expect]\nunique_states = 1\ncount_matches_live_entries = \"holds\"\n",
    );
    let o = gomap(&["check", p.to_str().unwrap()]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("expected 1 (pinned)"), "{out}");
}

#[test]
fn a_search_stopped_by_a_limit_is_incomplete_never_holds() {
    let p = write_spec(
        "limited",
        "model = \"hmap\"\n[params]\nkeys = 3\nmax_ops = 6\n[limits]\nmax_states = 500\n[expect]\ncount_matches_live_entries = \"holds\"\n",
    );
    let o = gomap(&["check", "--json", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["complete"], false);
    assert_eq!(v[0]["properties"][0]["verdict"], "incomplete");
}

#[test]
fn check_json_has_one_object_per_spec_with_counterexamples() {
    let a = write_spec("json_a", SMALL);
    let b = write_spec(
        "json_b",
        "model = \"hmap\"\n[params]\nkeys = 2\nmax_ops = 3\n[expect]\ns11_delete_clears_key = \"violated\"\n",
    );
    let o = gomap(&["check", "--json", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 2);
    for r in arr {
        for k in [
            "spec",
            "model",
            "unique_states",
            "max_depth",
            "seconds",
            "complete",
            "properties",
        ] {
            assert!(r.get(k).is_some(), "missing {k} in {r}");
        }
    }
    let p = &arr[1]["properties"][0];
    assert_eq!(p["name"], "s11_delete_clears_key");
    assert_eq!(p["expected"], "violated");
    assert_eq!(p["verdict"], "violated");
    let steps = p["counterexample"]["steps"].as_array().unwrap();
    // The shortest counterexample: assign a key, delete it.
    assert_eq!(steps.len(), 2, "{p}");
    assert!(steps[0]["action"]
        .as_str()
        .unwrap()
        .starts_with("mapassign("));
    assert!(steps[1]["action"]
        .as_str()
        .unwrap()
        .starts_with("mapdelete("));
    assert!(arr[0]["properties"][0]["counterexample"].is_null());
}

#[test]
fn check_out_writes_each_counterexample_as_json() {
    let p = write_spec(
        "out_spec",
        "model = \"hmap\"\n[params]\nkeys = 2\nmax_ops = 3\n[expect]\ns11_delete_clears_key = \"violated\"\n",
    );
    let out = scratch("out_dir").join("cx");
    let o = gomap(&["check", "--out", out.to_str().unwrap(), p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let f = out.join("out_spec.s11_delete_clears_key.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
    assert_eq!(v["property"], "s11_delete_clears_key");
    assert!(!v["counterexample"]["steps"].as_array().unwrap().is_empty());
}

#[test]
fn counterexamples_print_step_by_step_in_go_terms() {
    let p = write_spec(
        "text_cx",
        "model = \"hmap\"\n[params]\nkeys = 3\nmax_ops = 5\nbucket_cnt = 1\nload_factor = \"1/2\"\nhint = 2\nhash_bits = 3\nreseed = false\nops = [\"assign\", \"access\"]\n[expect]\ns14_read_checks_new_then_old = \"violated\"\n",
    );
    let o = gomap(&["check", p.to_str().unwrap()]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    for needle in [
        "counterexample for s14_read_checks_new_then_old",
        "mapassign(k",
        "-> hashGrow: double to B=3",
        "-> evacuate(old bucket",
        "mapaccess2(k",
        "search old bucket",
        "oldbuckets:",
        "gomap explore",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
}

#[test]
fn list_shows_models_parameters_and_properties() {
    let o = gomap(&["list"]);
    let (out, _) = text(&o);
    assert!(o.status.success());
    assert!(out.contains("model hmap"));
    assert!(out.contains("bucket_cnt") && out.contains("\"13/2\""));
    assert!(out.contains("count_matches_live_entries") && out.contains("sometimes"));
    let o = gomap(&["list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let hmap = &v[0];
    assert_eq!(hmap["name"], "hmap");
    assert!(hmap["params"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "keys" && p["default"] == "2"));
    assert!(hmap["properties"].as_array().unwrap().len() >= 20);
}

#[test]
fn explore_refuses_non_loopback_addresses() {
    let p = write_spec("explore_remote", SMALL);
    let o = gomap(&["explore", p.to_str().unwrap(), "--addr", "0.0.0.0:0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("--allow-remote"));
}

/// The committed Go 1.24 Swiss-table traces (tests/traces-swiss/*.jsonl) replay on the
/// `swiss` model and on the Swiss port through `gomap replay`, every op compared.
#[test]
fn swiss_traces_replay_on_model_and_port() {
    let mut traces: Vec<String> = std::fs::read_dir("tests/traces-swiss")
        .expect("tests/traces-swiss")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .map(|p| p.display().to_string())
        .collect();
    traces.sort();
    assert!(traces.len() >= 9, "swiss corpus: {traces:?}");
    for target in ["model", "port"] {
        let mut args = vec!["replay", "--target", target];
        args.extend(traces.iter().map(String::as_str));
        let o = gomap(&args);
        let (out, err) = text(&o);
        assert!(o.status.success(), "{target}: {out}\n{err}");
        let want = format!("replayed {n} of {n} swiss-v1 traces", n = traces.len());
        assert!(out.contains(&want), "{target}: {out}");
        assert_eq!(out.matches(": ok (swiss-v1").count(), traces.len(), "{out}");
    }
}

/// A Swiss trace whose recorded lookup result is changed no longer replays on the model: the
/// replay compares what it claims to compare.
#[test]
fn swiss_trace_with_a_changed_lookup_fails_on_the_model() {
    let src = std::fs::read_to_string("tests/traces-swiss/tombstones.jsonl").unwrap();
    let mut changed = false;
    let lines: Vec<String> = src
        .lines()
        .map(|l| {
            if !changed && l.contains("\"op\":\"lookup\"") && l.contains("\"found\":true") {
                changed = true;
                l.replace("\"found\":true", "\"found\":false")
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(changed, "no lookup that found its key in the trace");
    let dir = scratch("swiss-changed");
    let p = dir.join("changed.jsonl");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    let o = gomap(&["replay", "--target", "model", p.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(out.contains("MISMATCH") && out.contains("lookup"), "{out}");
}
