//! `gomap replay [--target port|model] <TRACE.jsonl>...`: replays traces recorded from
//! real Go (any classic-map release of scripts/go-versions.txt; `map[uint64]uint64`, format delta-v1, see docs/go-trace-format.md)
//! on the port in gomap-impl (`--target port`, the default) or on the hmap model of
//! gomap-model (`--target model`), and compares the whole map state after every op.
//!
//! The model replay ([`replay_on_model`]) runs the model's transition function
//! (`Machine::step`) at Go's parameters ([`Geometry::GO`], with Go 1.21's load factor for
//! a Go 1.21 trace) and feeds it only what the
//! trace gives, as the port replay does: the hash of each op's key under the hash0 before
//! the op (inserted into the model's hash function `HmapState::hashes` before the step),
//! `make`'s hash0, the hash0 a delete reseeds to (with an empty hash function: a new epoch
//! whose hashes the later op lines supply, and the line's `stale_hashes`, the keys open
//! iterators may still hash), and mapiterinit's start bucket and offset.
//! After every op it compares the lookup result or iterator yield, then the model's state
//! converted by `gomap_model::hmap::convert` against the decoded trace STATE (every hmap
//! field, both arrays chain by chain, stale bytes included), then array identity
//! (`buckets_base`, `oldbuckets_base`), read from the model's log of Go's internal steps.
//! A `clear` op runs the model's `mapclear` of the header's Go release
//! (`Machine::go`, [`model_release`]): Go 1.19's, 1.21-1.23's (markBucketsEmpty) or
//! 1.24+'s (clearSeq, compared with the trace's `clear_seq` after every op); the hash0 it
//! draws is the line's, a new epoch as for a reseeding delete. An iterator standing in a
//! preallocated overflow bucket at the clear follows Go's memory: the bucket is zeroed, its
//! overflow is nil or (the last one) bucket 0, and newoverflow hands it out again to a later
//! assign's chain, so the model yields a key twice where Go does.
//! Mismatches are reported as by the port replay: op index, line, field path, expected
//! (Go) and actual (model).
//!
//! For each file the result is the ops replayed and states compared, or the first mismatch
//! (op index, line, field path, expected and actual), or the reason the file could not be
//! read as a trace ([`replay_files`]; [`FileResult::text_line`] is `gomap replay`'s line,
//! the serialized [`FileResult`] its `--json` object). [`ReplaySummary::check`] is an error
//! when any file failed, so the CLI exits non-zero.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use crate::conformance::flat_from_snapshot;
use gomap_impl::trace::{
    parse_trace, replay_on_port, yield_difference, BucketsBase, OldBucketsBase, ReplayMismatch,
    ReplayReport, StateDecoder, Trace, TraceError, TraceOp, TraceOpKind,
};
use gomap_model::framework::log::Log;
use gomap_model::hmap::convert::{first_difference, flat_state};
use gomap_model::hmap::steps::{ev, Geometry, GoRelease, Machine, StepError, Track};
use gomap_model::hmap::{HmapAction, HmapState, Outcome};
use serde::Serialize;

/// What a trace is replayed on.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The Rust port (gomap-impl's `GoMap`).
    #[default]
    Port,
    /// The hmap model's transition function (gomap-model), at Go's parameters.
    Model,
}

/// What happened to one file.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum FileOutcome {
    /// Every op replayed and every state matched.
    Replayed(ReplayReport),
    /// The port differs from Go: the first difference.
    Mismatch(ReplayMismatch),
    /// The file is not a readable delta-v1 trace.
    TraceError(TraceError),
}

/// One file's result.
#[derive(Debug, Clone, Serialize)]
pub struct FileResult {
    /// The path as given (serialized by the outcome, which names its file too).
    #[serde(skip)]
    pub file: String,
    /// The outcome.
    #[serde(flatten)]
    pub outcome: FileOutcome,
}

impl FileResult {
    /// Whether the file replayed cleanly.
    pub fn ok(&self) -> bool {
        matches!(self.outcome, FileOutcome::Replayed(_))
    }
}

/// The results of a `gomap replay` run.
#[derive(Debug, Clone, Serialize)]
pub struct ReplaySummary {
    /// One entry per file, in the order given.
    pub files: Vec<FileResult>,
    /// Ops replayed, over the clean files.
    pub ops_replayed: usize,
    /// States compared, over the clean files.
    pub states_compared: usize,
}

