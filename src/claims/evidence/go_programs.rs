//! Evidence from the Go programs under tests/go-oracle/claims, each built once with the
//! chosen toolchain: `race/` (built with `-race`: its race reports), `facts/` (its
//! `key=value` output) and `nocompile/` files that must fail to build (the compiler's or the
//! linker's error).

use super::Ctx;
use crate::claims::Res;
use crate::gotoolchain;
use std::path::PathBuf;

/// Debian's Go 1.19.
pub const GO: &str = "/usr/lib/go-1.19/bin/go";

/// What a program printed and how it exited.
#[derive(Clone)]
pub(crate) struct RunOut {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl RunOut {
    /// The value of the output line `key=value`.
    pub(crate) fn get(&self, key: &str) -> Res<&str> {
        self.stdout
            .lines()
            .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
            .ok_or_else(|| format!("no `{key}=` line in the program's output:\n{}", self.stdout))
    }
    /// `key=value` parsed as a number.
    pub(crate) fn num<T: std::str::FromStr>(&self, key: &str) -> Res<T>
    where
        T::Err: std::fmt::Display,
    {
        self.get(key)?.parse().map_err(|e| format!("{key}: {e}"))
    }
    /// How many data races the race detector reported.
    pub(crate) fn races(&self) -> usize {
        self.stderr.matches("WARNING: DATA RACE").count()
            + self.stdout.matches("WARNING: DATA RACE").count()
    }
}

/// The race detector's report, in words.
pub(crate) fn race_text(r: &RunOut) -> &'static str {
    if r.races() > 0 {
        "WARNING: DATA RACE reported"
    } else {
        "no race reported"
    }
}

impl Ctx {
    fn claims_dir(&self) -> PathBuf {
        self.root.join("tests/go-oracle/claims")
    }

    /// How to re-run the facts program's case `case`, building into the repository's
    /// target/.
    pub(crate) fn facts_cmd(&self, case: &str) -> String {
        let flags: String = self
            .go
            .facts_flags()
            .iter()
            .map(|f| format!(" {f}"))
            .collect();
        format!(
            "cd tests/go-oracle/claims && {} build{flags} -o ../../../target/claims-facts ./facts && ../../../target/claims-facts {case}",
            self.go.rerun_go()
        )
    }

    /// How to re-run the race program's protocol `case`.
    pub(crate) fn race_cmd(&self, case: &str) -> String {
        format!(
            "cd tests/go-oracle/claims && {} build -race -o ../../../target/claims-race ./race && ../../../target/claims-race {case}",
            self.go.rerun_go()
        )
    }

    /// How to re-run the build of a file that must not build.
    pub(crate) fn nocompile_cmd(&self, file: &str) -> String {
        format!(
            "cd tests/go-oracle/claims && {} build -o /dev/null {file}",
            self.go.rerun_go()
        )
    }

    /// Builds a program of tests/go-oracle/claims once.
    fn build(&mut self, pkg: &'static str, race: bool) -> Res<PathBuf> {
        if let Some(b) = self.bins.get(pkg) {
            return Ok(b.clone());
        }
        std::fs::create_dir_all(&self.out).map_err(|e| format!("{}: {e}", self.out.display()))?;
        let bin = self.out.join(pkg);
        let mut cmd = gotoolchain::command(&self.go.go);
        cmd.arg("build");
        if race {
            cmd.arg("-race");
        }
        if pkg == "facts" {
            cmd.args(self.go.facts_flags());
        }
        let out = cmd
            .arg("-o")
            .arg(&bin)
            .arg(format!("./{pkg}"))
            .current_dir(self.claims_dir())
            .output()
            .map_err(|e| format!("{}: {e}", self.go.go.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{}: go build ./{pkg} failed:\n{}",
                self.go.label(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        self.bins.insert(pkg, bin.clone());
        Ok(bin)
    }

    pub(crate) fn run(&mut self, pkg: &'static str, race: bool, arg: &str) -> Res<RunOut> {
        let key = (pkg.to_string(), arg.to_string());
        if let Some(r) = self.runs.get(&key) {
            return Ok(r.clone());
        }
        let bin = self.build(pkg, race)?;
        let out = std::process::Command::new(&bin)
            .arg(arg)
            .output()
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        let r = RunOut {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        if !race && r.code != Some(0) {
            return Err(format!("{pkg} {arg} failed ({:?}):\n{}", r.code, r.stderr));
        }
        self.runs.insert(key, r.clone());
        Ok(r)
    }

    /// Runs a case of the facts program and checks that it was built for the map and the
    /// sync.Map the source says this toolchain has (its `map_impl=` / `syncmap_impl=`
    /// lines, where it prints them).
    pub(crate) fn facts(&mut self, case: &str) -> Res<RunOut> {
        let r = self.run("facts", false, case)?;
        for (key, want) in [
            ("map_impl", self.go.map_name()),
            ("syncmap_impl", self.go.sync_name()),
        ] {
            if let Ok(got) = r.get(key) {
                if got != want {
                    return Err(format!(
                        "facts {case}: built with the {key} `{got}` but {}'s source has `{want}`",
                        self.go.label()
                    ));
                }
            }
        }
        Ok(r)
    }

    /// Builds a file that must not build; returns the first error line, or None if it built.
    pub(crate) fn compile_error(&mut self, file: &str) -> Res<Option<String>> {
        std::fs::create_dir_all(&self.out).map_err(|e| format!("{}: {e}", self.out.display()))?;
        let out = gotoolchain::command(&self.go.go)
            .args(["build", "-o"])
            .arg(self.out.join("nocompile"))
            .arg(file)
            .current_dir(self.claims_dir())
            .output()
            .map_err(|e| format!("{}: {e}", self.go.go.display()))?;
        if out.status.success() {
            return Ok(None);
        }
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err
            .lines()
            .find(|l| !l.starts_with('#'))
            .unwrap_or("")
            .to_string();
        // The linker prefixes a timestamp or `link: `: keep the message only.
        let line = match line.find("duplicated definition") {
            Some(i) => line[i..].to_string(),
            None => line,
        };
        Ok(Some(line))
    }
}
