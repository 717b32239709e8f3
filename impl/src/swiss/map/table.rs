//! `table` of Go 1.24 `internal/runtime/maps` (table.go): one open-addressed table of
//! groups. Go's `*table` methods are `SwissMap` methods taking a [`TableId`]: `newTable`
//! (`new_table`), `reset` (`table_reset`), `resetGrowthLeft`, `tombstones`, `getWithKey`
//! (`table_get_with_key`), `uncheckedPutSlot`, `rehash`, `split`, `grow`, `Delete`
//! (`table_delete`) and `Clear` (`table_clear`). The insert loop of `table.PutSlot` is not
//! here: Go 1.24's `runtime_mapassign_fast64` inlines it (fast64.rs).
//!
//! # Invariants
//! - `growthLeft == capacity*7/8 - used - tombstones` (table_debug.go), except that a
//!   table of one group leaves one slot empty (`capacity - 1`), so every probe sequence
//!   ends at an empty slot.
//! - The group count is a power of two, so `probeSeq` visits every group; the capacity is
//!   a power of two in `[8, maxTableCapacity]`.
//! - A table is never rehashed in place: `rehash` copies its full slots into a table of
//!   twice the capacity (`grow`) or, past `maxTableCapacity`, into two tables of
//!   `localDepth + 1` (`split`), then marks the old one stale (`index = -1`). The copy
//!   drops the tombstones; the stale table stays in the arena for iterators.
//! - `Delete` leaves a tombstone only in a group with no empty slot (a probe sequence may
//!   pass through it); otherwise the slot is empty again and `growthLeft` grows back. The
//!   elem is always zeroed, the key stays (pointer-free key).

use super::{
    local_depth_mask, GroupsId, GroupsReference, MapElem, MapKey, SwissMap, Table, TableId,
    MAX_AVG_GROUP_LOAD, SLOTS,
};
use crate::swiss::group::{align_up_pow2, h1, h2, ProbeSeq, CTRL_DELETED, CTRL_EMPTY};
use crate::swiss::hash::{SwissHasher, SwissRandom};

impl<K: MapKey, V: MapElem + PartialEq, H: SwissHasher<K>, R: SwissRandom> SwissMap<K, V, H, R> {
    /// `newTable`.
    pub(super) fn new_table(&mut self, capacity: u64, index: i64, local_depth: u8) -> TableId {
        let mut capacity = capacity.max(SLOTS as u64);
        if capacity > self.max_table_capacity as u64 {
            panic!("initial table capacity too large");
        }
        // N.B. group count must be a power of two for probeSeq to visit every group.
        let (c, overflow) = align_up_pow2(capacity);
        if overflow {
            panic!("rounded-up capacity overflows uint64");
        }
        capacity = c;
        self.tables.push(Table {
            used: 0,
            capacity: 0,
            growth_left: 0,
            local_depth,
            index,
            groups: GroupsReference {
                data: GroupsId(usize::MAX),
                length_mask: 0,
            },
        });
        let t = TableId(self.tables.len() - 1);
        self.table_reset(t, capacity as u16);
        t
    }

    /// `table.reset`.
    fn table_reset(&mut self, t: TableId, capacity: u16) {
        let group_count = capacity as u64 / SLOTS as u64;
        let groups = self.new_groups(group_count);
        {
            let tab = self.tab_mut(t);
            tab.groups = groups;
            tab.capacity = capacity;
        }
        self.reset_growth_left(t);
        for g in self.groups[groups.data.0].iter_mut() {
            g.ctrls.set_empty();
        }
    }

    /// `table.resetGrowthLeft`.
    fn reset_growth_left(&mut self, t: TableId) {
        let tab = self.tab_mut(t);
        let growth_left = if tab.capacity == 0 {
            panic!("table must have positive capacity");
        } else if tab.capacity as usize <= SLOTS {
            // A single group fills all slots but one (an empty slot ends find operations).
            tab.capacity - 1
        } else {
            if tab.capacity.wrapping_mul(MAX_AVG_GROUP_LOAD) < tab.capacity {
                panic!("overflow");
            }
            (tab.capacity * MAX_AVG_GROUP_LOAD) / SLOTS as u16
        };
        tab.growth_left = growth_left;
    }

    /// `table.tombstones`.
    pub(super) fn tombstones(&self, t: TableId) -> u16 {
        let tab = self.tab(t);
        (((tab.capacity as u32 * MAX_AVG_GROUP_LOAD as u32) / SLOTS as u32) as u16)
            .wrapping_sub(tab.used)
            .wrapping_sub(tab.growth_left)
    }

    /// `table.getWithKey`.
    pub(super) fn table_get_with_key(&self, t: TableId, hash: u64, key: &K) -> Option<(K, V)> {
        let mut seq = ProbeSeq::new(h1(hash), self.tab(t).groups.length_mask);
        loop {
            let g = self.grp(self.group_of(t, seq.offset));
            let mut m = g.ctrls.match_h2(h2(hash));
            while !m.is_empty() {
                let i = m.first();
                if g.keys[i] == *key {
                    return Some((g.keys[i], g.elems[i]));
                }
                m = m.remove_first();
            }
            if !g.ctrls.match_empty().is_empty() {
                // Finding an empty slot means we've reached the end of the probe sequence.
                return None;
            }
            seq = seq.next();
        }
    }

