//! Unit and property tests of the Swiss map port: a std `HashMap` reference on random op
//! sequences with every invariant checked after every op, iteration, growth, splits,
//! tombstones, and Go 1.24's exact behaviours.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;

use super::group::{h2, CTRL_DELETED, CTRL_EMPTY};
use super::hash::{GoMemHasher124, SwissHasher, SwissRandom};
use super::map::{Invariant, MapSnapshot, SwissMap, MAX_TABLE_CAPACITY};
use crate::hash::WyRand;

/// `hash = key`: lets a test choose H1 (group) and H2 (control byte) of every key.
#[derive(Clone, Copy, Debug, Default)]
struct IdentityHasher;

impl SwissHasher<u64> for IdentityHasher {
    fn hash(&self, key: &u64, _seed: u64) -> u64 {
        *key
    }
}

type Std = SwissMap<u64, u64, GoMemHasher124, WyRand>;

fn std_map(seed: u64, hint: u64) -> Std {
    SwissMap::new_map(
        hint,
        GoMemHasher124::with_seed(seed),
        WyRand::new(seed ^ 0x55),
    )
}

fn ident_map() -> SwissMap<u64, u64, IdentityHasher, WyRand> {
    SwissMap::new_empty_map(IdentityHasher, WyRand::new(1))
}

/// A key whose hash (identity) lands in group `g` first with control byte `c`.
fn key_for(g: u64, c: u8, distinct: u64) -> u64 {
    (distinct << 20) | (g << 7) | c as u64
}

fn count_ctrl<K, V>(s: &MapSnapshot<K, V>, pred: impl Fn(u8) -> bool) -> usize {
    let mut n = 0;
    let groups: Vec<u64> = match &s.small {
        Some(g) => vec![g.ctrls],
        None => s
            .tables
            .iter()
            .flat_map(|t| t.groups.iter().map(|g| g.ctrls))
            .collect(),
    };
    for c in groups {
        for i in 0..8 {
            if pred((c >> (8 * i)) as u8) {
                n += 1;
            }
        }
    }
    n
}

fn tombstones<K, V>(s: &MapSnapshot<K, V>) -> usize {
    count_ctrl(s, |c| c == CTRL_DELETED)
}

fn check<H: SwissHasher<u64>, R: SwissRandom>(
    m: &SwissMap<u64, u64, H, R>,
    r: &HashMap<u64, u64>,
    compare_entries: bool,
) {
    if let Err(v) = m.check_invariants() {
        panic!("{v}");
    }
    assert_eq!(m.len(), r.len());
    if !compare_entries {
        return;
    }
    let mut entries = m.entries();
    entries.sort();
    let mut want: Vec<(u64, u64)> = r.iter().map(|(&k, &v)| (k, v)).collect();
    want.sort();
    assert_eq!(entries, want);
}

fn full_iteration<H: SwissHasher<u64>, R: SwissRandom>(
    m: &mut SwissMap<u64, u64, H, R>,
) -> Vec<(u64, u64)> {
    let it = m.iter_init();
    let mut out = Vec::new();
    while let Some(kv) = m.iter_next(it) {
        out.push(kv);
        assert!(
            out.len() <= m.len(),
            "iteration yields more entries than the map holds"
        );
    }
    out
}

/// A tiny deterministic generator for the op-sequence tests.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 17
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Default, Debug)]
struct Events {
    grows: usize,
    splits: usize,
    dir_grows: usize,
    tombstones_made: usize,
    tombstones_reused: usize,
    small_to_table: usize,
    reseeds: usize,
    iterations: usize,
}

