//! Behaviours checked per Go version beside the seed's claims (B1-B3): sync.Map's
//! linearizability with every operation the version has, whether its Range is a snapshot,
//! and whether a map ever shrinks.

use crate::checker::Verdict;
use crate::claims::evidence::specs::spec_cmd;
use crate::claims::evidence::{Ctx, MapKind, SyncKind};
use crate::claims::{ClaimVerdict, Decided, Res};
use crate::syncmap_history::Report;

/// The evidence line for the random histories.
pub(crate) fn histories_line(c: &Ctx, h: &Report) -> String {
    let ops: Vec<String> = h
        .op_counts
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    format!(
        "{} sync.Map histories of 3 goroutines on 2 keys recorded with {} ({} calls: {}), checked per key by the linearizability checker: {}",
        h.histories,
        c.go.label(),
        h.calls,
        ops.join(", "),
        if h.linearizable() {
            "all linearizable".to_string()
        } else {
            format!("{} not linearizable", h.not_linearizable)
        }
    )
}

/// The operations sync/map.go (or its HashTrieMap wrapper) declares, of those added after
/// Go 1.19.
fn new_methods(c: &Ctx) -> Res<Vec<&'static str>> {
    let text = c.read_src(c.go.sync_file())?;
    Ok(["Swap", "CompareAndSwap", "CompareAndDelete", "Clear"]
        .into_iter()
        .filter(|m| text.contains(&format!("func (m *Map) {m}(")))
        .collect())
}

pub(crate) fn b1(c: &mut Ctx) -> Res<Decided> {
    let h = c.histories("random")?;
    let declared = new_methods(c)?;
    // Every method the source declares must have been exercised by the recorder.
    let missing: Vec<&&str> = declared
        .iter()
        .filter(|m| !h.op_counts.contains_key(**m))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "B1: {} declares {missing:?} but the recorded histories never call them",
            c.go.sync_file()
        ));
    }
    let mut ev = vec![histories_line(c, &h)];
    ev.push(format!(
        "{} declares {} beside Go 1.19's methods",
        c.go.sync_file(),
        if declared.is_empty() {
            "none of Swap, CompareAndSwap, CompareAndDelete, Clear".to_string()
        } else {
            declared.join(", ")
        }
    ));
    let mut rerun = vec![c.histories_cmd("random")];
    if let SyncKind::ReadDirty { .. } = c.go.sync {
        if c.has_spec("syncmap-three-goroutines") {
            let (v, e) = c.prop("syncmap-three-goroutines", "linearizable")?;
            c.agree("B1", v == Verdict::Holds, h.linearizable())?;
            ev.push(e);
            rerun.push(spec_cmd("syncmap-three-goroutines"));
        }
    }
    let impl_words = match c.go.sync {
        SyncKind::ReadDirty { .. } => "read and dirty maps behind one Mutex",
        SyncKind::HashTrie { .. } => "a HashTrieMap",
    };
    if let Some(cx) = &h.first_not_linearizable {
        ev.push(format!(
            "first non-linearizable history, {}",
            cx.replace('\n', " ")
        ));
        return Ok((
            ClaimVerdict::False,
            format!("A recorded history of {}'s sync.Map ({impl_words}) is not linearizable per key: no order of its calls explains what they returned.", c.go.label()),
            ev,
            rerun,
        ));
    }
    // What the recorded histories show of each operation added after Go 1.19.
    let mut shown: Vec<&str> = Vec::new();
    if declared.contains(&"Swap") {
        shown.push("a Swap returns the value it replaced");
    }
    if declared.contains(&"CompareAndSwap") || declared.contains(&"CompareAndDelete") {
        shown.push("a CompareAndSwap or CompareAndDelete acts only on a present key holding the value it names");
    }
    if declared.contains(&"Clear") {
        shown.push("a Clear deletes each key within the call");
    }
    Ok((
        ClaimVerdict::True,
        format!(
            "Every recorded history of {}'s sync.Map ({impl_words}) is linearizable per key{} (tested on real goroutines, not proven).",
            c.go.label(),
            if shown.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} included: {}",
                    declared.join(", "),
                    shown.join(", ")
                )
            }
        ),
        ev,
        rerun,
    ))
}

