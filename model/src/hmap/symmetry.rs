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
//! Used by DFS only (stateright ignores symmetry under BFS); a spec asks for it with
//! `[search] symmetry = true`.

use super::state::*;

fn permute_bits(bits: u64, new_of: &[u64]) -> u64 {
    let mut out = 0u64;
    for (old, &new) in new_of.iter().enumerate().skip(1) {
        if bits & (1u64 << (old - 1)) != 0 {
            out |= 1u64 << (new - 1);
        }
    }
    out
}

/// The representative of `s` under key renaming (`s` itself when the model has no key
/// symmetry or the keys are already in hash order).
pub fn representative(s: &HmapState) -> HmapState {
    let Some(ctx) = s.sym.0.as_ref() else {
        return s.clone();
    };
    let n = s.hashes.len();
    // Keys are 1..=n; new_of[k] is k's new name: the rank of its hash.
    let mut by_hash: Vec<(u64, u64)> = s.hashes.iter().map(|(&k, &h)| (h, k)).collect();
    by_hash.sort_unstable();
    let mut new_of = vec![0u64; n + 1];
    for (rank, &(_, k)) in by_hash.iter().enumerate() {
        match new_of.get_mut(k as usize) {
            Some(slot) => *slot = rank as u64 + 1,
            None => return s.clone(), // keys are not 1..=n: not a checker state
        }
    }
    if new_of
        .iter()
        .enumerate()
        .skip(1)
        .all(|(k, &v)| v == k as u64)
    {
        return s.clone();
    }
    let rename = |k: u64| -> u64 {
        if k == 0 {
            0
        } else {
            new_of.get(k as usize).copied().unwrap_or(k)
        }
    };
    let mut t = s.clone();
    for a in 0..t.arrays.len() {
        let arr = t.array_mut(a as ArrayId);
        for chain in arr.iter_mut() {
            for bm in chain.iter_mut() {
                for k in bm.keys.iter_mut() {
                    *k = rename(*k);
                }
            }
        }
    }
    let sorted: Vec<u64> = by_hash.iter().map(|&(h, _)| h).collect();
    if let Some(&h0) = ctx.index.get(&sorted) {
        t.h.hash0 = h0;
        t.hashes = ctx.hash_fns[h0 as usize].clone();
    }
    if !s.ghost.abs.is_empty() {
        let mut abs = vec![0; s.ghost.abs.len()];
        for (k, &v) in s.ghost.abs.iter().enumerate().skip(1) {
            abs[rename(k as u64) as usize] = v;
        }
        t.ghost.abs = abs;
    }
    for it in &mut t.iters {
        it.ghost.yielded = permute_bits(it.ghost.yielded, &new_of);
        it.ghost.yielded_live = permute_bits(it.ghost.yielded_live, &new_of);
        it.ghost.stable = permute_bits(it.ghost.stable, &new_of);
    }
    t.arrays.seal();
    t
}
