//! How much a dynamic partial-order reduction removes from the `unsync` model's state space:
//! the measurement behind docs/performance-checker.md, "A dynamic partial-order reduction,
//! measured". A probe, not a checker: it holds every state's 64-bit hash (and, for the
//! reduction, 64 bytes of summary) in memory, has no limits and shortens no paths.
//! model/tests/dpor_probe.rs runs `--oracle` and the comparison on a small configuration.
//!
//! `cargo run --release -p gomap-model --example dpor_probe -- SPEC.toml [--dpor-only] [--no-q]`
//! `cargo run --release -p gomap-model --example dpor_probe -- SPEC.toml --census`
//! `cargo run --release -p gomap-model --example dpor_probe -- SPEC.toml --oracle`
//!
//! The spec's `unsync` configuration is searched twice, without symmetry: by a depth-first
//! search of every interleaving ("full"), and by a stateful dynamic partial-order reduction
//! ("dpor"); the program prints both counts, each property's verdict in both, and whether
//! the reduction reached every terminal state in which every goroutine finished, every
//! state in which no operation is in progress, and every set of property values met at a
//! terminal state (`SAME` or `DIFFERENT`).
//!
//! The reduction (Flanagan and Godefroid's, made stateful):
//! - **Footprints.** What a step reads and writes of what other goroutines can see
//!   ([`footprint`]): the header's words one bit each, the cells of bucket `i` of every
//!   array one bit (arrays told apart by index only, so two arrays' bucket `i` count as one
//!   place), reads by the step's `Pc` (generously: where the bucket a step reads is not in
//!   its registers, every cell), writes by `Pc` and by comparing the map before and after.
//!   Starting or finishing an operation writes `Q` (which goroutines are inside one), and
//!   the steps that set `growth_while_racing` read it, so quiescent states and that property
//!   are kept. A step whose goroutine holds array numbers reads the header's bucket
//!   pointers (the model renumbers arrays from them after every step). Two steps are
//!   dependent when one writes what the other reads or writes.
//!   `--oracle` checks the relation on the states of 20,000 random executions: every pair
//!   of steps of two goroutines it calls independent must commute there (both orders reach
//!   the same state) and keep each other's footprints.
//! - **Throws.** In the model a throw ends the program, which makes every step dependent on
//!   every throw. The search instead halts only the goroutine that threw and lets the others
//!   go on (`W`): the model's throw state is recorded when the throw happens, and the states
//!   after it (`phantom`) are searched for the reduction's sake but are not the model's, so
//!   no property is read on them. A throw writes `THROWN` (which goroutine threw first).
//! - **Census.** `--census` counts, at the states of 20,000 random executions, how often
//!   two goroutines' steps commute, by what they do, and the steps that most often do not.
//! - **Search.** Each state explores one goroutine first and adds others where a later step
//!   races with an earlier one that does not happen before it (vector clocks). A state met
//!   again adds the races of every step its subtree may take (its summary: per goroutine,
//!   every footprint of every step enabled below it) with every dependent step on the
//!   stack, not only the last. A state met again while on the stack (the model's graph has
//!   cycles) is taken to do everything.
use gomap_model::framework::log::Log;
use gomap_model::framework::spec::Spec;
use gomap_model::hmap::state::HmapState;
use gomap_model::unsync::*;
use stateright::{Expectation, Model};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

/// Random executions for `--census` and `--oracle`.
const WALKS: usize = 20_000;

enum Mode {
    Search,
    Census,
    Oracle,
}

/// The most goroutines the probe takes (summaries are fixed arrays).
const MAX_G: usize = 4;

/// `--no-q`: starting and finishing operations conflict with nothing (unsound for the
/// quiescent-state properties and `reaches_growth_while_racing`; measures what `Q` costs).
static NO_Q: AtomicBool = AtomicBool::new(false);

