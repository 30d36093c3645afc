//! Packed binary hypervectors.
//!
//! A vector of `dim` bits is stored in `n_words = dim / 64` `u64` words; bit `i` of the
//! vector is bit `i % 64` of word `i / 64`. Bit 1 stands for the bipolar value -1 and bit 0
//! for +1, so XOR of bits is the product of bipolar values. `dim` is always a positive
//! multiple of 64, so no word has unused tail bits.

use crate::error::{Error, Result};

/// Number of bits in one storage word.
pub const WORD_BITS: usize = 64;

/// Largest supported `dim`: 2^24 bits, 2 MiB per vector.
pub const MAX_DIM: usize = 1 << 24;

/// Checks that `dim` is a positive multiple of 64 up to [`MAX_DIM`] and returns
/// `n_words`.
pub fn n_words_for(dim: usize) -> Result<usize> {
    if dim == 0 || dim > MAX_DIM || !dim.is_multiple_of(WORD_BITS) {
        return Err(Error::InvalidDim(dim));
    }
    Ok(dim / WORD_BITS)
}

/// Checks that a flat buffer contains whole rows of `n_words` and returns the row count.
pub fn rows_in(buffer: &[u64], n_words: usize) -> Result<usize> {
    if n_words == 0 || !buffer.len().is_multiple_of(n_words) {
        return Err(Error::RaggedBuffer { len: buffer.len(), n_words });
    }
    Ok(buffer.len() / n_words)
}

/// Writes `a XOR b` into `out`; binding and unbinding are the same operation.
pub fn bind_into(a: &[u64], b: &[u64], out: &mut [u64]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x ^ y;
    }
}

/// Returns the number of differing bits of `a` and `b` (equal lengths).
#[must_use]
pub fn hamming(a: &[u64], b: &[u64]) -> u64 {
    crate::popcount::hamming(a, b)
}

/// Returns the bipolar cosine `1 - 2 * hamming / dim`, in [-1, 1].
#[must_use]
pub fn similarity(a: &[u64], b: &[u64]) -> f64 {
    let dim = (a.len() * WORD_BITS) as f64;
    1.0 - 2.0 * hamming(a, b) as f64 / dim
}

/// Writes `x` cyclically rotated by `k` bits into `out`: bit `i` moves to `(i + k) mod dim`.
///
/// Negative `k` rotates the other way, so `permute(permute(x, k), -k) == x`.
pub fn permute_into(x: &[u64], k: i64, out: &mut [u64]) {
    let n = x.len();
    let dim = (n * WORD_BITS) as i64;
    let k = k.rem_euclid(dim) as usize;
    let word_shift = k / WORD_BITS;
    let bit_shift = k % WORD_BITS;
    for (j, o) in out.iter_mut().enumerate() {
        let src = (j + n - word_shift) % n;
        if bit_shift == 0 {
            *o = x[src];
        } else {
            let carry = x[(src + n - 1) % n];
            *o = (x[src] << bit_shift) | (carry >> (WORD_BITS - bit_shift));
        }
    }
}

/// Returns the bit at position `i`.
#[must_use]
pub fn bit(x: &[u64], i: usize) -> bool {
    (x[i / WORD_BITS] >> (i % WORD_BITS)) & 1 == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits_of(x: &[u64]) -> Vec<bool> {
        (0..x.len() * WORD_BITS).map(|i| bit(x, i)).collect()
    }

    #[test]
    fn n_words_rejects_bad_dims() {
        assert_eq!(n_words_for(0), Err(Error::InvalidDim(0)));
        assert_eq!(n_words_for(100), Err(Error::InvalidDim(100)));
        assert_eq!(n_words_for(128), Ok(2));
    }

    #[test]
    fn permute_moves_each_bit_by_k() {
        let x = [0x8000_0000_0000_0001u64, 0x0000_0000_0000_00f0, 0x1234_5678_9abc_def0];
        let dim = 3 * WORD_BITS;
        for k in [-200i64, -65, -1, 0, 1, 7, 63, 64, 65, 130, 191, 192, 500] {
            let mut out = [0u64; 3];
            permute_into(&x, k, &mut out);
            let before = bits_of(&x);
            let after = bits_of(&out);
            for i in 0..dim {
                let j = (i as i64 + k).rem_euclid(dim as i64) as usize;
                assert_eq!(after[j], before[i], "k={k}, i={i}");
            }
        }
    }

    #[test]
    fn permute_then_inverse_is_identity() {
        let x = [0xdead_beef_0123_4567u64, 0x0f0f_0f0f_f0f0_f0f0];
        let mut y = [0u64; 2];
        let mut z = [0u64; 2];
        permute_into(&x, 37, &mut y);
        permute_into(&y, -37, &mut z);
        assert_eq!(x, z);
    }

    #[test]
    fn bind_is_self_inverse_and_similarity_bounds() {
        let a = [0x1234u64, 0xffff_0000_ffff_0000];
        let b = [0xabcdu64, 0x0000_ffff_0000_ffff];
        let mut ab = [0u64; 2];
        let mut back = [0u64; 2];
        bind_into(&a, &b, &mut ab);
        bind_into(&ab, &b, &mut back);
        assert_eq!(back, a);
        assert!((similarity(&a, &a) - 1.0).abs() < 1e-12);
        let not_a = [!a[0], !a[1]];
        assert!((similarity(&a, &not_a) + 1.0).abs() < 1e-12);
    }
}
