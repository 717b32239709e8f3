//! A range loop: mapiterinit and mapiternext (runtime/map.go):
//!
//! ```text
//! (count check: header.rs) | mapiterinit: it.B, it.buckets, the random start (fastrand)
//! and atomic.Or8(&h.flags, iterator|oldIterator) | each mapiternext: if h.flags&hashWriting
//! != 0 { fatal } | one cell
//! ```
//!
//! Interleaving points: every `|` above; the start bucket and offset are nondeterministic.

use super::*;

impl Steps {
    /// mapiterinit and mapiternext.
    pub(super) fn step_iter<const N: usize>(
        &self,
        m: &mut HmapState<N>,
        g: &mut GMap,
        gid: u8,
        choice: usize,
        log: &mut Log,
    ) -> Stepped {
        let bc = self.bc();
        match g.pc {
            Pc::IterInit => {
                // Deviation from Go: mapiterinit's loads of h.B and h.buckets and its
                // `atomic.Or8(&h.flags, iterator|oldIterator)` are one step; only the flags
                // update is observable by others, and it is atomic in Go.
                if m.h.buckets.is_none() {
                    return Stepped::Throw(FAULT_OLDBUCKETS);
                }
                let nb = 1usize << m.h.b;
                let r = choice % (nb * bc);
                let (start, offset) = ((r % nb) as u16, (r / nb) as u8);
                m.next_iter_id = gid;
                let res = self.machine.mapiterinit_only(m, start, offset, log);
                m.next_iter_id = 0;
                match res {
                    Err(e) => return self.fault(e),
                    // Deviation from Go: mapiterinit tests h.count again here (Go tests it
                    // once, at CheckCount); a map emptied in between ends the loop, as Go's
                    // first mapiternext would on all-empty buckets.
                    Ok(None) => return Stepped::Done(None),
                    Ok(Some(_)) => {}
                }
                note(log, || {
                    format!("mapiterinit: startBucket={start}, offset={offset}")
                });
                g.pc = Pc::IterNext;
                Stepped::Continue
            }
            Pc::IterNext => {
                if m.h.flags & HASH_WRITING != 0 {
                    return Stepped::Throw(THROW_ITER_WRITE);
                }
                note(log, || "mapiternext: h.flags&hashWriting == 0".into());
                g.pc = Pc::IterCell;
                Stepped::Continue
            }
            Pc::IterCell => {
                // Deviation from Go: each step examines one cell with its loads (tophash,
                // key, elem, and for moved entries the whole mapaccessK lookup) and, before
                // a bucket's first cell, mapiternext's loads of h.oldbuckets, h.B and the old
                // bucket's evacuation mark.
                match self.machine.mapiternext_slots(m, gid, 1, log) {
                    Ok(IterNext::Yield(k, e)) => {
                        g.pc = Pc::IterNext;
                        Stepped::Yield(k, e)
                    }
                    Ok(IterNext::Done) => Stepped::Done(None),
                    Ok(IterNext::Pending) => Stepped::Continue,
                    Err(e) => self.fault(e),
                }
            }
            _ => unreachable!("not a iter step"),
        }
    }
}
