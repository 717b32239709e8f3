//! Bounded stress of SyncMap under real threads (2 cores): no lost or duplicated values,
//! and memory stays bounded: every value is counted alive from construction to drop; while
//! the threads run, the replaced values waiting to be freed stay within each thread's bound
//! ([`MAX_PENDING_PER_THREAD`]), even while another thread stays pinned; at quiescence,
//! once reclamation has run, the live values are exactly the map's contents.

use gomap_impl::syncmap::{SyncMap, MAX_PENDING_PER_THREAD};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Live values of the first test; each test counts its own (tests run in parallel).
static LIVE: AtomicIsize = AtomicIsize::new(0);
/// Live values of `a_pinned_thread_does_not_let_garbage_grow`.
static LIVE_PINNED: AtomicIsize = AtomicIsize::new(0);

/// A value that counts its live copies in its counter.
#[derive(Debug)]
struct Counted(u64, &'static AtomicIsize);
impl Counted {
    fn new(v: u64) -> Self {
        Counted::in_counter(v, &LIVE)
    }
    fn in_counter(v: u64, live: &'static AtomicIsize) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        Counted(v, live)
    }
}
impl PartialEq for Counted {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted::in_counter(self.0, self.1)
    }
}
impl Drop for Counted {
    fn drop(&mut self) {
        self.1.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Frees the garbage that no pinned thread can still reach: pins and flushes until `done`
/// holds (a few epochs), for at most 2 s.
fn reclaim_until(done: impl Fn() -> bool) {
    for _ in 0..2000 {
        if done() {
            return;
        }
        crossbeam_epoch::pin().flush();
        std::thread::sleep(Duration::from_millis(1));
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
                    // Bounded while running: the map's values, each thread's replaced values
                    // waiting to be freed (counted a batch of 64 at a time, so up to one
                    // batch more while another thread frees an earlier one) and the few it
                    // holds in flight, never a backlog (ROUNDS * KEYS * 2 values are made).
                    let live = LIVE.load(Ordering::SeqCst);
                    let bound = KEYS + THREADS * (MAX_PENDING_PER_THREAD + 64 + 8);
                    assert!(live <= bound as isize, "{live} live values, bound {bound}");
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
    reclaim_until(|| LIVE.load(Ordering::SeqCst) == KEYS as isize);
    assert_eq!(
        LIVE.load(Ordering::SeqCst),
        KEYS as isize,
        "live values = the map's contents"
    );
    drop(m);
    reclaim_until(|| LIVE.load(Ordering::SeqCst) == 0);
    assert_eq!(
        LIVE.load(Ordering::SeqCst),
        0,
        "dropping the map frees every value"
    );
}

/// A thread pinned for a second (as one preempted inside an operation is) holds back the
/// freeing of everything replaced meanwhile; a writer then waits after each operation once
/// its garbage passes the bound, instead of piling it up. Without the wait this writer
/// would replace tens of thousands of values in that second.
#[test]
fn a_pinned_thread_does_not_let_garbage_grow() {
    const KEYS: u64 = 16;
    let m = SyncMap::<u64, Counted>::new();
    for k in 0..KEYS {
        m.store(k, Counted::in_counter(k, &LIVE_PINNED));
    }
    let base = LIVE_PINNED.load(Ordering::SeqCst);
    let released = AtomicBool::new(false);
    let pinned = Mutex::new(false);
    let start = std::time::Instant::now();
    let (ops, max_live) = std::thread::scope(|s| {
        s.spawn(|| {
            let guard = crossbeam_epoch::pin();
            *pinned.lock().unwrap() = true;
            std::thread::sleep(Duration::from_secs(1));
            drop(guard);
            released.store(true, Ordering::SeqCst);
        });
        while !*pinned.lock().unwrap() {
            std::thread::yield_now();
        }
        let (mut ops, mut max_live) = (0u64, 0isize);
        while !released.load(Ordering::SeqCst) {
            m.store(ops % KEYS, Counted::in_counter(ops, &LIVE_PINNED));
            ops += 1;
            max_live = max_live.max(LIVE_PINNED.load(Ordering::SeqCst) - base);
        }
        (ops, max_live)
    });
    // The pending bound, plus one value per operation that gave up waiting (each waits
    // 200 ms at most: about five in the second, more if the machine stretched it), plus
    // slack for the ones in flight.
    let gave_up = (start.elapsed().as_millis() / 200) as isize + 1;
    let bound = MAX_PENDING_PER_THREAD as isize + gave_up + 8;
    assert!(
        ops > MAX_PENDING_PER_THREAD,
        "the writer reached the bound ({ops} stores)"
    );
    assert!(
        max_live <= bound,
        "{max_live} replaced values alive at once while a thread was pinned (bound {bound}, \
         {ops} stores)"
    );
}
