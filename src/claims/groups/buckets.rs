//! The hmap and its buckets: the type, the layout, what mapassign and mapdelete do to a cell, what
//! copying a map copies (S7-S13). Each is decided for the map the toolchain builds: the
//! classic hmap (runtime/map.go and friends) or Swiss tables (internal/runtime/maps).

use crate::checker::Verdict;
use crate::claims::evidence::go_source::block;
use crate::claims::evidence::specs::spec_claim;
use crate::claims::evidence::{Ctx, MapKind};
use crate::claims::{ClaimVerdict, Decided, Res};

/// How S7 names a map's count: the struct holding it, the field, how the code uses it and
/// how the summary calls it.
pub(crate) struct CountField<'a> {
    pub(crate) file: &'a str,
    pub(crate) open: &'a str,
    pub(crate) field: &'a str,
    pub(crate) uses: &'a str,
    pub(crate) name: &'a str,
}

/// The classic map's `hmap.count` in runtime/map.go.
pub(crate) const HMAP_COUNT: CountField<'static> = CountField {
    file: "runtime/map.go",
    open: "type hmap struct",
    field: "count",
    uses: "h.count",
    name: "count",
};

/// S7 from the map source's text: the declared type of the count field and the atomic
/// operations on its uses anywhere in the file.
pub(crate) fn s7_from(f: &CountField, src: &str) -> Res<(ClaimVerdict, String, Vec<String>)> {
    let file = f.file;
    let decl = block(src, f.open)
        .into_iter()
        .find(|(_, l)| l.split_whitespace().next() == Some(f.field))
        .ok_or_else(|| format!("{file}: no `{}` field in `{}`", f.field, f.open))?;
    let ty = decl.1.split_whitespace().nth(1).unwrap_or("").to_string();
    let uses: Vec<(usize, &str)> = src
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(f.uses))
        .map(|(i, l)| (i + 1, l.trim()))
        .collect();
    let atomic: Vec<&(usize, &str)> = uses.iter().filter(|(_, l)| l.contains("atomic.")).collect();
    let is_atomic = ty.starts_with("atomic.") || !atomic.is_empty();
    let incr = format!("{}++", f.uses);
    let mut ev = vec![format!("{file}:{}: `{}`", decl.0, decl.1.trim())];
    ev.extend(
        atomic
            .iter()
            .chain(
                uses.iter()
                    .filter(|(_, l)| l.contains(&incr))
                    .take(1)
                    .collect::<Vec<_>>()
                    .iter(),
            )
            .map(|(n, l)| format!("{file}:{n}: `{l}`")),
    );
    let why = if is_atomic {
        format!(
            "{} is declared `{ty}` and {file} touches {} with {} atomic operations: it is read atomically.",
            f.name,
            f.uses,
            atomic.len()
        )
    } else {
        format!(
            "{} is declared a plain `{ty}`, and none of {file}'s {} uses of {} is an atomic operation: it is read and written with ordinary loads and stores (len(m) reads it directly).",
            f.name,
            uses.len(),
            f.uses
        )
    };
    Ok((ClaimVerdict::true_if(is_atomic), why, ev))
}

pub(crate) fn s7(c: &mut Ctx) -> Res<Decided> {
    let f = match &c.go.map {
        MapKind::Classic { map, .. } => CountField {
            file: map,
            ..HMAP_COUNT
        },
        MapKind::Swiss { map, .. } => CountField {
            file: map,
            open: "type Map struct",
            field: "used",
            uses: "m.used",
            name: "Swiss tables have no hmap: the count, Map.used,",
        },
    };
    let (verdict, why, ev) = s7_from(&f, &c.read_src(f.file)?)?;
    let pat = if c.go.swiss() {
        "used \\|m.used"
    } else {
        "count \\|h.count"
    };
    Ok((
        verdict,
        why,
        ev,
        vec![format!("grep -n '{pat}' {}", c.go.rerun_src(f.file))],
    ))
}

/// How S8 finds a map implementation's types: the map type's declaration, the generic
/// lookup and the parameter that describes K and V, and the words for the summary.
pub(crate) struct MapTypes<'a> {
    pub(crate) type_decl: &'a str,
    pub(crate) type_name: &'a str,
    pub(crate) access: &'a str,
    pub(crate) type_param: &'a str,
    pub(crate) type_words: &'a str,
    pub(crate) sources: &'a str,
}

