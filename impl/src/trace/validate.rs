//! The structural check of a parsed trace (`check_structure`, run by
//! [`parse_trace_str`](super::parse_trace_str)): the lines fit together, so that decoding
//! and replaying cannot fail on the trace's own account.
//!
//! # Invariants it establishes
//! - The first op is `make`; `clear_seq` is present exactly when the header's Go release
//!   has `hmap.clearSeq` (Go 1.24+).
//! - Iterator ids are started once, and `iter_next` names an open iterator (not done, its
//!   map not remade).
//! - A `prev`/`prev_old`/`prev_buckets` base names an array the previous op had; a delta
//!   is for a present array, its chain indices in range and strictly ascending.

use std::collections::HashSet;

use super::{BucketsBase, Ctx, OldBucketsBase, Trace, TraceError, TraceErrorKind, TraceOpKind};

/// Checks that the ops fit together so that decoding and replay cannot fail on the
/// trace's own account.
pub(super) fn check_structure(trace: &Trace) -> Result<(), TraceError> {
    let mut prev_buckets: Option<usize> = None; // length of the previous op's arrays
    let mut prev_old: Option<usize> = None;
    let mut started: HashSet<u64> = HashSet::new();
    let mut open: HashSet<u64> = HashSet::new();
    let clear_seq = trace.header.go_version().has_clear_seq();
    for (n, op) in trace.ops.iter().enumerate() {
        let ctx = Ctx {
            file: &trace.source,
            line: op.line,
        };
        if op.state.clear_seq.is_some() != clear_seq {
            return Err(ctx.err(
                TraceErrorKind::Inconsistent,
                "state.clear_seq",
                format!(
                    "{} has {}hmap.clearSeq; the state must {}",
                    trace.header.go,
                    if clear_seq { "" } else { "no " },
                    if clear_seq {
                        "have clear_seq"
                    } else {
                        "not have clear_seq"
                    }
                ),
            ));
        }
        if n == 0 && !matches!(op.op, TraceOpKind::Make { .. }) {
            return Err(ctx.err(
                TraceErrorKind::Inconsistent,
                "op",
                format!("a trace starts with make, not {}", op.op.name()),
            ));
        }
        match op.op {
            TraceOpKind::Make { .. } => {
                // The previous map (and its iterators) is abandoned.
                prev_buckets = None;
                prev_old = None;
                open.clear();
            }
            TraceOpKind::IterStart { iter, .. } => {
                if !started.insert(iter) {
                    return Err(ctx.err(
                        TraceErrorKind::Inconsistent,
                        "iter",
                        format!("iterator id {iter} started twice"),
                    ));
                }
                open.insert(iter);
            }
            TraceOpKind::IterNext { iter, item } => {
                if !open.contains(&iter) {
                    return Err(ctx.err(
                        TraceErrorKind::Inconsistent,
                        "iter",
                        format!("iterator {iter} is not open (never started, done, or its map was remade)"),
                    ));
                }
                if item.is_none() {
                    open.remove(&iter);
                }
            }
            _ => {}
        }
        let st = &op.state;
        let nb = 1usize << st.b;
        let buckets_len = match st.buckets_base {
            BucketsBase::None => None,
            BucketsBase::Fresh => Some(nb),
            BucketsBase::Prev => match prev_buckets {
                None => {
                    return Err(ctx.err(
                        TraceErrorKind::Inconsistent,
                        "state.buckets_base",
                        "\"prev\" but there is no previous buckets array",
                    ))
                }
                Some(l) => Some(l),
            },
        };
        let old_len = match st.oldbuckets_base {
            OldBucketsBase::None => None,
            OldBucketsBase::PrevOld => match prev_old {
                None => {
                    return Err(ctx.err(
                        TraceErrorKind::Inconsistent,
                        "state.oldbuckets_base",
                        "\"prev_old\" but there is no previous oldbuckets array",
                    ))
                }
                Some(l) => Some(l),
            },
            OldBucketsBase::PrevBuckets => match prev_buckets {
                None => {
                    return Err(ctx.err(
                        TraceErrorKind::Inconsistent,
                        "state.oldbuckets_base",
                        "\"prev_buckets\" but there is no previous buckets array",
                    ))
                }
                Some(l) => Some(l),
            },
        };
        for (name, len, delta) in [
            ("buckets_delta", buckets_len, &st.buckets_delta),
            ("oldbuckets_delta", old_len, &st.oldbuckets_delta),
        ] {
            let mut last: Option<usize> = None;
            for (k, (idx, _)) in delta.iter().enumerate() {
                let field = format!("state.{name}[{k}][0]");
                match len {
                    None => {
                        return Err(ctx.err(
                            TraceErrorKind::Inconsistent,
                            &field,
                            "a delta for an absent array",
                        ))
                    }
                    Some(l) if *idx >= l => {
                        return Err(ctx.err(
                            TraceErrorKind::Inconsistent,
                            &field,
                            format!("chain index {idx} out of range (array of {l} chains)"),
                        ))
                    }
                    _ => {}
                }
                if last.is_some_and(|l| l >= *idx) {
                    return Err(ctx.err(
                        TraceErrorKind::Inconsistent,
                        &field,
                        format!("chain index {idx} not ascending"),
                    ));
                }
                last = Some(*idx);
            }
        }
        prev_buckets = buckets_len;
        prev_old = old_len;
    }
    Ok(())
}
