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
//!
//! [`MapHasher`]: crate::hash::MapHasher
//! [`RandomSource`]: crate::hash::RandomSource
//! [`MapParams::for_go`]: crate::map::MapParams::for_go
//!
//! # Files
//! - `mod.rs` (this file): the format's types ([`Trace`], [`TraceHeader`], [`TraceOp`],
//!   [`TraceOpKind`], [`TraceState`], the delta bases) and errors ([`TraceError`]), and
//!   `Ctx`, the file and line an error names, shared by parse.rs and validate.rs.
//! - `parse.rs`: reading a file ([`parse_trace`]) or text ([`parse_trace_str`]) line by
//!   line into a [`Trace`], with the size limits ([`MAX_TRACE_BYTES`], [`MAX_TRACE_B`]).
//! - `validate.rs`: the structural check every parsed trace passes (op indices, iterator
//!   ids, delta bases and indices).
//! - `decode.rs`: [`StateDecoder`], which turns the delta encoding into full arrays.
//! - `replay.rs`: [`replay_on_port`], its injected hasher and random source, and the
//!   op-by-op driving of the port; its child `replay/compare.rs` compares the port's whole
//!   state with the decoded one after each op ([`yield_difference`] too).
//!
//! `parse` uses `validate`, `replay` uses `decode`; nothing uses `parse` or `replay`
//! back, so no two files depend on each other.

// A replay's whole purpose is its first mismatch, reported once per trace, with every
// field spelled out for the reader; boxing it would only obscure the API.
#![allow(clippy::result_large_err)]

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::goversion::GoVersion;
use crate::map::Chain;

mod decode;
mod parse;
mod replay;
mod validate;

pub use decode::{decode_states, StateDecoder};
pub use parse::{
    parse_trace, parse_trace_str, GO_MAX_B, MAX_TRACE_B, MAX_TRACE_BYTES, MAX_TRACE_HINT,
};
pub use replay::{
    replay_on_port, replay_on_port_with, yield_difference, ReplayMismatch, ReplayOptions,
    ReplayReport,
};

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

/// Where an error is: the file (or source name) and the 1-based line.
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
}
