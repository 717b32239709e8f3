//! `runtime_mapassign_fast64` (runtime_fast64_swiss.go) and its small-map path (map.go:
//! `growToSmall`, `putSlotSmall`, `growToTable`): the probe for the key or the first
//! tombstone, the insert into an empty slot, and the grow when growthLeft is 0.

use super::*;

impl Machine {
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
    pub(super) fn grow_to_small(&self, s: &mut SwissState, log: &mut Log) {
        s.smalls.push(Group::empty());
        s.m.small = Some(s.smalls.len() as GroupId - 1);
        log.note(|| {
            "m.dirPtr == nil: growToSmall: the small map's one group, every ctrl ctrlEmpty"
                .to_string()
        });
    }

    /// `putSlotSmallFast64`.
    pub(super) fn put_slot_small(
        &self,
        s: &mut SwissState,
        hash: u64,
        key: u64,
        elem: u64,
        log: &mut Log,
    ) {
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
    pub(super) fn grow_to_table(&self, s: &mut SwissState, log: &mut Log) {
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
}
