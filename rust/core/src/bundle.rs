//! Bit-sliced counting of many packed vectors: majority bundles and equal-weight
//! accumulator sums without unpacking a single bit.
//!
//! The rows are counted one chunk of words at a time, across all rows, with the counter
//! kept in registers. Sixteen rows at a time pass through a tree of carry-save adders (the
//! Harley–Seal scheme). The tree keeps words of weight 1, 2, 4 and 8 across groups and
//! emits one word of weight 16 per group, which goes into a vertical counter of weight 16,
//! 32, 64 and so on. The number of 1 bits at each position then reads in binary across
//! the planes `[ones, twos, fours, eights, sixteens, …]`, because the four low words are
//! the remainder below 16. A carry-save adder costs five bitwise operations (two
//! `vpternlogq` with AVX-512), and there is about one adder per row.

// Kernels are generic helpers forced inline into `#[target_feature]` functions, which is
// what compiles them with that kernel's instructions.
#![allow(clippy::inline_always)]

use crate::error::{Error, Result};
use crate::popcount::{self, Kernel};
use crate::vector::{rows_in, WORD_BITS};

/// A register of bits that the counter processes in parallel: a word or a SIMD register.
trait Lanes: Copy {
    /// Words in one register.
    const WORDS: usize;

    /// Returns a register with every word equal to `word`.
    ///
    /// # Safety
    ///
    /// The CPU must support the instructions of the implementation, as for every method.
    unsafe fn splat(word: u64) -> Self;

    /// Loads `WORDS` words.
    ///
    /// # Safety
    ///
    /// `ptr` must be valid for reads of `WORDS` words.
    unsafe fn load(ptr: *const u64) -> Self;

    /// Stores `WORDS` words.
    ///
    /// # Safety
    ///
    /// `ptr` must be valid for writes of `WORDS` words.
    unsafe fn store(self, ptr: *mut u64);

    unsafe fn xor(self, other: Self) -> Self;
    unsafe fn and(self, other: Self) -> Self;
    unsafe fn or(self, other: Self) -> Self;

    /// Returns `self AND NOT other`.
    unsafe fn and_not(self, other: Self) -> Self;

    unsafe fn is_zero(self) -> bool;

    /// Returns `(carry, sum)` of the bitwise full adder of `a`, `b` and `c`.
    #[inline(always)]
    unsafe fn csa(a: Self, b: Self, c: Self) -> (Self, Self) {
        let u = a.xor(b);
        (a.and(b).or(u.and(c)), u.xor(c))
    }
}

impl Lanes for u64 {
    const WORDS: usize = 1;

    #[inline(always)]
    unsafe fn splat(word: u64) -> Self {
        word
    }

    #[inline(always)]
    unsafe fn load(ptr: *const u64) -> Self {
        *ptr
    }

    #[inline(always)]
    unsafe fn store(self, ptr: *mut u64) {
        *ptr = self;
    }

    #[inline(always)]
    unsafe fn xor(self, other: Self) -> Self {
        self ^ other
    }

    #[inline(always)]
    unsafe fn and(self, other: Self) -> Self {
        self & other
    }

    #[inline(always)]
    unsafe fn or(self, other: Self) -> Self {
        self | other
    }

    #[inline(always)]
    unsafe fn and_not(self, other: Self) -> Self {
        self & !other
    }

    #[inline(always)]
    unsafe fn is_zero(self) -> bool {
        self == 0
    }
}

/// `U` registers of one row, the unit the counter adds; several registers per chunk give
/// the processor independent work.
type Chunk<V, const U: usize> = [V; U];

#[inline(always)]
unsafe fn load_chunk<V: Lanes, const U: usize>(ptr: *const u64) -> Chunk<V, U> {
    let mut chunk = [V::splat(0); U];
    for (i, lanes) in chunk.iter_mut().enumerate() {
        *lanes = V::load(ptr.add(i * V::WORDS));
    }
    chunk
}

#[inline(always)]
unsafe fn store_chunk<V: Lanes, const U: usize>(chunk: &Chunk<V, U>, ptr: *mut u64) {
    for (i, lanes) in chunk.iter().enumerate() {
        lanes.store(ptr.add(i * V::WORDS));
    }
}

