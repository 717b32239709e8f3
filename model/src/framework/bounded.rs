//! Limits that stop every search: a model wrapper whose search threads stop expanding states
//! once a shared stop flag is set, and the process's memory as `/proc/self/status` reports it.
//!
//! stateright checks its deadline only when a worker runs out of queued work, so a
//! single-threaded BFS or DFS never stops on `timeout`, and `target_state_count` is checked
//! once per block of states. The runner instead polls the search (every few milliseconds) and,
//! at a limit, sets the flag: from then on [`Bounded`] gives the search threads no actions and
//! no discoveries, so their queues drain in a moment and the search ends as incomplete.
//!
//! Paths to discoveries are rebuilt after the search by replaying actions: the thread doing
//! that calls [`with_replay`], which lets it see the real actions whatever the flag says.

use stateright::{Expectation, Model, Path, Property};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The shared stop flag of a search and why it was set (the first reason wins).
#[derive(Default)]
pub struct Stop {
    flag: AtomicBool,
    reason: Mutex<Option<String>>,
}

impl Stop {
    /// Stops the search for `why`, unless it was stopped already.
    pub fn stop(&self, why: impl Into<String>) {
        let mut r = self.reason.lock().unwrap_or_else(|e| e.into_inner());
        if r.is_none() {
            *r = Some(why.into());
        }
        self.flag.store(true, Ordering::SeqCst);
    }
    /// Whether the search was stopped.
    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }
    /// Why the search was stopped, if it was.
    pub fn reason(&self) -> Option<String> {
        self.reason
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

thread_local! {
    static REPLAYING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with the stop flag ignored on this thread (rebuilding paths after a search).
pub fn with_replay<R>(f: impl FnOnce() -> R) -> R {
    REPLAYING.with(|r| r.set(true));
    let out = f();
    REPLAYING.with(|r| r.set(false));
    out
}

/// A model whose search stops expanding once `stop` is set.
pub struct Bounded<M: Model> {
    pub inner: M,
    props: Arc<Vec<Property<M>>>,
    stop: Arc<Stop>,
    /// Generated states (initial ones included) after which the search stops: `max_states`.
    budget: Option<usize>,
    generated: Arc<AtomicUsize>,
}

impl<M: Model> Bounded<M> {
    /// Wraps `inner`; setting `stop` ends its search, as does generating more than `budget`
    /// states (counting duplicates, as stateright's `state_count` does).
    pub fn new(inner: M, stop: Arc<Stop>, budget: Option<usize>) -> Self {
        let props = Arc::new(inner.properties());
        Bounded {
            inner,
            props,
            stop,
            budget,
            generated: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn halted(&self) -> bool {
        self.stop.is_set() && !REPLAYING.with(|r| r.get())
    }
}

/// Property `I` of the inner model; once halted, a state discovers nothing.
fn cond<M: Model, const I: usize>(m: &Bounded<M>, s: &M::State) -> bool {
    let p = &m.props[I];
    if m.halted() {
        return not_discovered(p);
    }
    (p.condition)(&m.inner, s)
}

/// The value of `p`'s condition that discovers nothing: an always property holds, a
/// sometimes one does not (what a halted search's states give).
fn not_discovered<M: Model>(p: &Property<M>) -> bool {
    p.expectation != Expectation::Sometimes
}

macro_rules! cond_table {
    ($($i:literal)*) => {
        /// The wrapper's condition for property `i`, if the table reaches that far.
        fn cond_at<M: Model>(i: usize) -> Option<fn(&Bounded<M>, &M::State) -> bool> {
            match i {
                $($i => Some(cond::<M, $i>),)*
                _ => None,
            }
        }
        /// How many properties a wrapped model may have.
        pub const MAX_PROPERTIES: usize = [$($i),*].len();
    };
}
cond_table!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29
    30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59
    60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89
    90 91 92 93 94 95 96 97 98 99 100 101 102 103 104 105 106 107 108 109 110 111 112 113 114
    115 116 117 118 119 120 121 122 123 124 125 126 127);

impl<M: Model> Model for Bounded<M> {
    type State = M::State;
    type Action = M::Action;

    fn init_states(&self) -> Vec<Self::State> {
        // Each is counted by `within_boundary`, which the checkers call on initial states too.
        self.inner.init_states()
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        if !self.halted() {
            self.inner.actions(state, actions)
        }
    }

    fn next_state(&self, last: &Self::State, action: Self::Action) -> Option<Self::State> {
        self.inner.next_state(last, action)
    }

    #[cfg(feature = "stateright-patched")]
    fn next_state_into(
        &self,
        last: &Self::State,
        action: Self::Action,
        out: &mut Option<Self::State>,
    ) -> bool {
        self.inner.next_state_into(last, action, out)
    }

    fn format_action(&self, action: &Self::Action) -> String
    where
        Self::Action: std::fmt::Debug,
    {
        self.inner.format_action(action)
    }

    fn format_step(&self, last: &Self::State, action: Self::Action) -> Option<String>
    where
        Self::State: std::fmt::Debug,
    {
        self.inner.format_step(last, action)
    }

    fn as_svg(&self, path: Path<Self::State, Self::Action>) -> Option<String> {
        self.inner.as_svg(path)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        self.props
            .iter()
            .enumerate()
            .map(|(i, p)| Property {
                expectation: p.expectation.clone(),
                name: p.name,
                condition: cond_at::<M>(i)
                    .unwrap_or_else(|| panic!("a model has more than {MAX_PROPERTIES} properties")),
            })
            .collect()
    }

    fn within_boundary(&self, state: &Self::State) -> bool {
        self.count_generated() && self.inner.within_boundary(state)
    }

    #[cfg(feature = "stateright-patched")]
    fn fingerprint_of(&self, state: &Self::State) -> stateright::Fingerprint
    where
        Self::State: std::hash::Hash,
    {
        self.inner.fingerprint_of(state)
    }

    #[cfg(feature = "stateright-patched")]
    fn representative_fingerprint(
        &self,
        state: &Self::State,
        representative: fn(&Self::State) -> Self::State,
    ) -> stateright::Fingerprint
    where
        Self::State: std::hash::Hash,
    {
        self.inner.representative_fingerprint(state, representative)
    }

    /// The inner model's, with the generated state counted against `max_states` where
    /// `within_boundary` counts it: once per successor inside the inner model's boundary,
    /// before stateright counts it. (The inner models have no boundary of their own, so this
    /// is the order the default method keeps too.) Over the budget, the successor is outside
    /// the boundary, as `within_boundary` makes it.
    #[cfg(feature = "stateright-patched")]
    fn fingerprint_successor(
        &self,
        last: &Self::State,
        action: Self::Action,
        held: &mut stateright::Held<Self::State>,
    ) -> stateright::Fingerprinted
    where
        Self::State: std::hash::Hash,
    {
        use stateright::Fingerprinted;
        match self.inner.fingerprint_successor(last, action, held) {
            Fingerprinted::Held(_) if !self.count_generated() => Fingerprinted::OutsideBoundary,
            found => found,
        }
    }

    /// The inner model's, on its own properties; once halted, as [`cond`] does, every
    /// property is [`not_discovered`].
    #[cfg(feature = "stateright-patched")]
    fn evaluate_properties<V: FnMut(usize, &dyn Fn() -> bool)>(
        &self,
        state: &Self::State,
        _properties: &[Property<Self>],
        visit: &mut V,
    ) {
        if self.halted() {
            for (i, p) in self.props.iter().enumerate() {
                visit(i, &|| not_discovered(p));
            }
            return;
        }
        self.inner.evaluate_properties(state, &self.props, visit)
    }

    /// The inner model's (the successor was counted when it was fingerprinted).
    #[cfg(feature = "stateright-patched")]
    fn build_held(
        &self,
        last: &Self::State,
        held: &mut stateright::Held<Self::State>,
    ) -> Self::State {
        self.inner.build_held(last, held)
    }
}

impl<M: Model> Bounded<M> {
    /// Counts one generated state against `max_states` (unless replaying a path), and stops
    /// the search once more than that many were generated: false then.
    fn count_generated(&self) -> bool {
        if let Some(b) = self.budget {
            if !REPLAYING.with(|r| r.get()) {
                // Called once per generated state, before stateright counts it.
                let n = self.generated.fetch_add(1, Ordering::Relaxed) + 1;
                if n > b {
                    self.stop.stop(format!("max_states = {b}"));
                    return false;
                }
            }
        }
        true
    }
}

/// A memory reading of this process, in MiB, from `/proc/self/status` (`VmRSS` or `VmHWM`).
pub fn proc_status_mb(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    status_field_mb(&s, field)
}

/// `field` (e.g. `VmHWM`) of a `/proc/<pid>/status` text, in MiB.
pub fn status_field_mb(status: &str, field: &str) -> Option<u64> {
    status_field_kib(status, field).map(|kib| kib / 1024)
}

/// `field` (e.g. `VmHWM`, `RssFile`, or `MemTotal` of `/proc/meminfo`) of a
/// `/proc/<pid>/status` text, in KiB as the file gives it.
pub fn status_field_kib(status: &str, field: &str) -> Option<u64> {
    let line = status
        .lines()
        .find(|l| l.split(':').next() == Some(field))?;
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok())
}

/// The resident memory of this process in MiB.
///
/// Read from `/proc/self/statm` (one line of page counts), not `/proc/self/status`: the
/// watchdog of every search reads it every few milliseconds, and on a search of a few
/// million states the status file took the watchdog 230 ms of CPU in 4.3 s (283 µs a read,
/// on a 2-core machine whose two cores were the checker's).
pub fn rss_mb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/statm").ok()?;
    statm_resident_mb(&s, page_size())
}

/// The resident set of a `/proc/<pid>/statm` text (its second field, in pages), in MiB.
pub fn statm_resident_mb(statm: &str, page: u64) -> Option<u64> {
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page / (1024 * 1024))
}

