//! Replaying a trace on the port ([`replay_on_port`]): a `GoMap` at the header's Go
//! release, driven op by op, whose only sources are the trace's (see the module
//! documentation of `trace`): a hasher answering the recorded hash of `(key, hash0)` and a
//! random source answering the recorded `hash0` draws and iterator starts. After each op
//! the port's state is compared (replay/compare.rs); the first difference is a
//! [`ReplayMismatch`].
//!
//! # Invariants
//! - The same `(key, hash0)` is never recorded with two hashes; a hash the port needs
//!   that the trace never recorded is a mismatch (except for `mapaccessK`, where it means
//!   absent), as are an unexpected `fastrand` draw and a `hash0` or iterator-start draw the
//!   op should not (or should) make.
//! - Faults ([`ReplayOptions`], test-only) are injected into every map the replay makes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use super::{StateDecoder, Trace, TraceOp, TraceOpKind, TraceState};
use crate::hash::{MapHasher, RandomSource};
use crate::map::{Fault, GoMap, IterId, MapParams};

mod compare;

pub use compare::yield_difference;

/// What a clean replay did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayReport {
    /// The trace's source.
    pub file: String,
    /// Ops replayed (all of them).
    pub ops_replayed: usize,
    /// Full states compared (one per op).
    pub states_compared: usize,
    /// Lookup results compared.
    pub lookups_compared: usize,
    /// Iterator yields (elements and ends) compared.
    pub yields_compared: usize,
    /// Bmaps compared, over all states.
    pub bmaps_compared: usize,
}

/// The first difference between the port and the trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayMismatch {
    /// The trace's source.
    pub file: String,
    /// Op index `i`.
    pub op_index: u64,
    /// 1-based line number of the op.
    pub line: usize,
    /// The op's name.
    pub op: String,
    /// Field path, e.g. `buckets[3][1].tophash[5]`, `noverflow`, `key`.
    pub field: String,
    /// What the trace (Go) has.
    pub expected: String,
    /// What the port has.
    pub actual: String,
}

impl ReplayMismatch {
    /// The difference at `op` of `trace` (a port or a model replaying it): `field` has
    /// `expected` in the trace and `actual` in the replayer.
    pub fn at(
        trace: &Trace,
        op: &TraceOp,
        field: impl Into<String>,
        expected: impl fmt::Display,
        actual: impl fmt::Display,
    ) -> ReplayMismatch {
        ReplayMismatch {
            file: trace.source.clone(),
            op_index: op.i,
            line: op.line,
            op: op.op.name().to_string(),
            field: field.into(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        }
    }
}

impl fmt::Display for ReplayMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: op {} ({}): {}: expected {}, got {}",
            self.file, self.line, self.op_index, self.op, self.field, self.expected, self.actual
        )
    }
}

impl std::error::Error for ReplayMismatch {}

/// Options of a replay. Test-only: fault injection into the port.
#[doc(hidden)]
#[derive(Clone, Debug, Default)]
pub struct ReplayOptions {
    /// Faults injected into every map the replay makes.
    pub faults: Vec<Fault>,
}

#[derive(Debug, Default)]
struct Oracle {
    /// Hash of (key, hash0), from op lines.
    hashes: RefCell<HashMap<(u64, u32), u64>>,
    /// A problem a source met during the current op (first one kept).
    problem: RefCell<Option<(String, String, String)>>,
    /// hash0 for the next draw, if the current op may draw one.
    pending_hash0: RefCell<Option<u32>>,
    hash0_draws: RefCell<usize>,
    /// (start_bucket, offset) for the next mapiterinit.
    pending_iter: RefCell<Option<(u64, u64)>>,
    iter_draws: RefCell<usize>,
}

impl Oracle {
    fn report(&self, field: &str, expected: String, actual: String) {
        let mut p = self.problem.borrow_mut();
        if p.is_none() {
            *p = Some((field.to_string(), expected, actual));
        }
    }
}

/// The replay's hasher: hashes recorded in the trace, nothing else.
#[derive(Clone, Debug)]
struct TraceHasher(Rc<Oracle>);

impl MapHasher<u64> for TraceHasher {
    fn hash(&self, key: &u64, hash0: u32) -> u64 {
        match self.0.hashes.borrow().get(&(*key, hash0)) {
            Some(h) => *h,
            None => {
                self.0.report(
                    "hash",
                    format!("a recorded hash for key {key} under hash0 {hash0}"),
                    "the port needed a hash the trace never recorded".into(),
                );
                0
            }
        }
    }

