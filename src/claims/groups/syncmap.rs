//! sync.Map: what LoadOrStore returns, promotion of dirty, its locking, and whether a completed
//! Store is visible (S1, S20, S23, S24).

use crate::checker::Verdict;
use crate::claims::evidence::go_programs::FACTS;
use crate::claims::evidence::go_source::{source_line, GOROOT_SRC};
use crate::claims::evidence::specs::spec_cmd;
use crate::claims::evidence::{agree, Ctx};
use crate::claims::{ClaimVerdict, Decided, Res};
use std::path::Path;

pub(crate) fn s1(c: &mut Ctx) -> Res<Decided> {
    let r = c.run("facts", false, "s1")?;
    let (old, loaded, after) = (
        r.get("returned_old")?,
        r.get("loaded")?,
        r.get("stored_after")?,
    );
    let holds = old == "true" && loaded == "true" && after == "old";
    let v = ClaimVerdict::true_if(holds);
    Ok((
        v,
        format!("Go 1.19: LoadOrStore on a present key returned the old value: {old}, loaded = {loaded}, the map still holds the {after} value."),
        vec![
            format!("Go program `facts s1`: returned_old={old} loaded={loaded} stored_after={after}"),
            source_line("sync/map.go", None, "LoadOrStore returns the existing value")?,
        ],
        vec![format!("{FACTS} s1")],
    ))
}

pub(crate) fn s20(c: &mut Ctx) -> Res<Decided> {
    let r = c.run("facts", false, "s20")?;
    let freed = r.get("old_read_map_freed")?.to_string();
    let works = r.get("still_works")?.to_string();
    let verdict = ClaimVerdict::false_if(freed == "true");
    Ok((
        verdict,
        "Promotion replaces read with dirty by an ordinary pointer store; Go 1.19 has no weak references, and the old read map is garbage like any other unreachable object.".into(),
        vec![
            format!("Go program `facts s20`: 200000 entries promoted to read, deleted, then two promotions of small dirty maps: old read map freed (heap below a quarter of its size with the map) = {freed}; the map still works = {works}"),
            source_line("sync/map.go", Some("func (m *Map) missLocked()"), "m.read.Store(readOnly{m: m.dirty})")?,
        ],
        vec![format!("{FACTS} s20")],
    ))
}

pub(crate) fn s23(_: &mut Ctx) -> Res<Decided> {
    let path = Path::new(GOROOT_SRC).join("sync/map.go");
    let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    let body: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("type Map struct"))
        .take_while(|l| *l != "}")
        .collect();
    let mutexes = body
        .iter()
        .filter(|l| l.trim_start().starts_with("mu "))
        .count();
    let sharded = body
        .iter()
        .any(|l| l.contains("[]Mutex") || l.contains("shard"));
    let verdict = ClaimVerdict::false_if(mutexes == 1 && !sharded);
    let why = if mutexes == 1 && !sharded {
        "One Mutex (the only lock field of `type Map struct`) guards dirty and misses for the whole map; reads of read.m take no lock. The zero Map is ready to use; only dirty is created lazily.".to_string()
    } else {
        format!(
            "`type Map struct` has {mutexes} mutex fields{}: its locking is split.",
            if sharded { " and shards" } else { "" }
        )
    };
    Ok((
        verdict,
        why,
        vec![
            source_line("sync/map.go", None, "type Map struct")?,
            source_line("sync/map.go", Some("type Map struct"), "mu Mutex")?,
        ],
        vec![format!(
            "sed -n '/^type Map struct/,/^}}/p' {GOROOT_SRC}/sync/map.go"
        )],
    ))
}

pub(crate) fn s24(c: &mut Ctx) -> Res<Decided> {
    // The syncmap model decides it step by step, if its spec is present; otherwise the cache
    // model, which takes sync.Map to be atomic, can only restate that assumption.
    let candidates = [
        (
            "claim-s24-syncmap",
            "s24_completed_store_visible_to_later_load",
        ),
        (
            "syncmap-three-goroutines-symmetry",
            "s24_completed_store_visible_to_later_load",
        ),
    ];
    let mut ev = Vec::new();
    let mut rerun = Vec::new();
    let mut model_visible = None;
    for (spec, prop) in candidates {
        if c.has_spec(spec) {
            // A spec that is present but errors is an error, not a reason to fall back.
            let (v, e) = c
                .prop(spec, prop)
                .map_err(|e| format!("S24: spec {spec}: {e}"))?;
            model_visible = Some(v == Verdict::Holds);
            ev.push(e);
            rerun.push(spec_cmd(spec));
            break;
        }
    }
    if model_visible.is_none() {
        let (v, e) = c.prop("cache-cow-cas", "completed_update_visible")?;
        model_visible = Some(v == Verdict::Holds);
        ev.push(format!(
            "{e} (the cache model assumes sync.Map atomic: the syncmap model's spec is missing)"
        ));
        rerun.push(spec_cmd("cache-cow-cas"));
    }
    let r = c.run("facts", false, "s24")?;
    let stale: usize = r
        .get("stale_loads")?
        .parse()
        .map_err(|e| format!("stale_loads: {e}"))?;
    agree("S24", model_visible.unwrap(), stale == 0)?;
    ev.push(format!(
        "Go program `facts s24`: {} Loads of a new key (in dirty, not yet promoted) after its Store completed: {stale} stale",
        r.get("loads_after_completed_store")?
    ));
    ev.push(source_line(
        "sync/map.go",
        Some("func (m *Map) Load("),
        "e, ok = m.dirty[key]",
    )?);
    rerun.push(format!("{FACTS} s24"));
    let verdict = ClaimVerdict::false_if(model_visible.unwrap());
    Ok((
        verdict,
        "A Load that misses read.m while read.amended takes the lock and looks in dirty: a completed Store is visible before any promotion (sync.Map is linearizable).".into(),
        ev,
        rerun,
    ))
}
