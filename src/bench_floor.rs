//! stateright's own floor: the throughput of its search on a model that costs nothing.
//!
//! A spec's unique states per second are bounded by the checker's work per transition and per
//! state (its visited set, its queue or stack and the path each entry carries, its property
//! loop) even if the model's steps, copies, hashes and drops took no time. [`NullModel`] has
//! the shape of a spec (about as many unique states, the same transitions per unique state,
//! depth and number of properties) and a state that is one `u64`: its search measures that
//! bound on this machine, with the same stateright, the same strategy and thread count.
//! `gomap bench --targets` runs it beside each measured spec (see `crate::bench_targets`).
//!
//! The graph is layered: every state of the first layer is an initial state (a spec has many:
//! one per hash assignment, for one), state `(layer, i)` has its successors in the next
//! layer, chosen by a fixed hash of `(i, action)`, and a state of the last layer has all its
//! successors at an initial state (already visited). So the depth is `layers`, and every
//! state has `branching` successors on average (a fractional part is spread over the states
//! by a hash), as a spec's state is reached `total_states / unique_states` times. The layers'
//! width is chosen so that the expected number of states reached is the spec's. Every
//! property is an `always` that holds, so the search is exhaustive, as a spec's is when its
//! invariants hold.

use crate::checker::{NoHugePages, Strategy};
use serde::Serialize;
use stateright::{Checker, Model, Property};
use std::time::Instant;

/// Property names (stateright wants `&'static str`): a spec's count is capped at their number.
const NAMES: [&str; 32] = [
    "floor-00", "floor-01", "floor-02", "floor-03", "floor-04", "floor-05", "floor-06", "floor-07",
    "floor-08", "floor-09", "floor-10", "floor-11", "floor-12", "floor-13", "floor-14", "floor-15",
    "floor-16", "floor-17", "floor-18", "floor-19", "floor-20", "floor-21", "floor-22", "floor-23",
    "floor-24", "floor-25", "floor-26", "floor-27", "floor-28", "floor-29", "floor-30", "floor-31",
];

/// The most states a floor search generates (a spec's shape is scaled down to it).
pub const MAX_FLOOR_STATES: usize = 3_000_000;

/// The shape of a search the floor copies.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Shape {
    /// Unique states to aim at (capped at [`MAX_FLOOR_STATES`]).
    pub unique_states: usize,
    /// Successors of each state, on average: a spec's transitions per unique state.
    pub branching: f64,
    /// Layers, as the spec's depth.
    pub layers: usize,
    /// Properties evaluated at every state.
    pub properties: usize,
}

impl Shape {
    /// The shape of a search that reached `unique` states with `total` transitions (states
    /// generated, stateright's `state_count`), down to depth `depth`, with `properties`
    /// properties. Every figure is clamped to what the null model can take.
    pub fn of(unique: usize, total: usize, depth: usize, properties: usize) -> Shape {
        let per_state = if unique > 0 {
            total as f64 / unique as f64
        } else {
            1.0
        };
        Shape {
            unique_states: unique.clamp(1_000, MAX_FLOOR_STATES),
            branching: per_state.clamp(1.0, 16.0),
            layers: depth.clamp(2, 256),
            properties: properties.clamp(1, NAMES.len()),
        }
    }
}

/// A layered graph of `layers` x `width` states, `branching` successors each on average.
#[derive(Clone, Debug)]
pub struct NullModel {
    layers: u64,
    width: u64,
    /// Every state has `base` successors, and one more if its hash is under `extra`.
    base: u8,
    extra: u64,
    properties: usize,
}

/// A fixed hash of a word.
fn mix(x: u64) -> u64 {
    let x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^ (x >> 29)
}

/// Expected states reached in `layers` layers of `width` states, the first all initial, `b`
/// successors each drawn at random in the next layer: layer k + 1 has
/// `width * (1 - e^(-b * n_k / width))`.
fn expected_states(layers: u64, width: u64, b: f64) -> f64 {
    let w = width as f64;
    let (mut n, mut total) = (w, w);
    for _ in 1..layers {
        n = w * (1.0 - (-b * n / w).exp());
        total += n;
    }
    total
}

