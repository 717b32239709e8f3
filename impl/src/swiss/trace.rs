//! The swiss-v1 trace format (`docs/swiss-trace-format.md`) of real Go 1.24
//! `map[uint64]uint64` runs recorded by `tests/go-oracle-swiss`, its decoder, and
//! [`replay_swiss_trace`], which drives a [`SwissMap`] op by op with the recorded seeds,
//! hashes and iterator offsets and compares, after every op, the whole memory state
//! (Map header, directory, every table header, every group's control word and slots,
//! stale bytes included), every lookup result, every iterator yield and the iterator's
//! state, and checks the port's invariants.
//!
//! Table identity: the recorder numbers tables in order of first sight (walking the
//! directory after each op); the replayer numbers the port's tables the same way, so the
//! numbers must agree op by op (a grow or split must allocate where Go allocates).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::rc::Rc;

use serde::Deserialize;

use super::hash::{GoMemHasher124, SwissHasher, SwissRandom};
use super::map::{GroupSnapshot, IterId, MapSnapshot, SwissMap, TableId};

/// The format name in the header line.
pub const FORMAT: &str = "swiss-v1";

/// The header line.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SwissHeader {
    /// `"swiss-v1"`.
    pub format: String,
    /// `runtime.Version()` of the recorder.
    pub go: String,
    /// `runtime.GOARCH`.
    pub goarch: String,
    /// The recorder flags that produced the trace.
    pub generator: String,
    /// `abi.SwissMapGroupSlots` (8).
    pub group_slots: usize,
    /// `GroupSize` of `map[uint64]uint64` (136).
    pub group_size: usize,
    /// `maxTableCapacity` (1024).
    pub max_table_capacity: usize,
    /// `runtime.hashkey`, present when the run hashed with the portable
    /// `memhash64Fallback` (`GODEBUG=cpu.aes=off`): the replayer then recomputes every
    /// hash with [`GoMemHasher124`] and checks the recorded ones against it.
    #[serde(default)]
    pub hashkey: Option<[u64; 4]>,
}

/// The `Map` header after an op.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MapLine {
    /// `used`.
    pub used: u64,
    /// `seed`.
    pub seed: u64,
    /// `"nil"`, `"small"` or `"dir"`.
    pub dir_ptr: String,
    /// `dirLen`.
    pub dir_len: usize,
    /// `globalDepth`.
    pub global_depth: u8,
    /// `globalShift`.
    pub global_shift: u8,
    /// `writing`.
    pub writing: u8,
    /// `clearSeq`.
    pub clear_seq: u64,
    /// Table id of each directory entry.
    pub dir: Vec<i64>,
}

/// A table header that changed (or a table seen for the first time).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TableLine {
    /// Table id (order of first sight).
    pub id: i64,
    /// `used`.
    pub used: u16,
    /// `capacity`.
    pub capacity: u16,
    /// `growthLeft`.
    pub growth_left: u16,
    /// `localDepth`.
    pub local_depth: u8,
    /// `index`.
    pub index: i64,
    /// `lengthMask + 1`.
    pub groups: u64,
}

/// A group that changed (all groups of a table seen for the first time).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct GroupLine {
    /// Table id, -1 for the small map's group.
    pub t: i64,
    /// Group index.
    pub g: u64,
    /// Control word.
    pub ctrl: u64,
    /// The 8 keys.
    pub keys: Vec<u64>,
    /// The 8 elems.
    pub elems: Vec<u64>,
}

/// An iterator's state after an advance.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IterLine {
    /// `it.m != nil`.
    pub m: bool,
    /// `entryOffset`.
    pub entry_offset: u64,
    /// `dirOffset` (after the first `Next`'s one-time adjustment).
    pub dir_offset: u64,
    /// `clearSeq`.
    pub clear_seq: u64,
    /// `globalDepth`.
    pub global_depth: u8,
    /// `dirIdx`.
    pub dir_idx: i64,
    /// `entryIdx`.
    pub entry_idx: u64,
    /// Table id of `tab`, `None` when nil.
    pub tab: Option<i64>,
    /// Group index in `tab` (0 for a small map's group), -1 when nil.
    pub group: i64,
}

