//! Growth: growWork_fast64 and evacuate_fast64 (runtime/map_fast64.go), hashGrow and
//! advanceEvacuationMark (runtime/map.go):
//!
//! ```text
//! growWork: if h.growing() (load h.oldbuckets) | evacuate(bucket&oldmask) | if h.growing()
//!           | evacuate(h.nevacuate)
//! evacuate: entry (oldbuckets, newbit, x.b) | per old cell: its tophash and key, then
//!           b.tophash[i] = evacuated* | newoverflow when dst is full | dst tophash | dst key
//!           | dst elem | advanceEvacuationMark (h.nevacuate++) | h.oldbuckets = nil |
//!           h.flags &^= sameSizeGrow (its load, its store)
//! hashGrow: the loads (count, B, flags) | h.flags |= sameSizeGrow | oldbuckets := h.buckets
//!           and makeBucketArray | h.B += bigger | h.flags = flags | h.oldbuckets =
//!           oldbuckets | h.buckets = newbuckets | h.nevacuate = 0 | h.noverflow = 0 (and
//!           h.extra); goto again
//! ```
//!
//! Interleaving points: every `|` above. A goroutine keeps the arrays it loaded, so a racing
//! grow can leave it evacuating or inserting into an array the map no longer uses.

use super::*;

impl Steps {
    /// growWork, evacuate and hashGrow.
    pub(super) fn step_grow<const N: usize>(
        &self,
        m: &mut HmapState<N>,
        g: &mut GMap,
        log: &mut Log,
    ) -> Stepped {
        match g.pc {
            Pc::Growing => {
                if m.h.oldbuckets.is_some() {
                    note(log, || "h.growing(): growWork".into());
                    g.evac = None;
                    g.pc = Pc::EvacStart;
                } else {
                    note(log, || "not growing".into());
                    g.pc = Pc::WalkStart;
                }
                Stepped::Continue
            }
            Pc::EvacStart => self.evac_start(m, g, log),
            Pc::EvacCell => self.evac_cell(m, g, log),
            Pc::EvacOverflow => {
                let mut e = g.evac.expect("evacuating");
                let u = e.use_y as usize;
                let (chain, depth, _) = e.xy[u];
                let Some(len) = Self::chain_len(m, e.new, chain) else {
                    return Stepped::Throw(FAULT_OLDBUCKETS);
                };
                // Deviation from Go: newoverflow's three accesses (nextOverflow, noverflow,
                // b.overflow) are one step here; only writers (holding hashWriting, so
                // already racing) touch them, and mapassign's own newoverflow is split.
                let prealloc = self.take_overflow(m);
                m.h.noverflow = m.h.noverflow.wrapping_add(1);
                let nd = Self::link_overflow(m, e.new, chain, depth as usize, len, g);
                e.xy[u] = (chain, nd as u8, 0);
                g.evac = Some(e);
                note(log, || {
                    format!(
                        "evacuate: newoverflow(bucket {chain}) -> overflow {nd}{}",
                        if prealloc { " (preallocated)" } else { "" }
                    )
                });
                g.pc = Pc::EvacDstTophash;
                Stepped::Continue
            }
            Pc::EvacDstTophash | Pc::EvacDstKey | Pc::EvacDstElem => self.evac_dst(m, g, log),
            Pc::EvacMark => {
                let e = g.evac.expect("evacuating");
                if e.oldbucket as usize != m.h.nevacuate {
                    note(log, || {
                        format!("h.nevacuate = {} != {}", m.h.nevacuate, e.oldbucket)
                    });
                    return self.evac_done(m, g, log);
                }
                // Deviation from Go: advanceEvacuationMark's `h.nevacuate++`, its scan of
                // bucketEvacuated and the test `h.nevacuate == newbit` are one step (loads
                // and stores of nevacuate and old tophash[0] bytes that only writers,
                // already racing, look at).
                let old = e.old;
                m.h.nevacuate += 1;
                if m.h.nevacuate > e.newbit as usize {
                    // A racing advanceEvacuationMark moved nevacuate past the end: Go's
                    // loop would scan memory past oldbuckets.
                    return Stepped::Throw(FAULT_OLDBUCKETS);
                }
                let stop = (m.h.nevacuate + 1024).min(e.newbit as usize);
                while m.h.nevacuate != stop
                    && m.arrays
                        .iter()
                        .nth(old as usize)
                        .and_then(|a| a.get(m.h.nevacuate))
                        .is_some_and(|c| c[0].evacuated())
                {
                    m.h.nevacuate += 1;
                }
                note(log, || {
                    format!("advanceEvacuationMark: nevacuate={}", m.h.nevacuate)
                });
                if m.h.nevacuate == e.newbit as usize {
                    g.pc = Pc::EvacFreeOld;
                    return Stepped::Continue;
                }
                self.evac_done(m, g, log)
            }
            Pc::EvacFreeOld => {
                m.h.oldbuckets = None;
                note(log, || "h.oldbuckets = nil".into());
                g.pc = Pc::EvacFlagsLoad;
                Stepped::Continue
            }
            Pc::EvacFlagsLoad => {
                g.flags = m.h.flags;
                note(log, || format!("load h.flags = {}", g.flags));
                g.pc = Pc::EvacFlagsStore;
                Stepped::Continue
            }
            Pc::EvacFlagsStore => {
                m.h.flags = g.flags & !SAME_SIZE_GROW;
                note(log, || {
                    format!("h.flags = {} &^ sameSizeGrow = {}", g.flags, m.h.flags)
                });
                self.evac_done(m, g, log)
            }
            Pc::GrowWork2 => {
                if m.h.oldbuckets.is_some() {
                    note(log, || {
                        "growWork: still growing: evacuate(h.nevacuate)".into()
                    });
                    g.evac = Some(Evac {
                        second: true,
                        ..Self::no_evac()
                    });
                    g.pc = Pc::EvacStart;
                } else {
                    note(log, || "growWork: growth done".into());
                    g.evac = None;
                    g.pc = Pc::WalkStart;
                }
                Stepped::Continue
            }
            Pc::GrowLoad => {
                // Deviation from Go: the loads of h.count and h.B (and of h.flags for the
                // `|=`) are one step: loads by the goroutine holding hashWriting.
                let bigger = u8::from(
                    self.machine
                        .geo
                        .over_load_factor(m.h.count.wrapping_add(1), m.h.b),
                );
                g.grow = Some(Grow {
                    bigger,
                    old: None,
                    new: 0,
                    flags: m.h.flags,
                    b: m.h.b,
                });
                if bigger == 0 {
                    note(log, || "hashGrow: not overloaded: same-size grow".into());
                    g.pc = Pc::GrowSameSize;
                } else {
                    note(log, || "hashGrow: overloaded: double".into());
                    g.pc = Pc::GrowAlloc;
                }
                Stepped::Continue
            }
            Pc::GrowSameSize => {
                let gr = g.grow.expect("growing");
                m.h.flags = gr.flags | SAME_SIZE_GROW;
                note(log, || format!("h.flags |= sameSizeGrow: {}", m.h.flags));
                g.pc = Pc::GrowAlloc;
                Stepped::Continue
            }
            Pc::GrowAlloc => {
                let mut gr = g.grow.expect("growing");
                // Deviation from Go: `oldbuckets := h.buckets` and the loads of h.flags and
                // h.B are one step (loads; makeBucketArray's memory is this goroutine's
                // until hashGrow publishes it).
                gr.old = m.h.buckets;
                gr.b = m.h.b;
                let new_b = m.h.b.wrapping_add(gr.bigger);
                if new_b > 15 {
                    return Stepped::Throw(FAULT_OLDBUCKETS);
                }
                gr.new = Machine::new_array(m, new_b);
                let mut flags = m.h.flags & !(ITERATOR | OLD_ITERATOR);
                if m.h.flags & ITERATOR != 0 {
                    flags |= OLD_ITERATOR;
                }
                gr.flags = flags;
                g.grow = Some(gr);
                note(log, || format!("hashGrow: newbuckets: 2^{new_b} buckets"));
                g.pc = Pc::GrowStoreB;
                Stepped::Continue
            }
            Pc::GrowStoreB => {
                let gr = g.grow.expect("growing");
                // Deviation from Go: `h.B += bigger` loads h.B again; the model uses the B
                // of GrowAlloc (only writers store h.B, and they hold hashWriting).
                m.h.b = gr.b.wrapping_add(gr.bigger);
                note(log, || format!("h.B = {}", m.h.b));
                g.pc = Pc::GrowStoreFlags;
                Stepped::Continue
            }
            Pc::GrowStoreFlags => {
                let gr = g.grow.expect("growing");
                m.h.flags = gr.flags;
                note(log, || format!("h.flags = {}", m.h.flags));
                g.pc = Pc::GrowStoreOldbuckets;
                Stepped::Continue
            }
            Pc::GrowStoreOldbuckets => {
                let gr = g.grow.expect("growing");
                m.h.oldbuckets = gr.old;
                note(log, || "h.oldbuckets = oldbuckets".into());
                g.pc = Pc::GrowStoreBuckets;
                Stepped::Continue
            }
            Pc::GrowStoreBuckets => {
                let gr = g.grow.expect("growing");
                m.h.buckets = Some(gr.new);
                note(log, || "h.buckets = newbuckets".into());
                g.pc = Pc::GrowStoreNevacuate;
                Stepped::Continue
            }
            Pc::GrowStoreNevacuate => {
                m.h.nevacuate = 0;
                note(log, || "h.nevacuate = 0".into());
                g.pc = Pc::GrowStoreNoverflow;
                Stepped::Continue
            }
            Pc::GrowStoreNoverflow => {
                let gr = g.grow.take().expect("growing");
                m.h.noverflow = 0;
                // Deviation from Go: h.extra's overflow/oldoverflow/nextOverflow stores are
                // part of this step; only newoverflow reads them, under hashWriting.
                let next = self
                    .machine
                    .geo
                    .prealloc_overflow(gr.b.wrapping_add(gr.bigger));
                if next > 0 {
                    m.h.prealloc_left = next;
                }
                note(log, || "h.noverflow = 0; goto again".into());
                g.pc = Pc::Again;
                Stepped::Continue
            }
            _ => unreachable!("not a grow step"),
        }
    }

