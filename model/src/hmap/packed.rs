//! The `hmap` model's states as bytes, for breadth-first searches.
//!
//! A breadth-first search holds every state of its frontier in stateright's queue, and the
//! memory of those states is most of the search's (docs/performance-checker.md, "Where a BFS
//! search's memory goes"). [`PackedHmap`] is the same model with its states encoded as a
//! short byte string ([`PackedState`]): every field the state's equality compares, small
//! numbers in one byte, a chain that is one zeroed bmap (an empty bucket) in one byte, and a
//! zeroed slot of a bmap of several slots in one bit. Two states are equal exactly when their
//! bytes are, and a state's fingerprint hashes its bytes. Steps and properties run on the
//! decoded state, with [`HmapModel`]'s own code; the last state decoded is kept per thread, as
//! stateright asks for the properties, the actions and every successor of one state in a row.
//! Each successor is stepped on one state per thread, made equal to the decoded state in
//! place ([`HmapState::copy_from`]) before each step, so that a successor costs no clone and
//! no drop of a state.
//!
//! The search is the same: the same initial states, actions, successors and properties, so
//! the same unique states and verdicts (every pinned BFS hmap spec checks this).

use super::state::*;
use super::HmapModel;
use crate::framework::check::{Checkable, Representative};
use stateright::{Model, Property};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

/// An [`HmapState`] encoded by [`PackedHmap::encode`].
#[derive(Clone, PartialEq, Eq)]
pub struct PackedState(Box<[u8]>);

impl std::hash::Hash for PackedState {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let mut d = mix_words(self.0.len() as u64, &[]);
        let mut chunks = self.0.chunks_exact(16);
        for c in &mut chunks {
            let a = u64::from_le_bytes(c[..8].try_into().expect("8 bytes"));
            let b = u64::from_le_bytes(c[8..].try_into().expect("8 bytes"));
            d = mix_words(d, &[a, b]);
        }
        let mut tail = [0u8; 16];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        let a = u64::from_le_bytes(tail[..8].try_into().expect("8 bytes"));
        let b = u64::from_le_bytes(tail[8..].try_into().expect("8 bytes"));
        state.write_u64(mix_words(d, &[a, b]));
    }
}

impl std::fmt::Debug for PackedState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PackedState({} bytes)", self.0.len())
    }
}

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
}

/// Distinguishes the models whose states a thread's decoded state came from.
static NEXT_MODEL_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The buffer [`PackedHmap::encode`] writes into.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// The last state this thread decoded: (model id, its bytes, the state), as `Any` since a
    /// thread-local cannot be generic over `N`.
    static DECODED: RefCell<Option<Box<dyn std::any::Any>>> = const { RefCell::new(None) };
    /// The state this thread steps to each successor (an `HmapState<N>`, as `Any`): copied
    /// from the decoded state into the allocations it already has, stepped, encoded, and kept
    /// for the next successor, so that a successor costs no clone and no drop of a state.
    static SUCCESSOR: RefCell<Option<Box<dyn std::any::Any>>> = const { RefCell::new(None) };
}

/// The inner model's property conditions, in the order of its properties.
type Conditions<const N: usize> = std::sync::Arc<[fn(&HmapModel<N>, &HmapState<N>) -> bool]>;

/// The `hmap` model over [`PackedState`]s (see the module's header).
#[derive(Clone)]
pub struct PackedHmap<const N: usize = MAX_BUCKET_CNT> {
    pub inner: HmapModel<N>,
    conds: Conditions<N>,
    id: u64,
}

