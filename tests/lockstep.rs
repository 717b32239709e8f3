//! Lockstep refinement, model <-> port: generated sequences of map operations run on the
//! hmap model (the reference, gomap-model) and on the port (the system under test,
//! gomap-impl's `GoMap<u64, u64>`) with the same hashes, hash0 draws and iterator starts;
//! after every Go operation the port's whole state must equal the model's (every hmap
//! field and both bucket arrays in full, stale bytes included), every lookup result and
//! iterator yield must agree, and the port's `check_invariants()` must hold. See
//! `lockstep/harness.rs` for the two sides.
//!
//! Generated operations: assign, delete, lookup, range loops that stay open (up to 3)
//! while other operations run between their rounds, delete-all (then later assigns
//! reinsert), and make with a hint (a fresh map). Each case draws its own hash functions
//! from a small domain (see the harness), and a reseed switches both sides to the next.
//!
//! Configurations: Go's (8 slots, load factor 13/2) and the scaled-down ones the specs use
//! (2 slots 3/2, 1 slot 1/2, 2 slots 1/1). Each run counts what it exercised and asserts
//! minimums (doubling grows, same-size grows, iterations open across a grow), so that a
//! generator that stops reaching growth fails the test instead of passing vacuously.
//!
//! Two operation mixes per configuration: `MIX` (assign-heavy: growth by doubling, and
//! iterators open across it) and `CHURN` (deletes of live keys as frequent as assigns, the
//! map held just below its load factor and new keys steered into full chains, which is what
//! makes noverflow reach 2^B first: same-size growth).
//!
//! With the fixed seed, a `cargo test --release --test lockstep` run performs 7,040 cases
//! and about 1.18 million Go operations in about 10 s on 2 cores, with about 9,400 doubling
//! grows, 580 same-size grows and 3,700 iterations that were open across the start of a grow
//! (each test prints its counts with `--nocapture`). The RNG seed is fixed so the counts
//! are reproducible; set `PROPTEST_RNG_SEED` to explore other seeds. A failure shrinks to a minimal operation sequence, printed with the case's
//! hash functions; pin it as a named regression test below (`run_sequence`).

#[path = "lockstep/harness.rs"]
mod harness;

use std::cell::RefCell;
use std::rc::Rc;

use gomap_impl::map::Fault;
use harness::{run_sequence, Cfg, HashFns, Op, Reference, Stats, Sut, HASH_FNS, MAX_OPEN_ITERS};
use proptest::prelude::*;
use proptest::strategy::Union;
use proptest::test_runner::{Config, RngSeed, TestError, TestRunner};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};

/// Seed of the generated cases unless `PROPTEST_RNG_SEED` is set.
const SEED: u64 = 0x676f_6d61_7031_3139;

/// Relative weights of the generated operations.
#[derive(Clone, Copy, Debug)]
struct Weights {
    assign: u32,
    delete: u32,
    /// Deletes of a key that is live in the map (any key when it is empty).
    delete_live: u32,
    lookup: u32,
    iter_start: u32,
    iter_next: u32,
    delete_all: u32,
    make: u32,
    /// Keep the map just below its load factor: when one more key would overload it,
    /// assigns only update live keys, so new keys come in only after deletes (churn at a
    /// fixed B, which is what fills chains with overflow buckets for a same-size grow).
    /// From this B on (None: never).
    capped: Option<u8>,
}

/// A lockstep run: a configuration, its operation mix, and what it must exercise.
#[derive(Clone, Copy, Debug)]
struct Run {
    cfg: Cfg,
    weights: Weights,
    cases: u32,
    max_len: usize,
}

thread_local! {
    // Each #[test] runs on its own thread: the run being performed and its counts.
    static RUN: RefCell<Option<Run>> = const { RefCell::new(None) };
    static STATS: RefCell<Stats> = RefCell::new(Stats::default());
}

