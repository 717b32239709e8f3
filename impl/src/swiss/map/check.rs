//! Introspection and invariants of the Swiss-table port: the snapshot types the trace
//! replay compares byte by byte ([`MapSnapshot`], [`TableSnapshot`], [`GroupSnapshot`]),
//! `snapshot`, `table_snapshot` and `entries`, and [`SwissMap::check_invariants`]: Go's
//! `table.checkInvariants` (table_debug.go) for every table, plus the `Map` and directory
//! shape; [`Invariant`] lists what is checked. The test-only `corrupt_for_test` breaks one
//! field so that tests see a check fail.
//!
//! # Invariants
//! Everything here only reads the map. A snapshot holds every group of every distinct
//! table in directory order (stale keys and elems included), or the small group.

use std::collections::HashSet;
use std::fmt;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use super::{
    depth_to_shift, DirPtr, Group, GroupsId, MapElem, MapKey, SwissMap, TableId,
    MAX_AVG_GROUP_LOAD, SLOTS,
};
use crate::swiss::group::{h1, h2, ProbeSeq, CTRL_DELETED, CTRL_EMPTY};
use crate::swiss::hash::{SwissHasher, SwissRandom};

/// A group as the snapshot shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSnapshot<K, V> {
    /// The control word (slot i is byte i).
    pub ctrls: u64,
    /// The 8 keys, stale ones included.
    pub keys: Vec<K>,
    /// The 8 elems (zero in empty and deleted slots).
    pub elems: Vec<V>,
}

/// A table as the snapshot shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSnapshot<K, V> {
    /// Identity of the table.
    pub id: TableId,
    /// Identity of its group array.
    pub groups_id: GroupsId,
    /// `used`.
    pub used: u16,
    /// `capacity`.
    pub capacity: u16,
    /// `growthLeft`.
    pub growth_left: u16,
    /// `localDepth`.
    pub local_depth: u8,
    /// `index` (-1 when stale).
    pub index: i64,
    /// `groups`, `lengthMask + 1` of them.
    pub groups: Vec<GroupSnapshot<K, V>>,
}

/// The whole memory state of a [`SwissMap`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapSnapshot<K, V> {
    /// `used`.
    pub used: u64,
    /// `seed`.
    pub seed: u64,
    /// `dirLen` (0 for a small map and for a map without groups).
    pub dir_len: usize,
    /// `globalDepth`.
    pub global_depth: u8,
    /// `globalShift`.
    pub global_shift: u8,
    /// `writing`.
    pub writing: u8,
    /// `clearSeq`.
    pub clear_seq: u64,
    /// The group `dirPtr` points at when the map is small (`None` otherwise, including
    /// a map whose `dirPtr` is still nil).
    pub small: Option<GroupSnapshot<K, V>>,
    /// The directory: for each index, the table it points at.
    pub directory: Vec<TableId>,
    /// The distinct tables of the directory, in directory order.
    pub tables: Vec<TableSnapshot<K, V>>,
}

/// The invariants [`SwissMap::check_invariants`] checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Invariant {
    /// `Map.used` is the number of full slots of the small group or of all distinct tables.
    UsedMatchesEntries,
    /// `table.used` is the number of full control bytes of the table.
    TableUsedMatchesCtrl,
    /// `growthLeft == capacity*7/8 - used - tombstones` (table_debug.go), i.e.
    /// `tombstones()` is the number of `ctrlDeleted` bytes.
    GrowthLeftAccounting,
    /// Every table has an empty slot, so every probe sequence ends.
    ProbeEndsAtEmptySlot,
    /// Every control byte is `ctrlEmpty`, `ctrlDeleted` or a 7-bit H2.
    CtrlBytesValid,
    /// A full slot's control byte is the H2 of its key's hash.
    CtrlMatchesH2,
    /// Every full slot of a table is reached along its key's probe sequence before any
    /// group with an empty slot.
    EntryFindable,
    /// Every entry is in the table the directory selects for its hash.
    EntryInDirectoryTable,
    /// No key is in two full slots.
    NoDuplicateKey,
    /// `dirLen == 1 << globalDepth`, `globalShift == 64 - globalDepth`, and each table
    /// with `localDepth <= globalDepth` fills the `1 << (globalDepth - localDepth)`
    /// entries starting at its `index` (aligned), which cover the directory once.
    DirectoryDepth,
    /// `capacity == (lengthMask+1)*8`, a power of two in `[8, maxTableCapacity]`.
    CapacityShape,
    /// A small map has no tombstones and `dirLen == 0`, `globalDepth == 0`.
    SmallMapShape,
    /// Empty and deleted slots have a zero elem (Go always clears elems on delete).
    NonFullElemZeroed,
}

