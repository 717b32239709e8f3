//! Readable renderings of `hmap` states: one-line-per-array text for counterexamples and the
//! explorer, and an SVG bucket diagram.
//!
//! Cell notation: `k1=v2` a live cell (with `#t` its tophash when the model varies tophash),
//! `_` emptyRest, `.` emptyOne (`_(k1)`, `.(k1)`: the stale key the cell still holds), `X`/`Y` evacuated to the X/Y half, `E` evacuatedEmpty.
//! Overflow buckets follow their bucket after `->`.

use super::types::*;
use super::HmapModel;
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
pub fn cell_text(bm: &Bmap, i: usize, show_top: bool) -> String {
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
pub fn array_text(arr: &BucketArray, bucket_cnt: usize, show_top: bool) -> String {
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
pub fn state_text(s: &HmapState, m: &HmapModel) -> String {
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
pub fn step_text(
    action: &HmapAction,
    out: &Outcome,
    log: &[String],
    next: &HmapState,
    m: &HmapModel,
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

fn cell_color(top: u8) -> &'static str {
    match top {
        EMPTY_REST => "#ffffff",
        EMPTY_ONE => "#e0e0e0",
        EVACUATED_X => "#ffd7a8",
        EVACUATED_Y => "#ffe9a8",
        EVACUATED_EMPTY => "#f3f3d0",
        _ => "#b9e6b9",
    }
}

fn svg_array(out: &mut String, arr: &BucketArray, bc: usize, x0: f64, y0: f64, title: &str) -> f64 {
    let cw = 54.0;
    let ch = 22.0;
    let _ = write!(
        out,
        r#"<text x="{x0}" y="{}" font-size="12" font-weight="bold">{title}</text>"#,
        y0 - 6.0
    );
    let mut y = y0;
    for (c, chain) in arr.iter().enumerate() {
        let _ = write!(
            out,
            r#"<text x="{x0}" y="{}" font-size="11">{c}</text>"#,
            y + 15.0
        );
        let mut x = x0 + 18.0;
        for (d, bm) in chain.iter().enumerate() {
            if d > 0 {
                let _ = write!(
                    out,
                    r#"<line x1="{}" y1="{}" x2="{x}" y2="{}" stroke="black" marker-end="url(#arrow)"/>"#,
                    x - 14.0,
                    y + 11.0,
                    y + 11.0
                );
            }
            let _ = write!(out, r#"<g class="bmap">"#);
            for i in 0..bc {
                let top = bm.tophash[i];
                let _ = write!(
                    out,
                    r#"<rect class="cell" x="{}" y="{y}" width="{cw}" height="{ch}" fill="{}" stroke="black"/><text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>"#,
                    x + i as f64 * cw,
                    cell_color(top),
                    x + i as f64 * cw + cw / 2.0,
                    y + 15.0,
                    cell_text(bm, i, false)
                );
            }
            out.push_str("</g>");
            x += bc as f64 * cw + 18.0;
        }
        y += ch + 6.0;
    }
    y
}

/// An SVG drawing of the state: the bucket arrays with each cell coloured by tophash state,
/// old and new side by side while growing, and the iterators.
pub fn svg(s: &HmapState, m: &HmapModel) -> String {
    let bc = m.params.geo.bucket_cnt;
    let mut body = String::new();
    let mut y = 30.0f64;
    let mut bottom = y;
    if let Some(a) = s.buckets() {
        bottom = bottom.max(svg_array(
            &mut body,
            a,
            bc,
            10.0,
            y,
            &format!("buckets (B={})", s.h.b),
        ));
    }
    if let Some(a) = s.oldbuckets() {
        let x = 10.0 + 18.0 + 3.0 * (bc as f64 * 54.0 + 18.0);
        bottom = bottom.max(svg_array(
            &mut body,
            a,
            bc,
            x,
            y,
            &format!("oldbuckets (nevacuate={})", s.h.nevacuate),
        ));
    }
    y = bottom + 16.0;
    let _ = write!(
        body,
        r#"<text x="10" y="{y}" font-size="12">count={} flags={} noverflow={}</text>"#,
        s.h.count,
        flags_text(s.h.flags),
        s.h.noverflow
    );
    for it in &s.iters {
        y += 16.0;
        let _ = write!(
            body,
            r#"<text x="10" y="{y}" font-size="12">it{}: bucket={} i={} startBucket={} offset={}{}</text>"#,
            it.id,
            it.bucket,
            it.i,
            it.start_bucket,
            it.offset,
            if it.wrapped { " wrapped" } else { "" }
        );
    }
    let width = 10.0 + 2.0 * (18.0 + 3.0 * (bc as f64 * 54.0 + 18.0));
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{}"><defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="8" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z"/></marker></defs>{body}</svg>"#,
        y + 10.0
    )
}
