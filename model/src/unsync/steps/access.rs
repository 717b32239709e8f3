//! mapaccess2_fast64 (runtime/map_fast64.go) after its entry steps:
//!
//! ```text
//! if h.B == 0 (b = h.buckets) else the hash and bucket | b = h.buckets + bucket (load
//! h.buckets) | if c := h.oldbuckets; c != nil { if !evacuated(oldb) { b = oldb } } | the
//! chain scan, one cell (or overflow pointer) per step | the caller's load of the elem
//! ```
//!
//! Interleaving points: every `|` above. A reader takes no flag: it can see a key whose
//! elem is not stored yet, and sees a racing writer only at its entry check.

use super::*;

impl Steps {
    /// mapaccess2's steps after its entry checks: the bucket choice, the old bucket, the
    /// chain scan and the caller's elem load.
    pub(super) fn step_access<const N: usize>(
        &self,
        m: &mut HmapState<N>,
        g: &mut GMap,
        log: &mut Log,
    ) -> Stepped {
        let bc = self.bc();
        let key = key_of(g.op);
        match g.pc {
            Pc::AccessB => {
                if m.h.b == 0 {
                    // One-bucket table. No need to hash.
                    // Deviation from Go: the loads of h.B and h.buckets are one step here
                    // (when B is 0; a racing hashGrow stores B before buckets, so a reader
                    // that sees B == 0 and then the new buckets reads its bucket 0, which the
                    // model also reaches by running this step before the grow's stores).
                    let Some(arr) = m.h.buckets else {
                        return Stepped::Throw(FAULT_OLDBUCKETS);
                    };
                    g.at = Some(Slot {
                        array: arr,
                        chain: 0,
                        depth: 0,
                        i: 0,
                    });
                    note(log, || "h.B == 0: b = h.buckets".into());
                    g.pc = Pc::AccessScan;
                } else {
                    // Deviation from Go: the load of h.hash0 for the hash is part of this
                    // step (a reseed happens only at count 0, when a racing reader that got
                    // past its count check finds nothing either way).
                    g.hash = self.hash_now(m, key);
                    g.bucket = (g.hash as usize & ((1usize << m.h.b) - 1)) as u16;
                    g.b = m.h.b;
                    note(log, || {
                        format!("h.B = {}: bucket = hash & m = {}", m.h.b, g.bucket)
                    });
                    g.pc = Pc::AccessBuckets;
                }
                Stepped::Continue
            }
            Pc::AccessBuckets => {
                let Some(arr) = m.h.buckets else {
                    return Stepped::Throw(FAULT_OLDBUCKETS);
                };
                if Self::chain_len(m, arr, g.bucket).is_none() {
                    // h.B was loaded after a racing hashGrow stored it and h.buckets before it
                    // stored the new array: the index is past the old array's end.
                    return Stepped::Throw(FAULT_OLDBUCKETS);
                }
                g.at = Some(Slot {
                    array: arr,
                    chain: g.bucket,
                    depth: 0,
                    i: 0,
                });
                note(log, || format!("b = h.buckets[{}]", g.bucket));
                g.pc = Pc::AccessOld;
                Stepped::Continue
            }
            Pc::AccessOld => {
                // Deviation from Go: the loads of h.oldbuckets, h.flags (sameSizeGrow) and
                // oldb.tophash[0] are one step (loads only).
                if let Some(old) = m.h.oldbuckets {
                    let mut mask = (1usize << g.b) - 1;
                    if m.h.flags & SAME_SIZE_GROW == 0 {
                        // There used to be half as many buckets; mask down one more power.
                        mask >>= 1;
                    }
                    let ob = g.hash as usize & mask;
                    let Some(c) = m.arrays.iter().nth(old as usize).and_then(|a| a.get(ob)) else {
                        return Stepped::Throw(FAULT_OLDBUCKETS);
                    };
                    if !c[0].evacuated() {
                        g.at = Some(Slot {
                            array: old,
                            chain: ob as u16,
                            depth: 0,
                            i: 0,
                        });
                        note(log, || format!("old bucket {ob} not evacuated: b = oldb"));
                    } else {
                        note(log, || format!("old bucket {ob} evacuated"));
                    }
                } else {
                    note(log, || "h.oldbuckets == nil".into());
                }
                g.pc = Pc::AccessScan;
                Stepped::Continue
            }
            Pc::AccessScan => {
                let at = g.at.expect("b");
                let Some(bm) = m
                    .arrays
                    .iter()
                    .nth(at.array as usize)
                    .and_then(|a| a.get(at.chain as usize))
                    .and_then(|c| c.get(at.depth as usize))
                else {
                    note(log, || format!("k{key} not found"));
                    return Stepped::Done(Some((0, false)));
                };
                let i = at.i as usize;
                // Deviation from Go: the key and tophash loads of one cell are one step
                // (both are read to decide this cell; a racing write of the cell between
                // them shows the model either before or after it).
                if bm.keys[i] == key && !is_empty(bm.tophash[i]) {
                    note(log, || format!("k{key} found at {}", slot_text(&at)));
                    g.slot = Some(at);
                    g.pc = Pc::AccessElem;
                    return Stepped::Continue;
                }
                g.at = Some(next_cell(at, bc));
                Stepped::Continue
            }
            Pc::AccessElem => {
                let s = g.slot.expect("found");
                let e = bmap(m, s).map(|b| b.elems[s.i as usize]).unwrap_or(0);
                note(log, || format!("load {}.elem = v{e}", slot_text(&s)));
                Stepped::Done(Some((e, true)))
            }
            _ => unreachable!("not a access step"),
        }
    }
}
