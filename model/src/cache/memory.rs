//! The `cache` model's memory and synchronisation: the heap and its collector, plain
//! locations with their race-detector shadows, vector clocks, and acquire/release as the Go
//! memory model orders sync.Map, Mutex, RWMutex and atomic pointers.

use super::render::gname;
use super::state::{CacheState, Obj, Ref, Shadow, Vc, FIELDS, MAX_G};
use crate::framework::log::{note, Log};

fn join(a: &mut Vc, b: &Vc) {
    for i in 0..MAX_G {
        a[i] = a[i].max(b[i]);
    }
}

/// Where a release goes.
pub(super) enum Rel {
    SyncMap(usize),
    Root,
    MuUnlock,
    MuRUnlock,
}

pub(super) fn acquire(s: &mut CacheState, g: usize, c: Vc) {
    join(&mut s.gs[g].vc, &c);
}

/// Publishes goroutine g's clock into a synchronisation object, then ticks it.
pub(super) fn release(s: &mut CacheState, g: usize, to: Rel) {
    let c = s.gs[g].vc;
    match to {
        Rel::SyncMap(k) => join(&mut s.sm_clock[k], &c),
        Rel::Root => join(&mut s.root_clock, &c),
        Rel::MuUnlock => s.mu.w_clock = c,
        Rel::MuRUnlock => join(&mut s.mu.r_clock, &c),
    }
    s.gs[g].vc[g] += 1;
}

/// Checks an access of a location; returns the description of a race, if any.
pub(super) fn access(sh: &mut Shadow, g: usize, vc: &Vc, write: bool) -> Option<String> {
    let mut why = None;
    if let Some((h, c)) = sh.w {
        if h as usize != g && c > vc[h as usize] {
            why = Some(format!(
                "{}'s write (at its clock {c}) does not happen before this {}",
                gname(h as usize),
                if write { "write" } else { "read" }
            ));
        }
    }
    if write {
        if why.is_none() {
            if let Some((h, r)) = (0..MAX_G)
                .map(|h| (h, sh.r[h]))
                .find(|&(h, r)| h != g && r > vc[h])
            {
                why = Some(format!(
                    "{}'s read (at its clock {r}) does not happen before this write",
                    gname(h)
                ));
            }
        }
        sh.w = Some((g as u8, vc[g]));
        sh.r = [0; MAX_G];
    } else {
        sh.r[g] = vc[g];
    }
    why
}

pub(super) fn race(s: &mut CacheState, g: usize, what: String, why: Option<String>, log: &mut Log) {
    if let Some(why) = why {
        s.ghost.race = true;
        note(log, || {
            format!("DATA RACE on {what}: {} accesses it, and {why}", gname(g))
        });
    }
}

pub(super) fn field(s: &CacheState, o: Ref, f: u8) -> u8 {
    match &s.heap[o as usize] {
        Obj::Order { f: fs, .. } => fs[f as usize],
        Obj::Map { .. } => unreachable!("not an order"),
    }
}

pub(super) fn read_field(s: &mut CacheState, g: usize, o: Ref, f: u8, log: &mut Log) -> u8 {
    let vc = s.gs[g].vc;
    let Obj::Order { f: fs, sh, .. } = &mut s.heap[o as usize] else {
        unreachable!()
    };
    let x = fs[f as usize];
    let why = access(&mut sh[f as usize], g, &vc, false);
    race(s, g, format!("Order#{o}.{}", FIELDS[f as usize]), why, log);
    x
}

pub(super) fn write_field(s: &mut CacheState, g: usize, o: Ref, f: u8, v: u8, log: &mut Log) {
    let vc = s.gs[g].vc;
    let Obj::Order { f: fs, sh, .. } = &mut s.heap[o as usize] else {
        unreachable!()
    };
    fs[f as usize] = v;
    let why = access(&mut sh[f as usize], g, &vc, true);
    race(s, g, format!("Order#{o}.{}", FIELDS[f as usize]), why, log);
}

pub(super) fn map_shadow(s: &mut CacheState, m: Ref) -> &mut Shadow {
    match &mut s.heap[m as usize] {
        Obj::Map { sh, .. } => sh,
        Obj::Order { .. } => unreachable!("not a map"),
    }
}

pub(super) fn map_read_all(s: &mut CacheState, g: usize, m: Ref, log: &mut Log) {
    let vc = s.gs[g].vc;
    let why = access(map_shadow(s, m), g, &vc, false);
    race(s, g, format!("Map#{m}"), why, log);
}

pub(super) fn map_read(s: &mut CacheState, g: usize, m: Ref, k: u8, log: &mut Log) -> Option<Ref> {
    map_read_all(s, g, m, log);
    match &s.heap[m as usize] {
        Obj::Map { slots, .. } => slots[k as usize],
        Obj::Order { .. } => unreachable!(),
    }
}

