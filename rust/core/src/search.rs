//! Exhaustive top-k search of a packed codebook, for bit queries and accumulator queries.
//!
//! Each (query, row) pair gets an integer cost, lower is better: the Hamming distance for
//! bits, the negated bipolar dot product for counts. Results are ordered by `(cost, row)`,
//! a strict total order, so ties go to the lower row and any split of the rows among
//! threads merges into the same result.
//!
//! The work is split into tasks of one group of queries by one chunk of rows, run on the
//! current rayon pool. A task walks its chunk in blocks of rows small enough to stay in
//! the L2 cache while every query of its group is scored against them, so a row is read
//! from memory once per group. Each query keeps its best `k` pairs in a bounded max-heap,
//! and a cost above the heap's worst is rejected with one comparison.

use std::collections::BinaryHeap;
use std::ops::Range;

use rayon::prelude::*;

use crate::accumulator::{cosine, BitPlanes};
use crate::error::{Error, Result};
use crate::popcount::{self, Combine, Kernel, Level};
use crate::vector::WORD_BITS;

/// Bytes of codebook rows scored as one block, small enough to stay in the L2 cache of
/// current x86-64 cores (256 KiB to 2 MiB) next to a group's queries.
const BLOCK_BYTES: usize = 128 * 1024;

/// Bytes of bit queries scored together against each block.
const GROUP_BYTES: usize = 64 * 1024;

/// Maximum number of queries in one group.
const MAX_GROUP: usize = 64;

/// Most costs a block may produce for one group, which bounds its scratch buffer.
const MAX_BLOCK_COSTS: usize = 32 * 1024;

/// Tasks per thread when the rows are split, so that uneven threads still finish together.
const TASKS_PER_THREAD: usize = 4;

/// The best `k` rows of each query: `scores` and `indices` of `n_queries * k` entries in
/// row-major order, best first, padded with `-inf` and `-1` when the codebook has fewer
/// than `k` rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Matches {
    /// Number of results per query.
    pub k: usize,
    /// Similarities in [-1, 1] (or `-inf` for padding).
    pub scores: Vec<f64>,
    /// Row indices (or `-1` for padding).
    pub indices: Vec<i64>,
}

/// A query batch ready to be scored against rows.
pub trait Scorer: Sync {
    /// Number of queries.
    fn n_queries(&self) -> usize;

    /// Number of queries worth scoring together against one block of rows.
    fn group_size(&self) -> usize {
        1
    }

    /// Writes the cost of each query in `queries` against each row of `rows` into `out`,
    /// query-major. The cost of query `queries.start + i` and row `r` goes to
    /// `out[i * n_rows + r]`, and `out` has at least `queries.len() * n_rows` entries.
    fn costs(&self, queries: Range<usize>, rows: &[u64], out: &mut [i64]);

    /// Converts a cost of query `q` into a similarity.
    fn similarity(&self, q: usize, cost: i64) -> f64;
}

/// Bit queries, scored by Hamming distance.
pub struct BitQueries<'a> {
    queries: &'a [u64],
    n_words: usize,
    kernel: Kernel,
}

impl<'a> BitQueries<'a> {
    /// Wraps `queries`, a whole number of rows of `n_words` words.
    pub fn new(queries: &'a [u64], n_words: usize) -> Result<Self> {
        crate::vector::rows_in(queries, n_words)?;
        Ok(Self { queries, n_words, kernel: Kernel::detect() })
    }

    /// Forces a popcount level, for testing every path.
    #[must_use]
    pub fn with_level(self, level: Level) -> Self {
        self.with_kernel(level.into())
    }

    /// Forces a kernel, for testing every path; one the CPU lacks runs the portable one.
    #[must_use]
    pub fn with_kernel(mut self, kernel: Kernel) -> Self {
        self.kernel = kernel;
        self
    }
}

