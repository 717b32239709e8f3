//! Deleting from and clearing Go 1.19's map: `mapdelete_fast64` of runtime/map_fast64.go
//! ([`GoMap::mapdelete`], alias [`GoMap::remove`]) with its `emptyRest` propagation, and
//! `mapclear` of runtime/map.go ([`GoMap::mapclear`]), which differs between releases
//! (Go 1.21 .. 1.23 `markBucketsEmpty`, Go 1.24+ `clearSeq`).
//!
//! # Invariants
//! - A deleted slot's elem is zeroed and its tophash becomes `EMPTY_ONE`; the key stays
//!   (pointer-free key type). When nothing live follows in the chain, the run of
//!   `EMPTY_ONE` slots ending there becomes `EMPTY_REST`, back to the chain's start if need
//!   be.
//! - A delete that empties the map reseeds `hash0`; `mapclear` of a non-empty map always
//!   does, keeps B and zeroes the same bucket array, and drops `oldbuckets`, `nevacuate`
//!   and `noverflow`.

use super::{
    bucket_mask, first_slot, is_empty, ArrayId, Fault, GoMap, MapElem, MapKey, EMPTY_ONE,
    EMPTY_REST, HASH_WRITING, SAME_SIZE_GROW,
};
use crate::hash::{MapHasher, RandomSource};

impl<K: MapKey, V: MapElem, H: MapHasher<K>, R: RandomSource> GoMap<K, V, H, R> {
    /// `delete(m, key)` (`mapdelete_fast64`).
    pub fn mapdelete(&mut self, key: &K) {
        if self.count == 0 {
            return;
        }
        if self.flags & HASH_WRITING != 0 {
            panic!("concurrent map writes");
        }
        let hash = self.hasher.hash(key, self.hash0);

        // Set hashWriting after calling t.hasher for consistency with mapdelete.
        self.flags ^= HASH_WRITING;

        let cnt = self.bucket_cnt();
        let bucket = hash as usize & bucket_mask(self.b);
        if self.growing() {
            self.grow_work(bucket);
        }
        let b_orig = self.arena.bucket(self.buckets.expect("count > 0"), bucket);
        let mut cur = Some(b_orig);
        'search: while let Some(mut b) = cur {
            let bm = self.arena.bm(b);
            if let Some(i) = first_slot(cnt, |i| *key == bm.keys[i] && !is_empty(bm.tophash[i])) {
                // Only clear key if there are pointers in it.
                // Deviation from Go: the port treats K as pointer-free (as uint64 is), so it
                // never clears keys; Go would for key types with pointers.
                if self.fault(Fault::ClearKeyOnDelete) {
                    self.arena.bm_mut(b).keys[i] = K::default();
                }
                self.arena.bm_mut(b).elems[i] = V::default(); // memclrNoHeapPointers
                self.arena.set_th(b, i, EMPTY_ONE);
                // If the bucket now ends in a bunch of emptyOne states,
                // change those to emptyRest states.
                let not_last = if i == cnt - 1 {
                    match self.arena.ovf(b) {
                        Some(o) => self.arena.th(o, 0) != EMPTY_REST,
                        None => false,
                    }
                } else {
                    self.arena.th(b, i + 1) != EMPTY_REST
                };
                if !not_last && !self.fault(Fault::NoEmptyRestPropagation) {
                    let mut i = i;
                    loop {
                        self.arena.set_th(b, i, EMPTY_REST);
                        if i == 0 {
                            if b == b_orig {
                                break; // beginning of initial bucket, we're done.
                            }
                            // Find previous bucket, continue at its last entry.
                            let c = b;
                            b = b_orig;
                            while self.arena.ovf(b) != Some(c) {
                                b = self.arena.ovf(b).expect("c is in b_orig's chain");
                            }
                            i = cnt - 1;
                        } else {
                            i -= 1;
                        }
                        if self.arena.th(b, i) != EMPTY_ONE {
                            break;
                        }
                    }
                }
                // notLast:
                self.count -= 1;
                // Reset the hash seed to make it more difficult for attackers to
                // repeatedly trigger hash collisions. See issue 25237.
                if self.count == 0 {
                    self.hash0 = self.rand.hash0();
                }
                break 'search;
            }
            cur = self.arena.ovf(b);
        }

        if self.flags & HASH_WRITING == 0 {
            panic!("concurrent map writes");
        }
        self.flags &= !HASH_WRITING;
    }

    /// Alias of [`GoMap::mapdelete`].
    pub fn remove(&mut self, key: &K) {
        self.mapdelete(key)
    }

    /// `mapclear`: deletes all keys, reseeds hash0 and reuses (clears) the bucket array.
    /// It differs between Go releases ([`MapParams::go`]): Go 1.21 .. 1.23 first mark
    /// every slot of `buckets` and `oldbuckets` (overflow buckets included) `emptyRest`, so
    /// that open iterators stop (issue 59411); Go 1.24+ instead count clears in
    /// `clearSeq`, which `mapiternext` compares; Go 1.19 does neither, and an iterator open
    /// across the clear may still yield entries of overflow buckets and of `oldbuckets`.
    ///
    /// [`MapParams::go`]: super::MapParams::go
    pub fn mapclear(&mut self) {
        if self.count == 0 {
            return;
        }
        if self.flags & HASH_WRITING != 0 {
            panic!("concurrent map writes");
        }
        self.flags ^= HASH_WRITING;
        if self.params.go.mapclear_marks_buckets_empty() {
            // Mark buckets empty, so existing iterators can be terminated, see issue #59411.
            if let Some(a) = self.buckets {
                self.mark_buckets_empty(a, bucket_mask(self.b));
            }
            if let Some(a) = self.oldbuckets {
                self.mark_buckets_empty(a, self.oldbucketmask());
            }
        }
        self.flags &= !SAME_SIZE_GROW;
        self.oldbuckets = None;
        self.nevacuate = 0;
        self.noverflow = 0;
        self.count = 0;
        if self.params.go.has_clear_seq() {
            self.clear_seq += 1;
        }
        self.hash0 = self.rand.hash0();
        // Keep the mapextra allocation but clear any extra information.
        self.next_overflow = None;
        // makeBucketArray clears the memory pointed to by h.buckets and recovers any
        // overflow buckets by generating them as if h.buckets was newly alloced.
        let (_, next_overflow) = self.make_bucket_array(self.b, self.buckets);
        if next_overflow.is_some() {
            self.next_overflow = next_overflow;
        }
        if self.flags & HASH_WRITING == 0 {
            panic!("concurrent map writes");
        }
        self.flags &= !HASH_WRITING;
    }

    /// `markBucketsEmpty` (inside Go 1.21's mapclear): every slot of buckets `0..=mask` of
    /// array `a` and of their overflow chains becomes EMPTY_REST.
    fn mark_buckets_empty(&mut self, a: ArrayId, mask: usize) {
        for i in 0..=mask {
            let mut b = Some(self.arena.bucket(a, i));
            while let Some(bb) = b {
                for j in 0..self.bucket_cnt() {
                    self.arena.set_th(bb, j, EMPTY_REST);
                }
                b = self.arena.ovf(bb);
            }
        }
    }
}