/// The classic map's.
pub(crate) const HMAP_TYPES: MapTypes<'static> = MapTypes {
    type_decl: "type hmap",
    type_name: "hmap",
    access: "func mapaccess1(",
    type_param: "t *maptype",
    type_words: "a *maptype",
    sources: "the runtime's",
};

/// S8 from the map sources (path, text): how many map types there are and whether the
/// generic lookup takes a type descriptor for K and V.
pub(crate) fn s8_from(
    t: &MapTypes,
    files: &[(String, String)],
) -> Res<(ClaimVerdict, String, Vec<String>)> {
    let mut decls = Vec::new();
    let mut generic_access = None;
    for (name, text) in files {
        for (i, l) in text.lines().enumerate() {
            if l.starts_with(t.type_decl) {
                decls.push(format!("{name}:{}: `{}`", i + 1, l.trim()));
            }
            if l.starts_with(t.access) {
                generic_access = Some((
                    l.contains(t.type_param),
                    format!("{name}:{}: `{}`", i + 1, l.trim()),
                ));
            }
        }
    }
    let (takes_type, sig) =
        generic_access.ok_or_else(|| format!("no `{}` in the map sources", t.access))?;
    let func = t.access.trim_start_matches("func ").trim_end_matches('(');
    let mut ev = decls.clone();
    ev.push(sig);
    match (decls.len(), takes_type) {
        (0, _) => Err(format!("no `{}` declaration in the map sources", t.type_decl)),
        (1, true) => Ok((
            ClaimVerdict::False,
            format!("There is one {} type in {} {} map sources, and {func} takes {} describing K and V (hasher, sizes): one implementation serves every map type. Only a few fast paths are specialised, by key kind, not per map type.", t.type_name, t.sources, files.len(), t.type_words),
            ev,
        )),
        (n, _) if n > 1 => Ok((
            ClaimVerdict::True,
            format!("The runtime declares {n} {} types, one per kind of map.", t.type_name),
            ev,
        )),
        _ => Err(format!("one {} type but {func} takes no type descriptor: cannot tell", t.type_name)),
    }
}

pub(crate) fn s8(c: &mut Ctx) -> Res<Decided> {
    let (types, pkg, fast64, fast_fn) = match &c.go.map {
        MapKind::Classic { fast64, .. } => (
            HMAP_TYPES,
            "runtime",
            fast64.clone(),
            "func mapaccess1_fast64(",
        ),
        MapKind::Swiss { fast64, .. } => (
            MapTypes {
                type_decl: "type Map struct",
                type_name: "Map",
                access: "func runtime_mapaccess1(",
                type_param: "typ *abi.",
                type_words: "a map type descriptor (typ *abi...MapType)",
                sources: "internal/runtime/maps's",
            },
            "internal/runtime/maps",
            fast64.clone(),
            "func runtime_mapaccess1_fast64(",
        ),
    };
    let mut files = Vec::new();
    for f in c.go.src.pkgs.get(pkg).cloned().unwrap_or_default() {
        let base = f.rsplit('/').next().unwrap_or("");
        let is_map_source = if pkg == "runtime" {
            base.starts_with("map") && !base.contains("swiss")
        } else {
            !base.ends_with("_debug.go")
        };
        if is_map_source {
            files.push((f.clone(), c.read_src(&f)?));
        }
    }
    let (verdict, why, mut ev) = s8_from(&types, &files)?;
    ev.push(c.source_line(&fast64, None, fast_fn)?);
    let grep = if pkg == "runtime" {
        format!(
            "grep -n 'type hmap struct\\|^func mapaccess1' {}",
            c.go.rerun_src("runtime/map*.go")
        )
    } else {
        format!(
            "grep -n 'type Map struct\\|^func runtime_mapaccess1' {}",
            c.go.rerun_src("internal/runtime/maps/*.go")
        )
    };
    Ok((verdict, why, ev, vec![grep]))
}

/// A constant's definition `name = value` in `src`: (line number, line, value).
pub(crate) fn const_def<'a>(src: &'a str, name: &str) -> Option<(usize, &'a str, &'a str)> {
    src.lines().enumerate().find_map(|(i, l)| {
        let rest = l
            .trim_start()
            .strip_prefix(name)?
            .trim_start()
            .strip_prefix('=')?;
        let v = rest.split("//").next().unwrap_or("").trim();
        Some((i + 1, l, v))
    })
}

