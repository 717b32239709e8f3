//! Growth (runtime/map.go): `hashGrow` (double or same-size), `growWork`, `evacuate` of one
//! old bucket into its X/Y halves, and `advanceEvacuationMark` moving `nevacuate` past the
//! evacuated prefix, ending the growth when every old bucket is evacuated.

use super::*;

impl Machine {
    /// `hashGrow`: doubles, or grows to the same size when the map is not overloaded (too many
    /// overflow buckets). Evacuation happens later, incrementally, in growWork.
    pub fn hash_grow<const N: usize>(&self, s: &mut HmapState<N>, log: &mut Log) {
        let mut bigger = 1u8;
        if !self.geo.over_load_factor(s.h.count + 1, s.h.b) {
            bigger = 0;
            s.h.flags |= SAME_SIZE_GROW;
        }
        let oldbuckets = s.h.buckets;
        let new_b = s.h.b + bigger;
        let newbuckets = Self::new_array(s, new_b);
        let mut flags = s.h.flags & !(ITERATOR | OLD_ITERATOR);
        if s.h.flags & ITERATOR != 0 {
            flags |= OLD_ITERATOR;
        }
        s.h.b = new_b;
        s.h.flags = flags;
        s.h.oldbuckets = oldbuckets;
        s.h.buckets = Some(newbuckets);
        s.h.nevacuate = 0;
        s.h.noverflow = 0;
        let next_overflow = self.geo.prealloc_overflow(new_b);
        if next_overflow > 0 {
            s.h.prealloc_left = next_overflow;
        }
        s.ghost.grow_works = 0;
        s.ghost.events |= if bigger == 0 {
            ev::SAME_SIZE_GROW_STARTED
        } else {
            ev::DOUBLE_GROW_STARTED
        };
        log.note(|| {
            format!(
                "hashGrow: {} to B={new_b}",
                if bigger == 0 {
                    "same-size grow"
                } else {
                    "double"
                }
            )
        });
    }

    /// `growWork`: evacuate the old bucket the caller is about to use, then one more.
    pub(super) fn grow_work<const N: usize>(
        &self,
        s: &mut HmapState<N>,
        bucket: usize,
        log: &mut Log,
    ) -> Result<(), StepError> {
        if self.track.grow_works {
            s.ghost.grow_works = s.ghost.grow_works.saturating_add(1);
        }
        self.evacuate(s, bucket & s.h.oldbucketmask(), log)?;
        if s.h.growing() {
            self.evacuate(s, s.h.nevacuate, log)?;
        }
        Ok(())
    }

    /// `evacuate_fast64(t, h, oldbucket)`: moves every entry of the old chain to X (same
    /// index) or Y (index + newbit) of the new array, marks the old cells evacuatedX/Y/Empty.
    pub fn evacuate<const N: usize>(
        &self,
        s: &mut HmapState<N>,
        oldbucket: usize,
        log: &mut Log,
    ) -> Result<(), StepError> {
        let old = s.h.oldbuckets.expect("evacuate while not growing");
        let new = s.h.buckets.expect("growing map has buckets");
        let newbit = s.h.noldbuckets();
        let bc = self.bucket_cnt();
        if !s.array(old)[oldbucket][0].evacuated() {
            // xy: (chain, depth, next slot) of the X and Y destinations.
            let mut xy = [(oldbucket, 0usize, 0usize), (oldbucket + newbit, 0, 0)];
            let (mut nx, mut ny) = (0, 0);
            let depth = s.array(old)[oldbucket].len();
            for d in 0..depth {
                for i in 0..bc {
                    let top = s.arrays[old as usize][oldbucket][d].tophash[i];
                    if is_empty(top) {
                        s.array_mut(old)[oldbucket][d].tophash[i] = EVACUATED_EMPTY;
                        continue;
                    }
                    if top < MIN_TOP_HASH {
                        return Err(StepError::BadMapState);
                    }
                    let k = s.arrays[old as usize][oldbucket][d].keys[i];
                    let e = s.arrays[old as usize][oldbucket][d].elems[i];
                    let mut use_y = 0usize;
                    if !s.h.same_size_grow() {
                        let hash = self.hash(s, k)?;
                        if hash as usize & newbit != 0 {
                            use_y = 1;
                        }
                    }
                    s.array_mut(old)[oldbucket][d].tophash[i] = EVACUATED_X + use_y as u8;
                    if use_y == 1 {
                        ny += 1
                    } else {
                        nx += 1
                    }
                    if xy[use_y].2 == bc {
                        let chain = xy[use_y].0;
                        let nd = self.newoverflow(s, new, chain, log);
                        s.ghost.events |= ev::EVACUATE_NEWOVERFLOW;
                        xy[use_y].1 = nd;
                        xy[use_y].2 = 0;
                    }
                    let (c, dd, di) = xy[use_y];
                    let dst = &mut s.array_mut(new)[c][dd];
                    dst.tophash[di] = top;
                    dst.keys[di] = k;
                    dst.elems[di] = e;
                    xy[use_y].2 += 1;
                }
            }
            // Deviation from Go: none. Go clears the old key/elem memory only when the bucket
            // type holds pointers; map[uint64]uint64's does not, so old cells keep their bytes.
            log.note(|| {
                if s.h.same_size_grow() {
                    format!("evacuate(old bucket {oldbucket}): {nx} to bucket {oldbucket}")
                } else {
                    format!(
                        "evacuate(old bucket {oldbucket}): {nx} to X (bucket {oldbucket}), {ny} to Y (bucket {})",
                        oldbucket + newbit
                    )
                }
            });
        }
        if oldbucket == s.h.nevacuate {
            self.advance_evacuation_mark(s, newbit, log);
        }
        Ok(())
    }

    /// `advanceEvacuationMark`: moves nevacuate past evacuated buckets (at most 1024 at a
    /// time); frees oldbuckets when all are done.
    pub(super) fn advance_evacuation_mark<const N: usize>(
        &self,
        s: &mut HmapState<N>,
        newbit: usize,
        log: &mut Log,
    ) {
        let old = s.h.oldbuckets.expect("growing");
        s.h.nevacuate += 1;
        let stop = (s.h.nevacuate + 1024).min(newbit);
        while s.h.nevacuate != stop && s.array(old)[s.h.nevacuate][0].evacuated() {
            s.h.nevacuate += 1;
        }
        if s.h.nevacuate == newbit {
            if self.track.claims && !s.array(old).iter().all(|c| c[0].evacuated()) {
                s.ghost.violations |= viol::S17_FREED_UNEVACUATED;
            }
            s.h.oldbuckets = None;
            s.h.flags &= !SAME_SIZE_GROW;
            log.note(|| {
                format!("advanceEvacuationMark: nevacuate={newbit}, growth done, oldbuckets = nil")
            });
        } else {
            log.note(|| format!("advanceEvacuationMark: nevacuate={}", s.h.nevacuate));
        }
    }
}
