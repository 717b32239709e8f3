//! Conformance of [`SyncMap`] to a sequential map: its operations, the sequential spec
//! ([`SeqSyncMap`]) and the generator of programs for recorded histories.
//!
//! The spec is this module's own: the model's sequential map (gomap-model's
//! `concurrent::SeqMap`) covers Load, Store, LoadOrStore, LoadAndDelete and Delete but not
//! Go 1.20's Swap, CompareAndSwap and CompareAndDelete; on the five shared operations the two
//! agree (tests/conform.rs checks it). Range is not linearizable in Go (it is no snapshot),
//! so a Range is checked as what Go promises: one read per key, each anywhere within the
//! call (see [`super::history`]).

use super::history::{Conformance, Gen};
use super::{Fault, Hooks, SyncMap};
use stateright::semantics::SequentialSpec;
use std::collections::BTreeMap;
use std::fmt;

/// Keys are `k1..=k<KEYS>`.
pub const KEYS: u8 = 3;

/// A `sync.Map` operation on small keys and values (values are unique per write in a
/// generated program, so a read names the write it saw).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyncOp {
    Load(u8),
    Store(u8, u16),
    LoadOrStore(u8, u16),
    LoadAndDelete(u8),
    Delete(u8),
    Swap(u8, u16),
    /// (key, old, new)
    CompareAndSwap(u8, u16, u16),
    /// (key, old)
    CompareAndDelete(u8, u16),
    Range,
    /// What one Range saw of one key: checked as a Load of the key anywhere within the
    /// Range (only in per-key histories).
    RangeKey(u8),
    /// Go 1.23's Clear.
    Clear,
    /// What one Clear did to one key: checked as a Delete of the key anywhere within the
    /// Clear (only in per-key histories).
    ClearKey(u8),
}

/// What a `SyncOp` returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SyncRet {
    /// Store, Delete, Clear.
    Unit,
    /// Load, LoadAndDelete, Swap: the (previous) value, if present.
    Value(Option<u16>),
    /// LoadOrStore: (actual, loaded).
    Actual(u16, bool),
    /// CompareAndSwap, CompareAndDelete.
    Done(bool),
    /// The (key, value) pairs Range visited, sorted.
    Visited(Vec<(u8, u16)>),
}

impl fmt::Display for SyncOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SyncOp::Load(k) => write!(f, "Load(k{k})"),
            SyncOp::Store(k, v) => write!(f, "Store(k{k}, v{v})"),
            SyncOp::LoadOrStore(k, v) => write!(f, "LoadOrStore(k{k}, v{v})"),
            SyncOp::LoadAndDelete(k) => write!(f, "LoadAndDelete(k{k})"),
            SyncOp::Delete(k) => write!(f, "Delete(k{k})"),
            SyncOp::Swap(k, v) => write!(f, "Swap(k{k}, v{v})"),
            SyncOp::CompareAndSwap(k, o, n) => write!(f, "CompareAndSwap(k{k}, v{o}, v{n})"),
            SyncOp::CompareAndDelete(k, o) => write!(f, "CompareAndDelete(k{k}, v{o})"),
            SyncOp::Range => write!(f, "Range"),
            SyncOp::RangeKey(k) => write!(f, "Range(visit of k{k})"),
            SyncOp::Clear => write!(f, "Clear"),
            SyncOp::ClearKey(k) => write!(f, "Clear(of k{k})"),
        }
    }
}

impl fmt::Display for SyncRet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyncRet::Unit => write!(f, "()"),
            SyncRet::Value(Some(v)) => write!(f, "(v{v}, true)"),
            SyncRet::Value(None) => write!(f, "(nil, false)"),
            SyncRet::Actual(v, l) => write!(f, "(v{v}, loaded={l})"),
            SyncRet::Done(b) => write!(f, "{b}"),
            SyncRet::Visited(kv) => {
                let items: Vec<String> = kv.iter().map(|(k, v)| format!("k{k}:v{v}")).collect();
                write!(f, "{{{}}}", items.join(" "))
            }
        }
    }
}

