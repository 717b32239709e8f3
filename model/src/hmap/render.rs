//! Readable renderings of `hmap` states: one-line-per-array text for counterexamples and the
//! explorer, the state's `Debug` text, and an SVG bucket diagram for the explorer.
//!
//! Cell notation: `k1=v2` a live cell (with `#t` its tophash when the model varies tophash),
//! `_` emptyRest, `.` emptyOne (`_(k1)`, `.(k1)`: the stale key the cell still holds), `X`/`Y`
//! evacuated to the X/Y half, `E` evacuatedEmpty. Overflow buckets follow their bucket after
//! `->`.
//!
//! The SVG ([`svg`]) gives its parts classes that tests count: `bucket` for each main bucket
//! of `h.buckets`, `oldbucket` for each main bucket of `h.oldbuckets`, `retiredbucket` for a
//! main bucket of an array only an iterator still holds, `overflow` for every overflow bmap,
//! `cell` plus the tophash state (`live`, `emptyOne`, `emptyRest`, `evacuatedX`,
//! `evacuatedY`, `evacuatedEmpty`) for each slot, `nevacuate` for the evacuation mark,
//! `iter` for the mark on the cell an iterator last yielded from, and `violation` for each
//! `always` property the state violates. Cells have ids `new-C-D-S`, `old-C-D-S` (chain,
//! depth in the chain, slot).

use super::state::*;
use super::HmapModel;
use crate::framework::iter_ghost::abs_text;
use crate::framework::svg::{self as draw, esc, iter_color};
use std::fmt::Write;

fn flags_text(flags: u8) -> String {
    let mut v = Vec::new();
    for (bit, name) in [
        (ITERATOR, "iterator"),
        (OLD_ITERATOR, "oldIterator"),
        (HASH_WRITING, "hashWriting"),
        (SAME_SIZE_GROW, "sameSizeGrow"),
    ] {
        if flags & bit != 0 {
            v.push(name);
        }
    }
    if v.is_empty() {
        "0".into()
    } else {
        v.join("|")
    }
}

/// One cell in the notation above.
pub fn cell_text<const N: usize>(bm: &Bmap<N>, i: usize, show_top: bool) -> String {
    let stale = |mark: &str| {
        if bm.keys[i] == 0 && bm.elems[i] == 0 {
            mark.to_string()
        } else {
            // Raw memory the cell still holds (Go clears the elem on delete, not a uint64 key).
            format!("{mark}(k{})", bm.keys[i])
        }
    };
    match bm.tophash[i] {
        EMPTY_REST => stale("_"),
        EMPTY_ONE => stale("."),
        EVACUATED_X => "X".into(),
        EVACUATED_Y => "Y".into(),
        EVACUATED_EMPTY => "E".into(),
        t if show_top => format!("k{}#{}=v{}", bm.keys[i], t, bm.elems[i]),
        _ => format!("k{}=v{}", bm.keys[i], bm.elems[i]),
    }
}

/// A bucket array on one line: `[0: k1=v1 _] [1: . k2=v1 -> k3=v1 _]`.
pub fn array_text<const N: usize>(
    arr: &BucketArray<N>,
    bucket_cnt: usize,
    show_top: bool,
) -> String {
    let mut out = String::new();
    for (c, chain) in arr.iter().enumerate() {
        if c > 0 {
            out.push(' ');
        }
        let _ = write!(out, "[{c}:");
        for (d, bm) in chain.iter().enumerate() {
            if d > 0 {
                out.push_str(" ->");
            }
            for i in 0..bucket_cnt {
                out.push(' ');
                out.push_str(&cell_text(bm, i, show_top));
            }
        }
        out.push(']');
    }
    out
}

