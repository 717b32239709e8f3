//! Running a spec: the stateright search, verdicts against the expected ones, and readable
//! counterexamples.
//!
//! Verdicts:
//! - an `always` property *holds* only if the search visited every reachable state without
//!   finding a counterexample; it is *violated* as soon as one is found;
//! - a `sometimes` property *holds* when an example is found (the interesting state is
//!   reachable) and is *violated* when a complete search found none;
//! - anything else is *incomplete*: a limit stopped the search before deciding, which never
//!   counts as `holds`.
//!
//! Exhaustive searches add an always-true sentinel property so that stateright does not stop
//! once every real property has a discovery: the unique-state count is then that of the whole
//! reachable space, the same whatever the thread count, and can be pinned.
//!
//! Counterexamples are made as short as BFS can make them: stateright's stored discovery may
//! be deeper than the first one found, so the path is searched again, single-threaded and
//! depth-bounded, until no shorter one exists.

use super::bounded::{default_max_memory_mb, rss_mb, with_replay, Bounded, Stop, MAX_THREADS};
use super::kind::Kind;
use super::pages::{NoHugePages, LARGE_SEARCH_MB};
use super::spec::{Spec, Strategy, Verdict};
use serde::Serialize;
use stateright::{Checker, Expectation, HasDiscoveries, Model, Path, UniformChooser};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Name of the always-true property that keeps exhaustive searches from stopping early.
pub const EXHAUSTIVE_SENTINEL: &str = "(exhaustive search)";

/// A progress report during a long search.
#[derive(Clone, Debug)]
pub struct Progress {
    pub spec: String,
    pub unique_states: usize,
    pub max_depth: usize,
    pub elapsed: Duration,
}

/// One step of a counterexample.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// The Go operation, e.g. `mapassign(k1, v1)`.
    pub action: String,
    /// What Go did inside it, e.g. `growWork -> evacuate(old bucket 1)`.
    pub go_steps: Vec<String>,
    /// What the program observed (a lookup's result, an iterator's yield), if anything.
    pub outcome: String,
    /// The state after the step.
    pub state: String,
}

/// A path the checker found.
#[derive(Clone, Debug, Serialize)]
pub struct Counterexample {
    pub initial_state: String,
    pub steps: Vec<Step>,
    /// Action indices as the explorer encodes them (`/#/steps/<path>`).
    pub explorer_path: String,
}

/// The result for one property.
#[derive(Clone, Debug, Serialize)]
pub struct PropertyResult {
    pub name: String,
    pub kind: Kind,
    pub expected: Verdict,
    pub verdict: Verdict,
    pub ok: bool,
    /// For a violated `always` property: the path to the violating state. For a `sometimes`
    /// property that holds: the path to the example.
    pub counterexample: Option<Counterexample>,
}

/// The result for one spec.
#[derive(Clone, Debug, Serialize)]
pub struct SpecResult {
    pub spec: String,
    pub path: String,
    pub model: String,
    pub strategy: Strategy,
    pub threads: usize,
    pub symmetry: bool,
    pub unique_states: usize,
    pub total_states: usize,
    pub max_depth: usize,
    pub seconds: f64,
    pub states_per_sec: f64,
    pub complete: bool,
    /// Why the search stopped early, if it did.
    pub stopped_by: Option<String>,
    pub expected_unique_states: Option<usize>,
    pub properties: Vec<PropertyResult>,
    /// How many properties the model evaluates at every state (the spec's expectations name
    /// some or all of them).
    pub model_properties: usize,
    pub ok: bool,
}

/// Options of a run.
pub struct RunOptions<'a> {
    /// Called about once a second during a search.
    pub progress: Option<&'a (dyn Fn(&Progress) + Sync)>,
    /// Overrides the spec's thread count.
    pub threads: Option<usize>,
    /// Shorten counterexamples (one extra bounded search per violated property).
    pub shorten: bool,
    /// Overrides the spec's memory limit (MiB of resident memory of the process).
    pub max_memory_mb: Option<u64>,
}

impl Default for RunOptions<'_> {
    fn default() -> Self {
        RunOptions {
            progress: None,
            threads: None,
            shorten: true,
            max_memory_mb: None,
        }
    }
}

impl RunOptions<'_> {
    /// The memory limit of a search of `spec`, in MiB: the option, the spec's
    /// `limits.max_memory_mb`, else half the machine.
    pub fn memory_limit_mb(&self, spec: &Spec) -> u64 {
        self.max_memory_mb
            .or(spec.max_memory_mb)
            .unwrap_or_else(default_max_memory_mb)
    }
}