impl SyncOp {
    pub fn key(&self) -> Option<u8> {
        match *self {
            SyncOp::Load(k)
            | SyncOp::Store(k, _)
            | SyncOp::LoadOrStore(k, _)
            | SyncOp::LoadAndDelete(k)
            | SyncOp::Delete(k)
            | SyncOp::Swap(k, _)
            | SyncOp::CompareAndSwap(k, _, _)
            | SyncOp::CompareAndDelete(k, _)
            | SyncOp::RangeKey(k)
            | SyncOp::ClearKey(k) => Some(k),
            SyncOp::Range | SyncOp::Clear => None,
        }
    }
}

/// The sequential specification: a map, every operation atomic (Range a snapshot, Clear
/// all keys at once). The semantics are those of sync/map.go's doc comments, the same in
/// every Go release that has the operation (1.19; Swap, CompareAndSwap, CompareAndDelete
/// since 1.20; Clear since 1.23): Swap returns the previous value and whether there was one;
/// CompareAndSwap and CompareAndDelete act only on a present key holding `old`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SeqSyncMap(pub BTreeMap<u8, u16>);

impl SequentialSpec for SeqSyncMap {
    type Op = SyncOp;
    type Ret = SyncRet;
    fn invoke(&mut self, op: &SyncOp) -> SyncRet {
        let m = &mut self.0;
        match *op {
            SyncOp::Load(k) | SyncOp::RangeKey(k) => SyncRet::Value(m.get(&k).copied()),
            SyncOp::Store(k, v) => {
                m.insert(k, v);
                SyncRet::Unit
            }
            SyncOp::LoadOrStore(k, v) => match m.get(&k) {
                Some(&cur) => SyncRet::Actual(cur, true),
                None => {
                    m.insert(k, v);
                    SyncRet::Actual(v, false)
                }
            },
            SyncOp::LoadAndDelete(k) => SyncRet::Value(m.remove(&k)),
            SyncOp::Delete(k) => {
                m.remove(&k);
                SyncRet::Unit
            }
            SyncOp::Swap(k, v) => SyncRet::Value(m.insert(k, v)),
            SyncOp::CompareAndSwap(k, old, new) => {
                if m.get(&k) == Some(&old) {
                    m.insert(k, new);
                    SyncRet::Done(true)
                } else {
                    SyncRet::Done(false)
                }
            }
            SyncOp::CompareAndDelete(k, old) => {
                if m.get(&k) == Some(&old) {
                    m.remove(&k);
                    SyncRet::Done(true)
                } else {
                    SyncRet::Done(false)
                }
            }
            SyncOp::Range => SyncRet::Visited(m.iter().map(|(&k, &v)| (k, v)).collect()),
            SyncOp::Clear => {
                m.clear();
                SyncRet::Unit
            }
            SyncOp::ClearKey(k) => {
                m.remove(&k);
                SyncRet::Unit
            }
        }
    }
}

/// `SyncMap`'s conformance to [`SeqSyncMap`].
#[derive(Clone, Copy, Debug)]
pub struct SyncMapConformance;

impl Conformance for SyncMapConformance {
    type Op = SyncOp;
    type Ret = SyncRet;
    type Key = KeyName;
    type Spec = SeqSyncMap;

    fn per_key(op: &SyncOp, ret: Option<&SyncRet>) -> Vec<(KeyName, SyncOp, Option<SyncRet>)> {
        match (op.key(), ret) {
            (Some(k), _) => vec![(KeyName(k), *op, ret.cloned())],
            (None, Some(SyncRet::Visited(kv))) => (1..=KEYS)
                .map(|k| {
                    let seen = kv.iter().find(|(kk, _)| *kk == k).map(|&(_, v)| v);
                    (KeyName(k), SyncOp::RangeKey(k), Some(SyncRet::Value(seen)))
                })
                .collect(),
            // Clear: a Delete of every key.
            (None, _) if *op == SyncOp::Clear => (1..=KEYS)
                .map(|k| (KeyName(k), SyncOp::ClearKey(k), ret.cloned()))
                .collect(),
            // A pending Range reads nothing that matters.
            (None, _) => vec![],
        }
    }

