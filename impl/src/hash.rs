//! The map's two sources of outside input, as pluggable traits: the key hasher
//! (`t.hasher` in Go's `maptype`) and the runtime's random source (`fastrand`,
//! `fastrand64`), with defaults that follow Go 1.19 on amd64.
//!
//! - [`MapHasher`]: `hash(key, hash0)` is `t.hasher(&key, uintptr(h.hash0))`. The default,
//!   [`GoMemHasher`], is Go 1.19's portable wyhash-style `memhash64Fallback` /
//!   `memhash32Fallback` / `memhashFallback` (runtime/hash64.go) with a seeded `hashkey`.
//!   Deviation from Go: on amd64 with AES-NI Go uses `aeshash`; the fallback is the same
//!   function Go uses on machines without it, so hash values differ from a given Go process
//!   (whose `hashkey` is random anyway) but have the same structure. Tests that must match Go
//!   bit for bit inject Go's recorded hashes instead (see `trace`).
//! - [`RandomSource`]: every `fastrand()` the map code calls, split by purpose so that a
//!   replayer can answer each from a recorded trace: `hash0` draws (makemap, mapdelete at
//!   count 0, mapclear), the iterator start `r` of `mapiterinit`, and the `fastrand` of
//!   `incrnoverflow` at B >= 16. The default, [`WyRand`], is Go 1.19's `fastrand` (wyrand).
//!
//! Invariant both traits must keep: `hash` is a pure function of (key, hash0); equal keys
//! hash equally under one hash0.

/// wyhash constants from runtime/hash64.go.
const M1: u64 = 0xa0761d6478bd642f;
const M2: u64 = 0xe7037ed1a0b428db;
const M3: u64 = 0x8ebc6af09c88c6e3;
const M4: u64 = 0x589965cc75374cc3;
const M5: u64 = 0x1d8e4e27c47d124f;

/// `mix` (runtime/hash64.go): the 128-bit product folded to 64 bits.
fn mix(a: u64, b: u64) -> u64 {
    let p = (a as u128) * (b as u128);
    ((p >> 64) as u64) ^ (p as u64)
}

fn r8(p: &[u8]) -> u64 {
    u64::from_le_bytes(p[..8].try_into().expect("8 bytes"))
}

fn r4(p: &[u8]) -> u64 {
    u32::from_le_bytes(p[..4].try_into().expect("4 bytes")) as u64
}

/// A map key hasher: Go's `t.hasher(key, seed)` with the map's `hash0` as seed.
pub trait MapHasher<K> {
    /// `t.hasher(&key, uintptr(h.hash0))`.
    fn hash(&self, key: &K, hash0: u32) -> u64;

    /// The hash used by `mapaccessK` (the iterator's re-lookup of an evacuated entry).
    /// `None` means "this hasher knows the key cannot be in the map". Go always hashes;
    /// Deviation from Go: a hasher that only knows the hashes of keys it was told about
    /// (the trace replayer's) may answer `None` for a key that was deleted before the
    /// map was reseeded, and `mapaccessK` then reports "not found", which is what Go's
    /// lookup of an absent key returns whatever its hash.
    fn try_hash(&self, key: &K, hash0: u32) -> Option<u64> {
        Some(self.hash(key, hash0))
    }
}

/// Keys that [`GoMemHasher`] can hash the way Go's runtime hashes their type.
pub trait GoHashKey {
    /// The Go runtime's hash of this key for `seed` and the process' `hashkey[0]`.
    fn go_hash(&self, seed: u64, hashkey0: u64) -> u64;
}

/// `memhash64Fallback`.
pub fn memhash64(key: u64, seed: u64, hashkey0: u64) -> u64 {
    let a = key;
    mix(M5 ^ 8, mix(a ^ M2, a ^ seed ^ hashkey0 ^ M1))
}

/// `memhash32Fallback`.
pub fn memhash32(key: u32, seed: u64, hashkey0: u64) -> u64 {
    let a = key as u64;
    mix(M5 ^ 4, mix(a ^ M2, a ^ seed ^ hashkey0 ^ M1))
}

/// `memhashFallback` over a byte string (what `strhash` falls back to).
pub fn memhash(p: &[u8], seed: u64, hashkey0: u64) -> u64 {
    let s = p.len();
    let mut seed = seed ^ hashkey0 ^ M1;
    let (a, b);
    if s == 0 {
        return seed;
    } else if s < 4 {
        let mut x = p[0] as u64;
        x |= (p[s >> 1] as u64) << 8;
        x |= (p[s - 1] as u64) << 16;
        a = x;
        b = 0;
    } else if s == 4 {
        a = r4(p);
        b = a;
    } else if s < 8 {
        a = r4(p);
        b = r4(&p[s - 4..]);
    } else if s == 8 {
        a = r8(p);
        b = a;
    } else if s <= 16 {
        a = r8(p);
        b = r8(&p[s - 8..]);
    } else {
        let mut l = s;
        let mut q = p;
        if l > 48 {
            let mut seed1 = seed;
            let mut seed2 = seed;
            while l > 48 {
                seed = mix(r8(q) ^ M2, r8(&q[8..]) ^ seed);
                seed1 = mix(r8(&q[16..]) ^ M3, r8(&q[24..]) ^ seed1);
                seed2 = mix(r8(&q[32..]) ^ M4, r8(&q[40..]) ^ seed2);
                q = &q[48..];
                l -= 48;
            }
            seed ^= seed1 ^ seed2;
        }
        while l > 16 {
            seed = mix(r8(q) ^ M2, r8(&q[8..]) ^ seed);
            q = &q[16..];
            l -= 16;
        }
        a = r8(&q[l - 16..]);
        b = r8(&q[l - 8..]);
    }
    mix(M5 ^ s as u64, mix(a ^ M2, b ^ seed))
}

