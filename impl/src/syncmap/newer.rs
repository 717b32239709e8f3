//! The operations `sync.Map` gained after Go 1.19: `Swap`, `CompareAndSwap` and
//! `CompareAndDelete` (Go 1.20's sync/map.go, with their `trySwap`/`tryCompareAndSwap` fast
//! paths on `read.m` and the locked slow paths), and `Clear` (Go 1.23). Same steps, hooks and
//! faults as the Go 1.19 operations in the parent module.

use super::*;

impl<K, V, H: Hooks> SyncMap<K, V, H>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    // ---- Swap, CompareAndSwap, CompareAndDelete (Go 1.20) -------------------------------

    /// `Swap` swaps the value for a key and returns the previous value if any.
    ///
    /// Its locked slow path is Go 1.19 `Store`'s again, with swapLocked for storeLocked: Go
    /// repeats it across releases (Go 1.19's Store has it; Go 1.20 moved it into Swap, which
    /// Store then calls). The port keeps both copies so that `store` stays step for step
    /// with Go 1.19 and `swap` with Go 1.20.
    pub fn swap(&self, key: K, value: V) -> Option<V> {
        self.paced(|g| {
            let new = Self::new_p(value, g);
            let read = self.load_read(g);
            if let Some(e) = read.m.get(&key) {
                if let Some(prev) = self.try_swap(e, new, g) {
                    return prev;
                }
            }

            let mut locked = self.lock();
            let read = self.load_read(g);
            let previous;
            if let Some(e) = read.m.get(&key) {
                if self.unexpunge_locked(e, g) && !self.faulty(Fault::UnexpungeWithoutDirty) {
                    dirty_of(&mut locked).insert(key, e.clone());
                }
                previous = self.swap_locked(e, new, g);
            } else if let Some(e) = locked.dirty.as_ref().and_then(|d| d.get(&key)) {
                previous = self.swap_locked(e, new, g);
            } else {
                if !read.amended {
                    self.amend_locked(&mut locked, read, g);
                }
                dirty_of(&mut locked).insert(key, Self::new_entry(new));
                previous = None;
            }
            self.unlock(locked);
            previous
        })
    }

    /// `entry.trySwap`: swaps a value if the entry has not been expunged. Outer None: the
    /// entry is expunged; inner: the previous value (None for a deleted entry).
    fn try_swap<'g>(&self, e: &Entry<V>, new: P<'g, V>, g: &'g Guard) -> Option<Option<V>> {
        loop {
            let p = self.load_p(e, g);
            if is_expunged(p) {
                return None;
            }
            if self.cas_p(e, p, new, g) {
                // `p` is retired, and not freed while pinned.
                return Some(value_of(p));
            }
        }
    }

    /// `entry.swapLocked`: unconditionally swaps a value in; the entry must be known not to
    /// be expunged.
    fn swap_locked<'g>(&self, e: &Entry<V>, new: P<'g, V>, g: &'g Guard) -> Option<V> {
        self.hooks.before(Step::SwapEntry);
        self.swap_p(e, new, g)
    }

    /// `CompareAndSwap` swaps the old and new values for key if the value stored in the map
    /// is equal to old.
    pub fn compare_and_swap(&self, key: &K, old: &V, new: V) -> bool
    where
        V: PartialEq,
    {
        self.paced(|g| {
            let read = self.load_read(g);
            if let Some(e) = read.m.get(key) {
                return self.try_compare_and_swap(e, old, new, g);
            } else if !read.amended {
                return false; // No existing value for key.
            }

            let mut locked = self.lock();
            let read = self.load_read(g);
            let mut swapped = false;
            if let Some(e) = read.m.get(key) {
                swapped = self.try_compare_and_swap(e, old, new, g);
            } else if let Some(e) = locked.dirty.as_ref().and_then(|d| d.get(key)).cloned() {
                swapped = self.try_compare_and_swap(&e, old, new, g);
                // We needed to lock mu in order to load the entry for key, and the operation
                // didn't change the set of keys in the map: count it as a miss so that we
                // will eventually switch to the more efficient steady state.
                self.miss_locked(&mut locked, g);
            }
            self.unlock(locked);
            swapped
        })
    }

    /// `entry.tryCompareAndSwap`: swaps in `new` if the entry holds a value equal to `old`
    /// and has not been expunged.
    fn try_compare_and_swap(&self, e: &Entry<V>, old: &V, new: V, g: &Guard) -> bool
    where
        V: PartialEq,
    {
        let mut p = self.load_p(e, g);
        if value_of(p).as_ref() != Some(old) {
            return false;
        }
        let nc = Self::new_p(new, g);
        if self.faulty(Fault::CompareAndSwapNotAtomic) {
            self.store_locked(e, nc, g);
            return true;
        }
        loop {
            if self.cas_p(e, p, nc, g) {
                return true;
            }
            p = self.load_p(e, g);
            if value_of(p).as_ref() != Some(old) {
                discard(nc);
                return false;
            }
        }
    }

    /// `CompareAndDelete` deletes the entry for key if its value is equal to old. With no
    /// current value for key it returns false.
    pub fn compare_and_delete(&self, key: &K, old: &V) -> bool
    where
        V: PartialEq,
    {
        self.paced(|g| {
            let read = self.load_read(g);
            let mut e = read.m.get(key).cloned();
            if e.is_none() && read.amended {
                let mut locked = self.lock();
                // Don't delete key from m.dirty: we still need to do the "compare" part of the
                // operation. The entry will eventually be expunged when the dirty map is
                // promoted to the read map.
                e = self.lookup_locked(&mut locked, key, g);
                self.unlock(locked);
            }
            let Some(e) = e else { return false };
            loop {
                let p = self.load_p(&e, g);
                if value_of(p).as_ref() != Some(old) {
                    return false;
                }
                if self.cas_p(&e, p, Shared::null(), g) {
                    return true;
                }
            }
        })
    }

    // ---- Clear (Go 1.23) ----------------------------------------------------------------

    /// `Clear` deletes all the entries, resulting in an empty Map (Go 1.23's sync/map.go):
    /// a fast path that returns when read is empty and not amended, else under `mu` a new
    /// empty read, `clear(m.dirty)` (dirty stays allocated, emptied) and misses = 0. A Store
    /// that loaded the old read before the new one was stored writes to an entry no longer
    /// in the map (it is ordered before the Clear).
    pub fn clear(&self) {
        self.paced(|g| {
            let read = self.load_read(g);
            if read.m.is_empty() && !read.amended {
                // Avoid allocating a new readOnly when the map is already clear.
                return;
            }
            let mut locked = self.lock();
            let read = self.load_read(g);
            if !read.m.is_empty() || read.amended {
                self.store_read(
                    ReadOnly {
                        m: Arc::new(EntryMap::default()),
                        amended: false,
                    },
                    g,
                );
            }
            if let Some(d) = locked.dirty.as_mut() {
                d.clear();
            }
            // Don't immediately promote the newly-cleared dirty map on the next operation.
            locked.misses = 0;
            self.unlock(locked);
        })
    }
}
