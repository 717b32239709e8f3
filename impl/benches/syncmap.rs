//! `SyncMap<u64, u64>` beside `RwLock<HashMap>` and dashmap, on the workloads of the Go
//! program tests/go-oracle/bench (Go 1.19's sync.Map): 1024 present keys (splitmix64 from
//! seed 1), each thread draws ops from its own xorshift stream; a Store (to a present key)
//! with probability 1% (read-mostly) or 50% (mixed), otherwise a Load. 1 and 2 threads.
//!
//! A timed harness (not criterion): multi-threaded throughput is wall time for a fixed
//! number of ops per thread, best of 3. Prints `syncmap <impl> <load> <threads> <ops/s>`.
//! GOMAP_SYNC_OPS sets the ops per thread (default 2,000,000).
//!
//! The harness links mimalloc, as the gomap binary does. Go's sync.Map allocates a value
//! per Store (its `&value`) from Go's per-P caches; the port allocates one too, and frees it
//! on whichever thread reclaims it, which glibc's malloc serves slowly (its malloc and free
//! were about 40% of a two-thread mixed run's profile). Every implementation here runs
//! with the same allocator.

use dashmap::DashMap;
use gomap_impl::syncmap::SyncMap;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Barrier, RwLock};
use std::time::Instant;

mod keys;
use keys::splitmix64_keys;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

trait Subject: Sync {
    fn load(&self, k: u64) -> Option<u64>;
    fn store(&self, k: u64, v: u64);
}

impl Subject for SyncMap<u64, u64> {
    fn load(&self, k: u64) -> Option<u64> {
        SyncMap::load(self, &k)
    }
    fn store(&self, k: u64, v: u64) {
        SyncMap::store(self, k, v)
    }
}

impl Subject for RwLock<HashMap<u64, u64>> {
    fn load(&self, k: u64) -> Option<u64> {
        self.read().unwrap().get(&k).copied()
    }
    fn store(&self, k: u64, v: u64) {
        self.write().unwrap().insert(k, v);
    }
}

impl Subject for DashMap<u64, u64> {
    fn load(&self, k: u64) -> Option<u64> {
        self.get(&k).map(|r| *r)
    }
    fn store(&self, k: u64, v: u64) {
        self.insert(k, v);
    }
}

/// One run: ops per second over all threads, timed from the start barrier to the last join.
fn run<S: Subject>(m: &S, keys: &[u64], threads: usize, ops: usize, store_pct: u64) -> f64 {
    let barrier = Barrier::new(threads + 1);
    let mut t0 = None;
    std::thread::scope(|s| {
        for t in 0..threads {
            let barrier = &barrier;
            s.spawn(move || {
                let mut r = (t as u64)
                    .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                    .wrapping_add(1);
                let mut sum = 0u64;
                barrier.wait();
                for _ in 0..ops {
                    r ^= r << 13;
                    r ^= r >> 7;
                    r ^= r << 17;
                    let k = keys[(r & 1023) as usize];
                    if (r >> 32) % 100 < store_pct {
                        m.store(k, r);
                    } else if let Some(v) = m.load(k) {
                        sum = sum.wrapping_add(v);
                    }
                }
                black_box(sum);
            });
        }
        barrier.wait();
        t0 = Some(Instant::now());
    });
    let secs = t0.expect("started").elapsed().as_secs_f64();
    (threads * ops) as f64 / secs
}

/// Best of 3 runs, each on a fresh map preloaded with the 1024 keys.
fn timed<S: Subject>(make: &dyn Fn() -> S, threads: usize, ops: usize, store_pct: u64) -> f64 {
    let keys = splitmix64_keys(1, 1024);
    let mut best = 0.0f64;
    for _ in 0..3 {
        let m = make();
        for &k in &keys {
            m.store(k, k);
        }
        best = best.max(run(&m, &keys, threads, ops, store_pct));
    }
    best
}

fn main() {
    let ops: usize = std::env::var("GOMAP_SYNC_OPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000_000);
    for (load, pct) in [("read-mostly", 1u64), ("mixed", 50)] {
        for threads in [1usize, 2] {
            let port = timed(&SyncMap::<u64, u64>::new, threads, ops, pct);
            let rw = timed(&|| RwLock::new(HashMap::new()), threads, ops, pct);
            let dash = timed(&DashMap::<u64, u64>::new, threads, ops, pct);
            println!("syncmap port {load} {threads} {port:.0}");
            println!("syncmap rwlock {load} {threads} {rw:.0}");
            println!("syncmap dashmap {load} {threads} {dash:.0}");
        }
    }
}
