//! A model's states as bytes, for breadth-first searches.
//!
//! A breadth-first search holds every state of its frontier in stateright's queue, and the
//! memory of those states is most of the search's besides stateright's map of generated
//! states (docs/performance-checker.md, "Where a BFS search's memory goes"). [`Packed`] is a
//! model with its states encoded as a short byte string ([`PackedState`]) by the model's own
//! [`PackCodec`]. Two states are equal exactly when their bytes are, and a state's fingerprint
//! hashes its bytes; with the patched stateright (upstream patches 0012 and 0018), a model
//! that sets [`PackCodec::FINGERPRINT_DECODED`] is fingerprinted by its decoded state's own
//! hash instead, so that a successor is encoded only when it is new: it waits, stepped in a
//! state the thread keeps for its slot, while the search computes the next successor and
//! then looks the first one up. Steps and properties run on
//! the decoded state, with the inner model's own code; the last state decoded is kept per
//! thread, as stateright asks for the properties, the actions and every successor of one
//! state in a row.
//!
//! Such a model's successor that has no actions ([`PackCodec::is_terminal`]: in the hmap
//! specs, the 43-72% of the states that have done their operations) is queued as a token
//! instead of its encoding: its properties' values, worked out on the successor as it was
//! stepped, in the place of the bytes' pointer and length. The search asks a queued state
//! for its properties, its actions and its successors only, and a terminal one has neither
//! actions nor successors, so a token is never decoded; paths are rebuilt from the initial
//! states with `next_state`, which encodes every state. So a terminal state costs no
//! encoding, no decoding and no allocation.
//!
//! The search is the same: the same initial states, actions, successors and properties, so
//! the same unique states and verdicts (the pinned counts check this, and
//! `assert_packs` checks every reachable state of a model in the unit tests).
//!
//! The hmap model encodes its states by hand (hmap::packed); the concurrent models whose
//! states are small plain values encode them with serde and postcard ([`write_serde`]).

use super::check::{Checkable, Representative};
use super::check::{RunOptions, SpecResult};
use super::cost::ModelCost;
use super::digest::mix;
use super::info::{cost_checked, run_checked};
use super::spec::{Spec, SpecError, Strategy};
use stateright::{Model, Property};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A state encoded by its model's [`PackCodec`], or a terminal state's token
/// (`Packed::build_held`).
#[derive(Clone, PartialEq, Eq)]
pub struct PackedState(Repr);

#[derive(Clone, PartialEq, Eq)]
enum Repr {
    /// The bytes [`PackCodec::write_state`] wrote.
    Bytes(Box<[u8]>),
    /// A terminal state's token: bit i is the value of the inner model's property i.
    Terminal(u64),
}

// A token takes the place of the bytes' pointer and length: no allocation, and no word more
// per queued state.
const _: () = assert!(std::mem::size_of::<PackedState>() == 16);

impl PackedState {
    /// The encoding's bytes (none for a terminal state's token).
    pub fn bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Bytes(b) => b,
            Repr::Terminal(_) => &[],
        }
    }
}

impl std::hash::Hash for PackedState {
    /// One word for the hasher: the bytes folded 16 at a time (a token's bits, folded once).
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let bytes = match &self.0 {
            Repr::Bytes(b) => b,
            Repr::Terminal(bits) => return state.write_u64(mix(u64::MAX, *bits, 1)),
        };
        let mut d = bytes.len() as u64;
        let mut chunks = bytes.chunks_exact(16);
        for c in &mut chunks {
            let a = u64::from_le_bytes(c[..8].try_into().expect("8 bytes"));
            let b = u64::from_le_bytes(c[8..].try_into().expect("8 bytes"));
            d = mix(d, a, b);
        }
        let mut tail = [0u8; 16];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        let a = u64::from_le_bytes(tail[..8].try_into().expect("8 bytes"));
        let b = u64::from_le_bytes(tail[8..].try_into().expect("8 bytes"));
        state.write_u64(mix(d, a, b));
    }
}

impl std::fmt::Debug for PackedState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Repr::Bytes(b) => write!(f, "PackedState({} bytes)", b.len()),
            Repr::Terminal(bits) => write!(f, "PackedState(terminal, properties {bits:#b})"),
        }
    }
}