    fn is_observer(op: &SyncOp, ret: Option<&SyncRet>) -> bool {
        matches!(
            (op, ret),
            (SyncOp::Load(_) | SyncOp::Range | SyncOp::RangeKey(_), _)
                | (SyncOp::LoadOrStore(..), Some(SyncRet::Actual(_, true)))
                | (SyncOp::LoadAndDelete(_), Some(SyncRet::Value(None)))
                | (
                    SyncOp::CompareAndSwap(..) | SyncOp::CompareAndDelete(..),
                    Some(SyncRet::Done(false))
                )
        )
    }
}

/// A key, shown as `k1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyName(pub u8);
impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "k{}", self.0)
    }
}

/// A random program for thread `t`: `ops` operations on keys `k1..=k<keys>` (at most
/// [`KEYS`]), with values unique across the history (`t * 1000 + i + 1`);
/// CompareAndSwap/CompareAndDelete guess an old value that another thread writes at about
/// the same step.
pub fn gen_program(rng: &mut Gen, t: usize, ops: usize, keys: u8) -> Vec<SyncOp> {
    let keys = keys.clamp(1, KEYS) as u64;
    (0..ops)
        .map(|i| {
            let k = 1 + rng.below(keys) as u8;
            let v = (t * 1000 + i + 1) as u16;
            let step = (i + rng.below(3) as usize).saturating_sub(1).min(ops - 1);
            let guess = (rng.below(4) as usize * 1000 + step + 1) as u16;
            match rng.below(100) {
                0..=19 => SyncOp::Load(k),
                20..=34 => SyncOp::Store(k, v),
                35..=47 => SyncOp::LoadOrStore(k, v),
                48..=55 => SyncOp::LoadAndDelete(k),
                56..=63 => SyncOp::Delete(k),
                64..=73 => SyncOp::Swap(k, v),
                74..=83 => SyncOp::CompareAndSwap(k, guess, v),
                84..=91 => SyncOp::CompareAndDelete(k, guess),
                _ => SyncOp::Range,
            }
        })
        .collect()
}

/// Applies `op` to the port.
pub fn apply<H: Hooks>(m: &SyncMap<u8, u16, H>, op: &SyncOp) -> SyncRet {
    match *op {
        SyncOp::Load(k) | SyncOp::RangeKey(k) => SyncRet::Value(m.load(&k)),
        SyncOp::Store(k, v) => {
            m.store(k, v);
            SyncRet::Unit
        }
        SyncOp::LoadOrStore(k, v) => {
            let (a, l) = m.load_or_store(k, v);
            SyncRet::Actual(a, l)
        }
        SyncOp::LoadAndDelete(k) => SyncRet::Value(m.load_and_delete(&k)),
        SyncOp::Delete(k) => {
            m.delete(&k);
            SyncRet::Unit
        }
        SyncOp::Swap(k, v) => SyncRet::Value(m.swap(k, v)),
        SyncOp::CompareAndSwap(k, o, n) => SyncRet::Done(m.compare_and_swap(&k, &o, n)),
        SyncOp::CompareAndDelete(k, o) => SyncRet::Done(m.compare_and_delete(&k, &o)),
        SyncOp::Clear => {
            m.clear();
            SyncRet::Unit
        }
        SyncOp::ClearKey(k) => {
            m.delete(&k);
            SyncRet::Unit
        }
        SyncOp::Range => {
            let mut seen = Vec::new();
            m.range(|&k, &v| {
                seen.push((k, v));
                true
            });
            seen.sort_unstable();
            // No key is visited more than once: a key visited twice is reported with a value
            // no write produces, so that the check fails.
            let dups: Vec<u8> = seen
                .windows(2)
                .filter(|w| w[0].0 == w[1].0)
                .map(|w| w[0].0)
                .collect();
            seen.dedup_by_key(|kv| kv.0);
            for (k, v) in &mut seen {
                if dups.contains(k) {
                    *v = u16::MAX;
                }
            }
            SyncRet::Visited(seen)
        }
    }
}

/// Runs a campaign on fresh `SyncMap`s (with `fault` injected, if any).
pub fn run(
    cfg: &super::history::RunConfig,
    fault: Option<Fault>,
) -> super::history::Summary<SyncMapConformance> {
    super::history::run::<SyncMapConformance, SyncMap<u8, u16>>(
        cfg,
        || SyncMap::new().with_fault(fault),
        |rng, t, ops| gen_program(rng, t, ops, cfg.keys),
        apply,
    )
}
