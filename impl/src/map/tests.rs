//! Unit tests of `GoMap`, in the manner of Go's runtime/map_test.go: each pins one
//! behaviour of Go 1.19's map (bucket layout, tombstones, growth, iteration).

use std::cell::Cell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;

use super::*;

/// hash(key) = key: the bucket is the key's low bits and the tophash its top byte
/// (5 for small keys), so tests can place keys where they want.
#[derive(Clone, Debug, Default)]
struct IdentityHasher {
    calls: Rc<Cell<usize>>,
}

impl MapHasher<u64> for IdentityHasher {
    fn hash(&self, key: &u64, _hash0: u32) -> u64 {
        self.calls.set(self.calls.get() + 1);
        *key
    }
}

/// A random source that answers from scripted queues and counts draws.
#[derive(Clone, Debug, Default)]
struct Scripted {
    fastrand: VecDeque<u32>,
    iter_starts: VecDeque<u64>,
    hash0s: u32,
    draws: usize,
}

impl RandomSource for Scripted {
    fn fastrand(&mut self) -> u32 {
        self.draws += 1;
        self.fastrand.pop_front().expect("scripted fastrand")
    }
    fn hash0(&mut self) -> u32 {
        self.draws += 1;
        self.hash0s += 1;
        self.hash0s
    }
    fn iter_start(&mut self, _b: u8, _bits: u8) -> u64 {
        self.draws += 1;
        self.iter_starts.pop_front().unwrap_or(0)
    }
}

type IdMap = GoMap<u64, u64, IdentityHasher, Scripted>;

fn id_map(params: MapParams, hint: usize) -> IdMap {
    GoMap::makemap(params, hint, IdentityHasher::default(), Scripted::default())
}

fn checked<K, V, H, R>(m: &GoMap<K, V, H, R>)
where
    K: Copy + Eq + Default + std::hash::Hash + fmt::Debug,
    V: Copy + Default + fmt::Debug,
    H: MapHasher<K>,
    R: RandomSource,
{
    if let Err(v) = m.check_invariants() {
        panic!("{v}");
    }
}

fn chain(m: &IdMap, idx: usize) -> Chain<u64, u64> {
    m.snapshot().buckets.expect("buckets")[idx].clone()
}

#[test]
fn makemap_picks_go_b_and_preallocates_go_overflow_buckets_for_each_hint() {
    // (hint, B, preallocated overflow buckets), measured on Go 1.19.8 (144-byte buckets).
    let table = [
        (0, 0, 0),
        (8, 0, 0),
        (9, 1, 0),
        (13, 1, 0),
        (14, 2, 0),
        (27, 3, 0),
        (53, 4, 2),
        (105, 5, 5),
        (209, 6, 7),
        (417, 7, 14),
        (833, 8, 28),
        (1665, 9, 56),
        (3329, 10, 113),
        (6657, 11, 170),
        (13313, 12, 284),
    ];
    for (hint, b, prealloc) in table {
        let m = id_map(MapParams::go(), hint);
        let s = m.snapshot();
        assert_eq!((s.b, s.prealloc_left), (b, prealloc), "hint {hint}");
        if b == 0 {
            assert!(s.buckets.is_none(), "B = 0 allocates lazily");
        } else {
            assert_eq!(s.buckets.as_ref().map(Vec::len), Some(1 << b));
        }
        assert_eq!((s.count, s.flags, s.noverflow, s.nevacuate), (0, 0, 0, 0));
        assert_eq!(m.random_ref().draws, 1, "makemap draws hash0 only");
    }
}

impl<K, V, H> GoMap<K, V, H, Scripted> {
    fn random_ref(&self) -> &Scripted {
        &self.rand
    }
}

#[test]
fn newoverflow_hands_out_preallocated_buckets_then_allocates() {
    let mut m = id_map(MapParams::go(), 53); // B = 4, 2 preallocated
    let stride = 16; // keys k * 16 + b land in bucket b
    for k in 0..9 {
        m.mapassign(k * stride, k);
    }
    assert_eq!((m.prealloc_left(), m.noverflow()), (1, 1));
    for k in 0..9 {
        m.mapassign(k * stride + 1, k);
    }
    // The last preallocated bucket had the sentinel; handing it out clears it.
    assert_eq!((m.prealloc_left(), m.noverflow()), (0, 2));
    assert_eq!(chain(&m, 1).len(), 2);
    for k in 0..9 {
        m.mapassign(k * stride + 2, k);
    }
    assert_eq!((m.prealloc_left(), m.noverflow()), (0, 3));
    assert_eq!(chain(&m, 2).len(), 2);
    checked(&m);
}