/// How long a stopped search may take to drain its queues before it is left behind.
const DRAIN_GRACE: Duration = Duration::from_millis(1500);

/// A function from a state to the representative of its symmetry class.
pub type Representative<S> = fn(&S) -> S;

/// What the runner needs of a model beyond stateright's [`Model`].
pub trait Checkable:
    Model<
        State: Clone + PartialEq + std::hash::Hash + Send + Sync + std::fmt::Debug + 'static,
        Action: Clone + PartialEq + std::fmt::Debug + Send + Sync + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
    /// The state, readably (a few lines).
    fn state_text(&self, s: &Self::State) -> String;
    /// Runs one step with Go's internal steps logged: (Go's inner steps, what the program
    /// observed or "", the next state).
    fn explain_step(&self, s: &Self::State, a: &Self::Action)
        -> (Vec<String>, String, Self::State);
    /// A copy that checks only the property `name` and may stop as soon as it is found.
    fn only(&self, name: &'static str) -> Self;
    /// The model as the explorer lists its actions, by default this one: a counterexample's
    /// explorer link (`/#/steps/...`) numbers each step's action in that list. A model whose
    /// checker lists fewer actions (the hmap model's `merge_read_only`) gives a copy that
    /// lists them all.
    fn explorer_model(&self) -> Self {
        self.clone()
    }
    /// An estimate of the initial states' memory, (how many, bytes each), so that a search
    /// whose initial states cannot fit is refused before they are built; None if unknown.
    fn init_states_estimate(&self) -> Option<(usize, u64)> {
        None
    }
    /// The representative of a state's symmetry class, for `search.symmetry = true`; None if
    /// the model has no symmetry.
    fn symmetry_fn(&self) -> Option<Representative<Self::State>> {
        None
    }
    /// The explorer's text for a step: the action, Go's inner steps, what the program
    /// observed and the state after it.
    fn step_text(&self, last: &Self::State, a: &Self::Action) -> String
    where
        Self::Action: std::fmt::Debug,
    {
        let (log, out, next) = self.explain_step(last, a);
        format!(
            "{}\n{}{}\n{}",
            self.format_action(a),
            log.join("\n"),
            if out.is_empty() {
                String::new()
            } else {
                format!("\n= {out}")
            },
            self.state_text(&next)
        )
    }
}

fn kind_of<M: Model>(model: &M, name: &str) -> Kind {
    model
        .properties()
        .iter()
        .find(|p| p.name == name)
        .map(|p| match p.expectation {
            Expectation::Sometimes => Kind::Sometimes,
            _ => Kind::Always,
        })
        .unwrap_or(Kind::Always)
}

fn explain<M>(model: &M, path: &Path<M::State, M::Action>) -> Counterexample
where
    M: Checkable,
    M::State: Clone + PartialEq,
    M::Action: Clone + PartialEq + std::fmt::Debug,
{
    let explorer_path = path.encode(&model.explorer_model());
    let v = path.clone().into_vec();
    let initial_state = model.state_text(&v[0].0);
    let mut steps = Vec::new();
    for (state, action) in &v {
        if let Some(a) = action {
            let (log, outcome, next) = model.explain_step(state, a);
            steps.push(Step {
                action: model.format_action(a),
                go_steps: log,
                outcome,
                state: model.state_text(&next),
            });
        }
    }
    Counterexample {
        initial_state,
        steps,
        explorer_path,
    }
}

/// Bounds of the search for a shorter counterexample: past them the path found is kept.
const SHORTEN_MAX_STATES: usize = 2_000_000;
const SHORTEN_TIMEOUT_SECS: u64 = 30;

