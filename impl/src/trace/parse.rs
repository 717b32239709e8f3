//! Reading delta-v1 traces: a file ([`parse_trace`], at most [`MAX_TRACE_BYTES`], regular
//! files only) or text ([`parse_trace_str`]), one JSON line at a time with serde_json,
//! then field by field (`Ctx`'s readers), so that every error names the file, the line
//! and the field path. Not a port of Go code: the recorder (tests/go-oracle/) writes
//! what Go's `hmap` and `bmap` hold.
//!
//! # Invariants
//! - Integers are exact `u64` (a float or a number beyond u64 is an error, never read
//!   through f64); every slot array has `bucketCnt` (8) entries; B is at most
//!   [`MAX_TRACE_B`] (and never beyond Go's [`GO_MAX_B`]), a `make` hint at most
//!   [`MAX_TRACE_HINT`], so a replay never allocates more than it should.
//! - The first line is the header (a classic-map Go release, uint64/uint64, delta-v1,
//!   144-byte buckets), op lines are numbered from 0, and there is at least one op.
//! - A returned [`Trace`] has passed validate.rs's `check_structure`, so it decodes.

use std::path::Path;

use serde_json::{Map, Value};

use super::validate::check_structure;
use super::{
    BucketsBase, Ctx, Delta, OldBucketsBase, Trace, TraceError, TraceErrorKind, TraceHeader,
    TraceOp, TraceOpKind, TraceState, BUCKET_CNT, BUCKET_SIZE, FORMAT,
};
use crate::goversion::GoVersion;
use crate::map::{BmapSnapshot, Chain};

/// Largest trace file read (the biggest recorded trace is a few MB).
pub const MAX_TRACE_BYTES: u64 = 256 << 20;

/// Reads a regular file of at most [`MAX_TRACE_BYTES`]: a device, FIFO or socket is refused
/// (it could block or never end), with what the path is.
fn read_trace_file(path: &Path) -> Result<String, String> {
    use std::io::Read;
    use std::os::unix::fs::FileTypeExt;
    let m = std::fs::metadata(path).map_err(|e| match std::fs::symlink_metadata(path) {
        Ok(l) if l.file_type().is_symlink() && e.raw_os_error() == Some(40) => {
            "is a symlink loop (too many levels of symbolic links)".to_string()
        }
        _ => e.to_string(),
    })?;
    let t = m.file_type();
    if !t.is_file() {
        return Err(if t.is_fifo() {
            "is a FIFO (named pipe), not a regular file"
        } else if t.is_char_device() || t.is_block_device() {
            "is a device, not a regular file"
        } else if t.is_dir() {
            "is a folder, not a trace file"
        } else {
            "is not a regular file"
        }
        .to_string());
    }
    if m.len() > MAX_TRACE_BYTES {
        return Err(format!(
            "is {} bytes, more than the {MAX_TRACE_BYTES} bytes allowed",
            m.len()
        ));
    }
    let mut buf = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_TRACE_BYTES + 1).read_to_end(&mut buf))
        .map_err(|e| e.to_string())?;
    if buf.len() as u64 > MAX_TRACE_BYTES {
        return Err(format!("is more than the {MAX_TRACE_BYTES} bytes allowed"));
    }
    String::from_utf8(buf).map_err(|e| format!("is not UTF-8 text ({e})"))
}

/// Reads and parses the trace at `path`.
pub fn parse_trace(path: &Path) -> Result<Trace, TraceError> {
    let source = path.display().to_string();
    let text = read_trace_file(path).map_err(|message| TraceError {
        file: source.clone(),
        line: 0,
        field: String::new(),
        kind: TraceErrorKind::Io,
        message,
    })?;
    parse_trace_str(&source, &text)
}

