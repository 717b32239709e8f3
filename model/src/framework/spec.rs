//! Spec files: TOML scenarios naming a model, its parameters, the search, its limits and the
//! expected verdict of each property.
//!
//! ```toml
//! # Scenario, the Go behaviour it covers, what it expects and why.
//! model = "hmap"
//!
//! [params]
//! keys = 3
//!
//! [search]
//! strategy = "bfs"      # bfs | dfs | simulation
//! threads = 2
//!
//! [limits]
//! max_states = 5_000_000
//! timeout_secs = 300
//!
//! [expect]
//! unique_states = 123456            # pinned: a change in the state space is deliberate
//! count_matches_live_entries = "holds"
//! s11_delete_clears_key = "violated"
//! ```
//!
//! Every error names the file, the line and the field.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// A problem with a spec file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub field: Option<String>,
    pub message: String,
}

/// Most characters of a user-supplied value an error message quotes.
pub const MAX_QUOTED_CHARS: usize = 200;

/// `s` made safe to print in one line of a message: control characters (newlines, escape
/// sequences, NUL) escaped as `\n`, `\u{1b}`, and text past `max_chars` characters cut with a
/// note of how much was left out.
pub fn sanitize(s: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (n, (i, c)) in s.char_indices().enumerate() {
        if n >= max_chars {
            out.push_str(&format!("... ({} more bytes)", s.len() - i));
            return out;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.file.display().to_string();
        write!(f, "{}", sanitize(&path, 4 * MAX_QUOTED_CHARS))?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{}`", sanitize(field, MAX_QUOTED_CHARS))?;
        }
        write!(f, ": {}", sanitize(&self.message, 5 * MAX_QUOTED_CHARS))
    }
}

impl std::error::Error for SpecError {}

/// The expected verdict of a property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Holds,
    Violated,
    /// Not a valid expectation: the search stopped at a limit before deciding.
    Incomplete,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Holds => "holds",
            Verdict::Violated => "violated",
            Verdict::Incomplete => "incomplete",
        })
    }
}

/// How to search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    Bfs,
    Dfs,
    Simulation,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    model: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    params: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    search: RawSearch,
    #[serde(default)]
    limits: RawLimits,
    expect: BTreeMap<String, Spanned<toml::Value>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSearch {
    strategy: Option<Spanned<String>>,
    threads: Option<Spanned<i64>>,
    seed: Option<Spanned<i64>>,
    symmetry: Option<Spanned<bool>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_states: Option<Spanned<i64>>,
    max_depth: Option<Spanned<i64>>,
    timeout_secs: Option<Spanned<i64>>,
    max_memory_mb: Option<Spanned<i64>>,
}

/// A parameter value with its line.
#[derive(Clone, Debug)]
pub struct ParamValue {
    pub value: toml::Value,
    pub line: usize,
}

/// An expected property verdict with its line.
#[derive(Clone, Debug)]
pub struct Expectation {
    pub property: String,
    pub verdict: Verdict,
    pub line: usize,
}

/// A parsed spec file.
#[derive(Clone, Debug)]
pub struct Spec {
    pub path: PathBuf,
    /// The file name without `.toml`.
    pub name: String,
    pub model: String,
    pub model_line: usize,
    pub description: Option<String>,
    pub params: BTreeMap<String, ParamValue>,
    pub strategy: Strategy,
    pub threads: usize,
    pub seed: u64,
    /// Symmetry reduction (the model's representative function, which needs DFS; or the hmap
    /// model's initial states in hash order, with every strategy).
    pub symmetry: bool,
    pub symmetry_line: Option<usize>,
    pub max_states: Option<usize>,
    pub max_depth: Option<usize>,
    pub timeout_secs: u64,
    /// Resident memory (MiB) at which the search stops as incomplete; None: half the machine.
    pub max_memory_mb: Option<u64>,
    pub expect: Vec<Expectation>,
    /// The pinned number of unique states, if any.
    pub unique_states: Option<(usize, usize)>,
}

/// Default time limit of one spec's search.
pub const DEFAULT_TIMEOUT_SECS: u64 = 600;
/// Longest time limit a spec may set (a year).
pub const MAX_TIMEOUT_SECS: u64 = 365 * 24 * 3600;

fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())].matches('\n').count() + 1
}

impl Spec {
    /// Reads and parses a spec file. Model-specific checks (names of parameters and
    /// properties, their values) are done by [`crate::registry`].
    pub fn load(path: &Path) -> Result<Spec, SpecError> {
        let src = read_regular_file(path, MAX_SPEC_BYTES).map_err(|message| SpecError {
            file: path.to_path_buf(),
            line: None,
            field: None,
            message: format!("cannot read spec file: {message}"),
        })?;
        Spec::parse(path, &src)
    }

    /// Parses spec text; `path` names it in errors.
    pub fn parse(path: &Path, src: &str) -> Result<Spec, SpecError> {
        let err = |line: Option<usize>, field: Option<&str>, message: String| SpecError {
            file: path.to_path_buf(),
            line,
            field: field.map(str::to_string),
            message,
        };
        let raw: RawSpec = toml::from_str(src).map_err(|e| {
            let line = e.span().map(|s| line_of(src, s.start));
            // toml's message starts with its own location banner; keep only the reason.
            let msg = e.message().to_string();
            let field = msg
                .split('`')
                .nth(1)
                .filter(|_| msg.contains("field"))
                .map(str::to_string);
            err(line, field.as_deref(), format!("invalid spec: {msg}"))
        })?;
        let at = |sp: std::ops::Range<usize>| line_of(src, sp.start);

        let positive = |v: &Spanned<i64>, field: &str| -> Result<usize, SpecError> {
            let n = *v.get_ref();
            if n <= 0 {
                Err(err(
                    Some(at(v.span())),
                    Some(field),
                    format!("must be a positive integer, got {n}"),
                ))
            } else {
                Ok(n as usize)
            }
        };

        let strategy = match &raw.search.strategy {
            None => Strategy::Bfs,
            Some(s) => match s.get_ref().as_str() {
                "bfs" => Strategy::Bfs,
                "dfs" => Strategy::Dfs,
                "simulation" => Strategy::Simulation,
                other => {
                    return Err(err(
                        Some(at(s.span())),
                        Some("search.strategy"),
                        format!("unknown strategy `{other}` (expected bfs, dfs or simulation)"),
                    ))
                }
            },
        };
        let threads = match &raw.search.threads {
            None => 1,
            Some(t) => positive(t, "search.threads")?,
        };
        if threads > super::bounded::MAX_THREADS {
            return Err(err(
                raw.search.threads.as_ref().map(|t| at(t.span())),
                Some("search.threads"),
                format!(
                    "at most {} threads, got {threads}",
                    super::bounded::MAX_THREADS
                ),
            ));
        }
        let seed = match &raw.search.seed {
            None => 0,
            Some(s) if *s.get_ref() < 0 => {
                return Err(err(
                    Some(at(s.span())),
                    Some("search.seed"),
                    "must not be negative".into(),
                ))
            }
            Some(s) => *s.get_ref() as u64,
        };
        let symmetry = raw.search.symmetry.as_ref().is_some_and(|s| *s.get_ref());
        let symmetry_line = raw.search.symmetry.as_ref().map(|s| at(s.span()));
        // Whether the strategy can honour symmetry depends on the model (a representative
        // function needs DFS): `info::check_symmetry_strategy`, when the model is built.
        let max_states = raw
            .limits
            .max_states
            .as_ref()
            .map(|v| positive(v, "limits.max_states"))
            .transpose()?;
        let max_depth = raw
            .limits
            .max_depth
            .as_ref()
            .map(|v| positive(v, "limits.max_depth"))
            .transpose()?;
        let timeout_secs = raw
            .limits
            .timeout_secs
            .as_ref()
            .map(|v| positive(v, "limits.timeout_secs"))
            .transpose()?
            .map(|v| v as u64)
            .unwrap_or(DEFAULT_TIMEOUT_SECS);
        // Past ~30 years a deadline overflows the clock.
        if timeout_secs > MAX_TIMEOUT_SECS {
            return Err(err(
                raw.limits.timeout_secs.as_ref().map(|v| at(v.span())),
                Some("limits.timeout_secs"),
                format!("at most {MAX_TIMEOUT_SECS} s, got {timeout_secs}"),
            ));
        }
        let max_memory_mb = raw
            .limits
            .max_memory_mb
            .as_ref()
            .map(|v| positive(v, "limits.max_memory_mb"))
            .transpose()?
            .map(|v| v as u64);

        let mut expect = Vec::new();
        let mut unique_states = None;
        for (k, v) in &raw.expect {
            let line = at(v.span());
            let field = format!("expect.{k}");
            if k == "unique_states" {
                match v.get_ref() {
                    toml::Value::Integer(n) if *n > 0 => unique_states = Some((*n as usize, line)),
                    other => {
                        return Err(err(
                            Some(line),
                            Some(&field),
                            format!("must be a positive integer, got {other}"),
                        ))
                    }
                }
                continue;
            }
            let verdict = match v.get_ref() {
                toml::Value::String(s) if s == "holds" => Verdict::Holds,
                toml::Value::String(s) if s == "violated" => Verdict::Violated,
                other => {
                    return Err(err(
                        Some(line),
                        Some(&field),
                        format!("expected \"holds\" or \"violated\", got {other}"),
                    ))
                }
            };
            expect.push(Expectation {
                property: k.clone(),
                verdict,
                line,
            });
        }
        if expect.is_empty() {
            return Err(err(
                None,
                Some("expect"),
                "a spec must expect a verdict for at least one property".into(),
            ));
        }
        if strategy == Strategy::Simulation && unique_states.is_some() {
            return Err(err(
                unique_states.map(|u| u.1),
                Some("expect.unique_states"),
                "a simulation visits a random subset of states: its count cannot be pinned".into(),
            ));
        }
        if strategy == Strategy::Simulation && max_states.is_none() {
            return Err(err(
                None,
                Some("limits.max_states"),
                "a simulation runs until a limit: set limits.max_states".into(),
            ));
        }
        let params = raw
            .params
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    ParamValue {
                        value: v.get_ref().clone(),
                        line: at(v.span()),
                    },
                )
            })
            .collect();
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Spec {
            path: path.to_path_buf(),
            name,
            model: raw.model.get_ref().clone(),
            model_line: at(raw.model.span()),
            description: raw.description,
            params,
            strategy,
            threads,
            seed,
            symmetry,
            symmetry_line,
            max_states,
            max_depth,
            timeout_secs,
            max_memory_mb,
            expect,
            unique_states,
        })
    }

    /// An error about this spec.
    pub fn error(
        &self,
        line: Option<usize>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> SpecError {
        SpecError {
            file: self.path.clone(),
            line,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }
}

/// Largest spec file read.
pub const MAX_SPEC_BYTES: u64 = 1 << 20;

/// What a path is, for an error message about something that is not a regular file or a
/// folder: a FIFO, a device, a socket, a dangling symlink or a symlink loop, or nothing.
pub fn describe_non_file(p: &Path) -> String {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::metadata(p) {
        Ok(m) => {
            let t = m.file_type();
            if t.is_fifo() {
                "is a FIFO (named pipe), not a regular file".into()
            } else if t.is_char_device() || t.is_block_device() {
                "is a device, not a regular file".into()
            } else if t.is_socket() {
                "is a socket, not a regular file".into()
            } else if t.is_dir() {
                "is a folder, not a regular file".into()
            } else {
                "is not a regular file".into()
            }
        }
        Err(e) => match std::fs::symlink_metadata(p) {
            Ok(l) if l.file_type().is_symlink() => {
                if e.raw_os_error() == Some(40) {
                    "is a symlink loop (too many levels of symbolic links)".into()
                } else {
                    format!("is a symlink to nothing readable ({e})")
                }
            }
            _ if e.kind() == std::io::ErrorKind::NotFound => "no such file or folder".into(),
            _ => format!("cannot be read: {e}"),
        },
    }
}

/// Reads a regular file of at most `max_bytes` as UTF-8, refusing devices, FIFOs and the like
/// (which could block or never end) with a message saying what the path is.
pub fn read_regular_file(p: &Path, max_bytes: u64) -> Result<String, String> {
    use std::io::Read;
    let m = std::fs::metadata(p).map_err(|_| describe_non_file(p))?;
    if !m.is_file() {
        return Err(describe_non_file(p));
    }
    if m.len() > max_bytes {
        return Err(format!(
            "is {} bytes, more than the {max_bytes} bytes allowed",
            m.len()
        ));
    }
    let f = std::fs::File::open(p).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    // The file may grow between the check and the read.
    f.take(max_bytes + 1)
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    if buf.len() as u64 > max_bytes {
        return Err(format!("is more than the {max_bytes} bytes allowed"));
    }
    String::from_utf8(buf).map_err(|e| format!("is not UTF-8 text ({e})"))
}

/// Expands files and folders (their `*.toml` regular files, sorted) into spec paths.
pub fn collect_spec_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, SpecError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let rd = std::fs::read_dir(p).map_err(|e| SpecError {
                file: p.clone(),
                line: None,
                field: None,
                message: format!("cannot read folder: {e}"),
            })?;
            let mut v: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            v.sort();
            // A `*.toml` that is not a regular file (a symlink to a device, a FIFO) is an
            // error, not something to read.
            if let Some(bad) = v.iter().find(|p| !p.is_file()) {
                return Err(SpecError {
                    file: bad.clone(),
                    line: None,
                    field: None,
                    message: describe_non_file(bad),
                });
            }
            v.sort();
            if v.is_empty() {
                return Err(SpecError {
                    file: p.clone(),
                    line: None,
                    field: None,
                    message: "folder holds no spec files (*.toml)".into(),
                });
            }
            out.extend(v);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            let what = describe_non_file(p);
            return Err(SpecError {
                file: p.clone(),
                line: None,
                field: None,
                message: if what == "no such file or folder" {
                    "no such spec file or folder".into()
                } else {
                    what
                },
            });
        }
    }
    Ok(out)
}
