//! Go 1.19's small-object size classes and `roundupsize` (runtime/sizeclasses.go,
//! runtime/msize.go), needed because `makeBucketArray` sizes its preallocated overflow
//! buckets by rounding the array's byte size up to the allocator's size class.
//!
//! The three tables are copied verbatim from Go 1.19.8's generated
//! runtime/sizeclasses.go (amd64); `roundupsize` is msize.go's function line for line.
//! Invariant: `roundupsize(s) >= s` for every `s`, and it is the size of the block that
//! `mallocgc` hands out for a request of `s` bytes.

/// `_MaxSmallSize`: objects up to this size come from size classes.
pub const MAX_SMALL_SIZE: usize = 32768;
/// `smallSizeDiv`.
pub const SMALL_SIZE_DIV: usize = 8;
/// `smallSizeMax`.
pub const SMALL_SIZE_MAX: usize = 1024;
/// `largeSizeDiv`.
pub const LARGE_SIZE_DIV: usize = 128;
/// `_PageShift`.
pub const PAGE_SHIFT: usize = 13;
/// `_PageSize`.
pub const PAGE_SIZE: usize = 1 << PAGE_SHIFT;

/// `class_to_size`.
pub const CLASS_TO_SIZE: [u16; 68] = [
    0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320,
    352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792,
    2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728,
    10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672,
    32768,
];
/// `size_to_class8`.
pub const SIZE_TO_CLASS8: [u8; 129] = [
    0, 1, 2, 3, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15,
    16, 16, 17, 17, 18, 18, 19, 19, 19, 19, 20, 20, 20, 20, 21, 21, 21, 21, 22, 22, 22, 22, 23, 23,
    23, 23, 24, 24, 24, 24, 25, 25, 25, 25, 26, 26, 26, 26, 27, 27, 27, 27, 27, 27, 27, 27, 28, 28,
    28, 28, 28, 28, 28, 28, 29, 29, 29, 29, 29, 29, 29, 29, 30, 30, 30, 30, 30, 30, 30, 30, 31, 31,
    31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32,
    32, 32, 32, 32, 32, 32,
];
/// `size_to_class128`.
pub const SIZE_TO_CLASS128: [u8; 249] = [
    32, 33, 34, 35, 36, 37, 37, 38, 38, 39, 39, 40, 40, 40, 41, 41, 41, 42, 43, 43, 44, 44, 44, 44,
    44, 45, 45, 45, 45, 45, 45, 46, 46, 46, 46, 47, 47, 47, 47, 47, 47, 48, 48, 48, 49, 49, 50, 51,
    51, 51, 51, 51, 51, 51, 51, 51, 51, 52, 52, 52, 52, 52, 52, 52, 52, 52, 52, 53, 53, 54, 54, 54,
    54, 55, 55, 55, 55, 55, 56, 56, 56, 56, 56, 56, 56, 56, 56, 56, 56, 57, 57, 57, 57, 57, 57, 57,
    57, 57, 57, 58, 58, 58, 58, 58, 58, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59, 59,
    59, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 61, 61, 61, 61, 61, 62, 62,
    62, 62, 62, 62, 62, 62, 62, 62, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 65, 65, 65, 65, 65, 65, 65,
    65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
    66, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67,
    67, 67, 67, 67, 67, 67, 67, 67, 67,
];

fn div_round_up(n: usize, a: usize) -> usize {
    // Go: (n + a - 1) / a, in uintptr arithmetic, which wraps: roundupsize relies on it
    // for sizes 1017..=1023, where `size - smallSizeMax` wraps to just below 2^64 and
    // the sum wraps back to a small number (class index 0 of size_to_class128, 1024).
    n.wrapping_add(a - 1) / a
}

fn align_up(n: usize, a: usize) -> usize {
    (n + a - 1) & !(a - 1)
}

/// `roundupsize` (runtime/msize.go): the size of the memory block that `mallocgc`
/// allocates for a request of `size` bytes.
pub fn roundupsize(size: usize) -> usize {
    if size < MAX_SMALL_SIZE {
        if size <= SMALL_SIZE_MAX - 8 {
            return CLASS_TO_SIZE[SIZE_TO_CLASS8[div_round_up(size, SMALL_SIZE_DIV)] as usize]
                as usize;
        } else {
            return CLASS_TO_SIZE[SIZE_TO_CLASS128
                [div_round_up(size.wrapping_sub(SMALL_SIZE_MAX), LARGE_SIZE_DIV)]
                as usize] as usize;
        }
    }
    if size.checked_add(PAGE_SIZE).is_none() {
        return size;
    }
    align_up(size, PAGE_SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundupsize_matches_go_for_bucket_arrays_of_144_byte_buckets() {
        // (B, total buckets) measured from Go 1.19.8 with make(map[uint64]uint64, hint).
        let want = [
            (4, 18),
            (5, 37),
            (6, 71),
            (7, 142),
            (8, 284),
            (9, 568),
            (10, 1137),
            (11, 2218),
            (12, 4380),
            (13, 8704),
            (14, 17408),
        ];
        for (b, total) in want {
            let n = (1usize << b) + (1usize << (b - 4));
            let up = roundupsize(144 * n);
            let got = if up != 144 * n { up / 144 } else { n };
            assert_eq!(got, total, "B = {b}");
        }
    }

    #[test]
    fn roundupsize_is_identity_on_class_sizes_and_pages() {
        for &c in CLASS_TO_SIZE.iter().skip(1) {
            assert_eq!(roundupsize(c as usize), c as usize);
            assert_eq!(roundupsize(c as usize - 1), c as usize);
        }
        // 1017..=1023 go through Go's wrapping `size - smallSizeMax`.
        for size in 1017..=1023 {
            assert_eq!(roundupsize(size), 1024);
        }
        assert_eq!(roundupsize(MAX_SMALL_SIZE + 1), MAX_SMALL_SIZE + PAGE_SIZE);
        assert_eq!(roundupsize(3 * PAGE_SIZE), 3 * PAGE_SIZE);
    }
}