/// How a model's states become bytes and back. The encoding must be one to one on the
/// states' equality: equal states write equal bytes, and `read_state` gives back a state
/// equal to the one written.
pub trait PackCodec: Checkable {
    /// Appends the bytes of `s` to `out`.
    fn write_state(&self, s: &Self::State, out: &mut Vec<u8>);
    /// The state whose bytes `bytes` are (bytes `write_state` wrote).
    fn read_state(&self, bytes: &[u8]) -> Self::State;
    /// Makes `out` the state whose bytes `bytes` are, reusing what it holds where the model
    /// can. By default `read_state`'s state replaces it.
    fn read_state_into(&self, bytes: &[u8], out: &mut Self::State) {
        *out = self.read_state(bytes);
    }
    /// Called on the state [`step_in_place`] stepped from the last decoded state, before the
    /// thread decodes another one into that state's place: a model whose successors share
    /// memory with their parent (the hmap model's bucket arrays) gives up those references
    /// here, so that `read_state_into` can reuse that memory. By default nothing.
    fn release_successor(_next: &mut Self::State) {}
    /// Whether the patched stateright's breadth-first search fingerprints this model's
    /// packed states by their decoded state's own `Hash` (and a successor before it is
    /// encoded) rather than by their bytes: worth it where that hash is cheaper than the
    /// encoding, as the hmap model's is (one word folded from the header and each array's
    /// kept digest). The syncmap model's derived `Hash`, through stateright's hasher, costs
    /// more than its encoding, and fingerprinting its bytes in a buffer before copying them
    /// out was no faster than the default either (docs/performance-checker.md, patch 0012).
    const FINGERPRINT_DECODED: bool = false;

    /// Whether `s` has no actions: true only where [`Model::actions`] gives `s` none. With
    /// the patched stateright, a model that sets [`PackCodec::FINGERPRINT_DECODED`] has such
    /// a successor queued as a token of its properties' values (`Packed::build_held`):
    /// the search asks a state with no successors for nothing else. By default false: every
    /// state is queued encoded.
    fn is_terminal(&self, _s: &Self::State) -> bool {
        false
    }

    /// The successor of `s` by `a`, handed to `then` (which encodes it, or with the patched
    /// stateright fingerprints it first and encodes it only when it is new). By default the
    /// model's own `next_state`; a model may step a state it keeps per thread instead of a
    /// fresh clone ([`step_in_place`] into the kept state number `slot`, 0 or 1). A model that
    /// sets [`PackCodec::FINGERPRINT_DECODED`] must: its successor is encoded from that kept
    /// state after `then` returns, once the search knows it is new.
    fn step_then<R>(
        &self,
        s: &Self::State,
        a: Self::Action,
        _slot: usize,
        then: impl FnOnce(&Self::State) -> R,
    ) -> Option<R> {
        self.next_state(s, a).map(|n| then(&n))
    }
}

/// [`PackCodec::write_state`] for a state that serde writes field by field: postcard's
/// encoding (variable-length integers, no field names). Derived `Serialize` and `PartialEq`
/// over the same fields make it one to one.
pub fn write_serde<T: serde::Serialize>(s: &T, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail: postcard fails only on a full buffer or on types it
    // cannot write (none of the models' states are such).
    let buf = std::mem::take(out);
    *out = postcard::to_extend(s, buf).expect("a model's state serializes with postcard");
}

/// [`PackCodec::read_state`] for [`write_serde`]'s bytes.
pub fn read_serde<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> T {
    postcard::from_bytes(bytes).expect("a packed state's own bytes")
}

/// A [`PackCodec::step_then`] for a model that steps a state in place: `step` runs on the
/// state this thread keeps in `slot` (0 or 1), made equal to `s` by `copy` (which can reuse
/// the allocations the kept state already has), and the result is handed to `then`; so a
/// successor costs no clone and no drop of a state. The successor stays there until the
/// slot's next use ([`with_kept`] reads it).
pub fn step_in_place<S: Clone + 'static, R>(
    s: &S,
    slot: usize,
    copy: impl FnOnce(&mut S, &S),
    step: impl FnOnce(&mut S),
    then: impl FnOnce(&S) -> R,
) -> R {
    in_kept_state(s, slot, copy, |next| {
        step(next);
        then(next)
    })
}

