//! Evidence from the chosen toolchain's Go source: lines read from its GOROOT/src at run
//! time and quoted with file:line (paths relative to GOROOT/src).

use super::Ctx;
use crate::claims::Res;

/// Where Debian's Go 1.19 keeps its source.
pub const GOROOT_SRC: &str = "/usr/lib/go-1.19/src";

/// The lines (1-based number, text) of the block opening with a line starting `open`, up to
/// its closing `}` at column 0.
pub(crate) fn block<'a>(src: &'a str, open: &str) -> Vec<(usize, &'a str)> {
    src.lines()
        .enumerate()
        .skip_while(|(_, l)| !l.starts_with(open))
        .take_while(|(_, l)| *l != "}")
        .map(|(i, l)| (i + 1, l))
        .collect()
}

/// The names of the fields of the struct opening with a line starting `open`.
pub(crate) fn struct_fields(src: &str, open: &str) -> Vec<String> {
    block(src, open)
        .into_iter()
        .skip(1)
        .filter_map(|(_, l)| {
            let t = l.trim();
            if t.is_empty() || t.starts_with("//") {
                return None;
            }
            t.split_whitespace().next().map(str::to_string)
        })
        .collect()
}

impl Ctx {
    /// A source file's text.
    pub(crate) fn read_src(&self, rel: &str) -> Res<String> {
        self.go.src.read(rel)
    }

    /// A line of the source: the first line of `file` at or after the line matching `after`
    /// (if any) that contains `needle`. Returns "file:line: `text`".
    pub(crate) fn source_line(&self, file: &str, after: Option<&str>, needle: &str) -> Res<String> {
        let text = self.read_src(file)?;
        let mut armed = after.is_none();
        for (i, l) in text.lines().enumerate() {
            if !armed {
                armed = after.is_some_and(|a| l.contains(a));
                if !armed {
                    continue;
                }
            }
            if l.contains(needle) {
                return Ok(format!("{file}:{}: `{}`", i + 1, l.trim()));
            }
        }
        Err(format!(
            "{} {file}: no line containing `{needle}`",
            self.go.label()
        ))
    }

    /// The body of a top-level Go function, from its `func` line to the closing `}`.
    pub(crate) fn go_func_body(&self, file: &str, header: &str) -> Res<Vec<(usize, String)>> {
        let text = self.read_src(file)?;
        let body: Vec<(usize, String)> = block(&text, header)
            .into_iter()
            .map(|(n, l)| (n, l.to_string()))
            .collect();
        if body.is_empty() {
            return Err(format!(
                "{} {file}: no function `{header}`",
                self.go.label()
            ));
        }
        Ok(body)
    }

    /// The first compiled file of `pkg` with a line starting with `prefix`.
    pub(crate) fn find_src(&self, pkg: &str, prefix: &str) -> Res<String> {
        self.go.src.find(pkg, prefix).ok_or_else(|| {
            format!(
                "{}: no file of {pkg} has a line starting `{prefix}`",
                self.go.label()
            )
        })
    }
}
