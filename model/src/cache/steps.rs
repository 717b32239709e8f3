//! Each protocol's Go program, statement by statement, in Go's order: the updates'
//! (`updateStatus` and its fixes) and the reads, with every shared-memory access and
//! synchronisation going through [`super::memory`]'s race detector.

use super::memory::{
    acquire, alloc_map, alloc_order, collect, copy_order, field, map_read, map_read_all, map_write,
    read_field, release, retry, var_read, var_write, write_field, Rel,
};
use super::render::val;
use super::state::{CacheState, Ghost, Gor, Mu, Obj, Protocol, Ref, Role, Shadow, FIELDS, MAX_G};
use super::CacheModel;
use crate::framework::log::{note, Log};

impl CacheModel {
    /// Fields some update touches, per key (bit f).
    pub(super) fn fields_of(&self, k: u8) -> u8 {
        let mut m = 0;
        for r in &self.params.roles {
            if let Role::Update { k: rk, f, .. } = r {
                if *rk == k {
                    m |= 1 << f;
                }
            }
        }
        m
    }

    pub fn all_done(&self, s: &CacheState) -> bool {
        s.gs.iter().all(|g| g.done)
    }

    /// The order the cache holds for key k now.
    pub fn cached(&self, s: &CacheState, k: u8) -> Option<Ref> {
        if self.params.protocol.uses_sync_map() {
            s.sm[k as usize]
        } else {
            let r = s.root?;
            match &s.heap[r as usize] {
                Obj::Map { slots, .. } => slots[k as usize],
                _ => None,
            }
        }
    }

    pub(super) fn initial(&self) -> CacheState {
        let p = &self.params;
        let keys = p.keys as usize;
        let mut heap = Vec::new();
        let mut slots = vec![None; keys];
        if p.preexisting {
            for (k, slot) in slots.iter_mut().enumerate() {
                *slot = Some(heap.len() as Ref);
                heap.push(Obj::Order {
                    id: k as u8 + 1,
                    f: [0; 2],
                    sh: Default::default(),
                });
            }
        }
        let (sm, root) = if p.protocol.uses_sync_map() {
            (slots, None)
        } else {
            let r = heap.len() as Ref;
            heap.push(Obj::Map {
                slots,
                sh: Shadow::default(),
            });
            (vec![None; keys], Some(r))
        };
        let gs = (0..p.roles.len())
            .map(|g| {
                let mut vc = [0; MAX_G];
                vc[g] = 1;
                Gor {
                    vc,
                    ..Gor::default()
                }
            })
            .collect();
        CacheState {
            gs,
            heap,
            sm,
            sm_clock: vec![[0; MAX_G]; keys],
            root,
            root_clock: [0; MAX_G],
            root_sh: Shadow::default(),
            mu: Mu::default(),
            ghost: Ghost::default(),
        }
    }

    pub(super) fn enabled(&self, s: &CacheState, g: usize) -> bool {
        let gr = &s.gs[g];
        if gr.done || s.ghost.crashed {
            return false;
        }
        let p = self.params.protocol;
        match (self.params.roles[g], gr.pc) {
            (Role::Update { .. }, 0) if p.rwmutex() => !s.mu.writer && s.mu.readers == 0,
            (Role::Update { .. }, 2) if p == Protocol::SafeMap => !s.mu.writer,
            (Role::Read { .. }, 0) if p.rwmutex() => !s.mu.writer,
            _ => true,
        }
    }

    /// Runs goroutine `g`'s next statement; returns what it observed.
    pub fn apply(&self, s: &mut CacheState, g: usize, log: &mut Log) -> String {
        let out = match self.params.roles[g] {
            Role::Update { k, f, v } => self.update_step(s, g, k, f, v, log),
            Role::Read { k } => self.read_step(s, g, k, log),
        };
        collect(s);
        out
    }

    fn start_update(&self, s: &mut CacheState, g: usize) {
        if !s.gs[g].started {
            s.gs[g].started = true;
            s.gs[g].before = s.ghost.completed;
            s.ghost.started |= 1 << g;
        }
    }

    fn start_read(&self, s: &mut CacheState, g: usize, k: u8) {
        s.gs[g].started = true;
        s.gs[g].forbid = s.ghost.superseded[k as usize];
    }