#[inline(always)]
unsafe fn csa_chunk<V: Lanes, const U: usize>(
    a: &Chunk<V, U>,
    b: &Chunk<V, U>,
    c: &Chunk<V, U>,
) -> (Chunk<V, U>, Chunk<V, U>) {
    let mut carry = *a;
    let mut sum = *a;
    for i in 0..U {
        (carry[i], sum[i]) = V::csa(a[i], b[i], c[i]);
    }
    (carry, sum)
}

/// Adds `x` with ripple carries into `planes`, returning the carry out of the last one.
#[inline(always)]
unsafe fn ripple<V: Lanes, const U: usize>(
    planes: &mut [Chunk<V, U>],
    mut x: Chunk<V, U>,
) -> Option<Chunk<V, U>> {
    for plane in planes {
        let mut any = false;
        for i in 0..U {
            let carry = plane[i].and(x[i]);
            plane[i] = plane[i].xor(x[i]);
            x[i] = carry;
            any |= !carry.is_zero();
        }
        if !any {
            return None;
        }
    }
    Some(x)
}

/// Vertical counter of the 1 bits of many rows over one chunk of words.
struct Counter<V: Lanes, const U: usize> {
    /// Words of weight 1, 2, 4 and 8.
    low: [Chunk<V, U>; 4],
    /// Planes of weight 16, 32, …, grown when a carry leaves the top plane.
    high: Vec<Chunk<V, U>>,
}

impl<V: Lanes, const U: usize> Counter<V, U> {
    /// Words in one chunk.
    const WORDS: usize = V::WORDS * U;

    unsafe fn new() -> Self {
        Self { low: [[V::splat(0); U]; 4], high: Vec::new() }
    }

    fn n_planes(&self) -> usize {
        4 + self.high.len()
    }

    fn plane(&self, p: usize) -> &Chunk<V, U> {
        if p < 4 {
            &self.low[p]
        } else {
            &self.high[p - 4]
        }
    }

    /// Adds `x`, a word of weight 16, to the count in `middle`, and moves that count to the
    /// high planes when `pending`, the number of words added to it, reaches 15.
    #[inline(always)]
    unsafe fn add_sixteens(
        &mut self,
        middle: &mut [Chunk<V, U>; 4],
        pending: &mut usize,
        mut x: Chunk<V, U>,
    ) {
        // No carry leaves the top plane, because the count is at most 15 before the move.
        for plane in middle.iter_mut() {
            for i in 0..U {
                let carry = plane[i].and(x[i]);
                plane[i] = plane[i].xor(x[i]);
                x[i] = carry;
            }
        }
        *pending += 1;
        if *pending == 15 {
            self.flush(middle);
            *pending = 0;
        }
    }

    /// Adds `middle`, a count of 0 to 15 words of weight 16 in four planes, into the high
    /// planes, and clears it.
    #[inline(always)]
    unsafe fn flush(&mut self, middle: &mut [Chunk<V, U>; 4]) {
        let zero = [V::splat(0); U];
        let mut carry = zero;
        let mut p = 0;
        loop {
            let addend = if p < 4 { middle[p] } else { zero };
            if p >= 4 && carry.iter().all(|x| x.is_zero()) {
                break;
            }
            if p == self.high.len() {
                self.high.push(zero);
            }
            let plane = &mut self.high[p];
            for i in 0..U {
                (carry[i], plane[i]) = V::csa(plane[i], addend[i], carry[i]);
            }
            p += 1;
        }
        *middle = [zero; 4];
    }

