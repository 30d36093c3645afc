//! AVX-512 kernels: `vpopcntq` (VPOPCNTDQ) on 512-bit registers, masked loads for the
//! words past the last whole register, and mask registers for count lanes.
//!
//! Every function here is `unsafe` because it needs a CPU with AVX-512 F and VPOPCNTDQ
//! (and AVX2, POPCNT); [`super::Kernel::Avx512`] checks that before any call.

use std::arch::x86_64::{
    __m512i, __mmask16, __mmask8, _mm256_loadu_si256, _mm512_add_epi32, _mm512_add_epi64,
    _mm512_and_si512, _mm512_cmpeq_epi32_mask, _mm512_cmplt_epi32_mask, _mm512_cvtepi32_epi64,
    _mm512_loadu_si512, _mm512_mask_add_epi32, _mm512_mask_blend_epi32, _mm512_mask_sub_epi32,
    _mm512_mask_sub_epi64, _mm512_maskz_loadu_epi64, _mm512_popcnt_epi64, _mm512_reduce_add_epi64,
    _mm512_set1_epi32, _mm512_setzero_si512, _mm512_storeu_si512, _mm512_test_epi32_mask,
    _mm512_xor_si512,
};

use super::{Count, Tiles};

/// Tiles counted 8 words at a time with `vpopcntq`.
pub(crate) struct Avx512;

impl Tiles for Avx512 {
    #[inline(always)]
    unsafe fn tile<const XOR: bool, const Q: usize, const R: usize>(
        queries: &[*const u64; Q],
        rows: &[*const u64; R],
        n_words: usize,
    ) -> [[u64; R]; Q] {
        let mut acc = [[_mm512_setzero_si512(); R]; Q];
        let full = n_words / 8;
        for c in 0..full {
            let mut row_vecs = [_mm512_setzero_si512(); R];
            for (v, &row) in row_vecs.iter_mut().zip(rows) {
                *v = _mm512_loadu_si512(row.add(8 * c).cast());
            }
            for (acc_q, &query) in acc.iter_mut().zip(queries) {
                let q = _mm512_loadu_si512(query.add(8 * c).cast());
                accumulate::<XOR, R>(acc_q, q, &row_vecs);
            }
        }
        let tail = n_words % 8;
        if tail > 0 {
            // Masked-off lanes read as zero and never touch memory, so the loads stay
            // inside the `n_words` words of each vector.
            let mask = ((1u32 << tail) - 1) as __mmask8;
            let mut row_vecs = [_mm512_setzero_si512(); R];
            for (v, &row) in row_vecs.iter_mut().zip(rows) {
                *v = _mm512_maskz_loadu_epi64(mask, row.add(8 * full).cast());
            }
            for (acc_q, &query) in acc.iter_mut().zip(queries) {
                let q = _mm512_maskz_loadu_epi64(mask, query.add(8 * full).cast());
                accumulate::<XOR, R>(acc_q, q, &row_vecs);
            }
        }
        let mut out = [[0u64; R]; Q];
        for (o, a) in out.iter_mut().zip(&acc) {
            for (count, &lanes) in o.iter_mut().zip(a) {
                *count = _mm512_reduce_add_epi64(lanes) as u64;
            }
        }
        out
    }
}

/// Adds `popcount(combine(q, row))` of each row vector to its accumulator.
#[inline(always)]
unsafe fn accumulate<const XOR: bool, const R: usize>(
    acc: &mut [__m512i; R],
    q: __m512i,
    rows: &[__m512i; R],
) {
    for (a, &r) in acc.iter_mut().zip(rows) {
        let x = if XOR { _mm512_xor_si512(q, r) } else { _mm512_and_si512(q, r) };
        *a = _mm512_add_epi64(*a, _mm512_popcnt_epi64(x));
    }
}

/// See [`super::drive_block`].
#[target_feature(enable = "avx512f,avx512vpopcntdq,avx2,popcnt")]
pub(crate) unsafe fn popcount_block<const XOR: bool, O: Count>(
    queries: &[u64],
    rows: &[u64],
    n_words: usize,
    out: &mut [O],
) {
    super::drive_block::<Avx512, XOR, O>(queries, rows, n_words, out);
}

/// Returns the 16-lane mask of bits `16 * g .. 16 * g + 16` of `word`.
#[inline(always)]
fn lane_mask(word: u64, g: usize) -> __mmask16 {
    (word >> (16 * g)) as __mmask16
}

