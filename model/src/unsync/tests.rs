//! Unit tests of the `unsync` model: single-goroutine runs keep every invariant, hand-driven
//! interleavings reach Go's throws and silent races, and spec parameters are validated.

use super::*;
use crate::framework::symmetry_check::{check_along_random_walks, successor_classes, Rng};
use stateright::Checker;
use std::path::Path;

fn model(goroutines: u8, ops_per_goroutine: u8, ops: UOps) -> UnsyncModel {
    UnsyncModel::new(
        UnsyncParams {
            goroutines,
            ops_per_goroutine,
            ops,
            ..UnsyncParams::default()
        },
        None,
    )
}

const ALL: UOps = UOps {
    assign: true,
    delete: true,
    access: true,
    iterate: true,
};

/// Runs `g` until its operation is over (or it throws).
fn run_op(m: &UnsyncModel, s: &mut UnsyncState, g: u8, op: UOp) {
    m.apply(s, &UAction::Start { g, op }, &mut Log::default());
    while let Some(c) = s.gs[g as usize].cur {
        if s.ghost.thrown.is_some() {
            return;
        }
        m.apply(
            s,
            &UAction::Step {
                g,
                op: c.op,
                pc: c.pc,
                choice: 0,
            },
            &mut Log::default(),
        );
    }
}

fn step_until(m: &UnsyncModel, s: &mut UnsyncState, g: u8, pc: Pc) {
    while s.gs[g as usize].cur.unwrap().pc != pc {
        let c = s.gs[g as usize].cur.unwrap();
        m.apply(
            s,
            &UAction::Step {
                g,
                op: c.op,
                pc: c.pc,
                choice: 0,
            },
            &mut Log::default(),
        );
    }
}

#[test]
fn one_goroutine_alone_never_throws_and_keeps_every_invariant() {
    let m = model(1, 3, ALL);
    let c = m.checker().spawn_dfs().join();
    for p in [
        "racy_execution_detected",
        "no_lost_insert",
        "no_duplicate_key",
        "count_matches_live_entries",
        "no_torn_read",
    ] {
        assert!(c.discovery(p).is_none(), "{p} violated by one goroutine");
    }
    for p in [
        "throws_concurrent_map_writes",
        "throws_concurrent_map_read_and_map_write",
        "throws_concurrent_map_iteration_and_map_write",
    ] {
        assert!(c.discovery(p).is_none(), "{p} reached by one goroutine");
    }
}

#[test]
fn a_writer_entering_while_another_writes_throws_concurrent_map_writes() {
    let m = model(2, 1, ALL);
    let mut s = m.init_states().remove(0);
    let a = UOp::Assign { key: 1, elem: 1 };
    m.apply(&mut s, &UAction::Start { g: 0, op: a }, &mut Log::default());
    step_until(&m, &mut s, 0, Pc::Newobject);
    m.apply(
        &mut s,
        &UAction::Start {
            g: 1,
            op: UOp::Assign { key: 2, elem: 1 },
        },
        &mut Log::default(),
    );
    assert_eq!(s.ghost.thrown, Some((1, THROW_WRITES)));
}

#[test]
fn two_writers_whose_flag_xors_cancel_both_finish_without_a_throw() {
    // g2 checks hashWriting, g1 sets it, g2 XORs it away again: neither end check sees
    // it clear until the last store, and both goroutines return.
    let m = model(2, 1, ALL);
    let mut s = m.init_states().remove(0);
    let (a1, a2) = (
        UOp::Assign { key: 1, elem: 1 },
        UOp::Assign { key: 2, elem: 1 },
    );
    m.apply(
        &mut s,
        &UAction::Start { g: 0, op: a1 },
        &mut Log::default(),
    );
    m.apply(
        &mut s,
        &UAction::Start { g: 1, op: a2 },
        &mut Log::default(),
    );
    step_until(&m, &mut s, 0, Pc::Newobject); // g1: flags = hashWriting
    step_until(&m, &mut s, 1, Pc::Newobject); // g2: flags = hashWriting ^ hashWriting
    assert_eq!(s.m.h.flags & HASH_WRITING, 0);
    // g1 writes k1 while the flag is clear: a reader would not notice.
    step_until(&m, &mut s, 0, Pc::EndCheck);
    let c = s.gs[0].cur.unwrap();
    m.apply(
        &mut s,
        &UAction::Step {
            g: 0,
            op: c.op,
            pc: c.pc,
            choice: 0,
        },
        &mut Log::default(),
    );
    assert_eq!(
        s.ghost.thrown,
        Some((0, THROW_WRITES)),
        "g1's end check catches it"
    );
}

