//! Counterexamples of the `syncmap` model replayed on the port: the model's path (goroutine
//! and Go step, one action each) drives real threads through the same interleaving. A
//! turnstile ([`Turnstile`]) implements the port's [`Hooks`]: before each atomic step a
//! thread waits until the schedule says it is its turn, and checks that the step it is
//! about to take is the one the model took.
//!
//! The counterexample is checked in (tests/data/syncmap-range-snapshot.counterexample.json,
//! from `gomap check --json specs/syncmap-range-snapshot.toml`): g1 stores k1 and then k2
//! while g2's Range is between its two `e.load()`s, so the Range yields k1's old value and
//! k2's new one, a content the map never had.

use gomap_impl::syncmap::conform::{apply, SyncOp, SyncRet};
use gomap_impl::syncmap::{Hooks, Step, SyncMap};
use std::cell::Cell;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

thread_local! {
    /// The model goroutine this thread plays (None: free-running setup code).
    static GOROUTINE: Cell<Option<u8>> = const { Cell::new(None) };
    /// Whether this thread's last scheduled step may still be running.
    static IN_FLIGHT: Cell<bool> = const { Cell::new(false) };
}

/// The model's schedule, as (goroutine, port step) pairs. A step starts when its thread's
/// hook returns and ends at that thread's next hook or at the end of its operation; the
/// next step of the schedule starts only then, so that no two steps overlap (a hook runs
/// before its step, and a thread can be preempted between its hook and its step).
struct Turnstile {
    schedule: Vec<(u8, Step, String)>,
    turn: Mutex<Turn>,
    changed: Condvar,
}

struct Turn {
    /// The next step of the schedule to start.
    pos: usize,
    /// Whether step `pos - 1` is still running.
    in_flight: bool,
}

impl Turnstile {
    /// Ends this thread's running step, if it has one.
    fn finish_step(&self) {
        if IN_FLIGHT.with(|f| f.replace(false)) {
            self.turn.lock().unwrap().in_flight = false;
            self.changed.notify_all();
        }
    }
}

#[derive(Clone)]
struct TurnHooks(Arc<Turnstile>);

impl Hooks for TurnHooks {
    fn before(&self, step: Step) {
        let Some(g) = GOROUTINE.with(Cell::get) else {
            return;
        };
        let t = &self.0;
        t.finish_step();
        let mut turn = t.turn.lock().unwrap();
        loop {
            if turn.pos >= t.schedule.len() {
                return; // past the counterexample: run freely
            }
            let (sg, sstep, action) = &t.schedule[turn.pos];
            if *sg == g && !turn.in_flight {
                assert_eq!(
                    *sstep, step,
                    "schedule position {}: the model's `{action}` is {sstep:?}, the port's \
                     g{g} is at {step:?}",
                    turn.pos
                );
                turn.pos += 1;
                turn.in_flight = true;
                IN_FLIGHT.with(|f| f.set(true));
                return;
            }
            let (next, timeout) = t
                .changed
                .wait_timeout(turn, Duration::from_secs(10))
                .unwrap();
            turn = next;
            assert!(
                !timeout.timed_out(),
                "g{g} waited 10 s at {step:?} for `{action}`"
            );
        }
    }
}

/// The port step for a model action (`g1: sync.Map.Store(k1, v2): TryStoreCas`); None for
/// model steps the port takes under `mu` with no atomic operation (map lookups and writes).
fn port_step(pc: &str, go_steps: &[String]) -> Option<Step> {
    Some(match pc {
        "begins" | "Reread" | "DirtyLockedInit" => Step::LoadRead,
        "Lock" => Step::Lock,
        "Unlock" => Step::Unlock,
        "EntryLoad" | "TryStoreLoad" | "Tls" | "DelLoad" | "ExpungeLoad" | "RangeNext" => {
            Step::LoadEntry
        }
        "TryStoreCas" | "Unexpunge" | "TlsCas" | "DelCas" | "ExpungeCas" => Step::CasEntry,
        "StoreLocked" => Step::StoreEntry,
        "ReadAmend" | "Promote" => Step::StoreRead,
        "Miss" if go_steps.iter().any(|s| s.contains("promot")) => Step::StoreRead,
        _ => return None,
    })
}

/// `sync.Map.Store(k1, v2)` -> the op on model keys and values.
fn parse_op(s: &str) -> SyncOp {
    let s = s.trim_start_matches("sync.Map.");
    let name = &s[..s.find('(').unwrap_or(s.len())];
    let args: Vec<u16> = s[name.len()..]
        .trim_matches(|c| c == '(' || c == ')')
        .split(", ")
        .filter(|a| !a.is_empty())
        .map(|a| a[1..].parse().unwrap())
        .collect();
    match name {
        "Store" => SyncOp::Store(args[0] as u8, args[1]),
        "Load" => SyncOp::Load(args[0] as u8),
        "LoadOrStore" => SyncOp::LoadOrStore(args[0] as u8, args[1]),
        "LoadAndDelete" => SyncOp::LoadAndDelete(args[0] as u8),
        "Delete" => SyncOp::Delete(args[0] as u8),
        "Range" => SyncOp::Range,
        other => panic!("unknown model op {other}"),
    }
}

