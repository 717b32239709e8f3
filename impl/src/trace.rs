//! Traces of Go `map[uint64]uint64` runs (format delta-v1, see
//! docs/go-trace-format.md; any classic-map Go of
//! `scripts/go-versions.txt`, named by the header's `go` field): parsing, decoding the delta-encoded bucket arrays into
//! full arrays, and replaying a trace on the port ([`replay_on_port`]).
//!
//! # Parsing
//! Each line is parsed with serde_json into a `Value` (integers stay exact u64; a float or
//! an integer beyond u64 is rejected, never read through f64), then read field by field so
//! that every error names the file, the line and the field path
//! (`state.buckets_delta[0][1][0].tophash[3]`). The parser also checks the trace's
//! structure: op indices, iterator ids, delta bases that refer to an array that exists,
//! delta indices in range and ascending. A parsed [`Trace`] therefore always decodes.
//!
//! # Replay
//! The port runs at Go's parameters with two injected sources, the only ones it gets:
//! - hashes: a [`MapHasher`] that answers `(key, hash0)` with the `hash` recorded in an op
//!   line for that key under that hash0 (every op line records the hash under the hash0
//!   before the op). A key with no recorded hash under the current hash0 cannot be in the
//!   map: `mapaccessK` reports it absent; anywhere else it is a replay failure.
//! - randomness: a [`RandomSource`] that answers the hash0 draw of `make`, of a delete
//!   that empties the map and of a `clear` of a non-empty map with that line's `state.hash0`, and mapiterinit's `r` with
//!   `start_bucket | offset << B`. Go draws nothing else below B = 16.
//!
//! The port runs the code of the header's Go release ([`MapParams::for_go`]); from Go
//! 1.24 the state also carries `clear_seq`, compared like the other hmap fields.
//!
//! After every op the replayer compares the op's result (lookup found/elem, iterator
//! yield) and then the whole state: every hmap field, array identity (`buckets_base`,
//! `oldbuckets_base`: "prev" means the same array, "fresh" a new one), and every bmap of
//! every chain of both arrays, stale keys and elems included. It also runs
//! `check_invariants`. The first difference is reported as a [`ReplayMismatch`].

// A replay's whole purpose is its first mismatch, reported once per trace, with every
// field spelled out for the reader; boxing it would only obscure the API.
#![allow(clippy::result_large_err)]

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::goversion::GoVersion;
use crate::hash::{MapHasher, RandomSource};
use crate::map::{BmapSnapshot, Chain, Fault, GoMap, HmapSnapshot, IterId, MapParams};

/// The only format this module reads.
pub const FORMAT: &str = "delta-v1";
/// `t.bucket.size` of `map[uint64]uint64` on 64-bit platforms.
pub const BUCKET_SIZE: u64 = 144;
/// `bucketCnt`.
const BUCKET_CNT: usize = 8;

/// What went wrong while reading a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TraceErrorKind {
    /// The file could not be read.
    Io,
    /// A line is not valid JSON.
    MalformedJson,
    /// A required field is absent.
    MissingField,
    /// A field has the wrong type or an out-of-range value.
    BadValue,
    /// `op` names no known operation (or `kind` no known line kind).
    UnknownOp,
    /// The header announces another Go version, key/elem type, format or bucket size.
    ForeignTrace,
    /// The lines are well-formed but do not fit together (op index, iterator id,
    /// a delta that refers to an array that does not exist, ...).
    Inconsistent,
}

impl fmt::Display for TraceErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TraceErrorKind::Io => "cannot read trace",
            TraceErrorKind::MalformedJson => "malformed JSON",
            TraceErrorKind::MissingField => "missing field",
            TraceErrorKind::BadValue => "bad value",
            TraceErrorKind::UnknownOp => "unknown op",
            TraceErrorKind::ForeignTrace => "foreign trace",
            TraceErrorKind::Inconsistent => "inconsistent trace",
        })
    }
}

