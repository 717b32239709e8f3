//! The framework every model plugs into. It knows no model: models depend on it, and
//! [`crate::registry`] lists the models.
//!
//! - [`spec`]: the TOML spec format (parameters, search, limits, expected verdicts), parsed
//!   with file, line and field in every error.
//! - [`info`]: what a model tells the registry (its parameters, properties and how to build,
//!   run and explore it): [`info::SpecModel`] and [`info::ModelEntry`].
//! - [`check`]: the runner: a stateright search per spec, verdicts against the expected ones,
//!   shortest counterexamples in Go's terms.
//! - [`cost`]: what a model's own work costs per transition, timed apart from the checker
//!   (`gomap bench --targets`).
//! - [`kind`]: `always` or `sometimes`.
//! - [`log`]: the log of Go's inner steps a transition writes for counterexamples.
//! - [`packed`]: a model over its states encoded as bytes, for breadth-first searches (the
//!   queue holds the frontier's states).
//! - [`digest`]: a fast deterministic digest of machine words, for fingerprints.
//! - [`pages`]: transparent huge pages held off while a search runs.
//! - [`params`]: parsing a spec's parameters and expected property names.
//! - [`svg`]: what the explorer's state diagrams share (document, escaping, iterator marks,
//!   legend entries, violated properties).
//! - [`hashfns`]: hash functions as initial states (every injective assignment of hashes to
//!   keys, or a fixed sample).
//! - [`iter_ghost`]: what the map models (hmap, swiss) record per iterator for the iteration
//!   properties, and the checks on a yield.
//! - [`concurrent`]: what the concurrent models share: property definitions, the sequential
//!   map their histories are checked against, the event log, goroutine symmetry.
//! - [`history`]: what a concurrent model's state keeps for linearizability: every event, or
//!   only the linearizations still possible (the frontier).
//! - [`concurrent_model`]: the plumbing of a concurrent model written once: implement
//!   [`concurrent_model::ConcurrentModel`] and get `Checkable`, `SpecModel` and the bodies of
//!   stateright's `next_state` and `properties`.

pub mod bounded;
pub mod check;
pub mod concurrent;
pub mod concurrent_model;
pub mod cost;
pub mod digest;
pub mod hashfns;
pub mod history;
pub mod info;
pub mod iter_ghost;
pub mod kind;
pub mod log;
pub mod packed;
pub mod pages;
pub mod params;
pub mod spec;
pub mod svg;
#[cfg(test)]
pub mod symmetry_check;
