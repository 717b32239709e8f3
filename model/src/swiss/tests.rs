//! Unit tests of the `swiss` model's steps on hand-picked hashes.

use super::*;
use crate::framework::log::Log;
use std::collections::BTreeMap;

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

/// The log of Go's inner steps of `ops`' last operation, after the others.
fn last_log(m: &SwissModel, ops: &[SwissAction]) -> String {
    let (s, _) = run(m, &ops[..ops.len() - 1]);
    let (_, _, log) = m.explain(&s, ops.last().unwrap());
    log.join("\n")
}

#[test]
fn step_logs_name_go_s_functions_and_the_probe_sequence() {
    let assign = |key| SwissAction::Assign { key, elem: 1 };
    let delete = |key| SwissAction::Delete { key, reseed: None };
    let has = |log: &str, parts: &[&str]| {
        for p in parts {
            assert!(log.contains(p), "no {p:?} in:\n{log}");
        }
    };
    // Every key probes from group 0 (H1 0); tables up to 8 slots.
    let geo = Geometry {
        slots: 2,
        max_avg_group_load: 1,
        max_table_capacity: 8,
    };
    let m = model(geo, &[(1, 0), (2, 1), (3, 2), (4, 3)]);
    has(
        &last_log(&m, &[assign(1)]),
        &[
            "hash := Hasher(k1, m.seed) = 0x0: H1 0x0, H2 0x00",
            "growToSmall",
            "putSlotSmallFast64: no k1 in the group; matchEmptyOrDeleted: slot 0",
        ],
    );
    // The third key: growToTable (4 slots, no growth left), rehash -> grow to 8 slots, then
    // the insert starts over and probes past the full group 0.
    has(
        &last_log(&m, &[assign(1), assign(2), assign(3)]),
        &[
            "m.used == 2 (abi.SwissMapGroupSlots)",
            "growToTable: newTable(capacity 4, index 0, localDepth 0) (growthLeft 0); uncheckedPutSlot of each full slot: k1 -> group 0 slot 0, k2 -> group 0 slot 1",
            "makeProbeSeq(H1, lengthMask 1): offset 0",
            "growthLeft == 0: rehash the table this mapassign made",
            "rehash: newCapacity = 2*4 = 8 <= maxTableCapacity 8: grow",
            "grow: newTable(capacity 8, index 0, localDepth 0)",
            "replaceTable: dir[0] := the new table",
            "group 0: no k3, no empty or deleted slot (matchEmptyOrDeleted): seq.next() -> offset 1",
            "group 1: no k3; slot 0 is ctrlEmpty: end of the probe sequence",
            "group 1 slot 0: key, elem := k3, v1; ctrl := H2 0x02",
        ],
    );
    // A delete from the full group 0 leaves a tombstone; the next insert remembers it as
    // firstDeleted, probes on to an empty slot, and reuses it.
    let ops = [assign(1), assign(2), assign(3), delete(1)];
    has(
        &last_log(&m, &ops),
        &[
            "directoryIndex(hash) = 0: t0.Delete",
            "makeProbeSeq(H1, lengthMask 3): offset 0",
            "group 0: matchH2(0x00) finds k1 in slot 0",
            "ctrl := ctrlDeleted, a tombstone (growthLeft stays 1)",
        ],
    );
    let ops = [assign(1), assign(2), assign(3), delete(1), assign(4)];
    has(
        &last_log(&m, &ops),
        &[
            "group 0: no k4; its first empty-or-deleted slot 0 is ctrlDeleted (a tombstone), remembered as firstDeleted: keep probing, seq.next() -> offset 1",
            "group 1: no k4; slot 1 is ctrlEmpty: end of the probe sequence",
            "into firstDeleted, the tombstone",
            "group 0 slot 0: key, elem := k4, v1",
        ],
    );
    // Tables capped at 4 slots: the third key splits at once, doubling the directory.
    let m = model(SCALED, &[(1, 0), (2, 1 << 63), (3, 1)]);
    has(
        &last_log(&m, &[assign(1), assign(2), assign(3)]),
        &[
            "rehash: newCapacity = 2*4 = 8 > maxTableCapacity 4: split",
            "split: localDepth 0 -> 1",
            "hash bit 63 (0: left, 1: right)",
            "left: k1 -> group 0 slot 0, right: k2 -> group 0 slot 0",
            "installTableSplit: localDepth 0 == globalDepth 0: the directory doubles to 2 entries (globalDepth 1)",
            "replaceTable: left at dir[0] (index 0), right at dir[1] (index 1)",
        ],
    );
}