/// One op line.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpLine {
    /// Op number from 0.
    pub i: usize,
    /// `make`, `assign`, `delete`, `lookup`, `clear`, `iter_start`, `iter_next`.
    pub op: String,
    /// The key (assign, delete, lookup).
    pub key: Option<u64>,
    /// The elem assigned, or the elem a lookup returned.
    pub elem: Option<u64>,
    /// `typ.Hasher(&key, m.seed)` with the seed before the op.
    pub hash: Option<u64>,
    /// The hint of `make`.
    pub hint: Option<u64>,
    /// Whether a lookup found the key.
    pub found: Option<bool>,
    /// The iterator (iter_start, iter_next).
    pub it: Option<usize>,
    /// The iterator's yield.
    pub r#yield: Option<[u64; 2]>,
    /// The iterator ended.
    pub end: Option<bool>,
    /// The iterator's state after the advance.
    pub iter: Option<IterLine>,
    /// The Map header after the op.
    pub map: MapLine,
    /// Changed table headers.
    #[serde(default)]
    pub tables: Vec<TableLine>,
    /// Changed groups.
    #[serde(default)]
    pub groups: Vec<GroupLine>,
    /// The small map's group, when it changed.
    pub small: Option<GroupLine>,
}

/// A decoded trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SwissTrace {
    /// The header line.
    pub header: SwissHeader,
    /// The op lines.
    pub ops: Vec<OpLine>,
}

/// A trace that could not be read or decoded.
#[derive(Debug)]
pub enum SwissTraceError {
    /// Reading the file failed.
    Io(std::io::Error),
    /// A line is not valid JSON of the format (1-based line number).
    Json { line: usize, message: String },
    /// The trace is well-formed JSON but not a trace this port replays.
    Format(String),
}

impl fmt::Display for SwissTraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SwissTraceError::Io(e) => write!(f, "reading trace: {e}"),
            SwissTraceError::Json { line, message } => write!(f, "line {line}: {message}"),
            SwissTraceError::Format(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for SwissTraceError {}

/// Decodes a swiss-v1 trace from text. Traces recorded by a Go other than 1.24 are
/// refused: this port follows Go 1.24's map.
pub fn parse_swiss_trace_str(text: &str) -> Result<SwissTrace, SwissTraceError> {
    parse(text, false)
}

/// Decodes a swiss-v1 trace whatever Go version recorded it (the recorder's
/// `-any-version`), to see where a later Go's map departs from the 1.24 port: replaying
/// it is expected to fail at the first op whose algorithm changed.
pub fn parse_swiss_trace_str_any_version(text: &str) -> Result<SwissTrace, SwissTraceError> {
    parse(text, true)
}

fn parse(text: &str, any_version: bool) -> Result<SwissTrace, SwissTraceError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, first) = lines
        .next()
        .ok_or_else(|| SwissTraceError::Format("empty trace".into()))?;
    let header: SwissHeader = serde_json::from_str(first).map_err(|e| SwissTraceError::Json {
        line: 1,
        message: e.to_string(),
    })?;
    if header.format != FORMAT {
        return Err(SwissTraceError::Format(format!(
            "format {:?}, want {FORMAT:?}",
            header.format
        )));
    }
    if !(any_version || header.go == "go1.24" || header.go.starts_with("go1.24.")) {
        return Err(SwissTraceError::Format(format!(
            "trace recorded by {}; this port follows Go 1.24's map",
            header.go
        )));
    }
    if header.group_slots != 8 || header.group_size != 136 || header.max_table_capacity != 1024 {
        return Err(SwissTraceError::Format(format!(
            "groupSlots {} groupSize {} maxTableCapacity {}, want 8/136/1024",
            header.group_slots, header.group_size, header.max_table_capacity
        )));
    }
    let mut ops = Vec::new();
    for (n, l) in lines {
        let op: OpLine = serde_json::from_str(l).map_err(|e| SwissTraceError::Json {
            line: n + 1,
            message: e.to_string(),
        })?;
        if op.i != ops.len() {
            return Err(SwissTraceError::Format(format!(
                "line {}: op number {}, want {}",
                n + 1,
                op.i,
                ops.len()
            )));
        }
        ops.push(op);
    }
    match ops.first() {
        Some(o) if o.op == "make" => {}
        _ => return Err(SwissTraceError::Format("first op is not make".into())),
    }
    Ok(SwissTrace { header, ops })
}

/// Reads and decodes a swiss-v1 trace file.
pub fn parse_swiss_trace(path: impl AsRef<Path>) -> Result<SwissTrace, SwissTraceError> {
    let text = std::fs::read_to_string(path).map_err(SwissTraceError::Io)?;
    parse_swiss_trace_str(&text)
}

