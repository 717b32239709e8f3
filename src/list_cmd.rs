//! `gomap list`: the models, their parameters and properties.

use gomap_model::registry;
use std::process::ExitCode;

pub fn run(json: bool) -> ExitCode {
    let models = registry::models();
    if json {
        match serde_json::to_string_pretty(&models) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("gomap list: {e}");
                return ExitCode::from(crate::EXIT_BAD_INPUT);
            }
        }
        return ExitCode::SUCCESS;
    }
    for m in models {
        println!("model {}: {}", m.name, m.description);
        println!("  parameters (default):");
        for p in &m.params {
            println!("    {:<16} {:<44} {}", p.name, p.default, p.description);
        }
        println!("  properties:");
        for p in &m.properties {
            let kind = match p.kind {
                gomap_model::framework::info::Kind::Always => "always",
                gomap_model::framework::info::Kind::Sometimes => "sometimes",
            };
            println!("    {:<42} {:<9} {}", p.name, kind, p.description);
        }
    }
    ExitCode::SUCCESS
}
