//! Tests of the `rwmutex` model: writer preference step by step, a small exhaustive check,
//! and spec parsing.

use super::properties::reaches_reader_waits_for_pending_writer;
use super::*;
use crate::framework::info::SpecModel;
use std::path::Path;

fn model(goroutines: u8) -> RwModel {
    RwModel::new(
        RwParams {
            goroutines,
            ..RwParams::default()
        },
        None,
    )
}

fn step(m: &RwModel, s: &mut RwState, g: u8) {
    let c = s.gs[g as usize].cur.unwrap();
    assert!(
        RwModel::enabled(s, &c),
        "g{} is blocked at {:?}",
        g + 1,
        c.lpc
    );
    m.apply(
        s,
        &RAction::Step {
            g,
            op: c.op,
            lpc: c.lpc,
        },
        &mut Log::default(),
    );
}

#[test]
fn a_pending_writer_makes_a_new_reader_wait() {
    let m = model(3);
    let mut s = m.init_states().remove(0);
    // g1 reads and stays inside the read lock.
    m.apply(
        &mut s,
        &RAction::Start {
            g: 0,
            op: MapOp::Load(1),
        },
        &mut Log::default(),
    );
    assert_eq!(s.gs[0].cur.unwrap().lpc, LPc::Critical);
    // g2 wants to write: it takes w, announces itself, and waits for g1.
    m.apply(
        &mut s,
        &RAction::Start {
            g: 1,
            op: MapOp::Store(1, 1),
        },
        &mut Log::default(),
    );
    step(&m, &mut s, 1);
    step(&m, &mut s, 1);
    assert_eq!(s.gs[1].cur.unwrap().lpc, LPc::AcquireWriterSem);
    assert!(!RwModel::enabled(&s, &s.gs[1].cur.unwrap()));
    // g3's RLock now blocks although only a reader holds the lock.
    m.apply(
        &mut s,
        &RAction::Start {
            g: 2,
            op: MapOp::Load(2),
        },
        &mut Log::default(),
    );
    assert_eq!(s.gs[2].cur.unwrap().lpc, LPc::AcquireReaderSem);
    assert!(reaches_reader_waits_for_pending_writer(&m, &s));
    // g1 finishes; its RUnlock wakes the writer.
    while s.gs[0].cur.is_some() {
        step(&m, &mut s, 0);
    }
    assert!(RwModel::enabled(&s, &s.gs[1].cur.unwrap()));
    assert!(!m.deadlocked(&s));
}

#[test]
fn two_goroutines_never_throw_deadlock_or_break_linearizability() {
    use stateright::Checker;
    let p = RwParams {
        ops_per_goroutine: 1,
        ..RwParams::default()
    };
    let m = RwModel::new(p, None);
    let c = m.checker().spawn_dfs().join();
    for name in ["linearizable", "no_throw", "no_deadlock"] {
        assert!(c.discovery(name).is_none(), "{name} violated");
    }
}

fn spec(params: &str) -> Spec {
    let src = format!("model = \"rwmutex\"\n[params]\n{params}\n[expect]\nno_throw = \"holds\"\n");
    Spec::parse(Path::new("t.toml"), &src).unwrap()
}

#[test]
fn valid_parameters_build_a_model() {
    let m = RwModel::from_spec(&spec("goroutines = 3\nops = [\"access\"]")).unwrap();
    assert_eq!((m.params.goroutines, m.params.ops), (3, 4));
}

#[test]
fn invalid_parameters_name_the_line_and_field() {
    let e = RwModel::from_spec(&spec("ops = [\"iterate\"]")).unwrap_err();
    assert_eq!((e.field.as_deref(), e.line), (Some("params.ops"), Some(3)));
    let e = RwModel::from_spec(&spec("load_factor = \"3\"")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("params.load_factor"));
}

/// Random executions of specs/rwmutex-three-goroutines-two-ops-two-keys.toml's
/// configuration: the representative is canonical (`framework::symmetry_check`), so the
/// spec's count does not depend on the number of threads. The renamings permute the
/// goroutines and renumber the bucket arrays at random.
#[test]
fn representatives_are_canonical_along_random_executions() {
    use crate::framework::symmetry_check::check_along_random_walks;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../specs/rwmutex-three-goroutines-two-ops-two-keys.toml"
    );
    let src = std::fs::read_to_string(path).unwrap();
    let m = RwModel::from_spec(&Spec::parse(Path::new(path), &src).unwrap()).unwrap();
    let states = check_along_random_walks(
        &m,
        3_000,
        0x2545_f491_4f6c_dd1d,
        symmetry::representative,
        |s, rng| {
            let mut perm: Vec<u8> = (0..s.gs.len() as u8).collect();
            rng.shuffle(&mut perm);
            let mut t = symmetry::permute(s, &perm);
            let mut arrays: Vec<crate::hmap::state::ArrayId> =
                (0..t.m.arrays.len() as crate::hmap::state::ArrayId).collect();
            rng.shuffle(&mut arrays);
            let mut refs: Vec<&mut crate::unsync::GMap> =
                t.gs.iter_mut()
                    .filter_map(|g| g.cur.as_mut().and_then(|c| c.map.as_mut()))
                    .collect();
            crate::unsync::symmetry::renumber(&mut t.m, &mut refs, &arrays);
            t
        },
        |s| s.ghost.thrown.is_some(),
    );
    assert!(states > 30_000, "{states} states checked");
}
