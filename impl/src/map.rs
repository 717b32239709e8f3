//! `GoMap<K, V>`: Go 1.19's runtime map (runtime/map.go, runtime/map_fast64.go), ported
//! step by step with Go's names, for the memory layout of `map[uint64]uint64`, with the
//! later classic-map versions (Go 1.21 .. 1.23, 1.24/1.25 with `GOEXPERIMENT=noswissmap`)
//! as a parameter ([`MapParams::for_go`], [`GoVersion`]) where they behave differently:
//! Go 1.21's load factor (6 instead of 6.5), `mapclear`, and from 1.24 `mapiternext`
//! (see docs/go-versions.md).
//!
//! # What it follows
//! `makemap`, `make_bucket_array`, `mapaccess1`/`mapaccess2` (the `_fast64` variants),
//! `mapassign` (`mapassign_fast64`), `mapdelete` (`mapdelete_fast64`), `hash_grow`,
//! `grow_work`, `evacuate` (`evacuate_fast64`), `advance_evacuation_mark`, `newoverflow`,
//! `incrnoverflow`, `mapiterinit`, `mapiternext` and `mapaccess_k`. The `_fast64` variants
//! differ from the generic ones in ways the traces observe: they compare keys before
//! tophash, never stop a delete's or a lookup's scan at `EMPTY_REST`, and `mapaccess2_fast64`
//! does not hash at all when B == 0. Iteration has no fast variant: `mapiternext` and
//! `mapaccess_k` are the generic code.
//!
//! # Layout
//! Bucket memory lives in an arena of bmaps that is never freed, so that bucket arrays
//! keep their identity: an iterator holds the array that was `h.buckets` at
//! `mapiterinit`, which may later be neither `buckets` nor `oldbuckets`.
//!
//! ```text
//!  arena:  [ array A: b0 b1 .. b(2^B-1) | prealloc p0 .. pn ] [ ovf ] [ array B ... ] ...
//!  bmap:   tophash[bucketCnt]  keys[bucketCnt]  elems[bucketCnt]  overflow -> bmap | nil
//! ```
//! The last preallocated overflow bucket's `overflow` points at the array's first bucket
//! (Go's sentinel) until `newoverflow` hands it out. Deviation from Go: nothing is ever
//! freed (`mapextra.overflow`/`oldoverflow` only exist to keep overflow buckets alive for
//! Go's GC and are not modelled).
//!
//! # Parameters
//! `bucketCnt` (a power of two <= 8) and the load factor `num/den` are parameters
//! ([`MapParams`]), Go's 8 and 13/2 by default, so the port can run in lockstep with a
//! model at scaled-down sizes. The byte size of a bucket (for `roundupsize`) follows the
//! `map[uint64]uint64` layout: `align8(bucketCnt) + 16 * bucketCnt + 8` (144 for 8).
//!
//! # Invariants (checked by [`GoMap::check_invariants`], names shared with the model)
//! - `count_matches_live_entries`: `count` equals the number of live slots (tophash >=
//!   MIN_TOP_HASH) in `buckets` and in the unevacuated chains of `oldbuckets`.
//! - `no_duplicate_live_key`: no key is live in two slots.
//! - `entries_in_home_bucket`: every live entry sits in the bucket its hash selects (in the
//!   new array, or in the old array while its old bucket is unevacuated) with tophash(hash).
//! - `nothing_live_after_empty_rest`: in a chain, no non-empty slot follows an EMPTY_REST.
//! - `oldbuckets_only_while_growing`: oldbuckets is present iff nevacuate < the number of
//!   old buckets (0 when absent); SAME_SIZE_GROW is set only while growing.
//! - `below_nevacuate_evacuated`: every old bucket below nevacuate is evacuated (its whole
//!   chain is in EVACUATED_* states).
//!
//! Deviations from Go common to the whole port: keys are assumed reflexive (`k == k`), so
//! Go's NaN branches are absent; key and elem types are treated as pointer-free (as for
//! `map[uint64]uint64`): keys are never cleared on delete and old buckets are never
//! cleared after evacuation; `hashWriting` is set and checked as Go does, but a `&mut`
//! API makes the "concurrent map writes" throws unreachable.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::goversion::GoVersion;
use crate::hash::{GoMemHasher, MapHasher, RandomSource, WyRand};
use crate::sizeclasses::roundupsize;

/// Tophash state: this cell is empty, and there are no more non-empty cells at higher
/// indexes or overflows.
pub const EMPTY_REST: u8 = 0;
/// Tophash state: this cell is empty.
pub const EMPTY_ONE: u8 = 1;
/// Tophash state: key/elem is valid; entry has been evacuated to the first half.
pub const EVACUATED_X: u8 = 2;
/// Tophash state: same as above, but evacuated to the second half.
pub const EVACUATED_Y: u8 = 3;
/// Tophash state: cell is empty, bucket is evacuated.
pub const EVACUATED_EMPTY: u8 = 4;
/// Minimum tophash for a normal filled cell.
pub const MIN_TOP_HASH: u8 = 5;

/// Flag: there may be an iterator using buckets.
pub const ITERATOR: u8 = 1;
/// Flag: there may be an iterator using oldbuckets.
pub const OLD_ITERATOR: u8 = 2;
/// Flag: a goroutine is writing to the map.
pub const HASH_WRITING: u8 = 4;
/// Flag: the current map growth is to a new map of the same size.
pub const SAME_SIZE_GROW: u8 = 8;

/// `maxAlloc` on 64-bit platforms (1 << 48): makemap ignores hints beyond it.
const MAX_ALLOC: usize = 1 << 48;

/// `noCheck`: sentinel bucket id for iterator checks.
const NO_CHECK: usize = usize::MAX;