/// Replays one file on `target`.
pub fn replay_file(path: &std::path::Path, target: Target) -> FileResult {
    let file = path.display().to_string();
    let outcome = match parse_trace(path) {
        Err(e) => FileOutcome::TraceError(e),
        Ok(trace) => match match target {
            Target::Port => replay_on_port(&trace),
            Target::Model => replay_on_model(&trace),
        } {
            Ok(r) => FileOutcome::Replayed(r),
            Err(m) => FileOutcome::Mismatch(m),
        },
    };
    FileResult { file, outcome }
}

impl FileResult {
    /// The file's line of `gomap replay`'s text output.
    pub fn text_line(&self) -> String {
        let file = &self.file;
        match &self.outcome {
            FileOutcome::Replayed(rep) => format!(
                "{file}: ok: {} ops replayed, {} states compared ({} lookups, {} iterator yields, {} bmaps)",
                rep.ops_replayed,
                rep.states_compared,
                rep.lookups_compared,
                rep.yields_compared,
                rep.bmaps_compared
            ),
            FileOutcome::Mismatch(m) => format!(
                "{file}: MISMATCH at op {} ({}), line {}: {}: expected {}, got {}",
                m.op_index, m.op, m.line, m.field, m.expected, m.actual
            ),
            FileOutcome::TraceError(e) => format!("{file}: ERROR: {e}"),
        }
    }
}

impl ReplaySummary {
    /// The files that did not replay cleanly.
    pub fn failed(&self) -> Vec<&str> {
        self.files
            .iter()
            .filter(|r| !r.ok())
            .map(|r| r.file.as_str())
            .collect()
    }

    /// The closing line of `gomap replay`'s text output.
    pub fn total_line(&self) -> String {
        format!(
            "replayed {} of {} traces: {} ops, {} states compared",
            self.files.len() - self.failed().len(),
            self.files.len(),
            self.ops_replayed,
            self.states_compared
        )
    }

    /// The summary when every file replayed cleanly, otherwise an error naming the files
    /// that did not.
    pub fn check(self) -> Result<ReplaySummary, String> {
        let failed = self.failed();
        if failed.is_empty() {
            return Ok(self);
        }
        Err(format!(
            "{} of {} traces failed to replay: {}",
            failed.len(),
            self.files.len(),
            failed.join(", ")
        ))
    }
}

/// Replays every file in `paths` on `target`, in order, handing each file's result to `each`
/// as soon as it is known (to print it); stops at the first error `each` returns. Failed files
/// are in the summary (see [`ReplaySummary::check`]); an empty `paths` is an error.
pub fn replay_files(
    paths: &[PathBuf],
    target: Target,
    mut each: impl FnMut(&FileResult) -> Result<(), String>,
) -> Result<ReplaySummary, String> {
    if paths.is_empty() {
        return Err("gomap replay: no trace files given".to_string());
    }
    let mut summary = ReplaySummary {
        files: Vec::new(),
        ops_replayed: 0,
        states_compared: 0,
    };
    for p in paths {
        let r = replay_file(p, target);
        each(&r)?;
        if let FileOutcome::Replayed(rep) = &r.outcome {
            summary.ops_replayed += rep.ops_replayed;
            summary.states_compared += rep.states_compared;
        }
        summary.files.push(r);
    }
    Ok(summary)
}

/// An open trace iterator on the model: the model's iterator id, and the element found by
/// the mapiternext inside mapiterinit until the first `iter_next` hands it out.
struct ModelIter {
    id: u8,
    first: Option<Option<(u64, u64)>>,
}

struct ModelReplayer<'t> {
    trace: &'t Trace,
    machine: Machine,
    state: Option<HmapState>,
    iters: HashMap<u64, ModelIter>,
    decoder: StateDecoder,
    report: ReplayReport,
}

/// The model's release for a trace: that of the header's Go minor version (1.19 for
/// anything older, which the classic-map toolchains of scripts/go-versions.txt never are).
pub fn model_release(trace: &Trace) -> GoRelease {
    GoRelease::from_minor(trace.header.go_version().minor).unwrap_or_default()
}

