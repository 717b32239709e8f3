//! `mapdelete` (runtime/map_fast64.go's mapdelete_fast64): growWork, the bucket walk, the elem
//! clear, `emptyOne`, the backwards `emptyRest` propagation across the chain, and the hash0
//! reseed when the count reaches 0.

use super::*;

impl Machine {
    /// `mapdelete_fast64(t, h, key)` as a read-only step, when it is one: at count 0 it
    /// returns at once, and a walk that does not find the key returns too, after a growWork
    /// that only evacuates h.nevacuate if a growth is in progress. No ghost bit is set. None
    /// whenever the delete may write for its own key (growWork of its old bucket, or the key
    /// found) or would fail (a key with no hash).
    pub fn mapdelete_read_only<const N: usize>(
        &self,
        s: &HmapState<N>,
        key: u64,
    ) -> Option<ReadOnlyStep> {
        if s.h.count == 0 {
            return Some(ReadOnlyStep::default());
        }
        let (arr, bucket, grow_work) = self.read_only_chain(s, key)?;
        self.delete_walk(s, arr, bucket, key)
            .is_none()
            .then_some(ReadOnlyStep {
                grow_work,
                bits: StepBits::default(),
            })
    }

    /// mapdelete's walk of chain `bucket` of array `arr` for `key`: the depth and slot of
    /// the first live cell that holds it.
    fn delete_walk<const N: usize>(
        &self,
        s: &HmapState<N>,
        arr: ArrayId,
        bucket: usize,
        key: u64,
    ) -> Option<(usize, usize)> {
        let bc = self.bucket_cnt();
        for (d, bm) in s.array(arr)[bucket].iter().enumerate() {
            for i in 0..bc {
                if key != bm.keys[i] || is_empty(bm.tophash[i]) {
                    continue;
                }
                return Some((d, i));
            }
        }
        None
    }

    /// `mapdelete_fast64(t, h, key)`. `reseed` is fastrand's new hash0 if count drops to 0,
    /// with `new_hashes` its hash function (None: the model's own choice, see the caller).
    pub fn mapdelete<const N: usize>(
        &self,
        s: &mut HmapState<N>,
        key: u64,
        reseed: Option<u32>,
        new_hashes: Option<&HashFn>,
        log: &mut Log,
    ) -> Result<(), StepError> {
        if s.h.count == 0 {
            log.note(|| "count == 0: return".into());
            return Ok(());
        }
        // An unknown hash means the key was never assigned under this hash0: it is absent,
        // but Go still hashes it and does growWork. Any bucket works for the walk (the key
        // is in none); growWork needs the bucket index, so unknown hashes are an error.
        let hash = self.hash(s, key)?;
        let bucket = hash as usize & ((1usize << s.h.b) - 1);
        if s.h.growing() {
            self.grow_work(s, bucket, log)?;
        }
        let arr = s.h.buckets.expect("count > 0 has buckets");
        let bc = self.bucket_cnt();
        let Some((d0, i0)) = self.delete_walk(s, arr, bucket, key) else {
            log.note(|| format!("k{key} not in bucket {bucket}"));
            return Ok(());
        };
        let before = if self.track.claims {
            Some(s.array(arr)[bucket].to_vec())
        } else {
            None
        };
        let chain = &mut s.array_mut(arr)[bucket];
        // Only clear key if there are pointers in it: uint64 has none, the key stays.
        chain[d0].elems[i0] = 0;
        chain[d0].tophash[i0] = EMPTY_ONE;
        // If the bucket now ends in a bunch of emptyOne states, change those to emptyRest.
        let not_last = if i0 == bc - 1 {
            d0 + 1 < chain.len() && chain[d0 + 1].tophash[0] != EMPTY_REST
        } else {
            chain[d0].tophash[i0 + 1] != EMPTY_REST
        };
        let mut propagated = 0;
        if !not_last {
            let (mut d, mut i) = (d0, i0);
            loop {
                chain[d].tophash[i] = EMPTY_REST;
                propagated += 1;
                if i == 0 {
                    if d == 0 {
                        break; // beginning of initial bucket, we're done.
                    }
                    // Find previous bucket, continue at its last entry.
                    d -= 1;
                    i = bc - 1;
                } else {
                    i -= 1;
                }
                if chain[d].tophash[i] != EMPTY_ONE {
                    break;
                }
            }
        }
        log.note(|| {
            format!(
                "k{key} at bucket {bucket}{} slot {i0}: emptyOne{}",
                if d0 > 0 {
                    format!(" overflow {d0}")
                } else {
                    String::new()
                },
                if propagated > 0 {
                    format!(", emptyRest over {propagated} cell(s)")
                } else {
                    String::new()
                }
            )
        });
        if let Some(before) = before {
            let after = &s.arrays[arr as usize][bucket];
            let mut v = 0;
            if after[d0].keys[i0] != 0 {
                v |= viol::S11_KEY_NOT_CLEARED;
            }
            let other_changed = before
                .iter()
                .zip(after.iter())
                .enumerate()
                .any(|(d, (x, y))| {
                    (0..bc).any(|i| (d, i) != (d0, i0) && x.tophash[i] != y.tophash[i])
                });
            if other_changed || after[d0].tophash[i0] != EMPTY_ONE {
                v |= viol::S11_OTHER_TOPHASH_CHANGED;
            }
            s.ghost.violations |= v;
        }
        s.h.count -= 1;
        if self.track.abs {
            if let Some(slot) = s.ghost.abs.get_mut(key as usize) {
                *slot = 0;
            }
        }
        if self.track.iters {
            for it in &mut s.iters {
                it.ghost.on_delete(key);
            }
        }
        if s.h.count == 0 {
            // Reset the hash seed to make it more difficult for attackers to repeatedly
            // trigger hash collisions. See issue 25237.
            if let Some(h0) = reseed {
                s.h.hash0 = h0;
                if let Some(hs) = new_hashes {
                    s.hashes = hs.clone();
                }
                s.ghost.events |= ev::RESEED;
                log.note(|| format!("count == 0: hash0 = fastrand() = {h0}"));
            }
        }
        Ok(())
    }
}
