//! sync.Map histories recorded from real Go (tests/go-oracle/syncmap-history, format
//! `syncmap-history-v1`), checked with the project's linearizability checker
//! ([`gomap_impl::syncmap::history`] against [`SeqSyncMap`], Go's Swap, CompareAndSwap,
//! CompareAndDelete and Clear included) — `gomap syncmap-history` and the sync.Map claims.
//!
//! Each history is checked three ways:
//! - per key (Go's promise, locality): every call restricted to one key, a Range as one read
//!   of each key and a Clear as one delete of each key, each anywhere within the call. A
//!   failure here is a non-linearizable sync.Map;
//! - whole: every call atomic on the whole map, a Range a snapshot (it must yield exactly
//!   the map's content at one instant) and a Clear deleting every key at one instant;
//! - whole with each Range split into per-key reads (Clear still atomic).
//!
//! A history that passes per key but fails whole had a Range that was not a snapshot if it
//! passes with Ranges split, else a Clear that was not atomic.

use crate::gotoolchain;
use gomap_impl::syncmap::conform::{SeqSyncMap, SyncMapConformance, SyncOp, SyncRet, KEYS};
use gomap_impl::syncmap::history::{self, Call};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The header line.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Header {
    pub kind: String,
    pub format: String,
    /// `runtime.Version()`.
    pub go: String,
    /// The operations the recording binary generates.
    pub ops: Vec<String>,
    pub threads: u32,
    pub keys: u32,
    pub seed: i64,
    #[serde(default = "random")]
    pub scenario: String,
}

fn random() -> String {
    "random".into()
}

#[derive(Clone, Debug, Deserialize)]
struct GoCall {
    thread: u32,
    op: String,
    key: Option<u32>,
    value: Option<u32>,
    new: Option<u32>,
    ret: Option<u32>,
    ok: Option<bool>,
    seen: Option<Vec<[i64; 2]>>,
    invoked: u64,
    returned: u64,
}

#[derive(Clone, Debug, Deserialize)]
struct GoHistory {
    kind: String,
    calls: Vec<GoCall>,
}

/// How a history fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Linearizable with Range a snapshot and Clear atomic.
    Clean,
    /// Linearizable per key; a Range was not a snapshot.
    RangeNotSnapshot,
    /// Linearizable per key and with Ranges split; a Clear was not atomic.
    ClearNotAtomic,
    /// Not linearizable per key.
    NotLinearizable,
}

/// One history's calls: Go keys 0.. become k1.., values stay.
pub type Calls = Vec<Call<SyncOp, SyncRet>>;

/// A parsed file.
pub struct HistoryFile {
    pub header: Header,
    pub histories: Vec<Calls>,
}

/// Parses a syncmap-history-v1 file; errors name the line and the field.
pub fn parse(name: &str, text: &str) -> Result<HistoryFile, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, first) = lines
        .next()
        .ok_or_else(|| format!("{name}: empty file (no header line)"))?;
    let header: Header =
        serde_json::from_str(first).map_err(|e| format!("{name}:1: header: {e}"))?;
    if header.kind != "header" || header.format != "syncmap-history-v1" {
        return Err(format!(
            "{name}:1: header.format: expected a syncmap-history-v1 header, got kind {:?} format {:?}",
            crate::text::sanitize(&header.kind, crate::text::MAX_QUOTED_CHARS),
            crate::text::sanitize(&header.format, crate::text::MAX_QUOTED_CHARS)
        ));
    }
    if header.keys == 0 || header.keys > KEYS as u32 {
        return Err(format!(
            "{name}:1: header.keys: {} keys; the checker takes 1..={KEYS}",
            header.keys
        ));
    }
    let mut histories = Vec::new();
    for (i, line) in lines {
        let n = i + 1;
        let h: GoHistory =
            serde_json::from_str(line).map_err(|e| format!("{name}:{n}: history: {e}"))?;
        if h.kind != "history" {
            return Err(format!(
                "{name}:{n}: kind: expected \"history\", got {:?}",
                crate::text::sanitize(&h.kind, crate::text::MAX_QUOTED_CHARS)
            ));
        }
        let mut calls = Vec::with_capacity(h.calls.len());
        for (j, c) in h.calls.iter().enumerate() {
            calls.push(convert(c, header.keys).map_err(|e| format!("{name}:{n}: calls[{j}].{e}"))?);
        }
        let mut tickets: Vec<u64> = calls.iter().flat_map(|c| [c.invoked, c.returned]).collect();
        tickets.sort_unstable();
        if tickets.windows(2).any(|w| w[0] == w[1]) {
            return Err(format!("{name}:{n}: calls: two events share a ticket"));
        }
        histories.push(calls);
    }
    Ok(HistoryFile { header, histories })
}

