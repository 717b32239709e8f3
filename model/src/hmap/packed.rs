//! The `hmap` model's states as bytes, for breadth-first searches ([`crate::framework::packed`]
//! holds the model over packed states; this module is the hmap model's encoding).
//!
//! [`PackedHmap`] encodes every field the state's equality compares: small numbers in one
//! byte, and each bucket array as its number in the model's table of arrays
//! ([`super::intern`]), which holds each distinct array once; a decoded state shares the
//! table's arrays. Each successor is stepped on one state per thread, made equal to the
//! decoded state in place ([`HmapState::copy_from`]) before each step, so that a successor
//! costs no clone and no drop of a state.
//!
//! The search is the same: the same initial states, actions, successors and properties, so
//! the same unique states and verdicts (every pinned BFS hmap spec checks this).

use super::state::*;
use super::{HmapAction, HmapModel};
use crate::framework::packed::step_in_place;
use crate::framework::packed::{PackCodec, Packed};

/// Numbers under 255 in one byte, others as 255 and eight bytes.
struct Writer(Vec<u8>);

impl Writer {
    fn u(&mut self, v: u64) {
        if v < 0xff {
            self.0.push(v as u8);
        } else {
            self.0.push(0xff);
            self.0.extend_from_slice(&v.to_le_bytes());
        }
    }
    fn opt<T: Into<u64>>(&mut self, o: Option<T>) {
        self.u(o.map_or(0, |v| v.into() + 1));
    }
    /// A number seven bits per byte, low bits first, the high bit set on every byte but the
    /// last (LEB128): for numbers that outgrow one byte, as the arrays' numbers do.
    fn leb(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
}

/// A bmap's slots. One slot: its tophash, key and elem. More: a byte whose bit i is set when
/// slot i is not all zero (tophash, key and elem), then those slots' tophash, key and elem;
/// a zeroed slot (an empty bucket's, or one mapclear zeroed) costs one bit.
fn write_slots<const N: usize>(bm: &Bmap<N>, w: &mut Writer) {
    const { assert!(N <= 8, "a slot mask is one byte") };
    if N == 1 {
        w.0.push(bm.tophash[0]);
        w.u(bm.keys[0]);
        w.u(bm.elems[0]);
        return;
    }
    let live = |i: usize| bm.tophash[i] != 0 || bm.keys[i] != 0 || bm.elems[i] != 0;
    let mask = (0..N).fold(0u8, |m, i| if live(i) { m | 1 << i } else { m });
    w.0.push(mask);
    for i in (0..N).filter(|&i| mask & 1 << i != 0) {
        w.0.push(bm.tophash[i]);
        w.u(bm.keys[i]);
        w.u(bm.elems[i]);
    }
}

/// The slots [`write_slots`] wrote, into a zeroed bmap.
fn read_slots<const N: usize>(bm: &mut Bmap<N>, r: &mut Reader) {
    let mask = if N == 1 { 1 } else { r.byte() };
    for i in (0..N).filter(|&i| mask & 1 << i != 0) {
        bm.tophash[i] = r.byte();
        bm.keys[i] = r.u();
        bm.elems[i] = r.u();
    }
}

/// An array spelled out: its number of chains, then each chain. A chain that is one zeroed
/// bmap (as every empty bucket of a fresh array is) is the byte 0; any other chain is its
/// length plus one, then its bmaps.
fn write_array<const N: usize>(a: &BucketArray<N>, w: &mut Writer) {
    w.u(a.len() as u64);
    for chain in a {
        if chain.len() == 1 && chain[0] == Bmap::ZERO {
            w.u(0);
            continue;
        }
        w.u(chain.len() as u64 + 1);
        for bm in chain {
            write_slots(bm, w);
            w.opt(bm.prealloc_slot);
        }
    }
}

/// The array [`write_array`] wrote, into the empty `a`.
fn read_array<const N: usize>(a: &mut BucketArray<N>, r: &mut Reader) {
    let nchains = r.u();
    for _ in 0..nchains {
        a.push_empty_chain();
        let depth = match r.u() {
            0 => {
                a.push_to_last_chain(Bmap::ZERO);
                continue;
            }
            n => n - 1,
        };
        for _ in 0..depth {
            let mut bm = Bmap::<N>::ZERO;
            read_slots(&mut bm, r);
            bm.prealloc_slot = r.opt().map(|v| v as u16);
            a.push_to_last_chain(bm);
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn u(&mut self) -> u64 {
        let (&first, rest) = self.0.split_first().expect("a packed state's own bytes");
        if first < 0xff {
            self.0 = rest;
            u64::from(first)
        } else {
            let (word, rest) = rest.split_at(8);
            self.0 = rest;
            u64::from_le_bytes(word.try_into().expect("8 bytes"))
        }
    }
    fn u8(&mut self) -> u8 {
        self.u() as u8
    }
    /// A byte written as it is (not as a number).
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().expect("a packed state's own bytes");
        self.0 = rest;
        b
    }
    fn u16(&mut self) -> u16 {
        self.u() as u16
    }
    fn opt(&mut self) -> Option<u64> {
        self.u().checked_sub(1)
    }
    /// A number [`Writer::leb`] wrote.
    fn leb(&mut self) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let b = self.byte();
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return v;
            }
            shift += 7;
        }
    }
}

