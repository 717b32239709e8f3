//! Symmetry of the `unsync` model: bucket arrays are renumbered canonically
//! ([`canonicalize`], also used by the rwmutex model); keys are interchangeable when the
//! model lets every goroutine choose every key ([`UnsyncModel::keys_interchangeable`]), and
//! the representative renames them into hash order as the hmap model's does, also in the
//! goroutines' operations, the key an evacuation is moving and the ghost's key sets; and
//! goroutines with the same role are interchangeable ([`representative`] sorts them, after
//! the keys are renamed).
//!
//! The representative is meant to be canonical (a function of the symmetry class alone), so
//! that a search counts the same states whatever order it meets them in (one thread or
//! two). It is on every state the random-walk check and the search-prefix check reach
//! (tests.rs), and every spec compared counts the same with one thread and two. (The
//! every-interleaving capacity spec's earlier pin, which it exceeds, is not reproduced by
//! the build of the commit that set it: docs/performance-checker.md, "The every-interleaving
//! count, traced back".) A goroutine's
//! sort key reads no array number (numbers follow the goroutines' order): arrays are named
//! by their role in the header or by their contents. Goroutines that still tie are tried in
//! every order, and the state with the smallest digest is kept
//! (`framework::concurrent::canonical_by`). `representatives_are_canonical_along_random_executions`
//! (tests.rs) renames states of the every-interleaving capacity configuration by random
//! symmetries and checks that each gets its own representative.
//!
//! [`UnsyncModel::keys_interchangeable`]: super::UnsyncModel::keys_interchangeable

use super::state::*;
use super::steps::{GMap, UOp};
use crate::framework::concurrent::{self, stable_digest as digest_of};
use crate::hmap::state::*;
use crate::hmap::symmetry::{key_renaming, permute_bits, rename_keys, KeyRenaming};
use smallvec::SmallVec;

/// Drops bucket arrays nothing refers to (neither the header, an iterator nor a goroutine's
/// pointer) and numbers the rest canonically: buckets, oldbuckets, iterators, goroutines.
pub fn canonicalize<const N: usize>(m: &mut HmapState<N>, gs: &mut [&mut GMap]) {
    let mut order: SmallVec<[ArrayId; 8]> = SmallVec::new();
    let mut push = |id: ArrayId| {
        if !order.contains(&id) {
            order.push(id);
        }
    };
    m.h.buckets.into_iter().for_each(&mut push);
    m.h.oldbuckets.into_iter().for_each(&mut push);
    for it in &m.iters {
        push(it.buckets);
        if let Some(p) = it.bptr {
            push(p.array());
        }
    }
    for g in gs.iter() {
        g_arrays(g).for_each(&mut push);
    }
    if order.len() == m.arrays.len() && order.iter().enumerate().all(|(i, &id)| i == id as usize) {
        return;
    }
    renumber(m, gs, &order);
}

/// Keeps the arrays `order` names (every array something refers to), in that order: array
/// `order[i]` becomes array i in the arena and in every reference to it.
pub fn renumber<const N: usize>(m: &mut HmapState<N>, gs: &mut [&mut GMap], order: &[ArrayId]) {
    let remap = |id: ArrayId| order.iter().position(|&o| o == id).unwrap() as ArrayId;
    m.arrays.reorder(order);
    m.h.buckets = m.h.buckets.map(remap);
    m.h.oldbuckets = m.h.oldbuckets.map(remap);
    for it in &mut m.iters {
        it.buckets = remap(it.buckets);
        if let Some(p) = &mut it.bptr {
            p.set_array(remap(p.array()));
        }
    }
    for g in gs.iter_mut() {
        for_each_array(g, |a| *a = remap(*a));
    }
}

/// Calls `f` on every array id a goroutine's registers hold, in [`g_arrays`]' order.
pub(crate) fn for_each_array(g: &mut GMap, mut f: impl FnMut(&mut ArrayId)) {
    for s in [&mut g.at, &mut g.slot].into_iter().flatten() {
        f(&mut s.array);
    }
    if let Some(e) = &mut g.evac {
        f(&mut e.old);
        f(&mut e.new);
    }
    if let Some(gr) = &mut g.grow {
        if let Some(o) = &mut gr.old {
            f(o);
        }
        f(&mut gr.new);
    }
}

/// The bucket arrays a goroutine's registers point into, in this order.
pub(crate) fn g_arrays(g: &GMap) -> impl Iterator<Item = ArrayId> {
    let evac = g.evac.map(|e| [e.old, e.new]);
    let grow = g.grow.map(|gr| (gr.old, gr.new));
    g.at.map(|s| s.array)
        .into_iter()
        .chain(g.slot.map(|s| s.array))
        .chain(evac.into_iter().flatten())
        .chain(grow.and_then(|(old, _)| old))
        .chain(grow.map(|(_, new)| new))
}

