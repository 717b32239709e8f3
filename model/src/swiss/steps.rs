//! Go 1.24's `internal/runtime/maps`, one function per Go function, in Go's order, on the
//! model's state. Each action is one whole Go operation (`runtime_mapassign_fast64`,
//! `runtime_mapdelete_fast64`, `runtime_mapaccess2_fast64`, `Map.Clear`, `Iter.Init` +
//! `Iter.Next`, `Iter.Next`). Geometry constants are parameters ([`Geometry`]); with
//! Go's values the steps are Go's.

use super::state::*;
use crate::framework::log::Log;
use std::fmt::Write;

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

    /// `runtime_mapaccess2_fast64`.
    pub fn mapaccess2(&self, s: &mut SwissState, key: u64, log: &mut Log) -> Outcome {
        let (r, probed, at) = self.find(s, key);
        if probed == usize::MAX {
            s.ghost.violations |= viol::PROBE_NEVER_ENDS;
        } else if probed > 1 {
            s.ghost.events |= ev::PROBE_PAST_FIRST_GROUP;
        }
        log.note(|| {
            if s.m.used == 0 {
                return "m.used == 0: return the zero elem, false".to_string();
            }
            if s.dir_len() == 0 {
                return match at {
                    Some((_, i)) => format!(
                        "dirLen 0: scan the small group's full slots (matchFull): k{key} in slot {i}"
                    ),
                    None => format!(
                        "dirLen 0: scan the small group's full slots (matchFull): no k{key}"
                    ),
                };
            }
            let hash = self.hash(s, key);
            let idx = self.directory_index(s, hash);
            let tid = s.m.dir[idx];
            let mask = s.table(tid).length_mask();
            let mut t = format!(
                "{}; directoryIndex(hash) = {idx}: t{tid}; makeProbeSeq(H1, lengthMask {mask})",
                hash_note(key, hash)
            );
            let _ = match at {
                Some((gi, i)) => write!(
                    t,
                    ", probe offsets {}: matchH2({:#04x}) finds k{key} in group {gi} slot {i}",
                    probe_offsets(hash, mask, probed),
                    h2(hash)
                ),
                None if probed == usize::MAX => write!(
                    t,
                    ": every group full and no k{key}: the probe sequence never ends"
                ),
                None => {
                    let offsets = probe_offsets(hash, mask, probed);
                    let last = offsets.rsplit(", ").next().unwrap_or_default().to_string();
                    write!(
                        t,
                        ", probe offsets {offsets}: no k{key}, and group {last} has an empty slot (matchEmpty): end of the probe sequence"
                    )
                }
            };
            t
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
        log.note(|| hash_note(key, hash));
        let tables_before = s.tables.len();
        if s.m.small.is_none() && s.dir_len() == 0 {
            self.grow_to_small(s, log);
        }
        if s.dir_len() == 0 {
            if (s.m.used as usize) < self.geo.slots {
                self.put_slot_small(s, hash, key, elem, log);
                return;
            }
            // Can't fit another entry (even if `key` is already there): grow to a table.
            log.note(|| {
                format!(
                    "m.used == {} (abi.SwissMapGroupSlots): the small group can't fit another entry (checked before looking for k{key}): growToTable",
                    self.geo.slots
                )
            });
            self.grow_to_table(s, log);
        }
        'outer: loop {
            let idx = self.directory_index(s, hash);
            let tid = s.m.dir[idx];
            let slots = self.geo.slots;
            let mask = s.table(tid).length_mask();
            let mut seq = ProbeSeq::new(hash, mask);
            log.note(|| {
                let t = s.table(tid);
                format!(
                    "directoryIndex(hash) = {idx}: {} (capacity {}, used {}, growthLeft {}); makeProbeSeq(H1, lengthMask {mask}): offset {}",
                    table_name(tid, tables_before),
                    t.capacity,
                    t.used,
                    t.growth_left,
                    seq.offset
                )
            });
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
                    log.note(|| {
                        format!(
                            "group {gi}: matchH2({:#04x}) finds k{key} in slot {i}: update the elem in place",
                            h2(hash)
                        )
                    });
                    return;
                }
                let Some(i) = (0..slots).find(|&i| !is_full(g.ctrl[i])) else {
                    let next = seq.next();
                    log.note(|| {
                        format!(
                            "group {gi}: no k{key}, no empty or deleted slot (matchEmptyOrDeleted): seq.next() -> offset {}",
                            next.offset
                        )
                    });
                    seq = next;
                    continue;
                };
                if probed > 1 {
                    s.ghost.events |= ev::PROBE_PAST_FIRST_GROUP;
                }
                if g.ctrl[i] == CTRL_DELETED {
                    // Remember the first tombstone and keep probing: the key may be further.
                    let next = seq.next();
                    let first = first_deleted.is_none();
                    log.note(|| {
                        format!(
                            "group {gi}: no k{key}; its first empty-or-deleted slot {i} is ctrlDeleted (a tombstone){}: keep probing, seq.next() -> offset {}",
                            if first { ", remembered as firstDeleted" } else { "" },
                            next.offset
                        )
                    });
                    first_deleted.get_or_insert((gi, i));
                    seq = next;
                    continue;
                }
                log.note(|| {
                    format!(
                        "group {gi}: no k{key}; slot {i} is ctrlEmpty: end of the probe sequence"
                    )
                });
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
                            "{}group {gi} slot {i}: key, elem := k{key}, v{elem}; ctrl := H2 {:#04x}; growthLeft {}, t.used {}, m.used {}",
                            if first_deleted.is_some() {
                                "into firstDeleted, the tombstone (growthLeft++ first: reusing it costs no growth): "
                            } else {
                                ""
                            },
                            h2(hash),
                            t.growth_left,
                            t.used,
                            s.m.used
                        )
                    });
                    return;
                }
                log.note(|| {
                    format!(
                        "growthLeft == 0: rehash {}, then the insert starts over (continue outer)",
                        table_name(tid, tables_before)
                    )
                });
                self.rehash(s, tid, tables_before, log);
                continue 'outer;
            }
        }
    }

    /// `Map.growToSmall`: the first group of a map made without a hint.
    fn grow_to_small(&self, s: &mut SwissState, log: &mut Log) {
        s.smalls.push(Group::empty());
        s.m.small = Some(s.smalls.len() as GroupId - 1);
        log.note(|| {
            "m.dirPtr == nil: growToSmall: the small map's one group, every ctrl ctrlEmpty"
                .to_string()
        });
    }

    /// `putSlotSmallFast64`.
    fn put_slot_small(&self, s: &mut SwissState, hash: u64, key: u64, elem: u64, log: &mut Log) {
        let gid = s.m.small.unwrap() as usize;
        let slots = self.geo.slots;
        let g = &mut s.smalls[gid];
        if let Some(i) = (0..slots).find(|&i| g.ctrl[i] == h2(hash) && g.keys[i] == key) {
            g.elems[i] = elem;
            log.note(|| {
                format!(
                    "putSlotSmallFast64: matchH2({:#04x}) finds k{key} in slot {i}: update the elem in place",
                    h2(hash)
                )
            });
            return;
        }
        let i = (0..slots)
            .find(|&i| !is_full(g.ctrl[i]))
            .expect("small map with no empty slot");
        g.keys[i] = key;
        g.elems[i] = elem;
        g.ctrl[i] = h2(hash);
        s.m.used += 1;
        log.note(|| {
            format!(
                "putSlotSmallFast64: no k{key} in the group; matchEmptyOrDeleted: slot {i}: key, elem := k{key}, v{elem}; ctrl := H2 {:#04x}; m.used {}",
                h2(hash),
                s.m.used
            )
        });
    }

    /// `Map.growToTable`: the small group's entries into a table of 2*slots.
    fn grow_to_table(&self, s: &mut SwissState, log: &mut Log) {
        let mut tab = self.new_table(2 * self.geo.slots as u64, 0, 0);
        let g = s.smalls[s.m.small.unwrap() as usize].clone();
        let mut placed = Vec::new();
        for i in 0..self.geo.slots {
            if is_full(g.ctrl[i]) {
                let hash = self.hash(s, g.keys[i]);
                let at = self.unchecked_put_slot(&mut tab, hash, g.keys[i], g.elems[i]);
                if log.is_on() {
                    placed.push(put_text(g.keys[i], hash, tab.length_mask(), at));
                }
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
        log.note(|| {
            format!(
                "growToTable: newTable(capacity {}, index 0, localDepth 0) (growthLeft {}); uncheckedPutSlot of each full slot: {}; dirPtr := [the table], dirLen 1, globalDepth 0",
                2 * self.geo.slots,
                tab.growth_left,
                placed.join(", ")
            )
        });
        s.tables.push(tab);
        s.m.dir = vec![s.tables.len() as TableId - 1];
        s.m.small = None;
        s.m.global_depth = 0;
        s.ghost.events |= ev::GROW_TO_TABLE;
    }

    /// `table.rehash`: never in place: double, or split past maxTableCapacity.
    /// `tables_before`: how many tables the state had before the step (for the log).
    fn rehash(&self, s: &mut SwissState, tid: TableId, tables_before: usize, log: &mut Log) {
        if !s.iters.is_empty() {
            s.ghost.events |= ev::GROW_DURING_ITERATION;
        }
        let old = s.table(tid);
        let tombstones: usize = old
            .groups
            .iter()
            .map(|g| {
                g.ctrl[..self.geo.slots]
                    .iter()
                    .filter(|&&c| c == CTRL_DELETED)
                    .count()
            })
            .sum();
        let old_capacity = old.capacity;
        let new_capacity = 2 * old_capacity as u64;
        if tombstones > 0 {
            s.ghost.events |= ev::REHASH_DROPPED_TOMBSTONES;
        }
        let max = self.geo.max_table_capacity as u64;
        log.note(|| {
            format!(
                "rehash: newCapacity = 2*{old_capacity} = {new_capacity} {} maxTableCapacity {max}: {}{}",
                if new_capacity <= max { "<=" } else { ">" },
                if new_capacity <= max { "grow" } else { "split" },
                if tombstones > 0 {
                    format!(" (the copy drops its {tombstones} tombstone(s): Go 1.24 never rehashes in place)")
                } else {
                    String::new()
                }
            )
        });
        let name = table_name(tid, tables_before);
        if new_capacity <= max {
            self.grow(s, tid, &name, new_capacity, log);
        } else {
            self.split(s, tid, &name, log);
        }
    }

    fn sorted(mut v: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
        v.sort_unstable();
        v
    }

    /// `table.grow`.
    fn grow(&self, s: &mut SwissState, tid: TableId, name: &str, new_capacity: u64, log: &mut Log) {
        let old = s.table(tid).clone();
        let mut nt = self.new_table(new_capacity, old.index, old.local_depth);
        let mut placed = Vec::new();
        for (k, e) in self.table_entries(&old) {
            let hash = self.hash(s, k);
            let at = self.unchecked_put_slot(&mut nt, hash, k, e);
            if log.is_on() {
                placed.push(put_text(k, hash, nt.length_mask(), at));
            }
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
            let n = 1i64 << (s.m.global_depth - old.local_depth);
            format!(
                "grow: newTable(capacity {new_capacity}, index {}, localDepth {}) (growthLeft {}); uncheckedPutSlot of each full slot of {name}: {}; replaceTable: {} := the new table; {name} replaced: its index := -1",
                old.index,
                old.local_depth,
                s.table(nid).growth_left,
                placed.join(", "),
                dir_run(old.index, n)
            )
        });
    }

    /// `table.split`: two tables of maxTableCapacity, by the next hash bit from the top.
    fn split(&self, s: &mut SwissState, tid: TableId, name: &str, log: &mut Log) {
        let old = s.table(tid).clone();
        let local_depth = old.local_depth + 1;
        let cap = self.geo.max_table_capacity as u64;
        let mut left = self.new_table(cap, -1, local_depth);
        let mut right = self.new_table(cap, -1, local_depth);
        let mask = 1u64 << (64 - local_depth as u32);
        let mut placed = Vec::new();
        for (k, e) in self.table_entries(&old) {
            let hash = self.hash(s, k);
            let (t, side) = if hash & mask == 0 {
                (&mut left, "left")
            } else {
                (&mut right, "right")
            };
            let at = self.unchecked_put_slot(t, hash, k, e);
            if log.is_on() {
                placed.push(format!(
                    "{side}: {}",
                    put_text(k, hash, t.length_mask(), at)
                ));
            }
        }
        let mut both = self.table_entries(&left);
        both.extend(self.table_entries(&right));
        if Self::sorted(both) != Self::sorted(self.table_entries(&old)) {
            s.ghost.violations |= viol::REHASH_CHANGED_ENTRIES;
        }
        log.note(|| {
            format!(
                "split: localDepth {} -> {local_depth}: left and right := newTable(capacity {cap}) each; localDepthMask picks hash bit {} (0: left, 1: right); uncheckedPutSlot of each full slot of {name}: {}",
                old.local_depth,
                64 - local_depth as u32,
                placed.join(", ")
            )
        });
        s.tables.push(left);
        s.tables.push(right);
        let r = s.tables.len() as TableId - 1;
        self.install_table_split(s, tid, r - 1, r, log);
        s.tables[tid as usize].index = -1;
        s.ghost.events |= ev::SPLIT;
        log.note(|| format!("{name} replaced: its index := -1"));
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
                    "installTableSplit: localDepth {} == globalDepth {}: the directory doubles to {} entries (globalDepth {}), each entry twice, each table's index doubled",
                    s.m.global_depth - 1,
                    s.m.global_depth - 1,
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
        log.note(|| {
            format!(
                "replaceTable: left at {} (index {li}), right at {} (index {})",
                dir_run(li, entries),
                dir_run(li + entries, entries),
                li + entries
            )
        });
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
            log.note(|| "m.used == 0: return".to_string());
            return false;
        }
        let hash = self.hash(s, key);
        log.note(|| hash_note(key, hash));
        let deleted = if s.dir_len() == 0 {
            self.delete_small(s, hash, key, log)
        } else {
            let idx = self.directory_index(s, hash);
            let tid = s.m.dir[idx];
            log.note(|| format!("directoryIndex(hash) = {idx}: t{tid}.Delete"));
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
            log.note(|| format!("deleteSmall: no k{key} in the group"));
            return false;
        };
        s.m.used -= 1;
        g.keys[i] = 0;
        g.elems[i] = 0;
        g.ctrl[i] = CTRL_EMPTY;
        log.note(|| {
            format!(
                "deleteSmall: matchH2({:#04x}) finds k{key} in slot {i}: elem cleared, ctrl := ctrlEmpty (one group: no probe sequence goes past it, so never a tombstone); m.used {}",
                h2(hash),
                s.m.used
            )
        });
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
        log.note(|| {
            format!(
                "makeProbeSeq(H1, lengthMask {}): offset {}",
                seq.mask, seq.offset
            )
        });
        for _ in 0..t.groups.len() {
            let gi = seq.offset as usize;
            let g = &mut t.groups[gi];
            if let Some(i) = (0..slots).find(|&i| g.ctrl[i] == h2(hash) && g.keys[i] == key) {
                t.used -= 1;
                s.m.used -= 1;
                g.keys[i] = 0;
                g.elems[i] = 0;
                let (t_used, m_used) = (t.used, s.m.used);
                let found = || {
                    format!(
                        "group {gi}: matchH2({:#04x}) finds k{key} in slot {i}: t.used {t_used}, m.used {m_used}, elem cleared",
                        h2(hash)
                    )
                };
                if has_empty(g, slots) {
                    g.ctrl[i] = CTRL_EMPTY;
                    t.growth_left += 1;
                    s.ghost.events |= ev::DELETE_LEFT_EMPTY_IN_TABLE;
                    log.note(|| format!("{}; the group has an empty slot (matchEmpty), so no probe sequence goes past it: ctrl := ctrlEmpty, growthLeft++ ({})", found(), t.growth_left));
                } else {
                    g.ctrl[i] = CTRL_DELETED;
                    s.ghost.events |= ev::TOMBSTONE_LEFT;
                    log.note(|| format!("{}; the group has no empty slot, so probe sequences may go past it: ctrl := ctrlDeleted, a tombstone (growthLeft stays {})", found(), t.growth_left));
                }
                return true;
            }
            if has_empty(g, slots) {
                log.note(|| {
                    format!(
                        "group {gi}: no k{key}, and an empty slot (matchEmpty): end of the probe sequence, nothing to delete"
                    )
                });
                return false;
            }
            let next = seq.next();
            log.note(|| {
                format!(
                    "group {gi}: no k{key}, no empty slot: seq.next() -> offset {}",
                    next.offset
                )
            });
            seq = next;
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
            log.note(|| {
                format!(
                    "Map.Clear, dirLen 0: clearSmall: every ctrl := ctrlEmpty in place, elems cleared; m.used 0, clearSeq {}",
                    s.m.clear_seq
                )
            });
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
                format!(
                    "Map.Clear: table.Clear on each of the {} table(s): every ctrl := ctrlEmpty in place, growthLeft reset, capacity and the directory kept (no shrink); m.used 0, clearSeq {}",
                    s.dir_tables().len(),
                    s.m.clear_seq
                )
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
            let grown = s.dir_len() > 0;
            while it.entry_idx < slots {
                let k = (it.entry_idx.wrapping_add(it.entry_offset) % slots) as usize;
                if !is_full(g.ctrl[k]) {
                    it.entry_idx += 1;
                    continue;
                }
                let key = g.keys[k];
                let elem = if grown {
                    // Grown to a table since Init: the old group picks the keys, the
                    // tables give their current elems.
                    match self.relookup(s, key) {
                        Some(e) => e,
                        None => {
                            log.note(|| format!("small group slot {k}: k{key}, but the map grew to a table since Init and k{key} is no longer in it: skip"));
                            it.entry_idx += 1;
                            continue;
                        }
                    }
                } else {
                    g.elems[k]
                };
                log.note(|| {
                    format!(
                        "Iter.Next, small group: slot (entryIdx {} + entryOffset {}) mod {slots} = {k} is full: k{key}{}",
                        it.entry_idx,
                        it.entry_offset,
                        if grown {
                            ", and the map grew to a table since Init: re-look k up in it"
                        } else {
                            ""
                        }
                    )
                });
                it.entry_idx += 1;
                out = Some((key, elem));
                break;
            }
        } else {
            if it.global_depth != s.m.global_depth {
                let orders = s.m.global_depth - it.global_depth;
                it.dir_idx <<= orders;
                it.dir_offset <<= orders;
                log.note(|| {
                    format!(
                        "the directory grew since the last call (globalDepth {} -> {}): dirIdx and dirOffset <<= {orders} ({} and {})",
                        it.global_depth, s.m.global_depth, it.dir_idx, it.dir_offset
                    )
                });
                it.global_depth = s.m.global_depth;
                s.ghost.events |= ev::ITER_SAW_DIRECTORY_GROW;
            }
            'dir: while it.dir_idx < s.dir_len() as i64 {
                if it.tab.is_none() {
                    let dir_idx = ((it.dir_idx as u64).wrapping_add(it.dir_offset)
                        & (s.dir_len() as u64 - 1)) as i64;
                    let nt = s.m.dir[dir_idx as usize];
                    let index = s.table(nt).index;
                    log.note(|| {
                        format!(
                            "Iter.Next: (dirIdx {} + dirOffset {}) mod dirLen {} = {dir_idx}: t{nt}",
                            it.dir_idx,
                            it.dir_offset,
                            s.dir_len()
                        )
                    });
                    if index != dir_idx {
                        // First call: a random dirIdx in the middle of a table's run.
                        it.dir_offset = it.dir_offset.wrapping_sub((dir_idx - index) as u64);
                        s.ghost.events |= ev::ITER_DIR_OFFSET_ADJUSTED;
                        log.note(|| {
                            format!(
                                "entry {dir_idx} is inside t{nt}'s run from index {index}: dirOffset -= {} ({})",
                                dir_idx - index,
                                it.dir_offset
                            )
                        });
                    }
                    it.tab = Some(nt);
                }
                let tid = it.tab.unwrap();
                let tab = s.table(tid).clone();
                let grown = tab.index == -1;
                let entry_mask = tab.capacity as u64 - 1;
                let relookup_note = |key: u64, found: bool| {
                    if found {
                        format!("t{tid} was replaced (index -1): grownKeyElem re-looks k{key} up in the map")
                    } else {
                        format!("t{tid} was replaced (index -1): grownKeyElem: k{key} is no longer in the map: skip")
                    }
                };
                'table: {
                    if it.entry_idx > entry_mask {
                        break 'table;
                    }
                    let entry_idx = it.entry_idx.wrapping_add(it.entry_offset) & entry_mask;
                    let slot = (entry_idx & (slots - 1)) as usize;
                    let gi = (entry_idx >> bits) as usize;
                    let g = &tab.groups[gi];
                    if is_full(g.ctrl[slot]) {
                        // Fast path: the slot at entryIdx is full.
                        let key = g.keys[slot];
                        let elem = if grown {
                            let r = self.relookup(s, key);
                            log.note(|| relookup_note(key, r.is_some()));
                            r
                        } else {
                            Some(g.elems[slot])
                        };
                        if let Some(elem) = elem {
                            log.note(|| {
                                format!(
                                    "fast path: entry (entryIdx {} + entryOffset {}) & {entry_mask} = {entry_idx}: group {gi} slot {slot} of t{tid} is full: k{key}",
                                    it.entry_idx, it.entry_offset
                                )
                            });
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
                        let gi = (entry_idx >> bits) as usize;
                        let g = &tab.groups[gi];
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
                            let r = self.relookup(s, key);
                            log.note(|| relookup_note(key, r.is_some()));
                            match r {
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
                        log.note(|| {
                            format!(
                                "slow path: matchFull of group {gi} of t{tid} from slot {}: slot {slot}: k{key}",
                                entry_idx & (slots - 1)
                            )
                        });
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
                log.note(|| {
                    format!(
                        "every entry of t{tid} visited: nextDirIdx: dirIdx += 1 << (globalDepth {} - localDepth {}) = {} (now {})",
                        s.m.global_depth,
                        tab.local_depth,
                        entries,
                        it.dir_idx + entries
                    )
                });
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
                        "it{id} yields (k{k}, v{e}); entryIdx now {}, dirIdx {}",
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