/// The whole state, a few lines.
pub fn state_text<const N: usize>(s: &HmapState<N>, m: &HmapModel<N>) -> String {
    let bc = m.params.geo.bucket_cnt;
    let show_top = m.params.tophash_values > 1;
    let h = &s.h;
    let mut out = format!(
        "count={} B={} flags={} noverflow={} hash0={} nevacuate={}",
        h.count,
        h.b,
        flags_text(h.flags),
        h.noverflow,
        h.hash0,
        h.nevacuate
    );
    if h.prealloc_left > 0 {
        let _ = write!(out, " prealloc_left={}", h.prealloc_left);
    }
    let hashes: Vec<String> = s
        .hashes
        .iter()
        .map(|(k, v)| format!("k{k}->{:#x}", v))
        .collect();
    let _ = write!(out, "\n  hashes: {}", hashes.join(" "));
    match s.buckets() {
        Some(a) => {
            let _ = write!(out, "\n  buckets:    {}", array_text(a, bc, show_top));
        }
        None => out.push_str("\n  buckets:    nil"),
    }
    if let Some(a) = s.oldbuckets() {
        let _ = write!(out, "\n  oldbuckets: {}", array_text(a, bc, show_top));
    }
    for it in &s.iters {
        let arr = if Some(it.buckets) == h.buckets {
            "buckets".to_string()
        } else if Some(it.buckets) == h.oldbuckets {
            "oldbuckets".to_string()
        } else {
            format!(
                "retired array {}",
                array_text(s.array(it.buckets), bc, show_top)
            )
        };
        let _ = write!(
            out,
            "\n  it{}: it.B={} it.buckets={} startBucket={} offset={} bucket={} i={}{}{}",
            it.id,
            it.b,
            arr,
            it.start_bucket,
            it.offset,
            it.bucket,
            it.i,
            if it.wrapped { " wrapped" } else { "" },
            match it.check_bucket {
                Some(c) => format!(" checkBucket={c}"),
                None => String::new(),
            }
        );
    }
    out
}

/// A step for the explorer: the action, Go's internal steps, what the program saw.
pub fn step_text<const N: usize>(
    action: &HmapAction,
    out: &Outcome,
    log: &[String],
    next: &HmapState<N>,
    m: &HmapModel<N>,
) -> String {
    let mut s = action.to_string();
    for l in log {
        let _ = write!(s, "\n  -> {l}");
    }
    let o = outcome_text(out);
    if !o.is_empty() {
        let _ = write!(s, "\n  = {o}");
    }
    let _ = write!(s, "\n{}", state_text(next, m));
    s
}

/// What the Go program observed, or "" for nothing.
pub fn outcome_text(out: &Outcome) -> String {
    match out {
        Outcome::None => String::new(),
        Outcome::Access { elem, found } => {
            if *found {
                format!("(v{elem}, true)")
            } else {
                format!("({elem}, false)")
            }
        }
        Outcome::Yield {
            iter,
            kv: Some((k, v)),
        } => format!("it{iter} yields (k{k}, v{v})"),
        Outcome::Yield { iter, kv: None } => format!("it{iter} done"),
    }
}

impl<const N: usize> std::fmt::Debug for HmapState<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&debug_text(self))
    }
}

