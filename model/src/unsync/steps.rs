//! The steps of the `unsync` model: Go 1.19's mapassign_fast64, mapdelete_fast64,
//! mapaccess2_fast64, growWork_fast64/evacuate_fast64, hashGrow, newoverflow and
//! mapiterinit/mapiternext, cut wherever Go's code loads or stores a word another goroutine
//! can observe (the hmap header's fields, a tophash byte, a key, an elem, an overflow
//! pointer), in Go's order.
//!
//! One call of [`Steps::step`] is one such access (plus the goroutine-local computation
//! around it, which no other goroutine can see: merging it is sound). Where a step still does
//! more than one shared access, the spot says `// Deviation from Go:` and why.
//!
//! Registers ([`GMap`]) are Go's locals: `hash`, `bucket`, `b` (the bmap being walked),
//! `insertb/inserti`, the evacuation destinations `xy`, hashGrow's `flags` and
//! `newbuckets`, mapdelete's `bOrig`. A goroutine keeps using the array it loaded even after
//! another goroutine replaced `h.buckets`: that is how Go loses writes under races.
//!
//! Follows Go 1.19.8: runtime/map_fast64.go (mapaccess2_fast64, mapassign_fast64,
//! mapdelete_fast64, growWork_fast64, evacuate_fast64), runtime/map.go (hashGrow,
//! newoverflow, advanceEvacuationMark, mapiterinit, mapiternext).

use crate::framework::log::{note, Log};
use crate::hmap::state::*;
use crate::hmap::steps::{too_many_overflow_buckets, IterNext, Machine, StepError};

/// A Go operation a goroutine performs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum UOp {
    /// `m[k] = v`.
    Assign { key: u8, elem: u8 },
    /// `delete(m, k)`.
    Delete { key: u8 },
    /// `v, ok := m[k]`.
    Access { key: u8 },
    /// `for k, v := range m {}`.
    Range,
}

impl UOp {
    pub fn writes(&self) -> bool {
        matches!(self, UOp::Assign { .. } | UOp::Delete { .. })
    }
    pub fn key(&self) -> u64 {
        match *self {
            UOp::Assign { key, .. } | UOp::Delete { key } | UOp::Access { key } => key as u64,
            UOp::Range => 0,
        }
    }
}

impl std::fmt::Display for UOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UOp::Assign { key, elem } => write!(f, "mapassign(k{key}, v{elem})"),
            UOp::Delete { key } => write!(f, "mapdelete(k{key})"),
            UOp::Access { key } => write!(f, "mapaccess2(k{key})"),
            UOp::Range => write!(f, "range m"),
        }
    }
}

