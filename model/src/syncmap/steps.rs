//! Go's sync/map.go, one atomic step at a time, in Go's order: Load, Store (tryStore,
//! unexpungeLocked, storeLocked), LoadOrStore (tryLoadOrStore), LoadAndDelete, Delete, Range,
//! missLocked, dirtyLocked and tryExpungeLocked; applying an action (start an operation or take
//! its next step), the history and the ghost state the properties read.

use super::state::{
    After, EntryId, EntryMap, ReadOnly, SAction, SCur, SOp, SPc, SmState, MAX_KEYS, P,
};
use super::symmetry::canonicalize;
use super::SyncMapModel;
use crate::framework::concurrent::{MapOp, MapRet};
use crate::framework::log::{note, Log};

fn kidx(op: &MapOp) -> usize {
    op.key() as usize - 1
}

impl SyncMapModel {
    /// The map's content at this instant, key by key: what an atomic Load would return.
    pub fn content(s: &SmState) -> [u8; MAX_KEYS] {
        let mut out = [0; MAX_KEYS];
        for (k, o) in out.iter_mut().enumerate() {
            let e = match s.read.m[k] {
                Some(e) => Some(e),
                None if s.read.amended => s.dirty.and_then(|d| d[k]),
                None => None,
            };
            if let Some(e) = e {
                if let P::Val(v) = s.entries[e as usize] {
                    *o = v;
                }
            }
        }
        out
    }

    fn content_bit(&self, c: &[u8; MAX_KEYS]) -> u64 {
        let base = self.params.values as u64 + 1;
        let mut idx = 0u64;
        for &v in c.iter().rev() {
            idx = idx * base + v as u64;
        }
        1u64 << idx
    }

    pub(super) fn new_entry(s: &mut SmState, p: P) -> EntryId {
        s.entries.push(p);
        (s.entries.len() - 1) as EntryId
    }

    /// missLocked: misses++, and promotion when misses >= len(dirty).
    fn miss_locked(s: &mut SmState, log: &mut Log) {
        s.misses += 1;
        let len = s
            .dirty
            .map_or(0, |d| d.iter().filter(|e| e.is_some()).count());
        if (s.misses as usize) < len {
            note(log, || {
                format!("missLocked: misses = {} < len(dirty) = {len}", s.misses)
            });
            return;
        }
        s.read = ReadOnly {
            m: s.dirty.unwrap_or([None; MAX_KEYS]),
            amended: false,
        };
        s.dirty = None;
        s.misses = 0;
        s.ghost.promoted = true;
        note(log, || {
            format!(
                "missLocked: misses >= len(dirty) = {len}: read = dirty, dirty = nil, misses = 0"
            )
        });
    }

    /// The next key (index) at or after `from` that `m` holds.
    fn next_key(m: &EntryMap, from: u8) -> Option<u8> {
        (from as usize..MAX_KEYS)
            .find(|&k| m[k].is_some())
            .map(|k| k as u8)
    }

