//! The `syncmap` model as text: `entry.p`, operations, maps of entries and the whole state
//! (read, dirty, misses, mu, each goroutine, the history).

use super::state::{EntryMap, SOp, SmState, P};
use crate::framework::concurrent;

impl std::fmt::Display for P {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            P::Nil => write!(f, "nil"),
            P::Expunged => write!(f, "expunged"),
            P::Val(v) => write!(f, "v{v}"),
        }
    }
}

impl std::fmt::Display for SOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SOp::Map(op) => write!(f, "sync.Map.{}", concurrent::op_text(op)),
            SOp::Range => write!(f, "sync.Map.Range"),
        }
    }
}

impl std::fmt::Debug for SmState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&state_text(self))
    }
}

fn map_text(s: &SmState, m: &EntryMap) -> String {
    let v: Vec<String> = m
        .iter()
        .enumerate()
        .filter_map(|(k, e)| e.map(|e| format!("k{}: e{}={}", k + 1, e, s.entries[e as usize])))
        .collect();
    format!("{{{}}}", v.join(", "))
}

pub fn state_text(s: &SmState) -> String {
    let mut out = format!(
        "read = {} amended={}\ndirty = {}\nmisses = {}  mu = {}",
        map_text(s, &s.read.m),
        s.read.amended,
        match &s.dirty {
            Some(d) => map_text(s, d),
            None => "nil".into(),
        },
        s.misses,
        match s.mu {
            Some(g) => format!("held by g{}", g + 1),
            None => "free".into(),
        }
    );
    for (i, g) in s.gs.iter().enumerate() {
        out.push_str(&format!("\ng{}: ", i + 1));
        match &g.cur {
            None => out.push_str(&format!("{} op(s) done, idle", g.done)),
            Some(c) => {
                out.push_str(&format!("{} at {:?}", c.op, c.pc));
                if let Some(e) = c.e {
                    out.push_str(&format!(" e=e{e}"));
                }
                if let Some(r) = c.ret {
                    out.push_str(&format!(" result={r}"));
                }
            }
        }
    }
    if let Some(h) = s.history.text() {
        out.push('\n');
        out.push_str(&h);
    }
    out
}
