//! What a model's own code costs per transition, measured apart from the checker: the part of
//! a search's time that is the model's (`gomap bench --targets` sets it against the search).
//!
//! A sample of states is collected by seeded random walks from the initial states (so deep
//! states are in it, not only the first levels); then, over that sample, each piece of work
//! the checker asks of the model is timed on its own:
//! - `step`: `actions` and `next_state` for every action (what the checker calls to expand a
//!   state), per transition;
//! - `hash`: hashing each successor with the hasher stateright fingerprints states with
//!   (ahash with fixed seeds), per transition;
//! - `representative`: the symmetry representative of each successor (symmetry specs only),
//!   per transition;
//! - `properties`: every property's condition on the state, per state (stateright evaluates
//!   them once per state it expands).
//!
//! Each piece is timed in the thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), so that a core
//! shared with other processes does not make the model look slower than it is. `step` is the
//! fastest of three passes: the first pass alone also pays for fresh memory from the kernel,
//! which made single-pass figures vary up to sixfold between runs of one binary.

use super::check::Checkable;
use serde::{Deserialize, Serialize};

/// This thread's CPU time, seconds.
fn thread_cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// The model's costs, in nanoseconds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelCost {
    /// States in the sample.
    pub sample_states: usize,
    /// Their successors (transitions timed).
    pub sample_transitions: usize,
    /// `actions` + `next_state`, per transition.
    pub step_ns: f64,
    /// Hashing a successor as the checker's fingerprint does, per transition.
    pub hash_ns: f64,
    /// The symmetry representative of a successor, per transition (0 without symmetry).
    pub representative_ns: f64,
    /// The search computes a representative per transition: symmetry, with a model that
    /// does not reduce at its initial states instead (`Checkable::symmetry_fn`).
    #[serde(default)]
    pub representative: bool,
    /// Every property's condition, per state.
    pub properties_ns: f64,
}

/// A small deterministic generator (xorshift64*), so a sample is the same from run to run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Longest random walk: past it a walk starts again from an initial state.
const MAX_WALK: usize = 10_000;

/// Up to `n` states reached by random walks from the initial states of `model`.
fn sample<M: Checkable>(model: &M, n: usize, seed: u64) -> Vec<M::State> {
    let init = model.init_states();
    let mut rng = Rng(seed | 1);
    let mut out = Vec::with_capacity(n);
    let mut actions = Vec::new();
    // Bounded even for a model whose walks end at once (few states).
    let mut attempts = 0;
    while out.len() < n && !init.is_empty() && attempts < 4 * n + 16 {
        attempts += 1;
        let mut s = init[rng.below(init.len())].clone();
        out.push(s.clone());
        for _ in 0..MAX_WALK {
            if out.len() >= n {
                break;
            }
            actions.clear();
            model.actions(&s, &mut actions);
            if actions.is_empty() {
                break;
            }
            let a = actions.swap_remove(rng.below(actions.len()));
            match model.next_state(&s, a) {
                Some(next) => {
                    out.push(next.clone());
                    s = next;
                }
                None => break,
            }
        }
    }
    out
}

/// Passes over the sample whose fastest gives the step's cost (see [`model_cost`]).
const STEP_PASSES: usize = 3;

/// The model's costs over a sample of about `n` states (see the module's comment).
pub fn model_cost<M: Checkable>(model: &M, n: usize, symmetry: bool, seed: u64) -> ModelCost {
    let states = sample(model, n, seed);
    let representative = if symmetry { model.symmetry_fn() } else { None };
    let mut actions = Vec::new();
    let mut succ = Vec::new();
    // The fastest of STEP_PASSES passes: a pass keeps every successor, and the first one
    // also takes fresh memory from the kernel (page faults, pages zeroed: CPU time of this
    // thread) that a search's steps do not pay per transition. The later passes reuse the
    // memory of the states the pass before dropped (outside the timing).
    let mut step = f64::INFINITY;
    for _ in 0..STEP_PASSES {
        succ.clear();
        let t = thread_cpu();
        for s in &states {
            actions.clear();
            model.actions(s, &mut actions);
            for a in actions.drain(..) {
                if let Some(next) = model.next_state(s, a) {
                    succ.push(next);
                }
            }
        }
        step = step.min(thread_cpu() - t);
    }

    // The fingerprint's hasher: stateright's is ahash with fixed seeds.
    let build = ahash::RandomState::with_seeds(1, 2, 3, 4);
    let t = thread_cpu();
    let mut sink = 0u64;
    for s in &succ {
        sink ^= build.hash_one(s);
    }
    let hash = thread_cpu() - t;
    std::hint::black_box(sink);

    let t = thread_cpu();
    if let Some(f) = representative {
        for s in &succ {
            std::hint::black_box(f(s));
        }
    }
    let repr = thread_cpu() - t;

    let props = model.properties();
    let t = thread_cpu();
    let mut held = 0usize;
    for s in &states {
        for p in &props {
            held += usize::from((p.condition)(model, s));
        }
    }
    let properties = thread_cpu() - t;
    std::hint::black_box(held);

    let per = |secs: f64, n: usize| {
        if n == 0 {
            0.0
        } else {
            secs * 1e9 / n as f64
        }
    };
    ModelCost {
        sample_states: states.len(),
        sample_transitions: succ.len(),
        step_ns: per(step, succ.len()),
        hash_ns: per(hash, succ.len()),
        representative_ns: if representative.is_some() {
            per(repr, succ.len())
        } else {
            0.0
        },
        representative: representative.is_some(),
        properties_ns: per(properties, states.len()),
    }
}
