//! The properties of the `hmap` model. Each has one name, used by the model, the spec files,
//! the implementation's `check_invariants()` and the docs.
//!
//! Structural invariants are read off the state; properties about what an operation did
//! (an access's result, an iterator's yield, the seed's claims about single steps) are
//! checked by the transition itself and recorded in `ghost.violations` for the state right
//! after it.

use super::state::*;
use super::steps::{ev, viol, Machine};
use super::HmapModel;
use stateright::Property;

use crate::framework::info::Kind;

/// Which ghost state a property needs.
#[derive(Clone, Copy, Debug, Default)]
pub struct Needs {
    pub iters: bool,
    pub grow_works: bool,
    pub claims: bool,
}

const NONE: Needs = Needs {
    iters: false,
    grow_works: false,
    claims: false,
};
const ITERS: Needs = Needs {
    iters: true,
    grow_works: false,
    claims: false,
};
const CLAIMS: Needs = Needs {
    iters: false,
    grow_works: false,
    claims: true,
};
const GROW_WORKS: Needs = Needs {
    iters: false,
    grow_works: true,
    claims: false,
};

/// A property of the model (of the model whose bmaps have `N` slots).
pub struct PropDef<const N: usize = MAX_BUCKET_CNT> {
    pub name: &'static str,
    pub kind: Kind,
    pub description: &'static str,
    pub needs: Needs,
    pub check: fn(&HmapModel<N>, &HmapState<N>) -> bool,
}

impl<const N: usize> crate::framework::concurrent::PropertyDef<HmapModel<N>> for PropDef<N> {
    fn name(&self) -> &'static str {
        self.name
    }
    fn to_stateright(&self) -> Property<HmapModel<N>> {
        match self.kind {
            Kind::Always => Property::always(self.name, self.check),
            Kind::Sometimes => Property::sometimes(self.name, self.check),
        }
    }
}

/// Live entries (tophash >= minTopHash) reachable by lookups: those of the new array, and of
/// old buckets not yet evacuated. Each is (array, chain, key, tophash).
pub fn live_entries<const N: usize>(
    m: &Machine,
    s: &HmapState<N>,
) -> Vec<(ArrayId, usize, u64, u8)> {
    let mut out = Vec::new();
    for_each_live(m, s, |e| {
        out.push(e);
        true
    });
    out
}

/// Calls `f` on every live entry [`live_entries`] lists, in the same order, without
/// allocating (the properties run on every state); stops as soon as `f` returns false and
/// then returns false.
pub fn for_each_live<const N: usize>(
    m: &Machine,
    s: &HmapState<N>,
    mut f: impl FnMut((ArrayId, usize, u64, u8)) -> bool,
) -> bool {
    let bc = m.geo.bucket_cnt;
    let mut scan = |arr: ArrayId, only_unevacuated: bool| {
        for (c, chain) in s.array(arr).iter().enumerate() {
            if only_unevacuated && chain[0].evacuated() {
                continue;
            }
            for bm in chain {
                for i in 0..bc {
                    if bm.tophash[i] >= MIN_TOP_HASH && !f((arr, c, bm.keys[i], bm.tophash[i])) {
                        return false;
                    }
                }
            }
        }
        true
    };
    s.h.buckets.is_none_or(|b| scan(b, false)) && s.h.oldbuckets.is_none_or(|o| scan(o, true))
}

/// The number of live entries ([`live_entries`]'s length).
pub fn live_count<const N: usize>(m: &Machine, s: &HmapState<N>) -> usize {
    let mut n = 0;
    for_each_live(m, s, |_| {
        n += 1;
        true
    });
    n
}

/// No key is live in two cells. Small maps (every spec's) are checked in a buffer on the
/// stack; larger ones in a sorted vector.
pub fn no_duplicate_live<const N: usize>(m: &Machine, s: &HmapState<N>) -> bool {
    let mut buf = [0u64; 32];
    let mut n = 0;
    let fits = for_each_live(m, s, |e| {
        if n < buf.len() {
            buf[n] = e.2;
            n += 1;
            true
        } else {
            false
        }
    });
    let mut keys: Vec<u64>;
    let keys: &mut [u64] = if fits {
        &mut buf[..n]
    } else {
        keys = live_entries(m, s).iter().map(|e| e.2).collect();
        &mut keys
    };
    keys.sort_unstable();
    keys.windows(2).all(|w| w[0] != w[1])
}

