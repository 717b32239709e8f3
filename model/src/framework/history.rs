//! What a concurrent model's state keeps so that the `linearizable` property can be decided
//! at every return: either the whole history of invokes and returns, or only the
//! linearizations that are still possible (the *frontier*).
//!
//! - [`History::Events`] (`history = "events"`, the default): every event in order.
//!   stateright's `LinearizabilityTester` is rebuilt from it at each return, and
//!   counterexamples print it.
//! - [`History::Frontier`] (`history = "frontier"`): the operation each goroutine has in
//!   flight, and the set of configurations a linearization of the history so far can be in.
//!   A configuration is the sequential map's contents plus, for each operation in flight,
//!   whether it has already taken effect and with which result. The set is closed: every
//!   operation in flight may take effect at any moment, so every configuration reachable
//!   by applying some of them is in it. A return keeps the configurations in which the
//!   operation took effect with the result it returned.
//!
//! The two decide the same thing. The history is linearizable exactly when the frontier is
//! not empty, because the frontier holds every state a linearization of the history can
//! end in (Wing and Gong's search, done one event at a time), and what a future event can do
//! depends only on that set and the operations in flight. Two histories with the same
//! frontier therefore have the same linearizable extensions. Keeping only the frontier
//! merges states whose histories differ only in the order of events that no longer matter,
//! which is why it explores fewer states; the verdicts are the same (`tests` below checks
//! this against stateright's tester on every history of up to three goroutines, and the
//! specs that set `history = "frontier"` have twins with the event history).

use super::concurrent::{self, Event, MapOp, MapRet, SeqMap};

/// How a concurrent model keeps its history (the `history` parameter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub enum HistoryMode {
    #[default]
    Events,
    Frontier,
}

impl HistoryMode {
    pub const NAMES: &'static [&'static str] = &["events", "frontier"];
    pub fn from_name(name: &str) -> Option<HistoryMode> {
        match name {
            "events" => Some(HistoryMode::Events),
            "frontier" => Some(HistoryMode::Frontier),
            _ => None,
        }
    }
}

/// The most keys (k1..k7) and goroutines a frontier holds; the models' parameters stay
/// below both.
pub const MAX_KEYS: usize = 7;
pub const MAX_GOROUTINES: usize = 4;

/// One way a linearization of the history so far can stand.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Config {
    /// The sequential map's contents: index k holds key k's value (0 = absent).
    pub map: [u8; MAX_KEYS + 1],
    /// Per goroutine: the result of its operation in flight if that operation has taken
    /// effect in this linearization (None: not yet, or nothing in flight).
    pub done: [Option<MapRet>; MAX_GOROUTINES],
}

/// The frontier: the operations in flight and the closed set of configurations, sorted and
/// without repeats (so equal frontiers are equal values). Its `Hash` feeds one 64-bit digest.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Frontier {
    pub pending: [Option<MapOp>; MAX_GOROUTINES],
    pub configs: Vec<Config>,
}

/// The history part of a concurrent model's state.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum History {
    Events(Vec<Event>),
    Frontier(Frontier),
}

/// A result as one byte (0: none), for [`Frontier`]'s digest.
fn ret_byte(r: Option<MapRet>) -> u64 {
    match r {
        None => 0,
        Some(MapRet::Unit) => 1,
        Some(MapRet::Value(None)) => 2,
        Some(MapRet::Value(Some(v))) => 0x10 | v as u64,
        Some(MapRet::Actual(v, loaded)) => 0x40 | (loaded as u64) << 5 | v as u64,
    }
}

/// An operation as a 16-bit number (0: none), for [`Frontier`]'s digest.
fn op_word(op: Option<MapOp>) -> u64 {
    let (kind, k, v) = match op {
        None => return 0,
        Some(MapOp::Load(k)) => (1, k, 0),
        Some(MapOp::Store(k, v)) => (2, k, v),
        Some(MapOp::LoadOrStore(k, v)) => (3, k, v),
        Some(MapOp::LoadAndDelete(k)) => (4, k, 0),
        Some(MapOp::Delete(k)) => (5, k, 0),
    };
    kind << 12 | (k as u64) << 6 | v as u64
}

/// Folds `x` into the digest `h` (a folded multiply, as in the hmap model's bucket arrays).
fn mix(h: u64, x: u64) -> u64 {
    let m = (h ^ x) as u128 * 0x9E37_79B9_7F4A_7C15u128;
    (m as u64) ^ ((m >> 64) as u64) ^ x.rotate_left(29)
}

