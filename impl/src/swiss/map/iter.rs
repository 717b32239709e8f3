//! `Iter` of Go 1.24 `internal/runtime/maps` (table.go), minus `key`/`elem`/`typ`:
//! `Init` ([`SwissMap::iter_init`]), `Next` ([`SwissMap::iter_next`]), `nextDirIdx` and
//! `grownKeyElem`, and [`IterSnapshot`], the iterator state the trace replay compares.
//!
//! # Invariants
//! - `Init` draws `entryOffset` and `dirOffset` only when the map is non-empty; the
//!   iterator of an empty map yields nothing.
//! - An iterator started on a small map (`dirIdx == -1`) walks that group to the end; once
//!   the map has grown to tables it looks each key up again and skips keys now absent.
//! - Keys are chosen from the table the iterator resolved (`it.tab`), even after that
//!   table went stale (grown or split, `index == -1`); the elem then comes from a fresh
//!   lookup (`grownKeyElem`), so no key is yielded twice and deleted keys are skipped.
//! - When the directory grew since the last `Next`, `dirIdx` and `dirOffset` shift left by
//!   the number of doublings; each table is visited once, from its first directory index.

use serde::{Deserialize, Serialize};

use super::{
    DirPtr, GroupReference, GroupsId, IterId, MapElem, MapKey, SwissMap, TableId, SLOTS,
    SWISS_MAP_GROUP_SLOTS_BITS,
};
use crate::swiss::group::{Bitset, CTRL_EMPTY};
use crate::swiss::hash::{SwissHasher, SwissRandom};

/// `Iter` (table.go), minus `key`/`elem`/`typ`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Iter {
    /// `it.m != nil`: the map was non-empty at `Init`.
    m: bool,
    entry_offset: u64,
    dir_offset: u64,
    clear_seq: u64,
    global_depth: u8,
    dir_idx: i64,
    tab: Option<TableId>,
    group: Option<GroupReference>,
    entry_idx: u64,
}

/// An iterator's state (the fields of Go's `Iter` that the map code uses).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IterSnapshot {
    /// `it.m != nil`.
    pub m: bool,
    /// `entryOffset`.
    pub entry_offset: u64,
    /// `dirOffset`.
    pub dir_offset: u64,
    /// `clearSeq`.
    pub clear_seq: u64,
    /// `globalDepth`.
    pub global_depth: u8,
    /// `dirIdx` (-1 for an iterator that started on a small map).
    pub dir_idx: i64,
    /// `tab`.
    pub tab: Option<TableId>,
    /// `group`: the group array and index it points into (`None` when nil).
    pub group: Option<(GroupsId, u64)>,
    /// `entryIdx`.
    pub entry_idx: u64,
}

impl<K: MapKey, V: MapElem + PartialEq, H: SwissHasher<K>, R: SwissRandom> SwissMap<K, V, H, R> {
    /// `mapiterinit` without its first `mapiternext`: `Iter.Init`. Draws `entryOffset`
    /// and `dirOffset` only when the map is non-empty.
    pub fn iter_init(&mut self) -> IterId {
        let mut it = Iter {
            m: false,
            entry_offset: 0,
            dir_offset: 0,
            clear_seq: 0,
            global_depth: 0,
            dir_idx: 0,
            tab: None,
            group: None,
            entry_idx: 0,
        };
        if self.used != 0 {
            let mut dir_idx = 0;
            let mut group_small = None;
            if self.dir_len == 0 {
                // Use dirIdx == -1 as sentinel for small maps.
                dir_idx = -1;
                if let DirPtr::Small(g) = self.dir_ptr {
                    group_small = Some(GroupReference { data: g, index: 0 });
                }
            }
            it.m = true;
            let (e, d) = self.rand.iter_offsets();
            it.entry_offset = e;
            it.dir_offset = d;
            it.global_depth = self.global_depth;
            it.dir_idx = dir_idx;
            it.group = group_small;
            it.clear_seq = self.clear_seq;
        }
        self.iters.push(it);
        IterId(self.iters.len() - 1)
    }

    /// The state of an iterator.
    pub fn iter_snapshot(&self, id: IterId) -> IterSnapshot {
        let it = &self.iters[id.0];
        IterSnapshot {
            m: it.m,
            entry_offset: it.entry_offset,
            dir_offset: it.dir_offset,
            clear_seq: it.clear_seq,
            global_depth: it.global_depth,
            dir_idx: it.dir_idx,
            tab: it.tab,
            group: it.group.map(|g| (g.data, g.index)),
            entry_idx: it.entry_idx,
        }
    }