pub(crate) fn b2(c: &mut Ctx) -> Res<Decided> {
    let h = c.histories("range-vs-stores")?;
    if !h.linearizable() {
        return Err(format!(
            "B2: a range-vs-stores history of {} is not linearizable per key:\n{}",
            c.go.label(),
            h.first_not_linearizable.clone().unwrap_or_default()
        ));
    }
    let mut ev = Vec::new();
    let mut rerun = vec![c.histories_cmd("range-vs-stores")];
    let go_snapshot = h.range_not_snapshot == 0;
    if let SyncKind::ReadDirty { .. } = c.go.sync {
        let spec = "syncmap-range-snapshot";
        if c.has_spec(spec) {
            let (v, e) = c.prop(spec, "range_is_snapshot")?;
            c.agree("B2", v == Verdict::Holds, go_snapshot)?;
            ev.push(e);
            rerun.push(spec_cmd(spec));
        }
    }
    match &h.first_range_not_snapshot {
        Some(example) => {
            // The two goroutines' calls (the setup, thread 2, left out), one line.
            let example: Vec<String> = example
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("thread ") && !l.starts_with("thread 2:"))
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect();
            ev.push(format!(
                "{} histories of the range-vs-stores scenario (k1 = k2 = v1; goroutine 0 ranges while goroutine 1 stores v2 to k1, then to k2, after Range's first visit) recorded with {}: a Range that was not a snapshot in some of them, e.g. {}",
                h.histories,
                c.go.label(),
                example.join("; ")
            ));
            let how = match c.go.sync {
                SyncKind::ReadDirty { .. } => {
                    "Range walks read.m and loads each entry as it reaches it"
                }
                SyncKind::HashTrie { .. } => {
                    "Range walks the hash-trie and loads each entry as it reaches it"
                }
            };
            let why = format!("Not a snapshot on {}: {how}, so it can show one key before a concurrent Store and a later key after the next Store of the same goroutine: a content the map never had at any instant. Each key still shows some value it had during the call.", c.go.label());
            match c.go.sync.clone() {
                SyncKind::ReadDirty { file } => ev.push(c.source_line(
                    &file,
                    Some("func (m *Map) Range("),
                    "for k, e := range read.m",
                )?),
                SyncKind::HashTrie { trie, .. } => ev.push(c.source_line(
                    &trie,
                    Some("func (ht *HashTrieMap[K, V]) iter("),
                    "i.children[j].Load()",
                )?),
            }
            let file = c.go.sync_file().to_string();
            ev.push(c.source_line(&file, None, "consistent snapshot")?);
            Ok((ClaimVerdict::False, why, ev, rerun))
        }
        None => {
            ev.push(format!(
                "{} histories of the range-vs-stores scenario recorded with {}: every Range was a snapshot",
                h.histories,
                c.go.label()
            ));
            Ok((
                ClaimVerdict::NotDecided,
                format!("not decided: no Range that was not a snapshot in {} histories on {}; tests cannot show that every Range is one.", h.histories, c.go.label()),
                ev,
                rerun,
            ))
        }
    }
}

pub(crate) fn b3(c: &mut Ctx) -> Res<Decided> {
    match c.go.map.clone() {
        MapKind::Classic { map, .. } => {
            // The hmap model checks delete; it has no mapclear, which the source decides.
            let spec = "hmap-invariants";
            let (v, e) = c.prop(spec, "b_never_decreases")?;
            let clear = c.go_func_body(&map, "func mapclear(")?;
            let assigns_b: Vec<String> = clear
                .iter()
                .filter(|(_, l)| {
                    let t = l.replace(' ', "");
                    t.contains("h.B=") || t.contains("h.B--") || t.contains("h.B-=")
                })
                .map(|(n, l)| format!("{map}:{n}: `{}` (in mapclear)", l.trim()))
                .collect();
            let mut ev = vec![e];
            ev.push(format!(
                "{map}:{}: `{}`: {}",
                clear[0].0,
                clear[0].1.trim(),
                if assigns_b.is_empty() {
                    "no assignment to h.B in its body (it clears the buckets in place)".to_string()
                } else {
                    assigns_b.join("; ")
                }
            ));
            let holds = v == Verdict::Holds && assigns_b.is_empty();
            Ok((
                ClaimVerdict::true_if(holds),
                if holds {
                    "B never decreases: no mapdelete lowers it (the hmap model, every sequence of 7 operations) and mapclear empties the buckets in place, keeping B; a map's bucket array only grows.".into()
                } else {
                    "A delete or a clear lowers B: the map shrinks.".into()
                },
                ev,
                vec![
                    spec_cmd(spec),
                    format!("sed -n '/^func mapclear(/,/^}}/p' {}", c.go.rerun_src(&map)),
                ],
            ))
        }
        MapKind::Swiss { table, .. } => {
            let spec = "swiss-never-shrinks";
            let (v, e) = c.prop(spec, "capacity_never_decreases")?;
            let mut ev = vec![e];
            let mut covered = true;
            // Go 1.25's pruneTombstones is not in the model (Go 1.24): its body must not
            // touch the capacity or allocate.
            if c.swiss_gap(spec)?.is_some() {
                let body = c.go_func_body(&table, "func (t *table) pruneTombstones(")?;
                let resizes: Vec<String> = body
                    .iter()
                    .filter(|(_, l)| {
                        l.contains("capacity =")
                            || l.contains("newTable(")
                            || l.contains("newGroups(")
                    })
                    .map(|(n, l)| format!("{table}:{n}: `{}`", l.trim()))
                    .collect();
                covered = resizes.is_empty();
                ev.push(format!(
                    "{table}:{}: `{}` (not in the swiss model, which follows Go 1.24): {}",
                    body[0].0,
                    body[0].1.trim(),
                    if covered {
                        "only rewrites control bytes (no capacity change, no allocation)"
                            .to_string()
                    } else {
                        resizes.join("; ")
                    }
                ));
            }
            if !covered {
                return Ok((
                    ClaimVerdict::NotDecided,
                    "not decided: Swiss-table map: pruneTombstones changes the table and the swiss model does not have it".into(),
                    ev,
                    vec![spec_cmd(spec)],
                ));
            }
            let holds = v == Verdict::Holds;
            Ok((
                ClaimVerdict::true_if(holds),
                if holds {
                    "No delete or clear lowers the capacity: Swiss deletes only mark slots, clear empties the groups in place and keeps the directory, and tables only grow or split (the swiss model, every sequence of 6 assigns, deletes and clears).".into()
                } else {
                    "A delete or a clear lowers the capacity: the map shrinks.".into()
                },
                ev,
                vec![spec_cmd(spec)],
            ))
        }
    }
}
