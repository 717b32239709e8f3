//! `SwissMap<K, V>`: `Map` of Go 1.24 `internal/runtime/maps` (map.go), step by step
//! with Go's names, and the memory layout shared by the table, iterator and check code in
//! `map/`.
//!
//! # What is here (map.go)
//! The layout types (`Map`, `table`, `groupsReference`, `groupReference`, one group), the
//! constants, `NewEmptyMap` and `NewMap`, the directory (`directoryIndex`, `directoryAt`,
//! `directorySet`, `replaceTable`, `installTableSplit`), `getWithKey`/`getWithKeySmall`,
//! `growToSmall`, `growToTable`, `Delete`/`deleteSmall` (what `runtime_mapdelete_fast64`
//! calls), `Clear`/`clearSmall`, and the arena accessors every file uses.
//!
//! # The other files, along Go's
//! - `map/fast64.rs`: runtime_fast64_swiss.go (`runtime_mapaccess2_fast64`,
//!   `runtime_mapassign_fast64` with its inlined insert loop, `putSlotSmallFast64`).
//! - `map/table.rs`: table.go's `table` (`newTable`, `reset`, `resetGrowthLeft`,
//!   `tombstones`, `getWithKey`, `uncheckedPutSlot`, `rehash`, `split`, `grow`, `Delete`,
//!   `Clear`).
//! - `map/iter.rs`: table.go's `Iter` (`Init`, `Next`, `nextDirIdx`, `grownKeyElem`).
//! - `map/check.rs`: the snapshots and [`SwissMap::check_invariants`] (table_debug.go).
//!
//! Those files are child modules: they read this file's private fields and helpers, and
//! this file calls their `pub(super)` methods. Between them, `fast64` and `check` use
//! `table`'s methods and nothing uses `fast64`, `iter` or `check`, so no two files
//! depend on each other except through this one.
//!
//! # Layout
//! ```text
//!  Map:    used seed dirPtr dirLen globalDepth globalShift writing clearSeq
//!  dirPtr: nil | one group (small map, dirLen == 0) | directory [1<<globalDepth]*table
//!  table:  used capacity growthLeft localDepth index groups{data, lengthMask}
//!  group:  ctrls (8 control bytes) then 8 slots of {key, elem}
//! ```
//! Group arrays (`newGroups`) live in an arena indexed by [`GroupsId`] and tables in one
//! indexed by [`TableId`]; neither is ever freed (Deviation from Go: Go's GC frees them
//! once no directory or iterator refers to them), so a stale table keeps its identity and
//! contents for the iterators that still walk it.
//!
//! # Invariants ([`SwissMap::check_invariants`])
//! See [`Invariant`]; the table ones are those of Go's `table.checkInvariants`
//! (table_debug.go) plus the directory's extendible-hashing shape. This file keeps the
//! `Map` ones: `used` is the sum of the tables' `used` (or the small group's full slots),
//! a small map has `dirLen == 0` and no tombstones, `dirLen == 1 << globalDepth`, and
//! each table fills the `1 << (globalDepth - localDepth)` directory entries from its
//! `index`.

use std::collections::HashSet;
use std::fmt;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use super::group::{align_up_pow2, h2, CtrlGroup, CTRL_EMPTY};
use super::hash::{GoMemHasher124, SwissHasher, SwissRandom};
use crate::hash::WyRand;
use crate::map::{MapElem, MapKey};

mod check;
mod fast64;
mod iter;
mod table;

pub use check::{GroupSnapshot, Invariant, InvariantViolation, MapSnapshot, TableSnapshot};
use iter::Iter;
pub use iter::IterSnapshot;

