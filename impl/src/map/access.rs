//! Lookups of Go 1.19's map: `mapaccess2_fast64` ([`GoMap::mapaccess2`], alias
//! [`GoMap::get`]) and `mapaccess1_fast64` ([`GoMap::mapaccess1`]) of
//! runtime/map_fast64.go, and the generic `mapaccessK` of runtime/map.go, which the
//! iterator uses to look up again an entry whose bucket has been evacuated.
//!
//! # Invariants
//! - A lookup only reads; it panics if `hashWriting` is set ("concurrent map read and map
//!   write").
//! - While the map grows, a key is looked up in its old bucket as long as that bucket is
//!   not evacuated (the entry is only there), else in its new bucket.
//! - The `_fast64` lookup compares the key before the tophash, never stops at
//!   `EMPTY_REST` and does not hash when B == 0; `mapaccessK` compares the tophash first
//!   and stops at `EMPTY_REST`, and a key the hasher cannot hash is absent.

use super::{
    bucket_mask, first_slot, is_empty, tophash, GoMap, MapElem, MapKey, BUCKET_CNT_MAX, EMPTY_REST,
    HASH_WRITING,
};
use crate::hash::{MapHasher, RandomSource};

impl<K: MapKey, V: MapElem, H: MapHasher<K>, R: RandomSource> GoMap<K, V, H, R> {
    /// `v, ok := m[key]` (`mapaccess2_fast64`).
    pub fn mapaccess2(&self, key: &K) -> Option<V> {
        if self.count == 0 {
            return None;
        }
        if self.flags & HASH_WRITING != 0 {
            panic!("concurrent map read and map write");
        }
        let buckets = self.buckets.expect("count > 0 implies buckets");
        let mut b;
        if self.b == 0 {
            // One-bucket table. No need to hash.
            b = Some(self.arena.bucket(buckets, 0));
        } else {
            let hash = self.hasher.hash(key, self.hash0);
            let mut m = bucket_mask(self.b);
            b = Some(self.arena.bucket(buckets, hash as usize & m));
            if let Some(c) = self.oldbuckets {
                if !self.same_size_grow() {
                    // There used to be half as many buckets; mask down one more power of two.
                    m >>= 1;
                }
                let oldb = self.arena.bucket(c, hash as usize & m);
                if !self.arena.evacuated(oldb) {
                    b = Some(oldb);
                }
            }
        }
        let cnt = self.bucket_cnt().min(BUCKET_CNT_MAX);
        while let Some(bb) = b {
            let bm = self.arena.bm(bb);
            if let Some(i) = first_slot(cnt, |i| bm.keys[i] == *key && !is_empty(bm.tophash[i])) {
                return Some(bm.elems[i]);
            }
            b = bm.overflow;
        }
        None
    }

    /// `m[key]` (`mapaccess1_fast64`): the zero value when absent.
    pub fn mapaccess1(&self, key: &K) -> V {
        self.mapaccess2(key).unwrap_or_default()
    }

    /// Alias of [`GoMap::mapaccess2`].
    pub fn get(&self, key: &K) -> Option<V> {
        self.mapaccess2(key)
    }

    /// `mapaccessK`: key and elem, for the iterator's re-lookup of an evacuated entry
    /// (generic map.go code: compares tophash first and stops at EMPTY_REST).
    pub(super) fn mapaccess_k(&self, key: &K) -> Option<(K, V)> {
        if self.count == 0 {
            return None;
        }
        // Deviation from Go: a hasher may declare the key unhashable, meaning absent (see
        // MapHasher::try_hash); Go always hashes, and finds an absent key absent.
        let hash = self.hasher.try_hash(key, self.hash0)?;
        let mut m = bucket_mask(self.b);
        let mut b = self
            .arena
            .bucket(self.buckets.expect("count > 0"), hash as usize & m);
        if let Some(c) = self.oldbuckets {
            if !self.same_size_grow() {
                // There used to be half as many buckets; mask down one more power of two.
                m >>= 1;
            }
            let oldb = self.arena.bucket(c, hash as usize & m);
            if !self.arena.evacuated(oldb) {
                b = oldb;
            }
        }
        let top = tophash(hash);
        let mut cur = Some(b);
        let cnt = self.bucket_cnt().min(BUCKET_CNT_MAX);
        while let Some(b) = cur {
            let bm = self.arena.bm(b);
            for i in 0..cnt {
                let th = bm.tophash[i];
                if th != top {
                    if th == EMPTY_REST {
                        return None; // break bucketloop
                    }
                    continue;
                }
                if bm.keys[i] == *key {
                    return Some((bm.keys[i], bm.elems[i]));
                }
            }
            cur = bm.overflow;
        }
        None
    }
}
