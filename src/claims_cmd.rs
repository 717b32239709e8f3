//! `gomap claims`: a checked verdict on every claim of the seed postmortem (S1-S28) and the
//! behaviours B1-B3, for one Go toolchain (`--go 1.25`, default 1.19) or several (`--go all`,
//! `--go ci`, `--go 1.19,1.25`: a claim x version table), decided by
//! [`gomap::claims::decide_versions`] and printed as text, JSON or Markdown.

use clap::Args;
use gomap::claims;
use gomap::gotoolchain;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ClaimsArgs {
    /// Print JSON: for one version an array of {"id", "claim", "verdict", "summary",
    /// "evidence", "rerun"}; for several, [{"go", "map", "syncmap", "claims": [...]}].
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Print Markdown (docs/seed-claims.md is this output for Go 1.19,
    /// docs/claims-by-version.md for `--go all`).
    #[arg(long)]
    pub markdown: bool,
    /// The Go toolchain(s) of scripts/go-versions.txt to decide for: a version (1.25.5) or
    /// minor release (1.25), a comma-separated list, `ci` or `all`.
    #[arg(long = "go", default_value = "1.19")]
    pub go: String,
    /// The repository root (holding specs/ and tests/go-oracle/claims/).
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// Only these claims (e.g. S4 S24 B2).
    pub ids: Vec<String>,
}

pub fn run(args: ClaimsArgs) -> ExitCode {
    // Bad input (an unknown claim or version, a missing toolchain, a folder that is not the
    // repository) exits 2; a claim that could not be decided exits 1.
    if let Err(e) = claims::check_ids(&args.ids) {
        return crate::fail(crate::EXIT_BAD_INPUT, e);
    }
    let toolchains = match gotoolchain::select(&args.go) {
        Ok(t) => t,
        Err(e) => return crate::fail(crate::EXIT_BAD_INPUT, e),
    };
    if !args.root.join("specs").is_dir() || !args.root.join("tests/go-oracle/claims").is_dir() {
        return crate::fail(
            crate::EXIT_BAD_INPUT,
            format!(
                "{}: not the gomap repository root (no specs/ or tests/go-oracle/claims/); pass --root",
                gomap::text::quoted_path(&args.root)
            ),
        );
    }
    for t in &toolchains {
        if let Err(e) = gotoolchain::require(&args.root, t) {
            return crate::fail(crate::EXIT_BAD_INPUT, e);
        }
    }
    let several = toolchains.len() > 1;
    match claims::decide_versions(&args.root, &args.ids, &toolchains) {
        Ok(all) => {
            let out = match (several, args.json, args.markdown) {
                (true, true, _) => claims::table_json(&all),
                (true, _, true) => claims::table_markdown(&all),
                (true, _, _) => claims::table_text(&all),
                (false, true, _) => claims::json(&all[0].rows),
                (false, _, true) => claims::markdown_for(&all[0]),
                (false, _, _) => claims::text(&all[0].rows),
            };
            println!("{}", out.trim_end());
            ExitCode::SUCCESS
        }
        Err(e) => crate::fail(crate::EXIT_MISMATCH, e),
    }
}
