//! The `cache` model's properties (no data race, no lost update, visibility, the first
//! update applied, no leak), one function each, and their table.

use super::memory::field;
use super::state::{CacheState, Obj, Role};
use super::CacheModel;
use crate::framework::concurrent::{prop, PropDef};

pub fn no_data_race(_: &CacheModel, s: &CacheState) -> bool {
    !s.ghost.race
}

pub fn no_lost_update(m: &CacheModel, s: &CacheState) -> bool {
    if !m.all_done(s) || s.ghost.crashed {
        return true;
    }
    for k in 0..m.params.keys {
        let now = m.cached(s, k);
        for f in 0..2u8 {
            let vals: Vec<u8> = m
                .params
                .roles
                .iter()
                .filter_map(|r| match r {
                    Role::Update { k: rk, f: rf, v } if *rk == k && *rf == f => Some(*v),
                    _ => None,
                })
                .collect();
            if vals.is_empty() {
                continue;
            }
            let x = now.map(|o| field(s, o, f)).unwrap_or(0);
            if !vals.contains(&x) {
                return false;
            }
        }
    }
    true
}

pub fn completed_update_visible(_: &CacheModel, s: &CacheState) -> bool {
    !s.ghost.stale_read
}

pub fn first_update_applied(_: &CacheModel, s: &CacheState) -> bool {
    !s.ghost.first_lost
}

pub fn live_orders_bounded(m: &CacheModel, s: &CacheState) -> bool {
    let live = s
        .heap
        .iter()
        .filter(|o| matches!(o, Obj::Order { .. }))
        .count();
    let in_flight = s.gs.iter().filter(|g| g.started && !g.done).count();
    live <= m.params.keys as usize + 2 * in_flight
}

/// Every property of the `cache` model.
pub const PROPERTIES: &[PropDef<CacheModel>] = &[
    prop!(no_data_race, Always,
        "no two accesses of an order field, a plain map or SafeMap.data (one a write) are unordered by happens-before (Go memory model)"),
    prop!(no_lost_update, Always,
        "when all goroutines are done, every field some update set holds the value of one of them (the state of some order of the updates)"),
    prop!(completed_update_visible, Always,
        "a read that starts after an update completed never returns the value that update overwrote (or a missing order)"),
    prop!(first_update_applied, Always,
        "an update that finds its order absent (no other update of it started) leaves the order in the cache with its value"),
    prop!(live_orders_bounded, Always,
        "live Order objects never exceed the keys plus two per operation in flight (no leak, whatever the number of updates)"),
];
