//! The transition function of the `hmap` model: Go 1.19's map algorithms on [`HmapState`],
//! step by step as runtime/map.go and runtime/map_fast64.go do them.
//!
//! Each public function is one Go operation and runs to completion: a single goroutine owns
//! the map, so nothing can observe it half-way. Inside an operation the state changes in
//! exactly Go's order (growWork before the bucket walk, hashGrow then `goto again`, emptyRest
//! propagation backwards across the chain, advanceEvacuationMark after the evacuation of
//! bucket nevacuate).
//!
//! The key type is `uint64` and the elem type `uint64`, as in the Go traces: neither holds
//! pointers, so (as in Go) deletes clear the elem but not the key, and evacuation leaves the old
//! buckets' keys and elems in place (only their tophash changes).
//!
//! Hashes come from [`HmapState::hashes`], the hash function of the current hash0. A key
//! with no hash there has never been assigned since the last reseed, so it cannot be in the
//! map (this is how a replay of a Go trace supplies hashes).
//!
//! One file per Go function family: `assign` (mapassign, newoverflow), `grow` (hashGrow,
//! growWork, evacuate, advanceEvacuationMark), `delete` (mapdelete), `clear` (mapclear), `access`
//! (mapaccess2, mapaccessK) and `iter` (mapiterinit, mapiternext). This file holds what
//! they share: the geometry, the machine, its errors and ghost bits, makemap and the
//! dispatch of one operation ([`Machine::step`]).

use super::state::*;
pub use crate::framework::log::Log;

mod access;
pub use access::{ReadOnlyStep, StepBits};
mod assign;
mod clear;
mod delete;
mod grow;
mod iter;

/// Go's bucketCnt and load factor, as parameters: Go's are 8 and 13/2, exhaustive checks use
/// smaller buckets so that growth and overflow happen with few keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Geometry {
    /// Slots per bmap: a power of two, at most 8.
    pub bucket_cnt: usize,
    pub load_factor_num: usize,
    pub load_factor_den: usize,
}

impl Geometry {
    /// Go 1.19's own values.
    pub const GO: Geometry = Geometry {
        bucket_cnt: 8,
        load_factor_num: 13,
        load_factor_den: 2,
    };

    /// `overLoadFactor`: count > bucketCnt && count > loadFactorNum*(2^B/loadFactorDen).
    pub fn over_load_factor(&self, count: usize, b: u8) -> bool {
        count > self.bucket_cnt
            && count > self.load_factor_num * ((1usize << b) / self.load_factor_den)
    }

    /// `t.bucketsize` for uint64 keys and elems: tophash bytes, keys, elems, overflow pointer.
    /// 144 for Go's 8 slots.
    // Deviation from Go: a scaled-down bucket (fewer slots) has no Go counterpart; its size is
    // computed by the same layout rule so that preallocation scales the same way.
    pub fn bucket_size(&self) -> usize {
        (self.bucket_cnt + 16 * self.bucket_cnt + 8).div_ceil(8) * 8
    }

    /// The overflow buckets `makeBucketArray` preallocates behind an array of 2^B buckets:
    /// 2^(B-4) when B >= 4, plus whatever rounding the allocation up to its size class adds.
    pub fn prealloc_overflow(&self, b: u8) -> usize {
        if b < 4 {
            return 0;
        }
        let base = 1usize << b;
        let mut nbuckets = base + (1usize << (b - 4));
        let sz = self.bucket_size() * nbuckets;
        let up = roundupsize(sz);
        if up != sz {
            nbuckets = up / self.bucket_size();
        }
        nbuckets - base
    }
}

/// The Go release whose map code runs where releases differ (docs/go-versions.md): only
/// `mapclear` and, from Go 1.24, `mapiternext`'s `clearSeq` check. Everything else of the
/// classic map is Go 1.19's in every release the model covers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum GoRelease {
    /// Go 1.19 (and 1.20): mapclear resets the header and zeroes h.buckets in place.
    #[default]
    Go1_19,
    /// Go 1.21: mapclear first marks every cell of buckets and oldbuckets emptyRest
    /// (issue #59411), so that open iterators stop.
    Go1_21,
    Go1_22,
    Go1_23,
    /// Go 1.24 (GOEXPERIMENT=noswissmap): no marking; `h.clearSeq` counts mapclear calls and
    /// mapiternext re-looks up (mapaccessK) every entry of an iterator started before a clear.
    Go1_24,
    Go1_25,
}

