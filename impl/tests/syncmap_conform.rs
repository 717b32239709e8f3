//! SyncMap's recorded histories under real threads, checked for linearizability against
//! the sequential map (`syncmap::conform::SeqSyncMap`), and each injected fault caught.

use gomap_impl::syncmap::conform;
use gomap_impl::syncmap::history::RunConfig;
use gomap_impl::syncmap::Fault;

fn cfg(histories: usize, seed: u64) -> RunConfig {
    RunConfig {
        threads: 3,
        histories,
        ops: 8,
        seed,
        keys: 3,
        jitter: 64,
    }
}

#[test]
fn syncmap_histories_are_linearizable() {
    let s = conform::run(&cfg(3000, 7), None);
    eprintln!(
        "{} histories, {} calls in {:.2?} ({:.0} histories/s)",
        s.histories,
        s.calls,
        s.elapsed,
        s.per_second()
    );
    if let Some((h, seed, cx)) = &s.failure {
        panic!("history {h} (seed {seed}):\n{cx}");
    }
}

fn caught(fault: Fault, histories: usize) -> String {
    let s = conform::run(&cfg(histories, 11), Some(fault));
    let (h, _, cx) = s
        .failure
        .unwrap_or_else(|| panic!("{fault:?} not caught in {histories} histories"));
    let text = cx.to_string();
    eprintln!("{fault:?} caught at history {h}:\n{text}");
    text
}

#[test]
fn range_skipping_promotion_is_caught() {
    caught(Fault::RangeSkipsPromotion, 3000);
}

#[test]
fn unexpunge_without_dirty_is_caught() {
    caught(Fault::UnexpungeWithoutDirty, 3000);
}

// Racy faults (a non-atomic CompareAndSwap, a Load that skips its re-check under mu) show
// under real threads only when the race happens; syncmap_shuttle.rs catches both
// deterministically.

/// Go 1.23's Clear on the port: histories with Clear among the operations are linearizable
/// per key (a Clear is a Delete of each key within the call), and a Clear that left a key
/// behind would fail the check.
#[test]
fn histories_with_clear_are_linearizable() {
    use gomap_impl::syncmap::conform::{SyncMapConformance, SyncOp, SyncRet};
    use gomap_impl::syncmap::history::{self, Call};
    use gomap_impl::syncmap::SyncMap;
    let cfg = cfg(1500, 23);
    let s = history::run::<SyncMapConformance, SyncMap<u8, u16>>(
        &cfg,
        SyncMap::new,
        |rng, t, ops| {
            let mut p = conform::gen_program(rng, t, ops, cfg.keys);
            for op in p.iter_mut() {
                if rng.chance(12) {
                    *op = SyncOp::Clear;
                }
            }
            p
        },
        conform::apply,
    );
    if let Some((h, seed, cx)) = &s.failure {
        panic!("history {h} (seed {seed}):\n{cx}");
    }
    // Sequentially: Store, Clear, Load must see nothing; a Load that still sees the value
    // after the Clear returned is not linearizable.
    let m = SyncMap::<u8, u16>::new();
    m.store(1, 5);
    m.clear();
    assert_eq!(m.load(&1), None);
    let call = |thread, op, ret, invoked, returned| Call {
        thread,
        op,
        ret: Some(ret),
        invoked,
        returned,
    };
    let stale = vec![
        call(0, SyncOp::Store(1, 5), SyncRet::Unit, 0, 1),
        call(0, SyncOp::Clear, SyncRet::Unit, 2, 3),
        call(1, SyncOp::Load(1), SyncRet::Value(Some(5)), 4, 5),
    ];
    assert!(history::check::<SyncMapConformance>(&stale).is_err());
    let fresh = vec![
        call(0, SyncOp::Store(1, 5), SyncRet::Unit, 0, 1),
        call(0, SyncOp::Clear, SyncRet::Unit, 2, 5),
        call(1, SyncOp::Load(1), SyncRet::Value(Some(5)), 3, 4),
    ];
    assert!(history::check::<SyncMapConformance>(&fresh).is_ok());
}
