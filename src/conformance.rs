//! Shared by the CLI and the conformance tests: the bridge between the port's snapshots and
//! the model's flat states, so that both are compared with one function
//! (`gomap_model::hmap::convert::first_difference`).

use gomap_impl::HmapSnapshot;
use gomap_model::hmap::convert::{FlatBmap, FlatState};

/// The port's full-array snapshot as the model-side [`FlatState`] (same fields, copied).
pub fn flat_from_snapshot(s: HmapSnapshot<u64, u64>) -> FlatState {
    let arr = |a: Option<Vec<gomap_impl::Chain<u64, u64>>>| {
        a.map(|chains| {
            chains
                .into_iter()
                .map(|c| {
                    c.into_iter()
                        .map(|bm| FlatBmap {
                            tophash: bm.tophash,
                            keys: bm.keys,
                            elems: bm.elems,
                        })
                        .collect()
                })
                .collect()
        })
    };
    FlatState {
        count: s.count,
        flags: s.flags,
        b: s.b,
        noverflow: s.noverflow,
        hash0: s.hash0,
        nevacuate: s.nevacuate,
        prealloc_left: s.prealloc_left,
        buckets: arr(s.buckets),
        oldbuckets: arr(s.oldbuckets),
    }
}