    /// Takes goroutine `g`'s step; returns the operation's result when it returns.
    fn step(&self, s: &mut SmState, c: &mut SCur, g: u8, log: &mut Log) -> Option<MapRet> {
        let op = c.op;
        let (k, val) = match op {
            SOp::Map(m) => (
                kidx(&m),
                match m {
                    MapOp::Store(_, v) | MapOp::LoadOrStore(_, v) => v,
                    _ => 0,
                },
            ),
            SOp::Range => (0, 0),
        };
        let ent = |s: &SmState, e: Option<EntryId>| s.entries[e.expect("an entry") as usize];
        match c.pc {
            SPc::ReadLoad => {
                let read = s.read;
                c.amended = read.amended;
                match op {
                    SOp::Range => {
                        c.snap = read.m;
                        if read.amended {
                            note(log, || "read.amended: lock to promote".into());
                            c.pc = SPc::Lock;
                        } else {
                            note(log, || "read not amended: walk read.m".into());
                            return self.range_begin(s, c, log);
                        }
                    }
                    SOp::Map(m) => {
                        c.e = read.m[k];
                        note(log, || {
                            format!(
                                "read.m[k{}] {}{}",
                                k + 1,
                                match c.e {
                                    Some(e) => format!("= e{e}"),
                                    None => "miss".into(),
                                },
                                if read.amended { ", amended" } else { "" }
                            )
                        });
                        match (m, c.e) {
                            (MapOp::Load(_), None)
                            | (MapOp::LoadAndDelete(_) | MapOp::Delete(_), None) => {
                                if read.amended {
                                    c.pc = SPc::Lock;
                                } else {
                                    return Some(Self::absent(&m));
                                }
                            }
                            (MapOp::Load(_), Some(_)) => c.pc = SPc::EntryLoad,
                            (MapOp::LoadAndDelete(_) | MapOp::Delete(_), Some(_)) => {
                                c.pc = SPc::DelLoad
                            }
                            (MapOp::Store(..), Some(_)) => c.pc = SPc::TryStoreLoad,
                            (MapOp::LoadOrStore(..), Some(_)) => {
                                c.after = After::Return;
                                c.pc = SPc::Tls;
                            }
                            (MapOp::Store(..) | MapOp::LoadOrStore(..), None) => c.pc = SPc::Lock,
                        }
                    }
                }
            }
            SPc::Lock => {
                debug_assert!(s.mu.is_none(), "Lock is enabled only when mu is free");
                s.mu = Some(g);
                note(log, || "m.mu.Lock()".into());
                c.pc = SPc::Reread;
            }
            SPc::Reread => {
                let read = s.read;
                c.amended = read.amended;
                match op {
                    SOp::Range => {
                        c.snap = read.m;
                        if read.amended {
                            note(log, || "read reloaded: still amended".into());
                            c.pc = SPc::Promote;
                        } else {
                            note(log, || "read reloaded: no longer amended".into());
                            c.pc = SPc::Unlock;
                        }
                    }
                    SOp::Map(m) => {
                        c.e = read.m[k];
                        note(log, || {
                            format!(
                                "read reloaded: read.m[k{}] {}",
                                k + 1,
                                match c.e {
                                    Some(e) => format!("= e{e}"),
                                    None => "miss".into(),
                                }
                            )
                        });
                        c.pc = match (m, c.e) {
                            (MapOp::Load(_) | MapOp::LoadAndDelete(_) | MapOp::Delete(_), None) => {
                                if read.amended {
                                    SPc::DirtyLookup
                                } else {
                                    SPc::Unlock
                                }
                            }
                            (
                                MapOp::Load(_) | MapOp::LoadAndDelete(_) | MapOp::Delete(_),
                                Some(_),
                            ) => SPc::Unlock,
                            (MapOp::Store(..) | MapOp::LoadOrStore(..), Some(_)) => SPc::Unexpunge,
                            (MapOp::Store(..) | MapOp::LoadOrStore(..), None) => SPc::DirtyLookup,
                        };
                    }
                }
            }
            SPc::DirtyLookup => {
                let SOp::Map(m) = op else { unreachable!() };
                let found = s.dirty.and_then(|d| d[k]);
                note(log, || {
                    format!(
                        "dirty[k{}] {}",
                        k + 1,
                        match found {
                            Some(e) => format!("= e{e}"),
                            None => "miss".into(),
                        }
                    )
                });
                match m {
                    MapOp::Load(_) => {
                        c.e = found;
                        c.pc = SPc::Miss;
                    }
                    MapOp::LoadAndDelete(_) | MapOp::Delete(_) => {
                        c.e = found;
                        if let Some(d) = &mut s.dirty {
                            d[k] = None;
                        }
                        note(log, || format!("delete(m.dirty, k{})", k + 1));
                        c.pc = SPc::Miss;
                    }
                    MapOp::Store(..) => match found {
                        Some(e) => {
                            c.e = Some(e);
                            c.pc = SPc::StoreLocked;
                        }
                        None if !c.amended => c.pc = SPc::DirtyLockedInit,
                        None => c.pc = SPc::NewEntry,
                    },
                    MapOp::LoadOrStore(..) => match found {
                        Some(e) => {
                            c.e = Some(e);
                            c.after = After::MissUnlock;
                            c.pc = SPc::Tls;
                        }
                        None if !c.amended => c.pc = SPc::DirtyLockedInit,
                        None => c.pc = SPc::NewEntry,
                    },
                }
            }
            SPc::Miss => {
                Self::miss_locked(s, log);
                c.pc = SPc::Unlock;
            }
            SPc::Unlock => {
                s.mu = None;
                note(log, || "m.mu.Unlock()".into());
                match op {
                    SOp::Range => return self.range_begin(s, c, log),
                    SOp::Map(m) => match m {
                        MapOp::Load(_) => match c.e {
                            Some(_) => c.pc = SPc::EntryLoad,
                            None => return Some(Self::absent(&m)),
                        },
                        MapOp::LoadAndDelete(_) | MapOp::Delete(_) => match c.e {
                            Some(_) => c.pc = SPc::DelLoad,
                            None => return Some(Self::absent(&m)),
                        },
                        MapOp::Store(..) => return Some(MapRet::Unit),
                        MapOp::LoadOrStore(..) => return c.ret,
                    },
                }
            }
            SPc::EntryLoad => {
                let p = ent(s, c.e);
                note(log, || format!("e{}.load(): p = {p}", c.e.unwrap()));
                return Some(MapRet::Value(match p {
                    P::Val(v) => Some(v),
                    _ => None,
                }));
            }
            SPc::TryStoreLoad => {
                c.p = ent(s, c.e);
                note(log, || {
                    format!("tryStore: p = e{}.p = {}", c.e.unwrap(), c.p)
                });
                c.pc = if c.p == P::Expunged {
                    SPc::Lock
                } else {
                    SPc::TryStoreCas
                };
            }
            SPc::TryStoreCas => {
                let e = c.e.unwrap() as usize;
                if s.entries[e] == c.p {
                    s.entries[e] = P::Val(val);
                    note(log, || format!("CAS(e{e}.p, {}, v{val}) succeeds", c.p));
                    return Some(MapRet::Unit);
                }
                note(log, || format!("CAS(e{e}.p, {}, v{val}) fails", c.p));
                c.pc = SPc::TryStoreLoad;
            }
            SPc::Unexpunge => {
                let e = c.e.unwrap() as usize;
                let ok = s.entries[e] == P::Expunged;
                if ok {
                    s.entries[e] = P::Nil;
                    s.ghost.unexpunged = true;
                }
                note(log, || {
                    format!(
                        "unexpungeLocked: CAS(e{e}.p, expunged, nil) {}",
                        if ok { "succeeds" } else { "fails" }
                    )
                });
                c.pc = if ok {
                    SPc::DirtyAdd
                } else {
                    self.after_unexpunge(c)
                };
            }
            SPc::DirtyAdd => {
                let d = s.dirty.get_or_insert([None; MAX_KEYS]);
                d[k] = c.e;
                note(log, || format!("m.dirty[k{}] = e{}", k + 1, c.e.unwrap()));
                c.pc = self.after_unexpunge(c);
            }
            SPc::StoreLocked => {
                let e = c.e.unwrap() as usize;
                s.entries[e] = P::Val(val);
                note(log, || format!("storeLocked: e{e}.p = v{val}"));
                c.pc = SPc::Unlock;
            }
            SPc::DirtyLockedInit => {
                if s.dirty.is_some() {
                    note(log, || "dirtyLocked: dirty != nil".into());
                    c.pc = SPc::ReadAmend;
                } else {
                    s.dirty = Some([None; MAX_KEYS]);
                    note(log, || "dirtyLocked: m.dirty = make(map)".into());
                    self.dirty_locked_next(s, c, 0);
                }
            }
            SPc::ExpungeNext | SPc::ExpungeLoad => {
                let kk = c.cursor as usize;
                c.visited |= 1 << kk;
                let e = s.read.m[kk].expect("cursor on a read key");
                c.p = s.entries[e as usize];
                note(log, || {
                    format!("tryExpungeLocked(k{}): p = e{e}.p = {}", kk + 1, c.p)
                });
                match c.p {
                    P::Nil => c.pc = SPc::ExpungeCas,
                    P::Expunged => self.dirty_locked_next(s, c, kk as u8 + 1),
                    P::Val(_) => {
                        s.dirty.as_mut().expect("dirtyLocked made it")[kk] = Some(e);
                        note(log, || format!("m.dirty[k{}] = e{e}", kk + 1));
                        self.dirty_locked_next(s, c, kk as u8 + 1);
                    }
                }
            }
            SPc::ExpungeCas => {
                let kk = c.cursor as usize;
                let e = s.read.m[kk].expect("cursor on a read key") as usize;
                if s.entries[e] == P::Nil {
                    s.entries[e] = P::Expunged;
                    s.ghost.expunged = true;
                    note(log, || {
                        format!(
                            "CAS(e{e}.p, nil, expunged) succeeds: k{} left out of dirty",
                            kk + 1
                        )
                    });
                    self.dirty_locked_next(s, c, kk as u8 + 1);
                } else {
                    note(log, || format!("CAS(e{e}.p, nil, expunged) fails"));
                    c.pc = SPc::ExpungeLoad;
                }
            }
            SPc::ReadAmend => {
                s.read = ReadOnly {
                    m: s.read.m,
                    amended: true,
                };
                note(log, || {
                    "m.read.Store(readOnly{m: read.m, amended: true})".into()
                });
                c.pc = SPc::NewEntry;
            }
            SPc::NewEntry => {
                let e = Self::new_entry(s, P::Val(val));
                s.dirty.as_mut().expect("dirty exists when amended")[k] = Some(e);
                note(log, || {
                    format!("m.dirty[k{}] = newEntry(v{val}) = e{e}", k + 1)
                });
                c.e = Some(e);
                if matches!(op, SOp::Map(MapOp::LoadOrStore(..))) {
                    c.ret = Some(MapRet::Actual(val, false));
                }
                c.pc = SPc::Unlock;
            }
            SPc::Tls => {
                let p = ent(s, c.e);
                c.p = p;
                note(log, || {
                    format!("tryLoadOrStore: p = e{}.p = {p}", c.e.unwrap())
                });
                match p {
                    P::Expunged => {
                        debug_assert_eq!(c.after, After::Return, "under mu nothing expunges");
                        c.pc = SPc::Lock;
                    }
                    P::Val(x) => return self.tls_done(c, MapRet::Actual(x, true)),
                    P::Nil => c.pc = SPc::TlsCas,
                }
            }
            SPc::TlsCas => {
                let e = c.e.unwrap() as usize;
                if s.entries[e] == P::Nil {
                    s.entries[e] = P::Val(val);
                    note(log, || format!("CAS(e{e}.p, nil, v{val}) succeeds"));
                    return self.tls_done(c, MapRet::Actual(val, false));
                }
                note(log, || format!("CAS(e{e}.p, nil, v{val}) fails"));
                c.pc = SPc::Tls;
            }
            SPc::DelLoad => {
                let p = ent(s, c.e);
                c.p = p;
                note(log, || format!("delete: p = e{}.p = {p}", c.e.unwrap()));
                match p {
                    P::Nil | P::Expunged => {
                        let SOp::Map(m) = op else { unreachable!() };
                        return Some(Self::absent(&m));
                    }
                    P::Val(_) => c.pc = SPc::DelCas,
                }
            }
            SPc::DelCas => {
                let e = c.e.unwrap() as usize;
                if s.entries[e] == c.p {
                    s.entries[e] = P::Nil;
                    note(log, || format!("CAS(e{e}.p, {}, nil) succeeds", c.p));
                    let P::Val(v) = c.p else { unreachable!() };
                    return Some(match op {
                        SOp::Map(MapOp::Delete(_)) => MapRet::Unit,
                        _ => MapRet::Value(Some(v)),
                    });
                }
                note(log, || format!("CAS(e{e}.p, {}, nil) fails", c.p));
                c.pc = SPc::DelLoad;
            }
            SPc::Promote => {
                s.read = ReadOnly {
                    m: s.dirty.unwrap_or([None; MAX_KEYS]),
                    amended: false,
                };
                c.snap = s.read.m;
                s.dirty = None;
                s.misses = 0;
                s.ghost.promoted = true;
                note(log, || {
                    "read = readOnly{m: m.dirty}; m.read.Store(read); m.dirty = nil; m.misses = 0"
                        .into()
                });
                c.pc = SPc::Unlock;
            }
            SPc::RangeNext => {
                let kk = c.cursor as usize;
                let e = c.snap[kk].expect("cursor on a snapshot key");
                let p = s.entries[e as usize];
                match p {
                    P::Val(v) => {
                        c.yielded[kk] = v;
                        note(log, || format!("e{e}.load() = v{v}: f(k{}, v{v})", kk + 1));
                    }
                    _ => note(log, || format!("e{e}.load(): {p}: k{} skipped", kk + 1)),
                }
                match Self::next_key(&c.snap, kk as u8 + 1) {
                    Some(n) => c.cursor = n,
                    None => return Some(MapRet::Unit),
                }
            }
        }
        None
    }