/// The page size in bytes.
fn page_size() -> u64 {
    // SAFETY: sysconf reads a constant of the system and has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 {
        n as u64
    } else {
        4096
    }
}

/// The machine's memory in MiB (`MemTotal` in `/proc/meminfo`).
pub fn machine_mb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/meminfo").ok()?;
    status_field_mb(&s, "MemTotal")
}

/// Default memory limit of a search: half the machine (4 GiB where it cannot be read).
pub fn default_max_memory_mb() -> u64 {
    machine_mb().map(|m| (m / 2).max(256)).unwrap_or(4096)
}

/// Most checker threads a search may use.
pub const MAX_THREADS: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    /// A model of one state with an always property that fails and a sometimes one that
    /// holds, for the wrapper's conditions.
    #[cfg(feature = "stateright-patched")]
    struct TwoProperties;

    #[cfg(feature = "stateright-patched")]
    impl Model for TwoProperties {
        type State = u8;
        type Action = u8;
        fn init_states(&self) -> Vec<u8> {
            vec![0]
        }
        fn actions(&self, _: &u8, _: &mut Vec<u8>) {}
        fn next_state(&self, _: &u8, _: u8) -> Option<u8> {
            None
        }
        fn properties(&self) -> Vec<Property<Self>> {
            vec![
                Property::always("fails", |_, _| false),
                Property::sometimes("holds", |_, _| true),
            ]
        }
    }

    /// The properties evaluated together (patch 0019) give each property's own wrapped
    /// condition, before and after the search is halted (then nothing is discovered).
    #[cfg(feature = "stateright-patched")]
    #[test]
    fn properties_evaluated_together_are_the_wrapped_conditions() {
        let stop = Arc::new(Stop::default());
        let m = Bounded::new(TwoProperties, Arc::clone(&stop), None);
        let together = |m: &Bounded<TwoProperties>| {
            let mut got = Vec::new();
            m.evaluate_properties(&0, &m.properties(), &mut |i, holds: &dyn Fn() -> bool| {
                got.push((i, holds()))
            });
            got
        };
        let one_by_one = |m: &Bounded<TwoProperties>| {
            let props = m.properties();
            (0..props.len())
                .map(|i| (i, (props[i].condition)(m, &0)))
                .collect::<Vec<_>>()
        };
        assert_eq!(together(&m), [(0, false), (1, true)]);
        assert_eq!(together(&m), one_by_one(&m));
        stop.stop("test");
        assert_eq!(together(&m), [(0, true), (1, false)]);
        assert_eq!(together(&m), one_by_one(&m));
    }

    #[test]
    fn status_fields_by_their_exact_names() {
        let status = "Name:\tgomap\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nRssAnon:\t 99000 kB\nRssFile:\t   3400 kB\n";
        assert_eq!(status_field_kib(status, "VmHWM"), Some(204_800));
        assert_eq!(status_field_kib(status, "RssFile"), Some(3_400));
        assert_eq!(status_field_mb(status, "VmRSS"), Some(100));
        // A name is the whole text before its colon: no prefix of another name matches.
        assert_eq!(status_field_kib(status, "Rss"), None);
        assert_eq!(status_field_kib(status, "VmSwap"), None);
        assert_eq!(status_field_kib("Name:\tgomap\n", "Name"), None);
    }

    #[test]
    fn resident_memory_from_statm() {
        assert_eq!(statm_resident_mb("1000 512 10 1 0 600 0\n", 4096), Some(2));
        assert_eq!(statm_resident_mb("1000", 4096), None);
        assert_eq!(statm_resident_mb("1000 x 10", 4096), None);
        // The same figure as /proc/self/status's VmRSS: between the VmRSS read just before
        // and the one just after (other tests' threads allocate and free meanwhile), give or
        // take a page count's rounding.
        let before = proc_status_mb("VmRSS").expect("VmRSS");
        let statm = rss_mb().expect("/proc/self/statm");
        let after = proc_status_mb("VmRSS").expect("VmRSS");
        assert!(
            before.min(after).saturating_sub(2) <= statm && statm <= before.max(after) + 2,
            "statm {statm} MiB, VmRSS {before} MiB before and {after} MiB after"
        );
    }
}
