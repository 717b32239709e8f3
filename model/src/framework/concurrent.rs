//! What the concurrent models (unsync, rwmutex, syncmap, cache) share: property definitions,
//! the sequential map their histories are checked against, the event log that stands in for
//! stateright's `LinearizabilityTester` in the state, and goroutine symmetry.
//!
//! The log, not the tester, lives in the state because the tester has private fields and no
//! `Rewrite` impl (stateright notes, trap 4): a symmetry representative permutes goroutine ids
//! in the log and the tester is rebuilt from it whenever a return may have made the history
//! non-linearizable (only returns can: trap 5).

use super::check::EXHAUSTIVE_SENTINEL;
use super::info::{Kind, PropertyInfo};
use stateright::semantics::{ConsistencyTester, LinearizabilityTester, SequentialSpec};
use stateright::{Model, Property};

/// A property of a concurrent model: one name used by the model, the specs and `gomap list`.
pub struct PropDef<M: Model> {
    pub name: &'static str,
    pub kind: Kind,
    pub description: &'static str,
    pub check: fn(&M, &M::State) -> bool,
}

impl<M: Model> PropDef<M> {
    pub fn to_stateright(&self) -> Property<M> {
        match self.kind {
            Kind::Always => Property::always(self.name, self.check),
            Kind::Sometimes => Property::sometimes(self.name, self.check),
        }
    }
    pub fn info(&self) -> PropertyInfo {
        PropertyInfo {
            name: self.name,
            kind: self.kind,
            description: self.description,
        }
    }
}

/// A [`PropDef`] named after its check function: `prop!(no_throw, Always, "description")`.
macro_rules! prop {
    ($f:ident, $kind:ident, $desc:expr) => {
        $crate::framework::concurrent::PropDef {
            name: stringify!($f),
            kind: $crate::framework::info::Kind::$kind,
            description: $desc,
            check: $f,
        }
    };
}
pub(crate) use prop;

/// What [`select`] and [`selected_properties`] need of a model's property definition: every
/// model's `PropDef` (this module's for the concurrent models, hmap's and swiss's with their
/// ghost-state needs) implements it.
pub trait PropertyDef<M: Model> {
    fn name(&self) -> &'static str;
    fn to_stateright(&self) -> Property<M>;
}

impl<M: Model> PropertyDef<M> for PropDef<M> {
    fn name(&self) -> &'static str {
        self.name
    }
    fn to_stateright(&self) -> Property<M> {
        PropDef::to_stateright(self)
    }
}

/// The properties a model instance checks: the named ones (all when `names` is None), plus
/// the sentinel that keeps an exhaustive search from stopping early.
pub fn selected_properties<M: Model, D: PropertyDef<M>>(
    defs: &[D],
    selected: &[usize],
    exhaustive: bool,
) -> Vec<Property<M>> {
    let mut v: Vec<Property<M>> = selected.iter().map(|&i| defs[i].to_stateright()).collect();
    if exhaustive {
        v.push(Property::always(EXHAUSTIVE_SENTINEL, |_, _| true));
    }
    v
}

/// Indices of the named properties.
pub fn select<M: Model, D: PropertyDef<M>>(defs: &[D], names: Option<&[String]>) -> Vec<usize> {
    match names {
        None => (0..defs.len()).collect(),
        Some(ns) => ns
            .iter()
            .filter_map(|n| defs.iter().position(|p| p.name() == n))
            .collect(),
    }
}

// ---- the sequential map -------------------------------------------------------------------

/// An operation on a map from keys to values, as a goroutine invokes it. Keys k1..kN and
/// values v1..vN are numbers from 1; 0 never names a value.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum MapOp {
    /// `v, ok := m[k]` / `m.Load(k)`.
    Load(u8),
    /// `m[k] = v` / `m.Store(k, v)`.
    Store(u8, u8),
    /// `m.LoadOrStore(k, v)`.
    LoadOrStore(u8, u8),
    /// `m.LoadAndDelete(k)`.
    LoadAndDelete(u8),
    /// `delete(m, k)` / `m.Delete(k)`.
    Delete(u8),
}

impl MapOp {
    pub fn key(&self) -> u8 {
        match *self {
            MapOp::Load(k)
            | MapOp::Store(k, _)
            | MapOp::LoadOrStore(k, _)
            | MapOp::LoadAndDelete(k)
            | MapOp::Delete(k) => k,
        }
    }
    /// Whether the operation may change the map.
    pub fn writes(&self) -> bool {
        !matches!(self, MapOp::Load(_))
    }
}

