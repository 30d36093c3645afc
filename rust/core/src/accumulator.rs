//! Integer accumulators: exact bundles of bipolar vectors.
//!
//! Count `i` is the weighted sum of the bipolar values (`+1` for bit 0, `-1` for bit 1) of
//! bit `i` over every vector added. Adding and subtracting commute and are exact, which is
//! what explaining-away decoding needs. Thresholding maps a negative count to bit 1, a
//! positive count to bit 0, and a zero count to the bit of a fixed tie-break vector.

use crate::bundle;
use crate::error::{Error, Result};
use crate::popcount::{self, Kernel, Level};
use crate::vector::WORD_BITS;

/// Rows from which [`Accumulator::add_many`] counts equal weights bit-sliced instead of
/// adding one row at a time. Below it, turning the planes into counts costs more than the
/// per-row additions it saves, by an estimate from instruction counts.
const MIN_SLICED_ROWS: usize = 8;

/// Signed per-dimension counts of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accumulator {
    counts: Vec<i32>,
    total_weight: i64,
    /// Sum of `|weight|` over every call, an upper bound of every `|count|`.
    abs_weight: i64,
}

impl Accumulator {
    /// Returns an empty accumulator of `dim` counts.
    #[must_use]
    pub fn new(dim: usize) -> Self {
        Self { counts: vec![0; dim], total_weight: 0, abs_weight: 0 }
    }

    /// Builds an accumulator from existing counts.
    #[must_use]
    pub fn from_counts(counts: Vec<i32>) -> Self {
        let abs_weight = counts.iter().map(|&c| i64::from(c).abs()).max().unwrap_or(0);
        Self { counts, total_weight: 0, abs_weight }
    }