impl std::hash::Hash for Frontier {
    /// Equal frontiers are equal values (configurations sorted, no repeats), so equal
    /// frontiers give equal digests. Feeding the hasher one word instead of every byte of
    /// every configuration matters: the checker hashes each state it generates.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let mut h = 0x243F_6A88_85A3_08D3u64;
        for (g, op) in self.pending.iter().enumerate() {
            h = mix(h, op_word(*op) << (16 * g));
        }
        for c in &self.configs {
            let mut done = 0u64;
            for (g, r) in c.done.iter().enumerate() {
                done |= ret_byte(*r) << (8 * g);
            }
            h = mix(h, u64::from_le_bytes(c.map));
            h = mix(h, done);
        }
        state.write_u64(h);
        state.write_usize(self.configs.len());
    }
}

/// Per-goroutine slots with goroutine `g` moved to `perm[g]` (goroutines past `perm` keep
/// nothing: a model has only `perm.len()` of them).
fn renamed_slots<T: Copy>(
    v: &[Option<T>; MAX_GOROUTINES],
    perm: &[u8],
) -> [Option<T>; MAX_GOROUTINES] {
    let mut out = [None; MAX_GOROUTINES];
    for (old, x) in v.iter().enumerate().take(perm.len()) {
        out[perm[old] as usize] = *x;
    }
    out
}

impl Frontier {
    fn new(init: &SeqMap) -> Frontier {
        let mut map = [0u8; MAX_KEYS + 1];
        for (k, v) in init.0.iter().enumerate().take(MAX_KEYS + 1) {
            map[k] = *v;
        }
        Frontier {
            pending: [None; MAX_GOROUTINES],
            configs: vec![Config {
                map,
                done: [None; MAX_GOROUTINES],
            }],
        }
    }

    /// Adds every configuration reachable by letting operations in flight take effect.
    fn close(&mut self) {
        let mut i = 0;
        while i < self.configs.len() {
            for (g, op) in self.pending.iter().enumerate() {
                let Some(op) = op else { continue };
                let c = self.configs[i];
                if c.done[g].is_some() {
                    continue;
                }
                let mut next = c;
                let r = concurrent::apply(&mut next.map[op.key() as usize], op);
                next.done[g] = Some(r);
                if !self.configs.contains(&next) {
                    self.configs.push(next);
                }
            }
            i += 1;
        }
        self.configs.sort_unstable();
    }

    fn invoke(&mut self, g: u8, op: MapOp) {
        self.pending[g as usize] = Some(op);
        self.close();
    }

    fn ret(&mut self, g: u8, ret: MapRet) -> bool {
        let g = g as usize;
        self.pending[g] = None;
        self.configs.retain(|c| c.done[g] == Some(ret));
        for c in &mut self.configs {
            c.done[g] = None;
        }
        self.configs.sort_unstable();
        self.configs.dedup();
        !self.configs.is_empty()
    }

    fn renamed(&self, perm: &[u8]) -> Frontier {
        let pending = renamed_slots(&self.pending, perm);
        let mut configs: Vec<Config> = self
            .configs
            .iter()
            .map(|c| Config {
                map: c.map,
                done: renamed_slots(&c.done, perm),
            })
            .collect();
        configs.sort_unstable();
        Frontier { pending, configs }
    }

    fn text(&self) -> String {
        if self.configs.is_empty() {
            return "no linearization".into();
        }
        let configs: Vec<String> = self
            .configs
            .iter()
            .map(|c| {
                let mut parts: Vec<String> = c
                    .map
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| **v != 0)
                    .map(|(k, v)| format!("k{k}=v{v}"))
                    .collect();
                if parts.is_empty() {
                    parts.push("empty".into());
                }
                for (g, r) in c.done.iter().enumerate() {
                    if let Some(r) = r {
                        parts.push(format!("g{} took effect {r}", g + 1));
                    }
                }
                format!("{{{}}}", parts.join(", "))
            })
            .collect();
        format!(
            "{} possible linearization state(s): {}",
            configs.len(),
            configs.join(" | ")
        )
    }
}

impl History {
    /// An empty history of `goroutines` goroutines (at most [`MAX_GOROUTINES`]) on a map
    /// of keys below [`MAX_KEYS`] that starts as `init`.
    pub fn new(mode: HistoryMode, goroutines: usize, init: &SeqMap) -> History {
        debug_assert!(goroutines <= MAX_GOROUTINES && init.0.len() <= MAX_KEYS + 1);
        match mode {
            HistoryMode::Events => History::Events(Vec::new()),
            HistoryMode::Frontier => History::Frontier(Frontier::new(init)),
        }
    }

    /// Goroutine `g` invokes `op`.
    pub fn invoke(&mut self, g: u8, op: MapOp) {
        match self {
            History::Events(h) => h.push(Event::Invoke(g, op)),
            History::Frontier(f) => f.invoke(g, op),
        }
    }

