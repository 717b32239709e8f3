//! Go's sync/rwmutex.go, one atomic operation a step, in Go's order (Lock, Unlock, RLock,
//! RUnlock and rUnlockSlow), with the unsync model's map steps inside the critical section;
//! applying an action (start an operation or take its next step) and recording its history.

use super::render::count_text;
use super::state::{LPc, RAction, RCur, RwState, FATAL_RUNLOCK, FATAL_UNLOCK, RWMUTEX_MAX_READERS};
use super::RwModel;
use crate::framework::concurrent::{MapOp, MapRet, SeqMap};
use crate::framework::log::{note, Log};
use crate::unsync::{self, GMap, Stepped, UOp};

fn uop(op: &MapOp) -> UOp {
    match *op {
        MapOp::Store(key, elem) => UOp::Assign { key, elem },
        MapOp::Delete(key) => UOp::Delete { key },
        MapOp::Load(key) => UOp::Access { key },
        _ => unreachable!("the rwmutex model performs Store, Delete and Load"),
    }
}

impl RwModel {
    /// Whether goroutine `g`'s next step can run (it is not blocked).
    pub fn enabled(s: &RwState, c: &RCur) -> bool {
        match c.lpc {
            LPc::WLock => s.rw.w.is_none(),
            LPc::AcquireWriterSem => s.rw.writer_sem > 0,
            LPc::AcquireReaderSem => s.rw.reader_sem > 0,
            _ => true,
        }
    }

    fn step(&self, s: &mut RwState, c: &mut RCur, g: u8, log: &mut Log) -> Option<MapRet> {
        let rw = &mut s.rw;
        match c.lpc {
            LPc::WLock => {
                rw.w = Some(g);
                note(log, || "rw.w.Lock()".into());
                c.lpc = LPc::AddReaderCount;
            }
            LPc::AddReaderCount => {
                rw.reader_count -= RWMUTEX_MAX_READERS;
                c.r = rw.reader_count + RWMUTEX_MAX_READERS;
                note(log, || {
                    format!(
                        "readerCount -= rwmutexMaxReaders: r = {} active reader(s)",
                        c.r
                    )
                });
                c.lpc = if c.r != 0 {
                    LPc::AddReaderWait
                } else {
                    self.enter(c)
                };
            }
            LPc::AddReaderWait => {
                rw.reader_wait += c.r;
                note(log, || {
                    format!("readerWait += {} = {}", c.r, rw.reader_wait)
                });
                c.lpc = if rw.reader_wait != 0 {
                    LPc::AcquireWriterSem
                } else {
                    self.enter(c)
                };
            }
            LPc::AcquireWriterSem => {
                rw.writer_sem -= 1;
                note(log, || "semacquire(&writerSem) returns".into());
                c.lpc = self.enter(c);
            }
            LPc::RLockAdd => {
                rw.reader_count += 1;
                note(log, || {
                    format!("readerCount += 1 = {}", count_text(rw.reader_count))
                });
                c.lpc = if rw.reader_count < 0 {
                    LPc::AcquireReaderSem
                } else {
                    self.enter(c)
                };
            }
            LPc::AcquireReaderSem => {
                rw.reader_sem -= 1;
                note(log, || "semacquire(&readerSem) returns".into());
                c.lpc = self.enter(c);
            }
            LPc::Critical => {
                let mut gm = c.map.expect("in the critical section");
                // Deviation from Go: the map operation runs as one step here. Inside the
                // critical section no other goroutine touches the map (a writer excludes
                // everyone, readers only load), so interleaving its loads and stores with
                // other goroutines' steps adds states but no behaviour: a sound reduction.
                // A delete that empties the map keeps the hash function (no reseed): under
                // the lock every hash function gives the same contents.
                let r = loop {
                    let r = self.steps.step(&mut s.m, &mut gm, g, 0, &[], log);
                    if r != Stepped::Continue {
                        break r;
                    }
                };
                c.map = Some(gm);
                match r {
                    Stepped::Continue | Stepped::Yield(..) => {}
                    Stepped::Throw(msg) => s.ghost.thrown = Some((g, msg)),
                    Stepped::Done(res) => {
                        c.ret = Some(match (c.op, res) {
                            (MapOp::Load(_), Some((e, true))) => MapRet::Value(Some(e as u8)),
                            (MapOp::Load(_), _) => MapRet::Value(None),
                            _ => MapRet::Unit,
                        });
                        c.map = None;
                        c.lpc = match c.op {
                            MapOp::Load(_) => LPc::RUnlockAdd,
                            _ => LPc::UnlockAddReaderCount,
                        };
                    }
                }
            }
            LPc::UnlockAddReaderCount => {
                rw.reader_count += RWMUTEX_MAX_READERS;
                c.r = rw.reader_count;
                note(log, || {
                    format!(
                        "readerCount += rwmutexMaxReaders: r = {} blocked reader(s)",
                        c.r
                    )
                });
                if c.r >= RWMUTEX_MAX_READERS {
                    s.ghost.thrown = Some((g, FATAL_UNLOCK));
                    return None;
                }
                c.lpc = if c.r > 0 {
                    LPc::ReleaseReaders
                } else {
                    LPc::WUnlock
                };
            }
            LPc::ReleaseReaders => {
                rw.reader_sem += c.r as u8;
                note(log, || format!("semrelease(&readerSem) x {}", c.r));
                c.lpc = LPc::WUnlock;
            }
            LPc::WUnlock => {
                rw.w = None;
                note(log, || "rw.w.Unlock()".into());
                return c.ret;
            }
            LPc::RUnlockAdd => {
                rw.reader_count -= 1;
                c.r = rw.reader_count;
                note(log, || format!("readerCount -= 1 = {}", count_text(c.r)));
                if c.r < 0 {
                    c.lpc = LPc::RUnlockSlow;
                } else {
                    return c.ret;
                }
            }
            LPc::RUnlockSlow => {
                if c.r + 1 == 0 || c.r + 1 == -RWMUTEX_MAX_READERS {
                    s.ghost.thrown = Some((g, FATAL_RUNLOCK));
                    return None;
                }
                rw.reader_wait -= 1;
                let wake = rw.reader_wait == 0;
                if wake {
                    rw.writer_sem += 1;
                }
                note(log, || {
                    format!(
                        "rUnlockSlow: readerWait -= 1 = {}{}",
                        rw.reader_wait,
                        if wake { ": semrelease(&writerSem)" } else { "" }
                    )
                });
                return c.ret;
            }
        }
        None
    }

