//! The `cache` model: the seed postmortem's order cache, the fixes it proposes and two it
//! does not, with a happens-before data-race detector that follows the Go memory model.
//!
//! What it models: goroutines that update orders (`o1`, `o2`) in a cache keyed by order ID and
//! goroutines that read them. An `Order` is a heap object with plain fields (`Status`,
//! `Note`): shared memory with no synchronisation of its own. How the cache is kept is the
//! `protocol` parameter, each one a Go program transcribed statement by statement (one action
//! per statement that touches shared memory or synchronises):
//!
//! - `seed`: the postmortem's `updateStatus` exactly as written: `LoadOrStore` a fresh
//!   `&Order{ID}`; if loaded, set `order.Status` in place, then `Store` the same pointer.
//!   Readers `Load` and read the fields.
//! - `rwmutex-copy-reader`, `rwmutex-pointer-reader`: the postmortem's fix, a
//!   `map[uint64]*Order` behind a `sync.RWMutex`, writers doing `cache[id].Status = s` under
//!   `Lock`; readers either copy the order under `RLock` or keep the pointer and read its
//!   fields after `RUnlock`. As written the fix dereferences `cache[id]` without checking it:
//!   for an order not yet in the cache the goroutine panics (nil pointer dereference).
//! - `cow-store`: copy-on-write on sync.Map: `Load`, copy the order, modify the copy, `Store`.
//! - `cow-cas`: the same with a `CompareAndSwap` retry loop (Go 1.20's
//!   `sync.Map.CompareAndSwap`; `LoadOrStore` when the order is absent).
//! - `rcu`: the postmortem's RCU map: a writer loads the map pointer, copies the whole map,
//!   puts a new copy of the order into the copy and `atomic.SwapPointer`s it in, with no writer
//!   lock. Readers load the pointer and index the map.
//! - `safemap`: the postmortem's SafeMap: `Store` takes the mutex, deep-copies the value and
//!   the whole map (`m.data = copyMap(m.data)`, then `m.data[key] = cloned`). The postmortem
//!   shows no lock in `Load` (only an atomic load of a version counter before it returns,
//!   which orders nothing before it), so `Load` reads `m.data` and the map unlocked. Updates
//!   are `Load`, copy, modify, `Store`.
//!
//! What it abstracts: sync.Map is one atomic object here, each of its methods a single step
//! (linearizable). This is an abstraction step, not a fact taken on faith: the `syncmap` model
//! checks Go 1.19's sync.Map step by step (read/dirty/misses/expunged) against a sequential
//! map and finds its operations linearizable (`linearizable` holds in
//! specs/syncmap-two-goroutines.toml and specs/syncmap-three-goroutines.toml). Plain memory is sequentially consistent here
//! (every read sees the latest write); Go promises that only to race-free programs, so in a
//! run with a data race the values the model reports are one of the outcomes, not the only
//! ones. Maps under a lock are single objects: any access to a Go map is an access of the
//! whole map (as Go's race detector treats it). Garbage is collected after every step: the
//! heap holds exactly the objects reachable from the cache and the goroutines' variables.
//!
//! The race detector (vector clocks, as in FastTrack): each goroutine has a clock; each plain
//! location (an order's field, a plain map, SafeMap's `m.data`) remembers its last write
//! (goroutine and clock) and the clock of each goroutine's last read since. Synchronisation
//! follows the Go memory model (<https://go.dev/ref/mem>, sync/map.go's doc):
//! - sync.Map: a write operation is synchronized before any read operation that observes its
//!   effect. Each key keeps the join of its writers' clocks (Go 1.19's Store CASes the entry
//!   after loading it, so successive writes of a key are themselves ordered); a `Load`, a
//!   loading `LoadOrStore` or a `CompareAndSwap` that observes the entry joins it.
//! - Mutex: the n'th `Unlock` is synchronized before the (n+1)'th `Lock` returns.
//! - RWMutex: an `RLock` returns after the `Unlock` before it; each `RUnlock` is synchronized
//!   before the next `Lock` returns.
//! - Atomic pointer (RCU): atomics are sequentially consistent and a load that observes a
//!   store is synchronized after it; `SwapPointer` both observes and stores.
//!
//! A data race is two accesses to the same location, at least one a write, not ordered by
//! happens-before. Allocation writes every field of the new object (its initialisation).
//!
//! Properties (one name each, used by the specs and docs/seed-claims.md):
//! - `no_data_race`: no two accesses race.
//! - `no_lost_update`: when every goroutine has finished, each order's fields are those of
//!   some order of the completed updates: a field some update set holds the value of one of
//!   them (updates of different fields both survive).
//! - `completed_update_visible`: a read that starts after an update completed sees that
//!   update's value or that of an update not completed before it started (never the value it
//!   overwrote, never a missing order).
//! - `first_update_applied`: an update that finds its order absent (and runs alone on it)
//!   leaves the order in the cache with its value.
//! - `live_orders_bounded`: live `Order` objects never exceed the keys plus two per
//!   operation in flight (the one it read and the one it is about to publish): garbage is
//!   collected, whatever the number of completed updates. The leak the seed blames on
//!   `updateStatus` would break it.