/// A shortest path to a discovery of `name`: one bounded single-threaded BFS. It visits
/// states in order of depth, so the first discovery it makes is at the least depth there is;
/// its search stops there. Past its bounds (or with nothing shorter) the path found is kept.
fn shortest<M>(
    model: &M,
    name: &'static str,
    found: Path<M::State, M::Action>,
) -> Path<M::State, M::Action>
where
    M: Checkable,
    M::State: Clone + PartialEq + std::hash::Hash + Send + Sync + std::fmt::Debug + 'static,
    M::Action: Clone + PartialEq + std::fmt::Debug + Send + Sync + 'static,
{
    // Depth counts states from 1: a path of n actions ends at depth n + 1, and states at
    // depth >= target are skipped, so this only finds strictly shorter paths.
    let len = found.clone().into_actions().len();
    if len == 0 {
        return found;
    }
    let _pages = NoHugePages::hold();
    let c = model
        .only(name)
        .checker()
        .finish_when(HasDiscoveries::AnyOf(BTreeSet::from([name])))
        .target_max_depth(len + 1)
        .target_state_count(SHORTEN_MAX_STATES)
        .timeout(Duration::from_secs(SHORTEN_TIMEOUT_SECS))
        .spawn_bfs()
        .join();
    match c.discovery(name) {
        Some(p) if p.clone().into_actions().len() < len => p,
        _ => found,
    }
}

/// Waits for a search's threads to end, reporting progress once a second. Their end is
/// noticed at once: a thread joins them and says so. Once `stop` is set, the threads have
/// [`DRAIN_GRACE`] to end; past it they are left to drain in the background (they expand
/// nothing more). A thread's panic is raised again here.
fn wait_for_threads(
    handles: Vec<std::thread::JoinHandle<()>>,
    stop: &Stop,
    mut progress: impl FnMut(),
) {
    use std::sync::mpsc::{channel, RecvTimeoutError};
    type Panic = Box<dyn std::any::Any + Send>;
    let handles = Arc::new(std::sync::Mutex::new(handles));
    let join_all = |handles: &std::sync::Mutex<Vec<std::thread::JoinHandle<()>>>| {
        let mut panic: Option<Panic> = None;
        let taken = std::mem::take(&mut *handles.lock().unwrap_or_else(|e| e.into_inner()));
        for h in taken {
            if let Err(p) = h.join() {
                panic.get_or_insert(p);
            }
        }
        panic
    };
    let (tx, rx) = channel::<Option<Panic>>();
    let joiner = {
        let handles = Arc::clone(&handles);
        std::thread::Builder::new()
            .name("join".into())
            .spawn(move || {
                let _ = tx.send(join_all(&handles));
            })
    };
    if joiner.is_err() {
        // No thread to wait with: joined here, without progress or a grace period.
        if let Some(p) = join_all(&handles) {
            std::panic::resume_unwind(p);
        }
        return;
    }
    let mut last = Instant::now();
    let mut stopped_at: Option<Instant> = None;
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(panic) => {
                if let Some(p) = panic {
                    std::panic::resume_unwind(p);
                }
                return;
            }
            Err(RecvTimeoutError::Timeout) => {}
            // The joiner ended without a word (it cannot panic between joining and sending).
            Err(RecvTimeoutError::Disconnected) => return,
        }
        if last.elapsed() >= Duration::from_secs(1) {
            last = Instant::now();
            progress();
        }
        if stop.is_set() {
            let at = *stopped_at.get_or_insert_with(Instant::now);
            if at.elapsed() > DRAIN_GRACE {
                return;
            }
        }
    }
}