    fn absent(m: &MapOp) -> MapRet {
        match m {
            MapOp::Delete(_) => MapRet::Unit,
            _ => MapRet::Value(None),
        }
    }

    fn after_unexpunge(&self, c: &mut SCur) -> SPc {
        match c.op {
            SOp::Map(MapOp::Store(..)) => SPc::StoreLocked,
            _ => {
                c.after = After::Unlock;
                SPc::Tls
            }
        }
    }

    fn tls_done(&self, c: &mut SCur, r: MapRet) -> Option<MapRet> {
        match c.after {
            After::Return => Some(r),
            After::Unlock => {
                c.ret = Some(r);
                c.pc = SPc::Unlock;
                None
            }
            After::MissUnlock => {
                c.ret = Some(r);
                c.pc = SPc::Miss;
                None
            }
        }
    }

    /// dirtyLocked's range over read.m goes on with any key it has not visited yet.
    // Deviation from Go: any order of read.m's keys is explored; Go's map iteration gives
    // the rotations of its bucket order (a subset), so every Go order is among them.
    fn dirty_locked_next(&self, s: &SmState, c: &mut SCur, _from: u8) {
        if Self::unvisited(s, c).is_empty() {
            c.pc = SPc::ReadAmend;
        } else {
            c.pc = SPc::ExpungeNext;
        }
    }