#[test]
fn delete_leaves_tombstones_and_empty_rest_propagates_back_across_overflow_buckets() {
    let mut m = id_map(MapParams::go(), 9); // B = 1; even keys go to bucket 0
    for k in 1..=9 {
        m.mapassign(2 * k, 100 + k);
    }
    assert_eq!(chain(&m, 0).len(), 2);
    assert_eq!(m.noverflow(), 1);
    // Deleting the 8 main-bucket entries leaves EMPTY_ONE: each has a live entry after it.
    for k in 1..=8 {
        m.mapdelete(&(2 * k));
        checked(&m);
    }
    let c = chain(&m, 0);
    assert_eq!(c[0].tophash, vec![EMPTY_ONE; 8]);
    assert_eq!(
        c[0].keys,
        (1..=8).map(|k| 2 * k).collect::<Vec<_>>(),
        "keys stay"
    );
    assert_eq!(c[0].elems, vec![0; 8], "elems are cleared");
    assert_eq!(c[1].tophash[0], MIN_TOP_HASH);
    // Deleting the last live entry turns the whole chain into EMPTY_REST.
    let h0 = m.hash0();
    m.mapdelete(&18);
    let c = chain(&m, 0);
    assert_eq!(c[0].tophash, vec![EMPTY_REST; 8]);
    assert_eq!(c[1].tophash, vec![EMPTY_REST; 8]);
    assert_eq!(c[1].keys[0], 18);
    assert_eq!(m.len(), 0);
    assert_ne!(m.hash0(), h0, "count 0 reseeds hash0");
    checked(&m);
}

#[test]
fn empty_rest_propagation_stops_at_a_live_slot() {
    let mut m = id_map(MapParams::go(), 0);
    for k in [2, 4, 6] {
        m.mapassign(k, k);
    }
    m.mapdelete(&4);
    assert_eq!(chain(&m, 0)[0].tophash[..4], [5, EMPTY_ONE, 5, EMPTY_REST]);
    m.mapdelete(&6);
    assert_eq!(
        chain(&m, 0)[0].tophash[..4],
        [5, EMPTY_REST, EMPTY_REST, EMPTY_REST]
    );
    // A new key takes the first empty slot.
    m.mapassign(8, 8);
    assert_eq!(chain(&m, 0)[0].keys[..3], [2, 8, 6]);
    checked(&m);
}

#[test]
fn hash0_is_reseeded_only_when_a_delete_empties_the_map() {
    let mut m: GoMap<u64, u64> = GoMap::new();
    let h0 = m.hash0();
    m.mapdelete(&1); // count 0: returns early, no reseed
    assert_eq!(m.hash0(), h0);
    m.mapassign(1, 10);
    m.mapassign(2, 20);
    m.mapdelete(&1);
    assert_eq!(m.hash0(), h0);
    m.mapdelete(&2);
    let h1 = m.hash0();
    assert_ne!(h1, h0);
    m.mapassign(2, 30);
    assert_eq!(m.get(&2), Some(30));
    assert_eq!(m.get(&1), None);
    checked(&m);
}

#[test]
fn same_size_growth_compacts_overflow_buckets() {
    let mut m = id_map(MapParams::go(), 9); // B = 1
    for k in 0..9 {
        m.mapassign(2 * k, k); // bucket 0 overflows
    }
    for k in 0..5 {
        m.mapdelete(&(2 * k));
    }
    for k in 0..9 {
        m.mapassign(2 * k + 1, k); // bucket 1 overflows
    }
    assert_eq!((m.len(), m.noverflow()), (13, 2));
    for k in 0..4 {
        m.mapdelete(&(2 * k + 1));
    }
    assert_eq!(m.len(), 9);
    assert!(too_many_overflow_buckets(m.noverflow(), m.b()));
    let old = m.array_identities().0;
    m.mapassign(100, 100); // absent key: hashGrow, same size; both buckets evacuated
    let (new, oldbuckets) = m.array_identities();
    assert_ne!(new, old, "a new array");
    assert_eq!(oldbuckets, None, "the growth finished within the assign");
    assert_eq!(
        (m.b(), m.noverflow(), m.flags(), m.nevacuate()),
        (1, 0, 0, 2)
    );
    assert_eq!(chain(&m, 0).len(), 1);
    assert_eq!(chain(&m, 1).len(), 1);
    assert_eq!(chain(&m, 0)[0].keys[..5], [10, 12, 14, 16, 100]);
    assert_eq!(chain(&m, 1)[0].keys[..5], [9, 11, 13, 15, 17]);
    checked(&m);
}

