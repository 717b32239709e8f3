//! `runtime_mapdelete_fast64` and `Map.Clear` (map.go, table.go): `deleteSmall`,
//! `table.Delete` (an empty control byte, or a tombstone in a full group), the reseed when
//! the map becomes empty, and clear's in-place reset.

use super::*;

impl Machine {
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
            for it in &mut s.iters {
                it.ghost.on_delete(key);
            }
        }
        s.m.used == 0
    }

    /// `Map.deleteSmall`: one group, so the slot becomes empty at once.
    pub(super) fn delete_small(
        &self,
        s: &mut SwissState,
        hash: u64,
        key: u64,
        log: &mut Log,
    ) -> bool {
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
    pub(super) fn table_delete(
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
            it.ghost.on_clear();
        }
        s.ghost.events |= ev::CLEAR;
    }
}
