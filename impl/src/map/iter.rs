//! Iteration of Go 1.19's map (runtime/map.go; iteration has no `_fast64` variant):
//! `hiter`, `mapiterinit` with its first `mapiternext` ([`GoMap::iter_init`]), then one
//! `mapiternext` per [`GoMap::iter_next`]; from Go 1.24, the `clearSeq` check of
//! `mapiternext`. [`GoMap::range`] is a `range` loop whose body does not write to the
//! map: the same `mapiterinit` and `mapiternext` steps, as a borrowing [`Iterator`].
//!
//! # Speed without other steps
//! Go's loop is `mapiternext_loop`. `mapiternext` and [`Range`] run it specialised to the
//! common case first (no grow the iterator started in, no `mapclear` since `mapiterinit`,
//! golden data) and hand over to it, at the same bucket, bmap and slot, for anything
//! else. Both skip a bmap's empty and evacuatedEmpty slots with a bit mask
//! (`visit_mask`) where Go tests them one by one; the slots visited, and their order, are
//! the same.
//!
//! # Invariants
//! - An iterator walks the bucket array it saw at `mapiterinit` (kept by the arena even
//!   once it is neither `buckets` nor `oldbuckets`) from a random start bucket and slot
//!   offset, once around.
//! - While a grow that the iterator started in is unfinished, an unevacuated old bucket is
//!   walked instead of the new one, yielding only the keys that go to the bucket visited.
//! - An entry that may have changed since (evacuated, or a `mapclear` since Go 1.24) is
//!   looked up again (`mapaccessK`) and skipped if gone, so no key is yielded twice.
//! - Except across a `mapclear`, as in Go: an iterator standing in an overflow bucket keeps
//!   walking it. `make_bucket_array` zeroes the preallocated ones with the array and
//!   `newoverflow` hands them out again to any chain; the last one's overflow is again the
//!   sentinel, bucket 0 (from Go 1.24 the other overflow buckets keep their entries,
//!   which are looked up). The iterator may yield an entry created after the clear in
//!   another bucket's chain and yield it again in its own bucket
//!   (tests/go_versions.rs has traces of real Go doing so).
//! - The iterator of an empty map draws no random start, sets no flag and yields nothing.

use super::{
    bucket_mask, bucket_shift, ArrayId, Bmap, BmapPtr, Fault, GoMap, MapElem, MapKey,
    BUCKET_CNT_MAX, EMPTY_ONE, EMPTY_REST, EVACUATED_EMPTY, EVACUATED_X, EVACUATED_Y, HASH_WRITING,
    ITERATOR, OLD_ITERATOR,
};
use crate::hash::{GoMemHasher, MapHasher, RandomSource, WyRand};

/// `noCheck`: sentinel bucket id for iterator checks.
const NO_CHECK: usize = usize::MAX;

/// `hiter`: the iteration state of one open iterator.
#[derive(Clone, Copy, Debug)]
struct Hiter {
    /// `it.h != nil`: false when mapiterinit found an empty map.
    started: bool,
    /// Bucket array at mapiterinit time.
    buckets: Option<ArrayId>,
    /// Current bucket.
    bptr: Option<BmapPtr>,
    /// Bucket iteration started at.
    start_bucket: usize,
    /// Intra-bucket offset to start from.
    offset: usize,
    /// Already wrapped around from the end of the bucket array to the beginning.
    wrapped: bool,
    b: u8,
    i: usize,
    bucket: usize,
    check_bucket: usize,
    /// `h.clearSeq` at mapiterinit (Go 1.24+).
    clear_seq: u64,
}

#[derive(Clone, Debug)]
pub(super) struct IterSlot<K, V> {
    it: Hiter,
    /// The element found by the mapiternext inside mapiterinit, not yet handed out.
    first: Option<Option<(K, V)>>,
    /// mapiternext reported the end (it.key == nil).
    done: bool,
}

/// Handle of an open iterator of one [`GoMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IterId(pub usize);

