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

use super::state::*;
pub use crate::framework::log::Log;

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
}

/// The transition function with its configuration. The checker and the conformance tests
/// call the same code.
#[derive(Clone, Debug)]
pub struct Machine {
    pub geo: Geometry,
    pub track: Track,
}

fn key_bit(key: u64) -> u64 {
    if (1..=64).contains(&key) {
        1u64 << (key - 1)
    } else {
        0
    }
}

/// Where a slot is: (array, chain, depth, slot).
pub type SlotPos = (ArrayId, usize, usize, usize);

impl Machine {
    fn bucket_cnt(&self) -> usize {
        self.geo.bucket_cnt
    }

    fn hash(&self, s: &HmapState, key: u64) -> Result<u64, StepError> {
        s.hashes
            .get(&key)
            .copied()
            .ok_or(StepError::UnknownHash { key })
    }

    /// A fresh bucket array of 2^b chains of one zeroed bmap (`newarray`).
    /// `makeBucketArray`: a fresh array of 2^B empty chains in the arena.
    pub fn new_array(s: &mut HmapState, b: u8) -> ArrayId {
        s.arrays.push(vec![vec![Bmap::default()]; 1usize << b]);
        (s.arrays.len() - 1) as ArrayId
    }

    /// `makemap(t, hint, h)` with fastrand's hash0 (and its hash function).
    pub fn makemap(&self, hint: usize, hash0: u32, hashes: impl Into<HashFn>) -> HmapState {
        let mut s = HmapState {
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
            },
            arrays: Arena::default(),
            iters: Vec::new(),
            hashes: hashes.into(),
            ops: 0,
            next_iter_id: 0,
            ghost: Ghost::default(),
            sym: SymCtx::default(),
        };
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
    pub fn step(
        &self,
        s: &mut HmapState,
        action: &HmapAction,
        new_hashes: Option<&std::collections::BTreeMap<u64, u64>>,
        log: &mut Log,
    ) -> Result<Outcome, StepError> {
        let new_hashes = new_hashes.map(|m| HashFn::from(m.clone()));
        self.step_fn(s, action, new_hashes.as_ref(), log)
    }

    /// [`Machine::step`] with the new hash function (for a reseeding delete) already shared:
    /// the checker's hot path, which copies no map.
    pub fn step_fn(
        &self,
        s: &mut HmapState,
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
    pub fn collect_arrays(s: &mut HmapState) {
        let mut order: Vec<ArrayId> = Vec::with_capacity(s.arrays.len());
        let push = |id: ArrayId, order: &mut Vec<ArrayId>| {
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
                push(p.array, &mut order);
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
                p.array = remap(p.array);
            }
        }
    }