/// `abi.SwissMapGroupSlots`.
pub const SWISS_MAP_GROUP_SLOTS: usize = 8;
/// `abi.SwissMapGroupSlotsBits`.
pub const SWISS_MAP_GROUP_SLOTS_BITS: u32 = 3;
/// `maxAvgGroupLoad`: at most 7 of every 8 slots are used before a table grows.
pub const MAX_AVG_GROUP_LOAD: u16 = 7;
/// `maxTableCapacity`: a table that would grow past this many slots splits instead.
pub const MAX_TABLE_CAPACITY: u16 = 1024;
/// `runtime.maxAlloc` on 64-bit Linux (`1 << heapAddrBits`, 48 bits on amd64).
pub const MAX_ALLOC: u64 = 1 << 48;

const SLOTS: usize = SWISS_MAP_GROUP_SLOTS;

/// Identity of one group array (one `newGroups` allocation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GroupsId(pub usize);

/// Identity of one table (one `newTable` allocation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TableId(pub usize);

/// An open iterator of a [`SwissMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IterId(pub usize);

/// One group: its control word and 8 slots (keys and elems, stale values included).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Group<K, V> {
    ctrls: CtrlGroup,
    keys: [K; SLOTS],
    elems: [V; SLOTS],
}

/// `groupsReference`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct GroupsReference {
    data: GroupsId,
    length_mask: u64,
}

/// `groupReference`: group `index` of the array `data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct GroupReference {
    data: GroupsId,
    index: u64,
}

/// `table`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Table {
    used: u16,
    capacity: u16,
    growth_left: u16,
    local_depth: u8,
    /// -1 once the table is stale (replaced in the directory).
    index: i64,
    groups: GroupsReference,
}

/// `Map.dirPtr`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum DirPtr {
    Nil,
    /// Small map: `dirPtr` points at one group (the array has length 1).
    Small(GroupsId),
    /// `dirPtr *[dirLen]*table`.
    Directory(Vec<TableId>),
}

/// `depthToShift` on 64-bit platforms.
pub fn depth_to_shift(depth: u8) -> u8 {
    64 - depth
}

/// `localDepthMask` on 64-bit platforms: the last selection bit at this depth.
pub fn local_depth_mask(local_depth: u8) -> u64 {
    1u64 << (64 - local_depth as u32)
}

/// Go 1.24's Swiss-table map, `map[K]V` with Go's algorithms and memory layout.
pub struct SwissMap<K, V, H = GoMemHasher124, R = WyRand> {
    used: u64,
    seed: u64,
    dir_ptr: DirPtr,
    dir_len: usize,
    global_depth: u8,
    global_shift: u8,
    writing: u8,
    clear_seq: u64,
    /// `maxTableCapacity`: Go's [`MAX_TABLE_CAPACITY`] unless scaled down with
    /// [`SwissMap::with_max_table_capacity`].
    max_table_capacity: u16,
    /// Arena of group arrays (`newGroups`), never freed.
    groups: Vec<Vec<Group<K, V>>>,
    /// Arena of tables (`newTable`), never freed.
    tables: Vec<Table>,
    iters: Vec<Iter>,
    hasher: H,
    rand: R,
}

impl<K, V> SwissMap<K, V, GoMemHasher124, WyRand>
where
    K: Copy + Eq + Hash + Default + fmt::Debug,
    V: Copy + PartialEq + Default + fmt::Debug,
    GoMemHasher124: SwissHasher<K>,
{
    /// `make(map[K]V)` with the default hasher and random source.
    pub fn new() -> Self {
        Self::new_empty_map(GoMemHasher124::default(), WyRand::default())
    }

    /// `make(map[K]V, hint)` with the default hasher and random source.
    pub fn with_hint(hint: u64) -> Self {
        Self::new_map(hint, GoMemHasher124::default(), WyRand::default())
    }
}

