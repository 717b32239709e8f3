//! Growth and the GC: reads and writes during growth, oldbuckets, what moves and what is freed
//! (S14-S19, S21). The classic map grows incrementally (the hmap model decides); Swiss tables
//! grow inside the write that needs room (the swiss model's growth spec decides where it
//! answers the question, the source where the claim's premise does not exist).

use crate::checker::Verdict;
use crate::claims::evidence::go_source::struct_fields;
use crate::claims::evidence::specs::{spec_claim, spec_cmd};
use crate::claims::evidence::{Ctx, MapKind};
use crate::claims::{ClaimVerdict, Decided, Res};

/// The swiss model's growth spec.
const SWISS_GROWTH: &str = "swiss-lookup-during-growth";

/// The swiss growth spec's evidence that a grow is never half done: growth is explored
/// (`reaches_grow`), every rehash copies exactly the live entries at once
/// (`rehash_preserves_entries`) and every lookup agrees with a plain map. Returns whether
/// all three hold, and the evidence (empty when the model does not cover this version).
fn swiss_growth(c: &mut Ctx) -> Res<(bool, Vec<String>, Vec<String>)> {
    if let Some(gap) = c.swiss_gap(SWISS_GROWTH)? {
        return Ok((
            false,
            vec![format!("(specs/{SWISS_GROWTH}.toml not used: {gap})")],
            vec![],
        ));
    }
    let mut all = true;
    let mut ev = Vec::new();
    for p in [
        "reaches_grow",
        "rehash_preserves_entries",
        "access_agrees_with_abstract_map",
    ] {
        let (v, e) = c.prop(SWISS_GROWTH, p)?;
        all &= v == Verdict::Holds;
        ev.push(e);
    }
    Ok((all, ev, vec![spec_cmd(SWISS_GROWTH)]))
}

/// A claim on a Swiss-table map that the swiss growth spec decides: `verdict`, said by
/// `text`, when the spec settles it, else not decided. With `grow_lines`, Go's lines of
/// table.grow are evidence too.
fn swiss_growth_claim(
    c: &mut Ctx,
    grow_lines: bool,
    verdict: ClaimVerdict,
    text: &str,
) -> Res<Decided> {
    let (all, mut ev, rerun) = swiss_growth(c)?;
    if grow_lines {
        ev.extend(swiss_grow_lines(c)?);
    }
    if !all {
        return Ok((ClaimVerdict::NotDecided, "not decided: Swiss-table map: the swiss model's growth spec does not settle it for this version".into(), ev, rerun));
    }
    Ok((verdict, text.into(), ev, rerun))
}

/// The source lines showing that a Swiss grow copies every entry and then replaces the
/// table, inside table.grow.
fn swiss_grow_lines(c: &Ctx) -> Res<Vec<String>> {
    let MapKind::Swiss { table, .. } = &c.go.map else {
        return Ok(vec![]);
    };
    Ok(vec![
        c.source_line(table, Some("func (t *table) grow("), "uncheckedPutSlot(")?,
        c.source_line(table, Some("func (t *table) grow("), "m.replaceTable(")?,
    ])
}

pub(crate) fn s14(c: &mut Ctx) -> Res<Decided> {
    if c.go.swiss() {
        return swiss_growth_claim(
            c,
            true,
            ClaimVerdict::False,
            "Swiss tables have no incremental growth: a grow copies every live entry into the new table and replaces the old one inside the one assign that needed room, so a lookup only ever reads the current table; there is no old bucket to fall back to.",
        );
    }
    let mut r = spec_claim(
        c,
        "claim-s14-read-during-growth",
        &["s14_read_checks_new_then_old"],
        ClaimVerdict::True,
        "mapaccess reads the old bucket if it is not evacuated and otherwise only the new one; it never looks in the new bucket first.",
    )?;
    if let MapKind::Classic { fast64, .. } = &c.go.map {
        r.2.push(c.source_line(
            fast64,
            Some("func mapaccess2_fast64("),
            "if !evacuated(oldb)",
        )?);
    }
    Ok(r)
}

pub(crate) fn s15(c: &mut Ctx) -> Res<Decided> {
    if c.go.swiss() {
        return swiss_growth_claim(
            c,
            true,
            ClaimVerdict::NotApplicable,
            "not applicable: no incremental growth, so no writes happen during one: a Swiss table is rehashed whole (every live entry copied, the table replaced) inside the one assign that needed room.",
        );
    }
    spec_claim(
        c,
        "claim-s15-writes-during-growth",
        &["s15_writes_go_to_new_buckets"],
        ClaimVerdict::True,
        "mapassign calls growWork first, which evacuates the key's old bucket, then stores in h.buckets.",
    )
}