fn current() -> Run {
    RUN.with(|r| r.borrow().expect("a lockstep run is set"))
}

struct Lockstep;

/// `HASH_FNS` hash functions over the keys: a top byte from `tops` and low bits, masked to
/// `mask_bits` bits (a per-function choice: few bits crowd keys into few buckets).
fn hash_fns(cfg: Cfg) -> impl Strategy<Value = Vec<Vec<u64>>> {
    let tops = cfg.tops;
    let one = (
        0..=cfg.hash_bits,
        prop::collection::vec((0..tops.len(), 0u64..1 << cfg.hash_bits), cfg.keys as usize),
    )
        .prop_map(move |(mask_bits, per_key)| {
            per_key
                .into_iter()
                .map(|(t, low)| ((tops[t] as u64) << 56) | (low & ((1u64 << mask_bits) - 1)))
                .collect::<Vec<u64>>()
        });
    prop::collection::vec(one, HASH_FNS)
}

fn live_keys(state: &Reference) -> Vec<u64> {
    (0..state.cfg.keys)
        .filter(|&k| state.machine.lookup(&state.state, k).is_some())
        .collect()
}

/// Keys not in the map whose home chain has no empty slot: assigning one adds an overflow
/// bucket (while not growing).
fn crowding_keys(state: &Reference) -> Vec<u64> {
    let s = &state.state;
    let Some(buckets) = s.buckets() else {
        return vec![];
    };
    let bc = state.cfg.bucket_cnt;
    let mask = (1u64 << s.h.b) - 1;
    (0..state.cfg.keys)
        .filter(|&k| state.machine.lookup(s, k).is_none())
        .filter(|k| {
            let h = s.hashes[k];
            buckets[(h & mask) as usize]
                .iter()
                .all(|bm| bm.tophash[..bc].iter().all(|&t| t > 1))
        })
        .collect()
}

fn delete_live(state: &Reference) -> BoxedStrategy<Op> {
    let live = live_keys(state);
    if live.is_empty() {
        (0..state.cfg.keys)
            .prop_map(|key| Op::Delete { key })
            .boxed()
    } else {
        prop::sample::select(live)
            .prop_map(|key| Op::Delete { key })
            .boxed()
    }
}

impl ReferenceStateMachine for Lockstep {
    type State = Reference;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<Reference> {
        let cfg = current().cfg;
        hash_fns(cfg)
            .prop_map(move |fns| Reference::new(cfg, Rc::new(fns)))
            .boxed()
    }

    fn transitions(state: &Reference) -> BoxedStrategy<Op> {
        let Run {
            cfg, weights: w, ..
        } = current();
        let key = 0..cfg.keys;
        let h = &state.state.h;
        let full = cfg.geometry().over_load_factor(h.count + 1, h.b);
        let live = live_keys(state);
        let capped = w.capped.is_some_and(|from| h.b >= from);
        let crowding = if capped { crowding_keys(state) } else { vec![] };
        let assign = if capped && full && !live.is_empty() {
            (prop::sample::select(live), 0..cfg.elems)
                .prop_map(|(key, elem)| Op::Assign { key, elem })
                .boxed()
        } else if !crowding.is_empty() {
            (prop::sample::select(crowding), 0..cfg.elems)
                .prop_map(|(key, elem)| Op::Assign { key, elem })
                .boxed()
        } else {
            (key.clone(), 0..cfg.elems)
                .prop_map(|(key, elem)| Op::Assign { key, elem })
                .boxed()
        };
        let mut arms: Vec<(u32, BoxedStrategy<Op>)> = vec![
            (w.assign, assign),
            (
                w.delete,
                key.clone().prop_map(|key| Op::Delete { key }).boxed(),
            ),
            (w.delete_live, delete_live(state)),
            (w.lookup, key.prop_map(|key| Op::Lookup { key }).boxed()),
            (w.delete_all, Just(Op::DeleteAll).boxed()),
            (
                w.make,
                (0..cfg.max_hint).prop_map(|hint| Op::Make { hint }).boxed(),
            ),
        ];
        if state.open.len() < MAX_OPEN_ITERS {
            arms.push((
                w.iter_start,
                any::<u32>().prop_map(|r| Op::IterStart { r }).boxed(),
            ));
        }
        if !state.open.is_empty() {
            arms.push((
                w.iter_next,
                (0..state.open.len())
                    .prop_map(|slot| Op::IterNext { slot })
                    .boxed(),
            ));
        }
        arms.retain(|(w, _)| *w > 0);
        Union::new_weighted(arms).boxed()
    }