#[test]
fn mapaccess2_does_not_hash_when_b_is_zero() {
    let mut m = id_map(MapParams::go(), 0);
    m.mapassign(7, 70);
    let calls = m.hasher().calls.get();
    assert_eq!(m.mapaccess2(&7), Some(70));
    assert_eq!(m.mapaccess2(&8), None);
    assert_eq!(m.hasher().calls.get(), calls);
    for k in 0..20 {
        m.mapassign(k, k);
    }
    assert!(m.b() > 0);
    let calls = m.hasher().calls.get();
    assert_eq!(m.mapaccess2(&7), Some(7));
    assert_eq!(m.hasher().calls.get(), calls + 1);
}

#[test]
fn iterating_an_empty_map_draws_nothing_and_sets_no_flags() {
    let mut m = id_map(MapParams::go(), 0);
    let draws = m.random_ref().draws;
    let it = m.iter_init();
    assert_eq!(m.iter_next(it), None);
    assert_eq!(m.iter_next(it), None);
    assert_eq!((m.flags(), m.random_ref().draws), (0, draws));
}

#[test]
fn iterator_start_and_offset_come_from_r_as_in_go() {
    let mut m = id_map(MapParams::go(), 9); // B = 1
    for k in 0..6 {
        m.mapassign(k, k);
    }
    // r = startBucket | offset << B
    m.rand.iter_starts.push_back(1 | (3 << 1));
    let it = m.iter_init();
    assert_eq!(m.iter_start_of(it), (1, 3));
    assert_eq!(m.flags(), ITERATOR | OLD_ITERATOR);
    // Bucket 1 holds 1, 3, 5 in slots 0..3; offset 3 visits slots 3..7 then 0..2.
    let got: Vec<u64> = std::iter::from_fn(|| m.iter_next(it))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(got, vec![1, 3, 5, 0, 2, 4]);
}

#[test]
fn hash_grow_turns_the_iterator_flag_into_old_iterator() {
    let mut m = id_map(MapParams::go(), 0);
    for k in 0..8 {
        m.mapassign(k, k);
    }
    let _it = m.iter_init();
    assert_eq!(m.flags(), ITERATOR | OLD_ITERATOR);
    m.mapassign(8, 8); // 9 > 8: grow to B = 1
    assert_eq!(m.b(), 1);
    assert_eq!(
        m.flags(),
        OLD_ITERATOR,
        "oldIterator stays until the next grow"
    );
}

/// Go's iteration guarantees, checked for one iterator over a run of mutations:
/// no key twice (unless deleted in between: a re-created entry is a new one); each yielded (k, v) is live with that value when it was produced (the
/// first element by mapiterinit, each later one by its mapiternext); every key live from
/// the iterator's start to its end is yielded.
struct IterCheck {
    yielded: HashSet<u64>,
    at_start: HashSet<u64>,
    removed: HashSet<u64>,
}

impl IterCheck {
    fn new(model: &HashMap<u64, u64>) -> Self {
        IterCheck {
            yielded: HashSet::new(),
            at_start: model.keys().copied().collect(),
            removed: HashSet::new(),
        }
    }
    fn on_yield(&mut self, k: u64, v: u64, model: &HashMap<u64, u64>) {
        assert!(self.yielded.insert(k), "key {k} yielded twice");
        assert_eq!(model.get(&k), Some(&v), "yielded ({k}, {v}) is not current");
    }
    fn on_delete(&mut self, k: u64) {
        self.removed.insert(k);
        // Re-inserted later, it is a new entry, which Go may produce again.
        self.yielded.remove(&k);
    }
    fn on_done(&self) {
        for k in self.at_start.difference(&self.removed) {
            assert!(
                self.yielded.contains(k),
                "key {k} live throughout but never yielded"
            );
        }
    }
}

