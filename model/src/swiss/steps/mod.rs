//! Go 1.24's `internal/runtime/maps`, one function per Go function, in Go's order, on the
//! model's state. Each action is one whole Go operation (`runtime_mapassign_fast64`,
//! `runtime_mapdelete_fast64`, `runtime_mapaccess2_fast64`, `Map.Clear`, `Iter.Init` +
//! `Iter.Next`, `Iter.Next`). Geometry constants are parameters ([`Geometry`]); with
//! Go's values the steps are Go's.
//!
//! One file per Go function family: `access` (mapaccess2), `assign` (mapassign and the
//! small map's growToSmall/putSlotSmall/growToTable), `grow` (rehash, grow, split,
//! installTableSplit, replaceTable), `delete` (mapdelete, deleteSmall, table.Delete,
//! Clear) and `iter` (Iter.Init, Iter.Next). This file holds what they share: the
//! geometry, the probe sequence, newTable/NewMap, uncheckedPutSlot, the lookup, and
//! `compact`.

use super::state::*;
use crate::framework::log::Log;
use std::fmt::Write;

mod access;
mod assign;
mod delete;
mod grow;
mod iter;

/// The scaled constants of `internal/runtime/maps`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Geometry {
    /// `abi.SwissMapGroupSlots` (Go: 8).
    pub slots: usize,
    /// `maxAvgGroupLoad` (Go: 7): a table of more than one group holds
    /// `capacity * load / slots` entries (tombstones included) before it grows.
    pub max_avg_group_load: u16,
    /// `maxTableCapacity` (Go: 1024): a table that would grow past it splits instead.
    pub max_table_capacity: u16,
}

impl Geometry {
    /// Go 1.24's constants.
    pub const GO: Geometry = Geometry {
        slots: 8,
        max_avg_group_load: 7,
        max_table_capacity: 1024,
    };
    /// `abi.SwissMapGroupSlotsBits`.
    pub fn slot_bits(&self) -> u32 {
        self.slots.trailing_zeros()
    }
}

/// Violations of `always` properties a transition detected (bits of `ghost.violations`).
pub mod viol {
    pub const ACCESS_MISMATCH: u64 = 1;
    pub const ITER_KEY_TWICE: u64 = 1 << 1;
    pub const ITER_ENTRY_TWICE: u64 = 1 << 2;
    pub const ITER_DELETED_KEY: u64 = 1 << 3;
    pub const ITER_STALE_VALUE: u64 = 1 << 4;
    pub const ITER_INCOMPLETE: u64 = 1 << 5;
    pub const CAPACITY_DECREASED: u64 = 1 << 6;
    pub const REHASH_CHANGED_ENTRIES: u64 = 1 << 7;
    pub const PROBE_NEVER_ENDS: u64 = 1 << 8;
}

/// Events of a transition (bits of `ghost.events`), for `sometimes` properties.
pub mod ev {
    pub const GROW_TO_TABLE: u32 = 1;
    pub const GROW: u32 = 1 << 1;
    pub const SPLIT: u32 = 1 << 2;
    pub const DIRECTORY_GROWN: u32 = 1 << 3;
    pub const TOMBSTONE_LEFT: u32 = 1 << 4;
    pub const TOMBSTONE_REUSED: u32 = 1 << 5;
    pub const REHASH_DROPPED_TOMBSTONES: u32 = 1 << 6;
    pub const RESEED: u32 = 1 << 7;
    pub const CLEAR: u32 = 1 << 8;
    pub const CLEAR_DURING_ITERATION: u32 = 1 << 9;
    pub const ITER_GROWN_RELOOKUP: u32 = 1 << 10;
    pub const ITER_GROWN_SKIP: u32 = 1 << 11;
    pub const PROBE_PAST_FIRST_GROUP: u32 = 1 << 12;
    pub const ITER_DIR_OFFSET_ADJUSTED: u32 = 1 << 13;
    pub const ITER_SAW_DIRECTORY_GROW: u32 = 1 << 14;
    pub const GROW_DURING_ITERATION: u32 = 1 << 15;
    pub const DELETE_LEFT_EMPTY_IN_TABLE: u32 = 1 << 16;
}

pub use crate::framework::iter_ghost::key_bit;

/// The Go functions, with the model's geometry.
#[derive(Clone, Debug)]
pub struct Machine {
    pub geo: Geometry,
    /// Keep the iterators' ghost key sets.
    pub track_iters: bool,
}

/// A probe sequence (`probeSeq`): triangular over the groups of a table.
#[derive(Clone, Copy, Debug)]
struct ProbeSeq {
    mask: u64,
    offset: u64,
    index: u64,
}

impl ProbeSeq {
    /// `makeProbeSeq(h1(hash), lengthMask)`.
    fn new(hash: u64, mask: u64) -> Self {
        ProbeSeq {
            mask,
            offset: h1(hash) & mask,
            index: 0,
        }
    }
    /// `probeSeq.next`.
    fn next(self) -> Self {
        let index = self.index + 1;
        ProbeSeq {
            mask: self.mask,
            offset: (self.offset + index) & self.mask,
            index,
        }
    }
}

