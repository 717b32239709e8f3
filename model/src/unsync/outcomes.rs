//! Every terminal outcome of an `unsync` scenario: what the program ends with when every
//! goroutine has finished (the map's header and live cells, each operation's result) or
//! when Go threw. `gomap observe` maps the outcomes real goroutines produced on real Go onto
//! these: an outcome real Go produced that is not among them is a defect of the model.
//!
//! The search is a breadth-first walk of the model's state graph (its own visited set of
//! 64-bit state digests), so the path kept for each outcome is a shortest one.

use super::{ORes, UAction, UnsyncModel, UnsyncState};
use crate::hmap::state::{HmapState, MIN_TOP_HASH};
use stateright::Model;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{Hash, Hasher};

/// What a terminal state shows a Go program (and the harness's unsafe reader).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Outcome {
    /// Go threw (or the model stopped where Go would read outside the map).
    Throw(String),
    Done(DoneOutcome),
}

/// The map and the results after every goroutine returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct DoneOutcome {
    pub count: i64,
    pub b: u8,
    pub flags: u8,
    pub growing: bool,
    /// Live cells (tophash >= minTopHash) of every chain of h.buckets, (key, elem), sorted.
    pub entries: Vec<(u64, u64)>,
    /// The same for the chains of h.oldbuckets whose first bucket is not evacuated.
    pub old_entries: Vec<(u64, u64)>,
    /// Per goroutine, each operation's result.
    pub results: Vec<Vec<ORes>>,
}

/// Live (key, elem) cells of the chains `pick` selects, sorted.
fn live<const N: usize>(m: &HmapState<N>, arr: Option<u8>, old: bool) -> Vec<(u64, u64)> {
    let mut v = Vec::new();
    if let Some(a) = arr {
        for chain in m.array(a) {
            if old && chain[0].evacuated() {
                continue;
            }
            for bm in chain {
                for i in 0..bm.tophash.len() {
                    if bm.tophash[i] >= MIN_TOP_HASH {
                        v.push((bm.keys[i], bm.elems[i]));
                    }
                }
            }
        }
    }
    v.sort_unstable();
    v
}

/// The outcome of a terminal state.
pub fn outcome_of<const N: usize>(s: &UnsyncState<N>) -> Outcome {
    if let Some((_, msg)) = s.ghost.thrown {
        return Outcome::Throw(msg.to_string());
    }
    let m = &s.m;
    Outcome::Done(DoneOutcome {
        count: m.h.count as i64,
        b: m.h.b,
        flags: m.h.flags,
        growing: m.h.oldbuckets.is_some(),
        entries: live(m, m.h.buckets, false),
        old_entries: live(m, m.h.oldbuckets, true),
        results: s.ghost.results.clone(),
    })
}

/// Every terminal outcome, with a shortest path to it.
#[derive(Clone, Debug, Default)]
pub struct Outcomes {
    /// Each outcome and the actions of a shortest path reaching it.
    pub outcomes: BTreeMap<Outcome, Vec<String>>,
    /// Unique states visited.
    pub states: usize,
    /// False when `max_states` stopped the walk: outcomes may be missing.
    pub complete: bool,
}

fn digest<const N: usize>(s: &UnsyncState<N>) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// Walks every reachable state (at most `max_states`) of `m` (which must record results:
/// see [`UnsyncModel::record_results`]) and collects the terminal outcomes.
pub fn terminal_outcomes<const N: usize>(m: &UnsyncModel<N>, max_states: usize) -> Outcomes {
    let mut parent: HashMap<u64, Option<(u64, UAction)>> = HashMap::new();
    let mut queue: VecDeque<UnsyncState<N>> = VecDeque::new();
    for s in m.init_states() {
        let d = digest(&s);
        if parent.insert(d, None).is_none() {
            queue.push_back(s);
        }
    }
    let mut out = Outcomes {
        complete: true,
        ..Outcomes::default()
    };
    let mut actions = Vec::new();
    while let Some(s) = queue.pop_front() {
        let d = digest(&s);
        actions.clear();
        m.actions(&s, &mut actions);
        if actions.is_empty() {
            let o = outcome_of(&s);
            if let std::collections::btree_map::Entry::Vacant(v) = out.outcomes.entry(o) {
                // Walk the parents back to an initial state.
                let mut path = Vec::new();
                let mut cur = d;
                while let Some(Some((p, a))) = parent.get(&cur) {
                    path.push(m.format_action(a));
                    cur = *p;
                }
                path.reverse();
                v.insert(path);
            }
            continue;
        }
        for a in actions.drain(..) {
            let Some(n) = m.next_state(&s, a.clone()) else {
                continue;
            };
            let nd = digest(&n);
            if parent.contains_key(&nd) {
                continue;
            }
            if parent.len() >= max_states {
                out.complete = false;
                continue;
            }
            parent.insert(nd, Some((d, a)));
            queue.push_back(n);
        }
    }
    out.states = parent.len();
    out
}
