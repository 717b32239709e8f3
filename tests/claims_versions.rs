//! `gomap claims --go`: the claims decided per Go toolchain, on the CI toolchains of
//! scripts/go-versions.txt: Go 1.19, the newest toolchain with the classic map (whose
//! default map is Swiss tables and whose sync.Map is a HashTrieMap) and the newest toolchain
//! (Swiss tables only).
//!
//! One run of `gomap claims --go ci --json` decides all three; the test checks that claims whose
//! premise changed between the two get each its own verdict from its own evidence (the hmap
//! model and Go 1.19's source on one side, the swiss model, the HashTrieMap's source and Go
//! programs built with the newer toolchain on the other), and that the CI columns of the
//! committed docs/claims-by-version.md are what the run prints. Bad `--go` values and a
//! missing toolchain are refused with exit 2.

use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;

fn gomap(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gomap"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// The CI toolchains of scripts/go-versions.txt.
fn ci() -> Vec<String> {
    gomap_impl::goversion::toolchains()
        .into_iter()
        .filter(|t| t.ci)
        .map(|t| t.version)
        .collect()
}

/// How docs/claims-by-version.md writes a verdict.
fn short(v: &str) -> &str {
    if v == "not applicable" {
        "n/a"
    } else {
        v
    }
}

/// The verdict cells of docs/claims-by-version.md: claim id -> version -> cell.
fn committed_table() -> BTreeMap<String, BTreeMap<String, String>> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/claims-by-version.md"
    ))
    .expect("docs/claims-by-version.md");
    let header = text
        .lines()
        .find(|l| l.starts_with("| id | claim |"))
        .expect("the claim x version table");
    let versions: Vec<String> = header
        .split('|')
        .map(str::trim)
        .skip(3)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    let all: Vec<String> = gomap_impl::goversion::toolchains()
        .into_iter()
        .map(|t| t.version)
        .collect();
    assert_eq!(
        versions, all,
        "docs/claims-by-version.md has a column per toolchain of scripts/go-versions.txt"
    );
    let mut out = BTreeMap::new();
    // The rows of that table: from its header to the first blank line.
    let rows = text
        .lines()
        .skip_while(|l| !l.starts_with("| id | claim |"))
        .skip(2)
        .take_while(|l| !l.trim().is_empty());
    for l in rows {
        let Some(rest) = l.strip_prefix("| ") else {
            continue;
        };
        let id = rest.split(' ').next().unwrap_or("");
        if !(id.starts_with('S') || id.starts_with('B')) || id.len() > 3 {
            continue;
        }
        // The claim text may hold escaped pipes: take the cells from the right.
        let cells: Vec<&str> = l.trim_end_matches('|').rsplit('|').map(str::trim).collect();
        let mut row = BTreeMap::new();
        for (i, v) in versions.iter().rev().enumerate() {
            row.insert(v.clone(), cells[i].to_string());
        }
        out.insert(id.to_string(), row);
    }
    assert_eq!(
        out.len(),
        31,
        "S1-S28 and B1-B3 in docs/claims-by-version.md"
    );
    out
}