/// Where a goroutine is inside its operation: the next step it takes, named after the Go
/// statement it performs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Pc {
    /// `if h == nil || h.count == 0` (mapdelete, mapaccess2, mapiterinit): load h.count.
    CheckCount,
    /// `if h.flags&hashWriting != 0 { fatal(...) }`: load h.flags.
    CheckFlags,
    /// `hash := t.hasher(key, uintptr(h.hash0))`: load h.hash0.
    Hash,
    /// `h.flags ^= hashWriting`: its load...
    FlagsLoad,
    /// ...and its store.
    FlagsStore,
    /// mapassign: `if h.buckets == nil`: load h.buckets.
    BucketsNil,
    /// mapassign: `h.buckets = newobject(t.bucket)`: store h.buckets.
    Newobject,
    /// `again: bucket := hash & bucketMask(h.B)`: load h.B.
    Again,
    /// `if h.growing()`: load h.oldbuckets.
    Growing,
    /// evacuate_fast64 entry: `b := h.oldbuckets + oldbucket`, `newbit := h.noldbuckets()`,
    /// `if !evacuated(b)`, `x.b = h.buckets + oldbucket`.
    EvacStart,
    /// evacuate: one old cell: `top := b.tophash[i]`; empty: `b.tophash[i] =
    /// evacuatedEmpty`; else hash the key and `b.tophash[i] = evacuatedX + useY`.
    EvacCell,
    /// evacuate: `dst.b = h.newoverflow(t, dst.b)` when the destination bmap is full.
    EvacOverflow,
    /// evacuate: `dst.b.tophash[dst.i] = top`.
    EvacDstTophash,
    /// evacuate: `*(*uint64)(dst.k) = *(*uint64)(k)`.
    EvacDstKey,
    /// evacuate: `typedmemmove(t.elem, dst.e, e)`.
    EvacDstElem,
    /// evacuate: `if oldbucket == h.nevacuate { advanceEvacuationMark(h, t, newbit) }`:
    /// `h.nevacuate++` and the scan past evacuated buckets.
    EvacMark,
    /// advanceEvacuationMark: `h.oldbuckets = nil`.
    EvacFreeOld,
    /// advanceEvacuationMark: `h.flags &^= sameSizeGrow`, its load...
    EvacFlagsLoad,
    /// ...and its store.
    EvacFlagsStore,
    /// growWork: `if h.growing() { evacuate(t, h, h.nevacuate) }`: load h.oldbuckets.
    GrowWork2,
    /// `b := (*bmap)(add(h.buckets, bucket*uintptr(t.bucketsize)))`: load h.buckets.
    WalkStart,
    /// The bucket walk, one cell: load its tophash (and key); at the end of a bmap, its
    /// overflow pointer.
    Walk,
    /// mapassign: `if !h.growing() && (overLoadFactor(h.count+1, h.B) ||
    /// tooManyOverflowBuckets(h.noverflow, h.B))`.
    GrowCheck,
    /// hashGrow: `if !overLoadFactor(h.count+1, h.B) { bigger = 0; h.flags |= sameSizeGrow }`:
    /// the loads (and the flags load of the `|=`)...
    GrowLoad,
    /// ...the store of `h.flags |= sameSizeGrow`.
    GrowSameSize,
    /// hashGrow: `oldbuckets := h.buckets`, makeBucketArray, `flags := h.flags &^ (iterator |
    /// oldIterator)`.
    GrowAlloc,
    /// hashGrow: `h.B += bigger`.
    GrowStoreB,
    /// hashGrow: `h.flags = flags`.
    GrowStoreFlags,
    /// hashGrow: `h.oldbuckets = oldbuckets`.
    GrowStoreOldbuckets,
    /// hashGrow: `h.buckets = newbuckets`.
    GrowStoreBuckets,
    /// hashGrow: `h.nevacuate = 0`.
    GrowStoreNevacuate,
    /// hashGrow: `h.noverflow = 0` and the extra's overflow fields; then `goto again`.
    GrowStoreNoverflow,
    /// newoverflow: take `h.extra.nextOverflow` (or allocate a new bmap).
    NewoverflowTake,
    /// newoverflow: `h.incrnoverflow()`.
    NewoverflowIncr,
    /// newoverflow: `b.setoverflow(t, ovf)`: link it after the bmap the walk ended on.
    NewoverflowLink,
    /// mapassign: `insertb.tophash[inserti] = tophash(hash)`.
    SlotTophash,
    /// mapassign: `*(*uint64)(insertk) = key`.
    SlotKey,
    /// mapdelete: `memclrNoHeapPointers(e, t.elem.size)`.
    ElemClear,
    /// mapdelete: `b.tophash[i] = emptyOne`.
    EmptyOne,
    /// mapdelete: whether the cell after it is emptyRest (`b.tophash[i+1]`, or the overflow
    /// bucket's `tophash[0]`).
    RestCheck,
    /// mapdelete: `b.tophash[i] = emptyRest` and the move to the previous cell.
    Rest,
    /// `h.count++` / `h.count--`: its load...
    CountLoad,
    /// ...and its store.
    CountStore,
    /// mapdelete: `if h.count == 0 { h.hash0 = fastrand() }`.
    Reseed,
    /// `if h.flags&hashWriting == 0 { fatal(...) }` and the load of `h.flags &^=
    /// hashWriting` (the compiler reuses one load for both).
    EndCheck,
    /// The store of `h.flags &^= hashWriting`.
    FlagsClear,
    /// The caller stores the elem through the pointer mapassign returned.
    ElemStore,
    /// mapaccess2: `if h.B == 0` (one bucket: `b = h.buckets`), else the hash.
    AccessB,
    /// mapaccess2: `b = h.buckets + (hash&m)*bucketsize`: load h.buckets.
    AccessBuckets,
    /// mapaccess2: `if c := h.oldbuckets; c != nil { ... if !evacuated(oldb) { b = oldb } }`.
    AccessOld,
    /// mapaccess2: one cell of the chain (and the overflow pointer at a bmap's end).
    AccessScan,
    /// The caller reads the elem through the pointer mapaccess2 returned.
    AccessElem,
    /// mapiterinit: `it.B = h.B`, `it.buckets = h.buckets`, the random start, and
    /// `atomic.Or8(&h.flags, iterator|oldIterator)`.
    IterInit,
    /// mapiternext: `if h.flags&hashWriting != 0 { fatal(...) }`.
    IterNext,
    /// mapiternext: one cell.
    IterCell,
}

/// A cell (or with i = 0, a bmap) some goroutine holds a pointer into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Slot {
    pub array: ArrayId,
    pub chain: u16,
    pub depth: u8,
    pub i: u8,
}