    /// An update completes: record what it superseded, and check that a first update of a
    /// new order (alone on it) left its value in the cache.
    fn complete_update(&self, s: &mut CacheState, g: usize, k: u8, f: u8, v: u8, log: &mut Log) {
        let gr = &mut s.gs[g];
        gr.done = true;
        gr.a = None;
        gr.b = None;
        gr.m = None;
        let before = gr.before;
        let created = gr.created;
        s.ghost.completed |= 1 << g;
        let mut sup = 1u8; // the zero value
        for (h, r) in self.params.roles.iter().enumerate() {
            if let Role::Update {
                k: hk,
                f: hf,
                v: hv,
            } = r
            {
                if *hk == k && *hf == f && before & (1 << h) != 0 {
                    sup |= 1 << hv;
                }
            }
        }
        s.ghost.superseded[k as usize][f as usize] |= sup;
        if created {
            let others = self
                .params
                .roles
                .iter()
                .enumerate()
                .filter(|(h, r)| *h != g && matches!(r, Role::Update { k: hk, .. } if *hk == k))
                .any(|(h, _)| s.ghost.started & (1 << h) != 0);
            if !others {
                let now = self.cached(s, k).map(|o| field(s, o, f));
                if now != Some(v) {
                    s.ghost.first_lost = true;
                    note(log, || {
                        format!(
                            "first update of o{} not applied: the cache holds {}",
                            k + 1,
                            match now {
                                None => "no order".to_string(),
                                Some(x) => format!("{} = {}", FIELDS[f as usize], val(x)),
                            }
                        )
                    });
                }
            }
        }
    }

    /// A read returns `seen` (per field; None: no order). Checks it against the updates
    /// completed before the read started.
    fn finish_read(
        &self,
        s: &mut CacheState,
        g: usize,
        k: u8,
        seen: Option<Ref>,
        log: &mut Log,
    ) -> String {
        let fm = self.fields_of(k);
        let mut parts = Vec::new();
        for f in 0..2u8 {
            if fm & (1 << f) == 0 {
                continue;
            }
            let x = match seen {
                Some(o) => field(s, o, f),
                None => 0,
            };
            parts.push(format!("{} = {}", FIELDS[f as usize], val(x)));
            if s.gs[g].forbid[f as usize] & (1 << x) != 0 {
                s.ghost.stale_read = true;
                note(log, || {
                    format!(
                        "stale read: o{}.{} = {} although an update that overwrote it had completed before this read began",
                        k + 1,
                        FIELDS[f as usize],
                        val(x)
                    )
                });
            }
        }
        let gr = &mut s.gs[g];
        gr.done = true;
        gr.a = None;
        gr.m = None;
        if seen.is_none() {
            parts.insert(0, "no order".into());
        }
        parts.join(", ")
    }

