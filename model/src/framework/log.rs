//! The log of what a transition did inside, in Go's terms (`evacuate(old bucket 1): ...`,
//! `load h.flags = 0`), for counterexamples and the explorer. Disabled (None) on the
//! checker's hot path, so a step costs nothing to describe unless someone reads it.

/// A trace of Go's inner steps of one transition; `Log(None)` records nothing.
#[derive(Default)]
pub struct Log(pub Option<Vec<String>>);

impl Log {
    /// A log that records.
    pub fn enabled() -> Self {
        Log(Some(Vec::new()))
    }
    /// Whether the log records (to skip gathering what only a note would say).
    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }
    /// Adds a line (built only when the log records).
    pub fn note(&mut self, f: impl FnOnce() -> String) {
        if let Some(v) = &mut self.0 {
            v.push(f());
        }
    }
}

/// Adds a line to a step's log (when logging is on).
pub fn note(log: &mut Log, f: impl FnOnce() -> String) {
    log.note(f)
}