/// The `Debug` text of a state (`impl Debug for HmapState`), for the explorer's state panel and
/// assertion failures. It has no model at hand, so it cannot know bucketCnt: each bmap shows
/// its slots up to the last one holding anything, then `_*` when the rest (up to Go's 8) are
/// all zero (emptyRest with no stale data). Nothing else is left out, so distinct states have
/// distinct texts (the explorer compares states by this text).
pub fn debug_text<const N: usize>(s: &HmapState<N>) -> String {
    let h = &s.h;
    let mut out = format!(
        "count={} B={} flags={} noverflow={} hash0={} nevacuate={} buckets={} oldbuckets={}",
        h.count,
        h.b,
        flags_text(h.flags),
        h.noverflow,
        h.hash0,
        h.nevacuate,
        array_name(h.buckets),
        array_name(h.oldbuckets),
    );
    if h.prealloc_left > 0 {
        let _ = write!(out, " prealloc_left={}", h.prealloc_left);
    }
    let hashes: Vec<String> = s
        .hashes
        .iter()
        .map(|(k, v)| format!("k{k}->{v:#x}"))
        .collect();
    let _ = write!(out, "\nhashes: {}", hashes.join(" "));
    for (id, arr) in s.arrays.iter().enumerate() {
        let role = if Some(id as ArrayId) == h.buckets {
            " (buckets)"
        } else if Some(id as ArrayId) == h.oldbuckets {
            " (oldbuckets)"
        } else {
            ""
        };
        let _ = write!(out, "\narray {id}{role}: ");
        for (c, chain) in arr.iter().enumerate() {
            if c > 0 {
                out.push(' ');
            }
            let _ = write!(out, "[{c}:");
            for (d, bm) in chain.iter().enumerate() {
                if d > 0 {
                    out.push_str(" ->");
                }
                let used = (0..N)
                    .rev()
                    .find(|&i| bm.tophash[i] != 0 || bm.keys[i] != 0 || bm.elems[i] != 0)
                    .map_or(0, |i| i + 1);
                for i in 0..used {
                    out.push(' ');
                    out.push_str(&cell_text(bm, i, true));
                }
                if used < MAX_BUCKET_CNT {
                    out.push_str(" _*");
                }
            }
            out.push(']');
        }
    }
    for it in &s.iters {
        let _ = write!(
            out,
            "\nit{}: buckets=array {} it.B={} bptr={} startBucket={} offset={} bucket={} i={}{}{} {}",
            it.id,
            it.buckets,
            it.b,
            match it.bptr {
                Some(Bptr::Bmap(p)) =>
                    format!("array {} bucket {} overflow {}", p.array, p.chain, p.depth),
                Some(Bptr::FreeOverflow { array, slot }) =>
                    format!("array {array} preallocated overflow bucket {slot} (unlinked, zeroed)"),
                None => "nil".into(),
            },
            it.start_bucket,
            it.offset,
            it.bucket,
            it.i,
            if it.wrapped { " wrapped" } else { "" },
            match it.check_bucket {
                Some(c) => format!(" checkBucket={c}"),
                None => String::new(),
            },
            it.ghost,
        );
    }
    let _ = write!(
        out,
        "\nops={} next_iter_id={} ghost: abstract map {{{}}} violations={:#x} events={:#x} grow_works={}",
        s.ops,
        s.next_iter_id,
        abs_text(&s.ghost.abs),
        s.ghost.violations,
        s.ghost.events,
        s.ghost.grow_works
    );
    out
}

fn array_name(a: Option<ArrayId>) -> String {
    match a {
        Some(id) => format!("array {id}"),
        None => "nil".into(),
    }
}

/// The class (and legend name) of a tophash state.
fn cell_class(top: u8) -> &'static str {
    match top {
        EMPTY_REST => "emptyRest",
        EMPTY_ONE => "emptyOne",
        EVACUATED_X => "evacuatedX",
        EVACUATED_Y => "evacuatedY",
        EVACUATED_EMPTY => "evacuatedEmpty",
        _ => "live",
    }
}

fn cell_fill(top: u8) -> &'static str {
    match top {
        EMPTY_REST => "#ffffff",
        EMPTY_ONE => "#d0d0d0",
        EVACUATED_X => "#f6b26b",
        EVACUATED_Y => "#ffe066",
        EVACUATED_EMPTY => "#d5c8ee",
        _ => "#8fd19e",
    }
}

// Geometry of the diagram, in pixels.
const MARGIN: f64 = 10.0;
const CELL_W: f64 = 58.0;
const CELL_H: f64 = 26.0;
const ROW_GAP: f64 = 12.0;
const LABEL_W: f64 = 28.0;
const CHAIN_GAP: f64 = 24.0;
const COLUMN_GAP: f64 = 40.0;
const LINE_H: f64 = 16.0;
/// From a column's top to its first row: the title, and room for iterator labels.
const FIRST_ROW: f64 = 26.0;

/// The role of a drawn array: the class of its main buckets and the prefix of its cell ids.
#[derive(Clone, Copy)]
enum Role {
    New,
    Old,
    Retired,
}

impl Role {
    fn class(self) -> &'static str {
        match self {
            Role::New => "bucket",
            Role::Old => "oldbucket",
            Role::Retired => "retiredbucket",
        }
    }
    fn id_prefix(self) -> &'static str {
        match self {
            Role::New => "new",
            Role::Old => "old",
            Role::Retired => "retired",
        }
    }
}

