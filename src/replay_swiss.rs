//! Replays swiss-v1 traces of real Go 1.24 (docs/swiss-trace-format.md) on the Swiss port
//! (`--target port`: gomap-impl's `replay_swiss_trace`, every byte compared) or on the
//! `swiss` model (`--target model`, [`replay_swiss_on_model`]).
//!
//! The model replay runs the model's steps at Go's group size and load and the trace's
//! `maxTableCapacity`, feeding it only what the trace gives: each op's key hash under the
//! seed before the op (a new seed starts an empty hash function: the keys of an empty map
//! are all inserted again under the new seed, with their hashes), and each iterator's
//! entryOffset and dirOffset (the recorded dirOffset is the one after the first `Next`'s
//! adjustment; starting from it, the model's first `Next` needs no adjustment and ends in
//! the same state). After every op it compares the lookup result or iterator yield, the
//! `Map` header (used, dirLen, globalDepth, clearSeq), the directory (Go's table ids
//! against the model's, one to one), the small group or every table of the directory
//! (used, capacity, growthLeft, localDepth, index, every control word and the key and elem
//! of every full slot: the model keeps no stale bytes), and the iterator (entryOffset,
//! dirOffset, dirIdx, entryIdx, globalDepth, clearSeq and its table, replaced ones
//! included). `make` with a hint sizes the directory as Go's `NewMap` does
//! ([`Machine::new_map`](gomap_model::swiss::steps::Machine::new_map)).

use gomap_impl::swiss::trace::{GroupLine, MapLine, OpLine, TableLine};
use gomap_impl::swiss::{parse_swiss_trace, replay_swiss_trace, SwissTrace};
use gomap_model::framework::log::Log;
use gomap_model::swiss::{
    Geometry, Group, HashFn, Outcome, SwissAction, SwissModel, SwissParams, SwissState,
};
use std::collections::HashMap;

/// What a swiss trace replay compared.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SwissModelReport {
    pub ops: usize,
    pub states_compared: usize,
    pub lookups: usize,
    pub yields: usize,
    pub groups_compared: usize,
}

/// Go's state as the trace's deltas build it.
#[derive(Default)]
struct GoView {
    map: Option<MapLine>,
    tables: HashMap<i64, TableLine>,
    groups: HashMap<(i64, u64), GroupLine>,
    small: Option<GroupLine>,
}

fn group_diff(what: &str, go: &GroupLine, m: &Group) -> Result<(), String> {
    if go.ctrl != m.ctrl_word(8) {
        return Err(format!(
            "{what} ctrl word: Go {:016x}, model {:016x}",
            go.ctrl,
            m.ctrl_word(8)
        ));
    }
    for i in 0..8 {
        if m.ctrl[i] & 0x80 == 0 && (go.keys[i], go.elems[i]) != (m.keys[i], m.elems[i]) {
            return Err(format!(
                "{what} slot {i}: Go k{}=v{}, model k{}=v{}",
                go.keys[i], go.elems[i], m.keys[i], m.elems[i]
            ));
        }
    }
    Ok(())
}

