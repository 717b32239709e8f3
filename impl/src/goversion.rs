//! Go versions: which Go a trace was recorded with, and the map behaviours that differ
//! between the Go versions gomap checks (docs/go-versions.md has the source lines).
//!
//! The toolchains themselves are listed once, in `scripts/go-versions.txt` (read here with
//! `include_str!`, and by the scripts that install and run them).

use std::fmt;

use serde::{Deserialize, Serialize};

/// `scripts/go-versions.txt`.
pub const GO_VERSIONS_TXT: &str = include_str!("../../scripts/go-versions.txt");

/// Which map a toolchain has (column `map` of `scripts/go-versions.txt`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MapImpl {
    /// The classic hmap (runtime/map.go).
    Classic,
    /// Swiss tables by default, the classic hmap with `GOEXPERIMENT=noswissmap`.
    NoSwissMap,
    /// Swiss tables only.
    Swiss,
}

/// One line of `scripts/go-versions.txt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toolchain {
    /// The exact version, e.g. "1.21.13".
    pub version: String,
    /// "debian" or "pypi".
    pub source: String,
    /// Which map it has.
    pub map: MapImpl,
    /// Part of the CI-sized run.
    pub ci: bool,
}

/// The toolchains of `scripts/go-versions.txt`, in file order.
pub fn toolchains() -> Vec<Toolchain> {
    GO_VERSIONS_TXT
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f.len(), 4, "scripts/go-versions.txt: bad line {l:?}");
            Toolchain {
                version: f[0].to_string(),
                source: f[1].to_string(),
                map: match f[2] {
                    "classic" => MapImpl::Classic,
                    "noswissmap" => MapImpl::NoSwissMap,
                    "swiss" => MapImpl::Swiss,
                    other => panic!("scripts/go-versions.txt: unknown map {other:?}"),
                },
                ci: f[3] == "yes",
            }
        })
        .collect()
}

/// A Go release as the runtime reports it (`runtime.Version()`, the `go` field of a trace
/// header): "go1.21.13", or "go1.24.11 X:noswissmap" for a build with that experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GoVersion {
    /// The minor release: 19 for Go 1.19.
    pub minor: u32,
    /// The patch release (0 when absent).
    pub patch: u32,
    /// Built with `GOEXPERIMENT=noswissmap`.
    pub noswissmap: bool,
}

impl GoVersion {
    /// Go 1.19.8 (Debian's golang-1.19-go), the version the port and the model started from.
    pub const GO1_19: GoVersion = GoVersion {
        minor: 19,
        patch: 8,
        noswissmap: false,
    };

    /// Parses `runtime.Version()` output: "go1.M", "go1.M.P", optionally followed by
    /// " X:exp1,exp2" (only `noswissmap` is kept).
    pub fn parse(s: &str) -> Result<GoVersion, String> {
        let mut words = s.split(' ');
        let v = words.next().unwrap_or("");
        let rest = v
            .strip_prefix("go1.")
            .ok_or_else(|| format!("{s:?} is not a Go 1 version (\"go1.M[.P]\")"))?;
        let mut parts = rest.split('.');
        let num = |p: Option<&str>| -> Result<Option<u32>, String> {
            match p {
                None => Ok(None),
                Some(x) => x
                    .parse::<u32>()
                    .map(Some)
                    .map_err(|_| format!("{s:?}: {x:?} is not a number")),
            }
        };
        let minor = num(parts.next())?.ok_or_else(|| format!("{s:?}: no minor version"))?;
        let patch = num(parts.next())?.unwrap_or(0);
        if parts.next().is_some() {
            return Err(format!("{s:?}: too many version parts"));
        }
        let mut noswissmap = false;
        for w in words {
            match w.strip_prefix("X:") {
                Some(exps) => noswissmap |= exps.split(',').any(|e| e == "noswissmap"),
                None => return Err(format!("{s:?}: unexpected {w:?}")),
            }
        }
        Ok(GoVersion {
            minor,
            patch,
            noswissmap,
        })
    }

    /// Whether this Go's maps are the classic hmap that the port and the model follow:
    /// a minor version listed in `scripts/go-versions.txt` as `classic`, or as
    /// `noswissmap` and built with that experiment.
    pub fn classic_map(&self) -> bool {
        toolchains().iter().any(|t| {
            GoVersion::parse(&format!("go{}", t.version)).is_ok_and(|v| v.minor == self.minor)
                && match t.map {
                    MapImpl::Classic => true,
                    MapImpl::NoSwissMap => self.noswissmap,
                    MapImpl::Swiss => false,
                }
        })
    }

