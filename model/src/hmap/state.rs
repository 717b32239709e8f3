//! The state of the `hmap` model: Go 1.19's `hmap`, its bucket arrays, its iterators, and the
//! ghost state the properties read.
//!
//! Layout follows runtime/map.go:
//!
//! ```text
//!  Hmap { count, flags, B, noverflow, hash0, buckets, oldbuckets, nevacuate, prealloc_left }
//!             |                                  |         |
//!             v                                  v         v
//!  arrays: [ BucketArray, BucketArray, ... ]   (an arena: arrays have identity, as pointers
//!             |                                 do in Go; an iterator may keep an array that
//!             v                                 is neither buckets nor oldbuckets any more)
//!  BucketArray = [ chain 0, chain 1, ... chain 2^B-1 ]
//!  chain       = [ main bmap, overflow bmap, overflow bmap, ... ]
//!  Bmap        = { tophash[bucketCnt], keys[bucketCnt], elems[bucketCnt], prealloc_slot }
//! ```
//!
//! A chain holds its overflow bmaps in link order. Go's overflow buckets are either part of
//! the bucket array's allocation (makeBucketArray preallocates some from B = 4) or allocated
//! one by one (newobject); `Bmap::prealloc_slot` says which, since mapclear zeroes the first
//! kind with the array and leaves the second as it was (see `steps::clear`). An iterator's
//! `bptr` ([`Bptr`]) may also stand in a preallocated bucket that no chain links.
//!
//! A [`Bmap`] has `N` slots, a constant of the state's type: specs run with the smallest of
//! 1, 2 and 8 that holds `bucket_cnt` slots ([`slots_for`]; Go's bucketCnt = 8 is the default),
//! so that a scaled-down model's states do not carry Go's eight slots per bucket. Slots past
//! `bucket_cnt` are always zero, and a state hashes and compares as it would with eight
//! slots (see `digest_array`), so `N` changes no count or verdict.

use serde::Serialize;
use smallvec::SmallVec;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub(crate) use crate::framework::digest::mix_words;
use crate::framework::digest::{folded_multiply, mix};

/// Go's bucketCnt: the most slots a bmap can have. Scaled-down models use fewer.
pub const MAX_BUCKET_CNT: usize = 8;

/// The slots a [`Bmap`] holds for a model of `bucket_cnt` slots per bucket: the smallest of
/// 1, 2 and 8 that is at least `bucket_cnt` (the sizes specs are checked with; every spec
/// uses 1, 2 or Go's 8).
pub fn slots_for(bucket_cnt: usize) -> usize {
    match bucket_cnt {
        0 | 1 => 1,
        2 => 2,
        _ => MAX_BUCKET_CNT,
    }
}

/// Evaluates `$body` with `$m` bound to `$model.with_slots::<N>()`, N being the size
/// [`slots_for`] picks for `$bucket_cnt`: the one place that turns that size into a type, for
/// the models (hmap, unsync) that check specs with it.
macro_rules! with_bmap_slots {
    ($bucket_cnt:expr, $model:expr, |$m:ident| $body:expr) => {
        match $crate::hmap::state::slots_for($bucket_cnt) {
            1 => {
                let $m = $model.with_slots::<1>();
                $body
            }
            2 => {
                let $m = $model.with_slots::<2>();
                $body
            }
            _ => {
                let $m = $model.with_slots::<{ $crate::hmap::state::MAX_BUCKET_CNT }>();
                $body
            }
        }
    };
}
pub(crate) use with_bmap_slots;

/// tophash states (runtime/map.go).
pub const EMPTY_REST: u8 = 0; // this cell is empty, and there are no more non-empty cells at higher indexes or overflows
pub const EMPTY_ONE: u8 = 1; // this cell is empty
pub const EVACUATED_X: u8 = 2; // key/elem is valid; entry has been evacuated to first half of larger table
pub const EVACUATED_Y: u8 = 3; // same as above, but evacuated to second half of larger table
pub const EVACUATED_EMPTY: u8 = 4; // cell is empty, bucket is evacuated
pub const MIN_TOP_HASH: u8 = 5; // minimum tophash for a normal filled cell

/// hmap flags (runtime/map.go).
pub const ITERATOR: u8 = 1; // there may be an iterator using buckets
pub const OLD_ITERATOR: u8 = 2; // there may be an iterator using oldbuckets
pub const HASH_WRITING: u8 = 4; // a goroutine is writing to the map
pub const SAME_SIZE_GROW: u8 = 8; // the current map growth is to a new map of the same size

/// `isEmpty` in map.go.
pub fn is_empty(top: u8) -> bool {
    top <= EMPTY_ONE
}

/// `tophash` in map.go: the top byte of the hash, moved above the reserved states.
pub fn tophash(hash: u64) -> u8 {
    let top = (hash >> 56) as u8;
    if top < MIN_TOP_HASH {
        top + MIN_TOP_HASH
    } else {
        top
    }
}

/// One bucket: `bmap` without its overflow pointer (the chain a bmap belongs to holds it),
/// with `N` slots (see the module's header).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Bmap<const N: usize = MAX_BUCKET_CNT> {
    #[serde(with = "slots")]
    pub tophash: [u8; N],
    #[serde(with = "slots")]
    pub keys: [u64; N],
    #[serde(with = "slots")]
    pub elems: [u64; N],
    /// The memory Go's bmap is: `Some(j)` for the preallocated overflow bucket j of its
    /// array (makeBucketArray's bucket 2^B + j, which newoverflow handed out from
    /// `h.extra.nextOverflow`), None for a main bucket or an overflow bucket newoverflow
    /// allocated with newobject. mapclear zeroes the first kind with the array and leaves the
    /// second as it was (see `steps::clear`). Always None below B = 4, where makeBucketArray
    /// preallocates nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prealloc_slot: Option<u16>,
}

/// Serializes a bmap's slot arrays as sequences (serde's array impls are per length, not
/// for every `N`).
mod slots {
    pub fn serialize<S: serde::Serializer, T: serde::Serialize, const N: usize>(
        a: &[T; N],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(a.iter())
    }
}

impl<const N: usize> Default for Bmap<N> {
    fn default() -> Self {
        Self::ZERO
    }
}

impl<const N: usize> Bmap<N> {
    /// A zeroed bmap: what a preallocated overflow bucket holds while newoverflow has not
    /// handed it out since makeBucketArray zeroed it.
    pub const ZERO: Bmap<N> = Bmap {
        tophash: [0; N],
        keys: [0; N],
        elems: [0; N],
        prealloc_slot: None,
    };

    /// `evacuated(b)` in map.go: the first tophash holds an evacuation state.
    pub fn evacuated(&self) -> bool {
        let h = self.tophash[0];
        h > EMPTY_ONE && h < MIN_TOP_HASH
    }
}

/// A main bucket followed by its overflow buckets.
pub type Chain<const N: usize = MAX_BUCKET_CNT> = Vec<Bmap<N>>;

