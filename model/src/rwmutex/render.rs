//! The `rwmutex` model as text: the state (the RWMutex's fields, the map, each goroutine's
//! lock step and map step, the history) and operations as Go wraps them in the lock.

use super::state::{RwState, RWMUTEX_MAX_READERS};
use crate::framework::concurrent::{self, MapOp};
use crate::unsync;

impl std::fmt::Debug for RwState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&state_text(self, 8))
    }
}

pub fn state_text(s: &RwState, bucket_cnt: usize) -> String {
    let rw = &s.rw;
    let mut out = format!(
        "rw: w={} readerCount={} readerWait={} writerSem={} readerSem={}\n{}",
        match rw.w {
            Some(g) => format!("g{}", g + 1),
            None => "free".into(),
        },
        count_text(rw.reader_count),
        rw.reader_wait,
        rw.writer_sem,
        rw.reader_sem,
        unsync::map_text(&s.m, bucket_cnt)
    );
    for (i, g) in s.gs.iter().enumerate() {
        out.push_str(&format!("\ng{}: ", i + 1));
        match &g.cur {
            None => out.push_str(&format!("{} op(s) done, idle", g.done)),
            Some(c) => {
                out.push_str(&format!("{} at {:?}", op_text(&c.op), c.lpc));
                if let Some(gm) = &c.map {
                    out.push_str(&format!(" / {:?}", gm.pc));
                }
            }
        }
    }
    if let Some((g, msg)) = s.ghost.thrown {
        out.push_str(&format!("\nfatal error: {msg} (in g{})", g + 1));
    }
    if let Some(h) = s.history.text() {
        out.push('\n');
        out.push_str(&h);
    }
    out
}

pub fn count_text(n: i64) -> String {
    if n < 0 {
        format!("{}-rwmutexMaxReaders", n + RWMUTEX_MAX_READERS)
    } else {
        n.to_string()
    }
}

pub fn op_text(op: &MapOp) -> String {
    match *op {
        MapOp::Store(k, v) => format!("Lock; m[k{k}] = v{v}; Unlock"),
        MapOp::Delete(k) => format!("Lock; delete(m, k{k}); Unlock"),
        MapOp::Load(k) => format!("RLock; m[k{k}]; RUnlock"),
        other => concurrent::op_text(&other),
    }
}
