//! Which of a goroutine's registers (Go's locals, [`GMap`]) a later step can still read, at
//! each step of each operation: the table behind `clear_dead_registers`.
//!
//! A register is *live* at a step if that step, or a step after it in the same operation,
//! reads it before any step writes it again. Every other register is *dead*: no step of
//! this goroutine will read the value it holds, and no other goroutine reads another's
//! registers. With `clear_dead_registers = true` the model sets every dead register to its
//! initial value (zero, `None`, `false`) after each step, so states that differ only in
//! values nobody will read become one state. This is dead-variable reduction: each cleared
//! state has exactly the futures of the states it stands for, with the same map, ghost and
//! verdicts, so no verdict and no counterexample's steps change; only the registers shown
//! in a counterexample's goroutine lines read zero where they are dead.
//!
//! The table is written from the steps' code (the `g.*` reads in `header.rs`, `assign.rs`,
//! `delete.rs`, `access.rs`, `grow.rs`), in Go's order:
//!
//! ```text
//! flags    h.flags loaded for a read-modify-write: read only by the store that follows
//!          its load (FlagsStore, FlagsClear, EvacFlagsStore)
//! count    h.count loaded for count++/count--: read only by CountStore
//! found    mapassign found the key: never read (the pc already says it)
//! prealloc newoverflow's bucket came from nextOverflow: never read (only the step's log)
//! b        mapaccess2's h.B: read by AccessOld
//! hash     mapassign: read at again: (after a hashGrow too) and by the slot's tophash
//!          store, so live from its load to SlotTophash; mapdelete: read only at again:;
//!          mapaccess2: read by AccessBuckets and AccessOld; range: never
//! bucket   written at again:, read by growWork's first evacuate and by the walk's start;
//!          mapaccess2: by AccessBuckets
//! at       the walk's bmap and cell: read by the walk, by newoverflow's link (mapassign)
//!          and by the emptyRest loop (mapdelete); mapaccess2: by the scan, and kept by
//!          AccessOld when the old bucket is evacuated
//! slot     mapassign's insertb/inserti or the key's cell: read by the walk, the grow
//!          check, the slot stores and the caller's elem store; mapdelete's cell: read by
//!          the clears and the emptyRest check; mapaccess2's: by the elem load
//! ```
//!
//! evacuate's locals (`evac`), per part:
//!
//! ```text
//! source   the old bucket and newbit: read by every step up to advanceEvacuationMark
//! cursor   the old cell (d, i) and the X/Y destinations: read by the cell loop, from the
//!          first cell to the last elem copy
//! top      the cell's tophash: read by the destination's tophash store
//! key      the cell's key: read by the destination's key store
//! use_y    X or Y: read by the destination stores and the elem copy
//! second   growWork's second evacuate or the first: read when the evacuate ends (kept)
//! old, new the arrays: kept while `evac` is set (an array number has no neutral value:
//!          a cleared 0 would name, and keep alive, array 0 when the map is canonicalized)
//! ```
//!
//! `grow` and `unlinked` need no entry: the steps already set them to `None` when their
//! hashGrow or unlink is over, as they set `evac` to `None` when its evacuate is.
//!
//! `tests.rs` checks the table against the model on configurations that reach every step:
//! the states reached with the clearing are exactly the cleared states reached without it,
//! and every property gives the same value on a state and on its cleared state. A register
//! wrongly marked dead fails that check (the test shows it with one).

use super::{GMap, Pc, UOp};

/// The registers that a step, or a later one of the same operation, can still read (the
/// default: none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Live {
    pub flags: bool,
    pub count: bool,
    pub b: bool,
    pub hash: bool,
    pub bucket: bool,
    pub at: bool,
    pub slot: bool,
    /// evacuate's old bucket and newbit.
    pub evac_source: bool,
    /// evacuate's old cell and destinations.
    pub evac_cursor: bool,
    pub evac_top: bool,
    pub evac_key: bool,
    pub evac_use_y: bool,
}