/// What an operation returned.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum MapRet {
    /// Store, Delete.
    Unit,
    /// Load, LoadAndDelete: the value, if the key was present.
    Value(Option<u8>),
    /// LoadOrStore: (actual, loaded).
    Actual(u8, bool),
}

impl std::fmt::Display for MapRet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MapRet::Unit => write!(f, "()"),
            MapRet::Value(Some(v)) => write!(f, "(v{v}, true)"),
            MapRet::Value(None) => write!(f, "(nil, false)"),
            MapRet::Actual(v, loaded) => write!(f, "(v{v}, loaded={loaded})"),
        }
    }
}

/// The sequential specification: a plain map. Index k holds key k's value (0 = absent).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SeqMap(pub Vec<u8>);

impl SequentialSpec for SeqMap {
    type Op = MapOp;
    type Ret = MapRet;
    fn invoke(&mut self, op: &MapOp) -> MapRet {
        let k = op.key() as usize;
        if self.0.len() <= k {
            self.0.resize(k + 1, 0);
        }
        apply(&mut self.0[k], op)
    }
}

/// `op` on a key whose value is `slot` (0 = absent): the one definition of the sequential
/// map's operations, used by [`SeqMap`] and by the linearizability frontier.
pub fn apply(slot: &mut u8, op: &MapOp) -> MapRet {
    let cur = *slot;
    let some = |v: u8| if v == 0 { None } else { Some(v) };
    match *op {
        MapOp::Load(_) => MapRet::Value(some(cur)),
        MapOp::Store(_, v) => {
            *slot = v;
            MapRet::Unit
        }
        MapOp::LoadOrStore(_, v) => {
            if cur != 0 {
                MapRet::Actual(cur, true)
            } else {
                *slot = v;
                MapRet::Actual(v, false)
            }
        }
        MapOp::LoadAndDelete(_) => {
            *slot = 0;
            MapRet::Value(some(cur))
        }
        MapOp::Delete(_) => {
            *slot = 0;
            MapRet::Unit
        }
    }
}

/// One event of a history: goroutine `g` invoked an operation or got its result.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Event {
    Invoke(u8, MapOp),
    Return(u8, MapRet),
}

impl Event {
    pub fn goroutine(&self) -> u8 {
        match *self {
            Event::Invoke(g, _) | Event::Return(g, _) => g,
        }
    }
    /// The same event by goroutine `perm[g]`.
    pub fn renamed(&self, perm: &[u8]) -> Event {
        match *self {
            Event::Invoke(g, op) => Event::Invoke(perm[g as usize], op),
            Event::Return(g, r) => Event::Return(perm[g as usize], r),
        }
    }
}

/// Rebuilds stateright's tester from a history that starts with the map `init`.
pub fn tester(init: &SeqMap, history: &[Event]) -> LinearizabilityTester<u8, SeqMap> {
    let mut t = LinearizabilityTester::new(init.clone());
    for e in history {
        // The models invoke once per goroutine and return only what is in flight, so the
        // history is always valid; an invalid one would make is_consistent() false.
        let _ = match *e {
            Event::Invoke(g, op) => t.on_invoke(g, op).map(|_| ()),
            Event::Return(g, r) => t.on_return(g, r).map(|_| ()),
        };
    }
    t
}

/// Whether the history is linearizable with respect to a map that starts as `init`.
pub fn linearizable(init: &SeqMap, history: &[Event]) -> bool {
    tester(init, history).is_consistent()
}

/// Records that goroutine `g`'s operation returned `ret`; returns whether the history is
/// still linearizable with respect to a map that starts as `init` (only a return can make it
/// not: stateright notes, trap 5).
pub fn record_return(history: &mut Vec<Event>, init: &SeqMap, g: u8, ret: MapRet) -> bool {
    history.push(Event::Return(g, ret));
    linearizable(init, history)
}

/// An action as counterexamples show it: `g1: <op> begins` when a goroutine starts an
/// operation, `g1: <op>: <pc>` when it takes the step at `pc`.
pub fn action_text(g: u8, op: impl std::fmt::Display, pc: Option<&dyn std::fmt::Debug>) -> String {
    match pc {
        None => format!("g{}: {op} begins", g + 1),
        Some(pc) => format!("g{}: {op}: {pc:?}", g + 1),
    }
}

