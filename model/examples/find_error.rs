//! Breadth-first search, outside the checker, for a transition of a spec's hmap model that
//! returns a StepError (the checker would panic on it); prints the path and Go's steps.
//!
//! `cargo run --release -p gomap-model --example find_error -- SPEC.toml`
use gomap_model::framework::log::Log;
use gomap_model::framework::spec::Spec;
use stateright::Model;
use std::collections::{HashMap, VecDeque};

fn main() {
    let path = std::env::args().nth(1).expect("spec path");
    let spec = Spec::load(std::path::Path::new(&path)).unwrap();
    let m = gomap_model::hmap::hmap_model(&spec).unwrap();
    let mut seen: HashMap<
        gomap_model::hmap::HmapState,
        Option<(gomap_model::hmap::HmapState, gomap_model::hmap::HmapAction)>,
    > = HashMap::new();
    let mut q = VecDeque::new();
    for s in m.init_states() {
        seen.insert(s.clone(), None);
        q.push_back(s);
    }
    while let Some(s) = q.pop_front() {
        let mut acts = Vec::new();
        m.actions(&s, &mut acts);
        for a in acts {
            let mut n = s.clone();
            let nh = match &a {
                gomap_model::hmap::HmapAction::Delete {
                    reseed: Some(h), ..
                } => m.assignments.get(*h as usize),
                _ => None,
            };
            if let Err(e) = m.machine.step(&mut n, &a, nh, &mut Log::default()) {
                let mut path = vec![(s.clone(), a.clone())];
                let mut cur = s.clone();
                while let Some(Some((p, pa))) = seen.get(&cur) {
                    path.push((p.clone(), pa.clone()));
                    cur = p.clone();
                }
                path.reverse();
                for (st, act) in path {
                    println!(
                        "{}\n>> {act}",
                        gomap_model::hmap::render::state_text(&st, &m)
                    );
                }
                let mut n2 = s.clone();
                let mut log = Log::enabled();
                let _ = m.machine.step(&mut n2, &a, nh, &mut log);
                for l in log.0.unwrap() {
                    println!("   -> {l}");
                }
                println!("ERROR {e}");
                return;
            }
            if !seen.contains_key(&n) {
                seen.insert(n.clone(), Some((s.clone(), a)));
                q.push_back(n);
            }
        }
    }
    println!("no error");
}