/// `isEmpty`: the given tophash array entry represents an empty bucket entry.
pub fn is_empty(x: u8) -> bool {
    x <= EMPTY_ONE
}

/// `tophash`: the top byte of the hash, shifted out of the reserved range.
pub fn tophash(hash: u64) -> u8 {
    let mut top = (hash >> 56) as u8;
    if top < MIN_TOP_HASH {
        top += MIN_TOP_HASH;
    }
    top
}

/// `bucketShift`: 1 << b.
pub fn bucket_shift(b: u8) -> usize {
    1usize << (b & 63)
}

/// `bucketMask`: 1 << b - 1.
pub fn bucket_mask(b: u8) -> usize {
    bucket_shift(b) - 1
}

/// Map parameters: Go's constants, made adjustable for scaled-down lockstep checking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapParams {
    /// `bucketCnt`: slots per bucket, a power of two in 1..=8.
    pub bucket_cnt: usize,
    /// `loadFactorNum`.
    pub load_factor_num: usize,
    /// `loadFactorDen`.
    pub load_factor_den: usize,
    /// `t.bucket.size` in bytes, used by `make_bucket_array`'s size-class rounding.
    pub bucket_size: usize,
    /// The Go release whose code runs where releases differ (`mapclear`, `mapiternext`).
    #[serde(default)]
    pub go: GoVersion,
}

/// Parameters that no Go-shaped map can have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamsError {
    /// What is wrong, with the offending values.
    pub message: String,
}

impl fmt::Display for ParamsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid map parameters: {}", self.message)
    }
}

impl std::error::Error for ParamsError {}

impl MapParams {
    /// Go 1.19's parameters: 8 slots per bucket, load factor 13/2, 144-byte buckets.
    pub const fn go() -> Self {
        MapParams {
            bucket_cnt: 8,
            load_factor_num: 13,
            load_factor_den: 2,
            bucket_size: 144,
            go: GoVersion::GO1_19,
        }
    }

    /// The parameters of a Go release: Go 1.19's, except `loadFactorNum`, which Go 1.21
    /// computes as 12 ([`GoVersion::load_factor_num`]).
    pub const fn for_go(go: GoVersion) -> Self {
        MapParams {
            load_factor_num: go.load_factor_num(),
            go,
            ..MapParams::go()
        }
    }

    /// Scaled parameters, with the bucket byte size of a `map[uint64]uint64` bucket of
    /// `bucket_cnt` slots: `align8(bucket_cnt) + 16 * bucket_cnt + 8`.
    pub fn new(
        bucket_cnt: usize,
        load_factor_num: usize,
        load_factor_den: usize,
    ) -> Result<Self, ParamsError> {
        if !(1..=8).contains(&bucket_cnt) || !bucket_cnt.is_power_of_two() {
            return Err(ParamsError {
                message: format!("bucket_cnt = {bucket_cnt}, want a power of two in 1..=8"),
            });
        }
        if load_factor_den == 0 || load_factor_num == 0 {
            return Err(ParamsError {
                message: format!(
                    "load factor {load_factor_num}/{load_factor_den}, want both parts > 0"
                ),
            });
        }
        Ok(MapParams {
            bucket_cnt,
            load_factor_num,
            load_factor_den,
            bucket_size: bucket_cnt.next_multiple_of(8) + 16 * bucket_cnt + 8,
            go: GoVersion::GO1_19,
        })
    }

    /// `bucketCntBits`.
    pub fn bucket_cnt_bits(&self) -> u8 {
        self.bucket_cnt.trailing_zeros() as u8
    }

    /// `overLoadFactor`: whether `count` items in 1<<B buckets is over the load factor.
    pub fn over_load_factor(&self, count: usize, b: u8) -> bool {
        count > self.bucket_cnt
            && count
                > self
                    .load_factor_num
                    .wrapping_mul(bucket_shift(b) / self.load_factor_den)
    }
}

impl Default for MapParams {
    fn default() -> Self {
        MapParams::go()
    }
}

/// `tooManyOverflowBuckets`: whether noverflow buckets is too many for 1<<B buckets.
pub fn too_many_overflow_buckets(noverflow: u16, b: u8) -> bool {
    let b = b.min(15);
    noverflow >= 1u16 << (b & 15)
}

/// A test-only fault, injected into a copy of the algorithm to check that conformance
/// tests notice it. Not part of Go.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// evacuate sends each entry to the other half (X <-> Y).
    EvacuateWrongHalf,
    /// mapdelete never turns EMPTY_ONE into EMPTY_REST.
    NoEmptyRestPropagation,
    /// mapdelete zeroes the key as well (what Go does only for keys with pointers).
    ClearKeyOnDelete,
    /// grow_work does not evacuate the extra bucket at nevacuate.
    NoExtraEvacuation,
    /// mapiternext returns an evacuated entry's stale elem instead of re-looking it up.
    IterNoRelookup,
}

/// Index of a bmap in the arena (Go: a `*bmap`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct BmapPtr(usize);

/// Identity of a bucket array (Go: the `unsafe.Pointer` in `h.buckets`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArrayId(usize);

#[derive(Clone, Copy, Debug)]
struct ArrayInfo {
    /// First bmap of the array.
    first: usize,
    /// Number of main buckets (1 << B at allocation).
    nbuckets: usize,
}

/// Bucket memory, as flat vectors indexed by bmap and slot.
#[derive(Clone, Debug)]
struct Arena<K, V> {
    bucket_cnt: usize,
    tophash: Vec<u8>,
    keys: Vec<K>,
    elems: Vec<V>,
    overflow: Vec<Option<BmapPtr>>,
    arrays: Vec<ArrayInfo>,
}

