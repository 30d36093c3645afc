//! Transparent huge pages for large buffers that are scanned end to end.
//!
//! A scan of a 1 GiB codebook crosses 262,144 pages of 4 KiB, and the TLB misses lower
//! the single-query bandwidth. A 1M × 8192-bit top-10 scan on one thread of an AMD EPYC
//! (Zen 4) VM with 2 cores ran at 14–17 GB/s with 4 KiB pages and at 21–27 GB/s with
//! 2 MiB pages, in four runs of the `scan_speed_with_huge_pages` test below. Linux backs
//! memory with huge pages on request when transparent huge pages are in `madvise` mode,
//! a common default, and `numpy` requests them for its large arrays.

/// Bytes of one huge page on x86-64 Linux, and on most 64-bit Arm Linux systems.
pub const HUGE_PAGE_BYTES: usize = 2 << 20;

/// Returns an empty vector with room for `capacity` words whose memory the kernel is
/// asked to back with huge pages as it is first written.
///
/// Use it for buffers of several MiB that are filled once and scanned often, such as a
/// codebook's rows: allocate with this, then copy the rows in. Where the advice is
/// unavailable (other systems, transparent huge pages off) it is an ordinary vector.
#[must_use]
pub fn vec_with_huge_pages(capacity: usize) -> Vec<u64> {
    let words = Vec::with_capacity(capacity);
    advise_range(words.as_ptr() as usize, capacity * 8);
    words
}

/// Asks the kernel to back the whole huge pages inside `words` with huge pages when they
/// are next faulted in or compacted, and returns whether it accepted.
///
/// The contents do not change. Pages that are already in memory stay small until the
/// kernel's background compaction (`khugepaged`) merges them, so prefer
/// [`vec_with_huge_pages`] for new buffers.
#[must_use]
pub fn advise_huge_pages(words: &[u64]) -> bool {
    advise_range(words.as_ptr() as usize, std::mem::size_of_val(words))
}

/// Advises the whole huge pages inside `[start, start + len)`.
fn advise_range(start: usize, len: usize) -> bool {
    let first = start.next_multiple_of(HUGE_PAGE_BYTES);
    let last = (start + len) / HUGE_PAGE_BYTES * HUGE_PAGE_BYTES;
    if last <= first {
        return false;
    }
    advise(first, last - first)
}

#[cfg(target_os = "linux")]
fn advise(addr: usize, len: usize) -> bool {
    // SAFETY: callers pass a range inside one allocation, and `MADV_HUGEPAGE` changes
    // only how the kernel backs those pages, never their contents or their mapping.
    unsafe { libc::madvise(addr as *mut libc::c_void, len, libc::MADV_HUGEPAGE) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn advise(_addr: usize, _len: usize) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_keeps_the_contents() {
        let words: Vec<u64> = (0..(3 * HUGE_PAGE_BYTES / 8) as u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        let before = words.clone();
        let accepted = advise_huge_pages(&words);
        eprintln!("huge pages accepted: {accepted}");
        assert_eq!(words, before);
    }

    #[test]
    fn huge_page_vectors_are_ordinary_vectors() {
        let mut words = vec_with_huge_pages(HUGE_PAGE_BYTES / 4);
        assert!(words.is_empty());
        assert!(words.capacity() >= HUGE_PAGE_BYTES / 4);
        words.extend((0..1000u64).map(|i| i * 3));
        assert_eq!(words[999], 2997);
    }

    /// Times a single-query top-10 scan of 1M × 8192 bits in 4 KiB and in huge pages.
    /// Run with `cargo test -p scenefold-core --release scan_speed -- --ignored --nocapture`.
    #[test]
    #[ignore = "a 2 GiB timing run, not a check"]
    fn scan_speed_with_huge_pages() {
        use crate::search::{top_k, BitQueries};
        let (n_rows, n_words) = (1_000_000, 128);
        let mut rng = crate::hash::Xoshiro256::new(1);
        let mut small: Vec<u64> = Vec::with_capacity(n_rows * n_words);
        small.extend((0..n_rows * n_words).map(|_| rng.next_u64()));
        let mut huge = vec_with_huge_pages(small.len());
        huge.extend_from_slice(&small);
        let query = small[..n_words].to_vec();
        let scorer = BitQueries::new(&query, n_words).unwrap();
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let mut times = [Vec::new(), Vec::new()];
            for _ in 0..9 {
                for (t, rows) in times.iter_mut().zip([&small, &huge]) {
                    let start = std::time::Instant::now();
                    pool.install(|| top_k(rows, n_words, &scorer, 10).unwrap());
                    t.push(start.elapsed().as_secs_f64());
                }
            }
            let gb = (n_rows * n_words * 8) as f64 / 1e9;
            let [small_t, huge_t] = times.map(|mut t| {
                t.sort_by(f64::total_cmp);
                t[t.len() / 2]
            });
            eprintln!(
                "{threads} thread(s): 4 KiB pages {:.1} GB/s, huge pages {:.1} GB/s (medians of 9)",
                gb / small_t,
                gb / huge_t
            );
        }
    }

    #[test]
    fn small_buffers_are_left_alone() {
        assert!(!advise_huge_pages(&[1u64; 1024]));
        assert!(!advise_huge_pages(&[]));
    }
}
