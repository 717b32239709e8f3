//! `gomap`: check specs of Go 1.19's map against their expected verdicts, list the models,
//! replay real Go traces on the port.

/// The checker allocates and frees a state per transition; mimalloc does that faster than
/// glibc's malloc (see docs/performance-checker.md). Without the default feature `mimalloc`
/// the binary uses the system's malloc, which heap profilers such as heaptrack can follow:
/// `cargo build --release --no-default-features --target-dir target/sysalloc`.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bench_cmd;
mod check_cmd;
mod claims_cmd;
mod conform_cmd;
mod explore_cmd;
mod list_cmd;
mod observe_cmd;
mod replay_cmd;
mod simulate_cmd;
mod syncmap_history_cmd;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "gomap",
    version,
    about = "A model-checked specification of Go's runtime map and sync.Map (Go 1.19 to the newest)",
    long_about = "A model-checked specification of Go's runtime map and sync.Map (Go 1.19 to the newest).\n\n\
                  `gomap check specs/` checks every spec and exits non-zero if any verdict \
                  differs from the expected one."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check spec files (or every *.toml in a folder) against their expected verdicts.
    Check(check_cmd::CheckArgs),
    /// Serve stateright's explorer for a spec's model on 127.0.0.1 (Ctrl-C to stop).
    Explore {
        /// The spec whose model to explore.
        spec: PathBuf,
        /// Address to bind.
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: String,
        /// Allow binding an address other than loopback.
        #[arg(long)]
        allow_remote: bool,
    },
    /// Random walks through a spec's model (for configurations too big to exhaust); exits
    /// non-zero if a verdict differs from the spec's expectation.
    Simulate(simulate_cmd::SimulateArgs),
    /// Replay Go 1.19 (delta-v1) or Go 1.24 (swiss-v1) map traces on a port or a model and compare every state.
    Replay(replay_cmd::ReplayArgs),
    /// Record histories of real threads on the SyncMap port or an order-cache protocol and
    /// check each for linearizability; exits 1 on a non-linearizable history.
    Conform(conform_cmd::ConformArgs),
    /// Decide every claim of the seed postmortem (S1-S28) and the behaviours B1-B3 from specs,
    /// Go programs, sync.Map histories and the Go source of one toolchain (--go, default 1.19)
    /// or of several (--go all: a claim x version table), and print it (text, --json or
    /// --markdown).
    Claims(claims_cmd::ClaimsArgs),
    /// Check sync.Map histories of real Go (recorded files, or fresh ones recorded with the
    /// toolchains of --go) for linearizability per key, and count Ranges that were not
    /// snapshots; exits 1 on a non-linearizable history.
    SyncmapHistory(syncmap_history_cmd::SyncmapHistoryArgs),
    /// Measure the checker per spec: states/s and peak memory with BFS on 1 and 2 threads and
    /// DFS, each in a child process; --targets: every target of the checker-capacity issue,
    /// met or its distance and measured cause.
    Bench(bench_cmd::BenchArgs),
    /// Run a spec's scenario on real goroutines (Go 1.19) and check that every outcome real
    /// Go produced is one the model reaches; print which outcome classes real Go produced.
    Observe(observe_cmd::ObserveArgs),
    /// List the models, their parameters with defaults, and their properties.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Exit codes: 0 all verdicts as expected, 1 a verdict (or pinned count) differs or a search
/// was incomplete, 2 bad input.
pub const EXIT_MISMATCH: u8 = 1;
pub const EXIT_BAD_INPUT: u8 = 2;

/// Prints `error: {e}` and returns exit code `code`.
pub fn fail(code: u8, e: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {}", gomap::text::message(&e.to_string()));
    ExitCode::from(code)
}

/// Checks a `--threads` option against the framework's cap.
pub fn check_threads(threads: Option<usize>) -> Result<(), String> {
    let max = gomap_model::framework::bounded::MAX_THREADS;
    match threads {
        Some(0) => Err("--threads must be at least 1".into()),
        Some(n) if n > max => Err(format!("--threads must be at most {max}, got {n}")),
        _ => Ok(()),
    }
}

/// Checks a `--max-memory` option (MiB).
pub fn check_max_memory(mb: Option<u64>) -> Result<(), String> {
    match mb {
        Some(0) => Err("--max-memory must be at least 1 (MiB)".into()),
        _ => Ok(()),
    }
}

/// Checks a `--timeout` option (seconds), within the range a spec's `limits.timeout_secs`
/// may take.
pub fn check_timeout(secs: Option<u64>) -> Result<(), String> {
    let max = gomap_model::framework::spec::MAX_TIMEOUT_SECS;
    match secs {
        Some(0) => Err("--timeout must be at least 1 (second)".into()),
        Some(n) if n > max => Err(format!("--timeout must be at most {max} s, got {n}")),
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    // Die quietly on a closed pipe (`gomap check specs/ | head`), as command-line tools do,
    // instead of panicking in println!.
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check_cmd::run(args),
        Command::Bench(args) => bench_cmd::run(args),
        Command::Claims(args) => claims_cmd::run(args),
        Command::SyncmapHistory(args) => syncmap_history_cmd::run(args),
        Command::Simulate(args) => simulate_cmd::run(args),
        Command::List { json } => list_cmd::run(json),
        Command::Conform(args) => conform_cmd::run(args),
        Command::Observe(args) => observe_cmd::run(args),
        Command::Replay(args) => replay_cmd::run(&args),
        Command::Explore {
            spec,
            addr,
            allow_remote,
        } => explore_cmd::run(&spec, &addr, allow_remote),
    }
}