impl Scorer for BitQueries<'_> {
    fn n_queries(&self) -> usize {
        self.queries.len() / self.n_words
    }

    fn group_size(&self) -> usize {
        (GROUP_BYTES / (self.n_words * 8)).clamp(1, MAX_GROUP)
    }

    fn costs(&self, queries: Range<usize>, rows: &[u64], out: &mut [i64]) {
        let group = &self.queries[queries.start * self.n_words..queries.end * self.n_words];
        popcount::popcount_block(self.kernel, Combine::Xor, group, rows, self.n_words, out);
    }

    fn similarity(&self, _q: usize, cost: i64) -> f64 {
        1.0 - 2.0 * cost as f64 / (self.n_words * WORD_BITS) as f64
    }
}

/// Accumulator queries, scored by the bipolar dot product through bit planes.
pub struct CountQueries {
    planes: Vec<BitPlanes>,
    dim: usize,
    kernel: Kernel,
}

impl CountQueries {
    /// Wraps `counts`, a whole number of rows of `dim` counts.
    pub fn new(counts: &[i32], dim: usize) -> Result<Self> {
        if dim == 0 || !dim.is_multiple_of(WORD_BITS) || !counts.len().is_multiple_of(dim) {
            return Err(Error::RaggedBuffer { len: counts.len(), n_words: dim / WORD_BITS });
        }
        let planes = counts.par_chunks_exact(dim).map(BitPlanes::new).collect();
        Ok(Self { planes, dim, kernel: Kernel::detect() })
    }

    /// Forces a popcount level, for testing every path.
    #[must_use]
    pub fn with_level(self, level: Level) -> Self {
        self.with_kernel(level.into())
    }

    /// Forces a kernel, for testing every path; one the CPU lacks runs the portable one.
    #[must_use]
    pub fn with_kernel(mut self, kernel: Kernel) -> Self {
        self.kernel = kernel;
        self
    }
}

impl Scorer for CountQueries {
    fn n_queries(&self) -> usize {
        self.planes.len()
    }

    fn costs(&self, queries: Range<usize>, rows: &[u64], out: &mut [i64]) {
        let n_rows = rows.len() / (self.dim / WORD_BITS);
        let mut scratch = Vec::new();
        for (i, q) in queries.enumerate() {
            let dots = &mut out[i * n_rows..(i + 1) * n_rows];
            self.planes[q].dot_rows_into(self.kernel, rows, dots, &mut scratch);
            for d in dots.iter_mut() {
                *d = d.wrapping_neg();
            }
        }
    }

    fn similarity(&self, q: usize, cost: i64) -> f64 {
        cosine(cost.wrapping_neg(), self.planes[q].norm(), self.dim)
    }
}

/// A bounded max-heap that keeps the `k` smallest `(cost, row)` pairs.
struct TopK {
    k: usize,
    heap: BinaryHeap<(i64, usize)>,
}

impl TopK {
    /// Returns an empty selection of `k` pairs, with room for `capacity` of them.
    fn new(k: usize, capacity: usize) -> Self {
        Self { k, heap: BinaryHeap::with_capacity(k.min(capacity)) }
    }

    fn push(&mut self, cost: i64, row: usize) {
        if self.heap.len() < self.k {
            self.heap.push((cost, row));
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if (cost, row) < *worst {
                *worst = (cost, row);
            }
        }
    }

    /// Offers the costs of consecutive rows starting at `first_row`.
    fn push_costs(&mut self, costs: &[i64], first_row: usize) {
        let mut rows = first_row..;
        let mut costs = costs.iter();
        while self.heap.len() < self.k {
            match (costs.next(), rows.next()) {
                (Some(&cost), Some(row)) => self.heap.push((cost, row)),
                _ => return,
            }
        }
        let Some(&(mut worst_cost, _)) = self.heap.peek() else { return };
        for (&cost, row) in costs.zip(rows) {
            // Most costs fail this one comparison; ties fall to `push`, which compares rows.
            if cost <= worst_cost {
                self.push(cost, row);
                worst_cost = self.heap.peek().map_or(i64::MAX, |w| w.0);
            }
        }
    }

    fn merge(mut self, other: TopK) -> TopK {
        for (cost, row) in other.heap {
            self.push(cost, row);
        }
        self
    }

    fn into_sorted(self) -> Vec<(i64, usize)> {
        self.heap.into_sorted_vec()
    }
}