/// Replays `trace` on the hmap model at Go's parameters (see the module documentation)
/// and compares everything after every op; the first difference is the error.
#[allow(clippy::result_large_err)] // as gomap_impl's replay_on_port: one per trace
pub fn replay_on_model(trace: &Trace) -> Result<ReplayReport, ReplayMismatch> {
    let mut r = ModelReplayer {
        trace,
        machine: Machine {
            // Go's geometry at the trace's release (Go 1.21's load factor is 12/2).
            geo: Geometry {
                load_factor_num: trace.header.go_version().load_factor_num(),
                ..Geometry::GO
            },
            track: Track::default(),
            go: model_release(trace),
        },
        state: None,
        iters: HashMap::new(),
        decoder: StateDecoder::new(),
        report: ReplayReport {
            file: trace.source.clone(),
            ..ReplayReport::default()
        },
    };
    for op in &trace.ops {
        r.step(op)?;
    }
    Ok(r.report)
}

#[allow(clippy::result_large_err)]
impl ModelReplayer<'_> {
    fn mismatch(
        &self,
        op: &TraceOp,
        field: impl Into<String>,
        expected: impl std::fmt::Display,
        actual: impl std::fmt::Display,
    ) -> ReplayMismatch {
        ReplayMismatch::at(self.trace, op, field, expected, actual)
    }

    fn step_error(&self, op: &TraceOp, e: StepError) -> ReplayMismatch {
        let field = match e {
            StepError::UnknownHash { .. } => "hash",
            StepError::NoSuchIterator { .. } => "iter",
            StepError::BadIteratorStart { .. } => "start_bucket",
            _ => "model",
        };
        self.mismatch(
            op,
            field,
            "a step of the model",
            format!("model error: {e}"),
        )
    }

    /// Teaches the model the hash of `key` under the current hash0 (the trace's `hash`).
    fn learn_hash(&mut self, op: &TraceOp, key: u64, hash: u64) -> Result<(), ReplayMismatch> {
        let s = self.state.as_mut().expect("a trace starts with make");
        match s.hashes.insert(key, hash) {
            Some(h) if h != hash => {
                let hash0 = s.h.hash0;
                Err(self.mismatch(
                    op,
                    "hash",
                    format!("{h} (recorded earlier for key {key} under hash0 {hash0})"),
                    hash,
                ))
            }
            _ => Ok(()),
        }
    }

    /// One model step, with the log of Go's internal steps (read for array identity).
    fn run(
        &mut self,
        op: &TraceOp,
        action: HmapAction,
        log: &mut Log,
    ) -> Result<Outcome, ReplayMismatch> {
        // A reseed starts a new epoch: hashes under the new hash0 come from later lines.
        let empty = BTreeMap::new();
        let new_hashes = matches!(action, HmapAction::Delete { .. } | HmapAction::Clear { .. })
            .then_some(&empty);
        let s = self.state.as_mut().expect("a trace starts with make");
        self.machine
            .step(s, &action, new_hashes, log)
            .map_err(|e| self.step_error(op, e))
    }

    fn step(&mut self, op: &TraceOp) -> Result<(), ReplayMismatch> {
        let mut log = Log::default();
        let is_make = matches!(op.op, TraceOpKind::Make { .. });
        let had_buckets = self.state.as_ref().is_some_and(|s| s.h.buckets.is_some());
        // Events are those of the last model step; an op that runs none reports none.
        if let Some(s) = self.state.as_mut() {
            s.ghost.events = 0;
        }
        match op.op {
            TraceOpKind::Make { hint } => {
                let hint = usize::try_from(hint).unwrap_or(usize::MAX);
                self.state = Some(self.machine.makemap(hint, op.state.hash0, BTreeMap::new()));
                self.iters.clear();
            }
            TraceOpKind::Assign { key, elem, hash } => {
                self.learn_hash(op, key, hash)?;
                self.run(op, HmapAction::Assign { key, elem }, &mut log)?;
            }
            TraceOpKind::Delete { key, hash } => {
                self.learn_hash(op, key, hash)?;
                // The model uses `reseed` only when the delete brings count to 0, as Go
                // draws hash0 only then; the line's hash0 is that draw.
                let reseed = Some(op.state.hash0);
                self.run(op, HmapAction::Delete { key, reseed }, &mut log)?;
            }
            TraceOpKind::Lookup {
                key,
                hash,
                found,
                elem,
            } => {
                self.learn_hash(op, key, hash)?;
                let out = self.run(op, HmapAction::Access { key }, &mut log)?;
                self.report.lookups_compared += 1;
                let Outcome::Access {
                    elem: got_elem,
                    found: got_found,
                } = out
                else {
                    return Err(self.mismatch(op, "found", found, format!("{out:?}")));
                };
                if got_found != found {
                    return Err(self.mismatch(op, "found", found, got_found));
                }
                if got_elem != elem {
                    return Err(self.mismatch(op, "elem", elem, got_elem));
                }
            }
            TraceOpKind::IterStart {
                iter,
                start_bucket,
                offset,
            } => {
                let (Ok(start_bucket), Ok(offset)) =
                    (u16::try_from(start_bucket), u8::try_from(offset))
                else {
                    return Err(self.mismatch(
                        op,
                        "start_bucket",
                        format!("{start_bucket} / {offset}"),
                        "a start the model can represent (u16 bucket, u8 offset)",
                    ));
                };
                let action = HmapAction::IterInit {
                    start_bucket,
                    offset,
                };
                match self.run(op, action, &mut log)? {
                    Outcome::Yield { iter: id, kv } => {
                        self.iters.insert(
                            iter,
                            ModelIter {
                                id,
                                first: Some(kv),
                            },
                        );
                    }
                    out => return Err(self.mismatch(op, "iter", "a yield", format!("{out:?}"))),
                }
            }
            TraceOpKind::Clear => {
                // mapclear draws hash0 only when the map is non-empty; the line's hash0 is
                // that draw.
                let s = self.state.as_ref().expect("a trace starts with make");
                let count = s.h.count;
                let reseed = (count > 0).then_some(op.state.hash0);
                self.run(op, HmapAction::Clear { reseed }, &mut log)?;
            }
            TraceOpKind::IterNext { iter, item } => {
                let Some(it) = self.iters.get_mut(&iter) else {
                    return Err(self.mismatch(op, "iter", "an open iterator", "none"));
                };
                let (id, first) = (it.id, it.first.take());
                let got = match first {
                    Some(kv) => kv,
                    None => match self.run(op, HmapAction::IterNext { iter: id }, &mut log)? {
                        Outcome::Yield { kv, .. } => kv,
                        out => {
                            return Err(self.mismatch(op, "iter", "a yield", format!("{out:?}")))
                        }
                    },
                };
                if got.is_none() {
                    self.iters.remove(&iter);
                }
                self.report.yields_compared += 1;
                if let Some((field, expected, actual)) = yield_difference(item, got) {
                    return Err(self.mismatch(op, field, expected, actual));
                }
            }
        }

        // Hashes under the new hash0 of stale entries open iterators may still reach (a
        // reseeding clear or delete): mapiternext hashes an old bucket's keys for checkBucket.
        // The model's hash function is that of the current hash0, which they belong to.
        if !op.stale_hashes.is_empty() {
            if let Some(s) = self.state.as_mut() {
                for &(key, hash) in &op.stale_hashes {
                    s.hashes.insert(key, hash);
                }
            }
        }
        self.decoder.apply(op);
        self.compare_state(op, is_make, had_buckets)?;
        self.report.states_compared += 1;
        self.report.ops_replayed += 1;
        Ok(())
    }

    fn compare_state(
        &mut self,
        op: &TraceOp,
        is_make: bool,
        had_buckets: bool,
    ) -> Result<(), ReplayMismatch> {
        let s = self.state.as_ref().expect("made");
        let want = flat_from_snapshot(self.decoder.snapshot(&op.state));
        let got = flat_state(s, Geometry::GO.bucket_cnt);
        if let Some(d) = first_difference(&want, &got) {
            return Err(self.mismatch(op, d.field, d.expected, d.actual));
        }
        // Go 1.24+'s hmap.clearSeq counts mapclear calls (absent before: the model's stays 0).
        let want_seq = op.state.clear_seq.unwrap_or(0);
        if want_seq != s.h.clear_seq {
            return Err(self.mismatch(op, "clear_seq", want_seq, s.h.clear_seq));
        }
        self.report.bmaps_compared += [&want.buckets, &want.oldbuckets]
            .into_iter()
            .flatten()
            .flat_map(|a| a.iter().map(Vec::len))
            .sum::<usize>();

        // Array identity. The model renumbers its arena after every step, so identity is
        // read from what the step did: a new buckets array comes from makemap (B > 0),
        // from mapassign's lazy allocation (nil before, non-nil after), or from hashGrow
        // (the step's events), which also makes the previous buckets array the oldbuckets.
        let grew = !is_make
            && s.ghost.events & (ev::DOUBLE_GROW_STARTED | ev::SAME_SIZE_GROW_STARTED) != 0;
        let allocated = is_make || grew || (!had_buckets && s.h.buckets.is_some());
        let got_base = match s.h.buckets {
            None => "none",
            Some(_) if allocated => "fresh",
            Some(_) => "prev",
        };
        let want_base = match op.state.buckets_base {
            BucketsBase::None => "none",
            BucketsBase::Prev => "prev",
            BucketsBase::Fresh => "fresh",
        };
        if got_base != want_base {
            return Err(self.mismatch(op, "buckets_base", want_base, got_base));
        }
        let got_old = match s.h.oldbuckets {
            None => "none",
            Some(_) if grew => "prev_buckets",
            Some(_) => "prev_old",
        };
        let want_old = match op.state.oldbuckets_base {
            OldBucketsBase::None => "none",
            OldBucketsBase::PrevOld => "prev_old",
            OldBucketsBase::PrevBuckets => "prev_buckets",
        };
        if got_old != want_old {
            return Err(self.mismatch(op, "oldbuckets_base", want_old, got_old));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replays `paths` and fails when any file does not replay cleanly.
    fn run(paths: &[PathBuf], target: Target) -> Result<ReplaySummary, String> {
        replay_files(paths, target, |_| Ok(()))?.check()
    }

    fn sample() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("impl/tests/data/sample-trace.jsonl")
    }

    #[test]
    fn replay_of_the_sample_trace_succeeds_with_every_state_compared() {
        let s = run(&[sample()], Target::Port).expect("sample replays");
        assert_eq!((s.ops_replayed, s.states_compared), (150, 150));
        assert!(s.files[0].ok());
    }

    #[test]
    fn replay_fails_when_any_file_is_not_a_trace() {
        let missing = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("no/such/trace.jsonl");
        let err = run(&[sample(), missing], Target::Port).expect_err("missing file fails the run");
        assert!(err.contains("1 of 2 traces failed"), "{err}");
    }

    fn sample_trace() -> Trace {
        parse_trace(&sample()).expect("sample parses")
    }

    #[test]
    fn model_replay_of_the_sample_trace_compares_every_state() {
        let s = run(&[sample()], Target::Model).expect("sample replays on the model");
        assert_eq!((s.ops_replayed, s.states_compared), (150, 150));
    }

    #[test]
    fn model_replays_every_corpus_trace_with_the_same_comparisons_as_the_port() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/traces");
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("tests/traces")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        paths.sort();
        assert!(!paths.is_empty());
        for p in &paths {
            let trace = parse_trace(p).expect("corpus trace parses");
            let model = replay_on_model(&trace).unwrap_or_else(|m| panic!("{m}"));
            let port = replay_on_port(&trace).unwrap_or_else(|m| panic!("{m}"));
            assert_eq!(model, port, "{}", p.display());
        }
    }

    fn go_version_trace(name: &str) -> Trace {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("impl/tests/data/go-versions")
            .join(name);
        parse_trace(&p).expect("go-versions trace parses")
    }

    #[test]
    fn model_replays_the_clear_traces_of_each_release_at_that_release() {
        for name in [
            "go1.19.8-clear-stale-yields.jsonl",
            "go1.23.9-clear-marks-empty.jsonl",
            "go1.25.5-noswissmap-clear-seq.jsonl",
        ] {
            let trace = go_version_trace(name);
            assert!(trace
                .ops
                .iter()
                .any(|op| matches!(op.op, TraceOpKind::Clear)));
            let model = replay_on_model(&trace).unwrap_or_else(|m| panic!("{m}"));
            let port = replay_on_port(&trace).unwrap_or_else(|m| panic!("{m}"));
            assert_eq!(model, port, "{name}");
        }
    }

    #[test]
    fn model_replay_of_a_clear_trace_fails_at_another_releases_mapclear() {
        // Go 1.19's stale yields after a clear do not happen with 1.21's marking, and 1.23's
        // marked cells are not there with 1.19's mapclear.
        for (name, other) in [
            ("go1.19.8-clear-stale-yields.jsonl", "go1.21.13"),
            ("go1.23.9-clear-marks-empty.jsonl", "go1.22.10"),
            ("go1.23.9-clear-marks-empty.jsonl", "go1.19.8"),
        ] {
            let mut trace = go_version_trace(name);
            trace.header.go = other.to_string();
            if other == "go1.22.10" {
                // Same mapclear as 1.23: the replay passes.
                replay_on_model(&trace).unwrap_or_else(|m| panic!("{name} as {other}: {m}"));
            } else {
                assert!(replay_on_model(&trace).is_err(), "{name} as {other}");
            }
        }
    }

    #[test]
    fn model_replays_a_key_yielded_twice_after_clear_like_go() {
        // Real Go yields a key twice from an iterator that stood in a preallocated overflow
        // bucket at a clear: makeBucketArray zeroed it and newoverflow handed it out again to
        // another chain (impl/tests/go_versions.rs). The model follows that memory, so it
        // replays the trace clean, with the same comparisons as the port, and yields the
        // same key twice from one iterator.
        for name in [
            "go1.22.10-clear-recycled-overflow-yields-twice.jsonl",
            "go1.25.5-noswissmap-clear-recycled-overflow-yields-twice.jsonl",
        ] {
            let trace = go_version_trace(name);
            let port = replay_on_port(&trace).unwrap_or_else(|m| panic!("{name} on the port: {m}"));
            let model =
                replay_on_model(&trace).unwrap_or_else(|m| panic!("{name} on the model: {m}"));
            assert_eq!(model, port, "{name}");
            assert_eq!(model.ops_replayed, trace.ops.len(), "{name}");
            assert!(
                yields_a_key_twice_across_a_clear(&trace),
                "{name}: an iterator yields a key twice across a clear"
            );
        }
    }

    /// Whether some iterator of `trace` that was open across a clear yields the same key
    /// twice (the model's clean replay then yields it twice too: every yield is compared).
    fn yields_a_key_twice_across_a_clear(trace: &Trace) -> bool {
        // Per open iterator: whether a clear ran since it started, and the keys it yielded.
        let mut open: HashMap<u64, (bool, std::collections::HashSet<u64>)> = HashMap::new();
        trace.ops.iter().any(|op| match op.op {
            TraceOpKind::IterStart { iter, .. } => {
                open.insert(iter, (false, Default::default()));
                false
            }
            TraceOpKind::Clear => {
                open.values_mut().for_each(|it| it.0 = true);
                false
            }
            TraceOpKind::IterNext {
                iter,
                item: Some((k, _)),
            } => open
                .get_mut(&iter)
                .is_some_and(|(cleared, keys)| !keys.insert(k) && *cleared),
            _ => false,
        })
    }

    #[test]
    fn model_replay_reports_an_elem_go_did_not_store_with_its_slot() {
        let mut trace = sample_trace();
        let n = trace
            .ops
            .iter()
            .position(|op| matches!(op.op, TraceOpKind::Assign { .. }))
            .expect("an assign");
        if let TraceOpKind::Assign { elem, .. } = &mut trace.ops[n].op {
            *elem = elem.wrapping_add(1);
        }
        let m = replay_on_model(&trace).expect_err("the model stores the other elem");
        assert_eq!((m.op_index, m.op.as_str()), (n as u64, "assign"));
        assert!(
            m.field.starts_with("buckets[") && m.field.contains("].elems["),
            "{m}"
        );
    }

    #[test]
    fn model_replay_reports_a_lookup_result_go_did_not_return() {
        let mut trace = sample_trace();
        let n = trace
            .ops
            .iter()
            .position(|op| matches!(op.op, TraceOpKind::Lookup { found: true, .. }))
            .expect("a successful lookup");
        if let TraceOpKind::Lookup { elem, .. } = &mut trace.ops[n].op {
            *elem = elem.wrapping_add(1);
        }
        let m = replay_on_model(&trace).expect_err("the lookup differs");
        assert_eq!((m.op_index, m.field.as_str()), (n as u64, "elem"));
    }

    #[test]
    fn model_replay_reports_oldbuckets_go_did_not_have() {
        // Claim that the first hashGrow kept the previous oldbuckets (nil): the model's
        // grow made its old buckets array the oldbuckets.
        let mut trace = sample_trace();
        let n = trace
            .ops
            .iter()
            .position(|op| op.state.oldbuckets_base == OldBucketsBase::PrevBuckets);
        let n = n.expect("the sample grows");
        trace.ops[n].state.oldbuckets_base = OldBucketsBase::None;
        trace.ops[n].state.oldbuckets_delta.clear();
        let m = replay_on_model(&trace).expect_err("oldbuckets differ");
        assert_eq!(
            (m.op_index, m.field.as_str()),
            (n as u64, "oldbuckets"),
            "{m}"
        );
        assert_eq!(
            (m.expected.as_str(), m.actual.as_str()),
            ("nil", "an array")
        );
    }
}