    /// The keys of read.m dirtyLocked has not visited.
    pub(super) fn unvisited(s: &SmState, c: &SCur) -> Vec<u8> {
        (0..MAX_KEYS)
            .filter(|&k| s.read.m[k].is_some() && c.visited & (1 << k) == 0)
            .map(|k| k as u8)
            .collect()
    }

    fn range_begin(&self, _s: &SmState, c: &mut SCur, log: &mut Log) -> Option<MapRet> {
        match Self::next_key(&c.snap, 0) {
            Some(n) => {
                c.cursor = n;
                c.pc = SPc::RangeNext;
                None
            }
            None => {
                note(log, || "read.m is empty".into());
                Some(MapRet::Unit)
            }
        }
    }

    /// Applies an action; returns the text of what the program observed.
    pub fn apply(&self, s: &mut SmState, a: &SAction, log: &mut Log) -> String {
        s.ghost.not_linearizable = false;
        s.ghost.s24_missed = false;
        s.ghost.range_not_snapshot = false;
        s.ghost.promoted = false;
        s.ghost.expunged = false;
        s.ghost.unexpunged = false;
        let (g, mut c) = match *a {
            SAction::Start { g, op } => {
                let mut c = SCur::new(op);
                if let SOp::Map(m) = op {
                    self.invoke(s, g, &m, &mut c);
                }
                (g, c)
            }
            SAction::Step { g, pc, key, .. } => {
                let mut c = s.gs[g as usize].cur.expect("in an operation");
                if pc == SPc::ExpungeNext {
                    c.cursor = key;
                }
                (g, c)
            }
        };
        let r = self.step(s, &mut c, g, log);
        let mut out = String::new();
        match r {
            None => s.gs[g as usize].cur = Some(c),
            Some(ret) => {
                s.gs[g as usize].cur = None;
                s.gs[g as usize].done += 1;
                match c.op {
                    SOp::Map(m) => {
                        out = format!("returns {ret}");
                        self.ret(s, g, &m, &c, ret);
                    }
                    SOp::Range => {
                        c.seen |= self.content_bit(&Self::content(s));
                        let y: Vec<String> = c
                            .yielded
                            .iter()
                            .enumerate()
                            .filter(|(_, &v)| v != 0)
                            .map(|(k, v)| format!("k{}: v{v}", k + 1))
                            .collect();
                        out = format!("Range saw {{{}}}", y.join(", "));
                        if c.seen & self.content_bit(&c.yielded) == 0 {
                            s.ghost.range_not_snapshot = true;
                            out.push_str(": the map never held exactly this during the call");
                        }
                    }
                }
            }
        }
        // Ranges in progress see the map's content now.
        let bit = self.content_bit(&Self::content(s));
        for g in &mut s.gs {
            if let Some(c) = &mut g.cur {
                if c.op == SOp::Range {
                    c.seen |= bit;
                }
            }
        }
        canonicalize(s);
        out
    }

