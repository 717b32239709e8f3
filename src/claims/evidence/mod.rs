//! The checks that decide claims, each run once per `gomap claims` run and remembered:
//! spec verdicts ([`specs`]), Go 1.19 programs, race reports, compiler and linker errors
//! ([`go_programs`]), and lines of the Go 1.19 source ([`go_source`]).

pub(crate) mod go_programs;
pub(crate) mod go_source;
pub(crate) mod specs;

use super::Res;
use crate::checker::SpecResult;
use go_programs::RunOut;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Runs checks once each and remembers their outcomes.
pub(crate) struct Ctx {
    root: PathBuf,
    specs: HashMap<String, SpecResult>,
    bins: HashMap<&'static str, PathBuf>,
    runs: HashMap<(String, String), RunOut>,
    /// Where Go builds go.
    out: PathBuf,
}

impl Ctx {
    /// Checks for the repository at `root`, building Go programs into `out`.
    pub(crate) fn new(root: &Path, out: PathBuf) -> Ctx {
        Ctx {
            root: root.to_path_buf(),
            specs: HashMap::new(),
            bins: HashMap::new(),
            runs: HashMap::new(),
            out,
        }
    }

    /// The folder Go programs were built into.
    pub(crate) fn out(&self) -> &Path {
        &self.out
    }
}

/// Model and Go must agree where both decide the same thing.
pub(crate) fn agree(what: &str, model_says: bool, go_says: bool) -> Res<()> {
    if model_says == go_says {
        Ok(())
    } else {
        Err(format!(
            "{what}: the model says {model_says} but Go 1.19 says {go_says}: the model and Go disagree"
        ))
    }
}
