//! The `unsync` model's state: the goroutines ([`G`], their registers [`GMap`] in
//! `steps`), the ghost state the properties read ([`UGhost`]), operation results ([`ORes`]),
//! the parameters ([`UnsyncParams`], [`UOps`]) and the actions ([`UAction`]). The map itself
//! is the hmap model's [`HmapState`].

use super::steps::{GMap, InjectedDefect, Pc, UOp};
use crate::hmap::state::*;
use crate::hmap::steps::Geometry;

/// Which operations goroutines choose from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct UOps {
    pub assign: bool,
    pub delete: bool,
    pub access: bool,
    pub iterate: bool,
}

/// Parameters of the `unsync` model.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct UnsyncParams {
    pub geo: Geometry,
    /// Goroutines choosing from every operation in `ops`.
    pub goroutines: u8,
    /// Further goroutines that only read (mapaccess2, and range if `ops` has it).
    pub readers: u8,
    pub ops_per_goroutine: u8,
    pub keys: u8,
    pub values: u8,
    pub hash_bits: u32,
    pub hint: usize,
    /// Keys the map holds before the goroutines start (k(keys+1).. with elems v1, v2, ..),
    /// inserted by mapassign in order.
    pub initial: u8,
    /// The low hash bits of every key (goroutine keys, then the initial ones): one hash
    /// assignment instead of every injective one (needed with `initial`, whose keys may
    /// share hashes, as real keys do when only the low bits are looked at).
    pub hash_pattern: Option<Vec<u8>>,
    /// Fixed programs, one per goroutine (instead of choosing from `ops`): the scenarios
    /// `gomap observe` runs on real goroutines.
    pub programs: Option<Vec<Vec<UOp>>>,
    pub ops: UOps,
    /// At most this many preemptions per execution (see [`Sched`]); None: every
    /// interleaving.
    pub max_preemptions: Option<u8>,
    /// After each step, set the registers no later step reads to their initial values
    /// (dead-variable reduction, see `steps::liveness`): the same verdicts over fewer states.
    pub clear_dead_registers: bool,
    /// A terminal state (a goroutine threw, or every goroutine finished) is searched as the
    /// values of the properties on it (`UGhost::terminal`): the symmetry representative of
    /// every terminal state with the same values is one state. The same verdicts over fewer
    /// states; needs the search's symmetry.
    pub merge_terminal_states: bool,
    /// Test-only: a defect put back on purpose (see [`InjectedDefect`]). No spec parameter
    /// sets it; `InjectedDefect::None` (the default) is the model.
    #[doc(hidden)]
    #[serde(skip)]
    pub injected_defect: InjectedDefect,
}

impl Default for UnsyncParams {
    fn default() -> Self {
        UnsyncParams {
            geo: Geometry {
                bucket_cnt: 1,
                load_factor_num: 1,
                load_factor_den: 2,
            },
            goroutines: 2,
            readers: 0,
            ops_per_goroutine: 1,
            keys: 2,
            values: 1,
            hash_bits: 1,
            hint: 0,
            initial: 0,
            hash_pattern: None,
            programs: None,
            ops: UOps {
                assign: true,
                delete: false,
                access: false,
                iterate: false,
            },
            max_preemptions: None,
            clear_dead_registers: false,
            merge_terminal_states: false,
            injected_defect: InjectedDefect::None,
        }
    }
}

/// A goroutine: how many operations it finished and the one in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct G {
    /// A reader (only mapaccess2 and range); readers come after the full goroutines.
    pub reader: bool,
    pub done: u8,
    pub cur: Option<GMap>,
}

/// Ghost state for the properties.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct UGhost {
    /// Two operations overlapped, at least one of them a write (a data race in Go's memory
    /// model).
    pub raced: bool,
    /// The goroutine that threw and Go's message.
    pub thrown: Option<(u8, &'static str)>,
    /// Keys some goroutine assigned / deleted (bit k-1).
    pub assigned: u8,
    pub deleted: u8,
    /// The last step returned (0, true) from mapaccess2: an elem nobody stored.
    pub torn_read: bool,
    /// The last step grew or evacuated while another goroutine was inside an operation.
    pub growth_while_racing: bool,
    /// With `record_results` (for `gomap observe`): per goroutine, each finished
    /// operation's result; empty otherwise (so it never splits states).
    pub results: Vec<Vec<ORes>>,
    /// With `record_results`: the yields of each goroutine's range loop in progress.
    pub yields: Vec<Vec<(u64, u64)>>,
    /// With `merge_terminal_states`, on a terminal state: bit i set when property i of the
    /// model's list holds there (what the symmetry representative keeps of the state).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terminal: Option<u16>,
}

/// A finished operation's result, as the Go program sees it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum ORes {
    /// mapassign, mapdelete.
    Unit,
    /// mapaccess2's (elem, ok).
    Access(u64, bool),
    /// A range loop's yields, in order.
    Range(Vec<(u64, u64)>),
}

/// What a preemption-bounded search (`max_preemptions`) keeps: the goroutine that took the
/// last step and the preemptions so far. A preemption is a step of one goroutine while the
/// goroutine that took the last step is inside an operation and could go on. Always the
/// default (and so no part of the state's identity) without `max_preemptions`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Sched {
    pub last: Option<u8>,
    pub preemptions: u8,
}

/// The whole state.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct UnsyncState<const N: usize = MAX_BUCKET_CNT> {
    pub m: HmapState<N>,
    pub gs: Vec<G>,
    pub ghost: UGhost,
    #[serde(skip_serializing_if = "is_unbounded")]
    pub sched: Sched,
}

fn is_unbounded(s: &Sched) -> bool {
    *s == Sched::default()
}

impl<const N: usize> UnsyncState<N> {
    /// Makes this state equal to `src`, reusing its allocations (the map's, see
    /// [`HmapState::copy_from`], and the goroutines' vector): what a search that steps one
    /// state per thread in place does before each step.
    pub fn copy_from(&mut self, src: &UnsyncState<N>) {
        // Every field named, so that a field added to the state cannot be left out here.
        let UnsyncState {
            m,
            gs,
            ghost,
            sched,
        } = src;
        self.m.copy_from(m);
        self.gs.clone_from(gs);
        self.ghost.clone_from(ghost);
        self.sched = *sched;
    }
}

/// An action: a goroutine starts an operation (taking its first step) or takes its next
/// step. Steps carry the operation and pc so that paths read as Go.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UAction {
    Start {
        g: u8,
        op: UOp,
    },
    /// `choice`: fastrand's pick where the step has one (see `Steps::choices`), else 0.
    Step {
        g: u8,
        op: UOp,
        pc: Pc,
        choice: u16,
    },
}