    /// `Iter.nextDirIdx`.
    fn next_dir_idx(&self, it: &mut Iter) {
        let tab = it.tab.expect("nextDirIdx without a table");
        let entries = 1i64 << (self.global_depth - self.tab(tab).local_depth);
        it.dir_idx += entries;
        it.tab = None;
        it.group = None;
        it.entry_idx = 0;
    }

    /// `Iter.grownKeyElem`. Deviation from Go: keys are reflexive, so the NaN branch
    /// (return the old slot when the key cannot be looked up and no clear happened) is
    /// absent.
    fn grown_key_elem(&self, key: &K) -> Option<(K, V)> {
        self.get_with_key(key)
    }

    /// `Iter.Next`: the next entry, or `None` at the end.
    pub fn iter_next(&mut self, id: IterId) -> Option<(K, V)> {
        let mut it = self.iters[id.0];
        let r = self.iter_next_inner(&mut it);
        self.iters[id.0] = it;
        r
    }

    fn iter_next_inner(&self, it: &mut Iter) -> Option<(K, V)> {
        if !it.m {
            // Map was empty at Iter.Init.
            return None;
        }

        if self.writing != 0 {
            panic!("concurrent map iteration and map write");
        }

        if it.dir_idx < 0 {
            // Map was small at Init.
            let gr = it.group.expect("small iterator without a group");
            while it.entry_idx < SLOTS as u64 {
                let k = (it.entry_idx.wrapping_add(it.entry_offset) % SLOTS as u64) as usize;
                let g = self.grp(gr);
                if g.ctrls.get(k) & CTRL_EMPTY == CTRL_EMPTY {
                    // Empty or deleted.
                    it.entry_idx += 1;
                    continue;
                }
                let mut key = g.keys[k];

                // If we have grown to a full map since Init, we continue to use the old
                // group to decide the keys to return, but must look them up again in the
                // new tables.
                let grown = self.dir_len > 0;
                let elem;
                if grown {
                    match self.get_with_key(&key) {
                        None => {
                            // Deviation from Go: no NaN keys (see grown_key_elem).
                            it.entry_idx += 1;
                            continue;
                        }
                        Some((nk, ne)) => {
                            key = nk;
                            elem = ne;
                        }
                    }
                } else {
                    elem = g.elems[k];
                }

                it.entry_idx += 1;
                return Some((key, elem));
            }
            return None;
        }

        if it.global_depth != self.global_depth {
            // Directory has grown since the last call to Next. Adjust our directory index:
            // double it when the directory size doubles (or quadruple, etc).
            let orders = self.global_depth - it.global_depth;
            it.dir_idx <<= orders;
            it.dir_offset <<= orders;
            // it.m.dirLen was already adjusted when the directory grew.
            it.global_depth = self.global_depth;
        }

        // Continue iteration until we find a full slot.
        'tables: while it.dir_idx < self.dir_len as i64 {
            // Resolve the table.
            if it.tab.is_none() {
                let dir_idx = ((it.dir_idx as u64).wrapping_add(it.dir_offset)
                    & (self.dir_len as u64 - 1)) as i64;
                let new_tab = self.directory_at(dir_idx as usize);
                let index = self.tab(new_tab).index;
                if index != dir_idx {
                    // On the very first call the randomized dirIdx may refer to the middle
                    // of a run of entries of one table: adjust the offset once so that we
                    // start at the table's first index.
                    let diff = dir_idx - index;
                    it.dir_offset = it.dir_offset.wrapping_sub(diff as u64);
                }
                it.tab = Some(new_tab);
            }

            // N.B. Use it.tab, not newTab. It is important to use the old table for key
            // selection if the table has grown.
            let tab = *self.tab(it.tab.expect("resolved above"));
            let entry_mask = tab.capacity as u64 - 1;
            if it.entry_idx > entry_mask {
                // Continue to next table.
                self.next_dir_idx(it);
                continue 'tables;
            }

            // Fast path: skip matching and directly check if entryIdx is a full slot.
            let entry_idx = it.entry_idx.wrapping_add(it.entry_offset) & entry_mask;
            let slot_idx = (entry_idx & (SLOTS as u64 - 1)) as usize;
            if slot_idx == 0 || it.group.is_none() {
                // Only compute the group (a) when we switch groups (slotIdx rolls over)
                // and (b) on the first iteration in this table (slotIdx may not be zero
                // due to entryOffset).
                let group_idx = entry_idx >> SWISS_MAP_GROUP_SLOTS_BITS;
                it.group = Some(GroupReference {
                    data: tab.groups.data,
                    index: group_idx,
                });
            }

            let gr = it.group.expect("set above");
            if self.grp(gr).ctrls.get(slot_idx) & CTRL_EMPTY == 0 {
                // Slot full.
                let key = self.grp(gr).keys[slot_idx];
                let grown = tab.index == -1;
                let found = if grown {
                    self.grown_key_elem(&key)
                } else {
                    Some((key, self.grp(gr).elems[slot_idx]))
                };
                if let Some(kv) = found {
                    it.entry_idx += 1;
                    return Some(kv);
                }
                // This entry doesn't exist anymore. Continue to the next one (goto next).
            }

            // next:
            it.entry_idx += 1;

            // Slow path: use a match on the control word to jump ahead to the next full
            // slot.
            let mut group_match = Bitset(0);
            while it.entry_idx <= entry_mask {
                let entry_idx = it.entry_idx.wrapping_add(it.entry_offset) & entry_mask;
                let mut slot_idx = (entry_idx & (SLOTS as u64 - 1)) as usize;

                if slot_idx == 0 || it.group.is_none() {
                    let group_idx = entry_idx >> SWISS_MAP_GROUP_SLOTS_BITS;
                    it.group = Some(GroupReference {
                        data: tab.groups.data,
                        index: group_idx,
                    });
                }
                let gr = it.group.expect("set above");

                if group_match.is_empty() {
                    group_match = self.grp(gr).ctrls.match_full();

                    if slot_idx != 0 {
                        // Starting in the middle of the group. Ignore earlier groups.
                        group_match = group_match.remove_below(slot_idx);
                    }

                    // Skip over groups that are composed of only empty or deleted slots.
                    if group_match.is_empty() {
                        // Jump past remaining slots in this group.
                        it.entry_idx += (SLOTS - slot_idx) as u64;
                        continue;
                    }

                    let i = group_match.first();
                    it.entry_idx = it
                        .entry_idx
                        .wrapping_add((i as u64).wrapping_sub(slot_idx as u64));
                    if it.entry_idx > entry_mask {
                        // Past the end of this table's iteration.
                        continue;
                    }
                    slot_idx = i;
                }

                let mut key = self.grp(gr).keys[slot_idx];

                // If the table has changed since the last call, then it has grown or
                // split. Further mutations will not be visible in our snapshot table;
                // consult the new table by doing a full lookup. We still use our old table
                // to decide which keys to lookup in order to avoid returning the same key
                // twice.
                let grown = tab.index == -1;
                let elem;
                if grown {
                    match self.grown_key_elem(&key) {
                        None => {
                            // This entry doesn't exist anymore. Continue to the next one.
                            group_match = group_match.remove_first();
                            if group_match.is_empty() {
                                // No more entries in this group. Continue to next group.
                                it.entry_idx += (SLOTS - slot_idx) as u64;
                                continue;
                            }
                            // Next full slot.
                            let i = group_match.first();
                            it.entry_idx = it
                                .entry_idx
                                .wrapping_add((i as u64).wrapping_sub(slot_idx as u64));
                            continue;
                        }
                        Some((nk, ne)) => {
                            key = nk;
                            elem = ne;
                        }
                    }
                } else {
                    elem = self.grp(gr).elems[slot_idx];
                }

                // Jump ahead to the next full slot or next group.
                group_match = group_match.remove_first();
                if group_match.is_empty() {
                    // No more entries in this group. Continue to next group.
                    it.entry_idx += (SLOTS - slot_idx) as u64;
                } else {
                    // Next full slot.
                    let i = group_match.first();
                    it.entry_idx = it
                        .entry_idx
                        .wrapping_add((i as u64).wrapping_sub(slot_idx as u64));
                }

                return Some((key, elem));
            }

            // Continue to next table.
            self.next_dir_idx(it);
        }

        None
    }
}