fn count_matches_live_entries<const N: usize>(m: &HmapModel<N>, s: &HmapState<N>) -> bool {
    live_count(&m.machine, s) == s.h.count
}

fn no_duplicate_live_key<const N: usize>(m: &HmapModel<N>, s: &HmapState<N>) -> bool {
    no_duplicate_live(&m.machine, s)
}

fn entries_in_home_bucket<const N: usize>(m: &HmapModel<N>, s: &HmapState<N>) -> bool {
    for_each_live(&m.machine, s, |(arr, c, k, top)| {
        let Some(&hash) = s.hashes.get(&k) else {
            return false;
        };
        let mask = if Some(arr) == s.h.buckets {
            (1usize << s.h.b) - 1
        } else {
            s.h.oldbucketmask()
        };
        hash as usize & mask == c && tophash(hash) == top
    })
}

fn nothing_live_after_empty_rest<const N: usize>(m: &HmapModel<N>, s: &HmapState<N>) -> bool {
    let bc = m.params.geo.bucket_cnt;
    let chain_ok = |chain: &[Bmap<N>]| {
        let mut rest = false;
        for bm in chain {
            for i in 0..bc {
                if rest && bm.tophash[i] >= MIN_TOP_HASH {
                    return false;
                }
                rest |= bm.tophash[i] == EMPTY_REST;
            }
        }
        true
    };
    let new_ok = s.buckets().is_none_or(|a| a.iter().all(chain_ok));
    let old_ok = s
        .oldbuckets()
        .is_none_or(|a| a.iter().filter(|c| !c[0].evacuated()).all(chain_ok));
    new_ok && old_ok
}

fn oldbuckets_only_while_growing<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    match s.oldbuckets() {
        Some(old) => s.h.nevacuate < s.h.noldbuckets() && old.len() == s.h.noldbuckets(),
        None => !s.h.same_size_grow(),
    }
}

fn below_nevacuate_evacuated<const N: usize>(m: &HmapModel<N>, s: &HmapState<N>) -> bool {
    let bc = m.params.geo.bucket_cnt;
    s.oldbuckets().is_none_or(|old| {
        old.iter().take(s.h.nevacuate).all(|chain| {
            chain.iter().all(|bm| {
                (0..bc).all(|i| bm.tophash[i] > EMPTY_ONE && bm.tophash[i] < MIN_TOP_HASH)
            })
        })
    })
}

fn no_violation<const N: usize>(s: &HmapState<N>, bit: u64) -> bool {
    s.ghost.violations & bit == 0
}

fn b_never_decreases<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    no_violation(s, viol::B_DECREASED)
}
fn access_agrees_with_abstract_map<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    no_violation(s, viol::ACCESS_MISMATCH)
}
fn iter_key_at_most_once<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    no_violation(s, viol::ITER_KEY_TWICE)
}
fn iter_entry_at_most_once<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    no_violation(s, viol::ITER_ENTRY_TWICE)
}
fn iter_skips_deleted<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    no_violation(s, viol::ITER_DELETED_KEY)
}
fn iter_current_value<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    no_violation(s, viol::ITER_STALE_VALUE)
}
fn iter_complete<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    no_violation(s, viol::ITER_INCOMPLETE)
}
fn growth_completes<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    !s.h.growing() || (s.ghost.grow_works as usize) < s.h.noldbuckets()
}
fn s11_delete_clears_key<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    no_violation(s, viol::S11_KEY_NOT_CLEARED)
}
fn s11_delete_only_sets_empty_one<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    no_violation(s, viol::S11_OTHER_TOPHASH_CHANGED)
}
fn s12_assign_updates_in_place<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    no_violation(s, viol::S12_NOT_IN_PLACE)
}
fn s12_assign_reuses_empty_one<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    no_violation(s, viol::S12_EMPTY_ONE_NOT_REUSED)
}
fn s14_read_checks_new_then_old<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    no_violation(s, viol::S14_OLD_BEFORE_NEW)
}
fn s15_writes_go_to_new_buckets<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    no_violation(s, viol::S15_WRITE_TO_OLD)
}
fn s17_oldbuckets_freed_only_when_evacuated<const N: usize>(
    _: &HmapModel<N>,
    s: &HmapState<N>,
) -> bool {
    no_violation(s, viol::S17_FREED_UNEVACUATED)
}

