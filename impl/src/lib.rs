//! gomap-impl: faithful Rust ports of Go's runtime maps, the classic map of Go 1.19 to 1.25
//! (runtime/map.go and runtime/map_fast64.go, with each release's differences as a
//! parameter) and the Swiss-table map of Go 1.24 (internal/runtime/maps), and of sync.Map,
//! with introspection and replayers for traces recorded from real Go.
//!
//! - [`map`]: `GoMap<K, V>`, Go's hmap/bmap layout and algorithms, step by step with Go's
//!   names, plus `snapshot()` and `check_invariants()`.
//! - [`goversion`]: the Go releases gomap checks (`scripts/go-versions.txt`) and where
//!   their maps differ; [`MapParams`] carries one.
//! - [`hash`]: the pluggable hasher and random source, with Go-like defaults.
//! - [`sizeclasses`]: Go's allocator size classes (`roundupsize`), which decide how many
//!   overflow buckets `makeBucketArray` preallocates.
//! - [`swiss`]: `SwissMap`, Go 1.24's Swiss-table map (directory, tables, groups, control
//!   words), with its own trace format (swiss-v1) and replayer.
//! - [`syncmap`]: `SyncMap<K, V>`, Go 1.19's sync.Map (+ Go 1.20's Swap/CompareAndSwap/
//!   CompareAndDelete) with epoch-based reclamation, and the recorded-history
//!   linearizability check.
//! - [`ordercache`]: the seed postmortem's order-cache protocols on the port.
//! - [`trace`]: the delta-v1 trace format of `map[uint64]uint64` runs of the classic map, its
//!   decoder, and `replay_on_port`, which drives a `GoMap` op by op and compares the whole
//!   state after each one.
//! - [`violation`]: `InvariantViolation`, what both ports' invariant checks report.

pub mod goversion;
pub mod hash;
pub mod map;
pub mod ordercache;
pub mod sizeclasses;
pub mod swiss;
pub mod syncmap;
pub mod trace;
pub mod violation;

pub use goversion::GoVersion;
pub use hash::{GoHashKey, GoMemHasher, MapHasher, RandomSource, WyRand};
pub use map::{
    ArrayId, ArrayView, BmapSnapshot, BmapView, Chain, GoMap, HmapSnapshot, Invariant,
    InvariantViolation, IterId, MapParams, ParamsError,
};
pub use trace::{
    parse_trace, parse_trace_str, replay_on_port, ReplayMismatch, ReplayReport, Trace, TraceError,
};