/// The hasher of a replay: the hashes the trace recorded, by (seed, key).
/// With Go's `hashkey` (a trace recorded without AES hashing) it computes every hash
/// itself and checks the recorded ones.
#[derive(Clone, Debug, Default)]
pub struct ReplayHasher {
    known: Rc<RefCell<HashMap<(u64, u64), u64>>>,
    computed: Option<GoMemHasher124>,
}

impl ReplayHasher {
    /// A replay hasher that computes Go's `memhash64Fallback` with this `hashkey`.
    pub fn with_hashkey(hashkey: [u64; 4]) -> Self {
        ReplayHasher {
            known: Rc::default(),
            computed: Some(GoMemHasher124 { hashkey }),
        }
    }

    /// Records `hash(key, seed)`; a different hash for a known pair, or one that differs
    /// from the computed `memhash64Fallback`, is an error.
    pub fn learn(&self, seed: u64, key: u64, hash: u64) -> Result<(), String> {
        if let Some(h) = &self.computed {
            let c = SwissHasher::<u64>::hash(h, &key, seed);
            if c != hash {
                return Err(format!(
                    "key {key} under seed {seed:#x}: Go hashed {hash:#x}, memhash64Fallback gives {c:#x}"
                ));
            }
        }
        let mut k = self.known.borrow_mut();
        match k.insert((seed, key), hash) {
            Some(h) if h != hash => Err(format!(
                "key {key} under seed {seed:#x} hashed to {h:#x} before and {hash:#x} now"
            )),
            _ => Ok(()),
        }
    }
}

impl SwissHasher<u64> for ReplayHasher {
    fn hash(&self, key: &u64, seed: u64) -> u64 {
        match self.try_hash(key, seed) {
            Some(h) => h,
            None => panic!("no recorded hash of key {key} under seed {seed:#x}"),
        }
    }

    fn try_hash(&self, key: &u64, seed: u64) -> Option<u64> {
        match &self.computed {
            Some(h) => Some(SwissHasher::<u64>::hash(h, key, seed)),
            None => self.known.borrow().get(&(seed, *key)).copied(),
        }
    }
}

/// The random source of a replay: answers the port's draws with what Go drew.
#[derive(Clone, Debug, Default)]
pub struct ReplayRandom {
    state: Rc<RefCell<ReplayDraws>>,
}

#[derive(Debug, Default)]
struct ReplayDraws {
    next_seed: u64,
    seed_draws: usize,
    next_iter: Option<(u64, u64)>,
    iter_draws: usize,
}

impl SwissRandom for ReplayRandom {
    fn rand(&mut self) -> u64 {
        panic!("replay: a rand() draw for no recorded purpose")
    }

    fn seed(&mut self) -> u64 {
        let mut s = self.state.borrow_mut();
        s.seed_draws += 1;
        s.next_seed
    }

    fn iter_offsets(&mut self) -> (u64, u64) {
        let mut s = self.state.borrow_mut();
        s.iter_draws += 1;
        s.next_iter.unwrap_or((0, 0))
    }
}

/// Counts of what a replay compared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SwissReplayReport {
    /// Op lines replayed.
    pub ops: usize,
    /// Lookup results compared.
    pub lookups: usize,
    /// Iterator advances compared (yields and ends).
    pub iter_advances: usize,
    /// Group states compared (each is 136 bytes of Go memory).
    pub groups_compared: usize,
    /// Tables Go allocated that the trace saw.
    pub tables_seen: usize,
    /// The largest `globalDepth`.
    pub max_global_depth: u8,
    /// Ops after which some table held a tombstone.
    pub ops_with_tombstones: usize,
    /// Ops whose map was small.
    pub small_ops: usize,
    /// Directory grows (globalDepth increased).
    pub directory_grows: usize,
    /// Seed changes.
    pub reseeds: usize,
    /// Recorded hashes checked against the port's own `memhash64Fallback` (traces that
    /// carry `hashkey`).
    pub hashes_recomputed: usize,
    /// Iterator advances made while the iterator walked a stale (grown or split) table,
    /// so that every yield was re-looked up in the current table (`grownKeyElem`).
    pub stale_table_advances: usize,
    /// Iterator advances of an iterator that started on a small map that has since grown
    /// to a table.
    pub grown_small_advances: usize,
    /// Iterator advances after the directory grew under the iterator (`Next` shifts
    /// `dirIdx` and `dirOffset` by the change of `globalDepth`).
    pub dir_grown_advances: usize,
    /// Assigns that only updated a key of a full small map and still grew it to a table
    /// (Go 1.24's `runtime_mapassign_fast64`).
    pub small_update_grows: usize,
    /// Assigns that rehashed (grew or split) a table holding tombstones: Go 1.24 has no
    /// in-place rehash and never prunes tombstones.
    pub tombstone_rehashes: usize,
}