/// An evacuation in progress (evacuate_fast64's locals).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Evac {
    /// growWork's second evacuate (of h.nevacuate), not the first.
    pub second: bool,
    pub oldbucket: u16,
    /// `newbit := h.noldbuckets()`.
    pub newbit: u16,
    /// The old array `b` points into.
    pub old: ArrayId,
    /// The new array the destinations point into.
    pub new: ArrayId,
    /// The old cell: (depth, i).
    pub d: u8,
    pub i: u8,
    /// `xy[0..2]`: (chain, depth, next slot) of the X and Y destinations.
    pub xy: [(u16, u8, u8); 2],
    /// The cell being moved: its tophash, key and `useY`.
    pub top: u8,
    pub key: u64,
    pub use_y: u8,
}

/// hashGrow's locals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Grow {
    pub bigger: u8,
    /// `oldbuckets := h.buckets`.
    pub old: Option<ArrayId>,
    /// `newbuckets`, allocated but not yet published.
    pub new: ArrayId,
    /// `flags := h.flags &^ (iterator | oldIterator)` (| oldIterator).
    pub flags: u8,
    /// The B loaded for `h.B += bigger`.
    pub b: u8,
}

/// A goroutine's operation in progress and its registers (Go's locals).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct GMap {
    pub op: UOp,
    pub pc: Pc,
    /// The loaded h.flags of a read-modify-write.
    pub flags: u8,
    /// The loaded h.count of `count++` / `count--`.
    pub count: usize,
    /// `hash := t.hasher(key, uintptr(h.hash0))`.
    pub hash: u64,
    /// `bucket := hash & bucketMask(h.B)`.
    pub bucket: u16,
    /// The bmap and cell the walk is at (mapassign: `b` with the cell; mapdelete: `b`, the
    /// cell; mapaccess2: `b`).
    pub at: Option<Slot>,
    /// mapassign: `insertb/inserti` (mapaccess2 and mapdelete: the cell found).
    pub slot: Option<Slot>,
    /// mapassign: the key was found (update), so no count++.
    pub found: bool,
    pub evac: Option<Evac>,
    pub grow: Option<Grow>,
    /// newoverflow: the bmap it hands out came from the preallocated ones.
    pub prealloc: bool,
    /// mapaccess2: the h.B it loaded (for the old bucket's mask).
    pub b: u8,
    /// Set by a step whose newoverflow unlinked bmaps that other goroutines may point
    /// into; the model moves their pointers along and clears it.
    pub unlinked: Option<Unlink>,
}

/// Bmaps after `depth` of chain `chain` of array `array` moved to array `to` (chain 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Unlink {
    pub array: ArrayId,
    pub chain: u16,
    pub depth: u8,
    pub to: ArrayId,
}

impl Unlink {
    /// Moves a pointer into the unlinked bmaps along.
    pub fn remap(&self, s: &mut Slot) {
        if s.array == self.array && s.chain == self.chain && s.depth > self.depth {
            *s = Slot {
                array: self.to,
                chain: 0,
                depth: s.depth - self.depth - 1,
                i: s.i,
            };
        }
    }
}

impl GMap {
    pub fn new(op: UOp) -> Self {
        GMap {
            op,
            pc: match op {
                UOp::Assign { .. } => Pc::CheckFlags,
                _ => Pc::CheckCount,
            },
            flags: 0,
            count: 0,
            hash: 0,
            bucket: 0,
            at: None,
            slot: None,
            found: false,
            evac: None,
            grow: None,
            prealloc: false,
            b: 0,
            unlinked: None,
        }
    }
}

/// What a step ended with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stepped {
    /// The operation goes on.
    Continue,
    /// A range loop round yielded (key, elem).
    Yield(u64, u64),
    /// The operation returned; for mapaccess2 (elem, ok).
    Done(Option<(u64, bool)>),
    /// Go threw: the program dies with this message.
    Throw(&'static str),
}

pub const THROW_WRITES: &str = "concurrent map writes";
pub const THROW_READ_WRITE: &str = "concurrent map read and map write";
pub const THROW_ITER_WRITE: &str = "concurrent map iteration and map write";
pub const THROW_BAD_MAP_STATE: &str = "bad map state";
/// Not a Go message: Go would index a bucket array past its end (a racing goroutine changed
/// h.B, the sameSizeGrow flag or the arrays between this goroutine's loads) or follow a nil
/// array; it reads or writes memory outside the map and may fault. The model stops there.
pub const FAULT_OLDBUCKETS: &str =
    "memory fault: a bucket index past the end of its array, or a nil bucket array";