    /// The live slot holding `key`, searched as mapaccess would (no side effects).
    pub fn find_live(&self, s: &HmapState, key: u64) -> Option<SlotPos> {
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
    fn lookup_chain(&self, s: &HmapState, hash: u64) -> Option<(ArrayId, usize)> {
        let buckets = s.h.buckets?;
        let mut m = (1usize << s.h.b) - 1;
        let mut res = (buckets, hash as usize & m);
        if let Some(old) = s.h.oldbuckets {
            if !s.h.same_size_grow() {
                m >>= 1;
            }
            let ob = hash as usize & m;
            if !s.array(old)[ob][0].evacuated() {
                res = (old, ob);
            }
        }
        Some(res)
    }

    /// Plain lookup without side effects or ghost updates.
    pub fn lookup(&self, s: &HmapState, key: u64) -> Option<u64> {
        if s.h.count == 0 {
            return None;
        }
        self.find_live(s, key)
            .map(|(a, c, d, i)| s.array(a)[c][d].elems[i])
    }

    // ---- mapassign ----------------------------------------------------------------------

    /// `mapassign_fast64(t, h, key)` followed by the store of the elem.
    pub fn mapassign(
        &self,
        s: &mut HmapState,
        key: u64,
        elem: u64,
        log: &mut Log,
    ) -> Result<(), StepError> {
        let hash = self.hash(s, key)?;
        let was_growing = s.h.growing();
        // Claims bookkeeping: where the key was, and the first emptyOne of its chain.
        let (before_pos, first_empty_one) = if self.track.claims {
            let pos = self.find_live(s, key);
            let eo = s.h.buckets.and_then(|arr| {
                let chain = hash as usize & ((1usize << s.h.b) - 1);
                s.array(arr)[chain].iter().enumerate().find_map(|(d, bm)| {
                    (0..self.bucket_cnt())
                        .find(|&i| bm.tophash[i] == EMPTY_ONE)
                        .map(|i| (arr, chain, d, i))
                })
            });
            (pos, eo)
        } else {
            (None, None)
        };

        // h.flags ^= hashWriting: set and cleared within this action; a single goroutine
        // never observes it (the concurrent models split it out).
        if s.h.buckets.is_none() {
            s.h.buckets = Some(Self::new_array(s, 0));
            log.note(|| "h.buckets = newobject(t.bucket)".into());
        }
        let mut grows = 0;
        let (pos, inserted) = loop {
            // again:
            let bucket = hash as usize & ((1usize << s.h.b) - 1);
            if s.h.growing() {
                self.grow_work(s, bucket, log)?;
            }
            let arr = s.h.buckets.unwrap();
            let mut insert: Option<(usize, usize)> = None;
            let mut found: Option<(usize, usize)> = None;
            let chain = &s.array(arr)[bucket];
            'bucketloop: for (d, bm) in chain.iter().enumerate() {
                for i in 0..self.bucket_cnt() {
                    if is_empty(bm.tophash[i]) {
                        if insert.is_none() {
                            insert = Some((d, i));
                        }
                        if bm.tophash[i] == EMPTY_REST {
                            break 'bucketloop;
                        }
                        continue;
                    }
                    if bm.keys[i] != key {
                        continue;
                    }
                    found = Some((d, i));
                    break 'bucketloop;
                }
            }
            if let Some((d, i)) = found {
                break ((arr, bucket, d, i), false);
            }
            // Did not find mapping for key. Allocate new cell & add entry.
            if !s.h.growing()
                && (self.geo.over_load_factor(s.h.count + 1, s.h.b)
                    || too_many_overflow_buckets(s.h.noverflow, s.h.b))
            {
                grows += 1;
                if grows > 2 {
                    return Err(StepError::GrowLoop);
                }
                self.hash_grow(s, log);
                continue; // goto again
            }
            let (d, i) = match insert {
                Some(p) => p,
                None => {
                    let d = self.newoverflow(s, arr, bucket, log);
                    (d, 0)
                }
            };
            let bm = &mut s.array_mut(arr)[bucket][d];
            bm.tophash[i] = tophash(hash);
            bm.keys[i] = key;
            s.h.count += 1;
            break ((arr, bucket, d, i), true);
        };
        let (arr, c, d, i) = pos;
        s.array_mut(arr)[c][d].elems[i] = elem;
        log.note(|| {
            format!(
                "{} k{key} in bucket {c}{} slot {i}",
                if inserted { "insert" } else { "update" },
                if d > 0 {
                    format!(" overflow {d}")
                } else {
                    String::new()
                }
            )
        });
        if self.track.abs {
            if let Some(slot) = s.ghost.abs.get_mut(key as usize) {
                *slot = elem;
            }
        }
        if self.track.claims {
            if !inserted && before_pos != Some(pos) {
                s.ghost.violations |= viol::S12_NOT_IN_PLACE;
            }
            if inserted {
                if let Some(eo) = first_empty_one {
                    if eo != pos {
                        s.ghost.violations |= viol::S12_EMPTY_ONE_NOT_REUSED;
                    }
                }
            }
            if was_growing && Some(arr) != s.h.buckets {
                s.ghost.violations |= viol::S15_WRITE_TO_OLD;
            }
        }
        Ok(())
    }

