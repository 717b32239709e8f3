//! Symmetry of the `syncmap` model: entries renumbered in order of first reference and
//! goroutines sorted (they are interchangeable), with everything that names them renamed.

use super::state::{EntryId, SmState};
use crate::framework::concurrent;

/// Drops entries nothing refers to and numbers the rest in order of first reference:
/// read.m, dirty, then the goroutines' locals.
pub fn canonicalize(s: &mut SmState) {
    let mut order: Vec<EntryId> = Vec::with_capacity(s.entries.len());
    let mut push = |e: Option<EntryId>| {
        if let Some(e) = e {
            if !order.contains(&e) {
                order.push(e);
            }
        }
    };
    s.read.m.iter().for_each(|&e| push(e));
    if let Some(d) = &s.dirty {
        d.iter().for_each(|&e| push(e));
    }
    for g in &s.gs {
        if let Some(c) = &g.cur {
            push(c.e);
            c.snap.iter().for_each(|&e| push(e));
        }
    }
    if order.len() == s.entries.len() && order.iter().enumerate().all(|(i, &e)| i == e as usize) {
        return;
    }
    let remap =
        |e: Option<EntryId>| e.map(|e| order.iter().position(|&o| o == e).unwrap() as EntryId);
    s.entries = order.iter().map(|&e| s.entries[e as usize]).collect();
    for x in s.read.m.iter_mut() {
        *x = remap(*x);
    }
    if let Some(d) = &mut s.dirty {
        for x in d.iter_mut() {
            *x = remap(*x);
        }
    }
    for g in &mut s.gs {
        if let Some(c) = &mut g.cur {
            c.e = remap(c.e);
            for x in c.snap.iter_mut() {
                *x = remap(*x);
            }
        }
    }
}

/// The representative of a state's symmetry class: goroutines sorted by progress and
/// locals; the history, mu's holder and entries renamed to match.
pub fn representative(s: &SmState) -> SmState {
    let perm = concurrent::canonical_permutation(s.gs.len(), |_| 0, |i| &s.gs[i]);
    let mut r = s.clone();
    concurrent::permute_in_place(&mut r.gs, &perm);
    r.history = s.history.renamed(&perm);
    r.mu = s.mu.map(|g| perm[g as usize]);
    canonicalize(&mut r);
    r
}