/// Runs the search a spec asks for on `model` and compares the verdicts.
pub fn run_model<M>(spec: &Spec, model: M, opts: &RunOptions) -> SpecResult
where
    M: Checkable,
    M::State: Clone + PartialEq + std::hash::Hash + Send + Sync + std::fmt::Debug + 'static,
    M::Action: Clone + PartialEq + std::fmt::Debug + Send + Sync + 'static,
{
    let threads = opts.threads.unwrap_or(spec.threads).clamp(1, MAX_THREADS);
    let max_memory_mb = opts.memory_limit_mb(spec);
    let timeout = Duration::from_secs(spec.timeout_secs);
    let stop = Arc::new(Stop::default());
    // BFS and DFS count generated states in the wrapper (stateright checks its own target once
    // per block of 1500 states, each with all its successors); a simulation counts its walks'
    // states itself.
    let budget = spec
        .max_states
        .filter(|_| spec.strategy != Strategy::Simulation);
    let bounded = Bounded::new(model.clone(), Arc::clone(&stop), budget);
    let mut b = bounded.checker().threads(threads).timeout(timeout);
    if spec.strategy == Strategy::Simulation {
        if let Some(n) = spec.max_states {
            b = b.target_state_count(n);
        }
    }
    if let Some(d) = spec.max_depth {
        b = b.target_max_depth(d);
    }
    if spec.symmetry {
        if let Some(f) = model.symmetry_fn() {
            b = b.symmetry_fn(f);
        }
    }
    // A search takes fresh memory all along; huge pages cost more than they give there
    // (framework::pages).
    let pages = NoHugePages::hold();
    let start = Instant::now();
    // The time and memory limits are watched from their own thread from the start, as the
    // initial states are built before the search (and its handle) exists.
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (stop, done) = (Arc::clone(&stop), Arc::clone(&done));
        std::thread::Builder::new()
            .name("limits".into())
            .spawn(move || {
                let mut large = false;
                while !done.load(Ordering::Relaxed) {
                    if start.elapsed() >= timeout {
                        stop.stop(format!("timeout of {} s", timeout.as_secs()));
                    }
                    let rss = rss_mb();
                    if let Some(mb) = rss.filter(|&mb| mb >= max_memory_mb) {
                        stop.stop(format!(
                            "memory limit of {max_memory_mb} MB (resident {mb} MB)"
                        ));
                    }
                    // A large search's visited tables get huge pages from then on
                    // (framework::pages): asked once, whatever the answer.
                    if !large && rss.is_some_and(|mb| mb >= LARGE_SEARCH_MB) {
                        NoHugePages::large_search();
                        large = true;
                    }
                    // Woken early when the search ends, so that joining it adds no wait.
                    std::thread::park_timeout(Duration::from_millis(5));
                }
            })
            .ok()
    };
    let progress = |unique: usize, depth: usize| {
        if let Some(f) = opts.progress {
            f(&Progress {
                spec: spec.name.clone(),
                unique_states: unique,
                max_depth: depth,
                elapsed: start.elapsed(),
            });
        }
    };
    macro_rules! drive {
        ($c:expr) => {{
            let mut c = $c;
            wait_for_threads(c.handles(), &stop, || {
                progress(c.unique_state_count(), c.max_depth())
            });
            // Rebuilding a discovery's path replays actions, which the stop flag would hide.
            let discoveries = with_replay(|| c.discoveries());
            (
                c.unique_state_count(),
                c.state_count(),
                c.max_depth(),
                discoveries,
            )
        }};
    }
    let (unique, total, depth, discoveries) = match spec.strategy {
        Strategy::Bfs => drive!(b.spawn_bfs()),
        Strategy::Dfs => drive!(b.spawn_dfs()),
        Strategy::Simulation => drive!(b.spawn_simulation(spec.seed, UniformChooser)),
    };
    done.store(true, Ordering::Relaxed);
    drop(pages);
    if let Some(w) = watchdog {
        w.thread().unpark();
        let _ = w.join();
    }
    let seconds = start.elapsed().as_secs_f64();

    let stopped_by = if let Some(why) = stop.reason() {
        Some(why)
    } else if spec.strategy == Strategy::Simulation {
        Some("simulation (random walks)".to_string())
    } else if seconds >= spec.timeout_secs as f64 {
        Some(format!("timeout of {} s", spec.timeout_secs))
    } else if spec.max_states.is_some_and(|n| unique >= n || total >= n) {
        Some(format!("max_states = {}", spec.max_states.unwrap()))
    } else if spec.max_depth.is_some_and(|d| depth + 1 >= d) {
        Some(format!("max_depth = {}", spec.max_depth.unwrap()))
    } else {
        None
    };
    let complete = stopped_by.is_none();

    let mut props = Vec::new();
    for e in &spec.expect {
        let kind = kind_of(&model, &e.property);
        let Some(name) = model
            .properties()
            .iter()
            .map(|p| p.name)
            .find(|n| *n == e.property)
        else {
            // The model's builder rejected unknown names already.
            continue;
        };
        let found = discoveries.get(name).cloned();
        let verdict = match (kind, &found, complete) {
            (Kind::Always, Some(_), _) => Verdict::Violated,
            (Kind::Always, None, true) => Verdict::Holds,
            (Kind::Sometimes, Some(_), _) => Verdict::Holds,
            (Kind::Sometimes, None, true) => Verdict::Violated,
            (_, None, false) => Verdict::Incomplete,
        };
        let counterexample = found.map(|p| {
            // Random walks are deep and their spaces too big to search breadth-first.
            let p = if opts.shorten && spec.strategy != Strategy::Simulation {
                shortest(&model, name, p)
            } else {
                p
            };
            explain(&model, &p)
        });
        props.push(PropertyResult {
            name: e.property.clone(),
            kind,
            expected: e.verdict,
            verdict,
            ok: verdict == e.verdict,
            counterexample,
        });
    }
    let pin_ok = match spec.unique_states {
        Some((n, _)) => complete && n == unique,
        None => true,
    };
    let ok = props.iter().all(|p| p.ok) && pin_ok;
    SpecResult {
        spec: spec.name.clone(),
        path: spec.path.display().to_string(),
        model: spec.model.clone(),
        strategy: spec.strategy,
        threads,
        symmetry: spec.symmetry,
        unique_states: unique,
        total_states: total,
        max_depth: depth,
        seconds,
        states_per_sec: if seconds > 0.0 {
            unique as f64 / seconds
        } else {
            0.0
        },
        complete,
        stopped_by,
        expected_unique_states: spec.unique_states.map(|u| u.0),
        properties: props,
        model_properties: model.properties().len(),
        ok,
    }
}

