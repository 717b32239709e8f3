//! Recorded histories of concurrent objects and their linearizability check.
//!
//! Real threads run generated programs of operations on a fresh object; every call takes a
//! ticket from one shared `SeqCst` counter just before it starts and another just after it
//! returns. If call A's return ticket is below call B's invoke ticket, A really finished
//! before B started (the counter's modification order and its release/acquire chain say so),
//! so the tickets give the real-time order that linearizability must respect; overlapping
//! tickets only relax it. The history is then checked with stateright's
//! [`LinearizabilityTester`] against a sequential spec.
//!
//! Linearizability is local (Herlihy and Wing): a history is linearizable iff its
//! restriction to each object is. Every object here is a map whose operations touch one key
//! (a `Range` is split into one read per key, which is exactly Go's promise for Range: each
//! key reflects some mapping it had during the call), so each key's calls are checked on
//! their own: much cheaper, and the reported counterexample names the key.
//!
//! A failing history is minimised by steps that keep it a proof that the original was not
//! linearizable: restricting to the failing key (locality); cutting it to its shortest
//! non-linearizable prefix (linearizability is prefix-closed; calls pending at the cut lose
//! their return); dropping calls that observably changed nothing (a read, or a write whose
//! return shows it did nothing), since removing such a call from a linearizable history
//! leaves a linearizable one. Writes are never dropped: a history without them could fail for
//! a reason the real one did not have.

use crate::hash::{RandomSource, WyRand};
use stateright::semantics::{ConsistencyTester, LinearizabilityTester, SequentialSpec};
use std::fmt::{self, Debug, Display};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A call restricted to one key: (key, op, return).
pub type KeyCall<C> = (
    <C as Conformance>::Key,
    <C as Conformance>::Op,
    Option<<C as Conformance>::Ret>,
);

/// Each key's calls.
pub type ByKey<C> = std::collections::BTreeMap<
    <C as Conformance>::Key,
    Vec<Call<<C as Conformance>::Op, <C as Conformance>::Ret>>,
>;

/// One call in a history. Tickets order invocations and returns across threads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call<O, R> {
    pub thread: u32,
    pub op: O,
    /// None while pending (only in cut histories).
    pub ret: Option<R>,
    pub invoked: u64,
    /// `u64::MAX` while pending.
    pub returned: u64,
}

/// What a conformance check needs to know about an object's operations.
pub trait Conformance {
    type Op: Clone + Debug + Display + Send + Sync;
    type Ret: Clone + Debug + Display + PartialEq + Send;
    type Key: Copy + Ord + Debug + Display;
    /// The sequential spec, applied to the calls on one key.
    type Spec: SequentialSpec<Op = Self::Op, Ret = Self::Ret> + Clone + Default;

    /// The call as calls on single keys (a Range becomes one read per key of the key space).
    fn per_key(op: &Self::Op, ret: Option<&Self::Ret>) -> Vec<KeyCall<Self>>;
    /// Whether the call, given what it returned, left the object unchanged in every
    /// sequential execution (a pending call: whether it cannot change it at all).
    fn is_observer(op: &Self::Op, ret: Option<&Self::Ret>) -> bool;
}

/// Whether the calls (all on one key) are linearizable with respect to `C::Spec`.
pub fn linearizable<C: Conformance>(calls: &[Call<C::Op, C::Ret>]) -> bool {
    let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(calls.len() * 2);
    for (i, c) in calls.iter().enumerate() {
        events.push((c.invoked, true, i));
        if c.ret.is_some() {
            events.push((c.returned, false, i));
        }
    }
    events.sort_unstable();
    let mut t = LinearizabilityTester::new(C::Spec::default());
    for (_, invoke, i) in events {
        let c = &calls[i];
        let r = if invoke {
            t.on_invoke(c.thread, c.op.clone()).map(|_| ())
        } else {
            t.on_return(c.thread, c.ret.clone().expect("completed call"))
                .map(|_| ())
        };
        if r.is_err() {
            // A thread with two calls in flight: the recorder never produces one.
            return false;
        }
    }
    t.is_consistent()
}

/// The calls on each key, in invocation order.
pub fn split<C: Conformance>(calls: &[Call<C::Op, C::Ret>]) -> ByKey<C> {
    let mut by_key = ByKey::<C>::new();
    for c in calls {
        for (k, op, ret) in C::per_key(&c.op, c.ret.as_ref()) {
            by_key.entry(k).or_default().push(Call {
                thread: c.thread,
                op,
                ret,
                invoked: c.invoked,
                returned: c.returned,
            });
        }
    }
    for v in by_key.values_mut() {
        v.sort_by_key(|c| c.invoked);
    }
    by_key
}

