//! Fuzzing the entry points with mutated specs and traces (proptest): no input panics, and each
//! ends as the CLI would end it: 0 (as expected), 1 (a verdict or a state differs) or 2 (bad
//! input). The library is called in-process; a sample is also run through the binary.

use gomap::checker::{run_spec, RunOptions, Spec};
use gomap_impl::trace::{parse_trace_str, replay_on_port};
use proptest::prelude::*;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

const SPECS: &[&str] = &[
    "specs/hmap-empty-rest.toml",
    "specs/cache-rwmutex-new-order.toml",
    "specs/syncmap-three-goroutines-symmetry.toml",
];

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap_or_default()
}

/// Values a careless or hostile user might write.
fn hostile_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("9223372036854775807".to_string()),
        Just("18446744073709551615".to_string()),
        Just("100000".to_string()),
        Just("4096".to_string()),
        Just("[]".to_string()),
        Just("\"\"".to_string()),
        Just("\"\\u001b[2J\"".to_string()),
        Just("\"1/0\"".to_string()),
        Just("\"0/1\"".to_string()),
        Just("true".to_string()),
        Just("1.5".to_string()),
        Just("{}".to_string()),
        (0i64..70).prop_map(|n| n.to_string()),
        "[a-z_\"\\[\\]=0-9 ]{0,12}",
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the value of line `i` (after `=`).
    Value(usize, String),
    /// Delete line `i`.
    Delete(usize),
    /// Insert a line before line `i`.
    Insert(usize, String),
    /// Truncate the text at byte fraction `f` (per mille).
    Truncate(u16),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), hostile_value()).prop_map(|(i, v)| Mutation::Value(i, v)),
        1 => any::<usize>().prop_map(Mutation::Delete),
        2 => (any::<usize>(), prop_oneof![
            hostile_value().prop_map(|v| format!("hint = {v}")),
            hostile_value().prop_map(|v| format!("hash_functions = {v}")),
            hostile_value().prop_map(|v| format!("threads = {v}")),
            hostile_value().prop_map(|v| format!("max_states = {v}")),
            hostile_value().prop_map(|v| format!("timeout_secs = {v}")),
            hostile_value().prop_map(|v| format!("max_memory_mb = {v}")),
            hostile_value().prop_map(|v| format!("ops = {v}")),
            Just("[limits]".to_string()),
            Just("[search]".to_string()),
            "[ -~]{0,20}",
        ]).prop_map(|(i, l)| Mutation::Insert(i, l)),
        1 => (0u16..1000).prop_map(Mutation::Truncate),
    ]
}