impl GoRelease {
    /// The `go_version` parameter's values.
    pub const NAMES: &'static [(&'static str, GoRelease)] = &[
        ("1.19", GoRelease::Go1_19),
        ("1.21", GoRelease::Go1_21),
        ("1.22", GoRelease::Go1_22),
        ("1.23", GoRelease::Go1_23),
        ("1.24", GoRelease::Go1_24),
        ("1.25", GoRelease::Go1_25),
    ];

    /// The release of a Go minor version (1.19 for 19 and 20, 1.25 from 25 on); None before 1.19.
    pub fn from_minor(minor: u32) -> Option<GoRelease> {
        Some(match minor {
            19 | 20 => GoRelease::Go1_19,
            21 => GoRelease::Go1_21,
            22 => GoRelease::Go1_22,
            23 => GoRelease::Go1_23,
            24 => GoRelease::Go1_24,
            m if m >= 25 => GoRelease::Go1_25,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        GoRelease::NAMES
            .iter()
            .find(|(_, r)| *r == self)
            .map(|(n, _)| *n)
            .expect("every release is named")
    }

    /// mapclear marks every cell of buckets and oldbuckets (and their overflow chains)
    /// emptyRest before resetting the map: Go 1.21 to 1.23.
    pub fn mapclear_marks_buckets_empty(self) -> bool {
        (GoRelease::Go1_21..=GoRelease::Go1_23).contains(&self)
    }

    /// `hmap.clearSeq` and `hiter.clearSeq` exist: Go 1.24 and later.
    pub fn has_clear_seq(self) -> bool {
        self >= GoRelease::Go1_24
    }
}

/// `tooManyOverflowBuckets`: as many overflow buckets as regular buckets (capped at 2^15).
pub fn too_many_overflow_buckets(noverflow: u16, b: u8) -> bool {
    let b = b.min(15);
    noverflow >= 1u16 << b
}

/// runtime/sizeclasses.go's class_to_size.
const CLASS_TO_SIZE: [usize; 68] = [
    0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320,
    352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792,
    2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728,
    10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672,
    32768,
];

/// `roundupsize` (runtime/msize.go): the size class a small allocation gets, or whole 8 KiB
/// pages for a large one.
pub fn roundupsize(size: usize) -> usize {
    const MAX_SMALL_SIZE: usize = 32768;
    const PAGE_SIZE: usize = 8192;
    if size < MAX_SMALL_SIZE {
        // The smallest class that fits: what size_to_class8/size_to_class128 tabulate.
        return *CLASS_TO_SIZE.iter().find(|&&c| c >= size).expect("class");
    }
    size.div_ceil(PAGE_SIZE) * PAGE_SIZE
}

/// What a bounded [`Machine::mapiternext_slots`] ended with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IterNext {
    /// The range loop's next (key, elem).
    Yield(u64, u64),
    /// The iteration is over (the iterator is dropped).
    Done,
    /// The slot budget ran out; the iterator holds the position.
    Pending,
}

/// Which ghost state the transition keeps up to date (see [`Ghost`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Track {
    /// The abstract map (`ghost.abs`), for access_agrees_with_abstract_map and the
    /// iterator properties.
    pub abs: bool,
    /// Per-iterator yield sets.
    pub iters: bool,
    /// growWork calls since the grow started.
    pub grow_works: bool,
    /// Checks of the seed's claims (S11, S12, S14, S15) and other per-transition checks.
    pub claims: bool,
}

/// Errors of the transition function on inputs the model cannot give meaning to (they only
/// arise when a caller outside the checker drives it, e.g. a trace replay).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepError {
    /// A live key whose hash under the current hash0 is unknown.
    UnknownHash { key: u64 },
    /// An iterator id that is not open.
    NoSuchIterator { iter: u8 },
    /// mapiterinit's start bucket or offset out of range.
    BadIteratorStart { start_bucket: u16, offset: u8 },
    /// Go would throw "bad map state".
    BadMapState,
    /// mapassign's hashGrow / `goto again` did not settle (only possible with a load factor
    /// above bucket_cnt, which Go's parameters exclude).
    GrowLoop,
    /// A bucket index or overflow depth past the end of its array: only reachable when
    /// goroutines race on the header (h.B and h.buckets from different moments), where Go
    /// reads memory outside the map.
    OutOfBounds,
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepError::UnknownHash { key } => {
                write!(f, "no hash known for key {key} under the current hash0")
            }
            StepError::NoSuchIterator { iter } => write!(f, "iterator it{iter} is not open"),
            StepError::BadIteratorStart {
                start_bucket,
                offset,
            } => write!(
                f,
                "iterator start bucket {start_bucket} / offset {offset} out of range"
            ),
            StepError::BadMapState => write!(f, "bad map state"),
            StepError::GrowLoop => write!(f, "hashGrow re-triggered without end in one mapassign"),
            StepError::OutOfBounds => write!(f, "a bucket index past the end of its array"),
        }
    }
}

impl std::error::Error for StepError {}

