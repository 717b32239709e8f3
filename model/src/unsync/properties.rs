//! The `unsync` model's properties: the invariants a racy execution may break and the
//! throws and races it may reach ([`PROPERTIES`]).

use super::state::*;
use super::steps::{FAULT_OLDBUCKETS, THROW_ITER_WRITE, THROW_READ_WRITE, THROW_WRITES};
use super::UnsyncModel;
use crate::framework::concurrent::{prop, PropDef};
use crate::hmap::properties::{live_count, no_duplicate_live};

fn racy_execution_detected<const N: usize>(m: &UnsyncModel<N>, s: &UnsyncState<N>) -> bool {
    !(m.all_done(s) && s.ghost.raced)
}

fn no_lost_insert<const N: usize>(m: &UnsyncModel<N>, s: &UnsyncState<N>) -> bool {
    if !m.all_done(s) {
        return true;
    }
    let must = s.ghost.assigned & !s.ghost.deleted;
    let live = |k: u64| m.steps.machine.find_live(&s.m, k).is_some();
    (1..=m.params.keys).all(|k| must & (1 << (k - 1)) == 0 || live(k as u64))
        && (0..m.params.initial).all(|i| live((m.params.keys + 1 + i) as u64))
}

fn no_duplicate_key<const N: usize>(m: &UnsyncModel<N>, s: &UnsyncState<N>) -> bool {
    // Only between operations: inside one, Go's own steps pass through such states (the
    // tophash of a new cell is stored before its key, so a stale key is briefly live).
    if s.gs.iter().any(|g| g.cur.is_some()) {
        return true;
    }
    no_duplicate_live(&m.steps.machine, &s.m)
}

fn count_matches_live_entries<const N: usize>(m: &UnsyncModel<N>, s: &UnsyncState<N>) -> bool {
    if s.gs.iter().any(|g| g.cur.is_some()) {
        return true;
    }
    live_count(&m.steps.machine, &s.m) == s.m.h.count
}

fn no_torn_read<const N: usize>(_: &UnsyncModel<N>, s: &UnsyncState<N>) -> bool {
    !s.ghost.torn_read
}

fn thrown<const N: usize>(s: &UnsyncState<N>, msg: &str) -> bool {
    s.ghost.thrown.is_some_and(|(_, m)| m == msg)
}

fn throws_concurrent_map_writes<const N: usize>(_: &UnsyncModel<N>, s: &UnsyncState<N>) -> bool {
    thrown(s, THROW_WRITES)
}
fn throws_concurrent_map_read_and_map_write<const N: usize>(
    _: &UnsyncModel<N>,
    s: &UnsyncState<N>,
) -> bool {
    thrown(s, THROW_READ_WRITE)
}
fn throws_concurrent_map_iteration_and_map_write<const N: usize>(
    _: &UnsyncModel<N>,
    s: &UnsyncState<N>,
) -> bool {
    thrown(s, THROW_ITER_WRITE)
}
fn reaches_growth_while_racing<const N: usize>(_: &UnsyncModel<N>, s: &UnsyncState<N>) -> bool {
    s.ghost.growth_while_racing
}
fn reaches_memory_fault<const N: usize>(_: &UnsyncModel<N>, s: &UnsyncState<N>) -> bool {
    thrown(s, FAULT_OLDBUCKETS)
}
fn reaches_silent_race<const N: usize>(m: &UnsyncModel<N>, s: &UnsyncState<N>) -> bool {
    m.all_done(s) && s.ghost.raced
}

/// Every property of the `unsync` model.
pub const PROPERTIES: &[PropDef<UnsyncModel>] =
    Props::<{ crate::hmap::state::MAX_BUCKET_CNT }>::ALL;

/// [`PROPERTIES`] for the model whose bmaps have `N` slots: the same names, in the same
/// order, checking states of that model.
pub struct Props<const N: usize>;

impl<const N: usize> Props<N> {
    pub const ALL: &'static [PropDef<UnsyncModel<N>>] = &[
    prop!(racy_execution_detected, Always,
        "every execution in which a write overlapped another operation ended in a throw (Go's detection is best-effort: expect violated)"),
    prop!(no_lost_insert, Always,
        "when every goroutine has finished, every key assigned and never deleted is in the map"),
    prop!(no_duplicate_key, Always,
        "whenever no operation is in progress, no key is live in two cells"),
    prop!(count_matches_live_entries, Always,
        "whenever no operation is in progress, h.count equals the number of live cells"),
    prop!(no_torn_read, Always,
        "mapaccess2 never returns (0, true): a key found with an elem nobody stored"),
    prop!(throws_concurrent_map_writes, Sometimes,
        "a writer throws \"concurrent map writes\""),
    prop!(throws_concurrent_map_read_and_map_write, Sometimes,
        "a reader throws \"concurrent map read and map write\""),
    prop!(throws_concurrent_map_iteration_and_map_write, Sometimes,
        "an iterator throws \"concurrent map iteration and map write\""),
    prop!(reaches_growth_while_racing, Sometimes,
        "hashGrow or evacuate runs while another goroutine is inside an operation"),
    prop!(reaches_memory_fault, Sometimes,
        "a racing flags store lost or resurrected sameSizeGrow, so that Go would index past the end of oldbuckets (the model stops there)"),
    prop!(reaches_silent_race, Sometimes,
        "every goroutine finished without a throw although operations overlapped with a write"),
];
}