const COUNT: u64 = 1 << 0;
const FLAGS: u64 = 1 << 1;
const B: u64 = 1 << 2;
const NOVERFLOW: u64 = 1 << 3;
const HASH0: u64 = 1 << 4;
const BUCKETS: u64 = 1 << 5;
const OLDBUCKETS: u64 = 1 << 6;
const NEVACUATE: u64 = 1 << 7;
const PREALLOC: u64 = 1 << 8;
const CLEARSEQ: u64 = 1 << 9;
const Q: u64 = 1 << 10;
const THROWN: u64 = 1 << 11;
const HEADER: u64 = (1 << 10) - 1;
const CELLS: u64 = !((1u64 << 16) - 1);
const ALL: u64 = !0;

fn cell(chain: u16) -> u64 {
    1 << (16 + (chain as u64 % 48))
}

#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
struct Fp {
    r: u64,
    w: u64,
}

impl Fp {
    fn or(&mut self, o: Fp) {
        self.r |= o.r;
        self.w |= o.w;
    }
    fn is_empty(&self) -> bool {
        self.r == 0 && self.w == 0
    }
}

fn dep(a: Fp, b: Fp) -> bool {
    a.w & (b.r | b.w) != 0 || b.w & a.r != 0
}

fn gid(a: &UAction) -> usize {
    match *a {
        UAction::Start { g, .. } | UAction::Step { g, .. } => g as usize,
    }
}

/// A state's hash without what says only what the last step did.
fn end_hash(s: &UnsyncState) -> u64 {
    hash_of(&without_last_step_flags(s.clone()))
}

fn hash_of<T: Hash>(t: &T) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