/// Where each drawn cell is: (array, chain, depth, slot) -> top-left corner.
type CellPos = std::collections::BTreeMap<(ArrayId, usize, usize, usize), (f64, f64)>;

fn array_width<const N: usize>(arr: &BucketArray<N>, bc: usize) -> f64 {
    let longest = arr.iter().map(|c| c.len()).max().unwrap_or(1).max(1) as f64;
    LABEL_W + longest * bc as f64 * CELL_W + (longest - 1.0) * CHAIN_GAP
}

/// The width a column needs: its cells, or its bold title (about 7.5 px a character).
fn column_width<const N: usize>(arr: &BucketArray<N>, bc: usize, title: &str) -> f64 {
    array_width(arr, bc).max(7.5 * title.len() as f64)
}

/// Draws one bucket array with its title at (x0, y0); returns the y below it.
#[allow(clippy::too_many_arguments)]
fn svg_array<const N: usize>(
    out: &mut String,
    pos: &mut CellPos,
    id: ArrayId,
    arr: &BucketArray<N>,
    role: Role,
    bc: usize,
    show_top: bool,
    x0: f64,
    y0: f64,
    title: &str,
) -> f64 {
    let _ = write!(
        out,
        r#"<text x="{x0}" y="{}" font-weight="bold">{}</text>"#,
        y0 + 12.0,
        esc(title)
    );
    let mut y = y0 + FIRST_ROW;
    for (c, chain) in arr.iter().enumerate() {
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" text-anchor="end" fill="#555">{c}</text>"##,
            x0 + LABEL_W - 6.0,
            y + 17.0
        );
        let mut x = x0 + LABEL_W;
        for (d, bm) in chain.iter().enumerate() {
            if d > 0 {
                let _ = write!(
                    out,
                    r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#333" stroke-width="1.5" marker-end="url(#arrow)"/>"##,
                    x - CHAIN_GAP + 2.0,
                    y + CELL_H / 2.0,
                    x - 3.0,
                    y + CELL_H / 2.0
                );
            }
            let class = if d == 0 { role.class() } else { "overflow" };
            let _ = write!(
                out,
                r#"<g class="{class}" data-chain="{c}" data-depth="{d}">"#
            );
            for i in 0..bc {
                let top = bm.tophash[i];
                let cx = x + i as f64 * CELL_W;
                pos.insert((id, c, d, i), (cx, y));
                let (text, faded) = svg_cell_text(bm, i, show_top);
                let tip = format!(
                    "{} {c}{} slot {i}: tophash {top} ({}), key {}, elem {}",
                    match role {
                        Role::New => "bucket",
                        Role::Old => "old bucket",
                        Role::Retired => "retired bucket",
                    },
                    if d > 0 {
                        format!(" overflow {d}")
                    } else {
                        String::new()
                    },
                    cell_class(top),
                    bm.keys[i],
                    bm.elems[i]
                );
                let _ = write!(
                    out,
                    r##"<g class="cell {}" id="{}-{c}-{d}-{i}"><title>{}</title><rect x="{cx}" y="{y}" width="{CELL_W}" height="{CELL_H}" fill="{}" stroke="#333"/><text x="{}" y="{}" text-anchor="middle" font-family="monospace" font-size="11" fill="{}">{}</text></g>"##,
                    cell_class(top),
                    role.id_prefix(),
                    esc(&tip),
                    cell_fill(top),
                    cx + CELL_W / 2.0,
                    y + 17.0,
                    if faded { "#777" } else { "#000" },
                    esc(&text)
                );
            }
            // A thicker frame around the whole bmap.
            let _ = write!(
                out,
                r##"<rect x="{x}" y="{y}" width="{}" height="{CELL_H}" fill="none" stroke="#000" stroke-width="2"/></g>"##,
                bc as f64 * CELL_W
            );
            x += bc as f64 * CELL_W + CHAIN_GAP;
        }
        y += CELL_H + ROW_GAP;
    }
    y
}