    fn invoke(&self, s: &mut SmState, g: u8, m: &MapOp, c: &mut SCur) {
        s.history.invoke(g, *m);
        let k = kidx(m);
        if m.writes() {
            s.ghost.settled[k] = 0;
            for (j, o) in s.gs.iter_mut().enumerate() {
                if j == g as usize {
                    continue;
                }
                if let Some(oc) = &mut o.cur {
                    if let SOp::Map(om) = oc.op {
                        if kidx(&om) == k {
                            oc.s24_expect = 0;
                            if om.writes() {
                                oc.overlapped = true;
                                c.overlapped = true;
                            }
                        }
                    }
                }
            }
        } else {
            c.s24_expect = s.ghost.settled[k];
        }
    }

    fn ret(&self, s: &mut SmState, g: u8, m: &MapOp, c: &SCur, ret: MapRet) {
        if !s.history.ret(&self.init, g, ret) {
            s.ghost.not_linearizable = true;
        }
        let k = kidx(m);
        match *m {
            MapOp::Store(_, v) if !c.overlapped => s.ghost.settled[k] = v,
            MapOp::Load(_) if c.s24_expect != 0 && ret != MapRet::Value(Some(c.s24_expect)) => {
                s.ghost.s24_missed = true;
            }
            _ => {}
        }
    }
}
