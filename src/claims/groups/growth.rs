//! Growth and the GC: reads and writes during growth, oldbuckets, what moves and what is freed
//! (S14-S19, S21).

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

pub(crate) fn s18(_: &mut Ctx) -> Res<Decided> {
    let l = source_line("runtime/mgc.go", None, "non-compacting")?;
    Ok((
        ClaimVerdict::False,
        "Go's GC does not move objects: bucket arrays stay where they were allocated while anything points to them.".into(),
        vec![l],
        vec![format!("sed -n 5,12p {GOROOT_SRC}/runtime/mgc.go")],
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

pub(crate) fn s21(_: &mut Ctx) -> Res<Decided> {
    Ok((
        ClaimVerdict::False,
        "The iterator keeps a pointer to the bucket array it started on, and the GC (precise, non-moving) keeps that array alive while the iterator can reach it, across growth too.".into(),
        vec![
            source_line("runtime/map.go", Some("type hiter struct"), "buckets     unsafe.Pointer")?,
            source_line("runtime/mgc.go", None, "non-compacting")?,
        ],
        vec![format!("grep -n 'bucket ptr at hash_iter' {GOROOT_SRC}/runtime/map.go")],
    ))
}