/// Random op sequences against a std HashMap with invariants after every op; counts the
/// structural events so the test cannot pass without exercising them.
#[test]
fn random_ops_match_hashmap_and_keep_invariants() {
    let mut ev = Events::default();
    for seed in 0..12u64 {
        let mut rng = Lcg(seed * 7919 + 3);
        let hint = [0, 0, 5, 20, 300, 3000][seed as usize % 6];
        let mut m = std_map(seed, hint);
        let mut r = HashMap::new();
        let key_space = [40, 3000, 20000][seed as usize % 3];
        let ops = if key_space == 20000 { 9000 } else { 4000 };
        for op in 0..ops {
            let (tb, used_before, small_before, depth_before) =
                (m.tombstone_count(), m.len(), m.is_small(), m.global_depth());
            let tables_before = m.tables_allocated();
            let seed_before = m.seed();
            let k = rng.below(key_space);
            // The large key space leans on inserts so that tables split.
            let (ins, del) = if key_space == 20000 {
                (79, 89)
            } else {
                (54, 84)
            };
            match rng.below(100) {
                x if x <= ins => {
                    let v = rng.next();
                    m.insert(k, v);
                    r.insert(k, v);
                }
                x if x <= del => {
                    m.remove(&k);
                    r.remove(&k);
                }
                x if x <= 97 => assert_eq!(m.get(&k), r.get(&k).copied()),
                98 => {
                    if key_space != 20000 && rng.below(8) == 0 {
                        m.clear();
                        r.clear();
                    }
                }
                _ => {
                    let got = full_iteration(&mut m);
                    let set: HashSet<u64> = got.iter().map(|kv| kv.0).collect();
                    assert_eq!(set.len(), got.len(), "a key was yielded twice");
                    let mut got = got;
                    got.sort();
                    let mut want: Vec<(u64, u64)> = r.iter().map(|(&k, &v)| (k, v)).collect();
                    want.sort();
                    assert_eq!(got, want);
                    ev.iterations += 1;
                }
            }
            check(&m, &r, op % 64 == 0);
            let ta = m.tombstone_count();
            if ta > tb {
                ev.tombstones_made += 1;
            }
            if ta < tb && m.len() > used_before && m.tables_allocated() == tables_before {
                ev.tombstones_reused += 1;
            }
            if small_before && !m.is_small() {
                ev.small_to_table += 1;
            }
            if m.tables_allocated() == tables_before + 1 && !small_before {
                ev.grows += 1;
            }
            if m.tables_allocated() == tables_before + 2 {
                ev.splits += 1;
            }
            if m.global_depth() > depth_before {
                ev.dir_grows += 1;
            }
            if m.seed() != seed_before {
                ev.reseeds += 1;
            }
        }
    }
    eprintln!("{ev:?}");
    assert!(ev.grows >= 20, "{ev:?}");
    assert!(ev.splits >= 10, "{ev:?}");
    assert!(ev.dir_grows >= 4, "{ev:?}");
    assert!(ev.tombstones_made >= 50, "{ev:?}");
    assert!(ev.tombstones_reused >= 10, "{ev:?}");
    assert!(ev.small_to_table >= 4, "{ev:?}");
    assert!(ev.reseeds >= 4, "{ev:?}");
    assert!(ev.iterations >= 100, "{ev:?}");
}

#[derive(Clone, Debug)]
enum Op {
    Insert(u64, u64),
    Remove(u64),
    Get(u64),
    Clear,
    Iterate,
}

fn op_strategy(keys: u64) -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..keys, any::<u64>()).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => (0..keys).prop_map(Op::Remove),
        2 => (0..keys).prop_map(Op::Get),
        1 => Just(Op::Clear),
        1 => Just(Op::Iterate),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn prop_ops_match_hashmap(seed in any::<u64>(), hint in 0u64..200, ops in prop::collection::vec(op_strategy(300), 1..600)) {
        let mut m = std_map(seed, hint);
        let mut r = HashMap::new();
        for op in ops {
            match op {
                Op::Insert(k, v) => { m.insert(k, v); r.insert(k, v); }
                Op::Remove(k) => { m.remove(&k); r.remove(&k); }
                Op::Get(k) => prop_assert_eq!(m.get(&k), r.get(&k).copied()),
                Op::Clear => { m.clear(); r.clear(); }
                Op::Iterate => {
                    let mut got = full_iteration(&mut m);
                    got.sort();
                    let mut want: Vec<(u64, u64)> = r.iter().map(|(&k, &v)| (k, v)).collect();
                    want.sort();
                    prop_assert_eq!(got, want);
                }
            }
            if let Err(v) = m.check_invariants() {
                return Err(TestCaseError::fail(v.to_string()));
            }
            prop_assert_eq!(m.len(), r.len());
        }
    }
}