/// A bucket array: 2^B chains (or, for an array holding an overflow tail that outlived a
/// mapclear, one chain), each a main bmap and its overflow bmaps in link order. The bmaps of
/// all chains lie one after the other in one vector, chain 0 first, and `ends[c]` is one past
/// chain c's last bmap. So copying an array (the copy on write of a state's step) is two
/// copies of plain memory, a `Bmap` being `Copy`, with no per-chain work. Chains read as
/// slices: `array[c][d]` is the bmap at depth d of chain c. Equality and hashing are those
/// of the chains.
#[derive(Default, PartialEq, Eq, Hash)]
pub struct BucketArray<const N: usize = MAX_BUCKET_CNT> {
    bmaps: Vec<Bmap<N>>,
    ends: SmallVec<[u32; 8]>,
}

impl<const N: usize> Clone for BucketArray<N> {
    fn clone(&self) -> Self {
        BucketArray {
            bmaps: self.bmaps.clone(),
            ends: SmallVec::from_slice(&self.ends),
        }
    }
    /// Into this array's own storage.
    fn clone_from(&mut self, src: &Self) {
        self.bmaps.clone_from(&src.bmaps);
        self.ends.clear();
        self.ends.extend_from_slice(&src.ends);
    }
}

impl<const N: usize> BucketArray<N> {
    /// `chains` chains of one zeroed bmap each (`newarray`).
    pub fn new(chains: usize) -> Self {
        BucketArray {
            bmaps: vec![Bmap::ZERO; chains],
            ends: (1..=chains as u32).collect(),
        }
    }
    /// An array of the given chains, in order.
    pub fn from_chains<C: AsRef<[Bmap<N>]>>(chains: impl IntoIterator<Item = C>) -> Self {
        let mut a = BucketArray::default();
        for c in chains {
            a.push_chain(c.as_ref());
        }
        a
    }
    /// No chains (keeping the allocations).
    pub fn clear(&mut self) {
        self.bmaps.clear();
        self.ends.clear();
    }
    /// Appends a chain.
    pub fn push_chain(&mut self, chain: &[Bmap<N>]) {
        self.bmaps.extend_from_slice(chain);
        self.ends.push(self.bmaps.len() as u32);
    }
    /// Appends an empty chain, for [`BucketArray::push_to_last_chain`] to fill.
    pub fn push_empty_chain(&mut self) {
        self.ends.push(self.bmaps.len() as u32);
    }
    /// Appends `bm` to the last chain.
    pub fn push_to_last_chain(&mut self, bm: Bmap<N>) {
        self.bmaps.push(bm);
        *self.ends.last_mut().expect("a chain to append to") += 1;
    }
    /// The number of chains.
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    #[inline(always)]
    fn start(&self, c: usize) -> usize {
        if c == 0 {
            0
        } else {
            self.ends[c - 1] as usize
        }
    }
    /// The chains in order.
    pub fn iter(&self) -> Chains<'_, N> {
        Chains {
            bmaps: &self.bmaps,
            ends: self.ends.iter(),
            start: 0,
        }
    }
    /// The chains in order, for writing their bmaps.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut [Bmap<N>]> {
        let mut rest: &mut [Bmap<N>] = &mut self.bmaps;
        let mut start = 0usize;
        self.ends.iter().map(move |&end| {
            let (chain, tail) = std::mem::take(&mut rest).split_at_mut(end as usize - start);
            rest = tail;
            start = end as usize;
            chain
        })
    }
    /// Links `bm` at the end of chain `c` (newoverflow's `b.setoverflow`); returns its depth.
    pub fn push_bmap(&mut self, c: usize, bm: Bmap<N>) -> usize {
        let end = self.ends[c] as usize;
        self.bmaps.insert(end, bm);
        for e in &mut self.ends[c..] {
            *e += 1;
        }
        end - self.start(c)
    }
    /// Chain `c`, if the array has it.
    pub fn get(&self, c: usize) -> Option<&[Bmap<N>]> {
        (c < self.len()).then(|| &self[c])
    }
    /// Unlinks chain `c`'s bmaps from depth `depth` on and returns them.
    pub fn split_chain(&mut self, c: usize, depth: usize) -> Chain<N> {
        let at = self.start(c) + depth;
        let end = self.ends[c] as usize;
        let tail: Chain<N> = self.bmaps.drain(at..end).collect();
        let n = tail.len() as u32;
        for e in &mut self.ends[c..] {
            *e -= n;
        }
        tail
    }
    /// Every chain becomes one zeroed main bmap (makeBucketArray zeroing the array in place:
    /// the overflow bmaps are no longer linked).
    pub fn reset_chains(&mut self) {
        let n = self.len();
        self.bmaps.clear();
        self.bmaps.resize(n, Bmap::ZERO);
        for (c, e) in self.ends.iter_mut().enumerate() {
            *e = c as u32 + 1;
        }
    }
}

impl<const N: usize> std::ops::Index<usize> for BucketArray<N> {
    type Output = [Bmap<N>];
    #[inline(always)]
    fn index(&self, c: usize) -> &[Bmap<N>] {
        &self.bmaps[self.start(c)..self.ends[c] as usize]
    }
}

impl<const N: usize> std::ops::IndexMut<usize> for BucketArray<N> {
    #[inline(always)]
    fn index_mut(&mut self, c: usize) -> &mut [Bmap<N>] {
        let start = self.start(c);
        &mut self.bmaps[start..self.ends[c] as usize]
    }
}

/// The chains of a [`BucketArray`], in order.
pub struct Chains<'a, const N: usize> {
    bmaps: &'a [Bmap<N>],
    ends: std::slice::Iter<'a, u32>,
    start: usize,
}

impl<'a, const N: usize> Iterator for Chains<'a, N> {
    type Item = &'a [Bmap<N>];
    fn next(&mut self) -> Option<&'a [Bmap<N>]> {
        let end = *self.ends.next()? as usize;
        let chain = &self.bmaps[self.start..end];
        self.start = end;
        Some(chain)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ends.size_hint()
    }
}

impl<const N: usize> ExactSizeIterator for Chains<'_, N> {}

impl<'a, const N: usize> IntoIterator for &'a BucketArray<N> {
    type Item = &'a [Bmap<N>];
    type IntoIter = Chains<'a, N>;
    fn into_iter(self) -> Chains<'a, N> {
        self.iter()
    }
}

impl<const N: usize> std::fmt::Debug for BucketArray<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<const N: usize> Serialize for BucketArray<N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// Index of a bucket array in [`HmapState::arrays`].
pub type ArrayId = u8;