impl Invariant {
    /// All invariants.
    pub const ALL: [Invariant; 13] = [
        Invariant::UsedMatchesEntries,
        Invariant::TableUsedMatchesCtrl,
        Invariant::GrowthLeftAccounting,
        Invariant::ProbeEndsAtEmptySlot,
        Invariant::CtrlBytesValid,
        Invariant::CtrlMatchesH2,
        Invariant::EntryFindable,
        Invariant::EntryInDirectoryTable,
        Invariant::NoDuplicateKey,
        Invariant::DirectoryDepth,
        Invariant::CapacityShape,
        Invariant::SmallMapShape,
        Invariant::NonFullElemZeroed,
    ];

    /// The invariant's name.
    pub fn name(self) -> &'static str {
        match self {
            Invariant::UsedMatchesEntries => "used_matches_entries",
            Invariant::TableUsedMatchesCtrl => "table_used_matches_ctrl",
            Invariant::GrowthLeftAccounting => "growth_left_accounting",
            Invariant::ProbeEndsAtEmptySlot => "probe_ends_at_empty_slot",
            Invariant::CtrlBytesValid => "ctrl_bytes_valid",
            Invariant::CtrlMatchesH2 => "ctrl_matches_h2",
            Invariant::EntryFindable => "entry_findable",
            Invariant::EntryInDirectoryTable => "entry_in_directory_table",
            Invariant::NoDuplicateKey => "no_duplicate_key",
            Invariant::DirectoryDepth => "directory_depth",
            Invariant::CapacityShape => "capacity_shape",
            Invariant::SmallMapShape => "small_map_shape",
            Invariant::NonFullElemZeroed => "non_full_elem_zeroed",
        }
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A violated invariant of the Swiss-table map, and what was found.
pub type InvariantViolation = crate::violation::InvariantViolation<Invariant>;

/// The per-group byte checks `check_table` shares with the small-map check.
type GroupCheck<'a, K, V> = dyn Fn(&Group<K, V>, &str) -> Result<(), InvariantViolation> + 'a;

fn violation(invariant: Invariant, detail: String) -> Result<(), InvariantViolation> {
    Err(InvariantViolation { invariant, detail })
}

impl<K: MapKey, V: MapElem + PartialEq, H: SwissHasher<K>, R: SwissRandom> SwissMap<K, V, H, R> {
    /// Breaks one field so that tests can see `check_invariants` fail.
    #[cfg(test)]
    pub(crate) fn corrupt_for_test(&mut self, what: &str) {
        let first = match &self.dir_ptr {
            DirPtr::Directory(d) => d[0],
            _ => panic!("corrupt_for_test needs a table map"),
        };
        let data = self.tab(first).groups.data;
        match what {
            "used" => self.used += 1,
            "growth_left" => self.tab_mut(first).growth_left += 1,
            "index" => self.tab_mut(first).index = 5,
            "ctrl" => {
                for g in self.groups[data.0].iter_mut() {
                    for i in 0..SLOTS {
                        let c = g.ctrls.get(i);
                        if c & CTRL_EMPTY == 0 {
                            g.ctrls.set(i, (c + 1) & 0x7f);
                            return;
                        }
                    }
                }
            }
            "hole" => {
                // Empty a slot of the first full group, as if a delete forgot its tombstone:
                // keys that probed past this group can no longer be found.
                for g in self.groups[data.0].iter_mut() {
                    if g.ctrls.match_empty_or_deleted().is_empty() {
                        g.ctrls.set(0, CTRL_EMPTY);
                        g.elems[0] = V::default();
                        return;
                    }
                }
                panic!("no full group");
            }
            "elem" => {
                // Copy a non-zero elem of a full slot into an empty slot.
                let gs = &mut self.groups[data.0];
                let mut v = None;
                for g in gs.iter() {
                    for i in 0..SLOTS {
                        if g.ctrls.get(i) & CTRL_EMPTY == 0 && g.elems[i] != V::default() {
                            v = Some(g.elems[i]);
                        }
                    }
                }
                let v = v.expect("a non-zero elem");
                for g in gs.iter_mut() {
                    for i in 0..SLOTS {
                        if g.ctrls.get(i) == CTRL_EMPTY {
                            g.elems[i] = v;
                            return;
                        }
                    }
                }
            }
            _ => panic!("unknown corruption {what}"),
        }
    }

    fn group_snapshot(g: &Group<K, V>) -> GroupSnapshot<K, V> {
        GroupSnapshot {
            ctrls: g.ctrls.0,
            keys: g.keys.to_vec(),
            elems: g.elems.to_vec(),
        }
    }

