//! The `unsync` model refines the validated sequential `hmap` model: run by one goroutine,
//! its fine-grained steps must end every operation in exactly the map state (every hmap
//! field, every bucket cell, stale bytes included) and with exactly the result (mapaccess2's
//! elem and ok, every range yield in order) that the hmap model's whole-operation steps give.
//! The hmap model is tied to real Go 1.19 byte for byte by trace replay, so this ties the
//! concurrent model's steps to real Go wherever no other goroutine runs between them.
//!
//! [`check_refinement`] enumerates every operation sequence up to a length, from every
//! initial hash assignment, with every nondeterministic choice inside an operation (the new
//! hash function of a reseed, mapiterinit's start bucket and offset) taken on both sides
//! alike, and reports the first difference.

use super::{GMap, Pc, Stepped, UOp, UnsyncModel};
use crate::framework::log::Log;
use crate::hmap::convert::{first_difference, flat_state, StateDiff};
use crate::hmap::state::{HashFn, HmapState};
use crate::hmap::steps::{Machine, Track};

/// What one operation ended with, on either side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpResult {
    /// mapassign, mapdelete.
    Unit,
    /// mapaccess2's (elem, ok).
    Access(u64, bool),
    /// A range loop's yields, in order.
    Range(Vec<(u64, u64)>),
    /// The operation threw or faulted (never expected of one goroutine).
    Throw(String),
}

/// The first operation sequence on which the two models differ.
#[derive(Clone, Debug)]
pub struct Mismatch {
    /// The hash assignment (initial state index).
    pub hash_function: usize,
    /// The operations, with the choice taken inside each.
    pub ops: Vec<String>,
    pub what: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "hash function {}, after {}: {}",
            self.hash_function,
            self.ops.join("; "),
            self.what
        )
    }
}

/// How much was compared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Operation sequences compared (every prefix counts once).
    pub sequences: usize,
    /// Operations compared (states and results).
    pub ops: usize,
    /// Of which grew the map (hashGrow ran) / evacuated / reseeded / ranged.
    pub grows: usize,
    pub ranges: usize,
    pub reseeds: usize,
    /// Of which linked a new overflow bucket in mapassign (newoverflow's setoverflow step).
    pub overflows: usize,
}

/// What one operation of goroutine 0 went through.
#[derive(Default)]
struct Passed {
    grew: bool,
    overflow: bool,
}

/// Runs one operation of goroutine 0 to its end on `s`, taking `choice` at the step that has
/// choices. Returns the result and how many choices that step had (1 if none).
fn run_unsync<const N: usize>(
    m: &UnsyncModel<N>,
    s: &mut HmapState<N>,
    op: UOp,
    choice: usize,
    passed: &mut Passed,
) -> (OpResult, usize) {
    let mut g = GMap::new(op);
    let mut yields = Vec::new();
    let mut n = 1;
    loop {
        let k = m.steps.choices(s, &g, m.hash_fns.len());
        let c = if k > 1 {
            n = k;
            choice.min(k - 1)
        } else {
            0
        };
        match g.pc {
            Pc::GrowStoreBuckets => passed.grew = true,
            Pc::NewoverflowLink => passed.overflow = true,
            _ => {}
        }
        let r = m
            .steps
            .step(s, &mut g, 0, c, &m.hash_fns, &mut Log::default());
        match r {
            Stepped::Continue => {}
            Stepped::Yield(k, e) => yields.push((k, e)),
            Stepped::Done(res) => {
                let mut refs = [&mut g];
                super::canonicalize(s, &mut refs);
                return (
                    match (op, res) {
                        (UOp::Access { .. }, Some((e, ok))) => OpResult::Access(e, ok),
                        (UOp::Range, _) => OpResult::Range(yields),
                        _ => OpResult::Unit,
                    },
                    n,
                );
            }
            Stepped::Throw(t) => return (OpResult::Throw(t.to_string()), n),
        }
    }
}