#[test]
fn a_reader_can_find_a_key_before_its_elem_is_stored() {
    let m = model(1, 1, ALL);
    let mut m2 = m.clone();
    m2.params.readers = 1;
    let mut s = m2.init_states().remove(0);
    let a = UOp::Assign { key: 1, elem: 1 };
    m2.apply(&mut s, &UAction::Start { g: 0, op: a }, &mut Log::default());
    step_until(&m2, &mut s, 0, Pc::ElemStore);
    run_op(&m2, &mut s, 1, UOp::Access { key: 1 });
    assert!(s.ghost.torn_read);
    assert!(s.ghost.thrown.is_none());
}

#[test]
fn representatives_do_not_depend_on_goroutine_order() {
    let m = model(2, 1, ALL);
    let mut s = m.init_states().remove(0);
    let mut t = s.clone();
    run_op(&m, &mut s, 0, UOp::Assign { key: 1, elem: 1 });
    run_op(&m, &mut t, 1, UOp::Assign { key: 1, elem: 1 });
    assert_ne!(s, t);
    assert_eq!(representative(&s), representative(&t));
}

fn spec(params: &str) -> Spec {
    let src =
        format!("model = \"unsync\"\n[params]\n{params}\n[expect]\nno_duplicate_key = \"holds\"\n");
    Spec::parse(Path::new("t.toml"), &src).unwrap()
}

#[test]
fn valid_parameters_build_a_model() {
    let m = from_spec(&spec(
        "goroutines = 3\nkeys = 2\nops = [\"assign\", \"iterate\"]",
    ))
    .unwrap();
    assert_eq!(m.params.goroutines, 3);
    assert!(m.params.ops.iterate && !m.params.ops.delete);
}

#[test]
fn invalid_parameters_name_the_line_and_field() {
    let e = from_spec(&spec("keys = 3\nhash_bits = 1")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("params.keys"));
    assert_eq!(e.line, Some(3));
    let e = from_spec(&spec("ops = [\"store\"]")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("params.ops"));
    let e = from_spec(&spec("goroutines = 4")).unwrap_err();
    assert!(e.message.contains("out of range"), "{e}");
    let e = from_spec(&spec("threads = 4")).unwrap_err();
    assert!(e.message.contains("unknown parameter"), "{e}");
}

/// Every state (without the scheduling bookkeeping) reachable with at most `bound`
/// preemptions, or with every interleaving for None.
fn reachable(m: &UnsyncModel, bound: Option<u8>) -> std::collections::HashSet<UnsyncState> {
    let mut m = m.clone();
    m.params.max_preemptions = bound;
    let mut seen = std::collections::HashSet::new();
    let mut projected = std::collections::HashSet::new();
    let mut todo = m.init_states();
    let mut actions = Vec::new();
    while let Some(s) = todo.pop() {
        if !seen.insert(s.clone()) {
            continue;
        }
        projected.insert(UnsyncState {
            sched: Sched::default(),
            ..s.clone()
        });
        m.actions(&s, &mut actions);
        for a in actions.drain(..) {
            todo.extend(m.next_state(&s, a));
        }
    }
    projected
}

#[test]
fn a_preemption_bound_explores_a_growing_subset_that_reaches_every_state() {
    // Two goroutines, one assign or delete each, over two keys.
    let m = model(
        2,
        1,
        UOps {
            assign: true,
            delete: true,
            access: false,
            iterate: false,
        },
    );
    let all = reachable(&m, None);
    let mut last = reachable(&m, Some(0));
    // Without preemptions, operations never overlap: no race, no throw.
    assert!(last
        .iter()
        .all(|s| !s.ghost.raced && s.ghost.thrown.is_none()));
    let mut full_at = None;
    for k in 1..=8 {
        let next = reachable(&m, Some(k));
        assert!(
            last.is_subset(&next),
            "bound {k} lost a state of bound {}",
            k - 1
        );
        assert!(
            next.is_subset(&all),
            "bound {k} reached a state no interleaving does"
        );
        last = next;
        if last.len() == all.len() {
            full_at = Some(k);
            break;
        }
    }
    let k = full_at.expect("some bound up to 8 reaches every state");
    assert!(k >= 2, "one preemption already reaches every state ({k})");
}

