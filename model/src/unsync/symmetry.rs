//! Symmetry of the `unsync` model: bucket arrays are renumbered canonically
//! ([`canonicalize`], also used by the rwmutex model); keys are interchangeable when the
//! model lets every goroutine choose every key ([`UnsyncModel::keys_interchangeable`]), and
//! the representative renames them into hash order as the hmap model's does, also in the
//! goroutines' operations, the key an evacuation is moving and the ghost's key sets; and
//! goroutines with the same role are interchangeable ([`representative`] sorts them, after
//! the keys are renamed).
//!
//! [`UnsyncModel::keys_interchangeable`]: super::UnsyncModel::keys_interchangeable

use super::state::*;
use super::steps::{GMap, UOp};
use crate::framework::concurrent;
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
    let remap = |id: ArrayId| order.iter().position(|&o| o == id).unwrap() as ArrayId;
    m.arrays.reorder(&order);
    m.h.buckets = m.h.buckets.map(remap);
    m.h.oldbuckets = m.h.oldbuckets.map(remap);
    for it in &mut m.iters {
        it.buckets = remap(it.buckets);
        if let Some(p) = &mut it.bptr {
            p.set_array(remap(p.array()));
        }
    }
    for g in gs.iter_mut() {
        for s in [&mut g.at, &mut g.slot].into_iter().flatten() {
            s.array = remap(s.array);
        }
        if let Some(e) = &mut g.evac {
            e.old = remap(e.old);
            e.new = remap(e.new);
        }
        if let Some(gr) = &mut g.grow {
            gr.old = gr.old.map(remap);
            gr.new = remap(gr.new);
        }
    }
}

/// The bucket arrays a goroutine's registers point into, in this order.
fn g_arrays(g: &GMap) -> impl Iterator<Item = ArrayId> {
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

/// The representative of a state's symmetry class: keys renamed into hash order (when the
/// state carries the key symmetry's context); then the goroutines of each group (full
/// goroutines, readers) sorted by their progress, registers and operation; iterator ids
/// (= goroutine indices) and the thrower renamed to match; arrays renumbered.
pub fn representative<const N: usize>(s: &UnsyncState<N>) -> UnsyncState<N> {
    let mut r = s.clone();
    if let Some(k) = key_renaming(&s.m) {
        rename_keys(&mut r.m, &k);
        for g in &mut r.gs {
            if let Some(c) = &mut g.cur {
                c.op = rename_op(c.op, &k);
                if let Some(e) = &mut c.evac {
                    e.key = k.key(e.key);
                }
            }
        }
        r.ghost.assigned = permute_bits(u64::from(r.ghost.assigned), &k.new_of) as u8;
        r.ghost.deleted = permute_bits(u64::from(r.ghost.deleted), &k.new_of) as u8;
    }
    // Sorted by each goroutine (keys renamed), then by whether it stepped last (only ever set
    // with `max_preemptions`), so that the goroutine a bound lets go on is named canonically.
    let perm = concurrent::canonical_permutation(
        r.gs.len(),
        |i| u8::from(r.gs[i].reader),
        |i| (&r.gs[i], r.sched.last == Some(i as u8)),
    );
    concurrent::permute_in_place(&mut r.gs, &perm);
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
    {
        let mut refs: SmallVec<[&mut GMap; 4]> =
            r.gs.iter_mut().filter_map(|g| g.cur.as_mut()).collect();
        canonicalize(&mut r.m, &mut refs);
    }
    r
}