/// The history as text, one event a line, for counterexamples.
pub fn history_text(history: &[Event]) -> String {
    history
        .iter()
        .map(|e| match e {
            Event::Invoke(g, op) => format!("g{} invokes {}", g + 1, op_text(op)),
            Event::Return(g, r) => format!("g{} returns {r}", g + 1),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// An operation in Go's syntax with `name` as the map (e.g. `m` or `sync.Map`).
pub fn op_text(op: &MapOp) -> String {
    match *op {
        MapOp::Load(k) => format!("Load(k{k})"),
        MapOp::Store(k, v) => format!("Store(k{k}, v{v})"),
        MapOp::LoadOrStore(k, v) => format!("LoadOrStore(k{k}, v{v})"),
        MapOp::LoadAndDelete(k) => format!("LoadAndDelete(k{k})"),
        MapOp::Delete(k) => format!("Delete(k{k})"),
    }
}

/// A digest of `x` that is the same in every thread and run (SipHash with fixed keys), for
/// symmetry keys and for choosing among a representative's candidates.
pub fn stable_digest(x: &impl std::hash::Hash) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(x)
}

/// The orders to try for a canonical representative of a class of states whose goroutines
/// are interchangeable within groups, when a goroutine's `key` does not always tell it from
/// the others.
///
/// The goroutines are sorted by (`group`, `key`), groups first and then by index. Where
/// goroutines of one group tie on `key` and are not all `same` (renaming one as another
/// leaves the state as it is), every order of the tied ones is a candidate. Yields each
/// candidate as a permutation (`perm[old] = new`), the sorted order first; the caller
/// builds each candidate's state and keeps the smallest by some total order of states
/// ([`canonical_by`]), or applies the only one in place ([`CanonicalOrders::is_unique`]).
///
/// The result depends only on the class when `key` and that order do (a key computed from
/// the goroutine's own registers, with what it points to named by role or contents, never
/// by index): the sorted keys are then the same for every state of the class, and so is the
/// set of states the candidates build. A key's collisions only make more goroutines tie.
pub struct CanonicalOrders {
    /// The goroutines' old indices in the candidate's order.
    idx: smallvec::SmallVec<[usize; 8]>,
    /// Runs of tied goroutines that are not all the same: [start, end) in `idx`.
    runs: smallvec::SmallVec<[(usize, usize); 4]>,
    started: bool,
}

impl CanonicalOrders {
    pub fn new<K: Ord>(
        n: usize,
        group: impl Fn(usize) -> u8,
        key: impl Fn(usize) -> K,
        same: impl Fn(usize, usize) -> bool,
    ) -> Self {
        let keys: smallvec::SmallVec<[(u8, K); 8]> = (0..n).map(|i| (group(i), key(i))).collect();
        let mut idx: smallvec::SmallVec<[usize; 8]> = (0..n).collect();
        idx.sort_by(|&a, &b| keys[a].cmp(&keys[b]).then(a.cmp(&b)));
        let mut runs = smallvec::SmallVec::new();
        let mut start = 0;
        while start < n {
            let mut end = start + 1;
            while end < n && keys[idx[end]] == keys[idx[start]] {
                end += 1;
            }
            if (start + 1..end).any(|j| !same(idx[start], idx[j])) {
                runs.push((start, end));
            }
            start = end;
        }
        CanonicalOrders {
            idx,
            runs,
            started: false,
        }
    }

    /// The sorted order is the only candidate.
    pub fn is_unique(&self) -> bool {
        self.runs.is_empty()
    }
}

impl Iterator for CanonicalOrders {
    type Item = smallvec::SmallVec<[u8; 8]>;

    /// Every combination of the runs' orders, as an odometer of lexicographic permutations
    /// (each run starts sorted, by index, and wraps back to sorted).
    fn next(&mut self) -> Option<Self::Item> {
        if self.started {
            let mut advanced = false;
            for &(s, e) in self.runs.iter().rev() {
                if next_permutation(&mut self.idx[s..e]) {
                    advanced = true;
                    break;
                }
            }
            if !advanced {
                return None;
            }
        }
        self.started = true;
        let mut perm: smallvec::SmallVec<[u8; 8]> = smallvec::smallvec![0u8; self.idx.len()];
        for (new, &old) in self.idx.iter().enumerate() {
            perm[old] = new as u8;
        }
        Some(perm)
    }
}

/// The candidate of [`CanonicalOrders`] with the smallest `rank`, built by `build`. Two
/// different states with the same rank make the result depend on the order tried; with a
/// 64-bit digest as the rank, that costs at most a state counted twice, never a state lost.
pub fn canonical_by<T, R: Ord>(
    orders: CanonicalOrders,
    mut build: impl FnMut(&[u8]) -> T,
    rank: impl Fn(&T) -> R,
) -> Option<T> {
    orders
        .map(|perm| {
            let t = build(&perm);
            (rank(&t), t)
        })
        .min_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, t)| t)
}