    fn try_hash(&self, key: &u64, hash0: u32) -> Option<u64> {
        self.0.hashes.borrow().get(&(*key, hash0)).copied()
    }
}

/// The replay's random source: hash0 and iterator starts from the trace.
#[derive(Clone, Debug)]
struct TraceRandom(Rc<Oracle>);

impl RandomSource for TraceRandom {
    fn fastrand(&mut self) -> u32 {
        self.0.report(
            "noverflow",
            "no fastrand draw (the trace records none; B < 16)".into(),
            "incrnoverflow drew fastrand".into(),
        );
        0
    }

    fn hash0(&mut self) -> u32 {
        *self.0.hash0_draws.borrow_mut() += 1;
        match self.0.pending_hash0.borrow_mut().take() {
            Some(h) => h,
            None => {
                self.0.report(
                    "hash0",
                    "no hash0 draw in this op".into(),
                    "the port drew a second hash0".into(),
                );
                0
            }
        }
    }

    fn iter_start(&mut self, b: u8, _bucket_cnt_bits: u8) -> u64 {
        *self.0.iter_draws.borrow_mut() += 1;
        match self.0.pending_iter.borrow_mut().take() {
            Some((start, offset)) => {
                if start >> b != 0 {
                    self.0.report(
                        "start_bucket",
                        format!("a start bucket below 2^B = {}", 1u64 << b),
                        format!("{start} recorded"),
                    );
                }
                start | offset << b
            }
            None => {
                self.0.report(
                    "start_bucket",
                    "no iterator start draw in this op".into(),
                    "the port drew one".into(),
                );
                0
            }
        }
    }
}

type PortMap = GoMap<u64, u64, TraceHasher, TraceRandom>;

struct Replayer<'t> {
    trace: &'t Trace,
    options: &'t ReplayOptions,
    oracle: Rc<Oracle>,
    map: Option<PortMap>,
    iters: HashMap<u64, IterId>,
    decoder: StateDecoder,
    report: ReplayReport,
    /// The port's array identities after the previous op.
    prev_ids: (Option<crate::map::ArrayId>, Option<crate::map::ArrayId>),
    /// The trace's state after the previous op.
    prev_state: Option<&'t TraceState>,
}

/// Replays `trace` on the port (see the module documentation) and compares everything.
pub fn replay_on_port(trace: &Trace) -> Result<ReplayReport, ReplayMismatch> {
    replay_on_port_with(trace, &ReplayOptions::default())
}

/// [`replay_on_port`] with options (test-only fault injection).
#[doc(hidden)]
pub fn replay_on_port_with(
    trace: &Trace,
    options: &ReplayOptions,
) -> Result<ReplayReport, ReplayMismatch> {
    let mut r = Replayer {
        trace,
        options,
        oracle: Rc::new(Oracle::default()),
        map: None,
        iters: HashMap::new(),
        decoder: StateDecoder::new(),
        report: ReplayReport {
            file: trace.source.clone(),
            ..ReplayReport::default()
        },
        prev_ids: (None, None),
        prev_state: None,
    };
    for op in &trace.ops {
        r.step(op)?;
    }
    Ok(r.report)
}

impl<'t> Replayer<'t> {
    fn mismatch(
        &self,
        op: &TraceOp,
        field: impl Into<String>,
        expected: impl fmt::Display,
        actual: impl fmt::Display,
    ) -> ReplayMismatch {
        ReplayMismatch::at(self.trace, op, field, expected, actual)
    }

    fn learn_hash(&self, op: &TraceOp, key: u64, hash: u64) -> Result<(), ReplayMismatch> {
        let hash0 = self.prev_state.map_or(0, |s| s.hash0);
        let mut hashes = self.oracle.hashes.borrow_mut();
        match hashes.get(&(key, hash0)) {
            Some(&h) if h != hash => Err(self.mismatch(
                op,
                "hash",
                format!("{h} (recorded earlier for key {key} under hash0 {hash0})"),
                hash,
            )),
            _ => {
                hashes.insert((key, hash0), hash);
                Ok(())
            }
        }
    }

