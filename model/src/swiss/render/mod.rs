//! Readable renderings of `swiss` states: the text of counterexamples and of the explorer's
//! steps, the state's `Debug` text (the explorer's "complete state", by which it also tells
//! states apart), and an SVG diagram for the explorer.
//!
//! Text notation: a group is its control word byte by byte (`..` ctrlEmpty, `XX` ctrlDeleted,
//! a tombstone, or the hex H2 of a full slot), then its slots (`k1=v2` full, `-` not).
//!
//! The SVG ([`svg`], in render/svg.rs) follows the `hmap` diagram's conventions (header line, the hashes, the
//! violated `always` properties in red, columns of storage, iterator marks and lines, a
//! legend; helpers from [`crate::framework::svg`]) and gives its parts classes that tests
//! count:
//! - `direntry` for each directory entry (id `dir-I`, `data-table`), `dirptr` for the arrow
//!   from an entry to its table;
//! - `table` for each table of the directory (id `tT`, with `data-local-depth`, `data-used`,
//!   `data-capacity`, `data-growth-left`), `retiredtable` for a table only an iterator still
//!   walks (replaced by grow or split: index -1);
//! - `group` for each group of the map's storage (the small group, id `small`, or a table's
//!   group, id `tT-gG`), `retiredgroup` for a group only iterators hold (a replaced table's,
//!   or a small group after growToTable, id `oldsmallN`);
//! - `cell` plus the control byte's state (`full`, `empty`, `deleted`) for each slot (id
//!   `<group id>-S`, `data-ctrl` the byte in hex), holding a `ctrl` text (`H2 05`, `empty`,
//!   `deleted`) and a `slot` text (`k1=v2` for a full slot); `ctrlword` for each group's
//!   control word as Go lays it out in memory (slot i in byte i);
//! - `iter` for the mark on the slot an iterator examines next, `iterdir` for the mark on the
//!   directory entry it walks, `iterline` for each iterator's fields;
//! - `header`, `hashes`, `violation` (one per violated `always` property), `legend`.

use super::state::*;
use super::SwissModel;
use crate::framework::iter_ghost::abs_text;

mod svg;
use std::collections::BTreeMap;
use std::fmt::Write;
pub use svg::svg;

fn ctrl_text(c: u8) -> String {
    match c {
        CTRL_EMPTY => "..".to_string(),
        CTRL_DELETED => "XX".to_string(),
        c => format!("{c:02x}"),
    }
}

fn slot_text(g: &Group, i: usize) -> String {
    if is_full(g.ctrl[i]) {
        format!("k{}=v{}", g.keys[i], g.elems[i])
    } else {
        "-".to_string()
    }
}

/// A group on one line: `ctrl [00 XX ..] slots [k1=v1 - -]`.
pub fn group_text(g: &Group, slots: usize) -> String {
    let ctrl: Vec<String> = (0..slots).map(|i| ctrl_text(g.ctrl[i])).collect();
    let slots_txt: Vec<String> = (0..slots).map(|i| slot_text(g, i)).collect();
    format!("ctrl [{}] slots [{}]", ctrl.join(" "), slots_txt.join(" "))
}

/// The parts of a hash the model varies: the top `dir_bits` (directory index and split
/// side), the low `h1_bits` of H1 (the probe start), H2 (the control byte).
pub fn hash_text(hash: u64, m: &SwissModel) -> String {
    let p = &m.params;
    let mut v = Vec::new();
    if p.dir_bits > 0 {
        let top = hash >> (64 - p.dir_bits);
        v.push(format!("top 0b{top:0w$b}", w = p.dir_bits as usize));
    }
    if p.h1_bits > 0 {
        let low = h1(hash) & ((1 << p.h1_bits) - 1);
        v.push(format!("H1 …{low:0w$b}", w = p.h1_bits as usize));
    }
    v.push(format!("H2 {:02x}", h2(hash)));
    v.join(" ")
}

fn hashes_text(s: &SwissState, m: &SwissModel) -> String {
    let v: Vec<String> = s
        .hashes
        .iter()
        .map(|(k, h)| format!("k{k}: {}", hash_text(*h, m)))
        .collect();
    v.join(", ")
}

/// Where an iterator is: the slot it examines next, or the end of its table or group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IterAt {
    /// Slot `slot` of group `group` of table `tab` (`tab` None: the small group `small`).
    Slot {
        place: Place,
        group: usize,
        slot: usize,
    },
    /// Every slot of the table or small group visited: the next `Iter.Next` moves on
    /// (nextDirIdx) or ends the loop.
    End(Place),
    Nowhere,
}

/// A table or a small group of the state's arenas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Table(TableId),
    Small(GroupId),
}