#[test]
fn ci_toolchains_decide_version_dependent_claims_from_their_own_evidence() {
    let ci = ci();
    assert_eq!(
        ci.len(),
        3,
        "scripts/go-versions.txt marks three CI toolchains"
    );
    let (old, new, newest) = (&ci[0], &ci[1], &ci[2]);
    assert!(old.starts_with("1.19."), "{old}");
    let all_versions = gomap_impl::goversion::toolchains();
    assert_eq!(
        Some(newest),
        all_versions.last().map(|t| &t.version),
        "the newest toolchain is a CI one"
    );

    let t0 = std::time::Instant::now();
    let out = gomap(&["claims", "--go", "ci", "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "gomap claims --go ci failed: {stderr}"
    );
    eprintln!("gomap claims --go ci: {:.1?}", t0.elapsed());
    let all: Value = serde_json::from_slice(&out.stdout).unwrap();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 3);
    let by_version = |v: &str| -> &Value {
        all.iter()
            .find(|x| x["go"] == v)
            .unwrap_or_else(|| panic!("no rows for Go {v}"))
    };
    let (a, b, c) = (by_version(old), by_version(new), by_version(newest));
    // What each toolchain's source builds, read from the source.
    assert_eq!(
        (a["map"].as_str(), a["syncmap"].as_str()),
        (Some("classic"), Some("read-dirty"))
    );
    for x in [b, c] {
        assert_eq!(
            (x["map"].as_str(), x["syncmap"].as_str()),
            (Some("swiss"), Some("hashtrie"))
        );
    }
    let row = |x: &Value, id: &str| -> Value {
        x["claims"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no {id}"))
            .clone()
    };
    let verdict = |x: &Value, id: &str| row(x, id)["verdict"].as_str().unwrap().to_string();
    let text = |x: &Value, id: &str| {
        let r = row(x, id);
        format!("{} {}", r["summary"], r["evidence"])
    };

    // Claims whose verdict depends on the version, each with both verdicts.
    for (id, v_old, v_new) in [
        ("S5", "false", "not applicable"),
        ("S12", "conditional", "not decided"),
        ("S15", "true", "not applicable"),
        ("S17", "true", "not applicable"),
        ("S20", "false", "not applicable"),
        ("S23", "false", "true"),
    ] {
        assert_eq!(
            (verdict(a, id), verdict(b, id), verdict(c, id)),
            (v_old.to_string(), v_new.to_string(), v_new.to_string()),
            "{id} on Go {old}, {new} and {newest}"
        );
    }
    // The classic map's claims are decided by the hmap model and Go 1.19's source; on Swiss
    // tables by the swiss model and internal/runtime/maps, never carried over.
    assert!(text(a, "S14").contains("claim-s14-read-during-growth"));
    assert!(text(b, "S14").contains("swiss-lookup-during-growth"));
    assert!(!text(b, "S14").contains("claim-s14"));
    assert!(text(a, "S9").contains("runtime/map.go") && text(a, "S9").contains("overflow"));
    assert!(text(b, "S9").contains("probeSeq") && text(b, "S9").contains("quadratic"));
    assert!(
        text(b, "S7").contains("internal/runtime/maps/map.go")
            && text(b, "S7").contains("Map.used")
    );
    assert!(text(b, "S12").starts_with("\"not decided: Swiss-table map"));
    assert!(text(b, "S23").contains("internal/sync/hashtriemap.go"));
    // Both the old and the new sync.Map: linearizable histories; the new one's include the
    // operations Go added since 1.19, and Range is no snapshot on either.
    assert_eq!(
        (verdict(a, "B1"), verdict(b, "B1")),
        ("true".into(), "true".into())
    );
    // The calls per operation, "(3600 calls: Delete 600, Load 578, ...)".
    let ops = |x: &Value| -> Vec<String> {
        let t = text(x, "B1");
        let seg = t.split(" calls: ").nth(1).unwrap_or("");
        let seg = seg.split(')').next().unwrap_or("");
        seg.split(", ")
            .filter_map(|p| p.split(' ').next())
            .map(str::to_string)
            .collect()
    };
    assert!(ops(a).contains(&"LoadOrStore".to_string()), "{:?}", ops(a));
    assert!(!ops(a).contains(&"Swap".to_string()), "Go 1.19 has no Swap");
    for op in ["Swap", "CompareAndSwap", "CompareAndDelete", "Clear"] {
        for (v, x) in [(new, b), (newest, c)] {
            assert!(
                ops(x).contains(&op.to_string()),
                "B1 on Go {v}: {op} in {:?}",
                ops(x)
            );
        }
    }
    assert_eq!(verdict(c, "B1"), "true");
    assert_eq!(
        (verdict(a, "B2"), verdict(b, "B2")),
        ("false".into(), "false".into())
    );
    assert!(text(b, "B2").contains("hash-trie"));
    // The race detector of each toolchain ran the seed's order-cache programs.
    for x in [a, b, c] {
        assert!(text(x, "S4").contains("WARNING: DATA RACE reported"));
        assert!(text(x, "S6").contains("readers copying under RLock: no race reported"));
        assert!(text(x, "S26").contains("WARNING: DATA RACE reported"));
    }
    assert!(row(b, "S4")["rerun"]
        .to_string()
        .contains(&format!("go-path.sh {new}")));

    // The committed table's CI columns are this run's verdicts.
    let table = committed_table();
    for (v, x) in [(old, a), (new, b), (newest, c)] {
        for r in x["claims"].as_array().unwrap() {
            let id = r["id"].as_str().unwrap();
            let cell = table
                .get(id)
                .and_then(|row| row.get(v.as_str()))
                .unwrap_or_else(|| panic!("docs/claims-by-version.md has no {id} for {v}"));
            assert_eq!(
                cell,
                short(r["verdict"].as_str().unwrap()),
                "docs/claims-by-version.md is stale at {id}, Go {v}: regenerate it with \
                 `cargo run --release -- claims --go all --markdown > docs/claims-by-version.md`"
            );
        }
    }
}

#[test]
fn bad_versions_and_missing_toolchains_are_refused() {
    for bad in ["1.20", "2.0", "", "1.19,latest"] {
        let out = gomap(&["claims", "--go", bad, "S1"]);
        assert_eq!(out.status.code(), Some(2), "--go {bad:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--go: unknown Go version"), "{err}");
        assert!(
            err.contains("1.19.") && err.contains("1.25."),
            "lists the versions: {err}"
        );
    }
    // A repository whose target/ holds no toolchain: the error names the install script.
    let root = std::env::temp_dir().join(format!("gomap-claims-root-{}", std::process::id()));
    std::fs::create_dir_all(root.join("specs")).unwrap();
    std::fs::create_dir_all(root.join("tests/go-oracle/claims")).unwrap();
    let v = ci()[1].clone();
    let out = gomap(&["claims", "--go", &v, "--root", root.to_str().unwrap(), "S1"]);
    let _ = std::fs::remove_dir_all(&root);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("Go {v} is missing")), "{err}");
    assert!(
        err.contains(&format!("scripts/install-go-versions.sh {v}")),
        "{err}"
    );
}

