//! The steps the operations share on the hmap header, from runtime/map_fast64.go's
//! mapassign_fast64, mapdelete_fast64 and mapaccess2_fast64 (and runtime/map.go's
//! mapiterinit, whose count check this is):
//!
//! ```text
//! entry:  if h == nil || h.count == 0 (load h.count) | if h.flags&hashWriting != 0 { fatal }
//!         (load h.flags) | hash := t.hasher(key, uintptr(h.hash0)) | h.flags ^= hashWriting
//!         (its load, its store)
//! again:  bucket := hash & bucketMask(h.B) (load h.B) | b := h.buckets + bucket (load
//!         h.buckets) | the bucket walk (mapassign's or mapdelete's, one cell per step)
//! exit:   h.count++ / h.count-- (its load, its store) | if h.flags&hashWriting == 0 { fatal }
//!         and the load of h.flags &^= hashWriting | its store
//! ```
//!
//! Interleaving points: every `|` above; the two-step read-modify-writes of `h.flags` and
//! `h.count` are where racing writers lose each other's updates.

use super::*;

impl Steps {
    /// The shared steps: the entry checks, `h.flags ^= hashWriting`, `again:` and the start
    /// of the bucket walk, `h.count++`/`h.count--`, the end check and the flag clear.
    pub(super) fn step_header<const N: usize>(
        &self,
        m: &mut HmapState<N>,
        g: &mut GMap,
        log: &mut Log,
    ) -> Stepped {
        let key = key_of(g.op);
        match g.pc {
            Pc::CheckCount => {
                if m.h.count == 0 {
                    note(log, || "h.count == 0: return".into());
                    return Stepped::Done(match g.op {
                        UOp::Access { .. } => Some((0, false)),
                        _ => None,
                    });
                }
                note(log, || format!("h.count = {}", m.h.count as isize));
                g.pc = match g.op {
                    UOp::Range => Pc::IterInit,
                    _ => Pc::CheckFlags,
                };
                Stepped::Continue
            }
            Pc::CheckFlags => {
                if m.h.flags & HASH_WRITING != 0 {
                    return Stepped::Throw(match g.op {
                        UOp::Access { .. } => THROW_READ_WRITE,
                        _ => THROW_WRITES,
                    });
                }
                note(log, || "h.flags&hashWriting == 0".into());
                g.pc = match g.op {
                    UOp::Access { .. } => Pc::AccessB,
                    _ => Pc::Hash,
                };
                Stepped::Continue
            }
            Pc::Hash => {
                g.hash = self.hash_now(m, key);
                note(log, || format!("hash(k{key}) = {:#x}", g.hash & 0xff));
                g.pc = Pc::FlagsLoad;
                Stepped::Continue
            }
            Pc::FlagsLoad => {
                g.flags = m.h.flags;
                note(log, || format!("load h.flags = {}", g.flags));
                g.pc = Pc::FlagsStore;
                Stepped::Continue
            }
            Pc::FlagsStore => {
                m.h.flags = g.flags ^ HASH_WRITING;
                note(log, || {
                    format!("h.flags = {} ^ hashWriting = {}", g.flags, m.h.flags)
                });
                g.pc = match g.op {
                    UOp::Assign { .. } => Pc::BucketsNil,
                    _ => Pc::Again,
                };
                Stepped::Continue
            }
            Pc::Again => {
                g.bucket = (g.hash as usize & ((1usize << m.h.b) - 1)) as u16;
                note(log, || format!("again: bucket = {}", g.bucket));
                g.pc = Pc::Growing;
                Stepped::Continue
            }
            Pc::WalkStart => {
                let Some(arr) = m.h.buckets else {
                    return Stepped::Throw(FAULT_OLDBUCKETS);
                };
                if Self::chain_len(m, arr, g.bucket).is_none() {
                    return Stepped::Throw(FAULT_OLDBUCKETS);
                }
                g.at = Some(Slot {
                    array: arr,
                    chain: g.bucket,
                    depth: 0,
                    i: 0,
                });
                g.slot = None;
                note(log, || format!("b = h.buckets[{}]", g.bucket));
                g.pc = Pc::Walk;
                Stepped::Continue
            }
            Pc::Walk => match g.op {
                UOp::Assign { .. } => self.assign_walk(m, g, log),
                UOp::Delete { .. } => self.delete_walk(m, g, log),
                _ => unreachable!("only writers walk"),
            },
            Pc::CountLoad => {
                g.count = m.h.count;
                note(log, || format!("load h.count = {}", g.count as isize));
                g.pc = Pc::CountStore;
                Stepped::Continue
            }
            Pc::CountStore => {
                m.h.count = if matches!(g.op, UOp::Assign { .. }) {
                    g.count.wrapping_add(1)
                } else {
                    g.count.wrapping_sub(1)
                };
                note(log, || format!("h.count = {}", m.h.count as isize));
                g.pc = if matches!(g.op, UOp::Delete { .. }) && m.h.count == 0 {
                    // `if h.count == 0`: the compiler tests the value it just stored.
                    Pc::Reseed
                } else {
                    Pc::EndCheck
                };
                Stepped::Continue
            }
            Pc::EndCheck => {
                if m.h.flags & HASH_WRITING == 0 {
                    return Stepped::Throw(THROW_WRITES);
                }
                g.flags = m.h.flags;
                note(log, || {
                    format!("h.flags&hashWriting != 0; load h.flags = {}", g.flags)
                });
                g.pc = Pc::FlagsClear;
                Stepped::Continue
            }
            Pc::FlagsClear => {
                m.h.flags = g.flags & !HASH_WRITING;
                note(log, || {
                    format!("h.flags = {} &^ hashWriting = {}", g.flags, m.h.flags)
                });
                if matches!(g.op, UOp::Assign { .. }) {
                    g.pc = Pc::ElemStore;
                    Stepped::Continue
                } else {
                    Stepped::Done(None)
                }
            }
            _ => unreachable!("not a header step"),
        }
    }
}