    /// The snapshot of one table (also of a stale one an iterator still walks).
    pub fn table_snapshot(&self, t: TableId) -> TableSnapshot<K, V> {
        let tab = self.tab(t);
        TableSnapshot {
            id: t,
            groups_id: tab.groups.data,
            used: tab.used,
            capacity: tab.capacity,
            growth_left: tab.growth_left,
            local_depth: tab.local_depth,
            index: tab.index,
            groups: self.groups[tab.groups.data.0]
                .iter()
                .map(Self::group_snapshot)
                .collect(),
        }
    }

    /// The whole memory state: the `Map` header, the small group or the directory and
    /// every distinct table with all its groups, stale bytes included.
    pub fn snapshot(&self) -> MapSnapshot<K, V> {
        let mut s = MapSnapshot {
            used: self.used,
            seed: self.seed,
            dir_len: self.dir_len,
            global_depth: self.global_depth,
            global_shift: self.global_shift,
            writing: self.writing,
            clear_seq: self.clear_seq,
            small: None,
            directory: Vec::new(),
            tables: Vec::new(),
        };
        match &self.dir_ptr {
            DirPtr::Nil => {}
            DirPtr::Small(g) => s.small = Some(Self::group_snapshot(&self.groups[g.0][0])),
            DirPtr::Directory(d) => {
                s.directory = d.clone();
                let mut seen = HashSet::new();
                for &t in d {
                    if seen.insert(t) {
                        s.tables.push(self.table_snapshot(t));
                    }
                }
            }
        }
        s
    }

    /// All live entries, in memory order (small group, or tables in directory order).
    pub fn entries(&self) -> Vec<(K, V)> {
        let s = self.snapshot();
        let mut out = Vec::new();
        let groups: Vec<&GroupSnapshot<K, V>> = match &s.small {
            Some(g) => vec![g],
            None => s.tables.iter().flat_map(|t| t.groups.iter()).collect(),
        };
        for g in groups {
            for i in 0..SLOTS {
                let c = (g.ctrls >> (8 * i)) as u8;
                if c & CTRL_EMPTY == 0 {
                    out.push((g.keys[i], g.elems[i]));
                }
            }
        }
        out
    }

    /// Checks every [`Invariant`]; the first violation found is returned.
    pub fn check_invariants(&self) -> Result<(), InvariantViolation> {
        use Invariant::*;
        let mut keys = HashSet::new();
        let check_group_bytes = |g: &Group<K, V>, at: &str| -> Result<(), InvariantViolation> {
            for i in 0..SLOTS {
                let c = g.ctrls.get(i);
                if c & CTRL_EMPTY != 0 && c != CTRL_EMPTY && c != CTRL_DELETED {
                    return violation(CtrlBytesValid, format!("{at} slot {i}: ctrl {c:#04x}"));
                }
                if c & CTRL_EMPTY != 0 && g.elems[i] != V::default() {
                    return violation(
                        NonFullElemZeroed,
                        format!("{at} slot {i}: ctrl {c:#04x} elem {:?}", g.elems[i]),
                    );
                }
            }
            Ok(())
        };
        match &self.dir_ptr {
            DirPtr::Nil => {
                if self.used != 0 || self.dir_len != 0 {
                    return violation(
                        UsedMatchesEntries,
                        format!("no groups but used {} dirLen {}", self.used, self.dir_len),
                    );
                }
            }
            DirPtr::Small(gid) => {
                let g = &self.groups[gid.0][0];
                check_group_bytes(g, "small group")?;
                if self.dir_len != 0 || self.global_depth != 0 {
                    return violation(
                        SmallMapShape,
                        format!("dirLen {} globalDepth {}", self.dir_len, self.global_depth),
                    );
                }
                let mut full = 0u64;
                for i in 0..SLOTS {
                    let c = g.ctrls.get(i);
                    if c == CTRL_DELETED {
                        return violation(SmallMapShape, format!("tombstone in slot {i}"));
                    }
                    if c & CTRL_EMPTY == 0 {
                        full += 1;
                        let hash = self.hasher.hash(&g.keys[i], self.seed);
                        if c != h2(hash) {
                            return violation(
                                CtrlMatchesH2,
                                format!("small slot {i}: ctrl {c:#04x}, h2 {:#04x}", h2(hash)),
                            );
                        }
                        if !keys.insert(g.keys[i]) {
                            return violation(NoDuplicateKey, format!("{:?}", g.keys[i]));
                        }
                    }
                }
                if full != self.used {
                    return violation(
                        UsedMatchesEntries,
                        format!("used {} but {} full slots", self.used, full),
                    );
                }
            }
            DirPtr::Directory(dir) => {
                if self.dir_len != dir.len()
                    || self.dir_len != 1usize << self.global_depth
                    || self.global_shift != depth_to_shift(self.global_depth)
                {
                    return violation(
                        DirectoryDepth,
                        format!(
                            "dirLen {} (len {}) globalDepth {} globalShift {}",
                            self.dir_len,
                            dir.len(),
                            self.global_depth,
                            self.global_shift
                        ),
                    );
                }
                let mut total_used = 0u64;
                let mut i = 0usize;
                while i < dir.len() {
                    let t = dir[i];
                    let tab = self.tab(t);
                    if tab.local_depth > self.global_depth {
                        return violation(
                            DirectoryDepth,
                            format!("table {t:?} localDepth {} > globalDepth", tab.local_depth),
                        );
                    }
                    let entries = 1usize << (self.global_depth - tab.local_depth);
                    if tab.index != i as i64 || !i.is_multiple_of(entries) {
                        return violation(
                            DirectoryDepth,
                            format!("table {t:?} first at {i} has index {}", tab.index),
                        );
                    }
                    for j in i..i + entries {
                        if dir.get(j) != Some(&t) {
                            return violation(
                                DirectoryDepth,
                                format!("table {t:?} should fill entries {i}..{}", i + entries),
                            );
                        }
                    }
                    i += entries;
                    total_used += tab.used as u64;
                    self.check_table(t, &mut keys, &check_group_bytes)?;
                }
                if total_used != self.used {
                    return violation(
                        UsedMatchesEntries,
                        format!("used {} but tables hold {}", self.used, total_used),
                    );
                }
            }
        }
        Ok(())
    }