#[test]
fn growth_during_iteration_yields_every_old_key_once_with_current_values() {
    let mut m: GoMap<u64, u64> = GoMap::new();
    let mut model = HashMap::new();
    for k in 0..20 {
        m.mapassign(k, k);
        model.insert(k, k);
    }
    let it = m.iter_init();
    let mut chk = IterCheck::new(&model);
    for _ in 0..3 {
        let (k, v) = m.iter_next(it).expect("20 entries");
        chk.on_yield(k, v, &model);
    }
    for k in 20..400 {
        m.mapassign(k, k);
        model.insert(k, k);
        if k % 7 == 0 {
            // update an old key while growth is in progress
            m.mapassign(k % 20, k);
            model.insert(k % 20, k);
        }
        if k % 50 == 0 {
            if let Some((k, v)) = m.iter_next(it) {
                chk.on_yield(k, v, &model);
            }
        }
        checked(&m);
    }
    while let Some((k, v)) = m.iter_next(it) {
        chk.on_yield(k, v, &model);
    }
    chk.on_done();
    assert!(m.b() >= 6);
}

#[test]
fn delete_during_iteration_hides_deleted_keys_and_yields_the_rest() {
    let mut m: GoMap<u64, u64> = GoMap::new();
    let mut model = HashMap::new();
    for k in 0..50 {
        m.mapassign(k, k * 10);
        model.insert(k, k * 10);
    }
    let it = m.iter_init();
    let mut chk = IterCheck::new(&model);
    let (k0, v0) = m.iter_next(it).unwrap();
    chk.on_yield(k0, v0, &model);
    for k in (0..50).filter(|k| k % 3 == 0 && *k != k0) {
        m.mapdelete(&k);
        model.remove(&k);
        chk.on_delete(k);
    }
    while let Some((k, v)) = m.iter_next(it) {
        assert!(k % 3 != 0 || k == k0, "deleted key {k} yielded");
        chk.on_yield(k, v, &model);
    }
    chk.on_done();
    checked(&m);
}

#[test]
fn check_invariants_accepts_a_good_map_and_rejects_a_wrong_half_evacuation() {
    let mut good: GoMap<u64, u64> = GoMap::new();
    let mut bad: GoMap<u64, u64> = GoMap::new();
    bad.inject_fault(Fault::EvacuateWrongHalf);
    let mut seen = None;
    for k in 0..100 {
        good.mapassign(k, k);
        bad.mapassign(k, k);
        checked(&good);
        if let Err(v) = bad.check_invariants() {
            seen = Some(v);
            break;
        }
    }
    let v = seen.expect("a wrong-half evacuation breaks entries_in_home_bucket");
    assert_eq!(v.invariant, Invariant::EntriesInHomeBucket, "{v}");
    assert_eq!(v.invariant.name(), "entries_in_home_bucket");
}

#[test]
fn check_invariants_rejects_a_live_slot_after_empty_rest() {
    let mut m = id_map(MapParams::go(), 0);
    m.mapassign(2, 2);
    m.mapassign(4, 4);
    // Corrupt: make slot 0 EMPTY_REST while slot 1 stays live.
    let b = m.arena.bucket(m.buckets.unwrap(), 0);
    m.arena.set_th(b, 0, EMPTY_REST);
    m.count = 1;
    let v = m.check_invariants().expect_err("corrupted");
    assert_eq!(v.invariant, Invariant::NothingLiveAfterEmptyRest, "{v}");
}

#[test]
fn incrnoverflow_at_b16_counts_only_when_the_masked_fastrand_is_zero() {
    // B = 16: the smallest B with !overLoadFactor(13 * 2^14 + 1, B).
    let mut m = id_map(MapParams::go(), 13 * (1 << 14) + 1);
    assert_eq!(m.b(), 16);
    // mask = 1 << (16 - 15) - 1 = 1: draw 1 skips, draw 2 counts.
    m.rand.fastrand.extend([1, 2]);
    for k in 0..10 {
        m.mapassign(k << 16, k); // all in bucket 0: one overflow bucket at the 9th
    }
    assert_eq!((m.noverflow(), m.rand.fastrand.len()), (0, 1));
    for k in 0..9 {
        m.mapassign((k << 16) | 1, k);
    }
    assert_eq!((m.noverflow(), m.rand.fastrand.len()), (1, 0));
}