/// `ctrlGroup.matchFull` as a bitset with bit i for slot i.
fn match_full(g: &Group, slots: usize) -> u64 {
    (0..slots)
        .filter(|&i| is_full(g.ctrl[i]))
        .fold(0, |b, i| b | 1 << i)
}

fn has_empty(g: &Group, slots: usize) -> bool {
    g.ctrl[..slots].contains(&CTRL_EMPTY)
}

/// The first `n` offsets of the probe sequence of `hash` in a table of `mask + 1` groups, for
/// the log: `1, 0, 2`.
fn probe_offsets(hash: u64, mask: u64, n: usize) -> String {
    let mut seq = ProbeSeq::new(hash, mask);
    let mut v = Vec::new();
    for _ in 0..n {
        v.push(seq.offset.to_string());
        seq = seq.next();
    }
    v.join(", ")
}

/// Where `uncheckedPutSlot` put a key, for the log: `k1 -> group 0 slot 1` and the probe
/// offsets when it went past the first group.
fn put_text(key: u64, hash: u64, mask: u64, (gi, i, probed): (usize, usize, usize)) -> String {
    let mut t = format!("k{key} -> group {gi} slot {i}");
    if probed > 1 {
        let _ = write!(t, " (probe offsets {})", probe_offsets(hash, mask, probed));
    }
    t
}

/// A table in the log: `t1` for a table of the state before the step (the diagram's name),
/// "the table this mapassign made" for one the step made (by growToTable, grow or split: the
/// arena is renumbered after each step).
fn table_name(tid: TableId, tables_before: usize) -> String {
    if (tid as usize) < tables_before {
        format!("t{tid}")
    } else {
        "the table this mapassign made".to_string()
    }
}

/// The run of `n` directory entries from `first`: `dir[2]`, `dir[0] to dir[1]`.
pub fn dir_run(first: i64, n: i64) -> String {
    if n == 1 {
        format!("dir[{first}]")
    } else {
        format!("dir[{first}] to dir[{}]", first + n - 1)
    }
}

/// `hash := typ.Hasher(key, m.seed)` for the log.
fn hash_note(key: u64, hash: u64) -> String {
    format!(
        "hash := Hasher(k{key}, m.seed) = {hash:#x}: H1 {:#x}, H2 {:#04x}",
        h1(hash),
        h2(hash)
    )
}

impl Machine {
    fn hash(&self, s: &SwissState, key: u64) -> u64 {
        *s.hashes
            .get(&key)
            .expect("every key of the model has a hash")
    }

    /// `Map.directoryIndex`.
    pub fn directory_index(&self, s: &SwissState, hash: u64) -> usize {
        if s.dir_len() == 1 {
            return 0;
        }
        (hash >> ((64 - s.m.global_depth as u32) & 63)) as usize
    }

    /// `resetGrowthLeft`.
    fn growth_left_of(&self, capacity: u16) -> u16 {
        if capacity as usize <= self.geo.slots {
            capacity - 1
        } else {
            capacity * self.geo.max_avg_group_load / self.geo.slots as u16
        }
    }

    /// `newTable` (an empty table; the caller pushes it into the arena).
    fn new_table(&self, capacity: u64, index: i64, local_depth: u8) -> Table {
        let capacity = capacity.max(self.geo.slots as u64).next_power_of_two();
        assert!(capacity <= self.geo.max_table_capacity as u64);
        let capacity = capacity as u16;
        Table {
            used: 0,
            capacity,
            growth_left: self.growth_left_of(capacity),
            local_depth,
            index,
            groups: vec![Group::empty(); capacity as usize / self.geo.slots],
        }
    }

    /// `NewMap(mt, hint, ...)` on a map fresh from [`crate::swiss::SwissModel::initial`]: a hint up to one
    /// group leaves a small map that allocates on its first assign; a larger one sizes the
    /// directory and its tables up front (`targetCapacity = hint*slots/maxAvgGroupLoad`,
    /// `dirSize = alignUpPow2(ceil(targetCapacity/maxTableCapacity))`, `globalDepth =
    /// log2(dirSize)`, each table `newTable(targetCapacity/dirSize, i, globalDepth)`).
    /// Err for a hint whose directory the model cannot hold (Go returns an empty map only
    /// when the sizes overflow or exceed maxAlloc, far beyond any trace).
    pub fn new_map(&self, s: &mut SwissState, hint: u64) -> Result<(), String> {
        let slots = self.geo.slots as u64;
        if hint <= slots {
            return Ok(());
        }
        let target = hint
            .checked_mul(slots)
            .ok_or_else(|| format!("hint {hint}: targetCapacity overflows"))?
            / self.geo.max_avg_group_load as u64;
        let max_cap = self.geo.max_table_capacity as u64;
        let dir_size = target.div_ceil(max_cap).next_power_of_two();
        if dir_size > 1 << 12 {
            return Err(format!(
                "hint {hint}: a directory of {dir_size} tables is beyond the model's bound of 4096"
            ));
        }
        let depth = dir_size.trailing_zeros() as u8;
        s.m.global_depth = depth;
        s.m.dir.clear();
        for i in 0..dir_size {
            let t = self.new_table(target / dir_size, i as i64, depth);
            s.tables.push(t);
            s.m.dir.push(s.tables.len() as TableId - 1);
        }
        Ok(())
    }

