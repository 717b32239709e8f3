//! The hmap and its buckets: the type, the layout, what mapassign and mapdelete do to a cell, what
//! copying a map copies (S7-S13).

use crate::checker::Verdict;
use crate::claims::evidence::go_programs::FACTS;
use crate::claims::evidence::go_source::{go_func_body, source_line, GOROOT_SRC};
use crate::claims::evidence::specs::spec_claim;
use crate::claims::evidence::Ctx;
use crate::claims::{ClaimVerdict, Decided, Res};
use std::path::Path;

fn read_src(file: &str) -> Res<String> {
    let path = Path::new(GOROOT_SRC).join(file);
    std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The lines (1-based number, text) of the block opening with a line starting `open`, up to
/// its closing `}` at column 0.
fn block<'a>(src: &'a str, open: &str) -> Vec<(usize, &'a str)> {
    src.lines()
        .enumerate()
        .skip_while(|(_, l)| !l.starts_with(open))
        .take_while(|(_, l)| *l != "}")
        .map(|(i, l)| (i + 1, l))
        .collect()
}

/// S7 from runtime/map.go's text: the declared type of hmap.count and the atomic operations
/// on `h.count` anywhere in the file.
pub(crate) fn s7_from(map_go: &str) -> Res<(ClaimVerdict, String, Vec<String>)> {
    let decl = block(map_go, "type hmap struct")
        .into_iter()
        .find(|(_, l)| l.split_whitespace().next() == Some("count"))
        .ok_or("runtime/map.go: no `count` field in `type hmap struct`")?;
    let ty = decl.1.split_whitespace().nth(1).unwrap_or("").to_string();
    let uses: Vec<(usize, &str)> = map_go
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("h.count"))
        .map(|(i, l)| (i + 1, l.trim()))
        .collect();
    let atomic: Vec<&(usize, &str)> = uses.iter().filter(|(_, l)| l.contains("atomic.")).collect();
    let is_atomic = ty.starts_with("atomic.") || !atomic.is_empty();
    let mut ev = vec![format!("runtime/map.go:{}: `{}`", decl.0, decl.1.trim())];
    ev.extend(
        atomic
            .iter()
            .chain(
                uses.iter()
                    .filter(|(_, l)| l.contains("h.count++"))
                    .take(1)
                    .collect::<Vec<_>>()
                    .iter(),
            )
            .map(|(n, l)| format!("runtime/map.go:{n}: `{l}`")),
    );
    let why = if is_atomic {
        format!(
            "count is declared `{ty}` and runtime/map.go touches h.count with {} atomic operations: it is read atomically.",
            atomic.len()
        )
    } else {
        format!(
            "count is declared a plain `{ty}`, and none of runtime/map.go's {} uses of h.count is an atomic operation: it is read and written with ordinary loads and stores (len(m) reads it directly).",
            uses.len()
        )
    };
    Ok((ClaimVerdict::true_if(is_atomic), why, ev))
}

pub(crate) fn s7(_: &mut Ctx) -> Res<Decided> {
    let (verdict, why, ev) = s7_from(&read_src("runtime/map.go")?)?;
    Ok((
        verdict,
        why,
        ev,
        vec![format!(
            "grep -n 'count \\|h.count' {GOROOT_SRC}/runtime/map.go"
        )],
    ))
}

/// S8 from the runtime's map sources (file name, text): how many hmap types there are and
/// whether mapaccess1 takes a *maptype describing K and V.
pub(crate) fn s8_from(files: &[(String, String)]) -> Res<(ClaimVerdict, String, Vec<String>)> {
    let mut decls = Vec::new();
    let mut generic_access = None;
    for (name, text) in files {
        for (i, l) in text.lines().enumerate() {
            if l.starts_with("type hmap") {
                decls.push(format!("runtime/{name}:{}: `{}`", i + 1, l.trim()));
            }
            if l.starts_with("func mapaccess1(") {
                generic_access = Some((
                    l.contains("t *maptype"),
                    format!("runtime/{name}:{}: `{}`", i + 1, l.trim()),
                ));
            }
        }
    }
    let (takes_type, sig) = generic_access.ok_or("runtime: no `func mapaccess1(`")?;
    let mut ev = decls.clone();
    ev.push(sig);
    match (decls.len(), takes_type) {
        (0, _) => Err("runtime: no `type hmap` declaration".into()),
        (1, true) => Ok((
            ClaimVerdict::False,
            format!("There is one hmap type in the runtime's {} map sources, and mapaccess1 takes a *maptype describing K and V (hasher, sizes): one implementation serves every map type. Only a few fast paths are specialised, by key kind, not per map type.", files.len()),
            ev,
        )),
        (n, _) if n > 1 => Ok((
            ClaimVerdict::True,
            format!("The runtime declares {n} hmap types, one per kind of map."),
            ev,
        )),
        _ => Err("runtime: one hmap type but mapaccess1 takes no *maptype: cannot tell".into()),
    }
}

pub(crate) fn s8(_: &mut Ctx) -> Res<Decided> {
    let mut files = Vec::new();
    for name in ["map.go", "map_fast32.go", "map_fast64.go", "map_faststr.go"] {
        files.push((name.to_string(), read_src(&format!("runtime/{name}"))?));
    }
    let (verdict, why, mut ev) = s8_from(&files)?;
    ev.push(source_line(
        "runtime/map_fast64.go",
        None,
        "func mapaccess1_fast64(",
    )?);
    Ok((
        verdict,
        why,
        ev,
        vec![format!(
            "grep -n 'type hmap struct\\|^func mapaccess1' {GOROOT_SRC}/runtime/map*.go"
        )],
    ))
}

