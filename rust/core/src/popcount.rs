//! Population-count and count-lane kernels with run-time dispatch.
//!
//! Every kernel has three compiled variants, chosen per call by a [`Kernel`]:
//!
//! - [`Kernel::Avx512`]: AVX-512 with VPOPCNTDQ (`vpopcntq` on 512-bit registers, masked
//!   loads for tails, mask registers for count lanes);
//! - [`Kernel::Avx2`]: AVX2 with the nibble-lookup popcount (`vpshufb` on the low and high
//!   nibbles, byte sums folded into 64-bit lanes by `vpsadbw`);
//! - [`Kernel::Portable`]: `u64::count_ones` and plain loops on the target's baseline.
//!
//! Popcount kernels score tiles of up to 4 queries by 2 rows, so one load of a row chunk
//! serves every query of the tile. A single query goes one row at a time, which keeps its
//! scan of the rows in memory order. Every variant returns the same integers, and the
//! tests compare each one with the portable path.

// Kernels are generic helpers forced inline into `#[target_feature]` functions, which is
// what compiles them with that kernel's instructions.
#![allow(clippy::inline_always)]

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
mod portable;

use std::sync::OnceLock;

/// Environment variable that caps the kernel chosen at run time: `portable`, `avx2` or
/// `avx512`. The best kernel the CPU supports at or below the named one is used; any
/// other value is ignored.
pub const KERNEL_ENV: &str = "SCENEFOLD_SIMD";

/// A compiled variant of the kernels, ordered from the baseline up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kernel {
    /// Plain Rust on the target's baseline instruction set.
    Portable,
    /// x86-64 with AVX2 and POPCNT.
    Avx2,
    /// x86-64 with AVX-512 F and VPOPCNTDQ.
    Avx512,
}

impl Kernel {
    /// Every kernel, from the baseline up.
    pub const ALL: [Kernel; 3] = [Kernel::Portable, Kernel::Avx2, Kernel::Avx512];

    /// Returns the name used by [`KERNEL_ENV`]: `"portable"`, `"avx2"` or `"avx512"`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Portable => "portable",
            Kernel::Avx2 => "avx2",
            Kernel::Avx512 => "avx512",
        }
    }

    /// Returns whether this CPU can run the kernel.
    #[must_use]
    pub fn is_supported(self) -> bool {
        match self {
            Kernel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => {
                std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("popcnt")
            }
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => {
                Kernel::Avx2.is_supported()
                    && std::is_x86_feature_detected!("avx512f")
                    && std::is_x86_feature_detected!("avx512vpopcntdq")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Kernel::Avx2 | Kernel::Avx512 => false,
        }
    }

    /// Returns the best kernel this CPU supports, ignoring [`KERNEL_ENV`].
    #[must_use]
    pub fn best() -> Kernel {
        Self::best_at_most(Kernel::Avx512)
    }

    fn best_at_most(cap: Kernel) -> Kernel {
        Self::ALL
            .into_iter()
            .filter(|k| *k <= cap && k.is_supported())
            .max()
            .unwrap_or(Kernel::Portable)
    }

    /// Returns the kernel that searches and accumulators use: the best one this CPU
    /// supports, capped by [`KERNEL_ENV`] when it names a kernel. Read once per process.
    #[must_use]
    pub fn detect() -> Kernel {
        static DETECTED: OnceLock<Kernel> = OnceLock::new();
        *DETECTED.get_or_init(|| {
            let cap = std::env::var(KERNEL_ENV)
                .ok()
                .and_then(|v| {
                    Self::ALL.into_iter().find(|k| k.name() == v.trim().to_ascii_lowercase())
                })
                .unwrap_or(Kernel::Avx512);
            Self::best_at_most(cap)
        })
    }

    /// Returns `self` when the CPU supports it, else [`Kernel::Portable`].
    #[must_use]
    pub fn or_portable(self) -> Kernel {
        if self.is_supported() {
            self
        } else {
            Kernel::Portable
        }
    }
}