/// What goroutine `g`'s action `a` reads and writes of what other goroutines can see.
fn footprint(m: &UnsyncModel, s: &UnsyncState, a: &UAction) -> Fp {
    let g = gid(a);
    let (mut gm, choice) = match *a {
        UAction::Start { op, .. } => (GMap::new(op), 0usize),
        UAction::Step { choice, .. } => (s.gs[g].cur.expect("in an op"), choice as usize),
    };
    let pc = gm.pc;
    let before = gm;
    let mut mm: HmapState = s.m.clone();
    let stepped = m.steps.step(
        &mut mm,
        &mut gm,
        g as u8,
        choice,
        &m.hash_fns,
        &mut Log::default(),
    );
    let threw = matches!(stepped, Stepped::Throw(_));
    let mut w = 0;
    let (h0, h1) = (&s.m.h, &mm.h);
    let mut diff = |c: bool, bit: u64| {
        if c {
            w |= bit;
        }
    };
    diff(h0.count != h1.count, COUNT);
    diff(h0.flags != h1.flags, FLAGS);
    diff(h0.b != h1.b, B);
    diff(h0.noverflow != h1.noverflow, NOVERFLOW);
    diff(h0.hash0 != h1.hash0 || s.m.hashes != mm.hashes, HASH0);
    diff(h0.buckets != h1.buckets, BUCKETS);
    diff(h0.oldbuckets != h1.oldbuckets, OLDBUCKETS);
    diff(h0.nevacuate != h1.nevacuate, NEVACUATE);
    diff(h0.prealloc_left != h1.prealloc_left, PREALLOC);
    diff(h0.clear_seq != h1.clear_seq, CLEARSEQ);
    for (a0, a1) in s.m.arrays.iter().zip(mm.arrays.iter()) {
        let n = a0.len().max(a1.len());
        for c in 0..n {
            if a0.get(c) != a1.get(c) {
                w |= cell(c as u16);
            }
        }
    }
    if matches!(a, UAction::Start { .. }) || matches!(stepped, Stepped::Done(_)) {
        w |= Q;
    }
    // Reads, generously, by pc.
    let regs = |g: &GMap| {
        let mut c = 0;
        if let Some(x) = g.at {
            c |= cell(x.chain);
        }
        if let Some(x) = g.slot {
            c |= cell(x.chain);
        }
        if let Some(e) = g.evac {
            c |= cell(e.oldbucket) | cell(e.xy[0].0) | cell(e.xy[1].0);
        }
        c |= cell(g.bucket);
        c
    };
    let rc = regs(&before);
    let reads = match pc {
        Pc::CheckCount => COUNT,
        Pc::CheckFlags => FLAGS,
        Pc::Hash => HASH0,
        Pc::FlagsLoad => FLAGS,
        Pc::FlagsStore => 0,
        Pc::BucketsNil => BUCKETS,
        Pc::Newobject => B | BUCKETS,
        Pc::Again => B,
        Pc::Growing | Pc::GrowWork2 => OLDBUCKETS,
        Pc::EvacStart => HEADER | CELLS,
        Pc::EvacCell => FLAGS | HASH0 | B | OLDBUCKETS | BUCKETS | rc,
        Pc::EvacOverflow => HEADER | CELLS,
        Pc::EvacDstTophash | Pc::EvacDstKey | Pc::EvacDstElem => rc,
        Pc::EvacMark => HEADER | CELLS | Q,
        Pc::EvacFreeOld => 0,
        Pc::EvacFlagsLoad => FLAGS,
        Pc::EvacFlagsStore => 0,
        Pc::WalkStart => BUCKETS | B | rc,
        Pc::Walk => rc,
        Pc::GrowCheck => HEADER,
        Pc::GrowLoad => HEADER,
        Pc::GrowSameSize => 0,
        Pc::GrowAlloc => HEADER,
        Pc::GrowStoreB
        | Pc::GrowStoreFlags
        | Pc::GrowStoreOldbuckets
        | Pc::GrowStoreNevacuate
        | Pc::GrowStoreNoverflow => 0,
        Pc::GrowStoreBuckets => Q,
        Pc::NewoverflowTake | Pc::NewoverflowLink => HEADER | CELLS,
        Pc::NewoverflowIncr => NOVERFLOW,
        Pc::SlotTophash | Pc::SlotKey | Pc::ElemStore => rc,
        Pc::ElemClear | Pc::EmptyOne | Pc::RestCheck | Pc::Rest => rc,
        Pc::CountLoad => COUNT,
        Pc::CountStore => 0,
        Pc::Reseed => 0,
        Pc::EndCheck => FLAGS,
        Pc::FlagsClear => 0,
        Pc::AccessB => B,
        Pc::AccessBuckets => BUCKETS | B | rc,
        Pc::AccessOld => HEADER | CELLS,
        Pc::AccessScan | Pc::AccessElem => rc,
        Pc::IterInit => HEADER,
        Pc::IterNext | Pc::IterCell => HEADER | CELLS,
    };
    let grows = match pc {
        Pc::GrowStoreBuckets | Pc::EvacCell | Pc::EvacDstTophash | Pc::EvacMark => Q,
        _ => 0,
    };
    // After every step the model renumbers the arrays from the header's pointers
    // (`canonicalize`), and a register that holds an array number (even one no step will
    // read, as growWork's placeholder evacuation holds) is renumbered with them.
    let holds_arrays =
        gm.evac.is_some() || gm.grow.is_some() || gm.at.is_some() || gm.slot.is_some();
    let renumbered = if holds_arrays {
        BUCKETS | OLDBUCKETS
    } else {
        0
    };
    // Stores by pc, whatever value they store (a store of the value already there is still
    // a store: it does not commute with another store of a different value).
    let sw = match pc {
        Pc::FlagsStore | Pc::FlagsClear | Pc::EvacFlagsStore | Pc::GrowSameSize => FLAGS,
        Pc::GrowStoreFlags | Pc::IterInit => FLAGS,
        Pc::Newobject => BUCKETS | B,
        Pc::CountStore => COUNT,
        Pc::Reseed => HASH0,
        Pc::EvacFreeOld => OLDBUCKETS,
        Pc::EvacMark => NEVACUATE,
        Pc::EvacOverflow => NOVERFLOW | PREALLOC | CELLS,
        Pc::GrowStoreB => B,
        Pc::GrowStoreOldbuckets => OLDBUCKETS,
        Pc::GrowStoreBuckets => BUCKETS,
        Pc::GrowStoreNevacuate => NEVACUATE,
        Pc::GrowStoreNoverflow => NOVERFLOW | PREALLOC,
        Pc::NewoverflowTake => PREALLOC | CELLS,
        Pc::NewoverflowIncr => NOVERFLOW,
        Pc::NewoverflowLink => CELLS,
        Pc::SlotTophash | Pc::SlotKey | Pc::ElemStore => rc,
        Pc::ElemClear | Pc::EmptyOne | Pc::Rest => rc,
        Pc::EvacCell | Pc::EvacDstTophash | Pc::EvacDstKey | Pc::EvacDstElem => rc,
        _ => 0,
    };
    let mut fp = Fp {
        r: reads | grows | renumbered,
        // A thrower halts (in the search's model the others go on: see W): what it read
        // decided the throw, and which goroutine throws first is recorded.
        w: if threw { THROWN } else { w | sw },
    };
    if NO_Q.load(Ordering::Relaxed) {
        fp.r &= !Q;
        fp.w &= !Q;
    }
    fp
}

