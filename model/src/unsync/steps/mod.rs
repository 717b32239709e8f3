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
//! This file holds the registers, the program counter and the dispatch ([`Steps::step`]);
//! the steps themselves are in one file per Go function family: `header.rs` (the entry
//! checks, `h.flags ^= hashWriting`, `again:`, `h.count++/--` and the end check that the
//! operations share), `assign.rs` (mapassign, newoverflow), `delete.rs` (mapdelete),
//! `access.rs` (mapaccess2), `grow.rs` (growWork, evacuate, hashGrow) and `iter.rs`
//! (mapiterinit, mapiternext).
//!
//! Follows Go 1.19.8: runtime/map_fast64.go (mapaccess2_fast64, mapassign_fast64,
//! mapdelete_fast64, growWork_fast64, evacuate_fast64), runtime/map.go (hashGrow,
//! newoverflow, advanceEvacuationMark, mapiterinit, mapiternext).

use crate::framework::log::{note, Log};
use crate::hmap::state::*;
use crate::hmap::steps::{too_many_overflow_buckets, IterNext, Machine, StepError};

mod access;
mod assign;
mod delete;
mod grow;
mod header;
mod iter;
mod liveness;

pub use liveness::{live, Live};

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

/// A goroutine's operation in progress and its registers (Go's locals). Hashed by hand
/// (below), as a fixed number of packed words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
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

/// An optional slot as one word (41 bits): 0 for None.
fn slot_code(s: Option<Slot>) -> u64 {
    s.map_or(0, |s| {
        1 | u64::from(s.array) << 1
            | u64::from(s.chain) << 9
            | u64::from(s.depth) << 25
            | u64::from(s.i) << 33
    })
}

/// An evacuation destination `(bucket, bmap depth, slot)` as 32 bits.
fn xy_code((b, d, i): (u16, u8, u8)) -> u64 {
    u64::from(b) | u64::from(d) << 16 | u64::from(i) << 24
}

/// Every field, packed without loss into eleven words (zero words for the `None`s), folded
/// two words per multiply into one digest (as the hmap state's fingerprint is) and written
/// as one `u64`. The derived `Hash` made one hasher call per field, and the fingerprint of
/// an unsync state hashes every goroutine's registers.
impl std::hash::Hash for GMap {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.digest());
    }
}