    /// Counts words `word..word + Self::WORDS` of every row of `rows` (rows of `n_words`
    /// words), replacing the previous count.
    ///
    /// # Safety
    ///
    /// `word + Self::WORDS` must not exceed `n_words`, `rows` must hold whole rows, and the
    /// CPU must support the instructions of `V`.
    #[inline(always)]
    unsafe fn count(&mut self, rows: &[u64], n_words: usize, word: usize) {
        self.high.clear();
        let n_rows = rows.len() / n_words;
        let base = rows.as_ptr().add(word);
        let row = |r: usize| base.add(r * n_words);
        let mut ones = [V::splat(0); U];
        let (mut twos, mut fours, mut eights) = (ones, ones, ones);
        // Words of weight 16 are first counted in four planes in registers and moved to
        // the high planes every 15 groups, before that count could overflow. A ripple
        // into the high planes at every group would cost more than the adder tree.
        let mut middle = [ones; 4];
        let mut pending = 0;
        let mut r = 0;
        while r + 16 <= n_rows {
            let (next, sixteens) = {
                let (twos_a, ones) = csa_chunk(&ones, &load_chunk(row(r)), &load_chunk(row(r + 1)));
                let (twos_b, ones) =
                    csa_chunk(&ones, &load_chunk(row(r + 2)), &load_chunk(row(r + 3)));
                let (fours_a, twos) = csa_chunk(&twos, &twos_a, &twos_b);
                let (twos_a, ones) =
                    csa_chunk(&ones, &load_chunk(row(r + 4)), &load_chunk(row(r + 5)));
                let (twos_b, ones) =
                    csa_chunk(&ones, &load_chunk(row(r + 6)), &load_chunk(row(r + 7)));
                let (fours_b, twos) = csa_chunk(&twos, &twos_a, &twos_b);
                let (eights_a, fours) = csa_chunk(&fours, &fours_a, &fours_b);
                let (twos_a, ones) =
                    csa_chunk(&ones, &load_chunk(row(r + 8)), &load_chunk(row(r + 9)));
                let (twos_b, ones) =
                    csa_chunk(&ones, &load_chunk(row(r + 10)), &load_chunk(row(r + 11)));
                let (fours_a, twos) = csa_chunk(&twos, &twos_a, &twos_b);
                let (twos_a, ones) =
                    csa_chunk(&ones, &load_chunk(row(r + 12)), &load_chunk(row(r + 13)));
                let (twos_b, ones) =
                    csa_chunk(&ones, &load_chunk(row(r + 14)), &load_chunk(row(r + 15)));
                let (fours_b, twos) = csa_chunk(&twos, &twos_a, &twos_b);
                let (eights_b, fours) = csa_chunk(&fours, &fours_a, &fours_b);
                let (sixteens, eights) = csa_chunk(&eights, &eights_a, &eights_b);
                ([ones, twos, fours, eights], sixteens)
            };
            [ones, twos, fours, eights] = next;
            self.add_sixteens(&mut middle, &mut pending, sixteens);
            r += 16;
        }
        self.low = [ones, twos, fours, eights];
        while r < n_rows {
            if let Some(sixteens) = ripple(&mut self.low, load_chunk(row(r))) {
                self.add_sixteens(&mut middle, &mut pending, sixteens);
            }
            r += 1;
        }
        if pending > 0 {
            self.flush(&mut middle);
        }
    }

    /// Writes the majority bits to `out`: 1 where more than half of `n_rows` rows have a
    /// 1, the bit of `tie_break` where exactly half do, 0 elsewhere.
    ///
    /// # Safety
    ///
    /// `tie_break` and `out` must be valid for `Self::WORDS` words.
    #[inline(always)]
    unsafe fn majority(&self, n_rows: usize, tie_break: *const u64, out: *mut u64) {
        let half = n_rows as u64 / 2;
        let n_planes = self.n_planes();
        // A half that needs more planes than the counter has exceeds every count.
        let reachable = half.checked_shr(n_planes as u32).unwrap_or(0) == 0;
        let mut greater = [V::splat(0); U];
        let mut equal = [V::splat(if reachable { !0 } else { 0 }); U];
        for p in (0..n_planes).rev() {
            let plane = self.plane(p);
            for i in 0..U {
                if (half >> p) & 1 == 1 {
                    equal[i] = equal[i].and(plane[i]);
                } else {
                    greater[i] = greater[i].or(equal[i].and(plane[i]));
                    equal[i] = equal[i].and_not(plane[i]);
                }
            }
        }
        // An odd number of rows cannot split evenly, so only an even one has ties.
        let ties: Chunk<V, U> =
            if n_rows.is_multiple_of(2) { load_chunk(tie_break) } else { [V::splat(0); U] };
        for i in 0..U {
            greater[i] = greater[i].or(equal[i].and(ties[i]));
        }
        store_chunk(&greater, out);
    }