    /// Returns the number of counts, the `dim` of the space.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.counts.len()
    }

    /// Returns the counts, one per dimension.
    #[must_use]
    pub fn counts(&self) -> &[i32] {
        &self.counts
    }

    /// Returns the counts for in-place changes; the overflow bound is then unknown, so the
    /// next addition re-derives it.
    pub fn counts_mut(&mut self) -> &mut [i32] {
        self.abs_weight = i64::from(i32::MAX);
        &mut self.counts
    }

    /// Returns the sum of the weights added, minus those subtracted.
    #[must_use]
    pub fn total_weight(&self) -> i64 {
        self.total_weight
    }

    fn check_dim(&self, x: &[u64]) -> Result<()> {
        let found = x.len() * WORD_BITS;
        if found != self.counts.len() {
            return Err(Error::DimensionMismatch { expected: self.counts.len(), found });
        }
        Ok(())
    }

    /// Returns whether adding rows of total absolute weight `weight` certainly keeps
    /// every count in range; if so, records the new bound.
    fn reserve_weight(&mut self, weight: i64) -> bool {
        let mut bound = self.abs_weight + weight.abs();
        if bound > i64::from(i32::MAX) {
            bound = self.counts.iter().map(|&c| i64::from(c).abs()).max().unwrap_or(0)
                + weight.abs();
            if bound > i64::from(i32::MAX) {
                return false;
            }
        }
        self.abs_weight = bound;
        true
    }

    /// Adds rows with their weights in 64-bit arithmetic and stores the result only if
    /// every final count fits in `i32`: the slow path when the cheap bound fails, exact
    /// even when partial sums leave the range and come back.
    fn add_checked(&mut self, rows: &[u64], weights: &dyn Fn(usize) -> i32) -> Result<()> {
        let n_words = self.counts.len() / WORD_BITS;
        let mut wide: Vec<i64> = self.counts.iter().map(|&c| i64::from(c)).collect();
        let mut total = 0i64;
        for (r, row) in rows.chunks_exact(n_words).enumerate() {
            let weight = i64::from(weights(r));
            total += weight;
            for (i, count) in wide.iter_mut().enumerate() {
                let bit = ((row[i / WORD_BITS] >> (i % WORD_BITS)) & 1) as i64;
                *count += weight * (1 - 2 * bit);
            }
        }
        let range = i64::from(i32::MIN)..=i64::from(i32::MAX);
        if !wide.iter().all(|c| range.contains(c)) {
            return Err(Error::Overflow);
        }
        for (count, &value) in self.counts.iter_mut().zip(&wide) {
            *count = value as i32;
        }
        self.abs_weight = wide.iter().map(|c| c.abs()).max().unwrap_or(0);
        self.total_weight += total;
        Ok(())
    }

    /// Adds the bipolar form of `x` times `weight`; a negative weight subtracts.
    pub fn add(&mut self, x: &[u64], weight: i32) -> Result<()> {
        self.check_dim(x)?;
        if !self.reserve_weight(i64::from(weight)) {
            return self.add_checked(x, &|_| weight);
        }
        popcount::add_bipolar(Kernel::detect(), &mut self.counts, x, weight);
        self.total_weight += i64::from(weight);
        Ok(())
    }

    /// Adds every row of `rows` (`n_words` words each) with its weight, or weight 1.
    ///
    /// When every weight is equal and there are at least 8 rows, the rows are counted
    /// bit-sliced (see [`crate::bundle`]), which gives the same counts as adding them one
    /// by one.
    pub fn add_many(&mut self, rows: &[u64], weights: Option<&[i32]>) -> Result<()> {
        let n_words = self.counts.len() / WORD_BITS;
        let n_rows = crate::vector::rows_in(rows, n_words)?;
        if let Some(w) = weights {
            if w.len() != n_rows {
                return Err(Error::LengthMismatch {
                    what: "weights",
                    expected: n_rows,
                    found: w.len(),
                });
            }
        }
        let abs_sum: i64 = match weights {
            Some(w) => w.iter().map(|&x| i64::from(x).abs()).sum(),
            None => n_rows as i64,
        };
        if !self.reserve_weight(abs_sum) {
            return self.add_checked(rows, &|r| weights.map_or(1, |w| w[r]));
        }
        let kernel = Kernel::detect();
        let common = match weights {
            None => Some(1),
            Some(w) => w.first().copied().filter(|&first| w.iter().all(|&x| x == first)),
        };
        match common {
            Some(weight) if n_rows >= MIN_SLICED_ROWS => {
                // The overflow bound above holds for the final counts, and the wrapping
                // arithmetic of the sliced sum is exact whenever they fit.
                bundle::add_rows_sliced(kernel, rows, n_words, weight, &mut self.counts);
                self.total_weight += i64::from(weight) * n_rows as i64;
            }
            _ => {
                for (i, row) in rows.chunks_exact(n_words).enumerate() {
                    let weight = weights.map_or(1, |w| w[i]);
                    popcount::add_bipolar(kernel, &mut self.counts, row, weight);
                    self.total_weight += i64::from(weight);
                }
            }
        }
        Ok(())
    }

    /// Writes the thresholded bits into `out`, taking ties from `tie_break`.
    pub fn threshold_into(&self, tie_break: &[u64], out: &mut [u64]) -> Result<()> {
        self.check_dim(tie_break)?;
        self.check_dim(out)?;
        popcount::threshold(Kernel::detect(), &self.counts, tie_break, out);
        Ok(())
    }

    /// Returns `sum_i count_i * bipolar(x)_i`.
    pub fn dot(&self, x: &[u64]) -> Result<i64> {
        self.check_dim(x)?;
        Ok(popcount::dot_bipolar(Kernel::detect(), &self.counts, x))
    }

    /// Returns the Euclidean norm of the counts.
    #[must_use]
    pub fn norm(&self) -> f64 {
        norm(&self.counts)
    }

    /// Returns the cosine of the counts with the bipolar form of `x`, 0 for empty counts.
    pub fn similarity(&self, x: &[u64]) -> Result<f64> {
        let dot = self.dot(x)?;
        Ok(cosine(dot, self.norm(), self.counts.len()))
    }

    /// Sets every count to zero.
    pub fn clear(&mut self) {
        self.counts.fill(0);
        self.total_weight = 0;
        self.abs_weight = 0;
    }
}

/// Writes `counts` bound to `x`: each count times the bipolar value of its bit of `x`.
///
/// Binding distributes over the sum, so the result is the accumulator of every vector
/// added to `counts`, each bound to `x`.
pub fn bind_counts(counts: &[i32], x: &[u64], out: &mut [i32]) {
    popcount::negate_where(Kernel::detect(), counts, x, out);
}

