//! Portable kernels: `u64::count_ones` and plain loops, for any target.

use super::Tiles;

/// Tiles counted with `u64::count_ones`, one word at a time.
pub(crate) struct Portable;

impl Tiles for Portable {
    #[inline(always)]
    unsafe fn tile<const XOR: bool, const Q: usize, const R: usize>(
        queries: &[*const u64; Q],
        rows: &[*const u64; R],
        n_words: usize,
    ) -> [[u64; R]; Q] {
        let mut acc = [[0u64; R]; Q];
        for w in 0..n_words {
            let mut row_words = [0u64; R];
            for (word, &row) in row_words.iter_mut().zip(rows) {
                // SAFETY: the caller guarantees `n_words` readable words behind each row.
                *word = unsafe { *row.add(w) };
            }
            for (acc_q, &query) in acc.iter_mut().zip(queries) {
                // SAFETY: the caller guarantees `n_words` readable words behind each query.
                let q = unsafe { *query.add(w) };
                for (a, &r) in acc_q.iter_mut().zip(&row_words) {
                    let x = if XOR { q ^ r } else { q & r };
                    *a += u64::from(x.count_ones());
                }
            }
        }
        acc
    }
}

/// Returns the bipolar sign mask of bit `b` of `word`: -1 where the bit is 1, else 0.
#[inline(always)]
fn bit_mask(word: u64, b: usize) -> i32 {
    -(((word >> b) & 1) as i32)
}

#[inline(always)]
pub(crate) fn add_bipolar(counts: &mut [i32], bits: &[u64], weight: i32) {
    for (lanes, &word) in counts.chunks_exact_mut(64).zip(bits) {
        for (b, c) in lanes.iter_mut().enumerate() {
            // Two's-complement negation where the bit is set: (w ^ -1) - (-1) == -w.
            let m = bit_mask(word, b);
            *c = c.wrapping_add((weight ^ m).wrapping_sub(m));
        }
    }
}

#[inline(always)]
pub(crate) fn add_where(counts: &mut [i32], bits: &[u64], value: i32) {
    for (lanes, &word) in counts.chunks_exact_mut(64).zip(bits) {
        for (b, c) in lanes.iter_mut().enumerate() {
            *c = c.wrapping_add(value & bit_mask(word, b));
        }
    }
}

#[inline(always)]
pub(crate) fn threshold(counts: &[i32], tie_break: &[u64], out: &mut [u64]) {
    for ((lanes, &tie), word) in counts.chunks_exact(64).zip(tie_break).zip(out.iter_mut()) {
        let mut negative = 0u64;
        let mut zero = 0u64;
        for (b, &c) in lanes.iter().enumerate() {
            negative |= u64::from(c < 0) << b;
            zero |= u64::from(c == 0) << b;
        }
        *word = negative | (zero & tie);
    }
}

#[inline(always)]
pub(crate) fn dot_bipolar(counts: &[i32], bits: &[u64]) -> i64 {
    let mut total = 0i64;
    for (lanes, &word) in counts.chunks_exact(64).zip(bits) {
        let mut sum = 0i64;
        for (b, &c) in lanes.iter().enumerate() {
            let m = i64::from(bit_mask(word, b));
            sum += (i64::from(c) ^ m) - m;
        }
        total += sum;
    }
    total
}

#[inline(always)]
pub(crate) fn negate_where(counts: &[i32], bits: &[u64], out: &mut [i32]) {
    for ((lanes, dst), &word) in counts.chunks_exact(64).zip(out.chunks_exact_mut(64)).zip(bits) {
        for (b, (&c, o)) in lanes.iter().zip(dst.iter_mut()).enumerate() {
            let m = bit_mask(word, b);
            *o = (c ^ m).wrapping_sub(m);
        }
    }
}

#[inline(always)]
pub(crate) fn bit_plane(values: &[u32], p: u32, out: &mut [u64]) {
    for (lanes, word) in values.chunks_exact(64).zip(out.iter_mut()) {
        let mut bits = 0u64;
        for (b, &v) in lanes.iter().enumerate() {
            bits |= u64::from((v >> p) & 1) << b;
        }
        *word = bits;
    }
}
