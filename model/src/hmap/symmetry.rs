//! Key symmetry of the `hmap` model.
//!
//! Keys are interchangeable: every action is offered for every key, and every injective
//! assignment of hashes to keys is an initial state (and a reseed's choice). Renaming keys
//! by a permutation therefore maps reachable states to reachable states with the same
//! verdicts (no property names a particular key). The representative of a state renames its
//! keys so that key 1 has the smallest hash, key 2 the next, and so on: in every cell (live
//! or stale), in the hash function (whose hash0 becomes that of the renamed assignment), in
//! the abstract map and in the iterators' ghost key sets. Elems are not renamed: values are
//! not interchangeable with keys.
//!
//! A spec asks for it with `[search] symmetry = true`. The representative is applied by DFS
//! only (stateright ignores it under BFS). With `reseed = false` a state's hash function
//! never changes, and the reduction is made once at the initial states instead: only the
//! assignments in hash order start the search, and stateright computes no representative
//! (`HmapModel::symmetry_at_init` gives the argument; the pinned count of
//! hmap-growth-in-progress-symmetry is the same either way), so every strategy reduces.

use super::state::*;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::{LazyLock, Mutex};

/// A set of keys as bits (bit k-1 for key k), renamed by `new_of`.
pub fn permute_bits(bits: u64, new_of: &[u64]) -> u64 {
    let mut out = 0u64;
    for (old, &new) in new_of.iter().enumerate().skip(1) {
        if bits & (1u64 << (old - 1)) != 0 {
            out |= 1u64 << (new - 1);
        }
    }
    out
}

/// The renaming that puts a state's keys in hash order (see the module's header).
#[derive(Clone)]
pub struct KeyRenaming {
    /// Key k's new name is `new_of[k]` (index 0 unused: 0 is no key).
    pub new_of: Vec<u64>,
    /// The index (hash0) of the renamed hash function in the model's list, if it is there.
    target: Option<u32>,
}

impl KeyRenaming {
    /// Key `k` renamed (0, no key, stays 0; a key outside 1..=n keeps its name).
    pub fn key(&self, k: u64) -> u64 {
        if k == 0 {
            0
        } else {
            self.new_of.get(k as usize).copied().unwrap_or(k)
        }
    }

    /// The renaming of the hash function `hashes` into hash order: None when its keys are
    /// not 1..=n or already in hash order.
    fn of(hashes: &HashFn, index: &std::collections::HashMap<Vec<u64>, u32>) -> Option<Self> {
        if in_hash_order(hashes) {
            return None;
        }
        let n = hashes.len();
        // Keys are 1..=n; new_of[k] is k's new name: the rank of its hash.
        let mut by_hash: Vec<(u64, u64)> = hashes.iter().map(|(&k, &h)| (h, k)).collect();
        by_hash.sort_unstable();
        let mut new_of = vec![0u64; n + 1];
        for (rank, &(_, k)) in by_hash.iter().enumerate() {
            *new_of.get_mut(k as usize)? = rank as u64 + 1; // keys are not 1..=n: not a checker state
        }
        let sorted: Vec<u64> = by_hash.iter().map(|&(h, _)| h).collect();
        Some(KeyRenaming {
            new_of,
            target: index.get(&sorted).copied(),
        })
    }
}

impl KeyRenaming {
    /// The renaming of `s`'s keys by `new_of` (key k becomes `new_of[k]`; index 0 unused),
    /// any permutation of the keys 1..=n, for checking that representatives do not depend
    /// on the keys' names. None when the state has no key symmetry, or `new_of` is not a
    /// permutation of its keys.
    pub fn by<const N: usize>(s: &HmapState<N>, new_of: Vec<u64>) -> Option<Self> {
        let ctx = s.sym.0?;
        let n = s.hashes.len();
        let mut renamed = vec![None; n + 1];
        for (&k, &h) in s.hashes.iter() {
            let new = *new_of.get(k as usize)? as usize;
            *renamed.get_mut(new).filter(|_| new > 0)? = Some(h);
        }
        let values: Option<Vec<u64>> = renamed[1..].iter().copied().collect();
        Some(KeyRenaming {
            target: Some(*ctx.index.get(&values?)?),
            new_of,
        })
    }
}

/// Key 1 has the smallest hash, key 2 the next, and so on (the hash functions that
/// [`representative`] leaves as they are).
pub fn in_hash_order(hashes: &HashFn) -> bool {
    hashes.keys().copied().eq(1..=hashes.len() as u64)
        && hashes
            .values()
            .zip(hashes.values().skip(1))
            .all(|(a, b)| a < b)
}