/// S9 from the classic map file's text: the slots per bucket (`bits`, from bucketCntBits,
/// with its evidence lines), and whether mapaccess1 walks the bucket's overflow chain or
/// probes neighbouring buckets.
pub(crate) fn s9_from(
    file: &str,
    map_go: &str,
    bits: u32,
    mut ev: Vec<String>,
) -> Res<(ClaimVerdict, String, Vec<String>)> {
    let n = bits;
    let body = block(map_go, "func mapaccess1(");
    if body.is_empty() {
        return Err(format!("{file}: no `func mapaccess1(`"));
    }
    let chain = body.iter().find(|(_, l)| l.contains("b.overflow(t)"));
    let probe = body.iter().find(|(_, l)| {
        let l = l.replace(' ', "");
        l.contains("bucket+1") || l.contains("bucket++") || l.contains("(bucket+i)")
    });
    match (chain, probe) {
        (Some((cl, c)), None) => {
            ev.push(format!("{file}:{cl}: `{}` (in mapaccess1)", c.trim()));
            Ok((
                ClaimVerdict::False,
                format!("Buckets hold {} slots each (bucketCntBits = {n}) and a lookup walks only its own bucket's chain of overflow buckets (`{}`), never a neighbouring bucket: chaining, not open addressing.", 1u32 << n, c.trim()),
                ev,
            ))
        }
        (_, Some((pl, p))) => {
            ev.push(format!("{file}:{pl}: `{}` (in mapaccess1)", p.trim()));
            Ok((
                ClaimVerdict::True,
                format!(
                    "A lookup probes the next bucket (`{}`): open addressing with linear probing.",
                    p.trim()
                ),
                ev,
            ))
        }
        (None, None) => Err(format!(
            "{file}: mapaccess1 neither walks overflow buckets nor probes: cannot tell"
        )),
    }
}

/// S9 for Swiss tables from table.go's text: how `probeSeq.next` moves from group to group
/// (`s.offset = (s.offset + s.index) & s.mask` with index growing: quadratic; `+ 1`:
/// linear), with `slots` slots per group.
pub(crate) fn s9_swiss_from(
    file: &str,
    table_go: &str,
    slots: u32,
    mut ev: Vec<String>,
) -> Res<(ClaimVerdict, String, Vec<String>)> {
    let body = block(table_go, "func (s probeSeq) next()");
    let (n, step) = body
        .iter()
        .find(|(_, l)| l.contains("s.offset ="))
        .ok_or_else(|| format!("{file}: no `s.offset =` in probeSeq.next"))?;
    let step_text = step.trim();
    ev.push(format!("{file}:{n}: `{step_text}` (in probeSeq.next)"));
    let compact = step_text.replace(' ', "");
    if compact.contains("+s.index") && body.iter().any(|(_, l)| l.contains("s.index++")) {
        Ok((
            ClaimVerdict::False,
            format!("Swiss tables are open addressing, but not linear probing: a lookup compares the H2 bytes of a whole group of {slots} slots at once, then moves to the group probeSeq.next picks (`{step_text}`, index growing by one each step: quadratic probing over groups)."),
            ev,
        ))
    } else if compact.contains("(s.offset+1)") {
        Ok((
            ClaimVerdict::True,
            format!("Swiss tables probe the next group (`{step_text}`): open addressing with linear probing over groups of {slots} slots."),
            ev,
        ))
    } else {
        Err(format!("{file}: probeSeq.next's step `{step_text}` is neither linear nor quadratic: cannot tell"))
    }
}