impl<K: Copy + Default, V: Copy + Default> Arena<K, V> {
    fn new(bucket_cnt: usize) -> Self {
        Arena {
            bucket_cnt,
            tophash: Vec::new(),
            keys: Vec::new(),
            elems: Vec::new(),
            overflow: Vec::new(),
            arrays: Vec::new(),
        }
    }

    /// Allocates `n` zeroed bmaps in a row and returns the first.
    fn alloc(&mut self, n: usize) -> BmapPtr {
        let first = self.overflow.len();
        let slots = n * self.bucket_cnt;
        self.tophash.resize(self.tophash.len() + slots, 0);
        self.keys.resize(self.keys.len() + slots, K::default());
        self.elems.resize(self.elems.len() + slots, V::default());
        self.overflow.resize(first + n, None);
        BmapPtr(first)
    }

    /// `newarray(t.bucket, n)` with the first `nbuckets` being the main buckets.
    fn new_array(&mut self, total: usize, nbuckets: usize) -> ArrayId {
        let first = self.alloc(total);
        self.arrays.push(ArrayInfo {
            first: first.0,
            nbuckets,
        });
        ArrayId(self.arrays.len() - 1)
    }

    /// `add(array, i*bucketsize)`.
    fn bucket(&self, a: ArrayId, i: usize) -> BmapPtr {
        BmapPtr(self.arrays[a.0].first + i)
    }

    fn slot(&self, b: BmapPtr, i: usize) -> usize {
        b.0 * self.bucket_cnt + i
    }

    fn th(&self, b: BmapPtr, i: usize) -> u8 {
        self.tophash[self.slot(b, i)]
    }

    fn set_th(&mut self, b: BmapPtr, i: usize, v: u8) {
        let s = self.slot(b, i);
        self.tophash[s] = v;
    }

    fn key(&self, b: BmapPtr, i: usize) -> K {
        self.keys[self.slot(b, i)]
    }

    fn elem(&self, b: BmapPtr, i: usize) -> V {
        self.elems[self.slot(b, i)]
    }

    fn ovf(&self, b: BmapPtr) -> Option<BmapPtr> {
        self.overflow[b.0]
    }

    /// `evacuated(b)`: the bucket's tophash[0] is one of the EVACUATED_* states.
    fn evacuated(&self, b: BmapPtr) -> bool {
        let h = self.th(b, 0);
        h > EMPTY_ONE && h < MIN_TOP_HASH
    }

    fn bmap_snapshot(&self, b: BmapPtr) -> BmapSnapshot<K, V> {
        let s = self.slot(b, 0);
        let n = self.bucket_cnt;
        BmapSnapshot {
            tophash: self.tophash[s..s + n].to_vec(),
            keys: self.keys[s..s + n].to_vec(),
            elems: self.elems[s..s + n].to_vec(),
        }
    }

    fn chain(&self, mut b: BmapPtr) -> Vec<BmapPtr> {
        let mut out = vec![b];
        while let Some(o) = self.ovf(b) {
            out.push(o);
            b = o;
        }
        out
    }
}

/// `hiter`: the iteration state of one open iterator.
#[derive(Clone, Debug)]
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
struct IterSlot<K, V> {
    it: Hiter,
    /// The element found by the mapiternext inside mapiterinit, not yet handed out.
    first: Option<Option<(K, V)>>,
    /// mapiternext reported the end (it.key == nil).
    done: bool,
}

/// Handle of an open iterator of one [`GoMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IterId(pub usize);

/// One bmap's raw memory as the trace records it (the overflow pointer is the chain order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BmapSnapshot<K, V> {
    /// `tophash[bucketCnt]`.
    pub tophash: Vec<u8>,
    /// The keys, stale ones included.
    pub keys: Vec<K>,
    /// The elems, stale ones included.
    pub elems: Vec<V>,
}

/// A bucket and its overflow buckets, in overflow order.
pub type Chain<K, V> = Vec<BmapSnapshot<K, V>>;

/// The hmap and its bucket arrays, exactly the trace's STATE (full arrays, not deltas).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HmapSnapshot<K, V> {
    /// `count`: live cells.
    pub count: u64,
    /// `flags`.
    pub flags: u8,
    /// `B`: log2 of the number of buckets.
    #[serde(rename = "B")]
    pub b: u8,
    /// `noverflow`.
    pub noverflow: u16,
    /// `hash0`.
    pub hash0: u32,
    /// `nevacuate`.
    pub nevacuate: u64,
    /// Preallocated overflow buckets not yet handed out by newoverflow.
    pub prealloc_left: u64,
    /// `buckets`: one chain per main bucket, or None when nil.
    pub buckets: Option<Vec<Chain<K, V>>>,
    /// `oldbuckets`: one chain per old bucket, or None when not growing.
    pub oldbuckets: Option<Vec<Chain<K, V>>>,
}

/// The invariants of [`GoMap::check_invariants`], named as in the model and spec files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Invariant {
    /// `count_matches_live_entries`.
    CountMatchesLiveEntries,
    /// `no_duplicate_live_key`.
    NoDuplicateLiveKey,
    /// `entries_in_home_bucket`.
    EntriesInHomeBucket,
    /// `nothing_live_after_empty_rest`.
    NothingLiveAfterEmptyRest,
    /// `oldbuckets_only_while_growing`.
    OldbucketsOnlyWhileGrowing,
    /// `below_nevacuate_evacuated`.
    BelowNevacuateEvacuated,
}

impl Invariant {
    /// All invariants, in checking order.
    pub const ALL: [Invariant; 6] = [
        Invariant::CountMatchesLiveEntries,
        Invariant::NoDuplicateLiveKey,
        Invariant::EntriesInHomeBucket,
        Invariant::NothingLiveAfterEmptyRest,
        Invariant::OldbucketsOnlyWhileGrowing,
        Invariant::BelowNevacuateEvacuated,
    ];