impl GoHashKey for u64 {
    fn go_hash(&self, seed: u64, hashkey0: u64) -> u64 {
        memhash64(*self, seed, hashkey0)
    }
}

impl GoHashKey for i64 {
    fn go_hash(&self, seed: u64, hashkey0: u64) -> u64 {
        memhash64(*self as u64, seed, hashkey0)
    }
}

impl GoHashKey for u32 {
    fn go_hash(&self, seed: u64, hashkey0: u64) -> u64 {
        memhash32(*self, seed, hashkey0)
    }
}

impl GoHashKey for i32 {
    fn go_hash(&self, seed: u64, hashkey0: u64) -> u64 {
        memhash32(*self as u32, seed, hashkey0)
    }
}

impl GoHashKey for String {
    fn go_hash(&self, seed: u64, hashkey0: u64) -> u64 {
        memhash(self.as_bytes(), seed, hashkey0)
    }
}

impl GoHashKey for &str {
    fn go_hash(&self, seed: u64, hashkey0: u64) -> u64 {
        memhash(self.as_bytes(), seed, hashkey0)
    }
}

/// The default hasher: Go 1.19's portable memhash with a `hashkey[0]` chosen from a seed
/// (Go draws it at startup in `alginit` and forces it odd).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GoMemHasher {
    /// `hashkey[0]`, odd.
    pub hashkey0: u64,
}

impl GoMemHasher {
    /// A hasher whose `hashkey[0]` is derived from `seed` (deterministic).
    pub fn with_seed(seed: u64) -> Self {
        let mut r = WyRand::new(seed);
        GoMemHasher {
            hashkey0: r.fastrand64() | 1,
        }
    }
}

impl Default for GoMemHasher {
    fn default() -> Self {
        Self::with_seed(0x676f_6d61_7031_3139) // "gomap119"
    }
}

impl<K: GoHashKey> MapHasher<K> for GoMemHasher {
    fn hash(&self, key: &K, hash0: u32) -> u64 {
        key.go_hash(hash0 as u64, self.hashkey0)
    }
}

/// The runtime randomness a map consumes, by purpose. All of it is `fastrand` in Go.
pub trait RandomSource {
    /// One `fastrand()`: the draw in `incrnoverflow` when B >= 16.
    fn fastrand(&mut self) -> u32;

    /// One `fastrand64()`.
    fn fastrand64(&mut self) -> u64 {
        ((self.fastrand() as u64) << 32) | self.fastrand() as u64
    }

    /// `h.hash0 = fastrand()` in makemap, mapdelete (count reaches 0) and mapclear.
    fn hash0(&mut self) -> u32 {
        self.fastrand()
    }

    /// mapiterinit's `r`, from which `startBucket = r & bucketMask(B)` and
    /// `offset = uint8(r >> B & (bucketCnt - 1))`. Go draws `fastrand64()` when
    /// `B > 31 - bucketCntBits`, otherwise `fastrand()`.
    fn iter_start(&mut self, b: u8, bucket_cnt_bits: u8) -> u64 {
        if b as u32 > 31 - bucket_cnt_bits as u32 {
            self.fastrand64()
        } else {
            self.fastrand() as u64
        }
    }
}

/// Go 1.19's `fastrand` / `fastrand64` on 64-bit platforms: wyrand over `m.fastrand`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WyRand {
    /// `mp.fastrand`.
    pub state: u64,
}

impl WyRand {
    /// A generator starting from `seed` (Go seeds `m.fastrand` per M from the clock and a
    /// startup random value).
    pub fn new(seed: u64) -> Self {
        WyRand { state: seed }
    }

    fn step(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0xa0761d6478bd642f);
        mix(self.state, self.state ^ 0xe7037ed1a0b428db)
    }
}

impl Default for WyRand {
    fn default() -> Self {
        WyRand::new(0x0119_0008)
    }
}

impl RandomSource for WyRand {
    fn fastrand(&mut self) -> u32 {
        self.step() as u32
    }

    fn fastrand64(&mut self) -> u64 {
        self.step()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memhash_of_eight_bytes_equals_memhash64() {
        let h = GoMemHasher::with_seed(7);
        for k in [0u64, 1, 42, u64::MAX, 1 << 63] {
            for seed in [0u64, 1, 0xdead_beef] {
                assert_eq!(
                    memhash(&k.to_le_bytes(), seed, h.hashkey0),
                    memhash64(k, seed, h.hashkey0)
                );
            }
        }
    }

    #[test]
    fn memhash_of_four_bytes_equals_memhash32() {
        for k in [0u32, 5, u32::MAX] {
            assert_eq!(memhash(&k.to_le_bytes(), 9, 11), memhash32(k, 9, 11));
        }
    }

    #[test]
    fn hash_depends_on_hash0() {
        let h = GoMemHasher::default();
        let a = MapHasher::<u64>::hash(&h, &12, 1);
        let b = MapHasher::<u64>::hash(&h, &12, 2);
        assert_ne!(a, b);
        assert_eq!(a, MapHasher::<u64>::hash(&h, &12, 1));
    }

    #[test]
    fn wyrand_is_deterministic_per_seed_and_iter_start_uses_64_bits_for_large_b() {
        let mut a = WyRand::new(3);
        let mut b = WyRand::new(3);
        assert_eq!(a.fastrand(), b.fastrand());
        // B = 29 > 31 - 3: one 64-bit draw.
        let mut c = WyRand::new(3);
        let r = c.iter_start(29, 3);
        assert_eq!(r, WyRand::new(3).fastrand64());
        let mut d = WyRand::new(3);
        assert_eq!(d.iter_start(5, 3), WyRand::new(3).fastrand() as u64);
    }
}