pub(crate) fn s9(c: &mut Ctx) -> Res<Decided> {
    match c.go.map.clone() {
        MapKind::Classic { map, .. } => {
            let text = c.read_src(&map)?;
            let (line, l, v) = const_def(&text, "bucketCntBits")
                .ok_or_else(|| format!("{map}: no bucketCntBits"))?;
            let mut ev = vec![format!("{map}:{line}: `{}`", l.trim())];
            // Go 1.21 moved the value to internal/abi: `bucketCntBits = abi.MapBucketCountBits`.
            let bits: u32 = match v.strip_prefix("abi.") {
                Some(name) => {
                    let file = c
                        .find_src("internal/abi", &format!("\t{name} "))
                        .or_else(|_| c.find_src("internal/abi", &format!("\t{name}=")))?;
                    let abi = c.read_src(&file)?;
                    let (al, alt, av) =
                        const_def(&abi, name).ok_or_else(|| format!("{file}: no {name}"))?;
                    ev.push(format!("{file}:{al}: `{}`", alt.trim()));
                    av.parse()
                        .map_err(|_| format!("{file}: {name} is not a number"))?
                }
                None => v
                    .parse()
                    .map_err(|_| format!("{map}: bucketCntBits is not a number"))?,
            };
            let (verdict, why, mut ev) = s9_from(&map, &text, bits, ev)?;
            ev.push(c.source_line(
                &map,
                Some("type bmap struct"),
                "Followed by an overflow pointer",
            )?);
            Ok((
                verdict,
                why,
                ev,
                vec![format!(
                    "sed -n '/^func mapaccess1(/,/^}}/p' {}",
                    c.go.rerun_src(&map)
                )],
            ))
        }
        MapKind::Swiss { table, .. } => {
            // Slots per group: internal/abi's (Swiss)MapGroupSlotsBits.
            let mut ev = Vec::new();
            let mut slots = None;
            for name in ["SwissMapGroupSlotsBits", "MapGroupSlotsBits"] {
                if let Ok(file) = c.find_src("internal/abi", &format!("\t{name} ")) {
                    let abi = c.read_src(&file)?;
                    if let Some((al, alt, av)) = const_def(&abi, name) {
                        ev.push(format!("{file}:{al}: `{}`", alt.trim()));
                        let b: u32 = av
                            .parse()
                            .map_err(|_| format!("{file}: {name} is not a number"))?;
                        slots = Some(1u32 << b);
                        break;
                    }
                }
            }
            let slots = slots.ok_or("internal/abi: no MapGroupSlotsBits")?;
            let (verdict, why, ev) = s9_swiss_from(&table, &c.read_src(&table)?, slots, ev)?;
            Ok((
                verdict,
                why,
                ev,
                vec![format!(
                    "sed -n '/^func (s probeSeq) next/,/^}}/p' {}",
                    c.go.rerun_src(&table)
                )],
            ))
        }
    }
}

pub(crate) fn s10(c: &mut Ctx) -> Res<Decided> {
    match c.go.map.clone() {
        MapKind::Classic { map, .. } => {
            let body = c.go_func_body(&map, "func mapassign(")?;
            let allocs: Vec<String> = body
                .iter()
                .filter(|(_, l)| l.contains("h.newoverflow(t, b)") || l.trim() == "hashGrow(t, h)")
                .map(|(n, l)| format!("{map}:{n}: `{}` (in mapassign)", l.trim()))
                .collect();
            let verdict = ClaimVerdict::true_if(allocs.is_empty());
            let mut ev = allocs;
            ev.push(c.source_line(
                &map,
                Some("func evacuate("),
                "dst.b = h.newoverflow(t, dst.b)",
            )?);
            Ok((
                verdict,
                "mapassign allocates an overflow bucket when the chain is full and starts growth (a new bucket array); mapdelete's growWork evacuates, which can allocate overflow buckets too.".into(),
                ev,
                vec![format!("grep -n 'newoverflow\\|hashGrow(t, h)' {}", c.go.rerun_src(&map))],
            ))
        }
        MapKind::Swiss {
            map,
            table,
            runtime,
            ..
        } => {
            let grows = ["growToSmall(", "growToTable(", "rehash("];
            let allocating = |body: &[(usize, String)], file: &str, func: &str| -> Vec<String> {
                body.iter()
                    .filter(|(_, l)| {
                        !l.trim_start().starts_with("//") && grows.iter().any(|g| l.contains(g))
                    })
                    .map(|(n, l)| format!("{file}:{n}: `{}` (in {func})", l.trim()))
                    .collect()
            };
            let mut assign = allocating(
                &c.go_func_body(&runtime, "func runtime_mapassign(")?,
                &runtime,
                "runtime_mapassign",
            );
            assign.extend(allocating(
                &c.go_func_body(&table, "func (t *table) PutSlot(")?,
                &table,
                "table.PutSlot",
            ));
            let mut delete = allocating(
                &c.go_func_body(&map, "func (m *Map) Delete(")?,
                &map,
                "Map.Delete",
            );
            delete.extend(allocating(
                &c.go_func_body(&table, "func (t *table) Delete(")?,
                &table,
                "table.Delete",
            ));
            let verdict = ClaimVerdict::true_if(assign.is_empty() && delete.is_empty());
            let why = format!(
                "mapassign allocates: the first insert gives a map without storage a group (growToSmall), a full small group becomes a table (growToTable), and a full table is rehashed into a new table or split in two (rehash); {}",
                if delete.is_empty() {
                    "mapdelete never allocates: it only marks the slot (Swiss tables have no incremental growth for it to help with)."
                } else {
                    "mapdelete can grow too."
                }
            );
            let mut ev = assign;
            ev.extend(delete);
            ev.push(c.source_line(&table, Some("func (t *table) grow("), "newTable(")?);
            Ok((
                verdict,
                why,
                ev,
                vec![format!(
                    "grep -n 'growToSmall(\\|growToTable(\\|rehash(' {} {}",
                    c.go.rerun_src(&runtime),
                    c.go.rerun_src(&table)
                )],
            ))
        }
    }
}

