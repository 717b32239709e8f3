//! Introspection of a `SyncMap` (not Go): the invariants of the parent module's entry states
//! (the names are the `syncmap` model's properties) and the promotion counters, for tests.

use super::*;

impl<K, V, H: Hooks> SyncMap<K, V, H>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    // ---- introspection (not Go) ---------------------------------------------------------

    /// Checks the invariants of the header's case list and of `amended`; meant for quiescent
    /// states (it takes `mu`, and entries may change under it otherwise).
    pub fn check_invariants(&self) -> Result<(), String>
    where
        K: std::fmt::Debug,
    {
        let locked = self.mu.lock().unwrap_or_else(PoisonError::into_inner);
        let g = &epoch::pin();
        let read = self.current_read(g);
        for (k, e) in read.m.iter() {
            let p = e.p.load(SeqCst, g);
            let in_dirty = locked.dirty.as_ref().map(|d| d.get(k));
            if is_expunged(p) {
                // expunged_implies_dirty_without_entry
                if in_dirty.is_none() || in_dirty.unwrap().is_some() {
                    return Err(format!(
                        "expunged_implies_dirty_without_entry: key {k:?} is expunged but \
                         dirty is {}",
                        if in_dirty.is_none() {
                            "nil"
                        } else {
                            "holding it"
                        }
                    ));
                }
            } else if let Some(Some(d)) = in_dirty {
                if !Arc::ptr_eq(d, e) {
                    return Err(format!(
                        "dirty_shares_read_entries: dirty[{k:?}] is not read.m[{k:?}]"
                    ));
                }
            } else if let Some(None) = in_dirty {
                return Err(format!(
                    "dirty_holds_every_unexpunged_read_entry: key {k:?} is in read.m, not \
                     expunged, and missing from a non-nil dirty"
                ));
            }
        }
        if let Some(d) = &locked.dirty {
            let extra = d.keys().any(|k| !read.m.contains_key(k));
            if extra && !read.amended {
                return Err(
                    "amended_iff_dirty_has_new_keys: dirty has a key read.m lacks \
                            but amended is false"
                        .into(),
                );
            }
        } else if read.amended {
            return Err("amended_iff_dirty_has_new_keys: amended with a nil dirty".into());
        }
        Ok(())
    }

    /// `(len(read.m), read.amended, len(dirty) or None for nil, misses)`, for tests of
    /// promotion.
    pub fn debug_state(&self) -> (usize, bool, Option<usize>, usize) {
        let locked = self.mu.lock().unwrap_or_else(PoisonError::into_inner);
        let g = &epoch::pin();
        let read = self.current_read(g);
        (
            read.m.len(),
            read.amended,
            locked.dirty.as_ref().map(HashMap::len),
            locked.misses,
        )
    }
}
