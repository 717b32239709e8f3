//! The Swiss map's outside inputs as pluggable traits: the key hasher (`typ.Hasher` of
//! `abi.SwissMapType`, called with the map's 64-bit `seed`) and the runtime random source
//! (`rand()`, linknamed from `runtime.rand`).
//!
//! - [`SwissHasher`]: `hash(key, seed)` is `typ.Hasher(&key, m.seed)`. The default,
//!   [`GoMemHasher124`], is Go 1.24's portable `memhash64Fallback` (runtime/hash64.go),
//!   which mixes the key with `hashkey[0]` and `hashkey[1]` (Go 1.19's used the constants
//!   m1/m2 instead). Deviation from Go: on amd64 with AES-NI Go uses `aeshash64`; a given
//!   Go process' hashes cannot be recomputed anyway (its `hashkey` and seeds are random), so
//!   the trace replayer injects the recorded hashes.
//! - [`SwissRandom`]: every `rand()` the map code draws, by purpose: the map `seed`
//!   (`NewMap`, `Delete` when `used` reaches 0, `Clear`) and the iterator's `entryOffset`
//!   and `dirOffset` (`Iter.Init`). Deviation from Go: Go 1.24's `rand()` is a per-M ChaCha8
//!   generator; the default here is [`WyRand`] (deterministic per seed).
//!
//! Invariant both traits must keep: `hash` is a pure function of (key, seed).

use crate::hash::{RandomSource, WyRand};

/// wyhash constant `m5` (runtime/hash64.go).
const M5: u64 = 0x1d8e4e27c47d124f;

fn mix(a: u64, b: u64) -> u64 {
    let p = (a as u128) * (b as u128);
    ((p >> 64) as u64) ^ (p as u64)
}

/// A Swiss map key hasher: Go's `typ.Hasher(key, seed)`.
pub trait SwissHasher<K> {
    /// `typ.Hasher(&key, m.seed)`.
    fn hash(&self, key: &K, seed: u64) -> u64;

    /// The hash for a lookup that may be of a key this hasher was never told about.
    /// `None` means "this key cannot be in the map under this seed". Go always hashes;
    /// Deviation from Go: the trace replayer's hasher only knows the hashes recorded in the
    /// trace, and the iterator's re-lookup of a key from a grown table (`grownKeyElem`) may
    /// ask for a key that is no longer in the map under the current seed. Not found is
    /// what Go's lookup of an absent key returns, whatever its hash.
    fn try_hash(&self, key: &K, seed: u64) -> Option<u64> {
        Some(self.hash(key, seed))
    }
}

/// Keys the default hasher can hash the way Go 1.24's runtime hashes their type.
pub trait GoHashKey124 {
    /// `memhash64Fallback`/`memhash32Fallback` of this key.
    fn go_hash_124(&self, seed: u64, hashkey: &[u64; 4]) -> u64;
}

/// Go 1.24's `memhash64Fallback`: `mix(m5^8, mix(a^hashkey[1], a^seed^hashkey[0]))`.
pub fn memhash64_124(key: u64, seed: u64, hashkey: &[u64; 4]) -> u64 {
    let a = key;
    mix(M5 ^ 8, mix(a ^ hashkey[1], a ^ seed ^ hashkey[0]))
}

/// Go 1.24's `memhash32Fallback`.
pub fn memhash32_124(key: u32, seed: u64, hashkey: &[u64; 4]) -> u64 {
    let a = key as u64;
    mix(M5 ^ 4, mix(a ^ hashkey[1], a ^ seed ^ hashkey[0]))
}

impl GoHashKey124 for u64 {
    fn go_hash_124(&self, seed: u64, hashkey: &[u64; 4]) -> u64 {
        memhash64_124(*self, seed, hashkey)
    }
}

impl GoHashKey124 for i64 {
    fn go_hash_124(&self, seed: u64, hashkey: &[u64; 4]) -> u64 {
        memhash64_124(*self as u64, seed, hashkey)
    }
}

impl GoHashKey124 for u32 {
    fn go_hash_124(&self, seed: u64, hashkey: &[u64; 4]) -> u64 {
        memhash32_124(*self, seed, hashkey)
    }
}

/// The default hasher: Go 1.24's portable memhash with a `hashkey` derived from a seed
/// (Go 1.24 draws each word in `alginit` with `bootstrapRand`; unlike Go 1.19's
/// `hashkey[0]` it is not forced odd).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GoMemHasher124 {
    /// `hashkey`.
    pub hashkey: [u64; 4],
}

impl GoMemHasher124 {
    /// A hasher whose `hashkey` is derived from `seed` (deterministic).
    pub fn with_seed(seed: u64) -> Self {
        let mut r = WyRand::new(seed);
        let mut hashkey = [0u64; 4];
        for w in hashkey.iter_mut() {
            *w = r.fastrand64();
        }
        GoMemHasher124 { hashkey }
    }
}

impl Default for GoMemHasher124 {
    fn default() -> Self {
        Self::with_seed(0x676f_6d61_7031_3234) // "gomap124"
    }
}

impl<K: GoHashKey124> SwissHasher<K> for GoMemHasher124 {
    fn hash(&self, key: &K, seed: u64) -> u64 {
        key.go_hash_124(seed, &self.hashkey)
    }
}

/// The runtime randomness a Swiss map consumes, by purpose. All of it is `rand()` in Go.
pub trait SwissRandom {
    /// One `rand()`.
    fn rand(&mut self) -> u64;

    /// `m.seed = uintptr(rand())` in `NewMap`, `Delete` (used reaches 0) and `Clear`.
    fn seed(&mut self) -> u64 {
        self.rand()
    }

    /// `it.entryOffset = rand(); it.dirOffset = rand()` in `Iter.Init` (only when the map
    /// is non-empty).
    fn iter_offsets(&mut self) -> (u64, u64) {
        let e = self.rand();
        let d = self.rand();
        (e, d)
    }
}

impl SwissRandom for WyRand {
    fn rand(&mut self) -> u64 {
        self.fastrand64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memhash_depends_on_seed_and_hashkey() {
        let h = GoMemHasher124::default();
        let a = SwissHasher::<u64>::hash(&h, &7, 1);
        assert_eq!(a, SwissHasher::<u64>::hash(&h, &7, 1));
        assert_ne!(a, SwissHasher::<u64>::hash(&h, &7, 2));
        assert_ne!(
            a,
            SwissHasher::<u64>::hash(&GoMemHasher124::with_seed(1), &7, 1)
        );
    }
}