/// Iteration without mutation yields every entry exactly once, for sizes that cover the
/// small map, single tables of every capacity and multi-table directories, from many
/// random starts.
#[test]
fn iteration_yields_every_entry_once() {
    let mut tables_seen = 0;
    for (i, n) in [0u64, 1, 7, 8, 9, 15, 100, 896, 897, 2000, 5000]
        .into_iter()
        .enumerate()
    {
        for start in 0..4u64 {
            let mut m = std_map(i as u64 * 31 + start, 0);
            for k in 0..n {
                m.insert(k * 3 + 1, k);
            }
            tables_seen = tables_seen.max(m.table_count());
            let got = full_iteration(&mut m);
            assert_eq!(got.len() as u64, n);
            let keys: HashSet<u64> = got.iter().map(|kv| kv.0).collect();
            assert_eq!(keys.len() as u64, n);
            for (k, v) in got {
                assert_eq!(k, v * 3 + 1);
            }
        }
    }
    assert!(
        tables_seen >= 4,
        "largest map had only {tables_seen} tables"
    );
}

/// Go's iteration rules while the map grows and splits under the iterator: no key twice,
/// every key present throughout is yielded, deleted keys are not yielded after their
/// deletion, yields carry the current value.
#[test]
fn iteration_during_growth_follows_go_rules() {
    let mut grown_during = 0;
    let mut splits_during = 0;
    for seed in 0..16u64 {
        let mut rng = Lcg(seed + 100);
        let mut m = std_map(seed, 0);
        let mut r = HashMap::new();
        let start = [5u64, 8, 13, 100, 800, 890, 1500, 3000][seed as usize % 8];
        for k in 0..start {
            m.insert(k, k);
            r.insert(k, k);
        }
        let initial: HashSet<u64> = r.keys().copied().collect();
        let mut deleted = HashSet::new();
        let mut yielded = HashSet::new();
        let tables0 = m.tables_allocated();
        let depth0 = m.global_depth();
        let it = m.iter_init();
        let mut next_key = 1_000_000u64;
        loop {
            // Mutate between advances: new keys (never re-inserting deleted ones), updates,
            // deletes.
            for _ in 0..rng.below(6) {
                match rng.below(4) {
                    0 | 1 => {
                        m.insert(next_key, next_key);
                        r.insert(next_key, next_key);
                        next_key += 1;
                    }
                    2 => {
                        let k = rng.below(start.max(1));
                        if r.contains_key(&k) {
                            let v = rng.next();
                            m.insert(k, v);
                            r.insert(k, v);
                        }
                    }
                    _ => {
                        let k = rng.below(start.max(1));
                        m.remove(&k);
                        r.remove(&k);
                        deleted.insert(k);
                    }
                }
            }
            match m.iter_next(it) {
                None => break,
                Some((k, v)) => {
                    assert!(yielded.insert(k), "key {k} yielded twice");
                    assert!(!deleted.contains(&k), "deleted key {k} yielded");
                    assert_eq!(r.get(&k), Some(&v), "stale value for {k}");
                }
            }
        }
        for k in initial.difference(&deleted) {
            assert!(
                yielded.contains(k),
                "seed {seed}: key {k} present throughout not yielded"
            );
        }
        if m.tables_allocated() > tables0 {
            grown_during += 1;
        }
        if m.global_depth() > depth0 {
            splits_during += 1;
        }
        m.check_invariants().unwrap();
    }
    assert!(
        grown_during >= 8,
        "only {grown_during} iterations saw a grow"
    );
    assert!(
        splits_during >= 2,
        "only {splits_during} iterations saw a directory grow"
    );
}

#[test]
fn small_map_holds_eight_and_grows_to_a_16_slot_table() {
    let mut m = std_map(1, 0);
    assert!(
        m.snapshot().small.is_none(),
        "no group before the first assign"
    );
    for k in 0..8 {
        m.insert(k, k + 100);
    }
    let s = m.snapshot();
    assert!(m.is_small());
    assert_eq!(count_ctrl(&s, |c| c & CTRL_EMPTY == 0), 8);
    m.insert(8, 108);
    let s = m.snapshot();
    assert_eq!(s.dir_len, 1);
    assert_eq!(s.tables[0].capacity, 16);
    assert_eq!(s.tables[0].growth_left, 14 - 9);
    m.check_invariants().unwrap();
}