fn convert(c: &GoCall, keys: u32) -> Result<Call<SyncOp, SyncRet>, String> {
    let key = || -> Result<u8, String> {
        match c.key {
            Some(k) if k < keys => Ok(k as u8 + 1),
            Some(k) => Err(format!("key: {k} is not below header.keys = {keys}")),
            None => Err("key: missing".into()),
        }
    };
    let val = |field: &str, v: Option<u32>| -> Result<u16, String> {
        match v {
            Some(v) if (1..u16::MAX as u32).contains(&v) => Ok(v as u16),
            Some(v) => Err(format!("{field}: {v} is not a value in 1..65535")),
            None => Err(format!("{field}: missing")),
        }
    };
    let ok = || c.ok.ok_or_else(|| "ok: missing".to_string());
    let found = || -> Result<SyncRet, String> {
        Ok(SyncRet::Value(if ok()? {
            Some(val("ret", c.ret)?)
        } else {
            None
        }))
    };
    let (op, ret) = match c.op.as_str() {
        "Load" => (SyncOp::Load(key()?), found()?),
        "Store" => (SyncOp::Store(key()?, val("value", c.value)?), SyncRet::Unit),
        "LoadOrStore" => (
            SyncOp::LoadOrStore(key()?, val("value", c.value)?),
            SyncRet::Actual(val("ret", c.ret)?, ok()?),
        ),
        "LoadAndDelete" => (SyncOp::LoadAndDelete(key()?), found()?),
        "Delete" => (SyncOp::Delete(key()?), SyncRet::Unit),
        "Swap" => (SyncOp::Swap(key()?, val("value", c.value)?), found()?),
        "CompareAndSwap" => (
            SyncOp::CompareAndSwap(key()?, val("value", c.value)?, val("new", c.new)?),
            SyncRet::Done(ok()?),
        ),
        "CompareAndDelete" => (
            SyncOp::CompareAndDelete(key()?, val("value", c.value)?),
            SyncRet::Done(ok()?),
        ),
        "Clear" => (SyncOp::Clear, SyncRet::Unit),
        "Range" => {
            let mut kv: Vec<(u8, u16)> = Vec::new();
            for (y, [k, v]) in c.seen.clone().unwrap_or_default().into_iter().enumerate() {
                if k < 0 || k >= keys as i64 {
                    return Err(format!(
                        "seen[{y}]: key {k} is not below header.keys = {keys}"
                    ));
                }
                let v = val(&format!("seen[{y}]"), u32::try_from(v).ok())?;
                kv.push((k as u8 + 1, v));
            }
            kv.sort_unstable();
            // A key visited twice gets a value no write produces, so that every check fails
            // (Go's Range visits each key at most once).
            let dups: Vec<u8> = kv
                .windows(2)
                .filter(|w| w[0].0 == w[1].0)
                .map(|w| w[0].0)
                .collect();
            kv.dedup_by_key(|p| p.0);
            for (k, v) in &mut kv {
                if dups.contains(k) {
                    *v = u16::MAX;
                }
            }
            (SyncOp::Range, SyncRet::Visited(kv))
        }
        other => {
            return Err(format!(
                "op: unknown operation {:?}",
                crate::text::sanitize(other, crate::text::MAX_QUOTED_CHARS)
            ))
        }
    };
    if c.returned <= c.invoked {
        return Err(format!(
            "returned: ticket {} is not after invoked {}",
            c.returned, c.invoked
        ));
    }
    if c.thread >= 1 << 16 {
        return Err(format!("thread: {} is too large", c.thread));
    }
    Ok(Call {
        thread: c.thread,
        op,
        ret: Some(ret),
        invoked: c.invoked,
        returned: c.returned,
    })
}