/// `{k1: v1, k2: v2}` -> pairs.
fn parse_pairs(s: &str) -> Vec<(u8, u16)> {
    let inner = &s[s.find('{').unwrap() + 1..s.find('}').unwrap()];
    inner
        .split(", ")
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once(": ").unwrap();
            let v = v.split('=').next_back().unwrap();
            (k[1..].parse().unwrap(), v[1..].parse().unwrap())
        })
        .collect()
}

#[test]
fn range_is_not_a_snapshot_counterexample_replays_on_the_port() {
    let cx: serde_json::Value = serde_json::from_str(include_str!(
        "data/syncmap-range-snapshot.counterexample.json"
    ))
    .unwrap();
    let steps = cx["steps"].as_array().unwrap();

    // Goroutines' operations and the schedule of port steps.
    let mut programs: Vec<Vec<SyncOp>> = vec![vec![], vec![]];
    let mut schedule = Vec::new();
    for s in steps {
        let action = s["action"].as_str().unwrap();
        let go_steps: Vec<String> = s["go_steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect();
        let (g, rest) = action.split_once(": ").unwrap();
        let g: u8 = g[1..].parse::<u8>().unwrap() - 1;
        let pc = if let Some(op) = rest.strip_suffix(" begins") {
            programs[g as usize].push(parse_op(op));
            "begins"
        } else {
            rest.rsplit(": ").next().unwrap()
        };
        if let Some(step) = port_step(pc, &go_steps) {
            schedule.push((g, step, action.to_string()));
        }
    }
    let last = steps.last().unwrap()["outcome"].as_str().unwrap();
    let model_saw = parse_pairs(last);

    let turnstile = Arc::new(Turnstile {
        schedule,
        turn: Mutex::new(Turn {
            pos: 0,
            in_flight: false,
        }),
        changed: Condvar::new(),
    });
    let m = SyncMap::with_hooks(TurnHooks(turnstile.clone()));

    // The model's initial state: read.m holds the prefilled keys, dirty is nil.
    let initial = parse_pairs(cx["initial_state"].as_str().unwrap());
    for &(k, v) in &initial {
        m.store(k, v);
    }
    m.range(|_, _| true); // promotes dirty: read = {k1, k2}, amended = false, dirty = nil
    assert_eq!(m.debug_state(), (initial.len(), false, None, 0));
    // The model walks read.m in key order, Go and the port in the map's own order: name the
    // port's keys so that its walk of this read.m (unchanged until the next promotion) visits
    // them in the model's order.
    let mut order = Vec::new();
    m.range(|&k, _| {
        order.push(k);
        true
    });
    let port_key = |model_key: u8| order[model_key as usize - 1];
    let model_key = |k: u8| order.iter().position(|&o| o == k).unwrap() as u8 + 1;
    let rename = |op: SyncOp| match op {
        SyncOp::Store(k, v) => SyncOp::Store(port_key(k), v),
        SyncOp::Load(k) => SyncOp::Load(port_key(k)),
        SyncOp::LoadOrStore(k, v) => SyncOp::LoadOrStore(port_key(k), v),
        SyncOp::LoadAndDelete(k) => SyncOp::LoadAndDelete(port_key(k)),
        SyncOp::Delete(k) => SyncOp::Delete(port_key(k)),
        other => other,
    };

    let results: Vec<Vec<(SyncOp, SyncRet)>> = std::thread::scope(|s| {
        let hs: Vec<_> = programs
            .iter()
            .enumerate()
            .map(|(g, prog)| {
                let (m, turnstile) = (&m, &turnstile);
                s.spawn(move || {
                    GOROUTINE.with(|c| c.set(Some(g as u8)));
                    prog.iter()
                        .map(|&op| {
                            let r = apply(m, &rename(op));
                            turnstile.finish_step();
                            (op, r)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        turnstile.turn.lock().unwrap().pos,
        turnstile.schedule.len(),
        "the port took every step of the model's path"
    );

    let range = results
        .iter()
        .flatten()
        .find_map(|(op, r)| match (op, r) {
            (SyncOp::Range, SyncRet::Visited(kv)) => Some(kv.clone()),
            _ => None,
        })
        .expect("the counterexample has a Range");
    let mut port_saw: Vec<(u8, u16)> = range.iter().map(|&(k, v)| (model_key(k), v)).collect();
    port_saw.sort_unstable();
    assert_eq!(
        port_saw, model_saw,
        "the port's Range saw what the model's did"
    );
    // The map's contents during the Range: {k1: v1, k2: v1}, {k1: v2, k2: v1},
    // {k1: v2, k2: v2}; the Range saw none of them.
    assert_eq!(model_saw, vec![(1, 1), (2, 2)]);
}
