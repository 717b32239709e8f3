//! Unit tests of the `swiss` diagram and texts on hand-built states: a small map, a table
//! with a tombstone, a directory split to depth 1 with a replaced table an iterator still
//! walks.

use super::render::{debug_text, state_text, svg};
use super::*;
use std::collections::BTreeMap;

const SCALED: Geometry = Geometry {
    slots: 2,
    max_avg_group_load: 1,
    max_table_capacity: 8,
};

fn model(geo: Geometry, hashes: &[(u64, u64)]) -> SwissModel {
    let p = SwissParams {
        geo,
        keys: hashes.len() as u64,
        h2_values: 4,
        h1_bits: 2,
        dir_bits: 1,
        ..SwissParams::default()
    };
    let f: BTreeMap<u64, u64> = hashes.iter().copied().collect();
    SwissModel::with_hash_fns(p, vec![HashFn::from(f)], None)
}

/// A group of `slots` slots from (ctrl, key, elem) per slot; the rest empty.
fn group(cells: &[(u8, u64, u64)]) -> Group {
    let mut g = Group::empty();
    for (i, &(c, k, e)) in cells.iter().enumerate() {
        g.ctrl[i] = c;
        g.keys[i] = k;
        g.elems[i] = e;
    }
    g
}

const E: (u8, u64, u64) = (CTRL_EMPTY, 0, 0);
const D: (u8, u64, u64) = (CTRL_DELETED, 0, 0);

fn state(m: &SwissModel, used: u64, abs: &[(u64, u64)]) -> SwissState {
    let mut s = m.initial(0);
    s.m.used = used;
    for &(k, e) in abs {
        s.ghost.abs[k as usize] = e;
    }
    s
}

fn iter(id: u8, entry_offset: u64, entry_idx: u64) -> Iter {
    Iter {
        id,
        entry_offset,
        dir_offset: 0,
        clear_seq: 0,
        global_depth: 0,
        dir_idx: 0,
        tab: None,
        small: None,
        entry_idx,
        ghost: IterGhost::default(),
    }
}

/// The drawn element with id `id`: from its `<` to the end of its `<g>` (cells and marks
/// hold no nested groups) or of its tag.
fn element<'a>(svg: &'a str, id: &str) -> &'a str {
    let at = svg
        .find(&format!(r#" id="{id}""#))
        .unwrap_or_else(|| panic!("no element {id} in {svg}"));
    let start = svg[..at].rfind('<').unwrap();
    let rest = &svg[start..];
    let end = if rest.starts_with("<g") {
        rest.find("</g>").unwrap() + 4
    } else {
        rest.find('>').unwrap() + 1
    };
    &rest[..end]
}

/// The value of attribute `name` of the first tag in `elem`.
fn attr<'a>(elem: &'a str, name: &str) -> &'a str {
    let key = format!(r#" {name}=""#);
    let at = elem
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {elem}"))
        + key.len();
    &elem[at..at + elem[at..].find('"').unwrap()]
}

fn num(elem: &str, name: &str) -> f64 {
    attr(elem, name).parse().unwrap()
}

