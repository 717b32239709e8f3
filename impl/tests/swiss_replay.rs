//! Replays of real Go 1.24 swiss-v1 traces (`tests/traces-swiss/*.jsonl` at the workspace
//! root, recorded by `tests/go-oracle-swiss`) on the Swiss map port, and checks that the
//! replayer notices a changed byte, result or seed.
//!
//! `SWISS_TRACE_DIR=DIR` adds every `*.jsonl` of DIR (e.g. fresh traces from
//! `tests/go-oracle-swiss/record.sh DIR`).

use std::path::{Path, PathBuf};

use gomap_impl::swiss::{parse_swiss_trace, parse_swiss_trace_str, replay_swiss_trace};

fn jsonl_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.expect("readable dir entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/traces-swiss")
}

#[test]
fn every_swiss_corpus_trace_replays_byte_for_byte() {
    let mut files = jsonl_in(&corpus_dir());
    assert!(files.len() >= 4, "corpus has {} traces", files.len());
    if let Ok(extra) = std::env::var("SWISS_TRACE_DIR") {
        files.extend(jsonl_in(Path::new(&extra)));
    }
    let (mut ops, mut lookups, mut advances, mut groups) = (0, 0, 0, 0);
    let (mut tomb, mut small, mut dir_grows, mut reseeds, mut depth) = (0, 0, 0, 0, 0);
    let (mut stale, mut grown_small, mut update_grows, mut tomb_rehash) = (0, 0, 0, 0);
    let (mut dir_grown, mut recomputed) = (0, 0);
    for f in &files {
        let trace = parse_swiss_trace(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let r = replay_swiss_trace(&trace).unwrap_or_else(|m| panic!("{}: {m}", f.display()));
        assert_eq!(r.ops, trace.ops.len());
        println!("{}: {r:?}", f.display());
        ops += r.ops;
        lookups += r.lookups;
        advances += r.iter_advances;
        groups += r.groups_compared;
        tomb += r.ops_with_tombstones;
        small += r.small_ops;
        dir_grows += r.directory_grows;
        reseeds += r.reseeds;
        depth = depth.max(r.max_global_depth);
        stale += r.stale_table_advances;
        grown_small += r.grown_small_advances;
        update_grows += r.small_update_grows;
        tomb_rehash += r.tombstone_rehashes;
        dir_grown += r.dir_grown_advances;
        recomputed += r.hashes_recomputed;
    }
    println!(
        "{} traces, {ops} ops, {lookups} lookups, {advances} iterator advances, {groups} groups compared",
        files.len()
    );
    // The corpus must exercise what it is for, or this test would pass vacuously.
    assert!(ops >= 5000, "{ops} ops");
    assert!(lookups >= 500, "{lookups} lookups");
    assert!(advances >= 300, "{advances} iterator advances");
    assert!(tomb >= 100, "{tomb} ops with tombstones");
    assert!(small >= 100, "{small} small-map ops");
    assert!(
        dir_grows >= 2 && depth >= 2,
        "{dir_grows} directory grows, depth {depth}"
    );
    assert!(reseeds >= 5, "{reseeds} reseeds");
    assert!(stale >= 20, "{stale} iterator advances over stale tables");
    assert!(
        grown_small >= 3,
        "{grown_small} advances of iterators over grown small maps"
    );
    assert!(
        update_grows >= 1,
        "no update of a full small map (Go 1.24 grows it)"
    );
    assert!(
        tomb_rehash >= 3,
        "{tomb_rehash} rehashes of tables with tombstones"
    );
    assert!(
        dir_grown >= 2,
        "{dir_grown} advances after the directory grew under the iterator"
    );
    assert!(
        recomputed >= 2000,
        "{recomputed} hashes recomputed from seed and hashkey"
    );
}

fn first_corpus_text() -> String {
    let files = jsonl_in(&corpus_dir());
    let f = files
        .iter()
        .max_by_key(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .expect("a corpus trace");
    std::fs::read_to_string(f).expect("readable")
}

/// Rewrites the first line (after `skip` lines) containing `needle` with `f`, and expects
/// the replay to fail.
fn expect_detected(text: &str, skip: usize, needle: &str, f: impl Fn(&str) -> String) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let i = lines
        .iter()
        .enumerate()
        .skip(skip)
        .find(|(_, l)| l.contains(needle))
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("no line with {needle}"));
    let changed = f(&lines[i]);
    assert_ne!(changed, lines[i], "mutation changed nothing");
    lines[i] = changed;
    let t = parse_swiss_trace_str(&lines.join("\n")).expect("mutated trace still parses");
    match replay_swiss_trace(&t) {
        Ok(_) => panic!("replay accepted a trace with a changed {needle} on line {i}"),
        Err(m) => m.to_string(),
    }
}

fn bump_number_after(line: &str, field: &str) -> String {
    let at = line.find(field).expect("field") + field.len();
    let end = at
        + line[at..]
            .find(|c: char| !c.is_ascii_digit())
            .expect("number end");
    let n: u64 = line[at..end].parse().expect("number");
    format!("{}{}{}", &line[..at], n ^ 1, &line[end..])
}

