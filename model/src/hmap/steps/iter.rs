//! Iteration (runtime/map.go's mapiterinit and mapiternext): the random start bucket and
//! offset, the walk over the iterator's bucket array with `checkBucket` during a growth, and
//! the re-lookup of an entry that was evacuated or changed (mapaccessK).

use super::*;

impl Machine {
    /// `mapiterinit`: remembers the current bucket array and B, picks fastrand's start bucket
    /// and offset, sets the iterator flags, and runs the first mapiternext. Returns the new
    /// iterator's id and the first element (None: the iteration is already over).
    pub fn mapiterinit<const N: usize>(
        &self,
        s: &mut HmapState<N>,
        start_bucket: u16,
        offset: u8,
        log: &mut Log,
    ) -> Result<(u8, Option<(u64, u64)>), StepError> {
        match self.mapiterinit_only(s, start_bucket, offset, log)? {
            None => Ok((s.next_iter_id.wrapping_sub(1), None)),
            Some(id) => {
                let kv = self.mapiternext(s, id, log)?;
                Ok((id, kv))
            }
        }
    }

    /// mapiterinit up to (not including) its first mapiternext: the new iterator's id, or
    /// None when the map is empty (no iterator is created).
    pub fn mapiterinit_only<const N: usize>(
        &self,
        s: &mut HmapState<N>,
        start_bucket: u16,
        offset: u8,
        log: &mut Log,
    ) -> Result<Option<u8>, StepError> {
        let id = s.next_iter_id;
        s.next_iter_id = s.next_iter_id.wrapping_add(1);
        if s.h.count == 0 {
            log.note(|| "count == 0: iteration over".into());
            return Ok(None);
        }
        if start_bucket as usize >= 1usize << s.h.b || offset as usize >= self.bucket_cnt() {
            return Err(StepError::BadIteratorStart {
                start_bucket,
                offset,
            });
        }
        let stable = if self.track.iters {
            s.ghost
                .abs
                .iter()
                .enumerate()
                .filter(|(_, &v)| v != 0)
                .fold(0u64, |acc, (k, _)| acc | key_bit(k as u64))
        } else {
            0
        };
        s.iters.push(Hiter {
            id,
            buckets: s.h.buckets.expect("count > 0 has buckets"),
            bptr: None,
            b: s.h.b,
            start_bucket,
            offset,
            wrapped: false,
            bucket: start_bucket,
            i: 0,
            check_bucket: None,
            clear_seq: s.h.clear_seq,
            ghost: IterGhost {
                stable,
                ..IterGhost::default()
            },
        });
        // Remember we have an iterator.
        s.h.flags |= ITERATOR | OLD_ITERATOR;
        Ok(Some(id))
    }

    /// `mapiternext(it)`. When the iteration is over the iterator is dropped (the range loop
    /// ends).
    pub fn mapiternext<const N: usize>(
        &self,
        s: &mut HmapState<N>,
        id: u8,
        log: &mut Log,
    ) -> Result<Option<(u64, u64)>, StepError> {
        match self.mapiternext_slots(s, id, usize::MAX, log)? {
            IterNext::Yield(k, e) => Ok(Some((k, e))),
            IterNext::Done => Ok(None),
            IterNext::Pending => unreachable!("an unbounded mapiternext finishes"),
        }
    }

