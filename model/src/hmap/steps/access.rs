//! Lookups (runtime/map_fast64.go's mapaccess2_fast64, runtime/map.go's mapaccessK): during a
//! growth the read looks in the old bucket while it is not yet evacuated.

use super::*;

/// The ghost bits a step sets on the state it leaves (`Ghost::violations`, `Ghost::events`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StepBits {
    pub violations: u64,
    pub events: u32,
}

/// A step that writes nothing of its own operation's (see `HmapModel::merge_read_only`): it
/// sets `bits`, and, when `grow_work`, first does growWork for an old bucket already
/// evacuated and other than h.nevacuate, so that growWork's only work is the evacuation of
/// h.nevacuate, the same whichever key asked for it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadOnlyStep {
    pub grow_work: bool,
    pub bits: StepBits,
}

impl Machine {
    /// The chain a write of `key` walks, for a read-only step: h.buckets, the key's bucket, and
    /// whether growWork runs first (a growth in progress). None when growWork would evacuate
    /// the key's own old bucket (not evacuated yet, or h.nevacuate), or the key has no hash or
    /// the map no buckets. growWork then evacuates only h.nevacuate's old bucket, which holds
    /// no entry bound for this bucket: the chain is the same before it and after, and the
    /// walk may be made before it.
    pub(super) fn read_only_chain<const N: usize>(
        &self,
        s: &HmapState<N>,
        key: u64,
    ) -> Option<(ArrayId, usize, bool)> {
        let (Ok(hash), Some(arr)) = (self.hash(s, key), s.h.buckets) else {
            return None;
        };
        let bucket = hash as usize & ((1usize << s.h.b) - 1);
        let grow_work = match s.h.oldbuckets {
            None => false,
            Some(old) => {
                let ob = bucket & s.h.oldbucketmask();
                if ob == s.h.nevacuate || !s.array(old).get(ob)?[0].evacuated() {
                    return None;
                }
                true
            }
        };
        Some((arr, bucket, grow_work))
    }
}

impl Machine {
    /// `mapaccess2_fast64(t, h, key)`.
    pub fn mapaccess2<const N: usize>(
        &self,
        s: &mut HmapState<N>,
        key: u64,
        log: &mut Log,
    ) -> Result<(u64, bool), StepError> {
        let (res, bits) = self.mapaccess2_read(s, key, log)?;
        s.ghost.violations |= bits.violations;
        s.ghost.events |= bits.events;
        Ok(res)
    }

    /// `mapaccess2_fast64(t, h, key)` as a read-only step, which it always is: its ghost
    /// bits. None only where the lookup would fail.
    pub fn mapaccess2_read_only<const N: usize>(
        &self,
        s: &HmapState<N>,
        key: u64,
    ) -> Option<ReadOnlyStep> {
        let (_, bits) = self.mapaccess2_read(s, key, &mut Log::default()).ok()?;
        Some(ReadOnlyStep {
            grow_work: false,
            bits,
        })
    }

    /// `mapaccess2_fast64(t, h, key)` on a state it does not write (Go's lookup writes nothing
    /// either): what it returns, and the ghost bits [`Machine::mapaccess2`] sets.
    pub fn mapaccess2_read<const N: usize>(
        &self,
        s: &HmapState<N>,
        key: u64,
        log: &mut Log,
    ) -> Result<((u64, bool), StepBits), StepError> {
        let mut bits = StepBits::default();
        let res = self.mapaccess2_inner(s, key, &mut bits, log)?;
        if self.track.abs {
            let want = s.ghost.abs.get(key as usize).copied().unwrap_or(0);
            let want = (want, want != 0);
            if res != want {
                bits.violations |= viol::ACCESS_MISMATCH;
            }
        }
        Ok((res, bits))
    }

    fn mapaccess2_inner<const N: usize>(
        &self,
        s: &HmapState<N>,
        key: u64,
        bits: &mut StepBits,
        log: &mut Log,
    ) -> Result<(u64, bool), StepError> {
        if s.h.count == 0 {
            return Ok((0, false));
        }
        let buckets = s.h.buckets.expect("count > 0 has buckets");
        let (arr, chain) = if s.h.b == 0 {
            // One-bucket table. No need to hash.
            (buckets, 0)
        } else {
            let Some(&hash) = s.hashes.get(&key) else {
                // Never assigned under this hash0: not in the map.
                return Ok((0, false));
            };
            let mut m = (1usize << s.h.b) - 1;
            let mut res = (buckets, hash as usize & m);
            if let Some(old) = s.h.oldbuckets {
                bits.events |= ev::ACCESS_DURING_GROWTH;
                if !s.h.same_size_grow() {
                    // There used to be half as many buckets; mask down one more power of two.
                    m >>= 1;
                }
                let ob = hash as usize & m;
                if !s.array(old)[ob][0].evacuated() {
                    res = (old, ob);
                    // The claim S14 has reads look at the new bucket first; Go looks only here.
                    if self.track.claims {
                        bits.violations |= viol::S14_OLD_BEFORE_NEW;
                    }
                }
                let (a, c) = res;
                log.note(|| {
                    format!(
                        "growing: old bucket {ob} {}: search {} bucket {c}",
                        if a == old {
                            "not evacuated"
                        } else {
                            "evacuated"
                        },
                        if a == old { "old" } else { "new" }
                    )
                });
            }
            res
        };
        for bm in &s.array(arr)[chain] {
            for i in 0..self.bucket_cnt() {
                if bm.keys[i] == key && !is_empty(bm.tophash[i]) {
                    return Ok((bm.elems[i], true));
                }
            }
        }
        Ok((0, false))
    }

    /// `mapaccessK`: the generic lookup mapiternext uses for entries that moved.
    pub(super) fn mapaccess_k<const N: usize>(
        &self,
        s: &HmapState<N>,
        key: u64,
    ) -> Option<(u64, u64)> {
        if s.h.count == 0 {
            return None;
        }
        let hash = s.hashes.get(&key).copied()?;
        let (arr, chain) = self.lookup_chain(s, hash)?;
        let top = tophash(hash);
        for bm in &s.array(arr)[chain] {
            for i in 0..self.bucket_cnt() {
                if bm.tophash[i] != top {
                    if bm.tophash[i] == EMPTY_REST {
                        return None;
                    }
                    continue;
                }
                if bm.keys[i] == key {
                    return Some((bm.keys[i], bm.elems[i]));
                }
            }
        }
        None
    }
}