    pub(super) fn no_evac() -> Evac {
        Evac {
            second: false,
            oldbucket: 0,
            newbit: 0,
            old: 0,
            new: 0,
            d: 0,
            i: 0,
            xy: [(0, 0, 0); 2],
            top: 0,
            key: 0,
            use_y: 0,
        }
    }

    pub(super) fn evac_start<const N: usize>(
        &self,
        m: &mut HmapState<N>,
        g: &mut GMap,
        log: &mut Log,
    ) -> Stepped {
        // Deviation from Go: evacuate's entry loads (h.oldbuckets, h.B and h.flags for
        // oldbucketmask and noldbuckets, h.nevacuate for growWork's second call, the old
        // bucket's tophash[0], h.buckets) are one step: loads by a goroutine holding
        // hashWriting; a racing writer's stores between them are stores of a goroutine that
        // is itself racing, whose effects the model explores at the neighbouring steps.
        let second = g.evac.is_some_and(|e| e.second);
        let (Some(old), Some(new)) = (m.h.oldbuckets, m.h.buckets) else {
            return Stepped::Throw(FAULT_OLDBUCKETS);
        };
        let newbit = m.h.noldbuckets();
        let oldbucket = if second {
            m.h.nevacuate
        } else {
            g.bucket as usize & m.h.oldbucketmask()
        };
        let old_len = m.arrays[old as usize].len();
        let new_len = m.arrays[new as usize].len();
        let same = m.h.same_size_grow();
        if oldbucket >= old_len
            || oldbucket >= new_len
            || (!same && oldbucket + newbit >= new_len)
            || newbit > old_len
        {
            return Stepped::Throw(FAULT_OLDBUCKETS);
        }
        let mut e = Evac {
            second,
            oldbucket: oldbucket as u16,
            newbit: newbit as u16,
            old,
            new,
            xy: [
                (oldbucket as u16, 0, 0),
                ((oldbucket + newbit) as u16, 0, 0),
            ],
            ..Self::no_evac()
        };
        if m.arrays[old as usize][oldbucket][0].evacuated() {
            note(log, || format!("evacuate({oldbucket}): already evacuated"));
            g.evac = Some(e);
            g.pc = Pc::EvacMark;
            return Stepped::Continue;
        }
        note(log, || format!("evacuate(old bucket {oldbucket})"));
        e.d = 0;
        e.i = 0;
        g.evac = Some(e);
        g.pc = Pc::EvacCell;
        Stepped::Continue
    }