/// Runs `f` on the state this thread keeps in `slot` (0 or 1; one per slot and state type),
/// made equal to `s` by `copy` (which can reuse the allocations the kept state already has),
/// or on a clone of `s` the first time: a state worked on in place without a clone and a drop
/// per call. What [`step_in_place`] steps successors in, and what the unsync model makes a
/// symmetry representative in for its fingerprint (slot 0).
pub fn in_kept_state<S: Clone + 'static, R>(
    s: &S,
    slot: usize,
    copy: impl FnOnce(&mut S, &S),
    f: impl FnOnce(&mut S) -> R,
) -> R {
    SUCCESSOR.with(|cells| {
        let mut cell = cells[slot].borrow_mut();
        let kept = match cell.as_mut().and_then(|b| b.downcast_mut::<S>()) {
            Some(kept) => {
                copy(kept, s);
                kept
            }
            None => cell
                .insert(Box::new(s.clone()))
                .downcast_mut::<S>()
                .expect("just stored"),
        };
        f(kept)
    })
}

/// Runs `f` on the state this thread keeps in `slot` as it is (the last successor
/// [`step_in_place`] stepped there), if it holds one of type `S`.
pub fn with_kept<S: 'static, R>(slot: usize, f: impl FnOnce(&S) -> R) -> Option<R> {
    SUCCESSOR.with(|cells| {
        let cell = cells[slot].borrow();
        cell.as_ref().and_then(|b| b.downcast_ref::<S>()).map(f)
    })
}

/// Distinguishes the models whose states a thread's decoded state came from.
static NEXT_MODEL_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The buffer [`Packed::encode`] writes into.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// The last state this thread decoded (a [`Decoded`]), as `Any` since a thread-local
    /// cannot be generic.
    static DECODED: RefCell<Option<Box<dyn std::any::Any>>> = const { RefCell::new(None) };
    /// The states [`in_kept_state`] keeps (that [`step_in_place`] steps successors in), one
    /// per slot, as `Any`.
    static SUCCESSOR: [RefCell<Option<Box<dyn std::any::Any>>>; 2] =
        const { [RefCell::new(None), RefCell::new(None)] };
}

/// The inner model's property conditions, in the order of its properties.
type Conditions<M> = Arc<[fn(&M, &<M as Model>::State) -> bool]>;

/// A model over [`PackedState`]s (see the module's header).
pub struct Packed<M: PackCodec> {
    pub inner: M,
    conds: Conditions<M>,
    id: u64,
}

impl<M: PackCodec> Clone for Packed<M> {
    fn clone(&self) -> Self {
        Packed {
            inner: self.inner.clone(),
            conds: Arc::clone(&self.conds),
            id: self.id,
        }
    }
}