/// `hmap` (runtime/map.go). `extra.nextOverflow` is represented by the number of preallocated
/// overflow buckets not yet handed out: it points at h.buckets' preallocated bucket
/// `prealloc_overflow(B) - prealloc_left`, the next one newoverflow hands out.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Hmap {
    /// # live cells == size of map. Must be first (used by len() builtin).
    pub count: usize,
    pub flags: u8,
    /// log_2 of # of buckets (can hold up to loadFactor * 2^B items).
    pub b: u8,
    /// approximate number of overflow buckets; exact while B < 16.
    pub noverflow: u16,
    /// hash seed. In exhaustively checked models it is the index of the hash function in the
    /// model's list of key-to-hash assignments; when replaying a Go trace, Go's own hash0.
    pub hash0: u32,
    /// array of 2^B buckets; None while nil (B == 0 maps allocate on first assign).
    pub buckets: Option<ArrayId>,
    /// previous bucket array of half the size (or the same size for a same-size grow),
    /// non-nil only when growing.
    pub oldbuckets: Option<ArrayId>,
    /// progress counter for evacuation (buckets less than this have been evacuated).
    pub nevacuate: usize,
    /// preallocated overflow buckets of the current array not yet used by newoverflow.
    pub prealloc_left: usize,
    /// `h.clearSeq` (Go 1.24+): mapclear calls that found the map non-empty. Always 0 for
    /// earlier releases, which have no such field.
    #[serde(skip_serializing_if = "is_zero")]
    pub clear_seq: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Hmap {
    /// `h.growing()`.
    pub fn growing(&self) -> bool {
        self.oldbuckets.is_some()
    }
    pub fn same_size_grow(&self) -> bool {
        self.flags & SAME_SIZE_GROW != 0
    }
    /// `h.noldbuckets()`: the number of buckets before the current grow.
    pub fn noldbuckets(&self) -> usize {
        let mut old_b = self.b;
        if !self.same_size_grow() {
            old_b -= 1;
        }
        1usize << old_b
    }
    /// `h.oldbucketmask()`.
    pub fn oldbucketmask(&self) -> usize {
        self.noldbuckets() - 1
    }
}

/// A bmap linked into a chain of some array.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct BucketPtr {
    pub array: ArrayId,
    pub chain: u16,
    /// 0 is the main bucket, 1 its first overflow bucket, and so on.
    pub depth: u8,
}

/// Where an iterator's `it.bptr` points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Bptr {
    /// A bmap linked into a chain.
    Bmap(BucketPtr),
    /// The preallocated overflow bucket `slot` of `array` (its bucket 2^B + slot) while it
    /// is linked into no chain: mapclear's makeBucketArray zeroed it and newoverflow has not
    /// handed it out since. It holds zeroes; its overflow pointer is nil, except for the last
    /// preallocated bucket's, makeBucketArray's sentinel: the array's bucket 0. An iterator
    /// gets here only by standing in the bucket at a mapclear; when newoverflow hands the
    /// bucket out again, the pointer becomes that chain's [`Bptr::Bmap`] (one representation
    /// per Go state).
    FreeOverflow { array: ArrayId, slot: u16 },
}

impl Bptr {
    /// The bucket array the bmap belongs to.
    pub fn array(&self) -> ArrayId {
        match *self {
            Bptr::Bmap(p) => p.array,
            Bptr::FreeOverflow { array, .. } => array,
        }
    }
    /// Sets the bucket array (the arena's renumbering).
    pub fn set_array(&mut self, id: ArrayId) {
        match self {
            Bptr::Bmap(p) => p.array = id,
            Bptr::FreeOverflow { array, .. } => *array = id,
        }
    }
}

/// `hiter` (runtime/map.go), less the fields that only serve the GC.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Hiter {
    /// The iterator's name in actions (`mapiternext(it0)`): its order of creation.
    pub id: u8,
    /// bucket array at mapiterinit time.
    pub buckets: ArrayId,
    /// current bucket (None = nil).
    pub bptr: Option<Bptr>,
    /// `it.B`: h.B at mapiterinit time.
    pub b: u8,
    /// bucket iteration started at.
    pub start_bucket: u16,
    /// intra-bucket offset to start from during iteration.
    pub offset: u8,
    /// already wrapped around from end of bucket array to beginning.
    pub wrapped: bool,
    pub bucket: u16,
    pub i: u8,
    /// `it.checkBucket`; None is noCheck.
    pub check_bucket: Option<u16>,
    /// `it.clearSeq`: h.clearSeq at mapiterinit (Go 1.24+; 0 before).
    #[serde(skip_serializing_if = "is_zero")]
    pub clear_seq: u64,
    /// Ghost: what the iteration has done so far (see [`IterGhost`]).
    pub ghost: IterGhost,
}

impl Hiter {
    /// Folds every field of the iterator into the running digest `d` (what the state's
    /// fingerprint does for each of its iterators, and the unsync model's symmetry key for
    /// a goroutine's range loop).
    pub fn mix_into(&self, mut d: u64) -> u64 {
        // Every field named, so that a field added to the iterator cannot be left out here.
        let Hiter {
            id,
            buckets,
            bptr,
            b,
            start_bucket,
            offset,
            wrapped,
            bucket,
            i,
            check_bucket,
            clear_seq,
            ghost:
                IterGhost {
                    yielded,
                    yielded_live,
                    stable,
                },
        } = *self;
        let bptr = match bptr {
            None => 0,
            Some(Bptr::Bmap(p)) => {
                1 | u64::from(p.array) << 8 | u64::from(p.chain) << 16 | u64::from(p.depth) << 32
            }
            Some(Bptr::FreeOverflow { array, slot }) => {
                2 | u64::from(array) << 8 | u64::from(slot) << 16
            }
        };
        d = mix(
            d,
            u64::from(id)
                | u64::from(buckets) << 8
                | u64::from(b) << 16
                | u64::from(offset) << 24
                | u64::from(wrapped) << 32
                | u64::from(i) << 40,
            u64::from(start_bucket) | u64::from(bucket) << 16 | opt_code(check_bucket) << 32,
        );
        d = mix(d, bptr, clear_seq);
        d = mix(d, yielded, yielded_live);
        mix(d, stable, 0)
    }
}

/// Ghost state of one iterator (framework::iter_ghost, shared with the other map model).
pub use crate::framework::iter_ghost::IterGhost;

/// Ghost state: what the properties need beyond Go's own fields. Fields are only kept when a
/// selected property reads them, so that they do not multiply the state space needlessly.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Default)]
pub struct Ghost {
    /// The plain abstract map the hmap must agree with: elem of key k at index k (0 = absent).
    pub abs: Vec<u64>,
    /// Properties violated by the last transition (bit = index in `PROPERTIES`). Reset by
    /// every transition, so a violation only marks the state right after it.
    pub violations: u64,
    /// Events of the last transition (EV_* bits), for `sometimes` properties.
    pub events: u32,
    /// growWork calls since the current grow started.
    pub grow_works: u32,
}

/// The bucket arrays of a state, each shared between the states that have it unchanged:
/// cloning a state copies one pointer per array, and writing to an array (`IndexMut`) copies
/// that array first if another state shares it. Equality is that of the contents. Hashing
/// feeds one 64-bit digest per array (a folded-multiply hash of its contents, computed once per array
/// version and kept with it once [`Arena::seal`] has run), so fingerprinting a state rehashes
/// only the arrays its last step wrote.
///
/// Writing an array that other states share costs one atomic read-modify-write of its count
/// (the release of this arena's reference); every other write costs none. The arena keeps
/// which arrays it holds alone (`Owned`) and its spare arrays (`Spare`), both known to be
/// unique without asking their counts, and writes them through `unique_mut`.
#[derive(PartialEq, Eq)]
pub struct Arena<const N: usize = MAX_BUCKET_CNT>(Vec<Arc<ArrayNode<N>>>, Spare<N>, Owned);