fn iter_at(it: &Iter, s: &SwissState, slots: usize) -> IterAt {
    let slots = slots as u64;
    if it.dir_idx < 0 {
        let Some(g) = it.small else {
            return IterAt::Nowhere;
        };
        if it.entry_idx >= slots {
            return IterAt::End(Place::Small(g));
        }
        let k = it.entry_idx.wrapping_add(it.entry_offset) % slots;
        return IterAt::Slot {
            place: Place::Small(g),
            group: 0,
            slot: k as usize,
        };
    }
    let Some(t) = it.tab else {
        return IterAt::Nowhere;
    };
    let mask = s.table(t).capacity as u64 - 1;
    if it.entry_idx > mask {
        return IterAt::End(Place::Table(t));
    }
    let e = it.entry_idx.wrapping_add(it.entry_offset) & mask;
    IterAt::Slot {
        place: Place::Table(t),
        group: (e >> slots.trailing_zeros()) as usize,
        slot: (e & (slots - 1)) as usize,
    }
}

/// The directory entry an iterator walks: `(dirIdx + dirOffset) mod dirLen`, both shifted
/// as `Iter.Next` shifts them when the directory grew since.
fn iter_dir_entry(it: &Iter, s: &SwissState) -> Option<usize> {
    if it.dir_idx < 0 || s.dir_len() == 0 || it.global_depth > s.m.global_depth {
        return None;
    }
    let orders = (s.m.global_depth - it.global_depth) as u32;
    let d = ((it.dir_idx as u64) << orders).wrapping_add(it.dir_offset << orders);
    Some((d & (s.dir_len() as u64 - 1)) as usize)
}

fn place_name(p: Place, s: &SwissState) -> String {
    match p {
        Place::Table(t) => {
            if s.table(t).index == -1 {
                format!("t{t} (replaced)")
            } else {
                format!("t{t}")
            }
        }
        Place::Small(g) => {
            if s.m.small == Some(g) && s.dir_len() == 0 {
                "the small group".to_string()
            } else {
                "the old small group".to_string()
            }
        }
    }
}

fn iter_line(it: &Iter, s: &SwissState, slots: usize) -> String {
    let at = match iter_at(it, s, slots) {
        IterAt::Slot { place, group, slot } => match place {
            Place::Small(_) => format!(
                "next slot (entryIdx+entryOffset) mod {slots} = {slot} of {}",
                place_name(place, s)
            ),
            Place::Table(_) => format!(
                "next entry (entryIdx+entryOffset)&(capacity-1): group {group} slot {slot} of {}",
                place_name(place, s)
            ),
        },
        IterAt::End(place @ Place::Table(_)) => format!(
            "every entry of {} visited: the next call moves on (nextDirIdx)",
            place_name(place, s)
        ),
        IterAt::End(place) => format!(
            "every slot of {} visited: the next call ends the loop",
            place_name(place, s)
        ),
        IterAt::Nowhere => "no table yet".to_string(),
    };
    let regrown = match it.tab {
        Some(t) if s.table(t).index == -1 => ", re-looks keys up in the map (grownKeyElem)",
        _ if it.dir_idx < 0 && s.dir_len() > 0 => {
            ", the map grew to a table since: re-looks keys up in it"
        }
        _ => "",
    };
    format!(
        "it{}: entryOffset={} dirOffset={} dirIdx={} entryIdx={} globalDepth={} clearSeq={}; {at}{regrown}",
        it.id,
        it.entry_offset,
        it.dir_offset,
        it.dir_idx,
        it.entry_idx,
        it.global_depth,
        it.clear_seq
    )
}

fn table_line(tid: usize, t: &Table, slots: usize) -> String {
    format!(
        "t{tid}: capacity={} used={} growthLeft={} tombstones={} localDepth={} index={}{}",
        t.capacity,
        t.used,
        t.growth_left,
        tombstones(t, slots),
        t.local_depth,
        t.index,
        if t.index == -1 {
            " (replaced: only iterators walk it)"
        } else {
            ""
        }
    )
}

/// The state in a few lines, for `slots` slots per group.
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
        let _ = writeln!(out, "  {}", table_line(tid, t, slots));
        for (gi, g) in t.groups.iter().enumerate() {
            let _ = writeln!(out, "    g{gi}: {}", group_text(g, slots));
        }
    }
    for it in &s.iters {
        let _ = writeln!(out, "  {}", iter_line(it, s, slots));
    }
    out
}

/// The state as the model's geometry shows it, with the hashes of its keys.
pub fn state_text(s: &SwissState, m: &SwissModel) -> String {
    let mut t = state_text_slots(s, m.params.geo.slots);
    if !s.hashes.is_empty() {
        // After the header line.
        let at = t.find('\n').map_or(t.len(), |i| i + 1);
        t.insert_str(at, &format!("  hashes: {}\n", hashes_text(s, m)));
    }
    t
}