fn reaches_double_grow<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    s.ghost.events & ev::DOUBLE_GROW_STARTED != 0
}
fn reaches_same_size_grow<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    s.ghost.events & ev::SAME_SIZE_GROW_STARTED != 0
}
fn reaches_double_grow_in_progress<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    s.h.growing() && !s.h.same_size_grow()
}
fn reaches_same_size_grow_in_progress<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    s.h.growing() && s.h.same_size_grow()
}
fn reaches_iteration_across_grow<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    s.iters.iter().any(|it| Some(it.buckets) != s.h.buckets)
}
fn reaches_empty_rest_across_overflow<const N: usize>(m: &HmapModel<N>, s: &HmapState<N>) -> bool {
    let last = m.params.geo.bucket_cnt - 1;
    s.buckets().is_some_and(|a| {
        a.iter()
            .any(|c| c.len() >= 2 && c[c.len() - 2].tophash[last] == EMPTY_REST)
    })
}
fn reaches_access_during_growth<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    s.ghost.events & ev::ACCESS_DURING_GROWTH != 0
}
fn reaches_reseed<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    s.ghost.events & ev::RESEED != 0
}
fn reaches_iter_yield_via_mapaccessk<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    s.ghost.events & ev::ITER_YIELD_VIA_MAPACCESSK != 0
}
fn reaches_iter_checkbucket_skip<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    s.ghost.events & ev::ITER_CHECKBUCKET_SKIP != 0
}
fn reaches_clear_during_iteration<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    s.ghost.events & ev::CLEAR_WITH_ITERATOR != 0
}
fn reaches_overflow_during_evacuation<const N: usize>(_: &HmapModel<N>, s: &HmapState<N>) -> bool {
    s.ghost.events & ev::EVACUATE_NEWOVERFLOW != 0
}

macro_rules! prop {
    ($f:ident, $kind:ident, $needs:expr, $desc:expr) => {
        PropDef {
            name: stringify!($f),
            kind: Kind::$kind,
            description: $desc,
            needs: $needs,
            check: $f,
        }
    };
}

/// Every property of the `hmap` model.
pub const PROPERTIES: &[PropDef] = Props::<MAX_BUCKET_CNT>::ALL;

/// [`PROPERTIES`] for the model whose bmaps have `N` slots: the same names, in the same
/// order, checking states of that model.
pub struct Props<const N: usize>;

