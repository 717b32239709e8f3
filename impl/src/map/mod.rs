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
//! # Files (along Go's functions)
//! - `mod.rs` (this file): the constants and helpers (`isEmpty`, `tophash`, `bucketShift`,
//!   `bucketMask`, `overLoadFactor`, `tooManyOverflowBuckets`), [`MapParams`], the bmap
//!   arena, the `hmap` ([`GoMap`]), `makemap`, `makeBucketArray`, `incrnoverflow` and
//!   `newoverflow` (allocation, shared by assign and evacuate).
//! - `access.rs`: `mapaccess1_fast64`, `mapaccess2_fast64`, `mapaccessK`.
//! - `assign.rs`: `mapassign_fast64`.
//! - `delete.rs`: `mapdelete_fast64` (with its `emptyRest` propagation), `mapclear`.
//! - `grow.rs`: `hashGrow`, `growWork`, `bucketEvacuated`, `evacuate_fast64`,
//!   `advanceEvacuationMark`.
//! - `iter.rs`: `hiter`, `mapiterinit`, `mapiternext`, and [`Range`] (a `range` loop).
//! - `check.rs`: the snapshots and views the trace replay compares, and
//!   [`GoMap::check_invariants`].
//! - `tests.rs`: unit tests in the manner of Go's runtime/map_test.go.
//!
//! The other files are child modules of this one: they read its private fields and
//! helpers, and it calls their `pub(super)` methods. Between them, `assign`, `delete` and
//! `check` use `grow`'s methods and `iter` uses `access`'s `mapaccessK`; no two of them
//! use each other.
//!
//! # Layout
//! Bucket memory is an arena of allocations that are never freed, so that bucket arrays
//! keep their identity: an iterator holds the array that was `h.buckets` at
//! `mapiterinit`, which may later be neither `buckets` nor `oldbuckets`. Each bucket array
//! is one allocation of its final size, made once by `makeBucketArray` (as Go's
//! `newarray`) and never moved; the overflow buckets `newoverflow` allocates one by one
//! (Go's `newobject`) share one pool allocation. A bmap pointer is (allocation, index).
//!
//! ```text
//!  arena:  [ unused ] [ pool: ovf ovf .. ] [ array A: b0 .. b(2^B-1) | prealloc p0 .. pn ] [ array B ... ] ...
//!  bmap:   tophash[bucketCnt]  keys[bucketCnt]  elems[bucketCnt]  overflow -> bmap | nil
//! ```
//! A bmap has Go's layout for `map[uint64]uint64` (tophash, keys, elems, overflow side by
//! side); with a scaled-down `bucketCnt` (below 8) only the first `bucketCnt` slots are
//! used. The last preallocated overflow bucket's `overflow` points at the array's first
//! bucket (Go's sentinel) until `newoverflow` hands it out. Deviation from Go: nothing is
//! ever freed (`mapextra.overflow`/`oldoverflow` only exist to keep overflow buckets alive
//! for Go's GC and are not modelled).
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

use std::fmt;
use std::num::NonZeroU32;

use serde::{Deserialize, Serialize};

use crate::goversion::GoVersion;
use crate::hash::{GoMemHasher, MapHasher, RandomSource, WyRand};
use crate::sizeclasses::roundupsize;

mod access;
mod assign;
mod check;
mod delete;
mod grow;
mod iter;

pub use check::{
    ArrayView, BmapSnapshot, BmapView, Chain, HmapSnapshot, Invariant, InvariantViolation,
};
use iter::IterSlot;
pub use iter::{IterId, Range};

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

/// The most slots a bmap can have (`bucketCnt` of Go; [`MapParams::bucket_cnt`] is at most
/// this).
const BUCKET_CNT_MAX: usize = 8;

/// The first of a bmap's slots `0..cnt` for which `holds` is true, in Go's order. With Go's
/// geometry (`cnt` = bucketCnt) the scan has the constant bound Go's fast64 loops have,
/// which the compiler unrolls; scaled-down maps scan their `cnt` slots.
#[inline(always)]
fn first_slot(cnt: usize, holds: impl Fn(usize) -> bool) -> Option<usize> {
    if cnt == BUCKET_CNT_MAX {
        (0..BUCKET_CNT_MAX).find(|&i| holds(i))
    } else {
        (0..cnt).find(|&i| holds(i))
    }
}

/// Address of a bmap (Go: a `*bmap`): the allocation ([`Store`]) it lives in and its index
/// there. Stores never move their bmaps' identities, whatever else is allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct BmapPtr {
    store: NonZeroU32,
    idx: u32,
}

impl BmapPtr {
    #[inline]
    fn new(store: usize, idx: usize) -> Self {
        BmapPtr {
            store: NonZeroU32::new(u32::try_from(store).expect("< 2^32 allocations"))
                .expect("store 0 is never addressed"),
            idx: u32::try_from(idx).expect("< 2^32 bmaps in one allocation"),
        }
    }