pub(crate) fn s16(c: &mut Ctx) -> Res<Decided> {
    if c.go.swiss() {
        return swiss_growth_claim(
            c,
            false,
            ClaimVerdict::False,
            "No read sees a half-done grow: across growToTable, grow and split every lookup returned what a plain map would, because each grow copies all live entries at once inside one write.",
        );
    }
    spec_claim(
        c,
        "claim-s16-read-during-growth",
        &["access_agrees_with_abstract_map"],
        ClaimVerdict::False,
        "In a correctly synchronised program every read during growth returns what a plain map would: evacuate moves a whole old bucket within one write, so no read sees it half-moved.",
    )
}

pub(crate) fn s17(c: &mut Ctx) -> Res<Decided> {
    if let MapKind::Swiss { map, .. } = c.go.map.clone() {
        let fields = struct_fields(&c.read_src(&map)?, "type Map struct");
        let decl = c.source_line(&map, None, "type Map struct")?;
        let ev = vec![format!("{decl}: fields {}", fields.join(", "))];
        if fields.iter().any(|f| f.contains("old")) {
            return Ok((ClaimVerdict::NotDecided, "not decided: Swiss-table map: its Map has a field for old storage that the swiss model does not cover".into(), ev, vec![]));
        }
        return Ok((
            ClaimVerdict::NotApplicable,
            format!("not applicable: no oldbuckets: a Swiss map ({}) keeps no second array while growing; only an iterator that started on a replaced table still points to it.", fields.join(", ")),
            ev,
            vec![format!("sed -n '/^type Map struct/,/^}}/p' {}", c.go.rerun_src(&map))],
        ));
    }
    spec_claim(
        c,
        "claim-s17-oldbuckets",
        &["s17_oldbuckets_freed_only_when_evacuated"],
        ClaimVerdict::True,
        "advanceEvacuationMark sets oldbuckets = nil only when nevacuate reaches the number of old buckets.",
    )
}

/// S18's verdict and why, from the `facts s18` counts: GC cycles run and how many moved the
/// map's storage (`what`: "h.buckets" for the classic map).
pub(crate) fn s18_from(cycles: usize, moved: usize, what: &str) -> Res<(ClaimVerdict, String)> {
    if cycles == 0 {
        return Err("S18: `facts s18` ran no GC cycle".into());
    }
    Ok(if moved == 0 {
        (
            ClaimVerdict::False,
            format!("{what} kept its address across {cycles} GC cycles with garbage churned in between: Go's GC does not move bucket arrays, so no iterator can hold a stale address to one."),
        )
    } else {
        (
            ClaimVerdict::True,
            format!("{what} changed address in {moved} of {cycles} GC cycles with no map write in between: the GC moved the bucket array."),
        )
    })
}

pub(crate) fn s18(c: &mut Ctx) -> Res<Decided> {
    let r = c.facts("s18")?;
    let cycles: usize = r.num("gc_cycles")?;
    let moved: usize = r.num("buckets_moved")?;
    let (what, read) = if c.go.swiss() {
        (
            "The Swiss map's directory (and each table's group array)",
            format!(
                "the directory and the {} group arrays of its tables",
                r.num::<usize>("arrays")?.saturating_sub(1)
            ),
        )
    } else {
        ("h.buckets", "h.buckets".to_string())
    };
    let (verdict, why) = s18_from(cycles, moved, what)?;
    Ok((
        verdict,
        why,
        vec![
            format!("Go program `facts s18`: {read} (read through the map header) compared before and after each of {cycles} runtime.GC() calls: moved {moved} times"),
            c.source_line("runtime/mgc.go", None, "non-compacting")?,
        ],
        vec![c.facts_cmd("s18")],
    ))
}

