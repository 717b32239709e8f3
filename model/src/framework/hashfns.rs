//! Hash functions as initial states: a model that explores every collision pattern starts
//! from one state per injective assignment of hash values to keys 1..=keys (or from a fixed
//! pseudo-random sample of them when there are too many). Shared by the `hmap` and `swiss`
//! models.

use std::collections::BTreeMap;

/// Every injective assignment of the domain's hashes to keys 1..=keys.
pub fn injective_assignments(keys: u64, domain: &[u64]) -> Vec<BTreeMap<u64, u64>> {
    let mut out = Vec::new();
    let mut cur: Vec<u64> = Vec::new();
    fn rec(
        k: u64,
        keys: u64,
        domain: &[u64],
        cur: &mut Vec<u64>,
        out: &mut Vec<BTreeMap<u64, u64>>,
    ) {
        if k > keys {
            out.push(
                cur.iter()
                    .enumerate()
                    .map(|(i, &h)| (i as u64 + 1, h))
                    .collect(),
            );
            return;
        }
        for &h in domain {
            if !cur.contains(&h) {
                cur.push(h);
                rec(k + 1, keys, domain, cur, out);
                cur.pop();
            }
        }
    }
    rec(1, keys, domain, &mut cur, &mut out);
    out
}

/// `n` pseudo-random injective assignments (splitmix64 from a fixed seed: the same every
/// run), for configurations whose full set of assignments is too large to enumerate.
pub fn sampled_assignments(keys: u64, domain: &[u64], n: u32) -> Vec<BTreeMap<u64, u64>> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    (0..n)
        .map(|_| {
            let mut pool = domain.to_vec();
            (1..=keys)
                .map(|k| {
                    let i = (next() % pool.len() as u64) as usize;
                    (k, pool.swap_remove(i))
                })
                .collect()
        })
        .collect()
}
