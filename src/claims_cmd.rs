//! `gomap claims`: a checked verdict on every claim of the seed postmortem (S1-S28), decided by
//! [`gomap::claims::decide`] and printed as text, JSON or Markdown.

use clap::Args;
use gomap::claims;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ClaimsArgs {
    /// Print a JSON array of {"id", "claim", "verdict", "evidence", "rerun"}.
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Print Markdown (docs/seed-claims.md is this output).
    #[arg(long)]
    pub markdown: bool,
    /// The repository root (holding specs/ and tests/go-oracle/claims/).
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// Only these claims (e.g. S4 S24).
    pub ids: Vec<String>,
}

pub fn run(args: ClaimsArgs) -> ExitCode {
    // Bad input (an unknown claim, a folder that is not the repository) exits 2; a claim that
    // could not be decided exits 1.
    if let Err(e) = claims::check_ids(&args.ids) {
        return crate::fail(crate::EXIT_BAD_INPUT, e);
    }
    if !args.root.join("specs").is_dir() || !args.root.join("tests/go-oracle/claims").is_dir() {
        return crate::fail(
            crate::EXIT_BAD_INPUT,
            format!(
                "{}: not the gomap repository root (no specs/ or tests/go-oracle/claims/); pass --root",
                gomap::text::quoted_path(&args.root)
            ),
        );
    }
    match claims::decide(&args.root, &args.ids) {
        Ok(rows) => {
            let out = if args.json {
                claims::json(&rows)
            } else if args.markdown {
                claims::markdown(&rows)
            } else {
                claims::text(&rows)
            };
            println!("{}", out.trim_end());
            ExitCode::SUCCESS
        }
        Err(e) => crate::fail(crate::EXIT_MISMATCH, e),
    }
}
