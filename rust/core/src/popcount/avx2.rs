//! AVX2 kernels: the nibble-lookup popcount and byte-mask count lanes.
//!
//! The popcount looks up the bit count of each low and high nibble with `vpshufb` and
//! adds the two into per-byte counts, at most 8 per chunk. Every 31 chunks, before a byte
//! could pass 255, `vpsadbw` folds the byte counters into 64-bit lanes.
//!
//! Every function here is `unsafe` because it needs a CPU with AVX2 and POPCNT;
//! [`super::Kernel::Avx2`] checks that before any call.

use std::arch::x86_64::{
    __m256i, _mm256_add_epi32, _mm256_add_epi64, _mm256_add_epi8, _mm256_and_si256,
    _mm256_castsi256_ps, _mm256_castsi256_si128, _mm256_cmpeq_epi32, _mm256_cmpeq_epi64,
    _mm256_cvtepi32_epi64, _mm256_extracti128_si256, _mm256_loadu_si256, _mm256_movemask_ps,
    _mm256_sad_epu8, _mm256_set1_epi32, _mm256_set1_epi64x, _mm256_set1_epi8, _mm256_setr_epi32,
    _mm256_setr_epi64x, _mm256_setr_epi8, _mm256_setzero_si256, _mm256_shuffle_epi8,
    _mm256_sll_epi32, _mm256_srli_epi16, _mm256_storeu_si256, _mm256_sub_epi32, _mm256_sub_epi64,
    _mm256_xor_si256, _mm_add_epi64, _mm_cvtsi128_si64, _mm_cvtsi32_si128, _mm_loadu_si128,
    _mm_unpackhi_epi64,
};

use super::{Count, Tiles};

/// Chunks of 32 bytes counted into byte counters before they are folded: each chunk adds
/// at most 8 to a byte, and 31 * 8 = 248 fits in a byte.
const CHUNKS_PER_FOLD: usize = 31;

/// Tiles counted 4 words at a time with nibble lookups.
pub(crate) struct Avx2;

/// Returns the bit count of every byte of `x`.
#[inline(always)]
unsafe fn popcount_bytes(x: __m256i, lookup: __m256i, low_nibbles: __m256i) -> __m256i {
    let low = _mm256_and_si256(x, low_nibbles);
    let high = _mm256_and_si256(_mm256_srli_epi16::<4>(x), low_nibbles);
    _mm256_add_epi8(_mm256_shuffle_epi8(lookup, low), _mm256_shuffle_epi8(lookup, high))
}

/// Returns the sum of the four 64-bit lanes of `x`.
#[inline(always)]
unsafe fn sum_lanes(x: __m256i) -> u64 {
    let pair = _mm_add_epi64(_mm256_castsi256_si128(x), _mm256_extracti128_si256::<1>(x));
    _mm_cvtsi128_si64(_mm_add_epi64(pair, _mm_unpackhi_epi64(pair, pair))) as u64
}

impl Tiles for Avx2 {
    #[inline(always)]
    unsafe fn tile<const XOR: bool, const Q: usize, const R: usize>(
        queries: &[*const u64; Q],
        rows: &[*const u64; R],
        n_words: usize,
    ) -> [[u64; R]; Q] {
        let lookup = _mm256_setr_epi8(
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2,
            3, 3, 4,
        );
        let low_nibbles = _mm256_set1_epi8(0x0f);
        let zero = _mm256_setzero_si256();
        let mut totals = [[zero; R]; Q];
        let full = n_words / 4;
        let mut c = 0;
        while c < full {
            let end = full.min(c + CHUNKS_PER_FOLD);
            let mut bytes = [[zero; R]; Q];
            while c < end {
                let mut row_vecs = [zero; R];
                for (v, &row) in row_vecs.iter_mut().zip(rows) {
                    *v = _mm256_loadu_si256(row.add(4 * c).cast());
                }
                for (bytes_q, &query) in bytes.iter_mut().zip(queries) {
                    let q = _mm256_loadu_si256(query.add(4 * c).cast());
                    for (b, &r) in bytes_q.iter_mut().zip(&row_vecs) {
                        let x = if XOR { _mm256_xor_si256(q, r) } else { _mm256_and_si256(q, r) };
                        *b = _mm256_add_epi8(*b, popcount_bytes(x, lookup, low_nibbles));
                    }
                }
                c += 1;
            }
            for (totals_q, bytes_q) in totals.iter_mut().zip(&bytes) {
                for (t, &b) in totals_q.iter_mut().zip(bytes_q) {
                    *t = _mm256_add_epi64(*t, _mm256_sad_epu8(b, zero));
                }
            }
        }
        let mut out = [[0u64; R]; Q];
        for ((o, t), &query) in out.iter_mut().zip(&totals).zip(queries) {
            for ((count, &lanes), &row) in o.iter_mut().zip(t).zip(rows) {
                let mut sum = sum_lanes(lanes);
                for w in 4 * full..n_words {
                    let (a, b) = (*query.add(w), *row.add(w));
                    sum += u64::from(if XOR { a ^ b } else { a & b }.count_ones());
                }
                *count = sum;
            }
        }
        out
    }
}

/// See [`super::drive_block`].
#[target_feature(enable = "avx2,popcnt")]
pub(crate) unsafe fn popcount_block<const XOR: bool, O: Count>(
    queries: &[u64],
    rows: &[u64],
    n_words: usize,
    out: &mut [O],
) {
    super::drive_block::<Avx2, XOR, O>(queries, rows, n_words, out);
}

