//! The lockstep harness: the hmap model (gomap-model's `Machine::step`) as the reference,
//! the port (gomap-impl's `GoMap<u64, u64>`) as the system under test, both fed the same
//! hash function, the same hash0 draws and the same iterator start draws.
//!
//! A [`Reference`] performs one generated [`Op`] as one or more Go operations (delete-all
//! is one delete per live key) and records, for each, the model's result and its state in
//! trace shape ([`FlatState`]). A [`Sut`] performs the same Go operations on the port and
//! compares, after every one: the result (lookup found/elem, iterator yield), the whole
//! state (every hmap field, both bucket arrays in full, stale bytes included), and the
//! port's `check_invariants()`.
//!
//! Hashes: each case draws [`HASH_FNS`] hash functions over the keys `0..keys` from a
//! small domain (a few top bytes, including ones below MIN_TOP_HASH that tophash moves
//! onto others; a few low bits, sometimes masked further), so collisions, equal tophash
//! with unequal keys, shared buckets and X/Y splits are frequent. hash0 is the number of
//! hash0 draws before it (makemap draws one, a delete to count 0 another), and the hash
//! function of hash0 `h` is `fns[h % HASH_FNS]`: a reseed changes the hash function on
//! both sides at once.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

use gomap::conformance::flat_from_snapshot;
use gomap_impl::map::Fault;
use gomap_impl::{GoMap, IterId, MapHasher, MapParams, RandomSource};
use gomap_model::framework::log::Log;
use gomap_model::hmap::convert::{first_difference, flat_state, FlatState};
use gomap_model::hmap::steps::{ev, Geometry, Machine, Track};
use gomap_model::hmap::{HmapAction, HmapState, Outcome};

/// Hash functions drawn per case (a reseed moves to the next one).
pub const HASH_FNS: usize = 4;
/// Iterators open at once, as in the Go traces.
pub const MAX_OPEN_ITERS: usize = 3;

/// One configuration of the lockstep run.
#[derive(Clone, Copy, Debug)]
pub struct Cfg {
    pub bucket_cnt: usize,
    pub load_factor_num: usize,
    pub load_factor_den: usize,
    /// Keys are `0..keys` (0 included: fresh buckets hold key 0 in every slot).
    pub keys: u64,
    /// Elems are `0..elems`.
    pub elems: u64,
    /// Hash low bits are drawn from `0..1 << hash_bits`.
    pub hash_bits: u32,
    /// Top bytes hashes are drawn from.
    pub tops: &'static [u8],
    /// `make` hints are drawn from `0..max_hint`.
    pub max_hint: usize,
    /// Test-only fault injected into the port (to show the comparison can fail).
    pub fault: Option<Fault>,
}

impl Cfg {
    pub fn geometry(&self) -> Geometry {
        Geometry {
            bucket_cnt: self.bucket_cnt,
            load_factor_num: self.load_factor_num,
            load_factor_den: self.load_factor_den,
        }
    }

    pub fn params(&self) -> MapParams {
        MapParams::new(self.bucket_cnt, self.load_factor_num, self.load_factor_den)
            .expect("valid lockstep parameters")
    }
}

/// The hash functions of a case: `fns[f][key]`.
pub type HashFns = Rc<Vec<Vec<u64>>>;

/// A generated operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `m[key] = elem`.
    Assign { key: u64, elem: u64 },
    /// `delete(m, key)`.
    Delete { key: u64 },
    /// `v, ok := m[key]`.
    Lookup { key: u64 },
    /// A range loop starts: mapiterinit with fastrand's `r` (start bucket `r & (2^B-1)`,
    /// offset `r >> B & (bucketCnt-1)`, as Go derives them).
    IterStart { r: u32 },
    /// The next round of the `slot`-th open iterator (in order of opening).
    IterNext { slot: usize },
    /// Delete every live key, in ascending key order (the last delete reseeds).
    DeleteAll,
    /// `m = make(map[uint64]uint64, hint)`: a fresh map; open iterators are abandoned.
    Make { hint: usize },
}

/// One Go operation of an [`Op`], as both sides perform it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GoOp {
    Make {
        hint: usize,
    },
    Assign {
        key: u64,
        elem: u64,
    },
    Delete {
        key: u64,
    },
    Lookup {
        key: u64,
    },
    IterStart {
        r: u32,
    },
    /// The first round hands out what mapiterinit found; later ones run mapiternext.
    IterNext {
        slot: usize,
    },
}