    fn enter(&self, c: &mut RCur) -> LPc {
        c.map = Some(GMap::new(uop(&c.op)));
        LPc::Critical
    }

    pub fn apply(&self, s: &mut RwState, a: &RAction, log: &mut Log) -> String {
        s.ghost.not_linearizable = false;
        let (g, mut c) = match *a {
            RAction::Start { g, op } => {
                s.history.invoke(g, op);
                let lpc = match op {
                    MapOp::Load(_) => LPc::RLockAdd,
                    _ => LPc::WLock,
                };
                (
                    g,
                    RCur {
                        op,
                        lpc,
                        r: 0,
                        map: None,
                        ret: None,
                    },
                )
            }
            RAction::Step { g, .. } => (g, s.gs[g as usize].cur.expect("in an operation")),
        };
        let r = self.step(s, &mut c, g, log);
        let mut out = String::new();
        match r {
            None => s.gs[g as usize].cur = Some(c),
            Some(ret) => {
                s.gs[g as usize].cur = None;
                s.gs[g as usize].done += 1;
                out = format!("returns {ret}");
                if !s.history.ret(&SeqMap::default(), g, ret) {
                    s.ghost.not_linearizable = true;
                }
            }
        }
        if let Some((_, msg)) = s.ghost.thrown {
            out = format!("fatal error: {msg}");
        }
        let mut refs: Vec<&mut GMap> =
            s.gs.iter_mut()
                .filter_map(|g| g.cur.as_mut().and_then(|c| c.map.as_mut()))
                .collect();
        unsync::canonicalize(&mut s.m, &mut refs);
        out
    }

    /// Goroutines still have operations to do but none can take a step.
    pub fn deadlocked(&self, s: &RwState) -> bool {
        if s.ghost.thrown.is_some() {
            return false;
        }
        let mut pending = false;
        for g in &s.gs {
            match &g.cur {
                Some(c) => {
                    if Self::enabled(s, c) {
                        return false;
                    }
                    pending = true;
                }
                None if g.done < self.params.ops_per_goroutine => return false,
                None => {}
            }
        }
        pending
    }
}