    /// The shared name.
    pub fn name(self) -> &'static str {
        match self {
            Invariant::CountMatchesLiveEntries => "count_matches_live_entries",
            Invariant::NoDuplicateLiveKey => "no_duplicate_live_key",
            Invariant::EntriesInHomeBucket => "entries_in_home_bucket",
            Invariant::NothingLiveAfterEmptyRest => "nothing_live_after_empty_rest",
            Invariant::OldbucketsOnlyWhileGrowing => "oldbuckets_only_while_growing",
            Invariant::BelowNevacuateEvacuated => "below_nevacuate_evacuated",
        }
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A violated invariant, with where and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvariantViolation {
    /// Which invariant.
    pub invariant: Invariant,
    /// The offending place and values.
    pub detail: String,
}

impl fmt::Display for InvariantViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invariant {} violated: {}", self.invariant, self.detail)
    }
}

impl std::error::Error for InvariantViolation {}

/// A borrowed bucket array of a [`GoMap`]: its main buckets, each with its chain.
#[derive(Clone, Copy, Debug)]
pub struct ArrayView<'a, K, V> {
    arena: &'a Arena<K, V>,
    array: ArrayId,
}

/// A borrowed bmap: its raw slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BmapView<'a, K, V> {
    /// `tophash[bucketCnt]`.
    pub tophash: &'a [u8],
    /// The keys, stale ones included.
    pub keys: &'a [K],
    /// The elems, stale ones included.
    pub elems: &'a [V],
}

impl<'a, K: Copy + Default, V: Copy + Default> ArrayView<'a, K, V> {
    /// Number of main buckets (chains).
    pub fn len(&self) -> usize {
        self.arena.arrays[self.array.0].nbuckets
    }

    /// Whether the array has no buckets (never, for a Go map).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The array's identity.
    pub fn id(&self) -> ArrayId {
        self.array
    }

    /// The bmaps of chain `idx`, in overflow order.
    pub fn chain(&self, idx: usize) -> Vec<BmapView<'a, K, V>> {
        let arena = self.arena;
        arena
            .chain(arena.bucket(self.array, idx))
            .into_iter()
            .map(|p| {
                let s = arena.slot(p, 0);
                let n = arena.bucket_cnt;
                BmapView {
                    tophash: &arena.tophash[s..s + n],
                    keys: &arena.keys[s..s + n],
                    elems: &arena.elems[s..s + n],
                }
            })
            .collect()
    }
}

/// Go 1.19's `hmap` with its bucket memory. See the module documentation.
#[derive(Clone, Debug)]
pub struct GoMap<K, V, H = GoMemHasher, R = WyRand> {
    count: usize,                   // # live cells == size of map
    flags: u8,                      // ITERATOR | OLD_ITERATOR | HASH_WRITING | SAME_SIZE_GROW
    b: u8,                          // log_2 of # of buckets (can hold up to loadFactor * 2^B items)
    noverflow: u16,                 // approximate number of overflow buckets; see incrnoverflow
    hash0: u32,                     // hash seed
    buckets: Option<ArrayId>,       // array of 2^B buckets; may be nil if count == 0
    oldbuckets: Option<ArrayId>,    // previous bucket array, non-nil only when growing
    nevacuate: usize,               // buckets less than this have been evacuated
    next_overflow: Option<BmapPtr>, // mapextra.nextOverflow: a free preallocated overflow bucket
    clear_seq: u64,                 // mapclear calls (Go 1.24+; stays 0 before)
    params: MapParams,
    hasher: H,
    rand: R,
    arena: Arena<K, V>,
    iters: Vec<IterSlot<K, V>>,
    faults: Vec<Fault>,
}

impl<K, V> GoMap<K, V, GoMemHasher, WyRand>
where
    K: Copy + Eq + Default + std::hash::Hash + fmt::Debug,
    V: Copy + Default + fmt::Debug,
    GoMemHasher: MapHasher<K>,
{
    /// `make(map[K]V)` with Go's parameters and the default hasher and random source.
    pub fn new() -> Self {
        Self::with_hint(0)
    }

    /// `make(map[K]V, hint)` with Go's parameters and the default hasher and random source.
    pub fn with_hint(hint: usize) -> Self {
        Self::makemap(
            MapParams::go(),
            hint,
            GoMemHasher::default(),
            WyRand::default(),
        )
    }
}

impl<K, V> Default for GoMap<K, V, GoMemHasher, WyRand>
where
    K: Copy + Eq + Default + std::hash::Hash + fmt::Debug,
    V: Copy + Default + fmt::Debug,
    GoMemHasher: MapHasher<K>,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V, H, R> GoMap<K, V, H, R>
