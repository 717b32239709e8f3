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

/// Checks a parsed spec with the model it names.
pub fn run_spec(spec: &Spec, opts: &RunOptions) -> Result<SpecResult, SpecError> {
    let entry = entry(spec)?;
    (entry.validate)(spec)?;
    (entry.run)(spec, opts)
}

/// Times a parsed spec's model apart from the checker over a sample of about `n` states.
pub fn model_cost(spec: &Spec, n: usize) -> Result<ModelCost, SpecError> {
    let entry = entry(spec)?;
    (entry.validate)(spec)?;
    (entry.cost)(spec, n)
}