impl<K, V> Default for SwissMap<K, V, GoMemHasher124, WyRand>
where
    K: Copy + Eq + Hash + Default + fmt::Debug,
    V: Copy + PartialEq + Default + fmt::Debug,
    GoMemHasher124: SwissHasher<K>,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<K: MapKey, V: MapElem + PartialEq, H: SwissHasher<K>, R: SwissRandom> SwissMap<K, V, H, R> {
    fn blank(hasher: H, rand: R) -> Self {
        SwissMap {
            used: 0,
            seed: 0,
            dir_ptr: DirPtr::Nil,
            dir_len: 0,
            global_depth: 0,
            global_shift: 0,
            writing: 0,
            clear_seq: 0,
            max_table_capacity: MAX_TABLE_CAPACITY,
            groups: Vec::new(),
            tables: Vec::new(),
            iters: Vec::new(),
            hasher,
            rand,
        }
    }

    /// `abi.SwissMapType.GroupSize` for this K and V: the control word and 8 slots.
    /// Deviation from Go: slot padding is not modelled (none for `uint64`/`uint64`: 136).
    pub fn group_size() -> u64 {
        8 + (SLOTS * (std::mem::size_of::<K>() + std::mem::size_of::<V>())) as u64
    }

    /// `NewEmptyMap` (`makemap_small`): a map with a seed and no groups.
    pub fn new_empty_map(hasher: H, rand: R) -> Self {
        let mut m = Self::blank(hasher, rand);
        m.seed = m.rand.seed();
        m
    }

    /// `NewMap(mt, hint, nil, maxAlloc)` (`makemap`): for `hint > 8`, a directory of tables
    /// sized to hold `hint` entries without growing.
    pub fn new_map(hint: u64, hasher: H, rand: R) -> Self {
        let mut m = Self::blank(hasher, rand);
        m.seed = m.rand.seed();

        if hint <= SLOTS as u64 {
            // A small map can fill all 8 slots; the group is allocated on first assign.
            return m;
        }

        // Set initial capacity to hold hint entries without growing in the average case.
        let target_capacity = hint.wrapping_mul(SLOTS as u64) / MAX_AVG_GROUP_LOAD as u64;
        if target_capacity < hint {
            return m; // overflow: an empty map
        }

        let dir_size = target_capacity.div_ceil(m.max_table_capacity as u64);
        let (dir_size, overflow) = align_up_pow2(dir_size);
        if overflow {
            return m;
        }

        // Reject hints that are obviously too large. (Go names this product `groups`,
        // but it counts slots: dirSize*maxTableCapacity times GroupSize.)
        match dir_size.checked_mul(m.max_table_capacity as u64) {
            None => return m,
            Some(groups) => match groups.checked_mul(Self::group_size()) {
                Some(mem) if mem <= MAX_ALLOC => {}
                _ => return m,
            },
        }

        m.global_depth = dir_size.trailing_zeros() as u8;
        m.global_shift = depth_to_shift(m.global_depth);

        let mut directory = Vec::with_capacity(dir_size as usize);
        for i in 0..dir_size as usize {
            let t = m.new_table(target_capacity / dir_size, i as i64, m.global_depth);
            directory.push(t);
        }
        m.dir_len = directory.len();
        m.dir_ptr = DirPtr::Directory(directory);
        m
    }

    /// Deviation from Go: `maxTableCapacity` scaled down (a power of two from 16 =
    /// `2*abi.SwissMapGroupSlots`, growToTable's capacity, to Go's 1024), so that a few
    /// keys reach `split` and the directory, as the `swiss` model's specs do; lockstep with
    /// the model (tests/swiss_lockstep.rs) uses it. Call it on an empty map; without it the
    /// map is Go's.
    pub fn with_max_table_capacity(mut self, capacity: u16) -> Self {
        assert!(
            capacity.is_power_of_two()
                && capacity as usize >= 2 * SLOTS
                && capacity <= MAX_TABLE_CAPACITY,
            "maxTableCapacity must be a power of two in 16..=1024, got {capacity}"
        );
        assert!(
            self.tables.is_empty(),
            "scale maxTableCapacity before the first table"
        );
        self.max_table_capacity = capacity;
        self
    }

    /// `maxTableCapacity` of this map (Go: 1024).
    pub fn max_table_capacity(&self) -> u16 {
        self.max_table_capacity
    }

    // ----- accessors -----

    /// `len(m)`: `Map.used`.
    pub fn len(&self) -> usize {
        self.used as usize
    }

    /// `len(m) == 0`.
    pub fn is_empty(&self) -> bool {
        self.used == 0
    }

    /// `Map.seed`.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// `Map.dirLen`.
    pub fn dir_len(&self) -> usize {
        self.dir_len
    }

    /// `Map.globalDepth`.
    pub fn global_depth(&self) -> u8 {
        self.global_depth
    }

    /// `Map.clearSeq`.
    pub fn clear_seq(&self) -> u64 {
        self.clear_seq
    }

    /// Is this a small map (`dirPtr` is one group, `dirLen == 0`).
    pub fn is_small(&self) -> bool {
        matches!(self.dir_ptr, DirPtr::Small(_))
    }

    /// The number of distinct tables in the directory.
    pub fn table_count(&self) -> usize {
        match &self.dir_ptr {
            DirPtr::Directory(d) => {
                let mut n = 0;
                let mut last = None;
                for &t in d {
                    if Some(t) != last {
                        n += 1;
                        last = Some(t);
                    }
                }
                n
            }
            _ => 0,
        }
    }

    /// The number of tombstones (`ctrlDeleted` slots) in the directory's tables, from
    /// each table's `tombstones()` accounting.
    pub fn tombstone_count(&self) -> usize {
        match &self.dir_ptr {
            DirPtr::Directory(d) => {
                let mut seen = HashSet::new();
                d.iter()
                    .filter(|t| seen.insert(**t))
                    .map(|&t| self.tombstones(t) as usize)
                    .sum()
            }
            _ => 0,
        }
    }

    /// How many tables were ever allocated (grows and splits each allocate).
    pub fn tables_allocated(&self) -> usize {
        self.tables.len()
    }

    /// The hasher.
    pub fn hasher(&self) -> &H {
        &self.hasher
    }

    /// The hasher, mutably (the trace replayer teaches it recorded hashes).
    pub fn hasher_mut(&mut self) -> &mut H {
        &mut self.hasher
    }

    /// The random source.
    pub fn random_source(&mut self) -> &mut R {
        &mut self.rand
    }

    /// Toggles `writing` as a concurrent writer in the middle of an op would, so that the
    /// next op takes Go's "concurrent map ..." throw. Calling it again undoes it.
    pub fn simulate_concurrent_writer(&mut self) {
        self.writing ^= 1;
    }

    // ----- groups and tables -----

    fn new_groups(&mut self, length: u64) -> GroupsReference {
        let g = Group {
            ctrls: CtrlGroup(0),
            keys: [K::default(); SLOTS],
            elems: [V::default(); SLOTS],
        };
        self.groups.push(vec![g; length as usize]);
        GroupsReference {
            data: GroupsId(self.groups.len() - 1),
            length_mask: length - 1,
        }
    }

    fn grp(&self, r: GroupReference) -> &Group<K, V> {
        &self.groups[r.data.0][r.index as usize]
    }

    fn grp_mut(&mut self, r: GroupReference) -> &mut Group<K, V> {
        &mut self.groups[r.data.0][r.index as usize]
    }

    fn tab(&self, t: TableId) -> &Table {
        &self.tables[t.0]
    }

    fn tab_mut(&mut self, t: TableId) -> &mut Table {
        &mut self.tables[t.0]
    }

    /// `groupsReference.group`.
    fn group_of(&self, t: TableId, i: u64) -> GroupReference {
        GroupReference {
            data: self.tab(t).groups.data,
            index: i,
        }
    }

    fn directory(&self) -> &Vec<TableId> {
        match &self.dir_ptr {
            DirPtr::Directory(d) => d,
            _ => panic!("directory of a map without tables"),
        }
    }

    /// `Map.directoryIndex`.
    fn directory_index(&self, hash: u64) -> usize {
        if self.dir_len == 1 {
            return 0;
        }
        (hash >> (self.global_shift & 63)) as usize
    }

    /// `Map.directoryAt`.
    fn directory_at(&self, i: usize) -> TableId {
        self.directory()[i]
    }

    /// `Map.directorySet`.
    fn directory_set(&mut self, i: usize, nt: TableId) {
        match &mut self.dir_ptr {
            DirPtr::Directory(d) => d[i] = nt,
            _ => panic!("directory of a map without tables"),
        }
    }

    /// `Map.replaceTable`.
    fn replace_table(&mut self, nt: TableId) {
        let entries = 1usize << (self.global_depth - self.tab(nt).local_depth);
        let index = self.tab(nt).index as usize;
        for i in 0..entries {
            self.directory_set(index + i, nt);
        }
    }

    /// `Map.installTableSplit`.
    fn install_table_split(&mut self, old: TableId, left: TableId, right: TableId) {
        if self.tab(old).local_depth == self.global_depth {
            // No room for another level in the directory. Grow the directory.
            let old_dir = self.directory().clone();
            let mut new_dir = vec![TableId(usize::MAX); self.dir_len * 2];
            for (i, &t) in old_dir.iter().enumerate() {
                new_dir[2 * i] = t;
                new_dir[2 * i + 1] = t;
                // t may already exist in multiple indices. We should only update
                // t.index once. Since the index must increase, seeing the original
                // index means this must be the first time we've encountered this table.
                if self.tab(t).index == i as i64 {
                    self.tab_mut(t).index = 2 * i as i64;
                }
            }
            self.global_depth += 1;
            self.global_shift -= 1;
            self.dir_len = new_dir.len();
            self.dir_ptr = DirPtr::Directory(new_dir);
        }

        // N.B. left and right may still consume multiple indices if the directory has
        // grown multiple times since old was last split.
        let old_index = self.tab(old).index;
        self.tab_mut(left).index = old_index;
        self.replace_table(left);

        let entries = 1i64 << (self.global_depth - self.tab(left).local_depth);
        self.tab_mut(right).index = old_index + entries;
        self.replace_table(right);
    }

    // ----- lookups -----

    /// `Map.getWithKey`: the generic lookup the iterator uses for grown tables.
    fn get_with_key(&self, key: &K) -> Option<(K, V)> {
        if self.used == 0 {
            return None;
        }
        if self.writing != 0 {
            panic!("concurrent map read and map write");
        }
        let hash = self.hasher.try_hash(key, self.seed)?;
        match &self.dir_ptr {
            DirPtr::Small(gid) => self.get_with_key_small(*gid, hash, key),
            DirPtr::Directory(_) => {
                let t = self.directory_at(self.directory_index(hash));
                self.table_get_with_key(t, hash, key)
            }
            DirPtr::Nil => None,
        }
    }

    /// `Map.getWithKeySmall`.
    fn get_with_key_small(&self, gid: GroupsId, hash: u64, key: &K) -> Option<(K, V)> {
        let g = &self.groups[gid.0][0];
        let h2 = h2(hash);
        for i in 0..SLOTS {
            if g.ctrls.get(i) != h2 {
                continue;
            }
            if g.keys[i] == *key {
                return Some((g.keys[i], g.elems[i]));
            }
        }
        None
    }

    // ----- assign -----

    /// `Map.growToSmall`.
    fn grow_to_small(&mut self) {
        let grp = self.new_groups(1);
        self.dir_ptr = DirPtr::Small(grp.data);
        self.groups[grp.data.0][0].ctrls.set_empty();
    }

    /// `Map.growToTable`.
    fn grow_to_table(&mut self) {
        let tab = self.new_table(2 * SLOTS as u64, 0, 0);
        let gid = match self.dir_ptr {
            DirPtr::Small(g) => g,
            _ => unreachable!("growToTable on a map that is not small"),
        };
        let g = self.groups[gid.0][0].clone();
        for i in 0..SLOTS {
            if g.ctrls.get(i) & CTRL_EMPTY == CTRL_EMPTY {
                // Empty or deleted.
                continue;
            }
            let hash = self.hasher.hash(&g.keys[i], self.seed);
            self.unchecked_put_slot(tab, hash, g.keys[i], g.elems[i]);
        }
        self.dir_ptr = DirPtr::Directory(vec![tab]);
        self.dir_len = 1;
        self.global_depth = 0;
        self.global_shift = depth_to_shift(self.global_depth);
    }

    // ----- delete and clear -----

    /// `runtime_mapdelete_fast64` / `Map.Delete`: `delete(m, key)`.
    pub fn remove(&mut self, key: &K) {
        if self.used == 0 {
            return;
        }
        if self.writing != 0 {
            panic!("concurrent map writes");
        }
        let hash = self.hasher.hash(key, self.seed);

        self.writing ^= 1;

        if self.dir_len == 0 {
            self.delete_small(hash, key);
        } else {
            let t = self.directory_at(self.directory_index(hash));
            self.table_delete(t, hash, key);
        }

        if self.used == 0 {
            // Reset the hash seed to make it more difficult for attackers to repeatedly
            // trigger hash collisions. See https://go.dev/issue/25237.
            self.seed = self.rand.seed();
        }

        if self.writing == 0 {
            panic!("concurrent map writes");
        }
        self.writing ^= 1;
    }

    /// `Map.deleteSmall`: a small map never needs a tombstone.
    fn delete_small(&mut self, hash: u64, key: &K) {
        let gid = match self.dir_ptr {
            DirPtr::Small(g) => g,
            _ => unreachable!("deleteSmall on a map that is not small"),
        };
        let g = &mut self.groups[gid.0][0];
        let mut m = g.ctrls.match_h2(h2(hash));
        while !m.is_empty() {
            let i = m.first();
            if g.keys[i] == *key {
                self.used -= 1;
                // uint64 keys have no pointers: the key stays (stale). Elems are always
                // cleared.
                g.elems[i] = V::default();
                g.ctrls.set(i, CTRL_EMPTY);
                return;
            }
            m = m.remove_first();
        }
    }

    /// `mapclear` / `Map.Clear`: `clear(m)`. Go 1.24 returns early when `used == 0`, so
    /// a map holding only tombstones keeps them (and its seed).
    pub fn clear(&mut self) {
        if self.used == 0 {
            return;
        }
        if self.writing != 0 {
            panic!("concurrent map writes");
        }
        self.writing ^= 1;

        if self.dir_len == 0 {
            self.clear_small();
        } else {
            let dir = self.directory().clone();
            let mut last_tab = None;
            for t in dir {
                if Some(t) == last_tab {
                    continue;
                }
                self.table_clear(t);
                last_tab = Some(t);
            }
            self.used = 0;
            self.clear_seq += 1;
        }

        // Reset the hash seed to make it more difficult for attackers to repeatedly
        // trigger hash collisions. See https://go.dev/issue/25237.
        self.seed = self.rand.seed();

        if self.writing == 0 {
            panic!("concurrent map writes");
        }
        self.writing ^= 1;
    }

    fn zero_group(g: &mut Group<K, V>) {
        g.keys = [K::default(); SLOTS];
        g.elems = [V::default(); SLOTS];
        g.ctrls = CtrlGroup(0);
    }

    /// `Map.clearSmall`.
    fn clear_small(&mut self) {
        let gid = match self.dir_ptr {
            DirPtr::Small(g) => g,
            _ => unreachable!("clearSmall on a map that is not small"),
        };
        let g = &mut self.groups[gid.0][0];
        Self::zero_group(g);
        g.ctrls.set_empty();
        self.used = 0;
        self.clear_seq += 1;
    }
}

impl<K: MapKey, V: MapElem + PartialEq, H: SwissHasher<K>, R: SwissRandom> fmt::Debug
    for SwissMap<K, V, H, R>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SwissMap")
            .field("used", &self.used)
            .field("seed", &self.seed)
            .field("dir_len", &self.dir_len)
            .field("global_depth", &self.global_depth)
            .field("tables", &self.table_count())
            .finish()
    }
}