/// Writes `counts` rotated by `k`: count `i` moves to `(i + k) mod dim`, as bits do in
/// [`crate::vector::permute_into`].
pub fn permute_counts(counts: &[i32], k: i64, out: &mut [i32]) {
    let dim = counts.len();
    let shift = k.rem_euclid(dim as i64) as usize;
    out[shift..].copy_from_slice(&counts[..dim - shift]);
    out[..shift].copy_from_slice(&counts[dim - shift..]);
}

/// Returns the Euclidean norm of `counts`.
#[must_use]
pub fn norm(counts: &[i32]) -> f64 {
    // A square reaches 2^62, so 64-bit sums of a few of them would wrap.
    let sum: i128 = counts.iter().map(|&c| i128::from(c) * i128::from(c)).sum();
    (sum as f64).sqrt()
}

/// Returns `dot / (norm * sqrt(dim))`, the cosine of counts with a bipolar vector, or 0
/// when the counts are all zero.
#[must_use]
pub fn cosine(dot: i64, norm: f64, dim: usize) -> f64 {
    if norm == 0.0 {
        return 0.0;
    }
    dot as f64 / (norm * (dim as f64).sqrt())
}

/// The counts of a query as bit planes, for scoring against packed rows with popcounts.
///
/// With `u_i = count_i - offset >= 0` written in binary, plane `p` is bit `p` of every
/// `u_i`. The sum of `count_i` over the 1 bits of a row is then
/// `offset * popcount(row) + sum_p 2^p * popcount(plane_p AND row)`, and the bipolar dot
/// product is `sum(counts) - 2 * that sum`. An all-ones plane after the last one gives
/// `popcount(row)` in the same pass as the planes.
#[derive(Debug, Clone)]
pub struct BitPlanes {
    /// The planes, least significant first, then the all-ones plane.
    planes: Vec<u64>,
    n_words: usize,
    offset: i64,
    count_sum: i64,
    norm: f64,
}

impl BitPlanes {
    /// Slices `counts` (length a multiple of 64) into bit planes.
    #[must_use]
    pub fn new(counts: &[i32]) -> Self {
        let kernel = Kernel::detect();
        let n_words = counts.len() / WORD_BITS;
        let offset = counts.iter().copied().min().unwrap_or(0);
        // `count - offset` lies in [0, 2^32 - 1], so it fits in a `u32`.
        let shifted: Vec<u32> = counts.iter().map(|&c| c.wrapping_sub(offset) as u32).collect();
        let span = shifted.iter().copied().max().unwrap_or(0);
        let n_planes = (u32::BITS - span.leading_zeros()) as usize;
        let mut planes = vec![u64::MAX; (n_planes + 1) * n_words];
        for (p, plane) in planes.chunks_exact_mut(n_words.max(1)).take(n_planes).enumerate() {
            popcount::bit_plane(kernel, &shifted, p as u32, plane);
        }
        let count_sum = counts.iter().map(|&c| i64::from(c)).sum();
        Self { planes, n_words, offset: i64::from(offset), count_sum, norm: norm(counts) }
    }

    /// Returns the Euclidean norm of the counts.
    #[must_use]
    pub fn norm(&self) -> f64 {
        self.norm
    }

    /// Writes the bipolar dot product of the counts with each row of `rows`.
    pub fn dot_rows(&self, level: Level, rows: &[u64], out: &mut [i64]) {
        self.dot_rows_into(level.into(), rows, out, &mut Vec::new());
    }