fn compare(
    iter_base: usize,
    go: &GoView,
    s: &SwissState,
    op: &OpLine,
    ids: &mut HashMap<i64, u16>,
    rep: &mut SwissModelReport,
) -> Result<(), String> {
    let gm = go.map.as_ref().ok_or("no map line")?;
    let pair = |what: &str, a: u64, b: u64| {
        if a == b {
            Ok(())
        } else {
            Err(format!("{what}: Go {a}, model {b}"))
        }
    };
    pair("used", gm.used, s.m.used)?;
    pair("dirLen", gm.dir_len as u64, s.dir_len() as u64)?;
    pair(
        "globalDepth",
        gm.global_depth as u64,
        s.m.global_depth as u64,
    )?;
    pair("clearSeq", gm.clear_seq, s.m.clear_seq as u64)?;
    match (gm.dir_ptr.as_str(), s.m.small) {
        ("small", Some(g)) => {
            let gg = go.small.as_ref().ok_or("Go's small group never recorded")?;
            group_diff("small group", gg, &s.smalls[g as usize])?;
            rep.groups_compared += 1;
        }
        ("small", None) => return Err("Go has a small group, the model none".into()),
        (_, Some(_)) => {
            return Err(format!(
                "Go's dirPtr is {}, the model has a small group",
                gm.dir_ptr
            ))
        }
        _ => {}
    }
    ids.clear();
    let table_eq = |gid: i64, mt: u16, rep: &mut SwissModelReport| -> Result<(), String> {
        let gt = go
            .tables
            .get(&gid)
            .ok_or(format!("Go table {gid} never recorded"))?;
        let t = s.table(mt);
        let h = |u, c, g, l, i| {
            format!("used {u} capacity {c} growthLeft {g} localDepth {l} index {i}")
        };
        let (a, b) = (
            h(
                gt.used,
                gt.capacity,
                gt.growth_left,
                gt.local_depth,
                gt.index,
            ),
            h(t.used, t.capacity, t.growth_left, t.local_depth, t.index),
        );
        if a != b {
            return Err(format!("table {gid}: Go {a}, model {b}"));
        }
        for (gi, g) in t.groups.iter().enumerate() {
            let gg = go
                .groups
                .get(&(gid, gi as u64))
                .ok_or(format!("Go group {gid}/{gi} never recorded"))?;
            group_diff(&format!("table {gid} group {gi}"), gg, g)?;
            rep.groups_compared += 1;
        }
        Ok(())
    };
    for (i, (&gid, &mt)) in gm.dir.iter().zip(&s.m.dir).enumerate() {
        match ids.insert(gid, mt) {
            Some(prev) if prev != mt => {
                return Err(format!(
                    "directory[{i}]: Go's tables and the model's differ"
                ))
            }
            Some(_) => {}
            None => table_eq(gid, mt, rep)?,
        }
    }
    if let (Some(gi), Some(id)) = (&op.iter, op.it.and_then(|i| i.checked_sub(iter_base))) {
        if let Some(it) = s.iters.iter().find(|it| it.id as usize == id) {
            let a = format!(
                "entryOffset {} dirOffset {} dirIdx {} entryIdx {} globalDepth {} clearSeq {}",
                gi.entry_offset,
                gi.dir_offset,
                gi.dir_idx,
                gi.entry_idx,
                gi.global_depth,
                gi.clear_seq
            );
            let b = format!(
                "entryOffset {} dirOffset {} dirIdx {} entryIdx {} globalDepth {} clearSeq {}",
                it.entry_offset,
                it.dir_offset,
                it.dir_idx,
                it.entry_idx,
                it.global_depth,
                it.clear_seq
            );
            if a != b {
                return Err(format!("iterator {id}: Go {a}, model {b}"));
            }
            match (gi.tab, it.tab) {
                (None, None) => {}
                (Some(gt), Some(mt)) => match ids.get(&gt) {
                    Some(&m) if m == mt => {}
                    Some(_) => return Err(format!("iterator {id}: walks another table")),
                    // A replaced table: the trace does not record its header again (index
                    // -1), only the directory's tables; compare its groups.
                    None => {
                        for (gi, g) in s.table(mt).groups.iter().enumerate() {
                            if let Some(gg) = go.groups.get(&(gt, gi as u64)) {
                                group_diff(
                                    &format!("iterator {id}'s table {gt} group {gi}"),
                                    gg,
                                    g,
                                )?;
                                rep.groups_compared += 1;
                            }
                        }
                    }
                },
                (a, b) => return Err(format!("iterator {id} table: Go {a:?}, model {b:?}")),
            }
        }
    }
    rep.states_compared += 1;
    Ok(())
}

/// Replays `trace` on the `swiss` model; Err is the first difference (op index, what).
pub fn replay_swiss_on_model(trace: &SwissTrace) -> Result<SwissModelReport, String> {
    let h = &trace.header;
    if h.group_slots != 8 {
        return Err(format!(
            "groupSlots {} (the model replays Go's 8)",
            h.group_slots
        ));
    }
    let geo = Geometry {
        max_table_capacity: h.max_table_capacity as u16,
        ..Geometry::GO
    };
    let params = SwissParams {
        geo,
        keys: 0,
        ..SwissParams::default()
    };
    let model = SwissModel::with_hash_fns(params, vec![HashFn::default()], Some(&[]));
    let mut s = model.initial(0);
    s.ghost.abs.clear();
    let mut go = GoView::default();
    let mut rep = SwissModelReport::default();
    let mut ids = HashMap::new();
    let mut seed: Option<u64> = None;
    // The recorder numbers iterators over the whole trace; the model numbers them per map
    // from 0. `iter_base` is the trace's number of the first iterator of the current map.
    let mut iter_base = 0usize;
    let mut trace_iters = 0usize;
    for op in &trace.ops {
        let at = |e: String| format!("op {} ({}): {e}", op.i, op.op);
        if let (Some(k), Some(hash)) = (op.key, op.hash) {
            s.hashes.insert(k, hash);
        }
        let action = match op.op.as_str() {
            "make" => {
                s = model.initial(0);
                s.ghost.abs.clear();
                model
                    .machine
                    .new_map(&mut s, op.hint.unwrap_or(0))
                    .map_err(at)?;
                iter_base = trace_iters;
                None
            }
            "assign" => Some(SwissAction::Assign {
                key: op.key.ok_or_else(|| at("no key".into()))?,
                elem: op.elem.unwrap_or(0),
            }),
            "delete" => Some(SwissAction::Delete {
                key: op.key.ok_or_else(|| at("no key".into()))?,
                reseed: None,
            }),
            "lookup" => Some(SwissAction::Access {
                key: op.key.ok_or_else(|| at("no key".into()))?,
            }),
            "clear" => Some(SwissAction::Clear { reseed: 0 }),
            "iter_start" => {
                let it = op
                    .iter
                    .as_ref()
                    .ok_or_else(|| at("no iterator state".into()))?;
                if op.it != Some(trace_iters) {
                    return Err(at(format!(
                        "iterators must start in order 0, 1, ...: expected {trace_iters}"
                    )));
                }
                trace_iters += 1;
                if s.next_iter_id as usize != op.it.unwrap_or(0) - iter_base {
                    return Err(at(
                        "the model's iterator numbering lost step with the trace's".into(),
                    ));
                }
                if s.m.used == 0 {
                    s.next_iter_id += 1;
                    None
                } else {
                    Some(SwissAction::IterInit {
                        entry_offset: it.entry_offset,
                        dir_offset: it.dir_offset,
                    })
                }
            }
            "iter_next" => {
                let it = op.it.ok_or_else(|| at("no iterator".into()))?;
                let id = it.checked_sub(iter_base).ok_or_else(|| {
                    at(format!(
                        "iterator {it} belongs to a map made before this one"
                    ))
                })?;
                Some(SwissAction::IterNext {
                    iter: u8::try_from(id)
                        .map_err(|_| at(format!("iterator {it}: too many iterators")))?,
                })
            }
            other => return Err(at(format!("unknown op {other}"))),
        };
        let out = match &action {
            Some(a) => model.step(&mut s, a, &mut Log::default()),
            None => Outcome::None,
        };
        match (&out, op.op.as_str()) {
            (Outcome::Access { elem, found }, _) => {
                rep.lookups += 1;
                if Some(*found) != op.found || (*found && Some(*elem) != op.elem) {
                    return Err(at(format!(
                        "lookup: Go ({:?}, {:?}), model ({elem}, {found})",
                        op.elem, op.found
                    )));
                }
            }
            (Outcome::Yield { kv, .. }, _) => {
                rep.yields += 1;
                let go_kv = op.r#yield.map(|[k, v]| (k, v));
                if *kv != go_kv {
                    return Err(at(format!("yield: Go {go_kv:?}, model {kv:?}")));
                }
            }
            _ => {}
        }
        // Go's state after the op.
        if seed.is_some_and(|old| old != op.map.seed) {
            // A new seed: the map is empty; later ops give the keys' hashes under it.
            s.hashes = HashFn::default();
        }
        seed = Some(op.map.seed);
        go.map = Some(op.map.clone());
        for t in &op.tables {
            go.tables.insert(t.id, t.clone());
        }
        for g in &op.groups {
            go.groups.insert((g.t, g.g), g.clone());
        }
        if let Some(g) = &op.small {
            go.small = Some(g.clone());
        }
        compare(iter_base, &go, &s, op, &mut ids, &mut rep).map_err(at)?;
        rep.ops += 1;
    }
    Ok(rep)
}

