//! Tests of the `cache` model: races found and not found, lock ordering, garbage collection.

use super::*;
use crate::framework::log::Log;

fn model(protocol: Protocol, roles: Vec<Role>, preexisting: bool) -> CacheModel {
    CacheModel::new(
        CacheParams {
            protocol,
            roles,
            keys: 1,
            preexisting,
        },
        None,
    )
}

fn run(m: &CacheModel, schedule: &[usize]) -> CacheState {
    let mut s = m.initial();
    for &g in schedule {
        assert!(m.enabled(&s, g), "g{} not enabled", g + 1);
        m.apply(&mut s, g, &mut Log::default());
    }
    s
}

const W: Role = Role::Update { k: 0, f: 0, v: 1 };
const W2: Role = Role::Update { k: 0, f: 0, v: 2 };
const R: Role = Role::Read { k: 0 };

#[test]
fn a_read_after_the_seeds_in_place_write_but_before_its_store_races() {
    let m = model(Protocol::Seed, vec![W, W2, R], false);
    // g1 creates the order, g2 loads it and writes Status, g3 loads and reads.
    let s = run(&m, &[0, 1, 1, 2, 2]);
    assert!(s.ghost.race);
}

#[test]
fn a_read_after_the_seeds_store_does_not_race() {
    let m = model(Protocol::Seed, vec![W, W2, R], false);
    let s = run(&m, &[0, 1, 1, 1, 2, 2]);
    assert!(!s.ghost.race);
    assert!(s.gs.iter().all(|g| g.done));
}

#[test]
fn unlock_orders_the_next_lock_and_rlock() {
    let m = model(Protocol::RwmutexPointerReader, vec![W, W2, R], true);
    let s = run(&m, &[0, 0, 0, 1, 1, 1, 2, 2, 2, 2]);
    assert!(!s.ghost.race);
}

#[test]
fn a_pointer_kept_past_runlock_races_with_the_next_writer() {
    let m = model(Protocol::RwmutexPointerReader, vec![W, R], true);
    // The reader takes the pointer and unlocks; the writer writes; the reader reads.
    let s = run(&m, &[1, 1, 1, 0, 0, 0, 1]);
    assert!(s.ghost.race);
}

#[test]
fn garbage_is_collected_after_every_step() {
    let m = model(Protocol::Seed, vec![W, W2], false);
    let s = run(&m, &[0, 1]);
    // g1's order is in the cache; g2's fresh &Order was dropped when LoadOrStore loaded.
    assert_eq!(s.heap.len(), 1);
}
