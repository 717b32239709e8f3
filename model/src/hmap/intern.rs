//! A model's table of bucket arrays, for its packed states (hmap::packed): each distinct array
//! the search has encoded, once, under a number. A packed state names its arrays by number
//! instead of spelling out their chains, and decoding it shares the table's arrays instead of
//! building them again.
//!
//! The states of a search share few arrays: the arrays are a part of the state that most steps
//! leave as it was (an access, a ghost's change) or change in one chain, and the rest of the
//! state (the abstract map, the operation count, iterators, the ghost) varies over them. In
//! claim-s16-read-during-growth, 403,824 states hold 687,600 arrays, 20,965 of them distinct;
//! in hmap-growth-in-progress, 2,139,912 states hold 7,471 distinct arrays. So the table
//! costs a small part of what spelling the arrays out in every queued state did, and a
//! decoded state's arrays come with their digests (no array is built or digested again).
//!
//! Where the states share their arrays little (a spec of many keys, values and hash functions,
//! whose states nearly all hold an array of their own), the table would cost more than it
//! saves: about 300 bytes per array, against the 30 to 60 bytes an array takes spelled out in
//! a queued state, and it keeps every array the search met, where the queue keeps only its
//! frontier. So the table stops growing when, of the last [`WINDOW`] arrays it was asked for,
//! more than one in [`NEW_SHARE`] was new to it (the specs above ask for 1-12% new ones in every
//! such window; the robustness tests' large spec of six keys, three values and 200 hash
//! functions, 14% in the second window and 24-35% later), and in any case at [`DEFAULT_CAP`]
//! bytes. An array met after that is spelled out in the states that hold it (hmap::packed),
//! and decoded as it was before the table. Which arrays the table holds is then settled for
//! good: an array it refused once it refuses always (the table only grows), and an array it
//! holds is always named by its number, so a state still has one encoding.
//!
//! Numbers are handed out in the order arrays are first met, which with two checker threads
//! depends on their timing: a state's bytes name its arrays by this run's numbers. They are
//! still one to one on the states (an array's content has one number), and the hmap model's
//! fingerprints are those of its decoded states (`FINGERPRINT_DECODED`), not of the bytes.

use super::state::{ArrayNode, Bmap, MAX_BUCKET_CNT};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// The most bytes a table takes before it stops adding arrays (see the module's header).
pub const DEFAULT_CAP: usize = 32 << 20;
/// How many lookups of arrays a table weighs at a time (see the module's header).
pub const WINDOW: u64 = 1 << 14;
/// A table stops adding arrays once more than one in this many of a window's lookups added one.
pub const NEW_SHARE: u64 = 8;
/// A thread's lookups not yet added to its table's count (a shared count written at every
/// lookup would move between the cores).
pub(crate) const BATCH: u64 = 1 << 10;

thread_local! {
    static UNCOUNTED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The arrays a model's packed states name (see the module's header). Shared by the clones of
/// a model and by its checker threads: lookups by number take no lock, and adding an array
/// takes the lock of one shard of the index by digest.
pub struct ArrayTable<const N: usize = MAX_BUCKET_CNT> {
    /// Node k is the array numbered k, sealed (its digest known) and marked with its number.
    nodes: boxcar::Vec<Arc<ArrayNode<N>>>,
    /// The numbers of the arrays whose digest is the key (more than one only if two distinct
    /// arrays' digests collide). Hashed with ahash: the keys are digests already.
    by_digest: dashmap::DashMap<u64, smallvec::SmallVec<[u32; 1]>, ahash::RandomState>,
    /// About how many bytes the table's arrays take (their nodes, bmaps and entries).
    bytes: AtomicUsize,
    /// Set once adding an array would take the table past `cap`, or a window of lookups
    /// added too many: no array is added after.
    full: AtomicBool,
    cap: usize,
    /// Lookups counted so far (in batches of [`BATCH`]), and arrays added in this window.
    lookups: AtomicU64,
    window_adds: AtomicU64,
}

/// A model's table: of [`DEFAULT_CAP`] bytes in a build against the patched stateright, whose
/// BFS encodes a successor only once it is found new; none in a build against the published
/// one, whose BFS encodes every successor before it looks its bytes up, so that the table
/// would be asked for the arrays of every transition (the robustness tests' large spec, cut
/// off at 250 MB: 1.2x the time and 1.1x the peak memory with the table).
impl<const N: usize> Default for ArrayTable<N> {
    fn default() -> Self {
        Self::with_cap(if cfg!(feature = "stateright-patched") {
            DEFAULT_CAP
        } else {
            0
        })
    }
}

impl<const N: usize> std::fmt::Debug for ArrayTable<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ArrayTable({} arrays)", self.nodes.count())
    }
}