/// An error reading a trace, naming the file, the 1-based line and the field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceError {
    /// The file (or source name).
    pub file: String,
    /// 1-based line number (0 when the file could not be read at all).
    pub line: usize,
    /// The field path within the line (empty when the whole line is at fault).
    pub field: String,
    /// The kind of error.
    pub kind: TraceErrorKind,
    /// Details.
    pub message: String,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.kind)?;
        if !self.field.is_empty() {
            write!(f, ": field `{}`", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for TraceError {}

/// The header line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceHeader {
    /// Go version as `runtime.Version()` reports it, e.g. "go1.19.8", "go1.21.13" or
    /// "go1.25.5 X:noswissmap"; a classic-map release (see [`GoVersion::classic_map`]).
    pub go: String,
    /// Key type: "uint64".
    pub key: String,
    /// Elem type: "uint64".
    pub elem: String,
    /// "delta-v1".
    pub format: String,
    /// Bucket size in bytes: 144.
    pub bucket_size: u64,
    /// The recorder's flags.
    pub generator: String,
}

impl TraceHeader {
    /// The Go release of [`TraceHeader::go`] (checked by the parser).
    pub fn go_version(&self) -> GoVersion {
        GoVersion::parse(&self.go).expect("the parser checked the go field")
    }
}

/// One recorded operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TraceOpKind {
    /// `make(map[uint64]uint64, hint)`.
    Make {
        /// The hint.
        hint: u64,
    },
    /// `m[key] = elem`.
    Assign {
        /// Key.
        key: u64,
        /// Elem.
        elem: u64,
        /// Hash of key under hash0 before the op.
        hash: u64,
    },
    /// `delete(m, key)`.
    Delete {
        /// Key.
        key: u64,
        /// Hash of key under hash0 before the op.
        hash: u64,
    },
    /// `v, ok := m[key]`.
    Lookup {
        /// Key.
        key: u64,
        /// Hash of key under hash0 before the op.
        hash: u64,
        /// `ok`.
        found: bool,
        /// `v` (0 if !found).
        elem: u64,
    },
    /// mapiterinit (with its first mapiternext).
    IterStart {
        /// Iterator id, unique in the trace.
        iter: u64,
        /// `it.startBucket`.
        start_bucket: u64,
        /// `it.offset`.
        offset: u64,
    },
    /// One element of a range loop, or its end.
    IterNext {
        /// Iterator id.
        iter: u64,
        /// `(key, elem)`, or None for `done`.
        item: Option<(u64, u64)>,
    },
    /// `clear(m)` (Go 1.21+), or before Go 1.21 the range-delete loop the compiler turns
    /// into the same runtime call: `mapclear`.
    Clear,
}

impl TraceOpKind {
    /// The op's name as in the trace.
    pub fn name(&self) -> &'static str {
        match self {
            TraceOpKind::Make { .. } => "make",
            TraceOpKind::Assign { .. } => "assign",
            TraceOpKind::Delete { .. } => "delete",
            TraceOpKind::Lookup { .. } => "lookup",
            TraceOpKind::IterStart { .. } => "iter_start",
            TraceOpKind::IterNext { .. } => "iter_next",
            TraceOpKind::Clear => "clear",
        }
    }
}

/// `buckets_base`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BucketsBase {
    /// h.buckets == nil.
    None,
    /// The same array as after the previous op.
    Prev,
    /// Newly allocated in this op: 2^B all-zero buckets.
    Fresh,
}

/// `oldbuckets_base`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OldBucketsBase {
    /// h.oldbuckets == nil.
    None,
    /// The same array as the previous op's oldbuckets.
    PrevOld,
    /// The previous op's buckets array (hashGrow ran in this op).
    PrevBuckets,
}

/// A delta: `[idx, CHAIN]` pairs replacing chains of the base array, ascending by idx.
pub type Delta = Vec<(usize, Chain<u64, u64>)>;

/// The STATE of an op line, with its arrays still delta-encoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceState {
    /// `count`.
    pub count: u64,
    /// `flags`.
    pub flags: u8,
    /// `B`.
    pub b: u8,
    /// `noverflow`.
    pub noverflow: u16,
    /// `hash0`.
    pub hash0: u32,
    /// `nevacuate`.
    pub nevacuate: u64,
    /// `clearSeq` (Go 1.24+ only; absent before).
    pub clear_seq: Option<u64>,
    /// Preallocated overflow buckets left.
    pub prealloc_left: u64,
    /// Base of the buckets array.
    pub buckets_base: BucketsBase,
    /// Chains replacing the base's, by index, ascending.
    pub buckets_delta: Delta,
    /// Base of the oldbuckets array.
    pub oldbuckets_base: OldBucketsBase,
    /// Chains replacing the base's, by index, ascending.
    pub oldbuckets_delta: Delta,
}

