//! What the explorer's state diagrams share (`hmap`'s bucket arrays, `swiss`'s directory,
//! tables and groups): escaping, the document with its background and arrow marker, the
//! iterator colours and marks, the red line naming a violated property, legend entries, and
//! key sets as text.

use std::fmt::Write;

/// Colours of iterator marks, by iterator id.
pub const ITER_COLORS: [&str; 4] = ["#1f5fd6", "#c2188f", "#0a8a8a", "#7a4a00"];

/// The colour of iterator `id`.
pub fn iter_color(id: u8) -> &'static str {
    ITER_COLORS[id as usize % ITER_COLORS.len()]
}

/// Text escaped for SVG character data and attribute values.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The whole drawing: an `<svg>` of class `class` (the tests look it up by that class) with
/// an arrow marker (`url(#arrow)`) and a light background under `body`.
pub fn document(class: &str, width: f64, height: f64, body: &str) -> String {
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="{class}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12"><defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="8" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#333"/></marker></defs><rect class="background" x="0" y="0" width="{width}" height="{height}" fill="#fdfdf8"/>{body}</svg>"##
    )
}

/// The red line naming an `always` property the drawn state violates (class `violation`).
pub fn violation(out: &mut String, x: f64, y: f64, property: &str) {
    let _ = write!(
        out,
        r##"<text x="{x}" y="{y}" class="violation" fill="#c00000" font-weight="bold">violates {}</text>"##,
        esc(property)
    );
}

/// One legend entry (a swatch and its name) at (x, y); returns the x of the next one.
pub fn legend_entry(out: &mut String, x: f64, y: f64, fill: &str, name: &str) -> f64 {
    let _ = write!(
        out,
        r##"<g class="legend"><rect x="{x}" y="{y}" width="14" height="14" fill="{fill}" stroke="#333"/><text x="{}" y="{}" font-size="11">{}</text></g>"##,
        x + 18.0,
        y + 11.0,
        esc(name)
    );
    x + 26.0 + 7.0 * name.len() as f64
}

/// The mark of iterator `id` on the cell at (x, y) of size w x h: a frame in its colour,
/// inset by how many marks the cell already has (`nth`, from 0), with its name above.
#[allow(clippy::too_many_arguments)]
pub fn iter_mark(out: &mut String, id: u8, x: f64, y: f64, w: f64, h: f64, nth: usize, name: &str) {
    let color = iter_color(id);
    let inset = 2.0 + 3.0 * nth as f64;
    let _ = write!(
        out,
        r#"<g class="iter" id="it{id}-mark"><rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="{color}" stroke-width="3"/><text x="{}" y="{}" font-size="9" font-weight="bold" fill="{color}">{}</text></g>"#,
        x + inset,
        y + inset,
        w - 2.0 * inset,
        h - 2.0 * inset,
        x + 3.0 + 22.0 * nth as f64,
        y - 2.5,
        esc(name)
    );
}

/// Keys as a set, from key bits (key k is bit k-1): `{k1,k3}`.
pub fn key_set(bits: u64) -> String {
    let keys: Vec<String> = (0..64)
        .filter(|b| bits & (1u64 << b) != 0)
        .map(|b| format!("k{}", b + 1))
        .collect();
    format!("{{{}}}", keys.join(","))
}
