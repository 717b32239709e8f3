//! Table growth (table.go): `rehash` choosing `grow` (a table of twice the capacity, every
//! entry copied at once) or `split` (two tables by the next hash bit once maxTableCapacity is
//! reached), `installTableSplit` doubling the directory when needed, and `replaceTable`.

use super::*;

impl Machine {
    /// `table.rehash`: never in place: double, or split past maxTableCapacity.
    /// `tables_before`: how many tables the state had before the step (for the log).
    pub(super) fn rehash(
        &self,
        s: &mut SwissState,
        tid: TableId,
        tables_before: usize,
        log: &mut Log,
    ) {
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

    pub(super) fn sorted(mut v: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
        v.sort_unstable();
        v
    }

    /// `table.grow`.
    pub(super) fn grow(
        &self,
        s: &mut SwissState,
        tid: TableId,
        name: &str,
        new_capacity: u64,
        log: &mut Log,
    ) {
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
    pub(super) fn split(&self, s: &mut SwissState, tid: TableId, name: &str, log: &mut Log) {
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
    pub(super) fn install_table_split(
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
    pub(super) fn replace_table(&self, s: &mut SwissState, nt: TableId) {
        let t = s.table(nt);
        let entries = 1usize << (s.m.global_depth - t.local_depth);
        let index = t.index as usize;
        for i in 0..entries {
            s.m.dir[index + i] = nt;
        }
    }
}