pub(crate) fn s19(c: &mut Ctx) -> Res<Decided> {
    let (body, file, grow_fn, alloc_pat, alloc_line) = match c.go.map.clone() {
        MapKind::Classic { map, .. } => (
            c.go_func_body(&map, "func hashGrow(")?,
            map.clone(),
            "hashGrow",
            "makeBucketArray(",
            c.source_line(&map, Some("func makeBucketArray("), "newarray(")?,
        ),
        MapKind::Swiss { table, .. } => {
            let groups = c.find_src("internal/runtime/maps", "func newGroups(")?;
            (
                c.go_func_body(&table, "func (t *table) grow(")?,
                table.clone(),
                "table.grow",
                "newTable(",
                c.source_line(&groups, Some("func newGroups("), "newarray(")?,
            )
        }
    };
    let small = body.iter().any(|(_, l)| l.contains("makemap_small"));
    let alloc = body
        .iter()
        .find(|(_, l)| l.contains(alloc_pat))
        .map(|(n, l)| format!("{file}:{n}: `{}` (in {grow_fn})", l.trim()))
        .ok_or_else(|| format!("{grow_fn} does not call {alloc_pat}"))?;
    let verdict = ClaimVerdict::true_if(small);
    let why = if c.go.swiss() {
        "A Swiss table grows in table.grow (from rehash), which allocates the new table with newTable (newGroups -> newarray -> mallocgc); makemap_small is only for make(map) with a small hint."
    } else {
        "hashGrow allocates the new bucket array with makeBucketArray (newarray -> mallocgc); makemap_small is only for make(map) with a small hint."
    };
    let header = if c.go.swiss() {
        "func (t \\*table) grow("
    } else {
        "func hashGrow("
    };
    Ok((
        verdict,
        why.into(),
        vec![alloc, alloc_line],
        vec![format!(
            "sed -n '/^{header}/,/^}}/p' {}",
            c.go.rerun_src(&file)
        )],
    ))
}

/// S21's verdict and why, from `facts s21`: whether the map grew (and finished growing, so
/// the map dropped the old array) during an iteration, the iterator's yields and how many of
/// them were corrupt after garbage of the old array's size was churned.
pub(crate) fn s21_from(grew: bool, yields: usize, corrupt: usize) -> Res<(ClaimVerdict, String)> {
    if !grew {
        return Err(
            "S21: `facts s21` did not grow the map during the iteration: nothing decided".into(),
        );
    }
    Ok(if corrupt == 0 {
        (
            ClaimVerdict::False,
            format!("An iterator started before a completed grow yielded {}, none corrupt, after the map dropped its old array and garbage of that array's size was allocated and collected: the iterator's pointer keeps the array alive (the GC is precise and non-moving).", if yields > 0 { "every entry" } else { "nothing" }),
        )
    } else {
        (
            ClaimVerdict::True,
            format!("An iterator started before a completed grow yielded {corrupt} corrupt entries after garbage of the old array's size was allocated and collected: it read freed memory."),
        )
    })
}

pub(crate) fn s21(c: &mut Ctx) -> Res<Decided> {
    let r = c.facts("s21")?;
    let grew = r.get("grew_and_finished")? == "true";
    let yields: usize = r.num("yields")?;
    let corrupt: usize = r.num("corrupt_yields")?;
    let (verdict, why) = s21_from(grew, yields, corrupt)?;
    let held = match c.go.map.clone() {
        MapKind::Classic { map, .. } => c.source_line(
            &map,
            Some("type hiter struct"),
            "buckets     unsafe.Pointer",
        )?,
        MapKind::Swiss { table, .. } => {
            c.source_line(&table, Some("type Iter struct"), "tab *table")?
        }
    };
    Ok((
        verdict,
        why,
        vec![
            format!("Go program `facts s21`: grew and finished during the iteration: {grew}; yields with v != 3k: {corrupt}"),
            held,
        ],
        vec![c.facts_cmd("s21")],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flipped_gc_evidence_flips_s18_and_s21_with_their_explanations() {
        let (v, why) = s18_from(20, 0, "h.buckets").unwrap();
        assert_eq!(v, ClaimVerdict::False);
        assert!(why.contains("kept its address across 20"));
        let (v, why) = s18_from(20, 3, "h.buckets").unwrap();
        assert_eq!(v, ClaimVerdict::True);
        assert!(why.contains("3 of 20"));
        assert!(s18_from(0, 0, "h.buckets").is_err());

        let (v, why) = s21_from(true, 103, 0).unwrap();
        assert_eq!(v, ClaimVerdict::False);
        assert!(why.contains("none corrupt"));
        let (v, why) = s21_from(true, 103, 7).unwrap();
        assert_eq!(v, ClaimVerdict::True);
        assert!(why.contains("7 corrupt entries"));
        assert!(s21_from(false, 103, 0).is_err());
    }
}
