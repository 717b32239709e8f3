//! `Iter.Init` and `Iter.Next` (table.go): the random entry and directory offsets, the walk
//! over the small group or the tables of the directory, and the re-lookup of a key in the
//! current map once the table the iterator walks was replaced by a grow or split.

use super::*;

impl Machine {
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
    pub(super) fn relookup(&self, s: &mut SwissState, key: u64) -> Option<u64> {
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
                if self.track_iters && it.ghost.missed_stable() {
                    s.ghost.violations |= viol::ITER_INCOMPLETE;
                }
                log.note(|| format!("it{id}: iteration over"));
            }
            Some((k, e)) => {
                if self.track_iters {
                    let f = it.ghost.on_yield(k, e, &s.ghost.abs);
                    s.ghost.violations |= f.bits(
                        viol::ITER_KEY_TWICE,
                        viol::ITER_ENTRY_TWICE,
                        viol::ITER_DELETED_KEY,
                        viol::ITER_STALE_VALUE,
                    );
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
}