/// The renaming to apply to `s`: None when the state has no key symmetry, its keys are not
/// 1..=n, or they are in hash order already. A state whose hash function is the model's
/// hash function `hash0` (every checker state) gets the renaming computed once for it.
pub fn key_renaming<const N: usize>(s: &HmapState<N>) -> Option<Cow<'_, KeyRenaming>> {
    let ctx = s.sym.0.as_ref()?;
    let h0 = s.h.hash0 as usize;
    if ctx.hash_fns.get(h0) == Some(&s.hashes) {
        return ctx.renamings[h0].as_ref().map(Cow::Borrowed);
    }
    KeyRenaming::of(&s.hashes, &ctx.index).map(Cow::Owned)
}

/// Renames the keys of `t` by `r`: in every cell (live or stale), in the hash function
/// (whose hash0 becomes that of the renamed assignment), in the abstract map and in the
/// iterators' ghost key sets.
pub fn rename_keys<const N: usize>(t: &mut HmapState<N>, r: &KeyRenaming) {
    // Only the arrays and chains that hold a renamed key are written: the others stay shared
    // with the states they came from (and keep their digests).
    let renames = |chain: &[Bmap<N>]| {
        chain
            .iter()
            .any(|bm| bm.keys.iter().any(|&k| k != 0 && r.key(k) != k))
    };
    for a in 0..t.arrays.len() {
        let Some(first) = t.arrays[a].iter().position(&renames) else {
            continue;
        };
        for chain in t.array_mut(a as ArrayId).iter_mut().skip(first) {
            if renames(chain) {
                for bm in chain.iter_mut() {
                    for k in bm.keys.iter_mut() {
                        *k = r.key(*k);
                    }
                }
            }
        }
    }
    if let (Some(ctx), Some(h0)) = (&t.sym.0, r.target) {
        t.h.hash0 = h0;
        t.hashes = ctx.hash_fns[h0 as usize].clone();
    }
    if !t.ghost.abs.is_empty() {
        let mut abs = vec![0; t.ghost.abs.len()];
        for (k, &v) in t.ghost.abs.iter().enumerate().skip(1) {
            abs[r.key(k as u64) as usize] = v;
        }
        t.ghost.abs = abs;
    }
    for it in &mut t.iters {
        it.ghost.yielded = permute_bits(it.ghost.yielded, &r.new_of);
        it.ghost.yielded_live = permute_bits(it.ghost.yielded_live, &r.new_of);
        it.ghost.stable = permute_bits(it.ghost.stable, &r.new_of);
    }
    t.arrays.seal();
}

/// The representative of `s` under key renaming (`s` itself when the model has no key
/// symmetry or the keys are already in hash order).
pub fn representative<const N: usize>(s: &HmapState<N>) -> HmapState<N> {
    let mut t = s.clone();
    if let Some(r) = key_renaming(s) {
        rename_keys(&mut t, &r);
    }
    t
}

/// The context [`key_renaming`] needs, for the states of a model whose initial states are
/// one per assignment of `hash_fns` (every injective assignment of hashes to keys 1..=n).
/// Interned (see [`SymCtx`]): one per content of `assignments` and `hash_fns`, kept for the
/// life of the process.
pub fn key_symmetry_ctx(
    assignments: &[std::collections::BTreeMap<u64, u64>],
    hash_fns: &[HashFn],
) -> SymCtx {
    type Key = (Vec<BTreeMap<u64, u64>>, Vec<BTreeMap<u64, u64>>);
    static CTXS: LazyLock<Mutex<HashMap<Key, &'static KeySymmetry>>> =
        LazyLock::new(Default::default);
    let key: Key = (
        assignments.to_vec(),
        hash_fns.iter().map(|f| (**f).clone()).collect(),
    );
    let mut ctxs = CTXS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&c) = ctxs.get(&key) {
        return SymCtx(Some(c));
    }
    let index = assignments
        .iter()
        .enumerate()
        .map(|(h0, a)| (a.values().copied().collect::<Vec<u64>>(), h0 as u32))
        .collect();
    let renamings = hash_fns
        .iter()
        .map(|f| KeyRenaming::of(f, &index))
        .collect();
    let c: &'static KeySymmetry = Box::leak(Box::new(KeySymmetry {
        index,
        hash_fns: hash_fns.to_vec(),
        renamings,
    }));
    ctxs.insert(key, c);
    SymCtx(Some(c))
}