    /// The bmap right after this one in the same allocation (`add(b, uintptr(t.bucketsize))`).
    #[inline]
    fn next(self) -> Self {
        BmapPtr {
            store: self.store,
            idx: self.idx + 1,
        }
    }
}

/// Identity of a bucket array (Go: the `unsafe.Pointer` in `h.buckets`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArrayId(usize);

/// One bmap, laid out as Go's `bmap` of `map[uint64]uint64`: tophash, keys, elems and the
/// overflow pointer side by side, in this order (144 bytes for `u64` keys and elems). Only
/// the first `bucket_cnt` slots are used.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
struct Bmap<K, V> {
    tophash: [u8; BUCKET_CNT_MAX],
    keys: [K; BUCKET_CNT_MAX],
    elems: [V; BUCKET_CNT_MAX],
    overflow: Option<BmapPtr>,
}

impl<K: Copy + Default, V: Copy + Default> Bmap<K, V> {
    /// A zeroed bmap (what `newarray` / `newobject` return).
    fn zeroed() -> Self {
        Bmap {
            tophash: [0; BUCKET_CNT_MAX],
            keys: [K::default(); BUCKET_CNT_MAX],
            elems: [V::default(); BUCKET_CNT_MAX],
            overflow: None,
        }
    }
}

/// One allocation of bmaps: a bucket array (`nbuckets` main buckets, then the preallocated
/// overflow buckets), or the pool of overflow buckets `newoverflow` allocates one by one.
#[derive(Debug)]
struct Store<K, V> {
    bmaps: Vec<Bmap<K, V>>,
    /// Number of main buckets (1 << B at allocation); 0 for the overflow pool.
    nbuckets: usize,
}

impl<K: Clone, V: Clone> Clone for Store<K, V> {
    fn clone(&self) -> Self {
        let mut bmaps = heap_vec(self.bmaps.len());
        bmaps.extend_from_slice(&self.bmaps);
        Store {
            bmaps,
            nbuckets: self.nbuckets,
        }
    }
}

/// An empty vector with room for `n` items, whose memory the kernel may back with huge
/// pages, as Go's runtime asks for its heap: runtime/mem_linux.go's sysHugePageOS
/// madvises the whole huge pages of the memory it takes into use with MADV_HUGEPAGE.
/// Without it, where transparent huge pages are `madvise` only (a common default), Go's
/// map of 2^18 keys has huge pages and the port's does not, and its random accesses miss
/// the TLB more. Called before the memory is first touched, so that its page faults can
/// map huge pages.
fn heap_vec<T>(n: usize) -> Vec<T> {
    let v = Vec::with_capacity(n);
    #[cfg(target_os = "linux")]
    {
        // The huge page size of x86-64 and arm64 with 4 KiB pages (Go reads it from
        // /sys/kernel/mm/transparent_hugepage/hpage_pmd_size; a different size only makes
        // the advice cover less).
        const HUGE: usize = 2 << 20;
        let start = v.as_ptr() as usize;
        let beg = start.next_multiple_of(HUGE);
        let end = (start + n * std::mem::size_of::<T>()) / HUGE * HUGE;
        if beg < end {
            // SAFETY: [beg, end) lies inside the vector's allocation; the advice changes
            // how the kernel backs it, not its contents. A failure only leaves it as it was.
            unsafe {
                libc::madvise(beg as *mut libc::c_void, end - beg, libc::MADV_HUGEPAGE);
            }
        }
    }
    v
}

/// Index of the store that holds the overflow buckets allocated one by one.
const POOL: usize = 1;

/// Bucket memory: one [`Store`] per bucket array, which is allocated once at its final size
/// and never moves or grows (so a growth copies nothing but the entries it evacuates),
/// plus one pool store for single overflow buckets. Store 0 is unused, so that a
/// [`BmapPtr`] is never 0 and `Option<BmapPtr>` costs no more than a pointer.
#[derive(Clone, Debug)]
struct Arena<K, V> {
    bucket_cnt: usize,
    stores: Vec<Store<K, V>>,
}

impl<K: Copy + Default, V: Copy + Default> Arena<K, V> {
    fn new(bucket_cnt: usize) -> Self {
        debug_assert!(bucket_cnt <= BUCKET_CNT_MAX);
        let empty = || Store {
            bmaps: Vec::new(),
            nbuckets: 0,
        };
        Arena {
            bucket_cnt,
            stores: vec![empty(), empty()],
        }
    }

    /// `newobject(t.bucket)`: one zeroed overflow bmap.
    fn alloc_one(&mut self) -> BmapPtr {
        let pool = &mut self.stores[POOL].bmaps;
        pool.push(Bmap::zeroed());
        BmapPtr::new(POOL, pool.len() - 1)
    }

