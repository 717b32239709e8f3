//! The properties of the `swiss` model. Structural invariants carry the names of
//! gomap-impl's `SwissMap::check_invariants()` (impl/src/swiss/map/check.rs `Invariant`);
//! behavioural ones reuse the `hmap` model's names where the guarantee is the same.
//! Properties about what an operation did are recorded by the transition in
//! `ghost.violations` / `ghost.events` for the state right after it.

use super::state::*;
use super::steps::{ev, viol};
use super::SwissModel;
use crate::framework::info::Kind;
use stateright::Property;

/// A property of the model.
pub struct PropDef {
    pub name: &'static str,
    pub kind: Kind,
    pub description: &'static str,
    /// Needs the iterators' ghost key sets.
    pub iters: bool,
    pub check: fn(&SwissModel, &SwissState) -> bool,
}

impl crate::framework::concurrent::PropertyDef<SwissModel> for PropDef {
    fn name(&self) -> &'static str {
        self.name
    }
    fn to_stateright(&self) -> Property<SwissModel> {
        match self.kind {
            Kind::Always => Property::always(self.name, self.check),
            Kind::Sometimes => Property::sometimes(self.name, self.check),
        }
    }
}

/// The groups of the map's storage (small group or distinct tables) with their table.
fn groups(s: &SwissState) -> Vec<(Option<TableId>, &Group)> {
    if s.dir_len() == 0 {
        return s
            .m
            .small
            .iter()
            .map(|&g| (None, &s.smalls[g as usize]))
            .collect();
    }
    s.dir_tables()
        .into_iter()
        .flat_map(|t| s.table(t).groups.iter().map(move |g| (Some(t), g)))
        .collect()
}

/// Live entries: (table or None for the small group, key, ctrl byte, group index, slot).
fn live(m: &SwissModel, s: &SwissState) -> Vec<(Option<TableId>, u64, u8)> {
    let slots = m.machine.geo.slots;
    let mut v = Vec::new();
    for (t, g) in groups(s) {
        for i in 0..slots {
            if is_full(g.ctrl[i]) {
                v.push((t, g.keys[i], g.ctrl[i]));
            }
        }
    }
    v
}

