//! Unit tests of the hmap model's transition function, called as a plain function (no
//! checker), in the style of Go's runtime/map_test.go.

use super::state::*;
use super::steps::{viol, Geometry, GoRelease, Machine, Track};
use super::{HmapModel, HmapParams};
use crate::framework::log::Log;
use stateright::Model;
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
        assert_eq!(m.makemap(hint, 0, BTreeMap::new()).h.b, b, "hint {hint}");
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
    let model = HmapModel::new(HmapParams::default(), None);
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
