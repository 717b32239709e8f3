//! gomap-model: stateright models of Go 1.19's runtime map, the spec files that configure
//! them, and the runner that checks a spec's expected verdicts.
//!
//! - [`hmap`]: one goroutine and one map, at Go's step granularity (runtime/map.go,
//!   runtime/map_fast64.go).
//! - [`spec`]: the TOML spec format.
//! - [`registry`]: the models, their parameters and properties.
//! - [`check`]: runs a spec and compares verdicts.

pub mod cache;
pub mod check;
pub mod concurrent;
pub mod hmap;
pub mod registry;
pub mod rwmutex;
pub mod spec;
pub mod syncmap;
pub mod unsync;

/// Name of the always-true property that keeps exhaustive searches from stopping early.
pub const EXHAUSTIVE_SENTINEL: &str = "(exhaustive search)";