/// A cell's label in the diagram and whether it is stale memory (drawn faded).
fn svg_cell_text<const N: usize>(bm: &Bmap<N>, i: usize, show_top: bool) -> (String, bool) {
    let (k, e, top) = (bm.keys[i], bm.elems[i], bm.tophash[i]);
    match top {
        EMPTY_REST | EMPTY_ONE | EVACUATED_EMPTY => {
            if k == 0 && e == 0 {
                (String::new(), false)
            } else {
                (format!("(k{k})"), true)
            }
        }
        // An evacuated cell keeps its key and elem for iterators that started before the grow.
        EVACUATED_X | EVACUATED_Y => (
            format!("{}:k{k}", if top == EVACUATED_X { 'X' } else { 'Y' }),
            true,
        ),
        t if show_top => (format!("k{k}#{t}=v{e}"), false),
        _ => (format!("k{k}=v{e}"), false),
    }
}

/// An SVG drawing of the state: the header fields, `h.buckets` and (while growing)
/// `h.oldbuckets` side by side with the nevacuate mark, any array only an iterator still holds,
/// every slot coloured by its tophash state, the cell each iterator last yielded from, the
/// `always` properties the state violates, and a legend.
pub fn svg<const N: usize>(s: &HmapState<N>, m: &HmapModel<N>) -> String {
    let bc = m.params.geo.bucket_cnt;
    let show_top = m.params.tophash_values > 1;
    let h = &s.h;
    let mut body = String::new();
    let mut pos = CellPos::new();

    let mut y = MARGIN + 12.0;
    let _ = write!(
        body,
        r#"<text x="{MARGIN}" y="{y}" class="header" font-family="monospace">count={} B={} flags={} noverflow={} hash0={} nevacuate={}</text>"#,
        h.count,
        h.b,
        esc(&flags_text(h.flags)),
        h.noverflow,
        h.hash0,
        h.nevacuate
    );
    let hashes: Vec<String> = s
        .hashes
        .iter()
        .map(|(k, v)| format!("k{k}: {:#x} (tophash {})", v & 0xff, tophash(*v)))
        .collect();
    y += LINE_H;
    let _ = write!(
        body,
        r##"<text x="{MARGIN}" y="{y}" font-family="monospace" font-size="11" fill="#444">hash low bits: {}</text>"##,
        esc(&hashes.join("  "))
    );

    // Violated `always` properties, in red, so a counterexample's last state says what is wrong.
    for &i in &m.selected {
        let p = &super::properties::Props::<N>::ALL[i];
        if p.kind == super::Kind::Always && !(p.check)(m, s) {
            y += LINE_H + 2.0;
            draw::violation(&mut body, MARGIN, y, p.name);
        }
    }

    let top_y = y + 10.0;
    let mut x = MARGIN;
    let mut bottom = top_y;
    match h.buckets {
        Some(id) => {
            let arr = s.array(id);
            let title = format!("buckets: 2^{} = {} chains", h.b, arr.len());
            bottom = bottom.max(svg_array(
                &mut body,
                &mut pos,
                id,
                arr,
                Role::New,
                bc,
                show_top,
                x,
                top_y,
                &title,
            ));
            x += column_width(arr, bc, &title) + COLUMN_GAP;
        }
        None => {
            let _ = write!(
                body,
                r#"<text x="{x}" y="{}" font-weight="bold">buckets: nil (allocated by the first mapassign)</text>"#,
                top_y + 12.0
            );
            bottom = bottom.max(top_y + 20.0);
            x += 320.0;
        }
    }
    if let Some(id) = h.oldbuckets {
        let arr = s.array(id);
        let title = format!(
            "oldbuckets: {} chains, {} grow, nevacuate={}",
            arr.len(),
            if h.same_size_grow() {
                "same-size"
            } else {
                "doubling"
            },
            h.nevacuate
        );
        let end = svg_array(
            &mut body,
            &mut pos,
            id,
            arr,
            Role::Old,
            bc,
            show_top,
            x,
            top_y,
            &title,
        );
        bottom = bottom.max(end);
        // Old buckets below nevacuate have all been evacuated.
        let w = array_width(arr, bc);
        let my = top_y + FIRST_ROW + h.nevacuate as f64 * (CELL_H + ROW_GAP) - ROW_GAP / 2.0;
        let _ = write!(
            body,
            r##"<g class="nevacuate"><line x1="{x}" y1="{my}" x2="{}" y2="{my}" stroke="#c00000" stroke-width="2" stroke-dasharray="6 3"/><text x="{}" y="{}" fill="#c00000" font-size="11">nevacuate={}</text></g>"##,
            x + w + 6.0,
            x + w + 8.0,
            my + 4.0,
            h.nevacuate
        );
        x += column_width(arr, bc, &title).max(w + 80.0) + COLUMN_GAP;
    }
    // Arrays only iterators still hold (started before a grow that has since finished).
    let mut retired: Vec<ArrayId> = s
        .iters
        .iter()
        .map(|it| it.buckets)
        .chain(s.iters.iter().filter_map(|it| it.bptr.map(|p| p.array())))
        .filter(|id| Some(*id) != h.buckets && Some(*id) != h.oldbuckets)
        .collect();
    retired.sort_unstable();
    retired.dedup();
    for id in retired {
        let arr = s.array(id);
        let holders: Vec<String> = s
            .iters
            .iter()
            .filter(|it| it.buckets == id)
            .map(|it| format!("it{}", it.id))
            .collect();
        let title = format!("retired array held by {}", holders.join(", "));
        let end = svg_array(
            &mut body,
            &mut pos,
            id,
            arr,
            Role::Retired,
            bc,
            show_top,
            x,
            top_y,
            &title,
        );
        bottom = bottom.max(end);
        x += column_width(arr, bc, &title) + COLUMN_GAP;
    }
    let mut width = x;

    // Iterators: a frame on the cell each last yielded from (bptr, slot (i-1+offset) mod
    // bucketCnt), and a line of their fields.
    let mut marks_at: std::collections::BTreeMap<(i64, i64), usize> = Default::default();
    for it in &s.iters {
        let Some(Bptr::Bmap(p)) = it.bptr else {
            continue;
        };
        if it.i == 0 {
            continue;
        }
        let slot = (it.i as usize - 1 + it.offset as usize) & (bc - 1);
        let Some(&(cx, cy)) = pos.get(&(p.array, p.chain as usize, p.depth as usize, slot)) else {
            continue;
        };
        let n = marks_at.entry((cx as i64, cy as i64)).or_insert(0);
        draw::iter_mark(
            &mut body,
            it.id,
            cx,
            cy,
            CELL_W,
            CELL_H,
            *n,
            &format!("it{}", it.id),
        );
        *n += 1;
    }
    y = bottom + 8.0;
    for it in &s.iters {
        let color = iter_color(it.id);
        let arr = if Some(it.buckets) == h.buckets {
            "buckets"
        } else if Some(it.buckets) == h.oldbuckets {
            "oldbuckets"
        } else {
            "a retired array"
        };
        y += LINE_H;
        let _ = write!(
            body,
            r#"<text x="{MARGIN}" y="{y}" class="iterline" font-family="monospace" font-size="12" fill="{color}">it{}: walks {arr} (it.B={}), startBucket={} offset={}, next bucket={} i={}{}{}</text>"#,
            it.id,
            it.b,
            it.start_bucket,
            it.offset,
            it.bucket,
            it.i,
            if it.wrapped { " wrapped" } else { "" },
            match it.check_bucket {
                Some(c) => format!(" checkBucket={c}"),
                None => String::new(),
            }
        );
    }

    // Legend.
    y += 14.0;
    let mut lx = MARGIN;
    for top in [
        MIN_TOP_HASH,
        EMPTY_ONE,
        EMPTY_REST,
        EVACUATED_X,
        EVACUATED_Y,
        EVACUATED_EMPTY,
    ] {
        lx = draw::legend_entry(&mut body, lx, y, cell_fill(top), cell_class(top));
    }
    width = width.max(lx).max(560.0);
    let height = y + 14.0 + MARGIN;
    draw::document("hmap", width, height, &body)
}
