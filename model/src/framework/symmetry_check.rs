//! Test support: checks that a symmetry representative is canonical (a function of the
//! class alone) along random executions of a model. At every state met, the state renamed
//! by random symmetries must have the state's own representative, and a representative must
//! be its own. A representative that is not canonical makes a search's count depend on the
//! order it meets states in (its number of threads), without losing a state.

use super::concurrent::stable_digest as digest;
use stateright::Model;

/// A small deterministic generator (xorshift64*), so that a failure reproduces.
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }

    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// Walks `walks` random executions of `m` from random initial states to their ends. At
/// each state `s`: `rep(rep(s)) == rep(s)`, `rep(rename(s)) == rep(s)` (with the same hash)
/// for four random renamings, and `rep(s)` steps to the same classes as `s`. Every other walk avoids, where it can, the successors `end` says end the
/// execution early (a throw), so that long executions are walked too. Returns the number
/// of states checked.
pub fn check_along_random_walks<M: Model>(
    m: &M,
    walks: usize,
    seed: u64,
    rep: impl Fn(&M::State) -> M::State,
    rename: impl Fn(&M::State, &mut Rng) -> M::State,
    end: impl Fn(&M::State) -> bool,
) -> usize
where
    M::State: Clone + std::fmt::Debug + PartialEq + std::hash::Hash,
{
    let mut rng = Rng(seed);
    let mut states = 0;
    let mut acts = Vec::new();
    let init = m.init_states();
    for walk in 0..walks {
        let mut s = init[rng.below(init.len())].clone();
        loop {
            let r = rep(&s);
            assert_eq!(rep(&r), r, "idempotent, from {s:?}");
            let successors =
                |x: &M::State, acts: &mut Vec<M::Action>| successor_classes(m, x, &rep, acts);
            // The model is symmetric: the representative, a renamed state with its arrays
            // (entries) numbered as the checker numbers them, steps to the same classes.
            assert_eq!(
                successors(&r, &mut acts),
                successors(&s, &mut acts),
                "successors of {r:?}, the representative of {s:?}"
            );
            for _ in 0..4 {
                let t = rename(&s, &mut rng);
                let rt = rep(&t);
                assert_eq!(rt, r, "{t:?} renamed from {s:?}");
                // The checker tells states apart by their hashes: equal representatives
                // must hash alike.
                assert_eq!(digest(&rt), digest(&r), "hashes of {r:?}");
            }
            states += 1;
            m.actions(&s, &mut acts);
            if acts.is_empty() {
                break;
            }
            let mut next: Vec<M::State> =
                acts.drain(..).filter_map(|a| m.next_state(&s, a)).collect();
            if next.is_empty() {
                break;
            }
            if walk % 2 == 1 && next.iter().any(|x| !end(x)) {
                next.retain(|x| !end(x));
            }
            s = next.swap_remove(rng.below(next.len()));
        }
    }
    states
}

/// The classes `x` steps into: the digests of its successors' representatives, sorted and
/// without repeats (`acts` is scratch space for the actions).
pub fn successor_classes<M: Model>(
    m: &M,
    x: &M::State,
    rep: impl Fn(&M::State) -> M::State,
    acts: &mut Vec<M::Action>,
) -> Vec<u64>
where
    M::State: std::hash::Hash,
{
    m.actions(x, acts);
    let mut out: Vec<u64> = acts
        .drain(..)
        .filter_map(|a| m.next_state(x, a))
        .map(|y| digest(&rep(&y)))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}
