//! Evidence from the Go 1.19 source: lines read from /usr/lib/go-1.19/src at run time and
//! quoted with file:line.

use crate::claims::Res;
use std::path::Path;

/// Where Debian's Go 1.19 keeps its source.
pub const GOROOT_SRC: &str = "/usr/lib/go-1.19/src";

/// A line of the Go 1.19 source: the first line of `file` at or after the line matching
/// `after` (if any) that contains `needle`. Returns "file:line: `text`".
pub(crate) fn source_line(file: &str, after: Option<&str>, needle: &str) -> Res<String> {
    let path = Path::new(GOROOT_SRC).join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut armed = after.is_none();
    for (i, l) in text.lines().enumerate() {
        if !armed {
            armed = l.contains(after.unwrap());
            if !armed {
                continue;
            }
        }
        if l.contains(needle) {
            return Ok(format!("{file}:{}: `{}`", i + 1, l.trim()));
        }
    }
    Err(format!("{file}: no line containing `{needle}`"))
}

/// The body of a top-level Go function, from its `func` line to the closing `}`.
pub(crate) fn go_func_body(file: &str, header: &str) -> Res<Vec<(usize, String)>> {
    let path = Path::new(GOROOT_SRC).join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    let mut inside = false;
    for (i, l) in text.lines().enumerate() {
        if l.starts_with(header) {
            inside = true;
        }
        if inside {
            out.push((i + 1, l.to_string()));
            if l == "}" {
                return Ok(out);
            }
        }
    }
    Err(format!("{file}: no function `{header}`"))
}