/// `counts` must have 64 entries per word of `bits`.
#[target_feature(enable = "avx512f,avx512vpopcntdq,avx2,popcnt")]
pub(crate) unsafe fn add_bipolar(counts: &mut [i32], bits: &[u64], weight: i32) {
    let plus = _mm512_set1_epi32(weight);
    let minus = _mm512_set1_epi32(weight.wrapping_neg());
    for (lanes, &word) in counts.chunks_exact_mut(64).zip(bits) {
        for g in 0..4 {
            let ptr = lanes.as_mut_ptr().add(16 * g);
            let c = _mm512_loadu_si512(ptr.cast());
            let delta = _mm512_mask_blend_epi32(lane_mask(word, g), plus, minus);
            _mm512_storeu_si512(ptr.cast(), _mm512_add_epi32(c, delta));
        }
    }
}

/// `counts` must have 64 entries per word of `bits`.
#[target_feature(enable = "avx512f,avx512vpopcntdq,avx2,popcnt")]
pub(crate) unsafe fn add_where(counts: &mut [i32], bits: &[u64], value: i32) {
    let v = _mm512_set1_epi32(value);
    for (lanes, &word) in counts.chunks_exact_mut(64).zip(bits) {
        for g in 0..4 {
            let ptr = lanes.as_mut_ptr().add(16 * g);
            let c = _mm512_loadu_si512(ptr.cast());
            _mm512_storeu_si512(ptr.cast(), _mm512_mask_add_epi32(c, lane_mask(word, g), c, v));
        }
    }
}

/// `counts` must have 64 entries per word of `tie_break` and of `out`.
#[target_feature(enable = "avx512f,avx512vpopcntdq,avx2,popcnt")]
pub(crate) unsafe fn threshold(counts: &[i32], tie_break: &[u64], out: &mut [u64]) {
    let zero = _mm512_setzero_si512();
    for ((lanes, &tie), word) in counts.chunks_exact(64).zip(tie_break).zip(out.iter_mut()) {
        let mut negative = 0u64;
        let mut zeros = 0u64;
        for g in 0..4 {
            let c = _mm512_loadu_si512(lanes.as_ptr().add(16 * g).cast());
            negative |= u64::from(_mm512_cmplt_epi32_mask(c, zero)) << (16 * g);
            zeros |= u64::from(_mm512_cmpeq_epi32_mask(c, zero)) << (16 * g);
        }
        *word = negative | (zeros & tie);
    }
}

/// `counts` must have 64 entries per word of `bits`.
#[target_feature(enable = "avx512f,avx512vpopcntdq,avx2,popcnt")]
pub(crate) unsafe fn dot_bipolar(counts: &[i32], bits: &[u64]) -> i64 {
    let zero = _mm512_setzero_si512();
    let mut acc = _mm512_setzero_si512();
    for (lanes, &word) in counts.chunks_exact(64).zip(bits) {
        for g in 0..8 {
            // Eight counts widened to 64 bits, so negating `i32::MIN` cannot wrap.
            let c = _mm512_cvtepi32_epi64(_mm256_loadu_si256(lanes.as_ptr().add(8 * g).cast()));
            let mask = (word >> (8 * g)) as __mmask8;
            acc = _mm512_add_epi64(acc, _mm512_mask_sub_epi64(c, mask, zero, c));
        }
    }
    _mm512_reduce_add_epi64(acc)
}

/// `counts` and `out` must have 64 entries per word of `bits`.
#[target_feature(enable = "avx512f,avx512vpopcntdq,avx2,popcnt")]
pub(crate) unsafe fn negate_where(counts: &[i32], bits: &[u64], out: &mut [i32]) {
    let zero = _mm512_setzero_si512();
    for ((lanes, dst), &word) in counts.chunks_exact(64).zip(out.chunks_exact_mut(64)).zip(bits) {
        for g in 0..4 {
            let c = _mm512_loadu_si512(lanes.as_ptr().add(16 * g).cast());
            let flipped = _mm512_mask_sub_epi32(c, lane_mask(word, g), zero, c);
            _mm512_storeu_si512(dst.as_mut_ptr().add(16 * g).cast(), flipped);
        }
    }
}

/// `values` must have 64 entries per word of `out`.
#[target_feature(enable = "avx512f,avx512vpopcntdq,avx2,popcnt")]
pub(crate) unsafe fn bit_plane(values: &[u32], p: u32, out: &mut [u64]) {
    let bit = _mm512_set1_epi32((1u32 << p) as i32);
    for (lanes, word) in values.chunks_exact(64).zip(out.iter_mut()) {
        let mut bits = 0u64;
        for g in 0..4 {
            let v = _mm512_loadu_si512(lanes.as_ptr().add(16 * g).cast());
            bits |= u64::from(_mm512_test_epi32_mask(v, bit)) << (16 * g);
        }
        *word = bits;
    }
}
