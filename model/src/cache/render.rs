//! The `cache` model as text: values, goroutine names, the Go statement each goroutine runs
//! at each pc, protocol by protocol, and the state (goroutines, the cache, the heap, what was
//! seen).

use super::state::{CacheState, Obj, Protocol, Role, FIELDS};
use super::CacheModel;
use std::fmt::Write as _;

pub fn val(v: u8) -> String {
    if v == 0 {
        "0".into()
    } else {
        format!("v{v}")
    }
}

pub fn gname(g: usize) -> String {
    format!("g{}", g + 1)
}

impl CacheModel {
    fn update_text(&self, g: usize) -> String {
        match self.params.roles[g] {
            Role::Update { k, f, v } => format!("o{}.{} = {}", k + 1, FIELDS[f as usize], val(v)),
            Role::Read { k } => format!("read o{}", k + 1),
        }
    }

    /// The Go statement goroutine g runs at `pc`.
    pub fn statement(&self, g: usize, pc: u8) -> String {
        use Protocol::*;
        let role = self.params.roles[g];
        let (k, fname, v) = match role {
            Role::Update { k, f, v } => (k + 1, FIELDS[f as usize], val(v)),
            Role::Read { k } => (k + 1, "", String::new()),
        };
        let fields = {
            let kk = k - 1;
            let fm = self.fields_of(kk);
            let names: Vec<&str> = (0..2)
                .filter(|f| fm & (1 << f) != 0)
                .map(|f| FIELDS[f])
                .collect();
            names
        };
        let read_fields = |var: &str| {
            let parts: Vec<String> = fields.iter().map(|f| format!("{var}.{f}")).collect();
            format!("read {}", parts.join(", "))
        };
        let p = self.params.protocol;
        let s: String = match (role, p, pc) {
            (Role::Update { .. }, Seed, 0) => format!("cache.LoadOrStore(o{k}, &Order{{ID: {k}}})"),
            (Role::Update { .. }, Seed, 1) => format!("order.{fname} = {v}"),
            (Role::Update { .. }, Seed, 2) => format!("cache.Store(o{k}, order)"),
            (Role::Update { .. }, CowStore | CowCas, 0) => format!("old, ok := cache.Load(o{k})"),
            (Role::Update { .. }, CowStore | CowCas, 1) => {
                format!("c := copy of *old (or &Order{{ID: {k}}}); c.{fname} = {v}")
            }
            (Role::Update { .. }, CowStore, 2) => format!("cache.Store(o{k}, c)"),
            (Role::Update { .. }, CowCas, 2) => format!("cache.LoadOrStore(o{k}, c)"),
            (Role::Update { .. }, CowCas, 3) => format!("cache.CompareAndSwap(o{k}, old, c)"),
            (Role::Update { .. }, RwmutexCopyReader | RwmutexPointerReader, 0) => {
                "mu.Lock()".into()
            }
            (Role::Update { .. }, RwmutexCopyReader | RwmutexPointerReader, 1) => {
                format!("cache[o{k}].{fname} = {v}")
            }
            (Role::Update { .. }, RwmutexCopyReader | RwmutexPointerReader, 2) => {
                "mu.Unlock()".into()
            }
            (Role::Update { .. }, Rcu, 0) => "old := atomic.LoadPointer(&m.data)".into(),
            (Role::Update { .. }, Rcu, 1) => format!(
                "next := copy of *old; next[o{k}] = &Order{{copy of (*old)[o{k}], {fname}: {v}}}"
            ),
            (Role::Update { .. }, Rcu, 2) => "atomic.SwapPointer(&m.data, next)".into(),
            (Role::Update { .. }, SafeMap, 0) => {
                format!("old := sm.Load(o{k})  // m.data[o{k}], no lock")
            }
            (Role::Update { .. }, SafeMap, 1) => {
                format!("c := copy of *old (or &Order{{ID: {k}}}); c.{fname} = {v}")
            }
            (Role::Update { .. }, SafeMap, 2) => format!("sm.Store(o{k}, c): mu.Lock()"),
            (Role::Update { .. }, SafeMap, 3) => {
                "cloned := deepCopy(c); m.data = copyMap(m.data)".into()
            }
            (Role::Update { .. }, SafeMap, 4) => format!("m.data[o{k}] = cloned"),
            (Role::Update { .. }, SafeMap, 5) => "mu.Unlock()".into(),
            (Role::Read { .. }, Seed | CowStore | CowCas, 0) => {
                format!("v, ok := cache.Load(o{k})")
            }
            (Role::Read { .. }, Seed | CowStore | CowCas, 1) => read_fields("order"),
            (Role::Read { .. }, RwmutexCopyReader | RwmutexPointerReader, 0) => "mu.RLock()".into(),
            (Role::Read { .. }, RwmutexCopyReader, 1) => format!("o := *cache[o{k}]"),
            (Role::Read { .. }, RwmutexCopyReader | RwmutexPointerReader, 2) => {
                "mu.RUnlock()".into()
            }
            (Role::Read { .. }, RwmutexPointerReader, 1) => format!("p := cache[o{k}]"),
            (Role::Read { .. }, RwmutexPointerReader, 3) => read_fields("p"),
            (Role::Read { .. }, Rcu, 0) => "p := atomic.LoadPointer(&m.data)".into(),
            (Role::Read { .. }, Rcu, 1) => format!("o := (*p)[o{k}]"),
            (Role::Read { .. }, Rcu, 2) => read_fields("o"),
            (Role::Read { .. }, SafeMap, 0) => {
                format!("o := sm.Load(o{k})  // m.data[o{k}], no lock")
            }
            (Role::Read { .. }, SafeMap, 1) => read_fields("o"),
            _ => format!("pc {pc}"),
        };
        format!("{}: {s}", gname(g))
    }