    /// `table.uncheckedPutSlot`: the first empty or deleted slot of the probe sequence.
    /// Returns (group, slot, groups probed).
    fn unchecked_put_slot(
        &self,
        t: &mut Table,
        hash: u64,
        key: u64,
        elem: u64,
    ) -> (usize, usize, usize) {
        let mut seq = ProbeSeq::new(hash, t.length_mask());
        for probed in 1.. {
            let gi = seq.offset as usize;
            let g = &mut t.groups[gi];
            if let Some(i) = (0..self.geo.slots).find(|&i| !is_full(g.ctrl[i])) {
                g.keys[i] = key;
                g.elems[i] = elem;
                t.growth_left -= 1;
                t.used += 1;
                g.ctrl[i] = h2(hash);
                return (gi, i, probed);
            }
            seq = seq.next();
        }
        unreachable!("a probe sequence is endless")
    }

    /// The full slots of a table, in group and slot order: (key, elem).
    pub fn table_entries(&self, t: &Table) -> Vec<(u64, u64)> {
        let mut v = Vec::new();
        for g in &t.groups {
            for i in 0..self.geo.slots {
                if is_full(g.ctrl[i]) {
                    v.push((g.keys[i], g.elems[i]));
                }
            }
        }
        v
    }

    /// Map-level lookup (`Map.getWithKey`, and `runtime_mapaccess2_fast64` whose small-map
    /// scan finds the same slot since keys are unique): the elem, and the groups probed.
    pub fn lookup(&self, s: &SwissState, key: u64) -> (Option<u64>, usize) {
        let (r, probed, _) = self.find(s, key);
        (r, probed)
    }

    /// [`Self::lookup`] with where the key is: (group, slot) in the small group or the table
    /// the directory selects.
    fn find(&self, s: &SwissState, key: u64) -> (Option<u64>, usize, Option<(usize, usize)>) {
        if s.m.used == 0 {
            return (None, 0, None);
        }
        if s.dir_len() == 0 {
            let Some(g) = s.m.small else {
                return (None, 0, None);
            };
            let g = &s.smalls[g as usize];
            let found = (0..self.geo.slots).find(|&i| is_full(g.ctrl[i]) && g.keys[i] == key);
            return (found.map(|i| g.elems[i]), 1, found.map(|i| (0, i)));
        }
        let Some(&hash) = s.hashes.get(&key) else {
            return (None, 0, None);
        };
        let t = s.table(s.m.dir[self.directory_index(s, hash)]);
        let mut seq = ProbeSeq::new(hash, t.length_mask());
        for probed in 1..=t.groups.len() {
            let gi = seq.offset as usize;
            let g = &t.groups[gi];
            for i in 0..self.geo.slots {
                if g.ctrl[i] == h2(hash) && g.keys[i] == key {
                    return (Some(g.elems[i]), probed, Some((gi, i)));
                }
            }
            if has_empty(g, self.geo.slots) {
                return (None, probed, None);
            }
            seq = seq.next();
        }
        (None, usize::MAX, None)
    }

    /// Drops tables and small groups nothing references any more and numbers the rest
    /// canonically (the directory's, then the iterators'), so equal maps are equal states.
    pub fn compact(&self, s: &mut SwissState) {
        let mut order: Vec<TableId> = s.dir_tables();
        for it in &s.iters {
            if let Some(t) = it.tab {
                if !order.contains(&t) {
                    order.push(t);
                }
            }
        }
        let renum =
            |t: TableId, order: &[TableId]| order.iter().position(|&x| x == t).unwrap() as TableId;
        let tables: Vec<Table> = order
            .iter()
            .map(|&t| s.tables[t as usize].clone())
            .collect();
        for d in &mut s.m.dir {
            *d = renum(*d, &order);
        }
        for it in &mut s.iters {
            if let Some(t) = it.tab {
                it.tab = Some(renum(t, &order));
            }
        }
        s.tables = tables;
        let mut gorder: Vec<GroupId> = s.m.small.into_iter().collect();
        for it in &s.iters {
            if let Some(g) = it.small {
                if !gorder.contains(&g) {
                    gorder.push(g);
                }
            }
        }
        let smalls: Vec<Group> = gorder
            .iter()
            .map(|&g| s.smalls[g as usize].clone())
            .collect();
        let gre = |g: GroupId| gorder.iter().position(|&x| x == g).unwrap() as GroupId;
        s.m.small = s.m.small.map(gre);
        for it in &mut s.iters {
            it.small = it.small.map(gre);
        }
        s.smalls = smalls;
    }
}