impl<K: MapKey, V: MapElem, H: MapHasher<K>, R: RandomSource> GoMap<K, V, H, R> {
    /// `mapiterinit` followed by the first `mapiternext`, as Go runs it: a `range`
    /// loop calls mapiterinit, which itself advances to the first element. That element
    /// is kept and handed out by the first [`GoMap::iter_next`] without another advance;
    /// each later `iter_next` performs one mapiternext. When the map is empty, Go returns
    /// before drawing a random start or setting flags, and the iterator is done.
    pub fn iter_init(&mut self) -> IterId {
        let mut it = self.mapiterinit();
        let id = IterId(self.iters.len());
        if !it.started {
            self.iters.push(IterSlot {
                it,
                first: Some(None),
                done: false,
            });
            return id;
        }
        let first = self.mapiternext(&mut it);
        self.iters.push(IterSlot {
            it,
            first: Some(first),
            done: false,
        });
        id
    }

    /// `mapiterinit` up to (not including) its call of `mapiternext`: the snapshot of the
    /// bucket state, the random start and the flags. An empty map gives an iterator that
    /// is not started (`it.h == nil`): no draw, no flag.
    fn mapiterinit(&mut self) -> Hiter {
        let mut it = Hiter {
            started: false,
            buckets: None,
            bptr: None,
            start_bucket: 0,
            offset: 0,
            wrapped: false,
            b: 0,
            i: 0,
            bucket: 0,
            check_bucket: 0,
            clear_seq: 0,
        };
        if self.count == 0 {
            return it;
        }
        it.started = true;
        // grab snapshot of bucket state
        it.b = self.b;
        it.buckets = self.buckets;
        it.clear_seq = self.clear_seq;
        // Deviation from Go: it.overflow / it.oldoverflow (GC liveness of overflow
        // buckets) are not needed with an arena that never frees.

        // decide where to start
        let r = self.rand.iter_start(self.b, self.params.bucket_cnt_bits()) as usize;
        it.start_bucket = r & bucket_mask(self.b);
        it.offset = (r >> self.b) & (self.bucket_cnt() - 1);

        // iterator state
        it.bucket = it.start_bucket;

        // Remember we have an iterator.
        if self.flags & (ITERATOR | OLD_ITERATOR) != ITERATOR | OLD_ITERATOR {
            self.flags |= ITERATOR | OLD_ITERATOR;
        }
        it
    }