    /// The state, a few lines.
    pub fn text(&self, s: &CacheState) -> String {
        let mut t = String::new();
        for (g, gr) in s.gs.iter().enumerate() {
            let what = self.update_text(g);
            let at = if gr.done {
                "done".to_string()
            } else if s.ghost.crashed && gr.started {
                "crashed".to_string()
            } else {
                format!(
                    "next `{}`",
                    self.statement(g, gr.pc).split_once(": ").unwrap().1
                )
            };
            let mut vars = Vec::new();
            for (n, r) in [("a", gr.a), ("b", gr.b), ("m", gr.m)] {
                if let Some(r) = r {
                    vars.push(format!("{n}=#{r}"));
                }
            }
            let _ = writeln!(
                t,
                "{} {what}: {at}{} clock {:?}",
                gname(g),
                if vars.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", vars.join(" "))
                },
                &gr.vc[..s.gs.len()]
            );
        }
        if self.params.protocol.uses_sync_map() {
            let e: Vec<String> =
                s.sm.iter()
                    .enumerate()
                    .map(|(k, o)| match o {
                        Some(o) => format!("o{} -> Order#{o}", k + 1),
                        None => format!("o{} absent", k + 1),
                    })
                    .collect();
            let _ = writeln!(t, "cache (sync.Map): {}", e.join(", "));
        } else {
            let _ = writeln!(t, "cache: Map#{}", s.root.unwrap_or(255));
        }
        let objs: Vec<String> = s
            .heap
            .iter()
            .enumerate()
            .map(|(i, o)| match o {
                Obj::Order { id, f, .. } => format!(
                    "Order#{i}{{ID: {id}, Status: {}, Note: {}}}",
                    val(f[0]),
                    val(f[1])
                ),
                Obj::Map { slots, .. } => {
                    let e: Vec<String> = slots
                        .iter()
                        .enumerate()
                        .filter_map(|(k, o)| o.map(|o| format!("o{}: #{o}", k + 1)))
                        .collect();
                    format!("Map#{i}{{{}}}", e.join(", "))
                }
            })
            .collect();
        let _ = write!(t, "heap: {}", objs.join(" "));
        let mut flags = Vec::new();
        if s.ghost.race {
            flags.push("data race");
        }
        if s.ghost.stale_read {
            flags.push("stale read");
        }
        if s.ghost.first_lost {
            flags.push("first update lost");
        }
        if s.ghost.crashed {
            flags.push("panicked");
        }
        if !flags.is_empty() {
            let _ = write!(t, "\nseen: {}", flags.join(", "));
        }
        t
    }
}
