//! Unit tests of the hmap model's transition function, called as a plain function (no
//! checker), in the style of Go's runtime/map_test.go.

use super::state::*;
use super::steps::{viol, Geometry, GoRelease, Machine, Track};
use super::{HmapModel, HmapParams};
use crate::framework::check::Checkable;
use crate::framework::log::Log;
use stateright::{Checker, Model};
use std::collections::BTreeMap;

fn machine(geo: Geometry) -> Machine {
    Machine {
        geo,
        track: Track {
            abs: true,
            iters: true,
            grow_works: true,
            claims: true,
        },
        go: Default::default(),
    }
}

fn hashes(pairs: &[(u64, u64)]) -> BTreeMap<u64, u64> {
    pairs.iter().copied().collect()
}

fn h(top: u8, low: u64) -> u64 {
    ((top as u64) << 56) | low
}

fn step(m: &Machine, s: &mut HmapState, a: HmapAction) -> Outcome {
    m.step(s, &a, None, &mut Log::default()).unwrap()
}

fn assign(key: u64, elem: u64) -> HmapAction {
    HmapAction::Assign { key, elem }
}

#[test]
fn makemap_picks_the_smallest_b_that_is_not_overloaded_and_preallocates_like_go() {
    let m = machine(Geometry::GO);
    for (hint, b) in [
        (0, 0),
        (8, 0),
        (9, 1),
        (13, 1),
        (14, 2),
        (26, 2),
        (27, 3),
        (104, 4),
        (105, 5),
    ] {
        assert_eq!(
            m.makemap::<MAX_BUCKET_CNT>(hint, 0, BTreeMap::new()).h.b,
            b,
            "hint {hint}"
        );
    }
    // makeBucketArray: total buckets for B = 4..12 with 144-byte buckets are
    // 18, 37, 71, 142, 284, 568, 1137, 2218, 4380 (go-map-facts.md).
    let totals = [18, 37, 71, 142, 284, 568, 1137, 2218, 4380];
    for (i, total) in totals.iter().enumerate() {
        let b = 4 + i as u8;
        assert_eq!(
            Geometry::GO.prealloc_overflow(b) + (1 << b),
            *total,
            "B={b}"
        );
    }
    assert_eq!(Geometry::GO.prealloc_overflow(3), 0);
    assert_eq!(Geometry::GO.bucket_size(), 144);
}

#[test]
fn delete_clears_the_elem_but_not_the_uint64_key_and_propagates_empty_rest() {
    let geo = Geometry {
        bucket_cnt: 2,
        load_factor_num: 2,
        load_factor_den: 1,
    };
    let m = machine(geo);
    // Three keys in bucket 0: k1, k2 in the main bucket, k3 in an overflow bucket.
    let mut s = m.makemap(0, 0, hashes(&[(1, h(5, 0)), (2, h(6, 0)), (3, h(7, 0))]));
    s.ghost.abs = vec![0; 4];
    for k in 1..=3 {
        step(&m, &mut s, assign(k, 10 + k));
    }
    let chain = &s.buckets().unwrap()[0];
    assert_eq!(chain.len(), 2, "k3 needs an overflow bucket");
    step(
        &m,
        &mut s,
        HmapAction::Delete {
            key: 2,
            reseed: None,
        },
    );
    let chain = &s.buckets().unwrap()[0];
    assert_eq!(
        chain[0].tophash[1], EMPTY_ONE,
        "k3 follows: emptyOne, not emptyRest"
    );
    assert_eq!(
        (chain[0].keys[1], chain[0].elems[1]),
        (2, 0),
        "stale key, cleared elem"
    );
    step(
        &m,
        &mut s,
        HmapAction::Delete {
            key: 3,
            reseed: None,
        },
    );
    let chain = &s.buckets().unwrap()[0];
    assert_eq!(chain[1].tophash[0], EMPTY_REST);
    assert_eq!(
        chain[0].tophash[1], EMPTY_REST,
        "emptyRest crossed into the main bucket"
    );
    assert!(chain[0].tophash[0] >= MIN_TOP_HASH, "k1 is still live");
    assert_eq!(s.h.count, 1);
}

#[test]
fn delete_to_count_zero_reseeds_hash0() {
    let m = machine(Geometry::GO);
    let mut s = m.makemap(0, 7, hashes(&[(1, h(9, 3))]));
    s.ghost.abs = vec![0; 2];
    step(&m, &mut s, assign(1, 1));
    let fresh = hashes(&[(1, h(12, 1))]);
    m.step(
        &mut s,
        &HmapAction::Delete {
            key: 1,
            reseed: Some(99),
        },
        Some(&fresh),
        &mut Log::default(),
    )
    .unwrap();
    assert_eq!(s.h.hash0, 99);
    assert_eq!(s.hashes, fresh);
}

#[test]
fn a_lookup_during_growth_reads_only_the_unevacuated_old_bucket() {
    let geo = Geometry {
        bucket_cnt: 1,
        load_factor_num: 1,
        load_factor_den: 2,
    };
    let m = machine(geo);
    let mut s = m.makemap(2, 0, hashes(&[(1, h(5, 7)), (2, h(5, 6)), (3, h(5, 5))]));
    s.ghost.abs = vec![0; 4];
    assert_eq!(s.h.b, 2);
    step(&m, &mut s, assign(1, 1));
    step(&m, &mut s, assign(2, 1));
    step(&m, &mut s, assign(3, 1)); // doubles to B=3; evacuates old buckets 1 and 0 only
    assert!(s.h.growing());
    assert_eq!(s.h.nevacuate, 2);
    let mut log = Log::enabled();
    let out = m
        .step(&mut s, &HmapAction::Access { key: 1 }, None, &mut log)
        .unwrap();
    assert_eq!(
        out,
        Outcome::Access {
            elem: 1,
            found: true
        }
    );
    assert!(log.0.unwrap()[0].contains("search old bucket 3"));
    assert_ne!(
        s.ghost.violations & super::steps::viol::S14_OLD_BEFORE_NEW,
        0
    );
}

#[test]
fn growwork_evacuates_two_old_buckets_per_write_until_growth_completes() {
    let geo = Geometry {
        bucket_cnt: 1,
        load_factor_num: 1,
        load_factor_den: 2,
    };
    let m = machine(geo);
    let mut s = m.makemap(2, 0, hashes(&[(1, h(5, 7)), (2, h(5, 6)), (3, h(5, 5))]));
    s.ghost.abs = vec![0; 4];
    for k in 1..=3 {
        step(&m, &mut s, assign(k, 1));
    }
    assert_eq!((s.h.b, s.h.nevacuate, s.ghost.grow_works), (3, 2, 1));
    step(&m, &mut s, assign(1, 2)); // growWork(bucket 7): evacuate(3), then evacuate(2)
    assert!(
        !s.h.growing(),
        "all four old buckets evacuated after two writes"
    );
    assert_eq!(s.h.flags & SAME_SIZE_GROW, 0);
    assert_eq!(m.lookup(&s, 1), Some(2));
    assert_eq!(m.lookup(&s, 2), Some(1));
}