type Cond = fn(&UnsyncModel, &UnsyncState) -> bool;

/// What a search saw of the model's states: per property, whether it held somewhere and
/// failed somewhere; the states with no operation in progress; the terminal states in which
/// every goroutine finished; the sets of property values at terminal states (throws
/// included). State sets hold hashes taken without the last step's flags.
struct Observed<'a> {
    m: &'a UnsyncModel,
    conds: &'a [Cond],
    held: Vec<bool>,
    failed: Vec<bool>,
    quiescent: HashSet<u64>,
    finished: HashSet<u64>,
    terminal_values: HashSet<Vec<bool>>,
}

impl<'a> Observed<'a> {
    fn new(m: &'a UnsyncModel, conds: &'a [Cond]) -> Self {
        Observed {
            m,
            conds,
            held: vec![false; conds.len()],
            failed: vec![false; conds.len()],
            quiescent: HashSet::new(),
            finished: HashSet::new(),
            terminal_values: HashSet::new(),
        }
    }

    /// A state of the model the search reached.
    fn state(&mut self, s: &UnsyncState) {
        for (i, c) in self.conds.iter().enumerate() {
            if c(self.m, s) {
                self.held[i] = true;
            } else {
                self.failed[i] = true;
            }
        }
        if s.gs.iter().all(|g| g.cur.is_none()) {
            self.quiescent.insert(end_hash(s));
        }
    }

    /// A terminal state of the model (after [`Observed::state`] on it).
    fn terminal(&mut self, s: &UnsyncState) {
        if s.ghost.thrown.is_none() {
            self.finished.insert(end_hash(s));
        }
        self.terminal_values
            .insert(self.conds.iter().map(|c| c(self.m, s)).collect());
    }

    fn verdict(&self, i: usize, e: &Expectation) -> &'static str {
        match e {
            Expectation::Always if self.failed[i] => "violated",
            Expectation::Always => "holds",
            Expectation::Sometimes if self.held[i] => "reached",
            Expectation::Sometimes => "not reached",
            Expectation::Eventually => "(not checked)",
        }
    }
}

struct Ev {
    g: usize,
    fp: Fp,
    vc: Vec<u32>,
}

struct Frame {
    enabled: u8,
    backtrack: u8,
    ev: Option<Ev>,
}

struct Dpor<'a> {
    m: &'a UnsyncModel,
    ng: usize,
    visited: HashMap<u64, [Fp; MAX_G]>,
    on_stack: HashSet<u64>,
    stack: Vec<Frame>,
    clocks: Vec<Vec<u32>>,
    seen: Observed<'a>,
    visited_hits: u64,
    model_states: u64,
    cycles: u64,
    model_cycles: u64,
    /// The hash of each state on the stack and the action taken from it.
    path: Vec<(u64, UAction)>,
}

