//! `gomap`: check specs of Go 1.19's map against their expected verdicts, list the models,
//! replay real Go traces on the port.

/// The checker allocates and frees a state per transition; mimalloc does that faster than
/// glibc's malloc (see docs/performance-checker.md). Without the default feature `mimalloc`
/// the binary uses the system's malloc, which heap profilers such as heaptrack can follow:
/// `cargo build --release --no-default-features --target-dir target/sysalloc`.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's option `mi_option_allow_thp`: its index in `mi_option_t` of mimalloc v3's
/// include/mimalloc.h, the version libmimalloc-sys builds (Cargo.lock): the test
/// `mimalloc_thp_switch_is_allow_thp` reads it there.
#[cfg(all(feature = "mimalloc", target_os = "linux"))]
const MI_OPTION_ALLOW_THP: libc::c_int = 43;

/// Switches mimalloc's own requests for transparent huge pages (its `madvise(MADV_HUGEPAGE)`
/// on the memory it maps from the system from then on) on or off: what a large search's
/// huge-page guard calls (gomap_model::framework::pages).
#[cfg(all(feature = "mimalloc", target_os = "linux"))]
fn mimalloc_thp(on: bool) {
    extern "C" {
        fn mi_option_set(option: libc::c_int, value: libc::c_long);
    }
    // SAFETY: mimalloc's C API; setting an option takes no pointers and mimalloc reads it at
    // each request for memory from the system.
    unsafe { mi_option_set(MI_OPTION_ALLOW_THP, libc::c_long::from(on)) }
}

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
    #[cfg(all(feature = "mimalloc", target_os = "linux"))]
    gomap_model::framework::pages::set_allocator_thp_switch(mimalloc_thp);
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

/// `MI_OPTION_ALLOW_THP` is `mi_option_allow_thp`'s index in the `mi_option_t` of the header
/// the built mimalloc comes from (libmimalloc-sys builds v3 unless its feature `v2` is on),
/// read from the crate's source as cargo has it (`cargo metadata`).
#[cfg(all(test, feature = "mimalloc", target_os = "linux"))]
mod thp_tests {
    #[test]
    fn mimalloc_thp_switch_is_allow_thp() {
        let out = std::process::Command::new(env!("CARGO"))
            .args(["metadata", "--format-version", "1", "--locked"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo metadata runs");
        let meta = String::from_utf8_lossy(&out.stdout);
        let manifest = meta
            .split("\"manifest_path\":\"")
            .skip(1)
            .filter_map(|r| r.split('"').next())
            .find(|p| p.contains("/libmimalloc-sys-"))
            .expect("libmimalloc-sys in the dependency graph");
        let header = std::path::Path::new(manifest)
            .parent()
            .expect("the crate's folder")
            .join("c_src/mimalloc/v3/include/mimalloc.h");
        let h = std::fs::read_to_string(&header).expect("mimalloc.h");
        let body = &h[h.find("typedef enum mi_option_e").expect("mi_option_t")..];
        let body = &body[body.find('{').unwrap() + 1..body.find("} mi_option_t;").unwrap()];
        let names: Vec<&str> = body
            .lines()
            .map(|l| l.split("//").next().unwrap_or("").trim())
            .flat_map(|l| l.split(','))
            .map(str::trim)
            .filter(|n| !n.is_empty() && !n.contains('='))
            .collect();
        let index = names.iter().position(|&n| n == "mi_option_allow_thp");
        assert_eq!(
            index,
            Some(super::MI_OPTION_ALLOW_THP as usize),
            "{}",
            header.display()
        );
    }
}