impl<const N: usize> Default for Arena<N> {
    fn default() -> Self {
        Arena(Vec::new(), Spare::default(), Owned::default())
    }
}

impl<const N: usize> Clone for Arena<N> {
    /// Shares every array with `self`, which therefore no longer holds any alone.
    fn clone(&self) -> Self {
        self.2.forget_all();
        Arena(self.0.clone(), Spare::default(), Owned::default())
    }
}

/// The contents of `a`, for writing, without the atomic test of its counts that
/// `Arc::get_mut` makes.
///
/// # Safety
/// `a` must be the only reference to its allocation: no other `Arc` (strong count 1) and no
/// `Weak` (none is ever made of an [`ArrayNode`]).
unsafe fn unique_mut<T>(a: &mut Arc<T>) -> &mut T {
    // SAFETY: the caller's promise, and `&mut a` excludes any other use of this `Arc` while
    // the result lives.
    unsafe { &mut *Arc::as_ptr(a).cast_mut() }
}

/// Arrays a state stepped in place (see [`Arena::copy_from`]) no longer holds, that no other
/// state holds either: the next copy on write copies into one of them instead of a new
/// allocation. Not part of the state: a clone has none, and equality and hashing ignore them.
///
/// Invariant: each is the only reference to its node. An array becomes a spare only when
/// [`Owned`] marks it or its count says so, a spare is never cloned, and it leaves only to
/// take the place of an array in its arena (which then marks it owned).
#[derive(Default)]
struct Spare<const N: usize>(Vec<Arc<ArrayNode<N>>>);

/// Which of an arena's arrays it holds alone: bit i set means that array i's `Arc` is the
/// only reference to its node. Arrays 64 and up are never marked (their writes test the count,
/// as `Arc::make_mut` does).
///
/// Set where the arena made the `Arc` or made it unique: [`Arena::push`], a copy on write, a
/// count found to be 1. Every other way to reach a node goes through a clone of the `Arc`, and
/// the two places that clone an arena's `Arc`s, `Clone` and [`Arena::copy_from`], first clear
/// all of the source's bits. They hold the source by shared reference, hence an atomic; a
/// relaxed access is enough, since whoever next holds that arena by `&mut` got it through
/// synchronisation that orders the clone before. Not part of the state: equality and hashing
/// ignore it, and a clone starts with none.
#[derive(Default)]
struct Owned(AtomicU64);

impl Owned {
    fn has(&self, i: usize) -> bool {
        i < 64 && (self.0.load(Ordering::Relaxed) >> i) & 1 != 0
    }
    fn set(&mut self, i: usize) {
        if i < 64 {
            *self.0.get_mut() |= 1 << i;
        }
    }
    /// Forgets the marks of arrays `n` and up (arrays that leave the arena).
    fn keep_below(&mut self, n: usize) {
        if n < 64 {
            *self.0.get_mut() &= (1 << n) - 1;
        }
    }
    fn clear(&mut self) {
        *self.0.get_mut() = 0;
    }
    /// Before the source's `Arc`s are cloned: it holds none alone any more. Writes only when
    /// a bit is set, so that clones of a state that has none write nothing shared.
    fn forget_all(&self) {
        if self.0.load(Ordering::Relaxed) != 0 {
            self.0.store(0, Ordering::Relaxed);
        }
    }
}

impl PartialEq for Owned {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Owned {}

/// The most spare arrays an arena keeps (a step writes one or two arrays).
const MAX_SPARE: usize = 4;

impl<const N: usize> Spare<N> {
    /// Keeps `n`, an array leaving its arena, if there is room and it is unique: `marked`
    /// (its arena's [`Owned`] mark) says so, or its count does. Otherwise it is dropped.
    fn keep(&mut self, marked: bool, mut n: Arc<ArrayNode<N>>) {
        // A table's node (`interned`) is never unique: its table holds it.
        if self.0.len() < MAX_SPARE
            && (marked || (n.interned.is_none() && Arc::get_mut(&mut n).is_some()))
        {
            self.0.push(n);
        }
    }
}

impl<const N: usize> Clone for Spare<N> {
    fn clone(&self) -> Self {
        Spare::default()
    }
}

impl<const N: usize> PartialEq for Spare<N> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<const N: usize> Eq for Spare<N> {}

/// One shared bucket array and the digest of its contents, once computed.
#[derive(Clone)]
pub struct ArrayNode<const N: usize = MAX_BUCKET_CNT> {
    /// The digest of `array`, when known (None after a write, until [`Arena::seal`]).
    pub(crate) digest: Option<u64>,
    /// The node's number in a model's table of arrays (see `hmap::intern`), when it is the
    /// table's own node: the table holds a reference to it for as long as it lives, so no
    /// state ever writes it in place (a write copies it first, and the copy has none).
    pub(crate) interned: Option<u32>,
    pub(crate) array: BucketArray<N>,
}

impl<const N: usize> ArrayNode<N> {
    /// The digest of the array's contents (kept, or computed).
    pub(crate) fn digest(&self) -> u64 {
        self.digest.unwrap_or_else(|| digest_array(&self.array))
    }
    /// The array, for writing: its digest unknown until sealed, and no table's number (a
    /// table's node is never held alone, so a node written is a copy or one of its own).
    fn for_write(&mut self) -> &mut BucketArray<N> {
        self.digest = None;
        self.interned = None;
        &mut self.array
    }
}

/// A digest of an array's contents (chain lengths, every tophash, key and elem slot, which
/// overflow bmaps are preallocated): deterministic, the same in every thread and run. A bmap
/// costs one multiply for its tophash word and whether it is preallocated (and, for a chain's
/// first bmap, the chain's length), and one per slot it uses: a slot whose key and elem are
/// both zero adds nothing, and every other slot is mixed in with its index, so a scaled-down
/// bmap (slots past `bucket_cnt` are always zero) costs no more. The tophash word is that of
/// eight slots whatever `N` is, so a state's digest does not depend on `N`.
fn digest_array<const N: usize>(a: &BucketArray<N>) -> u64 {
    let mut h = mix(0x243f_6a88_85a3_08d3, a.len() as u64, 0);
    for chain in a {
        // A chain's length goes in with its first bmap (an empty chain, which no step makes,
        // in a word of its own).
        let mut first = (chain.len() as u64) << 32 | 1 << 63;
        if chain.is_empty() {
            h = mix(h, 0, first);
        }
        for bm in chain {
            let pre = bm.prealloc_slot.map_or(0, |slot| u64::from(slot) + 1);
            let mut top = [0u8; MAX_BUCKET_CNT];
            top[..N].copy_from_slice(&bm.tophash);
            h = mix(h, u64::from_le_bytes(top), pre | first);
            first = 0;
            for ((&k, &e), &salt) in bm.keys.iter().zip(&bm.elems).zip(&SLOT_SALT) {
                if k | e != 0 {
                    h = mix(h ^ salt, k, e);
                }
            }
        }
    }
    folded_multiply(h, 0x2d35_8dcc_aa6c_78a5) ^ h
}

/// What [`digest_array`] mixes into the running digest before slot i's key and elem.
const SLOT_SALT: [u64; MAX_BUCKET_CNT] = [
    0x9e37_79b9_7f4a_7c15,
    0x3c6e_f372_fe94_f82a,
    0xdaa6_6d2c_7ddf_743f,
    0x78dd_e6e5_fd29_f054,
    0x1715_609f_7c74_6c69,
    0xb54c_da59_fbbe_e87e,
    0x5384_5413_7b09_6493,
    0xf1bb_cdcd_fa53_e0a8,
];

/// `Option<u8>`/`Option<u16>` as one small integer: 0 for None, the value + 1 otherwise.
fn opt_code<T: Into<u64> + Copy>(o: Option<T>) -> u64 {
    o.map_or(0, |v| v.into() + 1)
}

impl<const N: usize> PartialEq for ArrayNode<N> {
    fn eq(&self, other: &Self) -> bool {
        self.array == other.array
    }
}

impl<const N: usize> Eq for ArrayNode<N> {}

impl<const N: usize> std::hash::Hash for Arena<N> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_usize(self.0.len());
        for n in &self.0 {
            state.write_u64(n.digest());
        }
    }
}