/// A defect deliberately put back into the steps, so that a test can show which check
/// catches it. Test-only: no spec parameter sets it, and the default is [`InjectedDefect::None`]
/// (the model as it should be).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InjectedDefect {
    /// The model as it should be.
    #[default]
    None,
    /// TEST-ONLY INJECTED DEFECT, the model's old overflow-linking bug: mapassign's
    /// newoverflow links the new bmap into the chain of bucket `bucket` (the index computed
    /// from the hash at `again:`) of whatever `h.buckets` is *now*, truncating that chain at
    /// the length the walk saw, instead of after the bmap `b` the walk ended on (Go:
    /// `newoverflow(t, b)` in mapassign_fast64). One goroutine cannot tell the two apart; a
    /// hashGrow by another goroutine between the walk and the link can
    /// (model/tests/unsync_injected_defect.rs).
    OverflowLinkIntoCurrentBuckets,
}

/// The step machine: Go's map operations cut at their interleaving points.
#[derive(Clone, Debug)]
pub struct Steps {
    pub machine: Machine,
    /// Test-only: a defect put back on purpose (see [`InjectedDefect`]); `None` normally.
    #[doc(hidden)]
    pub injected_defect: InjectedDefect,
}

fn key_of(op: UOp) -> u64 {
    op.key()
}

impl Steps {
    pub fn new(geo: crate::hmap::steps::Geometry) -> Self {
        Steps {
            machine: Machine {
                geo,
                track: Default::default(),
                go: Default::default(),
            },
            injected_defect: InjectedDefect::None,
        }
    }

    fn bc(&self) -> usize {
        self.machine.geo.bucket_cnt
    }

    /// How many nondeterministic choices the goroutine's next step has (fastrand): the new
    /// hash function of a reseed, the start bucket and offset of mapiterinit.
    pub fn choices(&self, m: &HmapState, g: &GMap, hash_fns: usize) -> usize {
        match g.pc {
            Pc::Reseed => hash_fns.max(1),
            Pc::IterInit => (1usize << m.h.b) * self.bc(),
            _ => 1,
        }
    }

    /// Takes goroutine `gid`'s next step; `choice` picks among [`Steps::choices`] (for a
    /// reseed, the index into `hash_fns`).
    pub fn step(
        &self,
        m: &mut HmapState,
        g: &mut GMap,
        gid: u8,
        choice: usize,
        hash_fns: &[HashFn],
        log: &mut Log,
    ) -> Stepped {
        let r = self.step_inner(m, g, gid, choice, hash_fns, log);
        // The hmap model's ghost is not used here: keep it from distinguishing states.
        m.ghost = Ghost::default();
        r
    }

    fn chain_len(m: &HmapState, arr: ArrayId, chain: u16) -> Option<usize> {
        m.arrays
            .iter()
            .nth(arr as usize)
            .and_then(|a| a.get(chain as usize))
            .map(|c| c.len())
    }