#[test]
fn replay_detects_a_changed_control_word() {
    let text = first_corpus_text();
    let m = expect_detected(&text, 50, "\"groups\":[{", |l| {
        bump_number_after(l, "\"ctrl\":")
    });
    assert!(m.contains("group"), "{m}");
}

#[test]
fn replay_detects_a_changed_stale_key() {
    let text = first_corpus_text();
    // A key in a group line: flip the first key of the first group line.
    let m = expect_detected(&text, 50, "\"groups\":[{", |l| {
        bump_number_after(l, "\"keys\":[")
    });
    assert!(m.contains("group"), "{m}");
}

#[test]
fn replay_detects_a_changed_growth_left() {
    let text = first_corpus_text();
    let m = expect_detected(&text, 50, "\"growthLeft\":", |l| {
        bump_number_after(l, "\"growthLeft\":")
    });
    assert!(m.contains("growthLeft"), "{m}");
}

#[test]
fn replay_detects_a_changed_lookup_result() {
    let text = first_corpus_text();
    let m = expect_detected(&text, 1, "\"found\":true", |l| {
        bump_number_after(l, "\"elem\":")
    });
    assert!(m.contains("lookup"), "{m}");
}

#[test]
fn replay_detects_a_changed_iterator_offset() {
    let text = first_corpus_text();
    let m = expect_detected(&text, 1, "\"op\":\"iter_start\",\"it\"", |l| {
        bump_number_after(l, "\"entryOffset\":")
    });
    assert!(m.contains("iterator"), "{m}");
}

#[test]
fn replay_detects_a_changed_seed() {
    let text = first_corpus_text();
    // The seed after the first make: the port draws it, later lines must agree.
    let m = expect_detected(&text, 2, "\"seed\":", |l| bump_number_after(l, "\"seed\":"));
    assert!(m.contains("seed") || m.contains("Map"), "{m}");
}

#[test]
fn traces_of_other_go_versions_are_refused() {
    let text = first_corpus_text().replacen("\"go\":\"go1.24", "\"go\":\"go1.26", 1);
    let e = parse_swiss_trace_str(&text).expect_err("a go1.26 trace");
    assert!(e.to_string().contains("go1.26"), "{e}");
}

/// The default hasher is Go 1.24's `memhash64Fallback`: vectors from real Go
/// (`tests/go-oracle-swiss/cmd/hashvectors`, run with `GODEBUG=cpu.aes=off`) with the
/// process' `hashkey`, computed by the map type's `Hasher`.
#[test]
fn default_hasher_is_go_1_24_memhash64_fallback() {
    use gomap_impl::swiss::{GoMemHasher124, SwissHasher};
    let text = std::fs::read_to_string(corpus_dir().join("memhash64-fallback-go1.24.json"))
        .expect("hash vectors");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert!(v["go"].as_str().unwrap().starts_with("go1.24"));
    let mut hashkey = [0u64; 4];
    for (i, w) in v["hashkey"].as_array().unwrap().iter().enumerate() {
        hashkey[i] = w.as_u64().unwrap();
    }
    let h = GoMemHasher124 { hashkey };
    let vectors = v["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 20);
    for x in vectors {
        let (k, s, want) = (
            x["key"].as_u64().unwrap(),
            x["seed"].as_u64().unwrap(),
            x["hash"].as_u64().unwrap(),
        );
        assert_eq!(h.hash(&k, s), want, "key {k} seed {s:#x}");
    }
}

/// Go 1.27.3 traces (`tests/traces-swiss/go1.27/`, recorded by this recorder built with Go
/// 1.27.3, `-any-version`, `GODEBUG=cpu.aes=off`) replay like Go 1.24 until the first op
/// whose algorithm changed, and depart there: a full small map is no longer grown by an
/// update; `pruneTombstones` recovers tombstones instead of growing; `clear` leaves the
/// stale keys of groups without entries.
#[test]
fn go_1_27_traces_depart_where_its_map_changed() {
    let dir = corpus_dir().join("go1.27");
    let expect = [
        ("small-update-no-grow.jsonl", "assign", "\"small\""),
        ("prune-tombstones.jsonl", "assign", "directory"),
        ("clear-partial-zeroing.jsonl", "clear", "group"),
    ];
    for (file, op, what) in expect {
        let text = std::fs::read_to_string(dir.join(file)).expect(file);
        assert!(
            parse_swiss_trace_str(&text).is_err(),
            "{file}: not a 1.24 trace"
        );
        let t = gomap_impl::swiss::parse_swiss_trace_str_any_version(&text).expect(file);
        assert!(t.header.go.starts_with("go1.27"), "{file}");
        assert!(t.header.hashkey.is_some(), "{file}: hashes are recomputed");
        let m = replay_swiss_trace(&t).expect_err(file);
        println!("{file}: {m}");
        assert_eq!(m.kind, op, "{file}: {m}");
        assert!(m.what.contains(what), "{file}: {m}");
        assert!(m.op >= 10, "{file}: departs at once: {m}");
    }
}