impl Dpor<'_> {
    fn add_backtracks(&mut self, q: usize, f: Fp, last_only: bool) {
        for i in (0..self.stack.len()).rev() {
            let fr = &mut self.stack[i];
            let e = fr.ev.as_ref().expect("stack frames have events");
            if e.g != q && dep(e.fp, f) && self.clocks[q][e.g] < e.vc[e.g] {
                if fr.enabled & (1 << q) != 0 {
                    fr.backtrack |= 1 << q;
                } else {
                    fr.backtrack |= fr.enabled;
                }
                if last_only {
                    break;
                }
            }
        }
    }

    /// Prints the cycle that closes at `w` (hash `h`, on the path): its states rebuilt from
    /// `w` by the path's actions, and checked to come back to `w` itself, not only to its
    /// hash.
    fn print_cycle(&self, w: &W, h: u64) {
        let at = self
            .path
            .iter()
            .position(|&(x, _)| x == h)
            .expect("on the path");
        println!("a cycle of the model ({} steps):", self.path.len() - at);
        let mut x = w.s.clone();
        for (_, a) in &self.path[at..] {
            let pcs: Vec<String> =
                x.gs.iter()
                    .map(|g| g.cur.map_or("-".to_string(), |c| format!("{:?}", c.pc)))
                    .collect();
            println!(
                "  [{}] B={} flags={} count={} --{:?}-->",
                pcs.join(", "),
                x.m.h.b,
                x.m.h.flags,
                x.m.h.count as isize,
                a
            );
            x = successor(self.m, &x, a);
        }
        assert!(
            x == w.s,
            "the cycle's last step comes back to its first state"
        );
    }

    fn explore(&mut self, w: &W) -> [Fp; MAX_G] {
        let h = hash_of(w);
        if let Some(sum) = self.visited.get(&h).copied() {
            self.visited_hits += 1;
            for (q, f) in sum.iter().enumerate().take(self.ng) {
                if !f.is_empty() {
                    self.add_backtracks(q, *f, false);
                }
            }
            return sum;
        }
        if !self.on_stack.insert(h) {
            // A cycle: the state is on the stack, its subtree not known yet. Everything
            // any goroutine may do is assumed (every frame fully expanded where it races).
            self.cycles += 1;
            if !w.phantom {
                self.model_cycles += 1;
                if self.model_cycles == 1 {
                    self.print_cycle(w, h);
                }
            }
            let all = Fp { r: ALL, w: ALL };
            for q in 0..self.ng {
                self.add_backtracks(q, all, false);
            }
            return [all; MAX_G];
        }
        let s = &w.s;
        if !w.phantom {
            self.seen.state(s);
            self.model_states += 1;
        }
        let mut acts = Vec::new();
        self.m.actions(s, &mut acts);
        acts.retain(|a| w.halted & (1 << gid(a)) == 0);
        let mut sum = [Fp::default(); MAX_G];
        let mut by_g: Vec<Vec<(UAction, Fp)>> = vec![Vec::new(); self.ng];
        for a in acts {
            let f = footprint(self.m, s, &a);
            sum[gid(&a)].or(f);
            by_g[gid(&a)].push((a, f));
        }
        let enabled: u8 = (0..self.ng)
            .filter(|&g| !by_g[g].is_empty())
            .fold(0, |m, g| m | 1 << g);
        if enabled == 0 {
            if !w.phantom {
                self.seen.terminal(s);
            }
        } else {
            for q in 0..self.ng {
                if !by_g[q].is_empty() {
                    self.add_backtracks(q, sum[q], true);
                }
            }
            let first = enabled.trailing_zeros() as usize;
            self.stack.push(Frame {
                enabled,
                backtrack: 1 << first,
                ev: None,
            });
            let n = self.stack.len() - 1;
            let mut done = 0u8;
            loop {
                let todo = self.stack[n].backtrack & !done;
                if todo == 0 {
                    break;
                }
                let p = todo.trailing_zeros() as usize;
                done |= 1 << p;
                for (a, fa) in by_g[p].clone() {
                    let mut vc = self.clocks[p].clone();
                    for j in 0..n {
                        let e = self.stack[j].ev.as_ref().expect("stack frames have events");
                        if dep(e.fp, fa) {
                            for (x, y) in vc.iter_mut().zip(&e.vc) {
                                *x = (*x).max(*y);
                            }
                        }
                    }
                    vc[p] = n as u32 + 1;
                    let saved = std::mem::replace(&mut self.clocks[p], vc.clone());
                    self.stack[n].ev = Some(Ev { g: p, fp: fa, vc });
                    let mut child = W {
                        s: self.m.next_state(s, a.clone()).expect("a successor"),
                        halted: w.halted,
                        phantom: w.phantom,
                    };
                    if let Some((t, _)) = child.s.ghost.thrown {
                        if !w.phantom {
                            // The model's throw state: a state of the model, terminal.
                            self.seen.state(&child.s);
                            self.seen.terminal(&child.s);
                        }
                        child.s.ghost.thrown = None;
                        child.s.ghost.terminal = None;
                        child.halted |= 1 << t;
                        child.phantom = true;
                    }
                    self.path.push((h, a.clone()));
                    let csum = self.explore(&child);
                    self.path.pop();
                    for (x, c) in sum.iter_mut().zip(csum) {
                        x.or(c);
                    }
                    self.clocks[p] = saved;
                }
            }
            self.stack.pop();
        }
        self.on_stack.remove(&h);
        self.visited.insert(h, sum);
        sum
    }
}