    /// `loadFactorNum` (over `loadFactorDen` = 2) for 8-slot buckets: 13 (6.5 entries per
    /// bucket), except in Go 1.21, whose `(bucketCnt * 13 / 16) * loadFactorDen` truncates
    /// 6.5 to 6 before scaling: 12 (fixed in 1.22 as `loadFactorDen * bucketCnt * 13 / 16`).
    pub const fn load_factor_num(&self) -> usize {
        if self.minor == 21 {
            12
        } else {
            13
        }
    }

    /// `mapclear` marks every slot of every bucket of `buckets` and `oldbuckets` (overflow
    /// buckets included) `emptyRest` before clearing the array, so that open iterators
    /// stop (Go 1.21 .. 1.23, issue 59411; Go 1.24 replaced it by `clearSeq`).
    pub fn mapclear_marks_buckets_empty(&self) -> bool {
        (21..=23).contains(&self.minor)
    }

    /// `hmap.clearSeq` / `hiter.clearSeq` exist: mapclear increments it, and mapiternext
    /// yields an entry of an iterator started before a clear only through a lookup in the
    /// current map (Go 1.24+, runtime/map_noswiss.go).
    pub fn has_clear_seq(&self) -> bool {
        self.minor >= 24
    }
}

impl Default for GoVersion {
    fn default() -> Self {
        GoVersion::GO1_19
    }
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "go1.{}.{}", self.minor, self.patch)?;
        if self.noswissmap {
            write!(f, " X:noswissmap")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_runtime_versions() {
        assert_eq!(GoVersion::parse("go1.19.8"), Ok(GoVersion::GO1_19));
        let v = GoVersion::parse("go1.24.11 X:noswissmap").unwrap();
        assert_eq!((v.minor, v.patch, v.noswissmap), (24, 11, true));
        assert_eq!(GoVersion::parse("go1.21").unwrap().patch, 0);
        assert!(GoVersion::parse("go2.0").is_err());
        assert!(GoVersion::parse("go1.21.x").is_err());
        assert!(GoVersion::parse("go1.21.1 junk").is_err());
        assert_eq!(v.to_string(), "go1.24.11 X:noswissmap");
    }

    #[test]
    fn classic_map_follows_go_versions_txt() {
        let classic = |s: &str| GoVersion::parse(s).unwrap().classic_map();
        assert!(classic("go1.19.8") && classic("go1.21.13") && classic("go1.23.1"));
        assert!(classic("go1.25.5 X:noswissmap"));
        assert!(!classic("go1.25.5"), "Swiss tables by default");
        assert!(!classic("go1.20.1"), "not in scripts/go-versions.txt");
        assert!(!classic("go1.27.3 X:noswissmap"));
    }

    #[test]
    fn toolchains_mark_go119_the_newest_classic_and_the_newest_for_ci() {
        let t = toolchains();
        assert!(t.iter().any(|t| t.version.starts_with("1.19.") && t.ci));
        assert_eq!(t.iter().filter(|t| t.ci).count(), 3);
        let newest_classic = t.iter().rev().find(|t| t.map != MapImpl::Swiss).unwrap();
        assert!(
            newest_classic.ci,
            "the newest classic-map toolchain is a CI one"
        );
        assert!(t.last().unwrap().ci, "the newest toolchain is a CI one");
    }

    #[test]
    fn clear_behaviours_by_version() {
        let v = |s: &str| GoVersion::parse(s).unwrap();
        assert!(!v("go1.19.8").mapclear_marks_buckets_empty());
        assert!(v("go1.21.13").mapclear_marks_buckets_empty());
        assert!(v("go1.23.9").mapclear_marks_buckets_empty());
        assert!(!v("go1.24.11 X:noswissmap").mapclear_marks_buckets_empty());
        assert!(v("go1.24.11 X:noswissmap").has_clear_seq());
        assert!(!v("go1.23.9").has_clear_seq());
        assert_eq!(v("go1.21.13").load_factor_num(), 12);
        assert_eq!(v("go1.22.10").load_factor_num(), 13);
        assert_eq!(v("go1.19.8").load_factor_num(), 13);
    }
}