impl<const N: usize> ArrayTable<N> {
    /// A table that stops adding arrays once they take about `cap` bytes (none if `cap` is 0:
    /// every array is spelled out).
    pub fn with_cap(cap: usize) -> Self {
        ArrayTable {
            nodes: boxcar::Vec::new(),
            by_digest: dashmap::DashMap::with_hasher(ahash::RandomState::new()),
            bytes: AtomicUsize::new(0),
            full: AtomicBool::new(false),
            cap,
            lookups: AtomicU64::new(0),
            window_adds: AtomicU64::new(0),
        }
    }

    /// Counts a lookup; at the end of each window of [`WINDOW`] lookups, stops adding arrays
    /// if more than one in [`NEW_SHARE`] of the window's added one. (A thread's batch may
    /// count toward another table of the same thread: an estimate.)
    fn count_lookup(&self) {
        let n = UNCOUNTED.with(|u| {
            let n = u.get() + 1;
            u.set(n % BATCH);
            n
        });
        if n < BATCH {
            return;
        }
        let total = self.lookups.fetch_add(BATCH, Ordering::Relaxed) + BATCH;
        if total.is_multiple_of(WINDOW) {
            let added = self.window_adds.swap(0, Ordering::Relaxed);
            if added * NEW_SHARE > WINDOW {
                self.full.store(true, Ordering::Relaxed);
            }
        }
    }

    /// Whether the table holds no array ever (made with a cap of 0): the states spell every
    /// array out.
    pub fn is_off(&self) -> bool {
        self.cap == 0
    }

    /// Whether the table has stopped adding arrays.
    pub fn is_full(&self) -> bool {
        self.full.load(Ordering::Relaxed)
    }

    /// The array numbered `id`.
    ///
    /// # Panics
    /// If no array has that number: the bytes were not written with this table (a packed
    /// state is only ever decoded by the model, or a clone of it, that encoded it).
    pub fn get(&self, id: u32) -> &Arc<ArrayNode<N>> {
        self.nodes
            .get(id as usize)
            .expect("a packed hmap state names arrays of its own model's table")
    }

    /// The number of `node`'s array: its own, if it is this table's node, or that of the
    /// table's array with the same contents, added if there is none and the table is not
    /// full; None if the table has no such array and adds none.
    pub fn intern(&self, node: &ArrayNode<N>) -> Option<u32> {
        if self.is_off() {
            return None;
        }
        // A node's number is that of the table that made it: this one's, unless the state
        // came from another model (which the search never mixes, but a caller could).
        if let Some(id) = node.interned {
            if self
                .nodes
                .get(id as usize)
                .is_some_and(|n| std::ptr::eq(&**n, node))
            {
                return Some(id);
            }
        }
        self.count_lookup();
        let digest = node.digest();
        // The number, among those of this digest, of the array with `node`'s contents.
        let same = |ids: &[u32]| {
            ids.iter()
                .copied()
                .find(|&id| self.get(id).array == node.array)
        };
        // Most arrays a new state holds are in the table already: looked up under the
        // shard's read lock first, then again under its write lock to add one.
        let found = self.by_digest.get(&digest).and_then(|ids| same(&ids));
        if found.is_some() || self.is_full() {
            return found;
        }
        let mut ids = self.by_digest.entry(digest).or_default();
        if let Some(id) = same(&ids) {
            return Some(id);
        }
        // Under the shard's lock: no other thread adds an array of this digest meanwhile, so
        // whether it is added is decided once for this content (`full` is never cleared).
        let size = Self::entry_bytes(node.array.iter().map(|c| c.len()).sum());
        if self.is_full() || self.bytes.fetch_add(size, Ordering::Relaxed) + size > self.cap {
            self.full.store(true, Ordering::Relaxed);
            if ids.is_empty() {
                drop(ids);
                self.by_digest.remove_if(&digest, |_, ids| ids.is_empty());
            }
            return None;
        }
        let number = |k: usize| u32::try_from(k).expect("fewer than 2^32 distinct bucket arrays");
        let id = number(self.nodes.push_with(|k| {
            Arc::new(ArrayNode {
                digest: Some(digest),
                interned: Some(number(k)),
                array: node.array.clone(),
            })
        }));
        ids.push(id);
        self.window_adds.fetch_add(1, Ordering::Relaxed);
        Some(id)
    }

    /// About how many bytes an array of `bmaps` bmaps takes in the table (its node, its bmaps,
    /// and 64 for its slot in the vector and its entry in the index): what counts toward the
    /// cap.
    pub(crate) fn entry_bytes(bmaps: usize) -> usize {
        std::mem::size_of::<ArrayNode<N>>() + bmaps * std::mem::size_of::<Bmap<N>>() + 64
    }

    /// How many arrays the table holds.
    pub fn len(&self) -> usize {
        self.nodes.count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
