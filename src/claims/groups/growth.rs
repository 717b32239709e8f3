//! Growth and the GC: reads and writes during growth, oldbuckets, what moves and what is freed
//! (S14-S19, S21).

use crate::claims::evidence::go_programs::FACTS;
use crate::claims::evidence::go_source::{go_func_body, source_line, GOROOT_SRC};
use crate::claims::evidence::specs::spec_claim;
use crate::claims::evidence::Ctx;
use crate::claims::{ClaimVerdict, Decided, Res};

pub(crate) fn s14(c: &mut Ctx) -> Res<Decided> {
    let mut r = spec_claim(
        c,
        "claim-s14-read-during-growth",
        &["s14_read_checks_new_then_old"],
        ClaimVerdict::True,
        "mapaccess reads the old bucket if it is not evacuated and otherwise only the new one; it never looks in the new bucket first.",
    )?;
    r.2.push(source_line(
        "runtime/map_fast64.go",
        Some("func mapaccess2_fast64("),
        "if !evacuated(oldb)",
    )?);
    Ok(r)
}

pub(crate) fn s15(c: &mut Ctx) -> Res<Decided> {
    spec_claim(
        c,
        "claim-s15-writes-during-growth",
        &["s15_writes_go_to_new_buckets"],
        ClaimVerdict::True,
        "mapassign calls growWork first, which evacuates the key's old bucket, then stores in h.buckets.",
    )
}

pub(crate) fn s16(c: &mut Ctx) -> Res<Decided> {
    spec_claim(
        c,
        "claim-s16-read-during-growth",
        &["access_agrees_with_abstract_map"],
        ClaimVerdict::False,
        "In a correctly synchronised program every read during growth returns what a plain map would: evacuate moves a whole old bucket within one write, so no read sees it half-moved.",
    )
}

pub(crate) fn s17(c: &mut Ctx) -> Res<Decided> {
    spec_claim(
        c,
        "claim-s17-oldbuckets",
        &["s17_oldbuckets_freed_only_when_evacuated"],
        ClaimVerdict::True,
        "advanceEvacuationMark sets oldbuckets = nil only when nevacuate reaches the number of old buckets.",
    )
}

/// S18's verdict and why, from the `facts s18` counts: GC cycles run and how many moved the
/// map's bucket array.
pub(crate) fn s18_from(cycles: usize, moved: usize) -> Res<(ClaimVerdict, String)> {
    if cycles == 0 {
        return Err("S18: `facts s18` ran no GC cycle".into());
    }
    Ok(if moved == 0 {
        (
            ClaimVerdict::False,
            format!("h.buckets kept its address across {cycles} GC cycles with garbage churned in between: Go's GC does not move bucket arrays, so no iterator can hold a stale address to one."),
        )
    } else {
        (
            ClaimVerdict::True,
            format!("h.buckets changed address in {moved} of {cycles} GC cycles with no map write in between: the GC moved the bucket array."),
        )
    })
}

pub(crate) fn s18(c: &mut Ctx) -> Res<Decided> {
    let r = c.run("facts", false, "s18")?;
    let cycles: usize = r
        .get("gc_cycles")?
        .parse()
        .map_err(|e| format!("gc_cycles: {e}"))?;
    let moved: usize = r
        .get("buckets_moved")?
        .parse()
        .map_err(|e| format!("buckets_moved: {e}"))?;
    let (verdict, why) = s18_from(cycles, moved)?;
    Ok((
        verdict,
        why,
        vec![
            format!("Go program `facts s18`: h.buckets (read through the map header) compared before and after each of {cycles} runtime.GC() calls: moved {moved} times"),
            source_line("runtime/mgc.go", None, "non-compacting")?,
        ],
        vec![format!("{FACTS} s18")],
    ))
}

pub(crate) fn s19(_: &mut Ctx) -> Res<Decided> {
    let body = go_func_body("runtime/map.go", "func hashGrow(")?;
    let small = body.iter().any(|(_, l)| l.contains("makemap_small"));
    let mba = body
        .iter()
        .find(|(_, l)| l.contains("makeBucketArray("))
        .map(|(n, l)| format!("runtime/map.go:{n}: `{}` (in hashGrow)", l.trim()))
        .ok_or("hashGrow does not call makeBucketArray")?;
    let verdict = ClaimVerdict::true_if(small);
    Ok((
        verdict,
        "hashGrow allocates the new bucket array with makeBucketArray (newarray -> mallocgc); makemap_small is only for make(map) with a small hint.".into(),
        vec![mba, source_line("runtime/map.go", Some("func makeBucketArray("), "buckets = newarray(t.bucket, int(nbuckets))")?],
        vec![format!("sed -n '/^func hashGrow(/,/^}}/p' {GOROOT_SRC}/runtime/map.go")],
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
    let r = c.run("facts", false, "s21")?;
    let grew = r.get("grew_and_finished")? == "true";
    let yields: usize = r
        .get("yields")?
        .parse()
        .map_err(|e| format!("yields: {e}"))?;
    let corrupt: usize = r
        .get("corrupt_yields")?
        .parse()
        .map_err(|e| format!("corrupt_yields: {e}"))?;
    let (verdict, why) = s21_from(grew, yields, corrupt)?;
    Ok((
        verdict,
        why,
        vec![
            format!("Go program `facts s21`: grew and finished during the iteration: {grew}; yields with v != 3k: {corrupt}"),
            source_line("runtime/map.go", Some("type hiter struct"), "buckets     unsafe.Pointer")?,
        ],
        vec![format!("{FACTS} s21")],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flipped_gc_evidence_flips_s18_and_s21_with_their_explanations() {
        let (v, why) = s18_from(20, 0).unwrap();
        assert_eq!(v, ClaimVerdict::False);
        assert!(why.contains("kept its address across 20"));
        let (v, why) = s18_from(20, 3).unwrap();
        assert_eq!(v, ClaimVerdict::True);
        assert!(why.contains("3 of 20"));
        assert!(s18_from(0, 0).is_err());

        let (v, why) = s21_from(true, 103, 0).unwrap();
        assert_eq!(v, ClaimVerdict::False);
        assert!(why.contains("none corrupt"));
        let (v, why) = s21_from(true, 103, 7).unwrap();
        assert_eq!(v, ClaimVerdict::True);
        assert!(why.contains("7 corrupt entries"));
        assert!(s21_from(false, 103, 0).is_err());
    }
}