pub mod memory;
pub mod properties;
pub mod render;
pub mod state;
pub mod steps;

use crate::framework::check::Checkable;
use crate::framework::concurrent::{self, PropDef};
use crate::framework::concurrent_model::ConcurrentModel;
use crate::framework::info::ParamDef;
use crate::framework::log::Log;
use crate::framework::spec::{ParamValue, Spec, SpecError};
use properties::PROPERTIES;
pub use state::{
    CacheParams, CacheState, Ghost, Gor, Mu, Obj, Protocol, Ref, Role, Shadow, Step, Vc, FIELDS,
    MAX_G, PROTOCOLS,
};
use stateright::{Model, Property};

#[derive(Clone)]
pub struct CacheModel {
    pub params: CacheParams,
    pub selected: Vec<usize>,
    pub exhaustive: bool,
}

impl CacheModel {
    pub fn new(params: CacheParams, names: Option<&[String]>) -> Self {
        CacheModel {
            params,
            selected: concurrent::select(PROPERTIES, names),
            exhaustive: true,
        }
    }
}

impl Model for CacheModel {
    type State = CacheState;
    type Action = Step;

    fn init_states(&self) -> Vec<CacheState> {
        vec![self.initial()]
    }

    fn actions(&self, s: &CacheState, actions: &mut Vec<Step>) {
        for g in 0..s.gs.len() {
            if self.enabled(s, g) {
                actions.push(Step {
                    g: g as u8,
                    pc: s.gs[g].pc,
                });
            }
        }
    }

    fn next_state(&self, s: &CacheState, a: Step) -> Option<CacheState> {
        Some(self.next(s, &a))
    }

    fn format_action(&self, a: &Step) -> String {
        self.statement(a.g as usize, a.pc)
    }

    fn format_step(&self, last: &CacheState, a: Step) -> Option<String> {
        Some(self.step_text(last, &a))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        self.checked_properties()
    }
}

impl ConcurrentModel for CacheModel {
    const MODEL: &'static str = "cache";
    const DESCRIPTION: &'static str = "the seed's order-cache update protocol and its fixes (sync.Map as an atomic object, RWMutex, copy-on-write, CAS, RCU, SafeMap) with a happens-before data-race detector";
    const PARAMS: &'static [ParamDef] = PARAMS;
    const PROPERTIES: &'static [PropDef<Self>] = PROPERTIES;
    type Params = CacheParams;