#[test]
fn an_iterator_yields_a_key_again_after_delete_and_reinsert_ahead_of_it() {
    let geo = Geometry {
        bucket_cnt: 2,
        load_factor_num: 3,
        load_factor_den: 2,
    };
    let m = machine(geo);
    let mut s = m.makemap(0, 0, hashes(&[(1, h(5, 0)), (2, h(5, 1))]));
    s.ghost.abs = vec![0; 3];
    step(&m, &mut s, assign(1, 1));
    let out = step(
        &m,
        &mut s,
        HmapAction::IterInit {
            start_bucket: 0,
            offset: 0,
        },
    );
    assert_eq!(
        out,
        Outcome::Yield {
            iter: 0,
            kv: Some((1, 1))
        }
    );
    m.step(
        &mut s,
        &HmapAction::Delete {
            key: 1,
            reseed: Some(0),
        },
        None,
        &mut Log::default(),
    )
    .unwrap();
    step(&m, &mut s, assign(2, 1));
    step(&m, &mut s, assign(1, 1)); // slot 1, which the iterator has not reached
    let out = step(&m, &mut s, HmapAction::IterNext { iter: 0 });
    assert_eq!(
        out,
        Outcome::Yield {
            iter: 0,
            kv: Some((1, 1))
        }
    );
    assert_ne!(s.ghost.violations & super::steps::viol::ITER_KEY_TWICE, 0);
    assert_eq!(s.ghost.violations & super::steps::viol::ITER_ENTRY_TWICE, 0);
}

#[test]
fn unreferenced_bucket_arrays_are_collected_and_numbered_canonically() {
    let geo = Geometry {
        bucket_cnt: 1,
        load_factor_num: 1,
        load_factor_den: 1,
    };
    let m = machine(geo);
    let mut s = m.makemap(0, 0, hashes(&[(1, h(5, 0)), (2, h(5, 1))]));
    s.ghost.abs = vec![0; 3];
    step(&m, &mut s, assign(1, 1));
    step(&m, &mut s, assign(2, 1)); // grows B 0 -> 1 and completes at once
    assert_eq!(s.arrays.len(), 1);
    assert_eq!(s.h.buckets, Some(0));
}

#[test]
fn the_models_actions_are_listed_in_a_fixed_order() {
    let model: HmapModel = HmapModel::new(HmapParams::default(), None);
    let init = model.init_states();
    assert_eq!(
        init.len(),
        4 * 3,
        "2 keys over 4 hashes: 12 injective assignments"
    );
    let mut a1 = Vec::new();
    let mut a2 = Vec::new();
    model.actions(&init[0], &mut a1);
    model.actions(&init[0], &mut a2);
    assert_eq!(a1, a2);
    assert_eq!(a1[0], assign(1, 1));
}

#[test]
fn a_load_factor_above_the_bucket_size_makes_mapassign_loop_and_is_reported() {
    // Go's parameters exclude it (13/2 < 8); the machine reports instead of looping.
    let geo = Geometry {
        bucket_cnt: 1,
        load_factor_num: 8,
        load_factor_den: 1,
    };
    let m = machine(geo);
    let mut s = m.makemap(0, 0, hashes(&[(1, h(5, 0)), (2, h(6, 0)), (3, h(7, 0))]));
    s.ghost.abs = vec![0; 4];
    step(&m, &mut s, assign(1, 1));
    step(&m, &mut s, assign(2, 1));
    let r = m.step(&mut s, &assign(3, 1), None, &mut Log::default());
    assert_eq!(r, Err(super::steps::StepError::GrowLoop));
}