impl<const N: usize> Arena<N> {
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn push(&mut self, a: BucketArray<N>) {
        self.0.push(Arc::new(ArrayNode {
            digest: None,
            interned: None,
            array: a,
        }));
        self.2.set(self.0.len() - 1);
    }
    /// Node `i` for writing, if this arena holds it alone (which it then remembers).
    fn node_mut(&mut self, i: usize) -> Option<&mut ArrayNode<N>> {
        if self.2.has(i) {
            // SAFETY: `Owned` marks array i: its `Arc` is the only reference to the node.
            return Some(unsafe { unique_mut(&mut self.0[i]) });
        }
        let node = Arc::get_mut(&mut self.0[i])?;
        self.2.set(i);
        Some(node)
    }
    pub fn iter(&self) -> impl Iterator<Item = &BucketArray<N>> {
        self.0.iter().map(|n| &n.array)
    }
    /// Computes the digests of the arrays written since the last seal (that only this state
    /// holds), so that hashing this state and its successors does not recompute them.
    pub fn seal(&mut self) {
        for i in 0..self.0.len() {
            if self.0[i].digest.is_none() {
                if let Some(n) = self.node_mut(i) {
                    n.digest = Some(digest_array(&n.array));
                }
            }
        }
    }
    /// The digest of array `i`'s contents (kept since the last seal, or computed).
    pub fn digest_of(&self, i: usize) -> u64 {
        self.0[i].digest()
    }
    /// Makes this arena equal to `src`, sharing its arrays as a clone does. The arrays only
    /// this arena held (those the last step wrote, when a search steps one state per thread
    /// in place) are kept as spares rather than freed: the next copy on write reuses them.
    ///
    /// An array this arena already shares with `src` at the same index (every array the last
    /// step did not write, when the search steps the same state again) is left as it is, so
    /// that its reference count is not written twice for nothing.
    ///
    /// Every array is then shared with `src`: a write copies it (into a spare) without asking
    /// its count first.
    pub fn copy_from(&mut self, src: &Arena<N>) {
        let Arena(mine, spare, owned) = self;
        src.2.forget_all();
        let common = mine.len().min(src.0.len());
        for (i, (m, s)) in mine.iter_mut().zip(&src.0).enumerate() {
            if !Arc::ptr_eq(m, s) {
                spare.keep(owned.has(i), std::mem::replace(m, Arc::clone(s)));
            }
        }
        for (i, n) in mine.drain(common..).enumerate() {
            spare.keep(owned.has(common + i), n);
        }
        mine.extend(src.0[common..].iter().cloned());
        owned.clear();
    }
    /// Gives up arrays `n` and up: those this arena held alone become spares (up to the most
    /// it keeps), the others are released to the states that share them; their marks go
    /// with them.
    fn release_from(&mut self, n: usize) {
        let Arena(mine, spare, owned) = self;
        for (i, a) in mine.drain(n.min(mine.len())..).enumerate() {
            spare.keep(owned.has(n + i), a);
        }
        owned.keep_below(n);
    }
    /// Array `i`'s node.
    pub(crate) fn node(&self, i: usize) -> &Arc<ArrayNode<N>> {
        &self.0[i]
    }
    /// Gives up every array: those this arena held alone become spares (up to the most it
    /// keeps), the others are released to the states that share them. What a state decoded
    /// per thread asks of the state stepped from it before it is decoded again, and what that
    /// state does before it is decoded into: then `Arena::push_shared` and
    /// `Arena::push_own` give it the decoded state's arrays, in order (hmap::packed).
    pub fn release(&mut self) {
        self.release_from(0);
    }
    /// Appends `node`, shared with whoever else holds it (an array of a model's table, see
    /// `hmap::intern`).
    pub(crate) fn push_shared(&mut self, node: &Arc<ArrayNode<N>>) {
        self.0.push(Arc::clone(node));
    }
    /// Appends an empty array of this arena's own, in a spare's allocation where it has one,
    /// for the caller to fill; its digest is unknown until sealed.
    pub(crate) fn push_own(&mut self) -> &mut BucketArray<N> {
        let node = self.1 .0.pop().unwrap_or_else(|| {
            Arc::new(ArrayNode {
                digest: None,
                interned: None,
                array: BucketArray::default(),
            })
        });
        self.0.push(node);
        let i = self.0.len() - 1;
        self.2.set(i);
        // SAFETY: a spare (the only reference to its node, see `Spare`) or a new node.
        let a = unsafe { unique_mut(&mut self.0[i]) }.for_write();
        a.clear();
        a
    }
    /// How many spare arrays this arena keeps.
    #[cfg(test)]
    pub(crate) fn spares(&self) -> usize {
        self.1 .0.len()
    }
    /// Keeps the arrays `order` names, in that order, without copying any.
    pub fn reorder(&mut self, order: &[ArrayId]) {
        // In place, by swaps: `at[j]` is the old id of the array now at j, `pos[id]` where
        // the array of old id `id` now is. (A hashGrow step ends here, a third of the steps
        // of some specs: the tables are on the stack for up to 16 arrays.)
        let n = self.0.len();
        let (mut small, mut heap) = ([0 as ArrayId; 32], Vec::new());
        let tables: &mut [ArrayId] = if 2 * n <= small.len() {
            &mut small[..2 * n]
        } else {
            heap.resize(2 * n, 0);
            &mut heap
        };
        let (at, pos) = tables.split_at_mut(n);
        for (j, (a, p)) in at.iter_mut().zip(pos.iter_mut()).enumerate() {
            (*a, *p) = (j as ArrayId, j as ArrayId);
        }
        let mut owned = Owned::default();
        for (i, &id) in order.iter().enumerate() {
            let j = pos[id as usize] as usize;
            self.0.swap(i, j);
            let moved = at[i];
            at.swap(i, j);
            pos[id as usize] = i as ArrayId;
            pos[moved as usize] = j as ArrayId;
            if self.2.has(id as usize) {
                owned.set(i);
            }
        }
        self.0.truncate(order.len());
        self.2 = owned;
    }
}