#[test]
fn with_the_bound_used_up_only_the_goroutine_inside_its_operation_steps() {
    let mut m = model(2, 1, ALL);
    m.params.max_preemptions = Some(1);
    let mut s = m.init_states().remove(0);
    let a = UOp::Assign { key: 1, elem: 1 };
    m.apply(&mut s, &UAction::Start { g: 0, op: a }, &mut Log::default());
    let mut acts = Vec::new();
    m.actions(&s, &mut acts);
    assert!(acts
        .iter()
        .any(|a| matches!(a, UAction::Start { g: 1, .. })));
    // g2 preempts g1 (the one preemption allowed) and is inside mapassign too.
    let a2 = UOp::Assign { key: 2, elem: 1 };
    m.apply(
        &mut s,
        &UAction::Start { g: 1, op: a2 },
        &mut Log::default(),
    );
    assert!(s.gs[0].cur.is_some() && s.gs[1].cur.is_some());
    assert_eq!(s.sched.preemptions, 1);
    acts.clear();
    m.actions(&s, &mut acts);
    assert!(!acts.is_empty());
    assert!(
        acts.iter().all(|a| matches!(a, UAction::Step { g: 1, .. })),
        "{acts:?}"
    );
}

#[test]
fn max_preemptions_is_checked_and_off_by_default() {
    assert_eq!(
        from_spec(&spec("keys = 2")).unwrap().params.max_preemptions,
        None
    );
    let m = from_spec(&spec("max_preemptions = 2")).unwrap();
    assert_eq!(m.params.max_preemptions, Some(2));
    let e = from_spec(&spec("max_preemptions = 9")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("params.max_preemptions"));
    assert!(e.message.contains("out of range"), "{e}");
}

/// `a` with keys 1 and 2 swapped (and a reseed's choice of hash function with them: the
/// model's two assignments are each other's swap).
fn swap_keys(a: &UAction) -> UAction {
    let k = |key: u8| match key {
        1 => 2,
        2 => 1,
        k => k,
    };
    let op = |op: UOp| match op {
        UOp::Assign { key, elem } => UOp::Assign { key: k(key), elem },
        UOp::Delete { key } => UOp::Delete { key: k(key) },
        UOp::Access { key } => UOp::Access { key: k(key) },
        UOp::Range => UOp::Range,
    };
    match *a {
        UAction::Start { g, op: o } => UAction::Start { g, op: op(o) },
        UAction::Step {
            g,
            op: o,
            pc,
            choice,
        } => UAction::Step {
            g,
            op: op(o),
            pc,
            choice: if pc == Pc::Reseed { 1 - choice } else { choice },
        },
    }
}

#[test]
fn key_renamed_executions_have_one_representative() {
    // Two keys with both hash functions: every execution from the first assignment has a
    // twin from the second, each action with its keys swapped. Walk both together over
    // every reachable state: the twin's actions are enabled, and both states have the same
    // representative, which is its own.
    let mut m = model(2, 1, ALL);
    m.symmetry = true;
    assert!(m.keys_interchangeable());
    let init = m.init_states();
    assert_eq!(init.len(), 2);
    assert_eq!(representative(&init[0]), representative(&init[1]));
    let mut seen = std::collections::HashSet::new();
    let mut reps = std::collections::HashSet::new();
    let mut all = std::collections::HashSet::new();
    let mut renamed = 0;
    let mut todo = vec![(init[0].clone(), init[1].clone())];
    let (mut acts, mut twin_acts) = (Vec::new(), Vec::new());
    while let Some((s, t)) = todo.pop() {
        if !seen.insert(s.clone()) {
            continue;
        }
        all.insert(s.clone());
        all.insert(t.clone());
        let r = representative(&s);
        assert_eq!(r, representative(&t), "twins, from {s:?}");
        assert_eq!(representative(&r), r, "idempotent");
        renamed += usize::from(r.m.hashes != s.m.hashes);
        reps.insert(r);
        m.actions(&s, &mut acts);
        m.actions(&t, &mut twin_acts);
        assert_eq!(acts.len(), twin_acts.len());
        for a in acts.drain(..) {
            let b = swap_keys(&a);
            assert!(twin_acts.contains(&b), "{b:?} enabled in the twin");
            if let (Some(x), Some(y)) = (m.next_state(&s, a), m.next_state(&t, b)) {
                todo.push((x, y));
            }
        }
        twin_acts.clear();
    }
    // Some states are renamed, some are their own representative. No class of goroutine
    // symmetry is its own twin (their hash functions differ), so adding key symmetry folds
    // the reachable states onto exactly half as many representatives.
    assert!(renamed > 0 && renamed < seen.len());
    let goroutines_only: std::collections::HashSet<UnsyncState> = all
        .iter()
        .map(|x| {
            let mut x = x.clone();
            x.m.sym = SymCtx::default();
            representative(&x)
        })
        .collect();
    let with_keys: std::collections::HashSet<UnsyncState> =
        all.iter().map(representative).collect();
    assert_eq!(with_keys.len(), reps.len());
    assert_eq!(with_keys.len() * 2, goroutines_only.len());

    // Without the spec's symmetry the states carry no key context: nothing is renamed.
    let plain = model(2, 1, ALL);
    let s = plain.init_states().remove(1);
    assert_eq!(representative(&s).m.hashes, s.m.hashes);
}