#[test]
fn go_1_24_grows_a_full_small_map_even_to_update_a_key() {
    let mut m = std_map(2, 0);
    for k in 0..8 {
        m.insert(k, k);
    }
    assert!(m.is_small());
    m.insert(3, 33); // an update, not a new key
    assert!(
        !m.is_small(),
        "Go 1.24's mapassign_fast64 grows at used == 8 regardless"
    );
    assert_eq!(m.len(), 8);
    assert_eq!(m.get(&3), Some(33));
    m.check_invariants().unwrap();
}

#[test]
fn small_map_delete_leaves_stale_key_and_zero_elem() {
    let mut m = ident_map();
    m.insert(0x1234, 77);
    m.insert(0x99, 5);
    m.remove(&0x1234);
    let g = m.snapshot().small.unwrap();
    let i = g
        .keys
        .iter()
        .position(|&k| k == 0x1234)
        .expect("stale key stays");
    assert_eq!(
        (g.ctrls >> (8 * i)) as u8,
        CTRL_EMPTY,
        "small maps never use tombstones"
    );
    assert_eq!(g.elems[i], 0);
    m.check_invariants().unwrap();
}

/// A table whose group 0 is full: delete makes a tombstone, a later insert probing
/// through group 0 reuses it without consuming growthLeft.
#[test]
fn tombstone_made_in_full_group_and_reused_by_insert() {
    let mut m = ident_map();
    for i in 0..9 {
        m.insert(key_for(0, 1 + i as u8, i), i); // all probe group 0 first
    }
    let s = m.snapshot();
    assert_eq!(s.tables.len(), 1);
    assert_eq!(s.tables[0].capacity, 16);
    // Group 0 holds 8 keys, the 9th went on to group 1.
    assert_eq!(s.tables[0].groups[0].ctrls & 0x8080_8080_8080_8080, 0);
    let gl = s.tables[0].growth_left;

    m.remove(&key_for(0, 3, 2));
    let s = m.snapshot();
    assert_eq!(tombstones(&s), 1);
    assert_eq!(
        s.tables[0].growth_left, gl,
        "a tombstone does not give growthLeft back"
    );
    assert_eq!((s.tables[0].groups[0].ctrls >> 16) as u8, CTRL_DELETED);

    // Delete from a group with an empty slot: no tombstone, growthLeft back.
    m.remove(&key_for(0, 9, 8));
    let s = m.snapshot();
    assert_eq!(tombstones(&s), 1);
    assert_eq!(s.tables[0].growth_left, gl + 1);

    let k = key_for(0, 0x42, 50);
    m.insert(k, 1);
    let s = m.snapshot();
    assert_eq!(tombstones(&s), 0, "the insert reused the tombstone");
    assert_eq!((s.tables[0].groups[0].ctrls >> 16) as u8, h2(k));
    assert_eq!(s.tables[0].groups[0].keys[2], k);
    assert_eq!(s.tables[0].growth_left, gl + 1);
    m.check_invariants().unwrap();
}

