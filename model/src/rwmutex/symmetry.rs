//! Goroutine symmetry of the `rwmutex` model: goroutines are interchangeable, so a state is
//! replaced by the representative of its class.

use super::state::RwState;
use crate::framework::concurrent;
use crate::unsync::{self, GMap};

/// The representative of a state's symmetry class: goroutines sorted, the history, w's
/// holder and the thrower renamed, arrays renumbered.
pub fn representative(s: &RwState) -> RwState {
    let perm = concurrent::canonical_permutation(s.gs.len(), |_| 0, |i| &s.gs[i]);
    let mut r = s.clone();
    concurrent::permute_in_place(&mut r.gs, &perm);
    r.history = s.history.renamed(&perm);
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