/// The split of a search: queries into groups, rows into chunks, chunks into blocks.
#[derive(Debug, Clone, Copy)]
struct Plan {
    group: usize,
    n_groups: usize,
    chunk_rows: usize,
    n_chunks: usize,
    block_rows: usize,
}

impl Plan {
    fn new(n_rows: usize, n_queries: usize, n_words: usize, group: usize, threads: usize) -> Self {
        let group = group.clamp(1, n_queries.max(1));
        let n_groups = n_queries.div_ceil(group);
        let block_rows = (BLOCK_BYTES / (n_words * 8)).clamp(1, (MAX_BLOCK_COSTS / group).max(1));
        // Enough chunks to keep every thread busy, but none shorter than a block.
        let wanted = (threads * TASKS_PER_THREAD).div_ceil(n_groups.max(1));
        let n_chunks =
            if threads <= 1 { 1 } else { wanted.min(n_rows.div_ceil(block_rows)).max(1) };
        let chunk_rows = n_rows.div_ceil(n_chunks).max(1);
        let n_chunks = n_rows.div_ceil(chunk_rows).max(1);
        Self { group, n_groups, chunk_rows, n_chunks, block_rows }
    }
}

/// Scans rows `rows` of `db` for queries `queries` and returns one selection per query.
fn scan<S: Scorer>(
    scorer: &S,
    db: &[u64],
    n_words: usize,
    queries: Range<usize>,
    rows: Range<usize>,
    plan: &Plan,
    k: usize,
) -> Vec<TopK> {
    let mut tops: Vec<TopK> = queries.clone().map(|_| TopK::new(k, rows.len())).collect();
    let mut costs = vec![0i64; queries.len() * plan.block_rows.min(rows.len())];
    let mut start = rows.start;
    while start < rows.end {
        let end = (start + plan.block_rows).min(rows.end);
        let n = end - start;
        let block = &db[start * n_words..end * n_words];
        scorer.costs(queries.clone(), block, &mut costs[..queries.len() * n]);
        for (i, top) in tops.iter_mut().enumerate() {
            top.push_costs(&costs[i * n..(i + 1) * n], start);
        }
        start = end;
    }
    tops
}

/// Returns the top `k` rows of `db` (rows of `n_words` words) for every query of `scorer`.
pub fn top_k<S: Scorer>(db: &[u64], n_words: usize, scorer: &S, k: usize) -> Result<Matches> {
    if k == 0 {
        return Err(Error::InvalidK(k));
    }
    let n_rows = crate::vector::rows_in(db, n_words)?;
    let n_queries = scorer.n_queries();
    let threads = rayon::current_num_threads();
    let plan = Plan::new(n_rows, n_queries, n_words, scorer.group_size(), threads);

    // Task `t` scans group `t / n_chunks` over chunk `t % n_chunks`.
    let per_task: Vec<Vec<TopK>> = (0..plan.n_groups * plan.n_chunks)
        .into_par_iter()
        .map(|t| {
            let (g, c) = (t / plan.n_chunks, t % plan.n_chunks);
            let queries = g * plan.group..((g + 1) * plan.group).min(n_queries);
            let rows = (c * plan.chunk_rows).min(n_rows)..((c + 1) * plan.chunk_rows).min(n_rows);
            scan(scorer, db, n_words, queries, rows, &plan, k)
        })
        .collect();

    // Tasks come back in order, so the chunks of each group are consecutive.
    let mut per_task = per_task.into_iter();
    let mut tops: Vec<TopK> = Vec::with_capacity(n_queries);
    for _ in 0..plan.n_groups {
        let mut merged = per_task.next().unwrap_or_default();
        for _ in 1..plan.n_chunks {
            let next = per_task.next().unwrap_or_default();
            merged = merged.into_iter().zip(next).map(|(a, b)| a.merge(b)).collect();
        }
        tops.extend(merged);
    }

    let mut matches = Matches {
        k,
        scores: Vec::with_capacity(n_queries * k.min(n_rows.max(1))),
        indices: Vec::new(),
    };
    matches.indices.reserve(matches.scores.capacity());
    for (q, top) in tops.into_iter().enumerate() {
        let sorted = top.into_sorted();
        for &(cost, row) in &sorted {
            matches.scores.push(scorer.similarity(q, cost));
            matches.indices.push(row as i64);
        }
        for _ in sorted.len()..k {
            matches.scores.push(f64::NEG_INFINITY);
            matches.indices.push(-1);
        }
    }
    Ok(matches)
}