    fn update_step(
        &self,
        s: &mut CacheState,
        g: usize,
        k: u8,
        f: u8,
        v: u8,
        log: &mut Log,
    ) -> String {
        use Protocol::*;
        let ku = k as usize;
        let pc = s.gs[g].pc;
        self.start_update(s, g);
        match (self.params.protocol, pc) {
            // ---- the seed's updateStatus -------------------------------------------------
            (Seed, 0) => {
                let fresh = alloc_order(s, g, k + 1, [0; 2]);
                match s.sm[ku] {
                    Some(o) => {
                        acquire(s, g, s.sm_clock[ku]);
                        s.gs[g].a = Some(o);
                        s.gs[g].pc = 1;
                        format!("loaded Order#{o} (loaded=true); the fresh &Order is garbage")
                    }
                    None => {
                        s.sm[ku] = Some(fresh);
                        release(s, g, Rel::SyncMap(ku));
                        s.gs[g].created = true;
                        self.complete_update(s, g, k, f, v, log);
                        format!(
                            "stored Order#{fresh} (loaded=false): the if body is skipped, {} is never set",
                            val(v)
                        )
                    }
                }
            }
            (Seed, 1) => {
                let o = s.gs[g].a.unwrap();
                write_field(s, g, o, f, v, log);
                s.gs[g].pc = 2;
                String::new()
            }
            (Seed, 2) => {
                let o = s.gs[g].a.unwrap();
                s.sm[ku] = Some(o);
                release(s, g, Rel::SyncMap(ku));
                self.complete_update(s, g, k, f, v, log);
                String::new()
            }
            // ---- copy-on-write on sync.Map ------------------------------------------------
            (CowStore | CowCas, 0) => {
                s.gs[g].a = s.sm[ku];
                s.gs[g].created = s.sm[ku].is_none();
                s.gs[g].pc = 1;
                match s.sm[ku] {
                    Some(o) => {
                        acquire(s, g, s.sm_clock[ku]);
                        format!("Order#{o}, true")
                    }
                    None => "nil, false".into(),
                }
            }
            (CowStore | CowCas | SafeMap, 1) => {
                let c = copy_order(s, g, s.gs[g].a, k, log);
                write_field(s, g, c, f, v, log);
                s.gs[g].b = Some(c);
                if self.params.protocol != CowCas {
                    s.gs[g].a = None;
                }
                s.gs[g].pc = if self.params.protocol == CowCas && s.gs[g].a.is_some() {
                    3
                } else {
                    2
                };
                format!("c = Order#{c}")
            }
            (CowStore, 2) => {
                s.sm[ku] = s.gs[g].b;
                release(s, g, Rel::SyncMap(ku));
                self.complete_update(s, g, k, f, v, log);
                String::new()
            }
            (CowCas, 2) => match s.sm[ku] {
                Some(o) => {
                    acquire(s, g, s.sm_clock[ku]);
                    retry(s, g);
                    format!("loaded Order#{o} (loaded=true): another update created it; retry")
                }
                None => {
                    s.sm[ku] = s.gs[g].b;
                    release(s, g, Rel::SyncMap(ku));
                    self.complete_update(s, g, k, f, v, log);
                    "stored (loaded=false)".into()
                }
            },
            (CowCas, 3) => {
                acquire(s, g, s.sm_clock[ku]);
                if s.sm[ku] == s.gs[g].a {
                    s.sm[ku] = s.gs[g].b;
                    release(s, g, Rel::SyncMap(ku));
                    self.complete_update(s, g, k, f, v, log);
                    "swapped = true".into()
                } else {
                    retry(s, g);
                    "swapped = false: the order changed since Load; retry".into()
                }
            }
            // ---- the seed's fix: RWMutex ---------------------------------------------------
            (RwmutexCopyReader | RwmutexPointerReader, 0) => {
                s.mu.writer = true;
                let (w, r) = (s.mu.w_clock, s.mu.r_clock);
                acquire(s, g, w);
                acquire(s, g, r);
                s.mu.r_clock = [0; MAX_G];
                s.gs[g].pc = 1;
                String::new()
            }
            (RwmutexCopyReader | RwmutexPointerReader, 1) => {
                let m = s.root.unwrap();
                match map_read(s, g, m, k, log) {
                    None => {
                        s.ghost.crashed = true;
                        s.ghost.first_lost = true;
                        note(log, || {
                            format!("cache[o{}] is nil: the program panics", k + 1)
                        });
                        "panic: runtime error: invalid memory address or nil pointer dereference"
                            .into()
                    }
                    Some(o) => {
                        write_field(s, g, o, f, v, log);
                        s.gs[g].pc = 2;
                        String::new()
                    }
                }
            }
            (RwmutexCopyReader | RwmutexPointerReader, 2) => {
                s.mu.writer = false;
                release(s, g, Rel::MuUnlock);
                self.complete_update(s, g, k, f, v, log);
                String::new()
            }
            // ---- the seed's RCU map --------------------------------------------------------
            (Rcu, 0) => {
                acquire(s, g, s.root_clock);
                s.gs[g].m = s.root;
                s.gs[g].pc = 1;
                format!("Map#{}", s.root.unwrap())
            }
            (Rcu, 1) => {
                let old = s.gs[g].m.unwrap();
                let o = map_read(s, g, old, k, log);
                s.gs[g].created = o.is_none();
                let c = copy_order(s, g, o, k, log);
                write_field(s, g, c, f, v, log);
                let Obj::Map { slots, .. } = &s.heap[old as usize] else {
                    unreachable!()
                };
                let mut slots = slots.clone();
                slots[ku] = Some(c);
                let next = alloc_map(s, g, slots);
                s.gs[g].b = Some(next);
                s.gs[g].m = None;
                s.gs[g].pc = 2;
                format!("next = Map#{next}")
            }
            (Rcu, 2) => {
                acquire(s, g, s.root_clock);
                let old = s.root;
                s.root = s.gs[g].b;
                release(s, g, Rel::Root);
                self.complete_update(s, g, k, f, v, log);
                format!("replaced Map#{}", old.unwrap())
            }
            // ---- the seed's SafeMap --------------------------------------------------------
            (SafeMap, 0) => {
                var_read(s, g, log);
                let m = s.root.unwrap();
                let o = map_read(s, g, m, k, log);
                s.gs[g].a = o;
                s.gs[g].created = o.is_none();
                s.gs[g].pc = 1;
                match o {
                    Some(o) => format!("Order#{o}"),
                    None => "nil".into(),
                }
            }
            (SafeMap, 2) => {
                s.mu.writer = true;
                acquire(s, g, s.mu.w_clock);
                s.gs[g].pc = 3;
                String::new()
            }
            (SafeMap, 3) => {
                let cloned = copy_order(s, g, s.gs[g].b, k, log);
                s.gs[g].b = Some(cloned);
                var_read(s, g, log);
                let m = s.root.unwrap();
                map_read_all(s, g, m, log);
                let Obj::Map { slots, .. } = &s.heap[m as usize] else {
                    unreachable!()
                };
                let slots = slots.clone();
                let copies: Vec<Option<Ref>> = slots
                    .iter()
                    .enumerate()
                    .map(|(i, o)| o.map(|o| copy_order(s, g, Some(o), i as u8, log)))
                    .collect();
                let next = alloc_map(s, g, copies);
                var_write(s, g, next, log);
                s.gs[g].pc = 4;
                format!("m.data = Map#{next} (every order deep-copied)")
            }
            (SafeMap, 4) => {
                var_read(s, g, log);
                let m = s.root.unwrap();
                map_write(s, g, m, k, s.gs[g].b, log);
                s.gs[g].b = None;
                s.gs[g].pc = 5;
                String::new()
            }
            (SafeMap, 5) => {
                s.mu.writer = false;
                release(s, g, Rel::MuUnlock);
                self.complete_update(s, g, k, f, v, log);
                String::new()
            }
            (p, pc) => unreachable!("no statement {pc} in {p:?}"),
        }
    }

