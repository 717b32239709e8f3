//! `mapclear` (runtime/map.go; map_noswiss.go from Go 1.24): `clear(m)`, and in Go 1.19 the
//! compiler's range-delete idiom `for k := range m { delete(m, k) }`. It differs between
//! releases (docs/go-versions.md, rows #2 and #3):
//!
//! - Go 1.19: resets the header (count, oldbuckets, nevacuate, noverflow, sameSizeGrow),
//!   draws a new hash0 and zeroes h.buckets in place (makeBucketArray with dirtyalloc); an
//!   open iterator keeps walking what it still reaches.
//! - Go 1.21 to 1.23: first marks every cell of buckets and oldbuckets, overflow chains
//!   included, emptyRest (markBucketsEmpty, issue #59411), so open iterators find none of
//!   the cleared entries (they may find entries assigned after the clear, see below).
//! - Go 1.24+: no marking; `h.clearSeq++`, and mapiternext re-looks up (mapaccessK) every
//!   entry of an iterator whose clearSeq differs (see [`super::iter`]).
//!
//! Zeroing h.buckets in place (makeBucketArray with dirtyalloc) keeps the array's identity
//! (iterators holding it see the zeroed memory) and cuts every chain to its main bucket (the
//! zeroed overflow pointers). What happens to an iterator standing in an overflow bucket
//! (`it.bptr`) depends on the memory that bucket is ([`Bmap::prealloc_slot`]):
//!
//! - An overflow bucket newoverflow allocated with newobject is not part of the array's
//!   memory: Go leaves it as it was, overflow pointer included, and the iterator goes on from
//!   there. The model moves the chain's tail from that bucket on to an array of its own (one
//!   chain), which is what the iterator's `bptr` then points into.
//! - A preallocated overflow bucket (B >= 4) is part of the array's allocation: the memclr
//!   zeroes it with the main buckets, and makeBucketArray sets the last one's overflow pointer
//!   to the sentinel (the array itself, bucket 0) again and points `h.extra.nextOverflow` at
//!   the first. The iterator's `bptr` becomes [`Bptr::FreeOverflow`]: a zeroed bucket whose
//!   overflow is nil, or bucket 0 for the last one, until newoverflow hands that bucket out
//!   again to some chain (`super::assign`), where the iterator then follows it and sees what
//!   later assigns put there. Real Go yields a key twice this way (the recorded traces of
//!   impl/tests/data/go-versions replay clean on the model).
//!
//! A chain of h.buckets holds its preallocated overflow buckets before any newobject one:
//! newoverflow hands out preallocated buckets while any is left, and only makeBucketArray
//! makes them available again, in mapclear after cutting every chain of the array, in
//! hashGrow in a new array. So a tail moved to an array of its own holds no preallocated
//! bucket.

use super::*;