/// Returns the similarity of query `q` of `scorer` with every row of `db`.
pub fn all_scores<S: Scorer>(db: &[u64], n_words: usize, scorer: &S, q: usize) -> Result<Vec<f64>> {
    let n_rows = crate::vector::rows_in(db, n_words)?;
    let block = (BLOCK_BYTES / (n_words * 8)).max(1);
    let mut costs = vec![0i64; n_rows];
    costs
        .par_chunks_mut(block)
        .zip(db.par_chunks(block * n_words))
        .for_each(|(out, rows)| scorer.costs(q..q + 1, rows, out));
    Ok(costs.into_iter().map(|cost| scorer.similarity(q, cost)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accumulator::Accumulator;
    use crate::hash::Xoshiro256;

    fn random_words(seed: u64, n: usize) -> Vec<u64> {
        let mut rng = Xoshiro256::new(seed);
        (0..n).map(|_| rng.next_u64()).collect()
    }

    fn supported() -> Vec<Kernel> {
        Kernel::ALL.into_iter().filter(|k| k.is_supported()).collect()
    }

    fn brute_force(db: &[u64], query: &[u64], k: usize) -> Vec<i64> {
        let n_words = query.len();
        let mut all: Vec<(u32, usize)> = db
            .chunks_exact(n_words)
            .enumerate()
            .map(|(i, row)| (query.iter().zip(row).map(|(a, b)| (a ^ b).count_ones()).sum(), i))
            .collect();
        all.sort_unstable();
        all.iter().take(k).map(|&(_, i)| i as i64).collect()
    }

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
    }

    #[test]
    fn bit_search_matches_brute_force() {
        let n_words = 4;
        let db = random_words(5, 1000 * n_words);
        let queries = random_words(6, 70 * n_words);
        let mut results = Vec::new();
        for threads in [1, 2, 3] {
            let scorer = BitQueries::new(&queries, n_words).unwrap();
            results.push(pool(threads).install(|| top_k(&db, n_words, &scorer, 7).unwrap()));
            let single = BitQueries::new(&queries[..n_words], n_words).unwrap();
            let one = pool(threads).install(|| top_k(&db, n_words, &single, 7).unwrap());
            assert_eq!(one.indices, results[0].indices[..7].to_vec());
        }
        assert_eq!(results[0], results[1]);
        assert_eq!(results[0], results[2]);
        for q in 0..70 {
            let expected = brute_force(&db, &queries[q * n_words..(q + 1) * n_words], 7);
            assert_eq!(results[0].indices[q * 7..(q + 1) * 7], expected[..]);
        }
    }

    #[test]
    fn every_kernel_and_split_match() {
        // Dims run from 64 to 8256, and no row count is a multiple of a block, tile or
        // chunk. The query counts leave every remainder of the 4-query tiles.
        for (n_words, n_rows) in [(1usize, 3001usize), (3, 517), (9, 300), (128, 1001), (129, 130)]
        {
            let db = random_words(40 + n_words as u64, n_rows * n_words);
            // Duplicate rows force ties, which must go to the lower row.
            let mut db = db;
            db.copy_within(0..n_words, 77 * n_words);
            for n_queries in [1usize, 2, 5, 67] {
                let queries = random_words(50 + n_queries as u64, n_queries * n_words);
                let k = 5;
                let expected: Vec<i64> =
                    queries.chunks_exact(n_words).flat_map(|q| brute_force(&db, q, k)).collect();
                for kernel in supported() {
                    for threads in [1, 2, 3] {
                        let scorer =
                            BitQueries::new(&queries, n_words).unwrap().with_kernel(kernel);
                        let found =
                            pool(threads).install(|| top_k(&db, n_words, &scorer, k).unwrap());
                        assert_eq!(
                            found.indices, expected,
                            "{kernel:?} threads={threads} n_words={n_words} n_rows={n_rows} q={n_queries}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn ties_and_short_results() {
        let db = vec![5u64, 5, 5];
        let scorer = BitQueries::new(&[5u64], 1).unwrap();
        let found = top_k(&db, 1, &scorer, 5).unwrap();
        assert_eq!(found.indices, vec![0, 1, 2, -1, -1]);
        assert!((found.scores[0] - 1.0).abs() < 1e-12);
        assert!(found.scores[4].is_infinite());
        assert!(found.scores[4] < 0.0);
    }

    #[test]
    fn huge_k_pads_without_reserving() {
        let db = random_words(1, 10);
        let scorer = BitQueries::new(&db[..1], 1).unwrap();
        let found = top_k(&db, 1, &scorer, 1 << 20).unwrap();
        assert_eq!(found.indices.len(), 1 << 20);
        assert_eq!(found.indices[0], 0);
        assert_eq!(found.indices[10], -1);
    }

    #[test]
    fn empty_inputs_give_padding_only() {
        let scorer = BitQueries::new(&[1u64, 2], 2).unwrap();
        let found = top_k(&[], 2, &scorer, 2).unwrap();
        assert_eq!(found.indices, vec![-1, -1]);
        let none = BitQueries::new(&[], 2).unwrap();
        let found = top_k(&[1u64, 2], 2, &none, 2).unwrap();
        assert!(found.indices.is_empty());
    }

    #[test]
    fn count_search_ranks_bundled_items_first() {
        let n_words = 64;
        let db = random_words(8, 50 * n_words);
        let mut acc = Accumulator::new(n_words * WORD_BITS);
        for i in [3usize, 17, 41] {
            acc.add(&db[i * n_words..(i + 1) * n_words], 1).unwrap();
        }
        let scorer = CountQueries::new(acc.counts(), n_words * WORD_BITS).unwrap();
        let found = top_k(&db, n_words, &scorer, 3).unwrap();
        let mut top: Vec<i64> = found.indices.clone();
        top.sort_unstable();
        assert_eq!(top, vec![3, 17, 41]);
        let direct = acc.similarity(&db[3 * n_words..4 * n_words]).unwrap();
        let all = all_scores(&db, n_words, &scorer, 0).unwrap();
        assert!((all[3] - direct).abs() < 1e-12);
    }

    #[test]
    fn count_search_matches_direct_dot() {
        for (n_words, n_rows) in [(1usize, 257usize), (5, 131), (128, 150)] {
            let dim = n_words * WORD_BITS;
            let db = random_words(60 + n_words as u64, n_rows * n_words);
            let mut counts = Vec::new();
            for q in 0..3u64 {
                let mut acc = Accumulator::new(dim);
                for i in 0..(5 + 3 * q as usize) {
                    let weight = (i as i32 % 5) - 2;
                    acc.add(&db[i * n_words..(i + 1) * n_words], weight).unwrap();
                }
                counts.extend_from_slice(acc.counts());
            }
            let k = 4;
            let mut expected = Vec::new();
            for q in 0..3 {
                let acc = Accumulator::from_counts(counts[q * dim..(q + 1) * dim].to_vec());
                let mut ranked: Vec<(i64, usize)> = (0..n_rows)
                    .map(|r| (-acc.dot(&db[r * n_words..(r + 1) * n_words]).unwrap(), r))
                    .collect();
                ranked.sort_unstable();
                expected.extend(ranked.iter().take(k).map(|&(_, r)| r as i64));
            }
            for kernel in supported() {
                for threads in [1, 2] {
                    let scorer = CountQueries::new(&counts, dim).unwrap().with_kernel(kernel);
                    let found = pool(threads).install(|| top_k(&db, n_words, &scorer, k).unwrap());
                    assert_eq!(
                        found.indices, expected,
                        "{kernel:?} threads={threads} n_words={n_words}"
                    );
                }
            }
        }
    }

    #[test]
    fn zero_k_is_rejected() {
        let scorer = BitQueries::new(&[0u64], 1).unwrap();
        assert_eq!(top_k(&[0u64], 1, &scorer, 0), Err(Error::InvalidK(0)));
    }
}