#[test]
fn key_symmetry_representatives_are_canonical_and_collapse_renamed_states() {
    let params = HmapParams {
        keys: 3,
        ..HmapParams::default()
    };
    let mut model = HmapModel::new(params, None);
    model.key_symmetry = true;
    let init = model.init_states();
    assert_eq!(init.len(), 4 * 3 * 2);
    let reps: std::collections::HashSet<HmapState> =
        init.iter().map(super::symmetry::representative).collect();
    // 24 assignments of 3 keys to 4 hashes, 3! renamings each: 4 classes.
    assert_eq!(reps.len(), 4);
    for r in &reps {
        assert_eq!(&super::symmetry::representative(r), r, "idempotent");
        let hashes: Vec<u64> = r.hashes.values().copied().collect();
        assert!(hashes.windows(2).all(|w| w[0] < w[1]), "keys in hash order");
        assert_eq!(model.assignments[r.h.hash0 as usize], *r.hashes);
    }
    // A renamed state after some steps keeps keys, stale keys and the abstract map consistent.
    let mut s = init[5].clone();
    for a in [
        assign(1, 1),
        assign(3, 1),
        HmapAction::Delete {
            key: 1,
            reseed: None,
        },
    ] {
        let (n, _) = model.apply(&s, &a);
        s = n;
    }
    let r = super::symmetry::representative(&s);
    let live: Vec<u64> = r
        .buckets()
        .unwrap()
        .iter()
        .flatten()
        .flat_map(|bm| {
            (0..2)
                .filter(|&i| bm.tophash[i] >= MIN_TOP_HASH)
                .map(|i| bm.keys[i])
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(live.len(), 1);
    assert_eq!(
        r.ghost.abs[live[0] as usize], 1,
        "the abstract map follows the renaming"
    );
}

/// Every state reachable from `init` (the model's own actions and steps).
fn reachable<const N: usize>(model: &HmapModel<N>, init: Vec<HmapState<N>>) -> Vec<HmapState<N>> {
    let mut seen: std::collections::HashSet<HmapState<N>> = init.iter().cloned().collect();
    let mut todo = init;
    let mut all = Vec::new();
    while let Some(s) = todo.pop() {
        let mut actions = Vec::new();
        model.actions(&s, &mut actions);
        for a in actions {
            let n = model.next_state(&s, a).unwrap();
            if seen.insert(n.clone()) {
                todo.push(n);
            }
        }
        all.push(s);
    }
    all
}

#[test]
fn key_symmetry_at_init_reaches_exactly_the_representatives() {
    // reseed = false: the hash function never changes, so the reduction is made at the
    // initial states (HmapModel::symmetry_at_init). Its states must be exactly the
    // representatives of every state reachable from every assignment.
    let params = HmapParams {
        keys: 3,
        max_ops: 4,
        reseed: false,
        ..HmapParams::default()
    };
    let mut reduced = HmapModel::new(params.clone(), None);
    reduced.key_symmetry = true;
    assert!(reduced.symmetry_at_init());
    assert!(reduced.symmetry_fn().is_none());
    let init = reduced.init_states();
    assert_eq!(
        init.len(),
        4,
        "one assignment in hash order per set of 3 of 4 hashes"
    );
    let at_init: std::collections::HashSet<HmapState> =
        reachable(&reduced, init).into_iter().collect();

    let full = HmapModel::new(params.clone(), None);
    let ctx = super::symmetry::key_symmetry_ctx(&full.assignments, &full.hash_fns);
    let again: HmapModel = HmapModel::new(params, None);
    let ctx_again = super::symmetry::key_symmetry_ctx(&again.assignments, &again.hash_fns);
    assert!(
        std::ptr::eq(ctx.0.unwrap(), ctx_again.0.unwrap()),
        "the context is interned: one per model content"
    );
    let init: Vec<HmapState> = full
        .init_states()
        .into_iter()
        .map(|mut s| {
            s.sym = ctx;
            s
        })
        .collect();
    assert_eq!(init.len(), 24);
    let all = reachable(&full, init);
    let reps: std::collections::HashSet<HmapState> =
        all.iter().map(super::symmetry::representative).collect();
    assert!(all.len() > 4 * reps.len(), "the reduction reduces");
    assert_eq!(at_init.len(), reps.len());
    assert!(reps.iter().all(|r| at_init.contains(r)));
}

/// One-slot buckets, B = 2 from hint 4: k1 -> k2 -> k3 chained in bucket 0. An iterator
/// yields k1 and k2 (it is then in the first overflow bucket), then mapclear runs.
fn cleared_during_iteration(go: GoRelease) -> (Machine, HmapState) {
    let geo = Geometry {
        bucket_cnt: 1,
        load_factor_num: 1,
        load_factor_den: 1,
    };
    let m = Machine { go, ..machine(geo) };
    let mut s = m.makemap(4, 0, hashes(&[(1, h(5, 0)), (2, h(6, 0)), (3, h(7, 0))]));
    s.ghost.abs = vec![0; 4];
    for k in 1..=3 {
        step(&m, &mut s, assign(k, 1));
    }
    assert_eq!((s.h.b, s.array(s.h.buckets.unwrap())[0].len()), (2, 3));
    let init = HmapAction::IterInit {
        start_bucket: 0,
        offset: 0,
    };
    let first = step(&m, &mut s, init);
    assert_eq!(
        first,
        Outcome::Yield {
            iter: 0,
            kv: Some((1, 1))
        }
    );
    let second = step(&m, &mut s, HmapAction::IterNext { iter: 0 });
    assert_eq!(
        second,
        Outcome::Yield {
            iter: 0,
            kv: Some((2, 1))
        }
    );
    step(&m, &mut s, HmapAction::Clear { reseed: Some(0) });
    assert_eq!((s.h.count, s.h.noverflow), (0, 0));
    // h.buckets keeps its identity, zeroed: one bmap per chain.
    assert!(s
        .buckets()
        .unwrap()
        .iter()
        .all(|c| c.len() == 1 && c[0] == Bmap::default()));
    (m, s)
}

#[test]
fn mapclear_of_go_1_19_leaves_the_iterator_its_overflow_buckets() {
    let (m, mut s) = cleared_during_iteration(GoRelease::Go1_19);
    assert_eq!(s.h.clear_seq, 0);
    let out = step(&m, &mut s, HmapAction::IterNext { iter: 0 });
    assert_eq!(
        out,
        Outcome::Yield {
            iter: 0,
            kv: Some((3, 1))
        }
    );
    assert_ne!(s.ghost.violations & viol::ITER_DELETED_KEY, 0);
}

#[test]
fn mapclear_of_go_1_21_marks_the_overflow_buckets_empty_rest() {
    let (m, mut s) = cleared_during_iteration(GoRelease::Go1_21);
    let Some(Bptr::Bmap(p)) = s.iters[0].bptr else {
        panic!("it0 stands in a chain's bmap: {:?}", s.iters[0].bptr);
    };
    assert_eq!(s.bmap(p).tophash[0], EMPTY_REST);
    let out = step(&m, &mut s, HmapAction::IterNext { iter: 0 });
    assert_eq!(out, Outcome::Yield { iter: 0, kv: None });
}

#[test]
fn mapclear_of_go_1_24_counts_clear_seq_and_the_iterator_looks_keys_up_again() {
    let (m, mut s) = cleared_during_iteration(GoRelease::Go1_24);
    assert_eq!((s.h.clear_seq, s.iters[0].clear_seq), (1, 0));
    // k3 is still in the detached overflow bucket, but mapaccessK does not find it.
    let out = step(&m, &mut s, HmapAction::IterNext { iter: 0 });
    assert_eq!(out, Outcome::Yield { iter: 0, kv: None });
    assert_eq!(s.ghost.violations & viol::ITER_DELETED_KEY, 0);
}

/// Go's geometry at `go` (Go 1.21's load factor is 12/2), all ghost state tracked.
fn go_machine(go: GoRelease) -> Machine {
    let geo = Geometry {
        load_factor_num: if go == GoRelease::Go1_21 { 12 } else { 13 },
        ..Geometry::GO
    };
    Machine { go, ..machine(geo) }
}

/// The hash of a key in bucket `bucket` of a B = 4 map (distinct tophash per key).
fn b4_hash(key: u64, bucket: u64) -> u64 {
    h(5 + key as u8, bucket)
}

/// Runs `it0` to its end: the keys it yields, and whether the checker's
/// iter_key_at_most_once saw a key yielded twice.
fn drain_keys(m: &Machine, s: &mut HmapState) -> (Vec<u64>, bool) {
    let mut keys = Vec::new();
    let mut twice = false;
    loop {
        match step(m, s, HmapAction::IterNext { iter: 0 }) {
            Outcome::Yield {
                kv: Some((k, _)), ..
            } => {
                keys.push(k);
                twice |= s.ghost.violations & viol::ITER_KEY_TWICE != 0;
            }
            Outcome::Yield { kv: None, .. } => return (keys, twice),
            out => panic!("mapiternext returned {out:?}"),
        }
    }
}

/// mapiterinit at `start_bucket` (offset 0) and mapiternext until `n` keys are yielded:
/// those keys, in order.
fn iterate_first(
    m: &Machine,
    s: &mut HmapState,
    start_bucket: u16,
    n: usize,
    name: &str,
) -> Vec<u64> {
    let init = HmapAction::IterInit {
        start_bucket,
        offset: 0,
    };
    let mut yielded = vec![];
    if let Outcome::Yield {
        kv: Some((k, _)), ..
    } = step(m, s, init)
    {
        yielded.push(k);
    }
    while yielded.len() < n {
        match step(m, s, HmapAction::IterNext { iter: 0 }) {
            Outcome::Yield {
                kv: Some((k, _)), ..
            } => yielded.push(k),
            out => panic!("{name}: {out:?}"),
        }
    }
    yielded
}

/// `clear(m)` with the hash function `new` of the new hash0.
fn clear_with(m: &Machine, s: &mut HmapState, new: &BTreeMap<u64, u64>) {
    let a = HmapAction::Clear { reseed: Some(1) };
    m.step(s, &a, Some(new), &mut Log::default()).unwrap();
}

/// `make(map[uint64]uint64, 60)`: B = 4 with two preallocated overflow buckets (18 bmaps of
/// 144 bytes fill the 2688-byte size class), as in tests/go-oracle's clear tests.
fn make_b4(m: &Machine, hashes: BTreeMap<u64, u64>) -> HmapState {
    let mut s = m.makemap(60, 0, hashes);
    s.ghost.abs = vec![0; 40];
    assert_eq!((s.h.b, s.h.prealloc_left), (4, 2));
    s
}

/// tests/go-oracle's TestClearRecycledOverflowYieldsTwice, on the model for every release:
/// bucket 3 holds 8 keys in its main bucket and 2 in the first preallocated overflow bucket
/// p0; an iterator stands in p0 (after yielding k9, p0's first key) when the map is cleared.
/// makeBucketArray zeroes p0 with the array; 16 assigns to bucket 4 then fill its main bucket
/// and p0, which newoverflow hands out again. The iterator walks p0 from its next slot
/// (k20..k26), p0's overflow is nil, so it goes on with bucket 4 and yields its main
/// bucket's keys and p0's again: k20..k26 twice, as real Go does.
#[test]
fn mapclear_zeroes_a_preallocated_overflow_bucket_and_newoverflow_hands_it_out_under_the_iterator()
{
    for &(name, go) in GoRelease::NAMES {
        let m = go_machine(go);
        let before: BTreeMap<u64, u64> = (1..=10).map(|k| (k, b4_hash(k, 3))).collect();
        let mut s = make_b4(&m, before);
        for k in 1..=10 {
            step(&m, &mut s, assign(k, k));
        }
        let arr = s.h.buckets.unwrap();
        let chain3 = &s.array(arr)[3];
        assert_eq!(chain3.len(), 2, "{name}");
        assert_eq!(chain3[1].prealloc_slot, Some(0), "{name}: p0");
        let yielded = iterate_first(&m, &mut s, 0, 9, name);
        assert_eq!(yielded, (1..=9).collect::<Vec<_>>(), "{name}");
        let p0 = BucketPtr {
            array: arr,
            chain: 3,
            depth: 1,
        };
        assert_eq!(s.iters[0].bptr, Some(Bptr::Bmap(p0)), "{name}");

        let after: BTreeMap<u64, u64> = (11..=26).map(|k| (k, b4_hash(k, 4))).collect();
        clear_with(&m, &mut s, &after);
        assert_eq!(s.h.prealloc_left, 2, "{name}: nextOverflow is p0 again");
        assert_eq!(
            s.iters[0].bptr,
            Some(Bptr::FreeOverflow {
                array: arr,
                slot: 0
            }),
            "{name}: the iterator stands in the zeroed p0"
        );
        for k in 11..=26 {
            step(&m, &mut s, assign(k, k));
        }
        let chain4 = &s.array(s.h.buckets.unwrap())[4];
        assert_eq!(chain4.len(), 2, "{name}");
        assert_eq!(
            chain4[1].prealloc_slot,
            Some(0),
            "{name}: p0 handed out again"
        );
        assert_eq!(
            s.iters[0].bptr,
            Some(Bptr::Bmap(BucketPtr { chain: 4, ..p0 })),
            "{name}: the iterator follows p0 into bucket 4's chain"
        );
        let (keys, twice) = drain_keys(&m, &mut s);
        let want: Vec<u64> = (20..=26).chain(11..=18).chain(19..=26).collect();
        assert_eq!(keys, want, "{name}");
        assert!(
            twice,
            "{name}: iter_key_at_most_once sees the keys yielded twice"
        );
    }
}

/// tests/go-oracle's TestClearSentinelOverflowYieldsTwice, on the model for every release:
/// bucket 3 takes the first preallocated overflow bucket (k9), bucket 15 the last (k18,
/// k19); an iterator started at bucket 1 stands in the last one (after yielding k18) when the
/// map is cleared. makeBucketArray zeroes it and sets its overflow pointer to the sentinel,
/// bucket 0, again; one assign puts k20 in bucket 0. The iterator finds nothing in the zeroed
/// bucket, follows the sentinel into bucket 0 (k20), then, bucket 15 done, wraps around to
/// bucket 0 and yields k20 again before it reaches its start bucket.
#[test]
fn mapclear_sets_the_last_preallocated_overflow_buckets_sentinel_under_the_iterator() {
    for &(name, go) in GoRelease::NAMES {
        let m = go_machine(go);
        let before: BTreeMap<u64, u64> = (1..=9)
            .map(|k| (k, b4_hash(k, 3)))
            .chain((10..=19).map(|k| (k, b4_hash(k, 15))))
            .collect();
        let mut s = make_b4(&m, before);
        for k in 1..=19 {
            step(&m, &mut s, assign(k, k));
        }
        assert_eq!(s.h.prealloc_left, 0, "{name}");
        let arr = s.h.buckets.unwrap();
        assert_eq!(
            s.array(arr)[15][1].prealloc_slot,
            Some(1),
            "{name}: the last"
        );
        let yielded = iterate_first(&m, &mut s, 1, 18, name);
        assert_eq!(yielded, (1..=18).collect::<Vec<_>>(), "{name}");

        let after: BTreeMap<u64, u64> = [(20, b4_hash(20, 0))].into_iter().collect();
        clear_with(&m, &mut s, &after);
        assert_eq!(
            s.iters[0].bptr,
            Some(Bptr::FreeOverflow {
                array: arr,
                slot: 1
            }),
            "{name}"
        );
        step(&m, &mut s, assign(20, 20));
        let (keys, twice) = drain_keys(&m, &mut s);
        assert_eq!(keys, vec![20, 20], "{name}");
        assert!(twice, "{name}");
    }
}

/// Checks `src` with bmaps of Go's eight slots and of `M` slots: the same unique states
/// (every state and fingerprint the same up to the slots past `bucket_cnt`, which are
/// zero), the same verdicts and counterexample lengths.
fn same_search_with_slots<const M: usize>(src: &str) {
    use crate::framework::info::SpecModel;
    let spec = crate::framework::spec::Spec::parse(std::path::Path::new("t.toml"), src).unwrap();
    let eight: HmapModel = HmapModel::from_spec(&spec).unwrap();
    let fewer = eight.clone().with_slots::<M>();
    crate::framework::check::assert_same_search(&spec, eight, fewer);
}

#[test]
fn bmaps_of_one_or_two_slots_change_no_count_or_verdict() {
    assert_eq!(
        (slots_for(1), slots_for(2), slots_for(4), slots_for(8)),
        (1, 2, MAX_BUCKET_CNT, MAX_BUCKET_CNT)
    );
    // One slot per bucket, growth and overflow (claim-s12-mapassign's configuration).
    same_search_with_slots::<1>(
        r#"model = "hmap"
[params]
keys = 3
hash_bits = 3
bucket_cnt = 1
load_factor = "1/2"
hint = 2
max_ops = 5
reseed = false
ops = ["assign", "delete"]
[search]
strategy = "bfs"
threads = 1
[expect]
unique_states = 57840
s12_assign_updates_in_place = "violated"
s12_assign_reuses_empty_one = "violated"
count_matches_live_entries = "holds"
"#,
    );
    // Two slots per bucket, overflow and emptyRest (hmap-empty-rest's configuration).
    same_search_with_slots::<2>(
        r#"model = "hmap"
[params]
keys = 3
hash_bits = 0
tophash_values = 3
bucket_cnt = 2
load_factor = "2/1"
max_ops = 8
ops = ["assign", "delete", "access"]
[search]
strategy = "bfs"
threads = 1
[expect]
unique_states = 4014
nothing_live_after_empty_rest = "holds"
access_agrees_with_abstract_map = "holds"
count_matches_live_entries = "holds"
reaches_empty_rest_across_overflow = "holds"
"#,
    );
}

/// Every state `model` reaches survives the packed encoding
/// ([`crate::framework::packed::assert_packs`]: the packed model's successors are stepped on
/// one state per thread, reused from successor to successor), and a state copied over
/// another with `HmapState::copy_from` is equal to the one copied.
fn assert_packs<const N: usize>(model: HmapModel<N>) -> usize {
    let states = crate::framework::packed::assert_packs(&model);
    // The states that have done their operations are terminal: their tokens were checked.
    let done = states.iter().filter(|s| s.ops >= model.params.max_ops);
    assert!(
        done.clone().count() > 0
            && done
                .clone()
                .all(|s| crate::framework::packed::PackCodec::is_terminal(&model, s))
    );
    let mut scratch = model.init_states().remove(0);
    for s in &states {
        scratch.copy_from(s);
        assert_eq!(&scratch, s);
    }
    states.len()
}

#[test]
fn packed_states_decode_to_the_states_they_encode() {
    // Go's eight slots, reseeds, iterators.
    let n = assert_packs(HmapModel::<8>::new(
        HmapParams {
            max_ops: 4,
            ..HmapParams::default()
        },
        None,
    ));
    assert!(n > 1000, "{n}");
    // One slot: overflow chains, growth, mapclear of Go 1.24 (clearSeq) during iteration,
    // with preallocated overflow buckets (B = 4 from the hint).
    let mut params = HmapParams {
        keys: 3,
        max_ops: 4,
        hint: 16,
        geo: Geometry {
            bucket_cnt: 1,
            load_factor_num: 1,
            load_factor_den: 1,
        },
        go_version: GoRelease::Go1_24,
        ..HmapParams::default()
    };
    params.ops.clear = true;
    let n = assert_packs(HmapModel::<1>::new(params.clone(), None));
    assert!(n > 1000, "{n}");
    // The same with a table that fills after a few arrays: the states hold arrays by number
    // and arrays spelled out, side by side.
    let mut model = HmapModel::<1>::new(params, None);
    let one = super::intern::ArrayTable::<1>::entry_bytes(4);
    model.arrays_table = std::sync::Arc::new(super::intern::ArrayTable::with_cap(20 * one));
    let table = std::sync::Arc::clone(&model.arrays_table);
    let m = assert_packs(model);
    assert_eq!(m, n);
    assert!(table.is_full() && table.len() >= 5, "{}", table.len());
}

#[test]
fn packed_state_with_a_hash_function_not_the_models() {
    let model = HmapModel::<2>::new(HmapParams::default(), None);
    let packed = super::packed::PackedHmap::new(model.clone());
    let mut s = model.init_states().remove(0);
    s.hashes.insert(1, 0x1234_5678_9abc_def0);
    let p = packed.encode(&s);
    assert_eq!(packed.decode(&p), s);
    assert!(p != packed.encode(&model.init_states().remove(0)));
}

#[test]
fn packed_model_searches_the_same_states() {
    let params = HmapParams {
        keys: 3,
        max_ops: 5,
        ..HmapParams::default()
    };
    let model = HmapModel::<2>::new(params, None);
    let plain = model.clone().checker().spawn_bfs().join();
    let packed = super::packed::PackedHmap::new(model)
        .checker()
        .spawn_bfs()
        .join();
    assert!(
        plain.unique_state_count() > 20_000,
        "{}",
        plain.unique_state_count()
    );
    assert_eq!(packed.unique_state_count(), plain.unique_state_count());
    assert_eq!(packed.state_count(), plain.state_count());
}

#[test]
fn a_write_after_copy_from_reuses_the_array_the_last_step_wrote() {
    let mut bm = Bmap::<1>::ZERO;
    bm.keys[0] = 1;
    let mut src = Arena::<1>::default();
    src.push(BucketArray::from_chains([vec![bm], Vec::new()]));
    // A state stepped in place: a copy of `src` whose step writes array 0 (copied on write).
    let mut scratch = src.clone();
    scratch[0][0][0].keys[0] = 7;
    let written: *const BucketArray<1> = &scratch[0];
    assert_eq!(src[0][0][0].keys[0], 1);
    // The next successor: equal to `src` again, the written array kept as a spare...
    assert_eq!(scratch.spares(), 0);
    scratch.copy_from(&src);
    assert!(scratch == src);
    assert_eq!(scratch.spares(), 1);
    assert!(!std::ptr::eq(&scratch[0], written));
    // ...which the next write copies `src`'s contents into, instead of a new allocation.
    scratch[0][0][0].elems[0] = 9;
    assert_eq!(scratch.spares(), 0);
    assert!(std::ptr::eq(&scratch[0], written));
    assert_eq!(
        (scratch[0][0][0].keys[0], scratch[0][0][0].elems[0]),
        (1, 9)
    );
    assert_eq!(scratch[0].len(), 2);
    assert_eq!((src[0][0][0].keys[0], src[0][0][0].elems[0]), (1, 0));
    // A clone carries no spares: its first write copies as before, leaving `scratch` alone.
    scratch.copy_from(&src);
    assert_eq!(scratch.spares(), 1);
    let mut clone = scratch.clone();
    assert_eq!(clone.spares(), 0);
    clone[0][0][0].elems[0] = 3;
    assert_eq!(scratch[0][0][0].elems[0], 0);
}

/// Arrays 64 and up carry no ownership mark: every write copies them if shared, and a
/// written array's digest is computed again when sealed.
#[test]
fn arrays_past_the_ownership_marks_are_copied_on_write() {
    let mut a: Arena<1> = (0..70).map(array).collect();
    a.seal();
    let before = a.digest_of(66);
    let clone = a.clone();
    a[66][0][0].keys[0] = 1000;
    assert_eq!(clone[66][0][0].keys[0], 66, "the clone keeps its array");
    a[66][0][0].elems[0] = 5;
    assert_eq!((a[66][0][0].keys[0], a[66][0][0].elems[0]), (1000, 5));
    assert_eq!((clone[66][0][0].keys[0], clone[66][0][0].elems[0]), (66, 0));
    a.seal();
    assert_ne!(a.digest_of(66), before, "the written array's digest is new");
    assert_eq!(clone.digest_of(66), before);
    assert_eq!(a.digest_of(65), clone.digest_of(65));
}

/// An array of one chain of one bmap, whose one slot holds key `k`.
fn array(k: u64) -> BucketArray<1> {
    let mut bm = Bmap::<1>::ZERO;
    bm.keys[0] = k;
    BucketArray::from_chains([vec![bm]])
}

/// A node as a step leaves an array it wrote: no digest kept, no table's number.
fn written(a: BucketArray<1>) -> ArrayNode<1> {
    ArrayNode {
        digest: None,
        interned: None,
        array: a,
    }
}

/// The table of arrays (hmap::intern) numbers each content once: equal arrays in distinct
/// allocations get one number, distinct ones distinct numbers, even when their digests are
/// equal, and a table's node keeps its number and digest.
#[test]
fn the_table_of_arrays_numbers_each_content_once() {
    use super::intern::{ArrayTable, DEFAULT_CAP};
    let t = ArrayTable::<1>::with_cap(DEFAULT_CAP);
    let intern = |n: &ArrayNode<1>| t.intern(n).expect("a table far from full");
    let (a, b) = (intern(&written(array(1))), intern(&written(array(2))));
    assert_ne!(a, b);
    assert_eq!(
        intern(&written(array(1))),
        a,
        "an equal array, another allocation"
    );
    assert_eq!(t.len(), 2);
    let node = t.get(a);
    assert_eq!((node.interned, node.array == array(1)), (Some(a), true));
    assert_eq!(node.digest, Some(written(array(1)).digest()));
    assert_eq!(intern(node), a);
    // Another table's node is looked up by its contents here.
    let other = ArrayTable::<1>::with_cap(DEFAULT_CAP);
    let x = other.intern(&written(array(9))).unwrap();
    let y = other.intern(&written(array(1))).unwrap();
    assert_eq!(intern(other.get(y)), a);
    let z = intern(other.get(x));
    assert!(t.get(z).array == array(9) && z != x);
    assert_eq!(t.len(), 3);
    // Two distinct arrays whose digests are said to be equal: two numbers under one digest,
    // each found again by its contents.
    let collide = |k| ArrayNode {
        digest: Some(42),
        ..written(array(k))
    };
    let (c, d) = (intern(&collide(3)), intern(&collide(4)));
    assert_ne!(c, d);
    assert_eq!((intern(&collide(4)), intern(&collide(3))), (d, c));
    assert!(t.get(d).array == array(4));
    assert_eq!(t.len(), 5);
}

/// A table stops adding arrays at its cap, for good: it still names the arrays it holds, and
/// refuses every other one, a smaller one too, and one it refused before.
#[test]
fn a_full_table_adds_no_array_and_still_names_its_own() {
    use super::intern::ArrayTable;
    let t = ArrayTable::<1>::with_cap(3 * ArrayTable::<1>::entry_bytes(1));
    let ids: Vec<Option<u32>> = (1..=4).map(|k| t.intern(&written(array(k)))).collect();
    assert_eq!(ids, [Some(0), Some(1), Some(2), None]);
    assert!(t.is_full());
    assert_eq!(t.intern(&written(array(4))), None);
    assert_eq!(
        t.intern(&written(BucketArray::default())),
        None,
        "a smaller array"
    );
    assert_eq!(t.intern(&written(array(2))), Some(1));
    assert_eq!(t.len(), 3);
}

/// A table asked mostly for arrays it does not hold (states that share their arrays little)
/// stops adding them after a window of lookups; one asked again and again for the same few
/// arrays goes on.
#[test]
fn a_table_asked_mostly_for_new_arrays_stops_adding_them() {
    use super::intern::{ArrayTable, BATCH, DEFAULT_CAP, WINDOW};
    let t = ArrayTable::<1>::with_cap(DEFAULT_CAP);
    let mut k = 0;
    while k < WINDOW + 2 * BATCH {
        k += 1;
        if t.intern(&written(array(k))).is_none() {
            break;
        }
    }
    assert!(t.is_full(), "still adding after {k} new arrays");
    assert!(k >= WINDOW - BATCH, "full after {k} new arrays");
    assert_eq!(t.intern(&written(array(k + 1))), None);
    assert!(t.intern(&written(array(1))).is_some());
    let u = ArrayTable::<1>::with_cap(DEFAULT_CAP);
    for i in 0..3 * WINDOW {
        assert!(u.intern(&written(array(1 + i % 16))).is_some());
    }
    assert!(!u.is_full());
    assert_eq!(u.len(), 16);
}

/// Two threads interning the same arrays in opposite orders agree on every number, and the
/// table holds each array once.
#[test]
fn two_threads_interning_the_same_arrays_agree_on_their_numbers() {
    use super::intern::{ArrayTable, DEFAULT_CAP};
    let t = ArrayTable::<1>::with_cap(DEFAULT_CAP);
    let n = 2_000u64;
    let intern = |k| t.intern(&written(array(k))).expect("a table far from full");
    let (up, down) = std::thread::scope(|sc| {
        let up = sc.spawn(|| (1..=n).map(intern).collect::<Vec<_>>());
        let down = sc.spawn(|| {
            let mut v: Vec<u32> = (1..=n).rev().map(intern).collect();
            v.reverse();
            v
        });
        (up.join().unwrap(), down.join().unwrap())
    });
    assert_eq!(up, down);
    assert_eq!(t.len(), n as usize);
    for (k, &id) in (1..=n).zip(&up) {
        assert!(t.get(id).array == array(k));
    }
}

/// A state decoded from packed bytes holds the table's arrays; a step's write copies the
/// array first, so the table and every other state decoded from it keep theirs.
#[test]
fn a_write_to_a_decoded_state_leaves_the_table_as_it_was() {
    use crate::framework::packed::Packed;
    let mut model = HmapModel::<1>::new(
        HmapParams {
            keys: 2,
            max_ops: 2,
            geo: Geometry {
                bucket_cnt: 1,
                load_factor_num: 1,
                load_factor_den: 1,
            },
            ..HmapParams::default()
        },
        None,
    );
    // The table as a build against the patched stateright has it.
    model.arrays_table = std::sync::Arc::new(super::intern::ArrayTable::with_cap(
        super::intern::DEFAULT_CAP,
    ));
    let packed = Packed::new(model.clone());
    // A map of one array: the first assign makes it (B = 0 maps allocate then).
    let init = model
        .next_state(&model.init_states()[0], assign(1, 1))
        .unwrap();
    assert_eq!(init.arrays.len(), 1);
    let p = packed.encode(&init);
    let mut s = packed.decode(&p);
    assert!(s == init);
    let id = model.arrays_table.intern(s.arrays.node(0)).unwrap();
    assert!(std::sync::Arc::ptr_eq(
        s.arrays.node(0),
        model.arrays_table.get(id)
    ));
    let before = model.arrays_table.get(id).array.clone();
    s.arrays[0][0][0].keys[0] = 99;
    assert!(model.arrays_table.get(id).array == before);
    assert_eq!(s.arrays.node(0).interned, None);
    assert!(packed.decode(&p) == init);
    // The written state is encoded with a new number for its new array.
    let q = packed.encode(&s);
    assert!(packed.decode(&q) == s && q != p);
    assert_eq!(model.arrays_table.len(), 2);
}

/// A state decoded in place (hmap::packed: `release`, then `push_own` or `push_shared` per
/// array) writes only into arrays no other state holds: into the ones it held alone (kept as
/// spares, their allocations reused) or into new ones, never into one a clone shares.
#[test]
fn a_decoded_arena_writes_only_into_arrays_it_holds_alone() {
    let key = |a: &Arena<1>, i: usize| a[i][0][0].keys[0];
    // Array 0 shared with `b`, array 1 the arena's own.
    let mut a: Arena<1> = [array(1), array(2)].into_iter().collect();
    let b = a.clone();
    a[1][0][0].keys[0] = 20;
    let own: *const BucketArray<1> = &a[1];
    a.release();
    assert_eq!((a.len(), a.spares()), (0, 1));
    for k in [100, 101] {
        a.push_own().push_chain(&array(k)[0]);
    }
    assert_eq!((key(&a, 0), key(&a, 1)), (100, 101));
    assert!(std::ptr::eq(&a[0], own), "the array it held alone, reused");
    assert_eq!(
        (key(&b, 0), key(&b, 1)),
        (1, 2),
        "the clone keeps its arrays"
    );
    // A successor stepped from `a` shares its arrays until it releases them; then `a`
    // decodes into the same allocations again, beside an array of a table, shared.
    let mut next = Arena::<1>::default();
    next.copy_from(&a);
    let before: Vec<*const BucketArray<1>> = (0..2).map(|i| &a[i] as *const _).collect();
    next.release();
    a.release();
    a.push_own().push_chain(&array(102)[0]);
    let table_node = std::sync::Arc::new(ArrayNode {
        digest: None,
        interned: Some(0),
        array: array(7),
    });
    a.push_shared(&table_node);
    a.push_own().push_chain(&array(103)[0]);
    assert_eq!((key(&a, 0), key(&a, 1), key(&a, 2)), (102, 7, 103));
    assert!(before.contains(&(&a[0] as *const _)) && before.contains(&(&a[2] as *const _)));
    // Without the release, the successor's arrays are not written: new ones are.
    let mut held = Arena::<1>::default();
    held.copy_from(&a);
    a.release();
    a.push_own().push_chain(&array(104)[0]);
    assert_eq!((key(&a, 0), key(&held, 0), key(&held, 2)), (104, 102, 103));
    // A write to the shared array copies it: the table's node keeps its contents.
    a.push_shared(&table_node);
    a[1][0][0].keys[0] = 8;
    assert_eq!((key(&a, 1), table_node.array[0][0].keys[0]), (8, 7));
}

#[test]
fn copy_from_shares_every_array_of_its_source_whatever_it_held() {
    let shares_all = |a: &Arena<1>, b: &Arena<1>| {
        a.len() == b.len() && (0..a.len()).all(|i| std::ptr::eq(&a[i], &b[i]))
    };
    let mut src = Arena::<1>::default();
    src.push(array(1));
    src.push(array(2));
    // A step wrote array 0; array 1 is still `src`'s own.
    let mut scratch = src.clone();
    scratch[0][0][0].keys[0] = 7;
    assert!(std::ptr::eq(&scratch[1], &src[1]) && !std::ptr::eq(&scratch[0], &src[0]));
    scratch.copy_from(&src);
    assert!(scratch == src && shares_all(&scratch, &src));
    // A longer source, then a shorter one holding none of the same arrays.
    let mut three = src.clone();
    three.push(array(3));
    scratch.copy_from(&three);
    assert!(scratch == three && shares_all(&scratch, &three));
    let one: Arena<1> = [array(4)].into_iter().collect();
    scratch.copy_from(&one);
    assert!(scratch == one && shares_all(&scratch, &one));
    assert_eq!(scratch[0][0][0].keys[0], 4);
    // A write after that copies `one`'s array and leaves the others as they were.
    scratch[0][0][0].keys[0] = 5;
    assert_eq!(one[0][0][0].keys[0], 4);
    assert_eq!(
        (0..3).map(|i| three[i][0][0].keys[0]).collect::<Vec<_>>(),
        [1, 2, 3]
    );
}

/// An arena writes the arrays it marks as its own in place, without testing their counts:
/// every way another arena comes to share one (a clone, `copy_from`) must clear the mark, and
/// `reorder` must move each mark with its array, or a write would change a state it shares
/// with.
#[test]
fn a_write_never_reaches_an_array_another_arena_shares() {
    let key = |a: &Arena<1>, i: usize| a[i][0][0].keys[0];
    // Pushed arrays are the arena's own; a clone shares them.
    let mut a: Arena<1> = [array(1), array(2)].into_iter().collect();
    a[0][0][0].keys[0] = 10;
    let b = a.clone();
    a[0][0][0].keys[0] = 11;
    a[1][0][0].keys[0] = 12;
    assert_eq!((key(&b, 0), key(&b, 1)), (10, 2));
    assert_eq!((key(&a, 0), key(&a, 1)), (11, 12));
    // `copy_from` shares its source's arrays.
    let mut src: Arena<1> = [array(1)].into_iter().collect();
    src[0][0][0].keys[0] = 3;
    let mut scratch = Arena::<1>::default();
    scratch.copy_from(&src);
    src[0][0][0].keys[0] = 4;
    assert_eq!(key(&scratch, 0), 3);
    scratch[0][0][0].keys[0] = 5;
    assert_eq!(key(&src, 0), 4);
    // `reorder`: array 0 the arena's own, array 1 shared with `c`; swapped, the shared one
    // (now 0) is copied before the write, the own one (now 1) written in place.
    let mut r: Arena<1> = [array(1), array(2)].into_iter().collect();
    let c = r.clone();
    r[0][0][0].keys[0] = 6;
    let own: *const BucketArray<1> = &r[0];
    r.reorder(&[1, 0]);
    r[0][0][0].keys[0] = 7;
    r[1][0][0].keys[0] = 8;
    assert_eq!((key(&c, 0), key(&c, 1)), (1, 2));
    assert_eq!((key(&r, 0), key(&r, 1)), (7, 8));
    assert!(std::ptr::eq(&r[1], own));
    // Dropped by `reorder`, an array's mark does not pass to another.
    let mut d: Arena<1> = [array(1), array(2)].into_iter().collect();
    let e = d.clone();
    d[0][0][0].keys[0] = 9;
    d.reorder(&[1]);
    d[0][0][0].keys[0] = 10;
    assert_eq!(key(&e, 1), 2);
}

/// `next_state_in` (what a checker with upstream/stateright's patch 0011 calls) gives the
/// state `next_state` gives, whatever state `out` held before: none, the successor of another
/// action, or a state of another part of the search. Every state reachable within four
/// operations, every action, one slot per bucket (overflow chains, growth, iterators).
#[test]
fn a_successor_computed_in_place_is_the_one_next_state_gives() {
    let mut params = HmapParams {
        keys: 3,
        max_ops: 4,
        geo: Geometry {
            bucket_cnt: 1,
            load_factor_num: 1,
            load_factor_den: 1,
        },
        ..HmapParams::default()
    };
    params.ops.clear = true;
    let model = HmapModel::<1>::new(params, None);
    let fingerprint = |s: &HmapState<1>| ahash::RandomState::with_seeds(1, 2, 3, 4).hash_one(s);
    let mut seen = std::collections::HashSet::new();
    let mut stack = model.init_states();
    let mut out: Option<HmapState<1>> = None;
    let mut other: Option<HmapState<1>> = None;
    let (mut checked, mut reused) = (0, 0);
    while let Some(s) = stack.pop() {
        if !seen.insert(fingerprint(&s)) {
            continue;
        }
        let mut actions = Vec::new();
        model.actions(&s, &mut actions);
        for a in actions {
            let want = model.next_state(&s, a.clone()).expect("a successor");
            reused += usize::from(out.is_some());
            model.next_state_in(&s, a.clone(), &mut out);
            let got = out.as_ref().expect("a successor in out");
            assert!(*got == want, "{a:?} from {s:?}");
            assert_eq!(fingerprint(got), fingerprint(&want), "{a:?}");
            // Into a state of another part of the search.
            if let Some(o) = other.as_mut() {
                let mut into = Some(o.clone());
                model.next_state_in(&s, a.clone(), &mut into);
                assert!(into.as_ref() == Some(&want), "{a:?} into another state");
            }
            checked += 1;
            stack.push(want);
        }
        other = Some(s);
    }
    assert!(checked > 10_000, "{checked}");
    assert_eq!(reused, checked - 1);
}

/// `merge_read_only`: on every reachable state of four configurations (one-slot and
/// two-slot bmaps, growth in progress, iterators, mapclear, reseeds, the claims' ghost bits
/// tracked and not), the checker's action list is the full one less some `mapaccess2`,
/// `mapdelete` and `mapassign` actions, in the same order, and each action left out has the
/// successor of an action kept before it. So the successors are the same, met in the same
/// order.
#[test]
fn read_only_actions_merge_only_equal_successors() {
    let configs = [
        // claim-s16-read-during-growth's, with fewer operations; only the abstract map.
        r#"model = "hmap"
[params]
keys = 3
hash_bits = 3
bucket_cnt = 1
load_factor = "1/2"
hint = 2
values = 2
max_ops = 4
reseed = false
ops = ["assign", "delete", "access"]
[expect]
access_agrees_with_abstract_map = "holds""#,
        // Every property, so every ghost bit: claims, iterators, reseeds.
        r#"model = "hmap"
[params]
keys = 3
max_ops = 4
[expect]
count_matches_live_entries = "holds""#,
        r#"model = "hmap"
[params]
keys = 2
hash_bits = 2
bucket_cnt = 1
load_factor = "1/2"
max_ops = 5
ops = ["assign", "delete", "access", "iterate", "clear"]
go_version = "1.24"
[search]
strategy = "dfs"
[expect]
s14_read_checks_new_then_old = "violated"
s12_assign_updates_in_place = "holds"
s11_delete_clears_key = "violated"
reaches_access_during_growth = "holds""#,
        r#"model = "hmap"
[params]
keys = 3
hash_bits = 3
bucket_cnt = 1
load_factor = "1/2"
hint = 2
max_ops = 4
reseed = false
ops = ["assign", "delete", "access"]
[expect]
s14_read_checks_new_then_old = "violated"
access_agrees_with_abstract_map = "holds""#,
    ];
    for (n, src) in configs.iter().enumerate() {
        use crate::framework::info::SpecModel;
        let spec =
            crate::framework::spec::Spec::parse(std::path::Path::new("t.toml"), src).unwrap();
        let merged: HmapModel = HmapModel::from_spec(&spec).unwrap();
        assert!(merged.merge_read_only, "the checker's model merges");
        let full = merged.explorer_model();
        assert!(!full.merge_read_only, "the explorer's lists every action");
        let (mut states, mut listed, mut dropped) = (0, 0, 0);
        for s in reachable(&full, full.init_states()) {
            let (mut all, mut kept) = (Vec::new(), Vec::new());
            full.actions(&s, &mut all);
            merged.actions(&s, &mut kept);
            let mut k = kept.iter().peekable();
            let mut before: Vec<HmapState> = Vec::new();
            for a in &all {
                let next = full.next_state(&s, a.clone()).unwrap();
                if k.peek() == Some(&a) {
                    k.next();
                    before.push(next);
                    continue;
                }
                dropped += 1;
                assert!(
                    matches!(
                        a,
                        HmapAction::Access { .. }
                            | HmapAction::Delete { reseed: None, .. }
                            | HmapAction::Assign { .. }
                    ),
                    "config {n}: {a} left out"
                );
                assert!(
                    before.contains(&next),
                    "config {n}: {a} left out at a state where no action before it has its successor:\n{}",
                    full.state_text(&s)
                );
            }
            assert_eq!(
                k.next(),
                None,
                "config {n}: the kept actions are the full list's, in order"
            );
            states += 1;
            listed += all.len();
        }
        assert!(
            dropped * 10 > listed,
            "config {n}: {dropped} of {listed} actions merged over {states} states"
        );
    }
}