/// A Go operation with what the model did.
#[derive(Clone, Debug)]
pub struct Step {
    pub op: GoOp,
    pub outcome: Outcome,
    pub state: FlatState,
    /// hashGrow ran: Some(true) doubling, Some(false) same-size.
    pub grow: Option<bool>,
    /// An iteration that was open across the start of a grow ended in this step.
    pub iter_spanning_grow_done: bool,
    /// A yield by an iterator that was open across the start of a grow.
    pub yield_after_grow: bool,
    /// A delete brought count to 0 and reseeded hash0.
    pub reseed: bool,
}

/// An open iterator on the model side.
#[derive(Clone, Debug)]
pub struct OpenIter {
    pub model_id: u8,
    /// The element mapiterinit found, until the first IterNext hands it out.
    pub first: Option<Option<(u64, u64)>>,
    /// Grows started while it was open.
    pub grows_seen: u32,
}

/// The reference: the model, at the case's geometry.
#[derive(Clone)]
pub struct Reference {
    pub cfg: Cfg,
    pub machine: Machine,
    pub fns: HashFns,
    /// hash0 draws so far; the next draw returns this value.
    pub draws: u32,
    pub state: HmapState,
    pub open: Vec<OpenIter>,
    /// The Go operations of the last applied [`Op`].
    pub steps: Vec<Step>,
}

impl std::fmt::Debug for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Reference {{ count: {}, B: {}, hash0: {}, open iterators: {}, hash fns: {:?} }}",
            self.state.h.count,
            self.state.h.b,
            self.state.h.hash0,
            self.open.len(),
            self.fns
        )
    }
}

fn hashes_of(fns: &HashFns, hash0: u32) -> BTreeMap<u64, u64> {
    fns[hash0 as usize % fns.len()]
        .iter()
        .enumerate()
        .map(|(k, &h)| (k as u64, h))
        .collect()
}

impl Reference {
    /// A fresh reference: `make(map, 0)` with the first hash function.
    pub fn new(cfg: Cfg, fns: HashFns) -> Self {
        let machine = Machine {
            geo: cfg.geometry(),
            track: Track::default(),
            go: Default::default(),
        };
        let state = machine.makemap(0, 0, hashes_of(&fns, 0));
        Reference {
            cfg,
            machine,
            fns,
            draws: 1,
            state,
            open: Vec::new(),
            steps: Vec::new(),
        }
    }

    /// Whether `op` can run now (the generator and shrinking use it).
    pub fn allows(&self, op: &Op) -> bool {
        match *op {
            Op::IterStart { .. } => self.open.len() < MAX_OPEN_ITERS,
            Op::IterNext { slot } => slot < self.open.len(),
            _ => true,
        }
    }

    /// Applies `op` to the model, recording its Go operations in `steps`.
    pub fn apply(&mut self, op: &Op) {
        self.steps.clear();
        match *op {
            Op::Assign { key, elem } => self.go(GoOp::Assign { key, elem }),
            Op::Delete { key } => self.go(GoOp::Delete { key }),
            Op::Lookup { key } => self.go(GoOp::Lookup { key }),
            Op::IterStart { r } => self.go(GoOp::IterStart { r }),
            Op::IterNext { slot } => self.go(GoOp::IterNext { slot }),
            Op::Make { hint } => self.go(GoOp::Make { hint }),
            Op::DeleteAll => {
                let live: Vec<u64> = (0..self.cfg.keys)
                    .filter(|&k| self.machine.lookup(&self.state, k).is_some())
                    .collect();
                for key in live {
                    self.go(GoOp::Delete { key });
                }
            }
        }
    }

