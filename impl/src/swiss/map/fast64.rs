//! What the compiler calls for a Go 1.24 `map[uint64]uint64` (runtime_fast64_swiss.go),
//! so what the recorder observes: `runtime_mapaccess2_fast64` ([`SwissMap::get`]; `m[key]`
//! is [`SwissMap::get_or_zero`]), `runtime_mapassign_fast64` with the compiled elem
//! store ([`SwissMap::insert`]; the table insert loop is inlined there, as in Go) and
//! `Map.putSlotSmallFast64`. `runtime_mapdelete_fast64` only calls `Map.Delete`, which is
//! in map.rs.
//!
//! # Invariants
//! - `writing` is toggled after hashing and must still be set when the assign returns
//!   ("concurrent map writes" otherwise); a read panics if it is set.
//! - A lookup in a small map compares the key of every full slot without hashing.
//! - An assign to a small map with `used == 8` grows it to a 16-slot table first, even
//!   when the key is already there (Go 1.24).
//! - An insert reuses the first tombstone of its probe sequence, but only once it has
//!   probed to a group with an empty slot (the key may be further on); reusing a tombstone
//!   does not consume `growthLeft`. With `growthLeft == 0` the table is rehashed and the
//!   insert starts over in the table the directory now selects.

use super::{DirPtr, GroupReference, MapElem, MapKey, SwissMap, SLOTS};
use crate::swiss::group::{h1, h2, ProbeSeq, CTRL_DELETED};
use crate::swiss::hash::{SwissHasher, SwissRandom};

impl<K: MapKey, V: MapElem + PartialEq, H: SwissHasher<K>, R: SwissRandom> SwissMap<K, V, H, R> {
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
}