    /// `h.newoverflow(t, b)`: hands out a preallocated overflow bucket if any is left, else a
    /// new one; counts it in noverflow; links it at the end of the chain. Returns its depth.
    pub fn newoverflow(
        &self,
        s: &mut HmapState,
        arr: ArrayId,
        chain: usize,
        log: &mut Log,
    ) -> usize {
        let prealloc = s.h.prealloc_left > 0;
        if prealloc {
            s.h.prealloc_left -= 1;
        }
        // incrnoverflow: exact while B < 16.
        // Deviation from Go: from B = 16 Go counts with probability 2^-(B-15) (fastrand); the
        // model counts every overflow bucket. Models and traces stay below B = 16.
        s.h.noverflow = s.h.noverflow.wrapping_add(1);
        let c = &mut s.array_mut(arr)[chain];
        c.push(Bmap::default());
        let d = c.len() - 1;
        log.note(|| {
            format!(
                "newoverflow(bucket {chain}) -> overflow {d}{}, noverflow={}",
                if prealloc { " (preallocated)" } else { "" },
                s.h.noverflow
            )
        });
        d
    }

    // ---- growth -------------------------------------------------------------------------

    /// `hashGrow`: doubles, or grows to the same size when the map is not overloaded (too many
    /// overflow buckets). Evacuation happens later, incrementally, in growWork.
    pub fn hash_grow(&self, s: &mut HmapState, log: &mut Log) {
        let mut bigger = 1u8;
        if !self.geo.over_load_factor(s.h.count + 1, s.h.b) {
            bigger = 0;
            s.h.flags |= SAME_SIZE_GROW;
        }
        let oldbuckets = s.h.buckets;
        let new_b = s.h.b + bigger;
        let newbuckets = Self::new_array(s, new_b);
        let mut flags = s.h.flags & !(ITERATOR | OLD_ITERATOR);
        if s.h.flags & ITERATOR != 0 {
            flags |= OLD_ITERATOR;
        }
        s.h.b = new_b;
        s.h.flags = flags;
        s.h.oldbuckets = oldbuckets;
        s.h.buckets = Some(newbuckets);
        s.h.nevacuate = 0;
        s.h.noverflow = 0;
        let next_overflow = self.geo.prealloc_overflow(new_b);
        if next_overflow > 0 {
            s.h.prealloc_left = next_overflow;
        }
        s.ghost.grow_works = 0;
        s.ghost.events |= if bigger == 0 {
            ev::SAME_SIZE_GROW_STARTED
        } else {
            ev::DOUBLE_GROW_STARTED
        };
        log.note(|| {
            format!(
                "hashGrow: {} to B={new_b}",
                if bigger == 0 {
                    "same-size grow"
                } else {
                    "double"
                }
            )
        });
    }

    /// `growWork`: evacuate the old bucket the caller is about to use, then one more.
    fn grow_work(&self, s: &mut HmapState, bucket: usize, log: &mut Log) -> Result<(), StepError> {
        if self.track.grow_works {
            s.ghost.grow_works = s.ghost.grow_works.saturating_add(1);
        }
        self.evacuate(s, bucket & s.h.oldbucketmask(), log)?;
        if s.h.growing() {
            self.evacuate(s, s.h.nevacuate, log)?;
        }
        Ok(())
    }

