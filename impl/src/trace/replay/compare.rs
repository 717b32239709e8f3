//! Comparing the port with the trace after each op of a replay: the op's result (an
//! iterator's yield, [`yield_difference`], shared with the model's replay) and the whole
//! state (`compare_state`): every hmap field, the identity of both arrays (`prev`,
//! `fresh`, ...), every bmap of every chain of both arrays, stale keys and elems
//! included, and the port's `check_invariants`.
//!
//! # Invariants
//! Only reads the port; the array identities are remembered only when the state matched.

use std::fmt;

use super::{ReplayMismatch, Replayer};
use crate::trace::{BucketsBase, OldBucketsBase, TraceOp};

/// How an iterator's yield differs from the trace's: (field, expected, actual), or None when
/// they agree. `None` on either side is the end of the iteration. Shared by the port and model
/// replays so both report a yield the same way.
pub fn yield_difference(
    want: Option<(u64, u64)>,
    got: Option<(u64, u64)>,
) -> Option<(&'static str, String, String)> {
    let show = |x: Option<(u64, u64)>| match x {
        None => "done".to_string(),
        Some((k, e)) => format!("key {k}, elem {e}"),
    };
    match (want, got) {
        (Some((k, e)), Some((gk, ge))) => {
            if k != gk {
                Some(("key", k.to_string(), gk.to_string()))
            } else if e != ge {
                Some(("elem", e.to_string(), ge.to_string()))
            } else {
                None
            }
        }
        (None, None) => None,
        (want, got) => Some(("done", show(want), show(got))),
    }
}

impl<'t> Replayer<'t> {
    pub(super) fn compare_state(&mut self, op: &TraceOp) -> Result<(), ReplayMismatch> {
        let m = self.map.as_ref().expect("made");
        let st = &op.state;
        let scalars: [(&str, u64, u64); 7] = [
            ("count", st.count, m.len() as u64),
            ("flags", st.flags as u64, m.flags() as u64),
            ("B", st.b as u64, m.b() as u64),
            ("noverflow", st.noverflow as u64, m.noverflow() as u64),
            ("hash0", st.hash0 as u64, m.hash0() as u64),
            ("nevacuate", st.nevacuate, m.nevacuate() as u64),
            ("prealloc_left", st.prealloc_left, m.prealloc_left() as u64),
        ];
        for (field, want, got) in scalars {
            if want != got {
                return Err(self.mismatch(op, field, want, got));
            }
        }
        if let Some(want) = st.clear_seq {
            if want != m.clear_seq() {
                return Err(self.mismatch(op, "clear_seq", want, m.clear_seq()));
            }
        }

        // Array identity: "prev" is the same array, "fresh" a new one.
        let (ids_b, ids_old) = m.array_identities();
        let (prev_b, prev_old) = self.prev_ids;
        let got_base = match ids_b {
            None => "none",
            Some(id) if Some(id) == prev_b => "prev",
            Some(_) => "fresh",
        };
        let want_base = match st.buckets_base {
            BucketsBase::None => "none",
            BucketsBase::Prev => "prev",
            BucketsBase::Fresh => "fresh",
        };
        if got_base != want_base {
            return Err(self.mismatch(op, "buckets_base", want_base, got_base));
        }
        let got_old = match ids_old {
            None => "none",
            Some(id) if Some(id) == prev_old => "prev_old",
            Some(id) if Some(id) == prev_b => "prev_buckets",
            Some(_) => "a new array",
        };
        let want_old = match st.oldbuckets_base {
            OldBucketsBase::None => "none",
            OldBucketsBase::PrevOld => "prev_old",
            OldBucketsBase::PrevBuckets => "prev_buckets",
        };
        if got_old != want_old {
            return Err(self.mismatch(op, "oldbuckets_base", want_old, got_old));
        }

        for (name, old) in [("buckets", false), ("oldbuckets", true)] {
            let want = if old {
                self.decoder.oldbuckets()
            } else {
                self.decoder.buckets()
            };
            let got = m.array_view(old);
            let (want, got) = match (want, got) {
                (None, None) => continue,
                (Some(w), Some(g)) => (w, g),
                (w, g) => {
                    return Err(self.mismatch(
                        op,
                        name,
                        if w.is_some() { "an array" } else { "nil" },
                        if g.is_some() { "an array" } else { "nil" },
                    ))
                }
            };
            if want.len() != got.len() {
                return Err(self.mismatch(op, format!("{name}.len"), want.len(), got.len()));
            }
            for (idx, wchain) in want.iter().enumerate() {
                let gchain = got.chain(idx);
                for (j, (wb, gb)) in wchain.iter().zip(gchain.iter()).enumerate() {
                    self.report.bmaps_compared += 1;
                    let diff = first_diff(&wb.tophash, gb.tophash)
                        .map(|d| ("tophash", d))
                        .or_else(|| first_diff(&wb.keys, gb.keys).map(|d| ("keys", d)))
                        .or_else(|| first_diff(&wb.elems, gb.elems).map(|d| ("elems", d)));
                    if let Some((part, (s, wv, gv))) = diff {
                        return Err(self.mismatch(
                            op,
                            format!("{name}[{idx}][{j}].{part}[{s}]"),
                            wv,
                            gv,
                        ));
                    }
                }
                if wchain.len() != gchain.len() {
                    return Err(self.mismatch(
                        op,
                        format!("{name}[{idx}].len"),
                        format!("{} bmaps in the chain", wchain.len()),
                        format!("{} bmaps", gchain.len()),
                    ));
                }
            }
        }

        if let Err(v) = m.check_invariants() {
            return Err(self.mismatch(
                op,
                format!("invariants.{}", v.invariant.name()),
                "holds",
                v.detail,
            ));
        }
        self.prev_ids = (ids_b, ids_old);
        Ok(())
    }
}

/// The first slot where `want` and `got` differ: (slot, want, got).
fn first_diff<T: PartialEq + fmt::Display>(
    want: &[T],
    got: &[T],
) -> Option<(usize, String, String)> {
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
