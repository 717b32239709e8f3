//! SyncMap's atomic steps under shuttle's controlled scheduler: every [`Step`] is a
//! scheduling point (`Hooks::before` yields to shuttle), and `mu` is taken cooperatively.
//! Random schedules of short random programs must give linearizable histories (checked as in
//! `gomap conform`); the racy faults, which real threads catch only by luck, are caught here
//! within a bounded number of schedules, and each found bug is pinned by shuttle's seed.
//!
//! What this does not check: weak-memory reorderings. shuttle runs threads one at a time
//! (sequentially consistent); the port's atomic operations on `read` and `p` are all
//! `SeqCst` (crossbeam-epoch's `Atomic`, which loom cannot instrument), so every execution
//! has one global order of them, as under shuttle. All shuttle threads share one OS thread,
//! hence one epoch participant: pinning is reentrant, so a thread's pin is held while any
//! of them is pinned, which only delays reclamation.

use gomap_impl::syncmap::conform::{self, SyncMapConformance, SyncOp};
use gomap_impl::syncmap::history::{self, Call, Gen};
use gomap_impl::syncmap::{Fault, Hooks, Step, SyncMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Every atomic step is a shuttle scheduling point.
struct ShuttleHooks;
impl Hooks for ShuttleHooks {
    const COOPERATIVE: bool = true;
    fn before(&self, _step: Step) {
        shuttle::thread::yield_now();
    }
    fn lock_contended(&self) {
        shuttle::thread::yield_now();
    }
}

/// One shuttle execution: `programs` on a fresh map, then the linearizability check (a
/// panic, with the minimised history, if it fails).
fn execution(programs: &[Vec<SyncOp>], fault: Option<Fault>) {
    let m = Arc::new(SyncMap::with_hooks(ShuttleHooks).with_fault(fault));
    let clock = Arc::new(AtomicU64::new(0));
    let calls = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = programs
        .iter()
        .cloned()
        .enumerate()
        .map(|(t, prog)| {
            let (m, clock, calls) = (m.clone(), clock.clone(), calls.clone());
            shuttle::thread::spawn(move || {
                for op in prog {
                    let invoked = clock.fetch_add(1, Ordering::SeqCst);
                    let ret = conform::apply(&m, &op);
                    let returned = clock.fetch_add(1, Ordering::SeqCst);
                    calls.lock().unwrap().push(Call {
                        thread: t as u32,
                        op,
                        ret: Some(ret),
                        invoked,
                        returned,
                    });
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let calls = calls.lock().unwrap().clone();
    if let Err(cx) = history::check::<SyncMapConformance>(&calls) {
        panic!("{cx}");
    }
    m.check_invariants().unwrap();
}

/// Programs that prefill keys (so that read.m has entries) and then mix all operations.
fn programs(seed: u64, threads: usize, ops: usize, keys: u8) -> Vec<Vec<SyncOp>> {
    let mut rng = Gen::new(seed);
    (0..threads)
        .map(|t| conform::gen_program(&mut rng, t, ops, keys))
        .collect()
}

#[test]
fn random_schedules_of_random_programs_are_linearizable() {
    for seed in 0..40 {
        let progs = programs(seed, 3, 4, 2);
        shuttle::check_random(move || execution(&progs, None), 100);
    }
}

#[test]
fn pct_schedules_of_contended_programs_are_linearizable() {
    for seed in 0..20 {
        let progs = programs(seed, 2, 6, 1);
        shuttle::check_pct(move || execution(&progs, None), 100, 3);
    }
}

/// A scenario in which a Load's slow path waits for `mu` while a Range promotes dirty.
fn load_during_promotion() -> Vec<Vec<SyncOp>> {
    vec![
        vec![SyncOp::Store(1, 1), SyncOp::Load(1)],
        vec![SyncOp::Range, SyncOp::Range],
    ]
}

#[test]
fn valid_load_rechecks_read_after_lock() {
    shuttle::check_random(|| execution(&load_during_promotion(), None), 2000);
}

#[test]
#[should_panic(expected = "non-linearizable history")]
fn invalid_load_without_recheck_is_caught() {
    shuttle::check_random(
        || execution(&load_during_promotion(), Some(Fault::LoadSkipsRecheck)),
        2000,
    );
}

/// A CompareAndSwap racing a Delete of the value it compared (the Range promotes k1 into
/// read.m, so that both take the lock-free path on the entry).
fn cas_against_delete() -> Vec<Vec<SyncOp>> {
    vec![
        vec![
            SyncOp::Store(1, 1),
            SyncOp::Range,
            SyncOp::CompareAndSwap(1, 1, 2),
            SyncOp::Load(1),
        ],
        vec![SyncOp::Load(1), SyncOp::Delete(1), SyncOp::Load(1)],
    ]
}

#[test]
fn valid_compare_and_swap_is_atomic() {
    shuttle::check_random(|| execution(&cas_against_delete(), None), 2000);
}

#[test]
#[should_panic(expected = "non-linearizable history")]
fn invalid_non_atomic_compare_and_swap_is_caught() {
    shuttle::check_random(
        || execution(&cas_against_delete(), Some(Fault::CompareAndSwapNotAtomic)),
        2000,
    );
}

/// The schedule shuttle found for `invalid_load_without_recheck_is_caught`, pinned by its
/// seed (valid for shuttle 0.8 and this port's scheduling points): the Range promotes dirty
/// while the Load waits for `mu`, and the Load, not re-checking read, misses k1.
#[test]
#[should_panic(expected = "non-linearizable history")]
fn invalid_load_without_recheck_replays_from_its_seed() {
    shuttle::check_random_with_seed(
        || execution(&load_during_promotion(), Some(Fault::LoadSkipsRecheck)),
        9858576868630492354,
        1,
    );
}