impl Machine {
    /// `mapclear(t, h)`. `reseed` is fastrand's new hash0 (None only when the map is
    /// empty), with `new_hashes` its hash function (None: keep the current one).
    pub fn mapclear<const N: usize>(
        &self,
        s: &mut HmapState<N>,
        reseed: Option<u32>,
        new_hashes: Option<&HashFn>,
        log: &mut Log,
    ) -> Result<(), StepError> {
        if s.h.count == 0 {
            log.note(|| "count == 0: return".into());
            return Ok(());
        }
        if self.go.mapclear_marks_buckets_empty() {
            // Mark buckets empty, so existing iterators can be terminated, see issue #59411.
            if let Some(a) = s.h.buckets {
                self.mark_buckets_empty(s, a, (1usize << s.h.b) - 1);
            }
            if let Some(a) = s.h.oldbuckets {
                let mask = s.h.oldbucketmask();
                self.mark_buckets_empty(s, a, mask);
            }
            log.note(|| "markBucketsEmpty(buckets), markBucketsEmpty(oldbuckets)".into());
        }
        s.h.flags &= !SAME_SIZE_GROW;
        s.h.oldbuckets = None;
        s.h.nevacuate = 0;
        s.h.noverflow = 0;
        s.h.count = 0;
        if self.go.has_clear_seq() {
            s.h.clear_seq += 1;
            log.note(|| format!("h.clearSeq = {}", s.h.clear_seq));
        }
        // Reset the hash seed to make it more difficult for attackers to repeatedly trigger
        // hash collisions. See issue 25237.
        if let Some(h0) = reseed {
            s.h.hash0 = h0;
            if let Some(hs) = new_hashes {
                s.hashes = hs.clone();
            }
            log.note(|| format!("hash0 = fastrand() = {h0}"));
        }
        // makeBucketArray clears the memory pointed to by h.buckets and recovers any overflow
        // buckets by generating them as if h.buckets was newly alloced.
        let arr = s.h.buckets.expect("count > 0 has buckets");
        self.detach_overflow_tails(s, arr);
        s.array_mut(arr).reset_chains();
        // Keep the mapextra allocation but clear any extra information; makeBucketArray's
        // nextOverflow is h.buckets' first preallocated bucket (none below B = 4).
        s.h.prealloc_left = self.geo.prealloc_overflow(s.h.b);
        log.note(|| {
            format!(
                "makeBucketArray: {} bucket(s) and {} preallocated overflow bucket(s) zeroed in place",
                1usize << s.h.b,
                s.h.prealloc_left
            )
        });
        if !s.iters.is_empty() {
            s.ghost.events |= ev::CLEAR_WITH_ITERATOR;
        }
        if self.track.abs {
            for v in s.ghost.abs.iter_mut() {
                *v = 0;
            }
        }
        if self.track.iters {
            for it in &mut s.iters {
                it.ghost.on_clear();
            }
        }
        Ok(())
    }

    /// `markBucketsEmpty` (Go 1.21 to 1.23, inside mapclear): every cell of chains 0..=mask
    /// of array `a`, overflow buckets included, becomes emptyRest.
    fn mark_buckets_empty<const N: usize>(&self, s: &mut HmapState<N>, a: ArrayId, mask: usize) {
        let bc = self.bucket_cnt();
        for chain in s.array_mut(a).iter_mut().take(mask + 1) {
            for bm in chain.iter_mut() {
                bm.tophash[..bc].fill(EMPTY_REST);
            }
        }
    }

    /// Before `arr` is zeroed in place: every iterator standing in an overflow bucket of `arr`
    /// (depth > 0) is moved to where that memory is after the memclr: a preallocated bucket
    /// becomes [`Bptr::FreeOverflow`] (zeroed, linked into no chain); a newobject one gets its
    /// bucket and the rest of its chain as an array of its own, as Go's separately allocated
    /// overflow buckets outlive the zeroing.
    fn detach_overflow_tails<const N: usize>(&self, s: &mut HmapState<N>, arr: ArrayId) {
        let mut moved: Vec<(u16, u8, ArrayId)> = Vec::new();
        for idx in 0..s.iters.len() {
            let Some(Bptr::Bmap(p)) = s.iters[idx].bptr else {
                continue;
            };
            if p.array != arr || p.depth == 0 {
                continue;
            }
            if let Some(slot) = s.bmap(p).prealloc_slot {
                s.iters[idx].bptr = Some(Bptr::FreeOverflow { array: arr, slot });
                continue;
            }
            let id = match moved.iter().find(|m| m.0 == p.chain && m.1 == p.depth) {
                Some(m) => m.2,
                None => {
                    let tail: Chain<N> =
                        s.array(arr)[p.chain as usize][p.depth as usize..].to_vec();
                    s.arrays.push(BucketArray::from_chains([tail]));
                    let id = (s.arrays.len() - 1) as ArrayId;
                    moved.push((p.chain, p.depth, id));
                    id
                }
            };
            s.iters[idx].bptr = Some(Bptr::Bmap(BucketPtr {
                array: id,
                chain: 0,
                depth: 0,
            }));
        }
    }
}