fn used_matches_entries(m: &SwissModel, s: &SwissState) -> bool {
    live(m, s).len() as u64 == s.m.used
}
fn count_matches_live_entries(m: &SwissModel, s: &SwissState) -> bool {
    used_matches_entries(m, s)
}
fn no_duplicate_key(m: &SwissModel, s: &SwissState) -> bool {
    let mut keys: Vec<u64> = live(m, s).iter().map(|e| e.1).collect();
    keys.sort_unstable();
    keys.windows(2).all(|w| w[0] != w[1])
}
fn table_used_matches_ctrl(m: &SwissModel, s: &SwissState) -> bool {
    let slots = m.machine.geo.slots;
    s.tables.iter().all(|t| {
        t.groups
            .iter()
            .map(|g| (0..slots).filter(|&i| is_full(g.ctrl[i])).count())
            .sum::<usize>()
            == t.used as usize
    })
}
fn tombstones(t: &Table, slots: usize) -> usize {
    t.groups
        .iter()
        .map(|g| {
            g.ctrl[..slots]
                .iter()
                .filter(|&&c| c == CTRL_DELETED)
                .count()
        })
        .sum()
}
fn growth_left_accounting(m: &SwissModel, s: &SwissState) -> bool {
    let g = m.machine.geo;
    s.tables.iter().all(|t| {
        let max = if t.capacity as usize <= g.slots {
            t.capacity as usize - 1
        } else {
            t.capacity as usize * g.max_avg_group_load as usize / g.slots
        };
        max == t.used as usize + t.growth_left as usize + tombstones(t, g.slots)
    })
}
fn probe_ends_at_empty_slot(m: &SwissModel, s: &SwissState) -> bool {
    let slots = m.machine.geo.slots;
    s.tables.iter().all(|t| {
        t.groups
            .iter()
            .any(|g| g.ctrl[..slots].contains(&CTRL_EMPTY))
    })
}
fn ctrl_bytes_valid(m: &SwissModel, s: &SwissState) -> bool {
    let slots = m.machine.geo.slots;
    let ok = |g: &Group| {
        g.ctrl[..slots]
            .iter()
            .all(|&c| c == CTRL_EMPTY || c == CTRL_DELETED || c < 0x80)
    };
    s.tables.iter().all(|t| t.groups.iter().all(ok)) && s.smalls.iter().all(ok)
}
fn ctrl_matches_h2(m: &SwissModel, s: &SwissState) -> bool {
    live(m, s)
        .iter()
        .all(|&(_, k, c)| s.hashes.get(&k).is_some_and(|&h| h2(h) == c))
}
/// Every full slot of a table is found along its key's probe sequence before any group
/// with an empty slot, in the table the directory selects for its hash.
fn entry_findable(m: &SwissModel, s: &SwissState) -> bool {
    let mach = &m.machine;
    live(m, s)
        .iter()
        .all(|&(_, k, _)| mach.lookup(s, k).0.is_some())
}
fn entry_in_directory_table(m: &SwissModel, s: &SwissState) -> bool {
    live(m, s).iter().all(|&(t, k, _)| match t {
        None => true,
        Some(t) => s
            .hashes
            .get(&k)
            .is_some_and(|&h| s.m.dir[m.machine.directory_index(s, h)] == t),
    })
}
fn directory_depth(_: &SwissModel, s: &SwissState) -> bool {
    if s.dir_len() == 0 {
        return s.m.global_depth == 0;
    }
    if s.dir_len() != 1 << s.m.global_depth {
        return false;
    }
    s.dir_tables().iter().all(|&tid| {
        let t = s.table(tid);
        if t.local_depth > s.m.global_depth || t.index < 0 {
            return false;
        }
        let n = 1usize << (s.m.global_depth - t.local_depth);
        let i = t.index as usize;
        i.is_multiple_of(n)
            && (0..s.dir_len()).all(|d| (s.m.dir[d] == tid) == (i..i + n).contains(&d))
    })
}
fn capacity_shape(m: &SwissModel, s: &SwissState) -> bool {
    let g = m.machine.geo;
    s.tables.iter().all(|t| {
        t.capacity as usize == t.groups.len() * g.slots
            && t.capacity.is_power_of_two()
            && t.capacity as usize >= g.slots
            && t.capacity <= g.max_table_capacity
    })
}
fn small_map_shape(m: &SwissModel, s: &SwissState) -> bool {
    let slots = m.machine.geo.slots;
    s.dir_len() > 0
        || (s.m.global_depth == 0
            && s.m
                .small
                .is_none_or(|g| !s.smalls[g as usize].ctrl[..slots].contains(&CTRL_DELETED)))
}
fn non_full_elem_zeroed(m: &SwissModel, s: &SwissState) -> bool {
    groups(s)
        .iter()
        .all(|(_, g)| (0..m.machine.geo.slots).all(|i| is_full(g.ctrl[i]) || g.elems[i] == 0))
}
fn tombstones_only_in_full_groups(m: &SwissModel, s: &SwissState) -> bool {
    let slots = m.machine.geo.slots;
    groups(s).iter().all(|(_, g)| {
        !(g.ctrl[..slots].contains(&CTRL_DELETED) && g.ctrl[..slots].contains(&CTRL_EMPTY))
    })
}

fn no_violation(s: &SwissState, bit: u64) -> bool {
    s.ghost.violations & bit == 0
}
fn access_agrees_with_abstract_map(_: &SwissModel, s: &SwissState) -> bool {
    no_violation(s, viol::ACCESS_MISMATCH)
}
fn capacity_never_decreases(_: &SwissModel, s: &SwissState) -> bool {
    no_violation(s, viol::CAPACITY_DECREASED)
}
fn rehash_preserves_entries(_: &SwissModel, s: &SwissState) -> bool {
    no_violation(s, viol::REHASH_CHANGED_ENTRIES)
}
fn probe_terminates(_: &SwissModel, s: &SwissState) -> bool {
    no_violation(s, viol::PROBE_NEVER_ENDS)
}
fn iter_key_at_most_once(_: &SwissModel, s: &SwissState) -> bool {
    no_violation(s, viol::ITER_KEY_TWICE)
}
fn iter_entry_at_most_once(_: &SwissModel, s: &SwissState) -> bool {
    no_violation(s, viol::ITER_ENTRY_TWICE)
}
fn iter_skips_deleted(_: &SwissModel, s: &SwissState) -> bool {
    no_violation(s, viol::ITER_DELETED_KEY)
}
fn iter_current_value(_: &SwissModel, s: &SwissState) -> bool {
    no_violation(s, viol::ITER_STALE_VALUE)
}
fn iter_complete(_: &SwissModel, s: &SwissState) -> bool {
    no_violation(s, viol::ITER_INCOMPLETE)
}