    fn step(&mut self, op: &'t TraceOp) -> Result<(), ReplayMismatch> {
        *self.oracle.problem.borrow_mut() = None;
        *self.oracle.pending_hash0.borrow_mut() = None;
        *self.oracle.pending_iter.borrow_mut() = None;
        *self.oracle.hash0_draws.borrow_mut() = 0;
        *self.oracle.iter_draws.borrow_mut() = 0;
        let count_before = self.map.as_ref().map_or(0, |m| m.len());
        let mut expect_hash0_draw = false;
        let mut expect_iter_draw = false;

        match op.op {
            TraceOpKind::Make { hint } => {
                *self.oracle.pending_hash0.borrow_mut() = Some(op.state.hash0);
                expect_hash0_draw = true;
                let mut m = GoMap::makemap(
                    MapParams::for_go(self.trace.header.go_version()),
                    usize::try_from(hint).unwrap_or(usize::MAX),
                    TraceHasher(self.oracle.clone()),
                    TraceRandom(self.oracle.clone()),
                );
                for f in &self.options.faults {
                    m.inject_fault(*f);
                }
                self.map = Some(m);
                self.iters.clear();
                self.prev_ids = (None, None);
            }
            TraceOpKind::Assign { key, elem, hash } => {
                self.learn_hash(op, key, hash)?;
                self.port().mapassign(key, elem);
            }
            TraceOpKind::Delete { key, hash } => {
                self.learn_hash(op, key, hash)?;
                *self.oracle.pending_hash0.borrow_mut() = Some(op.state.hash0);
                expect_hash0_draw = count_before > 0 && op.state.count == 0;
                self.port().mapdelete(&key);
            }
            TraceOpKind::Lookup {
                key,
                hash,
                found,
                elem,
            } => {
                self.learn_hash(op, key, hash)?;
                let got = self.port().mapaccess2(&key);
                self.report.lookups_compared += 1;
                if got.is_some() != found {
                    return Err(self.mismatch(op, "found", found, got.is_some()));
                }
                let got_elem = got.unwrap_or(0);
                if got_elem != elem {
                    return Err(self.mismatch(op, "elem", elem, got_elem));
                }
            }
            TraceOpKind::IterStart {
                iter,
                start_bucket,
                offset,
            } => {
                *self.oracle.pending_iter.borrow_mut() = Some((start_bucket, offset));
                expect_iter_draw = count_before > 0;
                let id = self.port().iter_init();
                self.iters.insert(iter, id);
            }
            TraceOpKind::Clear => {
                *self.oracle.pending_hash0.borrow_mut() = Some(op.state.hash0);
                expect_hash0_draw = count_before > 0;
                self.port().mapclear();
            }
            TraceOpKind::IterNext { iter, item } => {
                let id = self.iters[&iter];
                let got = self.port().iter_next(id);
                self.report.yields_compared += 1;
                if let Some((field, expected, actual)) = yield_difference(item, got) {
                    return Err(self.mismatch(op, field, expected, actual));
                }
            }
        }

        if let Some((field, expected, actual)) = self.oracle.problem.borrow_mut().take() {
            return Err(self.mismatch(op, field, expected, actual));
        }
        let hash0_draws = *self.oracle.hash0_draws.borrow();
        if (hash0_draws > 0) != expect_hash0_draw {
            return Err(self.mismatch(
                op,
                "hash0",
                if expect_hash0_draw {
                    "a hash0 draw (reseed)"
                } else {
                    "no hash0 draw"
                },
                format!("{hash0_draws} hash0 draws"),
            ));
        }
        let iter_draws = *self.oracle.iter_draws.borrow();
        if (iter_draws > 0) != expect_iter_draw {
            return Err(self.mismatch(
                op,
                "start_bucket",
                if expect_iter_draw {
                    "an iterator start draw"
                } else {
                    "no iterator start draw (empty map)"
                },
                format!("{iter_draws} iterator start draws"),
            ));
        }

        // Hashes of stale entries under the new hash0, for later mapiternext calls.
        for &(key, hash) in &op.stale_hashes {
            self.oracle
                .hashes
                .borrow_mut()
                .insert((key, op.state.hash0), hash);
        }
        self.decoder.apply(op);
        self.compare_state(op)?;
        self.report.states_compared += 1;
        self.report.ops_replayed += 1;
        self.prev_state = Some(&op.state);
        Ok(())
    }

    fn port(&mut self) -> &mut PortMap {
        self.map
            .as_mut()
            .expect("check_structure: a trace starts with make")
    }
}