#[test]
fn bmaps_of_one_slot_change_no_count_or_verdict() {
    // specs/unsync-two-goroutines.toml's configuration, with one thread.
    let spec = Spec::parse(
        Path::new("t.toml"),
        r#"model = "unsync"
[params]
goroutines = 2
ops_per_goroutine = 1
keys = 2
hash_bits = 1
bucket_cnt = 1
load_factor = "1/2"
ops = ["assign", "delete", "access"]
[search]
strategy = "dfs"
threads = 1
[expect]
unique_states = 48370
racy_execution_detected = "violated"
no_lost_insert = "violated"
count_matches_live_entries = "violated"
throws_concurrent_map_writes = "holds"
reaches_growth_while_racing = "holds"
"#,
    )
    .unwrap();
    let eight: UnsyncModel = <UnsyncModel as SpecModel>::from_spec(&spec).unwrap();
    let one = eight.clone().with_slots::<1>();
    crate::framework::check::assert_same_search(&spec, eight, one);
}

/// Every state reachable by `m`, every interleaving; with `clear`, each goroutine's registers
/// are passed through it after every step (as `clear_dead_registers` does with the table).
fn reach_every_interleaving<const N: usize>(
    m: &UnsyncModel<N>,
    clear: Option<fn(&mut GMap)>,
) -> std::collections::HashSet<UnsyncState<N>> {
    let mut seen = std::collections::HashSet::new();
    let mut todo = m.init_states();
    let mut actions = Vec::new();
    while let Some(s) = todo.pop() {
        if seen.contains(&s) {
            continue;
        }
        m.actions(&s, &mut actions);
        for a in actions.drain(..) {
            todo.extend(m.next_state(&s, a).map(|t| match clear {
                Some(clear) => with_registers_cleared(&t, clear),
                None => t,
            }));
        }
        seen.insert(s);
    }
    seen
}

/// `s` with `clear` applied to every goroutine's registers, and the map canonicalized again
/// as after a step (an array only a dead register pointed into is dropped).
fn with_registers_cleared<const N: usize>(
    s: &UnsyncState<N>,
    clear: fn(&mut GMap),
) -> UnsyncState<N> {
    let mut c = s.clone();
    let mut refs: Vec<&mut GMap> = c.gs.iter_mut().filter_map(|g| g.cur.as_mut()).collect();
    refs.iter_mut().for_each(|g| clear(g));
    canonicalize(&mut c.m, &mut refs);
    c
}

/// Configurations whose executions reach every step of every operation (checked below):
/// two goroutines with one operation each from all four; growth under racing writers, with
/// all four too, and with an evacuation that overflows its destination; and an assign then a
/// delete emptying the map (the delete's reseed) while another goroutine deletes. Bmaps of
/// one slot (`bucket_cnt = 1`), so that the test's sets of whole states stay small.
fn liveness_configurations() -> Vec<UnsyncModel<1>> {
    // UnsyncParams' default geometry: one slot per bucket, load factor 1/2.
    let growth = UnsyncParams {
        keys: 2,
        initial: 2,
        hash_pattern: Some(vec![0, 1, 2, 3]),
        hash_bits: 2,
        hint: 2,
        ops: ALL,
        ..UnsyncParams::default()
    };
    // Hashes equal in pairs in their low two bits (k1 and k2: 0 and 4; the initial k3 and
    // k4: 1 and 5), so that an evacuation moves two keys into one destination bucket and
    // links an overflow bucket there (EvacOverflow).
    let overflowing = UnsyncParams {
        hash_pattern: Some(vec![0, 4, 1, 5]),
        hash_bits: 3,
        ops: UOps {
            assign: true,
            delete: false,
            access: false,
            iterate: false,
        },
        ..growth.clone()
    };
    [
        model(2, 1, ALL),
        UnsyncModel::new(growth, None),
        UnsyncModel::new(overflowing, None),
        UnsyncModel::new(
            UnsyncParams {
                keys: 1,
                programs: Some(vec![
                    vec![UOp::Assign { key: 1, elem: 1 }, UOp::Delete { key: 1 }],
                    vec![UOp::Delete { key: 1 }],
                ]),
                ..UnsyncParams::default()
            },
            None,
        ),
    ]
    .into_iter()
    .map(UnsyncModel::with_slots::<1>)
    .collect()
}

