//! Introspection and invariants of the Go 1.19 map port (nothing of Go's map runs here):
//! the snapshot types the trace replay compares ([`BmapSnapshot`], [`Chain`],
//! [`HmapSnapshot`]), borrowed views of a bucket array ([`ArrayView`], [`BmapView`]),
//! [`GoMap::snapshot`], [`GoMap::array_view`], and [`GoMap::check_invariants`] with the
//! [`Invariant`]s named as in the model and spec files (listed in mod.rs).
//!
//! # Invariants
//! Everything here only reads the map. A snapshot holds both arrays in full, every chain
//! in overflow order, stale keys and elems included.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{
    bucket_mask, is_empty, tophash, Arena, ArrayId, BmapPtr, GoMap, MapElem, MapKey, EMPTY_REST,
    EVACUATED_EMPTY, EVACUATED_X, MIN_TOP_HASH,
};
use crate::hash::{MapHasher, RandomSource};

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

/// A violated invariant of the classic map, with where and what.
pub type InvariantViolation = crate::violation::InvariantViolation<Invariant>;

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
        self.arena.nbuckets(self.array)
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
                let bm = arena.bm(p);
                let n = arena.bucket_cnt;
                BmapView {
                    tophash: &bm.tophash[..n],
                    keys: &bm.keys[..n],
                    elems: &bm.elems[..n],
                }
            })
            .collect()
    }
}

impl<K: Copy + Default, V: Copy + Default> Arena<K, V> {
    fn bmap_snapshot(&self, b: BmapPtr) -> BmapSnapshot<K, V> {
        let bm = self.bm(b);
        let n = self.bucket_cnt;
        BmapSnapshot {
            tophash: bm.tophash[..n].to_vec(),
            keys: bm.keys[..n].to_vec(),
            elems: bm.elems[..n].to_vec(),
        }
    }
}

impl<K: MapKey, V: MapElem, H: MapHasher<K>, R: RandomSource> GoMap<K, V, H, R> {
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
        let n = self.arena.nbuckets(a);
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
        for idx in 0..self.arena.nbuckets(a) {
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
        let nold = self.oldbuckets.map_or(0, |a| self.arena.nbuckets(a));
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