fn count(svg: &str, class: &str) -> usize {
    svg.matches(&format!(r#"class="{class}""#)).count()
}

/// Asserts cell `id` is drawn as `class` with `ctrl` in its control band and `slot` under it.
fn assert_cell(svg: &str, id: &str, class: &str, ctrl: &str, slot: &str) {
    let c = element(svg, id);
    assert!(
        c.starts_with(&format!(r#"<g class="cell {class}""#)),
        "{id}: {c}"
    );
    assert!(
        c.contains(r#"class="ctrl""#) && c.contains(&format!(">{ctrl}</text>")),
        "{id} ctrl {ctrl}: {c}"
    );
    assert!(
        c.contains(&format!(r#"font-size="11">{slot}</text>"#)),
        "{id} slot {slot:?}: {c}"
    );
}

/// The rectangle of iterator `id`'s mark lies inside cell `cell`.
fn assert_mark_on(svg: &str, id: u8, cell: &str) {
    let mark = element(svg, &format!("it{id}-mark"));
    let c = element(svg, cell);
    let (cx, cy) = (num(c, "x"), num(c, "y"));
    let (mx, my) = (num(mark, "x"), num(mark, "y"));
    assert!(
        mx > cx && mx < cx + 58.0 && my > cy && my < cy + 40.0,
        "it{id}'s mark at ({mx}, {my}) is not on {cell} at ({cx}, {cy})"
    );
}

#[test]
fn svg_of_a_small_map_draws_its_one_group_slot_by_slot_and_the_iterator_on_its_next_slot() {
    // k1: H2 0x05; k2 absent.
    let m = model(SCALED, &[(1, 0x05), (2, 0x06)]);
    let mut s = state(&m, 1, &[(1, 2)]);
    s.smalls.push(group(&[(0x05, 1, 2), E]));
    s.m.small = Some(0);
    let mut it = iter(0, 1, 0);
    it.dir_idx = -1;
    it.small = Some(0);
    s.iters.push(it);
    s.next_iter_id = 1;
    let out = svg(&s, &m);

    assert!(out.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" class="swiss""#));
    assert_eq!(count(&out, "group"), 1, "the small map's one group");
    assert_eq!(count(&out, "table"), 0);
    assert_eq!(count(&out, "direntry"), 0);
    assert_eq!(out.matches(r#"<g class="cell "#).count(), 2, "2 slots");
    assert_cell(&out, "small-0", "full", "H2 05", "k1=v2");
    assert_cell(&out, "small-1", "empty", "empty", "");
    assert_eq!(attr(element(&out, "small-0"), "data-ctrl"), "05");
    // Slot 0 in byte 0: 0x05 | 0x80 << 8.
    assert!(out.contains(">ctrl 0x8005</text>"), "{out}");
    assert!(out.contains("small map: one group, used 1 of 2"), "{out}");
    assert!(
        out.contains("used=1 seed=0 dirLen=0 globalDepth=0"),
        "{out}"
    );
    assert!(out.contains("hashes: k1: top 0b0 H1 …00 H2 05"), "{out}");
    // it0 examines slot (0 + 1) mod 2 = 1 next.
    assert_mark_on(&out, 0, "small-1");
    assert!(
        out.contains("next slot (entryIdx+entryOffset) mod 2 = 1 of the small group"),
        "{out}"
    );
    assert_eq!(count(&out, "iterline"), 1);
    assert_eq!(count(&out, "violation"), 0, "{out}");

    // An inconsistent state names the property it violates.
    let mut bad = s.clone();
    bad.m.used = 2;
    assert!(svg(&bad, &m).contains(">violates used_matches_entries</text>"));

    // The map before its first assign.
    let empty = m.initial(0);
    let out = svg(&empty, &m);
    assert_eq!(out.matches(r#"<g class="cell "#).count(), 0);
    assert!(out.contains("dirPtr: nil (growToSmall allocates"), "{out}");
}

#[test]
fn svg_of_a_table_with_a_tombstone_draws_each_control_byte_and_the_table_counts() {
    // A table of 4 two-slot groups (capacity 8, load 1 of 2: 4 entries before a rehash).
    // k1 and k2 filled group 0; k2 was deleted from the full group: a tombstone.
    let m = model(SCALED, &[(1, 0x11), (2, 0x12), (3, 1 << 7 | 0x22)]);
    let mut s = state(&m, 2, &[(1, 1), (3, 4)]);
    s.tables.push(Table {
        used: 2,
        capacity: 8,
        growth_left: 1,
        local_depth: 0,
        index: 0,
        groups: vec![
            group(&[(0x11, 1, 1), D]),
            group(&[(0x22, 3, 4), E]),
            Group::empty(),
            Group::empty(),
        ],
    });
    s.m.dir = vec![0];
    let mut it = iter(0, 3, 1);
    it.tab = Some(0);
    s.iters.push(it);
    s.next_iter_id = 1;
    let out = svg(&s, &m);

    assert_eq!(count(&out, "violation"), 0, "{out}");
    assert_eq!(count(&out, "table"), 1);
    assert_eq!(count(&out, "group"), 4);
    assert_eq!(out.matches(r#"<g class="cell "#).count(), 8);
    assert_eq!(out.matches(r#"<g class="cell full""#).count(), 2);
    assert_eq!(out.matches(r#"<g class="cell deleted""#).count(), 1);
    assert_eq!(out.matches(r#"<g class="cell empty""#).count(), 5);
    assert_cell(&out, "t0-g0-0", "full", "H2 11", "k1=v1");
    assert_cell(&out, "t0-g0-1", "deleted", "deleted", "");
    assert_eq!(attr(element(&out, "t0-g0-1"), "data-ctrl"), "fe");
    assert_cell(&out, "t0-g1-0", "full", "H2 22", "k3=v4");
    assert_cell(&out, "t0-g1-1", "empty", "empty", "");
    assert!(out.contains(">ctrl 0xfe11</text>"), "{out}");
    assert!(out.contains(">ctrl 0x8080</text>"), "{out}");
    let t = element(&out, "t0");
    assert_eq!(attr(t, "data-used"), "2");
    assert_eq!(attr(t, "data-capacity"), "8");
    assert_eq!(attr(t, "data-growth-left"), "1");
    assert!(out.contains("t0: used 2 capacity 8 growthLeft 1"), "{out}");
    assert!(out.contains("localDepth 0, index 0 (dir[0]), 1 tombstone(s)"));
    // One directory entry, pointing at t0.
    assert_eq!(count(&out, "direntry"), 1);
    assert_eq!(attr(element(&out, "dir-0"), "data-table"), "0");
    assert_eq!(count(&out, "dirptr"), 1);
    // it0: entry (1 + 3) & 7 = 4 is group 2 slot 0; it walks directory entry 0.
    assert_mark_on(&out, 0, "t0-g2-0");
    assert!(out.contains(r#"id="it0-dir""#));
    assert!(out.contains("group 2 slot 0 of t0"), "{out}");

    let text = state_text(&s, &m);
    assert!(text.contains("g0: ctrl [11 XX] slots [k1=v1 -]"), "{text}");
    assert!(text.contains("tombstones=1"), "{text}");
}

#[test]
fn svg_of_a_split_directory_of_depth_1_draws_each_entry_its_table_and_the_replaced_table() {
    // Tables capped at 4 slots: t2 (4 slots, localDepth 0) split by hash bit 63 into t0
    // (k1, top bit 0) and t1 (k2, top bit 1), localDepth 1; the directory doubled to 2
    // entries. it0 started on t2 before the split and still walks it.
    let geo = Geometry {
        max_table_capacity: 4,
        ..SCALED
    };
    let (h1, h2) = (0x01, 1 << 63 | 1 << 7 | 0x02);
    let m = model(geo, &[(1, h1), (2, h2)]);
    let mut s = state(&m, 2, &[(1, 1), (2, 1)]);
    let table = |index, local_depth, groups| Table {
        used: 1,
        capacity: 4,
        growth_left: 1,
        local_depth,
        index,
        groups,
    };
    s.tables
        .push(table(0, 1, vec![group(&[(0x01, 1, 1), E]), Group::empty()]));
    s.tables
        .push(table(1, 1, vec![Group::empty(), group(&[E, (0x02, 2, 1)])]));
    let mut old = table(-1, 0, vec![group(&[(0x01, 1, 1)]), group(&[(0x02, 2, 1)])]);
    old.used = 2;
    old.growth_left = 0;
    s.tables.push(old);
    s.m.dir = vec![0, 1];
    s.m.global_depth = 1;
    let mut it = iter(0, 0, 1);
    it.tab = Some(2);
    s.iters.push(it);
    s.next_iter_id = 1;
    let out = svg(&s, &m);

    assert_eq!(count(&out, "violation"), 0, "{out}");
    assert!(
        out.contains("used=2 seed=0 dirLen=2 globalDepth=1"),
        "{out}"
    );
    assert!(out.contains("directory: dirLen 2 = 1 &lt;&lt; globalDepth 1"));
    assert_eq!(count(&out, "direntry"), 2);
    assert_eq!(attr(element(&out, "dir-0"), "data-table"), "0");
    assert_eq!(attr(element(&out, "dir-1"), "data-table"), "1");
    assert_eq!(count(&out, "dirptr"), 2);
    assert_eq!(count(&out, "table"), 2);
    for t in ["t0", "t1"] {
        assert_eq!(attr(element(&out, t), "data-local-depth"), "1", "{t}");
    }
    assert!(out.contains("localDepth 1, index 1 (dir[1]), 0 tombstone(s)"));
    // Each entry's arrow ends at its own table, t1 right of t0.
    let ptr = |i: usize| {
        let at = out
            .find(&format!(r#"class="dirptr" data-entry="{i}""#))
            .unwrap();
        let start = out[..at].rfind('<').unwrap();
        &out[start..start + out[start..].find('>').unwrap() + 1]
    };
    assert_eq!(attr(ptr(0), "data-table"), "0");
    assert_eq!(attr(ptr(1), "data-table"), "1");
    assert!(num(ptr(1), "x2") > num(ptr(0), "x2") + 100.0);
    assert_cell(&out, "t0-g0-0", "full", "H2 01", "k1=v1");
    assert_cell(&out, "t1-g1-1", "full", "H2 02", "k2=v1");
    // The replaced table, only it0 walks it.
    assert_eq!(count(&out, "retiredtable"), 1);
    assert_eq!(count(&out, "retiredgroup"), 2);
    assert_eq!(count(&out, "group"), 4);
    assert_eq!(attr(element(&out, "t2"), "data-index"), "-1");
    assert!(
        out.contains("t2 (replaced, index -1): walked by it0"),
        "{out}"
    );
    assert_cell(&out, "t2-g1-0", "full", "H2 02", "k2=v1");
    // it0: entry (1 + 0) & 3 = 1, group 0 slot 1 of t2; it started at globalDepth 0, so
    // its directory entry is (0 + 0) << 1 = 0.
    assert_mark_on(&out, 0, "t2-g0-1");
    let dir_mark = element(&out, "it0-dir");
    let dir0 = element(&out, "dir-0");
    assert!(
        (num(dir_mark, "x") - num(dir0, "x") - 3.0).abs() < 1e-9,
        "{dir_mark}"
    );
    assert!(
        out.contains("re-looks keys up in the map (grownKeyElem)"),
        "{out}"
    );
    assert!(out.contains("hashes: k1: top 0b0 H1 …00 H2 01, k2: top 0b1 H1 …01 H2 02"));
}

#[test]
fn debug_text_tells_apart_states_that_differ_only_in_ghost_state() {
    let m = model(SCALED, &[(1, 0x05)]);
    let mut a = state(&m, 1, &[(1, 1)]);
    a.smalls.push(group(&[(0x05, 1, 1)]));
    a.m.small = Some(0);
    let mut it = iter(0, 0, 1);
    it.dir_idx = -1;
    it.small = Some(0);
    a.iters.push(it);
    let mut b = a.clone();
    b.iters[0].ghost.yielded = 1;
    assert_ne!(debug_text(&a), debug_text(&b));
    assert_eq!(format!("{a:?}"), debug_text(&a));
    let t = debug_text(&a);
    assert!(t.starts_with("used=1 seed=0 "), "{t}");
    assert!(
        t.contains("small group 0: ctrl [05] slots [k1=v1] +7 empty"),
        "{t}"
    );
}