    fn check_table(
        &self,
        t: TableId,
        keys: &mut HashSet<K>,
        check_group_bytes: &GroupCheck<'_, K, V>,
    ) -> Result<(), InvariantViolation> {
        use Invariant::*;
        let tab = self.tab(t);
        let ngroups = tab.groups.length_mask + 1;
        if tab.capacity as u64 != ngroups * SLOTS as u64
            || !tab.capacity.is_power_of_two()
            || (tab.capacity as usize) < SLOTS
            || tab.capacity > self.max_table_capacity
        {
            return violation(
                CapacityShape,
                format!("table {t:?} capacity {} groups {ngroups}", tab.capacity),
            );
        }
        let (mut used, mut deleted, mut empty) = (0u16, 0u16, 0u16);
        for gi in 0..ngroups {
            let g = self.grp(self.group_of(t, gi));
            check_group_bytes(g, &format!("table {t:?} group {gi}"))?;
            for j in 0..SLOTS {
                let c = g.ctrls.get(j);
                if c == CTRL_DELETED {
                    deleted += 1;
                } else if c == CTRL_EMPTY {
                    empty += 1;
                } else {
                    used += 1;
                    let key = g.keys[j];
                    if !keys.insert(key) {
                        return violation(NoDuplicateKey, format!("{key:?}"));
                    }
                    let hash = self.hasher.hash(&key, self.seed);
                    if c != h2(hash) {
                        return violation(
                            CtrlMatchesH2,
                            format!(
                                "table {t:?} group {gi} slot {j}: ctrl {c:#04x}, h2 {:#04x}",
                                h2(hash)
                            ),
                        );
                    }
                    if self.directory_at(self.directory_index(hash)) != t {
                        return violation(
                            EntryInDirectoryTable,
                            format!("key {key:?} in table {t:?}, hash {hash:#x} selects another"),
                        );
                    }
                    let mut seq = ProbeSeq::new(h1(hash), tab.groups.length_mask);
                    loop {
                        if seq.offset == gi {
                            break;
                        }
                        let pg = self.grp(self.group_of(t, seq.offset));
                        if !pg.ctrls.match_empty().is_empty() || seq.index > ngroups {
                            return violation(
                                EntryFindable,
                                format!(
                                    "key {key:?} in group {gi}: probe stops at group {}",
                                    seq.offset
                                ),
                            );
                        }
                        seq = seq.next();
                    }
                }
            }
        }
        if used != tab.used {
            return violation(
                TableUsedMatchesCtrl,
                format!("table {t:?} used {} but {used} full slots", tab.used),
            );
        }
        let max = (tab.capacity as u32 * MAX_AVG_GROUP_LOAD as u32 / SLOTS as u32) as i64;
        let expect = max - tab.used as i64 - deleted as i64;
        if expect != tab.growth_left as i64 || self.tombstones(t) != deleted {
            return violation(
                GrowthLeftAccounting,
                format!(
                    "table {t:?} growthLeft {} but capacity*7/8 - used - tombstones = {expect}",
                    tab.growth_left
                ),
            );
        }
        if empty == 0 {
            return violation(
                ProbeEndsAtEmptySlot,
                format!("table {t:?} has no empty slot"),
            );
        }
        Ok(())
    }
}