#[test]
fn syncmap_history_checks_files_and_refuses_bad_ones() {
    let dir = std::env::temp_dir().join(format!("gomap-syncmap-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let header = r#"{"kind":"header","format":"syncmap-history-v1","go":"go1.25.5","ops":["Load","Store","Swap"],"threads":2,"keys":2,"seed":1}"#;
    let history =
        |calls: &str| format!("{header}\n{{\"kind\":\"history\",\"i\":0,\"calls\":[{calls}]}}\n");
    // A Swap that returned a value nobody stored: not linearizable (exit 1, the key named).
    let bad_swap = dir.join("bad-swap.jsonl");
    std::fs::write(
        &bad_swap,
        history(r#"{"thread":0,"op":"Store","key":1,"value":3,"invoked":1,"returned":2},{"thread":1,"op":"Swap","key":1,"value":4,"ok":true,"ret":2,"invoked":3,"returned":4}"#),
    )
    .unwrap();
    let out = gomap(&["syncmap-history", bad_swap.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("non-linearizable history on key k2"),
        "{text}"
    );
    // The same history with the Swap returning what was stored passes.
    let good = dir.join("good.jsonl");
    std::fs::write(
        &good,
        history(r#"{"thread":0,"op":"Store","key":1,"value":3,"invoked":1,"returned":2},{"thread":1,"op":"Swap","key":1,"value":4,"ok":true,"ret":3,"invoked":3,"returned":4}"#),
    )
    .unwrap();
    let out = gomap(&["syncmap-history", "--json", good.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["histories"], 1);
    assert_eq!(v[0]["op_counts"]["Swap"], 1);
    // Bad input: exit 2 naming the line and the field.
    let bad = dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        history(r#"{"thread":0,"op":"Store","key":7,"value":3,"invoked":1,"returned":2}"#),
    )
    .unwrap();
    let out = gomap(&["syncmap-history", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(":2: calls[0].key"), "{err}");
    let out = gomap(&["syncmap-history", "--go", "1.20"]);
    assert_eq!(out.status.code(), Some(2));
    let out = gomap(&[
        "syncmap-history",
        dir.join("missing.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