    fn go(&mut self, op: GoOp) {
        let mut log = Log::default();
        let mut outcome = Outcome::None;
        let mut iter_spanning_grow_done = false;
        let mut yield_after_grow = false;
        let mut reseed = false;
        let ran_step = !matches!(op, GoOp::Make { .. })
            && !matches!(op, GoOp::IterNext { slot } if self.open[slot].first.is_some());
        let step = |r: &mut Reference, action: HmapAction, log: &mut Log| {
            let next = hashes_of(&r.fns, r.draws);
            let new_hashes = matches!(action, HmapAction::Delete { .. }).then_some(&next);
            r.machine
                .step(&mut r.state, &action, new_hashes, log)
                .unwrap_or_else(|e| panic!("model step {action} failed: {e}"))
        };
        match op {
            GoOp::Make { hint } => {
                let hash0 = self.draws;
                self.draws += 1;
                self.state = self
                    .machine
                    .makemap(hint, hash0, hashes_of(&self.fns, hash0));
                self.open.clear();
            }
            GoOp::Assign { key, elem } => {
                outcome = step(self, HmapAction::Assign { key, elem }, &mut log);
            }
            GoOp::Delete { key } => {
                // The model reseeds only if this delete brings count to 0; then the new
                // hash0 is the next draw.
                let action = HmapAction::Delete {
                    key,
                    reseed: Some(self.draws),
                };
                outcome = step(self, action, &mut log);
                if self.state.h.hash0 == self.draws {
                    self.draws += 1;
                    reseed = true;
                }
            }
            GoOp::Lookup { key } => {
                outcome = step(self, HmapAction::Access { key }, &mut log);
            }
            GoOp::IterStart { r } => {
                let b = self.state.h.b;
                let start_bucket = (r as usize & ((1usize << b) - 1)) as u16;
                let offset = ((r as usize >> b) & (self.cfg.bucket_cnt - 1)) as u8;
                outcome = step(
                    self,
                    HmapAction::IterInit {
                        start_bucket,
                        offset,
                    },
                    &mut log,
                );
                let Outcome::Yield { iter, kv } = outcome else {
                    panic!("mapiterinit returned {outcome:?}");
                };
                self.open.push(OpenIter {
                    model_id: iter,
                    first: Some(kv),
                    grows_seen: 0,
                });
            }
            GoOp::IterNext { slot } => {
                let it = &mut self.open[slot];
                let kv = match it.first.take() {
                    Some(kv) => {
                        outcome = Outcome::Yield {
                            iter: it.model_id,
                            kv,
                        };
                        kv
                    }
                    None => {
                        let id = it.model_id;
                        outcome = step(self, HmapAction::IterNext { iter: id }, &mut log);
                        match outcome {
                            Outcome::Yield { kv, .. } => kv,
                            ref o => panic!("mapiternext returned {o:?}"),
                        }
                    }
                };
                let seen = self.open[slot].grows_seen > 0;
                if kv.is_none() {
                    self.open.remove(slot);
                    iter_spanning_grow_done = seen;
                } else {
                    yield_after_grow = seen;
                }
            }
        }
        // The events of the step just run (none if this op ran no step: makemap, or the
        // first round of an iterator).
        let events = if ran_step { self.state.ghost.events } else { 0 };
        let grow = if events & ev::DOUBLE_GROW_STARTED != 0 {
            Some(true)
        } else if events & ev::SAME_SIZE_GROW_STARTED != 0 {
            Some(false)
        } else {
            None
        };
        if grow.is_some() {
            for it in &mut self.open {
                it.grows_seen += 1;
            }
        }
        self.steps.push(Step {
            op,
            outcome,
            state: flat_state(&self.state, self.cfg.bucket_cnt),
            grow,
            iter_spanning_grow_done,
            yield_after_grow,
            reseed,
        });
    }
}

/// The port's hasher: the case's hash functions, selected by hash0.
#[derive(Clone, Debug)]
pub struct FnHasher(pub HashFns);

impl MapHasher<u64> for FnHasher {
    fn hash(&self, key: &u64, hash0: u32) -> u64 {
        let f = &self.0[hash0 as usize % self.0.len()];
        *f.get(*key as usize)
            .unwrap_or_else(|| panic!("lockstep: key {key} outside the case's key domain"))
    }
}

/// The port's random source: hash0 draws count up (shared across the case's maps), and
/// the iterator start is the `r` of the op being performed.
#[derive(Clone, Debug)]
pub struct SharedRandom {
    pub draws: Rc<Cell<u32>>,
    pub iter_r: Option<u64>,
}

impl RandomSource for SharedRandom {
    fn fastrand(&mut self) -> u32 {
        panic!("lockstep: the port drew fastrand (incrnoverflow at B >= 16?)")
    }

    fn hash0(&mut self) -> u32 {
        let h = self.draws.get();
        self.draws.set(h + 1);
        h
    }

    fn iter_start(&mut self, _b: u8, _bucket_cnt_bits: u8) -> u64 {
        self.iter_r
            .take()
            .expect("lockstep: the port drew an iterator start outside mapiterinit")
    }
}

pub type PortMap = GoMap<u64, u64, FnHasher, SharedRandom>;

/// The system under test: the port.
pub struct Sut {
    pub cfg: Cfg,
    pub fns: HashFns,
    pub draws: Rc<Cell<u32>>,
    pub map: PortMap,
    /// The port's ids of the open iterators, in the reference's order.
    pub open: Vec<IterId>,
    /// Go operations compared so far.
    pub ops: usize,
}

impl Sut {
    pub fn new(cfg: Cfg, fns: HashFns) -> Self {
        let draws = Rc::new(Cell::new(0));
        let map = Self::make(cfg, &fns, &draws, 0);
        Sut {
            cfg,
            fns,
            draws,
            map,
            open: Vec::new(),
            ops: 0,
        }
    }

    fn make(cfg: Cfg, fns: &HashFns, draws: &Rc<Cell<u32>>, hint: usize) -> PortMap {
        let mut m = GoMap::makemap(
            cfg.params(),
            hint,
            FnHasher(fns.clone()),
            SharedRandom {
                draws: draws.clone(),
                iter_r: None,
            },
        );
        if let Some(f) = cfg.fault {
            m.inject_fault(f);
        }
        m
    }