    /// Adds `weight * (n_rows - 2 * ones)` to each of the `64 * Self::WORDS` counts,
    /// wrapping on overflow.
    #[inline(always)]
    unsafe fn add_to_counts(&self, kernel: Kernel, n_rows: usize, weight: i32, counts: &mut [i32]) {
        let base = weight.wrapping_mul(n_rows as i32);
        for c in counts.iter_mut() {
            *c = c.wrapping_add(base);
        }
        // A 1 in plane `p` stands for 2^p ones, each worth -2 * weight. Past plane 30
        // that value is 0 modulo 2^32, so the wrapping sums stay exact.
        let mut words = [0u64; 64];
        for p in 0..self.n_planes().min(31) {
            store_chunk(self.plane(p), words.as_mut_ptr());
            let value = weight.wrapping_mul(-2).wrapping_shl(p as u32);
            popcount::add_where(kernel, counts, &words[..Self::WORDS], value);
        }
    }
}

/// # Safety
///
/// `rows` must hold whole rows of `n_words` words, `tie_break` and `out` `n_words` words,
/// and the CPU must support the instructions of `V`.
#[inline(always)]
unsafe fn majority_generic<V: Lanes, const U: usize>(
    rows: &[u64],
    n_words: usize,
    tie_break: &[u64],
    out: &mut [u64],
) {
    let n_rows = rows.len() / n_words;
    let width = Counter::<V, U>::WORDS;
    let full = n_words / width * width;
    let mut counter = Counter::<V, U>::new();
    for word in (0..full).step_by(width) {
        counter.count(rows, n_words, word);
        counter.majority(n_rows, tie_break[word..].as_ptr(), out[word..].as_mut_ptr());
    }
    let mut single = Counter::<u64, 1>::new();
    for word in full..n_words {
        single.count(rows, n_words, word);
        single.majority(n_rows, tie_break[word..].as_ptr(), out[word..].as_mut_ptr());
    }
}