fn apply(text: &str, muts: &[Mutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for m in muts {
        let n = lines.len().max(1);
        match m {
            Mutation::Value(i, v) => {
                if let Some(l) = lines.get_mut(i % n) {
                    if let Some(eq) = l.find('=') {
                        *l = format!("{}= {v}", &l[..eq]);
                    }
                }
            }
            Mutation::Delete(i) => {
                if !lines.is_empty() {
                    lines.remove(i % n);
                }
            }
            Mutation::Insert(i, l) => lines.insert(i % (lines.len() + 1), l.clone()),
            Mutation::Truncate(f) => {
                let s = lines.join("\n");
                let mut cut = s.len() * *f as usize / 1000;
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                lines = s[..cut].lines().map(str::to_string).collect();
            }
        }
    }
    lines.join("\n") + "\n"
}

/// What `gomap check` would exit with for this spec text, in-process; the search (1 case in
/// `SEARCH_EVERY`) is bounded tightly so that thousands of cases stay fast.
fn spec_exit(text: &str, search: bool) -> u8 {
    let path = Path::new("fuzz.toml");
    let Ok(mut spec) = Spec::parse(path, text) else {
        return 2;
    };
    if gomap_model::registry::entry(&spec)
        .and_then(|e| (e.validate)(&spec))
        .is_err()
    {
        return 2;
    }
    if !search {
        return 0;
    }
    spec.timeout_secs = spec.timeout_secs.min(1);
    spec.max_states = Some(spec.max_states.unwrap_or(2000).min(2000));
    let opts = RunOptions {
        threads: Some(1),
        shorten: false,
        max_memory_mb: Some(4000),
        ..RunOptions::default()
    };
    match run_spec(&spec, &opts) {
        Err(_) => 2,
        Ok(r) if r.ok => 0,
        Ok(_) => 1,
    }
}

/// What `gomap replay` would exit with for this trace text, in-process.
fn trace_exit(text: &str) -> u8 {
    match parse_trace_str("fuzz.jsonl", text) {
        Err(_) => 2,
        Ok(t) => match replay_on_port(&t) {
            Ok(_) => 0,
            Err(_) => 1,
        },
    }
}

const SEARCH_EVERY: usize = 40;
const BINARY_EVERY: usize = 500;
static SPEC_CASES: AtomicUsize = AtomicUsize::new(0);
static TRACE_CASES: AtomicUsize = AtomicUsize::new(0);

fn binary_exit(args: &[&str], file: &Path) -> i32 {
    let out = Command::new(env!("CARGO_BIN_EXE_gomap"))
        .args(args)
        .arg(file)
        .output()
        .unwrap();
    out.status.code().unwrap_or(-1)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_specs_never_panic_and_end_0_1_or_2(
        base in 0..SPECS.len(),
        muts in proptest::collection::vec(mutation(), 1..4),
    ) {
        let text = apply(&read(SPECS[base]), &muts);
        let k = SPEC_CASES.fetch_add(1, Ordering::Relaxed);
        let code = spec_exit(&text, k.is_multiple_of(SEARCH_EVERY));
        prop_assert!(code <= 2);
        if k.is_multiple_of(BINARY_EVERY) {
            let f = std::env::temp_dir().join(format!("gomap-fuzz-{}-{k}.toml", std::process::id()));
            std::fs::write(&f, &text).unwrap();
            // A mutation can make the search large (a deleted `ops_per_goroutine`): the
            // binary's exit is what is checked, within ten seconds of search.
            let c = binary_exit(
                &["check", "-q", "--no-shorten", "--max-memory", "2000", "--timeout", "10"],
                &f,
            );
            let _ = std::fs::remove_file(&f);
            prop_assert!((0..=2).contains(&c), "exit {c} for\n{text}");
        }
    }
}

/// The first ops of a real trace (a valid trace itself).
fn trace_base() -> Vec<String> {
    read("tests/traces/make-hint-b4-prealloc-used-up.jsonl")
        .lines()
        .take(25)
        .map(str::to_string)
        .collect()
}

fn number_mutation() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("18446744073709551615".to_string()),
        Just("18446744073709551616".to_string()),
        Just("4294967296".to_string()),
        Just("60".to_string()),
        Just("1e300".to_string()),
        Just("null".to_string()),
        Just("[]".to_string()),
        Just("\"x\"".to_string()),
        (0u64..100).prop_map(|n| n.to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_traces_never_panic_and_end_0_1_or_2(
        muts in proptest::collection::vec((any::<usize>(), any::<usize>(), number_mutation(), 0u8..4), 1..4),
    ) {
        let mut lines = trace_base();
        for (li, pos, val, kind) in &muts {
            let n = lines.len();
            let i = li % n;
            match kind {
                // Replace the n-th number of a line.
                0 | 1 => {
                    let l = &lines[i];
                    let starts: Vec<usize> = l
                        .char_indices()
                        .filter(|(j, c)| c.is_ascii_digit() && (*j == 0 || !l.as_bytes()[j - 1].is_ascii_alphanumeric()))
                        .map(|(j, _)| j)
                        .collect();
                    if !starts.is_empty() {
                        let s = starts[pos % starts.len()];
                        let e = s + l[s..].find(|c: char| !c.is_ascii_digit()).unwrap_or(l.len() - s);
                        lines[i] = format!("{}{val}{}", &l[..s], &l[e..]);
                    }
                }
                2 => { if n > 1 { lines.remove(i); } }
                _ => { let l = lines[i].clone(); lines.insert(i, l); }
            }
        }
        let text = lines.join("\n") + "\n";
        let code = trace_exit(&text);
        prop_assert!(code <= 2);
        let k = TRACE_CASES.fetch_add(1, Ordering::Relaxed);
        if k.is_multiple_of(BINARY_EVERY) {
            let f = std::env::temp_dir().join(format!("gomap-fuzz-{}-{k}.jsonl", std::process::id()));
            std::fs::write(&f, &text).unwrap();
            let c = binary_exit(&["replay"], &f);
            let _ = std::fs::remove_file(&f);
            prop_assert!((0..=2).contains(&c), "exit {c}");
            prop_assert_eq!(c, code as i32);
        }
    }
}