    fn apply(mut state: Reference, op: &Op) -> Reference {
        state.apply(op);
        state
    }

    fn preconditions(state: &Reference, op: &Op) -> bool {
        state.allows(op)
    }
}

impl StateMachineTest for Lockstep {
    type SystemUnderTest = Sut;
    type Reference = Lockstep;

    fn init_test(reference: &Reference) -> Sut {
        STATS.with(|s| s.borrow_mut().cases += 1);
        Sut::new(reference.cfg, reference.fns.clone())
    }

    fn apply(mut sut: Sut, reference: &Reference, op: Op) -> Sut {
        if let Err(e) = sut.apply(reference) {
            panic!("lockstep mismatch at {op:?}: {e}");
        }
        STATS.with(|s| s.borrow_mut().add_steps(&reference.steps));
        sut
    }
}

/// Runs `run` with proptest; returns what it exercised, or the minimal failure.
fn lockstep(run: Run) -> Result<Stats, String> {
    RUN.with(|r| *r.borrow_mut() = Some(run));
    STATS.with(|s| *s.borrow_mut() = Stats::default());
    let mut config = Config {
        cases: run.cases,
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var("PROPTEST_RNG_SEED").is_err() {
        config.rng_seed = RngSeed::Fixed(SEED);
    }
    let mut runner = TestRunner::new(config.clone());
    let strategy = Lockstep::sequential_strategy(1..run.max_len);
    let result = runner.run(&strategy, |(init, transitions, seen)| {
        Lockstep::test_sequential(config.clone(), init, transitions, seen);
        Ok(())
    });
    let stats = STATS.with(|s| *s.borrow());
    match result {
        Ok(()) => Ok(stats),
        Err(TestError::Fail(why, (init, ops, _))) => Err(format!(
            "{why}\nminimal case: {init:?}\nops ({}): {ops:?}",
            ops.len()
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// Minimum counts a run must reach.
struct Minimums {
    doubling_grows: usize,
    same_size_grows: usize,
    iterations_spanning_grow: usize,
}

fn check_runs(name: &str, runs: &[Run], min: Minimums) {
    let started = std::time::Instant::now();
    let mut total = Stats::default();
    for (n, run) in runs.iter().enumerate() {
        let s = lockstep(*run).unwrap_or_else(|e| panic!("{name}, run {n}: {e}"));
        eprintln!("{name}, run {n}: {s:?}");
        total.add(&s);
    }
    eprintln!("{name}: total {total:?} in {:.1?}", started.elapsed());
    assert!(
        total.doubling_grows >= min.doubling_grows,
        "{name}: only {} doubling grows (want >= {})",
        total.doubling_grows,
        min.doubling_grows
    );
    assert!(
        total.same_size_grows >= min.same_size_grows,
        "{name}: only {} same-size grows (want >= {})",
        total.same_size_grows,
        min.same_size_grows
    );
    assert!(
        total.iterations_spanning_grow >= min.iterations_spanning_grow,
        "{name}: only {} iterations spanning a grow (want >= {})",
        total.iterations_spanning_grow,
        min.iterations_spanning_grow
    );
}

/// Top bytes: 0..4 are moved up by MIN_TOP_HASH (0 -> 5, a tophash equal to 5's for a
/// different hash); the rest are ordinary.
const TOPS: &[u8] = &[0, 5, 6, 0xff];

const GO: Cfg = Cfg {
    bucket_cnt: 8,
    load_factor_num: 13,
    load_factor_den: 2,
    keys: 72,
    elems: 4,
    hash_bits: 5,
    tops: TOPS,
    max_hint: 120,
    fault: None,
};

fn scaled(bucket_cnt: usize, num: usize, den: usize, keys: u64) -> Cfg {
    Cfg {
        bucket_cnt,
        load_factor_num: num,
        load_factor_den: den,
        keys,
        elems: 3,
        hash_bits: 4,
        tops: TOPS,
        max_hint: 3 * keys as usize / 2,
        fault: None,
    }
}

const MIX: Weights = Weights {
    assign: 40,
    delete: 8,
    delete_live: 8,
    lookup: 10,
    iter_start: 5,
    iter_next: 14,
    delete_all: 1,
    make: 1,
    capped: None,
};

/// Deletes as frequent as assigns over a key domain much larger than what the map holds at
/// once: chains keep overflow buckets emptied by deletes while new keys need new ones in
/// other chains, so noverflow reaches 2^B before the load factor does (same-size growth).
const CHURN: Weights = Weights {
    assign: 30,
    delete: 0,
    delete_live: 25,
    lookup: 6,
    iter_start: 5,
    iter_next: 14,
    delete_all: 0,
    make: 1,
    capped: Some(1),
};

/// A growth run (`MIX`, `cases` cases) and churn runs (`CHURN` with the given
/// `(delete_live weight, capped from B, cases)`).
fn runs(cfg: Cfg, cases: u32, churn: &[(u32, u8, u32)], max_len: usize) -> Vec<Run> {
    let mut v = vec![Run {
        cfg,
        weights: MIX,
        cases,
        max_len,
    }];
    for &(delete_live, from, cases) in churn {
        v.push(Run {
            cfg,
            weights: Weights {
                delete_live,
                capped: Some(from),
                ..CHURN
            },
            cases,
            max_len,
        });
    }
    v
}

#[test]
fn port_refines_model_at_go_parameters() {
    check_runs(
        "Go: 8 slots, load factor 13/2",
        &runs(Cfg { keys: 120, ..GO }, 128, &[(12, 1, 2048)], 400),
        Minimums {
            doubling_grows: 800,
            same_size_grows: 18,
            iterations_spanning_grow: 500,
        },
    );
}

#[test]
fn port_refines_model_with_two_slots_and_load_factor_3_2() {
    check_runs(
        "2 slots, load factor 3/2",
        &runs(scaled(2, 3, 2, 24), 256, &[(25, 1, 512), (25, 3, 512)], 300),
        Minimums {
            doubling_grows: 1200,
            same_size_grows: 80,
            iterations_spanning_grow: 450,
        },
    );
}

#[test]
fn port_refines_model_with_one_slot_and_load_factor_1_2() {
    check_runs(
        "1 slot, load factor 1/2",
        &runs(scaled(1, 1, 2, 24), 256, &[(25, 1, 512), (25, 3, 512)], 300),
        Minimums {
            doubling_grows: 1200,
            same_size_grows: 120,
            iterations_spanning_grow: 380,
        },
    );
}

#[test]
fn port_refines_model_with_two_slots_and_load_factor_1_1() {
    check_runs(
        "2 slots, load factor 1/1",
        &runs(scaled(2, 1, 1, 24), 256, &[(25, 1, 2048)], 300),
        Minimums {
            doubling_grows: 1300,
            same_size_grows: 18,
            iterations_spanning_grow: 450,
        },
    );
}

// ---- the comparison can fail ------------------------------------------------------------

/// Every test-only fault of the port is caught by the lockstep comparison, and the failure
/// shrinks to a short sequence.
#[test]
fn lockstep_catches_every_injected_port_fault_with_a_short_counterexample() {
    // The expected failures panic inside proptest (which catches them); keep their
    // messages out of the output of this test's thread only.
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let this_test = std::thread::current()
            .name()
            .is_some_and(|n| n.contains("lockstep_catches_every_injected_port_fault"));
        if !this_test {
            prev(info)
        }
    }));
    for fault in [
        Fault::EvacuateWrongHalf,
        Fault::NoEmptyRestPropagation,
        Fault::ClearKeyOnDelete,
        Fault::NoExtraEvacuation,
        Fault::IterNoRelookup,
    ] {
        let cfg = Cfg {
            fault: Some(fault),
            ..scaled(2, 3, 2, 24)
        };
        let mut found = None;
        for run in runs(cfg, 256, &[(25, 1, 256)], 300) {
            if let Err(e) = lockstep(run) {
                found = Some(e);
                break;
            }
        }
        let e = found.unwrap_or_else(|| panic!("{fault:?} went unnoticed"));
        eprintln!("{fault:?}: {e}");
        assert!(e.contains("lockstep mismatch"), "{fault:?}: {e}");
        let n: usize = e
            .rsplit_once("ops (")
            .and_then(|(_, rest)| rest.split_once(')'))
            .and_then(|(n, _)| n.parse().ok())
            .expect("the failure lists its ops");
        assert!(n <= 40, "{fault:?}: counterexample of {n} ops: {e}");
    }
}

/// The counterexamples the shrinker found for each injected fault (2 slots, load factor
/// 3/2, every key hashing to 0), replayed without proptest: each fails with its fault and
/// passes without it.
#[test]
fn shrunk_fault_counterexamples_replay_and_pass_without_the_fault() {
    use Op::*;
    let cases: [(Fault, &str, Vec<Op>); 5] = [
        (
            Fault::EvacuateWrongHalf,
            "state: noverflow: model 1, port 0",
            vec![
                Assign { key: 0, elem: 0 },
                Assign { key: 1, elem: 0 },
                Assign { key: 2, elem: 0 },
            ],
        ),
        (
            Fault::NoEmptyRestPropagation,
            "state: buckets[0][0].tophash[0]: model 0, port 1",
            vec![Assign { key: 0, elem: 0 }, DeleteAll],
        ),
        (
            Fault::ClearKeyOnDelete,
            "state: buckets[0][0].keys[0]: model 13, port 0",
            vec![Assign { key: 13, elem: 0 }, Delete { key: 13 }],
        ),
        (
            Fault::NoExtraEvacuation,
            "state: nevacuate: model 2, port 1",
            vec![
                Assign { key: 0, elem: 0 },
                Assign { key: 1, elem: 0 },
                Assign { key: 2, elem: 0 },
                Assign { key: 3, elem: 0 },
            ],
        ),
        (
            Fault::IterNoRelookup,
            "result: model Yield { iter: 0, kv: None }, port Yield { iter: 0, kv: Some((1, 0)) }",
            vec![
                Assign { key: 0, elem: 0 },
                Assign { key: 1, elem: 0 },
                IterStart { r: 0 },
                Assign { key: 0, elem: 0 },
                Assign { key: 2, elem: 0 },
                DeleteAll,
                IterNext { slot: 0 },
                IterNext { slot: 0 },
            ],
        ),
    ];
    let base = scaled(2, 3, 2, 24);
    let zeros: HashFns = Rc::new(vec![vec![0; base.keys as usize]; HASH_FNS]);
    for (fault, want, ops) in cases {
        let faulty = Cfg {
            fault: Some(fault),
            ..base
        };
        let e =
            run_sequence(faulty, zeros.clone(), &ops).expect_err(&format!("{fault:?} is caught"));
        assert!(e.contains(want), "{fault:?}: {e}");
        run_sequence(base, zeros.clone(), &ops).unwrap_or_else(|e| panic!("{fault:?}: {e}"));
    }
}
