//! Readable renderings of `unsync` states: the map's header and bucket arrays
//! ([`map_text`], also used by the rwmutex model), one line per goroutine, the thrown
//! message, and the state's `Debug` text.

use super::state::*;
use crate::hmap::render;
use crate::hmap::state::*;

/// The map's contents as text, plus its header.
pub fn map_text<const N: usize>(m: &HmapState<N>, bucket_cnt: usize) -> String {
    let h = &m.h;
    let mut out = format!(
        "h: count={} B={} flags={}{} noverflow={} nevacuate={}",
        h.count as isize,
        h.b,
        h.flags,
        if h.flags & HASH_WRITING != 0 {
            " (hashWriting)"
        } else {
            ""
        },
        h.noverflow,
        h.nevacuate
    );
    let hashes: Vec<String> = m
        .hashes
        .iter()
        .map(|(k, h)| format!("k{k}->{:#x}", h & 0xff))
        .collect();
    out.push_str(&format!("\nhashes (low byte): {}", hashes.join(" ")));
    match m.buckets() {
        Some(a) => out.push_str(&format!(
            "\nbuckets:    {}",
            render::array_text(a, bucket_cnt, false)
        )),
        None => out.push_str("\nbuckets:    nil"),
    }
    if let Some(a) = m.oldbuckets() {
        out.push_str(&format!(
            "\noldbuckets: {}",
            render::array_text(a, bucket_cnt, false)
        ));
    }
    out
}

/// Every slot the bmaps have (`N`; past `bucket_cnt` they stay empty). Rendering 8 slots, as
/// this did, indexed past the bmaps of a search run with fewer.
impl<const N: usize> std::fmt::Debug for UnsyncState<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&state_text(self, N))
    }
}

fn goroutine_text(i: usize, g: &G) -> String {
    match &g.cur {
        None => format!("g{}: {} op(s) done, idle", i + 1, g.done),
        Some(c) => format!(
            "g{}: {} at {:?} (flags reg={}, count reg={}, slot={})",
            i + 1,
            c.op,
            c.pc,
            c.flags,
            c.count as isize,
            match c.slot {
                Some(s) => format!("a{}[{}].{}[{}]", s.array, s.chain, s.depth, s.i),
                None => "-".into(),
            }
        ),
    }
}

pub(super) fn state_text<const N: usize>(s: &UnsyncState<N>, bucket_cnt: usize) -> String {
    let mut out = map_text(&s.m, bucket_cnt);
    for (i, g) in s.gs.iter().enumerate() {
        out.push('\n');
        out.push_str(&goroutine_text(i, g));
    }
    if let Some((g, msg)) = s.ghost.thrown {
        out.push_str(&format!("\nfatal error: {msg} (in g{})", g + 1));
    }
    if let Some(l) = s.sched.last {
        out.push_str(&format!(
            "\npreemptions: {} (g{} stepped last)",
            s.sched.preemptions,
            l + 1
        ));
    }
    out
}