/// The first difference between the port and the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SwissReplayMismatch {
    /// Op number.
    pub op: usize,
    /// The op.
    pub kind: String,
    /// What differed.
    pub what: String,
}

impl fmt::Display for SwissReplayMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "op {} ({}): {}", self.op, self.kind, self.what)
    }
}

impl std::error::Error for SwissReplayMismatch {}

type Port = SwissMap<u64, u64, ReplayHasher, ReplayRandom>;

/// Go's memory as reconstructed from the deltas.
#[derive(Default)]
struct GoState {
    tables: HashMap<i64, (TableLine, Vec<GroupLine>)>,
    small: Option<GroupLine>,
}

struct Replayer {
    hasher: ReplayHasher,
    rand: ReplayRandom,
    port: Option<Port>,
    canon: HashMap<TableId, i64>,
    next_canon: i64,
    iters: HashMap<usize, IterId>,
    go: GoState,
    report: SwissReplayReport,
}

fn group_eq(g: &GroupLine, p: &GroupSnapshot<u64, u64>) -> bool {
    g.ctrl == p.ctrls && g.keys == p.keys && g.elems == p.elems
}

impl Replayer {
    fn port(&mut self) -> Result<&mut Port, String> {
        self.port.as_mut().ok_or_else(|| "no map".to_string())
    }

    fn run_op(&mut self, l: &OpLine) -> Result<(), String> {
        let seed_before = self.port.as_ref().map(|p| p.seed());
        if let (Some(k), Some(h), Some(s)) = (l.key, l.hash, seed_before) {
            self.hasher.learn(s, k, h)?;
            self.report.hashes_recomputed += usize::from(self.hasher.computed.is_some());
        }
        {
            let mut d = self.rand.state.borrow_mut();
            d.next_seed = l.map.seed;
            d.seed_draws = 0;
            d.next_iter = l.iter.as_ref().map(|i| (i.entry_offset, i.dir_offset));
            d.iter_draws = 0;
        }
        let key = || l.key.ok_or_else(|| "op without key".to_string());
        match l.op.as_str() {
            "make" => {
                let hint = l.hint.ok_or("make without hint")?;
                self.port = Some(SwissMap::new_map(
                    hint,
                    self.hasher.clone(),
                    self.rand.clone(),
                ));
                self.canon.clear();
                self.iters.clear();
                self.go.small = None;
            }
            "assign" => {
                let (k, e) = (key()?, l.elem.ok_or("assign without elem")?);
                let port = self.port()?;
                let update_of_full_small =
                    port.is_small() && port.len() == 8 && port.get(&k).is_some();
                let (tables, tombstones) = (port.tables_allocated(), port.tombstone_count());
                port.insert(k, e);
                let rehashed_tombstones = tombstones > 0 && port.tables_allocated() > tables;
                let small_grew = update_of_full_small && !port.is_small();
                self.report.tombstone_rehashes += usize::from(rehashed_tombstones);
                self.report.small_update_grows += usize::from(small_grew);
            }
            "delete" => {
                let k = key()?;
                self.port()?.remove(&k);
            }
            "lookup" => {
                let k = key()?;
                let got = self.port()?.get(&k);
                let want = match l.found {
                    Some(true) => Some(l.elem.ok_or("lookup without elem")?),
                    Some(false) => None,
                    None => return Err("lookup without found".into()),
                };
                if got != want {
                    return Err(format!("lookup {k}: port {got:?}, Go {want:?}"));
                }
                self.report.lookups += 1;
            }
            "clear" => self.port()?.clear(),
            "iter_start" | "iter_next" => {
                let n = l.it.ok_or("iterator op without it")?;
                let id = if l.op == "iter_start" {
                    if self.iters.contains_key(&n) {
                        return Err(format!("iterator {n} started twice"));
                    }
                    let id = self.port()?.iter_init();
                    self.iters.insert(n, id);
                    id
                } else {
                    *self.iters.get(&n).ok_or(format!("unknown iterator {n}"))?
                };
                let port = self.port.as_ref().ok_or("no map")?;
                let before = port.iter_snapshot(id);
                if before
                    .tab
                    .is_some_and(|t| port.table_snapshot(t).index == -1)
                {
                    self.report.stale_table_advances += 1;
                }
                if before.dir_idx < 0 && port.dir_len() > 0 {
                    self.report.grown_small_advances += 1;
                }
                if before.m && before.dir_idx >= 0 && before.global_depth < port.global_depth() {
                    self.report.dir_grown_advances += 1;
                }
                let got = self.port()?.iter_next(id);
                let want = match (l.r#yield, l.end) {
                    (Some([k, e]), None) => Some((k, e)),
                    (None, Some(true)) => None,
                    _ => return Err("iterator op needs yield or end".into()),
                };
                if got != want {
                    return Err(format!("iterator {n}: port yields {got:?}, Go {want:?}"));
                }
                self.report.iter_advances += 1;
                let wi = l.iter.as_ref().ok_or("iterator op without iter state")?;
                self.compare_iter(id, wi)?;
                if want.is_none() {
                    self.iters.remove(&n);
                }
            }
            other => return Err(format!("unknown op {other:?}")),
        }
        let d = self.rand.state.borrow();
        if d.iter_draws > 1 || d.seed_draws > 1 {
            return Err(format!(
                "port drew {} seeds and {} iterator offsets",
                d.seed_draws, d.iter_draws
            ));
        }
        if d.seed_draws == 1 && l.op != "make" && Some(l.map.seed) == seed_before {
            return Err("port reseeded, Go kept its seed".into());
        }
        if l.op == "iter_start" && d.iter_draws != usize::from(l.iter.as_ref().is_some_and(|i| i.m))
        {
            return Err("port and Go disagree on drawing iterator offsets".into());
        }
        if Some(l.map.seed) != seed_before && l.op != "make" {
            self.report.reseeds += 1;
        }
        Ok(())
    }