    /// Writes the bipolar dot product of the counts with each row of `rows` into `out`,
    /// using `scratch` for the per-plane counts.
    pub fn dot_rows_into(&self, kernel: Kernel, rows: &[u64], out: &mut [i64], scratch: &mut Vec<i64>) {
        if self.n_words == 0 {
            return;
        }
        let n_rows = (rows.len() / self.n_words).min(out.len());
        scratch.resize(self.planes.len() / self.n_words * n_rows, 0);
        popcount::plane_dot_rows_with(
            kernel,
            &self.planes,
            self.n_words,
            self.offset,
            &rows[..n_rows * self.n_words],
            scratch,
            out,
        );
        for o in &mut out[..n_rows] {
            *o = self.count_sum.wrapping_sub(o.wrapping_mul(2));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Xoshiro256;

    fn random_words(seed: u64, n: usize) -> Vec<u64> {
        let mut rng = Xoshiro256::new(seed);
        (0..n).map(|_| rng.next_u64()).collect()
    }

    #[test]
    fn subtract_after_add_restores_counts() {
        let mut acc = Accumulator::new(128);
        acc.add(&random_words(1, 2), 3).unwrap();
        let before = acc.clone();
        let x = random_words(2, 2);
        acc.add(&x, 5).unwrap();
        acc.add(&x, -5).unwrap();
        assert_eq!(acc.counts(), before.counts());
    }

    #[test]
    fn threshold_of_one_vector_is_that_vector() {
        let x = random_words(3, 4);
        let mut acc = Accumulator::new(256);
        acc.add(&x, 1).unwrap();
        let mut out = vec![0u64; 4];
        acc.threshold_into(&[0u64; 4], &mut out).unwrap();
        assert_eq!(out, x);
    }

    #[test]
    fn ties_take_the_tie_break_bits() {
        let acc = Accumulator::new(64);
        let mut out = [0u64];
        acc.threshold_into(&[0xabcd], &mut out).unwrap();
        assert_eq!(out, [0xabcd]);
    }

    #[test]
    fn bit_planes_match_the_direct_dot() {
        let mut acc = Accumulator::new(192);
        for seed in 0..9 {
            acc.add(&random_words(seed, 3), (seed as i32 % 4) - 1).unwrap();
        }
        let rows = random_words(99, 3 * 11);
        let planes = BitPlanes::new(acc.counts());
        let mut out = vec![0i64; 11];
        planes.dot_rows(popcount::detect(), &rows, &mut out);
        for (i, row) in rows.chunks_exact(3).enumerate() {
            assert_eq!(out[i], acc.dot(row).unwrap());
        }
    }

    #[test]
    fn bind_and_permute_commute_with_accumulation() {
        let x = random_words(11, 2);
        let key = random_words(12, 2);
        let mut acc = Accumulator::new(128);
        acc.add(&x, 3).unwrap();
        let mut bound = vec![0u64; 2];
        crate::vector::bind_into(&x, &key, &mut bound);
        let mut rotated = vec![0u64; 2];
        crate::vector::permute_into(&bound, 5, &mut rotated);
        let mut expected = Accumulator::new(128);
        expected.add(&rotated, 3).unwrap();

        let mut step = vec![0i32; 128];
        bind_counts(acc.counts(), &key, &mut step);
        let mut out = vec![0i32; 128];
        permute_counts(&step, 5, &mut out);
        assert_eq!(out, expected.counts());
    }

    #[test]
    fn subtract_after_large_add_is_exact() {
        let mut acc = Accumulator::new(64);
        acc.add(&[0x0f0f], 1 << 30).unwrap();
        acc.add(&[0x0f0f], -(1 << 30)).unwrap();
        assert!(acc.counts().iter().all(|&c| c == 0));
        acc.add(&[0], i32::MAX).unwrap();
        acc.add(&[0], -1).unwrap();
        assert_eq!(acc.counts()[0], i32::MAX - 1);
    }

    #[test]
    fn norm_of_large_counts_does_not_wrap() {
        let counts = vec![i32::MAX; 8192];
        let expected = f64::from(i32::MAX) * (8192f64).sqrt();
        assert!((norm(&counts) - expected).abs() / expected < 1e-12);
    }

    #[test]
    fn overflow_is_an_error_and_changes_nothing() {
        let mut acc = Accumulator::new(64);
        acc.add(&[0], i32::MAX).unwrap();
        let before = acc.clone();
        assert_eq!(acc.add(&[0], 1), Err(Error::Overflow));
        assert_eq!(acc, before);
    }

    #[test]
    fn dimension_mismatch_is_reported() {
        let mut acc = Accumulator::new(128);
        assert_eq!(
            acc.add(&[0], 1),
            Err(Error::DimensionMismatch { expected: 128, found: 64 })
        );
    }
}
