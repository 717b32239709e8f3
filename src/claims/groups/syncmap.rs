//! sync.Map: what LoadOrStore returns, promotion of dirty, its locking, and whether a completed
//! Store is visible (S1, S20, S23, S24). Go 1.19 .. 1.23's sync.Map has read and dirty maps
//! behind one Mutex (the syncmap model follows it); Go 1.24+'s wraps a HashTrieMap, which no
//! model covers: real programs, histories and the source decide there.

use crate::checker::Verdict;
use crate::claims::evidence::go_source::{block, struct_fields};
use crate::claims::evidence::specs::spec_cmd;
use crate::claims::evidence::{Ctx, SyncKind};
use crate::claims::{ClaimVerdict, Decided, Res};

pub(crate) fn s1(c: &mut Ctx) -> Res<Decided> {
    let r = c.facts("s1")?;
    let (old, loaded, after) = (
        r.get("returned_old")?.to_string(),
        r.get("loaded")?.to_string(),
        r.get("stored_after")?.to_string(),
    );
    let holds = old == "true" && loaded == "true" && after == "old";
    let v = ClaimVerdict::true_if(holds);
    let file = c.go.sync_file().to_string();
    Ok((
        v,
        format!("{}: LoadOrStore on a present key returned the old value: {old}, loaded = {loaded}, the map still holds the {after} value.", c.go.label()),
        vec![
            format!("Go program `facts s1`: returned_old={old} loaded={loaded} stored_after={after}"),
            c.source_line(&file, None, "LoadOrStore returns the existing value")?,
        ],
        vec![c.facts_cmd("s1")],
    ))
}

pub(crate) fn s20(c: &mut Ctx) -> Res<Decided> {
    let r = c.facts("s20")?;
    let freed = r.get("old_read_map_freed")?.to_string();
    let works = r.get("still_works")?.to_string();
    let facts = format!("Go program `facts s20`: 200000 entries promoted to read, deleted, then two promotions of small dirty maps: old read map freed (heap below a quarter of its size with the map) = {freed}; the map still works = {works}");
    match c.go.sync.clone() {
        SyncKind::HashTrie { file, trie } => Ok((
            ClaimVerdict::NotApplicable,
            format!("not applicable: {}'s sync.Map has no read and dirty maps to promote: it wraps a hash-trie (internal/sync.HashTrieMap) whose deleted entries are unlinked from the trie (and the heap shrank after the deletes: {freed}).", c.go.label()),
            vec![
                c.source_line(&file, Some("type Map struct"), "HashTrieMap")?,
                c.source_line(&trie, None, "type HashTrieMap")?,
                facts
                    .replace("promoted to read, deleted, then two promotions of small dirty maps", "stored, deleted, then a few stores and loads")
                    .replace("old read map freed (heap below a quarter of its size with the map)", "heap freed (below a quarter of its size with the entries)"),
            ],
            vec![c.facts_cmd("s20")],
        )),
        SyncKind::ReadDirty { file } => {
            let verdict = ClaimVerdict::false_if(freed == "true");
            let weak = if c.go.src.exists("weak/pointer.go") {
                format!("{} has weak pointers (package weak), but sync.Map does not use them", c.go.label())
            } else {
                format!("{} has no weak references", c.go.label())
            };
            Ok((
                verdict,
                format!("Promotion replaces read with dirty by an ordinary pointer store; {weak}, and the old read map is garbage like any other unreachable object."),
                vec![
                    facts,
                    c.source_line(&file, Some("func (m *Map) missLocked()"), "m.read.Store(")?,
                ],
                vec![c.facts_cmd("s20")],
            ))
        }
    }
}