/// Property bits of [`Ghost::violations`] (indices into `properties::PROPERTIES`' per-
/// transition checks).
pub mod viol {
    pub const ACCESS_MISMATCH: u64 = 1 << 0;
    pub const ITER_KEY_TWICE: u64 = 1 << 1;
    pub const ITER_ENTRY_TWICE: u64 = 1 << 2;
    pub const ITER_DELETED_KEY: u64 = 1 << 3;
    pub const ITER_STALE_VALUE: u64 = 1 << 4;
    pub const ITER_INCOMPLETE: u64 = 1 << 5;
    pub const B_DECREASED: u64 = 1 << 6;
    pub const S11_KEY_NOT_CLEARED: u64 = 1 << 7;
    pub const S11_OTHER_TOPHASH_CHANGED: u64 = 1 << 8;
    pub const S12_NOT_IN_PLACE: u64 = 1 << 9;
    pub const S12_EMPTY_ONE_NOT_REUSED: u64 = 1 << 10;
    pub const S14_OLD_BEFORE_NEW: u64 = 1 << 11;
    pub const S15_WRITE_TO_OLD: u64 = 1 << 12;
    pub const S17_FREED_UNEVACUATED: u64 = 1 << 13;
}

/// Event bits of [`Ghost::events`], for `sometimes` properties.
pub mod ev {
    pub const ACCESS_DURING_GROWTH: u32 = 1 << 0;
    pub const RESEED: u32 = 1 << 1;
    pub const ITER_YIELD_VIA_MAPACCESSK: u32 = 1 << 2;
    pub const ITER_CHECKBUCKET_SKIP: u32 = 1 << 3;
    pub const EVACUATE_NEWOVERFLOW: u32 = 1 << 4;
    pub const DOUBLE_GROW_STARTED: u32 = 1 << 5;
    pub const SAME_SIZE_GROW_STARTED: u32 = 1 << 6;
    pub const CLEAR_WITH_ITERATOR: u32 = 1 << 7;
}

/// The transition function with its configuration. The checker and the conformance tests
/// call the same code.
#[derive(Clone, Debug)]
pub struct Machine {
    pub geo: Geometry,
    pub track: Track,
    /// Which release's mapclear and mapiternext run.
    pub go: GoRelease,
}

use crate::framework::iter_ghost::key_bit;

/// Where a slot is: (array, chain, depth, slot).
pub type SlotPos = (ArrayId, usize, usize, usize);

impl Machine {
    fn bucket_cnt(&self) -> usize {
        self.geo.bucket_cnt
    }

    fn hash<const N: usize>(&self, s: &HmapState<N>, key: u64) -> Result<u64, StepError> {
        s.hashes
            .get(&key)
            .copied()
            .ok_or(StepError::UnknownHash { key })
    }

    /// A fresh bucket array of 2^b chains of one zeroed bmap (`newarray`).
    /// `makeBucketArray`: a fresh array of 2^B empty chains in the arena.
    pub fn new_array<const N: usize>(s: &mut HmapState<N>, b: u8) -> ArrayId {
        s.arrays.push(BucketArray::new(1usize << b));
        (s.arrays.len() - 1) as ArrayId
    }

    /// `makemap(t, hint, h)` with fastrand's hash0 (and its hash function).
    pub fn makemap<const N: usize>(
        &self,
        hint: usize,
        hash0: u32,
        hashes: impl Into<HashFn>,
    ) -> HmapState<N> {
        let mut s = HmapState::empty(hash0, hashes.into());
        let mut b = 0u8;
        while self.geo.over_load_factor(hint, b) {
            b += 1;
        }
        s.h.b = b;
        if b != 0 {
            s.h.buckets = Some(Self::new_array(&mut s, b));
            s.h.prealloc_left = self.geo.prealloc_overflow(b);
        }
        s
    }

    /// Runs one action. Returns what the Go program observes.
    pub fn step<const N: usize>(
        &self,
        s: &mut HmapState<N>,
        action: &HmapAction,
        new_hashes: Option<&std::collections::BTreeMap<u64, u64>>,
        log: &mut Log,
    ) -> Result<Outcome, StepError> {
        let new_hashes = new_hashes.map(|m| HashFn::from(m.clone()));
        self.step_fn(s, action, new_hashes.as_ref(), log)
    }

