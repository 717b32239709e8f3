//! Incremental growth of Go 1.19's map: `hashGrow`, `growWork`, `bucketEvacuated` and
//! `advanceEvacuationMark` of runtime/map.go, and `evacuate_fast64` of
//! runtime/map_fast64.go.
//!
//! # Invariants
//! - While growing, `oldbuckets` is set and every old bucket below `nevacuate` is
//!   evacuated; each write evacuates the old bucket it is about to use plus the one at
//!   `nevacuate`.
//! - `evacuate` sends each live entry to X (same index) or Y (index + newbit) by
//!   `hash & newbit` (always X in a same-size grow), marks the old slots `EVACUATED_X`,
//!   `EVACUATED_Y` or `EVACUATED_EMPTY`, and leaves the old keys and elems in memory.
//! - When `nevacuate` reaches the number of old buckets, `oldbuckets` goes and
//!   `SAME_SIZE_GROW` is cleared. `hashGrow` turns the `ITERATOR` flag into
//!   `OLD_ITERATOR`.

use super::{
    is_empty, BmapPtr, Fault, GoMap, MapElem, MapKey, EVACUATED_EMPTY, EVACUATED_X, ITERATOR,
    MIN_TOP_HASH, OLD_ITERATOR, SAME_SIZE_GROW,
};
use crate::hash::{MapHasher, RandomSource};

impl<K: MapKey, V: MapElem, H: MapHasher<K>, R: RandomSource> GoMap<K, V, H, R> {
    /// `hashGrow`: start growing, to 2^(B+1) buckets when over the load factor, else to a
    /// same-size array (too many overflow buckets). Evacuation happens later, in grow_work.
    pub(super) fn hash_grow(&mut self) {
        let mut bigger = 1u8;
        if !self.params.over_load_factor(self.count + 1, self.b) {
            bigger = 0;
            self.flags |= SAME_SIZE_GROW;
        }
        let oldbuckets = self.buckets;
        let (newbuckets, next_overflow) = self.make_bucket_array(self.b + bigger, None);

        let mut flags = self.flags & !(ITERATOR | OLD_ITERATOR);
        if self.flags & ITERATOR != 0 {
            flags |= OLD_ITERATOR;
        }
        // commit the grow
        self.b += bigger;
        self.flags = flags;
        self.oldbuckets = oldbuckets;
        self.buckets = Some(newbuckets);
        self.nevacuate = 0;
        self.noverflow = 0;

        // Deviation from Go: extra.overflow -> extra.oldoverflow (and its "oldoverflow is
        // not nil" throw) is GC bookkeeping for pointer-free buckets and is not modelled.
        if next_overflow.is_some() {
            self.next_overflow = next_overflow;
        }
    }

    /// `growWork`: evacuate the old bucket of the bucket about to be used, then one more
    /// (at nevacuate) to make progress.
    pub(super) fn grow_work(&mut self, bucket: usize) {
        self.evacuate(bucket & self.oldbucketmask());
        if self.growing() && !self.fault(Fault::NoExtraEvacuation) {
            self.evacuate(self.nevacuate);
        }
    }

    /// `bucketEvacuated`.
    pub(super) fn bucket_evacuated(&self, bucket: usize) -> bool {
        let old = self.oldbuckets.expect("growing");
        self.arena.evacuated(self.arena.bucket(old, bucket))
    }

    /// `evacuate_fast64`: move old bucket `oldbucket`'s chain to X (same index) or Y
    /// (index + newbit) by `hash & newbit`; mark old slots EVACUATED_X / EVACUATED_Y /
    /// EVACUATED_EMPTY. The old keys and elems stay in memory (pointer-free bucket type).
    fn evacuate(&mut self, oldbucket: usize) {
        let old = self.oldbuckets.expect("evacuate while growing");
        let newbit = self.noldbuckets();
        let cnt = self.bucket_cnt();
        let mut b = Some(self.arena.bucket(old, oldbucket));
        if !self.arena.evacuated(b.expect("set")) {
            let new = self.buckets.expect("growing");
            // xy contains the x and y (low and high) evacuation destinations: (bucket, i).
            let mut xy: [(BmapPtr, usize); 2] = [(self.arena.bucket(new, oldbucket), 0); 2];
            if !self.same_size_grow() {
                // Only calculate y pointers if we're growing bigger.
                xy[1] = (self.arena.bucket(new, oldbucket + newbit), 0);
            }
            let same_size = self.same_size_grow();
            let wrong_half = self.fault(Fault::EvacuateWrongHalf);
            while let Some(bb) = b {
                // The source bmap, copied once.
                // Deviation from Go: its evacuation marks are written back when the loop is
                // done with the bmap, not slot by slot. Nothing reads them in between
                // (newoverflow only touches the destinations' chains), so the state after
                // evacuate is Go's.
                let src = *self.arena.bm(bb);
                let mut marks = src.tophash;
                for (i, mark) in marks[..cnt].iter_mut().enumerate() {
                    let top = *mark;
                    if is_empty(top) {
                        *mark = EVACUATED_EMPTY;
                        continue;
                    }
                    if top < MIN_TOP_HASH {
                        panic!("bad map state");
                    }
                    let k = src.keys[i];
                    let mut use_y = 0usize;
                    if !same_size {
                        // Compute hash to make our evacuation decision (whether we need
                        // to send this key/elem to bucket x or bucket y).
                        // Deviation from Go: no `k != k` (NaN) branch; keys are reflexive.
                        let hash = self.hasher.hash(&k, self.hash0);
                        if hash as usize & newbit != 0 {
                            use_y = 1;
                        }
                        if wrong_half {
                            use_y ^= 1;
                        }
                    }
                    *mark = EVACUATED_X + use_y as u8;
                    if xy[use_y].1 == cnt {
                        let nb = self.newoverflow(xy[use_y].0);
                        xy[use_y] = (nb, 0);
                    }
                    let (db, di) = xy[use_y];
                    let dst = self.arena.bm_mut(db);
                    dst.tophash[di & (cnt - 1)] = top;
                    dst.keys[di] = k;
                    dst.elems[di] = src.elems[i];
                    xy[use_y].1 += 1;
                }
                let bm = self.arena.bm_mut(bb);
                bm.tophash = marks;
                b = bm.overflow;
            }
            // Go clears old key/elem memory here only when the bucket type has pointers
            // and no oldIterator is set; map[uint64]uint64 has none, so nothing happens.
            // Deviation from Go: for K or V with pointers Go would clear; the port never
            // does (it models the pointer-free layout the traces record).
        }

        if oldbucket == self.nevacuate {
            self.advance_evacuation_mark(newbit);
        }
    }

    /// `advanceEvacuationMark`: move nevacuate past evacuated buckets (at most 1024 past
    /// the one just done) and finish the growth when all are evacuated.
    fn advance_evacuation_mark(&mut self, newbit: usize) {
        self.nevacuate += 1;
        // Experiments suggest that 1024 is overkill by at least an order of magnitude.
        // Put it in there as a safeguard anyway, to ensure O(1) behavior.
        let mut stop = self.nevacuate + 1024;
        if stop > newbit {
            stop = newbit;
        }
        while self.nevacuate != stop && self.bucket_evacuated(self.nevacuate) {
            self.nevacuate += 1;
        }
        if self.nevacuate == newbit {
            // newbit == # of oldbuckets. Growing is all done. Free old main bucket array.
            self.oldbuckets = None;
            self.flags &= !SAME_SIZE_GROW;
        }
    }
}