    /// `evacuate_fast64(t, h, oldbucket)`: moves every entry of the old chain to X (same
    /// index) or Y (index + newbit) of the new array, marks the old cells evacuatedX/Y/Empty.
    pub fn evacuate(
        &self,
        s: &mut HmapState,
        oldbucket: usize,
        log: &mut Log,
    ) -> Result<(), StepError> {
        let old = s.h.oldbuckets.expect("evacuate while not growing");
        let new = s.h.buckets.expect("growing map has buckets");
        let newbit = s.h.noldbuckets();
        let bc = self.bucket_cnt();
        if !s.array(old)[oldbucket][0].evacuated() {
            // xy: (chain, depth, next slot) of the X and Y destinations.
            let mut xy = [(oldbucket, 0usize, 0usize), (oldbucket + newbit, 0, 0)];
            let (mut nx, mut ny) = (0, 0);
            let depth = s.array(old)[oldbucket].len();
            for d in 0..depth {
                for i in 0..bc {
                    let top = s.arrays[old as usize][oldbucket][d].tophash[i];
                    if is_empty(top) {
                        s.array_mut(old)[oldbucket][d].tophash[i] = EVACUATED_EMPTY;
                        continue;
                    }
                    if top < MIN_TOP_HASH {
                        return Err(StepError::BadMapState);
                    }
                    let k = s.arrays[old as usize][oldbucket][d].keys[i];
                    let e = s.arrays[old as usize][oldbucket][d].elems[i];
                    let mut use_y = 0usize;
                    if !s.h.same_size_grow() {
                        let hash = self.hash(s, k)?;
                        if hash as usize & newbit != 0 {
                            use_y = 1;
                        }
                    }
                    s.array_mut(old)[oldbucket][d].tophash[i] = EVACUATED_X + use_y as u8;
                    if use_y == 1 {
                        ny += 1
                    } else {
                        nx += 1
                    }
                    if xy[use_y].2 == bc {
                        let chain = xy[use_y].0;
                        let nd = self.newoverflow(s, new, chain, log);
                        s.ghost.events |= ev::EVACUATE_NEWOVERFLOW;
                        xy[use_y].1 = nd;
                        xy[use_y].2 = 0;
                    }
                    let (c, dd, di) = xy[use_y];
                    let dst = &mut s.array_mut(new)[c][dd];
                    dst.tophash[di] = top;
                    dst.keys[di] = k;
                    dst.elems[di] = e;
                    xy[use_y].2 += 1;
                }
            }
            // Deviation from Go: none. Go clears the old key/elem memory only when the bucket
            // type holds pointers; map[uint64]uint64's does not, so old cells keep their bytes.
            log.note(|| {
                if s.h.same_size_grow() {
                    format!("evacuate(old bucket {oldbucket}): {nx} to bucket {oldbucket}")
                } else {
                    format!(
                        "evacuate(old bucket {oldbucket}): {nx} to X (bucket {oldbucket}), {ny} to Y (bucket {})",
                        oldbucket + newbit
                    )
                }
            });
        }
        if oldbucket == s.h.nevacuate {
            self.advance_evacuation_mark(s, newbit, log);
        }
        Ok(())
    }

    /// `advanceEvacuationMark`: moves nevacuate past evacuated buckets (at most 1024 at a
    /// time); frees oldbuckets when all are done.
    fn advance_evacuation_mark(&self, s: &mut HmapState, newbit: usize, log: &mut Log) {
        let old = s.h.oldbuckets.expect("growing");
        s.h.nevacuate += 1;
        let stop = (s.h.nevacuate + 1024).min(newbit);
        while s.h.nevacuate != stop && s.array(old)[s.h.nevacuate][0].evacuated() {
            s.h.nevacuate += 1;
        }
        if s.h.nevacuate == newbit {
            if self.track.claims && !s.array(old).iter().all(|c| c[0].evacuated()) {
                s.ghost.violations |= viol::S17_FREED_UNEVACUATED;
            }
            s.h.oldbuckets = None;
            s.h.flags &= !SAME_SIZE_GROW;
            log.note(|| {
                format!("advanceEvacuationMark: nevacuate={newbit}, growth done, oldbuckets = nil")
            });
        } else {
            log.note(|| format!("advanceEvacuationMark: nevacuate={}", s.h.nevacuate));
        }
    }

    // ---- mapdelete ----------------------------------------------------------------------

