//! A fast, deterministic digest of machine words: the same in every thread and run, for the
//! states' fingerprints (the hmap model's bucket arrays, the unsync model's representatives,
//! a packed state's bytes).

/// The folded 128-bit product of two words.
pub(crate) fn folded_multiply(a: u64, b: u64) -> u64 {
    let r = (a as u128).wrapping_mul(b as u128);
    (r as u64) ^ ((r >> 64) as u64)
}

/// Folds two words into a running digest, 16 bytes per multiply (ahash's update).
pub(crate) fn mix(h: u64, a: u64, b: u64) -> u64 {
    let combined = folded_multiply(a ^ 0x1319_8a2e_0370_7344, b ^ 0xa409_3822_299f_31d0);
    (h.wrapping_add(0x082e_fa98_ec4e_6c89) ^ combined).rotate_left(23)
}

/// Folds `words` into a running digest, two words per multiply (a zero pads an odd count).
pub(crate) fn mix_words(mut h: u64, words: &[u64]) -> u64 {
    for pair in words.chunks(2) {
        h = mix(h, pair[0], pair.get(1).copied().unwrap_or(0));
    }
    h
}