    #[allow(clippy::too_many_arguments)]
    fn step_inner(
        &self,
        m: &mut HmapState,
        g: &mut GMap,
        gid: u8,
        choice: usize,
        hash_fns: &[HashFn],
        log: &mut Log,
    ) -> Stepped {
        let bc = self.bc();
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
                m.arrays.push(vec![vec![Bmap::default()]]);
                m.h.buckets = Some((m.arrays.len() - 1) as ArrayId);
                note(log, || "h.buckets = newobject(t.bucket)".into());
                g.pc = Pc::Again;
                Stepped::Continue
            }
            Pc::Again => {
                g.bucket = (g.hash as usize & ((1usize << m.h.b) - 1)) as u16;
                note(log, || format!("again: bucket = {}", g.bucket));
                g.pc = Pc::Growing;
                Stepped::Continue
            }
            Pc::Growing => {
                if m.h.oldbuckets.is_some() {
                    note(log, || "h.growing(): growWork".into());
                    g.evac = None;
                    g.pc = Pc::EvacStart;
                } else {
                    note(log, || "not growing".into());
                    g.pc = Pc::WalkStart;
                }
                Stepped::Continue
            }
            Pc::EvacStart => self.evac_start(m, g, log),
            Pc::EvacCell => self.evac_cell(m, g, log),
            Pc::EvacOverflow => {
                let mut e = g.evac.expect("evacuating");
                let u = e.use_y as usize;
                let (chain, depth, _) = e.xy[u];
                let Some(len) = Self::chain_len(m, e.new, chain) else {
                    return Stepped::Throw(FAULT_OLDBUCKETS);
                };
                // Deviation from Go: newoverflow's three accesses (nextOverflow, noverflow,
                // b.overflow) are one step here; only writers (holding hashWriting, so
                // already racing) touch them, and mapassign's own newoverflow is split.
                let prealloc = self.take_overflow(m);
                m.h.noverflow = m.h.noverflow.wrapping_add(1);
                let nd = Self::link_overflow(m, e.new, chain, depth as usize, len, g);
                e.xy[u] = (chain, nd as u8, 0);
                g.evac = Some(e);
                note(log, || {
                    format!(
                        "evacuate: newoverflow(bucket {chain}) -> overflow {nd}{}",
                        if prealloc { " (preallocated)" } else { "" }
                    )
                });
                g.pc = Pc::EvacDstTophash;
                Stepped::Continue
            }
            Pc::EvacDstTophash | Pc::EvacDstKey | Pc::EvacDstElem => self.evac_dst(m, g, log),
            Pc::EvacMark => {
                let e = g.evac.expect("evacuating");
                if e.oldbucket as usize != m.h.nevacuate {
                    note(log, || {
                        format!("h.nevacuate = {} != {}", m.h.nevacuate, e.oldbucket)
                    });
                    return self.evac_done(m, g, log);
                }
                // Deviation from Go: advanceEvacuationMark's `h.nevacuate++`, its scan of
                // bucketEvacuated and the test `h.nevacuate == newbit` are one step (loads
                // and stores of nevacuate and old tophash[0] bytes that only writers,
                // already racing, look at).
                let old = e.old;
                m.h.nevacuate += 1;
                if m.h.nevacuate > e.newbit as usize {
                    // A racing advanceEvacuationMark moved nevacuate past the end: Go's
                    // loop would scan memory past oldbuckets.
                    return Stepped::Throw(FAULT_OLDBUCKETS);
                }
                let stop = (m.h.nevacuate + 1024).min(e.newbit as usize);
                while m.h.nevacuate != stop
                    && m.arrays
                        .iter()
                        .nth(old as usize)
                        .and_then(|a| a.get(m.h.nevacuate))
                        .is_some_and(|c| c[0].evacuated())
                {
                    m.h.nevacuate += 1;
                }
                note(log, || {
                    format!("advanceEvacuationMark: nevacuate={}", m.h.nevacuate)
                });
                if m.h.nevacuate == e.newbit as usize {
                    g.pc = Pc::EvacFreeOld;
                    return Stepped::Continue;
                }
                self.evac_done(m, g, log)
            }
            Pc::EvacFreeOld => {
                m.h.oldbuckets = None;
                note(log, || "h.oldbuckets = nil".into());
                g.pc = Pc::EvacFlagsLoad;
                Stepped::Continue
            }
            Pc::EvacFlagsLoad => {
                g.flags = m.h.flags;
                note(log, || format!("load h.flags = {}", g.flags));
                g.pc = Pc::EvacFlagsStore;
                Stepped::Continue
            }
            Pc::EvacFlagsStore => {
                m.h.flags = g.flags & !SAME_SIZE_GROW;
                note(log, || {
                    format!("h.flags = {} &^ sameSizeGrow = {}", g.flags, m.h.flags)
                });
                self.evac_done(m, g, log)
            }
            Pc::GrowWork2 => {
                if m.h.oldbuckets.is_some() {
                    note(log, || {
                        "growWork: still growing: evacuate(h.nevacuate)".into()
                    });
                    g.evac = Some(Evac {
                        second: true,
                        ..Self::no_evac()
                    });
                    g.pc = Pc::EvacStart;
                } else {
                    note(log, || "growWork: growth done".into());
                    g.evac = None;
                    g.pc = Pc::WalkStart;
                }
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
            Pc::GrowLoad => {
                // Deviation from Go: the loads of h.count and h.B (and of h.flags for the
                // `|=`) are one step: loads by the goroutine holding hashWriting.
                let bigger = u8::from(
                    self.machine
                        .geo
                        .over_load_factor(m.h.count.wrapping_add(1), m.h.b),
                );
                g.grow = Some(Grow {
                    bigger,
                    old: None,
                    new: 0,
                    flags: m.h.flags,
                    b: m.h.b,
                });
                if bigger == 0 {
                    note(log, || "hashGrow: not overloaded: same-size grow".into());
                    g.pc = Pc::GrowSameSize;
                } else {
                    note(log, || "hashGrow: overloaded: double".into());
                    g.pc = Pc::GrowAlloc;
                }
                Stepped::Continue
            }
            Pc::GrowSameSize => {
                let gr = g.grow.expect("growing");
                m.h.flags = gr.flags | SAME_SIZE_GROW;
                note(log, || format!("h.flags |= sameSizeGrow: {}", m.h.flags));
                g.pc = Pc::GrowAlloc;
                Stepped::Continue
            }
            Pc::GrowAlloc => {
                let mut gr = g.grow.expect("growing");
                // Deviation from Go: `oldbuckets := h.buckets` and the loads of h.flags and
                // h.B are one step (loads; makeBucketArray's memory is this goroutine's
                // until hashGrow publishes it).
                gr.old = m.h.buckets;
                gr.b = m.h.b;
                let new_b = m.h.b.wrapping_add(gr.bigger);
                if new_b > 15 {
                    return Stepped::Throw(FAULT_OLDBUCKETS);
                }
                gr.new = Machine::new_array(m, new_b);
                let mut flags = m.h.flags & !(ITERATOR | OLD_ITERATOR);
                if m.h.flags & ITERATOR != 0 {
                    flags |= OLD_ITERATOR;
                }
                gr.flags = flags;
                g.grow = Some(gr);
                note(log, || format!("hashGrow: newbuckets: 2^{new_b} buckets"));
                g.pc = Pc::GrowStoreB;
                Stepped::Continue
            }
            Pc::GrowStoreB => {
                let gr = g.grow.expect("growing");
                // Deviation from Go: `h.B += bigger` loads h.B again; the model uses the B
                // of GrowAlloc (only writers store h.B, and they hold hashWriting).
                m.h.b = gr.b.wrapping_add(gr.bigger);
                note(log, || format!("h.B = {}", m.h.b));
                g.pc = Pc::GrowStoreFlags;
                Stepped::Continue
            }
            Pc::GrowStoreFlags => {
                let gr = g.grow.expect("growing");
                m.h.flags = gr.flags;
                note(log, || format!("h.flags = {}", m.h.flags));
                g.pc = Pc::GrowStoreOldbuckets;
                Stepped::Continue
            }
            Pc::GrowStoreOldbuckets => {
                let gr = g.grow.expect("growing");
                m.h.oldbuckets = gr.old;
                note(log, || "h.oldbuckets = oldbuckets".into());
                g.pc = Pc::GrowStoreBuckets;
                Stepped::Continue
            }
            Pc::GrowStoreBuckets => {
                let gr = g.grow.expect("growing");
                m.h.buckets = Some(gr.new);
                note(log, || "h.buckets = newbuckets".into());
                g.pc = Pc::GrowStoreNevacuate;
                Stepped::Continue
            }
            Pc::GrowStoreNevacuate => {
                m.h.nevacuate = 0;
                note(log, || "h.nevacuate = 0".into());
                g.pc = Pc::GrowStoreNoverflow;
                Stepped::Continue
            }
            Pc::GrowStoreNoverflow => {
                let gr = g.grow.take().expect("growing");
                m.h.noverflow = 0;
                // Deviation from Go: h.extra's overflow/oldoverflow/nextOverflow stores are
                // part of this step; only newoverflow reads them, under hashWriting.
                let next = self
                    .machine
                    .geo
                    .prealloc_overflow(gr.b.wrapping_add(gr.bigger));
                if next > 0 {
                    m.h.prealloc_left = next;
                }
                note(log, || "h.noverflow = 0; goto again".into());
                g.pc = Pc::Again;
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
                    .cloned()
                else {
                    return Stepped::Throw(FAULT_OLDBUCKETS);
                };
                if at.depth as usize >= chain.len() {
                    g.pc = Pc::CountLoad;
                    return Stepped::Continue;
                }
                if let Some(bm) = bmap_mut(m, at) {
                    bm.tophash[at.i as usize] = EMPTY_REST;
                }
                note(log, || format!("{}.tophash = emptyRest", slot_text(&at)));
                let (mut d, mut i) = (at.depth as usize, at.i as usize);
                if i == 0 {
                    if d == 0 {
                        g.pc = Pc::CountLoad;
                        return Stepped::Continue;
                    }
                    d -= 1;
                    i = bc - 1;
                } else {
                    i -= 1;
                }
                if chain[d].tophash[i] != EMPTY_ONE {
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
        }
    }

    fn fault(&self, e: StepError) -> Stepped {
        match e {
            StepError::BadMapState => Stepped::Throw(THROW_BAD_MAP_STATE),
            _ => Stepped::Throw(FAULT_OLDBUCKETS),
        }
    }

    /// `t.hasher(key, uintptr(h.hash0))` under the current hash0.
    fn hash_now(&self, m: &HmapState, key: u64) -> u64 {
        *m.hashes.get(&key).expect("every key has a hash")
    }

    fn no_evac() -> Evac {
        Evac {
            second: false,
            oldbucket: 0,
            newbit: 0,
            old: 0,
            new: 0,
            d: 0,
            i: 0,
            xy: [(0, 0, 0); 2],
            top: 0,
            key: 0,
            use_y: 0,
        }
    }

    /// `if h.extra != nil && h.extra.nextOverflow != nil`: takes a preallocated bmap.
    fn take_overflow(&self, m: &mut HmapState) -> bool {
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
    fn link_overflow(
        m: &mut HmapState,
        arr: ArrayId,
        chain: u16,
        depth: usize,
        len: usize,
        g: &mut GMap,
    ) -> usize {
        if depth + 1 < len {
            let c = &mut m.arrays[arr as usize][chain as usize];
            let orphans: Vec<Bmap> = c.drain(depth + 1..).collect();
            let to = m.arrays.len() as ArrayId;
            m.arrays.push(vec![orphans]);
            let u = Unlink {
                array: arr,
                chain,
                depth: depth as u8,
                to,
            };
            g.at.iter_mut().for_each(|s| u.remap(s));
            g.slot.iter_mut().for_each(|s| u.remap(s));
            for it in &mut m.iters {
                if let Some(p) = &mut it.bptr {
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
        let c = &mut m.arrays[arr as usize][chain as usize];
        c.push(Bmap::default());
        c.len() - 1
    }

    fn evac_start(&self, m: &mut HmapState, g: &mut GMap, log: &mut Log) -> Stepped {
        // Deviation from Go: evacuate's entry loads (h.oldbuckets, h.B and h.flags for
        // oldbucketmask and noldbuckets, h.nevacuate for growWork's second call, the old
        // bucket's tophash[0], h.buckets) are one step: loads by a goroutine holding
        // hashWriting; a racing writer's stores between them are stores of a goroutine that
        // is itself racing, whose effects the model explores at the neighbouring steps.
        let second = g.evac.is_some_and(|e| e.second);
        let (Some(old), Some(new)) = (m.h.oldbuckets, m.h.buckets) else {
            return Stepped::Throw(FAULT_OLDBUCKETS);
        };
        let newbit = m.h.noldbuckets();
        let oldbucket = if second {
            m.h.nevacuate
        } else {
            g.bucket as usize & m.h.oldbucketmask()
        };
        let old_len = m.arrays[old as usize].len();
        let new_len = m.arrays[new as usize].len();
        let same = m.h.same_size_grow();
        if oldbucket >= old_len
            || oldbucket >= new_len
            || (!same && oldbucket + newbit >= new_len)
            || newbit > old_len
        {
            return Stepped::Throw(FAULT_OLDBUCKETS);
        }
        let mut e = Evac {
            second,
            oldbucket: oldbucket as u16,
            newbit: newbit as u16,
            old,
            new,
            xy: [
                (oldbucket as u16, 0, 0),
                ((oldbucket + newbit) as u16, 0, 0),
            ],
            ..Self::no_evac()
        };
        if m.arrays[old as usize][oldbucket][0].evacuated() {
            note(log, || format!("evacuate({oldbucket}): already evacuated"));
            g.evac = Some(e);
            g.pc = Pc::EvacMark;
            return Stepped::Continue;
        }
        note(log, || format!("evacuate(old bucket {oldbucket})"));
        e.d = 0;
        e.i = 0;
        g.evac = Some(e);
        g.pc = Pc::EvacCell;
        Stepped::Continue
    }

    fn evac_cell(&self, m: &mut HmapState, g: &mut GMap, log: &mut Log) -> Stepped {
        let bc = self.bc();
        let mut e = g.evac.expect("evacuating");
        let chain = &m.arrays[e.old as usize][e.oldbucket as usize];
        if e.d as usize >= chain.len() {
            // `for ; b != nil; b = b.overflow(t)` is over.
            g.pc = Pc::EvacMark;
            return Stepped::Continue;
        }
        let (d, i) = (e.d as usize, e.i as usize);
        let top = chain[d].tophash[i];
        let k = chain[d].keys[i];
        // Advance the old cursor (local).
        let adv = |e: &mut Evac| {
            if e.i as usize + 1 == bc {
                e.i = 0;
                e.d += 1;
            } else {
                e.i += 1;
            }
        };
        if is_empty(top) {
            // Deviation from Go: the load of the tophash and the store of evacuatedEmpty are
            // one step: a racing insert into this old cell (a writer that lost the
            // hashWriting race) lands before or after it, both explored.
            m.arrays[e.old as usize][e.oldbucket as usize][d].tophash[i] = EVACUATED_EMPTY;
            note(log, || format!("old {d}.{i}: empty -> evacuatedEmpty"));
            adv(&mut e);
            g.evac = Some(e);
            return Stepped::Continue;
        }
        if top < MIN_TOP_HASH {
            return Stepped::Throw(THROW_BAD_MAP_STATE);
        }
        let mut use_y = 0u8;
        if m.h.flags & SAME_SIZE_GROW == 0 {
            // Deviation from Go: hashing the key loads it and h.hash0 (and h.flags for
            // sameSizeGrow) in this step, before the store of evacuatedX/Y.
            let Some(&hash) = m.hashes.get(&k) else {
                return Stepped::Throw(THROW_BAD_MAP_STATE);
            };
            if hash as usize & e.newbit as usize != 0 {
                use_y = 1;
            }
        }
        m.arrays[e.old as usize][e.oldbucket as usize][d].tophash[i] = EVACUATED_X + use_y;
        e.top = top;
        e.key = k;
        e.use_y = use_y;
        note(log, || {
            format!(
                "old {d}.{i}: k{k} -> evacuated{}",
                if use_y == 1 { "Y" } else { "X" }
            )
        });
        let full = e.xy[use_y as usize].2 as usize == bc;
        g.evac = Some(e);
        g.pc = if full {
            Pc::EvacOverflow
        } else {
            Pc::EvacDstTophash
        };
        Stepped::Continue
    }

    fn evac_dst(&self, m: &mut HmapState, g: &mut GMap, log: &mut Log) -> Stepped {
        let bc = self.bc();
        let mut e = g.evac.expect("evacuating");
        let u = e.use_y as usize;
        let (chain, depth, di) = e.xy[u];
        let dst = Slot {
            array: e.new,
            chain,
            depth,
            i: di,
        };
        let Some(bm) = bmap_mut(m, dst) else {
            return Stepped::Throw(FAULT_OLDBUCKETS);
        };
        match g.pc {
            Pc::EvacDstTophash => {
                bm.tophash[di as usize] = e.top;
                note(log, || {
                    format!("new {}.tophash = {:#x}", slot_text(&dst), e.top)
                });
                g.pc = Pc::EvacDstKey;
            }
            Pc::EvacDstKey => {
                bm.keys[di as usize] = e.key;
                note(log, || format!("new {}.key = k{}", slot_text(&dst), e.key));
                g.pc = Pc::EvacDstElem;
            }
            _ => {
                // typedmemmove: the elem is read from the old cell now.
                let src = m.arrays[e.old as usize][e.oldbucket as usize][e.d as usize].elems
                    [e.i as usize];
                let bm = bmap_mut(m, dst).expect("checked");
                bm.elems[di as usize] = src;
                note(log, || format!("new {}.elem = v{src}", slot_text(&dst)));
                e.xy[u].2 += 1;
                if e.i as usize + 1 == bc {
                    e.i = 0;
                    e.d += 1;
                } else {
                    e.i += 1;
                }
                g.pc = Pc::EvacCell;
            }
        }
        g.evac = Some(e);
        Stepped::Continue
    }

    /// After an evacuate: growWork's second one, or the walk.
    fn evac_done(&self, _m: &mut HmapState, g: &mut GMap, _log: &mut Log) -> Stepped {
        let second = g.evac.is_some_and(|e| e.second);
        g.evac = None;
        g.pc = if second { Pc::WalkStart } else { Pc::GrowWork2 };
        Stepped::Continue
    }

    /// TEST-ONLY INJECTED DEFECT ([`InjectedDefect::OverflowLinkIntoCurrentBuckets`]), run
    /// only when a test sets it: the model's old NewoverflowLink. It links the new bmap into
    /// chain `g.bucket` of the current `h.buckets`, truncated to the length the walk saw
    /// (`b`'s depth + 1), instead of after `b` in the array walked.
    fn injected_overflow_link(&self, m: &mut HmapState, g: &mut GMap, log: &mut Log) -> Stepped {
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
    fn assign_walk(&self, m: &mut HmapState, g: &mut GMap, log: &mut Log) -> Stepped {
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

    /// mapdelete's search, one cell per step.
    fn delete_walk(&self, m: &mut HmapState, g: &mut GMap, log: &mut Log) -> Stepped {
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

/// The next cell of a walk: the next index, or the first cell of the overflow bmap (which
/// may not exist: the walk then ends).
fn next_cell(at: Slot, bc: usize) -> Slot {
    if at.i as usize + 1 < bc {
        Slot { i: at.i + 1, ..at }
    } else {
        Slot {
            depth: at.depth + 1,
            i: 0,
            ..at
        }
    }
}

fn bmap(m: &HmapState, s: Slot) -> Option<&Bmap> {
    m.arrays
        .iter()
        .nth(s.array as usize)
        .and_then(|a| a.get(s.chain as usize))
        .and_then(|c| c.get(s.depth as usize))
}

fn bmap_mut(m: &mut HmapState, s: Slot) -> Option<&mut Bmap> {
    bmap(m, s)?;
    Some(&mut m.arrays[s.array as usize][s.chain as usize][s.depth as usize])
}

/// `bucket 1 overflow 2 slot 0`.
pub fn slot_text(s: &Slot) -> String {
    format!(
        "bucket {}{} slot {}",
        s.chain,
        if s.depth > 0 {
            format!(" overflow {}", s.depth)
        } else {
            String::new()
        },
        s.i
    )
}

/// Where an array stands: `` (h.buckets), `, in oldbuckets`, or `, in an unreachable array`.
pub fn array_note(m: &HmapState, a: ArrayId) -> &'static str {
    if Some(a) == m.h.buckets {
        ""
    } else if Some(a) == m.h.oldbuckets {
        ", in oldbuckets"
    } else {
        ", in an array the map no longer reaches"
    }
}