/// The same operation on the hmap model.
fn run_hmap<const N: usize>(
    mach: &Machine,
    s: &mut HmapState<N>,
    op: UOp,
    choice: usize,
    hash_fns: &[HashFn],
    bucket_cnt: usize,
) -> OpResult {
    let mut log = Log::default();
    let r = match op {
        UOp::Assign { key, elem } => mach
            .mapassign(s, key as u64, elem as u64, &mut log)
            .map(|_| OpResult::Unit),
        UOp::Delete { key } => {
            let reseed = hash_fns.get(choice);
            mach.mapdelete(
                s,
                key as u64,
                reseed.map(|_| choice as u32),
                reseed,
                &mut log,
            )
            .map(|_| OpResult::Unit)
        }
        UOp::Access { key } => mach
            .mapaccess2(s, key as u64, &mut log)
            .map(|(e, ok)| OpResult::Access(e, ok)),
        UOp::Range => {
            let nb = 1usize << s.h.b;
            let r = choice % (nb * bucket_cnt);
            let (start, offset) = ((r % nb) as u16, (r / nb) as u8);
            s.next_iter_id = 0;
            match mach.mapiterinit(s, start, offset, &mut log) {
                Err(e) => Err(e),
                Ok((_, None)) => Ok(OpResult::Range(Vec::new())),
                Ok((id, Some(kv))) => {
                    let mut ys = vec![kv];
                    loop {
                        match mach.mapiternext(s, id, &mut log) {
                            Ok(Some(kv)) => ys.push(kv),
                            Ok(None) => break Ok(OpResult::Range(ys)),
                            Err(e) => break Err(e),
                        }
                    }
                }
            }
        }
    };
    Machine::collect_arrays(s);
    s.next_iter_id = 0;
    r.unwrap_or_else(|e| OpResult::Throw(e.to_string()))
}

fn choice_text(op: UOp, c: usize, n: usize) -> String {
    if n > 1 {
        format!("{op} [choice {c} of {n}]")
    } else {
        op.to_string()
    }
}

/// Compares the unsync model run by one goroutine with the hmap model on every operation
/// sequence of at most `max_ops` operations (from `m`'s operation set and keys), from every
/// initial hash assignment.
pub fn check_refinement<const N: usize>(
    m: &UnsyncModel<N>,
    max_ops: usize,
) -> Result<Report, Mismatch> {
    let bc = m.params.geo.bucket_cnt;
    let mach = Machine {
        geo: m.params.geo,
        track: Track::default(),
        go: Default::default(),
    };
    let ops = m.choices_for(0);
    let mut report = Report::default();
    for (h0, init) in stateright::Model::init_states(m).into_iter().enumerate() {
        let start = init.m.clone();
        let mut trail = Vec::new();
        dfs(
            m,
            &mach,
            &ops,
            &start,
            &start,
            max_ops,
            bc,
            h0,
            &mut trail,
            &mut report,
        )?;
    }
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn dfs<const N: usize>(
    m: &UnsyncModel<N>,
    mach: &Machine,
    ops: &[UOp],
    u: &HmapState<N>,
    h: &HmapState<N>,
    left: usize,
    bc: usize,
    h0: usize,
    trail: &mut Vec<String>,
    report: &mut Report,
) -> Result<(), Mismatch> {
    if left == 0 {
        return Ok(());
    }
    for &op in ops {
        let mut n = 1;
        let mut c = 0;
        while c < n {
            let mut us = u.clone();
            let mut passed = Passed::default();
            let (ur, k) = run_unsync(m, &mut us, op, c, &mut passed);
            n = k;
            let mut hs = h.clone();
            let hr = run_hmap(mach, &mut hs, op, c, &m.hash_fns, bc);
            trail.push(choice_text(op, c, n));
            report.sequences += 1;
            report.ops += 1;
            report.grows += usize::from(passed.grew);
            report.overflows += usize::from(passed.overflow);
            report.ranges += usize::from(op == UOp::Range);
            report.reseeds += usize::from(n > 1 && matches!(op, UOp::Delete { .. }));
            let fail = |what: String, trail: &Vec<String>| Mismatch {
                hash_function: h0,
                ops: trail.clone(),
                what,
            };
            if ur != hr {
                return Err(fail(
                    format!("results differ: hmap {hr:?}, unsync {ur:?}"),
                    trail,
                ));
            }
            let (fh, fu) = (flat_state(&hs, bc), flat_state(&us, bc));
            if let Some(StateDiff {
                field,
                expected,
                actual,
            }) = first_difference(&fh, &fu)
            {
                return Err(fail(
                    format!("{field}: hmap {expected}, unsync {actual}"),
                    trail,
                ));
            }
            if us.iters.len() != hs.iters.len() {
                return Err(fail("iterators left over differ".into(), trail));
            }
            if !matches!(ur, OpResult::Throw(_)) {
                dfs(m, mach, ops, &us, &hs, left - 1, bc, h0, trail, report)?;
            }
            trail.pop();
            c += 1;
        }
    }
    Ok(())
}
