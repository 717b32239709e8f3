//! Go 1.24's `internal/runtime/maps`, one function per Go function, in Go's order, on the
//! model's state. Each action is one whole Go operation (`runtime_mapassign_fast64`,
//! `runtime_mapdelete_fast64`, `runtime_mapaccess2_fast64`, `Map.Clear`, `Iter.Init` +
//! `Iter.Next`, `Iter.Next`). Geometry constants are parameters ([`Geometry`]); with
//! Go's values the steps are Go's.

use super::state::*;
use crate::framework::log::Log;

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

/// Bit of key k in the ghost key sets.
pub fn key_bit(k: u64) -> u64 {
    if (1..=64).contains(&k) {
        1u64 << (k - 1)
    } else {
        0
    }
}

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

    /// `NewMap(mt, hint, ...)` on a map fresh from [`SwissModel::initial`]: a hint up to one
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
    fn unchecked_put_slot(&self, t: &mut Table, hash: u64, key: u64, elem: u64) {
        let mut seq = ProbeSeq::new(hash, t.length_mask());
        loop {
            let g = &mut t.groups[seq.offset as usize];
            if let Some(i) = (0..self.geo.slots).find(|&i| !is_full(g.ctrl[i])) {
                g.keys[i] = key;
                g.elems[i] = elem;
                t.growth_left -= 1;
                t.used += 1;
                g.ctrl[i] = h2(hash);
                return;
            }
            seq = seq.next();
        }
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
        if s.m.used == 0 {
            return (None, 0);
        }
        if s.dir_len() == 0 {
            let Some(g) = s.m.small else {
                return (None, 0);
            };
            let g = &s.smalls[g as usize];
            let found = (0..self.geo.slots).find(|&i| is_full(g.ctrl[i]) && g.keys[i] == key);
            return (found.map(|i| g.elems[i]), 1);
        }
        let Some(&hash) = s.hashes.get(&key) else {
            return (None, 0);
        };
        let t = s.table(s.m.dir[self.directory_index(s, hash)]);
        let mut seq = ProbeSeq::new(hash, t.length_mask());
        for probed in 1..=t.groups.len() {
            let g = &t.groups[seq.offset as usize];
            for i in 0..self.geo.slots {
                if g.ctrl[i] == h2(hash) && g.keys[i] == key {
                    return (Some(g.elems[i]), probed);
                }
            }
            if has_empty(g, self.geo.slots) {
                return (None, probed);
            }
            seq = seq.next();
        }
        (None, usize::MAX)
    }

    /// `runtime_mapaccess2_fast64`.
    pub fn mapaccess2(&self, s: &mut SwissState, key: u64, log: &mut Log) -> Outcome {
        let (r, probed) = self.lookup(s, key);
        if probed == usize::MAX {
            s.ghost.violations |= viol::PROBE_NEVER_ENDS;
        } else if probed > 1 {
            s.ghost.events |= ev::PROBE_PAST_FIRST_GROUP;
        }
        log.note(|| {
            if s.dir_len() == 0 {
                "small map: scan the full slots of the group".to_string()
            } else {
                format!("probed {probed} group(s)")
            }
        });
        let want = s.ghost.abs.get(key as usize).copied().unwrap_or(0);
        if !s.ghost.abs.is_empty() && r.unwrap_or(0) != want {
            s.ghost.violations |= viol::ACCESS_MISMATCH;
        }
        Outcome::Access {
            elem: r.unwrap_or(0),
            found: r.is_some(),
        }
    }

    /// Sum of the capacities of the map's storage (small group or distinct tables).
    pub fn capacity(&self, s: &SwissState) -> u64 {
        if s.dir_len() == 0 {
            return if s.m.small.is_some() {
                self.geo.slots as u64
            } else {
                0
            };
        }
        s.dir_tables()
            .iter()
            .map(|&t| s.table(t).capacity as u64)
            .sum()
    }

    /// `runtime_mapassign_fast64`.
    pub fn mapassign(&self, s: &mut SwissState, key: u64, elem: u64, log: &mut Log) {
        let hash = self.hash(s, key);
        if s.m.small.is_none() && s.dir_len() == 0 {
            self.grow_to_small(s, log);
        }
        if s.dir_len() == 0 {
            if (s.m.used as usize) < self.geo.slots {
                self.put_slot_small(s, hash, key, elem, log);
                return;
            }
            // Can't fit another entry (even if `key` is already there): grow to a table.
            self.grow_to_table(s, log);
        }
        'outer: loop {
            let tid = s.m.dir[self.directory_index(s, hash)];
            let slots = self.geo.slots;
            let mask = s.table(tid).length_mask();
            let mut seq = ProbeSeq::new(hash, mask);
            let mut first_deleted: Option<(usize, usize)> = None;
            for probed in 1.. {
                if probed > 2 * (mask as usize + 1) {
                    s.ghost.violations |= viol::PROBE_NEVER_ENDS;
                    return;
                }
                let gi = seq.offset as usize;
                let g = &s.tables[tid as usize].groups[gi];
                if let Some(i) = (0..slots).find(|&i| g.ctrl[i] == h2(hash) && g.keys[i] == key) {
                    s.tables[tid as usize].groups[gi].elems[i] = elem;
                    log.note(|| format!("table {tid} group {gi} slot {i}: update in place"));
                    return;
                }
                let Some(i) = (0..slots).find(|&i| !is_full(g.ctrl[i])) else {
                    seq = seq.next();
                    continue;
                };
                if probed > 1 {
                    s.ghost.events |= ev::PROBE_PAST_FIRST_GROUP;
                }
                if g.ctrl[i] == CTRL_DELETED {
                    // Remember the first tombstone and keep probing: the key may be further.
                    first_deleted.get_or_insert((gi, i));
                    seq = seq.next();
                    continue;
                }
                let t = &mut s.tables[tid as usize];
                let (gi, i) = match first_deleted {
                    Some(d) => {
                        t.growth_left += 1; // decremented below: reusing a tombstone is free
                        s.ghost.events |= ev::TOMBSTONE_REUSED;
                        d
                    }
                    None => (gi, i),
                };
                if t.growth_left > 0 {
                    let g = &mut t.groups[gi];
                    g.keys[i] = key;
                    g.elems[i] = elem;
                    g.ctrl[i] = h2(hash);
                    t.growth_left -= 1;
                    t.used += 1;
                    s.m.used += 1;
                    log.note(|| {
                        format!(
                            "table {tid} group {gi} slot {i}: insert{} (growthLeft now {})",
                            if first_deleted.is_some() {
                                " into the first tombstone"
                            } else {
                                ""
                            },
                            t.growth_left
                        )
                    });
                    return;
                }
                log.note(|| format!("table {tid}: growthLeft 0, rehash"));
                self.rehash(s, tid, log);
                continue 'outer;
            }
        }
    }

    /// `Map.growToSmall`: the first group of a map made without a hint.
    fn grow_to_small(&self, s: &mut SwissState, log: &mut Log) {
        s.smalls.push(Group::empty());
        s.m.small = Some(s.smalls.len() as GroupId - 1);
        log.note(|| "growToSmall: allocate the small map's group".to_string());
    }

    /// `putSlotSmallFast64`.
    fn put_slot_small(&self, s: &mut SwissState, hash: u64, key: u64, elem: u64, log: &mut Log) {
        let gid = s.m.small.unwrap() as usize;
        let slots = self.geo.slots;
        let g = &mut s.smalls[gid];
        if let Some(i) = (0..slots).find(|&i| g.ctrl[i] == h2(hash) && g.keys[i] == key) {
            g.elems[i] = elem;
            log.note(|| format!("small group slot {i}: update in place"));
            return;
        }
        let i = (0..slots)
            .find(|&i| !is_full(g.ctrl[i]))
            .expect("small map with no empty slot");
        g.keys[i] = key;
        g.elems[i] = elem;
        g.ctrl[i] = h2(hash);
        s.m.used += 1;
        log.note(|| format!("small group slot {i}: insert"));
    }

    /// `Map.growToTable`: the small group's entries into a table of 2*slots.
    fn grow_to_table(&self, s: &mut SwissState, log: &mut Log) {
        let mut tab = self.new_table(2 * self.geo.slots as u64, 0, 0);
        let g = s.smalls[s.m.small.unwrap() as usize].clone();
        for i in 0..self.geo.slots {
            if is_full(g.ctrl[i]) {
                let hash = self.hash(s, g.keys[i]);
                self.unchecked_put_slot(&mut tab, hash, g.keys[i], g.elems[i]);
            }
        }
        if self.table_entries(&tab).len()
            != g.ctrl[..self.geo.slots]
                .iter()
                .filter(|&&c| is_full(c))
                .count()
        {
            s.ghost.violations |= viol::REHASH_CHANGED_ENTRIES;
        }
        s.tables.push(tab);
        s.m.dir = vec![s.tables.len() as TableId - 1];
        s.m.small = None;
        s.m.global_depth = 0;
        s.ghost.events |= ev::GROW_TO_TABLE;
        log.note(|| {
            format!(
                "growToTable: small group full, move its entries to a table of {} slots",
                2 * self.geo.slots
            )
        });
    }

    /// `table.rehash`: never in place: double, or split past maxTableCapacity.
    fn rehash(&self, s: &mut SwissState, tid: TableId, log: &mut Log) {
        if !s.iters.is_empty() {
            s.ghost.events |= ev::GROW_DURING_ITERATION;
        }
        let old = s.table(tid);
        let tombstones = old
            .groups
            .iter()
            .any(|g| g.ctrl[..self.geo.slots].contains(&CTRL_DELETED));
        let new_capacity = 2 * old.capacity as u64;
        if tombstones {
            s.ghost.events |= ev::REHASH_DROPPED_TOMBSTONES;
        }
        if new_capacity <= self.geo.max_table_capacity as u64 {
            self.grow(s, tid, new_capacity, log);
        } else {
            self.split(s, tid, log);
        }
    }

    fn sorted(mut v: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
        v.sort_unstable();
        v
    }

    /// `table.grow`.
    fn grow(&self, s: &mut SwissState, tid: TableId, new_capacity: u64, log: &mut Log) {
        let old = s.table(tid).clone();
        let mut nt = self.new_table(new_capacity, old.index, old.local_depth);
        for (k, e) in self.table_entries(&old) {
            let hash = self.hash(s, k);
            self.unchecked_put_slot(&mut nt, hash, k, e);
        }
        if Self::sorted(self.table_entries(&nt)) != Self::sorted(self.table_entries(&old)) {
            s.ghost.violations |= viol::REHASH_CHANGED_ENTRIES;
        }
        s.tables.push(nt);
        let nid = s.tables.len() as TableId - 1;
        self.replace_table(s, nid);
        s.tables[tid as usize].index = -1;
        s.ghost.events |= ev::GROW;
        log.note(|| {
            format!(
                "grow: table {tid} ({} slots) copied into a new table of {new_capacity} slots",
                old.capacity
            )
        });
    }

    /// `table.split`: two tables of maxTableCapacity, by the next hash bit from the top.
    fn split(&self, s: &mut SwissState, tid: TableId, log: &mut Log) {
        let old = s.table(tid).clone();
        let local_depth = old.local_depth + 1;
        let cap = self.geo.max_table_capacity as u64;
        let mut left = self.new_table(cap, -1, local_depth);
        let mut right = self.new_table(cap, -1, local_depth);
        let mask = 1u64 << (64 - local_depth as u32);
        for (k, e) in self.table_entries(&old) {
            let hash = self.hash(s, k);
            let t = if hash & mask == 0 {
                &mut left
            } else {
                &mut right
            };
            self.unchecked_put_slot(t, hash, k, e);
        }
        let mut both = self.table_entries(&left);
        both.extend(self.table_entries(&right));
        if Self::sorted(both) != Self::sorted(self.table_entries(&old)) {
            s.ghost.violations |= viol::REHASH_CHANGED_ENTRIES;
        }
        s.tables.push(left);
        s.tables.push(right);
        let r = s.tables.len() as TableId - 1;
        self.install_table_split(s, tid, r - 1, r, log);
        s.tables[tid as usize].index = -1;
        s.ghost.events |= ev::SPLIT;
        log.note(|| format!("split: table {tid} at localDepth {} into two tables of {cap} slots at localDepth {local_depth}", old.local_depth));
    }

    /// `Map.installTableSplit`.
    fn install_table_split(
        &self,
        s: &mut SwissState,
        old: TableId,
        left: TableId,
        right: TableId,
        log: &mut Log,
    ) {
        if s.table(old).local_depth == s.m.global_depth {
            let mut new_dir = Vec::with_capacity(2 * s.dir_len());
            for i in 0..s.dir_len() {
                let t = s.m.dir[i];
                new_dir.push(t);
                new_dir.push(t);
                if s.tables[t as usize].index == i as i64 {
                    s.tables[t as usize].index = 2 * i as i64;
                }
            }
            s.m.global_depth += 1;
            s.m.dir = new_dir;
            s.ghost.events |= ev::DIRECTORY_GROWN;
            log.note(|| {
                format!(
                    "installTableSplit: directory doubled to {} (globalDepth {})",
                    s.dir_len(),
                    s.m.global_depth
                )
            });
        }
        let li = s.table(old).index;
        s.tables[left as usize].index = li;
        self.replace_table(s, left);
        let entries = 1i64 << (s.m.global_depth - s.table(left).local_depth);
        s.tables[right as usize].index = li + entries;
        self.replace_table(s, right);
    }

    /// `Map.replaceTable`.
    fn replace_table(&self, s: &mut SwissState, nt: TableId) {
        let t = s.table(nt);
        let entries = 1usize << (s.m.global_depth - t.local_depth);
        let index = t.index as usize;
        for i in 0..entries {
            s.m.dir[index + i] = nt;
        }
    }

    /// `runtime_mapdelete_fast64` -> `Map.Delete`. Returns whether `used` reached 0 (the
    /// caller then installs the new seed).
    pub fn mapdelete(&self, s: &mut SwissState, key: u64, log: &mut Log) -> bool {
        if s.m.used == 0 {
            log.note(|| "used == 0: return".to_string());
            return false;
        }
        let hash = self.hash(s, key);
        let deleted = if s.dir_len() == 0 {
            self.delete_small(s, hash, key, log)
        } else {
            let tid = s.m.dir[self.directory_index(s, hash)];
            self.table_delete(s, tid, hash, key, log)
        };
        if deleted {
            let kb = key_bit(key);
            for it in &mut s.iters {
                it.ghost.yielded_live &= !kb;
                it.ghost.stable &= !kb;
            }
        }
        s.m.used == 0
    }

    /// `Map.deleteSmall`: one group, so the slot becomes empty at once.
    fn delete_small(&self, s: &mut SwissState, hash: u64, key: u64, log: &mut Log) -> bool {
        let g = &mut s.smalls[s.m.small.unwrap() as usize];
        let Some(i) = (0..self.geo.slots).find(|&i| g.ctrl[i] == h2(hash) && g.keys[i] == key)
        else {
            return false;
        };
        s.m.used -= 1;
        g.keys[i] = 0;
        g.elems[i] = 0;
        g.ctrl[i] = CTRL_EMPTY;
        log.note(|| format!("small group slot {i}: ctrlEmpty"));
        true
    }

    /// `table.Delete`: ctrlEmpty if the group has an empty slot (no probe sequence passed
    /// through it), else a tombstone.
    fn table_delete(
        &self,
        s: &mut SwissState,
        tid: TableId,
        hash: u64,
        key: u64,
        log: &mut Log,
    ) -> bool {
        let slots = self.geo.slots;
        let t = &mut s.tables[tid as usize];
        let mut seq = ProbeSeq::new(hash, t.length_mask());
        for _ in 0..t.groups.len() {
            let gi = seq.offset as usize;
            let g = &mut t.groups[gi];
            if let Some(i) = (0..slots).find(|&i| g.ctrl[i] == h2(hash) && g.keys[i] == key) {
                t.used -= 1;
                s.m.used -= 1;
                g.keys[i] = 0;
                g.elems[i] = 0;
                if has_empty(g, slots) {
                    g.ctrl[i] = CTRL_EMPTY;
                    t.growth_left += 1;
                    s.ghost.events |= ev::DELETE_LEFT_EMPTY_IN_TABLE;
                    log.note(|| format!("table {tid} group {gi} slot {i}: ctrlEmpty (group has an empty slot), growthLeft++"));
                } else {
                    g.ctrl[i] = CTRL_DELETED;
                    s.ghost.events |= ev::TOMBSTONE_LEFT;
                    log.note(|| format!("table {tid} group {gi} slot {i}: ctrlDeleted (tombstone: the group was full)"));
                }
                return true;
            }
            if has_empty(g, slots) {
                return false;
            }
            seq = seq.next();
        }
        s.ghost.violations |= viol::PROBE_NEVER_ENDS;
        false
    }

    /// `Map.Clear` (the caller installs the new seed). Tables keep their capacity.
    pub fn clear(&self, s: &mut SwissState, log: &mut Log) {
        if s.m.used == 0 {
            return;
        }
        if s.dir_len() == 0 {
            s.smalls[s.m.small.unwrap() as usize] = Group::empty();
            s.m.used = 0;
            s.m.clear_seq += 1;
            log.note(|| "clearSmall: the group emptied in place".to_string());
        } else {
            for tid in s.dir_tables() {
                let t = &mut s.tables[tid as usize];
                for g in &mut t.groups {
                    *g = Group::empty();
                }
                t.used = 0;
                t.growth_left = self.growth_left_of(t.capacity);
            }
            s.m.used = 0;
            s.m.clear_seq += 1;
            log.note(|| {
                "table.Clear on every table: groups emptied in place, capacity kept".to_string()
            });
        }
        if !s.iters.is_empty() {
            s.ghost.events |= ev::CLEAR_DURING_ITERATION;
        }
        for it in &mut s.iters {
            it.ghost.yielded_live = 0;
            it.ghost.stable = 0;
        }
        s.ghost.events |= ev::CLEAR;
    }

    /// `Iter.Init` (on a map with `used > 0`).
    pub fn iter_init(&self, s: &mut SwissState, entry_offset: u64, dir_offset: u64) -> u8 {
        let id = s.next_iter_id;
        s.next_iter_id += 1;
        let stable = if self.track_iters {
            s.ghost
                .abs
                .iter()
                .enumerate()
                .filter(|&(_, &e)| e != 0)
                .fold(0, |b, (k, _)| b | key_bit(k as u64))
        } else {
            0
        };
        let small = s.dir_len() == 0;
        s.iters.push(Iter {
            id,
            entry_offset,
            dir_offset,
            clear_seq: s.m.clear_seq,
            global_depth: s.m.global_depth,
            dir_idx: if small { -1 } else { 0 },
            tab: None,
            small: if small { s.m.small } else { None },
            entry_idx: 0,
            ghost: IterGhost {
                stable,
                ..IterGhost::default()
            },
        });
        id
    }

    /// `Iter.grownKeyElem` and the small-map branch's re-lookup: the key's current elem, if
    /// it is still in the map (keys are reflexive, so the NaN/clearSeq branch never yields).
    fn relookup(&self, s: &mut SwissState, key: u64) -> Option<u64> {
        let r = self.lookup(s, key).0;
        s.ghost.events |= if r.is_some() {
            ev::ITER_GROWN_RELOOKUP
        } else {
            ev::ITER_GROWN_SKIP
        };
        r
    }

    /// `Iter.Next` on iterator `id`: the (key, elem) yielded, or None when done (the
    /// iterator is then removed).
    pub fn iter_next(&self, s: &mut SwissState, id: u8, log: &mut Log) -> Option<(u64, u64)> {
        let idx = s.iters.iter().position(|it| it.id == id)?;
        let mut it = s.iters[idx].clone();
        let slots = self.geo.slots as u64;
        let bits = self.geo.slot_bits();
        let mut out = None;
        if it.dir_idx < 0 {
            let g = s.smalls[it.small.unwrap() as usize].clone();
            while it.entry_idx < slots {
                let k = (it.entry_idx.wrapping_add(it.entry_offset) % slots) as usize;
                if !is_full(g.ctrl[k]) {
                    it.entry_idx += 1;
                    continue;
                }
                let key = g.keys[k];
                let elem = if s.dir_len() > 0 {
                    // Grown to a table since Init: the old group picks the keys, the
                    // tables give their current elems.
                    match self.relookup(s, key) {
                        Some(e) => e,
                        None => {
                            it.entry_idx += 1;
                            continue;
                        }
                    }
                } else {
                    g.elems[k]
                };
                it.entry_idx += 1;
                out = Some((key, elem));
                break;
            }
        } else {
            if it.global_depth != s.m.global_depth {
                let orders = s.m.global_depth - it.global_depth;
                it.dir_idx <<= orders;
                it.dir_offset <<= orders;
                it.global_depth = s.m.global_depth;
                s.ghost.events |= ev::ITER_SAW_DIRECTORY_GROW;
            }
            'dir: while it.dir_idx < s.dir_len() as i64 {
                if it.tab.is_none() {
                    let dir_idx = ((it.dir_idx as u64).wrapping_add(it.dir_offset)
                        & (s.dir_len() as u64 - 1)) as i64;
                    let nt = s.m.dir[dir_idx as usize];
                    let index = s.table(nt).index;
                    if index != dir_idx {
                        // First call: a random dirIdx in the middle of a table's run.
                        it.dir_offset = it.dir_offset.wrapping_sub((dir_idx - index) as u64);
                        s.ghost.events |= ev::ITER_DIR_OFFSET_ADJUSTED;
                    }
                    it.tab = Some(nt);
                }
                let tab = s.table(it.tab.unwrap()).clone();
                let grown = tab.index == -1;
                let entry_mask = tab.capacity as u64 - 1;
                'table: {
                    if it.entry_idx > entry_mask {
                        break 'table;
                    }
                    let entry_idx = it.entry_idx.wrapping_add(it.entry_offset) & entry_mask;
                    let slot = (entry_idx & (slots - 1)) as usize;
                    let g = &tab.groups[(entry_idx >> bits) as usize];
                    if is_full(g.ctrl[slot]) {
                        // Fast path: the slot at entryIdx is full.
                        let key = g.keys[slot];
                        let elem = if grown {
                            self.relookup(s, key)
                        } else {
                            Some(g.elems[slot])
                        };
                        if let Some(elem) = elem {
                            it.entry_idx += 1;
                            out = Some((key, elem));
                            break 'dir;
                        }
                    }
                    it.entry_idx += 1;
                    // Slow path: the control word's full slots.
                    let mut group_match: u64 = 0;
                    while it.entry_idx <= entry_mask {
                        let entry_idx = it.entry_idx.wrapping_add(it.entry_offset) & entry_mask;
                        let mut slot = entry_idx & (slots - 1);
                        let g = &tab.groups[(entry_idx >> bits) as usize];
                        if group_match == 0 {
                            group_match = match_full(g, slots as usize);
                            if slot != 0 {
                                group_match &= !((1u64 << slot) - 1);
                            }
                            if group_match == 0 {
                                it.entry_idx += slots - slot;
                                continue;
                            }
                            let i = group_match.trailing_zeros() as u64;
                            it.entry_idx += i - slot;
                            if it.entry_idx > entry_mask {
                                continue;
                            }
                            slot = i;
                        }
                        let key = g.keys[slot as usize];
                        let elem = if grown {
                            match self.relookup(s, key) {
                                Some(e) => e,
                                None => {
                                    group_match &= group_match - 1;
                                    if group_match == 0 {
                                        it.entry_idx += slots - slot;
                                        continue;
                                    }
                                    let i = group_match.trailing_zeros() as u64;
                                    it.entry_idx += i - slot;
                                    continue;
                                }
                            }
                        } else {
                            g.elems[slot as usize]
                        };
                        group_match &= group_match - 1;
                        if group_match == 0 {
                            it.entry_idx += slots - slot;
                        } else {
                            let i = group_match.trailing_zeros() as u64;
                            it.entry_idx += i - slot;
                        }
                        out = Some((key, elem));
                        break 'dir;
                    }
                }
                // nextDirIdx: skip the other directory entries of the same table.
                let entries = 1i64 << (s.m.global_depth - tab.local_depth);
                it.dir_idx += entries;
                it.tab = None;
                it.entry_idx = 0;
            }
        }
        match out {
            None => {
                let it = s.iters.remove(idx);
                if self.track_iters && it.ghost.stable & !it.ghost.yielded != 0 {
                    s.ghost.violations |= viol::ITER_INCOMPLETE;
                }
                log.note(|| format!("it{id}: iteration over"));
            }
            Some((k, e)) => {
                if self.track_iters {
                    let kb = key_bit(k);
                    let g = &mut it.ghost;
                    if g.yielded & kb != 0 {
                        s.ghost.violations |= viol::ITER_KEY_TWICE;
                    }
                    if g.yielded_live & kb != 0 {
                        s.ghost.violations |= viol::ITER_ENTRY_TWICE;
                    }
                    g.yielded |= kb;
                    g.yielded_live |= kb;
                    let cur = s.ghost.abs.get(k as usize).copied().unwrap_or(0);
                    if cur == 0 {
                        s.ghost.violations |= viol::ITER_DELETED_KEY;
                    } else if cur != e {
                        s.ghost.violations |= viol::ITER_STALE_VALUE;
                    }
                }
                log.note(|| {
                    format!(
                        "it{id}: yield (k{k}, v{e}); entryIdx now {}, dirIdx {}",
                        it.entry_idx, it.dir_idx
                    )
                });
                s.iters[idx] = it;
            }
        }
        out
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
