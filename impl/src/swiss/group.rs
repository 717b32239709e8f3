//! Control bytes, control words, slot bitsets and the probe sequence
//! (Go 1.24 `internal/runtime/maps/group.go` and `probeSeq` in `table.go`).
//!
//! A control byte is `ctrlEmpty` (0b1000_0000), `ctrlDeleted` (0b1111_1110) or, for a
//! full slot, `0hhh_hhhh` with the 7-bit H2 of the key's hash. A group's 8 control bytes
//! form a little-endian `u64` (`ctrlGroup`): slot i is byte i.
//!
//! `bitset` follows Go's portable representation (one byte per slot, 0x80 when the slot
//! is in the set). Deviation from Go: on amd64 Go's `match*` are SIMD intrinsics returning
//! one bit per slot, and `matchH2` has no false positives there; the portable `matchH2`
//! can report a false positive next to a real match. This port computes the exact match
//! (the amd64 result) in the portable representation. A false positive only costs Go a
//! failed key comparison, so the results and the memory are the same either way.

/// `ctrlEmpty`.
pub const CTRL_EMPTY: u8 = 0b1000_0000;
/// `ctrlDeleted`.
pub const CTRL_DELETED: u8 = 0b1111_1110;

/// `bitsetLSB`.
pub const BITSET_LSB: u64 = 0x0101_0101_0101_0101;
/// `bitsetMSB`.
pub const BITSET_MSB: u64 = 0x8080_8080_8080_8080;
/// `bitsetEmpty`: a control word of 8 `ctrlEmpty` bytes.
pub const BITSET_EMPTY: u64 = BITSET_LSB * CTRL_EMPTY as u64;
/// `bitsetDeleted`.
pub const BITSET_DELETED: u64 = BITSET_LSB * CTRL_DELETED as u64;

/// `h1`: the upper 57 bits of a hash, which pick the first group of the probe sequence.
pub fn h1(hash: u64) -> u64 {
    hash >> 7
}

/// `h2`: the lower 7 bits of a hash, stored in a full slot's control byte.
pub fn h2(hash: u64) -> u8 {
    (hash & 0x7f) as u8
}

/// `bitset`: a set of slots of one group, 0x80 in byte i when slot i is in the set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Bitset(pub u64);

impl Bitset {
    /// `first`: the index of the lowest slot in the set. Precondition: not empty.
    pub fn first(self) -> usize {
        (self.0.trailing_zeros() >> 3) as usize
    }

    /// `removeFirst`: clears the lowest set bit.
    pub fn remove_first(self) -> Bitset {
        Bitset(self.0 & self.0.wrapping_sub(1))
    }

    /// `removeBelow`: clears the slots below slot i.
    pub fn remove_below(self, i: usize) -> Bitset {
        let mask = (1u64 << (8 * i as u64)).wrapping_sub(1);
        Bitset(self.0 & !mask)
    }

    /// `lowestSet`: is slot 0 in the set.
    pub fn lowest_set(self) -> bool {
        self.0 & (1 << 7) != 0
    }

    /// `shiftOutLowest`: drops slot 0; slot i+1 becomes slot i.
    pub fn shift_out_lowest(self) -> Bitset {
        Bitset(self.0 >> 8)
    }

    /// Is the set empty (`b == 0` in Go).
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The number of slots in the set.
    pub fn count(self) -> usize {
        self.0.count_ones() as usize
    }
}

/// `ctrlGroup`: the 8 control bytes of a group as one little-endian word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CtrlGroup(pub u64);

impl CtrlGroup {
    /// `get`: the i-th control byte.
    pub fn get(self, i: usize) -> u8 {
        (self.0 >> (8 * i)) as u8
    }

    /// `set`: sets the i-th control byte.
    pub fn set(&mut self, i: usize, c: u8) {
        let shift = 8 * i;
        self.0 = (self.0 & !(0xffu64 << shift)) | ((c as u64) << shift);
    }

    /// `setEmpty`: all 8 control bytes `ctrlEmpty`.
    pub fn set_empty(&mut self) {
        self.0 = BITSET_EMPTY;
    }

    /// `matchH2`: the full slots whose control byte is `h` (exact, as on amd64).
    pub fn match_h2(self, h: u8) -> Bitset {
        let mut b = 0u64;
        for i in 0..8 {
            if self.get(i) == h {
                b |= 0x80 << (8 * i);
            }
        }
        Bitset(b)
    }

    /// `matchEmpty`: empty slots (bit 7 set, bit 1 clear).
    pub fn match_empty(self) -> Bitset {
        let v = self.0;
        Bitset((v & !(v << 6)) & BITSET_MSB)
    }

    /// `matchEmptyOrDeleted`: empty or deleted slots (bit 7 set).
    pub fn match_empty_or_deleted(self) -> Bitset {
        Bitset(self.0 & BITSET_MSB)
    }