impl<M: PackCodec> Packed<M> {
    pub fn new(inner: M) -> Self {
        let conds = inner.properties().iter().map(|p| p.condition).collect();
        Packed {
            inner,
            conds,
            id: NEXT_MODEL_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The bytes of `s`.
    pub fn encode(&self, s: &M::State) -> PackedState {
        // Written into this thread's buffer, then copied into an allocation of their size.
        let mut buf = SCRATCH.with(|b| std::mem::take(&mut *b.borrow_mut()));
        buf.clear();
        self.inner.write_state(s, &mut buf);
        let packed = PackedState(Repr::Bytes(Box::from(&buf[..])));
        SCRATCH.with(|b| *b.borrow_mut() = buf);
        packed
    }

    /// The state [`Packed::encode`] wrote.
    ///
    /// # Panics
    /// On a terminal state's token (`Packed::build_held`), which holds no state.
    pub fn decode(&self, p: &PackedState) -> M::State {
        Self::no_token(p);
        self.inner.read_state(p.bytes())
    }

    /// A terminal state `s`'s token: bit i is the value of the inner model's property i on
    /// `s` (a packed model has at most 48 properties). Its properties are read from it and
    /// its actions are none; it is never decoded.
    pub fn terminal_token(&self, s: &M::State) -> PackedState {
        let bits = (self.conds.iter().enumerate()).fold(0u64, |b, (i, c)| {
            if c(&self.inner, s) {
                b | 1 << i
            } else {
                b
            }
        });
        PackedState(Repr::Terminal(bits))
    }

    /// The values of the properties a terminal state's token holds (bit i: property i), or
    /// None if `p` is an encoded state.
    fn token_bits(p: &PackedState) -> Option<u64> {
        match p.0 {
            Repr::Terminal(bits) => Some(bits),
            Repr::Bytes(_) => None,
        }
    }

    /// Panics if `p` is a terminal state's token: what needs the state itself (a step, a
    /// fingerprint, a text) is never asked of one, which has no successors and is never on
    /// a path (paths are rebuilt from the initial states by `next_state`).
    fn no_token(p: &PackedState) {
        assert!(
            Self::token_bits(p).is_none(),
            "a terminal state's token is never decoded"
        );
    }

    /// Runs `f` on the decoded `p`, decoding it only if it is not the last state this thread
    /// decoded for this model. The thread's decoded state and its bytes are kept from one
    /// state to the next: a miss writes into their allocations ([`PackCodec::read_state_into`]).
    fn with_decoded<R>(&self, p: &PackedState, f: impl FnOnce(&M::State) -> R) -> R {
        Self::no_token(p);
        DECODED.with(|cell| {
            let mut cell = cell.borrow_mut();
            match cell
                .as_mut()
                .and_then(|b| b.downcast_mut::<Decoded<M::State>>())
            {
                Some(d) => {
                    if d.id != self.id || d.bytes[..] != *p.bytes() {
                        // (Not while a step holds it: the release only saves allocations.)
                        SUCCESSOR.with(|cells| {
                            for c in cells {
                                if let Some(next) = c
                                    .try_borrow_mut()
                                    .ok()
                                    .as_mut()
                                    .and_then(|b| b.as_mut())
                                    .and_then(|b| b.downcast_mut::<M::State>())
                                {
                                    M::release_successor(next);
                                }
                            }
                        });
                        d.id = self.id;
                        d.bytes.clear();
                        d.bytes.extend_from_slice(p.bytes());
                        self.inner.read_state_into(p.bytes(), &mut d.state);
                    }
                    f(&d.state)
                }
                None => {
                    let d = Decoded {
                        id: self.id,
                        bytes: p.bytes().to_vec(),
                        state: self.decode(p),
                    };
                    let d = cell
                        .insert(Box::new(d))
                        .downcast_ref::<Decoded<M::State>>()
                        .expect("just stored");
                    f(&d.state)
                }
            }
        })
    }
}

/// The last state a thread decoded ([`Packed::with_decoded`]): the model it came from, its
/// bytes and the state.
struct Decoded<S> {
    id: u64,
    bytes: Vec<u8>,
    state: S,
}

/// The condition of the inner model's property `I`, on a packed state.
fn condition<M: PackCodec, const I: usize>(m: &Packed<M>, p: &PackedState) -> bool {
    if let Some(bits) = Packed::<M>::token_bits(p) {
        return bits >> I & 1 != 0;
    }
    let cond = m.conds[I];
    m.with_decoded(p, |s| cond(&m.inner, s))
}

/// [`condition`] for I = 0, 1, 2, ...: one function per property (stateright's conditions
/// are plain function pointers).
macro_rules! conditions {
    ($($i:literal)*) => {
        fn conditions<M: PackCodec>() -> Vec<fn(&Packed<M>, &PackedState) -> bool> {
            vec![$(condition::<M, $i>),*]
        }
    };
}
conditions!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
    32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47);

impl<M: PackCodec> Model for Packed<M> {
    type State = PackedState;
    type Action = M::Action;

    fn init_states(&self) -> Vec<PackedState> {
        self.inner
            .init_states()
            .iter()
            .map(|s| self.encode(s))
            .collect()
    }

    fn actions(&self, p: &PackedState, actions: &mut Vec<M::Action>) {
        // A terminal state's token has none.
        if Self::token_bits(p).is_none() {
            self.with_decoded(p, |s| self.inner.actions(s, actions))
        }
    }

    fn next_state(&self, p: &PackedState, action: M::Action) -> Option<PackedState> {
        self.with_decoded(p, |s| {
            self.inner.step_then(s, action, 0, |n| self.encode(n))
        })
    }

    /// With the patched stateright, the breadth-first search keeps, for a model whose
    /// [`PackCodec::FINGERPRINT_DECODED`] is set, the fingerprint of the decoded state (its
    /// own `Hash`, as a depth-first search of the model keeps), so that
    /// [`Packed::fingerprint_successor`] can fingerprint a successor before encoding it; for
    /// any other model the fingerprint of the bytes, as without the patch.
    #[cfg(feature = "stateright-patched")]
    fn fingerprint_of(&self, p: &PackedState) -> stateright::Fingerprint {
        if M::FINGERPRINT_DECODED {
            self.with_decoded(p, stateright::fingerprint)
        } else {
            stateright::fingerprint(p)
        }
    }

