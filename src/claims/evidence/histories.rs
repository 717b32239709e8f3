//! Evidence from sync.Map histories recorded with the chosen toolchain
//! (tests/go-oracle/syncmap-history) and checked with the linearizability checker
//! ([`crate::syncmap_history`]).

use super::Ctx;
use crate::claims::Res;
use crate::syncmap_history::{self, Report};

/// Histories recorded per scenario: enough for the random programs to use every operation
/// many times, and for the range-vs-stores scenario (about half its histories show a Range
/// that is not a snapshot) to show one.
pub(crate) const HISTORIES: usize = 200;

impl Ctx {
    /// Records (once) and checks the histories of `scenario` (random | range-vs-stores).
    pub(crate) fn histories(&mut self, scenario: &str) -> Res<Report> {
        if let Some(r) = self.histories.get(scenario) {
            return Ok(r.clone());
        }
        let file = self.out.join(format!("syncmap-{scenario}.jsonl"));
        syncmap_history::record(&self.root, &self.go.go, scenario, HISTORIES, &file)?;
        let r = syncmap_history::check_file(&file)?;
        self.histories.insert(scenario.to_string(), r.clone());
        Ok(r)
    }

    /// How to re-run a scenario's recording and check.
    pub(crate) fn histories_cmd(&self, scenario: &str) -> String {
        format!(
            "cargo run --release -- syncmap-history --go {} --scenario {scenario} --histories {HISTORIES}",
            self.go.tc.version
        )
    }
}