/// The instruction-set family of a kernel, kept for callers written before [`Kernel`].
///
/// `Avx2` stands for the x86-64 SIMD kernels: it runs [`Kernel::detect`] when that is
/// AVX2 or AVX-512, and the portable kernel otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `count_ones` on the target's baseline instruction set.
    Portable,
    /// x86-64 SIMD: AVX2, or AVX-512 VPOPCNTDQ where the CPU has it.
    Avx2,
}

impl From<Level> for Kernel {
    fn from(level: Level) -> Kernel {
        match (level, Kernel::detect()) {
            (Level::Avx2, detected @ (Kernel::Avx2 | Kernel::Avx512)) => detected,
            _ => Kernel::Portable,
        }
    }
}

/// Returns the family of [`Kernel::detect`].
#[must_use]
pub fn detect() -> Level {
    match Kernel::detect() {
        Kernel::Portable => Level::Portable,
        Kernel::Avx2 | Kernel::Avx512 => Level::Avx2,
    }
}

/// The operation that combines a query word with a row word before counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// `query XOR row`: the Hamming distance.
    Xor,
    /// `query AND row`: the number of shared 1 bits.
    And,
}

/// Output element of a popcount kernel.
pub trait Count: Copy + Send {
    /// Converts a bit count.
    fn from_count(count: u64) -> Self;
}

impl Count for u32 {
    #[inline(always)]
    fn from_count(count: u64) -> Self {
        count as u32
    }
}

impl Count for u64 {
    #[inline(always)]
    fn from_count(count: u64) -> Self {
        count
    }
}

impl Count for i64 {
    #[inline(always)]
    fn from_count(count: u64) -> Self {
        count as i64
    }
}

/// A tile kernel: the combined popcounts of `Q` queries against `R` rows.
pub(crate) trait Tiles {
    /// Returns `popcount(combine(query[q], row[r]))` summed over `n_words` words.
    ///
    /// # Safety
    ///
    /// Every pointer must be valid for reads of `n_words` words, and the CPU must support
    /// the instruction set of the implementation.
    unsafe fn tile<const XOR: bool, const Q: usize, const R: usize>(
        queries: &[*const u64; Q],
        rows: &[*const u64; R],
        n_words: usize,
    ) -> [[u64; R]; Q];
}

/// Scores queries `q0..q0 + Q` against every row, `R` rows per tile.
///
/// # Safety
///
/// `queries` and `rows` must be whole rows of `n_words` words, and `q0 + Q` must not
/// exceed the number of queries. `out` must have `n_queries * n_rows` elements, and the
/// CPU must support the instruction set of `T`.
#[inline(always)]
unsafe fn tile_pass<T: Tiles, const XOR: bool, O: Count, const Q: usize, const R: usize>(
    queries: &[u64],
    q0: usize,
    rows: &[u64],
    n_words: usize,
    out: &mut [O],
) {
    let n_rows = rows.len() / n_words;
    let mut query_ptrs = [std::ptr::null::<u64>(); Q];
    for (i, p) in query_ptrs.iter_mut().enumerate() {
        *p = queries[(q0 + i) * n_words..].as_ptr();
    }
    let mut r = 0;
    while r + R <= n_rows {
        let mut row_ptrs = [std::ptr::null::<u64>(); R];
        for (j, p) in row_ptrs.iter_mut().enumerate() {
            *p = rows[(r + j) * n_words..].as_ptr();
        }
        let counts = T::tile::<XOR, Q, R>(&query_ptrs, &row_ptrs, n_words);
        for (i, row_counts) in counts.iter().enumerate() {
            for (j, &c) in row_counts.iter().enumerate() {
                out[(q0 + i) * n_rows + r + j] = O::from_count(c);
            }
        }
        r += R;
    }
    while r < n_rows {
        let row_ptrs = [rows[r * n_words..].as_ptr()];
        let counts = T::tile::<XOR, Q, 1>(&query_ptrs, &row_ptrs, n_words);
        for (i, row_counts) in counts.iter().enumerate() {
            out[(q0 + i) * n_rows + r] = O::from_count(row_counts[0]);
        }
        r += 1;
    }
}