/// Whether the whole history is linearizable, with each Range split into per-key reads if
/// `split_ranges` (each on a thread of its own: they overlap the same interval).
fn whole(calls: &Calls, split_ranges: bool) -> bool {
    if !split_ranges {
        return history::linearizable::<SyncMapConformance>(calls);
    }
    let mut out = Vec::with_capacity(calls.len() + 4);
    for c in calls {
        match (&c.op, &c.ret) {
            (SyncOp::Range, Some(SyncRet::Visited(kv))) => {
                for k in 1..=KEYS {
                    let seen = kv.iter().find(|p| p.0 == k).map(|p| p.1);
                    out.push(Call {
                        thread: (1 << 20) + c.thread * 8 + k as u32,
                        op: SyncOp::RangeKey(k),
                        ret: Some(SyncRet::Value(seen)),
                        invoked: c.invoked,
                        returned: c.returned,
                    });
                }
            }
            _ => out.push(c.clone()),
        }
    }
    history::linearizable::<SyncMapConformance>(&out)
}

/// Classifies one history; for a non-linearizable one, also the minimised counterexample.
pub fn classify(calls: &Calls) -> (Class, Option<String>) {
    if let Err(cx) = history::check::<SyncMapConformance>(calls) {
        return (Class::NotLinearizable, Some(cx.to_string()));
    }
    if whole(calls, false) {
        (Class::Clean, None)
    } else if whole(calls, true) {
        (Class::RangeNotSnapshot, None)
    } else {
        (Class::ClearNotAtomic, None)
    }
}

/// The result of checking a file.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub go: String,
    pub scenario: String,
    /// The operations the recording binary generated.
    pub ops: Vec<String>,
    pub histories: usize,
    pub calls: usize,
    /// Calls per operation, over all histories.
    pub op_counts: BTreeMap<String, usize>,
    /// Histories per class.
    pub classes: BTreeMap<String, usize>,
    pub not_linearizable: usize,
    pub range_not_snapshot: usize,
    pub clear_not_atomic: usize,
    /// The first non-linearizable history, minimised.
    pub first_not_linearizable: Option<String>,
    /// The first history with a Range that was not a snapshot.
    pub first_range_not_snapshot: Option<String>,
}

impl Report {
    /// No history failed the per-key check.
    pub fn linearizable(&self) -> bool {
        self.not_linearizable == 0
    }
}

fn op_name(op: &SyncOp) -> &'static str {
    match op {
        SyncOp::Load(_) => "Load",
        SyncOp::Store(..) => "Store",
        SyncOp::LoadOrStore(..) => "LoadOrStore",
        SyncOp::LoadAndDelete(_) => "LoadAndDelete",
        SyncOp::Delete(_) => "Delete",
        SyncOp::Swap(..) => "Swap",
        SyncOp::CompareAndSwap(..) => "CompareAndSwap",
        SyncOp::CompareAndDelete(..) => "CompareAndDelete",
        SyncOp::Range | SyncOp::RangeKey(_) => "Range",
        SyncOp::Clear | SyncOp::ClearKey(_) => "Clear",
    }
}