    /// Goroutine `g`'s operation returned `ret`; returns whether the history is still
    /// linearizable with respect to a map that starts as `init` (only a return can make it
    /// not: stateright notes, trap 5).
    pub fn ret(&mut self, init: &SeqMap, g: u8, ret: MapRet) -> bool {
        match self {
            History::Events(h) => concurrent::record_return(h, init, g, ret),
            History::Frontier(f) => f.ret(g, ret),
        }
    }

    /// A digest of what the history holds about goroutine `g`, whatever its name: its
    /// events and their positions (events), or its operation in flight and the results it
    /// has in the configurations, as a sorted list (frontier). Goroutines renamed by a
    /// permutation keep their digests; how one goroutine's entries pair with another's is
    /// left out (a symmetry representative tries the orders of goroutines that tie).
    pub fn goroutine_digest(&self, g: u8) -> u64 {
        match self {
            History::Events(h) => {
                h.iter()
                    .enumerate()
                    .fold(0x1b87_3593_3c6e_f372, |d, (pos, e)| match *e {
                        Event::Invoke(x, op) if x == g => {
                            mix(d, (pos as u64) << 20 | op_word(Some(op)))
                        }
                        Event::Return(x, r) if x == g => {
                            mix(d, (pos as u64) << 20 | 1 << 19 | ret_byte(Some(r)))
                        }
                        _ => d,
                    })
            }
            History::Frontier(f) => {
                let mut done: smallvec::SmallVec<[u64; 16]> = f
                    .configs
                    .iter()
                    .map(|c| ret_byte(c.done[g as usize]))
                    .collect();
                done.sort_unstable();
                done.iter().fold(
                    mix(0x1b87_3593_3c6e_f372, op_word(f.pending[g as usize])),
                    |d, &x| mix(d, x),
                )
            }
        }
    }

    /// The same history with goroutine `g` renamed `perm[g]`.
    pub fn renamed(&self, perm: &[u8]) -> History {
        match self {
            History::Events(h) => History::Events(h.iter().map(|e| e.renamed(perm)).collect()),
            History::Frontier(f) => History::Frontier(f.renamed(perm)),
        }
    }

    /// The last event, when the events are kept.
    pub fn last_event(&self) -> Option<&Event> {
        match self {
            History::Events(h) => h.last(),
            History::Frontier(_) => None,
        }
    }

    /// A line for a state's text, or None when nothing happened yet.
    pub fn text(&self) -> Option<String> {
        match self {
            History::Events(h) if h.is_empty() => None,
            History::Events(h) => Some(format!("history: {}", concurrent::history_text(h))),
            History::Frontier(f) => Some(format!("linearizations: {}", f.text())),
        }
    }
}