/// What the program observed.
pub fn outcome_text(out: &Outcome) -> String {
    match out {
        Outcome::None => String::new(),
        Outcome::Access { elem, found } => {
            if *found {
                format!("(v{elem}, true)")
            } else {
                format!("({elem}, false)")
            }
        }
        Outcome::Yield {
            iter,
            kv: Some((k, v)),
        } => format!("it{iter} yields (k{k}, v{v})"),
        Outcome::Yield { iter, kv: None } => format!("it{iter} is done"),
    }
}

/// One step for the explorer, as `hmap`'s: the action, Go's inner steps (`-> `), what the
/// program saw (`= `), the next state.
pub fn step_text(
    a: &SwissAction,
    out: &Outcome,
    log: &[String],
    next: &SwissState,
    m: &SwissModel,
) -> String {
    let mut t = a.to_string();
    for l in log {
        let _ = write!(t, "\n  -> {l}");
    }
    let o = outcome_text(out);
    if !o.is_empty() {
        let _ = write!(t, "\n  = {o}");
    }
    let _ = write!(t, "\n{}", state_text(next, m));
    t
}

impl std::fmt::Debug for SwissState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&debug_text(self))
    }
}

/// A group for [`debug_text`]: its slots up to the last one holding anything, then how many
/// more (up to Go's 8) are empty and zero.
fn debug_group(g: &Group) -> String {
    let n = (0..MAX_SLOTS)
        .rev()
        .find(|&i| g.ctrl[i] != CTRL_EMPTY || g.keys[i] != 0 || g.elems[i] != 0)
        .map_or(0, |i| i + 1);
    let mut t = group_text(g, n);
    if n < MAX_SLOTS {
        let _ = write!(t, " +{} empty", MAX_SLOTS - n);
    }
    t
}

/// The `Debug` text of a state (`impl Debug for SwissState`): everything in it, the
/// iterators' and the transition's ghost state included, so that distinct states have
/// distinct texts (the explorer compares states by this text). It has no model at hand, so
/// it cannot know the group size: see `debug_group`.
pub fn debug_text(s: &SwissState) -> String {
    let mut out = format!(
        "used={} seed={} dirLen={} globalDepth={} clearSeq={} ops={} next_iter_id={} small={}",
        s.m.used,
        s.m.seed,
        s.dir_len(),
        s.m.global_depth,
        s.m.clear_seq,
        s.ops,
        s.next_iter_id,
        match s.m.small {
            Some(g) => format!("group {g}"),
            None => "nil".to_string(),
        }
    );
    let hashes: Vec<String> = s
        .hashes
        .iter()
        .map(|(k, v)| format!("k{k}->{v:#x}"))
        .collect();
    let _ = write!(out, "\nhashes: {}", hashes.join(" "));
    for (gid, g) in s.smalls.iter().enumerate() {
        let _ = write!(out, "\nsmall group {gid}: {}", debug_group(g));
    }
    if s.dir_len() > 0 {
        let dir: Vec<String> = s.m.dir.iter().map(|t| format!("t{t}")).collect();
        let _ = write!(out, "\ndirectory [{}]", dir.join(" "));
    }
    for (tid, t) in s.tables.iter().enumerate() {
        let _ = write!(
            out,
            "\nt{tid}: capacity={} used={} growthLeft={} localDepth={} index={}",
            t.capacity, t.used, t.growth_left, t.local_depth, t.index
        );
        for (gi, g) in t.groups.iter().enumerate() {
            let _ = write!(out, "\n  g{gi}: {}", debug_group(g));
        }
    }
    for it in &s.iters {
        let _ = write!(
            out,
            "\nit{}: entryOffset={} dirOffset={} dirIdx={} entryIdx={} tab={} small={} globalDepth={} clearSeq={} {}",
            it.id,
            it.entry_offset,
            it.dir_offset,
            it.dir_idx,
            it.entry_idx,
            it.tab.map_or("nil".to_string(), |t| format!("t{t}")),
            it.small.map_or("nil".to_string(), |g| format!("group {g}")),
            it.global_depth,
            it.clear_seq,
            it.ghost,
        );
    }
    let _ = write!(
        out,
        "\nghost: abstract map {{{}}} (keys 1..{}) violations={:#x} events={:#x}",
        abs_text(&s.ghost.abs),
        s.ghost.abs.len().saturating_sub(1),
        s.ghost.violations,
        s.ghost.events
    );
    out
}

fn tombstones(t: &Table, slots: usize) -> usize {
    t.groups
        .iter()
        .map(|g| {
            g.ctrl[..slots]
                .iter()
                .filter(|&&c| c == CTRL_DELETED)
                .count()
        })
        .sum()
}