/// # Safety
///
/// `rows` must hold whole rows of `n_words` words, `counts` 64 counts per word, and the
/// CPU must support the instructions of `V`.
#[inline(always)]
unsafe fn add_counts_generic<V: Lanes, const U: usize>(
    kernel: Kernel,
    rows: &[u64],
    n_words: usize,
    weight: i32,
    counts: &mut [i32],
) {
    let n_rows = rows.len() / n_words;
    let width = Counter::<V, U>::WORDS;
    let full = n_words / width * width;
    let mut counter = Counter::<V, U>::new();
    for word in (0..full).step_by(width) {
        counter.count(rows, n_words, word);
        counter.add_to_counts(
            kernel,
            n_rows,
            weight,
            &mut counts[word * WORD_BITS..(word + width) * WORD_BITS],
        );
    }
    let mut single = Counter::<u64, 1>::new();
    for word in full..n_words {
        single.count(rows, n_words, word);
        single.add_to_counts(
            kernel,
            n_rows,
            weight,
            &mut counts[word * WORD_BITS..(word + 1) * WORD_BITS],
        );
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m256i, __m512i, _mm256_and_si256, _mm256_andnot_si256, _mm256_loadu_si256,
        _mm256_or_si256, _mm256_set1_epi64x, _mm256_storeu_si256, _mm256_testz_si256,
        _mm256_xor_si256, _mm512_and_si512, _mm512_andnot_si512, _mm512_loadu_si512,
        _mm512_or_si512, _mm512_set1_epi64, _mm512_storeu_si512, _mm512_ternarylogic_epi64,
        _mm512_test_epi64_mask, _mm512_xor_si512,
    };

    use super::{add_counts_generic, majority_generic, Kernel, Lanes};

    /// An AVX2 register of 4 words.
    #[derive(Clone, Copy)]
    struct Avx2Lanes(__m256i);

    impl Lanes for Avx2Lanes {
        const WORDS: usize = 4;

        #[inline(always)]
        unsafe fn splat(word: u64) -> Self {
            Self(_mm256_set1_epi64x(word as i64))
        }

        #[inline(always)]
        unsafe fn load(ptr: *const u64) -> Self {
            Self(_mm256_loadu_si256(ptr.cast()))
        }

        #[inline(always)]
        unsafe fn store(self, ptr: *mut u64) {
            _mm256_storeu_si256(ptr.cast(), self.0);
        }

        #[inline(always)]
        unsafe fn xor(self, other: Self) -> Self {
            Self(_mm256_xor_si256(self.0, other.0))
        }

        #[inline(always)]
        unsafe fn and(self, other: Self) -> Self {
            Self(_mm256_and_si256(self.0, other.0))
        }

        #[inline(always)]
        unsafe fn or(self, other: Self) -> Self {
            Self(_mm256_or_si256(self.0, other.0))
        }

        #[inline(always)]
        unsafe fn and_not(self, other: Self) -> Self {
            Self(_mm256_andnot_si256(other.0, self.0))
        }

        #[inline(always)]
        unsafe fn is_zero(self) -> bool {
            _mm256_testz_si256(self.0, self.0) == 1
        }
    }

    /// An AVX-512 register of 8 words; the full adder is two `vpternlogq`.
    #[derive(Clone, Copy)]
    struct Avx512Lanes(__m512i);

    impl Lanes for Avx512Lanes {
        const WORDS: usize = 8;

        #[inline(always)]
        unsafe fn splat(word: u64) -> Self {
            Self(_mm512_set1_epi64(word as i64))
        }

        #[inline(always)]
        unsafe fn load(ptr: *const u64) -> Self {
            Self(_mm512_loadu_si512(ptr.cast()))
        }

        #[inline(always)]
        unsafe fn store(self, ptr: *mut u64) {
            _mm512_storeu_si512(ptr.cast(), self.0);
        }

        #[inline(always)]
        unsafe fn xor(self, other: Self) -> Self {
            Self(_mm512_xor_si512(self.0, other.0))
        }

        #[inline(always)]
        unsafe fn and(self, other: Self) -> Self {
            Self(_mm512_and_si512(self.0, other.0))
        }

        #[inline(always)]
        unsafe fn or(self, other: Self) -> Self {
            Self(_mm512_or_si512(self.0, other.0))
        }

        #[inline(always)]
        unsafe fn and_not(self, other: Self) -> Self {
            Self(_mm512_andnot_si512(other.0, self.0))
        }

        #[inline(always)]
        unsafe fn is_zero(self) -> bool {
            _mm512_test_epi64_mask(self.0, self.0) == 0
        }

        #[inline(always)]
        unsafe fn csa(a: Self, b: Self, c: Self) -> (Self, Self) {
            // Truth tables over (a, b, c): 0xe8 is the majority, 0x96 the parity.
            (
                Self(_mm512_ternarylogic_epi64::<0xe8>(a.0, b.0, c.0)),
                Self(_mm512_ternarylogic_epi64::<0x96>(a.0, b.0, c.0)),
            )
        }
    }

    /// See [`super::bundle_majority`]; the caller checks the sizes.
    #[target_feature(enable = "avx512f,avx512vpopcntdq,avx2,popcnt")]
    pub(super) unsafe fn majority_avx512(
        rows: &[u64],
        n_words: usize,
        tie_break: &[u64],
        out: &mut [u64],
    ) {
        majority_generic::<Avx512Lanes, 2>(rows, n_words, tie_break, out);
    }

    /// See [`super::bundle_majority`]; the caller checks the sizes.
    #[target_feature(enable = "avx2,popcnt")]
    pub(super) unsafe fn majority_avx2(
        rows: &[u64],
        n_words: usize,
        tie_break: &[u64],
        out: &mut [u64],
    ) {
        majority_generic::<Avx2Lanes, 2>(rows, n_words, tie_break, out);
    }

    /// See [`super::add_rows_sliced`]; the caller checks the sizes.
    #[target_feature(enable = "avx512f,avx512vpopcntdq,avx2,popcnt")]
    pub(super) unsafe fn add_counts_avx512(
        rows: &[u64],
        n_words: usize,
        weight: i32,
        counts: &mut [i32],
    ) {
        add_counts_generic::<Avx512Lanes, 2>(Kernel::Avx512, rows, n_words, weight, counts);
    }

    /// See [`super::add_rows_sliced`]; the caller checks the sizes.
    #[target_feature(enable = "avx2,popcnt")]
    pub(super) unsafe fn add_counts_avx2(
        rows: &[u64],
        n_words: usize,
        weight: i32,
        counts: &mut [i32],
    ) {
        add_counts_generic::<Avx2Lanes, 2>(Kernel::Avx2, rows, n_words, weight, counts);
    }
}

/// Checks that `rows` is whole rows and that `tie_break` and `out` have `n_words`.
fn check_majority(rows: &[u64], n_words: usize, tie_break: &[u64], out: &[u64]) -> Result<()> {
    rows_in(rows, n_words)?;
    for found in [tie_break.len(), out.len()] {
        if found != n_words {
            return Err(Error::DimensionMismatch {
                expected: n_words * WORD_BITS,
                found: found * WORD_BITS,
            });
        }
    }
    Ok(())
}

