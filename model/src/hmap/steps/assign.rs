//! `mapassign` and `newoverflow` (runtime/map_fast64.go's mapassign_fast64, runtime/map.go's
//! newoverflow): the bucket walk for the key or a free slot, `goto again` after hashGrow, and
//! the link of a preallocated or fresh overflow bmap after the walked one.

use super::*;

impl Machine {
    /// `mapassign_fast64(t, h, key)` and its store of `elem` as a read-only step, when it is
    /// one: the walk finds the key and its cell already holds `elem` (Go stores the same key
    /// and elem again), the abstract map already maps the key to it, and if a growth is in
    /// progress, growWork only evacuates h.nevacuate. None whenever the step may change
    /// anything else (growWork of the key's old bucket, the key not found, another elem) or
    /// would fail (a key with no hash).
    pub fn mapassign_read_only<const N: usize>(
        &self,
        s: &HmapState<N>,
        key: u64,
        elem: u64,
    ) -> Option<ReadOnlyStep> {
        // The walk finds the key: no grow.
        let (arr, bucket, grow_work) = self.read_only_chain(s, key)?;
        let (d, i) = self.assign_walk(s, arr, bucket, key).1?;
        if s.array(arr)[bucket][d].elems[i] != elem {
            return None;
        }
        if self.track.abs && s.ghost.abs.get(key as usize).is_some_and(|&e| e != elem) {
            return None;
        }
        let mut bits = StepBits::default();
        if self.track.claims && self.find_live(s, key) != Some((arr, bucket, d, i)) {
            bits.violations |= viol::S12_NOT_IN_PLACE;
        }
        Some(ReadOnlyStep { grow_work, bits })
    }

    /// mapassign's walk of chain `bucket` of array `arr` for `key` (`bucketloop`): the first
    /// empty cell up to the first emptyRest, and the cell that holds the key, as depth and
    /// slot.
    #[allow(clippy::type_complexity)]
    fn assign_walk<const N: usize>(
        &self,
        s: &HmapState<N>,
        arr: ArrayId,
        bucket: usize,
        key: u64,
    ) -> (Option<(usize, usize)>, Option<(usize, usize)>) {
        let mut insert: Option<(usize, usize)> = None;
        for (d, bm) in s.array(arr)[bucket].iter().enumerate() {
            for i in 0..self.bucket_cnt() {
                if is_empty(bm.tophash[i]) {
                    if insert.is_none() {
                        insert = Some((d, i));
                    }
                    if bm.tophash[i] == EMPTY_REST {
                        return (insert, None);
                    }
                    continue;
                }
                if bm.keys[i] != key {
                    continue;
                }
                return (insert, Some((d, i)));
            }
        }
        (insert, None)
    }

