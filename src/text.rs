//! Text of error messages made safe to print: user-supplied values (paths, fields, bad
//! values) with control characters escaped and huge values cut.

pub use gomap_model::framework::spec::{sanitize, MAX_QUOTED_CHARS};

/// A path as an error message shows it.
pub fn quoted_path(p: &std::path::Path) -> String {
    sanitize(&p.display().to_string(), 4 * MAX_QUOTED_CHARS)
}

/// A whole message, line by line, each line made safe and cut.
pub fn message(s: &str) -> String {
    s.lines()
        .map(|l| sanitize(l, 10 * MAX_QUOTED_CHARS))
        .collect::<Vec<_>>()
        .join("\n")
}
