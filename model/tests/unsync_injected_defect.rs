//! A test-only injected defect, [`InjectedDefect::OverflowLinkIntoCurrentBuckets`] (the
//! unsync model's old overflow-linking bug: mapassign's newoverflow linked the new bmap into
//! the chain of the current `h.buckets` at the bucket index computed from the hash, truncating
//! that chain, where Go calls `newoverflow(t, b)` on the bmap `b` it walked), and which checks
//! see it.
//!
//! - The single-goroutine refinement check against the hmap model does not, and cannot: run
//!   by one goroutine, the bmap the walk ended on is always the last bmap of chain `bucket` of
//!   the current `h.buckets` (nothing stores h.buckets, h.B or an overflow pointer between
//!   the walk and the link), so both versions of the step do the same thing.
//! - Two goroutines do: a hashGrow by one between the other's walk and its link makes the
//!   defective step link into the new array. The test enumerates every reachable state of
//!   both versions of the model and requires a difference.

use gomap_model::framework::spec::Spec;
use gomap_model::hmap::properties::PROPERTIES as HMAP_PROPERTIES;
use gomap_model::hmap::state::{ArrayId, EMPTY_REST, MIN_TOP_HASH};
use gomap_model::hmap::steps::Geometry;
use gomap_model::hmap::{HmapModel, HmapParams};
use gomap_model::unsync::outcomes::{outcome_of, Outcome};
use gomap_model::unsync::refinement::check_refinement;
use gomap_model::unsync::{
    from_spec, map_text, parse_uop, InjectedDefect, Pc, UAction, UOp, UOps, UnsyncModel,
    UnsyncParams, UnsyncState,
};
use stateright::Model;
use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::path::Path;

const DEFECT: InjectedDefect = InjectedDefect::OverflowLinkIntoCurrentBuckets;

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = std::time::Instant::now();
    let r = f();
    eprintln!("{what}: {:.1} s", t.elapsed().as_secs_f64());
    r
}

/// One slot per bmap and load factor 1/1, so that a chain fills without the map growing
/// (2 keys in one of 2 buckets): one goroutine reaches mapassign's newoverflow.
const OVERFLOWING: Geometry = Geometry {
    bucket_cnt: 1,
    load_factor_num: 1,
    load_factor_den: 1,
};