pub(crate) fn s11(c: &mut Ctx) -> Res<Decided> {
    let MapKind::Swiss { table, .. } = c.go.map.clone() else {
        return spec_claim(
            c,
            "claim-s11-mapdelete",
            &["s11_delete_clears_key", "s11_delete_only_sets_empty_one"],
            ClaimVerdict::True,
            "mapdelete clears the key only if it holds pointers (a uint64 key stays in the cell), and it turns a run of emptyOne cells into emptyRest when the deleted cell ends the chain's live part.",
        );
    };
    // Swiss tables have no tophash: table.Delete's own lines decide, and the swiss model's
    // tombstone spec shows both marks happen (where it covers this version).
    let body = c.go_func_body(&table, "func (t *table) Delete(")?;
    let find = |pat: &str| {
        body.iter()
            .find(|(_, l)| l.contains(pat))
            .map(|(n, l)| format!("{table}:{n}: `{}` (in table.Delete)", l.trim()))
    };
    let key_only_if_pointers = find("typ.Key.Pointers()");
    let empty = find("set(i, ctrlEmpty)");
    let deleted = find("set(i, ctrlDeleted)");
    let mut ev: Vec<String> = [&key_only_if_pointers, &empty, &deleted]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let mut rerun = vec![format!(
        "sed -n '/^func (t \\*table) Delete(/,/^}}/p' {}",
        c.go.rerun_src(&table)
    )];
    let spec = "swiss-tombstones";
    match c.swiss_gap(spec)? {
        None => {
            for p in ["reaches_tombstone", "reaches_delete_leaving_empty_in_table"] {
                let (v, e) = c.prop(spec, p)?;
                if v != Verdict::Holds {
                    return Err(format!(
                        "S11: {spec}: {p} is {v}: the model and the source disagree"
                    ));
                }
                ev.push(e);
            }
            rerun.push(crate::claims::evidence::specs::spec_cmd(spec));
        }
        Some(gap) => ev.push(format!("(specs/{spec}.toml not used: {gap})")),
    }
    let two_marks = empty.is_some() && deleted.is_some();
    if key_only_if_pointers.is_none() && !two_marks {
        return Ok((
            ClaimVerdict::NotDecided,
            "not decided: Swiss-table map: table.Delete neither clears the key only for pointer keys nor chooses between two marks".into(),
            ev,
            rerun,
        ));
    }
    Ok((
        ClaimVerdict::False,
        "Swiss tables have no tophash or emptyOne: delete sets the slot's control byte to ctrlEmpty when its group still has an empty slot and to ctrlDeleted (a tombstone, which keeps probe sequences going) otherwise, and clears the key only if it holds pointers (a uint64 key stays in the slot).".into(),
        ev,
        rerun,
    ))
}

