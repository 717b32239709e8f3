//! Tests of the scenario and outcome-file readers.

use super::*;

const SCENARIO: &str = r#"{"kind":"map","initial_count":7,
    "goroutines":[[{"op":"assign","key":"k1","elem":101}],[{"op":"access","key":"k1"},{"op":"range"}]]}"#;

fn header(sc: &str) -> String {
    format!(
        r#"{{"kind":"header","format":"observe-v1","go":"go1.19.8","goarch":"amd64","ncpu":2,"gomaxprocs":2,"seed":7,"per_trial":false,"scenario_file":"s.json","scenario":{}}}"#,
        sc.replace('\n', " ")
    )
}

const CLEAN: &str = r#"{"kind":"outcome","count":3,"first_trial":0,"outcome":{"class":"clean","count":8,"len":8,"B":0,"flags":0,"growing":false,"entries":[["f1",1],["k1",101]],"old_entries":[],"results":[[null],[[101,true],[["k1",101]]]],"tophash_equal":[]},"detail":{"hash0":5,"keys":{"k1":{"key":9,"hash":10,"tophash":11}}}}"#;
const THROW: &str = r#"{"kind":"outcome","count":1,"first_trial":3,"outcome":{"class":"throw:concurrent map writes","throw":"concurrent map writes"},"detail":{}}"#;
const SUMMARY: &str = r#"{"kind":"summary","trials":4,"completed":3,"throws":1,"workers":2,"elapsed_s":0.1,"trials_per_s":40,"distinct_outcomes":2,"classes":{"clean":3,"throw:concurrent map writes":1}}"#;

fn file(lines: &[&str]) -> String {
    lines.join("\n") + "\n"
}

#[test]
fn scenario_parses_and_lists_keys() {
    let sc = Scenario::parse(SCENARIO, "s.json").unwrap();
    assert_eq!(sc.kind, Kind::Map);
    assert_eq!(sc.key_names().len(), 8);
    assert_eq!(sc.key_names()[7], "k1");
    assert_eq!(
        sc.goroutines[0][0],
        Op::Assign {
            key: "k1".into(),
            elem: 101
        }
    );
}

#[test]
fn scenario_errors_name_file_line_and_field() {
    let e = Scenario::parse(
        "{\"kind\":\"map\",\n\"goroutines\":[[{\"op\":\"assign\",\"key\":\"k1\"}]]}",
        "s.json",
    )
    .unwrap_err();
    assert_eq!((e.file.as_str(), e.line), ("s.json", 2));
    assert!(e.msg.contains("missing field `elem`"), "{e}");
    let e = Scenario::parse(
        r#"{"kind":"map","goroutines":[[{"op":"store","key":"k1","value":1}]]}"#,
        "s.json",
    )
    .unwrap_err();
    assert!(
        e.to_string().starts_with("s.json: goroutines[0][0].op"),
        "{e}"
    );
    let e = Scenario::parse(
        r#"{"kind":"map","goroutines":[[{"op":"access","key":"f3"}]]}"#,
        "s.json",
    )
    .unwrap_err();
    assert!(e.msg.contains("goroutines[0][0].key"), "{e}");
    let e = Scenario::parse(
        r#"{"kind":"map","goroutines":[[{"op":"range"}]],"color":1}"#,
        "s.json",
    )
    .unwrap_err();
    assert!(e.msg.contains("unknown field `color`"), "{e}");
    let e = Scenario::parse(
        r#"{"kind":"syncmap","initial_count":2,"goroutines":[[{"op":"range"}]]}"#,
        "s.json",
    )
    .unwrap_err();
    assert!(e.msg.starts_with("initial_count"), "{e}");
}

#[test]
fn outcome_file_parses() {
    let f = OutcomeFile::parse(
        &file(&[&header(SCENARIO), CLEAN, THROW, SUMMARY]),
        "o.jsonl",
    )
    .unwrap();
    assert_eq!(f.outcomes.len(), 2);
    let Outcome::Map(m) = &f.outcomes[0].outcome else {
        panic!("not a map outcome")
    };
    assert!(m.classes().is_empty());
    let op = &f.header.scenario.goroutines[1][0];
    assert_eq!(
        m.result(op, 1, 0),
        Ok(MapResult::Access {
            elem: 101,
            ok: true
        })
    );
    let op = &f.header.scenario.goroutines[1][1];
    assert_eq!(
        m.result(op, 1, 1),
        Ok(MapResult::Range(vec![("k1".into(), 101)]))
    );
    assert_eq!(f.outcomes[0].detail.keys["k1"].tophash, 11);
    assert_eq!(f.outcomes[1].outcome.class(), "throw:concurrent map writes");
    assert_eq!(f.summary.throws, 1);
}

#[test]
fn outcome_file_errors_name_line_and_field() {
    let h = header(SCENARIO);
    // A result of the wrong shape for its op.
    let bad = CLEAN.replace("[101,true]", "null");
    let e = OutcomeFile::parse(&file(&[&h, &bad, THROW, SUMMARY]), "o.jsonl").unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.msg.contains("outcome.results[1][0]"), "{e}");
    // Missing field.
    let bad = CLEAN.replace(r#""len":8,"#, "");
    let e = OutcomeFile::parse(&file(&[&h, &bad, THROW, SUMMARY]), "o.jsonl").unwrap_err();
    assert!(e.msg.contains("missing field `len`"), "{e}");
    // Counts that do not add up.
    let e = OutcomeFile::parse(&file(&[&h, CLEAN, SUMMARY]), "o.jsonl").unwrap_err();
    assert_eq!(e.line, 3);
    assert!(e.msg.starts_with("trials:"), "{e}");
    // No header; no summary; broken JSON.
    let e = OutcomeFile::parse(&file(&[CLEAN]), "o.jsonl").unwrap_err();
    assert_eq!(e.line, 1);
    let e = OutcomeFile::parse(&file(&[&h, CLEAN]), "o.jsonl").unwrap_err();
    assert!(e.msg.contains("no summary"), "{e}");
    let e = OutcomeFile::parse(&file(&[&h, "{\"kind\":"]), "o.jsonl").unwrap_err();
    assert_eq!(e.line, 2);
}