#[test]
fn map_params_are_validated_and_over_load_factor_is_go_integer_math() {
    assert!(MapParams::new(3, 13, 2).is_err());
    assert!(MapParams::new(16, 13, 2).is_err());
    assert!(MapParams::new(8, 13, 0).is_err());
    let p = MapParams::new(8, 13, 2).unwrap();
    assert_eq!(p, MapParams::go());
    assert_eq!(MapParams::new(2, 3, 2).unwrap().bucket_size, 48);
    assert!(!p.over_load_factor(8, 0));
    assert!(p.over_load_factor(9, 0));
    assert!(!p.over_load_factor(13, 1));
    assert!(p.over_load_factor(14, 1));
    assert!(!p.over_load_factor(26, 2));
    assert!(p.over_load_factor(27, 2));
    // 2^B / den is integer division: at B = 0 the threshold is 0 for den 2.
    let s = MapParams::new(2, 3, 2).unwrap();
    assert!(s.over_load_factor(3, 0));
    assert!(!s.over_load_factor(3, 1));
    assert!(s.over_load_factor(4, 1));
}

/// A random run against a reference map (as sync/map_reference_test.go does), with up to
/// three iterators interleaved, checking invariants after every op.
fn lockstep_run(params: MapParams, seed: u64, ops: usize, keys: u64, faults: &[Fault]) {
    let mut m: GoMap<u64, u64> =
        GoMap::makemap(params, 0, GoMemHasher::with_seed(seed), WyRand::new(seed));
    for f in faults {
        m.inject_fault(*f);
    }
    let mut model: HashMap<u64, u64> = HashMap::new();
    let mut rng = WyRand::new(seed ^ 0x5eed);
    let mut iters: Vec<(IterId, IterCheck)> = Vec::new();
    for step in 0..ops {
        let r = rng.fastrand() % 100;
        let k = rng.fastrand() as u64 % keys;
        match r {
            0..=49 => {
                let v = rng.fastrand() as u64;
                m.mapassign(k, v);
                model.insert(k, v);
            }
            50..=69 => {
                m.mapdelete(&k);
                model.remove(&k);
                for (_, c) in iters.iter_mut() {
                    c.on_delete(k);
                }
            }
            70..=84 => assert_eq!(m.get(&k), model.get(&k).copied(), "step {step} key {k}"),
            85..=89 => {
                if iters.len() < 3 {
                    // As in a range loop, the first element is found (and copied) by
                    // mapiterinit itself: check it now, against the map at this point.
                    let id = m.iter_init();
                    let mut c = IterCheck::new(&model);
                    match m.iter_next(id) {
                        Some((k, v)) => {
                            c.on_yield(k, v, &model);
                            iters.push((id, c));
                        }
                        None => c.on_done(),
                    }
                }
            }
            _ => {
                if !iters.is_empty() {
                    let n = rng.fastrand() as usize % iters.len();
                    let id = iters[n].0;
                    match m.iter_next(id) {
                        Some((k, v)) => iters[n].1.on_yield(k, v, &model),
                        None => {
                            iters[n].1.on_done();
                            iters.swap_remove(n);
                        }
                    }
                }
            }
        }
        if let Err(v) = m.check_invariants() {
            panic!("seed {seed} step {step}: {v}");
        }
        assert_eq!(m.len(), model.len());
        if step % 5 == 0 {
            range_matches_iter_next(&m, &format!("seed {seed} step {step}"));
        }
    }
    for (id, mut c) in iters {
        while let Some((k, v)) = m.iter_next(id) {
            c.on_yield(k, v, &model);
        }
        c.on_done();
    }
    // A fresh full iteration yields exactly the model.
    let id = m.iter_init();
    let mut all = HashMap::new();
    while let Some((k, v)) = m.iter_next(id) {
        assert!(all.insert(k, v).is_none());
    }
    assert_eq!(all, model);
}