/// Go 1.24 has no in-place rehash: a table whose growthLeft is used up by tombstones
/// doubles its capacity even though few entries are live.
#[test]
fn tombstones_force_a_grow_not_an_in_place_rehash() {
    let mut m = ident_map();
    // 16-slot table: fill group 0 and group 1 (14 = growthLeft), creating full groups.
    let mut live = vec![];
    for i in 0..9u64 {
        let k = key_for(0, 1 + i as u8, i);
        m.insert(k, i);
        live.push(k);
    }
    let mut n = 100;
    // Churn: delete a key of full group 0 (tombstone) and insert a fresh key probing to
    // group 1, until growthLeft is 0.
    while m.snapshot().tables[0].growth_left > 0 {
        let k = key_for(1, 7, n);
        n += 1;
        m.insert(k, 0);
        live.push(k);
    }
    // Now make tombstones: delete from full groups.
    for k in live.drain(..4) {
        m.remove(&k);
    }
    let s = m.snapshot();
    assert!(tombstones(&s) >= 1, "{s:?}");
    assert_eq!(s.tables[0].growth_left, 0);
    let used = s.used;
    m.insert(key_for(0, 0x55, 999), 1);
    let s2 = m.snapshot();
    if tombstones(&s) >= 1 && s2.tables[0].capacity == 16 {
        // The new key reused a tombstone along its probe sequence: no rehash needed.
        assert!(tombstones(&s2) < tombstones(&s));
    }
    // Insert until a rehash happens; it must double capacity, never stay at 16.
    let mut i = 0;
    while m.snapshot().tables[0].capacity == 16 {
        m.insert(key_for(1, 9, 5000 + i), 0);
        i += 1;
    }
    let s3 = m.snapshot();
    assert_eq!(s3.tables[0].capacity, 32);
    assert_eq!(tombstones(&s3), 0, "grow drops tombstones");
    assert!(s3.used <= used + i + 1);
    m.check_invariants().unwrap();
}

#[test]
fn split_past_max_table_capacity_grows_the_directory() {
    let mut m = std_map(9, 0);
    let mut k = 0;
    while m.table_count() < 2 {
        m.insert(k, k);
        k += 1;
    }
    let s = m.snapshot();
    // The last table held 1024*7/8 = 896 entries before the 897th insert split it.
    assert_eq!(k, 897);
    assert_eq!(s.global_depth, 1);
    assert_eq!(s.dir_len, 2);
    for t in &s.tables {
        assert_eq!(t.capacity, MAX_TABLE_CAPACITY);
        assert_eq!(t.local_depth, 1);
    }
    assert_eq!(s.tables[0].index, 0);
    assert_eq!(s.tables[1].index, 1);
    m.check_invariants().unwrap();
    // Keep going: some table splits again while the other keeps localDepth 1.
    while m.global_depth() < 2 {
        m.insert(k, k);
        k += 1;
    }
    let s = m.snapshot();
    assert_eq!(s.dir_len, 4);
    assert_eq!(s.tables.len(), 3, "one table spans two directory entries");
    assert!(s.tables.iter().any(|t| t.local_depth == 1));
    m.check_invariants().unwrap();
}

#[test]
fn make_with_hint_sizes_the_directory() {
    let m = std_map(1, 9);
    let s = m.snapshot();
    assert_eq!((s.dir_len, s.tables[0].capacity), (1, 16));
    let m = std_map(1, 2000);
    let s = m.snapshot();
    // targetCapacity 2285 -> 3 tables -> dirSize 4, each 571 -> 1024 slots.
    assert_eq!(s.dir_len, 4);
    assert_eq!(s.global_depth, 2);
    assert!(s
        .tables
        .iter()
        .all(|t| t.capacity == 1024 && t.local_depth == 2));
    let m = std_map(1, 8);
    assert!(m.snapshot().small.is_none() && m.snapshot().dir_len == 0);
    // Absurd hints give an empty map rather than an allocation.
    let m = std_map(1, 1 << 60);
    assert_eq!(m.snapshot().dir_len, 0);
}

#[test]
fn delete_to_empty_and_clear_reseed_but_clear_of_empty_map_does_not() {
    let mut m = std_map(4, 0);
    let s0 = m.seed();
    m.insert(1, 1);
    m.remove(&2); // absent key, map not empty: no reseed
    assert_eq!(m.seed(), s0);
    m.remove(&1);
    let s1 = m.seed();
    assert_ne!(s1, s0, "delete reaching used == 0 reseeds");
    m.clear(); // used == 0: Go 1.24 returns early
    assert_eq!(m.seed(), s1);
    assert_eq!(m.clear_seq(), 0);
    for k in 0..50 {
        m.insert(k, k);
    }
    m.clear();
    assert_ne!(m.seed(), s1);
    assert_eq!(m.clear_seq(), 1);
    assert_eq!(m.len(), 0);
    let s = m.snapshot();
    assert_eq!(s.tables[0].capacity, 64, "clear keeps the tables");
    assert!(s.tables[0]
        .groups
        .iter()
        .all(|g| g.keys.iter().all(|&k| k == 0)));
    m.check_invariants().unwrap();
}

