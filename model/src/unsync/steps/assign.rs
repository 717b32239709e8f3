//! mapassign_fast64 (runtime/map_fast64.go) after its entry steps, with newoverflow
//! (runtime/map.go):
//!
//! ```text
//! if h.buckets == nil (load) | h.buckets = newobject(t.bucket) (store) | (again:,
//! growWork and b := h.buckets + bucket: header.rs, grow.rs) | bucketloop: one cell per
//! step | the decision to grow (loads of h.oldbuckets, h.count, h.B, h.noverflow) |
//! newoverflow: take h.extra.nextOverflow | h.incrnoverflow() | b.setoverflow(t, ovf) |
//! insertb.tophash[inserti] = tophash(hash) | *insertk = key | (count, end check and flag
//! clear: header.rs) | the caller's store of the elem
//! ```
//!
//! Interleaving points: every `|` above. The elem is stored after mapassign returns, so after
//! hashWriting is cleared. Also the test-only injected defect of NewoverflowLink
//! ([`InjectedDefect::OverflowLinkIntoCurrentBuckets`]).

use super::*;

impl Steps {
    /// mapassign's own steps: `h.buckets == nil`, the decision to grow, newoverflow, the slot
    /// writes and the caller's elem store.
    pub(super) fn step_assign<const N: usize>(
        &self,
        m: &mut HmapState<N>,
        g: &mut GMap,
        log: &mut Log,
    ) -> Stepped {
        let key = key_of(g.op);
        match g.pc {
            Pc::BucketsNil => {
                if m.h.buckets.is_none() {
                    note(log, || "h.buckets == nil".into());
                    g.pc = Pc::Newobject;
                } else {
                    note(log, || "h.buckets != nil".into());
                    g.pc = Pc::Again;
                }
                Stepped::Continue
            }
            Pc::Newobject => {
                // Deviation from Go: none in the order; newobject's bmap is fresh memory, so
                // allocating it here (not in the load step) is invisible to others.
                m.arrays.push(BucketArray::new(1));
                m.h.buckets = Some((m.arrays.len() - 1) as ArrayId);
                note(log, || "h.buckets = newobject(t.bucket)".into());
                g.pc = Pc::Again;
                Stepped::Continue
            }
            Pc::GrowCheck => {
                // Deviation from Go: the loads of h.oldbuckets, h.count, h.B and h.noverflow
                // of this one condition are one step (loads only; a racing store between
                // them could at most change whether this goroutine grows, which a store
                // just before or after the step can also do).
                if m.h.oldbuckets.is_none()
                    && (self
                        .machine
                        .geo
                        .over_load_factor(m.h.count.wrapping_add(1), m.h.b)
                        || too_many_overflow_buckets(m.h.noverflow, m.h.b))
                {
                    note(log, || format!("k{key} not found: start growing"));
                    g.pc = Pc::GrowLoad;
                } else if g.slot.is_some() {
                    let s = g.slot.unwrap();
                    note(log, || {
                        format!("k{key} not found: insert at {}", slot_text(&s))
                    });
                    g.pc = Pc::SlotTophash;
                } else {
                    note(log, || format!("k{key} not found: chain full"));
                    g.pc = Pc::NewoverflowTake;
                }
                Stepped::Continue
            }
            Pc::NewoverflowTake => {
                g.prealloc = self.take_overflow(m);
                note(log, || {
                    if g.prealloc {
                        "newoverflow: ovf = h.extra.nextOverflow".into()
                    } else {
                        "newoverflow: ovf = newobject(t.bucket)".into()
                    }
                });
                g.pc = Pc::NewoverflowIncr;
                Stepped::Continue
            }
            Pc::NewoverflowIncr => {
                // Deviation from Go: incrnoverflow's load and store of h.noverflow are one
                // step (a lost increment only changes the same-size-grow heuristic, which
                // the model explores by its own races on the other fields).
                m.h.noverflow = m.h.noverflow.wrapping_add(1);
                note(log, || {
                    format!("h.incrnoverflow(): noverflow={}", m.h.noverflow)
                });
                g.pc = Pc::NewoverflowLink;
                Stepped::Continue
            }
            Pc::NewoverflowLink
                if self.injected_defect == InjectedDefect::OverflowLinkIntoCurrentBuckets =>
            {
                self.injected_overflow_link(m, g, log)
            }
            Pc::NewoverflowLink => {
                // b.setoverflow(t, ovf): b is the last bmap the walk saw, in the array it
                // walked, whatever h.buckets is now.
                let b = g.at.expect("walked");
                let Some(len) = Self::chain_len(m, b.array, b.chain) else {
                    return Stepped::Throw(FAULT_OLDBUCKETS);
                };
                let d = Self::link_overflow(m, b.array, b.chain, b.depth as usize, len, g);
                let s = Slot {
                    array: b.array,
                    chain: b.chain,
                    depth: d as u8,
                    i: 0,
                };
                g.slot = Some(s);
                note(log, || {
                    format!(
                        "b.setoverflow(ovf): bucket {} overflow {d}{}{}",
                        b.chain,
                        if len > b.depth as usize + 1 {
                            format!(
                                " (unlinks {} overflow bucket(s) linked since)",
                                len - b.depth as usize - 1
                            )
                        } else {
                            String::new()
                        },
                        array_note(m, b.array)
                    )
                });
                g.pc = Pc::SlotTophash;
                Stepped::Continue
            }
            Pc::SlotTophash => {
                let s = g.slot.expect("insert slot");
                let top = tophash(g.hash);
                if let Some(bm) = bmap_mut(m, s) {
                    bm.tophash[s.i as usize] = top;
                }
                note(log, || format!("{}.tophash = {top:#x}", slot_text(&s)));
                g.pc = Pc::SlotKey;
                Stepped::Continue
            }
            Pc::SlotKey => {
                let s = g.slot.expect("insert slot");
                if let Some(bm) = bmap_mut(m, s) {
                    bm.keys[s.i as usize] = key;
                }
                note(log, || {
                    format!("{}.key = k{key}{}", slot_text(&s), array_note(m, s.array))
                });
                g.pc = Pc::CountLoad;
                Stepped::Continue
            }
            Pc::ElemStore => {
                let UOp::Assign { elem, .. } = g.op else {
                    unreachable!()
                };
                let s = g.slot.expect("mapassign returned a slot");
                if let Some(bm) = bmap_mut(m, s) {
                    bm.elems[s.i as usize] = elem as u64;
                }
                note(log, || {
                    format!(
                        "*elem = v{elem} ({}{})",
                        slot_text(&s),
                        array_note(m, s.array)
                    )
                });
                Stepped::Done(None)
            }
            _ => unreachable!("not a assign step"),
        }
    }

