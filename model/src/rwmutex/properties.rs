//! The `rwmutex` model's properties, one function each, and their table.

use super::state::{LPc, RwState};
use super::RwModel;
use crate::framework::concurrent::{prop, MapOp, PropDef};

pub fn linearizable(_: &RwModel, s: &RwState) -> bool {
    !s.ghost.not_linearizable
}
pub fn no_throw(_: &RwModel, s: &RwState) -> bool {
    s.ghost.thrown.is_none()
}
pub fn no_deadlock(m: &RwModel, s: &RwState) -> bool {
    !m.deadlocked(s)
}
pub fn reaches_reader_waits_for_pending_writer(_: &RwModel, s: &RwState) -> bool {
    let waiting = |lpc: LPc| s.gs.iter().any(|g| g.cur.is_some_and(|c| c.lpc == lpc));
    waiting(LPc::AcquireReaderSem) && waiting(LPc::AcquireWriterSem)
}
pub fn reaches_readers_share_the_lock(_: &RwModel, s: &RwState) -> bool {
    s.gs.iter()
        .filter(|g| {
            g.cur
                .is_some_and(|c| c.lpc == LPc::Critical && matches!(c.op, MapOp::Load(_)))
        })
        .count()
        >= 2
}

/// Every property of the `rwmutex` model.
pub const PROPERTIES: &[PropDef<RwModel>] = &[
    prop!(linearizable, Always,
        "every history of m[k] (RLock), m[k] = v and delete(m, k) (Lock) is linearizable with respect to a plain map"),
    prop!(no_throw, Always,
        "no Go throw: neither the map's hashWriting checks nor the RWMutex's fatal errors fire"),
    prop!(no_deadlock, Always,
        "never a state where goroutines still have operations to do and none can take a step"),
    prop!(reaches_reader_waits_for_pending_writer, Sometimes,
        "writer preference: an RLock waits on readerSem while a Lock waits on writerSem for the readers before it"),
    prop!(reaches_readers_share_the_lock, Sometimes,
        "two readers are inside the read lock at once"),
];