    /// `mapiternext(it)` examining at most `budget` slots: the concurrent models take one slot
    /// per step (another goroutine may run between two slots), the sequential model runs it
    /// to the end. On `Pending` the iterator's fields (bucket, bptr, i, checkBucket, wrapped)
    /// hold where Go's locals were, so the next call resumes there.
    pub fn mapiternext_slots<const N: usize>(
        &self,
        s: &mut HmapState<N>,
        id: u8,
        mut budget: usize,
        log: &mut Log,
    ) -> Result<IterNext, StepError> {
        let idx = s
            .iters
            .iter()
            .position(|it| it.id == id)
            .ok_or(StepError::NoSuchIterator { iter: id })?;
        let bc = self.bucket_cnt();
        let it = s.iters[idx].clone();
        let mut bucket = it.bucket as usize;
        let mut b = it.bptr;
        let mut i = it.i as usize;
        let mut check_bucket = it.check_bucket;
        let mut wrapped = it.wrapped;
        let it_nbuckets = 1usize << it.b;
        let result = 'next: loop {
            if b.is_none() {
                if bucket == it.start_bucket as usize && wrapped {
                    break 'next None;
                }
                if s.h.growing() && it.b == s.h.b {
                    // Iterator was started in the middle of a grow, and the grow isn't done
                    // yet. If the bucket we're looking at hasn't been filled in yet (i.e. the
                    // old bucket hasn't been evacuated) then we need to iterate through the
                    // old bucket and only return the ones that will be migrated to this
                    // bucket.
                    let oldbucket = bucket & s.h.oldbucketmask();
                    let old = s.h.oldbuckets.unwrap();
                    let ob = s.array(old).get(oldbucket).ok_or(StepError::OutOfBounds)?;
                    if !ob[0].evacuated() {
                        b = Some(Bptr::Bmap(BucketPtr {
                            array: old,
                            chain: oldbucket as u16,
                            depth: 0,
                        }));
                        check_bucket = Some(bucket as u16);
                    } else {
                        b = Some(Bptr::Bmap(BucketPtr {
                            array: it.buckets,
                            chain: bucket as u16,
                            depth: 0,
                        }));
                        check_bucket = None;
                    }
                } else {
                    b = Some(Bptr::Bmap(BucketPtr {
                        array: it.buckets,
                        chain: bucket as u16,
                        depth: 0,
                    }));
                    check_bucket = None;
                }
                bucket += 1;
                if bucket == it_nbuckets {
                    bucket = 0;
                    wrapped = true;
                }
                i = 0;
            }
            let p = b.unwrap();
            while i < bc {
                if budget == 0 {
                    let itm = &mut s.iters[idx];
                    itm.bucket = bucket as u16;
                    itm.bptr = Some(p);
                    itm.i = i as u8;
                    itm.check_bucket = check_bucket;
                    itm.wrapped = wrapped;
                    return Ok(IterNext::Pending);
                }
                budget -= 1;
                let offi = (i + it.offset as usize) & (bc - 1);
                let bm = self.bmap_at(s, p)?;
                let top = bm.tophash[offi];
                if is_empty(top) || top == EVACUATED_EMPTY {
                    i += 1;
                    continue;
                }
                let k = bm.keys[offi];
                let e = bm.elems[offi];
                if let Some(cb) = check_bucket {
                    if !s.h.same_size_grow() {
                        // Special case: iterator was started during a grow to a larger size
                        // and the grow is not done yet. We're working on a bucket whose
                        // oldbucket has not been evacuated yet. Skip keys that will go to the
                        // other new bucket.
                        let hash = self.hash(s, k)?;
                        if hash as usize & (it_nbuckets - 1) != cb as usize {
                            s.ghost.events |= ev::ITER_CHECKBUCKET_SKIP;
                            i += 1;
                            continue;
                        }
                    }
                }
                // Go 1.24+: an entry is golden only if no mapclear ran since mapiterinit
                // (it.clearSeq == h.clearSeq); both stay 0 before Go 1.24.
                let kv =
                    if it.clear_seq == s.h.clear_seq && top != EVACUATED_X && top != EVACUATED_Y {
                        // This is the golden data, we can return it.
                        (k, e)
                    } else {
                        // The hash table has grown (or been cleared) since the iterator was
                        // started. The golden data for this key is now somewhere else.
                        match self.mapaccess_k(s, k) {
                            None => {
                                i += 1;
                                continue; // key has been deleted
                            }
                            Some(kv) => {
                                s.ghost.events |= ev::ITER_YIELD_VIA_MAPACCESSK;
                                kv
                            }
                        }
                    };
                let itm = &mut s.iters[idx];
                itm.bucket = bucket as u16;
                itm.bptr = Some(p);
                itm.i = (i + 1) as u8;
                itm.check_bucket = check_bucket;
                itm.wrapped = wrapped;
                break 'next Some(kv);
            }
            b = self.overflow(s, p)?;
            i = 0;
        };
        match result {
            None => {
                let it = s.iters.remove(idx);
                if self.track.iters && it.ghost.missed_stable() {
                    s.ghost.violations |= viol::ITER_INCOMPLETE;
                }
                log.note(|| format!("it{id}: iteration over"));
            }
            Some((k, e)) => {
                if self.track.iters {
                    let f = s.iters[idx].ghost.on_yield(k, e, &s.ghost.abs);
                    s.ghost.violations |= f.bits(
                        viol::ITER_KEY_TWICE,
                        viol::ITER_ENTRY_TWICE,
                        viol::ITER_DELETED_KEY,
                        viol::ITER_STALE_VALUE,
                    );
                }
                let it = &s.iters[idx];
                log.note(|| {
                    let Some(Bptr::Bmap(p)) = it.bptr else {
                        return format!("it{id}: yield (k{k}, v{e})");
                    };
                    format!(
                        "it{id}: yield (k{k}, v{e}) from {} bucket {}{}",
                        if Some(p.array) == s.h.oldbuckets {
                            "old"
                        } else if Some(p.array) == s.h.buckets {
                            "new"
                        } else {
                            "its own (unreferenced) array's"
                        },
                        p.chain,
                        if p.depth > 0 {
                            format!(" overflow {}", p.depth)
                        } else {
                            String::new()
                        }
                    )
                });
            }
        }
        Ok(match result {
            Some((k, e)) => IterNext::Yield(k, e),
            None => IterNext::Done,
        })
    }

    /// The bmap `it.bptr` points at: a chain's, or the zeroed memory of a preallocated
    /// overflow bucket no chain links.
    fn bmap_at<'a, const N: usize>(
        &self,
        s: &'a HmapState<N>,
        p: Bptr,
    ) -> Result<&'a Bmap<N>, StepError> {
        match p {
            Bptr::Bmap(p) => s
                .array(p.array)
                .get(p.chain as usize)
                .and_then(|c| c.get(p.depth as usize))
                .ok_or(StepError::OutOfBounds),
            Bptr::FreeOverflow { .. } => Ok(&Bmap::<N>::ZERO),
        }
    }

    /// `b.overflow(t)`: the next bmap of a chain, in the array `b` belongs to. A
    /// preallocated bucket no chain links has a nil overflow pointer, except the last one of
    /// its array, whose overflow is makeBucketArray's sentinel: the array itself, bucket 0.
    fn overflow<const N: usize>(
        &self,
        s: &HmapState<N>,
        b: Bptr,
    ) -> Result<Option<Bptr>, StepError> {
        match b {
            Bptr::Bmap(p) => {
                let chain = s
                    .array(p.array)
                    .get(p.chain as usize)
                    .ok_or(StepError::OutOfBounds)?;
                Ok(
                    ((p.depth as usize) + 1 < chain.len()).then_some(Bptr::Bmap(BucketPtr {
                        depth: p.depth + 1,
                        ..p
                    })),
                )
            }
            Bptr::FreeOverflow { array, slot } => {
                let nbuckets = s.array(array).len();
                let b = nbuckets.trailing_zeros() as u8;
                let last = self.geo.prealloc_overflow(b).checked_sub(1);
                Ok(
                    (last == Some(slot as usize)).then_some(Bptr::Bmap(BucketPtr {
                        array,
                        chain: 0,
                        depth: 0,
                    })),
                )
            }
        }
    }
}