/// `next_state_in` (what a checker with upstream/stateright's patches 0011 and 0013 calls)
/// gives the state `next_state` gives, whatever `out` held before: none, the successor of
/// another action, or a state of another part of the search. States of the liveness
/// configurations (growth, overflowing evacuations, a reseeding delete) and of one with a
/// preemption bound, every action.
#[test]
fn a_successor_computed_in_place_is_the_one_next_state_gives() {
    let (mut checked, mut reused) = (0, 0);
    let mut configs = liveness_configurations();
    // And one that keeps scheduling bookkeeping in its states.
    let mut bounded = configs[0].clone();
    bounded.params.max_preemptions = Some(1);
    configs.push(bounded);
    let first_calls = configs.len();
    for m in configs {
        let mut seen = std::collections::HashSet::new();
        let mut todo = m.init_states();
        let mut actions = Vec::new();
        let mut out = None;
        let mut other: Option<UnsyncState<1>> = None;
        // The first 20,000 states of each, depth first (all of them take seconds).
        while let Some(s) = todo.pop() {
            if seen.len() == 20_000 || !seen.insert(s.clone()) {
                continue;
            }
            m.actions(&s, &mut actions);
            for a in actions.drain(..) {
                let want = m.next_state(&s, a.clone()).expect("a successor");
                reused += usize::from(out.is_some());
                m.next_state_in(&s, a.clone(), &mut out);
                assert!(out.as_ref() == Some(&want), "{a:?}");
                if let Some(o) = &other {
                    let mut into = Some(o.clone());
                    m.next_state_in(&s, a.clone(), &mut into);
                    assert!(into.as_ref() == Some(&want), "{a:?} into another state");
                }
                checked += 1;
                todo.push(want);
            }
            other = Some(s);
        }
    }
    // Every call but each configuration's first had a state in `out` to reuse.
    assert!(
        checked > 10_000 && reused + first_calls == checked,
        "{checked} {reused}"
    );
}

/// The states `clear_dead_registers` reaches are exactly the states reached without it,
/// with `clear` applied; and every property agrees on a state and its cleared state.
/// Returns the first difference found.
fn dead_register_difference<const N: usize>(
    m: &UnsyncModel<N>,
    full: &std::collections::HashSet<UnsyncState<N>>,
    clear: fn(&mut GMap),
) -> Option<String> {
    let expected: std::collections::HashSet<UnsyncState<N>> = full
        .iter()
        .map(|s| with_registers_cleared(s, clear))
        .collect();
    let reduced = reach_every_interleaving(m, Some(clear));
    if let Some(s) = reduced.difference(&expected).next() {
        return Some(format!(
            "the reduced search reaches a state no cleared execution reaches ({} against {} states):\n{s:?}",
            reduced.len(),
            expected.len()
        ));
    }
    if let Some(s) = expected.difference(&reduced).next() {
        return Some(format!(
            "the reduced search misses a cleared state ({} against {} states):\n{s:?}",
            reduced.len(),
            expected.len()
        ));
    }
    for s in full {
        let c = with_registers_cleared(s, clear);
        for p in m.properties() {
            if (p.condition)(m, s) != (p.condition)(m, &c) {
                return Some(format!("{} differs on a cleared state:\n{s:?}", p.name));
            }
        }
    }
    None
}

