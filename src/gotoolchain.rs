//! The Go toolchains of `scripts/go-versions.txt` as the CLI uses them: which ones a user
//! asks for (`--go 1.25`, `--go all`), where each one's go command is (the logic of
//! `scripts/go-path.sh`), and the Go source it compiles by default (its GOROOT and the files
//! `go list` says make up a package).

use gomap_impl::goversion::{toolchains, Toolchain};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The versions of `scripts/go-versions.txt`, for messages.
pub fn known() -> String {
    toolchains()
        .iter()
        .map(|t| t.version.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The minor release of "1.25.5": 25.
pub fn minor(t: &Toolchain) -> u32 {
    t.version
        .split('.')
        .nth(1)
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

/// The toolchains a `--go` value selects: `all`, `ci` (the lines marked ci), or a
/// comma-separated list of versions, each exact (`1.25.5`, `go1.25.5`) or a minor release
/// (`1.25`). An unknown version is an error naming the known ones.
pub fn select(sel: &str) -> Result<Vec<Toolchain>, String> {
    let all = toolchains();
    let sel = sel.trim();
    match sel {
        "all" => return Ok(all),
        "ci" => return Ok(all.into_iter().filter(|t| t.ci).collect()),
        _ => {}
    }
    let mut out: Vec<Toolchain> = Vec::new();
    for item in sel.split(',') {
        let v = item.trim();
        let v = v.strip_prefix("go").unwrap_or(v);
        let found = all
            .iter()
            .find(|t| t.version == v)
            .or_else(|| {
                all.iter().find(|t| {
                    t.version
                        .strip_prefix(v)
                        .is_some_and(|r| r.starts_with('.'))
                })
            })
            .ok_or_else(|| {
                format!(
                    "--go: unknown Go version `{}` (scripts/go-versions.txt lists {}; or all, ci)",
                    crate::text::sanitize(item.trim(), crate::text::MAX_QUOTED_CHARS),
                    known()
                )
            })?;
        if !out.iter().any(|t| t.version == found.version) {
            out.push(found.clone());
        }
    }
    Ok(out)
}

/// The go command of a toolchain, installed or not: Debian's (`/usr/lib/go-1.M/bin/go`, or
/// `$GOMAP_GO` if set, which tests point elsewhere) or the PyPI one under the repository's
/// `target/go/<version>/` (scripts/go-path.sh).
pub fn go_command(root: &Path, t: &Toolchain) -> PathBuf {
    if t.source == "debian" {
        if let Some(p) = std::env::var_os("GOMAP_GO") {
            return PathBuf::from(p);
        }
        return PathBuf::from(format!("/usr/lib/go-1.{}/bin/go", minor(t)));
    }
    // Absolute: the go command runs from other folders.
    std::path::absolute(root)
        .unwrap_or_else(|_| root.to_path_buf())
        .join("target/go")
        .join(&t.version)
        .join("go/bin/go")
}

/// The go command of an installed toolchain, or an error saying how to install it.
pub fn require(root: &Path, t: &Toolchain) -> Result<PathBuf, String> {
    let go = go_command(root, t);
    if go.is_file() {
        Ok(go)
    } else {
        Err(format!(
            "Go {} is missing ({} not found): install it with scripts/install-go-versions.sh {}{}",
            t.version,
            crate::text::quoted_path(&go),
            t.version,
            if t.source == "debian" {
                " (Debian's golang-1.19-go: scripts/install-go.sh)"
            } else {
                ""
            }
        ))
    }
}

/// A go command that stays on this toolchain and builds the default configuration
/// (`GOTOOLCHAIN=local`, no `GOEXPERIMENT` from the caller's environment).
pub fn command(go: &Path) -> Command {
    let mut c = Command::new(go);
    c.env("GOTOOLCHAIN", "local").env_remove("GOEXPERIMENT");
    c
}

/// The Go source a toolchain compiles: its GOROOT/src and, for the packages gomap reads,
/// the files `go list` says make them up by default (build tags and GOEXPERIMENT defaults
/// applied), as paths relative to GOROOT/src.
#[derive(Clone, Debug)]
pub struct GoSource {
    pub src: PathBuf,
    pub pkgs: BTreeMap<String, Vec<String>>,
}

/// The packages whose files [`GoSource::load`] lists.
pub const PACKAGES: &[&str] = &[
    "runtime",
    "sync",
    "internal/runtime/maps",
    "internal/sync",
    "internal/abi",
    "internal/runtime/gc",
];

impl GoSource {
    pub fn load(go: &Path) -> Result<GoSource, String> {
        let run = |args: &[&str]| -> Result<String, String> {
            let out = command(go)
                .args(args)
                .output()
                .map_err(|e| format!("{}: {e}", go.display()))?;
            if !out.status.success() {
                return Err(format!(
                    "`go {}` failed: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        };
        let goroot = run(&["env", "GOROOT"])?.trim().to_string();
        let src = Path::new(&goroot).join("src");
        let mut args = vec![
            "list",
            "-e",
            "-f",
            "{{.ImportPath}}|{{if not .Error}}{{join .GoFiles \" \"}}{{end}}",
        ];
        args.extend(PACKAGES);
        let mut pkgs = BTreeMap::new();
        for line in run(&args)?.lines() {
            let Some((pkg, files)) = line.split_once('|') else {
                continue;
            };
            let files: Vec<String> = files
                .split_whitespace()
                .map(|f| format!("{pkg}/{f}"))
                .collect();
            if !files.is_empty() {
                pkgs.insert(pkg.to_string(), files);
            }
        }
        if !pkgs.contains_key("runtime") {
            return Err(format!("`go list runtime` found no files under {goroot}"));
        }
        Ok(GoSource { src, pkgs })
    }

    /// A file's text (path relative to GOROOT/src).
    pub fn read(&self, rel: &str) -> Result<String, String> {
        let p = self.src.join(rel);
        std::fs::read_to_string(&p).map_err(|e| format!("{rel}: {e}"))
    }

    /// Whether a file exists (path relative to GOROOT/src).
    pub fn exists(&self, rel: &str) -> bool {
        self.src.join(rel).is_file()
    }

    /// The first compiled file of `pkg` with a line starting with `prefix`.
    pub fn find(&self, pkg: &str, prefix: &str) -> Option<String> {
        self.pkgs.get(pkg)?.iter().find_map(|f| {
            let text = self.read(f).ok()?;
            text.lines()
                .any(|l| l.starts_with(prefix))
                .then(|| f.clone())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_versions_by_exact_name_minor_all_and_ci() {
        let v = |s: &str| -> Vec<String> {
            select(s).unwrap().into_iter().map(|t| t.version).collect()
        };
        assert_eq!(v("1.19").len(), 1);
        assert!(v("1.19")[0].starts_with("1.19."));
        let t125 = v("1.25");
        assert!(t125[0].starts_with("1.25."));
        assert_eq!(v(&format!("go{}", t125[0])), t125);
        assert_eq!(v("1.19,1.25,1.19").len(), 2);
        assert_eq!(v("all").len(), toolchains().len());
        assert_eq!(v("ci").len(), 3);
        let e = select("1.20").unwrap_err();
        assert!(
            e.contains("unknown Go version `1.20`") && e.contains("1.19."),
            "{e}"
        );
        assert!(select("1.2").is_err(), "a prefix is not a minor release");
        assert!(select("").is_err());
    }
}