/// A non-linearizable history: the whole recorded one and its minimised restriction to one
/// key.
#[derive(Clone, Debug)]
pub struct Counterexample<C: Conformance> {
    pub key: C::Key,
    pub minimised: Vec<Call<C::Op, C::Ret>>,
    pub recorded: Vec<Call<C::Op, C::Ret>>,
}

/// Checks a history; on failure returns the minimised counterexample.
pub fn check<C: Conformance>(calls: &[Call<C::Op, C::Ret>]) -> Result<(), Counterexample<C>> {
    for (key, kc) in split::<C>(calls) {
        if !linearizable::<C>(&kc) {
            return Err(Counterexample {
                key,
                minimised: minimise::<C>(kc),
                recorded: calls.to_vec(),
            });
        }
    }
    Ok(())
}

/// The minimisation of the module header: shortest failing prefix, then observers dropped.
pub fn minimise<C: Conformance>(calls: Vec<Call<C::Op, C::Ret>>) -> Vec<Call<C::Op, C::Ret>> {
    debug_assert!(!linearizable::<C>(&calls));
    // Shortest non-linearizable prefix, by binary search over the event tickets.
    let mut tickets: Vec<u64> = calls
        .iter()
        .flat_map(|c| [c.invoked, c.returned])
        .filter(|&t| t != u64::MAX)
        .collect();
    tickets.sort_unstable();
    let cut = |upto: u64| -> Vec<Call<C::Op, C::Ret>> {
        calls
            .iter()
            .filter(|c| c.invoked <= upto)
            .map(|c| {
                let mut c = c.clone();
                if c.returned > upto {
                    c.ret = None;
                    c.returned = u64::MAX;
                }
                c
            })
            .collect()
    };
    let (mut lo, mut hi) = (0usize, tickets.len() - 1); // prefix up to tickets[hi] fails
    while lo < hi {
        let mid = (lo + hi) / 2;
        if linearizable::<C>(&cut(tickets[mid])) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let mut h = cut(tickets[hi]);
    // Drop observers while the history stays non-linearizable.
    let mut i = 0;
    while i < h.len() {
        if C::is_observer(&h[i].op, h[i].ret.as_ref()) {
            let mut shorter = h.clone();
            shorter.remove(i);
            if !linearizable::<C>(&shorter) {
                h = shorter;
                continue;
            }
        }
        i += 1;
    }
    h
}

/// The calls as text: one line per thread, each call with the positions of its invocation
/// and return in the history (`[2] Store(k1, v3) -> () [5]`), then the history in order.
pub fn render<O: Display, R: Display>(calls: &[Call<O, R>]) -> String {
    let mut tickets: Vec<u64> = calls
        .iter()
        .flat_map(|c| [c.invoked, c.returned])
        .filter(|&t| t != u64::MAX)
        .collect();
    tickets.sort_unstable();
    let pos = |t: u64| tickets.binary_search(&t).map(|i| i + 1).unwrap_or(0);
    let mut threads: Vec<u32> = calls.iter().map(|c| c.thread).collect();
    threads.sort_unstable();
    threads.dedup();
    let mut out = String::new();
    for t in threads {
        out.push_str(&format!("  thread {t}:"));
        let mut cs: Vec<&Call<O, R>> = calls.iter().filter(|c| c.thread == t).collect();
        cs.sort_by_key(|c| c.invoked);
        for c in cs {
            match &c.ret {
                Some(r) => out.push_str(&format!(
                    "  [{}] {} -> {} [{}]",
                    pos(c.invoked),
                    c.op,
                    r,
                    pos(c.returned)
                )),
                None => out.push_str(&format!("  [{}] {} -> (pending)", pos(c.invoked), c.op)),
            }
        }
        out.push('\n');
    }
    let mut events: Vec<(u64, String)> = Vec::new();
    for c in calls {
        events.push((c.invoked, format!("t{} invokes {}", c.thread, c.op)));
        if let Some(r) = &c.ret {
            events.push((c.returned, format!("t{} returns {}", c.thread, r)));
        }
    }
    events.sort_by_key(|e| e.0);
    out.push_str("  in order: ");
    out.push_str(
        &events
            .into_iter()
            .map(|e| e.1)
            .collect::<Vec<_>>()
            .join("; "),
    );
    out.push('\n');
    out
}

impl<C: Conformance> Display for Counterexample<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "non-linearizable history on key {} ({} of the {} recorded calls; minimised):",
            self.key,
            self.minimised.len(),
            self.recorded.len()
        )?;
        write!(f, "{}", render(&self.minimised))
    }
}