/// An operation with its key renamed.
fn rename_op(op: UOp, r: &KeyRenaming) -> UOp {
    let k = |key: u8| r.key(u64::from(key)) as u8;
    match op {
        UOp::Assign { key, elem } => UOp::Assign { key: k(key), elem },
        UOp::Delete { key } => UOp::Delete { key: k(key) },
        UOp::Access { key } => UOp::Access { key: k(key) },
        UOp::Range => UOp::Range,
    }
}

/// Renames the keys of a whole state by `k`: the map's (cells, hash function, abstract map,
/// iterators), the goroutines' operations and the key an evacuation is moving, and the
/// ghost's key sets.
pub fn rename_state_keys<const N: usize>(r: &mut UnsyncState<N>, k: &KeyRenaming) {
    rename_keys(&mut r.m, k);
    for g in &mut r.gs {
        if let Some(c) = &mut g.cur {
            c.op = rename_op(c.op, k);
            if let Some(e) = &mut c.evac {
                e.key = k.key(e.key);
            }
        }
    }
    r.ghost.assigned = permute_bits(u64::from(r.ghost.assigned), &k.new_of) as u8;
    r.ghost.deleted = permute_bits(u64::from(r.ghost.deleted), &k.new_of) as u8;
}

/// Renames goroutine `old` as `perm[old]`: the goroutines, their iterators (whose ids are
/// goroutine indices), the thrower, the goroutine that stepped last and the recorded
/// results.
pub fn permute_goroutines<const N: usize>(r: &mut UnsyncState<N>, perm: &[u8]) {
    concurrent::permute_in_place(&mut r.gs, perm);
    for it in &mut r.m.iters {
        it.id = perm[it.id as usize];
    }
    r.m.iters.sort_by_key(|it| it.id);
    if let Some((g, msg)) = r.ghost.thrown {
        r.ghost.thrown = Some((perm[g as usize], msg));
    }
    if let Some(l) = r.sched.last {
        r.sched.last = Some(perm[l as usize]);
    }
    permute_vec(&mut r.ghost.results, perm);
    permute_vec(&mut r.ghost.yields, perm);
}

/// Moves `v[old]` to `v[perm[old]]` (nothing when `v` is empty: results are not recorded).
fn permute_vec<T: Default>(v: &mut Vec<T>, perm: &[u8]) {
    if v.is_empty() {
        return;
    }
    let old = std::mem::take(v);
    v.resize_with(old.len(), T::default);
    for (i, x) in old.into_iter().enumerate() {
        v[perm[i] as usize] = x;
    }
}

/// How goroutines and iterators name an array in a goroutine's sort key: by its role in the
/// header (h.buckets 0, h.oldbuckets 1) or else by the digest of its contents, never by its
/// number, which depends on the order of the goroutines.
pub(crate) fn array_code<const N: usize>(m: &HmapState<N>, id: ArrayId) -> u64 {
    if m.h.buckets == Some(id) {
        0
    } else if m.h.oldbuckets == Some(id) {
        1
    } else {
        m.arrays.digest_of(id as usize).max(2)
    }
}

/// A goroutine's sort key for the representative: a digest of everything the state holds
/// about it (its progress, registers, iterator, whether it threw or stepped last, its
/// recorded results), with every array named by [`array_code`]. The same for a goroutine
/// in every state of its symmetry class (keys already renamed). Goroutines whose digests
/// collide only tie, and ties are resolved by trying their orders.
fn goroutine_key<const N: usize>(r: &UnsyncState<N>, i: usize) -> u64 {
    let g = &r.gs[i];
    let m = &r.m;
    let mut d = mix_words(
        0x4528_21e6_38d0_1377,
        &[
            u64::from(g.done)
                | u64::from(r.sched.last == Some(i as u8)) << 8
                | u64::from(g.cur.is_some()) << 9,
            r.ghost
                .thrown
                .filter(|&(t, _)| t as usize == i)
                .map_or(0, |(_, msg)| digest_of(&msg)),
        ],
    );
    if let Some(c) = g.cur {
        let mut zeroed = c;
        for_each_array(&mut zeroed, |a| *a = 0);
        let mut codes = [0u64; 6];
        for (slot, a) in codes.iter_mut().zip(g_arrays(&c)) {
            *slot = array_code(m, a);
        }
        d = mix_words(d, &[zeroed.digest()]);
        d = mix_words(d, &codes);
    }
    if let Some(it) = m.iters.iter().find(|it| it.id as usize == i) {
        let codes = [
            array_code(m, it.buckets),
            it.bptr.map_or(0, |p| array_code(m, p.array()) + 1),
        ];
        let mut it = it.clone();
        it.id = 0;
        it.buckets = 0;
        if let Some(p) = &mut it.bptr {
            p.set_array(0);
        }
        d = mix_words(d, &[it.mix_into(0x1319_8a2e_0370_7344), codes[0], codes[1]]);
    }
    if !r.ghost.results.is_empty() {
        d = mix_words(d, &[digest_of(&(&r.ghost.results[i], &r.ghost.yields[i]))]);
    }
    d
}