/// Checks every history of a parsed file.
pub fn check(file: &HistoryFile) -> Report {
    let mut r = Report {
        go: file.header.go.clone(),
        scenario: file.header.scenario.clone(),
        ops: file.header.ops.clone(),
        histories: file.histories.len(),
        calls: 0,
        op_counts: BTreeMap::new(),
        classes: BTreeMap::new(),
        not_linearizable: 0,
        range_not_snapshot: 0,
        clear_not_atomic: 0,
        first_not_linearizable: None,
        first_range_not_snapshot: None,
    };
    for h in &file.histories {
        r.calls += h.len();
        for c in h {
            *r.op_counts.entry(op_name(&c.op).to_string()).or_default() += 1;
        }
        let (class, cx) = classify(h);
        let name = serde_json::to_value(class)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        *r.classes.entry(name).or_default() += 1;
        match class {
            Class::Clean => {}
            Class::RangeNotSnapshot => {
                r.range_not_snapshot += 1;
                r.first_range_not_snapshot
                    .get_or_insert_with(|| history::render(h));
            }
            Class::ClearNotAtomic => r.clear_not_atomic += 1,
            Class::NotLinearizable => {
                r.not_linearizable += 1;
                if r.first_not_linearizable.is_none() {
                    r.first_not_linearizable = cx;
                }
            }
        }
    }
    r
}

/// Largest history file read.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// Reads and checks a file.
pub fn check_file(path: &Path) -> Result<Report, String> {
    let name = crate::text::quoted_path(path);
    let text = gomap_model::framework::spec::read_regular_file(path, MAX_FILE_BYTES)
        .map_err(|e| format!("{name}: {e}"))?;
    Ok(check(&parse(&name, &text)?))
}

/// Records `histories` histories of `scenario` (random | range-vs-stores) with the go
/// command `go` into `out`, building the recorder of `root`/tests/go-oracle/syncmap-history
/// into `out`'s folder.
pub fn record(
    root: &Path,
    go: &Path,
    scenario: &str,
    histories: usize,
    out: &Path,
) -> Result<(), String> {
    let dir = root.join("tests/go-oracle/syncmap-history");
    if !dir.join("main.go").is_file() {
        return Err(format!(
            "{}: no syncmap-history recorder (tests/go-oracle/syncmap-history/main.go)",
            crate::text::quoted_path(root)
        ));
    }
    let parent = out.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let bin = out.with_extension("bin");
    let b = gotoolchain::command(go)
        .args(["build", "-o"])
        .arg(&bin)
        .arg(".")
        .current_dir(&dir)
        .output()
        .map_err(|e| format!("{}: {e}", go.display()))?;
    if !b.status.success() {
        return Err(format!(
            "building tests/go-oracle/syncmap-history failed:\n{}",
            String::from_utf8_lossy(&b.stderr)
        ));
    }
    let r = std::process::Command::new(&bin)
        .args([
            "-scenario",
            scenario,
            "-histories",
            &histories.to_string(),
            "-out",
        ])
        .arg(out)
        .output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let _ = std::fs::remove_file(&bin);
    if !r.status.success() {
        return Err(format!(
            "syncmap-history -scenario {scenario} failed:\n{}",
            String::from_utf8_lossy(&r.stderr)
        ));
    }
    Ok(())
}