impl GMap {
    /// The registers folded into one word (what `Hash` writes).
    pub fn digest(&self) -> u64 {
        let op = match self.op {
            UOp::Assign { key, elem } => 1 | u64::from(key) << 8 | u64::from(elem) << 16,
            UOp::Delete { key } => 2 | u64::from(key) << 8,
            UOp::Access { key } => 3 | u64::from(key) << 8,
            UOp::Range => 4,
        };
        let grow = self.grow.map_or(0, |g| {
            1 | u64::from(g.bigger) << 1
                | g.old.map_or(0, |o| u64::from(o) + 1) << 9
                | u64::from(g.new) << 18
                | u64::from(g.flags) << 26
                | u64::from(g.b) << 34
        });
        // An Unlink has a slot's shape (array, chain, depth, and `to` in the slot's place).
        let unlinked = slot_code(self.unlinked.map(|u| Slot {
            array: u.array,
            chain: u.chain,
            depth: u.depth,
            i: u.to,
        }));
        let (e0, e1, e2, e3) = self.evac.map_or((0, 0, 0, 0), |e| {
            (
                1 | u64::from(e.second) << 1
                    | u64::from(e.oldbucket) << 2
                    | u64::from(e.newbit) << 18
                    | u64::from(e.old) << 34
                    | u64::from(e.new) << 42
                    | u64::from(e.d) << 50,
                u64::from(e.i)
                    | u64::from(e.top) << 8
                    | u64::from(e.use_y) << 16
                    | xy_code(e.xy[0]) << 24,
                xy_code(e.xy[1]),
                e.key,
            )
        });
        let w = [
            op | (self.pc as u64) << 24
                | u64::from(self.flags) << 32
                | u64::from(self.b) << 40
                | u64::from(self.found) << 48
                | u64::from(self.prealloc) << 49,
            self.count as u64,
            self.hash,
            slot_code(self.at) | u64::from(self.bucket) << 48,
            slot_code(self.slot),
            grow,
            unlinked,
            e0,
            e1,
            e2,
            e3,
        ];
        crate::hmap::state::mix_words(0x243f_6a88_85a3_08d3, &w)
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
    pub fn choices<const N: usize>(&self, m: &HmapState<N>, g: &GMap, hash_fns: usize) -> usize {
        match g.pc {
            Pc::Reseed => hash_fns.max(1),
            Pc::IterInit => (1usize << m.h.b) * self.bc(),
            _ => 1,
        }
    }

    /// Takes goroutine `gid`'s next step; `choice` picks among [`Steps::choices`] (for a
    /// reseed, the index into `hash_fns`).
    pub fn step<const N: usize>(
        &self,
        m: &mut HmapState<N>,
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

    fn chain_len<const N: usize>(m: &HmapState<N>, arr: ArrayId, chain: u16) -> Option<usize> {
        m.arrays
            .iter()
            .nth(arr as usize)
            .and_then(|a| a.get(chain as usize))
            .map(|c| c.len())
    }

    #[allow(clippy::too_many_arguments)]
    fn step_inner<const N: usize>(
        &self,
        m: &mut HmapState<N>,
        g: &mut GMap,
        gid: u8,
        choice: usize,
        hash_fns: &[HashFn],
        log: &mut Log,
    ) -> Stepped {
        match g.pc {
            Pc::CheckCount
            | Pc::CheckFlags
            | Pc::Hash
            | Pc::FlagsLoad
            | Pc::FlagsStore
            | Pc::Again
            | Pc::WalkStart
            | Pc::Walk
            | Pc::CountLoad
            | Pc::CountStore
            | Pc::EndCheck
            | Pc::FlagsClear => self.step_header(m, g, log),
            Pc::BucketsNil
            | Pc::Newobject
            | Pc::GrowCheck
            | Pc::NewoverflowTake
            | Pc::NewoverflowIncr
            | Pc::NewoverflowLink
            | Pc::SlotTophash
            | Pc::SlotKey
            | Pc::ElemStore => self.step_assign(m, g, log),
            Pc::Reseed | Pc::ElemClear | Pc::EmptyOne | Pc::RestCheck | Pc::Rest => {
                self.step_delete(m, g, choice, hash_fns, log)
            }
            Pc::AccessB | Pc::AccessBuckets | Pc::AccessOld | Pc::AccessScan | Pc::AccessElem => {
                self.step_access(m, g, log)
            }
            Pc::Growing
            | Pc::EvacStart
            | Pc::EvacCell
            | Pc::EvacOverflow
            | Pc::EvacDstTophash
            | Pc::EvacDstKey
            | Pc::EvacDstElem
            | Pc::EvacMark
            | Pc::EvacFreeOld
            | Pc::EvacFlagsLoad
            | Pc::EvacFlagsStore
            | Pc::GrowWork2
            | Pc::GrowLoad
            | Pc::GrowSameSize
            | Pc::GrowAlloc
            | Pc::GrowStoreB
            | Pc::GrowStoreFlags
            | Pc::GrowStoreOldbuckets
            | Pc::GrowStoreBuckets
            | Pc::GrowStoreNevacuate
            | Pc::GrowStoreNoverflow => self.step_grow(m, g, log),
            Pc::IterInit | Pc::IterNext | Pc::IterCell => self.step_iter(m, g, gid, choice, log),
        }
    }

    fn fault(&self, e: StepError) -> Stepped {
        match e {
            StepError::BadMapState => Stepped::Throw(THROW_BAD_MAP_STATE),
            _ => Stepped::Throw(FAULT_OLDBUCKETS),
        }
    }

    /// `t.hasher(key, uintptr(h.hash0))` under the current hash0.
    fn hash_now<const N: usize>(&self, m: &HmapState<N>, key: u64) -> u64 {
        *m.hashes.get(&key).expect("every key has a hash")
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

fn bmap<const N: usize>(m: &HmapState<N>, s: Slot) -> Option<&Bmap<N>> {
    m.arrays
        .iter()
        .nth(s.array as usize)
        .and_then(|a| a.get(s.chain as usize))
        .and_then(|c| c.get(s.depth as usize))
}

fn bmap_mut<const N: usize>(m: &mut HmapState<N>, s: Slot) -> Option<&mut Bmap<N>> {
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
pub fn array_note<const N: usize>(m: &HmapState<N>, a: ArrayId) -> &'static str {
    if Some(a) == m.h.buckets {
        ""
    } else if Some(a) == m.h.oldbuckets {
        ", in oldbuckets"
    } else {
        ", in an array the map no longer reaches"
    }
}