    /// `for k, v := range m` with no write to `m` in the loop body: `mapiterinit` (the
    /// same random draw and flags as [`GoMap::iter_init`]), then one `mapiternext` per
    /// [`Iterator::next`], yielding exactly what `iter_init`/`iter_next` yield when
    /// nothing writes in between. The borrow rules out writes, so nothing is kept in the
    /// map for this iterator (no [`IterId`]) and it allocates nothing.
    ///
    /// Deviation from Go: `mapiterinit`'s own first `mapiternext` runs at the first
    /// `next` instead; the map cannot change in between, so it finds the same element.
    /// The iterator flags and the random draw happen here, as in Go.
    pub fn range(&mut self) -> Range<'_, K, V, H, R> {
        let it = self.mapiterinit();
        let map: &Self = self;
        if it.started && map.flags & HASH_WRITING != 0 {
            panic!("concurrent map iteration and map write");
        }
        // The specialised path (see Range): nothing can change these while borrowed.
        let fast = it.started
            && !(map.growing() && it.b == map.b)
            && it.clear_seq == map.clear_seq
            && map.faults.is_empty();
        Range {
            map,
            it,
            fast,
            cur: None,
            mask: 0,
            done: !it.started,
        }
    }

    /// The next element of iterator `id` (see [`GoMap::iter_init`]); `None` once done.
    /// Deviation from Go: after the end, the iterator stays at its end (Go's behaviour
    /// for a further mapiternext is unspecified; `range` never calls it).
    ///
    /// # Panics
    /// If `id` was not returned by this map's `iter_init`.
    #[inline]
    pub fn iter_next(&mut self, id: IterId) -> Option<(K, V)> {
        let slot = self
            .iters
            .get_mut(id.0)
            .unwrap_or_else(|| panic!("gomap: unknown iterator {id:?}"));
        if slot.done {
            return None;
        }
        if let Some(first) = slot.first.take() {
            if first.is_none() {
                slot.done = true;
            }
            return first;
        }
        // The iterator advances in place: the slots are set aside while mapiternext reads
        // the map (a panic in it, which only a broken map can cause, drops them).
        let mut iters = std::mem::take(&mut self.iters);
        let slot = &mut iters[id.0];
        let r = self.mapiternext(&mut slot.it);
        if r.is_none() {
            slot.done = true;
        }
        self.iters = iters;
        r
    }

    /// The start bucket and offset iterator `id` drew (0, 0 if the map was empty).
    pub fn iter_start_of(&self, id: IterId) -> (usize, usize) {
        let it = &self.iters[id.0].it;
        (it.start_bucket, it.offset)
    }

    /// `mapiternext`: advance `it` to the next element and return it (key and elem copied
    /// at once, as a `range` loop does), or None at the end.
    ///
    /// Go's loop is [`GoMap::mapiternext_loop`]. This runs the same loop first for the
    /// common case, specialised to it: the map is not in a grow the iterator started in
    /// (so each new bucket is `it.buckets`' and there is no check bucket), no `mapclear`
    /// since `mapiterinit` and no injected fault, and the slot to yield holds golden data.
    /// At the first slot whose entry must be looked up again (evacuated), or if the case
    /// does not hold, the general loop goes on from the same bucket, bmap and slot, so
    /// every step is Go's.
    #[inline(always)]
    fn mapiternext(&self, it: &mut Hiter) -> Option<(K, V)> {
        if !it.started {
            return None;
        }
        if self.flags & HASH_WRITING != 0 {
            panic!("concurrent map iteration and map write");
        }
        if it.check_bucket != NO_CHECK
            || (self.growing() && it.b == self.b)
            || it.clear_seq != self.clear_seq
            || !self.faults.is_empty()
        {
            return self.mapiternext_loop(it);
        }
        let cnt = self.bucket_cnt().min(BUCKET_CNT_MAX);
        let it_buckets = it.buckets.expect("started iterator has buckets");
        let mut bucket = it.bucket;
        let mut b = it.bptr;
        let mut i = it.i;
        loop {
            let bb = match b {
                Some(bb) => bb,
                None => {
                    if bucket == it.start_bucket && it.wrapped {
                        // end of iteration
                        return None;
                    }
                    let nb = self.arena.bucket(it_buckets, bucket);
                    bucket += 1;
                    if bucket == bucket_shift(it.b) {
                        bucket = 0;
                        it.wrapped = true;
                    }
                    i = 0;
                    b = Some(nb);
                    nb
                }
            };
            let bm = self.arena.bm(bb);
            let cand = visit_mask(&bm.tophash, it.offset, cnt) & (u32::MAX << i);
            if cand != 0 {
                let i = cand.trailing_zeros() as usize;
                let offi = (i + it.offset) & (cnt - 1) & (BUCKET_CNT_MAX - 1);
                let th = bm.tophash[offi];
                it.bucket = bucket;
                it.bptr = b;
                it.check_bucket = NO_CHECK;
                if th == EVACUATED_X || th == EVACUATED_Y {
                    // To be looked up again: the general loop does that, from this slot.
                    it.i = i;
                    return self.mapiternext_loop(it);
                }
                // This is the golden data, we can return it.
                it.i = i + 1;
                return Some((bm.keys[offi], bm.elems[offi]));
            }
            b = bm.overflow;
            i = 0;
        }
    }

    /// The loop of Go's `mapiternext` (after its `hashWriting` check), from `it`'s bucket
    /// and slot.
    #[inline(never)]
    fn mapiternext_loop(&self, it: &mut Hiter) -> Option<(K, V)> {
        let cnt = self.bucket_cnt().min(BUCKET_CNT_MAX);
        let it_buckets = it.buckets.expect("started iterator has buckets");
        let mut bucket = it.bucket;
        let mut b = it.bptr;
        let mut i = it.i;
        let mut check_bucket = it.check_bucket;

        loop {
            // next:
            let bb = match b {
                Some(bb) => bb,
                None => {
                    if bucket == it.start_bucket && it.wrapped {
                        // end of iteration
                        return None;
                    }
                    let nb;
                    if self.growing() && it.b == self.b {
                        // Iterator was started in the middle of a grow, and the grow isn't
                        // done yet. If the bucket we're looking at hasn't been filled in yet
                        // (i.e. the old bucket hasn't been evacuated) then we need to
                        // iterate through the old bucket and only return the ones that
                        // will be migrated to this bucket.
                        let ob = self.iter_oldbucket(bucket);
                        if !self.arena.evacuated(ob) {
                            check_bucket = bucket;
                            nb = ob;
                        } else {
                            nb = self.arena.bucket(it_buckets, bucket);
                            check_bucket = NO_CHECK;
                        }
                    } else {
                        nb = self.arena.bucket(it_buckets, bucket);
                        check_bucket = NO_CHECK;
                    }
                    bucket += 1;
                    if bucket == bucket_shift(it.b) {
                        bucket = 0;
                        it.wrapped = true;
                    }
                    i = 0;
                    b = Some(nb);
                    nb
                }
            };
            let bm = self.arena.bm(bb);
            // Go's loop `for ; i < bucketCnt; i++` skips the slots that are empty or
            // evacuatedEmpty one at a time; here they are skipped at once: `cand` has bit p
            // set for each position p >= i (slot (p + offset) & (bucketCnt-1)) holding
            // anything else, and the loop visits those positions in increasing order.
            let mut cand = visit_mask(&bm.tophash, it.offset, cnt) & (u32::MAX << i);
            while cand != 0 {
                let i = cand.trailing_zeros() as usize;
                cand &= cand - 1;
                // (cnt <= BUCKET_CNT_MAX, so the second mask changes nothing but lets the
                // compiler drop the bounds checks.)
                let offi = (i + it.offset) & (cnt - 1) & (BUCKET_CNT_MAX - 1);
                let th = bm.tophash[offi];
                let k = bm.keys[offi];
                let e = bm.elems[offi];
                if check_bucket != NO_CHECK && !self.same_size_grow() {
                    // Special case: iterator was started during a grow to a larger size
                    // and the grow is not done yet. We're iterating through the old
                    // bucket, skipping any keys that will go to the other new bucket.
                    // Deviation from Go: keys are reflexive, so Go's `k != k` (NaN) branch,
                    // which decides by the low bit of tophash, is absent.
                    if self.iter_hash(&k) as usize & bucket_mask(it.b) != check_bucket {
                        continue;
                    }
                }
                let result;
                // Go 1.24+: an iterator started before a mapclear (clearSeq differs) only
                // yields what the lookup below finds; clear_seq stays 0 before Go 1.24.
                if (it.clear_seq == self.clear_seq && th != EVACUATED_X && th != EVACUATED_Y)
                    || self.fault(Fault::IterNoRelookup)
                {
                    // This is the golden data, we can return it.
                    result = (k, e);
                } else {
                    // The hash table has grown since the iterator was started. The golden
                    // data for this key is now somewhere else: check the current table.
                    // This handles the key having been deleted, updated, or deleted and
                    // reinserted.
                    match self.iter_relookup(&k) {
                        None => continue, // key has been deleted
                        Some(kv) => result = kv,
                    }
                }
                it.bucket = bucket;
                it.bptr = b;
                it.i = i + 1;
                it.check_bucket = check_bucket;
                return Some(result);
            }
            b = bm.overflow;
            i = 0;
        }
    }
}