macro_rules! event {
    ($f:ident, $bit:expr) => {
        fn $f(_: &SwissModel, s: &SwissState) -> bool {
            s.ghost.events & $bit != 0
        }
    };
}
event!(reaches_grow_to_table, ev::GROW_TO_TABLE);
event!(reaches_grow, ev::GROW);
event!(reaches_split, ev::SPLIT);
event!(reaches_directory_growth, ev::DIRECTORY_GROWN);
event!(reaches_tombstone, ev::TOMBSTONE_LEFT);
event!(reaches_tombstone_reuse, ev::TOMBSTONE_REUSED);
event!(
    reaches_rehash_dropping_tombstones,
    ev::REHASH_DROPPED_TOMBSTONES
);
event!(reaches_reseed, ev::RESEED);
event!(reaches_clear_during_iteration, ev::CLEAR_DURING_ITERATION);
event!(reaches_iter_yield_via_relookup, ev::ITER_GROWN_RELOOKUP);
event!(reaches_iter_grown_skip, ev::ITER_GROWN_SKIP);
event!(reaches_probe_past_first_group, ev::PROBE_PAST_FIRST_GROUP);
event!(
    reaches_iter_dir_offset_adjusted,
    ev::ITER_DIR_OFFSET_ADJUSTED
);
event!(
    reaches_iter_across_directory_growth,
    ev::ITER_SAW_DIRECTORY_GROW
);
event!(reaches_grow_during_iteration, ev::GROW_DURING_ITERATION);
event!(
    reaches_delete_leaving_empty_in_table,
    ev::DELETE_LEFT_EMPTY_IN_TABLE
);
fn reaches_local_depth_below_global(_: &SwissModel, s: &SwissState) -> bool {
    s.dir_tables()
        .iter()
        .any(|&t| s.table(t).local_depth < s.m.global_depth)
}
fn reaches_iteration_across_grow(_: &SwissModel, s: &SwissState) -> bool {
    s.iters.iter().any(|it| {
        it.tab.is_some_and(|t| s.table(t).index == -1) || (it.dir_idx < 0 && s.dir_len() > 0)
    })
}

macro_rules! prop {
    ($f:ident, $kind:ident, $iters:expr, $desc:expr) => {
        PropDef {
            name: stringify!($f),
            kind: Kind::$kind,
            description: $desc,
            iters: $iters,
            check: $f,
        }
    };
}

