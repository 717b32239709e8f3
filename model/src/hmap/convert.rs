//! The model's state in the shape of a Go trace's STATE: every hmap field and both bucket
//! arrays in full, each bmap cut to the `bucket_cnt` slots it really has (see
//! docs/go-trace-format.md). This is what conformance checks compare: the model
//! against a Go trace (`gomap replay --target model`) and against the port (the lockstep
//! tests), field by field, stale keys and elems included.
//!
//! What it abstracts away: array identity (the arena index of an array is renumbered by
//! [`Machine::collect_arrays`](super::steps::Machine::collect_arrays) after every step),
//! iterators, the hash function and the ghost state. A [`FlatState`] is plain data with the
//! same fields, names and order as gomap-impl's `HmapSnapshot<u64, u64>`, so either side
//! converts to it with a field-by-field copy.

use super::state::*;

/// One bmap's raw memory, `bucket_cnt` slots.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct FlatBmap {
    pub tophash: Vec<u8>,
    pub keys: Vec<u64>,
    pub elems: Vec<u64>,
}

/// A main bucket and its overflow buckets, in overflow order.
pub type FlatChain = Vec<FlatBmap>;

/// The hmap fields and both bucket arrays in full: a trace line's STATE after decoding.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct FlatState {
    pub count: u64,
    pub flags: u8,
    pub b: u8,
    pub noverflow: u16,
    pub hash0: u32,
    pub nevacuate: u64,
    pub prealloc_left: u64,
    /// `h.buckets`: 2^B chains, or None while nil.
    pub buckets: Option<Vec<FlatChain>>,
    /// `h.oldbuckets`: None when not growing.
    pub oldbuckets: Option<Vec<FlatChain>>,
}

/// The first field where two [`FlatState`]s differ, with a path such as `count`, `B`,
/// `buckets.len`, `oldbuckets[3].len` or `buckets[3][1].tophash[5]` (chain 3, its first
/// overflow bucket, slot 5): the paths of gomap-impl's trace replay.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StateDiff {
    pub field: String,
    pub expected: String,
    pub actual: String,
}

impl std::fmt::Display for StateDiff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: expected {}, got {}",
            self.field, self.expected, self.actual
        )
    }
}

/// `bm` with its first `bucket_cnt` slots (the rest of a model [`Bmap`] is always zero).
pub fn flat_bmap<const N: usize>(bm: &Bmap<N>, bucket_cnt: usize) -> FlatBmap {
    FlatBmap {
        tophash: bm.tophash[..bucket_cnt].to_vec(),
        keys: bm.keys[..bucket_cnt].to_vec(),
        elems: bm.elems[..bucket_cnt].to_vec(),
    }
}

/// A whole bucket array.
pub fn flat_array<const N: usize>(arr: &BucketArray<N>, bucket_cnt: usize) -> Vec<FlatChain> {
    arr.iter()
        .map(|chain| chain.iter().map(|bm| flat_bmap(bm, bucket_cnt)).collect())
        .collect()
}

/// The model's state as a trace STATE. `bucket_cnt` is the model's geometry's.
pub fn flat_state<const N: usize>(s: &HmapState<N>, bucket_cnt: usize) -> FlatState {
    FlatState {
        count: s.h.count as u64,
        flags: s.h.flags,
        b: s.h.b,
        noverflow: s.h.noverflow,
        hash0: s.h.hash0,
        nevacuate: s.h.nevacuate as u64,
        prealloc_left: s.h.prealloc_left as u64,
        buckets: s.buckets().map(|a| flat_array(a, bucket_cnt)),
        oldbuckets: s.oldbuckets().map(|a| flat_array(a, bucket_cnt)),
    }
}

fn diff(field: impl Into<String>, e: impl ToString, a: impl ToString) -> Option<StateDiff> {
    Some(StateDiff {
        field: field.into(),
        expected: e.to_string(),
        actual: a.to_string(),
    })
}