#[test]
fn clearing_dead_registers_reaches_exactly_the_cleared_states() {
    let mut pcs = std::collections::BTreeSet::new();
    for m in liveness_configurations() {
        let full = reach_every_interleaving(&m, None);
        pcs.extend(
            full.iter()
                .flat_map(|s| s.gs.iter().flat_map(|g| g.cur.map(|c| c.pc))),
        );
        assert_eq!(
            dead_register_difference(&m, &full, GMap::clear_dead_registers),
            None,
            "{:?}",
            m.params
        );
        // The model's own path (the parameter) reaches the same states as the helper's.
        let mut on = m.clone();
        on.params.clear_dead_registers = true;
        let by_model = reach_every_interleaving(&on, None);
        assert!(
            by_model.len() < full.len(),
            "no reduction: {} states",
            full.len()
        );
        drop(full);
        assert!(by_model == reach_every_interleaving(&m, Some(GMap::clear_dead_registers)));
    }
    // Every step of every operation was reached, so every entry of the table was checked.
    let every_pc = [
        Pc::CheckCount,
        Pc::CheckFlags,
        Pc::Hash,
        Pc::FlagsLoad,
        Pc::FlagsStore,
        Pc::BucketsNil,
        Pc::Newobject,
        Pc::Again,
        Pc::Growing,
        Pc::EvacStart,
        Pc::EvacCell,
        Pc::EvacOverflow,
        Pc::EvacDstTophash,
        Pc::EvacDstKey,
        Pc::EvacDstElem,
        Pc::EvacMark,
        Pc::EvacFreeOld,
        Pc::EvacFlagsLoad,
        Pc::EvacFlagsStore,
        Pc::GrowWork2,
        Pc::WalkStart,
        Pc::Walk,
        Pc::GrowCheck,
        Pc::GrowLoad,
        Pc::GrowSameSize,
        Pc::GrowAlloc,
        Pc::GrowStoreB,
        Pc::GrowStoreFlags,
        Pc::GrowStoreOldbuckets,
        Pc::GrowStoreBuckets,
        Pc::GrowStoreNevacuate,
        Pc::GrowStoreNoverflow,
        Pc::NewoverflowTake,
        Pc::NewoverflowIncr,
        Pc::NewoverflowLink,
        Pc::SlotTophash,
        Pc::SlotKey,
        Pc::ElemClear,
        Pc::EmptyOne,
        Pc::RestCheck,
        Pc::Rest,
        Pc::CountLoad,
        Pc::CountStore,
        Pc::Reseed,
        Pc::EndCheck,
        Pc::FlagsClear,
        Pc::ElemStore,
        Pc::AccessB,
        Pc::AccessBuckets,
        Pc::AccessOld,
        Pc::AccessScan,
        Pc::AccessElem,
        Pc::IterInit,
        Pc::IterNext,
        Pc::IterCell,
    ];
    // CheckCount is where mapdelete, mapaccess2 and range begin, and the action that starts
    // an operation takes it: no state rests there (its entry is that nothing is live).
    pcs.insert(Pc::CheckCount);
    let missing: Vec<_> = every_pc.iter().filter(|pc| !pcs.contains(pc)).collect();
    assert!(
        missing.is_empty(),
        "steps no configuration reaches: {missing:?}"
    );
}

#[test]
fn a_live_register_marked_dead_is_caught() {
    // The h.flags a writer loaded for `h.flags ^= hashWriting` marked dead at the store that
    // reads it: a writer that loaded another's hashWriting no longer clears it by its XOR,
    // so the reduced search misses the executions where two writers' XORs cancel.
    fn clears_the_loaded_flags_too_early(g: &mut GMap) {
        let mut l = live(g.op, g.pc);
        if g.pc == Pc::FlagsStore {
            l.flags = false;
        }
        g.clear_dead_by(l);
    }
    let m = &liveness_configurations()[0];
    let full = reach_every_interleaving(m, None);
    let diff = dead_register_difference(m, &full, clears_the_loaded_flags_too_early);
    assert!(diff.is_some(), "the wrong table was not caught");
}

#[test]
fn clear_dead_registers_is_checked_and_off_by_default() {
    assert!(
        !from_spec(&spec("keys = 2"))
            .unwrap()
            .params
            .clear_dead_registers
    );
    assert!(
        from_spec(&spec("clear_dead_registers = true"))
            .unwrap()
            .params
            .clear_dead_registers
    );
    let e = from_spec(&spec("clear_dead_registers = 1")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("params.clear_dead_registers"));
    assert!(
        e.message.contains("expected true or false"),
        "{}",
        e.message
    );
}

/// `s` renamed by a random symmetry: goroutines permuted within their groups, keys
/// permuted (when the state has key symmetry), arrays renumbered.
fn renamed_at_random<const N: usize>(s: &UnsyncState<N>, rng: &mut Rng) -> UnsyncState<N> {
    let mut t = s.clone();
    let n = t.gs.len();
    let full = t.gs.iter().filter(|g| !g.reader).count();
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order[..full]);
    rng.shuffle(&mut order[full..]);
    let perm: Vec<u8> = order.iter().map(|&x| x as u8).collect();
    symmetry::permute_goroutines(&mut t, &perm);
    let keys = t.m.hashes.len();
    let mut names: Vec<u64> = (1..=keys as u64).collect();
    rng.shuffle(&mut names);
    let new_of: Vec<u64> = std::iter::once(0).chain(names).collect();
    if let Some(k) = crate::hmap::symmetry::KeyRenaming::by(&t.m, new_of) {
        symmetry::rename_state_keys(&mut t, &k);
    }
    let mut arrays: Vec<ArrayId> = (0..t.m.arrays.len() as ArrayId).collect();
    rng.shuffle(&mut arrays);
    let mut refs: Vec<&mut GMap> = t.gs.iter_mut().filter_map(|g| g.cur.as_mut()).collect();
    symmetry::renumber(&mut t.m, &mut refs, &arrays);
    t
}

