//! The `swiss` model's state as text: the header, the small group or each table with its
//! groups (control word byte by byte: `..` empty, `XX` deleted, the H2 of a full slot, then
//! the slots' keys), the iterators. Used by counterexamples, `Debug` and the explorer.

use super::state::*;
use super::SwissModel;
use std::fmt::Write;

fn group_text(g: &Group, slots: usize) -> String {
    let ctrl: Vec<String> = (0..slots)
        .map(|i| match g.ctrl[i] {
            CTRL_EMPTY => "..".to_string(),
            CTRL_DELETED => "XX".to_string(),
            c => format!("{c:02x}"),
        })
        .collect();
    let slots_txt: Vec<String> = (0..slots)
        .map(|i| {
            if is_full(g.ctrl[i]) {
                format!("k{}=v{}", g.keys[i], g.elems[i])
            } else {
                "-".to_string()
            }
        })
        .collect();
    format!("ctrl [{}] slots [{}]", ctrl.join(" "), slots_txt.join(" "))
}

/// The state in a few lines.
pub fn state_text_slots(s: &SwissState, slots: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "used={} seed={} dirLen={} globalDepth={} clearSeq={} ops={}",
        s.m.used,
        s.m.seed,
        s.dir_len(),
        s.m.global_depth,
        s.m.clear_seq,
        s.ops
    );
    for (gid, g) in s.smalls.iter().enumerate() {
        let whose = if s.m.small == Some(gid as GroupId) {
            "small group"
        } else {
            "old small group (iterators only)"
        };
        let _ = writeln!(out, "  {whose}: {}", group_text(g, slots));
    }
    if s.dir_len() > 0 {
        let dir: Vec<String> = s.m.dir.iter().map(|t| format!("t{t}")).collect();
        let _ = writeln!(out, "  directory [{}]", dir.join(" "));
    }
    for (tid, t) in s.tables.iter().enumerate() {
        let _ = writeln!(
            out,
            "  t{tid}: capacity={} used={} growthLeft={} localDepth={} index={}{}",
            t.capacity,
            t.used,
            t.growth_left,
            t.local_depth,
            t.index,
            if t.index == -1 { " (replaced)" } else { "" }
        );
        for (gi, g) in t.groups.iter().enumerate() {
            let _ = writeln!(out, "    g{gi}: {}", group_text(g, slots));
        }
    }
    for it in &s.iters {
        let _ = writeln!(
            out,
            "  it{}: entryOffset={} dirOffset={} dirIdx={} entryIdx={} tab={} globalDepth={} clearSeq={}",
            it.id,
            it.entry_offset,
            it.dir_offset,
            it.dir_idx,
            it.entry_idx,
            match (it.tab, it.small) {
                (Some(t), _) => format!("t{t}"),
                (None, Some(g)) => format!("small group {g}"),
                _ => "nil".to_string(),
            },
            it.global_depth,
            it.clear_seq
        );
    }
    out
}

/// The state as the model's geometry shows it.
pub fn state_text(s: &SwissState, m: &SwissModel) -> String {
    state_text_slots(s, m.params.geo.slots)
}

/// What the program observed.
pub fn outcome_text(out: &Outcome) -> String {
    match out {
        Outcome::None => String::new(),
        Outcome::Access { elem, found } => format!("({elem}, {found})"),
        Outcome::Yield {
            iter,
            kv: Some((k, v)),
        } => format!("it{iter} yields (k{k}, v{v})"),
        Outcome::Yield { iter, kv: None } => format!("it{iter} is done"),
    }
}

/// One step for the explorer: the action, Go's inner steps, the outcome, the next state.
pub fn step_text(
    a: &SwissAction,
    out: &Outcome,
    log: &[String],
    next: &SwissState,
    m: &SwissModel,
) -> String {
    let mut t = format!("{a}\n");
    for l in log {
        let _ = writeln!(t, "  {l}");
    }
    let o = outcome_text(out);
    if !o.is_empty() {
        let _ = writeln!(t, "  -> {o}");
    }
    t + &state_text(next, m)
}

impl std::fmt::Debug for SwissState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The geometry is not in the state: show the slots any group uses (all 8 when
        // slots_per_group is 8; unused slots of a scaled group show as empty).
        let slots = self
            .tables
            .first()
            .map(|t| t.capacity as usize / t.groups.len())
            .unwrap_or(MAX_SLOTS);
        f.write_str(&state_text_slots(self, slots))
    }
}