/// Writes `out[q * n_rows + r] = popcount(combine(query q, row r))` for every pair,
/// with tiles of up to 4 queries by 2 rows, and a single query one row at a time.
///
/// # Safety
///
/// As for [`tile_pass`], for every query.
#[inline(always)]
pub(crate) unsafe fn drive_block<T: Tiles, const XOR: bool, O: Count>(
    queries: &[u64],
    rows: &[u64],
    n_words: usize,
    out: &mut [O],
) {
    let n_queries = queries.len() / n_words;
    let mut q = 0;
    while q + 4 <= n_queries {
        tile_pass::<T, XOR, O, 4, 2>(queries, q, rows, n_words, out);
        q += 4;
    }
    match n_queries - q {
        3 => tile_pass::<T, XOR, O, 3, 2>(queries, q, rows, n_words, out),
        2 => tile_pass::<T, XOR, O, 2, 2>(queries, q, rows, n_words, out),
        1 => tile_pass::<T, XOR, O, 1, 1>(queries, q, rows, n_words, out),
        _ => {}
    }
}

/// Writes `out[q * n_rows + r] = popcount(combine(query q, row r))` for every query of
/// `queries` and row of `rows`, both rows of `n_words` words.
///
/// Words past the last whole row are ignored, and so are the rows past the first
/// `out.len() / n_queries`; `n_rows` is the number of rows scored. Nothing is written when
/// `n_words` is zero.
pub fn popcount_block<O: Count>(
    kernel: Kernel,
    combine: Combine,
    queries: &[u64],
    rows: &[u64],
    n_words: usize,
    out: &mut [O],
) {
    if n_words == 0 {
        return;
    }
    let n_queries = queries.len() / n_words;
    let n_rows = (rows.len() / n_words).min(out.len().checked_div(n_queries).unwrap_or(0));
    let (queries, rows) = (&queries[..n_queries * n_words], &rows[..n_rows * n_words]);
    let xor = combine == Combine::Xor;
    match kernel.or_portable() {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512 => {
            // SAFETY: `or_portable` checked that the CPU supports AVX-512 F and VPOPCNTDQ,
            // and the slices were trimmed to whole rows that fit `out` above.
            unsafe {
                if xor {
                    avx512::popcount_block::<true, O>(queries, rows, n_words, out);
                } else {
                    avx512::popcount_block::<false, O>(queries, rows, n_words, out);
                }
            }
        }
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2 => {
            // SAFETY: `or_portable` checked that the CPU supports AVX2 and POPCNT, and the
            // slices were trimmed to whole rows that fit `out` above.
            unsafe {
                if xor {
                    avx2::popcount_block::<true, O>(queries, rows, n_words, out);
                } else {
                    avx2::popcount_block::<false, O>(queries, rows, n_words, out);
                }
            }
        }
        _ => {
            // SAFETY: the portable tiles need no CPU feature, and the slices were trimmed
            // to whole rows that fit `out` above.
            unsafe {
                if xor {
                    drive_block::<portable::Portable, true, O>(queries, rows, n_words, out);
                } else {
                    drive_block::<portable::Portable, false, O>(queries, rows, n_words, out);
                }
            }
        }
    }
}

/// Returns the Hamming distance of two equal-length word slices.
#[must_use]
pub fn hamming(a: &[u64], b: &[u64]) -> u64 {
    hamming_with(Kernel::detect(), a, b)
}

/// [`hamming`] with a chosen kernel; a kernel the CPU lacks falls back to the portable one.
#[must_use]
pub fn hamming_with(kernel: Kernel, a: &[u64], b: &[u64]) -> u64 {
    let n = a.len().min(b.len());
    if n == 0 {
        return 0;
    }
    let mut out = [0u64; 1];
    popcount_block(kernel, Combine::Xor, &a[..n], &b[..n], n, &mut out);
    out[0]
}

/// [`hamming`] at a chosen level; a level the CPU lacks falls back to the portable one.
#[must_use]
pub fn hamming_at(level: Level, a: &[u64], b: &[u64]) -> u64 {
    hamming_with(level.into(), a, b)
}

