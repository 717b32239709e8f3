//! Evidence from Go 1.19 programs under tests/go-oracle/claims, each built once: `race/`
//! (built with `-race`: its race reports), `facts/` (its `key=value` output) and
//! `nocompile/` files that must fail to build (the compiler's or the linker's error).

use super::Ctx;
use crate::claims::Res;
use std::path::PathBuf;
use std::process::Command;

/// Debian's Go 1.19.
pub const GO: &str = "/usr/lib/go-1.19/bin/go";

/// The go binary: $GOMAP_GO if set (tests point it elsewhere), else Debian's Go 1.19.
pub(crate) fn go() -> PathBuf {
    std::env::var_os("GOMAP_GO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(GO))
}

/// How to re-run the race program (append its case), building into the repository's target/.
pub(crate) const RACE: &str =
    "cd tests/go-oracle/claims && /usr/lib/go-1.19/bin/go build -race -o ../../../target/claims-race ./race && ../../../target/claims-race";
/// How to re-run the facts program (append its case), building into the repository's target/.
pub(crate) const FACTS: &str =
    "cd tests/go-oracle/claims && /usr/lib/go-1.19/bin/go build -o ../../../target/claims-facts ./facts && ../../../target/claims-facts";

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

    /// Builds a program of tests/go-oracle/claims once.
    fn build(&mut self, pkg: &'static str, race: bool) -> Res<PathBuf> {
        if let Some(b) = self.bins.get(pkg) {
            return Ok(b.clone());
        }
        std::fs::create_dir_all(&self.out).map_err(|e| format!("{}: {e}", self.out.display()))?;
        let bin = self.out.join(pkg);
        let mut cmd = Command::new(go());
        cmd.arg("build");
        if race {
            cmd.arg("-race");
        }
        let out = cmd
            .arg("-o")
            .arg(&bin)
            .arg(format!("./{pkg}"))
            .current_dir(self.claims_dir())
            .output()
            .map_err(|e| format!("{}: {e}", go().display()))?;
        if !out.status.success() {
            return Err(format!(
                "go build ./{pkg} failed:\n{}",
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
        let out = Command::new(&bin)
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

    /// Builds a file that must not build; returns the first error line, or None if it built.
    pub(crate) fn compile_error(&mut self, file: &str) -> Res<Option<String>> {
        std::fs::create_dir_all(&self.out).map_err(|e| format!("{}: {e}", self.out.display()))?;
        let out = Command::new(go())
            .args(["build", "-o"])
            .arg(self.out.join("nocompile"))
            .arg(file)
            .current_dir(self.claims_dir())
            .output()
            .map_err(|e| format!("{}: {e}", go().display()))?;
        if out.status.success() {
            return Ok(None);
        }
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err
            .lines()
            .find(|l| !l.starts_with('#'))
            .unwrap_or("")
            .to_string();
        // The linker prefixes a timestamp: keep the message only.
        let line = match line.find("duplicated definition") {
            Some(i) => line[i..].to_string(),
            None => line,
        };
        Ok(Some(line))
    }
}