    /// A successor is built only when its fingerprint is new, and most transitions reach a
    /// state already generated. With [`PackCodec::FINGERPRINT_DECODED`] the successor is
    /// stepped in the thread's kept state of `held`'s slot and fingerprinted there;
    /// `Packed::build_held` encodes it from there if the search finds it new. Otherwise the
    /// default's sequence: the successor encoded, its bytes fingerprinted and held.
    /// (`within_boundary` is the default here: no successor is outside it.)
    #[cfg(feature = "stateright-patched")]
    fn fingerprint_successor(
        &self,
        p: &PackedState,
        action: M::Action,
        held: &mut stateright::Held<PackedState>,
    ) -> stateright::Fingerprinted {
        use stateright::{fingerprint, Fingerprinted};
        if !M::FINGERPRINT_DECODED {
            return match self.next_state(p, action) {
                None => Fingerprinted::None,
                Some(next) => {
                    let fp = fingerprint(&next);
                    held.hold(next);
                    Fingerprinted::Held(fp)
                }
            };
        }
        let slot = held.slot();
        match self.with_decoded(p, |s| self.inner.step_then(s, action, slot, fingerprint)) {
            None => Fingerprinted::None,
            Some(fp) => Fingerprinted::Held(fp),
        }
    }

    /// The successor [`Packed::fingerprint_successor`] left in `held`'s slot, encoded (or,
    /// without [`PackCodec::FINGERPRINT_DECODED`], the encoding it held). A successor with no
    /// actions ([`PackCodec::is_terminal`]) is queued as its token instead
    /// ([`Packed::terminal_token`]): the search asks it for its properties and its actions
    /// (none) only, so it is neither encoded nor decoded, and it allocates nothing.
    #[cfg(feature = "stateright-patched")]
    fn build_held(
        &self,
        _p: &PackedState,
        held: &mut stateright::Held<PackedState>,
    ) -> PackedState {
        if !M::FINGERPRINT_DECODED {
            return held
                .take()
                .expect("build_held follows a fingerprint_successor that held a successor");
        }
        with_kept::<M::State, _>(held.slot(), |n| {
            if self.inner.is_terminal(n) {
                self.terminal_token(n)
            } else {
                self.encode(n)
            }
        })
        .expect("a model with FINGERPRINT_DECODED steps its successors in place (step_in_place)")
    }

    /// The inner model's conditions, on the state decoded once for all of them (each
    /// condition on its own looks the decoded state up again).
    #[cfg(feature = "stateright-patched")]
    fn evaluate_properties<V: FnMut(usize, &dyn Fn() -> bool)>(
        &self,
        p: &PackedState,
        _properties: &[Property<Self>],
        visit: &mut V,
    ) {
        if let Some(bits) = Self::token_bits(p) {
            for i in 0..self.conds.len() {
                visit(i, &|| bits >> i & 1 != 0);
            }
            return;
        }
        self.with_decoded(p, |s| {
            for (i, cond) in self.conds.iter().enumerate() {
                visit(i, &|| cond(&self.inner, s));
            }
        })
    }

    fn format_action(&self, action: &M::Action) -> String {
        self.inner.format_action(action)
    }