/// Every property of the `swiss` model.
pub const PROPERTIES: &[PropDef] = &[
    prop!(used_matches_entries, Always, false, "Map.used is the number of full slots of the small group or of all distinct tables (check_invariants)"),
    prop!(count_matches_live_entries, Always, false, "the hmap model's name for used_matches_entries: the count equals the live entries"),
    prop!(table_used_matches_ctrl, Always, false, "table.used is the number of full control bytes of the table (every table, replaced ones included)"),
    prop!(growth_left_accounting, Always, false, "growthLeft == capacity*load/slots - used - tombstones (capacity-1 for a one-group table): table_debug.go"),
    prop!(probe_ends_at_empty_slot, Always, false, "every table has a ctrlEmpty slot, so every lookup's probe sequence ends"),
    prop!(ctrl_bytes_valid, Always, false, "every control byte is ctrlEmpty, ctrlDeleted or a 7-bit H2"),
    prop!(ctrl_matches_h2, Always, false, "a full slot's control byte is the H2 of its key's hash"),
    prop!(entry_findable, Always, false, "every live entry is found by a lookup along its probe sequence (before any group with an empty slot)"),
    prop!(entry_in_directory_table, Always, false, "every entry is in the table the directory selects for its hash's top globalDepth bits"),
    prop!(no_duplicate_key, Always, false, "no key is in two full slots"),
    prop!(directory_depth, Always, false, "dirLen == 1<<globalDepth; each table with localDepth <= globalDepth fills the aligned run of 1<<(globalDepth-localDepth) entries at its index"),
    prop!(capacity_shape, Always, false, "capacity == groups*slots, a power of two in [slots, maxTableCapacity]"),
    prop!(small_map_shape, Always, false, "a small map has no tombstones and globalDepth 0"),
    prop!(non_full_elem_zeroed, Always, false, "empty and deleted slots have a zero elem"),
    prop!(tombstones_only_in_full_groups, Always, false, "no group holds both a tombstone and an empty slot (a delete leaves a tombstone only in a full group; why the insert loop's `first empty-or-deleted is deleted: keep probing` terminates)"),
    prop!(probe_terminates, Always, false, "no probe loop of an insert, delete or lookup visits more groups than the table has"),
    prop!(access_agrees_with_abstract_map, Always, false, "every mapaccess2 returns what a plain map would"),
    prop!(capacity_never_decreases, Always, false, "no operation lowers the map's capacity (delete and clear never shrink; tables only grow or split)"),
    prop!(rehash_preserves_entries, Always, false, "growToTable, grow and split copy exactly the live entries"),
    prop!(iter_key_at_most_once, Always, true, "an iterator never yields the same key twice (even if it was deleted and re-added in between)"),
    prop!(iter_entry_at_most_once, Always, true, "an iterator never yields the same entry twice: a key again only after it was deleted and re-added"),
    prop!(iter_skips_deleted, Always, true, "an iterator never yields a key that is not in the map at that moment"),
    prop!(iter_current_value, Always, true, "an iterator yields the key's current value"),
    prop!(iter_complete, Always, true, "a finished iteration yielded every key present for the whole iteration"),
    prop!(reaches_grow_to_table, Sometimes, false, "growToTable moved a full small group into a table"),
    prop!(reaches_grow, Sometimes, false, "a table grew (doubled) into a new table"),
    prop!(reaches_split, Sometimes, false, "a table at maxTableCapacity split into two"),
    prop!(reaches_directory_growth, Sometimes, false, "installTableSplit doubled the directory (globalDepth++)"),
    prop!(reaches_local_depth_below_global, Sometimes, false, "a table's localDepth is below globalDepth (it fills several directory entries)"),
    prop!(reaches_tombstone, Sometimes, false, "a delete left a tombstone (ctrlDeleted) in a full group"),
    prop!(reaches_delete_leaving_empty_in_table, Sometimes, false, "a table delete set ctrlEmpty because the group had an empty slot"),
    prop!(reaches_tombstone_reuse, Sometimes, false, "an insert reused the first tombstone of its probe sequence"),
    prop!(reaches_rehash_dropping_tombstones, Sometimes, false, "a rehash (grow or split) ran on a table with tombstones, which the copy drops"),
    prop!(reaches_reseed, Sometimes, false, "a delete to used 0 or a clear drew a new seed"),
    prop!(reaches_clear_during_iteration, Sometimes, false, "clear ran while a range loop was open"),
    prop!(reaches_grow_during_iteration, Sometimes, false, "a table grew or split while a range loop was open"),
    prop!(reaches_iteration_across_grow, Sometimes, false, "an open iterator walks a table that was replaced (index -1) or a small group after growToTable"),
    prop!(reaches_iter_yield_via_relookup, Sometimes, false, "an iterator on a replaced table yielded an entry by looking it up in the current map"),
    prop!(reaches_iter_grown_skip, Sometimes, false, "an iterator on a replaced table skipped an entry no longer in the map"),
    prop!(reaches_iter_dir_offset_adjusted, Sometimes, false, "an iterator's random directory start fell inside a table's run and dirOffset was adjusted"),
    prop!(reaches_iter_across_directory_growth, Sometimes, false, "an iterator shifted dirIdx and dirOffset after the directory grew"),
    prop!(reaches_probe_past_first_group, Sometimes, false, "a lookup or insert probed past the first group of its sequence"),
];

/// Looks a property up by name.
pub fn find(name: &str) -> Option<&'static PropDef> {
    PROPERTIES.iter().find(|p| p.name == name)
}