/// One op line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceOp {
    /// `i`: 0-based op index.
    pub i: u64,
    /// 1-based line number in the file.
    pub line: usize,
    /// The operation.
    pub op: TraceOpKind,
    /// The state after the op.
    pub state: TraceState,
    /// `stale_hashes`: `(key, hash under the hash0 after the op)` of entries that open
    /// iterators may still reach after a clear (Go 1.19 and 1.24+, whose mapclear leaves
    /// them in place; on clear and reseeding delete lines), which mapiternext may hash or
    /// look up; empty when absent.
    pub stale_hashes: Vec<(u64, u64)>,
}

/// A parsed, structurally checked trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// Where it came from (file path or a name).
    pub source: String,
    /// The header.
    pub header: TraceHeader,
    /// The op lines, in order.
    pub ops: Vec<TraceOp>,
}

/// Reads and parses the trace at `path`.
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

struct Ctx<'a> {
    file: &'a str,
    line: usize,
}

impl Ctx<'_> {
    fn err(&self, kind: TraceErrorKind, field: &str, message: impl Into<String>) -> TraceError {
        TraceError {
            file: self.file.to_string(),
            line: self.line,
            field: field.to_string(),
            kind,
            message: message.into(),
        }
    }

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

/// Checks that the ops fit together so that decoding and replay cannot fail on the
/// trace's own account.
fn check_structure(trace: &Trace) -> Result<(), TraceError> {
    let mut prev_buckets: Option<usize> = None; // length of the previous op's arrays
    let mut prev_old: Option<usize> = None;
    let mut started: HashSet<u64> = HashSet::new();
    let mut open: HashSet<u64> = HashSet::new();
    let clear_seq = trace.header.go_version().has_clear_seq();
    for (n, op) in trace.ops.iter().enumerate() {
        let ctx = Ctx {
            file: &trace.source,
            line: op.line,
        };
        if op.state.clear_seq.is_some() != clear_seq {
            return Err(ctx.err(
                TraceErrorKind::Inconsistent,
                "state.clear_seq",
                format!(
                    "{} has {}hmap.clearSeq; the state must {}",
                    trace.header.go,
                    if clear_seq { "" } else { "no " },
                    if clear_seq {
                        "have clear_seq"
                    } else {
                        "not have clear_seq"
                    }
                ),
            ));
        }
        if n == 0 && !matches!(op.op, TraceOpKind::Make { .. }) {
            return Err(ctx.err(
                TraceErrorKind::Inconsistent,
                "op",
                format!("a trace starts with make, not {}", op.op.name()),
            ));
        }
        match op.op {
            TraceOpKind::Make { .. } => {
                // The previous map (and its iterators) is abandoned.
                prev_buckets = None;
                prev_old = None;
                open.clear();
            }
            TraceOpKind::IterStart { iter, .. } => {
                if !started.insert(iter) {
                    return Err(ctx.err(
                        TraceErrorKind::Inconsistent,
                        "iter",
                        format!("iterator id {iter} started twice"),
                    ));
                }
                open.insert(iter);
            }
            TraceOpKind::IterNext { iter, item } => {
                if !open.contains(&iter) {
                    return Err(ctx.err(
                        TraceErrorKind::Inconsistent,
                        "iter",
                        format!("iterator {iter} is not open (never started, done, or its map was remade)"),
                    ));
                }
                if item.is_none() {
                    open.remove(&iter);
                }
            }
            _ => {}
        }
        let st = &op.state;
        let nb = 1usize << st.b;
        let buckets_len = match st.buckets_base {
            BucketsBase::None => None,
            BucketsBase::Fresh => Some(nb),
            BucketsBase::Prev => match prev_buckets {
                None => {
                    return Err(ctx.err(
                        TraceErrorKind::Inconsistent,
                        "state.buckets_base",
                        "\"prev\" but there is no previous buckets array",
                    ))
                }
                Some(l) => Some(l),
            },
        };
        let old_len = match st.oldbuckets_base {
            OldBucketsBase::None => None,
            OldBucketsBase::PrevOld => match prev_old {
                None => {
                    return Err(ctx.err(
                        TraceErrorKind::Inconsistent,
                        "state.oldbuckets_base",
                        "\"prev_old\" but there is no previous oldbuckets array",
                    ))
                }
                Some(l) => Some(l),
            },
            OldBucketsBase::PrevBuckets => match prev_buckets {
                None => {
                    return Err(ctx.err(
                        TraceErrorKind::Inconsistent,
                        "state.oldbuckets_base",
                        "\"prev_buckets\" but there is no previous buckets array",
                    ))
                }
                Some(l) => Some(l),
            },
        };
        for (name, len, delta) in [
            ("buckets_delta", buckets_len, &st.buckets_delta),
            ("oldbuckets_delta", old_len, &st.oldbuckets_delta),
        ] {
            let mut last: Option<usize> = None;
            for (k, (idx, _)) in delta.iter().enumerate() {
                let field = format!("state.{name}[{k}][0]");
                match len {
                    None => {
                        return Err(ctx.err(
                            TraceErrorKind::Inconsistent,
                            &field,
                            "a delta for an absent array",
                        ))
                    }
                    Some(l) if *idx >= l => {
                        return Err(ctx.err(
                            TraceErrorKind::Inconsistent,
                            &field,
                            format!("chain index {idx} out of range (array of {l} chains)"),
                        ))
                    }
                    _ => {}
                }
                if last.is_some_and(|l| l >= *idx) {
                    return Err(ctx.err(
                        TraceErrorKind::Inconsistent,
                        &field,
                        format!("chain index {idx} not ascending"),
                    ));
                }
                last = Some(*idx);
            }
        }
        prev_buckets = buckets_len;
        prev_old = old_len;
    }
    Ok(())
}