    fn format_step(&self, last: &PackedState, action: M::Action) -> Option<String> {
        self.inner.format_step(&self.decode(last), action)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let conds = conditions::<M>();
        let inner = self.inner.properties();
        assert!(
            inner.len() <= conds.len(),
            "more properties than packed conditions"
        );
        inner
            .into_iter()
            .zip(conds)
            .map(|(p, condition)| Property {
                expectation: p.expectation,
                name: p.name,
                condition,
            })
            .collect()
    }
}

impl<M: PackCodec> Checkable for Packed<M> {
    fn state_text(&self, p: &PackedState) -> String {
        self.inner.state_text(&self.decode(p))
    }
    fn explain_step(&self, p: &PackedState, a: &M::Action) -> (Vec<String>, String, PackedState) {
        let (log, out, next) = self.inner.explain_step(&self.decode(p), a);
        (log, out, self.encode(&next))
    }
    fn only(&self, name: &'static str) -> Self {
        Packed::new(self.inner.only(name))
    }
    fn explorer_model(&self) -> Self {
        Packed::new(self.inner.explorer_model())
    }
    fn init_states_estimate(&self) -> Option<(usize, u64)> {
        self.inner.init_states_estimate()
    }
    fn symmetry_fn(&self) -> Option<Representative<PackedState>> {
        // Breadth-first searches only, where stateright applies no symmetry (a spec asking
        // for both is refused when its model is built).
        None
    }
}

/// Runs `model`'s spec: a breadth-first search over its packed states, any other search
/// over its own.
pub fn run_packing_bfs<M: PackCodec>(
    spec: &Spec,
    model: M,
    opts: &RunOptions,
) -> Result<SpecResult, SpecError> {
    if spec.strategy == Strategy::Bfs {
        run_checked(spec, Packed::new(model), opts)
    } else {
        run_checked(spec, model, opts)
    }
}

/// Times `model`'s spec as [`run_packing_bfs`] runs it.
pub fn cost_packing_bfs<M: PackCodec>(
    spec: &Spec,
    model: M,
    n: usize,
) -> Result<ModelCost, SpecError> {
    if spec.strategy == Strategy::Bfs {
        cost_checked(spec, Packed::new(model), n)
    } else {
        cost_checked(spec, model, n)
    }
}

/// Every state `model` reaches from its initial states survives the packed encoding:
/// decoding its bytes gives it back, its bytes are those of the state decoded from them, no
/// two reachable states share bytes, and the packed model's successors are the encodings of
/// the model's own. With the patched stateright, also: a packed state's fingerprint is its
/// decoded state's (with `FINGERPRINT_DECODED`) or its bytes' (without), and
/// `fingerprint_successor` hands over the fingerprint the search keeps for the successor, and
/// `build_held` its encoding (or a terminal successor's token), while the next successor
/// waits in the other slot; a state [`PackCodec::is_terminal`] calls terminal has no actions,
/// and its token gives its properties' values and no actions. Returns the states it checked.
#[cfg(test)]
pub fn assert_packs<M: PackCodec>(model: &M) -> std::collections::HashSet<M::State>
where
    M::State: Eq,
{
    let packed = Packed::new(model.clone());
    let mut seen = std::collections::HashSet::new();
    let mut bytes = std::collections::HashSet::new();
    let mut todo = model.init_states();
    let mut actions = Vec::new();
    while let Some(s) = todo.pop() {
        if !seen.insert(s.clone()) {
            continue;
        }
        let p = packed.encode(&s);
        let back = packed.decode(&p);
        assert!(back == s, "decoded {back:?}, encoded {s:?}");
        assert!(packed.encode(&back) == p);
        assert!(bytes.insert(p.clone()), "two states with the same bytes");
        actions.clear();
        model.actions(&s, &mut actions);
        assert!(
            !model.is_terminal(&s) || actions.is_empty(),
            "a terminal state with actions: {s:?}"
        );
        #[cfg(feature = "stateright-patched")]
        if model.is_terminal(&s) {
            assert_token(&packed, &s, &p);
        }
        let mut successors = Vec::new();
        for a in actions.drain(..) {
            let next = model.next_state(&s, a.clone());
            assert!(
                packed.next_state(&p, a.clone()) == next.as_ref().map(|n| packed.encode(n)),
                "{a:?}"
            );
            successors.push((a, next.clone()));
            todo.extend(next);
        }
        #[cfg(feature = "stateright-patched")]
        assert_fingerprints_first(&packed, &s, &p, &successors);
        #[cfg(feature = "stateright-patched")]
        assert_properties_together(&packed, &s, &p);
    }
    seen
}

/// `assert_packs`'s check of the properties evaluated together on the packed state `p` of
/// `s` (`Model::evaluate_properties`, patch 0019): each property, in order, once, with the
/// value the inner model's own condition has on `s`.
#[cfg(all(test, feature = "stateright-patched"))]
fn assert_properties_together<M: PackCodec>(packed: &Packed<M>, s: &M::State, p: &PackedState) {
    let inner = packed.inner.properties();
    let want: Vec<(usize, bool)> = inner
        .iter()
        .enumerate()
        .map(|(i, prop)| (i, (prop.condition)(&packed.inner, s)))
        .collect();
    let mut got = Vec::new();
    packed.evaluate_properties(
        p,
        &packed.properties(),
        &mut |i, holds: &dyn Fn() -> bool| got.push((i, holds())),
    );
    assert_eq!(got, want, "{s:?}");
}

/// `assert_packs`'s check of the token of the terminal state `s`, packed as `p`: its
/// properties evaluated together and one by one are the inner model's conditions on `s`, it
/// has no actions, and it is not `p`.
#[cfg(all(test, feature = "stateright-patched"))]
fn assert_token<M: PackCodec>(packed: &Packed<M>, s: &M::State, p: &PackedState) {
    let t = packed.terminal_token(s);
    assert!(Packed::<M>::token_bits(&t).is_some() && t != *p);
    let want: Vec<(usize, bool)> = (packed.inner.properties().iter().enumerate())
        .map(|(i, prop)| (i, (prop.condition)(&packed.inner, s)))
        .collect();
    let mut got = Vec::new();
    packed.evaluate_properties(
        &t,
        &packed.properties(),
        &mut |i, holds: &dyn Fn() -> bool| got.push((i, holds())),
    );
    assert_eq!(got, want, "{s:?}");
    let one_by_one: Vec<(usize, bool)> = (packed.properties().iter().enumerate())
        .map(|(i, prop)| (i, (prop.condition)(packed, &t)))
        .collect();
    assert_eq!(one_by_one, want, "{s:?}");
    let mut actions = Vec::new();
    packed.actions(&t, &mut actions);
    assert!(actions.is_empty());
}

/// `assert_packs`'s checks of the breadth-first search's fingerprint-first successors, for
/// the state `s`, packed as `p`, and the model's own successors by each action: each
/// successor fingerprinted in one of the two slots while the one before it waits in the
/// other, as the search does, then built from its slot, and built again after the next one
/// was fingerprinted into the other slot.
#[cfg(all(test, feature = "stateright-patched"))]
fn assert_fingerprints_first<M: PackCodec>(
    packed: &Packed<M>,
    s: &M::State,
    p: &PackedState,
    successors: &[(M::Action, Option<M::State>)],
) {
    use stateright::{fingerprint, Fingerprinted, Held};
    assert_eq!(
        packed.fingerprint_of(p),
        if M::FINGERPRINT_DECODED {
            fingerprint(s)
        } else {
            fingerprint(p)
        }
    );
    // What each successor's fingerprint and encoding must be, worked out first: a lookup of
    // another state's decoding releases the successors held (as the search never asks
    // between a successor's fingerprint and its build).
    let want: Vec<Option<(stateright::Fingerprint, PackedState)>> = successors
        .iter()
        .map(|(a, next)| {
            next.as_ref().map(|n| {
                let bytes = packed.encode(n);
                // The fingerprint handed over is the one the search keeps for the successor.
                let kept = packed.fingerprint_of(&bytes);
                if M::FINGERPRINT_DECODED {
                    assert_eq!(kept, fingerprint(n), "{a:?}");
                }
                // What is built: the encoding, or a terminal successor's token.
                if M::FINGERPRINT_DECODED && packed.inner.is_terminal(n) {
                    (kept, packed.terminal_token(n))
                } else {
                    (kept, bytes)
                }
            })
        })
        .collect();
    let mut held = [Held::new(0), Held::new(1)];
    // The successor waiting in a slot, and its action.
    let mut waiting: Option<(usize, &M::Action, &PackedState)> = None;
    let mut slot = 0;
    for ((a, _), want) in successors.iter().zip(&want) {
        let got = packed.fingerprint_successor(p, a.clone(), &mut held[slot]);
        let Some((kept, bytes)) = want else {
            assert!(got == Fingerprinted::None, "{a:?}");
            continue;
        };
        assert!(got == Fingerprinted::Held(*kept), "{a:?}");
        // The one before it, fingerprinted into the other slot, is still there to build.
        if let Some((at, before, want)) = waiting.take() {
            let built = packed.build_held(p, &mut held[at]);
            assert!(built == *want, "{before:?} then {a:?}");
        }
        waiting = Some((slot, a, bytes));
        slot ^= 1;
    }
    if let Some((at, a, want)) = waiting {
        assert!(packed.build_held(p, &mut held[at]) == *want, "{a:?}");
    }
}