/// Writes the Hamming distance from `query` to each `query.len()`-word row of `rows`.
pub fn hamming_rows(level: Level, query: &[u64], rows: &[u64], out: &mut [u32]) {
    if query.is_empty() {
        return;
    }
    let n_rows = (rows.len() / query.len()).min(out.len());
    let rows = &rows[..n_rows * query.len()];
    popcount_block(level.into(), Combine::Xor, query, rows, query.len(), out);
}

/// Writes `offset * popcount(row) + sum_p 2^p * popcount(plane_p AND row)` for each row of
/// `n_words` words. `planes` is whole bit planes of `n_words` words, least significant
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
    if n_words == 0 {
        return;
    }
    let mut with_ones = planes.to_vec();
    with_ones.resize(planes.len() + n_words, u64::MAX);
    let n_rows = (rows.len() / n_words).min(out.len());
    let mut counts = vec![0i64; with_ones.len() / n_words * n_rows];
    plane_dot_rows_with(
        level.into(),
        &with_ones,
        n_words,
        offset,
        &rows[..n_rows * n_words],
        &mut counts,
        out,
    );
}

/// [`plane_dot_rows`] with the all-ones plane already appended to `planes` and a scratch
/// buffer `counts` of `n_planes_with_ones * n_rows` entries.
pub(crate) fn plane_dot_rows_with(
    kernel: Kernel,
    planes_with_ones: &[u64],
    n_words: usize,
    offset: i64,
    rows: &[u64],
    counts: &mut [i64],
    out: &mut [i64],
) {
    let n_rows = rows.len() / n_words;
    let n_planes = planes_with_ones.len() / n_words - 1;
    popcount_block(kernel, Combine::And, planes_with_ones, rows, n_words, counts);
    let ones = &counts[n_planes * n_rows..(n_planes + 1) * n_rows];
    for (r, o) in out[..n_rows].iter_mut().enumerate() {
        *o = offset.wrapping_mul(ones[r]);
    }
    for p in 0..n_planes {
        let plane_counts = &counts[p * n_rows..(p + 1) * n_rows];
        for (o, &c) in out[..n_rows].iter_mut().zip(plane_counts) {
            *o = o.wrapping_add(c << p);
        }
    }
}

/// Adds `weight` to each count whose bit of `bits` is 0 and subtracts it where the bit is
/// 1, wrapping on overflow. `counts` has 64 entries per word of `bits`.
pub fn add_bipolar(kernel: Kernel, counts: &mut [i32], bits: &[u64], weight: i32) {
    let counts = lanes_for(counts, bits);
    match kernel.or_portable() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `or_portable` checked that the CPU supports the kernel's features, and
        // `lanes_for` trimmed `counts` to 64 entries per word of `bits`.
        Kernel::Avx512 => unsafe { avx512::add_bipolar(counts, bits, weight) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Kernel::Avx2 => unsafe { avx2::add_bipolar(counts, bits, weight) },
        _ => portable::add_bipolar(counts, bits, weight),
    }
}

/// Adds `value` to each count whose bit of `bits` is 1, wrapping on overflow.
pub fn add_where(kernel: Kernel, counts: &mut [i32], bits: &[u64], value: i32) {
    let counts = lanes_for(counts, bits);
    match kernel.or_portable() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `or_portable` checked that the CPU supports the kernel's features, and
        // `lanes_for` trimmed `counts` to 64 entries per word of `bits`.
        Kernel::Avx512 => unsafe { avx512::add_where(counts, bits, value) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Kernel::Avx2 => unsafe { avx2::add_where(counts, bits, value) },
        _ => portable::add_where(counts, bits, value),
    }
}

