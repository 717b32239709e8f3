//! Histories per second of the SyncMap linearizability check (impl/src/syncmap/history.rs)
//! for 2- and 3-thread histories of 6 and 10 ops per thread (keys k1..k3, the conformance
//! campaign's generator).
//!
//! `check`: the check alone (split per key + stateright's LinearizabilityTester), over
//! histories recorded beforehand from real threads on the port. `campaign`: the whole
//! `conform::run` loop (generate, spawn threads, record, check) with jitter 0.
//! A timed harness; prints `history <check|campaign> <threads> <ops> <histories/s>`.

use gomap_impl::syncmap::conform::{self, SyncMapConformance};
use gomap_impl::syncmap::history::{check, record, Call, Gen, RunConfig};
use gomap_impl::syncmap::SyncMap;
use std::time::Instant;

type Hist = Vec<Call<conform::SyncOp, conform::SyncRet>>;

fn recorded(threads: usize, ops: usize, n: usize) -> Vec<Hist> {
    (0..n)
        .map(|h| {
            let mut rng = Gen::new(h as u64 + 1);
            let programs: Vec<Vec<conform::SyncOp>> = (0..threads)
                .map(|t| conform::gen_program(&mut rng, t, ops, conform::KEYS))
                .collect();
            let jitter: Vec<Vec<u32>> = programs
                .iter()
                .map(|p| p.iter().map(|_| rng.below(65) as u32).collect())
                .collect();
            let m = SyncMap::<u8, u16>::new();
            record(&m, &programs, &jitter, conform::apply)
        })
        .collect()
}

fn main() {
    let n: usize = std::env::var("GOMAP_HISTORIES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    for threads in [2usize, 3] {
        for ops in [6usize, 10] {
            let hs = recorded(threads, ops, n);
            let mut best = 0.0f64;
            for _ in 0..3 {
                let t0 = Instant::now();
                for h in &hs {
                    assert!(check::<SyncMapConformance>(h).is_ok());
                }
                best = best.max(hs.len() as f64 / t0.elapsed().as_secs_f64());
            }
            println!("history check {threads} {ops} {best:.0}");
            let cfg = RunConfig {
                threads,
                histories: n,
                ops,
                seed: 7,
                keys: conform::KEYS,
                jitter: 0,
            };
            let s = conform::run(&cfg, None);
            assert!(s.failure.is_none());
            println!("history campaign {threads} {ops} {:.0}", s.per_second());
        }
    }
}