impl<const N: usize> Props<N> {
    pub const ALL: &'static [PropDef<N>] = &[
    prop!(count_matches_live_entries, Always, NONE,
        "h.count equals the number of live cells (new buckets plus unevacuated old buckets)"),
    prop!(no_duplicate_live_key, Always, NONE,
        "no key is live in two cells"),
    prop!(entries_in_home_bucket, Always, NONE,
        "every live cell sits in the bucket its hash selects (the new array, or the old array while its old bucket is unevacuated) with tophash(hash)"),
    prop!(nothing_live_after_empty_rest, Always, NONE,
        "no live cell follows an emptyRest cell in its chain"),
    prop!(oldbuckets_only_while_growing, Always, NONE,
        "oldbuckets is non-nil exactly while nevacuate < noldbuckets; sameSizeGrow only while growing"),
    prop!(below_nevacuate_evacuated, Always, NONE,
        "every old bucket below nevacuate is evacuated (all cells evacuatedX/Y/Empty)"),
    prop!(b_never_decreases, Always, CLAIMS,
        "no operation lowers B: maps never shrink"),
    prop!(access_agrees_with_abstract_map, Always, NONE,
        "every mapaccess2 returns what a plain map would, during growth too"),
    prop!(iter_key_at_most_once, Always, ITERS,
        "an iterator never yields the same key twice (even if it was deleted and re-added in between)"),
    prop!(iter_entry_at_most_once, Always, ITERS,
        "an iterator never yields the same entry twice: a key again only after it was deleted and re-added"),
    prop!(iter_skips_deleted, Always, ITERS,
        "an iterator never yields a key that is not in the map at that moment (deleted before it was reached)"),
    prop!(iter_current_value, Always, ITERS,
        "an iterator yields the key's current value"),
    prop!(iter_complete, Always, ITERS,
        "a finished iteration yielded every key present for the whole iteration"),
    prop!(growth_completes, Always, GROW_WORKS,
        "a grow finishes within noldbuckets growWork calls: growth completes once writes continue"),
    prop!(s11_delete_clears_key, Always, CLAIMS,
        "seed claim S11 (part): mapdelete zeroes the key as well as the elem"),
    prop!(s11_delete_only_sets_empty_one, Always, CLAIMS,
        "seed claim S11 (part): mapdelete sets the cell to emptyOne and changes no other tophash"),
    prop!(s12_assign_updates_in_place, Always, CLAIMS,
        "seed claim S12 (part): assigning an existing key updates its elem in the cell where it was"),
    prop!(s12_assign_reuses_empty_one, Always, CLAIMS,
        "seed claim S12 (part): a new key takes the first emptyOne cell of its bucket chain, when there is one"),
    prop!(s14_read_checks_new_then_old, Always, CLAIMS,
        "seed claim S14: during growth a read looks in the new bucket first and falls back to the old one"),
    prop!(s15_writes_go_to_new_buckets, Always, CLAIMS,
        "seed claim S15: during growth an assigned entry lands in the new buckets"),
    prop!(s17_oldbuckets_freed_only_when_evacuated, Always, CLAIMS,
        "seed claim S17: oldbuckets is freed only when every old bucket has been evacuated"),
    prop!(reaches_double_grow, Sometimes, NONE,
        "hashGrow doubled the bucket array"),
    prop!(reaches_same_size_grow, Sometimes, NONE,
        "hashGrow started a same-size grow (too many overflow buckets)"),
    prop!(reaches_double_grow_in_progress, Sometimes, NONE,
        "a doubling grow is still in progress after an operation (needs 4+ old buckets: growWork evacuates two per write)"),
    prop!(reaches_same_size_grow_in_progress, Sometimes, NONE,
        "a same-size grow is still in progress after an operation"),
    prop!(reaches_iteration_across_grow, Sometimes, NONE,
        "an open iterator walks a bucket array that is no longer h.buckets"),
    prop!(reaches_empty_rest_across_overflow, Sometimes, NONE,
        "emptyRest reached the last cell of a bucket that has an overflow bucket"),
    prop!(reaches_access_during_growth, Sometimes, NONE,
        "a mapaccess2 ran while growing"),
    prop!(reaches_reseed, Sometimes, NONE,
        "a delete brought count to 0 and hash0 was reseeded"),
    prop!(reaches_iter_yield_via_mapaccessk, Sometimes, NONE,
        "an iterator yielded an evacuated entry by looking it up again (mapaccessK)"),
    prop!(reaches_iter_checkbucket_skip, Sometimes, NONE,
        "an iterator skipped an old-bucket entry bound for the other new bucket (checkBucket)"),
    prop!(reaches_overflow_during_evacuation, Sometimes, NONE,
        "evacuate needed a new overflow bucket in the destination"),
    prop!(reaches_clear_during_iteration, Sometimes, NONE,
        "mapclear ran on a non-empty map while an iterator was open (needs \"clear\" in ops)"),
];
}

/// Looks a property up by name.
pub fn find(name: &str) -> Option<&'static PropDef> {
    PROPERTIES.iter().find(|p| p.name == name)
}
