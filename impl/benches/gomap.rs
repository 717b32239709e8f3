//! `GoMap<u64, u64>` beside std's `HashMap` with the same hash function (Go's memhash64,
//! wrapped as a `BuildHasher`), over the same splitmix64 key sequences as the Go program
//! tests/go-oracle/bench (seed 1 for the keys, seed 2 for the missing keys).
//!
//! One criterion iteration is one pass over all `n` keys: ns/op = estimate / n
//! (scripts/bench-port.sh divides). Sizes: 2^10, 2^14, 2^18 (and 2^20 with GOMAP_BENCH_BIG=1).
//!
//! The harness links mimalloc, as the gomap binary and the sync.Map harness do. Go's map
//! grows into memory its heap already holds; with glibc's malloc, a profile of the port's
//! grow at 2^18 keys spent about 12% in page faults and the kernel's zeroing of fresh pages.
//! Side by side (2026-12-03, two alternating rounds), the grow at 2^18 keys took 0.84-0.85x
//! the time with mimalloc that it took with glibc's malloc, the insert 0.97x. Every
//! implementation here (the port, std's HashMap) runs with the same allocator.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use gomap_impl::hash::{memhash, memhash64, GoMemHasher};
use gomap_impl::map::GoMap;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::time::Instant;

mod keys;
use keys::splitmix64_keys;

/// See the header: the same allocator for every implementation, one that keeps freed memory.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The port's default hash function (Go's portable memhash64, same `hashkey[0]`) as a
/// `BuildHasher`, with a fixed seed (the port draws `hash0` per map).
#[derive(Clone, Copy)]
struct GoMemBuild {
    hashkey0: u64,
    seed: u64,
}

struct GoMemState {
    hashkey0: u64,
    seed: u64,
    h: u64,
}

impl Hasher for GoMemState {
    fn finish(&self) -> u64 {
        self.h
    }
    fn write(&mut self, bytes: &[u8]) {
        self.h = memhash(bytes, self.seed ^ self.h, self.hashkey0);
    }
    fn write_u64(&mut self, k: u64) {
        self.h = memhash64(k, self.seed, self.hashkey0);
    }
}

impl BuildHasher for GoMemBuild {
    type Hasher = GoMemState;
    fn build_hasher(&self) -> GoMemState {
        GoMemState {
            hashkey0: self.hashkey0,
            seed: self.seed,
            h: 0,
        }
    }
}

fn build_std() -> GoMemBuild {
    GoMemBuild {
        hashkey0: GoMemHasher::default().hashkey0,
        seed: 0x0119_0008,
    }
}

type StdMap = HashMap<u64, u64, GoMemBuild>;

fn sizes() -> Vec<usize> {
    let mut s = vec![1 << 10, 1 << 14, 1 << 18];
    if std::env::var_os("GOMAP_BENCH_BIG").is_some() {
        s.push(1 << 20);
    }
    s
}

fn port_filled(keys: &[u64]) -> GoMap<u64, u64> {
    let mut m = GoMap::new();
    for &k in keys {
        m.insert(k, k);
    }
    m
}

fn std_filled(keys: &[u64]) -> StdMap {
    let mut m = StdMap::with_hasher(build_std());
    for &k in keys {
        m.insert(k, k);
    }
    m
}

fn benches(c: &mut Criterion) {
    for n in sizes() {
        let keys = splitmix64_keys(1, n);
        let miss = splitmix64_keys(2, n);
        let port = port_filled(&keys);
        let stdm = std_filled(&keys);
        let keys = &keys;

        let mut g = c.benchmark_group("map_insert");
        g.bench_with_input(BenchmarkId::new("port", n), &n, |b, &n| {
            b.iter_batched(
                || (),
                |_| {
                    let mut m = GoMap::<u64, u64>::with_hint(n);
                    for &k in keys {
                        m.insert(k, k);
                    }
                    m
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_with_input(BenchmarkId::new("std", n), &n, |b, &n| {
            b.iter_batched(
                || (),
                |_| {
                    let mut m = StdMap::with_capacity_and_hasher(n, build_std());
                    for &k in keys {
                        m.insert(k, k);
                    }
                    m
                },
                BatchSize::LargeInput,
            )
        });
        g.finish();

        let mut g = c.benchmark_group("map_grow");
        g.bench_with_input(BenchmarkId::new("port", n), &n, |b, _| {
            b.iter_batched(|| (), |_| port_filled(keys), BatchSize::LargeInput)
        });
        g.bench_with_input(BenchmarkId::new("std", n), &n, |b, _| {
            b.iter_batched(|| (), |_| std_filled(keys), BatchSize::LargeInput)
        });
        g.finish();

        let mut g = c.benchmark_group("map_hit");
        g.bench_with_input(BenchmarkId::new("port", n), &n, |b, _| {
            b.iter(|| {
                let mut s = 0u64;
                for k in keys {
                    s = s.wrapping_add(port.get(black_box(k)).unwrap_or(0));
                }
                s
            })
        });
        g.bench_with_input(BenchmarkId::new("std", n), &n, |b, _| {
            b.iter(|| {
                let mut s = 0u64;
                for k in keys {
                    s = s.wrapping_add(stdm.get(black_box(k)).copied().unwrap_or(0));
                }
                s
            })
        });
        g.finish();

        let mut g = c.benchmark_group("map_miss");
        g.bench_with_input(BenchmarkId::new("port", n), &n, |b, _| {
            b.iter(|| {
                let mut s = 0u64;
                for k in &miss {
                    s = s.wrapping_add(port.get(black_box(k)).unwrap_or(1));
                }
                s
            })
        });
        g.bench_with_input(BenchmarkId::new("std", n), &n, |b, _| {
            b.iter(|| {
                let mut s = 0u64;
                for k in &miss {
                    s = s.wrapping_add(stdm.get(black_box(k)).copied().unwrap_or(1));
                }
                s
            })
        });
        g.finish();

        let mut g = c.benchmark_group("map_delete");
        g.bench_with_input(BenchmarkId::new("port", n), &n, |b, _| {
            b.iter_batched(
                || port.clone(),
                |mut m| {
                    for k in keys {
                        m.remove(k);
                    }
                    m
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_with_input(BenchmarkId::new("std", n), &n, |b, _| {
            b.iter_batched(
                || stdm.clone(),
                |mut m| {
                    for k in keys {
                        m.remove(k);
                    }
                    m
                },
                BatchSize::LargeInput,
            )
        });
        g.finish();

        let mut g = c.benchmark_group("map_iterate");
        g.bench_with_input(BenchmarkId::new("port", n), &n, |b, _| {
            // Go's `for k, v := range full`: range() runs mapiterinit (a random draw and
            // the iterator flags, hence &mut) and one mapiternext per element. One clone
            // per sample, not per pass.
            b.iter_custom(|iters| {
                let mut m = port.clone();
                let t0 = Instant::now();
                for _ in 0..iters {
                    let mut s = 0u64;
                    for (k, v) in m.range() {
                        s = s.wrapping_add(k ^ v);
                    }
                    black_box(s);
                }
                t0.elapsed()
            })
        });
        g.bench_with_input(BenchmarkId::new("std", n), &n, |b, _| {
            b.iter(|| {
                let mut s = 0u64;
                for (k, v) in &stdm {
                    s = s.wrapping_add(k ^ v);
                }
                s
            })
        });
        g.finish();
    }
}

criterion_group!(gomap, benches);
criterion_main!(gomap);