    pub(super) fn evac_cell<const N: usize>(
        &self,
        m: &mut HmapState<N>,
        g: &mut GMap,
        log: &mut Log,
    ) -> Stepped {
        let bc = self.bc();
        let mut e = g.evac.expect("evacuating");
        let chain = &m.arrays[e.old as usize][e.oldbucket as usize];
        if e.d as usize >= chain.len() {
            // `for ; b != nil; b = b.overflow(t)` is over.
            g.pc = Pc::EvacMark;
            return Stepped::Continue;
        }
        let (d, i) = (e.d as usize, e.i as usize);
        let top = chain[d].tophash[i];
        let k = chain[d].keys[i];
        // Advance the old cursor (local).
        let adv = |e: &mut Evac| {
            if e.i as usize + 1 == bc {
                e.i = 0;
                e.d += 1;
            } else {
                e.i += 1;
            }
        };
        if is_empty(top) {
            // Deviation from Go: the load of the tophash and the store of evacuatedEmpty are
            // one step: a racing insert into this old cell (a writer that lost the
            // hashWriting race) lands before or after it, both explored.
            m.arrays[e.old as usize][e.oldbucket as usize][d].tophash[i] = EVACUATED_EMPTY;
            note(log, || format!("old {d}.{i}: empty -> evacuatedEmpty"));
            adv(&mut e);
            g.evac = Some(e);
            return Stepped::Continue;
        }
        if top < MIN_TOP_HASH {
            return Stepped::Throw(THROW_BAD_MAP_STATE);
        }
        let mut use_y = 0u8;
        if m.h.flags & SAME_SIZE_GROW == 0 {
            // Deviation from Go: hashing the key loads it and h.hash0 (and h.flags for
            // sameSizeGrow) in this step, before the store of evacuatedX/Y.
            let Some(&hash) = m.hashes.get(&k) else {
                return Stepped::Throw(THROW_BAD_MAP_STATE);
            };
            if hash as usize & e.newbit as usize != 0 {
                use_y = 1;
            }
        }
        m.arrays[e.old as usize][e.oldbucket as usize][d].tophash[i] = EVACUATED_X + use_y;
        e.top = top;
        e.key = k;
        e.use_y = use_y;
        note(log, || {
            format!(
                "old {d}.{i}: k{k} -> evacuated{}",
                if use_y == 1 { "Y" } else { "X" }
            )
        });
        let full = e.xy[use_y as usize].2 as usize == bc;
        g.evac = Some(e);
        g.pc = if full {
            Pc::EvacOverflow
        } else {
            Pc::EvacDstTophash
        };
        Stepped::Continue
    }