    /// `newarray(t.bucket, n)` with the first `nbuckets` being the main buckets.
    fn new_array(&mut self, total: usize, nbuckets: usize) -> ArrayId {
        let mut bmaps = heap_vec(total);
        bmaps.resize(total, Bmap::zeroed());
        self.stores.push(Store { bmaps, nbuckets });
        ArrayId(self.stores.len() - 1)
    }

    /// The bmaps of array `a`, main and preallocated overflow buckets.
    fn array_mut(&mut self, a: ArrayId) -> &mut [Bmap<K, V>] {
        &mut self.stores[a.0].bmaps
    }

    /// Number of main buckets of array `a`.
    fn nbuckets(&self, a: ArrayId) -> usize {
        self.stores[a.0].nbuckets
    }

    /// `add(array, i*bucketsize)`.
    #[inline]
    fn bucket(&self, a: ArrayId, i: usize) -> BmapPtr {
        BmapPtr::new(a.0, i)
    }

    #[inline]
    fn bm(&self, b: BmapPtr) -> &Bmap<K, V> {
        &self.stores[b.store.get() as usize].bmaps[b.idx as usize]
    }

    #[inline]
    fn bm_mut(&mut self, b: BmapPtr) -> &mut Bmap<K, V> {
        &mut self.stores[b.store.get() as usize].bmaps[b.idx as usize]
    }

    #[inline]
    fn th(&self, b: BmapPtr, i: usize) -> u8 {
        self.bm(b).tophash[i]
    }

    #[inline]
    fn set_th(&mut self, b: BmapPtr, i: usize, v: u8) {
        self.bm_mut(b).tophash[i] = v;
    }

    #[inline]
    fn key(&self, b: BmapPtr, i: usize) -> K {
        self.bm(b).keys[i]
    }

    #[inline]
    fn ovf(&self, b: BmapPtr) -> Option<BmapPtr> {
        self.bm(b).overflow
    }

    fn set_ovf(&mut self, b: BmapPtr, o: Option<BmapPtr>) {
        self.bm_mut(b).overflow = o;
    }

    /// `evacuated(b)`: the bucket's tophash[0] is one of the EVACUATED_* states.
    #[inline]
    fn evacuated(&self, b: BmapPtr) -> bool {
        evacuated(self.bm(b))
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

/// `evacuated(b)` of one bmap.
#[inline]
fn evacuated<K, V>(b: &Bmap<K, V>) -> bool {
    let h = b.tophash[0];
    h > EMPTY_ONE && h < MIN_TOP_HASH
}

/// What the ports ask of a key type: a comparable plain value, as Go's `uint64` keys are.
/// Every such type is one.
pub trait MapKey: Copy + Eq + Default + std::hash::Hash + fmt::Debug {}
impl<T: Copy + Eq + Default + std::hash::Hash + fmt::Debug> MapKey for T {}

/// What the ports ask of an elem type: a plain value. Every such type is one.
pub trait MapElem: Copy + Default + fmt::Debug {}
impl<T: Copy + Default + fmt::Debug> MapElem for T {}

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

impl<K: MapKey, V: MapElem, H: MapHasher<K>, R: RandomSource> GoMap<K, V, H, R> {
    /// `makemap(t, hint, nil)`: hash0 from the random source, the smallest B with
    /// `!overLoadFactor(hint, B)`, and the bucket array allocated now only if B > 0.
    ///
    /// Deviation from Go: the hint is a `usize` (Go's `int` may be negative, which
    /// makemap treats like 0, as it does here for hints whose memory exceeds maxAlloc).
    ///
    /// # Panics
    /// If `params.bucket_cnt` is not a power of two in 1..=8 (see [`MapParams::new`]).
    pub fn makemap(params: MapParams, hint: usize, hasher: H, rand: R) -> Self {
        assert!(
            params.bucket_cnt.is_power_of_two() && params.bucket_cnt <= BUCKET_CNT_MAX,
            "gomap: bucket_cnt = {}, want a power of two in 1..=8",
            params.bucket_cnt
        );
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
                self.arena.array_mut(a)[..nbuckets].fill(Bmap::zeroed());
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
            self.arena.set_ovf(last, Some(first));
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
                self.next_overflow = Some(ovf.next());
            } else {
                // The last preallocated overflow bucket: reset its sentinel.
                self.arena.set_ovf(ovf, None);
                self.next_overflow = None;
            }
        } else {
            ovf = self.arena.alloc_one(); // newobject(t.bucket)
        }
        self.incrnoverflow();
        // Deviation from Go: `h.createOverflow(); *h.extra.overflow = append(..., ovf)`
        // keeps pointer-free overflow buckets alive for the GC; the arena never frees.
        self.arena.set_ovf(b, Some(ovf));
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
            p = p.next();
            n += 1;
        }
        n
    }
}

#[cfg(test)]
mod tests;