pub(crate) fn s23(c: &mut Ctx) -> Res<Decided> {
    match c.go.sync.clone() {
        SyncKind::ReadDirty { file } => {
            let text = c.read_src(&file)?;
            let body: Vec<&str> = block(&text, "type Map struct")
                .into_iter()
                .map(|(_, l)| l)
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
                    c.source_line(&file, None, "type Map struct")?,
                    c.source_line(&file, Some("type Map struct"), "mu Mutex")?,
                ],
                vec![format!(
                    "sed -n '/^type Map struct/,/^}}/p' {}",
                    c.go.rerun_src(&file)
                )],
            ))
        }
        SyncKind::HashTrie { file, trie } => {
            // Where the trie keeps its locks, and whether it is set up on first use.
            let text = c.read_src(&trie)?;
            let node_lock = struct_fields(&text, "type indirect[")
                .iter()
                .any(|f| f == "mu");
            let lazy = text.contains("func (ht *HashTrieMap[K, V]) initSlow()");
            let map_mutexes = struct_fields(&c.read_src(&file)?, "type Map struct")
                .iter()
                .filter(|f| *f == "mu")
                .count();
            let mut ev = vec![
                c.source_line(&file, Some("type Map struct"), "HashTrieMap")?,
                c.source_line(&trie, Some("type HashTrieMap"), "initMu")?,
            ];
            if node_lock {
                ev.push(c.source_line(&trie, Some("type indirect["), "mu ")?);
            }
            if lazy {
                ev.push(c.source_line(
                    &trie,
                    Some("func (ht *HashTrieMap[K, V]) init()"),
                    "ht.initSlow()",
                )?);
            }
            let verdict = match (node_lock && map_mutexes == 0, lazy) {
                (true, true) => ClaimVerdict::True,
                (true, false) | (false, true) => ClaimVerdict::Conditional,
                (false, false) => ClaimVerdict::False,
            };
            let why = format!(
                "{}'s sync.Map is a hash-trie (internal/sync.HashTrieMap){}{}",
                c.go.label(),
                if node_lock {
                    " with a Mutex in every inner node: a write locks only the node whose children it changes, so the locking is spread over the trie by hash (sharded in effect), and loads take no lock"
                } else {
                    " without a lock per node"
                },
                if lazy {
                    "; the trie is set up on first use (init -> initSlow under initMu)."
                } else {
                    "; it is not set up lazily."
                }
            );
            Ok((
                verdict,
                why,
                ev,
                vec![format!(
                    "grep -n 'type indirect\\|mu \\|initSlow' {}",
                    c.go.rerun_src(&trie)
                )],
            ))
        }
    }
}

pub(crate) fn s24(c: &mut Ctx) -> Res<Decided> {
    let mut ev = Vec::new();
    let mut rerun = Vec::new();
    // The syncmap model follows the read/dirty sync.Map step by step, if its spec is present;
    // otherwise the cache model, which takes sync.Map to be atomic, can only restate that
    // assumption. Neither covers the HashTrieMap of Go 1.24+.
    let mut model_visible = None;
    if let SyncKind::ReadDirty { .. } = c.go.sync {
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
    }
    let r = c.facts("s24")?;
    let stale: usize = r.num("stale_loads")?;
    let h = c.histories("random")?;
    let go_visible = stale == 0 && h.linearizable();
    if let Some(m) = model_visible {
        c.agree("S24", m, go_visible)?;
    }
    ev.push(format!(
        "Go program `facts s24`: {} Loads of a new key {}after its Store completed: {stale} stale",
        r.get("loads_after_completed_store")?,
        if model_visible.is_some() {
            "(in dirty, not yet promoted) "
        } else {
            ""
        }
    ));
    ev.push(super::behaviours::histories_line(c, &h));
    let file = c.go.sync_file().to_string();
    match c.go.sync.clone() {
        SyncKind::ReadDirty { .. } => {
            ev.push(c.source_line(&file, Some("func (m *Map) Load("), "e, ok = m.dirty[key]")?)
        }
        SyncKind::HashTrie { trie, .. } => ev.push(c.source_line(
            &trie,
            Some("func (ht *HashTrieMap[K, V]) Load("),
            "ht.root.Load()",
        )?),
    }
    rerun.push(c.facts_cmd("s24"));
    rerun.push(c.histories_cmd("random"));
    let verdict = ClaimVerdict::false_if(go_visible);
    let why = match (&c.go.sync, go_visible) {
        (SyncKind::ReadDirty { .. }, true) => "A Load that misses read.m while read.amended takes the lock and looks in dirty: a completed Store is visible before any promotion (sync.Map is linearizable).".to_string(),
        (SyncKind::HashTrie { .. }, true) => format!("{}'s sync.Map has no promotion: a Store writes into the hash-trie that every later Load walks, and no Load after a completed Store missed it (real goroutines; no model covers the HashTrieMap).", c.go.label()),
        (_, false) => format!("A Load after a completed Store did not see it on {} (stale loads: {stale}; non-linearizable histories: {}).", c.go.label(), h.not_linearizable),
    };
    Ok((verdict, why, ev, rerun))
}