    /// `if h.extra != nil && h.extra.nextOverflow != nil`: takes a preallocated bmap.
    pub(super) fn take_overflow<const N: usize>(&self, m: &mut HmapState<N>) -> bool {
        if m.h.prealloc_left > 0 {
            m.h.prealloc_left -= 1;
            true
        } else {
            false
        }
    }

    /// `b.setoverflow(t, ovf)` for the bmap at `depth` of chain `chain` of array `arr`: a
    /// fresh bmap becomes its successor. Whatever was linked after it (by a racing goroutine
    /// since this one saw `b` as the chain's end) is unlinked: those bmaps move to an array
    /// of their own, where goroutines holding pointers into them still find them. Returns
    /// the new bmap's depth.
    pub(super) fn link_overflow<const N: usize>(
        m: &mut HmapState<N>,
        arr: ArrayId,
        chain: u16,
        depth: usize,
        len: usize,
        g: &mut GMap,
    ) -> usize {
        if depth + 1 < len {
            let orphans = m.arrays[arr as usize].split_chain(chain as usize, depth + 1);
            let to = m.arrays.len() as ArrayId;
            m.arrays.push(BucketArray::from_chains([orphans]));
            let u = Unlink {
                array: arr,
                chain,
                depth: depth as u8,
                to,
            };
            g.at.iter_mut().for_each(|s| u.remap(s));
            g.slot.iter_mut().for_each(|s| u.remap(s));
            for it in &mut m.iters {
                // No unsync step has a mapclear, so no iterator stands in a preallocated
                // bucket no chain links (Bptr::FreeOverflow).
                if let Some(Bptr::Bmap(p)) = &mut it.bptr {
                    let mut s = Slot {
                        array: p.array,
                        chain: p.chain,
                        depth: p.depth,
                        i: 0,
                    };
                    u.remap(&mut s);
                    *p = BucketPtr {
                        array: s.array,
                        chain: s.chain,
                        depth: s.depth,
                    };
                }
            }
            g.unlinked = Some(u);
        }
        m.arrays[arr as usize].push_bmap(chain as usize, Bmap::default())
    }

