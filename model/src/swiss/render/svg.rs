//! The explorer's SVG diagram of a `swiss` state (classes and ids: see the parent module).

use super::*;
use crate::framework::svg::{self as draw, esc, iter_color};

// Geometry of the diagram, in pixels (as `hmap`'s where the parts correspond).
const MARGIN: f64 = 10.0;
const CELL_W: f64 = 58.0;
/// The control byte's band, above the slot's key and elem.
const CTRL_H: f64 = 16.0;
const SLOT_H: f64 = 24.0;
const CELL_H: f64 = CTRL_H + SLOT_H;
const ROW_GAP: f64 = 12.0;
const LABEL_W: f64 = 28.0;
const COLUMN_GAP: f64 = 40.0;
const LINE_H: f64 = 16.0;
/// From a column's top to its first group: the title, a detail line, room for iterator
/// labels.
const FIRST_ROW: f64 = 42.0;
const DIR_W: f64 = 72.0;
const DIR_H: f64 = 24.0;
/// Between the directory's entries and the tables' titles (the arrows).
const DIR_DROP: f64 = 46.0;

/// The class (and legend name) of a control byte.
fn cell_class(c: u8) -> &'static str {
    match c {
        CTRL_EMPTY => "empty",
        CTRL_DELETED => "deleted",
        _ => "full",
    }
}

/// Fill of a control byte's band.
fn ctrl_fill(c: u8) -> &'static str {
    match c {
        CTRL_EMPTY => "#ffffff",
        CTRL_DELETED => "#d0d0d0",
        _ => "#8fd19e",
    }
}

/// Fill of a slot's key and elem under its control byte.
fn slot_fill(c: u8) -> &'static str {
    match c {
        CTRL_EMPTY => "#ffffff",
        CTRL_DELETED => "#ececec",
        _ => "#dcf2e1",
    }
}

/// What the control byte's band says.
fn ctrl_label(c: u8) -> String {
    match c {
        CTRL_EMPTY => "empty".to_string(),
        CTRL_DELETED => "deleted".to_string(),
        c => format!("H2 {c:02x}"),
    }
}

fn ctrl_meaning(c: u8) -> String {
    match c {
        CTRL_EMPTY => "ctrlEmpty".to_string(),
        CTRL_DELETED => "ctrlDeleted, a tombstone".to_string(),
        c => format!("full, H2 {c:#04x}"),
    }
}

/// Where each drawn slot is: (table or small group, group, slot) -> top-left corner.
type CellPos = BTreeMap<(Place, usize, usize), (f64, f64)>;

/// One column of storage to draw: a table or a small group.
struct Column<'a> {
    place: Place,
    groups: &'a [Group],
    /// The class of the whole column (`table`, `retiredtable`) or None for a small group.
    class: Option<&'static str>,
    /// The class of each group (`group`, `retiredgroup`).
    group_class: &'static str,
    /// The id of the column and the prefix of its groups' ids.
    id: String,
    title: String,
    detail: String,
    /// Extra attributes of the column's `<g>`.
    attrs: String,
}

fn ctrl_word_text(g: &Group, slots: usize) -> String {
    format!("ctrl {:#0w$x}", g.ctrl_word(slots), w = 2 + 2 * slots)
}

fn column_width(c: &Column, slots: usize) -> f64 {
    let cells = LABEL_W + slots as f64 * CELL_W + 10.0 + 6.2 * (7 + 2 * slots) as f64;
    cells
        .max(7.5 * c.title.chars().count() as f64)
        .max(6.2 * c.detail.chars().count() as f64)
}