/// S9 from runtime/map.go's text: the slots per bucket (bucketCntBits), and whether
/// mapaccess1 walks the bucket's overflow chain or probes neighbouring buckets.
pub(crate) fn s9_from(map_go: &str) -> Res<(ClaimVerdict, String, Vec<String>)> {
    let bits = map_go
        .lines()
        .enumerate()
        .find(|(_, l)| l.trim_start().starts_with("bucketCntBits ="))
        .ok_or("runtime/map.go: no bucketCntBits")?;
    let n: u32 = bits
        .1
        .split('=')
        .nth(1)
        .and_then(|v| v.trim().parse().ok())
        .ok_or("runtime/map.go: bucketCntBits is not a number")?;
    let body = block(map_go, "func mapaccess1(");
    if body.is_empty() {
        return Err("runtime/map.go: no `func mapaccess1(`".into());
    }
    let chain = body.iter().find(|(_, l)| l.contains("b.overflow(t)"));
    let probe = body.iter().find(|(_, l)| {
        let l = l.replace(' ', "");
        l.contains("bucket+1") || l.contains("bucket++") || l.contains("(bucket+i)")
    });
    let mut ev = vec![format!(
        "runtime/map.go:{}: `{}`",
        bits.0 + 1,
        bits.1.trim()
    )];
    match (chain, probe) {
        (Some((cl, c)), None) => {
            ev.push(format!(
                "runtime/map.go:{cl}: `{}` (in mapaccess1)",
                c.trim()
            ));
            Ok((
                ClaimVerdict::False,
                format!("Buckets hold {} slots each (bucketCntBits = {n}) and a lookup walks only its own bucket's chain of overflow buckets (`{}`), never a neighbouring bucket: chaining, not open addressing.", 1u32 << n, c.trim()),
                ev,
            ))
        }
        (_, Some((pl, p))) => {
            ev.push(format!(
                "runtime/map.go:{pl}: `{}` (in mapaccess1)",
                p.trim()
            ));
            Ok((
                ClaimVerdict::True,
                format!(
                    "A lookup probes the next bucket (`{}`): open addressing with linear probing.",
                    p.trim()
                ),
                ev,
            ))
        }
        (None, None) => Err(
            "runtime/map.go: mapaccess1 neither walks overflow buckets nor probes: cannot tell"
                .into(),
        ),
    }
}

pub(crate) fn s9(_: &mut Ctx) -> Res<Decided> {
    let (verdict, why, mut ev) = s9_from(&read_src("runtime/map.go")?)?;
    ev.push(source_line(
        "runtime/map.go",
        Some("type bmap struct"),
        "Followed by an overflow pointer",
    )?);
    Ok((
        verdict,
        why,
        ev,
        vec![format!(
            "sed -n '/^func mapaccess1(/,/^}}/p' {GOROOT_SRC}/runtime/map.go"
        )],
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

#[cfg(test)]
mod tests {
    use super::*;

    const MAP_GO: &str = "const (\n\tbucketCntBits = 3\n)\ntype hmap struct {\n\tcount     int // live cells\n\tflags     uint8\n}\nfunc mapaccess1(t *maptype, h *hmap, key unsafe.Pointer) unsafe.Pointer {\n\tfor ; b != nil; b = b.overflow(t) {\n\t}\n\tif h.count == 0 {\n\t}\n}\nfunc mapassign() {\n\th.count++\n}\n";

    #[test]
    fn flipped_source_flips_s7_s8_s9_with_their_explanations() {
        let (v, why, _) = s7_from(MAP_GO).unwrap();
        assert_eq!(v, ClaimVerdict::False);
        assert!(why.contains("plain `int`"));
        let atomic = MAP_GO.replace("count     int", "count     atomic.Int64");
        let (v, why, _) = s7_from(&atomic).unwrap();
        assert_eq!(v, ClaimVerdict::True);
        assert!(why.contains("`atomic.Int64`"));

        let (v, why, _) = s9_from(MAP_GO).unwrap();
        assert_eq!(v, ClaimVerdict::False);
        assert!(why.contains("8 slots") && why.contains("b.overflow(t)"));
        let probing = MAP_GO
            .replace("b = b.overflow(t)", "bucket = (bucket + 1) & m")
            .replace("bucketCntBits = 3", "bucketCntBits = 0");
        let (v, why, _) = s9_from(&probing).unwrap();
        assert_eq!(v, ClaimVerdict::True);
        assert!(why.contains("(bucket + 1)"));

        let one = vec![("map.go".to_string(), MAP_GO.to_string())];
        let (v, why, _) = s8_from(&one).unwrap();
        assert_eq!(v, ClaimVerdict::False);
        assert!(why.contains("one hmap type"));
        let two = vec![
            ("map.go".to_string(), MAP_GO.to_string()),
            (
                "map_fast64.go".to_string(),
                "type hmap_u64 struct {\n}\n".to_string(),
            ),
        ];
        let (v, why, _) = s8_from(&two).unwrap();
        assert_eq!(v, ClaimVerdict::True);
        assert!(why.contains("2 hmap types"));
    }
}