    fn read_step(&self, s: &mut CacheState, g: usize, k: u8, log: &mut Log) -> String {
        use Protocol::*;
        let ku = k as usize;
        let pc = s.gs[g].pc;
        if pc == 0 {
            self.start_read(s, g, k);
        }
        match (self.params.protocol, pc) {
            (Seed | CowStore | CowCas, 0) => match s.sm[ku] {
                Some(o) => {
                    acquire(s, g, s.sm_clock[ku]);
                    s.gs[g].a = Some(o);
                    s.gs[g].pc = 1;
                    format!("Order#{o}, true")
                }
                None => {
                    let r = self.finish_read(s, g, k, None, log);
                    format!("nil, false: {r}")
                }
            },
            (Seed | CowStore | CowCas, 1) | (RwmutexPointerReader, 3) | (Rcu, 2) | (SafeMap, 1) => {
                let o = s.gs[g].a.unwrap();
                self.read_fields(s, g, o, k, log);
                self.finish_read(s, g, k, Some(o), log)
            }
            (RwmutexCopyReader | RwmutexPointerReader, 0) => {
                s.mu.readers += 1;
                acquire(s, g, s.mu.w_clock);
                s.gs[g].pc = 1;
                String::new()
            }
            (RwmutexCopyReader, 1) => {
                let m = s.root.unwrap();
                let o = map_read(s, g, m, k, log);
                s.gs[g].pc = 2;
                if let Some(o) = o {
                    self.read_fields(s, g, o, k, log);
                }
                // The copy is a local value: what the read returns is fixed here.
                let r = self.finish_read(s, g, k, o, log);
                s.gs[g].done = false;
                r
            }
            (RwmutexCopyReader, 2) => {
                s.mu.readers -= 1;
                release(s, g, Rel::MuRUnlock);
                s.gs[g].done = true;
                String::new()
            }
            (RwmutexPointerReader, 1) => {
                let m = s.root.unwrap();
                let o = map_read(s, g, m, k, log);
                s.gs[g].a = o;
                s.gs[g].pc = 2;
                match o {
                    Some(o) => format!("Order#{o}"),
                    None => "nil".into(),
                }
            }
            (RwmutexPointerReader, 2) => {
                s.mu.readers -= 1;
                release(s, g, Rel::MuRUnlock);
                s.gs[g].pc = 3;
                if s.gs[g].a.is_none() {
                    return self.finish_read(s, g, k, None, log);
                }
                String::new()
            }
            (Rcu, 0) => {
                acquire(s, g, s.root_clock);
                s.gs[g].m = s.root;
                s.gs[g].pc = 1;
                format!("Map#{}", s.root.unwrap())
            }
            (Rcu, 1) => {
                let m = s.gs[g].m.unwrap();
                let o = map_read(s, g, m, k, log);
                s.gs[g].m = None;
                s.gs[g].a = o;
                s.gs[g].pc = 2;
                match o {
                    Some(o) => format!("Order#{o}"),
                    None => {
                        let r = self.finish_read(s, g, k, None, log);
                        format!("nil: {r}")
                    }
                }
            }
            (SafeMap, 0) => {
                var_read(s, g, log);
                let m = s.root.unwrap();
                let o = map_read(s, g, m, k, log);
                s.gs[g].a = o;
                s.gs[g].pc = 1;
                match o {
                    Some(o) => format!("Order#{o}"),
                    None => {
                        let r = self.finish_read(s, g, k, None, log);
                        format!("nil: {r}")
                    }
                }
            }
            (p, pc) => unreachable!("no read statement {pc} in {p:?}"),
        }
    }

    fn read_fields(&self, s: &mut CacheState, g: usize, o: Ref, k: u8, log: &mut Log) {
        let fm = self.fields_of(k);
        for f in 0..2u8 {
            if fm & (1 << f) != 0 {
                read_field(s, g, o, f, log);
            }
        }
    }
}
