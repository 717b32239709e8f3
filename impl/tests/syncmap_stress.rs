//! Bounded stress of SyncMap under real threads (2 cores): no lost or duplicated values,
//! and memory stays bounded: every value is counted alive from construction to drop, and at
//! quiescence the live values are exactly the map's contents (the old values that arc-swap
//! protects while a reader holds them are all freed once the operations return).

use gomap_impl::syncmap::SyncMap;
use std::collections::HashSet;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;

static LIVE: AtomicIsize = AtomicIsize::new(0);

/// A value that counts its live copies.
#[derive(Debug, PartialEq, Eq)]
struct Counted(u64);
impl Counted {
    fn new(v: u64) -> Self {
        LIVE.fetch_add(1, Ordering::SeqCst);
        Counted(v)
    }
}
impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted::new(self.0)
    }
}
impl Drop for Counted {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

fn entries(m: &SyncMap<u64, Counted>) -> Vec<(u64, u64)> {
    let mut v = Vec::new();
    m.range(|&k, c| {
        v.push((k, c.0));
        true
    });
    v.sort_unstable();
    v
}

#[test]
fn disjoint_writers_lose_and_duplicate_nothing_and_memory_stays_bounded() {
    const THREADS: u64 = 3;
    const KEYS: u64 = 64;
    const ROUNDS: u64 = 2000;
    let m = Arc::new(SyncMap::<u64, Counted>::new());
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let m = m.clone();
            s.spawn(move || {
                // Each thread owns keys t, t+THREADS, ...: stores, overwrites, deletes and
                // re-stores them, and checks what it reads back (nobody else writes them).
                for r in 0..ROUNDS {
                    for k in (t..KEYS).step_by(THREADS as usize) {
                        let v = k * 1_000_000 + r;
                        match r % 4 {
                            0 => m.store(k, Counted::new(v)),
                            1 => {
                                let prev = m.swap(k, Counted::new(v));
                                assert_eq!(prev.map(|c| c.0), Some(v - 1), "k{k}");
                            }
                            2 => {
                                assert!(m.compare_and_swap(
                                    &k,
                                    &Counted::new(v - 1),
                                    Counted::new(v)
                                ));
                            }
                            _ => {
                                assert_eq!(m.load_and_delete(&k).map(|c| c.0), Some(v - 1));
                                assert_eq!(m.load(&k), None);
                                let (a, loaded) = m.load_or_store(k, Counted::new(v));
                                assert!(!loaded && a.0 == v);
                            }
                        }
                        assert_eq!(m.load(&k).map(|c| c.0), Some(v), "k{k} round {r}");
                    }
                    // Bounded while running: the map's values plus the few each thread holds
                    // in flight, never a backlog of garbage (ROUNDS * KEYS values are made).
                    let live = LIVE.load(Ordering::SeqCst);
                    assert!(live <= (KEYS + 8 * THREADS) as isize, "{live} live values");
                    // Ranges promote dirty and race with the other threads' writes.
                    if r % 16 == 0 {
                        let mut seen = HashSet::new();
                        m.range(|&k, _| {
                            assert!(seen.insert(k), "Range visited k{k} twice");
                            true
                        });
                    }
                }
            });
        }
    });
    m.check_invariants().unwrap();
    let e = entries(&m);
    assert_eq!(e.len() as u64, KEYS, "every key present once");
    for (k, v) in &e {
        assert_eq!(*v, k * 1_000_000 + ROUNDS - 1);
    }
    assert_eq!(
        LIVE.load(Ordering::SeqCst),
        KEYS as isize,
        "live values = the map's contents"
    );
    drop(m);
    assert_eq!(
        LIVE.load(Ordering::SeqCst),
        0,
        "dropping the map frees every value"
    );
}
