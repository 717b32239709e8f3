//! The hmap and its buckets: the type, the layout, what mapassign and mapdelete do to a cell, what
//! copying a map copies (S7-S13).

use crate::checker::Verdict;
use crate::claims::evidence::go_programs::FACTS;
use crate::claims::evidence::go_source::{go_func_body, source_line, GOROOT_SRC};
use crate::claims::evidence::specs::spec_claim;
use crate::claims::evidence::Ctx;
use crate::claims::{ClaimVerdict, Decided, Res};
use std::path::Path;

pub(crate) fn s7(_: &mut Ctx) -> Res<Decided> {
    let decl = source_line("runtime/map.go", Some("type hmap struct"), "count ")?;
    let plain = decl.contains("count     int ");
    let verdict = ClaimVerdict::false_if(plain);
    Ok((
        verdict,
        "count is a plain int, read and written with ordinary loads and stores (len(m) reads it directly); nothing about it is atomic.".into(),
        vec![decl, source_line("runtime/map.go", Some("func mapassign("), "h.count++")?],
        vec![format!("grep -n 'count ' {GOROOT_SRC}/runtime/map.go")],
    ))
}

pub(crate) fn s8(_: &mut Ctx) -> Res<Decided> {
    let text = std::fs::read_to_string(Path::new(GOROOT_SRC).join("runtime/map.go"))
        .map_err(|e| e.to_string())?;
    let n = text.matches("\ntype hmap struct").count();
    let sig = source_line(
        "runtime/map.go",
        None,
        "func mapaccess1(t *maptype, h *hmap",
    )?;
    let verdict = ClaimVerdict::false_if(n == 1);
    Ok((
        verdict,
        "There is one hmap type; the runtime's map functions take a *maptype describing K and V (hasher, sizes). Only a few fast paths are specialised, by key kind, not per map type.".into(),
        vec![
            source_line("runtime/map.go", None, "type hmap struct")?,
            sig,
            source_line("runtime/map_fast64.go", None, "func mapaccess1_fast64(")?,
        ],
        vec![format!("grep -n 'type hmap struct\\|^func mapaccess1' {GOROOT_SRC}/runtime/map*.go")],
    ))
}

pub(crate) fn s9(_: &mut Ctx) -> Res<Decided> {
    let l = source_line(
        "runtime/map.go",
        None,
        "If more than 8 keys hash to a bucket, we chain on",
    )?;
    Ok((
        ClaimVerdict::False,
        "Buckets hold 8 slots each and overflow into chained overflow buckets; a key never leaves its bucket's chain.".into(),
        vec![l, source_line("runtime/map.go", Some("type bmap struct"), "Followed by an overflow pointer")?],
        vec![format!("sed -n 9,20p {GOROOT_SRC}/runtime/map.go")],
    ))
}

pub(crate) fn s10(_: &mut Ctx) -> Res<Decided> {
    let body = go_func_body("runtime/map.go", "func mapassign(")?;
    let allocs: Vec<String> = body
        .iter()
        .filter(|(_, l)| l.contains("h.newoverflow(t, b)") || l.trim() == "hashGrow(t, h)")
        .map(|(n, l)| format!("runtime/map.go:{n}: `{}` (in mapassign)", l.trim()))
        .collect();
    let verdict = ClaimVerdict::true_if(allocs.is_empty());
    let mut ev = allocs;
    ev.push(source_line(
        "runtime/map.go",
        Some("func evacuate("),
        "dst.b = h.newoverflow(t, dst.b)",
    )?);
    Ok((
        verdict,
        "mapassign allocates an overflow bucket when the chain is full and starts growth (a new bucket array); mapdelete's growWork evacuates, which can allocate overflow buckets too.".into(),
        ev,
        vec![format!("grep -n 'newoverflow\\|hashGrow(t, h)' {GOROOT_SRC}/runtime/map.go")],
    ))
}

pub(crate) fn s11(c: &mut Ctx) -> Res<Decided> {
    spec_claim(
        c,
        "claim-s11-mapdelete",
        &["s11_delete_clears_key", "s11_delete_only_sets_empty_one"],
        ClaimVerdict::True,
        "mapdelete clears the key only if it holds pointers (a uint64 key stays in the cell), and it turns a run of emptyOne cells into emptyRest when the deleted cell ends the chain's live part.",
    )
}

pub(crate) fn s12(c: &mut Ctx) -> Res<Decided> {
    let (_, _, mut ev_g, mut rerun) = spec_claim(
        c,
        "claim-s12-mapassign",
        &["s12_assign_updates_in_place", "s12_assign_reuses_empty_one"],
        ClaimVerdict::True,
        "",
    )?;
    let (without, _, ev_n, rerun_n) = spec_claim(
        c,
        "claim-s12-without-growth",
        &["s12_assign_updates_in_place", "s12_assign_reuses_empty_one"],
        ClaimVerdict::True,
        "",
    )?;
    let with_growth_true = c
        .prop("claim-s12-mapassign", "s12_assign_updates_in_place")?
        .0
        == Verdict::Holds
        && c.prop("claim-s12-mapassign", "s12_assign_reuses_empty_one")?
            .0
            == Verdict::Holds;
    let verdict = match (without, with_growth_true) {
        (ClaimVerdict::True, true) => ClaimVerdict::True,
        (ClaimVerdict::True, false) => ClaimVerdict::Conditional,
        _ => ClaimVerdict::False,
    };
    ev_g.extend(ev_n);
    rerun.extend(rerun_n);
    Ok((
        verdict,
        "True only when no grow starts or is in progress: mapassign's growWork first evacuates the key's old bucket (the entry moves to the new array), and a new key that overloads the map starts a grow instead of filling an emptyOne cell.".into(),
        ev_g,
        rerun,
    ))
}

pub(crate) fn s13(c: &mut Ctx) -> Res<Decided> {
    let r = c.run("facts", false, "s13")?;
    let (same, upd, ins) = (
        r.get("same_hmap")?,
        r.get("m1_sees_update")?,
        r.get("m1_sees_insert")?,
    );
    let copied = same == "false" && upd == "false" && ins == "false";
    let verdict = ClaimVerdict::true_if(copied);
    Ok((
        verdict,
        "A map value is a pointer to its hmap: m2 := m1 copies the pointer, not the entries; both names are the same map.".into(),
        vec![format!("Go program `facts s13`: same_hmap={same}, m1 sees m2's update={upd}, m1 sees m2's insert={ins}")],
        vec![format!("{FACTS} s13")],
    ))
}