    fn parse_params(spec: &Spec) -> Result<CacheParams, SpecError> {
        let mut protocol = Protocol::Seed;
        let mut updates = vec!["o1.Status".to_string(), "o1.Status".to_string()];
        let mut readers = vec!["o1".to_string()];
        let mut preexisting = false;
        let mut lines = (None, None);
        for (name, v) in &spec.params {
            let field = format!("params.{name}");
            match name.as_str() {
                "protocol" => {
                    let s = v.value.as_str().unwrap_or("");
                    protocol = PROTOCOLS
                        .iter()
                        .find(|(n, _)| *n == s)
                        .map(|(_, p)| *p)
                        .ok_or_else(|| {
                            let known: Vec<&str> = PROTOCOLS.iter().map(|p| p.0).collect();
                            spec.error(
                                Some(v.line),
                                Some(&field),
                                format!(
                                    "unknown protocol {} (known: {})",
                                    v.value,
                                    known.join(", ")
                                ),
                            )
                        })?;
                }
                "updates" => {
                    updates = str_list(spec, name, v)?;
                    lines.0 = Some(v.line);
                }
                "readers" => {
                    readers = str_list(spec, name, v)?;
                    lines.1 = Some(v.line);
                }
                "preexisting" => match v.value {
                    toml::Value::Boolean(b) => preexisting = b,
                    ref other => {
                        return Err(spec.error(
                            Some(v.line),
                            Some(&field),
                            format!("expected true or false, got {}", other.type_str()),
                        ))
                    }
                },
                _ => {
                    let known: Vec<&str> = PARAMS.iter().map(|d| d.name).collect();
                    return Err(spec.error(
                        Some(v.line),
                        Some(&field),
                        format!(
                            "unknown parameter of model `cache` (known: {})",
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
        let uline = lines.0.unwrap_or(spec.model_line);
        let mut roles = Vec::new();
        let mut keys = 1;
        for (i, u) in updates.iter().enumerate() {
            let (o, f) = u.split_once('.').ok_or_else(|| {
                spec.error(
                    Some(uline),
                    Some("params.updates"),
                    format!("`{u}`: expected ORDER.FIELD such as o1.Status"),
                )
            })?;
            let k = key_of(spec, "params.updates", uline, o)?;
            let f = FIELDS.iter().position(|x| *x == f).ok_or_else(|| {
                spec.error(
                    Some(uline),
                    Some("params.updates"),
                    format!("unknown field `{f}` (expected Status or Note)"),
                )
            })? as u8;
            keys = keys.max(k + 1);
            roles.push(Role::Update {
                k,
                f,
                v: i as u8 + 1,
            });
        }
        if updates.is_empty() {
            return Err(spec.error(Some(uline), Some("params.updates"), "at least one update"));
        }
        for r in &readers {
            let k = key_of(
                spec,
                "params.readers",
                lines.1.unwrap_or(spec.model_line),
                r,
            )?;
            keys = keys.max(k + 1);
            roles.push(Role::Read { k });
        }
        if roles.len() > MAX_G {
            return Err(spec.error(
                lines.1.or(lines.0),
                Some("params.readers"),
                format!(
                    "{} goroutines: at most {MAX_G} updates and readers together",
                    roles.len()
                ),
            ));
        }
        Ok(CacheParams {
            protocol,
            roles,
            keys,
            preexisting,
        })
    }
    fn with_params(p: CacheParams, names: Option<&[String]>) -> Self {
        CacheModel::new(p, names)
    }
    fn selection(&self) -> (&[usize], bool) {
        (&self.selected, self.exhaustive)
    }
    fn selection_mut(&mut self) -> (&mut Vec<usize>, &mut bool) {
        (&mut self.selected, &mut self.exhaustive)
    }
    fn perform(&self, s: &mut CacheState, a: &Step, log: &mut Log) -> String {
        self.apply(s, a.g as usize, log)
    }
    fn render(&self, s: &CacheState) -> String {
        self.text(s)
    }
}

// ---- the model's entry: parameters --------------------------------------------------------

pub const PARAMS: &[ParamDef] = &[
    ParamDef {
        name: "protocol",
        default: "\"seed\"",
        description: "seed | rwmutex-copy-reader | rwmutex-pointer-reader | cow-store | cow-cas | rcu | safemap",
    },
    ParamDef {
        name: "updates",
        default: "[\"o1.Status\", \"o1.Status\"]",
        description: "one goroutine per update: order and field it sets (o1/o2, Status/Note); update i sets value v(i+1)",
    },
    ParamDef {
        name: "readers",
        default: "[\"o1\"]",
        description: "one goroutine per read of an order (every updated field)",
    },
    ParamDef {
        name: "preexisting",
        default: "false",
        description: "every order starts in the cache as &Order{ID: k}",
    },
];

fn str_list(spec: &Spec, name: &str, v: &ParamValue) -> Result<Vec<String>, SpecError> {
    let field = format!("params.{name}");
    let toml::Value::Array(items) = &v.value else {
        return Err(spec.error(Some(v.line), Some(&field), "expected a list of strings"));
    };
    items
        .iter()
        .map(|i| {
            i.as_str().map(str::to_string).ok_or_else(|| {
                spec.error(
                    Some(v.line),
                    Some(&field),
                    format!("expected a string, got {i}"),
                )
            })
        })
        .collect()
}

fn key_of(spec: &Spec, field: &str, line: usize, s: &str) -> Result<u8, SpecError> {
    match s {
        "o1" => Ok(0),
        "o2" => Ok(1),
        _ => Err(spec.error(
            Some(line),
            Some(field),
            format!("unknown order `{s}` (expected o1 or o2)"),
        )),
    }
}

#[cfg(test)]
mod tests;
