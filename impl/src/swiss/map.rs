//! `SwissMap<K, V>`: `Map`, `table` and `Iter` of Go 1.24 `internal/runtime/maps`
//! (map.go, table.go, runtime_fast64_swiss.go), step by step with Go's names.
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
//! (table_debug.go) plus the directory's extendible-hashing shape.

use std::collections::HashSet;
use std::fmt;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use super::group::{align_up_pow2, h1, h2, Bitset, CtrlGroup, ProbeSeq, CTRL_DELETED, CTRL_EMPTY};
use super::hash::{GoMemHasher124, SwissHasher, SwissRandom};
use crate::hash::WyRand;

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

/// `Iter` (table.go), minus `key`/`elem`/`typ`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Iter {
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

/// A failed invariant and what was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvariantViolation {
    /// Which invariant.
    pub invariant: Invariant,
    /// What was found.
    pub detail: String,
}

impl fmt::Display for InvariantViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invariant {} violated: {}", self.invariant, self.detail)
    }
}

impl std::error::Error for InvariantViolation {}

/// The per-group byte checks `check_table` shares with the small-map check.
type GroupCheck<'a, K, V> = dyn Fn(&Group<K, V>, &str) -> Result<(), InvariantViolation> + 'a;

fn violation(invariant: Invariant, detail: String) -> Result<(), InvariantViolation> {
    Err(InvariantViolation { invariant, detail })
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

impl<K, V, H, R> SwissMap<K, V, H, R>
where
    K: Copy + Eq + Hash + Default + fmt::Debug,
    V: Copy + PartialEq + Default + fmt::Debug,
    H: SwissHasher<K>,
    R: SwissRandom,
{
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

    /// `newTable`.
    fn new_table(&mut self, capacity: u64, index: i64, local_depth: u8) -> TableId {
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
    fn tombstones(&self, t: TableId) -> u16 {
        let tab = self.tab(t);
        (((tab.capacity as u32 * MAX_AVG_GROUP_LOAD as u32) / SLOTS as u32) as u16)
            .wrapping_sub(tab.used)
            .wrapping_sub(tab.growth_left)
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

    /// `runtime_mapaccess2_fast64`: `v, ok := m[key]`.
    pub fn get(&self, key: &K) -> Option<V> {
        if self.used == 0 {
            return None;
        }
        if self.writing != 0 {
            panic!("concurrent map read and map write");
        }
        if let DirPtr::Small(gid) = self.dir_ptr {
            // The small map is scanned without hashing: compare the key of every full slot.
            let g = &self.groups[gid.0][0];
            let mut full = g.ctrls.match_full();
            let mut i = 0;
            while !full.is_empty() {
                if *key == g.keys[i] && full.lowest_set() {
                    return Some(g.elems[i]);
                }
                i += 1;
                full = full.shift_out_lowest();
            }
            return None;
        }
        let hash = self.hasher.hash(key, self.seed);
        let t = self.directory_at(self.directory_index(hash));
        self.table_get_with_key(t, hash, key).map(|(_, e)| e)
    }

    /// `runtime_mapaccess1_fast64`: `m[key]`, the zero value when absent.
    pub fn get_or_zero(&self, key: &K) -> V {
        self.get(key).unwrap_or_default()
    }

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

    /// `table.getWithKey`.
    fn table_get_with_key(&self, t: TableId, hash: u64, key: &K) -> Option<(K, V)> {
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

    // ----- assign -----

    /// `runtime_mapassign_fast64` followed by the compiled store: `m[key] = elem`.
    pub fn insert(&mut self, key: K, elem: V) {
        let slot = self.mapassign_fast64(key);
        self.grp_mut(slot.0).elems[slot.1] = elem;
    }

    /// `runtime_mapassign_fast64`: the slot the elem is stored in.
    fn mapassign_fast64(&mut self, key: K) -> (GroupReference, usize) {
        if self.writing != 0 {
            panic!("concurrent map writes");
        }
        let hash = self.hasher.hash(&key, self.seed);

        // Set writing after calling Hasher, since Hasher may panic, in which case we have
        // not actually done a write.
        self.writing ^= 1;

        if self.dir_ptr == DirPtr::Nil {
            self.grow_to_small();
        }

        if self.dir_len == 0 {
            if self.used < SLOTS as u64 {
                let elem = self.put_slot_small_fast64(hash, key);
                if self.writing == 0 {
                    panic!("concurrent map writes");
                }
                self.writing ^= 1;
                return elem;
            }
            // Can't fit another entry, grow to full size map. (Go 1.24 does this even
            // when key is already in the group: the TODO in the generic PutSlot.)
            self.grow_to_table();
        }

        let slot_elem;
        'outer: loop {
            // Select table.
            let t = self.directory_at(self.directory_index(hash));
            let mut seq = ProbeSeq::new(h1(hash), self.tab(t).groups.length_mask);

            // As we look for a match, keep track of the first deleted slot we find,
            // which we'll use to insert the new entry if necessary.
            let mut first_deleted: Option<(GroupReference, usize)> = None;

            loop {
                let mut g = self.group_of(t, seq.offset);
                let ctrls = self.grp(g).ctrls;
                let mut m = ctrls.match_h2(h2(hash));

                // Look for an existing slot containing this key.
                while !m.is_empty() {
                    let i = m.first();
                    if self.grp(g).keys[i] == key {
                        slot_elem = (g, i);
                        break 'outer;
                    }
                    m = m.remove_first();
                }

                // No existing slot for this key in this group. Is this the end of the
                // probe sequence?
                let m = ctrls.match_empty_or_deleted();
                if m.is_empty() {
                    seq = seq.next();
                    continue; // nothing but filled slots. Keep probing.
                }
                let mut i = m.first();
                if ctrls.get(i) == CTRL_DELETED {
                    // There are some deleted slots. Remember the first one, and keep
                    // probing.
                    if first_deleted.is_none() {
                        first_deleted = Some((g, i));
                    }
                    seq = seq.next();
                    continue;
                }

                // We've found an empty slot, which means we've reached the end of the
                // probe sequence.

                // If we found a deleted slot along the way, we can replace it without
                // consuming growthLeft.
                if let Some((dg, di)) = first_deleted {
                    g = dg;
                    i = di;
                    let tab = self.tab_mut(t);
                    tab.growth_left = tab.growth_left.wrapping_add(1); // decremented below
                }

                // If there is room left to grow, just insert the new entry.
                if self.tab(t).growth_left > 0 {
                    let grp = self.grp_mut(g);
                    grp.keys[i] = key;
                    grp.ctrls.set(i, h2(hash));
                    let tab = self.tab_mut(t);
                    tab.growth_left -= 1;
                    tab.used += 1;
                    self.used += 1;
                    slot_elem = (g, i);
                    break 'outer;
                }

                self.rehash(t);
                continue 'outer;
            }
        }

        if self.writing == 0 {
            panic!("concurrent map writes");
        }
        self.writing ^= 1;
        slot_elem
    }

    /// `Map.putSlotSmallFast64`.
    fn put_slot_small_fast64(&mut self, hash: u64, key: K) -> (GroupReference, usize) {
        let gid = match self.dir_ptr {
            DirPtr::Small(g) => g,
            _ => unreachable!("putSlotSmallFast64 on a map that is not small"),
        };
        let g = GroupReference {
            data: gid,
            index: 0,
        };
        let mut m = self.grp(g).ctrls.match_h2(h2(hash));

        // Look for an existing slot containing this key.
        while !m.is_empty() {
            let i = m.first();
            if self.grp(g).keys[i] == key {
                return (g, i);
            }
            m = m.remove_first();
        }

        // There can't be deleted slots, small maps can't have them (see deleteSmall).
        let m = self.grp(g).ctrls.match_empty_or_deleted();
        if m.is_empty() {
            panic!("small map with no empty slot (concurrent map writes?)");
        }
        let i = m.first();
        let grp = self.grp_mut(g);
        grp.keys[i] = key;
        grp.ctrls.set(i, h2(hash));
        self.used += 1;
        (g, i)
    }

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

    /// `table.uncheckedPutSlot`: insert an entry known not to be in the table, which has
    /// room and no tombstones.
    fn unchecked_put_slot(&mut self, t: TableId, hash: u64, key: K, elem: V) {
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
    fn rehash(&mut self, t: TableId) {
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

    /// `table.Delete`.
    fn table_delete(&mut self, t: TableId, hash: u64, key: &K) {
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

    /// `table.Clear`.
    fn table_clear(&mut self, t: TableId) {
        let data = self.tab(t).groups.data;
        for g in self.groups[data.0].iter_mut() {
            Self::zero_group(g);
            g.ctrls.set_empty();
        }
        self.tab_mut(t).used = 0;
        self.reset_growth_left(t);
    }

    // ----- iteration -----

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

    // ----- introspection -----

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

impl<K, V, H, R> fmt::Debug for SwissMap<K, V, H, R>
where
    K: Copy + Eq + Hash + Default + fmt::Debug,
    V: Copy + PartialEq + Default + fmt::Debug,
    H: SwissHasher<K>,
    R: SwissRandom,
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