/// Draws one column at (x0, y0); returns the y below it.
fn svg_column(
    out: &mut String,
    pos: &mut CellPos,
    c: &Column,
    slots: usize,
    x0: f64,
    y0: f64,
) -> f64 {
    if let Some(class) = c.class {
        let _ = write!(out, r#"<g class="{class}" id="{}"{}>"#, c.id, c.attrs);
    }
    let _ = write!(
        out,
        r##"<text x="{x0}" y="{}" font-weight="bold">{}</text><text x="{x0}" y="{}" font-size="11" fill="#444">{}</text>"##,
        y0 + 12.0,
        esc(&c.title),
        y0 + 12.0 + LINE_H - 2.0,
        esc(&c.detail)
    );
    let mut y = y0 + FIRST_ROW;
    for (gi, g) in c.groups.iter().enumerate() {
        let gid = if c.class.is_some() {
            format!("{}-g{gi}", c.id)
        } else {
            c.id.clone()
        };
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" text-anchor="end" fill="#555">g{gi}</text>"##,
            x0 + LABEL_W - 6.0,
            y + CTRL_H + 17.0
        );
        let x = x0 + LABEL_W;
        let _ = write!(
            out,
            r#"<g class="{}" id="{gid}" data-group="{gi}">"#,
            c.group_class
        );
        for i in 0..slots {
            let ctrl = g.ctrl[i];
            let cx = x + i as f64 * CELL_W;
            pos.insert((c.place, gi, i), (cx, y));
            let full = is_full(ctrl);
            let tip = format!(
                "{} group {gi} slot {i}: ctrl {ctrl:#04x} ({}){}",
                c.title.split(':').next().unwrap_or_default(),
                ctrl_meaning(ctrl),
                if full {
                    format!(", key k{}, elem v{}", g.keys[i], g.elems[i])
                } else {
                    String::new()
                }
            );
            let _ = write!(
                out,
                r##"<g class="cell {}" id="{gid}-{i}" data-ctrl="{ctrl:02x}"><title>{}</title><rect x="{cx}" y="{y}" width="{CELL_W}" height="{CTRL_H}" fill="{}" stroke="#333"/><text class="ctrl" x="{}" y="{}" text-anchor="middle" font-family="monospace" font-size="10">{}</text><rect x="{cx}" y="{}" width="{CELL_W}" height="{SLOT_H}" fill="{}" stroke="#333"/><text class="slot" x="{}" y="{}" text-anchor="middle" font-family="monospace" font-size="11">{}</text></g>"##,
                cell_class(ctrl),
                esc(&tip),
                ctrl_fill(ctrl),
                cx + CELL_W / 2.0,
                y + 12.0,
                ctrl_label(ctrl),
                y + CTRL_H,
                slot_fill(ctrl),
                cx + CELL_W / 2.0,
                y + CTRL_H + 16.0,
                if full {
                    format!("k{}=v{}", g.keys[i], g.elems[i])
                } else {
                    String::new()
                }
            );
        }
        // A thicker frame around the whole group, and its control word as one uint64.
        let w = slots as f64 * CELL_W;
        let _ = write!(
            out,
            r##"<rect x="{x}" y="{y}" width="{w}" height="{CELL_H}" fill="none" stroke="#000" stroke-width="2"/><text class="ctrlword" x="{}" y="{}" font-family="monospace" font-size="10" fill="#555">{}</text></g>"##,
            x + w + 6.0,
            y + 12.0,
            ctrl_word_text(g, slots)
        );
        y += CELL_H + ROW_GAP;
    }
    if c.class.is_some() {
        out.push_str("</g>");
    }
    y
}