impl Ctx<'_> {
    fn get<'v>(
        &self,
        obj: &'v Map<String, Value>,
        prefix: &str,
        name: &str,
    ) -> Result<&'v Value, TraceError> {
        obj.get(name).ok_or_else(|| {
            self.err(
                TraceErrorKind::MissingField,
                &join(prefix, name),
                "required field is absent",
            )
        })
    }

    fn u64_at(&self, v: &Value, path: &str) -> Result<u64, TraceError> {
        match v {
            Value::Number(n) => n.as_u64().ok_or_else(|| {
                self.err(
                    TraceErrorKind::BadValue,
                    path,
                    format!("{n} is not an unsigned 64-bit integer"),
                )
            }),
            other => Err(self.err(
                TraceErrorKind::BadValue,
                path,
                format!("expected an unsigned integer, found {}", kind_of(other)),
            )),
        }
    }

    fn uint_at(&self, v: &Value, path: &str, max: u64) -> Result<u64, TraceError> {
        let x = self.u64_at(v, path)?;
        if x > max {
            return Err(self.err(
                TraceErrorKind::BadValue,
                path,
                format!("{x} is out of range (max {max})"),
            ));
        }
        Ok(x)
    }

    fn u64(&self, obj: &Map<String, Value>, prefix: &str, name: &str) -> Result<u64, TraceError> {
        self.u64_at(self.get(obj, prefix, name)?, &join(prefix, name))
    }

    fn uint(
        &self,
        obj: &Map<String, Value>,
        prefix: &str,
        name: &str,
        max: u64,
    ) -> Result<u64, TraceError> {
        self.uint_at(self.get(obj, prefix, name)?, &join(prefix, name), max)
    }

    fn str<'v>(
        &self,
        obj: &'v Map<String, Value>,
        prefix: &str,
        name: &str,
    ) -> Result<&'v str, TraceError> {
        match self.get(obj, prefix, name)? {
            Value::String(s) => Ok(s),
            other => Err(self.err(
                TraceErrorKind::BadValue,
                &join(prefix, name),
                format!("expected a string, found {}", kind_of(other)),
            )),
        }
    }

    fn bool(&self, obj: &Map<String, Value>, prefix: &str, name: &str) -> Result<bool, TraceError> {
        match self.get(obj, prefix, name)? {
            Value::Bool(b) => Ok(*b),
            other => Err(self.err(
                TraceErrorKind::BadValue,
                &join(prefix, name),
                format!("expected a boolean, found {}", kind_of(other)),
            )),
        }
    }

    fn array<'v>(&self, v: &'v Value, path: &str) -> Result<&'v Vec<Value>, TraceError> {
        match v {
            Value::Array(a) => Ok(a),
            other => Err(self.err(
                TraceErrorKind::BadValue,
                path,
                format!("expected an array, found {}", kind_of(other)),
            )),
        }
    }

    fn object<'v>(&self, v: &'v Value, path: &str) -> Result<&'v Map<String, Value>, TraceError> {
        match v {
            Value::Object(o) => Ok(o),
            other => Err(self.err(
                TraceErrorKind::BadValue,
                path,
                format!("expected an object, found {}", kind_of(other)),
            )),
        }
    }

    fn slots<T>(
        &self,
        obj: &Map<String, Value>,
        prefix: &str,
        name: &str,
        max: u64,
        conv: impl Fn(u64) -> T,
    ) -> Result<Vec<T>, TraceError> {
        let path = join(prefix, name);
        let a = self.array(self.get(obj, prefix, name)?, &path)?;
        if a.len() != BUCKET_CNT {
            return Err(self.err(
                TraceErrorKind::BadValue,
                &path,
                format!("expected {BUCKET_CNT} slots, found {}", a.len()),
            ));
        }
        a.iter()
            .enumerate()
            .map(|(j, v)| Ok(conv(self.uint_at(v, &format!("{path}[{j}]"), max)?)))
            .collect()
    }

    fn chain(&self, v: &Value, path: &str) -> Result<Chain<u64, u64>, TraceError> {
        let a = self.array(v, path)?;
        if a.is_empty() {
            return Err(self.err(
                TraceErrorKind::BadValue,
                path,
                "a chain has at least its main bucket",
            ));
        }
        a.iter()
            .enumerate()
            .map(|(j, bv)| {
                let p = format!("{path}[{j}]");
                let o = self.object(bv, &p)?;
                Ok(BmapSnapshot {
                    tophash: self.slots(o, &p, "tophash", u8::MAX as u64, |x| x as u8)?,
                    keys: self.slots(o, &p, "keys", u64::MAX, |x| x)?,
                    elems: self.slots(o, &p, "elems", u64::MAX, |x| x)?,
                })
            })
            .collect()
    }

    fn delta(
        &self,
        obj: &Map<String, Value>,
        prefix: &str,
        name: &str,
    ) -> Result<Delta, TraceError> {
        let path = join(prefix, name);
        let a = self.array(self.get(obj, prefix, name)?, &path)?;
        let mut out = Vec::with_capacity(a.len());
        for (n, entry) in a.iter().enumerate() {
            let p = format!("{path}[{n}]");
            let pair = self.array(entry, &p)?;
            if pair.len() != 2 {
                return Err(self.err(
                    TraceErrorKind::BadValue,
                    &p,
                    format!("expected [idx, CHAIN], found {} elements", pair.len()),
                ));
            }
            let idx = self.uint_at(&pair[0], &format!("{p}[0]"), u32::MAX as u64)? as usize;
            let chain = self.chain(&pair[1], &format!("{p}[1]"))?;
            out.push((idx, chain));
        }
        Ok(out)
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses trace text; `source` names it in errors.
pub fn parse_trace_str(source: &str, text: &str) -> Result<Trace, TraceError> {
    let mut header: Option<TraceHeader> = None;
    let mut ops: Vec<TraceOp> = Vec::new();
    let mut lines: Vec<&str> = text.lines().collect();
    // Trailing blank lines are tolerated; a blank line elsewhere is malformed.
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    for (n, raw) in lines.iter().enumerate() {
        let ctx = Ctx {
            file: source,
            line: n + 1,
        };
        if raw.trim().is_empty() {
            return Err(ctx.err(TraceErrorKind::MalformedJson, "", "empty line"));
        }
        let v: Value = serde_json::from_str(raw).map_err(|e| {
            ctx.err(
                TraceErrorKind::MalformedJson,
                "",
                format!("{e} (column {})", e.column()),
            )
        })?;
        let obj = ctx.object(&v, "")?;
        let kind = ctx.str(obj, "", "kind")?;
        match (kind, header.is_some()) {
            ("header", false) => header = Some(parse_header(&ctx, obj)?),
            ("header", true) => {
                return Err(ctx.err(TraceErrorKind::Inconsistent, "kind", "a second header line"))
            }
            ("op", false) => {
                return Err(ctx.err(
                    TraceErrorKind::ForeignTrace,
                    "kind",
                    "the first line must be the header",
                ))
            }
            ("op", true) => ops.push(parse_op(&ctx, obj, ops.len() as u64)?),
            (other, _) => {
                return Err(ctx.err(
                    TraceErrorKind::UnknownOp,
                    "kind",
                    format!("unknown line kind {other:?} (want \"header\" or \"op\")"),
                ))
            }
        }
    }
    let Some(header) = header else {
        return Err(TraceError {
            file: source.to_string(),
            line: lines.len(),
            field: "kind".into(),
            kind: TraceErrorKind::ForeignTrace,
            message: "no header line".into(),
        });
    };
    if ops.is_empty() {
        // A header alone would replay "cleanly" with nothing compared.
        return Err(TraceError {
            file: source.to_string(),
            line: lines.len(),
            field: "op".into(),
            kind: TraceErrorKind::Inconsistent,
            message: "the trace has a header but no op lines: nothing to replay".into(),
        });
    }
    let trace = Trace {
        source: source.to_string(),
        header,
        ops,
    };
    check_structure(&trace)?;
    Ok(trace)
}

fn parse_header(ctx: &Ctx<'_>, obj: &Map<String, Value>) -> Result<TraceHeader, TraceError> {
    let h = TraceHeader {
        go: ctx.str(obj, "", "go")?.to_string(),
        key: ctx.str(obj, "", "key")?.to_string(),
        elem: ctx.str(obj, "", "elem")?.to_string(),
        format: ctx.str(obj, "", "format")?.to_string(),
        bucket_size: ctx.u64(obj, "", "bucket_size")?,
        generator: match obj.get("generator") {
            None => String::new(),
            Some(_) => ctx.str(obj, "", "generator")?.to_string(),
        },
    };
    let foreign = |field: &str, got: &str, want: &str| {
        Err(ctx.err(
            TraceErrorKind::ForeignTrace,
            field,
            format!("{field} is {got:?}, this replayer reads {want}"),
        ))
    };
    if h.format != FORMAT {
        return foreign("format", &h.format, FORMAT);
    }
    if h.key != "uint64" {
        return foreign("key", &h.key, "\"uint64\"");
    }
    if h.elem != "uint64" {
        return foreign("elem", &h.elem, "\"uint64\"");
    }
    match GoVersion::parse(&h.go) {
        Ok(v) if v.classic_map() => {}
        _ => {
            return foreign(
                "go",
                &h.go,
                "a classic-map Go of scripts/go-versions.txt (go1.19.x, go1.21.x .. go1.23.x, \
                 go1.24.x/go1.25.x \"X:noswissmap\")",
            )
        }
    }
    if h.bucket_size != BUCKET_SIZE {
        return foreign("bucket_size", &h.bucket_size.to_string(), "144");
    }
    Ok(h)
}

/// Largest B a replay accepts: 2^20 buckets (about 150 MB of bucket array). Go itself cannot
/// go past B = 40 on 64-bit (2^40 buckets of 144 bytes exceed its 2^48-byte maxAlloc), and a
/// replay builds every array a trace names, so B is checked before anything is allocated.
pub const MAX_TRACE_B: u8 = 20;
/// Largest B Go can reach on 64-bit (maxAlloc is 2^48 bytes; a bucket is at least 144).
pub const GO_MAX_B: u8 = 40;
/// Largest make hint a replay accepts: a load factor of 6.5 over 2^MAX_TRACE_B buckets.
pub const MAX_TRACE_HINT: u64 = 13 << (MAX_TRACE_B - 1);

fn trace_b(ctx: &Ctx<'_>, so: &Map<String, Value>, p: &str) -> Result<u8, TraceError> {
    let b = ctx.uint(so, p, "B", u8::MAX as u64)?;
    if b > GO_MAX_B as u64 {
        return Err(ctx.err(
            TraceErrorKind::BadValue,
            &join(p, "B"),
            format!(
                "B = {b}: Go cannot allocate 2^{b} buckets (B is at most {GO_MAX_B} on 64-bit)"
            ),
        ));
    }
    if b > MAX_TRACE_B as u64 {
        return Err(ctx.err(
            TraceErrorKind::BadValue,
            &join(p, "B"),
            format!(
                "B = {b}: 2^{b} buckets are more than a replay builds (B at most {MAX_TRACE_B})"
            ),
        ));
    }
    Ok(b as u8)
}

fn parse_op(ctx: &Ctx<'_>, obj: &Map<String, Value>, ordinal: u64) -> Result<TraceOp, TraceError> {
    let i = ctx.u64(obj, "", "i")?;
    if i != ordinal {
        return Err(ctx.err(
            TraceErrorKind::Inconsistent,
            "i",
            format!("op index {i}, expected {ordinal} (ops are numbered from 0 in order)"),
        ));
    }
    let name = ctx.str(obj, "", "op")?;
    let op = match name {
        "make" => TraceOpKind::Make {
            hint: {
                let hint = ctx.u64(obj, "", "hint")?;
                if hint > MAX_TRACE_HINT {
                    return Err(ctx.err(
                        TraceErrorKind::BadValue,
                        "hint",
                        format!(
                            "{hint} asks for more than 2^{MAX_TRACE_B} buckets, the largest \
                             bucket array a replay builds (hint at most {MAX_TRACE_HINT})"
                        ),
                    ));
                }
                hint
            },
        },
        "assign" => TraceOpKind::Assign {
            key: ctx.u64(obj, "", "key")?,
            elem: ctx.u64(obj, "", "elem")?,
            hash: ctx.u64(obj, "", "hash")?,
        },
        "delete" => TraceOpKind::Delete {
            key: ctx.u64(obj, "", "key")?,
            hash: ctx.u64(obj, "", "hash")?,
        },
        "lookup" => TraceOpKind::Lookup {
            key: ctx.u64(obj, "", "key")?,
            hash: ctx.u64(obj, "", "hash")?,
            found: ctx.bool(obj, "", "found")?,
            elem: ctx.u64(obj, "", "elem")?,
        },
        "iter_start" => TraceOpKind::IterStart {
            iter: ctx.u64(obj, "", "iter")?,
            start_bucket: ctx.u64(obj, "", "start_bucket")?,
            offset: ctx.uint(obj, "", "offset", (BUCKET_CNT - 1) as u64)?,
        },
        "iter_next" => {
            let iter = ctx.u64(obj, "", "iter")?;
            let done = match obj.get("done") {
                None => false,
                Some(_) => ctx.bool(obj, "", "done")?,
            };
            let item = if done {
                None
            } else {
                Some((ctx.u64(obj, "", "key")?, ctx.u64(obj, "", "elem")?))
            };
            TraceOpKind::IterNext { iter, item }
        }
        "clear" => TraceOpKind::Clear,
        other => {
            return Err(ctx.err(
                TraceErrorKind::UnknownOp,
                "op",
                format!("unknown op {other:?}"),
            ))
        }
    };
    let sv = ctx.get(obj, "", "state")?;
    let so = ctx.object(sv, "state")?;
    let p = "state";
    let buckets_base = match ctx.str(so, p, "buckets_base")? {
        "none" => BucketsBase::None,
        "prev" => BucketsBase::Prev,
        "fresh" => BucketsBase::Fresh,
        other => {
            return Err(ctx.err(
                TraceErrorKind::BadValue,
                "state.buckets_base",
                format!("{other:?} is not one of \"none\", \"prev\", \"fresh\""),
            ))
        }
    };
    let oldbuckets_base = match ctx.str(so, p, "oldbuckets_base")? {
        "none" => OldBucketsBase::None,
        "prev_old" => OldBucketsBase::PrevOld,
        "prev_buckets" => OldBucketsBase::PrevBuckets,
        other => {
            return Err(ctx.err(
                TraceErrorKind::BadValue,
                "state.oldbuckets_base",
                format!("{other:?} is not one of \"none\", \"prev_old\", \"prev_buckets\""),
            ))
        }
    };
    let state = TraceState {
        count: ctx.u64(so, p, "count")?,
        flags: ctx.uint(so, p, "flags", u8::MAX as u64)? as u8,
        b: trace_b(ctx, so, p)?,
        noverflow: ctx.uint(so, p, "noverflow", u16::MAX as u64)? as u16,
        hash0: ctx.uint(so, p, "hash0", u32::MAX as u64)? as u32,
        nevacuate: ctx.u64(so, p, "nevacuate")?,
        clear_seq: match so.get("clear_seq") {
            None => None,
            Some(_) => Some(ctx.u64(so, p, "clear_seq")?),
        },
        prealloc_left: ctx.u64(so, p, "prealloc_left")?,
        buckets_base,
        buckets_delta: ctx.delta(so, p, "buckets_delta")?,
        oldbuckets_base,
        oldbuckets_delta: ctx.delta(so, p, "oldbuckets_delta")?,
    };
    let mut stale_hashes = Vec::new();
    if obj.get("stale_hashes").is_some() {
        let path = "stale_hashes";
        for (n, pair) in ctx.array(ctx.get(obj, "", path)?, path)?.iter().enumerate() {
            let p = format!("{path}[{n}]");
            let kv = ctx.array(pair, &p)?;
            if kv.len() != 2 {
                return Err(ctx.err(
                    TraceErrorKind::BadValue,
                    &p,
                    "expected [key, hash]".to_string(),
                ));
            }
            stale_hashes.push((
                ctx.uint_at(&kv[0], &format!("{p}[0]"), u64::MAX)?,
                ctx.uint_at(&kv[1], &format!("{p}[1]"), u64::MAX)?,
            ));
        }
    }
    Ok(TraceOp {
        i,
        line: ctx.line,
        op,
        state,
        stale_hashes,
    })
}