impl<const N: usize> std::ops::Index<usize> for Arena<N> {
    type Output = BucketArray<N>;
    #[inline(always)]
    fn index(&self, i: usize) -> &BucketArray<N> {
        &self.0[i].array
    }
}

impl<const N: usize> Arena<N> {
    /// Makes array `i` this arena's alone (`IndexMut`'s copy on write, out of the steps'
    /// loops): copied into a spare, or as `make_mut` does. Arrays 64 and up, which `Owned`
    /// cannot mark, return false when there is no spare: `IndexMut` copies them with
    /// `make_mut` at every write.
    #[cold]
    #[inline(never)]
    fn own(&mut self, i: usize) -> bool {
        match self.1 .0.pop() {
            // Not held alone as far as the arena knows: copied into a spare array. (An arena
            // with spares has stepped in place from a state it shares every array with, see
            // `copy_from`; if that state is gone since, the copy was not needed, and the
            // array is freed here instead of written.)
            Some(mut spare) => {
                // SAFETY: a spare is the only reference to its node (see `Spare`).
                let n = unsafe { unique_mut(&mut spare) };
                n.array.clone_from(&self.0[i].array);
                self.0[i] = spare;
            }
            // None: copied if shared, as `make_mut` does.
            None => {
                if i >= 64 {
                    return false;
                }
                Arc::make_mut(&mut self.0[i]);
            }
        }
        self.2.set(i);
        true
    }
}

impl<const N: usize> std::ops::IndexMut<usize> for Arena<N> {
    #[inline(always)]
    fn index_mut(&mut self, i: usize) -> &mut BucketArray<N> {
        if !self.2.has(i) && !self.own(i) {
            // Array 64 and up with no spare: copied if shared, and never marked.
            return Arc::make_mut(&mut self.0[i]).for_write();
        }
        // SAFETY: `Owned` marks array i (`own` made it unique, or it already was): its `Arc`
        // is the only reference to the node.
        unsafe { unique_mut(&mut self.0[i]) }.for_write()
    }
}

impl<const N: usize> FromIterator<BucketArray<N>> for Arena<N> {
    fn from_iter<I: IntoIterator<Item = BucketArray<N>>>(it: I) -> Self {
        let mut a = Arena::default();
        for x in it {
            a.push(x);
        }
        a
    }
}

impl<const N: usize> std::fmt::Debug for Arena<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<const N: usize> Serialize for Arena<N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// A hash function, key -> hash: a map shared by every state that has it, so that cloning a
/// state does not copy it. Reads go through `Deref` to the map; [`HashFn::insert`] copies it
/// first. Equality is that of the map's contents; hashing feeds one word, a digest of the
/// contents kept up to date by `insert` (a sum over the entries, so that an insert updates it
/// without rereading the map).
///
/// A model's own hash functions are interned ([`HashFn::interned`]): kept for the life of the
/// process, once per content, so that cloning and dropping a state copies a pointer and
/// writes no reference count. Every state of a search holds one of a few such functions; a
/// shared count would be written by every clone and drop on every checker thread, and the
/// cache line holding it would move between the cores at each (measured: half of the state's
/// drop time with two threads). A function made by [`HashFn::from`] or changed by `insert`
/// (the traces' functions) is reference-counted and freed with its last state.
#[derive(Clone)]
pub struct HashFn(FnRef);

#[derive(Clone)]
enum FnRef {
    Interned(&'static HashFnInner),
    Counted(Arc<HashFnInner>),
}

#[derive(Clone, Default)]
struct HashFnInner {
    map: BTreeMap<u64, u64>,
    digest: u64,
}

impl Default for HashFn {
    fn default() -> Self {
        HashFn::from(BTreeMap::new())
    }
}

/// The interned hash functions, one per content (see [`HashFn::interned`]).
static INTERNED_FNS: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<BTreeMap<u64, u64>, &'static HashFnInner>>,
> = std::sync::LazyLock::new(Default::default);

/// One entry's share of a [`HashFn`]'s digest.
fn entry_digest(k: u64, v: u64) -> u64 {
    let h = mix(0x452821e6_38d01377, k, v);
    folded_multiply(h, 0x2d35_8dcc_aa6c_78a5) ^ h
}

impl HashFn {
    fn inner(&self) -> &HashFnInner {
        match &self.0 {
            FnRef::Interned(i) => i,
            FnRef::Counted(a) => a,
        }
    }

    /// The hash function `map`, interned: the same `&'static` function for every call with
    /// the same contents, never freed. For the functions a model enumerates (a bounded set,
    /// held by the model anyway), not for ones that grow with an input.
    pub fn interned(map: BTreeMap<u64, u64>) -> HashFn {
        let mut fns = INTERNED_FNS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&i) = fns.get(&map) {
            return HashFn(FnRef::Interned(i));
        }
        let digest = map_digest(&map);
        let i: &'static HashFnInner = Box::leak(Box::new(HashFnInner {
            map: map.clone(),
            digest,
        }));
        fns.insert(map, i);
        HashFn(FnRef::Interned(i))
    }

    /// Sets the hash of `key`, returning the previous one (as `BTreeMap::insert`).
    pub fn insert(&mut self, key: u64, hash: u64) -> Option<u64> {
        if let FnRef::Interned(i) = self.0 {
            self.0 = FnRef::Counted(Arc::new(i.clone()));
        }
        let FnRef::Counted(a) = &mut self.0 else {
            unreachable!("made counted above")
        };
        let inner = Arc::make_mut(a);
        let old = inner.map.insert(key, hash);
        if let Some(o) = old {
            inner.digest = inner.digest.wrapping_sub(entry_digest(key, o));
        }
        inner.digest = inner.digest.wrapping_add(entry_digest(key, hash));
        old
    }

    /// The digest hashing feeds for this function.
    fn digest(&self) -> u64 {
        self.inner().digest
    }

    fn same(&self, other: &HashFn) -> bool {
        std::ptr::eq(self.inner(), other.inner())
    }
}

/// The sum of the entries' digests (what `insert` keeps up to date).
fn map_digest(map: &BTreeMap<u64, u64>) -> u64 {
    map.iter()
        .fold(0u64, |d, (&k, &v)| d.wrapping_add(entry_digest(k, v)))
}

impl PartialEq for HashFn {
    fn eq(&self, other: &Self) -> bool {
        self.same(other) || (self.digest() == other.digest() && **self == **other)
    }
}

impl Eq for HashFn {}

impl std::hash::Hash for HashFn {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.digest());
    }
}

impl std::ops::Deref for HashFn {
    type Target = BTreeMap<u64, u64>;
    fn deref(&self) -> &BTreeMap<u64, u64> {
        &self.inner().map
    }
}