/// The first difference of two bucket arrays named `name`.
pub fn first_array_difference(
    name: &str,
    want: Option<&[FlatChain]>,
    got: Option<&[FlatChain]>,
) -> Option<StateDiff> {
    let (want, got) = match (want, got) {
        (None, None) => return None,
        (Some(w), Some(g)) => (w, g),
        (w, g) => {
            let show = |x: bool| if x { "an array" } else { "nil" };
            return diff(name, show(w.is_some()), show(g.is_some()));
        }
    };
    if want.len() != got.len() {
        return diff(format!("{name}.len"), want.len(), got.len());
    }
    for (idx, (wc, gc)) in want.iter().zip(got).enumerate() {
        for (j, (wb, gb)) in wc.iter().zip(gc).enumerate() {
            let parts: [(&str, Option<SlotDiff>); 3] = [
                ("tophash", slot_diff(&wb.tophash, &gb.tophash)),
                ("keys", slot_diff(&wb.keys, &gb.keys)),
                ("elems", slot_diff(&wb.elems, &gb.elems)),
            ];
            for (part, d) in parts {
                if let Some((s, e, a)) = d {
                    return diff(format!("{name}[{idx}][{j}].{part}[{s}]"), e, a);
                }
            }
        }
        if wc.len() != gc.len() {
            return diff(
                format!("{name}[{idx}].len"),
                format!("{} bmaps in the chain", wc.len()),
                format!("{} bmaps", gc.len()),
            );
        }
    }
    None
}

/// (slot, want, got).
type SlotDiff = (usize, String, String);

/// The first slot where `want` and `got` differ.
fn slot_diff<T: PartialEq + ToString>(want: &[T], got: &[T]) -> Option<SlotDiff> {
    if want.len() != got.len() {
        return Some((
            want.len().min(got.len()),
            format!("{} slots", want.len()),
            format!("{} slots", got.len()),
        ));
    }
    want.iter()
        .zip(got)
        .position(|(w, g)| w != g)
        .map(|s| (s, want[s].to_string(), got[s].to_string()))
}

/// The first difference between `want` and `got`: the hmap fields in the order of the
/// trace format, then `buckets`, then `oldbuckets`, chain by chain and bmap by bmap.
pub fn first_difference(want: &FlatState, got: &FlatState) -> Option<StateDiff> {
    let scalars: [(&str, u64, u64); 7] = [
        ("count", want.count, got.count),
        ("flags", want.flags as u64, got.flags as u64),
        ("B", want.b as u64, got.b as u64),
        ("noverflow", want.noverflow as u64, got.noverflow as u64),
        ("hash0", want.hash0 as u64, got.hash0 as u64),
        ("nevacuate", want.nevacuate, got.nevacuate),
        ("prealloc_left", want.prealloc_left, got.prealloc_left),
    ];
    for (field, w, g) in scalars {
        if w != g {
            return diff(field, w, g);
        }
    }
    first_array_difference("buckets", want.buckets.as_deref(), got.buckets.as_deref()).or_else(
        || {
            first_array_difference(
                "oldbuckets",
                want.oldbuckets.as_deref(),
                got.oldbuckets.as_deref(),
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::steps::{Geometry, Log, Machine, Track};
    use super::*;
    use std::collections::BTreeMap;

    fn machine() -> Machine {
        Machine {
            geo: Geometry::GO,
            track: Track::default(),
            go: Default::default(),
        }
    }

    #[test]
    fn flat_state_cuts_bmaps_to_bucket_cnt_and_keeps_nil_arrays_nil() {
        let geo = Geometry {
            bucket_cnt: 2,
            load_factor_num: 3,
            load_factor_den: 2,
        };
        let m = Machine {
            geo,
            track: Track::default(),
            go: Default::default(),
        };
        let s: HmapState = m.makemap(0, 7, BTreeMap::new());
        let f = flat_state(&s, 2);
        assert_eq!((f.b, f.hash0, f.buckets.is_none()), (0, 7, true));
        let s: HmapState = m.makemap(100, 7, BTreeMap::new());
        let f = flat_state(&s, 2);
        assert_eq!(f.buckets.as_ref().unwrap()[0][0].tophash, vec![0, 0]);
        assert!(f.oldbuckets.is_none());
    }

    #[test]
    fn first_difference_names_the_slot_of_a_changed_stale_key() {
        let m = machine();
        let mut s: HmapState = m.makemap(0, 1, BTreeMap::from([(42, 3u64 << 56 | 1)]));
        m.step(
            &mut s,
            &HmapAction::Assign { key: 42, elem: 9 },
            None,
            &mut Log::default(),
        )
        .unwrap();
        let want = flat_state(&s, 8);
        assert_eq!(first_difference(&want, &want.clone()), None);
        let mut got = want.clone();
        got.buckets.as_mut().unwrap()[0][0].keys[0] = 43;
        let d = first_difference(&want, &got).expect("a difference");
        assert_eq!(d.field, "buckets[0][0].keys[0]");
        assert_eq!((d.expected.as_str(), d.actual.as_str()), ("42", "43"));
        got = want.clone();
        got.noverflow = 1;
        assert_eq!(first_difference(&want, &got).unwrap().field, "noverflow");
    }
}