/// The `hmap` model over [`PackedState`](crate::framework::packed::PackedState)s (see the
/// module's header).
pub type PackedHmap<const N: usize = MAX_BUCKET_CNT> = Packed<HmapModel<N>>;

impl<const N: usize> PackCodec for HmapModel<N> {
    /// Every field [`HmapState`]'s equality compares, in a fixed order.
    fn write_state(&self, s: &HmapState<N>, out: &mut Vec<u8>) {
        let mut w = Writer(std::mem::take(out));
        write(self, s, &mut w);
        *out = w.0;
    }

    /// A new state, decoded as `read_state_into` decodes (and seals) one.
    fn read_state(&self, bytes: &[u8]) -> HmapState<N> {
        let mut s = HmapState::empty(0, HashFn::default());
        self.read_state_into(bytes, &mut s);
        s
    }

    /// Into the decoded state's vectors, its arrays the table's or, spelled out, its own
    /// (sealed where that serves, `seal`: their digests serve each successor's
    /// fingerprint, which digests only the arrays its step wrote).
    fn read_state_into(&self, bytes: &[u8], out: &mut HmapState<N>) {
        read_into(self, bytes, out);
    }

    /// The successor stepped from the last decoded state shares its arrays; given up, the
    /// arrays the decoded state spelled out are its alone again, and the next decoding reuses
    /// their memory (see `Arena::push_own`).
    fn release_successor(next: &mut HmapState<N>) {
        next.arrays.release();
    }

    /// The state's hash folds the header and each array's digest into one word, which costs
    /// less than writing the state's bytes.
    const FINGERPRINT_DECODED: bool = true;

    /// A state that has done its operations has no actions ([`HmapModel::done`]): 43-72% of
    /// the states of the pinned BFS hmap specs over 10^5 states.
    fn is_terminal(&self, s: &HmapState<N>) -> bool {
        self.done(s)
    }

    fn step_then<R>(
        &self,
        s: &HmapState<N>,
        action: HmapAction,
        slot: usize,
        then: impl FnOnce(&HmapState<N>) -> R,
    ) -> Option<R> {
        // The model's step (`HmapModel::step`, as `apply` runs it) on this thread's successor
        // state, made equal to `s` in place, then sealed where that serves ([`seal`]).
        Some(step_in_place(
            s,
            slot,
            |next, s| next.copy_from(s),
            |next| {
                self.step(next, &action, &mut crate::framework::log::Log::default());
                seal(&mut next.arrays);
            },
            then,
        ))
    }
}

/// Computes the digests of `arrays`' unsealed arrays where they serve: against the patched
/// stateright, whose breadth-first search fingerprints a state by its decoded state's hash
/// (which digests each array) and looks a new state's arrays up in the model's table by their
/// digests. Against the published one a packed state's fingerprint is that of its bytes and
/// the table is off, so nothing reads them (and a digest not kept is computed when asked).
fn seal<const N: usize>(arrays: &mut Arena<N>) {
    if cfg!(feature = "stateright-patched") {
        arrays.seal();
    }
}