impl From<BTreeMap<u64, u64>> for HashFn {
    fn from(map: BTreeMap<u64, u64>) -> Self {
        let digest = map_digest(&map);
        HashFn(FnRef::Counted(Arc::new(HashFnInner { map, digest })))
    }
}

impl PartialEq<BTreeMap<u64, u64>> for HashFn {
    fn eq(&self, other: &BTreeMap<u64, u64>) -> bool {
        **self == *other
    }
}

impl std::fmt::Debug for HashFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl Serialize for HashFn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

/// What key-symmetry reduction needs to rename keys (see `super::symmetry`): every hash
/// function by the hashes of keys 1..=n in order, with its hash0. Shared by all states of a
/// model; not part of a state's identity (equal, hashed as nothing). None: no reduction.
/// Interned, as a model's hash functions are ([`HashFn::interned`], and for the same reason:
/// every state holds it, so a reference count in it would be written by every clone and drop
/// on every thread); `super::symmetry::key_symmetry_ctx` makes one per model's assignments.
#[derive(Clone, Copy, Default)]
pub struct SymCtx(pub Option<&'static KeySymmetry>);

/// See [`SymCtx`].
pub struct KeySymmetry {
    pub index: std::collections::HashMap<Vec<u64>, u32>,
    pub hash_fns: Vec<HashFn>,
    /// The renaming of each hash function of `hash_fns` into hash order (None: in order).
    pub renamings: Vec<Option<super::symmetry::KeyRenaming>>,
}

impl PartialEq for SymCtx {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for SymCtx {}
impl std::hash::Hash for SymCtx {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

/// The whole model state. Its `Debug` (in render.rs) is the readable text of `debug_text`
/// (the explorer shows states by their `{:#?}`).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct HmapState<const N: usize = MAX_BUCKET_CNT> {
    pub h: Hmap,
    /// The bucket arrays, each shared between the states that have it unchanged (a state's
    /// clone copies pointers; a write copies the one array it changes, see
    /// [`HmapState::array_mut`]).
    pub arrays: Arena<N>,
    pub iters: Vec<Hiter>,
    /// The hash function of the current hash0: key -> hash. Shared between states (a clone
    /// is a reference count), copied on write.
    pub hashes: HashFn,
    /// Go operations performed so far.
    pub ops: u8,
    /// Iterators created so far (names the next one).
    pub next_iter_id: u8,
    pub ghost: Ghost,
    /// Key symmetry (not part of the state's identity).
    #[serde(skip)]
    pub sym: SymCtx,
}

/// The state's fingerprint input: every field `PartialEq` compares, small ones packed into
/// words, folded into one digest with `mix` (two words per multiply) and written as one
/// `u64`, instead of one hasher call per field.
impl<const N: usize> std::hash::Hash for HmapState<N> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let m = &self.h;
        let mut d = mix(0x1319_8a2e_0370_7344, m.count as u64, m.nevacuate as u64);
        d = mix(
            d,
            u64::from(m.flags)
                | u64::from(m.b) << 8
                | u64::from(m.noverflow) << 16
                | u64::from(m.hash0) << 32,
            opt_code(m.buckets)
                | opt_code(m.oldbuckets) << 16
                | u64::from(self.ops) << 32
                | u64::from(self.next_iter_id) << 40,
        );
        d = mix(d, m.prealloc_left as u64, m.clear_seq);
        d = mix(d, self.arrays.len() as u64, self.hashes.digest());
        for n in &self.arrays.0 {
            d = mix(d, n.digest(), 0);
        }
        let g = &self.ghost;
        d = mix(
            d,
            g.violations,
            u64::from(g.events) | u64::from(g.grow_works) << 32,
        );
        d = mix(d, g.abs.len() as u64, self.iters.len() as u64);
        d = mix_words(d, &g.abs);
        for it in &self.iters {
            d = it.mix_into(d);
        }
        state.write_u64(folded_multiply(d, 0x2d35_8dcc_aa6c_78a5) ^ d);
    }
}

impl<const N: usize> HmapState<N> {
    /// A map no operation has touched (`makemap` before it sizes the buckets): no bucket
    /// arrays, every header field zero but `hash0`, and `hashes` its hash function.
    pub fn empty(hash0: u32, hashes: HashFn) -> Self {
        HmapState {
            h: Hmap {
                count: 0,
                flags: 0,
                b: 0,
                noverflow: 0,
                hash0,
                buckets: None,
                oldbuckets: None,
                nevacuate: 0,
                prealloc_left: 0,
                clear_seq: 0,
            },
            arrays: Arena::default(),
            iters: Vec::new(),
            hashes,
            ops: 0,
            next_iter_id: 0,
            ghost: Ghost::default(),
            sym: SymCtx::default(),
        }
    }
    /// Makes this state equal to `src`, reusing this state's allocations (its arena's, its
    /// iterators' and its abstract map's vectors; arrays are shared with `src`, as a clone
    /// shares them, and the arrays only this state held are kept for the next copy on write,
    /// see [`Arena::copy_from`]): what a search that steps one scratch state per successor,
    /// instead of a fresh clone, does before each step.
    pub fn copy_from(&mut self, src: &HmapState<N>) {
        // Every field named, so that a field added to the state cannot be left out here.
        let HmapState {
            h,
            arrays,
            iters,
            hashes,
            ops,
            next_iter_id,
            ghost,
            sym,
        } = src;
        let Ghost {
            abs,
            violations,
            events,
            grow_works,
        } = ghost;
        self.h.clone_from(h);
        self.arrays.copy_from(arrays);
        self.iters.clone_from(iters);
        self.hashes.clone_from(hashes);
        self.ops = *ops;
        self.next_iter_id = *next_iter_id;
        self.ghost.abs.clone_from(abs);
        self.ghost.violations = *violations;
        self.ghost.events = *events;
        self.ghost.grow_works = *grow_works;
        self.sym.clone_from(sym);
    }
    pub fn array(&self, id: ArrayId) -> &BucketArray<N> {
        &self.arrays[id as usize]
    }
    /// The array `id` for writing: copied first if another state shares it.
    pub fn array_mut(&mut self, id: ArrayId) -> &mut BucketArray<N> {
        &mut self.arrays[id as usize]
    }
    pub fn buckets(&self) -> Option<&BucketArray<N>> {
        self.h.buckets.map(|id| self.array(id))
    }
    pub fn oldbuckets(&self) -> Option<&BucketArray<N>> {
        self.h.oldbuckets.map(|id| self.array(id))
    }
    pub fn bmap(&self, p: BucketPtr) -> &Bmap<N> {
        &self.arrays[p.array as usize][p.chain as usize][p.depth as usize]
    }
}

