//! The recipes, one file per cluster of claims: each `sN` decides claim SN from the checks
//! it runs.

pub(crate) mod behaviours;
pub(crate) mod buckets;
pub(crate) mod cache;
pub(crate) mod growth;
pub(crate) mod syncmap;
pub(crate) mod toolchain;