fn write<const N: usize>(m: &HmapModel<N>, s: &HmapState<N>, w: &mut Writer) {
    let h = &s.h;
    w.u(h.count as u64);
    w.u(u64::from(h.flags));
    w.u(u64::from(h.b));
    w.u(u64::from(h.noverflow));
    w.u(u64::from(h.hash0));
    w.opt(h.buckets);
    w.opt(h.oldbuckets);
    w.u(h.nevacuate as u64);
    w.u(h.prealloc_left as u64);
    w.u(h.clear_seq);
    // The hash function: that of hash0 in the model's list (every state the model
    // reaches), or written out.
    if m.hash_fns.get(h.hash0 as usize) == Some(&s.hashes) {
        w.u(0);
    } else {
        w.u(1);
        w.u(s.hashes.len() as u64);
        for (&k, &v) in s.hashes.iter() {
            w.u(k);
            w.u(v);
        }
    }
    // Each array by its number in the model's table plus one (hmap::intern), or, if the
    // table has no such array and adds none, 0 and the array spelled out; without a table,
    // spelled out.
    w.u(s.arrays.len() as u64);
    let table = &m.arrays_table;
    for i in 0..s.arrays.len() {
        let node = s.arrays.node(i);
        if table.is_off() {
            write_array(&node.array, w);
            continue;
        }
        match table.intern(node) {
            Some(id) => w.leb(u64::from(id) + 1),
            None => {
                w.leb(0);
                write_array(&node.array, w);
            }
        }
    }
    w.u(s.iters.len() as u64);
    for it in &s.iters {
        w.u(u64::from(it.id));
        w.u(u64::from(it.buckets));
        match it.bptr {
            None => w.u(0),
            Some(Bptr::Bmap(p)) => {
                w.u(1);
                w.u(u64::from(p.array));
                w.u(u64::from(p.chain));
                w.u(u64::from(p.depth));
            }
            Some(Bptr::FreeOverflow { array, slot }) => {
                w.u(2);
                w.u(u64::from(array));
                w.u(u64::from(slot));
            }
        }
        w.u(u64::from(it.b));
        w.u(u64::from(it.start_bucket));
        w.u(u64::from(it.offset));
        w.u(u64::from(it.wrapped));
        w.u(u64::from(it.bucket));
        w.u(u64::from(it.i));
        w.opt(it.check_bucket);
        w.u(it.clear_seq);
        w.u(it.ghost.yielded);
        w.u(it.ghost.yielded_live);
        w.u(it.ghost.stable);
    }
    w.u(u64::from(s.ops));
    w.u(u64::from(s.next_iter_id));
    let g = &s.ghost;
    w.u(g.abs.len() as u64);
    for &v in &g.abs {
        w.u(v);
    }
    w.u(g.violations);
    w.u(u64::from(g.events));
    w.u(u64::from(g.grow_works));
}

/// Makes `s` the state [`write`] wrote, into the allocations `s` has where it can (its
/// arrays it holds alone, its spares, its vectors).
fn read_into<const N: usize>(m: &HmapModel<N>, bytes: &[u8], s: &mut HmapState<N>) {
    // Every field named, so that a field added to the state cannot keep the value of the
    // state decoded before.
    let HmapState {
        h,
        arrays,
        iters,
        hashes,
        ops,
        next_iter_id,
        ghost,
        sym,
    } = s;
    let Ghost {
        abs,
        violations,
        events,
        grow_works,
    } = ghost;
    let mut r = Reader(bytes);
    *h = Hmap {
        count: r.u() as usize,
        flags: r.u8(),
        b: r.u8(),
        noverflow: r.u16(),
        hash0: r.u() as u32,
        buckets: r.opt().map(|v| v as ArrayId),
        oldbuckets: r.opt().map(|v| v as ArrayId),
        nevacuate: r.u() as usize,
        prealloc_left: r.u() as usize,
        clear_seq: r.u(),
    };
    *hashes = if r.u() == 0 {
        m.hash_fns[h.hash0 as usize].clone()
    } else {
        let n = r.u();
        let map: std::collections::BTreeMap<u64, u64> = (0..n).map(|_| (r.u(), r.u())).collect();
        HashFn::from(map)
    };
    let narrays = r.u() as usize;
    arrays.release();
    let table = &m.arrays_table;
    for _ in 0..narrays {
        match if table.is_off() { 0 } else { r.leb() } {
            0 => read_array(arrays.push_own(), &mut r),
            id => arrays.push_shared(table.get((id - 1) as u32)),
        }
    }
    // The arrays spelled out: their digests, once (the table's are known).
    seal(arrays);
    let niters = r.u();
    iters.clear();
    iters.extend((0..niters).map(|_| {
        let id = r.u8();
        let buckets = r.u8();
        let bptr = match r.u() {
            0 => None,
            1 => Some(Bptr::Bmap(BucketPtr {
                array: r.u8(),
                chain: r.u16(),
                depth: r.u8(),
            })),
            _ => Some(Bptr::FreeOverflow {
                array: r.u8(),
                slot: r.u16(),
            }),
        };
        Hiter {
            id,
            buckets,
            bptr,
            b: r.u8(),
            start_bucket: r.u16(),
            offset: r.u8(),
            wrapped: r.u() != 0,
            bucket: r.u16(),
            i: r.u8(),
            check_bucket: r.opt().map(|v| v as u16),
            clear_seq: r.u(),
            ghost: IterGhost {
                yielded: r.u(),
                yielded_live: r.u(),
                stable: r.u(),
            },
        }
    }));
    *ops = r.u8();
    *next_iter_id = r.u8();
    let nabs = r.u();
    abs.clear();
    abs.extend((0..nabs).map(|_| r.u()));
    *violations = r.u();
    *events = r.u() as u32;
    *grow_works = r.u() as u32;
    *sym = SymCtx::default();
    debug_assert!(r.0.is_empty(), "a packed state is read to its end");
}