/// The search's state: the model's, except that a throw halts only the goroutine that threw
/// (`halted`) and the others go on; every state after the first throw is `phantom` (not a
/// state of the model: its properties are not read).
#[derive(Clone, Hash, PartialEq, Eq)]
struct W {
    s: UnsyncState,
    halted: u8,
    phantom: bool,
}

/// Every interleaving, depth first; returns the number of states.
fn full_search(m: &UnsyncModel, seen: &mut Observed) -> usize {
    let mut visited = HashSet::new();
    let mut stack = m.init_states();
    while let Some(s) = stack.pop() {
        if !visited.insert(hash_of(&s)) {
            continue;
        }
        seen.state(&s);
        let acts = enabled(m, &s);
        if acts.is_empty() {
            seen.terminal(&s);
        }
        stack.extend(acts.iter().map(|a| successor(m, &s, a)));
    }
    visited.len()
}

const USAGE: &str =
    "usage: dpor_probe SPEC.toml [--dpor-only] [--no-q] | SPEC.toml --census | SPEC.toml --oracle";

fn main() -> ExitCode {
    let mut path = None;
    let mut full_too = true;
    let mut mode = Mode::Search;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--dpor-only" => full_too = false,
            "--oracle" => mode = Mode::Oracle,
            "--census" => mode = Mode::Census,
            "--no-q" => NO_Q.store(true, Ordering::Relaxed),
            _ if path.is_none() && !a.starts_with("--") => path = Some(a),
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(path) = path else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let m = match load(std::path::Path::new(&path)) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let ok = match mode {
        Mode::Search => compare(&m, full_too),
        Mode::Census => {
            census(&m, WALKS);
            true
        }
        Mode::Oracle => oracle(&m, WALKS),
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The `unsync` model of the spec at `path`, without symmetry.
pub fn load(path: &std::path::Path) -> Result<UnsyncModel, String> {
    model_of(&Spec::load(path).map_err(|e| e.to_string())?)
}

/// The spec's `unsync` model, without symmetry.
pub fn model_of(spec: &Spec) -> Result<UnsyncModel, String> {
    let file = spec.path.display();
    if spec.model != "unsync" {
        return Err(format!(
            "{file}: model {:?}: this probe is of the unsync model",
            spec.model
        ));
    }
    let mut m = from_spec(spec).map_err(|e| e.to_string())?;
    m.symmetry = false;
    let ng = (m.params.goroutines + m.params.readers) as usize;
    if ng > MAX_G {
        return Err(format!(
            "{file}: {ng} goroutines: this probe takes at most {MAX_G}"
        ));
    }
    Ok(m)
}

/// The reduction, and with `full_too` the full search; prints both and returns whether the
/// reduction saw what the full search saw (always true without `full_too`).
pub fn compare(m: &UnsyncModel, full_too: bool) -> bool {
    let props = m.properties();
    let conds: Vec<Cond> = props.iter().map(|p| p.condition).collect();
    let ng = (m.params.goroutines + m.params.readers) as usize;
    let t = std::time::Instant::now();
    let mut d = Dpor {
        m,
        ng,
        visited: HashMap::new(),
        on_stack: HashSet::new(),
        stack: Vec::new(),
        clocks: vec![vec![0; ng]; ng],
        seen: Observed::new(m, &conds),
        visited_hits: 0,
        model_states: 0,
        cycles: 0,
        model_cycles: 0,
        path: Vec::new(),
    };
    for s in m.init_states() {
        d.explore(&W {
            s,
            halted: 0,
            phantom: false,
        });
    }
    println!(
        "dpor: {} states searched, {} of them the model's; {} cycles closed ({} at states of \
         the model); {} states met again; {:.1} s",
        d.visited.len(),
        d.model_states,
        d.cycles,
        d.model_cycles,
        d.visited_hits,
        t.elapsed().as_secs_f64()
    );
    if !full_too {
        for (i, p) in props.iter().enumerate() {
            println!(
                "  {:<48} dpor {}",
                p.name,
                d.seen.verdict(i, &p.expectation)
            );
        }
        return true;
    }
    let t = std::time::Instant::now();
    let mut f = Observed::new(m, &conds);
    let n = full_search(m, &mut f);
    println!("full: {n} states; {:.1} s", t.elapsed().as_secs_f64());
    let mut same = true;
    for (i, p) in props.iter().enumerate() {
        let (a, b) = (
            d.seen.verdict(i, &p.expectation),
            f.verdict(i, &p.expectation),
        );
        same &= a == b;
        println!("  {:<48} dpor {a:<12} full {b}", p.name);
    }
    let d = &d.seen;
    let missed = |a: &HashSet<u64>, b: &HashSet<u64>| a.difference(b).count();
    let (q, fin) = (
        missed(&f.quiescent, &d.quiescent),
        missed(&f.finished, &d.finished),
    );
    let values = f
        .terminal_values
        .symmetric_difference(&d.terminal_values)
        .count();
    println!(
        "quiescent states {} (dpor missed {q}); finished states {} (missed {fin}); property \
         values at terminal states {} (differing {values})",
        f.quiescent.len(),
        f.finished.len(),
        f.terminal_values.len()
    );
    same &= q == 0 && fin == 0 && values == 0;
    println!("{}", if same { "SAME" } else { "DIFFERENT" });
    same
}

/// Random executions with a fixed seed (the figures repeat): calls `at` on every state
/// with a step and its enabled actions, for `walks` executions to their ends.
fn random_executions(m: &UnsyncModel, walks: usize, mut at: impl FnMut(&UnsyncState, &[UAction])) {
    let inits = m.init_states();
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut random = move |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n as u64) as usize
    };
    for _ in 0..walks {
        let mut s = inits[random(inits.len())].clone();
        loop {
            let acts = enabled(m, &s);
            if acts.is_empty() {
                break;
            }
            at(&s, &acts);
            let a = acts[random(acts.len())].clone();
            s = successor(m, &s, &a);
        }
    }
}

