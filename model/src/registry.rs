//! The models a spec can name, and running a spec with the model it names. This is the one
//! place that knows every model; each model only implements the framework's
//! [`SpecModel`](crate::framework::info::SpecModel).

use crate::framework::check::{RunOptions, SpecResult};
use crate::framework::cost::ModelCost;
use crate::framework::info::{ModelEntry, ModelInfo};
use crate::framework::spec::{Spec, SpecError};

/// Every model, by name.
pub const ENTRIES: &[ModelEntry] = &[
    ModelEntry::of::<crate::hmap::HmapModel>(),
    ModelEntry::of::<crate::unsync::UnsyncModel>(),
    ModelEntry::of::<crate::syncmap::SyncMapModel>(),
    ModelEntry::of::<crate::rwmutex::RwModel>(),
    ModelEntry::of::<crate::cache::CacheModel>(),
    ModelEntry::of::<crate::swiss::SwissModel>(),
];

/// The entry of the model a spec names, or an error naming the spec's `model` line.
pub fn entry(spec: &Spec) -> Result<&'static ModelEntry, SpecError> {
    ENTRIES
        .iter()
        .find(|e| e.name == spec.model)
        .ok_or_else(|| {
            let known: Vec<&str> = ENTRIES.iter().map(|e| e.name).collect();
            spec.error(
                Some(spec.model_line),
                Some("model"),
                format!(
                    "unknown model `{}` (known: {})",
                    spec.model,
                    known.join(", ")
                ),
            )
        })
}

/// Every model a spec can name.
pub fn models() -> Vec<ModelInfo> {
    ENTRIES.iter().map(|e| (e.info)()).collect()
}

/// Loads and checks one spec file.
pub fn run_spec_file(path: &std::path::Path, opts: &RunOptions) -> Result<SpecResult, SpecError> {
    let spec = Spec::load(path)?;
    run_spec(&spec, opts)
}

/// Checks a parsed spec's model, parameters and property names, without searching.
pub fn validate_spec(spec: &Spec) -> Result<(), SpecError> {
    (entry(spec)?.validate)(spec)
}

/// Checks a parsed spec with the model it names.
pub fn run_spec(spec: &Spec, opts: &RunOptions) -> Result<SpecResult, SpecError> {
    let entry = entry(spec)?;
    (entry.validate)(spec)?;
    (entry.run)(spec, opts)
}

/// Whether the spec asks for symmetry reduction by a representative function, which only a
/// DFS search applies (`gomap bench` skips BFS for those specs rather than count the
/// unreduced space). False for a spec without `search.symmetry`.
pub fn symmetry_needs_dfs(spec: &Spec) -> Result<bool, SpecError> {
    (entry(spec)?.symmetry_needs_dfs)(spec)
}

/// Times a parsed spec's model apart from the checker over a sample of about `n` states.
pub fn model_cost(spec: &Spec, n: usize) -> Result<ModelCost, SpecError> {
    let entry = entry(spec)?;
    (entry.validate)(spec)?;
    (entry.cost)(spec, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn spec(src: &str) -> Spec {
        Spec::parse(Path::new("t.toml"), src).unwrap()
    }

    #[test]
    fn model_cost_samples_and_times_each_piece() {
        let s = spec(
            "model = \"hmap\"\n[params]\nkeys = 2\nmax_ops = 3\n[expect]\ncount_matches_live_entries = \"holds\"\n",
        );
        let c = model_cost(&s, 500).unwrap();
        assert_eq!(c.sample_states, 500);
        assert!(c.sample_transitions > 0);
        assert!(c.step_ns > 0.0 && c.hash_ns > 0.0 && c.properties_ns > 0.0);
        assert_eq!(c.representative_ns, 0.0, "no symmetry, no representative");
        // The sample is seeded: the same states, so the same transitions.
        assert_eq!(
            model_cost(&s, 500).unwrap().sample_transitions,
            c.sample_transitions
        );

        let sym = spec(
            "model = \"rwmutex\"\n[params]\ngoroutines = 2\n[search]\nstrategy = \"dfs\"\nsymmetry = true\n[expect]\nno_throw = \"holds\"\n",
        );
        let c = model_cost(&sym, 200).unwrap();
        assert!(
            c.sample_transitions > 0 && c.representative_ns > 0.0,
            "{c:?}"
        );
    }

    /// `search.symmetry` with BFS: the hmap model with `reseed = false` reduces at its initial
    /// states, so BFS finds exactly DFS's reduced count (fewer than without symmetry); a
    /// model that reduces by a representative function is refused at the symmetry line,
    /// as is the hmap model when it reseeds (its representative renames keys per state).
    #[test]
    fn symmetry_with_bfs_where_the_model_does_not_need_a_representative() {
        let hmap = |strategy: &str, symmetry: bool, reseed: bool| {
            spec(&format!(
                "model = \"hmap\"\n[params]\nkeys = 3\nhash_bits = 2\nbucket_cnt = 1\nload_factor = \"1/2\"\n\
                 max_ops = 4\nreseed = {reseed}\n[search]\nstrategy = \"{strategy}\"\n\
                 symmetry = {symmetry}\n[expect]\ncount_matches_live_entries = \"holds\"\n"
            ))
        };
        let opts = RunOptions {
            shorten: false,
            ..RunOptions::default()
        };
        let count = |s: &Spec| {
            let r = run_spec(s, &opts).unwrap();
            assert!(r.complete && r.ok, "{r:?}");
            r.unique_states
        };
        let bfs = hmap("bfs", true, false);
        assert!(!symmetry_needs_dfs(&bfs).unwrap());
        let reduced = count(&bfs);
        assert_eq!(reduced, count(&hmap("dfs", true, false)));
        assert!(reduced < count(&hmap("bfs", false, false)));

        let refused = |s: Spec| {
            assert!(symmetry_needs_dfs(&s).unwrap());
            let e = run_spec(&s, &opts).unwrap_err().to_string();
            assert!(
                e.contains("t.toml:") && e.contains("search.symmetry") && e.contains("dfs"),
                "{e}"
            );
            assert!(model_cost(&s, 10).is_err());
        };
        refused(hmap("bfs", true, true));
        refused(spec(
            "model = \"rwmutex\"\n[params]\ngoroutines = 2\n[search]\nstrategy = \"bfs\"\nsymmetry = true\n[expect]\nno_throw = \"holds\"\n",
        ));
    }
}
