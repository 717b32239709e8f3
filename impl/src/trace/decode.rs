//! Decoding a trace's delta-encoded bucket arrays into full arrays, op by op
//! ([`StateDecoder`]), or all at once ([`decode_states`]).
//!
//! # Invariants
//! - A `make` line starts from no arrays. The base of `buckets` is none, `fresh` (2^B
//!   zeroed one-bmap chains) or `prev` (the previous `buckets`); the base of `oldbuckets`
//!   is none, `prev_old` (the previous `oldbuckets`) or `prev_buckets` (the previous
//!   `buckets`: hashGrow ran). Then the delta's chains replace the base's.
//! - Applied to a trace that passed the parser's checks, it cannot fail.

use super::{BucketsBase, OldBucketsBase, Trace, TraceOp, TraceOpKind, TraceState, BUCKET_CNT};
use crate::map::{BmapSnapshot, Chain, HmapSnapshot};

/// Decodes the delta encoding op by op into full arrays.
#[derive(Clone, Debug, Default)]
pub struct StateDecoder {
    buckets: Option<Vec<Chain<u64, u64>>>,
    oldbuckets: Option<Vec<Chain<u64, u64>>>,
}

fn zero_chain() -> Chain<u64, u64> {
    vec![BmapSnapshot {
        tophash: vec![0; BUCKET_CNT],
        keys: vec![0; BUCKET_CNT],
        elems: vec![0; BUCKET_CNT],
    }]
}

impl StateDecoder {
    /// A decoder before the first op.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies `op`'s state. The trace must have passed [`parse_trace_str`]'s checks.
    ///
    /// [`parse_trace_str`]: super::parse_trace_str
    pub fn apply(&mut self, op: &TraceOp) {
        if matches!(op.op, TraceOpKind::Make { .. }) {
            // "For the make line, previous is empty."
            self.buckets = None;
            self.oldbuckets = None;
        }
        let st = &op.state;
        let old = match st.oldbuckets_base {
            OldBucketsBase::None => None,
            OldBucketsBase::PrevOld => self.oldbuckets.take(),
            OldBucketsBase::PrevBuckets => self.buckets.clone(),
        };
        let new = match st.buckets_base {
            BucketsBase::None => None,
            BucketsBase::Prev => self.buckets.take(),
            BucketsBase::Fresh => Some(vec![zero_chain(); 1usize << st.b]),
        };
        self.buckets = new;
        self.oldbuckets = old;
        for (arr, delta) in [
            (&mut self.buckets, &st.buckets_delta),
            (&mut self.oldbuckets, &st.oldbuckets_delta),
        ] {
            if let Some(a) = arr.as_mut() {
                for (idx, chain) in delta {
                    a[*idx] = chain.clone();
                }
            }
        }
    }

    /// The full buckets array after the last applied op.
    pub fn buckets(&self) -> Option<&[Chain<u64, u64>]> {
        self.buckets.as_deref()
    }

    /// The full oldbuckets array after the last applied op.
    pub fn oldbuckets(&self) -> Option<&[Chain<u64, u64>]> {
        self.oldbuckets.as_deref()
    }

    /// The full state after the last applied op, whose scalar fields are `st`'s.
    pub fn snapshot(&self, st: &TraceState) -> HmapSnapshot<u64, u64> {
        HmapSnapshot {
            count: st.count,
            flags: st.flags,
            b: st.b,
            noverflow: st.noverflow,
            hash0: st.hash0,
            nevacuate: st.nevacuate,
            prealloc_left: st.prealloc_left,
            buckets: self.buckets.clone(),
            oldbuckets: self.oldbuckets.clone(),
        }
    }
}

/// Every op's full state, decoded (convenient for small traces; a replay decodes
/// incrementally instead).
pub fn decode_states(trace: &Trace) -> Vec<HmapSnapshot<u64, u64>> {
    let mut d = StateDecoder::new();
    trace
        .ops
        .iter()
        .map(|op| {
            d.apply(op);
            d.snapshot(&op.state)
        })
        .collect()
}