/// The next lexicographic permutation of `v`; false (and `v` sorted again) after the last.
fn next_permutation(v: &mut [usize]) -> bool {
    let Some(i) = (1..v.len()).rev().find(|&i| v[i - 1] < v[i]) else {
        v.reverse();
        return false;
    };
    let j = (i..v.len()).rev().find(|&j| v[j] > v[i - 1]).unwrap_or(i);
    v.swap(i - 1, j);
    v[i..].reverse();
    true
}

/// Applies `perm` (old index -> new index) to a slice of `Copy` values (goroutines) in place,
/// without allocating for up to eight of them.
pub fn permute_in_place<T: Copy>(v: &mut [T], perm: &[u8]) {
    let old: smallvec::SmallVec<[T; 8]> = v.iter().copied().collect();
    for (i, x) in old.into_iter().enumerate() {
        v[perm[i] as usize] = x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_that_misses_a_completed_store_is_not_linearizable() {
        let h = [
            Event::Invoke(0, MapOp::Store(1, 1)),
            Event::Return(0, MapRet::Unit),
            Event::Invoke(1, MapOp::Load(1)),
            Event::Return(1, MapRet::Value(None)),
        ];
        assert!(!linearizable(&SeqMap::default(), &h));
    }

    #[test]
    fn a_load_overlapping_a_store_may_see_either() {
        for r in [None, Some(1)] {
            let h = [
                Event::Invoke(0, MapOp::Store(1, 1)),
                Event::Invoke(1, MapOp::Load(1)),
                Event::Return(1, MapRet::Value(r)),
                Event::Return(0, MapRet::Unit),
            ];
            assert!(linearizable(&SeqMap::default(), &h));
        }
    }

    #[test]
    fn load_or_store_on_a_live_key_keeps_the_old_value() {
        let mut m = SeqMap::default();
        m.invoke(&MapOp::Store(1, 1));
        assert_eq!(m.invoke(&MapOp::LoadOrStore(1, 2)), MapRet::Actual(1, true));
        assert_eq!(m.invoke(&MapOp::Load(1)), MapRet::Value(Some(1)));
    }

    #[test]
    fn next_permutation_visits_every_order_once() {
        let mut v = [0, 1, 2, 3];
        let mut seen = std::collections::HashSet::new();
        seen.insert(v);
        while next_permutation(&mut v) {
            assert!(seen.insert(v), "{v:?} twice");
        }
        assert_eq!(seen.len(), 24);
        assert_eq!(v, [0, 1, 2, 3], "sorted again after the last");
    }

    #[test]
    fn canonical_by_tries_every_order_of_tied_goroutines() {
        // Goroutines are (key, hidden): the key ties 0 with 2 and 1 with 3; a state is the
        // goroutines' hidden parts in order, ranked as a number. Whatever the order of the
        // input, the representative is the smallest number the tied orders give.
        let rep = |gs: [(u8, u8); 4]| {
            canonical_by(
                CanonicalOrders::new(4, |_| 0, |i| gs[i].0, |a, b| gs[a] == gs[b]),
                |perm| {
                    let mut out = [0u8; 4];
                    for (old, &new) in perm.iter().enumerate() {
                        out[new as usize] = gs[old].1;
                    }
                    out
                },
                |s| *s,
            )
            .unwrap()
        };
        let gs = [(1, 7), (2, 5), (1, 3), (2, 4)];
        assert_eq!(rep(gs), [3, 7, 4, 5]);
        let mut tries = 0;
        let mut v = [0usize, 1, 2, 3];
        loop {
            let shuffled = [gs[v[0]], gs[v[1]], gs[v[2]], gs[v[3]]];
            assert_eq!(rep(shuffled), [3, 7, 4, 5], "from {shuffled:?}");
            tries += 1;
            if !next_permutation(&mut v) {
                break;
            }
        }
        assert_eq!(tries, 24);
        // Goroutines that are the same are not tried twice.
        let same = [(1, 1), (1, 1), (1, 1)];
        let orders = CanonicalOrders::new(3, |_| 0, |i| same[i].0, |a, b| same[a] == same[b]);
        assert!(orders.is_unique());
        assert_eq!(orders.count(), 1);
        let tied = CanonicalOrders::new(3, |_| 0, |i| gs[i].0, |_, _| false);
        assert!(!tied.is_unique());
        assert_eq!(tied.count(), 2, "one pair ties");
    }

    #[test]
    fn the_sorted_order_sorts_within_groups_only() {
        let gs = [3, 1, 2, 0];
        let perm = CanonicalOrders::new(
            gs.len(),
            |i| if i < 3 { 0 } else { 1 },
            |i| gs[i],
            |_, _| true,
        )
        .next()
        .unwrap();
        let mut in_place = gs;
        permute_in_place(&mut in_place, &perm);
        assert_eq!(in_place, [1, 2, 3, 0]);
    }
}