    /// [`Machine::step`] with the new hash function (for a reseeding delete) already shared:
    /// the checker's hot path, which copies no map.
    pub fn step_fn<const N: usize>(
        &self,
        s: &mut HmapState<N>,
        action: &HmapAction,
        new_hashes: Option<&HashFn>,
        log: &mut Log,
    ) -> Result<Outcome, StepError> {
        s.ghost.violations = 0;
        s.ghost.events = 0;
        let b_before = s.h.b;
        let out = match *action {
            HmapAction::Assign { key, elem } => {
                self.mapassign(s, key, elem, log)?;
                Outcome::None
            }
            HmapAction::Delete { key, reseed } => {
                self.mapdelete(s, key, reseed, new_hashes, log)?;
                Outcome::None
            }
            HmapAction::Clear { reseed } => {
                self.mapclear(s, reseed, new_hashes, log)?;
                Outcome::None
            }
            HmapAction::Access { key } => {
                let (elem, found) = self.mapaccess2(s, key, log)?;
                Outcome::Access { elem, found }
            }
            HmapAction::IterInit {
                start_bucket,
                offset,
            } => {
                let (iter, kv) = self.mapiterinit(s, start_bucket, offset, log)?;
                Outcome::Yield { iter, kv }
            }
            HmapAction::IterNext { iter } => {
                let kv = self.mapiternext(s, iter, log)?;
                Outcome::Yield { iter, kv }
            }
        };
        s.ops = s.ops.saturating_add(1);
        if self.track.claims && s.h.b < b_before {
            s.ghost.violations |= viol::B_DECREASED;
        }
        if !s.h.growing() {
            s.ghost.grow_works = 0;
        }
        Self::collect_arrays(s);
        Ok(out)
    }

    /// Drops bucket arrays nothing refers to any more and numbers the rest canonically
    /// (buckets, oldbuckets, then iterators in order), so that states that differ only in
    /// arena order are one state.
    pub fn collect_arrays<const N: usize>(s: &mut HmapState<N>) {
        // Most steps leave the arena as it was: with no iterator, buckets at 0 and (while
        // growing) oldbuckets at 1 and nothing else is the canonical numbering already.
        if s.iters.is_empty() {
            let n = match (s.h.buckets, s.h.oldbuckets) {
                (Some(0), None) => 1,
                (Some(0), Some(1)) => 2,
                (None, None) => 0,
                _ => usize::MAX,
            };
            if n == s.arrays.len() {
                return;
            }
        }
        let mut order: smallvec::SmallVec<[ArrayId; 8]> = smallvec::SmallVec::new();
        let push = |id: ArrayId, order: &mut smallvec::SmallVec<[ArrayId; 8]>| {
            if !order.contains(&id) {
                order.push(id);
            }
        };
        if let Some(id) = s.h.buckets {
            push(id, &mut order);
        }
        if let Some(id) = s.h.oldbuckets {
            push(id, &mut order);
        }
        for it in &s.iters {
            push(it.buckets, &mut order);
            if let Some(p) = it.bptr {
                push(p.array(), &mut order);
            }
        }
        let identity = order.len() == s.arrays.len()
            && order.iter().enumerate().all(|(i, &id)| i == id as usize);
        if identity {
            return;
        }
        let remap = |id: ArrayId| order.iter().position(|&o| o == id).unwrap() as ArrayId;
        s.arrays.reorder(&order);
        s.h.buckets = s.h.buckets.map(remap);
        s.h.oldbuckets = s.h.oldbuckets.map(remap);
        for it in &mut s.iters {
            it.buckets = remap(it.buckets);
            if let Some(p) = &mut it.bptr {
                p.set_array(remap(p.array()));
            }
        }
    }

    /// The live slot holding `key`, searched as mapaccess would (no side effects).
    pub fn find_live<const N: usize>(&self, s: &HmapState<N>, key: u64) -> Option<SlotPos> {
        let hash = s.hashes.get(&key).copied()?;
        let (arr, chain) = self.lookup_chain(s, hash)?;
        for (d, bm) in s.array(arr)[chain].iter().enumerate() {
            for i in 0..self.bucket_cnt() {
                if bm.keys[i] == key && bm.tophash[i] >= MIN_TOP_HASH {
                    return Some((arr, chain, d, i));
                }
            }
        }
        None
    }

    /// The chain mapaccess searches for `hash`: the old bucket while it is unevacuated, else
    /// the new one.
    fn lookup_chain<const N: usize>(
        &self,
        s: &HmapState<N>,
        hash: u64,
    ) -> Option<(ArrayId, usize)> {
        let buckets = s.h.buckets?;
        let mut m = (1usize << s.h.b) - 1;
        let mut res = (buckets, hash as usize & m);
        if let Some(old) = s.h.oldbuckets {
            if !s.h.same_size_grow() {
                m >>= 1;
            }
            let ob = hash as usize & m;
            if !s.array(old).get(ob)?[0].evacuated() {
                res = (old, ob);
            }
        }
        // Only a racing header (h.B and the arrays from different moments) indexes past
        // the end; there is no such chain to look in.
        s.array(res.0).get(res.1)?;
        Some(res)
    }

    /// Plain lookup without side effects or ghost updates.
    pub fn lookup<const N: usize>(&self, s: &HmapState<N>, key: u64) -> Option<u64> {
        if s.h.count == 0 {
            return None;
        }
        self.find_live(s, key)
            .map(|(a, c, d, i)| s.array(a)[c][d].elems[i])
    }
}
