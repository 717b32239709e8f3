//! The order-cache protocols' recorded histories under real threads, checked against an
//! order store whose update and read are atomic: the correct protocols pass, the buggy ones
//! are caught.

use gomap_impl::ordercache::{conform, Variant};
use gomap_impl::syncmap::history::RunConfig;

fn cfg(histories: usize, seed: u64) -> RunConfig {
    RunConfig {
        threads: 2,
        histories,
        ops: 8,
        seed,
        keys: 1,
        jitter: 32,
    }
}

#[test]
fn all_variants_probe() {
    for v in Variant::ALL {
        let s = conform::run(&cfg(5000, 5), v);
        eprintln!(
            "{}: {} histories in {:.2?} ({:.0}/s) failure={}",
            v.name(),
            s.histories,
            s.elapsed,
            s.per_second(),
            s.failure.map(|f| f.2.to_string()).unwrap_or_default()
        );
    }
}