/// Decodes the delta encoding op by op into full arrays.
#[derive(Clone, Debug, Default)]
pub struct StateDecoder {
    buckets: Option<Vec<Chain<u64, u64>>>,
    oldbuckets: Option<Vec<Chain<u64, u64>>>,
}

fn zero_chain() -> Chain<u64, u64> {
    vec![BmapSnapshot {
        tophash: vec![0; BUCKET_CNT],
        keys: vec![0; BUCKET_CNT],
        elems: vec![0; BUCKET_CNT],
    }]
}

impl StateDecoder {
    /// A decoder before the first op.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies `op`'s state. The trace must have passed [`parse_trace_str`]'s checks.
    pub fn apply(&mut self, op: &TraceOp) {
        if matches!(op.op, TraceOpKind::Make { .. }) {
            // "For the make line, previous is empty."
            self.buckets = None;
            self.oldbuckets = None;
        }
        let st = &op.state;
        let old = match st.oldbuckets_base {
            OldBucketsBase::None => None,
            OldBucketsBase::PrevOld => self.oldbuckets.take(),
            OldBucketsBase::PrevBuckets => self.buckets.clone(),
        };
        let new = match st.buckets_base {
            BucketsBase::None => None,
            BucketsBase::Prev => self.buckets.take(),
            BucketsBase::Fresh => Some(vec![zero_chain(); 1usize << st.b]),
        };
        self.buckets = new;
        self.oldbuckets = old;
        for (arr, delta) in [
            (&mut self.buckets, &st.buckets_delta),
            (&mut self.oldbuckets, &st.oldbuckets_delta),
        ] {
            if let Some(a) = arr.as_mut() {
                for (idx, chain) in delta {
                    a[*idx] = chain.clone();
                }
            }
        }
    }

    /// The full buckets array after the last applied op.
    pub fn buckets(&self) -> Option<&[Chain<u64, u64>]> {
        self.buckets.as_deref()
    }

    /// The full oldbuckets array after the last applied op.
    pub fn oldbuckets(&self) -> Option<&[Chain<u64, u64>]> {
        self.oldbuckets.as_deref()
    }

    /// The full state after the last applied op, whose scalar fields are `st`'s.
    pub fn snapshot(&self, st: &TraceState) -> HmapSnapshot<u64, u64> {
        HmapSnapshot {
            count: st.count,
            flags: st.flags,
            b: st.b,
            noverflow: st.noverflow,
            hash0: st.hash0,
            nevacuate: st.nevacuate,
            prealloc_left: st.prealloc_left,
            buckets: self.buckets.clone(),
            oldbuckets: self.oldbuckets.clone(),
        }
    }
}

/// Every op's full state, decoded (convenient for small traces; a replay decodes
/// incrementally instead).
pub fn decode_states(trace: &Trace) -> Vec<HmapSnapshot<u64, u64>> {
    let mut d = StateDecoder::new();
    trace
        .ops
        .iter()
        .map(|op| {
            d.apply(op);
            d.snapshot(&op.state)
        })
        .collect()
}

