//! `gomap claims`: docs/seed-claims.md is exactly what a fresh run prints, every claim of the
//! seed gets a verdict, and a missing Go 1.19 is reported clearly (tests/claims_versions.rs
//! covers the other toolchains).

use std::process::Command;

fn gomap(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gomap"));
    c.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn the_committed_claims_table_is_what_a_fresh_run_prints() {
    let out = gomap(&["claims", "--markdown"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "gomap claims failed: {stderr}");
    let fresh = String::from_utf8(out.stdout).unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/seed-claims.md");
    let committed = std::fs::read_to_string(path).unwrap();
    if fresh.trim_end() != committed.trim_end() {
        let first = fresh
            .lines()
            .zip(committed.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(fresh.lines().count().min(committed.lines().count()));
        panic!(
            "docs/seed-claims.md is stale (first difference at line {}): regenerate it with \
             `cargo run --release -- claims --markdown > docs/seed-claims.md`\n fresh: {:?}\n  file: {:?}",
            first + 1,
            fresh.lines().nth(first),
            committed.lines().nth(first)
        );
    }
    for i in 1..=28 {
        assert!(
            fresh.contains(&format!("\n| S{i} | ")),
            "S{i} has no row in the table"
        );
    }
    for i in 1..=3 {
        assert!(
            fresh.contains(&format!("\n| B{i} | ")),
            "B{i} has no row in the table"
        );
    }
}

#[test]
fn json_rows_have_an_id_a_verdict_and_evidence() {
    let out = gomap(&["claims", "--json", "S1", "S4", "S22", "S28"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v.as_array().unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["S1", "S4", "S22", "S28"]);
    for r in rows {
        let verdict = r["verdict"].as_str().unwrap();
        assert!(["true", "false", "conditional"].contains(&verdict));
        assert!(!r["evidence"].as_str().unwrap().is_empty());
    }
    let verdict = |id: &str| rows.iter().find(|r| r["id"] == id).unwrap()["verdict"].clone();
    // The seed's updateStatus races (model and -race agree); S22's line does not compile.
    assert_eq!(verdict("S4"), "false");
    assert_eq!(verdict("S22"), "true");
}

#[test]
fn a_missing_go_is_reported_with_how_to_install_it() {
    let out = gomap(&["claims", "S1"], &[("GOMAP_GO", "/nonexistent/go")]);
    // A missing toolchain is bad input, named with the script that installs it.
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let v = &gomap_impl::goversion::toolchains()[0].version;
    assert!(v.starts_with("1.19."), "{v}");
    assert!(err.contains(&format!("Go {v} is missing")), "{err}");
    assert!(
        err.contains(&format!("scripts/install-go-versions.sh {v}")),
        "{err}"
    );
    assert!(err.contains("scripts/install-go.sh"), "{err}");
}

#[test]
fn an_unknown_claim_is_refused() {
    let out = gomap(&["claims", "S29"], &[]);
    // Bad input, as on every command.
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown claim `S29`"));
}