/// The canonical representative of a state of a model whose goroutines `gs` are all
/// interchangeable and whose `history` names them: goroutines sorted by `key` (a digest of
/// what the state holds about each, the same in every state of its class), every order of
/// those that tie tried, and the state `permute` builds with the smallest hash kept
/// ([`concurrent::canonical_by`]). Two goroutines are the same when renaming one as the
/// other leaves the state as it is: equal, and the history unchanged by the swap (the
/// caller's key must tell apart goroutines that differ in anything else, such as holding a
/// lock).
pub fn representative_by<S: std::hash::Hash, G: PartialEq>(
    gs: &[G],
    history: &History,
    key: impl Fn(usize) -> u64,
    permute: impl Fn(&[u8]) -> S,
) -> S {
    let n = gs.len();
    let keys: smallvec::SmallVec<[u64; 4]> = (0..n).map(key).collect();
    let swapped = |a: usize, b: usize| {
        let mut perm: smallvec::SmallVec<[u8; 8]> = (0..n as u8).collect();
        perm.swap(a, b);
        perm
    };
    let same = |a: usize, b: usize| gs[a] == gs[b] && history.renamed(&swapped(a, b)) == *history;
    let orders = concurrent::CanonicalOrders::new(n, |_| 0, |i| keys[i], same);
    concurrent::canonical_by(orders, permute, concurrent::stable_digest).expect("the sorted order")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every history of `gs` goroutines, each doing one operation drawn from `ops` (with
    /// every result the sequential map can give), as event sequences.
    fn histories(gs: u8, ops: &[MapOp], rets: &[MapRet]) -> Vec<Vec<Event>> {
        fn go(
            gs: u8,
            ops: &[MapOp],
            rets: &[MapRet],
            state: &mut Vec<u8>, // 0 not started, 1 in flight, 2 done
            h: &mut Vec<Event>,
            out: &mut Vec<Vec<Event>>,
        ) {
            if state.iter().all(|&s| s == 2) {
                out.push(h.clone());
                return;
            }
            for g in 0..gs {
                match state[g as usize] {
                    0 => {
                        for op in ops {
                            state[g as usize] = 1;
                            h.push(Event::Invoke(g, *op));
                            go(gs, ops, rets, state, h, out);
                            h.pop();
                            state[g as usize] = 0;
                        }
                    }
                    1 => {
                        let Some(Event::Invoke(_, op)) = h
                            .iter()
                            .rev()
                            .find(|e| matches!(e, Event::Invoke(x, _) if *x == g))
                        else {
                            unreachable!("in flight after an invoke")
                        };
                        let op = *op;
                        for r in rets {
                            let fits = matches!(
                                (op, r),
                                (MapOp::Load(_) | MapOp::LoadAndDelete(_), MapRet::Value(_))
                                    | (MapOp::Store(..) | MapOp::Delete(_), MapRet::Unit)
                                    | (MapOp::LoadOrStore(..), MapRet::Actual(..))
                            );
                            if !fits {
                                continue;
                            }
                            state[g as usize] = 2;
                            h.push(Event::Return(g, *r));
                            go(gs, ops, rets, state, h, out);
                            h.pop();
                            state[g as usize] = 1;
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        go(
            gs,
            ops,
            rets,
            &mut vec![0; gs as usize],
            &mut Vec::new(),
            &mut out,
        );
        out
    }

    /// Runs a history through a [`History`] of `mode`, event by event, and returns whether
    /// each return kept it linearizable.
    fn verdicts(mode: HistoryMode, init: &SeqMap, gs: u8, h: &[Event]) -> Vec<bool> {
        let mut f = History::new(mode, gs as usize, init);
        let mut v = Vec::new();
        for e in h {
            match *e {
                Event::Invoke(g, op) => f.invoke(g, op),
                Event::Return(g, r) => v.push(f.ret(init, g, r)),
            }
        }
        v
    }

    #[test]
    fn the_frontier_decides_every_small_history_as_stateright_does() {
        let ops = [
            MapOp::Load(1),
            MapOp::Store(1, 1),
            MapOp::Store(1, 2),
            MapOp::LoadOrStore(1, 2),
            MapOp::LoadAndDelete(1),
            MapOp::Delete(1),
        ];
        let rets = [
            MapRet::Unit,
            MapRet::Value(None),
            MapRet::Value(Some(1)),
            MapRet::Value(Some(2)),
            MapRet::Actual(1, true),
            MapRet::Actual(2, true),
            MapRet::Actual(2, false),
        ];
        let mut checked = 0;
        let mut not_lin = 0;
        for init in [SeqMap::default(), SeqMap(vec![0, 1])] {
            for gs in 1..=3u8 {
                for h in histories(gs, &ops, &rets) {
                    let a = verdicts(HistoryMode::Frontier, &init, gs, &h);
                    let b = verdicts(HistoryMode::Events, &init, gs, &h);
                    assert_eq!(a, b, "history {h:?} from {init:?}");
                    checked += 1;
                    not_lin += usize::from(b.contains(&false));
                }
            }
        }
        // Both kinds of history occur, so the comparison is not vacuous.
        assert!(checked > 100_000, "{checked} histories");
        assert!(
            not_lin > 10_000 && not_lin < checked,
            "{not_lin} of {checked}"
        );
    }

    #[test]
    fn two_keys_and_renaming_keep_the_verdict() {
        // g1 stores k1, g2 stores k2, then g3 loads k2 after g2 returned: must see v1.
        let init = SeqMap::default();
        let h = [
            Event::Invoke(0, MapOp::Store(1, 1)),
            Event::Invoke(1, MapOp::Store(2, 1)),
            Event::Return(1, MapRet::Unit),
            Event::Invoke(2, MapOp::Load(2)),
            Event::Return(2, MapRet::Value(None)),
        ];
        assert_eq!(
            verdicts(HistoryMode::Frontier, &init, 3, &h),
            vec![true, false]
        );
        let perm = [2u8, 0, 1];
        let renamed: Vec<Event> = h.iter().map(|e| e.renamed(&perm)).collect();
        assert_eq!(
            verdicts(HistoryMode::Frontier, &init, 3, &renamed),
            vec![true, false]
        );
        // Renaming a frontier is renaming its history.
        let mut a = History::new(HistoryMode::Frontier, 3, &init);
        let mut b = History::new(HistoryMode::Frontier, 3, &init);
        for e in &h[..3] {
            if let Event::Invoke(g, op) = *e {
                a.invoke(g, op);
                b.invoke(perm[g as usize], op);
            } else if let Event::Return(g, r) = *e {
                a.ret(&init, g, r);
                b.ret(&init, perm[g as usize], r);
            }
        }
        assert_eq!(a.renamed(&perm), b);
    }
}
