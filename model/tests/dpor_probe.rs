//! The partial-order reduction probe (model/examples/dpor_probe.rs, the measurement in
//! docs/performance-checker.md, "A dynamic partial-order reduction, measured") keeps what
//! it claims: on a small configuration of the every-interleaving spec, its footprints call
//! independent only steps that commute, and its reduction reaches every verdict, every
//! quiescent state, every finished state and every set of property values at a terminal
//! state that the full search reaches.
#![allow(dead_code)]

#[path = "../examples/dpor_probe.rs"]
mod probe;

/// Two goroutines, one operation each from all four, two keys (29,830 states without
/// symmetry).
const SPEC: &str = r#"
model = "unsync"
description = "probe configuration"

[params]
goroutines = 2
ops_per_goroutine = 1
keys = 2
hash_bits = 1
bucket_cnt = 1
load_factor = "1/2"
ops = ["assign", "delete", "access", "iterate"]
clear_dead_registers = true
merge_terminal_states = true

[search]
strategy = "dfs"
symmetry = true

# Every property (the probe compares the verdicts of those the spec names).
[expect]
racy_execution_detected = "violated"
no_lost_insert = "violated"
no_duplicate_key = "violated"
count_matches_live_entries = "violated"
no_torn_read = "violated"
throws_concurrent_map_writes = "holds"
throws_concurrent_map_read_and_map_write = "holds"
throws_concurrent_map_iteration_and_map_write = "holds"
reaches_growth_while_racing = "holds"
reaches_memory_fault = "violated"
reaches_silent_race = "holds"
"#;

/// The model of [`SPEC`].
fn model() -> gomap_model::unsync::UnsyncModel {
    let spec = gomap_model::framework::spec::Spec::parse(std::path::Path::new("probe.toml"), SPEC)
        .expect("the probe's configuration parses");
    probe::model_of(&spec).expect("an unsync configuration the probe takes")
}

#[test]
fn the_reduction_reaches_what_the_full_search_reaches() {
    assert!(probe::compare(&model(), true));
}

#[test]
fn steps_the_footprints_call_independent_commute() {
    assert!(probe::oracle(&model(), 2_000));
}