    /// Performs the reference's last Go operations on the port and compares each one.
    pub fn apply(&mut self, reference: &Reference) -> Result<(), String> {
        for (n, step) in reference.steps.iter().enumerate() {
            self.go(step)
                .map_err(|e| format!("Go op {} of the transition ({:?}): {e}", n + 1, step.op))?;
            self.ops += 1;
        }
        Ok(())
    }

    fn go(&mut self, step: &Step) -> Result<(), String> {
        let got = match step.op {
            GoOp::Make { hint } => {
                self.map = Self::make(self.cfg, &self.fns, &self.draws, hint);
                self.open.clear();
                Outcome::None
            }
            GoOp::Assign { key, elem } => {
                self.map.mapassign(key, elem);
                Outcome::None
            }
            GoOp::Delete { key } => {
                self.map.mapdelete(&key);
                Outcome::None
            }
            GoOp::Lookup { key } => {
                let r = self.map.mapaccess2(&key);
                Outcome::Access {
                    elem: r.unwrap_or(0),
                    found: r.is_some(),
                }
            }
            GoOp::IterStart { r } => {
                self.map.random_source().iter_r = Some(r as u64);
                let id = self.map.iter_init();
                self.map.random_source().iter_r = None;
                self.open.push(id);
                // The model's outcome carries its first element; the port hands it out at
                // the first iter_next, where it is compared.
                step.outcome.clone()
            }
            GoOp::IterNext { slot } => {
                let id = self.open[slot];
                let kv = self.map.iter_next(id);
                if kv.is_none() {
                    self.open.remove(slot);
                }
                let Outcome::Yield { iter, .. } = step.outcome else {
                    return Err(format!("model outcome {:?} for iter_next", step.outcome));
                };
                Outcome::Yield { iter, kv }
            }
        };
        if got != step.outcome {
            return Err(format!("result: model {:?}, port {:?}", step.outcome, got));
        }
        let port = flat_from_snapshot(self.map.snapshot());
        if let Some(d) = first_difference(&step.state, &port) {
            return Err(format!(
                "state: {}: model {}, port {}",
                d.field, d.expected, d.actual
            ));
        }
        self.map
            .check_invariants()
            .map_err(|v| format!("port invariant {}: {}", v.invariant.name(), v.detail))
    }
}

/// What a run exercised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub cases: usize,
    pub transitions: usize,
    pub go_ops: usize,
    pub doubling_grows: usize,
    pub same_size_grows: usize,
    /// Iterations open across the start of a grow that ran to their end.
    pub iterations_spanning_grow: usize,
    /// Yields by iterators open across the start of a grow.
    pub yields_after_grow: usize,
    pub lookups: usize,
    pub reseeds: usize,
}

impl Stats {
    pub fn add(&mut self, o: &Stats) {
        self.cases += o.cases;
        self.transitions += o.transitions;
        self.go_ops += o.go_ops;
        self.doubling_grows += o.doubling_grows;
        self.same_size_grows += o.same_size_grows;
        self.iterations_spanning_grow += o.iterations_spanning_grow;
        self.yields_after_grow += o.yields_after_grow;
        self.lookups += o.lookups;
        self.reseeds += o.reseeds;
    }

    pub fn add_steps(&mut self, steps: &[Step]) {
        self.transitions += 1;
        for s in steps {
            self.go_ops += 1;
            match s.grow {
                Some(true) => self.doubling_grows += 1,
                Some(false) => self.same_size_grows += 1,
                None => {}
            }
            self.iterations_spanning_grow += s.iter_spanning_grow_done as usize;
            self.yields_after_grow += s.yield_after_grow as usize;
            self.lookups += matches!(s.op, GoOp::Lookup { .. }) as usize;
            self.reseeds += s.reseed as usize;
        }
    }
}

/// Runs `ops` from a fresh map in lockstep, without proptest (for pinned regressions and
/// fault checks). Ops the reference does not allow are skipped, as shrinking does.
pub fn run_sequence(cfg: Cfg, fns: HashFns, ops: &[Op]) -> Result<Stats, String> {
    let mut reference = Reference::new(cfg, fns.clone());
    let mut sut = Sut::new(cfg, fns);
    let mut stats = Stats {
        cases: 1,
        ..Stats::default()
    };
    for (n, op) in ops.iter().enumerate() {
        if !reference.allows(op) {
            continue;
        }
        reference.apply(op);
        sut.apply(&reference)
            .map_err(|e| format!("op {n} ({op:?}): {e}"))?;
        stats.add_steps(&reference.steps);
    }
    Ok(stats)
}
