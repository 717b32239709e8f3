//! The `syncmap` model's properties (sync/map.go's field comments, linearizability, seed
//! claim S24, Range snapshots), one function each, and their table.

use super::state::{SmState, MAX_KEYS, P};
use super::SyncMapModel;
use crate::framework::concurrent::{prop, PropDef};

pub fn linearizable(_: &SyncMapModel, s: &SmState) -> bool {
    !s.ghost.not_linearizable
}
pub fn s24_completed_store_visible_to_later_load(_: &SyncMapModel, s: &SmState) -> bool {
    !s.ghost.s24_missed
}
pub fn range_is_snapshot(_: &SyncMapModel, s: &SmState) -> bool {
    !s.ghost.range_not_snapshot
}
pub fn expunged_never_in_dirty(_: &SyncMapModel, s: &SmState) -> bool {
    s.dirty.is_none_or(|d| {
        d.iter()
            .flatten()
            .all(|&e| s.entries[e as usize] != P::Expunged)
    })
}
pub fn amended_dirty_holds_read(_: &SyncMapModel, s: &SmState) -> bool {
    if s.mu.is_some() || !s.read.amended {
        return true;
    }
    let Some(d) = &s.dirty else { return false };
    (0..MAX_KEYS).all(|k| match s.read.m[k] {
        Some(e) if s.entries[e as usize] != P::Expunged => d[k].is_some(),
        _ => true,
    })
}
pub fn entry_shared_by_read_and_dirty(_: &SyncMapModel, s: &SmState) -> bool {
    if s.mu.is_some() {
        return true;
    }
    s.dirty.is_none_or(|d| {
        (0..MAX_KEYS).all(|k| match (s.read.m[k], d[k]) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        })
    })
}
pub fn misses_reset_on_promotion(_: &SyncMapModel, s: &SmState) -> bool {
    s.dirty.is_some() || s.misses == 0
}
pub fn reaches_promotion_by_misses(_: &SyncMapModel, s: &SmState) -> bool {
    s.ghost.promoted
}
pub fn reaches_expunge(_: &SyncMapModel, s: &SmState) -> bool {
    s.ghost.expunged
}
pub fn reaches_unexpunge(_: &SyncMapModel, s: &SmState) -> bool {
    s.ghost.unexpunged
}

/// Every property of the `syncmap` model.
pub const PROPERTIES: &[PropDef<SyncMapModel>] = &[
    prop!(linearizable, Always,
        "every history of Load/Store/LoadOrStore/LoadAndDelete/Delete is linearizable with respect to a plain map"),
    prop!(s24_completed_store_visible_to_later_load, Always,
        "seed claim S24, negated: a Load that begins after Store(k, v) returned, with no other write of k begun since the Store began, returns v"),
    prop!(range_is_snapshot, Always,
        "what one Range yields was exactly the map's content at some instant during the call"),
    prop!(expunged_never_in_dirty, Always,
        "no entry in m.dirty is expunged"),
    prop!(amended_dirty_holds_read, Always,
        "whenever mu is free and read.amended, m.dirty holds every non-expunged key of read.m"),
    prop!(entry_shared_by_read_and_dirty, Always,
        "whenever mu is free, a key in both read.m and m.dirty maps to the same *entry"),
    prop!(misses_reset_on_promotion, Always,
        "misses is 0 whenever m.dirty is nil (promotion resets it)"),
    prop!(reaches_promotion_by_misses, Sometimes,
        "dirty is promoted to read (by missLocked or Range)"),
    prop!(reaches_expunge, Sometimes,
        "dirtyLocked expunges a nil entry"),
    prop!(reaches_unexpunge, Sometimes,
        "a Store or LoadOrStore unexpunges an entry"),
];