/// How to run a conformance campaign.
#[derive(Clone, Copy, Debug)]
pub struct RunConfig {
    pub threads: usize,
    pub histories: usize,
    /// Operations per thread in each history.
    pub ops: usize,
    pub seed: u64,
    /// Keys in the key space (small: contention on few keys finds races).
    pub keys: u8,
    /// Spin for up to this many iterations (random) before each call, to vary the overlap.
    pub jitter: u32,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            threads: 3,
            histories: 1000,
            ops: 8,
            seed: 1,
            keys: 3,
            jitter: 64,
        }
    }
}

/// The result of a campaign.
#[derive(Debug)]
pub struct Summary<C: Conformance> {
    /// Histories recorded and checked (the failing one included).
    pub histories: usize,
    pub calls: usize,
    pub elapsed: Duration,
    /// The first non-linearizable history, with the index of its history and its seed.
    pub failure: Option<(usize, u64, Counterexample<C>)>,
}

impl<C: Conformance> Summary<C> {
    pub fn per_second(&self) -> f64 {
        self.histories as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// A small deterministic generator for programs (Go's wyrand, from [`crate::hash`]).
pub struct Gen(WyRand);

impl Gen {
    pub fn new(seed: u64) -> Self {
        Gen(WyRand::new(seed))
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0.fastrand64() % n
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Records one history: each thread runs its program on `subject`, starting together.
pub fn record<S: Sync, O: Clone + Send + Sync, R: Send>(
    subject: &S,
    programs: &[Vec<O>],
    jitter: &[Vec<u32>],
    apply: impl Fn(&S, &O) -> R + Sync,
) -> Vec<Call<O, R>> {
    let clock = AtomicU64::new(0);
    let ready = AtomicUsize::new(0);
    let n = programs.len();
    let apply = &apply;
    let mut calls = Vec::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = programs
            .iter()
            .enumerate()
            .map(|(t, prog)| {
                let (clock, ready, jit) = (&clock, &ready, &jitter[t]);
                s.spawn(move || {
                    // Start together, so that the programs overlap.
                    ready.fetch_add(1, Ordering::SeqCst);
                    let mut spins = 0u32;
                    while ready.load(Ordering::SeqCst) < n {
                        spins += 1;
                        if spins.is_multiple_of(64) {
                            std::thread::yield_now();
                        }
                        std::hint::spin_loop();
                    }
                    let mut out = Vec::with_capacity(prog.len());
                    for (i, op) in prog.iter().enumerate() {
                        for _ in 0..jit[i] {
                            std::hint::spin_loop();
                        }
                        let invoked = clock.fetch_add(1, Ordering::SeqCst);
                        let ret = apply(subject, op);
                        let returned = clock.fetch_add(1, Ordering::SeqCst);
                        out.push(Call {
                            thread: t as u32,
                            op: op.clone(),
                            ret: Some(ret),
                            invoked,
                            returned,
                        });
                    }
                    out
                })
            })
            .collect();
        for h in handles {
            calls.extend(h.join().expect("conformance thread panicked"));
        }
    });
    calls.sort_by_key(|c| c.invoked);
    calls
}

/// Runs a campaign: `cfg.histories` histories, each on a fresh subject from `make` with
/// programs from `gen(rng, thread, ops)`; stops at the first non-linearizable one.
pub fn run<C: Conformance, S: Sync>(
    cfg: &RunConfig,
    make: impl Fn() -> S,
    gen: impl Fn(&mut Gen, usize, usize) -> Vec<C::Op>,
    apply: impl Fn(&S, &C::Op) -> C::Ret + Sync,
) -> Summary<C> {
    let start = Instant::now();
    let mut calls = 0;
    for h in 0..cfg.histories {
        let seed = cfg
            .seed
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .wrapping_add(h as u64);
        let mut rng = Gen::new(seed);
        let programs: Vec<Vec<C::Op>> = (0..cfg.threads)
            .map(|t| gen(&mut rng, t, cfg.ops))
            .collect();
        let jitter: Vec<Vec<u32>> = programs
            .iter()
            .map(|p| {
                p.iter()
                    .map(|_| rng.below(cfg.jitter as u64 + 1) as u32)
                    .collect()
            })
            .collect();
        let subject = make();
        let history = record(&subject, &programs, &jitter, &apply);
        calls += history.len();
        if let Err(cx) = check::<C>(&history) {
            return Summary {
                histories: h + 1,
                calls,
                elapsed: start.elapsed(),
                failure: Some((h, seed, cx)),
            };
        }
    }
    Summary {
        histories: cfg.histories,
        calls,
        elapsed: start.elapsed(),
        failure: None,
    }
}