where
    K: Copy + Eq + Default + std::hash::Hash + fmt::Debug,
    V: Copy + Default + fmt::Debug,
    H: MapHasher<K>,
    R: RandomSource,
{
    /// `makemap(t, hint, nil)`: hash0 from the random source, the smallest B with
    /// `!overLoadFactor(hint, B)`, and the bucket array allocated now only if B > 0.
    ///
    /// Deviation from Go: the hint is a `usize` (Go's `int` may be negative, which
    /// makemap treats like 0, as it does here for hints whose memory exceeds maxAlloc).
    pub fn makemap(params: MapParams, hint: usize, hasher: H, rand: R) -> Self {
        let mut hint = hint;
        match hint.checked_mul(params.bucket_size) {
            Some(mem) if mem <= MAX_ALLOC => {}
            _ => hint = 0,
        }
        let mut h = GoMap {
            count: 0,
            flags: 0,
            b: 0,
            noverflow: 0,
            hash0: 0,
            buckets: None,
            oldbuckets: None,
            nevacuate: 0,
            next_overflow: None,
            clear_seq: 0,
            params,
            hasher,
            rand,
            arena: Arena::new(params.bucket_cnt),
            iters: Vec::new(),
            faults: Vec::new(),
        };
        h.hash0 = h.rand.hash0();

        // Find the size parameter B which will hold the requested # of elements.
        let mut b = 0u8;
        while params.over_load_factor(hint, b) {
            b += 1;
        }
        h.b = b;

        // If B == 0, the buckets field is allocated lazily later (in mapassign).
        if h.b != 0 {
            let (buckets, next_overflow) = h.make_bucket_array(h.b, None);
            h.buckets = Some(buckets);
            if next_overflow.is_some() {
                h.next_overflow = next_overflow;
            }
        }
        h
    }

    /// Test-only: make this map misbehave in the given way (see [`Fault`]).
    /// Deviation from Go: deliberately so; nothing calls this outside tests.
    #[doc(hidden)]
    pub fn inject_fault(&mut self, fault: Fault) {
        self.faults.push(fault);
    }

    fn fault(&self, f: Fault) -> bool {
        !self.faults.is_empty() && self.faults.contains(&f)
    }

    /// The parameters this map was made with.
    pub fn params(&self) -> MapParams {
        self.params
    }

    /// `len(m)`.
    pub fn len(&self) -> usize {
        self.count
    }

    /// `len(m) == 0`.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// `h.B`.
    pub fn b(&self) -> u8 {
        self.b
    }

    /// `h.flags`.
    pub fn flags(&self) -> u8 {
        self.flags
    }

    /// `h.hash0`.
    pub fn hash0(&self) -> u32 {
        self.hash0
    }

    /// `h.clearSeq`: the number of mapclear calls that found the map non-empty (Go 1.24+;
    /// always 0 for earlier releases, whose hmap has no such field).
    pub fn clear_seq(&self) -> u64 {
        self.clear_seq
    }

    /// `h.noverflow`.
    pub fn noverflow(&self) -> u16 {
        self.noverflow
    }

    /// `h.nevacuate`.
    pub fn nevacuate(&self) -> usize {
        self.nevacuate
    }

    /// The hasher.
    pub fn hasher(&self) -> &H {
        &self.hasher
    }

    /// The random source.
    pub fn random_source(&mut self) -> &mut R {
        &mut self.rand
    }

    /// Identities of `h.buckets` and `h.oldbuckets` (Go compares pointers; a replayer uses
    /// this to check that an array is the same one or a fresh one).
    pub fn array_identities(&self) -> (Option<ArrayId>, Option<ArrayId>) {
        (self.buckets, self.oldbuckets)
    }

    /// `h.growing()`: oldbuckets != nil.
    pub fn growing(&self) -> bool {
        self.oldbuckets.is_some()
    }

    /// `h.sameSizeGrow()`.
    fn same_size_grow(&self) -> bool {
        self.flags & SAME_SIZE_GROW != 0
    }

    /// `noldbuckets`: the number of buckets prior to the current growth.
    fn noldbuckets(&self) -> usize {
        let mut old_b = self.b;
        if !self.same_size_grow() {
            old_b = old_b.wrapping_sub(1);
        }
        bucket_shift(old_b)
    }

    /// `oldbucketmask`.
    fn oldbucketmask(&self) -> usize {
        self.noldbuckets() - 1
    }

    fn bucket_cnt(&self) -> usize {
        self.params.bucket_cnt
    }

    /// `makeBucketArray(t, b, dirtyalloc)`: 1<<b main buckets plus, for b >= 4, the
    /// preallocated overflow buckets, their number rounded up to the allocator's size
    /// class. The last preallocated bucket's overflow points at the array (sentinel).
    fn make_bucket_array(
        &mut self,
        b: u8,
        dirtyalloc: Option<ArrayId>,
    ) -> (ArrayId, Option<BmapPtr>) {
        let base = bucket_shift(b);
        let mut nbuckets = base;
        // For small b, overflow buckets are unlikely.
        if b >= 4 {
            nbuckets += bucket_shift(b - 4);
            let sz = self.params.bucket_size * nbuckets;
            let up = roundupsize(sz);
            if up != sz {
                nbuckets = up / self.params.bucket_size;
            }
        }
        let buckets = match dirtyalloc {
            None => self.arena.new_array(nbuckets, base),
            Some(a) => {
                // memclr of the whole previous allocation (same b, same size).
                let first = self.arena.arrays[a.0].first;
                let cnt = self.bucket_cnt();
                for p in first..first + nbuckets {
                    self.arena.overflow[p] = None;
                    for i in 0..cnt {
                        let s = p * cnt + i;
                        self.arena.tophash[s] = 0;
                        self.arena.keys[s] = K::default();
                        self.arena.elems[s] = V::default();
                    }
                }
                a
            }
        };
        let mut next_overflow = None;
        if base != nbuckets {
            // We preallocated some overflow buckets. A preallocated bucket whose overflow
            // is nil means more are available by bumping the pointer; the last one points
            // at the bucket array as a non-nil sentinel.
            next_overflow = Some(self.arena.bucket(buckets, base));
            let last = self.arena.bucket(buckets, nbuckets - 1);
            let first = self.arena.bucket(buckets, 0);
            self.arena.overflow[last.0] = Some(first);
        }
        (buckets, next_overflow)
    }

    /// `incrnoverflow`: exact below B = 16, then with probability 1/(1<<(B-15)).
    fn incrnoverflow(&mut self) {
        if self.b < 16 {
            self.noverflow = self.noverflow.wrapping_add(1);
            return;
        }
        let mask = (1u32 << (self.b - 15)) - 1;
        if self.rand.fastrand() & mask == 0 {
            self.noverflow = self.noverflow.wrapping_add(1);
        }
    }

    /// `newoverflow`: a preallocated overflow bucket if any is left, else a new one,
    /// linked after `b`.
    fn newoverflow(&mut self, b: BmapPtr) -> BmapPtr {
        let ovf;
        if let Some(next) = self.next_overflow {
            ovf = next;
            if self.arena.ovf(ovf).is_none() {
                // Not at the end of the preallocated overflow buckets. Bump the pointer.
                self.next_overflow = Some(BmapPtr(ovf.0 + 1));
            } else {
                // The last preallocated overflow bucket: reset its sentinel.
                self.arena.overflow[ovf.0] = None;
                self.next_overflow = None;
            }
        } else {
            ovf = self.arena.alloc(1); // newobject(t.bucket)
        }
        self.incrnoverflow();
        // Deviation from Go: `h.createOverflow(); *h.extra.overflow = append(..., ovf)`
        // keeps pointer-free overflow buckets alive for the GC; the arena never frees.
        self.arena.overflow[b.0] = Some(ovf);
        ovf
    }

    /// Number of preallocated overflow buckets not yet handed out by newoverflow (0 if
    /// nextOverflow is nil).
    pub fn prealloc_left(&self) -> usize {
        let Some(mut p) = self.next_overflow else {
            return 0;
        };
        let mut n = 1;
        while self.arena.ovf(p).is_none() {
            p = BmapPtr(p.0 + 1);
            n += 1;
        }
        n
    }

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
        while let Some(bb) = b {
            for i in 0..self.bucket_cnt() {
                if self.arena.key(bb, i) == *key && !is_empty(self.arena.th(bb, i)) {
                    return Some(self.arena.elem(bb, i));
                }
            }
            b = self.arena.ovf(bb);
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
        let cnt = self.bucket_cnt();

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
                for i in 0..cnt {
                    let th = self.arena.th(b, i);
                    if is_empty(th) {
                        if insert.is_none() {
                            insert = Some((b, i));
                        }
                        if th == EMPTY_REST {
                            break 'bucketloop;
                        }
                        continue;
                    }
                    if self.arena.key(b, i) != key {
                        continue;
                    }
                    // Already have a mapping for key: update it in place (goto done).
                    break 'again (b, i);
                }
                match self.arena.ovf(b) {
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
            self.arena
                .set_th(insertb, inserti & (cnt - 1), tophash(hash));
            let s = self.arena.slot(insertb, inserti);
            self.arena.keys[s] = key; // store new key at insert position
            self.count += 1;
            break (insertb, inserti);
        };

        // done:
        let s = self.arena.slot(insertb, inserti);
        self.arena.elems[s] = elem;
        if self.flags & HASH_WRITING == 0 {
            panic!("concurrent map writes");
        }
        self.flags &= !HASH_WRITING;
    }

    /// Alias of [`GoMap::mapassign`].
    pub fn insert(&mut self, key: K, elem: V) {
        self.mapassign(key, elem)
    }

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
            for i in 0..cnt {
                if *key != self.arena.key(b, i) || is_empty(self.arena.th(b, i)) {
                    continue;
                }
                let s = self.arena.slot(b, i);
                // Only clear key if there are pointers in it.
                // Deviation from Go: the port treats K as pointer-free (as uint64 is), so it
                // never clears keys; Go would for key types with pointers.
                if self.fault(Fault::ClearKeyOnDelete) {
                    self.arena.keys[s] = K::default();
                }
                self.arena.elems[s] = V::default(); // memclrNoHeapPointers
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

    /// `hashGrow`: start growing, to 2^(B+1) buckets when over the load factor, else to a
    /// same-size array (too many overflow buckets). Evacuation happens later, in grow_work.
    fn hash_grow(&mut self) {
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
    fn grow_work(&mut self, bucket: usize) {
        self.evacuate(bucket & self.oldbucketmask());
        if self.growing() && !self.fault(Fault::NoExtraEvacuation) {
            self.evacuate(self.nevacuate);
        }
    }

    /// `bucketEvacuated`.
    fn bucket_evacuated(&self, bucket: usize) -> bool {
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
            while let Some(bb) = b {
                for i in 0..cnt {
                    let top = self.arena.th(bb, i);
                    if is_empty(top) {
                        self.arena.set_th(bb, i, EVACUATED_EMPTY);
                        continue;
                    }
                    if top < MIN_TOP_HASH {
                        panic!("bad map state");
                    }
                    let k = self.arena.key(bb, i);
                    let mut use_y = 0usize;
                    if !self.same_size_grow() {
                        // Compute hash to make our evacuation decision (whether we need
                        // to send this key/elem to bucket x or bucket y).
                        // Deviation from Go: no `k != k` (NaN) branch; keys are reflexive.
                        let hash = self.hasher.hash(&k, self.hash0);
                        if hash as usize & newbit != 0 {
                            use_y = 1;
                        }
                        if self.fault(Fault::EvacuateWrongHalf) {
                            use_y ^= 1;
                        }
                    }
                    self.arena.set_th(bb, i, EVACUATED_X + use_y as u8);
                    if xy[use_y].1 == cnt {
                        let nb = self.newoverflow(xy[use_y].0);
                        xy[use_y] = (nb, 0);
                    }
                    let (db, di) = xy[use_y];
                    self.arena.set_th(db, di & (cnt - 1), top);
                    let (src, dst) = (self.arena.slot(bb, i), self.arena.slot(db, di));
                    self.arena.keys[dst] = self.arena.keys[src];
                    self.arena.elems[dst] = self.arena.elems[src];
                    xy[use_y].1 += 1;
                }
                b = self.arena.ovf(bb);
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

    /// `mapaccessK`: key and elem, for the iterator's re-lookup of an evacuated entry
    /// (generic map.go code: compares tophash first and stops at EMPTY_REST).
    fn mapaccess_k(&self, key: &K) -> Option<(K, V)> {
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
        while let Some(b) = cur {
            for i in 0..self.bucket_cnt() {
                let th = self.arena.th(b, i);
                if th != top {
                    if th == EMPTY_REST {
                        return None; // break bucketloop
                    }
                    continue;
                }
                if self.arena.key(b, i) == *key {
                    return Some((self.arena.key(b, i), self.arena.elem(b, i)));
                }
            }
            cur = self.arena.ovf(b);
        }
        None
    }

    /// `mapiterinit` followed by the first `mapiternext`, as Go runs it: a `range`
    /// loop calls mapiterinit, which itself advances to the first element. That element
    /// is kept and handed out by the first [`GoMap::iter_next`] without another advance;
    /// each later `iter_next` performs one mapiternext. When the map is empty, Go returns
    /// before drawing a random start or setting flags, and the iterator is done.
    pub fn iter_init(&mut self) -> IterId {
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
        let id = IterId(self.iters.len());
        if self.count == 0 {
            self.iters.push(IterSlot {
                it,
                first: Some(None),
                done: false,
            });
            return id;
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

        let first = self.mapiternext(&mut it);
        self.iters.push(IterSlot {
            it,
            first: Some(first),
            done: false,
        });
        id
    }

    /// The next element of iterator `id` (see [`GoMap::iter_init`]); `None` once done.
    /// Deviation from Go: after the end, the iterator stays at its end (Go's behaviour
    /// for a further mapiternext is unspecified; `range` never calls it).
    ///
    /// # Panics
    /// If `id` was not returned by this map's `iter_init`.
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
        let mut it = slot.it.clone();
        let r = self.mapiternext(&mut it);
        let slot = &mut self.iters[id.0];
        slot.it = it;
        if r.is_none() {
            slot.done = true;
        }
        r
    }

    /// The start bucket and offset iterator `id` drew (0, 0 if the map was empty).
    pub fn iter_start_of(&self, id: IterId) -> (usize, usize) {
        let it = &self.iters[id.0].it;
        (it.start_bucket, it.offset)
    }

    /// `mapiternext`: advance `it` to the next element and return it (key and elem copied
    /// at once, as a `range` loop does), or None at the end.
    fn mapiternext(&self, it: &mut Hiter) -> Option<(K, V)> {
        if !it.started {
            return None;
        }
        if self.flags & HASH_WRITING != 0 {
            panic!("concurrent map iteration and map write");
        }
        let cnt = self.bucket_cnt();
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
                        let oldbucket = bucket & self.oldbucketmask();
                        let ob = self
                            .arena
                            .bucket(self.oldbuckets.expect("growing"), oldbucket);
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
            while i < cnt {
                let offi = (i + it.offset) & (cnt - 1);
                let th = self.arena.th(bb, offi);
                if is_empty(th) || th == EVACUATED_EMPTY {
                    i += 1;
                    continue;
                }
                let k = self.arena.key(bb, offi);
                let e = self.arena.elem(bb, offi);
                if check_bucket != NO_CHECK && !self.same_size_grow() {
                    // Special case: iterator was started during a grow to a larger size
                    // and the grow is not done yet. We're iterating through the old
                    // bucket, skipping any keys that will go to the other new bucket.
                    // Deviation from Go: keys are reflexive, so Go's `k != k` (NaN) branch,
                    // which decides by the low bit of tophash, is absent.
                    let hash = self.hasher.hash(&k, self.hash0);
                    if hash as usize & bucket_mask(it.b) != check_bucket {
                        i += 1;
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
                    match self.mapaccess_k(&k) {
                        None => {
                            i += 1;
                            continue; // key has been deleted
                        }
                        Some(kv) => result = kv,
                    }
                }
                it.bucket = bucket;
                it.bptr = b;
                it.i = i + 1;
                it.check_bucket = check_bucket;
                return Some(result);
            }
            b = self.arena.ovf(bb);
            i = 0;
        }
    }

    /// A borrowed view of `h.buckets` (`old == false`) or `h.oldbuckets` (`old == true`),
    /// for comparing bucket memory without copying it.
    pub fn array_view(&self, old: bool) -> Option<ArrayView<'_, K, V>> {
        let a = if old { self.oldbuckets } else { self.buckets }?;
        Some(ArrayView {
            arena: &self.arena,
            array: a,
        })
    }

    fn array_snapshot(&self, a: ArrayId) -> Vec<Chain<K, V>> {
        let n = self.arena.arrays[a.0].nbuckets;
        (0..n)
            .map(|i| {
                self.arena
                    .chain(self.arena.bucket(a, i))
                    .into_iter()
                    .map(|p| self.arena.bmap_snapshot(p))
                    .collect()
            })
            .collect()
    }

    /// The hmap fields and both bucket arrays in full (the trace's STATE).
    pub fn snapshot(&self) -> HmapSnapshot<K, V> {
        HmapSnapshot {
            count: self.count as u64,
            flags: self.flags,
            b: self.b,
            noverflow: self.noverflow,
            hash0: self.hash0,
            nevacuate: self.nevacuate as u64,
            prealloc_left: self.prealloc_left() as u64,
            buckets: self.buckets.map(|a| self.array_snapshot(a)),
            oldbuckets: self.oldbuckets.map(|a| self.array_snapshot(a)),
        }
    }

    /// Calls `f(chain index, position in chain, bmap)` for every bmap of array `a`.
    fn for_each_bmap(&self, a: ArrayId, mut f: impl FnMut(usize, usize, BmapPtr)) {
        for idx in 0..self.arena.arrays[a.0].nbuckets {
            for (j, p) in self
                .arena
                .chain(self.arena.bucket(a, idx))
                .into_iter()
                .enumerate()
            {
                f(idx, j, p);
            }
        }
    }

    /// Checks the invariants listed in the module documentation.
    pub fn check_invariants(&self) -> Result<(), InvariantViolation> {
        let cnt = self.bucket_cnt();
        let viol = |invariant, detail: String| Err(InvariantViolation { invariant, detail });

        // oldbuckets_only_while_growing
        let nold = self
            .oldbuckets
            .map_or(0, |a| self.arena.arrays[a.0].nbuckets);
        if self.oldbuckets.is_some() != (self.nevacuate < nold) {
            return viol(
                Invariant::OldbucketsOnlyWhileGrowing,
                format!(
                    "oldbuckets {} with nevacuate = {} and {} old buckets",
                    if self.oldbuckets.is_some() {
                        "present"
                    } else {
                        "absent"
                    },
                    self.nevacuate,
                    nold
                ),
            );
        }
        if self.same_size_grow() && self.oldbuckets.is_none() {
            return viol(
                Invariant::OldbucketsOnlyWhileGrowing,
                format!(
                    "sameSizeGrow flag set while not growing (flags = {})",
                    self.flags
                ),
            );
        }
        if let Some(old) = self.oldbuckets {
            if nold != self.noldbuckets() {
                return viol(
                    Invariant::OldbucketsOnlyWhileGrowing,
                    format!(
                        "oldbuckets has {nold} buckets, B = {} and flags = {} imply {}",
                        self.b,
                        self.flags,
                        self.noldbuckets()
                    ),
                );
            }
            // below_nevacuate_evacuated
            for ob in 0..self.nevacuate {
                for (j, p) in self
                    .arena
                    .chain(self.arena.bucket(old, ob))
                    .into_iter()
                    .enumerate()
                {
                    for i in 0..cnt {
                        let th = self.arena.th(p, i);
                        if !(EVACUATED_X..=EVACUATED_EMPTY).contains(&th) {
                            return viol(
                                Invariant::BelowNevacuateEvacuated,
                                format!(
                                    "oldbuckets[{ob}][{j}].tophash[{i}] = {th} below nevacuate = {}",
                                    self.nevacuate
                                ),
                            );
                        }
                    }
                }
            }
        }

        // nothing_live_after_empty_rest, then the live entries.
        let mut live: Vec<(&'static str, usize, usize, usize, BmapPtr)> = Vec::new();
        let mut err = None;
        for (name, arr) in [("buckets", self.buckets), ("oldbuckets", self.oldbuckets)] {
            let Some(a) = arr else { continue };
            let mut rest_seen: Option<(usize, usize, usize)> = None;
            let mut cur_idx = usize::MAX;
            self.for_each_bmap(a, |idx, j, p| {
                if idx != cur_idx {
                    cur_idx = idx;
                    rest_seen = None;
                }
                for i in 0..cnt {
                    let th = self.arena.th(p, i);
                    if th == EMPTY_REST && rest_seen.is_none() {
                        rest_seen = Some((idx, j, i));
                    } else if !is_empty(th) {
                        if let (Some((ri, rj, rs)), None) = (rest_seen, &err) {
                            err = Some(InvariantViolation {
                                invariant: Invariant::NothingLiveAfterEmptyRest,
                                detail: format!(
                                    "{name}[{idx}][{j}].tophash[{i}] = {th} after EMPTY_REST at {name}[{ri}][{rj}].tophash[{rs}]"
                                ),
                            });
                        }
                    }
                    if th >= MIN_TOP_HASH {
                        live.push((name, idx, j, i, p));
                    }
                }
            });
        }
        if let Some(e) = err {
            return Err(e);
        }

        // count_matches_live_entries
        if live.len() != self.count {
            return viol(
                Invariant::CountMatchesLiveEntries,
                format!("count = {} but {} live slots", self.count, live.len()),
            );
        }

        // no_duplicate_live_key
        let mut seen = HashSet::new();
        for &(name, idx, j, i, p) in &live {
            let k = self.arena.key(p, i);
            if !seen.insert(k) {
                return viol(
                    Invariant::NoDuplicateLiveKey,
                    format!("key {k:?} live again at {name}[{idx}][{j}] slot {i}"),
                );
            }
        }

        // entries_in_home_bucket
        for &(name, idx, j, i, p) in &live {
            let k = self.arena.key(p, i);
            let Some(hash) = self.hasher.try_hash(&k, self.hash0) else {
                return viol(
                    Invariant::EntriesInHomeBucket,
                    format!("live key {k:?} at {name}[{idx}][{j}] slot {i} has no hash"),
                );
            };
            let home = if name == "buckets" {
                hash as usize & bucket_mask(self.b)
            } else {
                let old_home = hash as usize & self.oldbucketmask();
                if self.bucket_evacuated(old_home) {
                    return viol(
                        Invariant::EntriesInHomeBucket,
                        format!(
                            "live key {k:?} at oldbuckets[{idx}][{j}] slot {i} but old bucket {old_home} is evacuated"
                        ),
                    );
                }
                old_home
            };
            if home != idx {
                return viol(
                    Invariant::EntriesInHomeBucket,
                    format!("key {k:?} (hash {hash:#x}) at {name}[{idx}][{j}] slot {i}, home bucket {home}"),
                );
            }
            let th = self.arena.th(p, i);
            if th != tophash(hash) {
                return viol(
                    Invariant::EntriesInHomeBucket,
                    format!(
                        "key {k:?} at {name}[{idx}][{j}] slot {i} has tophash {th}, want {}",
                        tophash(hash)
                    ),
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "map_tests.rs"]
mod tests;
