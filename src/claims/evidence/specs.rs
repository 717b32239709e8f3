//! Evidence from specs: the model checker's verdict on a property, its counterexample and
//! the state count ([`crate::checker::run_spec`], exhaustive searches only).

use super::Ctx;
use crate::checker::{run_spec, RunOptions, Spec, SpecResult, Verdict};
use crate::claims::{ClaimVerdict, Decided, Res};

/// How to re-run the checker.
const CHECK: &str = "cargo run --release -- check";

/// The command that re-checks spec `name`.
pub(crate) fn spec_cmd(name: &str) -> String {
    format!("{CHECK} specs/{name}.toml")
}

impl Ctx {
    pub(crate) fn spec(&mut self, name: &str) -> Res<&SpecResult> {
        if !self.specs.contains_key(name) {
            let path = self.root.join("specs").join(format!("{name}.toml"));
            let spec = Spec::load(&path).map_err(|e| e.to_string())?;
            let opts = RunOptions {
                progress: None,
                threads: None,
                shorten: true,
                max_memory_mb: None,
            };
            let r = run_spec(&spec, &opts).map_err(|e| e.to_string())?;
            if !r.complete {
                return Err(format!(
                    "{name}: the search stopped early ({}): no verdict",
                    r.stopped_by.clone().unwrap_or_default()
                ));
            }
            self.specs.insert(name.to_string(), r);
        }
        Ok(&self.specs[name])
    }

    /// The checker's verdict on `prop` in spec `name`, as evidence text.
    pub(crate) fn prop(&mut self, name: &str, prop: &str) -> Res<(Verdict, String)> {
        let r = self.spec(name)?;
        let p = r
            .properties
            .iter()
            .find(|p| p.name == prop)
            .ok_or_else(|| format!("spec {name} does not check {prop}"))?;
        let mut text = format!(
            "spec `specs/{name}.toml`: `{prop}` {} ({} states, exhaustive)",
            p.verdict, r.unique_states
        );
        if let Some(cx) = p
            .counterexample
            .as_ref()
            .filter(|_| p.verdict == Verdict::Violated)
        {
            let _ = std::fmt::Write::write_fmt(
                &mut text,
                format_args!("; counterexample in {} steps", cx.steps.len()),
            );
            // Single-threaded searches give the same path every run: show it.
            if r.threads == 1 {
                let steps: Vec<String> = cx
                    .steps
                    .iter()
                    .map(|s| {
                        let mut t = s.action.clone();
                        if !s.outcome.is_empty() {
                            t += &format!(" -> {}", s.outcome);
                        }
                        for g in &s.go_steps {
                            t += &format!(" [{g}]");
                        }
                        t
                    })
                    .collect();
                text += &format!(": {}", steps.join(" / "));
            }
        }
        Ok((p.verdict, text))
    }

    pub(crate) fn has_spec(&self, name: &str) -> bool {
        self.root
            .join("specs")
            .join(format!("{name}.toml"))
            .is_file()
    }
}

/// A claim decided by properties of one spec: `holds_means` if they all hold, the opposite
/// otherwise.
pub(crate) fn spec_claim(
    c: &mut Ctx,
    spec: &str,
    props: &[&str],
    holds_means: ClaimVerdict,
    summary: &str,
) -> Res<Decided> {
    let mut ev = Vec::new();
    let mut all_hold = true;
    for p in props {
        let (v, e) = c.prop(spec, p)?;
        all_hold &= v == Verdict::Holds;
        ev.push(e);
    }
    let verdict = if all_hold {
        holds_means
    } else {
        ClaimVerdict::false_if(holds_means == ClaimVerdict::True)
    };
    Ok((verdict, summary.to_string(), ev, vec![spec_cmd(spec)]))
}

impl Ctx {
    /// Whether a spec's `ops` (its operations, the model's default ops when absent) include
    /// `op`: absent ops count as including it (the defaults of the map models do).
    pub(crate) fn spec_has_op(&self, name: &str, op: &str) -> Res<bool> {
        let path = self.root.join("specs").join(format!("{name}.toml"));
        let spec = Spec::load(&path).map_err(|e| e.to_string())?;
        Ok(
            match spec.params.get("ops").and_then(|p| p.value.as_array()) {
                Some(ops) => ops.iter().any(|o| o.as_str() == Some(op)),
                None => true,
            },
        )
    }
}

impl Ctx {
    /// Why the swiss model (Go 1.24's internal/runtime/maps, step by step) does not cover spec
    /// `name` on this toolchain, if it does not: Go 1.25 added `table.pruneTombstones` (a full
    /// table drops tombstones in place before it grows), which the model lacks; it matters
    /// only to specs that delete (tombstones come from deletes). None: the model covers it.
    pub(crate) fn swiss_gap(&self, name: &str) -> Res<Option<String>> {
        let crate::claims::evidence::MapKind::Swiss { table, .. } = &self.go.map else {
            return Err(format!("{name}: a swiss spec asked about a classic map"));
        };
        let pattern = "func (t *table) pruneTombstones(";
        if !self.read_src(table)?.contains(pattern) || !self.spec_has_op(name, "delete")? {
            return Ok(None);
        }
        Ok(Some(format!(
            "the swiss model follows Go 1.24, and {} adds pruneTombstones ({}), which the model lacks, while specs/{name}.toml deletes",
            self.go.label(),
            self.source_line(table, None, pattern)?
        )))
    }
}
