//! Population-count kernels with run-time dispatch.
//!
//! The portable path uses `u64::count_ones`, which compiles to a slow bit-twiddling
//! sequence on the x86-64 baseline. On x86-64 the same loops are compiled a second time
//! with `popcnt` and `avx2` enabled (LLVM vectorises the popcount of AVX2 registers with
//! nibble lookups) and chosen once per call when the CPU has those features. Every path
//! returns the same integers; the tests compare them.

/// Which compiled variant a kernel call runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `count_ones` on the target's baseline instruction set.
    Portable,
    /// x86-64 with AVX2 and POPCNT.
    Avx2,
}

/// Returns the best level this CPU supports.
#[must_use]
pub fn detect() -> Level {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("popcnt") {
            return Level::Avx2;
        }
    }
    Level::Portable
}

#[inline(always)]
fn hamming_generic(a: &[u64], b: &[u64]) -> u64 {
    a.iter().zip(b).map(|(&x, &y)| u64::from((x ^ y).count_ones())).sum()
}

/// Hamming distances from `query` to each row of `rows`, written to `out`.
#[inline(always)]
fn hamming_rows_generic(query: &[u64], rows: &[u64], out: &mut [u32]) {
    let n_words = query.len();
    for (row, o) in rows.chunks_exact(n_words).zip(out.iter_mut()) {
        *o = hamming_generic(query, row) as u32;
    }
}

/// For each row, `offset * popcount(row) + sum_p 2^p * popcount(plane_p & row)`.
#[inline(always)]
fn plane_dot_rows_generic(
    planes: &[u64],
    n_words: usize,
    offset: i64,
    rows: &[u64],
    out: &mut [i64],
) {
    for (row, o) in rows.chunks_exact(n_words).zip(out.iter_mut()) {
        let ones: u64 = row.iter().map(|&y| u64::from(y.count_ones())).sum();
        let mut total = offset * ones as i64;
        for (p, plane) in planes.chunks_exact(n_words).enumerate() {
            let count: u64 =
                plane.iter().zip(row).map(|(&x, &y)| u64::from((x & y).count_ones())).sum();
            total += (count as i64) << p;
        }
        *o = total;
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    #[target_feature(enable = "avx2,popcnt")]
    pub(super) unsafe fn hamming(a: &[u64], b: &[u64]) -> u64 {
        super::hamming_generic(a, b)
    }

    #[target_feature(enable = "avx2,popcnt")]
    pub(super) unsafe fn hamming_rows(query: &[u64], rows: &[u64], out: &mut [u32]) {
        super::hamming_rows_generic(query, rows, out);
    }

    #[target_feature(enable = "avx2,popcnt")]
    pub(super) unsafe fn plane_dot_rows(
        planes: &[u64],
        n_words: usize,
        offset: i64,
        rows: &[u64],
        out: &mut [i64],
    ) {
        super::plane_dot_rows_generic(planes, n_words, offset, rows, out);
    }
}

/// Returns the Hamming distance of two equal-length word slices.
#[must_use]
pub fn hamming(a: &[u64], b: &[u64]) -> u64 {
    hamming_at(detect(), a, b)
}

/// [`hamming`] at a chosen level; a level the CPU lacks falls back to the portable one.
#[must_use]
pub fn hamming_at(level: Level, a: &[u64], b: &[u64]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if level == Level::Avx2 && detect() == Level::Avx2 {
        // SAFETY: the CPU supports AVX2 and POPCNT, checked just above.
        return unsafe { x86::hamming(a, b) };
    }
    let _ = level;
    hamming_generic(a, b)
}

/// Writes the Hamming distance from `query` to each `query.len()`-word row of `rows`.
pub fn hamming_rows(level: Level, query: &[u64], rows: &[u64], out: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    if level == Level::Avx2 && detect() == Level::Avx2 {
        // SAFETY: the CPU supports AVX2 and POPCNT, checked just above.
        unsafe { x86::hamming_rows(query, rows, out) };
        return;
    }
    let _ = level;
    hamming_rows_generic(query, rows, out);
}

/// Writes `offset * popcount(row) + sum_p 2^p * popcount(plane_p AND row)` for each row of
/// `n_words` words; `planes` holds whole bit planes of `n_words` words, least significant
/// first. With the planes of `count - offset`, this is the sum of `count` over the row's
/// 1 bits.
pub fn plane_dot_rows(
    level: Level,
    planes: &[u64],
    n_words: usize,
    offset: i64,
    rows: &[u64],
    out: &mut [i64],
) {
    #[cfg(target_arch = "x86_64")]
    if level == Level::Avx2 && detect() == Level::Avx2 {
        // SAFETY: the CPU supports AVX2 and POPCNT, checked just above.
        unsafe { x86::plane_dot_rows(planes, n_words, offset, rows, out) };
        return;
    }
    let _ = level;
    plane_dot_rows_generic(planes, n_words, offset, rows, out);
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
    fn every_level_matches_the_portable_path() {
        for n_words in [1usize, 2, 3, 7, 128, 129] {
            let query = random_words(1, n_words);
            let rows = random_words(2, n_words * 13);
            let mut portable = vec![0u32; 13];
            let mut best = vec![0u32; 13];
            hamming_rows(Level::Portable, &query, &rows, &mut portable);
            hamming_rows(detect(), &query, &rows, &mut best);
            assert_eq!(portable, best);
            for (i, row) in rows.chunks_exact(n_words).enumerate() {
                let naive: u32 = query.iter().zip(row).map(|(a, b)| (a ^ b).count_ones()).sum();
                assert_eq!(portable[i], naive);
            }

            let planes = random_words(3, n_words * 5);
            let mut plane_portable = vec![0i64; 13];
            let mut plane_best = vec![0i64; 13];
            plane_dot_rows(Level::Portable, &planes, n_words, -3, &rows, &mut plane_portable);
            plane_dot_rows(detect(), &planes, n_words, -3, &rows, &mut plane_best);
            assert_eq!(plane_portable, plane_best);
        }
    }
}