/// One swiss trace file on the port or the model: its text line, and whether it replayed.
/// How the replay of one swiss-v1 file ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwissFileStatus {
    Ok,
    /// The file is not a readable swiss-v1 trace (or one of another Go): bad input.
    BadInput,
    /// The port or model differs from Go.
    Mismatch,
}

pub fn replay_swiss_file(
    path: &std::path::Path,
    on_model: bool,
) -> (String, SwissFileStatus, usize) {
    let file = path.display().to_string();
    let max = gomap_impl::trace::MAX_TRACE_BYTES;
    match std::fs::metadata(path) {
        Ok(m) if m.len() > max => {
            return (
                format!(
                    "{file}: ERROR: is {} bytes, more than the {max} bytes allowed",
                    m.len()
                ),
                SwissFileStatus::BadInput,
                0,
            )
        }
        _ => {}
    }
    let trace = match parse_swiss_trace(path) {
        Ok(t) => t,
        Err(e) => return (format!("{file}: ERROR: {e}"), SwissFileStatus::BadInput, 0),
    };
    if on_model {
        match replay_swiss_on_model(&trace) {
            Ok(r) => (
                format!(
                    "{file}: ok (swiss-v1 on the swiss model): {} ops replayed, {} states compared ({} lookups, {} iterator advances, {} groups)",
                    r.ops, r.states_compared, r.lookups, r.yields, r.groups_compared
                ),
                SwissFileStatus::Ok,
                r.ops,
            ),
            Err(e) => (
                format!("{file}: MISMATCH (swiss model): {e}"),
                SwissFileStatus::Mismatch,
                0,
            ),
        }
    } else {
        match replay_swiss_trace(&trace) {
            Ok(r) => (
                format!(
                    "{file}: ok (swiss-v1 on the Swiss port): {} ops replayed ({} lookups, {} iterator advances, {} groups compared)",
                    r.ops, r.lookups, r.iter_advances, r.groups_compared
                ),
                SwissFileStatus::Ok,
                r.ops,
            ),
            Err(e) => (
                format!("{file}: MISMATCH (Swiss port): {e}"),
                SwissFileStatus::Mismatch,
                0,
            ),
        }
    }
}

/// Whether the file's first line is a swiss-v1 header.
pub fn is_swiss_trace(path: &std::path::Path) -> bool {
    use std::io::{BufRead, Read};
    // Only a regular file is opened: a FIFO or device could block or never end (the classic
    // replay then names what the path is).
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut first = String::new();
    std::io::BufReader::new(f.take(1 << 16))
        .read_line(&mut first)
        .is_ok_and(|_| first.contains("\"swiss-v1\""))
}