    /// `table.uncheckedPutSlot`: insert an entry known not to be in the table, which has
    /// room and no tombstones.
    pub(super) fn unchecked_put_slot(&mut self, t: TableId, hash: u64, key: K, elem: V) {
        if self.tab(t).growth_left == 0 {
            panic!("invariant failed: growthLeft is unexpectedly 0");
        }
        let mut seq = ProbeSeq::new(h1(hash), self.tab(t).groups.length_mask);
        loop {
            let g = self.group_of(t, seq.offset);
            let m = self.grp(g).ctrls.match_empty_or_deleted();
            if !m.is_empty() {
                let i = m.first();
                let grp = self.grp_mut(g);
                grp.keys[i] = key;
                grp.elems[i] = elem;
                let tab = self.tab_mut(t);
                tab.growth_left -= 1;
                tab.used += 1;
                self.grp_mut(g).ctrls.set(i, h2(hash));
                return;
            }
            seq = seq.next();
        }
    }

    /// `table.rehash`: replace the table with one of twice the capacity (`grow`) or, past
    /// `maxTableCapacity`, with two split tables. Go 1.24 never rehashes in place.
    pub(super) fn rehash(&mut self, t: TableId) {
        let new_capacity = 2 * self.tab(t).capacity as u32;
        if new_capacity <= self.max_table_capacity as u32 {
            self.grow(t, new_capacity as u16);
            return;
        }
        self.split(t);
    }

    /// `table.split`.
    fn split(&mut self, t: TableId) {
        let local_depth = self.tab(t).local_depth + 1;

        let left = self.new_table(self.max_table_capacity as u64, -1, local_depth);
        let right = self.new_table(self.max_table_capacity as u64, -1, local_depth);

        // Split in half at the localDepth bit from the top.
        let mask = local_depth_mask(local_depth);

        let groups = self.tab(t).groups;
        for i in 0..=groups.length_mask {
            let g = self.groups[groups.data.0][i as usize].clone();
            for j in 0..SLOTS {
                if g.ctrls.get(j) & CTRL_EMPTY == CTRL_EMPTY {
                    // Empty or deleted.
                    continue;
                }
                let hash = self.hasher.hash(&g.keys[j], self.seed);
                let new_table = if hash & mask == 0 { left } else { right };
                self.unchecked_put_slot(new_table, hash, g.keys[j], g.elems[j]);
            }
        }

        self.install_table_split(t, left, right);
        self.tab_mut(t).index = -1;
    }

    /// `table.grow`.
    fn grow(&mut self, t: TableId, new_capacity: u16) {
        let (index, local_depth) = (self.tab(t).index, self.tab(t).local_depth);
        let new_table = self.new_table(new_capacity as u64, index, local_depth);

        if self.tab(t).capacity > 0 {
            let groups = self.tab(t).groups;
            for i in 0..=groups.length_mask {
                let g = self.groups[groups.data.0][i as usize].clone();
                for j in 0..SLOTS {
                    if g.ctrls.get(j) & CTRL_EMPTY == CTRL_EMPTY {
                        // Empty or deleted.
                        continue;
                    }
                    let hash = self.hasher.hash(&g.keys[j], self.seed);
                    self.unchecked_put_slot(new_table, hash, g.keys[j], g.elems[j]);
                }
            }
        }

        self.replace_table(new_table);
        self.tab_mut(t).index = -1;
    }

    /// `table.Delete`.
    pub(super) fn table_delete(&mut self, t: TableId, hash: u64, key: &K) {
        let mut seq = ProbeSeq::new(h1(hash), self.tab(t).groups.length_mask);
        loop {
            let gr = self.group_of(t, seq.offset);
            let mut m = self.grp(gr).ctrls.match_h2(h2(hash));
            while !m.is_empty() {
                let i = m.first();
                if self.grp(gr).keys[i] == *key {
                    self.tab_mut(t).used -= 1;
                    self.used -= 1;

                    // Keys without pointers are not cleared; elems always are
                    // (https://go.dev/issue/25936).
                    let g = self.grp_mut(gr);
                    g.elems[i] = V::default();

                    // Only a full group can appear in the middle of a probe sequence (a
                    // group with at least one empty slot terminates probing). Once a group
                    // becomes full, it stays full until rehashing/resizing. So if the group
                    // isn't full now, we can simply remove the element. Otherwise, we
                    // create a tombstone to mark the slot as deleted.
                    if !g.ctrls.match_empty().is_empty() {
                        g.ctrls.set(i, CTRL_EMPTY);
                        self.tab_mut(t).growth_left += 1;
                    } else {
                        g.ctrls.set(i, CTRL_DELETED);
                    }
                    return;
                }
                m = m.remove_first();
            }
            if !self.grp(gr).ctrls.match_empty().is_empty() {
                // Finding an empty slot means we've reached the end of the probe sequence.
                return;
            }
            seq = seq.next();
        }
    }

    /// `table.Clear`.
    pub(super) fn table_clear(&mut self, t: TableId) {
        let data = self.tab(t).groups.data;
        for g in self.groups[data.0].iter_mut() {
            Self::zero_group(g);
            g.ctrls.set_empty();
        }
        self.tab_mut(t).used = 0;
        self.reset_growth_left(t);
    }
}