pub(crate) fn s12(c: &mut Ctx) -> Res<Decided> {
    if c.go.swiss() {
        let spec = "swiss-tombstones";
        let mut ev = Vec::new();
        let mut rerun = Vec::new();
        match c.swiss_gap(spec)? {
            None => {
                let (_, e) = c.prop(spec, "reaches_tombstone_reuse")?;
                ev.push(e);
                rerun.push(crate::claims::evidence::specs::spec_cmd(spec));
            }
            Some(gap) => ev.push(format!("(specs/{spec}.toml not used: {gap})")),
        }
        if let MapKind::Swiss { table, .. } = &c.go.map {
            ev.push(c.source_line(table, Some("func (t *table) PutSlot("), "t.growthLeft++")?);
        }
        return Ok((
            ClaimVerdict::NotDecided,
            "not decided: Swiss-table map: there is no emptyOne; the swiss model shows that an insert can reuse a tombstone (ctrlDeleted), but it has no property saying that an assign to a present key always updates it in place or that every new key reuses a tombstone.".into(),
            ev,
            rerun,
        ));
    }
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
    let r = c.facts("s13")?;
    let (same, upd, ins) = (
        r.get("same_hmap")?.to_string(),
        r.get("m1_sees_update")?.to_string(),
        r.get("m1_sees_insert")?.to_string(),
    );
    let copied = same == "false" && upd == "false" && ins == "false";
    let verdict = ClaimVerdict::true_if(copied);
    let header = if c.go.swiss() { "Map" } else { "hmap" };
    Ok((
        verdict,
        format!("A map value is a pointer to its {header}: m2 := m1 copies the pointer, not the entries; both names are the same map."),
        vec![format!("Go program `facts s13`: same_hmap={same}, m1 sees m2's update={upd}, m1 sees m2's insert={ins}")],
        vec![c.facts_cmd("s13")],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP_GO: &str = "const (\n\tbucketCntBits = 3\n)\ntype hmap struct {\n\tcount     int // live cells\n\tflags     uint8\n}\nfunc mapaccess1(t *maptype, h *hmap, key unsafe.Pointer) unsafe.Pointer {\n\tfor ; b != nil; b = b.overflow(t) {\n\t}\n\tif h.count == 0 {\n\t}\n}\nfunc mapassign() {\n\th.count++\n}\n";

    #[test]
    fn flipped_source_flips_s7_s8_s9_with_their_explanations() {
        let (v, why, _) = s7_from(&HMAP_COUNT, MAP_GO).unwrap();
        assert_eq!(v, ClaimVerdict::False);
        assert!(why.contains("plain `int`"));
        let atomic = MAP_GO.replace("count     int", "count     atomic.Int64");
        let (v, why, _) = s7_from(&HMAP_COUNT, &atomic).unwrap();
        assert_eq!(v, ClaimVerdict::True);
        assert!(why.contains("`atomic.Int64`"));

        let (v, why, _) = s9_from("runtime/map.go", MAP_GO, 3, vec![]).unwrap();
        assert_eq!(v, ClaimVerdict::False);
        assert!(why.contains("8 slots") && why.contains("b.overflow(t)"));
        let probing = MAP_GO
            .replace("b = b.overflow(t)", "bucket = (bucket + 1) & m")
            .replace("bucketCntBits = 3", "bucketCntBits = 0");
        let (v, why, _) = s9_from("runtime/map.go", &probing, 0, vec![]).unwrap();
        assert_eq!(v, ClaimVerdict::True);
        assert!(why.contains("(bucket + 1)"));

        let one = vec![("map.go".to_string(), MAP_GO.to_string())];
        let (v, why, _) = s8_from(&HMAP_TYPES, &one).unwrap();
        assert_eq!(v, ClaimVerdict::False);
        assert!(why.contains("one hmap type"));
        let two = vec![
            ("map.go".to_string(), MAP_GO.to_string()),
            (
                "map_fast64.go".to_string(),
                "type hmap_u64 struct {\n}\n".to_string(),
            ),
        ];
        let (v, why, _) = s8_from(&HMAP_TYPES, &two).unwrap();
        assert_eq!(v, ClaimVerdict::True);
        assert!(why.contains("2 hmap types"));
    }

    #[test]
    fn swiss_probing_is_read_from_probe_seq_next() {
        let table = "func (s probeSeq) next() probeSeq {\n\ts.index++\n\ts.offset = (s.offset + s.index) & s.mask\n\treturn s\n}\n";
        let (v, why, ev) =
            s9_swiss_from("internal/runtime/maps/table.go", table, 8, vec![]).unwrap();
        assert_eq!(v, ClaimVerdict::False);
        assert!(why.contains("quadratic") && why.contains("8 slots"));
        assert!(ev[0].starts_with("internal/runtime/maps/table.go:3: "));
        let linear = table.replace("(s.offset + s.index)", "(s.offset + 1)");
        let (v, why, _) = s9_swiss_from("t.go", &linear, 8, vec![]).unwrap();
        assert_eq!(v, ClaimVerdict::True);
        assert!(why.contains("linear probing"));
        let other = table.replace("(s.offset + s.index)", "(s.offset * 5 + 1)");
        assert!(s9_swiss_from("t.go", &other, 8, vec![]).is_err());
        assert!(s9_swiss_from("t.go", "package maps\n", 8, vec![]).is_err());
    }
}
