//! Tests of the `syncmap` model: operations run alone and interleaved, a mutant caught by the
//! properties, symmetry, and spec parsing.

use super::symmetry::representative;
use super::*;
use crate::framework::concurrent::{Event, MapRet};
use crate::framework::info::SpecModel;
use crate::framework::log::Log;
use stateright::Checker;
use std::path::Path;

fn model(goroutines: u8, prefill: u8) -> SyncMapModel {
    SyncMapModel::new(
        SyncMapParams {
            goroutines,
            prefill,
            ops_per_goroutine: 3,
            ops: 0b111111,
            ..SyncMapParams::default()
        },
        None,
    )
}

/// Runs an operation of goroutine `g` to its end, alone; returns its log.
fn run(m: &SyncMapModel, s: &mut SmState, g: u8, op: SOp) -> Vec<String> {
    let mut log = Log::enabled();
    m.apply(s, &SAction::Start { g, op }, &mut log);
    while let Some(c) = s.gs[g as usize].cur {
        m.apply(
            s,
            &SAction::Step {
                g,
                op: c.op,
                pc: c.pc,
                key: SyncMapModel::unvisited(s, &c).first().copied().unwrap_or(0),
            },
            &mut log,
        );
    }
    log.0.unwrap()
}

#[test]
fn a_completed_store_of_a_new_key_is_seen_by_a_later_load_through_dirty() {
    let m = model(2, 0);
    let mut s = m.init_states().remove(0);
    run(&m, &mut s, 0, SOp::Map(MapOp::Store(1, 1)));
    assert!(
        s.read.amended && s.read.m[0].is_none(),
        "the new key is only in dirty"
    );
    let log = run(&m, &mut s, 1, SOp::Map(MapOp::Load(1)));
    assert!(
        log.iter().any(|l| l.starts_with("dirty[k1] = e")),
        "{log:?}"
    );
    assert_eq!(
        s.history.last_event(),
        Some(&Event::Return(1, MapRet::Value(Some(1))))
    );
    assert!(!s.ghost.s24_missed && !s.ghost.not_linearizable);
    // One miss against a dirty map of one key promotes it.
    assert!(s.dirty.is_none() && s.read.m[0].is_some() && s.misses == 0);
}

#[test]
fn a_load_that_ignores_dirty_is_caught_by_s24_and_linearizability() {
    // A mutant: the Store's key is in dirty, but read claims not to be amended, so the
    // Load returns on its lock-free path without looking in dirty.
    let m = model(2, 0);
    let mut s = m.init_states().remove(0);
    run(&m, &mut s, 0, SOp::Map(MapOp::Store(1, 1)));
    s.read.amended = false;
    run(&m, &mut s, 1, SOp::Map(MapOp::Load(1)));
    assert_eq!(
        s.history.last_event(),
        Some(&Event::Return(1, MapRet::Value(None)))
    );
    assert!(s.ghost.s24_missed);
    assert!(s.ghost.not_linearizable);
}

#[test]
fn a_store_after_a_delete_and_a_new_key_unexpunges_the_entry() {
    let m = model(1, 1);
    let mut s = m.init_states().remove(0);
    run(&m, &mut s, 0, SOp::Map(MapOp::Delete(1)));
    assert_eq!(s.entries[s.read.m[0].unwrap() as usize], P::Nil);
    run(&m, &mut s, 0, SOp::Map(MapOp::Store(2, 1)));
    assert_eq!(s.entries[s.read.m[0].unwrap() as usize], P::Expunged);
    assert_eq!(
        s.dirty.unwrap()[0],
        None,
        "expunged entries stay out of dirty"
    );
    let log = run(&m, &mut s, 0, SOp::Map(MapOp::Store(1, 1)));
    assert!(log
        .iter()
        .any(|l| l.contains("unexpungeLocked") && l.ends_with("succeeds")));
    assert_eq!(
        s.dirty.unwrap()[0],
        s.read.m[0],
        "read and dirty share the entry"
    );
}

#[test]
fn load_or_store_on_a_live_key_returns_the_old_value_and_stores_nothing() {
    let m = model(1, 1);
    let mut s = m.init_states().remove(0);
    run(&m, &mut s, 0, SOp::Map(MapOp::LoadOrStore(1, 2)));
    assert_eq!(
        s.history.last_event(),
        Some(&Event::Return(0, MapRet::Actual(1, true)))
    );
    assert_eq!(SyncMapModel::content(&s)[0], 1);
}