    /// TEST-ONLY INJECTED DEFECT ([`InjectedDefect::OverflowLinkIntoCurrentBuckets`]), run
    /// only when a test sets it: the model's old NewoverflowLink. It links the new bmap into
    /// chain `g.bucket` of the current `h.buckets`, truncated to the length the walk saw
    /// (`b`'s depth + 1), instead of after `b` in the array walked.
    pub(super) fn injected_overflow_link<const N: usize>(
        &self,
        m: &mut HmapState<N>,
        g: &mut GMap,
        log: &mut Log,
    ) -> Stepped {
        let b = g.at.expect("walked");
        let Some(arr) = m.h.buckets else {
            return Stepped::Throw(FAULT_OLDBUCKETS);
        };
        let Some(len) = Self::chain_len(m, arr, g.bucket) else {
            return Stepped::Throw(FAULT_OLDBUCKETS);
        };
        // The old step truncated the chain to the walk's length and appended to it: the new
        // bmap follows the one at depth min(b's depth, len - 1). (link_overflow moves what
        // it cuts off to an array of its own instead of dropping it, so that other
        // goroutines' pointers stay valid; nothing reaches those bmaps from the map either
        // way.)
        let depth = (b.depth as usize).min(len - 1);
        let d = Self::link_overflow(m, arr, g.bucket, depth, len, g);
        g.slot = Some(Slot {
            array: arr,
            chain: g.bucket,
            depth: d as u8,
            i: 0,
        });
        note(log, || {
            format!(
                "(injected defect) h.buckets[{}].setoverflow(ovf): overflow {d}",
                g.bucket
            )
        });
        g.pc = Pc::SlotTophash;
        Stepped::Continue
    }

    /// mapassign's bucketloop, one cell per step.
    pub(super) fn assign_walk<const N: usize>(
        &self,
        m: &mut HmapState<N>,
        g: &mut GMap,
        log: &mut Log,
    ) -> Stepped {
        let bc = self.bc();
        let key = key_of(g.op);
        let at = g.at.expect("b");
        let Some(chain) = m
            .arrays
            .iter()
            .nth(at.array as usize)
            .and_then(|a| a.get(at.chain as usize))
        else {
            return Stepped::Throw(FAULT_OLDBUCKETS);
        };
        let Some(bm) = chain.get(at.depth as usize) else {
            // b was unlinked from this chain by a racing newoverflow (the model moved it to
            // an array of its own, see link_overflow): its overflow pointer is gone too.
            g.pc = Pc::GrowCheck;
            return Stepped::Continue;
        };
        let i = at.i as usize;
        // Deviation from Go: the tophash and key loads of one cell are one step (a racing
        // write of the cell between them is explored before and after this step).
        let top = bm.tophash[i];
        if is_empty(top) {
            if g.slot.is_none() {
                g.slot = Some(at);
            }
            if top == EMPTY_REST {
                note(log, || format!("{}: emptyRest: break", slot_text(&at)));
                g.pc = Pc::GrowCheck;
                return Stepped::Continue;
            }
        } else if bm.keys[i] == key {
            note(log, || {
                format!("k{key} found at {}: update", slot_text(&at))
            });
            g.slot = Some(at);
            g.found = true;
            g.pc = Pc::EndCheck;
            return Stepped::Continue;
        }
        if i + 1 < bc {
            g.at = Some(Slot { i: at.i + 1, ..at });
            return Stepped::Continue;
        }
        // `ovf := b.overflow(t)`: part of the last cell's step.
        if at.depth as usize + 1 < chain.len() {
            g.at = Some(Slot {
                depth: at.depth + 1,
                i: 0,
                ..at
            });
        } else {
            // b stays the last bmap: newoverflow links after it.
            g.at = Some(Slot { i: 0, ..at });
            g.pc = Pc::GrowCheck;
        }
        Stepped::Continue
    }
}