/// The narrowest width whose expected count of states reached is at least `target`.
fn width_for(layers: u64, b: f64, target: f64) -> u64 {
    let (mut lo, mut hi) = (1u64, MAX_FLOOR_STATES as u64);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if expected_states(layers, mid, b) >= target {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

impl NullModel {
    pub fn new(shape: &Shape) -> NullModel {
        let layers = shape.layers.clamp(2, 256) as u64;
        let per_state = shape.branching.clamp(1.0, 16.0);
        let target = shape.unique_states.clamp(1, MAX_FLOOR_STATES) as f64;
        // stateright counts the initial states as generated too: with `width` of them, each
        // state needs `per_state - width / target` successors on average.
        let width = width_for(layers, per_state, target);
        let b = (per_state - width as f64 / target).max(1.0);
        let width = width_for(layers, b, target);
        NullModel {
            layers,
            width,
            base: b.floor() as u8,
            extra: ((b - b.floor()) * (1u64 << 32) as f64) as u64,
            properties: shape.properties.clamp(1, NAMES.len()),
        }
    }

    /// How many successors state `s` has.
    fn successors(&self, s: u64) -> u8 {
        self.base + u8::from(mix(s ^ 0x5bd1_e995) & 0xffff_ffff < self.extra)
    }

    /// The successor of state `s` by action `a` (its `a`th): in the next layer, or from the
    /// last layer the initial state of the same index.
    pub fn successor(&self, s: u64, a: u8) -> Option<u64> {
        if a >= self.successors(s) {
            return None;
        }
        let (layer, i) = (s / self.width, s % self.width);
        if layer + 1 >= self.layers {
            return Some(i);
        }
        let x = mix(i.wrapping_mul(31).wrapping_add(u64::from(a) + 1));
        Some((layer + 1) * self.width + x % self.width)
    }
}

impl Model for NullModel {
    type State = u64;
    type Action = u8;

    fn init_states(&self) -> Vec<u64> {
        (0..self.width).collect()
    }

    fn actions(&self, s: &u64, actions: &mut Vec<u8>) {
        actions.extend(0..self.successors(*s));
    }

    fn next_state(&self, s: &u64, a: u8) -> Option<u64> {
        self.successor(*s, a)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        NAMES[..self.properties]
            .iter()
            .map(|name| Property::always(name, |m: &NullModel, s: &u64| *s < m.layers * m.width))
            .collect()
    }
}

/// One search of the null model.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct FloorRun {
    pub unique_states: usize,
    pub total_states: usize,
    pub seconds: f64,
    pub states_per_sec: f64,
    /// Whether every property held (they all do: a `false` means the model is broken).
    pub held: bool,
}

impl FloorRun {
    pub fn transitions_per_state(&self) -> f64 {
        if self.unique_states == 0 {
            0.0
        } else {
            self.total_states as f64 / self.unique_states as f64
        }
    }
}

/// Searches the null model of `shape` with `strategy` (BFS or DFS) on `threads` threads.
/// Bounded: the graph has at most 256 layers of at most [`MAX_FLOOR_STATES`] states, and
/// reaches about the shape's count (at most [`MAX_FLOOR_STATES`]).
pub fn run(shape: &Shape, strategy: Strategy, threads: usize) -> FloorRun {
    let model = NullModel::new(shape);
    // As the specs' own searches run (gomap_model::framework::pages).
    let _pages = NoHugePages::hold();
    let start = Instant::now();
    let b = model.checker().threads(threads.clamp(1, 64));
    let (unique, total, held) = if strategy == Strategy::Bfs {
        let c = b.spawn_bfs().join();
        (
            c.unique_state_count(),
            c.state_count(),
            c.discoveries().is_empty(),
        )
    } else {
        let c = b.spawn_dfs().join();
        (
            c.unique_state_count(),
            c.state_count(),
            c.discoveries().is_empty(),
        )
    };
    let seconds = start.elapsed().as_secs_f64();
    FloorRun {
        unique_states: unique,
        total_states: total,
        seconds,
        states_per_sec: if seconds > 0.0 {
            unique as f64 / seconds
        } else {
            0.0
        },
        held,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashSet, VecDeque};

    /// The states reachable from the initial states and the transitions among them, walked apart
    /// from stateright.
    fn walk(m: &NullModel) -> (usize, usize) {
        let init = m.init_states();
        let mut seen: HashSet<u64> = init.iter().copied().collect();
        let mut queue: VecDeque<u64> = init.iter().copied().collect();
        // stateright counts the initial states as generated.
        let mut transitions = init.len();
        while let Some(s) = queue.pop_front() {
            let mut actions = Vec::new();
            m.actions(&s, &mut actions);
            for a in actions {
                let n = m
                    .successor(s, a)
                    .expect("an enabled action has a successor");
                transitions += 1;
                if seen.insert(n) {
                    queue.push_back(n);
                }
            }
        }
        (seen.len(), transitions)
    }

    #[test]
    fn every_strategy_searches_the_whole_graph() {
        let shape = Shape::of(20_000, 90_000, 12, 3);
        assert_eq!(shape.branching, 4.5);
        let m = NullModel::new(&shape);
        let (unique, transitions) = walk(&m);
        // About the shape's count and transitions per state.
        assert!((17_000..23_000).contains(&unique), "{unique}");
        let per = transitions as f64 / unique as f64;
        assert!((4.4..4.6).contains(&per), "{per}");
        for strategy in [Strategy::Bfs, Strategy::Dfs] {
            for threads in [1, 2] {
                let r = run(&shape, strategy, threads);
                assert_eq!(r.unique_states, unique, "{strategy:?} {threads}");
                assert_eq!(r.total_states, transitions, "{strategy:?} {threads}");
                assert!(r.held, "an always-true property was discovered");
                assert!(r.states_per_sec > 0.0);
            }
        }
        assert_eq!(m.properties().len(), 3);
    }

    #[test]
    fn shapes_are_clamped() {
        let s = Shape::of(10_000_000_000, 1, 0, 1_000);
        assert_eq!(s.unique_states, MAX_FLOOR_STATES);
        assert_eq!((s.branching, s.layers, s.properties), (1.0, 2, NAMES.len()));
        let s = Shape::of(0, 0, usize::MAX, 0);
        assert_eq!(
            (s.unique_states, s.branching, s.layers, s.properties),
            (1_000, 1.0, 256, 1)
        );
        // One successor each, 4 layers: the layers thin out as successors collide.
        let shape = Shape::of(2_000, 2_000, 4, 1);
        let m = NullModel::new(&shape);
        let r = run(&shape, Strategy::Dfs, 1);
        assert_eq!((r.unique_states, r.total_states), walk(&m));
        assert!((1_800..2_200).contains(&r.unique_states), "{r:?}");
    }
}