    /// `mapdelete_fast64(t, h, key)`. `reseed` is fastrand's new hash0 if count drops to 0,
    /// with `new_hashes` its hash function (None: the model's own choice, see the caller).
    pub fn mapdelete(
        &self,
        s: &mut HmapState,
        key: u64,
        reseed: Option<u32>,
        new_hashes: Option<&HashFn>,
        log: &mut Log,
    ) -> Result<(), StepError> {
        if s.h.count == 0 {
            log.note(|| "count == 0: return".into());
            return Ok(());
        }
        // An unknown hash means the key was never assigned under this hash0: it is absent,
        // but Go still hashes it and does growWork. Any bucket works for the walk (the key
        // is in none); growWork needs the bucket index, so unknown hashes are an error.
        let hash = self.hash(s, key)?;
        let bucket = hash as usize & ((1usize << s.h.b) - 1);
        if s.h.growing() {
            self.grow_work(s, bucket, log)?;
        }
        let arr = s.h.buckets.expect("count > 0 has buckets");
        let bc = self.bucket_cnt();
        let chain_len = s.array(arr)[bucket].len();
        let mut hit = None;
        'search: for d in 0..chain_len {
            let bm = &s.array(arr)[bucket][d];
            for i in 0..bc {
                if key != bm.keys[i] || is_empty(bm.tophash[i]) {
                    continue;
                }
                hit = Some((d, i));
                break 'search;
            }
        }
        let Some((d0, i0)) = hit else {
            log.note(|| format!("k{key} not in bucket {bucket}"));
            return Ok(());
        };
        let before = if self.track.claims {
            Some(s.array(arr)[bucket].clone())
        } else {
            None
        };
        let chain = &mut s.array_mut(arr)[bucket];
        // Only clear key if there are pointers in it: uint64 has none, the key stays.
        chain[d0].elems[i0] = 0;
        chain[d0].tophash[i0] = EMPTY_ONE;
        // If the bucket now ends in a bunch of emptyOne states, change those to emptyRest.
        let not_last = if i0 == bc - 1 {
            d0 + 1 < chain.len() && chain[d0 + 1].tophash[0] != EMPTY_REST
        } else {
            chain[d0].tophash[i0 + 1] != EMPTY_REST
        };
        let mut propagated = 0;
        if !not_last {
            let (mut d, mut i) = (d0, i0);
            loop {
                chain[d].tophash[i] = EMPTY_REST;
                propagated += 1;
                if i == 0 {
                    if d == 0 {
                        break; // beginning of initial bucket, we're done.
                    }
                    // Find previous bucket, continue at its last entry.
                    d -= 1;
                    i = bc - 1;
                } else {
                    i -= 1;
                }
                if chain[d].tophash[i] != EMPTY_ONE {
                    break;
                }
            }
        }
        log.note(|| {
            format!(
                "k{key} at bucket {bucket}{} slot {i0}: emptyOne{}",
                if d0 > 0 {
                    format!(" overflow {d0}")
                } else {
                    String::new()
                },
                if propagated > 0 {
                    format!(", emptyRest over {propagated} cell(s)")
                } else {
                    String::new()
                }
            )
        });
        if let Some(before) = before {
            let after = &s.arrays[arr as usize][bucket];
            let mut v = 0;
            if after[d0].keys[i0] != 0 {
                v |= viol::S11_KEY_NOT_CLEARED;
            }
            let other_changed = before
                .iter()
                .zip(after.iter())
                .enumerate()
                .any(|(d, (x, y))| {
                    (0..bc).any(|i| (d, i) != (d0, i0) && x.tophash[i] != y.tophash[i])
                });
            if other_changed || after[d0].tophash[i0] != EMPTY_ONE {
                v |= viol::S11_OTHER_TOPHASH_CHANGED;
            }
            s.ghost.violations |= v;
        }
        s.h.count -= 1;
        if self.track.abs {
            if let Some(slot) = s.ghost.abs.get_mut(key as usize) {
                *slot = 0;
            }
        }
        if self.track.iters {
            let kb = key_bit(key);
            for it in &mut s.iters {
                it.ghost.yielded_live &= !kb;
                it.ghost.stable &= !kb;
            }
        }
        if s.h.count == 0 {
            // Reset the hash seed to make it more difficult for attackers to repeatedly
            // trigger hash collisions. See issue 25237.
            if let Some(h0) = reseed {
                s.h.hash0 = h0;
                if let Some(hs) = new_hashes {
                    s.hashes = hs.clone();
                }
                s.ghost.events |= ev::RESEED;
                log.note(|| format!("count == 0: hash0 = fastrand() = {h0}"));
            }
        }
        Ok(())
    }

    // ---- mapaccess ----------------------------------------------------------------------

    /// `mapaccess2_fast64(t, h, key)`.
    pub fn mapaccess2(
        &self,
        s: &mut HmapState,
        key: u64,
        log: &mut Log,
    ) -> Result<(u64, bool), StepError> {
        let res = self.mapaccess2_inner(s, key, log)?;
        if self.track.abs {
            let want = s.ghost.abs.get(key as usize).copied().unwrap_or(0);
            let want = (want, want != 0);
            if res != want {
                s.ghost.violations |= viol::ACCESS_MISMATCH;
            }
        }
        Ok(res)
    }

    fn mapaccess2_inner(
        &self,
        s: &mut HmapState,
        key: u64,
        log: &mut Log,
    ) -> Result<(u64, bool), StepError> {
        if s.h.count == 0 {
            return Ok((0, false));
        }
        let buckets = s.h.buckets.expect("count > 0 has buckets");
        let (arr, chain) = if s.h.b == 0 {
            // One-bucket table. No need to hash.
            (buckets, 0)
        } else {
            let Some(&hash) = s.hashes.get(&key) else {
                // Never assigned under this hash0: not in the map.
                return Ok((0, false));
            };
            let mut m = (1usize << s.h.b) - 1;
            let mut res = (buckets, hash as usize & m);
            if let Some(old) = s.h.oldbuckets {
                s.ghost.events |= ev::ACCESS_DURING_GROWTH;
                if !s.h.same_size_grow() {
                    // There used to be half as many buckets; mask down one more power of two.
                    m >>= 1;
                }
                let ob = hash as usize & m;
                if !s.array(old)[ob][0].evacuated() {
                    res = (old, ob);
                    // The claim S14 has reads look at the new bucket first; Go looks only here.
                    if self.track.claims {
                        s.ghost.violations |= viol::S14_OLD_BEFORE_NEW;
                    }
                }
                let (a, c) = res;
                log.note(|| {
                    format!(
                        "growing: old bucket {ob} {}: search {} bucket {c}",
                        if a == old {
                            "not evacuated"
                        } else {
                            "evacuated"
                        },
                        if a == old { "old" } else { "new" }
                    )
                });
            }
            res
        };
        for bm in &s.array(arr)[chain] {
            for i in 0..self.bucket_cnt() {
                if bm.keys[i] == key && !is_empty(bm.tophash[i]) {
                    return Ok((bm.elems[i], true));
                }
            }
        }
        Ok((0, false))
    }

    /// `mapaccessK`: the generic lookup mapiternext uses for entries that moved.
    fn mapaccess_k(&self, s: &HmapState, key: u64) -> Option<(u64, u64)> {
        if s.h.count == 0 {
            return None;
        }
        let hash = s.hashes.get(&key).copied()?;
        let (arr, chain) = self.lookup_chain(s, hash)?;
        let top = tophash(hash);
        for bm in &s.array(arr)[chain] {
            for i in 0..self.bucket_cnt() {
                if bm.tophash[i] != top {
                    if bm.tophash[i] == EMPTY_REST {
                        return None;
                    }
                    continue;
                }
                if bm.keys[i] == key {
                    return Some((bm.keys[i], bm.elems[i]));
                }
            }
        }
        None
    }

    // ---- iteration ----------------------------------------------------------------------

    /// `mapiterinit`: remembers the current bucket array and B, picks fastrand's start bucket
    /// and offset, sets the iterator flags, and runs the first mapiternext. Returns the new
    /// iterator's id and the first element (None: the iteration is already over).
    pub fn mapiterinit(
        &self,
        s: &mut HmapState,
        start_bucket: u16,
        offset: u8,
        log: &mut Log,
    ) -> Result<(u8, Option<(u64, u64)>), StepError> {
        match self.mapiterinit_only(s, start_bucket, offset, log)? {
            None => Ok((s.next_iter_id.wrapping_sub(1), None)),
            Some(id) => {
                let kv = self.mapiternext(s, id, log)?;
                Ok((id, kv))
            }
        }
    }

    /// mapiterinit up to (not including) its first mapiternext: the new iterator's id, or
    /// None when the map is empty (no iterator is created).
    pub fn mapiterinit_only(
        &self,
        s: &mut HmapState,
        start_bucket: u16,
        offset: u8,
        log: &mut Log,
    ) -> Result<Option<u8>, StepError> {
        let id = s.next_iter_id;
        s.next_iter_id = s.next_iter_id.wrapping_add(1);
        if s.h.count == 0 {
            log.note(|| "count == 0: iteration over".into());
            return Ok(None);
        }
        if start_bucket as usize >= 1usize << s.h.b || offset as usize >= self.bucket_cnt() {
            return Err(StepError::BadIteratorStart {
                start_bucket,
                offset,
            });
        }
        let stable = if self.track.iters {
            s.ghost
                .abs
                .iter()
                .enumerate()
                .filter(|(_, &v)| v != 0)
                .fold(0u64, |acc, (k, _)| acc | key_bit(k as u64))
        } else {
            0
        };
        s.iters.push(Hiter {
            id,
            buckets: s.h.buckets.expect("count > 0 has buckets"),
            bptr: None,
            b: s.h.b,
            start_bucket,
            offset,
            wrapped: false,
            bucket: start_bucket,
            i: 0,
            check_bucket: None,
            ghost: IterGhost {
                stable,
                ..IterGhost::default()
            },
        });
        // Remember we have an iterator.
        s.h.flags |= ITERATOR | OLD_ITERATOR;
        Ok(Some(id))
    }

    /// `mapiternext(it)`. When the iteration is over the iterator is dropped (the range loop
    /// ends).
    pub fn mapiternext(
        &self,
        s: &mut HmapState,
        id: u8,
        log: &mut Log,
    ) -> Result<Option<(u64, u64)>, StepError> {
        match self.mapiternext_slots(s, id, usize::MAX, log)? {
            IterNext::Yield(k, e) => Ok(Some((k, e))),
            IterNext::Done => Ok(None),
            IterNext::Pending => unreachable!("an unbounded mapiternext finishes"),
        }
    }

    /// `mapiternext(it)` examining at most `budget` slots: the concurrent models take one slot
    /// per step (another goroutine may run between two slots), the sequential model runs it
    /// to the end. On `Pending` the iterator's fields (bucket, bptr, i, checkBucket, wrapped)
    /// hold where Go's locals were, so the next call resumes there.
    pub fn mapiternext_slots(
        &self,
        s: &mut HmapState,
        id: u8,
        mut budget: usize,
        log: &mut Log,
    ) -> Result<IterNext, StepError> {
        let idx = s
            .iters
            .iter()
            .position(|it| it.id == id)
            .ok_or(StepError::NoSuchIterator { iter: id })?;
        let bc = self.bucket_cnt();
        let it = s.iters[idx].clone();
        let mut bucket = it.bucket as usize;
        let mut b = it.bptr;
        let mut i = it.i as usize;
        let mut check_bucket = it.check_bucket;
        let mut wrapped = it.wrapped;
        let it_nbuckets = 1usize << it.b;
        let result = 'next: loop {
            if b.is_none() {
                if bucket == it.start_bucket as usize && wrapped {
                    break 'next None;
                }
                if s.h.growing() && it.b == s.h.b {
                    // Iterator was started in the middle of a grow, and the grow isn't done
                    // yet. If the bucket we're looking at hasn't been filled in yet (i.e. the
                    // old bucket hasn't been evacuated) then we need to iterate through the
                    // old bucket and only return the ones that will be migrated to this
                    // bucket.
                    let oldbucket = bucket & s.h.oldbucketmask();
                    let old = s.h.oldbuckets.unwrap();
                    if !s.array(old)[oldbucket][0].evacuated() {
                        b = Some(BucketPtr {
                            array: old,
                            chain: oldbucket as u16,
                            depth: 0,
                        });
                        check_bucket = Some(bucket as u16);
                    } else {
                        b = Some(BucketPtr {
                            array: it.buckets,
                            chain: bucket as u16,
                            depth: 0,
                        });
                        check_bucket = None;
                    }
                } else {
                    b = Some(BucketPtr {
                        array: it.buckets,
                        chain: bucket as u16,
                        depth: 0,
                    });
                    check_bucket = None;
                }
                bucket += 1;
                if bucket == it_nbuckets {
                    bucket = 0;
                    wrapped = true;
                }
                i = 0;
            }
            let p = b.unwrap();
            while i < bc {
                if budget == 0 {
                    let itm = &mut s.iters[idx];
                    itm.bucket = bucket as u16;
                    itm.bptr = Some(p);
                    itm.i = i as u8;
                    itm.check_bucket = check_bucket;
                    itm.wrapped = wrapped;
                    return Ok(IterNext::Pending);
                }
                budget -= 1;
                let offi = (i + it.offset as usize) & (bc - 1);
                let bm = s.bmap(p);
                let top = bm.tophash[offi];
                if is_empty(top) || top == EVACUATED_EMPTY {
                    i += 1;
                    continue;
                }
                let k = bm.keys[offi];
                let e = bm.elems[offi];
                if let Some(cb) = check_bucket {
                    if !s.h.same_size_grow() {
                        // Special case: iterator was started during a grow to a larger size
                        // and the grow is not done yet. We're working on a bucket whose
                        // oldbucket has not been evacuated yet. Skip keys that will go to the
                        // other new bucket.
                        let hash = self.hash(s, k)?;
                        if hash as usize & (it_nbuckets - 1) != cb as usize {
                            s.ghost.events |= ev::ITER_CHECKBUCKET_SKIP;
                            i += 1;
                            continue;
                        }
                    }
                }
                let kv = if top != EVACUATED_X && top != EVACUATED_Y {
                    // This is the golden data, we can return it.
                    (k, e)
                } else {
                    // The hash table has grown since the iterator was started. The golden
                    // data for this key is now somewhere else.
                    match self.mapaccess_k(s, k) {
                        None => {
                            i += 1;
                            continue; // key has been deleted
                        }
                        Some(kv) => {
                            s.ghost.events |= ev::ITER_YIELD_VIA_MAPACCESSK;
                            kv
                        }
                    }
                };
                let itm = &mut s.iters[idx];
                itm.bucket = bucket as u16;
                itm.bptr = Some(p);
                itm.i = (i + 1) as u8;
                itm.check_bucket = check_bucket;
                itm.wrapped = wrapped;
                break 'next Some(kv);
            }
            // Next bmap of the chain, in the array b points into.
            let chain = &s.arrays[p.array as usize][p.chain as usize];
            b = if (p.depth as usize) + 1 < chain.len() {
                Some(BucketPtr {
                    depth: p.depth + 1,
                    ..p
                })
            } else {
                None
            };
            i = 0;
        };
        match result {
            None => {
                let it = s.iters.remove(idx);
                if self.track.iters && it.ghost.stable & !it.ghost.yielded != 0 {
                    s.ghost.violations |= viol::ITER_INCOMPLETE;
                }
                log.note(|| format!("it{id}: iteration over"));
            }
            Some((k, e)) => {
                if self.track.iters {
                    let kb = key_bit(k);
                    let g = &mut s.iters[idx].ghost;
                    if g.yielded & kb != 0 {
                        s.ghost.violations |= viol::ITER_KEY_TWICE;
                    }
                    if g.yielded_live & kb != 0 {
                        s.ghost.violations |= viol::ITER_ENTRY_TWICE;
                    }
                    g.yielded |= kb;
                    g.yielded_live |= kb;
                    let cur = s.ghost.abs.get(k as usize).copied().unwrap_or(0);
                    if cur == 0 {
                        s.ghost.violations |= viol::ITER_DELETED_KEY;
                    } else if cur != e {
                        s.ghost.violations |= viol::ITER_STALE_VALUE;
                    }
                }
                let it = &s.iters[idx];
                log.note(|| {
                    let p = it.bptr.unwrap();
                    format!(
                        "it{id}: yield (k{k}, v{e}) from {} bucket {}{}",
                        if Some(p.array) == s.h.oldbuckets {
                            "old"
                        } else if Some(p.array) == s.h.buckets {
                            "new"
                        } else {
                            "its own (unreferenced) array's"
                        },
                        p.chain,
                        if p.depth > 0 {
                            format!(" overflow {}", p.depth)
                        } else {
                            String::new()
                        }
                    )
                });
            }
        }
        Ok(match result {
            Some((k, e)) => IterNext::Yield(k, e),
            None => IterNext::Done,
        })
    }
}