/// `range()` on a copy of `m` yields what `iter_init`/`iter_next` yield on another copy,
/// and leaves the same map behind (flags, random draws, buckets).
fn range_matches_iter_next(m: &GoMap<u64, u64>, at: &str) {
    let mut a = m.clone();
    let mut b = m.clone();
    let got: Vec<(u64, u64)> = a.range().collect();
    let id = b.iter_init();
    let mut want = Vec::new();
    while let Some(kv) = b.iter_next(id) {
        want.push(kv);
    }
    assert_eq!(got, want, "{at}: range() and iter_next differ");
    assert_eq!(a.flags(), b.flags(), "{at}: flags");
    assert_eq!(a.snapshot(), b.snapshot(), "{at}: state");
    assert_eq!(
        a.random_source().fastrand(),
        b.random_source().fastrand(),
        "{at}: random draws"
    );
}

#[test]
fn range_yields_what_iter_next_yields_in_and_out_of_growth() {
    for p in [MapParams::go(), MapParams::new(2, 3, 2).unwrap()] {
        let mut m: GoMap<u64, u64> =
            GoMap::makemap(p, 0, GoMemHasher::with_seed(7), WyRand::new(7));
        let mut grew_mid = false;
        for k in 0..3000u64 {
            m.mapassign(k.wrapping_mul(0x9e37_79b9_7f4a_7c15), k);
            if k % 3 == 0 {
                m.mapdelete(&(k / 2).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            }
            grew_mid |= m.growing();
            range_matches_iter_next(&m, &format!("{p:?} after key {k}"));
        }
        assert!(grew_mid, "some states are mid-growth");
        m.mapclear();
        range_matches_iter_next(&m, "after mapclear");
    }
    let mut empty: GoMap<u64, u64> = GoMap::new();
    assert_eq!(empty.range().next(), None);
    assert_eq!(empty.flags(), 0);
}

#[test]
fn random_runs_at_go_parameters_match_a_reference_map_and_keep_invariants() {
    for seed in 0..4 {
        lockstep_run(MapParams::go(), seed, 3000, 400, &[]);
    }
}

#[test]
fn random_runs_at_scaled_parameters_match_a_reference_map_and_keep_invariants() {
    for (cnt, num, den) in [(2, 3, 2), (1, 1, 1), (4, 5, 2), (2, 1, 1)] {
        let p = MapParams::new(cnt, num, den).unwrap();
        for seed in 0..4 {
            lockstep_run(p, seed, 2000, 60, &[]);
        }
    }
}

#[test]
fn iteration_at_scaled_parameters_yields_every_entry_once() {
    let p = MapParams::new(2, 3, 2).unwrap();
    let mut m: GoMap<u64, u64> = GoMap::makemap(p, 0, GoMemHasher::default(), WyRand::default());
    for k in 0..50 {
        m.mapassign(k, k + 1);
    }
    assert!(m.b() >= 4);
    let it = m.iter_init();
    let mut seen = HashMap::new();
    while let Some((k, v)) = m.iter_next(it) {
        assert!(seen.insert(k, v).is_none(), "key {k} twice");
    }
    assert_eq!(seen, (0..50).map(|k| (k, k + 1)).collect::<HashMap<_, _>>());
    let s = m.snapshot();
    assert!(s
        .buckets
        .unwrap()
        .iter()
        .flatten()
        .all(|b| b.tophash.len() == 2));
}

#[test]
fn random_runs_catch_an_iterator_that_skips_the_re_lookup_of_evacuated_entries() {
    let p = MapParams::new(2, 3, 2).unwrap();
    let caught = (0..4).any(|seed| {
        std::panic::catch_unwind(|| lockstep_run(p, seed, 2000, 60, &[Fault::IterNoRelookup]))
            .is_err()
    });
    assert!(
        caught,
        "stale values from evacuated entries must be noticed"
    );
}

#[test]
fn a_bmap_of_u64_keys_and_elems_has_go_size() {
    assert_eq!(
        std::mem::size_of::<Bmap<u64, u64>>(),
        MapParams::go().bucket_size
    );
    assert_eq!(std::mem::size_of::<Option<BmapPtr>>(), 8);
}