/// Returns -1 in each 32-bit lane whose bit of byte `g` of `word` is set, else 0; lane `i`
/// stands for bit `8 * g + i`.
#[inline(always)]
unsafe fn byte_mask(word: u64, g: usize) -> __m256i {
    let select = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    let byte = _mm256_set1_epi32(((word >> (8 * g)) & 0xff) as i32);
    _mm256_cmpeq_epi32(_mm256_and_si256(byte, select), select)
}

/// `counts` must have 64 entries per word of `bits`.
#[target_feature(enable = "avx2,popcnt")]
pub(crate) unsafe fn add_bipolar(counts: &mut [i32], bits: &[u64], weight: i32) {
    let w = _mm256_set1_epi32(weight);
    for (lanes, &word) in counts.chunks_exact_mut(64).zip(bits) {
        for g in 0..8 {
            let ptr = lanes.as_mut_ptr().add(8 * g);
            let m = byte_mask(word, g);
            // (w ^ -1) - (-1) == -w where the bit is set, w elsewhere.
            let delta = _mm256_sub_epi32(_mm256_xor_si256(w, m), m);
            _mm256_storeu_si256(
                ptr.cast(),
                _mm256_add_epi32(_mm256_loadu_si256(ptr.cast()), delta),
            );
        }
    }
}

/// `counts` must have 64 entries per word of `bits`.
#[target_feature(enable = "avx2,popcnt")]
pub(crate) unsafe fn add_where(counts: &mut [i32], bits: &[u64], value: i32) {
    let v = _mm256_set1_epi32(value);
    for (lanes, &word) in counts.chunks_exact_mut(64).zip(bits) {
        for g in 0..8 {
            let ptr = lanes.as_mut_ptr().add(8 * g);
            let delta = _mm256_and_si256(byte_mask(word, g), v);
            _mm256_storeu_si256(
                ptr.cast(),
                _mm256_add_epi32(_mm256_loadu_si256(ptr.cast()), delta),
            );
        }
    }
}

/// `counts` must have 64 entries per word of `tie_break` and of `out`.
#[target_feature(enable = "avx2,popcnt")]
pub(crate) unsafe fn threshold(counts: &[i32], tie_break: &[u64], out: &mut [u64]) {
    let zero = _mm256_setzero_si256();
    for ((lanes, &tie), word) in counts.chunks_exact(64).zip(tie_break).zip(out.iter_mut()) {
        let mut negative = 0u64;
        let mut zeros = 0u64;
        for g in 0..8 {
            let c = _mm256_loadu_si256(lanes.as_ptr().add(8 * g).cast());
            // The sign bit of each 32-bit lane is the sign of the count.
            negative |= (_mm256_movemask_ps(_mm256_castsi256_ps(c)) as u64) << (8 * g);
            let is_zero = _mm256_castsi256_ps(_mm256_cmpeq_epi32(c, zero));
            zeros |= (_mm256_movemask_ps(is_zero) as u64) << (8 * g);
        }
        *word = negative | (zeros & tie);
    }
}

/// `counts` must have 64 entries per word of `bits`.
#[target_feature(enable = "avx2,popcnt")]
pub(crate) unsafe fn dot_bipolar(counts: &[i32], bits: &[u64]) -> i64 {
    let select = _mm256_setr_epi64x(1, 2, 4, 8);
    let mut acc = _mm256_setzero_si256();
    for (lanes, &word) in counts.chunks_exact(64).zip(bits) {
        for g in 0..16 {
            // Four counts widened to 64 bits, so negating `i32::MIN` cannot wrap.
            let c = _mm256_cvtepi32_epi64(_mm_loadu_si128(lanes.as_ptr().add(4 * g).cast()));
            let nibble = _mm256_set1_epi64x(((word >> (4 * g)) & 0xf) as i64);
            let m = _mm256_cmpeq_epi64(_mm256_and_si256(nibble, select), select);
            acc = _mm256_add_epi64(acc, _mm256_sub_epi64(_mm256_xor_si256(c, m), m));
        }
    }
    sum_lanes(acc) as i64
}

/// `counts` and `out` must have 64 entries per word of `bits`.
#[target_feature(enable = "avx2,popcnt")]
pub(crate) unsafe fn negate_where(counts: &[i32], bits: &[u64], out: &mut [i32]) {
    for ((lanes, dst), &word) in counts.chunks_exact(64).zip(out.chunks_exact_mut(64)).zip(bits) {
        for g in 0..8 {
            let c = _mm256_loadu_si256(lanes.as_ptr().add(8 * g).cast());
            let m = byte_mask(word, g);
            let flipped = _mm256_sub_epi32(_mm256_xor_si256(c, m), m);
            _mm256_storeu_si256(dst.as_mut_ptr().add(8 * g).cast(), flipped);
        }
    }
}

/// `values` must have 64 entries per word of `out`, and `p` must be below 32.
#[target_feature(enable = "avx2,popcnt")]
pub(crate) unsafe fn bit_plane(values: &[u32], p: u32, out: &mut [u64]) {
    // Shifting bit `p` into the sign position lets `movemask` collect it.
    let shift = _mm_cvtsi32_si128(31 - p as i32);
    for (lanes, word) in values.chunks_exact(64).zip(out.iter_mut()) {
        let mut bits = 0u64;
        for g in 0..8 {
            let v = _mm256_loadu_si256(lanes.as_ptr().add(8 * g).cast());
            let signs = _mm256_castsi256_ps(_mm256_sll_epi32(v, shift));
            bits |= (_mm256_movemask_ps(signs) as u64) << (8 * g);
        }
        *word = bits;
    }
}