const SYNC_SCENARIO: &str = r#"{"kind":"syncmap","initial":[["k1",1],["k2",1]],
    "goroutines":[[{"op":"range"}],[{"op":"store","key":"k1","value":2},{"op":"store","key":"k2","value":2}]]}"#;
const NOT_SNAPSHOT: &str = r#"{"kind":"outcome","count":1,"first_trial":9,"outcome":{"class":"range_not_snapshot","history":[{"g":0,"op":"range","inv":1,"ret":5,"yields":[["k1",1],["k2",2]]},{"g":1,"op":"store","key":"k1","value":2,"inv":0,"ret":2},{"g":1,"op":"store","key":"k2","value":2,"inv":3,"ret":4}]},"detail":{}}"#;

#[test]
fn history_becomes_checker_calls() {
    use gomap_impl::syncmap::conform::SyncMapConformance;
    use gomap_impl::syncmap::history::check;
    let sum = r#"{"kind":"summary","trials":1,"completed":1,"throws":0,"workers":1,"elapsed_s":0.1,"trials_per_s":10,"distinct_outcomes":1,"classes":{"range_not_snapshot":1}}"#;
    let f = OutcomeFile::parse(
        &file(&[&header(SYNC_SCENARIO), NOT_SNAPSHOT, sum]),
        "o.jsonl",
    )
    .unwrap();
    let Outcome::History(h) = &f.outcomes[0].outcome else {
        panic!("not a history")
    };
    let calls = h.calls().unwrap();
    assert_eq!(calls[0].op, SyncOp::Range);
    assert_eq!(calls[0].ret, Some(SyncRet::Visited(vec![(1, 1), (2, 2)])));
    assert_eq!((calls[2].invoked, calls[2].returned), (3, 4));
    // Range is checked per key (Go's promise), so the checker accepts this history
    // once the initial Stores are part of it.
    let mut with_init = vec![
        Call {
            thread: 9,
            op: SyncOp::Store(1, 1),
            ret: Some(SyncRet::Unit),
            invoked: 0,
            returned: 1,
        },
        Call {
            thread: 9,
            op: SyncOp::Store(2, 1),
            ret: Some(SyncRet::Unit),
            invoked: 2,
            returned: 3,
        },
    ];
    with_init.extend(calls.into_iter().map(|mut c| {
        c.invoked += 4;
        c.returned += 4;
        c
    }));
    assert!(check::<SyncMapConformance>(&with_init).is_ok());
}

#[test]
fn history_errors() {
    let h = header(SYNC_SCENARIO);
    let sum = r#"{"kind":"summary","trials":1,"completed":1,"throws":0,"workers":1,"elapsed_s":0.1,"trials_per_s":10,"distinct_outcomes":1,"classes":{"range_not_snapshot":1}}"#;
    let bad = NOT_SNAPSHOT.replace(r#""inv":3,"ret":4"#, r#""inv":3,"ret":3"#);
    let e = OutcomeFile::parse(&file(&[&h, &bad, sum]), "o.jsonl").unwrap_err();
    assert!(e.msg.contains("outcome.history[2]"), "{e}");
    let bad = NOT_SNAPSHOT.replace(r#"["k2",2]"#, r#"["x2",2]"#);
    let e = OutcomeFile::parse(&file(&[&h, &bad, sum]), "o.jsonl").unwrap_err();
    assert!(e.msg.contains("history[0].yields[1]"), "{e}");
    let bad = NOT_SNAPSHOT.replace(r#""value":2,"inv":0"#, r#""value":70000,"inv":0"#);
    let e = OutcomeFile::parse(&file(&[&h, &bad, sum]), "o.jsonl").unwrap_err();
    assert!(e.msg.contains("history[1].value"), "{e}");
}

/// Files written by the Go program itself (tests/go-oracle/observe/testdata, regenerated
/// with observe.sh; the map one with OBSERVE_TEST_THROW_AT=60 so that it holds a throw).
#[test]
fn real_go_outputs_parse() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/go-oracle/observe/testdata");
    let f = OutcomeFile::load(&dir.join("two-assigns-7.jsonl")).unwrap();
    assert_eq!(f.header.scenario.kind, Kind::Map);
    assert!(f.summary.throws >= 1 && f.summary.trials == 100);
    for o in &f.outcomes {
        if let Outcome::Map(m) = &o.outcome {
            assert_eq!(o.detail.keys.len(), 9);
            for (g, prog) in f.header.scenario.goroutines.iter().enumerate() {
                for (i, op) in prog.iter().enumerate() {
                    assert_eq!(m.result(op, g, i), Ok(MapResult::None));
                }
            }
        }
    }
    for name in ["syncmap-range-snapshot.jsonl", "rwmutex-per-trial.jsonl"] {
        let f = OutcomeFile::load(&dir.join(name)).unwrap();
        assert_ne!(f.header.scenario.kind, Kind::Map);
        let per_trial = f.header.per_trial;
        assert_eq!(per_trial, !f.trials.is_empty());
        for o in f
            .outcomes
            .iter()
            .map(|c| &c.outcome)
            .chain(f.trials.iter().map(|t| &t.outcome))
        {
            let Outcome::History(h) = o else {
                panic!("{name}: not a history")
            };
            assert_eq!(h.calls().unwrap().len(), 4);
        }
    }
}