fn enabled(m: &UnsyncModel, s: &UnsyncState) -> Vec<UAction> {
    let mut v = Vec::new();
    m.actions(s, &mut v);
    v
}

fn successor(m: &UnsyncModel, s: &UnsyncState, a: &UAction) -> UnsyncState {
    m.next_state(s, a.clone())
        .expect("an enabled action has a successor")
}

/// `s` without what says only what the last step did.
fn without_last_step_flags(mut s: UnsyncState) -> UnsyncState {
    s.ghost.torn_read = false;
    s.ghost.growth_while_racing = false;
    s.ghost.terminal = None;
    s
}

/// Whether `a` and `b` (of two goroutines) commute where they lead to `sa` and `sb`: each is
/// still enabled after the other, and both orders reach the same state.
fn commute(m: &UnsyncModel, a: &UAction, b: &UAction, sa: &UnsyncState, sb: &UnsyncState) -> bool {
    enabled(m, sa).contains(b)
        && enabled(m, sb).contains(a)
        && without_last_step_flags(successor(m, sa, b))
            == without_last_step_flags(successor(m, sb, a))
}

/// The step an action takes: its pc, or `Start`.
fn label(a: &UAction) -> String {
    match a {
        UAction::Start { .. } => "Start".to_string(),
        UAction::Step { pc, .. } => format!("{pc:?}"),
    }
}

fn print_top(title: &str, counts: HashMap<(String, String), u64>) {
    let mut v: Vec<_> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    println!("{title}");
    for ((a, b), n) in v.iter().take(12) {
        println!("  {a} / {b}: {n}");
    }
}

