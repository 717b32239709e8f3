//! The checks that decide claims, each run once per `gomap claims` run and remembered:
//! spec verdicts ([`specs`]), Go programs, race reports, compiler and linker errors built
//! with the chosen toolchain ([`go_programs`]), lines of that toolchain's source
//! ([`go_source`]), and sync.Map histories recorded with it ([`histories`]).
//!
//! [`GoCtx`] is the toolchain a run decides for: its go command, the source it compiles by
//! default, and which map and which sync.Map that source implements — found in the source
//! itself (the file of `runtime` that declares `type hmap struct`, or the one of
//! `internal/runtime/maps` that declares `type table struct`; the `type Map struct` of
//! `sync`), never assumed from the version number.

pub(crate) mod go_programs;
pub(crate) mod go_source;
pub(crate) mod histories;
pub(crate) mod specs;

use super::Res;
use crate::checker::SpecResult;
use crate::gotoolchain::{self, GoSource};
use crate::syncmap_history::Report;
use go_programs::RunOut;
use gomap_impl::goversion::{MapImpl, Toolchain};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Which runtime map a toolchain builds by default, with the files that implement it
/// (paths relative to GOROOT/src).
#[derive(Clone, Debug)]
pub(crate) enum MapKind {
    /// The classic hmap: the file with `type hmap struct` and the one with
    /// `func mapaccess2_fast64(`.
    Classic { map: String, fast64: String },
    /// Swiss tables (internal/runtime/maps): the files with `type Map struct`, `type table
    /// struct`, `func runtime_mapassign(` and `func runtime_mapaccess2_fast64(`.
    Swiss {
        map: String,
        table: String,
        runtime: String,
        fast64: String,
    },
}

/// Which sync.Map a toolchain builds by default.
#[derive(Clone, Debug)]
pub(crate) enum SyncKind {
    /// read/dirty maps behind one Mutex (Go 1.19 .. 1.23): the file with `type Map struct`.
    ReadDirty { file: String },
    /// A wrapper of internal/sync.HashTrieMap (Go 1.24+): the wrapper's file and the trie's.
    HashTrie { file: String, trie: String },
}

/// The toolchain a run decides for.
pub(crate) struct GoCtx {
    pub(crate) tc: Toolchain,
    pub(crate) minor: u32,
    pub(crate) go: PathBuf,
    pub(crate) src: GoSource,
    pub(crate) map: MapKind,
    pub(crate) sync: SyncKind,
}