/// Writes the thresholded bits of `counts`: 1 for a negative count, 0 for a positive one,
/// the bit of `tie_break` for zero.
pub fn threshold(kernel: Kernel, counts: &[i32], tie_break: &[u64], out: &mut [u64]) {
    let n = out.len().min(tie_break.len()).min(counts.len() / 64);
    let (counts, tie_break, out) = (&counts[..n * 64], &tie_break[..n], &mut out[..n]);
    match kernel.or_portable() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `or_portable` checked that the CPU supports the kernel's features, and
        // every slice was trimmed to `n` words above.
        Kernel::Avx512 => unsafe { avx512::threshold(counts, tie_break, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Kernel::Avx2 => unsafe { avx2::threshold(counts, tie_break, out) },
        _ => portable::threshold(counts, tie_break, out),
    }
}

/// Returns `sum_i counts_i * bipolar(bits)_i`, the bit 1 standing for -1.
#[must_use]
pub fn dot_bipolar(kernel: Kernel, counts: &[i32], bits: &[u64]) -> i64 {
    let n = bits.len().min(counts.len() / 64);
    let (counts, bits) = (&counts[..n * 64], &bits[..n]);
    match kernel.or_portable() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `or_portable` checked that the CPU supports the kernel's features.
        Kernel::Avx512 => unsafe { avx512::dot_bipolar(counts, bits) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Kernel::Avx2 => unsafe { avx2::dot_bipolar(counts, bits) },
        _ => portable::dot_bipolar(counts, bits),
    }
}

/// Writes `counts` with the sign of each count flipped where its bit of `bits` is 1,
/// wrapping `i32::MIN` onto itself.
pub fn negate_where(kernel: Kernel, counts: &[i32], bits: &[u64], out: &mut [i32]) {
    let n = bits.len().min(counts.len() / 64).min(out.len() / 64);
    let (counts, bits, out) = (&counts[..n * 64], &bits[..n], &mut out[..n * 64]);
    match kernel.or_portable() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `or_portable` checked that the CPU supports the kernel's features.
        Kernel::Avx512 => unsafe { avx512::negate_where(counts, bits, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Kernel::Avx2 => unsafe { avx2::negate_where(counts, bits, out) },
        _ => portable::negate_where(counts, bits, out),
    }
}

/// Writes bit plane `p` of `values`: bit `i` of `out` is bit `p` of `values[i]`, and 0
/// for `p >= 32`. `values` has 64 entries per word of `out`.
pub fn bit_plane(kernel: Kernel, values: &[u32], p: u32, out: &mut [u64]) {
    let n = out.len().min(values.len() / 64);
    let (values, out) = (&values[..n * 64], &mut out[..n]);
    if p >= u32::BITS {
        out.fill(0);
        return;
    }
    match kernel.or_portable() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `or_portable` checked that the CPU supports the kernel's features.
        Kernel::Avx512 => unsafe { avx512::bit_plane(values, p, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Kernel::Avx2 => unsafe { avx2::bit_plane(values, p, out) },
        _ => portable::bit_plane(values, p, out),
    }
}

/// Trims `counts` to 64 entries per word of `bits`, or `bits` to whole words of `counts`.
fn lanes_for<'a>(counts: &'a mut [i32], bits: &[u64]) -> &'a mut [i32] {
    let n = bits.len().min(counts.len() / 64);
    &mut counts[..n * 64]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Xoshiro256;

    fn random_words(seed: u64, n: usize) -> Vec<u64> {
        let mut rng = Xoshiro256::new(seed);
        (0..n).map(|_| rng.next_u64()).collect()
    }

    fn random_counts(seed: u64, n: usize, span: i32) -> Vec<i32> {
        let mut rng = Xoshiro256::new(seed);
        (0..n).map(|_| (rng.next_u64() % (2 * span as u64 + 1)) as i32 - span).collect()
    }

    fn supported() -> Vec<Kernel> {
        Kernel::ALL.into_iter().filter(|k| k.is_supported()).collect()
    }

    /// Word counts that hit every tail length of 4- and 8-word vectors, and 128 (dim 8192).
    const N_WORDS: [usize; 12] = [1, 2, 3, 4, 5, 7, 8, 9, 15, 17, 128, 131];

    fn naive_block(combine: Combine, queries: &[u64], rows: &[u64], n_words: usize) -> Vec<u64> {
        let mut out = Vec::new();
        for q in queries.chunks_exact(n_words) {
            for r in rows.chunks_exact(n_words) {
                let count: u32 = q
                    .iter()
                    .zip(r)
                    .map(|(&a, &b)| match combine {
                        Combine::Xor => (a ^ b).count_ones(),
                        Combine::And => (a & b).count_ones(),
                    })
                    .sum();
                out.push(u64::from(count));
            }
        }
        out
    }

    #[test]
    fn every_kernel_runs_on_this_machine() {
        eprintln!("supported kernels: {:?}", supported());
        assert!(supported().contains(&Kernel::Portable));
        assert!(Kernel::detect().is_supported());
        assert!(Kernel::best() >= Kernel::detect());
    }

    #[test]
    fn popcount_blocks_match_the_naive_count() {
        for n_words in N_WORDS {
            // 1 to 9 queries cover the 4-query tiles and every remainder; 13 rows cover
            // the row remainders of 2- and 4-row tiles.
            for n_queries in [1usize, 2, 3, 4, 5, 6, 7, 9] {
                let queries =
                    random_words(n_words as u64 * 31 + n_queries as u64, n_queries * n_words);
                let rows = random_words(7 + n_words as u64, 13 * n_words);
                for combine in [Combine::Xor, Combine::And] {
                    let expected = naive_block(combine, &queries, &rows, n_words);
                    for kernel in supported() {
                        let mut out = vec![0u64; n_queries * 13];
                        popcount_block(kernel, combine, &queries, &rows, n_words, &mut out);
                        assert_eq!(
                            out, expected,
                            "{kernel:?} {combine:?} n_words={n_words} q={n_queries}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn popcount_handles_extreme_words() {
        for n_words in [1usize, 8, 33] {
            let ones = vec![u64::MAX; n_words];
            let zeros = vec![0u64; n_words];
            for kernel in supported() {
                assert_eq!(hamming_with(kernel, &ones, &zeros), 64 * n_words as u64);
                assert_eq!(hamming_with(kernel, &ones, &ones), 0);
            }
        }
        // 300 all-ones words exercise the byte counters of the AVX2 kernel past 31 chunks.
        let ones = vec![u64::MAX; 300];
        for kernel in supported() {
            let mut out = vec![0u32; 1];
            popcount_block(kernel, Combine::And, &ones, &ones, 300, &mut out);
            assert_eq!(out[0], 300 * 64, "{kernel:?}");
        }
    }

    #[test]
    fn level_wrappers_match_the_naive_count() {
        for n_words in [1usize, 3, 128, 129] {
            let query = random_words(1, n_words);
            let rows = random_words(2, n_words * 13);
            let expected = naive_block(Combine::Xor, &query, &rows, n_words);
            for level in [Level::Portable, Level::Avx2] {
                let mut out = vec![0u32; 13];
                hamming_rows(level, &query, &rows, &mut out);
                let widened: Vec<u64> = out.iter().map(|&d| u64::from(d)).collect();
                assert_eq!(widened, expected);
                assert_eq!(hamming_at(level, &query, &rows[..n_words]), expected[0]);
            }
        }
    }

    #[test]
    fn plane_dot_matches_the_definition() {
        for n_words in [1usize, 3, 9, 128] {
            let planes = random_words(3, n_words * 5);
            let rows = random_words(4, n_words * 11);
            for level in [Level::Portable, Level::Avx2] {
                let mut out = vec![0i64; 11];
                plane_dot_rows(level, &planes, n_words, -3, &rows, &mut out);
                for (r, row) in rows.chunks_exact(n_words).enumerate() {
                    let ones: i64 = row.iter().map(|w| i64::from(w.count_ones())).sum();
                    let mut expected = -3 * ones;
                    for (p, plane) in planes.chunks_exact(n_words).enumerate() {
                        let c: i64 = plane
                            .iter()
                            .zip(row)
                            .map(|(a, b)| i64::from((a & b).count_ones()))
                            .sum();
                        expected += c << p;
                    }
                    assert_eq!(out[r], expected, "{level:?} n_words={n_words} row={r}");
                }
            }
        }
    }

    #[test]
    fn count_lane_kernels_match_the_portable_ones() {
        for n_words in [1usize, 2, 5, 128] {
            let bits = random_words(10 + n_words as u64, n_words);
            let tie = random_words(20 + n_words as u64, n_words);
            let mut counts = random_counts(30, n_words * 64, 3);
            counts[0] = i32::MIN;
            counts[1] = i32::MAX;
            for weight in [1, -7, i32::MAX] {
                let mut expected = counts.clone();
                portable::add_bipolar(&mut expected, &bits, weight);
                let mut where_expected = counts.clone();
                portable::add_where(&mut where_expected, &bits, weight);
                for kernel in supported() {
                    let mut got = counts.clone();
                    add_bipolar(kernel, &mut got, &bits, weight);
                    assert_eq!(got, expected, "add_bipolar {kernel:?}");
                    let mut got = counts.clone();
                    add_where(kernel, &mut got, &bits, weight);
                    assert_eq!(got, where_expected, "add_where {kernel:?}");
                }
            }
            let mut expected = vec![0u64; n_words];
            portable::threshold(&counts, &tie, &mut expected);
            let negated_expected = {
                let mut out = vec![0i32; n_words * 64];
                portable::negate_where(&counts, &bits, &mut out);
                out
            };
            let unsigned: Vec<u32> = counts.iter().map(|&c| c as u32).collect();
            for kernel in supported() {
                let mut out = vec![0u64; n_words];
                threshold(kernel, &counts, &tie, &mut out);
                assert_eq!(out, expected, "threshold {kernel:?}");
                assert_eq!(
                    dot_bipolar(kernel, &counts, &bits),
                    portable::dot_bipolar(&counts, &bits)
                );
                let mut out = vec![0i32; n_words * 64];
                negate_where(kernel, &counts, &bits, &mut out);
                assert_eq!(out, negated_expected, "negate_where {kernel:?}");
                for p in [0u32, 1, 5, 31] {
                    let mut plane = vec![0u64; n_words];
                    bit_plane(kernel, &unsigned, p, &mut plane);
                    let mut expected_plane = vec![0u64; n_words];
                    portable::bit_plane(&unsigned, p, &mut expected_plane);
                    assert_eq!(plane, expected_plane, "bit_plane {kernel:?} p={p}");
                }
            }
        }
    }

    /// Prints the in-cache throughput of every kernel: 64 queries and 1 query against
    /// 128 rows of 8192 bits. Run with
    /// `cargo test -p scenefold-core --release kernel_throughput -- --ignored --nocapture`.
    #[test]
    #[ignore = "a timing run, not a check"]
    fn kernel_throughput() {
        let n_words = 128;
        let queries = random_words(1, 64 * n_words);
        let rows = random_words(2, 128 * n_words);
        let mut out = vec![0i64; 64 * 128];
        for kernel in supported() {
            for n_queries in [64usize, 4, 1] {
                let q = &queries[..n_queries * n_words];
                let mut times = Vec::new();
                for _ in 0..15 {
                    let start = std::time::Instant::now();
                    for _ in 0..20 {
                        popcount_block(kernel, Combine::Xor, q, &rows, n_words, &mut out);
                    }
                    times.push(start.elapsed().as_secs_f64() / 20.0);
                }
                times.sort_by(f64::total_cmp);
                let pair_bytes = (n_queries * rows.len() * 8) as f64;
                eprintln!(
                    "{kernel:?}, {n_queries} queries x 128 rows: {:.1} GB/s of query-row pairs (median of 15)",
                    pair_bytes / times[7] / 1e9
                );
            }
        }
    }

    #[test]
    fn portable_count_lanes_follow_their_definitions() {
        let bits = [0b1011u64];
        let mut counts = vec![5i32; 64];
        counts[3] = i32::MIN;
        let original = counts.clone();
        portable::add_bipolar(&mut counts, &bits, 2);
        assert_eq!(&counts[..5], &[3, 3, 7, i32::MIN.wrapping_sub(2), 7]);
        let mut out = vec![0i32; 64];
        portable::negate_where(&original, &bits, &mut out);
        assert_eq!(&out[..5], &[-5, -5, 5, i32::MIN, 5]);
        let mut ties = [0u64];
        let mut lanes = vec![1i32; 64];
        lanes[0] = -1;
        lanes[1] = 0;
        portable::threshold(&lanes, &[!0u64], &mut ties);
        assert_eq!(ties[0], 0b11);
        assert_eq!(portable::dot_bipolar(&original[..64], &[0]), 5 * 63 + i64::from(i32::MIN));
    }
}