/// The every-interleaving capacity spec's configuration: three goroutines, two operations
/// each from all four, two keys, dead registers cleared, goroutine and key symmetry.
fn every_interleaving_model() -> UnsyncModel<1> {
    let mut m = UnsyncModel::<MAX_BUCKET_CNT>::new(
        UnsyncParams {
            goroutines: 3,
            ops_per_goroutine: 2,
            keys: 2,
            ops: ALL,
            clear_dead_registers: true,
            ..UnsyncParams::default()
        },
        None,
    )
    .with_slots::<1>();
    m.symmetry = true;
    m
}

/// Random executions of the every-interleaving capacity spec's configuration (three
/// goroutines, two operations each from all four, two keys, dead registers cleared, key
/// and goroutine symmetry): the representative is canonical (`framework::symmetry_check`),
/// which makes the spec's count independent of the order the search meets states in (one
/// thread or two). With goroutines sorted by their registers as they are (array numbers
/// included), as the representative did before, this fails within a few hundred walks.
#[test]
fn representatives_are_canonical_along_random_executions() {
    let m = every_interleaving_model();
    assert!(m.keys_interchangeable());
    let states = check_along_random_walks(
        &m,
        20_000,
        0x9e37_79b9_7f4a_7c15,
        representative,
        renamed_at_random,
        |s| s.ghost.thrown.is_some(),
    );
    assert!(states > 100_000, "{states} states checked");
}

/// The first states of a depth-first search of the every-interleaving capacity spec's
/// configuration, in the checker's order (the stack holds the states as stepped, the
/// visited set their representatives, as stateright's DFS with symmetry does): each state,
/// renamed by a random symmetry and numbered as a step numbers its arrays, has the state's
/// own representative and steps to the same classes. The random walks above reach few
/// long executions; this covers every state of a search's beginning. `GOMAP_PREFIX_STATES`
/// sets how many (200,000 by default; a run to 40 million visited states passed, in 880 s).
#[test]
fn representatives_are_canonical_on_a_search_prefix() {
    let limit: usize = std::env::var("GOMAP_PREFIX_STATES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let m = every_interleaving_model();
    let digest = |x: &UnsyncState<1>| crate::framework::concurrent::stable_digest(x);
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut seen = std::collections::HashSet::new();
    let mut stack = Vec::new();
    for s in m.init_states() {
        if seen.insert(digest(&representative(&s))) {
            stack.push(s);
        }
    }
    let mut acts = Vec::new();
    let mut checked = 0usize;
    while let Some(s) = stack.pop() {
        if checked == limit {
            break;
        }
        checked += 1;
        let r = representative(&s);
        // Renamed at random, then numbered as `perform` numbers a stepped state's arrays
        // (the checker meets no other numbering).
        let mut t = renamed_at_random(&s, &mut rng);
        let mut refs: Vec<&mut GMap> = t.gs.iter_mut().filter_map(|g| g.cur.as_mut()).collect();
        symmetry::canonicalize(&mut t.m, &mut refs);
        assert_eq!(representative(&t), r, "{t:?} renamed from {s:?}");
        // The successors of `s`, each with its class: stacked where new, and compared
        // with the classes `t` steps into.
        m.actions(&s, &mut acts);
        let next: Vec<(UnsyncState<1>, u64)> = acts
            .drain(..)
            .filter_map(|a| m.next_state(&s, a))
            .map(|y| {
                let d = digest(&representative(&y));
                (y, d)
            })
            .collect();
        let mut classes: Vec<u64> = next.iter().map(|&(_, d)| d).collect();
        classes.sort_unstable();
        classes.dedup();
        assert_eq!(
            successor_classes(&m, &t, representative, &mut acts),
            classes,
            "successors of {t:?}, renamed from {s:?}"
        );
        for (y, d) in next {
            if seen.insert(d) {
                stack.push(y);
            }
        }
    }
    assert_eq!(checked, limit, "the search ended after {checked} states");
}

/// `merge_terminal_states`: a state is terminal (`is_terminal`) exactly when it has no
/// actions; with the parameter the search finds every verdict it finds without; and it
/// counts the non-terminal classes plus one state per set of property values met at a
/// terminal state, fewer than without.
#[test]
fn merging_terminal_states_keeps_every_verdict() {
    let every_property: String = properties::Props::<{ MAX_BUCKET_CNT }>::ALL
        .iter()
        .map(|p| format!("{} = \"holds\"\n", p.name))
        .collect();
    // Two goroutines with every operation over two keys; and growth under racing writers
    // (two keys already in the map), which also reaches the memory fault.
    let configurations = [
        "goroutines = 2\nkeys = 2\nops = [\"assign\", \"delete\", \"access\", \"iterate\"]",
        "goroutines = 2\nkeys = 2\ninitial = 2\nhash_pattern = [0, 1, 2, 3]\nhash_bits = 2\n\
         hint = 2\nops = [\"assign\", \"delete\", \"access\", \"iterate\"]\n\
         clear_dead_registers = true",
    ];
    let opts = RunOptions {
        shorten: false,
        ..RunOptions::default()
    };
    for params in configurations {
        let text = |merge: bool| {
            format!(
                "model = \"unsync\"\n[params]\n{params}\nmerge_terminal_states = {merge}\n\
                 [search]\nstrategy = \"dfs\"\nsymmetry = true\n[expect]\n{every_property}"
            )
        };
        let run = |merge: bool| {
            let spec = Spec::parse(Path::new("t.toml"), &text(merge)).unwrap();
            let r = crate::registry::run_spec(&spec, &opts).unwrap();
            assert!(r.complete, "{params}");
            let verdicts: Vec<(String, String)> = r
                .properties
                .iter()
                .map(|p| (p.name.clone(), format!("{:?}", p.verdict)))
                .collect();
            (r.unique_states, verdicts)
        };
        let (without, verdicts) = run(false);
        let (with, merged_verdicts) = run(true);
        assert_eq!(verdicts, merged_verdicts, "{params}");

        // The classes, from every reachable state of the model without the parameter.
        let spec = Spec::parse(Path::new("t.toml"), &text(false)).unwrap();
        let mut m = from_spec(&spec).unwrap();
        m.symmetry = true;
        let mut inner = std::collections::HashSet::new();
        let mut terminal = std::collections::HashSet::new();
        let mut values = std::collections::HashSet::new();
        let mut actions = Vec::new();
        for s in reach_every_interleaving(&m, None) {
            m.actions(&s, &mut actions);
            let is_terminal = m.is_terminal(&s);
            assert_eq!(is_terminal, actions.is_empty(), "{params}\n{s:?}");
            actions.clear();
            if is_terminal {
                values.insert(m.property_bits(&s));
                terminal.insert(representative(&s));
            } else {
                inner.insert(representative(&s));
            }
        }
        assert_eq!(without, inner.len() + terminal.len(), "{params}");
        assert_eq!(with, inner.len() + values.len(), "{params}");
        assert!(with < without, "{params}: no reduction ({with} states)");
    }
}

#[test]
fn merge_terminal_states_needs_symmetry() {
    let e = from_spec(&spec("merge_terminal_states = true")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("params.merge_terminal_states"));
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("symmetry = true"), "{}", e.message);
    let e = from_spec(&spec("merge_terminal_states = 1")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("params.merge_terminal_states"));
}