    /// `matchFull`: full slots (bit 7 clear).
    pub fn match_full(self) -> Bitset {
        Bitset(!self.0 & BITSET_MSB)
    }
}

/// `alignUpPow2`: n rounded up to a power of two, and whether that overflowed.
pub fn align_up_pow2(n: u64) -> (u64, bool) {
    if n == 0 {
        return (0, false);
    }
    let len = 64 - (n - 1).leading_zeros();
    if len >= 64 {
        return (0, true);
    }
    (1u64 << len, false)
}

/// `probeSeq`: the triangular probe sequence over a table's groups,
/// `p(i) = (i^2 + i)/2 + hash (mod mask+1)`, which visits every group exactly once when
/// the number of groups is a power of two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProbeSeq {
    /// `mask`: number of groups - 1.
    pub mask: u64,
    /// `offset`: the current group index.
    pub offset: u64,
    /// `index`: how many steps were taken.
    pub index: u64,
}

impl ProbeSeq {
    /// `makeProbeSeq(h1(hash), mask)`.
    pub fn new(hash: u64, mask: u64) -> ProbeSeq {
        ProbeSeq {
            mask,
            offset: hash & mask,
            index: 0,
        }
    }

    /// `next`.
    pub fn next(self) -> ProbeSeq {
        let index = self.index + 1;
        ProbeSeq {
            mask: self.mask,
            offset: (self.offset + index) & self.mask,
            index,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's portable matchH2 (with its false positives), for comparison.
    fn portable_match_h2(g: u64, h: u8) -> u64 {
        let v = g ^ (BITSET_LSB * h as u64);
        (v.wrapping_sub(BITSET_LSB) & !v) & BITSET_MSB
    }

    #[test]
    fn match_functions_classify_every_control_byte() {
        let mut g = CtrlGroup(BITSET_EMPTY);
        g.set(1, CTRL_DELETED);
        g.set(2, 0x05);
        g.set(5, 0x7f);
        g.set(7, 0x05);
        assert_eq!(g.get(1), CTRL_DELETED);
        let slots = |b: Bitset| {
            let mut v = vec![];
            let mut b = b;
            while !b.is_empty() {
                v.push(b.first());
                b = b.remove_first();
            }
            v
        };
        assert_eq!(slots(g.match_full()), vec![2, 5, 7]);
        assert_eq!(slots(g.match_empty()), vec![0, 3, 4, 6]);
        assert_eq!(slots(g.match_empty_or_deleted()), vec![0, 1, 3, 4, 6]);
        assert_eq!(slots(g.match_h2(0x05)), vec![2, 7]);
        assert_eq!(slots(g.match_h2(0x05).remove_below(3)), vec![7]);
        assert!(!g.match_full().lowest_set());
        assert!(g
            .match_full()
            .shift_out_lowest()
            .shift_out_lowest()
            .lowest_set());
    }

    #[test]
    fn exact_match_h2_is_the_portable_one_without_false_positives() {
        let mut seed = 0x1234_5678_9abc_def0u64;
        for _ in 0..20000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let mut g = CtrlGroup(0);
            for i in 0..8 {
                let r = (seed >> (8 * i)) as u8;
                let c = match r % 4 {
                    0 => CTRL_EMPTY,
                    1 => CTRL_DELETED,
                    _ => r & 3, // few distinct h2 values: many adjacent n, n+1 pairs
                };
                g.set(i, c);
            }
            for h in 0..4u8 {
                let exact = g.match_h2(h).0;
                let portable = portable_match_h2(g.0, h);
                // The portable result contains the exact one, and differs only where there
                // is also a real match (Go's comment on ctrlGroupMatchH2).
                assert_eq!(exact & portable, exact);
                if portable != exact {
                    assert_ne!(exact, 0);
                }
            }
        }
    }

    #[test]
    fn probe_seq_visits_every_group_once() {
        for mask in [0u64, 1, 3, 7, 127] {
            for h in [0u64, 5, 0xdead_beef] {
                let mut seen = vec![false; mask as usize + 1];
                let mut s = ProbeSeq::new(h, mask);
                for _ in 0..=mask {
                    assert!(!seen[s.offset as usize]);
                    seen[s.offset as usize] = true;
                    s = s.next();
                }
                assert!(seen.iter().all(|&x| x));
            }
        }
    }

    #[test]
    fn align_up_pow2_rounds_up() {
        assert_eq!(align_up_pow2(0), (0, false));
        assert_eq!(align_up_pow2(1), (1, false));
        assert_eq!(align_up_pow2(9), (16, false));
        assert_eq!(align_up_pow2(16), (16, false));
        assert_eq!(align_up_pow2(u64::MAX), (0, true));
    }
}
