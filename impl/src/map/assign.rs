//! `mapassign_fast64` of Go 1.19 (runtime/map_fast64.go) with the caller's store through
//! the returned elem pointer: [`GoMap::mapassign`] (alias [`GoMap::insert`]). The
//! allocation it shares with `evacuate` (`newoverflow`, `incrnoverflow`,
//! `makeBucketArray`) is in mod.rs, so this file and grow.rs do not depend on each other.
//!
//! # Invariants
//! - `hashWriting` is set after hashing and cleared on return (a set flag on entry or a
//!   cleared one on return is Go's "concurrent map writes").
//! - While the map grows, the old bucket of the bucket about to be used is evacuated first
//!   (`growWork`), so the key is only looked for in the new array.
//! - An existing key is updated in place; a new key goes to the first empty slot of its
//!   chain (the scan stops at `EMPTY_REST`), or to a new overflow bucket when the chain is
//!   full.
//! - A growth starts (`hashGrow`) only when none is in progress and `count + 1` is over
//!   the load factor or there are too many overflow buckets; the assign then starts over.

use super::{
    bucket_mask, is_empty, too_many_overflow_buckets, tophash, BmapPtr, GoMap, MapElem, MapKey,
    BUCKET_CNT_MAX, EMPTY_REST, HASH_WRITING,
};
use crate::hash::{MapHasher, RandomSource};

impl<K: MapKey, V: MapElem, H: MapHasher<K>, R: RandomSource> GoMap<K, V, H, R> {
    /// `m[key] = elem` (`mapassign_fast64` plus the caller's store through the returned
    /// elem pointer).
    ///
    /// Deviation from Go: with `&mut self` no other writer can run, so the
    /// "concurrent map writes" throws below are unreachable; they stay as Go has them.
    pub fn mapassign(&mut self, key: K, elem: V) {
        if self.flags & HASH_WRITING != 0 {
            panic!("concurrent map writes");
        }
        let hash = self.hasher.hash(&key, self.hash0);

        // Set hashWriting after calling t.hasher for consistency with mapassign.
        self.flags ^= HASH_WRITING;

        if self.buckets.is_none() {
            self.buckets = Some(self.arena.new_array(1, 1)); // newobject(t.bucket)
        }
        let cnt = self.bucket_cnt().min(BUCKET_CNT_MAX);

        let (insertb, inserti) = 'again: loop {
            let bucket = hash as usize & bucket_mask(self.b);
            if self.growing() {
                self.grow_work(bucket);
            }
            let mut b = self
                .arena
                .bucket(self.buckets.expect("allocated above"), bucket);
            let mut insert: Option<(BmapPtr, usize)> = None;

            'bucketloop: loop {
                let bm = self.arena.bm(b);
                for i in 0..cnt {
                    let th = bm.tophash[i];
                    if is_empty(th) {
                        if insert.is_none() {
                            insert = Some((b, i));
                        }
                        if th == EMPTY_REST {
                            break 'bucketloop;
                        }
                        continue;
                    }
                    if bm.keys[i] != key {
                        continue;
                    }
                    // Already have a mapping for key: update it in place (goto done).
                    break 'again (b, i);
                }
                match bm.overflow {
                    None => break,
                    Some(ovf) => b = ovf,
                }
            }

            // Did not find mapping for key. Allocate new cell & add entry.

            // If we hit the max load factor or we have too many overflow buckets,
            // and we're not already in the middle of growing, start growing.
            if !self.growing()
                && (self.params.over_load_factor(self.count + 1, self.b)
                    || too_many_overflow_buckets(self.noverflow, self.b))
            {
                self.hash_grow();
                continue 'again; // Growing the table invalidates everything, so try again
            }

            let (insertb, inserti) = match insert {
                Some(x) => x,
                None => {
                    // The current bucket and all its overflow buckets are full.
                    (self.newoverflow(b), 0)
                }
            };
            let bm = self.arena.bm_mut(insertb);
            bm.tophash[inserti & (cnt - 1)] = tophash(hash);
            bm.keys[inserti] = key; // store new key at insert position
            self.count += 1;
            break (insertb, inserti);
        };

        // done:
        self.arena.bm_mut(insertb).elems[inserti] = elem;
        if self.flags & HASH_WRITING == 0 {
            panic!("concurrent map writes");
        }
        self.flags &= !HASH_WRITING;
    }

    /// Alias of [`GoMap::mapassign`].
    pub fn insert(&mut self, key: K, elem: V) {
        self.mapassign(key, elem)
    }
}