#[test]
fn a_range_racing_two_stores_yields_a_mix_the_map_never_held() {
    let mut m = model(2, 2);
    m.params.values = 2;
    let mut s = m.init_states().remove(0);
    let range = SAction::Start {
        g: 1,
        op: SOp::Range,
    };
    m.apply(&mut s, &range, &mut Log::default());
    let next = |s: &SmState| SAction::Step {
        g: 1,
        op: SOp::Range,
        pc: s.gs[1].cur.unwrap().pc,
        key: 0,
    };
    let a = next(&s);
    m.apply(&mut s, &a, &mut Log::default()); // yields k1 = v1
    run(&m, &mut s, 0, SOp::Map(MapOp::Store(1, 2)));
    run(&m, &mut s, 0, SOp::Map(MapOp::Store(2, 2)));
    let a = next(&s);
    m.apply(&mut s, &a, &mut Log::default()); // yields k2 = v2
    assert!(s.ghost.range_not_snapshot);
}

#[test]
fn representatives_do_not_depend_on_goroutine_order() {
    let m = model(2, 0);
    let mut s = m.init_states().remove(0);
    let mut t = s.clone();
    run(&m, &mut s, 0, SOp::Map(MapOp::Store(1, 1)));
    run(&m, &mut t, 1, SOp::Map(MapOp::Store(1, 1)));
    assert_ne!(s, t);
    assert_eq!(representative(&s), representative(&t));
}

fn spec(params: &str) -> Spec {
    let src =
        format!("model = \"syncmap\"\n[params]\n{params}\n[expect]\nlinearizable = \"holds\"\n");
    Spec::parse(Path::new("t.toml"), &src).unwrap()
}

#[test]
fn valid_parameters_build_a_model() {
    let m = SyncMapModel::from_spec(&spec("keys = 3\nprefill = 3\nops = [\"range\", \"store\"]"))
        .unwrap();
    assert_eq!(m.params.ops, 0b100010);
}

#[test]
fn invalid_parameters_name_the_line_and_field() {
    let e = SyncMapModel::from_spec(&spec("keys = 1\nprefill = 2")).unwrap_err();
    assert_eq!(
        (e.field.as_deref(), e.line),
        (Some("params.prefill"), Some(4))
    );
    let e = SyncMapModel::from_spec(&spec("values = 4")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("params.values"));
    assert!(e.message.contains("out of range"), "{e}");
    let e = SyncMapModel::from_spec(&spec("ops = [\"swap\"]")).unwrap_err();
    assert!(e.message.contains("unknown operation"), "{e}");
}

/// Random executions of specs/syncmap-range-snapshot.toml's and the slow
/// syncmap-three-goroutines-two-ops-two-keys.toml's configurations: the representative is
/// canonical (`framework::symmetry_check`), so a spec's count does not depend on the number
/// of threads. The renamings permute the goroutines and renumber the entries at random.
#[test]
fn representatives_are_canonical_along_random_executions() {
    use crate::framework::symmetry_check::check_along_random_walks;
    for (name, walks) in [
        ("syncmap-range-snapshot.toml", 3_000),
        ("slow/syncmap-three-goroutines-two-ops-two-keys.toml", 3_000),
    ] {
        let path = format!("{}/../specs/{name}", env!("CARGO_MANIFEST_DIR"));
        let src = std::fs::read_to_string(&path).unwrap();
        let m = SyncMapModel::from_spec(&Spec::parse(Path::new(&path), &src).unwrap()).unwrap();
        let states = check_along_random_walks(
            &m,
            walks,
            0x2545_f491_4f6c_dd1d,
            representative,
            |s, rng| {
                let mut perm: Vec<u8> = (0..s.gs.len() as u8).collect();
                rng.shuffle(&mut perm);
                let mut t = symmetry::permute(s, &perm);
                let mut entries: Vec<state::EntryId> =
                    (0..t.entries.len() as state::EntryId).collect();
                rng.shuffle(&mut entries);
                symmetry::renumber(&mut t, &entries);
                t
            },
            |_| false,
        );
        assert!(states > 30_000, "{name}: {states} states checked");
    }
}

/// Every state of a few goroutines (one operation each, every operation, with a prefilled
/// key so that promotion and expunge are reached) survives the packed encoding, in both
/// history modes; and the packed model's breadth-first search counts the same states.
#[test]
fn packed_states_decode_to_the_states_they_encode() {
    use crate::framework::history::HistoryMode;
    use crate::framework::packed::{assert_packs, Packed};
    for (history, goroutines) in [(HistoryMode::Events, 2), (HistoryMode::Frontier, 3)] {
        let m = SyncMapModel::new(
            SyncMapParams {
                goroutines,
                ops_per_goroutine: 1,
                prefill: 1,
                ops: 0b111111,
                history,
                ..SyncMapParams::default()
            },
            None,
        );
        let n = assert_packs(&m).len();
        assert!(n > 3_000, "{n}");
        let plain = m.clone().checker().spawn_bfs().join();
        let packed = Packed::new(m).checker().spawn_bfs().join();
        assert_eq!(plain.unique_state_count(), n);
        assert_eq!(packed.unique_state_count(), n);
        assert_eq!(packed.state_count(), plain.state_count());
        for name in ["reaches_promotion_by_misses", "reaches_expunge"] {
            assert!(packed.discovery(name).is_some(), "{history:?}: {name}");
        }
    }
}