#[test]
fn clear_of_a_map_with_only_tombstones_keeps_them_in_go_1_24() {
    let mut m = ident_map();
    for i in 0..9u64 {
        m.insert(key_for(0, 1 + i as u8, i), i);
    }
    for i in 0..9u64 {
        m.remove(&key_for(0, 1 + i as u8, i));
    }
    assert_eq!(m.len(), 0);
    let before = tombstones(&m.snapshot());
    assert!(before > 0);
    m.clear();
    assert_eq!(tombstones(&m.snapshot()), before);
    m.check_invariants().unwrap();
}

#[test]
fn iterator_state_follows_the_directory_when_it_grows() {
    let mut m = std_map(5, 0);
    for k in 0..800 {
        m.insert(k, k);
    }
    let it = m.iter_init();
    let first = m.iter_next(it).unwrap();
    let st = m.iter_snapshot(it);
    assert!(st.m && st.tab.is_some() && st.dir_idx == 0);
    let mut k = 10_000;
    while m.global_depth() < 1 {
        m.insert(k, k);
        k += 1;
    }
    let mut yielded = HashSet::from([first.0]);
    while let Some((k, _)) = m.iter_next(it) {
        assert!(yielded.insert(k));
    }
    let st = m.iter_snapshot(it);
    assert_eq!(st.global_depth, 1);
    assert!(st.dir_idx >= 2);
    for k in 0..800 {
        assert!(yielded.contains(&k));
    }
}

#[test]
fn empty_map_iterator_draws_nothing() {
    let mut m = std_map(6, 0);
    let before = *m.random_source();
    let it = m.iter_init();
    assert_eq!(*m.random_source(), before);
    assert_eq!(m.iter_next(it), None);
    assert!(!m.iter_snapshot(it).m);
}

#[test]
#[should_panic(expected = "concurrent map writes")]
fn concurrent_write_throws_go_text_on_assign() {
    let mut m = std_map(7, 0);
    m.insert(1, 1);
    m.simulate_concurrent_writer();
    m.insert(2, 2);
}

#[test]
#[should_panic(expected = "concurrent map read and map write")]
fn concurrent_write_throws_go_text_on_lookup() {
    let mut m = std_map(7, 0);
    m.insert(1, 1);
    m.simulate_concurrent_writer();
    let _ = m.get(&1);
}

#[test]
#[should_panic(expected = "concurrent map iteration and map write")]
fn concurrent_write_throws_go_text_on_iteration() {
    let mut m = std_map(7, 0);
    m.insert(1, 1);
    let it = m.iter_init();
    m.simulate_concurrent_writer();
    let _ = m.iter_next(it);
}

#[test]
fn check_invariants_detects_an_entry_cut_off_from_its_probe_sequence() {
    let mut m = ident_map();
    for i in 0..9u64 {
        m.insert(key_for(0, 1 + i as u8, i), i + 1); // group 0 fills, the 9th goes to group 1
    }
    m.check_invariants().unwrap();
    m.corrupt_for_test("hole");
    let err = m.check_invariants().expect_err("hole in a full group");
    assert_eq!(err.invariant, Invariant::EntryFindable, "{err}");
}

#[test]
fn check_invariants_detects_corruption() {
    let mut m = ident_map();
    for i in 0..30u64 {
        m.insert(i * 977, i);
    }
    m.check_invariants().unwrap();
    for (what, inv) in [
        ("used", Invariant::UsedMatchesEntries),
        ("growth_left", Invariant::GrowthLeftAccounting),
        ("ctrl", Invariant::CtrlMatchesH2),
        ("elem", Invariant::NonFullElemZeroed),
        ("index", Invariant::DirectoryDepth),
    ] {
        let mut c = ident_map();
        for i in 0..30u64 {
            c.insert(i * 977, i);
        }
        c.corrupt_for_test(what);
        let err = c.check_invariants().expect_err(what);
        assert_eq!(err.invariant, inv, "{what}: {err}");
    }
}