    fn canon_of(&mut self, t: TableId) -> i64 {
        if let Some(&c) = self.canon.get(&t) {
            return c;
        }
        let c = self.next_canon;
        self.next_canon += 1;
        self.canon.insert(t, c);
        c
    }

    fn compare_iter(&mut self, id: IterId, w: &IterLine) -> Result<(), String> {
        let s = self.port()?.iter_snapshot(id);
        let tab = match s.tab {
            None => None,
            Some(t) => Some(
                *self
                    .canon
                    .get(&t)
                    .ok_or_else(|| format!("iterator on a table never in the directory: {t:?}"))?,
            ),
        };
        let group = s.group.map_or(-1, |g| g.1 as i64);
        let got = IterLine {
            m: s.m,
            entry_offset: s.entry_offset,
            dir_offset: s.dir_offset,
            clear_seq: s.clear_seq,
            global_depth: s.global_depth,
            dir_idx: s.dir_idx,
            entry_idx: s.entry_idx,
            tab,
            group,
        };
        if &got != w {
            return Err(format!("iterator state: port {got:?}, Go {w:?}"));
        }
        Ok(())
    }

    fn apply_delta(&mut self, l: &OpLine) -> Result<(), String> {
        if let Some(g) = &l.small {
            self.go.small = Some(g.clone());
        }
        for t in &l.tables {
            let e = self
                .go
                .tables
                .entry(t.id)
                .or_insert_with(|| (t.clone(), Vec::new()));
            if e.1.is_empty() {
                e.1 = (0..t.groups)
                    .map(|g| GroupLine {
                        t: t.id,
                        g,
                        ctrl: 0,
                        keys: vec![],
                        elems: vec![],
                    })
                    .collect();
            }
            e.0 = t.clone();
        }
        for g in &l.groups {
            let e = self
                .go
                .tables
                .get_mut(&g.t)
                .ok_or_else(|| format!("trace: group of unknown table {}", g.t))?;
            let slot =
                e.1.get_mut(g.g as usize)
                    .ok_or_else(|| format!("trace: group {} outside table {}", g.g, g.t))?;
            *slot = g.clone();
        }
        Ok(())
    }

