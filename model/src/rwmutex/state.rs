//! The `rwmutex` model's types: `sync.RWMutex`'s fields, a goroutine's lock steps and
//! locals, the state, the parameters and the actions.

use crate::framework::concurrent::{MapOp, MapRet};
use crate::framework::history::{History, HistoryMode};
use crate::hmap::state::HmapState;
use crate::hmap::steps::Geometry;
use crate::unsync::GMap;

/// `rwmutexMaxReaders`.
pub const RWMUTEX_MAX_READERS: i64 = 1 << 30;

pub const FATAL_UNLOCK: &str = "sync: Unlock of unlocked RWMutex";
pub const FATAL_RUNLOCK: &str = "sync: RUnlock of unlocked RWMutex";

/// The next lock step of a goroutine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum LPc {
    /// Lock: `rw.w.Lock()` (blocks while w is held).
    WLock,
    /// Lock: `atomic.AddInt32(&rw.readerCount, -rwmutexMaxReaders)`.
    AddReaderCount,
    /// Lock: `atomic.AddInt32(&rw.readerWait, r)`.
    AddReaderWait,
    /// Lock: `runtime_SemacquireMutex(&rw.writerSem)` (blocks while 0).
    AcquireWriterSem,
    /// The map operation, step by step.
    Critical,
    /// Unlock: `atomic.AddInt32(&rw.readerCount, rwmutexMaxReaders)`.
    UnlockAddReaderCount,
    /// Unlock: `runtime_Semrelease(&rw.readerSem)` r times.
    ReleaseReaders,
    /// Unlock: `rw.w.Unlock()`.
    WUnlock,
    /// RLock: `atomic.AddInt32(&rw.readerCount, 1)`.
    RLockAdd,
    /// RLock: `runtime_SemacquireMutex(&rw.readerSem)` (blocks while 0).
    AcquireReaderSem,
    /// RUnlock: `atomic.AddInt32(&rw.readerCount, -1)`.
    RUnlockAdd,
    /// RUnlock's rUnlockSlow: `atomic.AddInt32(&rw.readerWait, -1)`, semrelease(writerSem).
    RUnlockSlow,
}

/// An operation in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct RCur {
    pub op: MapOp,
    pub lpc: LPc,
    /// The register `r` of Lock/Unlock/RUnlock.
    pub r: i64,
    /// The map operation's own state, inside the critical section.
    pub map: Option<GMap>,
    pub ret: Option<MapRet>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct RG {
    pub done: u8,
    pub cur: Option<RCur>,
}

/// `sync.RWMutex`'s fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct RwMutex {
    /// `w`: the goroutine holding it.
    pub w: Option<u8>,
    pub writer_sem: u8,
    pub reader_sem: u8,
    /// number of pending readers (minus rwmutexMaxReaders while a writer is pending).
    pub reader_count: i64,
    /// number of departing readers.
    pub reader_wait: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct RwGhost {
    pub thrown: Option<(u8, &'static str)>,
    /// The last step returned and the history is not linearizable.
    pub not_linearizable: bool,
}

#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct RwState {
    pub m: HmapState,
    pub rw: RwMutex,
    pub gs: Vec<RG>,
    pub history: History,
    pub ghost: RwGhost,
}

/// Parameters of the `rwmutex` model.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct RwParams {
    pub geo: Geometry,
    pub goroutines: u8,
    pub ops_per_goroutine: u8,
    pub keys: u8,
    pub values: u8,
    pub hash_bits: u32,
    pub hint: usize,
    /// Bits: assign, delete, access.
    pub ops: u32,
    /// What the state keeps for `linearizable` (framework::history).
    pub history: HistoryMode,
}

impl Default for RwParams {
    fn default() -> Self {
        RwParams {
            geo: Geometry {
                bucket_cnt: 1,
                load_factor_num: 1,
                load_factor_den: 2,
            },
            goroutines: 2,
            ops_per_goroutine: 2,
            keys: 2,
            values: 1,
            hash_bits: 1,
            hint: 0,
            ops: 0b111,
            history: HistoryMode::Events,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RAction {
    Start { g: u8, op: MapOp },
    Step { g: u8, op: MapOp, lpc: LPc },
}
