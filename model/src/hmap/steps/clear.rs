//! `mapclear` (runtime/map.go; map_noswiss.go from Go 1.24): `clear(m)`, and in Go 1.19 the
//! compiler's range-delete idiom `for k := range m { delete(m, k) }`. It differs between
//! releases (docs/go-versions.md, rows #2 and #3):
//!
//! - Go 1.19: resets the header (count, oldbuckets, nevacuate, noverflow, sameSizeGrow),
//!   draws a new hash0 and zeroes h.buckets in place (makeBucketArray with dirtyalloc); an
//!   open iterator keeps walking what it still reaches.
//! - Go 1.21 to 1.23: first marks every cell of buckets and oldbuckets, overflow chains
//!   included, emptyRest (markBucketsEmpty, issue #59411), so open iterators find nothing.
//! - Go 1.24+: no marking; `h.clearSeq++`, and mapiternext re-looks up (mapaccessK) every
//!   entry of an iterator whose clearSeq differs (see [`super::iter`]).
//!
//! Zeroing h.buckets in place keeps the array's identity (iterators holding it see the zeroed
//! memory) and cuts every chain to its main bucket (the zeroed overflow pointers). An overflow
//! bucket allocated by newoverflow is not part of the array's memory: Go leaves it as it was,
//! overflow pointer included, and an iterator positioned in it goes on from there. The model
//! moves such a chain tail, for each iterator positioned in it, to an array of its own (one
//! chain), which is what the iterator's `bptr` then points into.
//!
//! Deviation from Go: an overflow bucket that makeBucketArray preallocated (B >= 4) is part
//! of the array's memory. mapclear zeroes it too, and newoverflow hands it out again
//! afterwards, so an iterator positioned in it sees later assigns (and the last one's
//! overflow pointer leads back to bucket 0). The model does not record which overflow
//! buckets were preallocated and treats every one as separately allocated;
//! [`Machine::clear_strands_iterator_in_prealloc`] tells when that matters. The exhaustive
//! specs stay below B = 4, where nothing is preallocated.

use super::*;

impl Machine {
    /// `mapclear(t, h)`. `reseed` is fastrand's new hash0 (None only when the map is
    /// empty), with `new_hashes` its hash function (None: keep the current one).
    pub fn mapclear(
        &self,
        s: &mut HmapState,
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
        for chain in s.array_mut(arr).iter_mut() {
            chain.clear();
            chain.push(Bmap::default());
        }
        s.h.prealloc_left = self.geo.prealloc_overflow(s.h.b);
        log.note(|| {
            format!(
                "makeBucketArray: {} bucket(s) zeroed in place",
                1usize << s.h.b
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
                it.ghost.yielded_live = 0;
                it.ghost.stable = 0;
            }
        }
        Ok(())
    }

    /// Whether mapclear would now leave an iterator in an overflow bucket of h.buckets while
    /// newoverflow has handed out some of that array's preallocated overflow buckets: the one
    /// case where the model's mapclear may differ from Go's (see the module documentation).
    pub fn clear_strands_iterator_in_prealloc(&self, s: &HmapState) -> bool {
        let Some(arr) = s.h.buckets else {
            return false;
        };
        s.h.count > 0
            && self.geo.prealloc_overflow(s.h.b) > s.h.prealloc_left
            && s.iters
                .iter()
                .any(|it| it.bptr.is_some_and(|p| p.array == arr && p.depth > 0))
    }

    /// `markBucketsEmpty` (Go 1.21 to 1.23, inside mapclear): every cell of chains 0..=mask
    /// of array `a`, overflow buckets included, becomes emptyRest.
    fn mark_buckets_empty(&self, s: &mut HmapState, a: ArrayId, mask: usize) {
        let bc = self.bucket_cnt();
        for chain in s.array_mut(a).iter_mut().take(mask + 1) {
            for bm in chain.iter_mut() {
                bm.tophash[..bc].fill(EMPTY_REST);
            }
        }
    }

    /// Before `arr` is zeroed in place: every iterator positioned in an overflow bucket of
    /// `arr` (depth > 0) gets that bucket and the rest of its chain as an array of its own,
    /// as Go's separately allocated overflow buckets outlive the zeroing.
    fn detach_overflow_tails(&self, s: &mut HmapState, arr: ArrayId) {
        let mut moved: Vec<(u16, u8, ArrayId)> = Vec::new();
        for idx in 0..s.iters.len() {
            let Some(p) = s.iters[idx].bptr else {
                continue;
            };
            if p.array != arr || p.depth == 0 {
                continue;
            }
            let id = match moved.iter().find(|m| m.0 == p.chain && m.1 == p.depth) {
                Some(m) => m.2,
                None => {
                    let tail: Chain = s.array(arr)[p.chain as usize][p.depth as usize..].to_vec();
                    s.arrays.push(vec![tail]);
                    let id = (s.arrays.len() - 1) as ArrayId;
                    moved.push((p.chain, p.depth, id));
                    id
                }
            };
            s.iters[idx].bptr = Some(BucketPtr {
                array: id,
                chain: 0,
                depth: 0,
            });
        }
    }
}