/// One step of the model: a Go operation on the map.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum HmapAction {
    /// `m[key] = elem` (mapassign_fast64).
    Assign { key: u64, elem: u64 },
    /// `delete(m, key)` (mapdelete_fast64). `reseed` is the hash0 drawn by fastrand if the
    /// delete brings count to 0 (Go reseeds then); the model explores every choice.
    Delete { key: u64, reseed: Option<u32> },
    /// `clear(m)`, or Go 1.19's range-delete idiom `for k := range m { delete(m, k) }`
    /// (mapclear). `reseed` is the hash0 fastrand draws when the map is non-empty (None when
    /// it is empty: mapclear returns at once); the model explores every choice.
    Clear { reseed: Option<u32> },
    /// `v, ok := m[key]` (mapaccess2_fast64).
    Access { key: u64 },
    /// `for k, v := range m` starts: mapiterinit with fastrand's start bucket and offset
    /// (it runs the first mapiternext itself).
    IterInit { start_bucket: u16, offset: u8 },
    /// The next round of a range loop: mapiternext on the iterator with this id.
    IterNext { iter: u8 },
}

impl std::fmt::Display for HmapAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HmapAction::Assign { key, elem } => write!(f, "mapassign(k{key}, v{elem})"),
            HmapAction::Delete { key, reseed: None } => write!(f, "mapdelete(k{key})"),
            HmapAction::Delete {
                key,
                reseed: Some(h),
            } => write!(f, "mapdelete(k{key}) [count 0: hash0 := {h}]"),
            HmapAction::Clear { reseed: None } => write!(f, "mapclear"),
            HmapAction::Clear { reseed: Some(h) } => write!(f, "mapclear [hash0 := {h}]"),
            HmapAction::Access { key } => write!(f, "mapaccess2(k{key})"),
            HmapAction::IterInit {
                start_bucket,
                offset,
            } => write!(
                f,
                "mapiterinit(startBucket={start_bucket}, offset={offset})"
            ),
            HmapAction::IterNext { iter } => write!(f, "mapiternext(it{iter})"),
        }
    }
}

/// What an operation returned to the Go program.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Outcome {
    None,
    /// mapaccess2's (elem, ok).
    Access {
        elem: u64,
        found: bool,
    },
    /// A range loop round: the iterator id and (key, elem), or None when it is done.
    Yield {
        iter: u8,
        kv: Option<(u64, u64)>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model's hash functions are interned: one `&'static` function per content, shared
    /// by clones without a reference count; `insert` leaves the interned one as it was, and
    /// equality and hashing do not depend on how a function is held.
    #[test]
    fn interned_hash_functions_are_shared_and_copied_on_write() {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let fp = |f: &HashFn| BuildHasherDefault::<DefaultHasher>::default().hash_one(f);
        let map = BTreeMap::from([(1u64, 0xabu64 << 56), (2, 0xcd << 56 | 1)]);
        let a = HashFn::interned(map.clone());
        let b = HashFn::interned(map.clone());
        assert!(matches!(a.0, FnRef::Interned(_)));
        assert!(a.same(&b) && a.same(&a.clone()), "one function per content");
        let counted = HashFn::from(map.clone());
        assert!(matches!(counted.0, FnRef::Counted(_)));
        assert!(!counted.same(&a));
        assert_eq!(counted, a);
        assert_eq!(fp(&counted), fp(&a));

        let mut c = a.clone();
        assert_eq!(c.insert(3, 0xef << 56), None);
        assert!(matches!(c.0, FnRef::Counted(_)));
        assert_eq!(*a, map, "the interned function is unchanged");
        assert_ne!(c, a);
        assert_ne!(fp(&c), fp(&a));
        let mut grown = map.clone();
        grown.insert(3, 0xef << 56);
        assert_eq!(c, HashFn::interned(grown.clone()));
        assert_eq!(fp(&c), fp(&HashFn::from(grown)));
        // Back to the interned content: equal again, whatever holds it.
        assert_eq!(c.insert(3, 0), Some(0xef << 56));
        let mut back = map.clone();
        back.insert(3, 0);
        assert_eq!(c, HashFn::from(back));
    }

    /// A bucket array's chain operations against a vector of chains doing the same.
    #[test]
    fn bucket_array_chains_behave_as_separate_vectors() {
        let bm = |k: u64| Bmap::<1> {
            keys: [k],
            ..Bmap::ZERO
        };
        let mut a = BucketArray::<1>::new(3);
        let mut v: Vec<Chain<1>> = vec![vec![Bmap::ZERO]; 3];
        let same = |a: &BucketArray<1>, v: &Vec<Chain<1>>| {
            assert_eq!(a.len(), v.len());
            let chains: Vec<Chain<1>> = a.iter().map(<[_]>::to_vec).collect();
            assert_eq!(&chains, v);
            for (c, chain) in v.iter().enumerate() {
                assert_eq!(&a[c], chain.as_slice());
                assert_eq!(a.get(c), Some(chain.as_slice()));
            }
            assert_eq!(a.get(v.len()), None);
            assert!(*a == BucketArray::from_chains(v.iter()));
        };
        same(&a, &v);
        // Overflow bmaps linked into the middle chain, then the first and the last.
        for (c, k) in [(1, 10), (1, 11), (0, 12), (2, 13), (1, 14)] {
            let d = a.push_bmap(c, bm(k));
            v[c].push(bm(k));
            assert_eq!(d, v[c].len() - 1);
            same(&a, &v);
        }
        // Writes through `iter_mut` and `IndexMut` land in their own chain only.
        for (c, chain) in a.iter_mut().enumerate() {
            for (d, b) in chain.iter_mut().enumerate() {
                b.elems[0] = (c * 10 + d) as u64;
            }
        }
        for (c, chain) in v.iter_mut().enumerate() {
            for (d, b) in chain.iter_mut().enumerate() {
                b.elems[0] = (c * 10 + d) as u64;
            }
        }
        a[2][1].tophash[0] = 7;
        v[2][1].tophash[0] = 7;
        same(&a, &v);
        // A tail unlinked from the middle chain.
        assert_eq!(a.split_chain(1, 2), v[1].split_off(2));
        same(&a, &v);
        // Copies, into fresh storage and into storage of another shape.
        let mut b = BucketArray::<1>::new(5);
        b.clone_from(&a);
        same(&b, &v);
        same(&a.clone(), &v);
        // Zeroed in place: one zeroed bmap per chain.
        a.reset_chains();
        same(&a, &vec![vec![Bmap::ZERO]; 3]);
        assert!(a != b);
    }

    /// Every ordered choice of distinct arrays out of four: `reorder` keeps exactly the chosen
    /// ones, in the order given (array i has i chains, so the lengths name them).
    #[test]
    fn reorder_keeps_the_chosen_arrays_in_the_given_order() {
        fn orders(n: u8, prefix: &mut Vec<u8>, out: &mut Vec<Vec<u8>>) {
            out.push(prefix.clone());
            for id in 0..n {
                if !prefix.contains(&id) {
                    prefix.push(id);
                    orders(n, prefix, out);
                    prefix.pop();
                }
            }
        }
        let mut all = Vec::new();
        orders(4, &mut Vec::new(), &mut all);
        assert_eq!(all.len(), 65);
        for order in all {
            let mut a: Arena<1> = (0..4).map(BucketArray::new).collect();
            a.reorder(&order);
            let lens: Vec<u8> = (0..a.len()).map(|i| a[i].len() as u8).collect();
            assert_eq!(lens, order, "reorder({order:?})");
        }
    }
}
