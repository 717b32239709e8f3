//! The state of the `swiss` model: Go 1.24's `Map` header, its small group or its directory
//! of tables, each table's groups (control word and slots), the open iterators, and ghost
//! state for the properties. Names follow `internal/runtime/maps`.

pub use crate::hmap::state::HashFn;
use serde::Serialize;

/// `ctrlEmpty`: `0b1000_0000`.
pub const CTRL_EMPTY: u8 = 0b1000_0000;
/// `ctrlDeleted`: `0b1111_1110` (a tombstone).
pub const CTRL_DELETED: u8 = 0b1111_1110;
/// The model keeps at most Go's 8 slots per group (`abi.SwissMapGroupSlots`).
pub const MAX_SLOTS: usize = 8;

/// `h1(hash)`: the upper 57 bits, which select the group (the probe start) in a table.
pub fn h1(hash: u64) -> u64 {
    hash >> 7
}

/// `h2(hash)`: the lower 7 bits, stored in the control byte of a full slot.
pub fn h2(hash: u64) -> u8 {
    (hash & 0x7f) as u8
}

/// A control byte is full when its top bit is clear (`ctrl & ctrlEmpty == 0`).
pub fn is_full(c: u8) -> bool {
    c & CTRL_EMPTY == 0
}

/// One group: a control word (one byte per slot) and its slots. Slots past the model's
/// `slots_per_group` are never used. Deviation from Go: a non-full slot holds key 0 and elem
/// 0 here, where Go leaves the deleted key's bytes (uint64 keys hold no pointers); no Go
/// operation reads a non-full slot's key, so only the state count differs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Group {
    pub ctrl: [u8; MAX_SLOTS],
    pub keys: [u64; MAX_SLOTS],
    pub elems: [u64; MAX_SLOTS],
}

impl Group {
    /// A group whose control bytes are all `ctrlEmpty` (`ctrlGroup.setEmpty`).
    pub fn empty() -> Self {
        Group {
            ctrl: [CTRL_EMPTY; MAX_SLOTS],
            keys: [0; MAX_SLOTS],
            elems: [0; MAX_SLOTS],
        }
    }
    /// The control word as Go lays it out in memory: slot i in byte i (little endian).
    pub fn ctrl_word(&self, slots: usize) -> u64 {
        (0..slots).fold(0u64, |w, i| w | (self.ctrl[i] as u64) << (8 * i))
    }
}

/// A `table`: groups of `slots_per_group` slots, `capacity` slots in all.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Table {
    pub used: u16,
    pub capacity: u16,
    pub growth_left: u16,
    pub local_depth: u8,
    /// The first directory index that points here, or -1 once the table was replaced by
    /// `grow` or `split` (an iterator may still walk it).
    pub index: i64,
    pub groups: Vec<Group>,
}

impl Table {
    /// `groups.lengthMask`.
    pub fn length_mask(&self) -> u64 {
        self.groups.len() as u64 - 1
    }
}

/// A table of the state's arena.
pub type TableId = u16;
/// A small group of the state's arena.
pub type GroupId = u16;

/// The `Map` header. Deviation from Go: `writing` is not kept: every action is one whole Go
/// operation, which toggles it on and off again, so between actions it is always 0 and a
/// single goroutine never observes it set (the concurrent models are where it matters).
/// `globalShift` is `64 - globalDepth`, derived.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Hdr {
    pub used: u64,
    /// Index of the hash function (the model's `seed`).
    pub seed: u32,
    /// `dirPtr` of a small map (`dirLen == 0`): its one group; None before the first assign.
    pub small: Option<GroupId>,
    /// The directory (`dirLen` = its length; 0 for a small map).
    pub dir: Vec<TableId>,
    pub global_depth: u8,
    pub clear_seq: u32,
}