/// A `range` loop over a [`GoMap`] that nothing writes during the loop: see
/// [`GoMap::range`].
///
/// When the map is not in a grow the iterator started in, has not been cleared since and
/// has no injected fault (all fixed for the iterator's life, as the map is borrowed),
/// Go's `mapiternext` loop reduces to: visit each bmap of `it.buckets` from the start
/// bucket around, each chain in overflow order, each bmap's non-empty slots from the
/// offset, yielding golden data and looking up again what is evacuated. `next` runs that
/// loop directly, keeping the current bmap and its slots still to visit between calls
/// (they cannot change). Otherwise every `next` is Go's whole `mapiternext`.
pub struct Range<'a, K, V, H = GoMemHasher, R = WyRand> {
    map: &'a GoMap<K, V, H, R>,
    it: Hiter,
    /// The reduced loop applies.
    fast: bool,
    /// Reduced loop: the current bmap (`it.bptr`), None before the first one and between
    /// chains.
    cur: Option<&'a Bmap<K, V>>,
    /// Reduced loop: the positions of `cur` still to visit (see `visit_mask`).
    mask: u32,
    done: bool,
}

impl<'a, K: MapKey, V: MapElem, H: MapHasher<K>, R: RandomSource> Iterator
    for Range<'a, K, V, H, R>
{
    type Item = (K, V);

    #[inline]
    fn next(&mut self) -> Option<(K, V)> {
        if self.done {
            return None;
        }
        if !self.fast {
            let r = self.map.mapiternext(&mut self.it);
            self.done = r.is_none();
            return r;
        }
        let map = self.map;
        let it = &mut self.it;
        let cnt = map.bucket_cnt().min(BUCKET_CNT_MAX);
        loop {
            if let Some(bm) = self.cur {
                if self.mask != 0 {
                    let i = self.mask.trailing_zeros() as usize;
                    self.mask &= self.mask - 1;
                    let offi = (i + it.offset) & (cnt - 1) & (BUCKET_CNT_MAX - 1);
                    let th = bm.tophash[offi];
                    let (k, e) = (bm.keys[offi], bm.elems[offi]);
                    if th != EVACUATED_X && th != EVACUATED_Y {
                        // This is the golden data, we can return it.
                        return Some((k, e));
                    }
                    // The golden data for this key is now somewhere else: check the
                    // current table.
                    match map.iter_relookup(&k) {
                        None => continue, // key has been deleted
                        Some(kv) => return Some(kv),
                    }
                }
                self.cur = bm.overflow.map(|o| map.arena.bm(o));
            }
            let bm = match self.cur {
                Some(bm) => bm,
                None => {
                    if it.bucket == it.start_bucket && it.wrapped {
                        // end of iteration
                        self.done = true;
                        return None;
                    }
                    let it_buckets = it.buckets.expect("started iterator has buckets");
                    let bm = map.arena.bm(map.arena.bucket(it_buckets, it.bucket));
                    it.bucket += 1;
                    if it.bucket == bucket_shift(it.b) {
                        it.bucket = 0;
                        it.wrapped = true;
                    }
                    self.cur = Some(bm);
                    bm
                }
            };
            self.mask = visit_mask(&bm.tophash, it.offset, cnt);
        }
    }
}