/// Renaming goroutine `a` as `b` and `b` as `a` leaves `r` as it is: the same registers
/// (array ids included), iterators equal but for their ids, and the same results. (Neither
/// threw or stepped last when their keys tie.)
fn same_goroutine<const N: usize>(r: &UnsyncState<N>, a: usize, b: usize) -> bool {
    let iter = |i: usize| r.m.iters.iter().find(|it| it.id as usize == i);
    r.gs[a] == r.gs[b]
        && match (iter(a), iter(b)) {
            (None, None) => true,
            (Some(x), Some(y)) => Hiter { id: 0, ..x.clone() } == Hiter { id: 0, ..y.clone() },
            _ => false,
        }
        && (r.ghost.results.is_empty()
            || (r.ghost.results[a] == r.ghost.results[b] && r.ghost.yields[a] == r.ghost.yields[b]))
}

/// The representative of a state's symmetry class: keys renamed into hash order (when the
/// state carries the key symmetry's context); then the goroutines of each group (full
/// goroutines, readers) sorted by their keys (`goroutine_key`), trying every order of those
/// that tie and keeping the state with the smallest digest ([`concurrent::canonical_by`]);
/// iterator ids (= goroutine indices), the thrower and the last to step renamed to match;
/// arrays renumbered. Meant to be a function of the class alone, so that the count of a
/// search does not depend on the order it meets states in (see the module's header for
/// where that is checked and where it is in doubt).
pub fn representative<const N: usize>(s: &UnsyncState<N>) -> UnsyncState<N> {
    if let Some(bits) = s.ghost.terminal {
        return terminal_class(bits);
    }
    let mut r = s.clone();
    make_representative(s, &mut r).unwrap_or(r)
}

/// The fingerprint stateright keeps for `s` under symmetry, `fingerprint(&representative(s))`,
/// computed without building an owned representative: the state is copied into one this
/// thread keeps for it ([`UnsyncState::copy_from`], which reuses its allocations and the
/// arrays it already shares with `s`) and made the representative there. Goroutines that tie
/// still build their candidates (as [`representative`] does). Needs stateright's `fingerprint`,
/// public with upstream/stateright's patches.
#[cfg(feature = "stateright-patched")]
pub fn representative_fingerprint<const N: usize>(s: &UnsyncState<N>) -> stateright::Fingerprint {
    if let Some(bits) = s.ghost.terminal {
        return stateright::fingerprint(&terminal_class::<N>(bits));
    }
    crate::framework::packed::in_kept_state(s, 0, UnsyncState::copy_from, |r| {
        match make_representative(s, r) {
            None => stateright::fingerprint(&*r),
            Some(tied) => stateright::fingerprint(&tied),
        }
    })
}

/// Makes `r`, a copy of `s` (a state that is not terminal-merged), its representative (see
/// [`representative`]): in place when the goroutines' sorted order is unique (None), else the
/// representative is returned, built from copies of `r` (then left with its keys renamed).
fn make_representative<const N: usize>(
    s: &UnsyncState<N>,
    r: &mut UnsyncState<N>,
) -> Option<UnsyncState<N>> {
    if let Some(k) = key_renaming(&s.m) {
        rename_state_keys(r, &k);
    }
    let keys: SmallVec<[u64; 4]> = (0..r.gs.len()).map(|i| goroutine_key(r, i)).collect();
    let orders = concurrent::CanonicalOrders::new(
        r.gs.len(),
        |i| u8::from(r.gs[i].reader),
        |i| keys[i],
        |a, b| same_goroutine(r, a, b),
    );
    let apply = |c: &mut UnsyncState<N>, perm: &[u8]| {
        permute_goroutines(c, perm);
        let mut refs: SmallVec<[&mut GMap; 4]> =
            c.gs.iter_mut().filter_map(|g| g.cur.as_mut()).collect();
        canonicalize(&mut c.m, &mut refs);
    };
    if orders.is_unique() {
        let perm = orders.into_iter().next().expect("the sorted order");
        apply(r, &perm);
        return None;
    }
    let tied = concurrent::canonical_by(
        orders,
        |perm| {
            let mut c = r.clone();
            apply(&mut c, perm);
            c
        },
        digest_of,
    )
    .expect("the sorted order");
    Some(tied)
}

/// The one state that stands for every terminal state whose properties have the values
/// `bits` (`merge_terminal_states`): it has no successors, and the checker evaluates the
/// properties on the state it reached, never on this one, so only its fingerprint counts.
fn terminal_class<const N: usize>(bits: u16) -> UnsyncState<N> {
    static NO_HASHES: std::sync::LazyLock<HashFn> =
        std::sync::LazyLock::new(|| HashFn::interned(Default::default()));
    UnsyncState {
        m: HmapState::empty(0, NO_HASHES.clone()),
        gs: Vec::new(),
        ghost: UGhost {
            terminal: Some(bits),
            ..UGhost::default()
        },
        sched: Sched::default(),
    }
}