/// What a clean replay did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayReport {
    /// The trace's source.
    pub file: String,
    /// Ops replayed (all of them).
    pub ops_replayed: usize,
    /// Full states compared (one per op).
    pub states_compared: usize,
    /// Lookup results compared.
    pub lookups_compared: usize,
    /// Iterator yields (elements and ends) compared.
    pub yields_compared: usize,
    /// Bmaps compared, over all states.
    pub bmaps_compared: usize,
}

/// The first difference between the port and the trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayMismatch {
    /// The trace's source.
    pub file: String,
    /// Op index `i`.
    pub op_index: u64,
    /// 1-based line number of the op.
    pub line: usize,
    /// The op's name.
    pub op: String,
    /// Field path, e.g. `buckets[3][1].tophash[5]`, `noverflow`, `key`.
    pub field: String,
    /// What the trace (Go) has.
    pub expected: String,
    /// What the port has.
    pub actual: String,
}

/// How an iterator's yield differs from the trace's: (field, expected, actual), or None when
/// they agree. `None` on either side is the end of the iteration. Shared by the port and model
/// replays so both report a yield the same way.
pub fn yield_difference(
    want: Option<(u64, u64)>,
    got: Option<(u64, u64)>,
) -> Option<(&'static str, String, String)> {
    let show = |x: Option<(u64, u64)>| match x {
        None => "done".to_string(),
        Some((k, e)) => format!("key {k}, elem {e}"),
    };
    match (want, got) {
        (Some((k, e)), Some((gk, ge))) => {
            if k != gk {
                Some(("key", k.to_string(), gk.to_string()))
            } else if e != ge {
                Some(("elem", e.to_string(), ge.to_string()))
            } else {
                None
            }
        }
        (None, None) => None,
        (want, got) => Some(("done", show(want), show(got))),
    }
}

impl fmt::Display for ReplayMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: op {} ({}): {}: expected {}, got {}",
            self.file, self.line, self.op_index, self.op, self.field, self.expected, self.actual
        )
    }
}

impl std::error::Error for ReplayMismatch {}

/// Options of a replay. Test-only: fault injection into the port.
#[doc(hidden)]
#[derive(Clone, Debug, Default)]
pub struct ReplayOptions {
    /// Faults injected into every map the replay makes.
    pub faults: Vec<Fault>,
}

#[derive(Debug, Default)]
struct Oracle {
    /// Hash of (key, hash0), from op lines.
    hashes: RefCell<HashMap<(u64, u32), u64>>,
    /// A problem a source met during the current op (first one kept).
    problem: RefCell<Option<(String, String, String)>>,
    /// hash0 for the next draw, if the current op may draw one.
    pending_hash0: RefCell<Option<u32>>,
    hash0_draws: RefCell<usize>,
    /// (start_bucket, offset) for the next mapiterinit.
    pending_iter: RefCell<Option<(u64, u64)>>,
    iter_draws: RefCell<usize>,
}

impl Oracle {
    fn report(&self, field: &str, expected: String, actual: String) {
        let mut p = self.problem.borrow_mut();
        if p.is_none() {
            *p = Some((field.to_string(), expected, actual));
        }
    }
}

/// The replay's hasher: hashes recorded in the trace, nothing else.
#[derive(Clone, Debug)]
struct TraceHasher(Rc<Oracle>);

impl MapHasher<u64> for TraceHasher {
    fn hash(&self, key: &u64, hash0: u32) -> u64 {
        match self.0.hashes.borrow().get(&(*key, hash0)) {
            Some(h) => *h,
            None => {
                self.0.report(
                    "hash",
                    format!("a recorded hash for key {key} under hash0 {hash0}"),
                    "the port needed a hash the trace never recorded".into(),
                );
                0
            }
        }
    }

    fn try_hash(&self, key: &u64, hash0: u32) -> Option<u64> {
        self.0.hashes.borrow().get(&(*key, hash0)).copied()
    }
}

/// The replay's random source: hash0 and iterator starts from the trace.
#[derive(Clone, Debug)]
struct TraceRandom(Rc<Oracle>);

