//! gomap-model: stateright models of Go's runtime map and sync.Map, the spec files that
//! configure them, and the runner that checks a spec's expected verdicts.
//!
//! - [`framework`]: the spec format, what a model tells the registry, the runner, and what
//!   the concurrent models share. It knows no model.
//! - One folder per model, each with the same files where they apply: `state.rs` (types),
//!   `steps.rs` (Go's functions, in Go's order), `properties.rs`, `render.rs` (text and the
//!   explorer), `symmetry.rs`, and `mod.rs` (the model and its entry: parameters, `from_spec`,
//!   `info`):
//!   - [`hmap`]: one goroutine and one map, at Go's step granularity (runtime/map.go,
//!     runtime/map_fast64.go);
//!   - [`unsync`]: goroutines racing on one plain map;
//!   - [`rwmutex`]: the same map behind a sync.RWMutex;
//!   - [`syncmap`]: sync.Map with every atomic step separate (sync/map.go);
//!   - [`cache`]: the postmortem's order-cache update protocol and its fixes;
//!   - [`swiss`]: one goroutine and one Go 1.24 Swiss-table map (internal/runtime/maps).
//! - [`registry`]: the models a spec can name; running a spec.

pub mod cache;
pub mod framework;
pub mod hmap;
pub mod registry;
pub mod rwmutex;
pub mod swiss;
pub mod syncmap;
pub mod unsync;

pub use framework::check::EXHAUSTIVE_SENTINEL;