/// The report as text.
pub fn text(r: &Report) -> String {
    let mut t = format!(
        "{}: {} histories of scenario {} ({} calls; operations {})\n",
        r.go,
        r.histories,
        r.scenario,
        r.calls,
        r.op_counts
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    t += &format!(
        "  linearizable per key: {} of {}; Range not a snapshot: {}; Clear not atomic: {}\n",
        r.histories - r.not_linearizable,
        r.histories,
        r.range_not_snapshot,
        r.clear_not_atomic
    );
    if let Some(cx) = &r.first_not_linearizable {
        t += &format!("  first non-linearizable history, {cx}");
    }
    if let Some(h) = &r.first_range_not_snapshot {
        t += &format!("  first history with a Range that was not a snapshot:\n{h}");
    }
    t
}

/// The sequential spec the histories are checked against (re-exported for the docs).
pub type Spec = SeqSyncMap;

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = r#"{"kind":"header","format":"syncmap-history-v1","go":"go1.23.9","ops":["Clear","Load","Range","Store"],"threads":2,"keys":2,"seed":1}"#;

    fn file(histories: &[&str]) -> HistoryFile {
        let mut t = HEADER.to_string();
        for h in histories {
            t += &format!("\n{{\"kind\":\"history\",\"i\":0,\"calls\":[{h}]}}");
        }
        parse("t.jsonl", &t).unwrap()
    }

    #[test]
    fn classifies_clean_non_snapshot_and_non_linearizable_histories() {
        // Store k0=1, k1=1; then a Range that saw k0=1 and k1=2 while one goroutine stored
        // 2 to k0 and then to k1: per key fine, no snapshot.
        let setup = r#"{"thread":2,"op":"Store","key":0,"value":1,"invoked":1,"returned":2},{"thread":2,"op":"Store","key":1,"value":1,"invoked":3,"returned":4}"#;
        let not_snapshot = format!(
            r#"{setup},{{"thread":0,"op":"Range","seen":[[0,1],[1,2]],"invoked":5,"returned":10}},{{"thread":1,"op":"Store","key":0,"value":2,"invoked":6,"returned":7}},{{"thread":1,"op":"Store","key":1,"value":2,"invoked":8,"returned":9}}"#
        );
        let snapshot = not_snapshot.replace("[[0,1],[1,2]]", "[[0,2],[1,1]]");
        // A Load after the Store returned that sees nothing.
        let stale = format!(
            r#"{setup},{{"thread":0,"op":"Load","key":0,"ok":false,"invoked":5,"returned":6}}"#
        );
        let f = file(&[&not_snapshot, &snapshot, &stale]);
        let r = check(&f);
        assert_eq!(r.histories, 3);
        assert_eq!(r.range_not_snapshot, 1);
        assert_eq!(r.not_linearizable, 1);
        assert_eq!(r.classes["clean"], 1);
        assert!(r.first_not_linearizable.unwrap().contains("key k1"));
        assert!(r.first_range_not_snapshot.unwrap().contains("Range"));
        // A Clear that removed k0 but not k1 at the instant a Range saw the map.
        let clear = format!(
            r#"{setup},{{"thread":0,"op":"Clear","invoked":5,"returned":8}},{{"thread":1,"op":"Load","key":0,"ok":false,"invoked":6,"returned":7}},{{"thread":1,"op":"Load","key":1,"ok":true,"ret":1,"invoked":9,"returned":10}}"#
        );
        let r = check(&file(&[&clear]));
        assert_eq!(
            r.not_linearizable, 1,
            "a Load after the Clear returned saw k1"
        );
        // Within one Clear, k0 already gone and later k1 still there: fine per key, but no
        // single instant removed both.
        let torn = format!(
            r#"{setup},{{"thread":0,"op":"Clear","invoked":5,"returned":10}},{{"thread":1,"op":"Load","key":0,"ok":false,"invoked":6,"returned":7}},{{"thread":1,"op":"Load","key":1,"ok":true,"ret":1,"invoked":8,"returned":9}}"#
        );
        let r = check(&file(&[&torn]));
        assert_eq!((r.not_linearizable, r.clear_not_atomic), (0, 1));
    }

    #[test]
    fn bad_input_names_the_line_and_field() {
        let e = parse("t.jsonl", "").err().unwrap();
        assert!(e.contains("no header"), "{e}");
        let e = parse("t.jsonl", &HEADER.replace("\"keys\":2", "\"keys\":9"))
            .err()
            .unwrap();
        assert!(e.contains("header.keys"), "{e}");
        let bad = format!(
            "{HEADER}\n{{\"kind\":\"history\",\"calls\":[{{\"thread\":0,\"op\":\"Frob\",\"invoked\":1,\"returned\":2}}]}}"
        );
        let e = parse("t.jsonl", &bad).err().unwrap();
        assert!(e.contains("t.jsonl:2: calls[0].op"), "{e}");
        let bad = format!(
            "{HEADER}\n{{\"kind\":\"history\",\"calls\":[{{\"thread\":0,\"op\":\"Load\",\"key\":5,\"ok\":false,\"invoked\":1,\"returned\":2}}]}}"
        );
        let e = parse("t.jsonl", &bad).err().unwrap();
        assert!(e.contains("calls[0].key"), "{e}");
    }
}