    /// `mapassign_fast64(t, h, key)` followed by the store of the elem.
    pub fn mapassign<const N: usize>(
        &self,
        s: &mut HmapState<N>,
        key: u64,
        elem: u64,
        log: &mut Log,
    ) -> Result<(), StepError> {
        let hash = self.hash(s, key)?;
        let was_growing = s.h.growing();
        // Claims bookkeeping: where the key was, and the first emptyOne of its chain.
        let (before_pos, first_empty_one) = if self.track.claims {
            let pos = self.find_live(s, key);
            let eo = s.h.buckets.and_then(|arr| {
                let chain = hash as usize & ((1usize << s.h.b) - 1);
                s.array(arr)[chain].iter().enumerate().find_map(|(d, bm)| {
                    (0..self.bucket_cnt())
                        .find(|&i| bm.tophash[i] == EMPTY_ONE)
                        .map(|i| (arr, chain, d, i))
                })
            });
            (pos, eo)
        } else {
            (None, None)
        };

        // h.flags ^= hashWriting: set and cleared within this action; a single goroutine
        // never observes it (the concurrent models split it out).
        if s.h.buckets.is_none() {
            s.h.buckets = Some(Self::new_array(s, 0));
            log.note(|| "h.buckets = newobject(t.bucket)".into());
        }
        let mut grows = 0;
        let (pos, inserted) = loop {
            // again:
            let bucket = hash as usize & ((1usize << s.h.b) - 1);
            if s.h.growing() {
                self.grow_work(s, bucket, log)?;
            }
            let arr = s.h.buckets.unwrap();
            let (insert, found) = self.assign_walk(s, arr, bucket, key);
            if let Some((d, i)) = found {
                break ((arr, bucket, d, i), false);
            }
            // Did not find mapping for key. Allocate new cell & add entry.
            if !s.h.growing()
                && (self.geo.over_load_factor(s.h.count + 1, s.h.b)
                    || too_many_overflow_buckets(s.h.noverflow, s.h.b))
            {
                grows += 1;
                if grows > 2 {
                    return Err(StepError::GrowLoop);
                }
                self.hash_grow(s, log);
                continue; // goto again
            }
            let (d, i) = match insert {
                Some(p) => p,
                None => {
                    let d = self.newoverflow(s, arr, bucket, log);
                    (d, 0)
                }
            };
            let bm = &mut s.array_mut(arr)[bucket][d];
            bm.tophash[i] = tophash(hash);
            bm.keys[i] = key;
            s.h.count += 1;
            break ((arr, bucket, d, i), true);
        };
        let (arr, c, d, i) = pos;
        s.array_mut(arr)[c][d].elems[i] = elem;
        log.note(|| {
            format!(
                "{} k{key} in bucket {c}{} slot {i}",
                if inserted { "insert" } else { "update" },
                if d > 0 {
                    format!(" overflow {d}")
                } else {
                    String::new()
                }
            )
        });
        if self.track.abs {
            if let Some(slot) = s.ghost.abs.get_mut(key as usize) {
                *slot = elem;
            }
        }
        if self.track.claims {
            if !inserted && before_pos != Some(pos) {
                s.ghost.violations |= viol::S12_NOT_IN_PLACE;
            }
            if inserted {
                if let Some(eo) = first_empty_one {
                    if eo != pos {
                        s.ghost.violations |= viol::S12_EMPTY_ONE_NOT_REUSED;
                    }
                }
            }
            if was_growing && Some(arr) != s.h.buckets {
                s.ghost.violations |= viol::S15_WRITE_TO_OLD;
            }
        }
        Ok(())
    }

    /// `h.newoverflow(t, b)`: hands out a preallocated overflow bucket if any is left, else a
    /// new one; counts it in noverflow; links it at the end of the chain. Returns its depth.
    pub fn newoverflow<const N: usize>(
        &self,
        s: &mut HmapState<N>,
        arr: ArrayId,
        chain: usize,
        log: &mut Log,
    ) -> usize {
        // h.extra.nextOverflow points into h.buckets, the array newoverflow links into (from
        // mapassign and evacuate alike): preallocated bucket prealloc_overflow(B) -
        // prealloc_left of it. Handing out the last one also resets its sentinel overflow
        // pointer, which the chain's link order represents.
        let mut prealloc_slot = None;
        if s.h.prealloc_left > 0 {
            let slot = self
                .geo
                .prealloc_overflow(s.h.b)
                .saturating_sub(s.h.prealloc_left);
            prealloc_slot = Some(slot as u16);
            s.h.prealloc_left -= 1;
        }
        // incrnoverflow: exact while B < 16.
        // Deviation from Go: from B = 16 Go counts with probability 2^-(B-15) (fastrand); the
        // model counts every overflow bucket. Models and traces stay below B = 16.
        s.h.noverflow = s.h.noverflow.wrapping_add(1);
        let d = s.array_mut(arr).push_bmap(
            chain,
            Bmap {
                prealloc_slot,
                ..Bmap::default()
            },
        );
        // b.setoverflow(t, ovf): an iterator standing in that preallocated bucket since a
        // mapclear (see `super::clear`) now stands in this chain.
        if let Some(slot) = prealloc_slot {
            for it in &mut s.iters {
                if it.bptr == Some(Bptr::FreeOverflow { array: arr, slot }) {
                    it.bptr = Some(Bptr::Bmap(BucketPtr {
                        array: arr,
                        chain: chain as u16,
                        depth: d as u8,
                    }));
                }
            }
        }
        log.note(|| {
            format!(
                "newoverflow(bucket {chain}) -> overflow {d}{}, noverflow={}",
                match prealloc_slot {
                    Some(j) => format!(" (preallocated bucket {j})"),
                    None => String::new(),
                },
                s.h.noverflow
            )
        });
        d
    }
}
