//! The `gomap` package's library part: what the CLI does and the integration tests share.
//! - [`claims`]: the verdicts on the seed postmortem's claims, and the table's shapes;
//! - [`replay`]: Go 1.19 traces replayed on the port or the model;
//! - [`mod@bench`]: the checker measured per spec;
//! - [`bench_floor`]: stateright's own throughput on a model that costs nothing;
//! - [`bench_targets`]: the checker-capacity issue's targets measured in one run;
//! - [`conformance`]: the port's snapshots as the model's flat states;
//! - [`text`]: error messages made safe to print;
//! - [`observe`]: scenarios for real goroutines and the outcomes real Go produced;
//! - [`observe_check`]: those outcomes against the model's (`gomap observe`);
//! - [`gotoolchain`]: the Go toolchains of scripts/go-versions.txt and the source they build;
//! - [`syncmap_history`]: sync.Map histories of real Go checked for linearizability.

pub mod bench;
pub mod bench_floor;
pub mod bench_targets;
pub mod claims;
pub mod conformance;
pub mod gotoolchain;
pub mod observe;
pub mod observe_check;
pub mod replay;
pub mod replay_swiss;
pub mod syncmap_history;
pub mod text;

/// The model checker's entry points used here. The model crate's module paths are named only
/// in this module, so that a move of theirs is a change of these lines.
pub mod checker {
    pub use gomap_model::framework::check::{RunOptions, SpecResult};
    pub use gomap_model::framework::cost::ModelCost;
    pub use gomap_model::framework::pages::NoHugePages;
    pub use gomap_model::framework::spec::{collect_spec_paths, Spec, Strategy, Verdict};
    pub use gomap_model::registry::{model_cost, models, run_spec, symmetry_needs_dfs};
}