/// The fingerprint a depth-first search keeps under symmetry, computed in a state kept per
/// thread (`symmetry::representative_fingerprint`), is the representative's own
/// (`stateright::fingerprint(&representative(s))`) on every state of the first 100,000 a
/// depth-first walk of the every-interleaving configuration meets, one after the other (so
/// the kept state is reused across states of every shape), goroutines that tie and
/// terminal states included. (With the patched stateright, whose `fingerprint` is public:
/// scripts/stateright-patched.sh --test.)
#[cfg(feature = "stateright-patched")]
#[test]
fn representative_fingerprint_is_the_representatives() {
    let mut m = every_interleaving_model();
    m.params.merge_terminal_states = true;
    let (mut ties, mut terminal) = (0usize, 0usize);
    let mut seen = std::collections::HashSet::new();
    let mut stack = m.init_states();
    let mut acts = Vec::new();
    let mut checked = 0usize;
    while let Some(s) = stack.pop() {
        if checked == 100_000 {
            break;
        }
        checked += 1;
        let r = representative(&s);
        assert_eq!(
            symmetry::representative_fingerprint(&s),
            stateright::fingerprint(&r),
            "{s:?}"
        );
        ties += usize::from(s.gs[0] == s.gs[1] || s.gs[1] == s.gs[2] || s.gs[0] == s.gs[2]);
        terminal += usize::from(s.ghost.terminal.is_some());
        if !seen.insert(stateright::fingerprint(&r)) {
            continue;
        }
        m.actions(&s, &mut acts);
        stack.extend(acts.drain(..).filter_map(|a| m.next_state(&s, a)));
    }
    assert_eq!(checked, 100_000);
    assert!(
        ties > 1_000 && terminal > 100,
        "{ties} with goroutines alike, {terminal} terminal"
    );
}
