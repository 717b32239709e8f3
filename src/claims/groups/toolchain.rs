//! The compiler, the linker and the allocator: what does not build, what does not link, size
//! classes (S22, S27, S28).

use crate::claims::evidence::Ctx;
use crate::claims::{ClaimVerdict, Decided, Res};

/// S22's verdict and why from `go build`'s first error (None: it built), for `go` ("Go 1.19").
pub(crate) fn s22_from(go: &str, err: Option<&str>) -> Res<(ClaimVerdict, String)> {
    match err {
        None => Ok((
            ClaimVerdict::False,
            format!("{go} builds the assignment to a field of a map element."),
        )),
        Some(e) if e.contains("cannot assign to struct field") => Ok((
            ClaimVerdict::True,
            format!(
                "Map elements are not addressable; {go} rejects the assignment at compile time: `{}`.",
                e.trim_start_matches("./").trim()
            ),
        )),
        Some(e) => Err(format!(
            "S22: the build failed for another reason than the assignment: `{}`",
            e.trim()
        )),
    }
}

pub(crate) fn s22(c: &mut Ctx) -> Res<Decided> {
    let err = c.compile_error("nocompile/s22_map_field.go")?;
    let (verdict, why) = s22_from(&c.go.label(), err.as_deref())?;
    Ok((
        verdict,
        why,
        vec![format!(
            "`go build nocompile/s22_map_field.go`: {}",
            match &err {
                Some(e) => format!("fails: `{}`", e.trim_start_matches("./").trim()),
                None => "builds".into(),
            }
        )],
        vec![c.nocompile_cmd("nocompile/s22_map_field.go")],
    ))
}

/// S27's verdict and why from `go build`'s first error (None: it built and linked), for `go`
/// ("Go 1.19"). Only the linker's "duplicated definition" of runtime.mapaccess1 refutes the
/// claim; any other failure decides nothing.
pub(crate) fn s27_from(go: &str, err: Option<&str>) -> Res<(ClaimVerdict, String)> {
    match err {
        None => Ok((
            ClaimVerdict::True,
            "A body under the name runtime.mapaccess1 builds and links: it replaces the runtime's.".into(),
        )),
        Some(e) if e.contains("duplicated definition") && e.contains("runtime.mapaccess1") => Ok((
            ClaimVerdict::False,
            format!(
                "A body under the name runtime.mapaccess1 is a second definition of that symbol: the {go} linker rejects the program (`{}`). (The compiler also calls mapaccess1_fast32/fast64/faststr and mapaccess2 for most maps.)",
                e.trim()
            ),
        )),
        Some(e) => Err(format!(
            "S27: the build failed, but not with the linker's duplicated definition of runtime.mapaccess1: `{}`",
            e.trim()
        )),
    }
}

pub(crate) fn s27(c: &mut Ctx) -> Res<Decided> {
    let err = c.compile_error("nocompile/s27_linkname.go")?;
    let (verdict, why) = s27_from(&c.go.label(), err.as_deref())?;
    Ok((
        verdict,
        why,
        vec![format!(
            "`go build nocompile/s27_linkname.go`: {}",
            match &err {
                Some(e) => format!("fails: `{e}`"),
                None => "builds".into(),
            }
        )],
        vec![c.nocompile_cmd("nocompile/s27_linkname.go")],
    ))
}

pub(crate) fn s28(c: &mut Ctx) -> Res<Decided> {
    let r = c.facts("s28")?;
    if r.get("table_read")? != "true" {
        return Err(format!(
            "S28: `facts s28` did not read {}'s size class table (class_to_size[1] is not 8): its go:linkname names the wrong symbol",
            c.go.label()
        ));
    }
    let c21 = r.get("class_21_size")?.to_string();
    let sc21 = r.get("spanclass_21_size")?.to_string();
    let sc21c = r.get("spanclass_21_sizeclass")?.to_string();
    let c64 = r.get("class_of_64_bytes")?.to_string();
    let sc64 = r.get("spanclasses_of_64_bytes")?.to_string();
    let verdict = ClaimVerdict::true_if(c21 == "64" || sc21 == "64");
    // The size class table's source: runtime's until Go 1.24, internal/runtime/gc's after.
    let table = c
        .find_src("runtime", "//    21 ")
        .or_else(|_| c.find_src("internal/runtime/gc", "//    21 "))?;
    let var = if table.starts_with("runtime/") {
        "runtime.class_to_size"
    } else {
        "internal/runtime/gc.SizeClassToSize"
    };
    Ok((
        verdict,
        format!("Size class 21 holds {c21}-byte objects; spanClass 21 (sizeclass<<1 | noscan) is size class {sc21c}, {sc21}-byte noscan objects. 64-byte objects are size class {c64}, spanClass {sc64}."),
        vec![
            format!("Go program `facts s28` ({var} via go:linkname): class_to_size[21] = {c21}, spanClass 21 -> class {sc21c} = {sc21} bytes; size_to_class8[64/8] = {c64}"),
            c.source_line(&table, None, "//    21 ")?,
            c.source_line(&table, None, "//     6 ")?,
        ],
        vec![c.facts_cmd("s28")],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flipped_build_evidence_flips_s22_and_s27_with_their_explanations() {
        let dup = "duplicated definition of symbol runtime.mapaccess1, from main and runtime";
        let (v, why) = s27_from("Go 1.19", Some(dup)).unwrap();
        assert_eq!(v, ClaimVerdict::False);
        assert!(why.contains(dup));
        let (v, why) = s27_from("Go 1.19", None).unwrap();
        assert_eq!(v, ClaimVerdict::True);
        assert!(why.contains("builds and links"));
        // A build failure of another kind decides nothing.
        assert!(s27_from("Go 1.19", Some("undefined: unsafe")).is_err());

        let e = "./s22_map_field.go:9:2: cannot assign to struct field m[\"k\"].Field in map";
        let (v, why) = s22_from("Go 1.19", Some(e)).unwrap();
        assert_eq!(v, ClaimVerdict::True);
        assert!(why.contains("cannot assign to struct field"));
        let (v, _) = s22_from("Go 1.19", None).unwrap();
        assert_eq!(v, ClaimVerdict::False);
        assert!(s22_from("Go 1.19", Some("syntax error")).is_err());
    }
}