    pub(super) fn evac_dst<const N: usize>(
        &self,
        m: &mut HmapState<N>,
        g: &mut GMap,
        log: &mut Log,
    ) -> Stepped {
        let bc = self.bc();
        let mut e = g.evac.expect("evacuating");
        let u = e.use_y as usize;
        let (chain, depth, di) = e.xy[u];
        let dst = Slot {
            array: e.new,
            chain,
            depth,
            i: di,
        };
        let Some(bm) = bmap_mut(m, dst) else {
            return Stepped::Throw(FAULT_OLDBUCKETS);
        };
        match g.pc {
            Pc::EvacDstTophash => {
                bm.tophash[di as usize] = e.top;
                note(log, || {
                    format!("new {}.tophash = {:#x}", slot_text(&dst), e.top)
                });
                g.pc = Pc::EvacDstKey;
            }
            Pc::EvacDstKey => {
                bm.keys[di as usize] = e.key;
                note(log, || format!("new {}.key = k{}", slot_text(&dst), e.key));
                g.pc = Pc::EvacDstElem;
            }
            _ => {
                // typedmemmove: the elem is read from the old cell now.
                let src = m.arrays[e.old as usize][e.oldbucket as usize][e.d as usize].elems
                    [e.i as usize];
                let bm = bmap_mut(m, dst).expect("checked");
                bm.elems[di as usize] = src;
                note(log, || format!("new {}.elem = v{src}", slot_text(&dst)));
                e.xy[u].2 += 1;
                if e.i as usize + 1 == bc {
                    e.i = 0;
                    e.d += 1;
                } else {
                    e.i += 1;
                }
                g.pc = Pc::EvacCell;
            }
        }
        g.evac = Some(e);
        Stepped::Continue
    }

    /// After an evacuate: growWork's second one, or the walk.
    pub(super) fn evac_done<const N: usize>(
        &self,
        _m: &mut HmapState<N>,
        g: &mut GMap,
        _log: &mut Log,
    ) -> Stepped {
        let second = g.evac.is_some_and(|e| e.second);
        g.evac = None;
        g.pc = if second { Pc::WalkStart } else { Pc::GrowWork2 };
        Stepped::Continue
    }
}
