//! The unsync model, run by one goroutine, refines the hmap model: the same map state after
//! every operation and the same results, on every operation sequence up to a bound, at a
//! scaled geometry, at load factor 1/1 (where chains fill and mapassign links overflow
//! bmaps) and at Go's own (8 slots, load factor 13/2).

use gomap_model::hmap::steps::Geometry;
use gomap_model::unsync::refinement::check_refinement;
use gomap_model::unsync::{UOps, UnsyncModel, UnsyncParams};

const ALL: UOps = UOps {
    assign: true,
    delete: true,
    access: true,
    iterate: true,
};

fn model(geo: Geometry, keys: u8, hash_bits: u32, hint: usize) -> UnsyncModel {
    UnsyncModel::new(
        UnsyncParams {
            geo,
            goroutines: 1,
            keys,
            values: 2,
            hash_bits,
            hint,
            ops: ALL,
            ..UnsyncParams::default()
        },
        None,
    )
}

fn timed<T>(f: impl FnOnce() -> T) -> T {
    let t = std::time::Instant::now();
    let r = f();
    eprintln!("{:.1} s", t.elapsed().as_secs_f64());
    r
}

#[test]
fn one_goroutine_matches_the_hmap_model_at_a_scaled_geometry() {
    // One slot per bmap, load factor 1/2: growth from the second key, overflow chains,
    // same-size growth, evacuation in progress across operations.
    let geo = Geometry {
        bucket_cnt: 1,
        load_factor_num: 1,
        load_factor_den: 2,
    };
    let m = model(geo, 3, 2, 0);
    let r = timed(|| check_refinement(&m, 4)).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{r:?}");
    // The bound must reach what the fine-grained steps exist for.
    assert!(r.ops > 100_000, "{r:?}");
    assert!(r.grows > 1_000, "{r:?}");
    assert!(r.ranges > 1_000, "{r:?}");
    assert!(r.reseeds > 100, "{r:?}");
}

#[test]
fn one_goroutine_matches_the_hmap_model_through_mapassigns_newoverflow() {
    // Load factor 1/1: two keys share one of two one-slot buckets without growing the map,
    // so mapassign walks a full chain and links an overflow bmap (newoverflow's three
    // steps). The scaled geometry and the two-slot one never get there with one goroutine
    // (the map grows, and finishes growing, before a chain fills); at Go's parameters only
    // the all-zero hash pattern does, in 208 operations.
    let geo = Geometry {
        bucket_cnt: 1,
        load_factor_num: 1,
        load_factor_den: 1,
    };
    let m = model(geo, 3, 2, 0);
    let r = timed(|| check_refinement(&m, 3)).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{r:?}");
    assert!(r.overflows > 1_000, "{r:?}");
    assert!(r.grows > 1_000, "{r:?}");
}

#[test]
fn one_goroutine_matches_the_hmap_model_at_two_slots_per_bucket() {
    let geo = Geometry {
        bucket_cnt: 2,
        load_factor_num: 3,
        load_factor_den: 2,
    };
    let m = model(geo, 4, 2, 0);
    let r = timed(|| check_refinement(&m, 3)).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{r:?}");
    assert!(r.grows > 100, "{r:?}");
    assert!(r.ranges > 1_000, "{r:?}");
}

#[test]
fn one_goroutine_matches_the_hmap_model_at_go_parameters() {
    // Go's 8 slots and 13/2, the map holding 7 keys: the ninth key grows it (B 0 -> 1) and
    // the operations after it evacuate, split X/Y by the low hash bit.
    let mut total = 0;
    for pattern in [
        vec![1, 0, 0, 1, 0, 1, 1, 0, 0],
        vec![0, 0, 0, 0, 0, 0, 0, 0, 0],
        vec![1, 1, 1, 1, 1, 1, 1, 1, 0],
    ] {
        let m: UnsyncModel = UnsyncModel::new(
            UnsyncParams {
                geo: Geometry::GO,
                goroutines: 1,
                keys: 2,
                values: 2,
                hash_bits: 1,
                initial: 7,
                hash_pattern: Some(pattern),
                ops: ALL,
                ..UnsyncParams::default()
            },
            None,
        );
        let r = timed(|| check_refinement(&m, 3)).unwrap_or_else(|e| panic!("{e}"));
        eprintln!("{r:?}");
        assert!(r.grows > 10, "{r:?}");
        total += r.ops;
    }
    assert!(total > 1_000, "{total}");
}