// The rare steps of mapiternext, out of line so that the common path (golden data in
// `it.buckets`) stays short: only a grow or a mapclear since mapiterinit reaches them.
impl<K: MapKey, V: MapElem, H: MapHasher<K>, R: RandomSource> GoMap<K, V, H, R> {
    /// `t.hasher(k, uintptr(h.hash0))`, for the check bucket test.
    #[cold]
    #[inline(never)]
    fn iter_hash(&self, k: &K) -> u64 {
        self.hasher.hash(k, self.hash0)
    }

    /// `mapaccessK(t, h, k)`, the re-lookup of an entry that may have changed.
    #[cold]
    #[inline(never)]
    fn iter_relookup(&self, k: &K) -> Option<(K, V)> {
        self.mapaccess_k(k)
    }

    /// `(*bmap)(add(h.oldbuckets, oldbucket*uintptr(t.bucketsize)))` with
    /// `oldbucket := bucket & it.h.oldbucketmask()`.
    #[cold]
    #[inline(never)]
    fn iter_oldbucket(&self, bucket: usize) -> BmapPtr {
        let oldbucket = bucket & self.oldbucketmask();
        self.arena
            .bucket(self.oldbuckets.expect("growing"), oldbucket)
    }
}

/// The positions of a bmap that `mapiternext`'s inner loop does not skip straight away
/// (tophash neither empty nor `EVACUATED_EMPTY`), as bits: bit p for the slot at position p
/// of an iteration that starts at slot `offset`, i.e. slot `(p + offset) & (cnt - 1)`.
#[inline]
fn visit_mask(tophash: &[u8; BUCKET_CNT_MAX], offset: usize, cnt: usize) -> u32 {
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HI: u64 = 0x8080_8080_8080_8080;
    /// The high bit of each byte of `y` that is not 0.
    fn nonzero(y: u64) -> u64 {
        (((y & LO7) + LO7) | y) & HI
    }
    const _: () = assert!(EMPTY_REST == 0 && EMPTY_ONE == 1 && EVACUATED_EMPTY == 4);
    let x = u64::from_le_bytes(*tophash);
    // th > EMPTY_ONE (th & !1 != 0) and th != EVACUATED_EMPTY, one byte per slot.
    let visit = nonzero(x & 0xfefe_fefe_fefe_fefe) & nonzero(x ^ 0x0404_0404_0404_0404);
    // Gather the bytes' high bits: bit j for slot j.
    let m = (((visit >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56) as u32;
    let used = (1u32 << cnt) - 1;
    let m = m & used;
    ((m >> offset) | (m << (cnt - offset))) & used
}