/// Writes the majority bundle of `rows` (rows of `n_words` words) into `out`.
///
/// Bit `i` of `out` is 1 where more than half of the rows have bit `i` set, the bit of
/// `tie_break` where exactly half do, and 0 elsewhere. These are the same bits as adding
/// every row with weight 1 to an [`crate::Accumulator`] and thresholding it.
pub fn bundle_majority(
    rows: &[u64],
    n_words: usize,
    tie_break: &[u64],
    out: &mut [u64],
) -> Result<()> {
    bundle_majority_with(Kernel::detect(), rows, n_words, tie_break, out)
}

/// [`bundle_majority`] with a chosen kernel; one the CPU lacks runs the portable one.
pub fn bundle_majority_with(
    kernel: Kernel,
    rows: &[u64],
    n_words: usize,
    tie_break: &[u64],
    out: &mut [u64],
) -> Result<()> {
    check_majority(rows, n_words, tie_break, out)?;
    match kernel.or_portable() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `or_portable` checked that the CPU supports AVX-512 F and VPOPCNTDQ, and
        // the sizes were checked above.
        Kernel::Avx512 => unsafe { x86::majority_avx512(rows, n_words, tie_break, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `or_portable` checked that the CPU supports AVX2, and the sizes were
        // checked above.
        Kernel::Avx2 => unsafe { x86::majority_avx2(rows, n_words, tie_break, out) },
        // SAFETY: plain words need no CPU feature, and the sizes were checked above.
        _ => unsafe { majority_generic::<u64, 4>(rows, n_words, tie_break, out) },
    }
    Ok(())
}

/// Adds `weight` times the bipolar form of every row of `rows` to `counts`, wrapping on
/// overflow.
///
/// # Panics
///
/// Panics when `n_words` is zero, `rows` is not a whole number of rows, or `counts` does
/// not have 64 entries per word of a row; [`crate::Accumulator::add_many`] checks all of
/// them first.
pub(crate) fn add_rows_sliced(
    kernel: Kernel,
    rows: &[u64],
    n_words: usize,
    weight: i32,
    counts: &mut [i32],
) {
    assert!(n_words > 0, "n_words must be positive");
    assert!(rows.len().is_multiple_of(n_words), "rows must be whole rows");
    assert_eq!(counts.len(), n_words * WORD_BITS, "counts must have 64 per word");
    match kernel.or_portable() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `or_portable` checked that the CPU supports AVX-512 F and VPOPCNTDQ, and
        // the sizes were checked above.
        Kernel::Avx512 => unsafe { x86::add_counts_avx512(rows, n_words, weight, counts) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `or_portable` checked that the CPU supports AVX2, and the sizes were
        // checked above.
        Kernel::Avx2 => unsafe { x86::add_counts_avx2(rows, n_words, weight, counts) },
        // SAFETY: plain words need no CPU feature, and the sizes were checked above.
        _ => unsafe {
            add_counts_generic::<u64, 4>(Kernel::Portable, rows, n_words, weight, counts);
        },
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

    fn supported() -> Vec<Kernel> {
        Kernel::ALL.into_iter().filter(|k| k.is_supported()).collect()
    }

    /// Returns the majority by its per-bit definition: count the ones of each bit and
    /// compare with half.
    fn naive_majority(rows: &[u64], n_words: usize, tie_break: &[u64]) -> Vec<u64> {
        let n_rows = rows.len() / n_words;
        let mut out = vec![0u64; n_words];
        for (w, o) in out.iter_mut().enumerate() {
            for b in 0..64 {
                let ones = rows.chunks_exact(n_words).filter(|r| (r[w] >> b) & 1 == 1).count();
                let bit = match (2 * ones).cmp(&n_rows) {
                    std::cmp::Ordering::Greater => 1,
                    std::cmp::Ordering::Equal => (tie_break[w] >> b) & 1,
                    std::cmp::Ordering::Less => 0,
                };
                *o |= bit << b;
            }
        }
        out
    }

    #[test]
    fn majority_matches_the_per_bit_count() {
        // Row counts around the 16-row groups, odd and even; word counts around every
        // chunk width.
        for n_words in [1usize, 3, 4, 8, 9, 16, 17, 33, 128] {
            for n_rows in [0usize, 1, 2, 3, 15, 16, 17, 32, 33, 100, 257] {
                let rows = random_words(n_words as u64 * 1000 + n_rows as u64, n_rows * n_words);
                let tie = random_words(9, n_words);
                let expected = naive_majority(&rows, n_words, &tie);
                for kernel in supported() {
                    let mut out = vec![0u64; n_words];
                    bundle_majority_with(kernel, &rows, n_words, &tie, &mut out).unwrap();
                    assert_eq!(out, expected, "{kernel:?} n_words={n_words} n_rows={n_rows}");
                }
            }
        }
    }

    #[test]
    fn majority_of_skewed_rows_reaches_high_planes() {
        // Mostly-ones rows push carries into many planes; a few zero rows keep it close.
        let n_words = 17;
        for n_rows in [64usize, 1000, 1001] {
            let mut rows = vec![u64::MAX; n_rows * n_words];
            let half = n_rows / 2;
            for r in 0..half {
                rows[r * n_words..(r + 1) * n_words].fill(0);
            }
            rows[(n_rows - 1) * n_words] = 0x0f0f;
            let tie = random_words(3, n_words);
            let expected = naive_majority(&rows, n_words, &tie);
            for kernel in supported() {
                let mut out = vec![0u64; n_words];
                bundle_majority_with(kernel, &rows, n_words, &tie, &mut out).unwrap();
                assert_eq!(out, expected, "{kernel:?} n_rows={n_rows}");
            }
        }
    }

    #[test]
    fn sliced_sums_match_per_row_addition() {
        for n_words in [1usize, 5, 16, 20, 128] {
            for n_rows in [1usize, 7, 16, 31, 200] {
                for weight in [1i32, -3, 1 << 20] {
                    let rows = random_words(n_rows as u64 + 77, n_rows * n_words);
                    let start: Vec<i32> = random_words(5, n_words * 64)
                        .iter()
                        .map(|&w| (w % 201) as i32 - 100)
                        .collect();
                    let mut expected = start.clone();
                    for row in rows.chunks_exact(n_words) {
                        popcount::add_bipolar(Kernel::Portable, &mut expected, row, weight);
                    }
                    for kernel in supported() {
                        let mut counts = start.clone();
                        add_rows_sliced(kernel, &rows, n_words, weight, &mut counts);
                        assert_eq!(
                            counts, expected,
                            "{kernel:?} n_words={n_words} n_rows={n_rows} w={weight}"
                        );
                    }
                }
            }
        }
    }

    /// Prints the time of a majority bundle of 1,000 rows of 8192 bits on every kernel.
    /// Run with `cargo test -p scenefold-core --release bundle_speed -- --ignored --nocapture`.
    #[test]
    #[ignore = "a timing run, not a check"]
    fn bundle_speed() {
        let (n_rows, n_words) = (1000, 128);
        let rows = random_words(5, n_rows * n_words);
        let tie = random_words(6, n_words);
        let mut out = vec![0u64; n_words];
        for kernel in supported() {
            let mut times = Vec::new();
            for _ in 0..201 {
                let start = std::time::Instant::now();
                bundle_majority_with(kernel, &rows, n_words, &tie, &mut out).unwrap();
                times.push(start.elapsed().as_secs_f64());
            }
            times.sort_by(f64::total_cmp);
            let mut counts = vec![0i32; n_words * 64];
            let mut sliced = Vec::new();
            for _ in 0..201 {
                let start = std::time::Instant::now();
                add_rows_sliced(kernel, &rows, n_words, 1, &mut counts);
                sliced.push(start.elapsed().as_secs_f64());
            }
            sliced.sort_by(f64::total_cmp);
            eprintln!(
                "{kernel:?}: bundle_majority {:.1} us, add_rows_sliced {:.1} us (medians of 201)",
                times[100] * 1e6,
                sliced[100] * 1e6
            );
        }
    }

    #[test]
    fn majority_rejects_mismatched_sizes() {
        let mut out = vec![0u64; 2];
        assert_eq!(
            bundle_majority(&[0u64; 4], 2, &[0u64; 3], &mut out),
            Err(Error::DimensionMismatch { expected: 128, found: 192 })
        );
        assert_eq!(
            bundle_majority(&[0u64; 5], 2, &[0u64; 2], &mut out),
            Err(Error::RaggedBuffer { len: 5, n_words: 2 })
        );
    }
}