/// Searches `spec` with `a` and with `b` (the same model built two ways) and asserts that
/// both searches are complete and found the same unique states, the same verdicts with
/// counterexamples of the same lengths, and every verdict as expected.
#[cfg(test)]
pub(crate) fn assert_same_search<A, B>(spec: &Spec, a: A, b: B)
where
    A: Checkable,
    A::State: Clone + PartialEq + std::hash::Hash + Send + Sync + std::fmt::Debug + 'static,
    A::Action: Clone + PartialEq + std::fmt::Debug + Send + Sync + 'static,
    B: Checkable,
    B::State: Clone + PartialEq + std::hash::Hash + Send + Sync + std::fmt::Debug + 'static,
    B::Action: Clone + PartialEq + std::fmt::Debug + Send + Sync + 'static,
{
    let opts = RunOptions::default();
    let (a, b) = (&run_model(spec, a, &opts), &run_model(spec, b, &opts));
    let verdicts = |r: &SpecResult| -> Vec<(String, String, Option<usize>)> {
        r.properties
            .iter()
            .map(|p| {
                let steps = p.counterexample.as_ref().map(|c| c.steps.len());
                (p.name.clone(), format!("{:?}", p.verdict), steps)
            })
            .collect()
    };
    assert!(a.complete && b.complete);
    assert_eq!(a.unique_states, b.unique_states);
    assert_eq!(verdicts(a), verdicts(b));
    assert!(a.ok && b.ok, "{:?}", verdicts(a));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn spawn_all(
        n: usize,
        body: impl Fn(usize) + Send + Sync + 'static,
    ) -> Vec<std::thread::JoinHandle<()>> {
        let body = Arc::new(body);
        (0..n)
            .map(|i| {
                let body = Arc::clone(&body);
                std::thread::spawn(move || body(i))
            })
            .collect()
    }

    /// Returns once every thread has ended, not before.
    #[test]
    fn waiting_for_threads_ends_when_they_do() {
        let ended = Arc::new(AtomicUsize::new(0));
        let e = Arc::clone(&ended);
        let handles = spawn_all(2, move |i| {
            std::thread::sleep(Duration::from_millis(20 + 30 * i as u64));
            e.fetch_add(1, Ordering::SeqCst);
        });
        wait_for_threads(handles, &Stop::default(), || {});
        assert_eq!(ended.load(Ordering::SeqCst), 2);
    }

    /// A thread's panic reaches the caller with its own message.
    #[test]
    fn a_checker_thread_panic_is_raised_again() {
        let handles = spawn_all(2, |i| {
            if i == 1 {
                panic!("model step failed");
            }
        });
        let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wait_for_threads(handles, &Stop::default(), || {})
        }));
        let payload = got.expect_err("the panic is raised again");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"model step failed"));
    }

    /// Stopped threads that do not end are left behind after the grace period, and progress
    /// was reported while waiting.
    #[test]
    fn stopped_threads_are_left_after_the_grace_period() {
        let release = Arc::new(AtomicBool::new(false));
        let r = Arc::clone(&release);
        let handles = spawn_all(1, move |_| {
            while !r.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        let stop = Stop::default();
        stop.stop("test");
        let mut reports = 0;
        let t = Instant::now();
        wait_for_threads(handles, &stop, || reports += 1);
        let waited = t.elapsed();
        release.store(true, Ordering::SeqCst);
        assert!(
            waited >= DRAIN_GRACE && waited < DRAIN_GRACE * 2,
            "{waited:?}"
        );
        assert!(reports >= 1);
    }
}