/// `--census`: how often two goroutines' next steps commute, by what they do.
fn census(m: &UnsyncModel, walks: usize) {
    const CLASSES: [&str; 4] = ["start", "load", "store", "throw"];
    // What an action did from `s` (to `n`): started an operation, threw, changed the map,
    // or not.
    let class = |s: &UnsyncState, a: &UAction, n: &UnsyncState| {
        if n.ghost.thrown.is_some() {
            3
        } else if matches!(a, UAction::Start { .. }) {
            0
        } else if n.m == s.m {
            1
        } else {
            2
        }
    };
    // (pairs, commuting) per pair of classes, the smaller class first.
    let mut table = [[(0u64, 0u64); 4]; 4];
    let mut conflicts: HashMap<(String, String), u64> = HashMap::new();
    let mut states = 0u64;
    random_executions(m, walks, |s, acts| {
        states += 1;
        let next: Vec<UnsyncState> = acts.iter().map(|a| successor(m, s, a)).collect();
        let classes: Vec<usize> = acts
            .iter()
            .zip(&next)
            .map(|(a, n)| class(s, a, n))
            .collect();
        for (i, a) in acts.iter().enumerate() {
            for (j, b) in acts.iter().enumerate().skip(i + 1) {
                if gid(b) == gid(a) {
                    continue;
                }
                let (ca, cb) = (classes[i], classes[j]);
                let ok = ca != 3 && cb != 3 && commute(m, a, b, &next[i], &next[j]);
                let (x, y) = (ca.min(cb), ca.max(cb));
                table[x][y].0 += 1;
                table[x][y].1 += u64::from(ok);
                if !ok && y != 3 {
                    let (la, lb) = (label(a), label(b));
                    *conflicts
                        .entry((la.clone().min(lb.clone()), la.max(lb)))
                        .or_default() += 1;
                }
            }
        }
    });
    println!("{walks} random executions, {states} states with a step");
    for x in 0..4 {
        for y in x..4 {
            let (n, c) = table[x][y];
            if n > 0 {
                println!(
                    "{:>6} x {:<6} pairs {n:>10}  commute {c:>10} ({:.1}%)",
                    CLASSES[x],
                    CLASSES[y],
                    100.0 * c as f64 / n as f64
                );
            }
        }
    }
    print_top(
        "pairs that do not commute, by step (throws left out):",
        conflicts,
    );
}

/// `--oracle`: every pair the footprints call independent commutes (throws left out: the
/// search lets the others go on after one) and keeps the other's footprint; and how many of
/// the pairs called dependent commute all the same (what the footprints lose).
pub fn oracle(m: &UnsyncModel, walks: usize) -> bool {
    let mut bad: HashMap<(String, String), u64> = HashMap::new();
    let mut coarse: HashMap<(String, String), u64> = HashMap::new();
    let (mut independent, mut dependent, mut dependent_commuting) = (0u64, 0u64, 0u64);
    random_executions(m, walks, |s, acts| {
        let next: Vec<UnsyncState> = acts.iter().map(|a| successor(m, s, a)).collect();
        let fps: Vec<Fp> = acts.iter().map(|a| footprint(m, s, a)).collect();
        for (i, a) in acts.iter().enumerate() {
            for (j, b) in acts.iter().enumerate().skip(i + 1) {
                let (sa, sb) = (&next[i], &next[j]);
                if gid(b) == gid(a) || sa.ghost.thrown.is_some() || sb.ghost.thrown.is_some() {
                    continue;
                }
                let (fa, fb) = (fps[i], fps[j]);
                let ok = commute(m, a, b, sa, sb);
                if dep(fa, fb) {
                    dependent += 1;
                    if ok {
                        dependent_commuting += 1;
                        *coarse.entry((label(a), label(b))).or_default() += 1;
                    }
                } else {
                    independent += 1;
                    if !(ok && footprint(m, sa, b) == fb && footprint(m, sb, a) == fa) {
                        *bad.entry((format!("{a:?}"), format!("{b:?}"))).or_default() += 1;
                    }
                }
            }
        }
    });
    let failing: u64 = bad.values().sum();
    println!("pairs called independent: {independent}; that do not commute or change a footprint: {failing}");
    println!(
        "pairs called dependent: {dependent}; that commute all the same: {dependent_commuting}"
    );
    print_top("called dependent, commute:", coarse);
    print_top("called independent, do not commute:", bad);
    failing == 0
}
