//! mapdelete_fast64 (runtime/map_fast64.go) after its entry steps:
//!
//! ```text
//! search: one cell per step | memclrNoHeapPointers(e) | b.tophash[i] = emptyOne | whether
//! the next cell is emptyRest | b.tophash[i] = emptyRest and the move to the previous cell
//! (repeated) | (count: header.rs) | if h.count == 0 { h.hash0 = fastrand() }
//! ```
//!
//! Interleaving points: every `|` above; the reseed is nondeterministic (one choice per hash
//! function).

use super::*;

impl Steps {
    /// mapdelete's own steps: the elem clear, emptyOne, the emptyRest walk back and the
    /// reseed at count 0.
    pub(super) fn step_delete<const N: usize>(
        &self,
        m: &mut HmapState<N>,
        g: &mut GMap,
        choice: usize,
        hash_fns: &[HashFn],
        log: &mut Log,
    ) -> Stepped {
        let bc = self.bc();
        match g.pc {
            Pc::Reseed => {
                // h.hash0 = fastrand(): every hash function is a possible new one.
                if let Some(h) = hash_fns.get(choice) {
                    m.hashes = h.clone();
                    m.h.hash0 = choice as u32;
                }
                note(log, || {
                    format!("count == 0: h.hash0 = fastrand() = {choice}")
                });
                g.pc = Pc::EndCheck;
                Stepped::Continue
            }
            Pc::ElemClear => {
                let s = g.slot.expect("found");
                if let Some(bm) = bmap_mut(m, s) {
                    bm.elems[s.i as usize] = 0;
                }
                note(log, || format!("memclr({}.elem)", slot_text(&s)));
                g.pc = Pc::EmptyOne;
                Stepped::Continue
            }
            Pc::EmptyOne => {
                let s = g.slot.expect("found");
                if let Some(bm) = bmap_mut(m, s) {
                    bm.tophash[s.i as usize] = EMPTY_ONE;
                }
                note(log, || format!("{}.tophash = emptyOne", slot_text(&s)));
                g.pc = Pc::RestCheck;
                Stepped::Continue
            }
            Pc::RestCheck => {
                let s = g.slot.expect("found");
                let Some(chain) = m
                    .arrays
                    .iter()
                    .nth(s.array as usize)
                    .and_then(|a| a.get(s.chain as usize))
                else {
                    return Stepped::Throw(FAULT_OLDBUCKETS);
                };
                let (d, i) = (s.depth as usize, s.i as usize);
                let not_last = if d >= chain.len() {
                    // The bmap was unlinked by a racing newoverflow: its overflow pointer
                    // still points where it did; the model keeps no such bmap's successors.
                    true
                } else if i == bc - 1 {
                    d + 1 < chain.len() && chain[d + 1].tophash[0] != EMPTY_REST
                } else {
                    chain[d].tophash[i + 1] != EMPTY_REST
                };
                if not_last {
                    note(log, || "the next cell is not emptyRest: notLast".into());
                    g.pc = Pc::CountLoad;
                } else {
                    g.at = Some(s);
                    note(log, || "the rest is empty: emptyRest".into());
                    g.pc = Pc::Rest;
                }
                Stepped::Continue
            }
            Pc::Rest => {
                // Deviation from Go: the store `b.tophash[i] = emptyRest` and the loads
                // that follow it (the previous cell's tophash, the overflow pointers walked
                // from bOrig) are one step: the loads read cells this delete's walk already
                // passed, which another writer changes only while racing on hashWriting.
                let at = g.at.expect("rest");
                let Some(chain) = m
                    .arrays
                    .iter()
                    .nth(at.array as usize)
                    .and_then(|a| a.get(at.chain as usize))
                else {
                    return Stepped::Throw(FAULT_OLDBUCKETS);
                };
                if at.depth as usize >= chain.len() {
                    g.pc = Pc::CountLoad;
                    return Stepped::Continue;
                }
                // The cell before `at` in the chain and its tophash (the store below is to
                // `at` itself, so loading it first reads the same value).
                let (d, i) = (at.depth as usize, at.i as usize);
                let prev = match (d, i) {
                    (0, 0) => None,
                    (d, 0) => Some((d - 1, bc - 1)),
                    (d, i) => Some((d, i - 1)),
                }
                .map(|(d, i)| (d, i, chain[d].tophash[i]));
                if let Some(bm) = bmap_mut(m, at) {
                    bm.tophash[at.i as usize] = EMPTY_REST;
                }
                note(log, || format!("{}.tophash = emptyRest", slot_text(&at)));
                let Some((d, i, top)) = prev else {
                    g.pc = Pc::CountLoad;
                    return Stepped::Continue;
                };
                if top != EMPTY_ONE {
                    g.pc = Pc::CountLoad;
                    return Stepped::Continue;
                }
                g.at = Some(Slot {
                    depth: d as u8,
                    i: i as u8,
                    ..at
                });
                Stepped::Continue
            }
            _ => unreachable!("not a delete step"),
        }
    }

    /// mapdelete's search, one cell per step.
    pub(super) fn delete_walk<const N: usize>(
        &self,
        m: &mut HmapState<N>,
        g: &mut GMap,
        log: &mut Log,
    ) -> Stepped {
        let bc = self.bc();
        let key = key_of(g.op);
        let at = g.at.expect("b");
        let Some(bm) = bmap(m, at) else {
            note(log, || format!("k{key} not found"));
            g.pc = Pc::EndCheck;
            return Stepped::Continue;
        };
        let i = at.i as usize;
        // Deviation from Go: the key and tophash loads of one cell are one step.
        if key == bm.keys[i] && !is_empty(bm.tophash[i]) {
            note(log, || format!("k{key} found at {}", slot_text(&at)));
            g.slot = Some(at);
            g.pc = Pc::ElemClear;
            return Stepped::Continue;
        }
        g.at = Some(next_cell(at, bc));
        Stepped::Continue
    }
}