impl RandomSource for TraceRandom {
    fn fastrand(&mut self) -> u32 {
        self.0.report(
            "noverflow",
            "no fastrand draw (the trace records none; B < 16)".into(),
            "incrnoverflow drew fastrand".into(),
        );
        0
    }

    fn hash0(&mut self) -> u32 {
        *self.0.hash0_draws.borrow_mut() += 1;
        match self.0.pending_hash0.borrow_mut().take() {
            Some(h) => h,
            None => {
                self.0.report(
                    "hash0",
                    "no hash0 draw in this op".into(),
                    "the port drew a second hash0".into(),
                );
                0
            }
        }
    }

    fn iter_start(&mut self, b: u8, _bucket_cnt_bits: u8) -> u64 {
        *self.0.iter_draws.borrow_mut() += 1;
        match self.0.pending_iter.borrow_mut().take() {
            Some((start, offset)) => {
                if start >> b != 0 {
                    self.0.report(
                        "start_bucket",
                        format!("a start bucket below 2^B = {}", 1u64 << b),
                        format!("{start} recorded"),
                    );
                }
                start | offset << b
            }
            None => {
                self.0.report(
                    "start_bucket",
                    "no iterator start draw in this op".into(),
                    "the port drew one".into(),
                );
                0
            }
        }
    }
}

type PortMap = GoMap<u64, u64, TraceHasher, TraceRandom>;

struct Replayer<'t> {
    trace: &'t Trace,
    options: &'t ReplayOptions,
    oracle: Rc<Oracle>,
    map: Option<PortMap>,
    iters: HashMap<u64, IterId>,
    decoder: StateDecoder,
    report: ReplayReport,
    /// The port's array identities after the previous op.
    prev_ids: (Option<crate::map::ArrayId>, Option<crate::map::ArrayId>),
    /// The trace's state after the previous op.
    prev_state: Option<&'t TraceState>,
}

/// Replays `trace` on the port (see the module documentation) and compares everything.
pub fn replay_on_port(trace: &Trace) -> Result<ReplayReport, ReplayMismatch> {
    replay_on_port_with(trace, &ReplayOptions::default())
}

/// [`replay_on_port`] with options (test-only fault injection).
#[doc(hidden)]
pub fn replay_on_port_with(
    trace: &Trace,
    options: &ReplayOptions,
) -> Result<ReplayReport, ReplayMismatch> {
    let mut r = Replayer {
        trace,
        options,
        oracle: Rc::new(Oracle::default()),
        map: None,
        iters: HashMap::new(),
        decoder: StateDecoder::new(),
        report: ReplayReport {
            file: trace.source.clone(),
            ..ReplayReport::default()
        },
        prev_ids: (None, None),
        prev_state: None,
    };
    for op in &trace.ops {
        r.step(op)?;
    }
    Ok(r.report)
}

