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
//! Numbers are handed out in the order arrays are first met, which with two checker threads
//! depends on their timing: a state's bytes name its arrays by this run's numbers. They are
//! still one to one on the states (an array's content has one number), and the hmap model's
//! fingerprints are those of its decoded states (`FINGERPRINT_DECODED`), not of the bytes.

use super::state::{ArrayNode, MAX_BUCKET_CNT};
use std::sync::Arc;

/// The arrays a model's packed states name (see the module's header). Shared by the clones of
/// a model and by its checker threads: lookups by number take no lock, and adding an array
/// takes the lock of one shard of the index by digest.
pub struct ArrayTable<const N: usize = MAX_BUCKET_CNT> {
    /// Node k is the array numbered k, sealed (its digest known) and marked with its number.
    nodes: boxcar::Vec<Arc<ArrayNode<N>>>,
    /// The numbers of the arrays whose digest is the key (more than one only if two distinct
    /// arrays' digests collide). Hashed with ahash: the keys are digests already.
    by_digest: dashmap::DashMap<u64, smallvec::SmallVec<[u32; 1]>, ahash::RandomState>,
}

impl<const N: usize> Default for ArrayTable<N> {
    fn default() -> Self {
        ArrayTable {
            nodes: boxcar::Vec::new(),
            by_digest: dashmap::DashMap::with_hasher(ahash::RandomState::new()),
        }
    }
}

impl<const N: usize> std::fmt::Debug for ArrayTable<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ArrayTable({} arrays)", self.nodes.count())
    }
}

impl<const N: usize> ArrayTable<N> {
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

    /// The number of `node`'s array: its own, if it is the table's node, or that of the
    /// table's array with the same contents, added if there is none.
    pub fn intern(&self, node: &ArrayNode<N>) -> u32 {
        if let Some(id) = node.interned {
            return id;
        }
        let digest = node.digest();
        let same = |id: u32| self.get(id).array == node.array;
        // Most arrays a new state holds are in the table already: looked up under the
        // shard's read lock first, then again under its write lock to add one.
        let found = self
            .by_digest
            .get(&digest)
            .and_then(|ids| ids.iter().copied().find(|&id| same(id)));
        if let Some(id) = found {
            return id;
        }
        let mut ids = self.by_digest.entry(digest).or_default();
        if let Some(id) = ids.iter().copied().find(|&id| same(id)) {
            return id;
        }
        // Under the shard's lock: no other thread adds an array of this digest meanwhile.
        let id = self.nodes.push_with(|k| {
            let k = u32::try_from(k).expect("fewer than 2^32 distinct bucket arrays");
            Arc::new(ArrayNode {
                digest: Some(digest),
                interned: Some(k),
                array: node.array.clone(),
            })
        });
        let id = u32::try_from(id).expect("fewer than 2^32 distinct bucket arrays");
        ids.push(id);
        id
    }

    /// How many arrays the table holds.
    pub fn len(&self) -> usize {
        self.nodes.count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
