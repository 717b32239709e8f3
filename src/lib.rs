//! The `gomap` package's library part: what the CLI and the integration tests share.

pub mod conformance;
pub mod observe;