/// An SVG drawing of the state: the header fields and the hashes, the violated `always`
/// properties, then either the small map's one group or the directory (one entry per index,
/// an arrow to its table) above its tables, each with its capacity, used, growthLeft,
/// tombstones, localDepth and index and its groups, slot by slot: the control byte (H2,
/// empty, deleted) over the key and elem; then the tables and small groups only iterators
/// still walk; a mark on the slot each iterator examines next and on the directory entry it
/// walks, a line of each iterator's fields, and a legend.
pub fn svg(s: &SwissState, m: &SwissModel) -> String {
    let slots = m.params.geo.slots;
    let mut body = String::new();
    let mut pos = CellPos::new();
    let mut width: f64 = 560.0;

    let mut y = MARGIN + 12.0;
    let header = format!(
        "used={} seed={} dirLen={} globalDepth={} clearSeq={}",
        s.m.used,
        s.m.seed,
        s.dir_len(),
        s.m.global_depth,
        s.m.clear_seq
    );
    let _ = write!(
        body,
        r#"<text x="{MARGIN}" y="{y}" class="header" font-family="monospace">{header}</text>"#
    );
    y += LINE_H;
    let hashes = format!("hashes: {}", hashes_text(s, m));
    let _ = write!(
        body,
        r##"<text x="{MARGIN}" y="{y}" class="hashes" font-family="monospace" font-size="11" fill="#444">{}</text>"##,
        esc(&hashes)
    );
    width = width.max(2.0 * MARGIN + 6.7 * hashes.chars().count() as f64);

    for &i in &m.selected {
        let p = &crate::swiss::properties::PROPERTIES[i];
        if p.kind == crate::swiss::Kind::Always && !(p.check)(m, s) {
            y += LINE_H + 2.0;
            draw::violation(&mut body, MARGIN, y, p.name);
        }
    }

    let mut top_y = y + 10.0;
    let mut columns: Vec<Column> = Vec::new();
    // The directory, one row of entries above the tables.
    let mut dir_x: Vec<f64> = Vec::new();
    let dir_y = top_y + FIRST_ROW - 8.0;
    if s.dir_len() > 0 {
        let _ = write!(
            body,
            r#"<text x="{MARGIN}" y="{}" font-weight="bold">directory: dirLen {} = 1 &lt;&lt; globalDepth {}</text>"#,
            top_y + 12.0,
            s.dir_len(),
            s.m.global_depth
        );
        for (i, &t) in s.m.dir.iter().enumerate() {
            let x = MARGIN + i as f64 * (DIR_W + 6.0);
            dir_x.push(x);
            let _ = write!(
                body,
                r##"<g class="direntry" id="dir-{i}" data-table="{t}"><title>directory entry {i} (hash top bits {i:0w$b}): table t{t}</title><rect x="{x}" y="{dir_y}" width="{DIR_W}" height="{DIR_H}" fill="#eef3fb" stroke="#333"/><text x="{}" y="{}" text-anchor="middle" font-family="monospace" font-size="11">[{i}] → t{t}</text></g>"##,
                x + DIR_W / 2.0,
                dir_y + 16.0,
                w = s.m.global_depth.max(1) as usize
            );
        }
        width = width.max(MARGIN + s.dir_len() as f64 * (DIR_W + 6.0));
        top_y = dir_y + DIR_H + DIR_DROP;
        for t in s.dir_tables() {
            let tab = s.table(t);
            let n = 1usize << (s.m.global_depth - tab.local_depth.min(s.m.global_depth));
            columns.push(Column {
                place: Place::Table(t),
                groups: &tab.groups,
                class: Some("table"),
                group_class: "group",
                id: format!("t{t}"),
                title: format!(
                    "t{t}: used {} capacity {} growthLeft {}",
                    tab.used, tab.capacity, tab.growth_left
                ),
                detail: format!(
                    "localDepth {}, index {} ({}), {} tombstone(s)",
                    tab.local_depth,
                    tab.index,
                    crate::swiss::steps::dir_run(tab.index, n as i64),
                    tombstones(tab, slots)
                ),
                attrs: table_attrs(tab),
            });
        }
    } else if let Some(g) = s.m.small {
        columns.push(Column {
            place: Place::Small(g),
            groups: std::slice::from_ref(&s.smalls[g as usize]),
            class: None,
            group_class: "group",
            id: "small".to_string(),
            title: format!("small map: one group, used {} of {slots}", s.m.used),
            detail: "dirLen 0: dirPtr is the group; the next insert past a full group: growToTable"
                .to_string(),
            attrs: String::new(),
        });
    } else {
        let _ = write!(
            body,
            r#"<text x="{MARGIN}" y="{}" font-weight="bold">dirPtr: nil (growToSmall allocates the small group on the first mapassign)</text>"#,
            top_y + 12.0
        );
        top_y += 20.0;
    }
    // What only iterators still hold.
    let holders = |p: Place| -> String {
        let v: Vec<String> = s
            .iters
            .iter()
            .filter(|it| match p {
                Place::Table(t) => it.tab == Some(t),
                Place::Small(g) => it.small == Some(g) && it.dir_idx < 0,
            })
            .map(|it| format!("it{}", it.id))
            .collect();
        v.join(", ")
    };
    let dir_tables = s.dir_tables();
    for (t, tab) in s.tables.iter().enumerate() {
        let t = t as TableId;
        if dir_tables.contains(&t) {
            continue;
        }
        columns.push(Column {
            place: Place::Table(t),
            groups: &tab.groups,
            class: Some("retiredtable"),
            group_class: "retiredgroup",
            id: format!("t{t}"),
            title: format!(
                "t{t} (replaced, index {}): walked by {}",
                tab.index,
                holders(Place::Table(t))
            ),
            detail: format!(
                "used {} capacity {} growthLeft {} localDepth {}",
                tab.used, tab.capacity, tab.growth_left, tab.local_depth
            ),
            attrs: table_attrs(tab),
        });
    }
    for (g, grp) in s.smalls.iter().enumerate() {
        let g = g as GroupId;
        if s.m.small == Some(g) && s.dir_len() == 0 {
            continue;
        }
        columns.push(Column {
            place: Place::Small(g),
            groups: std::slice::from_ref(grp),
            class: None,
            group_class: "retiredgroup",
            id: format!("oldsmall{g}"),
            title: format!("old small group: walked by {}", holders(Place::Small(g))),
            detail: "growToTable moved its entries; Iter.Next re-looks them up".to_string(),
            attrs: String::new(),
        });
    }

    let mut x = MARGIN;
    let mut bottom = top_y;
    let mut table_x: BTreeMap<TableId, f64> = BTreeMap::new();
    for c in &columns {
        if let Place::Table(t) = c.place {
            table_x.insert(t, x);
        }
        bottom = bottom.max(svg_column(&mut body, &mut pos, c, slots, x, top_y));
        x += column_width(c, slots) + COLUMN_GAP;
    }
    width = width.max(x);

    // Each directory entry's pointer to its table.
    for (i, &t) in s.m.dir.iter().enumerate() {
        let Some(&tx) = table_x.get(&t) else { continue };
        let _ = write!(
            body,
            r##"<line class="dirptr" data-entry="{i}" data-table="{t}" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#333" stroke-width="1.5" marker-end="url(#arrow)"/>"##,
            dir_x[i] + DIR_W / 2.0,
            dir_y + DIR_H,
            tx + 16.0,
            top_y - 2.0
        );
    }

    // Iterators: a mark on the slot each examines next and on the directory entry it walks.
    let mut marks_at: BTreeMap<(i64, i64), usize> = BTreeMap::new();
    for it in &s.iters {
        let name = format!("it{}", it.id);
        if let IterAt::Slot { place, group, slot } = iter_at(it, s, slots) {
            if let Some(&(cx, cy)) = pos.get(&(place, group, slot)) {
                let n = marks_at.entry((cx as i64, cy as i64)).or_insert(0);
                draw::iter_mark(&mut body, it.id, cx, cy, CELL_W, CELL_H, *n, &name);
                *n += 1;
            }
        }
        if let Some(d) = iter_dir_entry(it, s) {
            let n = marks_at.entry((dir_x[d] as i64, dir_y as i64)).or_insert(0);
            let _ = write!(
                body,
                r#"<text class="iterdir" id="it{}-dir" x="{}" y="{}" font-size="9" font-weight="bold" fill="{}">{name}</text>"#,
                it.id,
                dir_x[d] + 3.0 + 22.0 * *n as f64,
                dir_y - 2.5,
                iter_color(it.id)
            );
            *n += 1;
        }
    }
    y = bottom + 8.0;
    for it in &s.iters {
        y += LINE_H;
        let line = iter_line(it, s, slots);
        let _ = write!(
            body,
            r#"<text x="{MARGIN}" y="{y}" class="iterline" font-family="monospace" font-size="12" fill="{}">{}</text>"#,
            iter_color(it.id),
            esc(&line)
        );
        width = width.max(2.0 * MARGIN + 7.3 * line.chars().count() as f64);
    }

    // Legend.
    y += 14.0;
    let mut lx = MARGIN;
    for (c, name) in [
        (0u8, "full (ctrl: H2)"),
        (CTRL_EMPTY, "empty (ctrlEmpty)"),
        (CTRL_DELETED, "deleted (ctrlDeleted, a tombstone)"),
    ] {
        lx = draw::legend_entry(&mut body, lx, y, ctrl_fill(c), name);
    }
    width = width.max(lx);
    let height = y + 14.0 + MARGIN;
    draw::document("swiss", width, height, &body)
}

fn table_attrs(t: &Table) -> String {
    format!(
        r#" data-local-depth="{}" data-index="{}" data-used="{}" data-capacity="{}" data-growth-left="{}""#,
        t.local_depth, t.index, t.used, t.capacity, t.growth_left
    )
}