impl GoCtx {
    /// Finds the toolchain's go command and reads which map and sync.Map its source has.
    pub(crate) fn new(root: &Path, tc: &Toolchain) -> Res<GoCtx> {
        let go = gotoolchain::require(root, tc)?;
        let src = GoSource::load(&go)?;
        let map = match src.find("runtime", "type hmap struct") {
            Some(map) => MapKind::Classic {
                fast64: src
                    .find("runtime", "func mapaccess2_fast64(")
                    .ok_or("runtime: no func mapaccess2_fast64")?,
                map,
            },
            None => {
                let pkg = "internal/runtime/maps";
                let need = |p: &str| {
                    src.find(pkg, p).ok_or_else(|| {
                        format!(
                            "Go {}: no hmap in runtime and no `{p}` in {pkg}: which map is this?",
                            tc.version
                        )
                    })
                };
                MapKind::Swiss {
                    map: need("type Map struct")?,
                    table: need("type table struct")?,
                    runtime: need("func runtime_mapassign(")?,
                    fast64: need("func runtime_mapaccess2_fast64(")?,
                }
            }
        };
        let file = src
            .find("sync", "type Map struct")
            .ok_or("sync: no `type Map struct`")?;
        let body = go_source::block(&src.read(&file)?, "type Map struct")
            .into_iter()
            .map(|(_, l)| l.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        let sync = if body.contains("HashTrieMap") {
            SyncKind::HashTrie {
                trie: src
                    .find("internal/sync", "type HashTrieMap")
                    .ok_or("internal/sync: no `type HashTrieMap`")?,
                file,
            }
        } else if body.contains("dirty") {
            SyncKind::ReadDirty { file }
        } else {
            return Err(format!(
                "{file}: `type Map struct` has neither dirty nor a HashTrieMap"
            ));
        };
        // scripts/go-versions.txt and the source must agree on the map.
        let swiss = matches!(map, MapKind::Swiss { .. });
        let listed_swiss = tc.map != MapImpl::Classic;
        if swiss != listed_swiss {
            return Err(format!(
                "Go {}: scripts/go-versions.txt says map {:?} but its runtime builds {}",
                tc.version,
                tc.map,
                if swiss {
                    "Swiss tables"
                } else {
                    "the classic hmap"
                }
            ));
        }
        Ok(GoCtx {
            minor: gotoolchain::minor(tc),
            tc: tc.clone(),
            go,
            src,
            map,
            sync,
        })
    }

    /// "Go 1.19": how the text names the version.
    pub(crate) fn label(&self) -> String {
        format!("Go 1.{}", self.minor)
    }

    /// Debian's toolchain: the re-run commands name its fixed paths.
    fn debian(&self) -> bool {
        self.tc.source == "debian"
    }

    /// The go command in a re-run line that starts with `cd tests/go-oracle/claims`.
    pub(crate) fn rerun_go(&self) -> String {
        if self.debian() {
            format!("/usr/lib/go-1.{}/bin/go", self.minor)
        } else {
            format!(
                "GOTOOLCHAIN=local $(../../../scripts/go-path.sh {})",
                self.tc.version
            )
        }
    }

    /// A source file in a re-run line run from the repository root.
    pub(crate) fn rerun_src(&self, rel: &str) -> String {
        if self.debian() {
            format!("/usr/lib/go-1.{}/src/{rel}", self.minor)
        } else {
            format!(
                "$(GOTOOLCHAIN=local $(scripts/go-path.sh {}) env GOROOT)/src/{rel}",
                self.tc.version
            )
        }
    }

    /// Extra `go build` flags for the facts program: Go 1.23+ refuses its `go:linkname`
    /// reads of the runtime's size class table without `-checklinkname=0`.
    pub(crate) fn facts_flags(&self) -> &'static [&'static str] {
        if self.minor >= 23 {
            &["-ldflags=-checklinkname=0"]
        } else {
            &[]
        }
    }

    pub(crate) fn swiss(&self) -> bool {
        matches!(self.map, MapKind::Swiss { .. })
    }

    /// "classic" or "swiss", as the facts program prints it.
    pub(crate) fn map_name(&self) -> &'static str {
        if self.swiss() {
            "swiss"
        } else {
            "classic"
        }
    }

    /// "read-dirty" or "hashtrie", as the facts program prints it.
    pub(crate) fn sync_name(&self) -> &'static str {
        match self.sync {
            SyncKind::ReadDirty { .. } => "read-dirty",
            SyncKind::HashTrie { .. } => "hashtrie",
        }
    }

    /// The sync.Map source file (the one with `type Map struct`).
    pub(crate) fn sync_file(&self) -> &str {
        match &self.sync {
            SyncKind::ReadDirty { file } | SyncKind::HashTrie { file, .. } => file,
        }
    }
}

/// Runs checks once each and remembers their outcomes.
pub(crate) struct Ctx {
    root: PathBuf,
    pub(crate) specs: HashMap<String, SpecResult>,
    bins: HashMap<&'static str, PathBuf>,
    runs: HashMap<(String, String), RunOut>,
    histories: HashMap<String, Report>,
    /// Where Go builds go.
    out: PathBuf,
    pub(crate) go: GoCtx,
}

impl Ctx {
    /// Checks for the repository at `root` with toolchain `go`, building Go programs into
    /// `out`; `specs` are spec results already known (specs do not depend on the toolchain).
    pub(crate) fn new(
        root: &Path,
        out: PathBuf,
        go: GoCtx,
        specs: HashMap<String, SpecResult>,
    ) -> Ctx {
        Ctx {
            root: root.to_path_buf(),
            specs,
            bins: HashMap::new(),
            runs: HashMap::new(),
            histories: HashMap::new(),
            out,
            go,
        }
    }

    /// The folder Go programs were built into.
    pub(crate) fn out(&self) -> &Path {
        &self.out
    }

    /// Model and Go must agree where both decide the same thing.
    pub(crate) fn agree(&self, what: &str, model_says: bool, go_says: bool) -> Res<()> {
        if model_says == go_says {
            Ok(())
        } else {
            Err(format!(
                "{what}: the model says {model_says} but {} says {go_says}: the model and Go disagree",
                self.go.label()
            ))
        }
    }
}