/// An `Iter` (inside a range loop). Its cached `group` is not kept: it is always the group
/// of `tab` holding the current entry (or the small group), see `steps::iter_next`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Iter {
    pub id: u8,
    pub entry_offset: u64,
    pub dir_offset: u64,
    pub clear_seq: u32,
    pub global_depth: u8,
    /// -1: the map was small at `Init`.
    pub dir_idx: i64,
    pub tab: Option<TableId>,
    /// The small group a small-map iterator walks.
    pub small: Option<GroupId>,
    pub entry_idx: u64,
    pub ghost: IterGhost,
}

/// Ghost state of one iterator (framework::iter_ghost, shared with the other map model).
pub use crate::framework::iter_ghost::IterGhost;

/// Ghost state: the abstract map and what the last transition did.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Default)]
pub struct Ghost {
    /// Elem of key k at index k (0 = absent).
    pub abs: Vec<u64>,
    /// `viol::*` bits set by the last transition.
    pub violations: u64,
    /// `ev::*` bits set by the last transition.
    pub events: u32,
}

/// The model's state.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SwissState {
    pub m: Hdr,
    /// Tables: those of the directory, then those only iterators still walk.
    pub tables: Vec<Table>,
    /// Small groups: the map's, then those only iterators still walk.
    pub smalls: Vec<Group>,
    pub iters: Vec<Iter>,
    /// key -> hash under the current seed.
    pub hashes: HashFn,
    pub ops: u8,
    pub next_iter_id: u8,
    pub ghost: Ghost,
}

impl SwissState {
    pub fn dir_len(&self) -> usize {
        self.m.dir.len()
    }
    /// The distinct tables of the directory, in directory order.
    pub fn dir_tables(&self) -> Vec<TableId> {
        let mut v: Vec<TableId> = Vec::new();
        for &t in &self.m.dir {
            if v.last() != Some(&t) {
                v.push(t);
            }
        }
        v
    }
    pub fn table(&self, id: TableId) -> &Table {
        &self.tables[id as usize]
    }
}

/// One step: a Go operation on `map[uint64]uint64`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum SwissAction {
    /// `m[key] = elem` (`runtime_mapassign_fast64`).
    Assign { key: u64, elem: u64 },
    /// `delete(m, key)` (`runtime_mapdelete_fast64` -> `Map.Delete`); `reseed` is the seed
    /// `rand()` draws when `used` reaches 0 (every choice explored).
    Delete { key: u64, reseed: Option<u32> },
    /// `v, ok := m[key]` (`runtime_mapaccess2_fast64`).
    Access { key: u64 },
    /// `clear(m)` (`Map.Clear`), with the new seed it draws.
    Clear { reseed: u32 },
    /// A range loop starts: `Iter.Init` with `rand()`'s entryOffset and dirOffset, then
    /// the first `Iter.Next` (as `mapiterinit` does).
    IterInit { entry_offset: u64, dir_offset: u64 },
    /// The next round of a range loop: `Iter.Next`.
    IterNext { iter: u8 },
}

impl std::fmt::Display for SwissAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SwissAction::Assign { key, elem } => write!(f, "mapassign(k{key}, v{elem})"),
            SwissAction::Delete { key, reseed: None } => write!(f, "mapdelete(k{key})"),
            SwissAction::Delete {
                key,
                reseed: Some(s),
            } => write!(f, "mapdelete(k{key}) [used 0: seed := {s}]"),
            SwissAction::Access { key } => write!(f, "mapaccess2(k{key})"),
            SwissAction::Clear { reseed } => write!(f, "clear(m) [seed := {reseed}]"),
            SwissAction::IterInit {
                entry_offset,
                dir_offset,
            } => write!(
                f,
                "mapiterinit(entryOffset={entry_offset}, dirOffset={dir_offset})"
            ),
            SwissAction::IterNext { iter } => write!(f, "mapiternext(it{iter})"),
        }
    }
}

/// What an operation returned to the Go program.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Outcome {
    None,
    Access { elem: u64, found: bool },
    Yield { iter: u8, kv: Option<(u64, u64)> },
}