/// The live registers of a goroutine performing `op` whose next step is `pc`.
pub fn live(op: UOp, pc: Pc) -> Live {
    let none = Live::default();
    let assign = matches!(op, UOp::Assign { .. });
    let delete = matches!(op, UOp::Delete { .. });
    let access = matches!(op, UOp::Access { .. });
    // mapassign's insert slot (or found cell), read up to the caller's elem store.
    let assign_slot = Live {
        slot: assign,
        ..none
    };
    // growWork's evacuations: mapassign still needs its hash (again: follows), both
    // writers the bucket (WalkStart follows).
    let evacuating = Live {
        hash: assign,
        bucket: true,
        ..none
    };
    // Every arm is spelled out (no `_`), so that a new step must be given its entry.
    match pc {
        // The entry checks come before any register is written.
        Pc::CheckCount | Pc::CheckFlags | Pc::Hash => none,
        Pc::FlagsLoad | Pc::BucketsNil | Pc::Newobject | Pc::Again => Live { hash: true, ..none },
        Pc::FlagsStore => Live {
            flags: true,
            hash: true,
            ..none
        },
        // No evacuate local but `second` is read here: before EvacStart, which writes them,
        // or after advanceEvacuationMark.
        Pc::Growing | Pc::EvacStart | Pc::EvacFreeOld | Pc::EvacFlagsLoad | Pc::GrowWork2 => {
            evacuating
        }
        // The cell loop: a new cell's step writes top, key and use_y.
        Pc::EvacCell => Live {
            evac_source: true,
            evac_cursor: true,
            ..evacuating
        },
        Pc::EvacOverflow | Pc::EvacDstTophash => Live {
            evac_source: true,
            evac_cursor: true,
            evac_top: true,
            evac_key: true,
            evac_use_y: true,
            ..evacuating
        },
        Pc::EvacDstKey => Live {
            evac_source: true,
            evac_cursor: true,
            evac_key: true,
            evac_use_y: true,
            ..evacuating
        },
        Pc::EvacDstElem => Live {
            evac_source: true,
            evac_cursor: true,
            evac_use_y: true,
            ..evacuating
        },
        // advanceEvacuationMark: `oldbucket == h.nevacuate`, and newbit.
        Pc::EvacMark => Live {
            evac_source: true,
            ..evacuating
        },
        Pc::EvacFlagsStore => Live {
            flags: true,
            ..evacuating
        },
        Pc::WalkStart => Live {
            hash: assign,
            bucket: true,
            ..none
        },
        // mapassign's walk, the decision to grow and newoverflow. `bucket` stays live to
        // newoverflow's link for the test-only injected defect, which links by it
        // (`InjectedDefect::OverflowLinkIntoCurrentBuckets`); the walk's `at` names the same
        // chain, so keeping it live merges no fewer states.
        Pc::Walk => Live {
            hash: assign,
            bucket: assign,
            at: true,
            slot: assign,
            ..none
        },
        Pc::GrowCheck => Live {
            hash: true,
            bucket: true,
            at: true,
            slot: true,
            ..none
        },
        // hashGrow ends with `goto again`, which reads the hash and rewrites the rest.
        Pc::GrowLoad
        | Pc::GrowSameSize
        | Pc::GrowAlloc
        | Pc::GrowStoreB
        | Pc::GrowStoreFlags
        | Pc::GrowStoreOldbuckets
        | Pc::GrowStoreBuckets
        | Pc::GrowStoreNevacuate
        | Pc::GrowStoreNoverflow => Live { hash: true, ..none },
        // newoverflow's link writes the insert slot.
        Pc::NewoverflowTake | Pc::NewoverflowIncr | Pc::NewoverflowLink => Live {
            hash: true,
            bucket: true,
            at: true,
            ..none
        },
        Pc::SlotTophash => Live {
            hash: true,
            slot: true,
            ..none
        },
        Pc::SlotKey | Pc::EndCheck | Pc::CountLoad | Pc::ElemStore => assign_slot,
        Pc::CountStore => Live {
            count: true,
            ..assign_slot
        },
        Pc::FlagsClear => Live {
            flags: true,
            ..assign_slot
        },
        Pc::Reseed => none,
        Pc::ElemClear | Pc::EmptyOne | Pc::RestCheck => Live {
            slot: delete,
            ..none
        },
        Pc::Rest => Live { at: true, ..none },
        Pc::AccessB => none,
        Pc::AccessBuckets => Live {
            hash: true,
            bucket: true,
            b: true,
            ..none
        },
        Pc::AccessOld => Live {
            hash: true,
            b: true,
            at: true,
            ..none
        },
        Pc::AccessScan => Live { at: true, ..none },
        Pc::AccessElem => Live {
            slot: access,
            ..none
        },
        Pc::IterInit | Pc::IterNext | Pc::IterCell => none,
    }
}

impl GMap {
    /// Sets every register [`live`] does not list to its initial value (see the module's
    /// header). `found` and `prealloc` are never read, so always cleared.
    pub fn clear_dead_registers(&mut self) {
        self.clear_dead_by(live(self.op, self.pc));
    }

    /// Clears the registers `l` does not list.
    pub fn clear_dead_by(&mut self, l: Live) {
        let init = GMap::new(self.op);
        if !l.flags {
            self.flags = init.flags;
        }
        if !l.count {
            self.count = init.count;
        }
        if !l.b {
            self.b = init.b;
        }
        if !l.hash {
            self.hash = init.hash;
        }
        if !l.bucket {
            self.bucket = init.bucket;
        }
        if !l.at {
            self.at = init.at;
        }
        if !l.slot {
            self.slot = init.slot;
        }
        if let Some(e) = &mut self.evac {
            let none = super::Steps::no_evac();
            if !l.evac_source {
                (e.oldbucket, e.newbit) = (none.oldbucket, none.newbit);
            }
            if !l.evac_cursor {
                (e.d, e.i, e.xy) = (none.d, none.i, none.xy);
            }
            if !l.evac_top {
                e.top = none.top;
            }
            if !l.evac_key {
                e.key = none.key;
            }
            if !l.evac_use_y {
                e.use_y = none.use_y;
            }
        }
        self.found = init.found;
        self.prealloc = init.prealloc;
    }
}
