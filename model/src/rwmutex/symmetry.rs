//! Goroutine symmetry of the `rwmutex` model: goroutines are interchangeable, so a state is
//! replaced by the representative of its class. The representative is canonical (a
//! function of the class alone): a goroutine's sort key names bucket arrays by role or
//! contents, never by number, and goroutines that tie are tried in every order
//! (`history::representative_by`).

use super::state::RwState;
use crate::framework::concurrent::{self, stable_digest as digest_of};
use crate::framework::history;
use crate::hmap::state::mix_words;
use crate::unsync::symmetry::{array_code, for_each_array, g_arrays};
use crate::unsync::{self, GMap};

/// A goroutine's sort key: a digest of its progress, its registers (every array named by
/// its role or contents, never its number), its entries in the history, and whether it
/// holds w or threw. The same for a goroutine in every state of its class.
fn goroutine_key(s: &RwState, i: usize) -> u64 {
    let g = &s.gs[i];
    let mut zeroed = *g;
    let mut codes = [0u64; 6];
    if let Some(m) = zeroed.cur.as_mut().and_then(|c| c.map.as_mut()) {
        for (slot, a) in codes.iter_mut().zip(g_arrays(m)) {
            *slot = array_code(&s.m, a);
        }
        for_each_array(m, |a| *a = 0);
    }
    let mut d = mix_words(
        0x4528_21e6_38d0_1377,
        &[
            digest_of(&zeroed),
            s.history.goroutine_digest(i as u8),
            u64::from(s.rw.w == Some(i as u8))
                | s.ghost
                    .thrown
                    .filter(|&(t, _)| t as usize == i)
                    .map_or(0, |(_, msg)| digest_of(&msg) << 1),
        ],
    );
    d = mix_words(d, &codes);
    d
}

/// Renames goroutine `old` as `perm[old]` everywhere the state names goroutines.
pub(crate) fn permute(s: &RwState, perm: &[u8]) -> RwState {
    let mut r = s.clone();
    concurrent::permute_in_place(&mut r.gs, perm);
    r.history = s.history.renamed(perm);
    r.rw.w = s.rw.w.map(|g| perm[g as usize]);
    if let Some((g, msg)) = r.ghost.thrown {
        r.ghost.thrown = Some((perm[g as usize], msg));
    }
    let mut refs: Vec<&mut GMap> =
        r.gs.iter_mut()
            .filter_map(|g| g.cur.as_mut().and_then(|c| c.map.as_mut()))
            .collect();
    unsync::canonicalize(&mut r.m, &mut refs);
    r
}

/// The representative of a state's symmetry class: goroutines sorted by their keys, every
/// order of those that tie tried and the state with the smallest digest kept
/// ([`concurrent::canonical_by`]); the history, w's holder and the thrower renamed, arrays
/// renumbered. A function of the class alone, so a search's count does not depend on the
/// order it meets states in (its number of threads).
pub fn representative(s: &RwState) -> RwState {
    history::representative_by(
        &s.gs,
        &s.history,
        |i| goroutine_key(s, i),
        |perm| permute(s, perm),
    )
}
