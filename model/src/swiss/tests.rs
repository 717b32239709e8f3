//! Unit tests of the `swiss` model's steps on hand-picked hashes.

use super::*;
use crate::framework::log::Log;

fn model(geo: Geometry, hashes: &[(u64, u64)]) -> SwissModel {
    let p = SwissParams {
        geo,
        keys: hashes.len() as u64,
        ..SwissParams::default()
    };
    let f: BTreeMap<u64, u64> = hashes.iter().copied().collect();
    SwissModel::with_hash_fns(p, vec![HashFn::from(f)], None)
}

fn run(m: &SwissModel, ops: &[SwissAction]) -> (SwissState, Vec<Outcome>) {
    let mut s = m.initial(0);
    let mut outs = Vec::new();
    for a in ops {
        outs.push(m.step(&mut s, a, &mut Log::default()));
        for p in properties::PROPERTIES
            .iter()
            .filter(|p| p.kind == Kind::Always)
        {
            assert!(
                (p.check)(m, &s),
                "{} after {a}:\n{}",
                p.name,
                render::state_text(&s, m)
            );
        }
    }
    (s, outs)
}

const SCALED: Geometry = Geometry {
    slots: 2,
    max_avg_group_load: 1,
    max_table_capacity: 4,
};

#[test]
fn a_third_key_past_a_full_small_group_splits_at_once_when_tables_are_capped_at_4() {
    let m = model(SCALED, &[(1, 0), (2, 1 << 63), (3, 1)]);
    let assign = |key| SwissAction::Assign { key, elem: 1 };
    let (s, _) = run(&m, &[assign(1), assign(2), assign(3)]);
    assert_eq!(s.dir_len(), 2);
    assert_eq!(s.m.global_depth, 1);
    assert_eq!(s.m.used, 3);
    assert!(s
        .tables
        .iter()
        .all(|t| t.local_depth == 1 && t.capacity == 4));
}

#[test]
fn delete_in_a_full_group_leaves_a_tombstone_that_the_next_insert_reuses() {
    // Two groups of two slots; keys 1 and 2 both start at group 0.
    let geo = Geometry {
        slots: 2,
        max_avg_group_load: 1,
        max_table_capacity: 8,
    };
    let m = model(geo, &[(1, 0), (2, 1), (3, 2), (4, 3)]);
    let assign = |key| SwissAction::Assign { key, elem: 1 };
    let (s, _) = run(
        &m,
        &[
            assign(1),
            assign(2),
            assign(3),
            SwissAction::Delete {
                key: 1,
                reseed: None,
            },
        ],
    );
    assert!(
        s.tables[0]
            .groups
            .iter()
            .any(|g| g.ctrl.contains(&CTRL_DELETED)),
        "{}",
        render::state_text(&s, &m)
    );
    let mut s2 = s.clone();
    m.step(&mut s2, &assign(4), &mut Log::default());
    assert!(
        s2.ghost.events & steps::ev::TOMBSTONE_REUSED != 0,
        "{}",
        render::state_text(&s2, &m)
    );
}

#[test]
fn the_go_geometry_holds_eight_keys_small_and_grows_to_a_16_slot_table_on_the_ninth_assign() {
    let hashes: Vec<(u64, u64)> = (1..=9u64)
        .map(|k| (k, k.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
        .collect();
    let m = model(Geometry::GO, &hashes);
    let ops: Vec<SwissAction> = (1..=9)
        .map(|key| SwissAction::Assign { key, elem: 1 })
        .collect();
    let (s, _) = run(&m, &ops[..8]);
    assert_eq!(s.dir_len(), 0);
    let (s, _) = run(&m, &ops);
    assert_eq!(s.dir_len(), 1);
    assert_eq!(s.tables[0].capacity, 16);
    assert_eq!(s.tables[0].growth_left, 14 - 9);
}