    fn compare_state(&mut self, l: &OpLine) -> Result<(), String> {
        let s: MapSnapshot<u64, u64> = self.port()?.snapshot();
        let w = &l.map;
        let dir_ptr = match (&s.small, s.directory.is_empty()) {
            (Some(_), _) => "small",
            (None, true) => "nil",
            (None, false) => "dir",
        };
        let got = (
            s.used,
            s.seed,
            dir_ptr,
            s.dir_len,
            s.global_depth,
            s.global_shift,
            s.writing,
            s.clear_seq,
        );
        let want = (
            w.used,
            w.seed,
            w.dir_ptr.as_str(),
            w.dir_len,
            w.global_depth,
            w.global_shift,
            w.writing,
            w.clear_seq,
        );
        if got != want {
            return Err(format!(
                "Map (used, seed, dirPtr, dirLen, globalDepth, globalShift, writing, clearSeq): port {got:?}, Go {want:?}"
            ));
        }
        if let Some(ps) = &s.small {
            let gs = self
                .go
                .small
                .as_ref()
                .ok_or("trace: small map without its group")?;
            if !group_eq(gs, ps) {
                return Err(format!("small group: port {ps:?}, Go {gs:?}"));
            }
            self.report.groups_compared += 1;
            self.report.small_ops += 1;
        }
        let dir: Vec<i64> = s.directory.iter().map(|&t| self.canon_of(t)).collect();
        if dir != w.dir {
            return Err(format!("directory: port {dir:?}, Go {:?}", w.dir));
        }
        let mut tombstones = false;
        for pt in &s.tables {
            let id = self.canon[&pt.id];
            let (gh, gg) = self
                .go
                .tables
                .get(&id)
                .ok_or_else(|| format!("trace: table {id} has no header"))?;
            let got = (
                pt.used,
                pt.capacity,
                pt.growth_left,
                pt.local_depth,
                pt.index,
                pt.groups.len() as u64,
            );
            let want = (
                gh.used,
                gh.capacity,
                gh.growth_left,
                gh.local_depth,
                gh.index,
                gh.groups,
            );
            if got != want {
                return Err(format!(
                    "table {id} (used, capacity, growthLeft, localDepth, index, groups): port {got:?}, Go {want:?}"
                ));
            }
            for (i, (pg, wg)) in pt.groups.iter().zip(gg.iter()).enumerate() {
                if !group_eq(wg, pg) {
                    return Err(format!("table {id} group {i}: port {pg:?}, Go {wg:?}"));
                }
                if (0..8).any(|j| (pg.ctrls >> (8 * j)) as u8 == super::group::CTRL_DELETED) {
                    tombstones = true;
                }
            }
            self.report.groups_compared += pt.groups.len();
        }
        if tombstones {
            self.report.ops_with_tombstones += 1;
        }
        Ok(())
    }
}

/// Replays a swiss-v1 trace on the port; the first difference is the error.
pub fn replay_swiss_trace(trace: &SwissTrace) -> Result<SwissReplayReport, SwissReplayMismatch> {
    let mut r = Replayer {
        hasher: match trace.header.hashkey {
            Some(hk) => ReplayHasher::with_hashkey(hk),
            None => ReplayHasher::default(),
        },
        rand: ReplayRandom::default(),
        port: None,
        canon: HashMap::new(),
        next_canon: 0,
        iters: HashMap::new(),
        go: GoState::default(),
        report: SwissReplayReport::default(),
    };
    for l in &trace.ops {
        let mismatch = |what: String| SwissReplayMismatch {
            op: l.i,
            kind: l.op.clone(),
            what,
        };
        let depth_before = r.port.as_ref().map(|p| p.global_depth());
        let step = catch_unwind(AssertUnwindSafe(|| -> Result<(), String> {
            r.run_op(l)?;
            r.apply_delta(l)?;
            r.compare_state(l)?;
            let port = r.port()?;
            port.check_invariants().map_err(|v| v.to_string())
        }));
        match step {
            Ok(Ok(())) => {}
            Ok(Err(what)) => return Err(mismatch(what)),
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panic".into());
                return Err(mismatch(format!("port panicked: {msg}")));
            }
        }
        let depth = l.map.global_depth;
        if l.op != "make" && depth_before.is_some_and(|d| depth > d) {
            r.report.directory_grows += 1;
        }
        r.report.max_global_depth = r.report.max_global_depth.max(depth);
        r.report.ops += 1;
    }
    r.report.tables_seen = r.next_canon as usize;
    Ok(r.report)
}