#[test]
fn the_single_goroutine_refinement_check_cannot_see_the_overflow_linking_defect() {
    let model = |defect| -> UnsyncModel {
        UnsyncModel::new(
            UnsyncParams {
                geo: OVERFLOWING,
                goroutines: 1,
                keys: 3,
                values: 2,
                hash_bits: 2,
                ops: UOps {
                    assign: true,
                    delete: true,
                    access: true,
                    iterate: true,
                },
                injected_defect: defect,
                ..UnsyncParams::default()
            },
            None,
        )
    };
    let good = timed("refinement, model", || {
        check_refinement(&model(InjectedDefect::None), 3)
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let bad = timed("refinement, injected defect", || {
        check_refinement(&model(DEFECT), 3)
    });
    eprintln!("model: {good:?}\ninjected defect: {bad:?}");
    // The defective step runs thousands of times and the check compares every state after
    // it with the hmap model's: it sees nothing, as the argument above says.
    assert!(good.overflows > 1_000, "{good:?}");
    assert_eq!(bad.map_err(|e| e.to_string()), Ok(good));
}

/// The scenario of the issue that found the defect, made small: a map holding k3 (one
/// bmap, B = 0), goroutine 1 assigns k1 (low hash bit 1), goroutine 2 assigns k2 (low hash
/// bit 0, like k3), so goroutine 2's insert doubles the map. (The run had each
/// goroutine choose two assigns at load factor 1/2: more than five million states. Here the
/// key that fills the bmap is an initial one and B = 1 holds two keys, which stops the
/// growth at B = 1: about 350 thousand states per version of the model.)
fn two_goroutines(defect: InjectedDefect) -> UnsyncModel {
    let programs = [["assign k1 v1"], ["assign k2 v1"]]
        .iter()
        .map(|p| p.iter().map(|t| parse_uop(t).unwrap()).collect())
        .collect();
    let mut m = UnsyncModel::new(
        UnsyncParams {
            geo: OVERFLOWING,
            goroutines: 2,
            keys: 2,
            values: 1,
            hash_bits: 1,
            initial: 1,
            hash_pattern: Some(vec![1, 0, 0]),
            programs: Some(programs),
            injected_defect: defect,
            ..UnsyncParams::default()
        },
        None,
    );
    m.record_results = true;
    m
}

/// Whether the hmap model's property `name` holds of the map in `s`.
fn hmap_property(geo: Geometry, name: &str) -> impl Fn(&UnsyncState) -> bool {
    let p = HMAP_PROPERTIES
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no hmap property {name}"));
    let hm = HmapModel::new(
        HmapParams {
            geo,
            ..HmapParams::default()
        },
        Some(&[name.to_string()]),
    );
    move |s| (p.check)(&hm, &s.m)
}

/// What every reachable state of a two-goroutine model shows.
#[derive(Default)]
struct Explored {
    states: usize,
    /// Terminal outcomes (see unsync/outcomes.rs).
    outcomes: BTreeSet<Outcome>,
    /// States where `nothing_live_after_empty_rest` fails, and a shortest path to one (with
    /// the map it ends in).
    empty_rest_violations: usize,
    empty_rest_example: Option<(Vec<String>, String)>,
    /// A shortest path to a state where k1 is live in an overflow bmap of bucket 0 of
    /// h.buckets behind an empty main bmap (with the map it ends in).
    k1_behind_empty_bucket_0: Option<(Vec<String>, String)>,
    /// Terminal states where every goroutine returned and `entries_in_home_bucket` fails.
    home_bucket_violations: usize,
    /// A shortest path to a silent lost insert of k1 whose key store went into an already
    /// evacuated old bucket (an array that is no longer h.buckets, at a chain whose main
    /// bmap is marked evacuated): Go's own outcome of this race.
    lost_into_evacuated: Option<Vec<String>>,
}

fn digest(s: &UnsyncState, flag: bool) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    flag.hash(&mut h);
    h.finish()
}

/// Does `a`, taken in `s`, store k1 into an already evacuated old bucket?
fn stores_k1_into_evacuated_bucket(s: &UnsyncState, a: &UAction) -> bool {
    let UAction::Step {
        g,
        op: UOp::Assign { key: 1, .. },
        pc: Pc::SlotKey,
        ..
    } = *a
    else {
        return false;
    };
    let slot = s.gs[g as usize]
        .cur
        .and_then(|c| c.slot)
        .expect("an insert slot");
    Some(slot.array) != s.m.h.buckets && s.m.array(slot.array)[slot.chain as usize][0].evacuated()
}

/// k1 is in a live cell that lookups reach (h.buckets, or an unevacuated old bucket).
fn k1_live(s: &UnsyncState) -> bool {
    let live_in = |arr: Option<ArrayId>, skip_evacuated: bool| {
        arr.is_some_and(|a| {
            s.m.array(a).iter().any(|chain| {
                !(skip_evacuated && chain[0].evacuated())
                    && chain
                        .iter()
                        .any(|b| b.tophash[0] >= MIN_TOP_HASH && b.keys[0] == 1)
            })
        })
    };
    live_in(s.m.h.buckets, false) || live_in(s.m.h.oldbuckets, true)
}

/// k1 is live in an overflow bmap of bucket 0 of h.buckets whose main bmap is emptyRest
/// (one slot per bmap).
fn k1_behind_empty_bucket_0(s: &UnsyncState) -> bool {
    let Some(a) = s.m.h.buckets else {
        return false;
    };
    let chain = &s.m.array(a)[0];
    chain[0].tophash[0] == EMPTY_REST
        && chain[1..]
            .iter()
            .any(|b| b.tophash[0] >= MIN_TOP_HASH && b.keys[0] == 1)
}

/// Breadth-first walk of every reachable state, with one bit of history (whether k1 was
/// stored into an evacuated bucket), so that every path kept is a shortest one.
fn explore(m: &UnsyncModel) -> Explored {
    let bc = m.params.geo.bucket_cnt;
    let empty_rest_ok = hmap_property(m.params.geo, "nothing_live_after_empty_rest");
    let home_ok = hmap_property(m.params.geo, "entries_in_home_bucket");
    let mut parent: HashMap<u64, Option<(u64, UAction)>> = HashMap::new();
    let mut queue = VecDeque::new();
    for s in m.init_states() {
        if parent.insert(digest(&s, false), None).is_none() {
            queue.push_back((s, false));
        }
    }
    let path_to = |parent: &HashMap<u64, Option<(u64, UAction)>>, mut d: u64| {
        let mut path = Vec::new();
        while let Some(Some((p, a))) = parent.get(&d) {
            path.push(m.format_action(a));
            d = *p;
        }
        path.reverse();
        path
    };
    let mut out = Explored::default();
    let mut actions = Vec::new();
    while let Some((s, flag)) = queue.pop_front() {
        let d = digest(&s, flag);
        if !empty_rest_ok(&s) {
            out.empty_rest_violations += 1;
            if out.empty_rest_example.is_none() {
                out.empty_rest_example = Some((path_to(&parent, d), map_text(&s.m, bc)));
            }
        }
        if out.k1_behind_empty_bucket_0.is_none() && k1_behind_empty_bucket_0(&s) {
            out.k1_behind_empty_bucket_0 = Some((path_to(&parent, d), map_text(&s.m, bc)));
        }
        actions.clear();
        m.actions(&s, &mut actions);
        if actions.is_empty() {
            out.outcomes.insert(outcome_of(&s));
            if s.ghost.thrown.is_none() {
                out.home_bucket_violations += usize::from(!home_ok(&s));
                if flag && !k1_live(&s) && out.lost_into_evacuated.is_none() {
                    out.lost_into_evacuated = Some(path_to(&parent, d));
                }
            }
            continue;
        }
        for a in actions.drain(..) {
            let nflag = flag || stores_k1_into_evacuated_bucket(&s, &a);
            let n = m.next_state(&s, a.clone()).expect("every action applies");
            if let Entry::Vacant(v) = parent.entry(digest(&n, nflag)) {
                v.insert(Some((d, a)));
                queue.push_back((n, nflag));
            }
        }
    }
    out.states = parent.len();
    out
}

fn shown((path, state): &(Vec<String>, String)) -> String {
    format!("  {}\n{state}", path.join("\n  "))
}

#[test]
fn two_goroutines_catch_the_overflow_linking_defect() {
    let good = timed("two goroutines, model", || {
        explore(&two_goroutines(InjectedDefect::None))
    });
    let bad = timed("two goroutines, injected defect", || {
        explore(&two_goroutines(DEFECT))
    });
    for (name, e) in [("model", &good), ("injected defect", &bad)] {
        eprintln!(
            "{name}: {} states (nothing_live_after_empty_rest fails in {}), {} terminal \
             outcomes, entries_in_home_bucket fails in {} silent terminal states, k1 lost \
             into an evacuated bucket: {}",
            e.states,
            e.empty_rest_violations,
            e.outcomes.len(),
            e.home_bucket_violations,
            if e.lost_into_evacuated.is_some() {
                "reached"
            } else {
                "not reached"
            },
        );
    }
    eprintln!(
        "terminal outcomes only the model reaches: {}, only the injected defect: {}",
        good.outcomes.difference(&bad.outcomes).count(),
        bad.outcomes.difference(&good.outcomes).count()
    );

    // The model: Go's own outcome of the race is reached (goroutine 1 links its overflow
    // bmap behind the old bucket it walked, which goroutine 2 has evacuated meanwhile: k1 is
    // silently lost), and no live cell ever follows an emptyRest one (with assigns only, a
    // new bmap is only ever linked behind one the walk saw full).
    let path = good
        .lost_into_evacuated
        .as_ref()
        .expect("the model reaches Go's silent lost insert");
    eprintln!(
        "model, k1 lost into an evacuated bucket:\n  {}",
        path.join("\n  ")
    );
    if let Some(e) = &good.empty_rest_example {
        panic!(
            "the model breaks nothing_live_after_empty_rest:\n{}",
            shown(e)
        );
    }
    // The injected defect: after goroutine 2's hashGrow, goroutine 1 links its overflow
    // bmap into new bucket 0 (k1's bucket index under the old B) behind its empty main
    // bmap, and k1 lands there: a state Go never reaches.
    let e = bad
        .k1_behind_empty_bucket_0
        .as_ref()
        .expect("the injected defect puts k1 behind an empty new bucket 0");
    eprintln!(
        "injected defect, k1 behind an empty new bucket 0:\n{}",
        shown(e)
    );
    assert!(bad.empty_rest_violations > 0);
    // A key in a bucket its hash does not select is not the defect's signature: the model
    // has such keys too (goroutine 1 computes `bucket` under the old B, goroutine 2's
    // hashGrow publishes the new array, goroutine 1 walks the new array at the old index, as
    // Go's mapassign does).
    assert!(good.home_bucket_violations > 0);
}

#[test]
fn no_spec_can_inject_the_defect() {
    let src =
        "model = \"unsync\"\n[params]\ninjected_defect = \"OverflowLinkIntoCurrentBuckets\"\n\
               [expect]\nno_duplicate_key = \"holds\"\n";
    let spec = Spec::parse(Path::new("t.toml"), src).unwrap();
    let e = from_spec(&spec).unwrap_err();
    assert!(e.message.contains("unknown parameter"), "{e}");
    assert_eq!(
        UnsyncParams::default().injected_defect,
        InjectedDefect::None
    );
}