pub(super) fn map_write(
    s: &mut CacheState,
    g: usize,
    m: Ref,
    k: u8,
    o: Option<Ref>,
    log: &mut Log,
) {
    let vc = s.gs[g].vc;
    let why = access(map_shadow(s, m), g, &vc, true);
    race(s, g, format!("Map#{m}"), why, log);
    if let Obj::Map { slots, .. } = &mut s.heap[m as usize] {
        slots[k as usize] = o;
    }
}

/// SafeMap's plain `m.data`.
pub(super) fn var_read(s: &mut CacheState, g: usize, log: &mut Log) {
    let vc = s.gs[g].vc;
    let why = access(&mut s.root_sh, g, &vc, false);
    race(s, g, "SafeMap.data".into(), why, log);
}

pub(super) fn var_write(s: &mut CacheState, g: usize, m: Ref, log: &mut Log) {
    let vc = s.gs[g].vc;
    let why = access(&mut s.root_sh, g, &vc, true);
    race(s, g, "SafeMap.data".into(), why, log);
    s.root = Some(m);
}

/// A new object, initialised by goroutine g (its initialisation is g's write).
pub(super) fn alloc(s: &mut CacheState, obj: Obj) -> Ref {
    assert!(s.heap.len() < 250, "heap overflow");
    s.heap.push(obj);
    (s.heap.len() - 1) as Ref
}

pub(super) fn written_by(g: usize, vc: &Vc) -> Shadow {
    Shadow {
        w: Some((g as u8, vc[g])),
        r: [0; MAX_G],
    }
}

pub(super) fn alloc_order(s: &mut CacheState, g: usize, id: u8, f: [u8; 2]) -> Ref {
    let sh = written_by(g, &s.gs[g].vc);
    alloc(s, Obj::Order { id, f, sh: [sh; 2] })
}

pub(super) fn alloc_map(s: &mut CacheState, g: usize, slots: Vec<Option<Ref>>) -> Ref {
    let sh = written_by(g, &s.gs[g].vc);
    alloc(s, Obj::Map { slots, sh })
}

/// `c := *old` (reading old's fields) or `&Order{ID: k}` when old is nil.
pub(super) fn copy_order(
    s: &mut CacheState,
    g: usize,
    old: Option<Ref>,
    k: u8,
    log: &mut Log,
) -> Ref {
    match old {
        Some(o) => {
            let f = [read_field(s, g, o, 0, log), read_field(s, g, o, 1, log)];
            let Obj::Order { id, .. } = s.heap[o as usize] else {
                unreachable!()
            };
            alloc_order(s, g, id, f)
        }
        None => alloc_order(s, g, k + 1, [0; 2]),
    }
}

pub(super) fn retry(s: &mut CacheState, g: usize) {
    let gr = &mut s.gs[g];
    gr.pc = 0;
    gr.a = None;
    gr.b = None;
    gr.created = false;
}

/// The garbage collector: drops unreachable objects and renumbers the rest, keeping their
/// order (so that equal heaps are equal states and numbers change little between steps).
pub(super) fn collect(s: &mut CacheState) {
    let n = s.heap.len();
    let mut live = vec![false; n];
    let mut stack: Vec<Ref> = Vec::new();
    stack.extend(s.sm.iter().flatten());
    stack.extend(s.root);
    for g in &s.gs {
        stack.extend(g.a);
        stack.extend(g.b);
        stack.extend(g.m);
    }
    while let Some(r) = stack.pop() {
        if std::mem::replace(&mut live[r as usize], true) {
            continue;
        }
        if let Obj::Map { slots, .. } = &s.heap[r as usize] {
            stack.extend(slots.iter().flatten());
        }
    }
    if live.iter().all(|&l| l) {
        return;
    }
    let mut map = vec![0u8; n];
    let mut next = 0u8;
    for i in 0..n {
        if live[i] {
            map[i] = next;
            next += 1;
        }
    }
    let remap = |r: &mut Option<Ref>| {
        if let Some(x) = r {
            *x = map[*x as usize];
        }
    };
    let old = std::mem::take(&mut s.heap);
    for (i, mut o) in old.into_iter().enumerate() {
        if !live[i] {
            continue;
        }
        if let Obj::Map { slots, .. } = &mut o {
            slots.iter_mut().for_each(remap);
        }
        s.heap.push(o);
    }
    s.sm.iter_mut().for_each(remap);
    remap(&mut s.root);
    for g in &mut s.gs {
        remap(&mut g.a);
        remap(&mut g.b);
        remap(&mut g.m);
    }
}
