//! `gomap conform syncmap|ordercache`: real threads run generated operations on the port
//! (the `SyncMap` port of sync.Map, or one of the order-cache protocols), every history is
//! checked for linearizability with stateright's `LinearizabilityTester`, and the first
//! non-linearizable one is printed, minimised, per thread. Exit 0 when every history was
//! linearizable, 1 on a non-linearizable one, 2 on bad input.

use crate::{EXIT_BAD_INPUT, EXIT_MISMATCH};
use clap::{Args, Subcommand};
use gomap_impl::ordercache::{self, Variant};
use gomap_impl::syncmap::history::{Conformance, RunConfig, Summary};
use gomap_impl::syncmap::{self, Fault};
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ConformArgs {
    #[command(subcommand)]
    target: Target,
}

#[derive(Subcommand, Debug)]
enum Target {
    /// The SyncMap port (Go 1.19's sync.Map with Go 1.20's Swap/CompareAndSwap/
    /// CompareAndDelete) against a sequential map; Range checked per key.
    Syncmap {
        #[command(flatten)]
        run: RunArgs,
        /// Inject a test-only fault into the port (to see the check fail): one of
        /// load-skips-recheck, compare-and-swap-not-atomic, range-skips-promotion,
        /// unexpunge-without-dirty.
        #[arg(long)]
        fault: Option<String>,
    },
    /// An order-cache protocol against an order store with atomic update and read.
    Ordercache {
        /// seed, rwmutex-copy-reader, rwmutex-pointer-reader, cow-store, cow-cas, rcu,
        /// safemap.
        #[arg(long)]
        variant: String,
        #[command(flatten)]
        run: RunArgs,
    },
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Threads per history.
    #[arg(long, default_value_t = 3)]
    threads: usize,
    /// Histories to record and check.
    #[arg(long, default_value_t = 10_000)]
    histories: usize,
    /// Operations per thread in each history.
    #[arg(long, default_value_t = 8)]
    ops: usize,
    /// Seed of the generated programs.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Keys (orders) in the key space: fewer keys, more contention.
    #[arg(long)]
    keys: Option<u8>,
    /// Random spin of up to this many iterations before each call.
    #[arg(long, default_value_t = 64)]
    jitter: u32,
}

impl RunArgs {
    fn config(&self, default_keys: u8, max_keys: u8) -> Result<RunConfig, String> {
        if self.threads == 0 || self.threads > 16 {
            return Err(format!("--threads {}: must be 1..=16", self.threads));
        }
        if self.histories == 0 {
            // Zero histories would report "every history linearizable" with none checked.
            return Err("--histories 0: must be at least 1".into());
        }
        if self.ops == 0 || self.ops > 64 {
            return Err(format!("--ops {}: must be 1..=64", self.ops));
        }
        let keys = self.keys.unwrap_or(default_keys);
        if keys == 0 || keys > max_keys {
            return Err(format!("--keys {keys}: must be 1..={max_keys}"));
        }
        Ok(RunConfig {
            threads: self.threads,
            histories: self.histories,
            ops: self.ops,
            seed: self.seed,
            keys,
            jitter: self.jitter,
        })
    }
}

pub fn run(args: ConformArgs) -> ExitCode {
    match args.target {
        Target::Syncmap { run, fault } => {
            let fault = match fault.as_deref().map(|f| (f, Fault::from_name(f))) {
                None => None,
                Some((_, Some(f))) => Some(f),
                Some((name, None)) => {
                    let names: Vec<_> = Fault::ALL.iter().map(|f| f.name()).collect();
                    eprintln!(
                        "error: --fault {name}: unknown fault (one of {})",
                        names.join(", ")
                    );
                    return ExitCode::from(EXIT_BAD_INPUT);
                }
            };
            let cfg = match run.config(3, syncmap::conform::KEYS) {
                Ok(c) => c,
                Err(e) => return bad(&e),
            };
            let what = match fault {
                None => "syncmap".to_string(),
                Some(f) => format!("syncmap with fault {}", f.name()),
            };
            report(&what, &cfg, &syncmap::conform::run(&cfg, fault))
        }
        Target::Ordercache { variant, run } => {
            let Some(v) = Variant::from_name(&variant) else {
                let names: Vec<_> = Variant::ALL.iter().map(|v| v.name()).collect();
                return bad(&format!(
                    "--variant {variant}: unknown variant (one of {})",
                    names.join(", ")
                ));
            };
            let cfg = match run.config(1, ordercache::conform::ORDERS) {
                Ok(c) => c,
                Err(e) => return bad(&e),
            };
            report(
                &format!("ordercache {}", v.name()),
                &cfg,
                &ordercache::conform::run(&cfg, v),
            )
        }
    }
}

fn bad(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(EXIT_BAD_INPUT)
}

fn report<C: Conformance>(what: &str, cfg: &RunConfig, s: &Summary<C>) -> ExitCode {
    println!(
        "conform {what}: {} threads x {} ops, {} keys, seed {}",
        cfg.threads, cfg.ops, cfg.keys, cfg.seed
    );
    println!(
        "histories checked: {} ({} calls) in {:.2} s, {:.0} histories/s",
        s.histories,
        s.calls,
        s.elapsed.as_secs_f64(),
        s.per_second()
    );
    match &s.failure {
        None => {
            println!("result: every history linearizable");
            ExitCode::SUCCESS
        }
        Some((h, seed, cx)) => {
            println!("result: history {h} (program seed {seed:#x}) is NOT linearizable");
            print!("{cx}");
            ExitCode::from(EXIT_MISMATCH)
        }
    }
}