impl<'t> Replayer<'t> {
    fn mismatch(
        &self,
        op: &TraceOp,
        field: impl Into<String>,
        expected: impl fmt::Display,
        actual: impl fmt::Display,
    ) -> ReplayMismatch {
        ReplayMismatch {
            file: self.trace.source.clone(),
            op_index: op.i,
            line: op.line,
            op: op.op.name().to_string(),
            field: field.into(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        }
    }

    fn learn_hash(&self, op: &TraceOp, key: u64, hash: u64) -> Result<(), ReplayMismatch> {
        let hash0 = self.prev_state.map_or(0, |s| s.hash0);
        let mut hashes = self.oracle.hashes.borrow_mut();
        match hashes.get(&(key, hash0)) {
            Some(&h) if h != hash => Err(self.mismatch(
                op,
                "hash",
                format!("{h} (recorded earlier for key {key} under hash0 {hash0})"),
                hash,
            )),
            _ => {
                hashes.insert((key, hash0), hash);
                Ok(())
            }
        }
    }

    fn step(&mut self, op: &'t TraceOp) -> Result<(), ReplayMismatch> {
        *self.oracle.problem.borrow_mut() = None;
        *self.oracle.pending_hash0.borrow_mut() = None;
        *self.oracle.pending_iter.borrow_mut() = None;
        *self.oracle.hash0_draws.borrow_mut() = 0;
        *self.oracle.iter_draws.borrow_mut() = 0;
        let count_before = self.map.as_ref().map_or(0, |m| m.len());
        let mut expect_hash0_draw = false;
        let mut expect_iter_draw = false;

        match op.op {
            TraceOpKind::Make { hint } => {
                *self.oracle.pending_hash0.borrow_mut() = Some(op.state.hash0);
                expect_hash0_draw = true;
                let mut m = GoMap::makemap(
                    MapParams::for_go(self.trace.header.go_version()),
                    usize::try_from(hint).unwrap_or(usize::MAX),
                    TraceHasher(self.oracle.clone()),
                    TraceRandom(self.oracle.clone()),
                );
                for f in &self.options.faults {
                    m.inject_fault(*f);
                }
                self.map = Some(m);
                self.iters.clear();
                self.prev_ids = (None, None);
            }
            TraceOpKind::Assign { key, elem, hash } => {
                self.learn_hash(op, key, hash)?;
                self.port().mapassign(key, elem);
            }
            TraceOpKind::Delete { key, hash } => {
                self.learn_hash(op, key, hash)?;
                *self.oracle.pending_hash0.borrow_mut() = Some(op.state.hash0);
                expect_hash0_draw = count_before > 0 && op.state.count == 0;
                self.port().mapdelete(&key);
            }
            TraceOpKind::Lookup {
                key,
                hash,
                found,
                elem,
            } => {
                self.learn_hash(op, key, hash)?;
                let got = self.port().mapaccess2(&key);
                self.report.lookups_compared += 1;
                if got.is_some() != found {
                    return Err(self.mismatch(op, "found", found, got.is_some()));
                }
                let got_elem = got.unwrap_or(0);
                if got_elem != elem {
                    return Err(self.mismatch(op, "elem", elem, got_elem));
                }
            }
            TraceOpKind::IterStart {
                iter,
                start_bucket,
                offset,
            } => {
                *self.oracle.pending_iter.borrow_mut() = Some((start_bucket, offset));
                expect_iter_draw = count_before > 0;
                let id = self.port().iter_init();
                self.iters.insert(iter, id);
            }
            TraceOpKind::Clear => {
                *self.oracle.pending_hash0.borrow_mut() = Some(op.state.hash0);
                expect_hash0_draw = count_before > 0;
                self.port().mapclear();
            }
            TraceOpKind::IterNext { iter, item } => {
                let id = self.iters[&iter];
                let got = self.port().iter_next(id);
                self.report.yields_compared += 1;
                if let Some((field, expected, actual)) = yield_difference(item, got) {
                    return Err(self.mismatch(op, field, expected, actual));
                }
            }
        }

        if let Some((field, expected, actual)) = self.oracle.problem.borrow_mut().take() {
            return Err(self.mismatch(op, field, expected, actual));
        }
        let hash0_draws = *self.oracle.hash0_draws.borrow();
        if (hash0_draws > 0) != expect_hash0_draw {
            return Err(self.mismatch(
                op,
                "hash0",
                if expect_hash0_draw {
                    "a hash0 draw (reseed)"
                } else {
                    "no hash0 draw"
                },
                format!("{hash0_draws} hash0 draws"),
            ));
        }
        let iter_draws = *self.oracle.iter_draws.borrow();
        if (iter_draws > 0) != expect_iter_draw {
            return Err(self.mismatch(
                op,
                "start_bucket",
                if expect_iter_draw {
                    "an iterator start draw"
                } else {
                    "no iterator start draw (empty map)"
                },
                format!("{iter_draws} iterator start draws"),
            ));
        }

        // Hashes of stale entries under the new hash0, for later mapiternext calls.
        for &(key, hash) in &op.stale_hashes {
            self.oracle
                .hashes
                .borrow_mut()
                .insert((key, op.state.hash0), hash);
        }
        self.decoder.apply(op);
        self.compare_state(op)?;
        self.report.states_compared += 1;
        self.report.ops_replayed += 1;
        self.prev_state = Some(&op.state);
        Ok(())
    }

    fn port(&mut self) -> &mut PortMap {
        self.map
            .as_mut()
            .expect("check_structure: a trace starts with make")
    }

    fn compare_state(&mut self, op: &TraceOp) -> Result<(), ReplayMismatch> {
        let m = self.map.as_ref().expect("made");
        let st = &op.state;
        let scalars: [(&str, u64, u64); 7] = [
            ("count", st.count, m.len() as u64),
            ("flags", st.flags as u64, m.flags() as u64),
            ("B", st.b as u64, m.b() as u64),
            ("noverflow", st.noverflow as u64, m.noverflow() as u64),
            ("hash0", st.hash0 as u64, m.hash0() as u64),
            ("nevacuate", st.nevacuate, m.nevacuate() as u64),
            ("prealloc_left", st.prealloc_left, m.prealloc_left() as u64),
        ];
        for (field, want, got) in scalars {
            if want != got {
                return Err(self.mismatch(op, field, want, got));
            }
        }
        if let Some(want) = st.clear_seq {
            if want != m.clear_seq() {
                return Err(self.mismatch(op, "clear_seq", want, m.clear_seq()));
            }
        }

        // Array identity: "prev" is the same array, "fresh" a new one.
        let (ids_b, ids_old) = m.array_identities();
        let (prev_b, prev_old) = self.prev_ids;
        let got_base = match ids_b {
            None => "none",
            Some(id) if Some(id) == prev_b => "prev",
            Some(_) => "fresh",
        };
        let want_base = match st.buckets_base {
            BucketsBase::None => "none",
            BucketsBase::Prev => "prev",
            BucketsBase::Fresh => "fresh",
        };
        if got_base != want_base {
            return Err(self.mismatch(op, "buckets_base", want_base, got_base));
        }
        let got_old = match ids_old {
            None => "none",
            Some(id) if Some(id) == prev_old => "prev_old",
            Some(id) if Some(id) == prev_b => "prev_buckets",
            Some(_) => "a new array",
        };
        let want_old = match st.oldbuckets_base {
            OldBucketsBase::None => "none",
            OldBucketsBase::PrevOld => "prev_old",
            OldBucketsBase::PrevBuckets => "prev_buckets",
        };
        if got_old != want_old {
            return Err(self.mismatch(op, "oldbuckets_base", want_old, got_old));
        }

        for (name, old) in [("buckets", false), ("oldbuckets", true)] {
            let want = if old {
                self.decoder.oldbuckets()
            } else {
                self.decoder.buckets()
            };
            let got = m.array_view(old);
            let (want, got) = match (want, got) {
                (None, None) => continue,
                (Some(w), Some(g)) => (w, g),
                (w, g) => {
                    return Err(self.mismatch(
                        op,
                        name,
                        if w.is_some() { "an array" } else { "nil" },
                        if g.is_some() { "an array" } else { "nil" },
                    ))
                }
            };
            if want.len() != got.len() {
                return Err(self.mismatch(op, format!("{name}.len"), want.len(), got.len()));
            }
            for (idx, wchain) in want.iter().enumerate() {
                let gchain = got.chain(idx);
                for (j, (wb, gb)) in wchain.iter().zip(gchain.iter()).enumerate() {
                    self.report.bmaps_compared += 1;
                    let diff = first_diff(&wb.tophash, gb.tophash)
                        .map(|d| ("tophash", d))
                        .or_else(|| first_diff(&wb.keys, gb.keys).map(|d| ("keys", d)))
                        .or_else(|| first_diff(&wb.elems, gb.elems).map(|d| ("elems", d)));
                    if let Some((part, (s, wv, gv))) = diff {
                        return Err(self.mismatch(
                            op,
                            format!("{name}[{idx}][{j}].{part}[{s}]"),
                            wv,
                            gv,
                        ));
                    }
                }
                if wchain.len() != gchain.len() {
                    return Err(self.mismatch(
                        op,
                        format!("{name}[{idx}].len"),
                        format!("{} bmaps in the chain", wchain.len()),
                        format!("{} bmaps", gchain.len()),
                    ));
                }
            }
        }

        if let Err(v) = m.check_invariants() {
            return Err(self.mismatch(
                op,
                format!("invariants.{}", v.invariant.name()),
                "holds",
                v.detail,
            ));
        }
        self.prev_ids = (ids_b, ids_old);
        Ok(())
    }
}

/// The first slot where `want` and `got` differ: (slot, want, got).
fn first_diff<T: PartialEq + fmt::Display>(
    want: &[T],
    got: &[T],
) -> Option<(usize, String, String)> {
    if want.len() != got.len() {
        return Some((
            want.len().min(got.len()),
            format!("{} slots", want.len()),
            format!("{} slots", got.len()),
        ));
    }
    want.iter()
        .zip(got)
        .position(|(w, g)| w != g)
        .map(|s| (s, want[s].to_string(), got[s].to_string()))
}