impl<const N: usize> PackedHmap<N> {
    pub fn new(inner: HmapModel<N>) -> Self {
        let conds = inner.properties().iter().map(|p| p.condition).collect();
        PackedHmap {
            inner,
            conds,
            id: NEXT_MODEL_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The bytes of `s`: every field [`HmapState`]'s equality compares, in a fixed order.
    pub fn encode(&self, s: &HmapState<N>) -> PackedState {
        // Written into this thread's buffer, then copied into an allocation of their size.
        let buf = SCRATCH.with(|b| std::mem::take(&mut *b.borrow_mut()));
        let mut w = Writer(buf);
        w.0.clear();
        self.write(s, &mut w);
        let packed = PackedState(Box::from(&w.0[..]));
        SCRATCH.with(|b| *b.borrow_mut() = w.0);
        packed
    }

    fn write(&self, s: &HmapState<N>, w: &mut Writer) {
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
        if self.inner.hash_fns.get(h.hash0 as usize) == Some(&s.hashes) {
            w.u(0);
        } else {
            w.u(1);
            w.u(s.hashes.len() as u64);
            for (&k, &v) in s.hashes.iter() {
                w.u(k);
                w.u(v);
            }
        }
        w.u(s.arrays.len() as u64);
        for a in s.arrays.iter() {
            w.u(a.len() as u64);
            for chain in a {
                // A chain that is one zeroed bmap (as every empty bucket of a fresh array is)
                // is the byte 0; any other chain is its length plus one, then its bmaps.
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

    /// The state [`PackedHmap::encode`] wrote.
    pub fn decode(&self, p: &PackedState) -> HmapState<N> {
        let mut r = Reader(&p.0);
        let h = Hmap {
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
        let hashes = if r.u() == 0 {
            self.inner.hash_fns[h.hash0 as usize].clone()
        } else {
            let n = r.u();
            let map: std::collections::BTreeMap<u64, u64> =
                (0..n).map(|_| (r.u(), r.u())).collect();
            HashFn::from(map)
        };
        let narrays = r.u();
        let arrays: Arena<N> = (0..narrays)
            .map(|_| {
                let nchains = r.u();
                (0..nchains)
                    .map(|_| {
                        let depth = match r.u() {
                            0 => return std::iter::once(Bmap::<N>::ZERO).collect(),
                            n => n - 1,
                        };
                        (0..depth)
                            .map(|_| {
                                let mut bm = Bmap::<N>::ZERO;
                                read_slots(&mut bm, &mut r);
                                bm.prealloc_slot = r.opt().map(|v| v as u16);
                                bm
                            })
                            .collect::<InlineChain<N>>()
                    })
                    .collect()
            })
            .collect();
        let niters = r.u();
        let iters = (0..niters)
            .map(|_| {
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
            })
            .collect();
        let ops = r.u8();
        let next_iter_id = r.u8();
        let nabs = r.u();
        let abs = (0..nabs).map(|_| r.u()).collect();
        let ghost = Ghost {
            abs,
            violations: r.u(),
            events: r.u() as u32,
            grow_works: r.u() as u32,
        };
        debug_assert!(r.0.is_empty(), "a packed state is read to its end");
        HmapState {
            h,
            arrays,
            iters,
            hashes,
            ops,
            next_iter_id,
            ghost,
            sym: SymCtx::default(),
        }
    }

    /// Runs `f` on the decoded `p`, decoding it only if it is not the last state this thread
    /// decoded for this model.
    fn with_decoded<R>(&self, p: &PackedState, f: impl FnOnce(&HmapState<N>) -> R) -> R {
        type Entry<const N: usize> = (u64, PackedState, HmapState<N>);
        DECODED.with(|cell| {
            let mut cell = cell.borrow_mut();
            let hit = cell
                .as_ref()
                .and_then(|b| b.downcast_ref::<Entry<N>>())
                .is_some_and(|(id, bytes, _)| *id == self.id && bytes == p);
            if !hit {
                *cell = Some(Box::new((self.id, p.clone(), self.decode(p))));
            }
            let (_, _, s) = cell
                .as_ref()
                .and_then(|b| b.downcast_ref::<Entry<N>>())
                .expect("just stored");
            f(s)
        })
    }
}

/// The condition of the inner model's property `I`, on a packed state.
fn condition<const N: usize, const I: usize>(m: &PackedHmap<N>, p: &PackedState) -> bool {
    let cond = m.conds[I];
    m.with_decoded(p, |s| cond(&m.inner, s))
}

/// [`condition`] for I = 0, 1, 2, ...: one function per property (stateright's conditions
/// are plain function pointers).
macro_rules! conditions {
    ($($i:literal)*) => {
        fn conditions<const N: usize>() -> &'static [fn(&PackedHmap<N>, &PackedState) -> bool] {
            &[$(condition::<N, $i>),*]
        }
    };
}
conditions!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
    32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47);

impl<const N: usize> Model for PackedHmap<N> {
    type State = PackedState;
    type Action = HmapAction;

    fn init_states(&self) -> Vec<PackedState> {
        self.inner
            .init_states()
            .iter()
            .map(|s| self.encode(s))
            .collect()
    }

    fn actions(&self, p: &PackedState, actions: &mut Vec<HmapAction>) {
        self.with_decoded(p, |s| self.inner.actions(s, actions))
    }

    fn next_state(&self, p: &PackedState, action: HmapAction) -> Option<PackedState> {
        // The inner model's step (`HmapModel::step`, as `apply` runs it) on this thread's
        // successor state instead of a fresh clone, and without the inner `next_state`'s
        // `seal` (array fingerprints): the bytes are the state's identity here.
        self.with_decoded(p, |s| {
            SUCCESSOR.with(|cell| {
                let mut cell = cell.borrow_mut();
                let next = match cell.as_mut().and_then(|b| b.downcast_mut::<HmapState<N>>()) {
                    Some(next) => {
                        next.copy_from(s);
                        next
                    }
                    None => cell
                        .insert(Box::new(s.clone()))
                        .downcast_mut::<HmapState<N>>()
                        .expect("just stored"),
                };
                self.inner
                    .step(next, &action, &mut crate::framework::log::Log::default());
                Some(self.encode(next))
            })
        })
    }

    fn format_action(&self, action: &HmapAction) -> String {
        self.inner.format_action(action)
    }

    fn format_step(&self, last: &PackedState, action: HmapAction) -> Option<String> {
        self.inner.format_step(&self.decode(last), action)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let conds = conditions::<N>();
        let inner = self.inner.properties();
        assert!(
            inner.len() <= conds.len(),
            "more properties than packed conditions"
        );
        inner
            .into_iter()
            .zip(conds)
            .map(|(p, &condition)| Property {
                expectation: p.expectation,
                name: p.name,
                condition,
            })
            .collect()
    }
}

impl<const N: usize> Checkable for PackedHmap<N> {
    fn state_text(&self, p: &PackedState) -> String {
        self.inner.state_text(&self.decode(p))
    }
    fn explain_step(&self, p: &PackedState, a: &HmapAction) -> (Vec<String>, String, PackedState) {
        let (log, out, next) = self.inner.explain_step(&self.decode(p), a);
        (log, out, self.encode(&next))
    }
    fn only(&self, name: &'static str) -> Self {
        PackedHmap::new(self.inner.only(name))
    }
    fn init_states_estimate(&self) -> Option<(usize, u64)> {
        self.inner.init_states_estimate()
    }
    fn symmetry_fn(&self) -> Option<Representative<PackedState>> {
        // Breadth-first searches only, where stateright applies no symmetry.
        None
    }
}
