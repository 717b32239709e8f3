//! Symmetry of the `syncmap` model: entries renumbered in order of first reference and
//! goroutines sorted (they are interchangeable), with everything that names them renamed.
//! The representative is canonical (a function of the class alone): a goroutine's sort key
//! names entries by their contents and where read.m and dirty hold them, never by number,
//! and goroutines that tie are tried in every order (`history::representative_by`).

use super::state::{EntryId, EntryMap, SmState, MAX_KEYS, P};
use crate::framework::{concurrent, history};

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
    renumber(s, &order);
}

/// Keeps the entries `order` names (every entry something refers to), in that order: entry
/// `order[i]` becomes entry i everywhere.
pub fn renumber(s: &mut SmState, order: &[EntryId]) {
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

/// How a goroutine's locals name an entry in its sort key: by its contents and the keys
/// under which read.m and dirty hold it, never by its number, which depends on the order of
/// the goroutines. 0 for no entry.
fn entry_code(s: &SmState, e: Option<EntryId>) -> u64 {
    let Some(e) = e else { return 0 };
    let held = |m: &EntryMap| {
        m.iter()
            .enumerate()
            .filter(|&(_, &x)| x == Some(e))
            .fold(0u64, |b, (k, _)| b | 1 << k)
    };
    let p = match s.entries[e as usize] {
        P::Nil => 1,
        P::Expunged => 2,
        P::Val(v) => 3 | u64::from(v) << 2,
    };
    p | held(&s.read.m) << 16 | s.dirty.as_ref().map_or(0, held) << 24 | 1 << 32
}

/// A goroutine's sort key: a digest of its progress, its locals (every entry named by
/// [`entry_code`]), its entries in the history, and whether it holds mu. The same for a
/// goroutine in every state of its class.
fn goroutine_key(s: &SmState, i: usize) -> u64 {
    let g = &s.gs[i];
    let mut zeroed = *g;
    let mut codes = [0u64; MAX_KEYS + 1];
    if let Some(c) = &mut zeroed.cur {
        codes[0] = entry_code(s, c.e);
        for (slot, e) in codes[1..].iter_mut().zip(&c.snap) {
            *slot = entry_code(s, *e);
        }
        c.e = c.e.map(|_| 0);
        c.snap = c.snap.map(|e| e.map(|_| 0));
    }
    concurrent::stable_digest(&(
        zeroed,
        codes,
        s.history.goroutine_digest(i as u8),
        s.mu == Some(i as u8),
    ))
}

/// Renames goroutine `old` as `perm[old]` everywhere the state names goroutines, and
/// renumbers the entries.
pub(crate) fn permute(s: &SmState, perm: &[u8]) -> SmState {
    let mut r = s.clone();
    concurrent::permute_in_place(&mut r.gs, perm);
    r.history = s.history.renamed(perm);
    r.mu = s.mu.map(|g| perm[g as usize]);
    canonicalize(&mut r);
    r
}

/// The representative of a state's symmetry class: goroutines sorted by their keys, every
/// order of those that tie tried and the state with the smallest digest kept
/// ([`concurrent::canonical_by`]); the history and mu's holder renamed, entries renumbered.
/// A function of the class alone, so a search's count does not depend on the order it
/// meets states in (its number of threads).
pub fn representative(s: &SmState) -> SmState {
    history::representative_by(
        &s.gs,
        &s.history,
        |i| goroutine_key(s, i),
        |perm| permute(s, perm),
    )
}
