//! Exhaustive top-k search of a packed codebook, for bit queries and accumulator queries.
//!
//! Each (query, row) pair gets an integer cost, lower is better: the Hamming distance for
//! bits, the negated bipolar dot product for counts. Results are ordered by `(cost, row)`,
//! a strict total order, so ties go to the lower row and any split of the rows among
//! threads merges into the same answer. Batches are scanned in blocks of rows small enough
//! to stay in cache while every query of a thread's share is scored against them.

use std::collections::BinaryHeap;

use rayon::prelude::*;

use crate::accumulator::{cosine, BitPlanes};
use crate::error::{Error, Result};
use crate::popcount::{self, Level};
use crate::vector::WORD_BITS;

/// Bytes of codebook rows scanned as one block, about half an L2 cache.
const BLOCK_BYTES: usize = 256 * 1024;

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
    /// Writes the cost of query `q` against each row of `rows`.
    fn costs(&self, q: usize, rows: &[u64], out: &mut [i64]);
    /// Converts a cost of query `q` into a similarity.
    fn similarity(&self, q: usize, cost: i64) -> f64;
}

/// Bit queries, scored by Hamming distance.
pub struct BitQueries<'a> {
    queries: &'a [u64],
    n_words: usize,
    level: Level,
}

impl<'a> BitQueries<'a> {
    /// Wraps `queries`, a whole number of rows of `n_words` words.
    pub fn new(queries: &'a [u64], n_words: usize) -> Result<Self> {
        crate::vector::rows_in(queries, n_words)?;
        Ok(Self { queries, n_words, level: popcount::detect() })
    }

    /// Forces a popcount level, for testing every path.
    #[must_use]
    pub fn with_level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }
}

impl Scorer for BitQueries<'_> {
    fn n_queries(&self) -> usize {
        self.queries.len() / self.n_words
    }

    fn costs(&self, q: usize, rows: &[u64], out: &mut [i64]) {
        let query = &self.queries[q * self.n_words..(q + 1) * self.n_words];
        let mut distances = vec![0u32; out.len()];
        popcount::hamming_rows(self.level, query, rows, &mut distances);
        for (o, d) in out.iter_mut().zip(distances) {
            *o = i64::from(d);
        }
    }

    fn similarity(&self, _q: usize, cost: i64) -> f64 {
        1.0 - 2.0 * cost as f64 / (self.n_words * WORD_BITS) as f64
    }
}

/// Accumulator queries, scored by the bipolar dot product through bit planes.
pub struct CountQueries {
    planes: Vec<BitPlanes>,
    dim: usize,
    level: Level,
}

impl CountQueries {
    /// Wraps `counts`, a whole number of rows of `dim` counts.
    pub fn new(counts: &[i32], dim: usize) -> Result<Self> {
        if dim == 0 || counts.len() % dim != 0 {
            return Err(Error::RaggedBuffer { len: counts.len(), n_words: dim / WORD_BITS });
        }
        let planes = counts.par_chunks_exact(dim).map(BitPlanes::new).collect();
        Ok(Self { planes, dim, level: popcount::detect() })
    }

    /// Forces a popcount level, for testing every path.
    #[must_use]
    pub fn with_level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }
}

impl Scorer for CountQueries {
    fn n_queries(&self) -> usize {
        self.planes.len()
    }

    fn costs(&self, q: usize, rows: &[u64], out: &mut [i64]) {
        self.planes[q].dot_rows(self.level, rows, out);
        for o in out.iter_mut() {
            *o = -*o;
        }
    }

    fn similarity(&self, q: usize, cost: i64) -> f64 {
        cosine(-cost, self.planes[q].norm(), self.dim)
    }
}

/// A bounded max-heap that keeps the `k` smallest `(cost, row)` pairs.
struct TopK {
    k: usize,
    heap: BinaryHeap<(i64, usize)>,
}

impl TopK {
    fn new(k: usize) -> Self {
        Self { k, heap: BinaryHeap::with_capacity(k + 1) }
    }

    fn push(&mut self, cost: i64, row: usize) {
        if self.heap.len() < self.k {
            self.heap.push((cost, row));
        } else if let Some(&worst) = self.heap.peek() {
            if (cost, row) < worst {
                self.heap.pop();
                self.heap.push((cost, row));
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

fn block_rows(n_words: usize) -> usize {
    (BLOCK_BYTES / (n_words * 8)).max(1)
}

/// Scans rows `[start, start + n)` of `db` for query `q` into `top`.
fn scan_rows<S: Scorer>(
    scorer: &S,
    q: usize,
    db: &[u64],
    n_words: usize,
    start: usize,
    top: &mut TopK,
    costs: &mut Vec<i64>,
) {
    let n = db.len() / n_words;
    costs.resize(n, 0);
    scorer.costs(q, db, costs);
    for (i, &cost) in costs.iter().enumerate() {
        top.push(cost, start + i);
    }
}

/// Returns the top `k` rows of `db` (rows of `n_words` words) for every query of `scorer`.
pub fn top_k<S: Scorer>(db: &[u64], n_words: usize, scorer: &S, k: usize) -> Result<Matches> {
    if k == 0 {
        return Err(Error::InvalidK(k));
    }
    let n_rows = crate::vector::rows_in(db, n_words)?;
    let n_queries = scorer.n_queries();
    let block = block_rows(n_words);
    let threads = rayon::current_num_threads();

    let tops: Vec<TopK> = if n_queries >= threads && n_queries > 1 {
        // Many queries: each thread takes a share of the queries and walks the codebook
        // block by block, so a block is read from memory once per share.
        let share = n_queries.div_ceil(threads * 2).max(1);
        let ids: Vec<usize> = (0..n_queries).collect();
        ids.par_chunks(share)
            .flat_map_iter(|group| {
                let mut tops: Vec<TopK> = group.iter().map(|_| TopK::new(k)).collect();
                let mut costs = Vec::new();
                for (b, rows) in db.chunks(block * n_words).enumerate() {
                    for (top, &q) in tops.iter_mut().zip(group) {
                        scan_rows(scorer, q, rows, n_words, b * block, top, &mut costs);
                    }
                }
                tops
            })
            .collect()
    } else {
        // Few queries: split the codebook among the threads and merge their top-k.
        let chunk_rows = n_rows.div_ceil(threads * 4).max(block.min(n_rows.max(1)));
        (0..n_queries)
            .map(|q| {
                db.par_chunks(chunk_rows * n_words)
                    .enumerate()
                    .map(|(c, rows)| {
                        let mut top = TopK::new(k);
                        let mut costs = Vec::new();
                        scan_rows(scorer, q, rows, n_words, c * chunk_rows, &mut top, &mut costs);
                        top
                    })
                    .reduce(|| TopK::new(k), TopK::merge)
            })
            .collect()
    };

    let mut scores = Vec::with_capacity(n_queries * k);
    let mut indices = Vec::with_capacity(n_queries * k);
    for (q, top) in tops.into_iter().enumerate() {
        let sorted = top.into_sorted();
        for j in 0..k {
            match sorted.get(j) {
                Some(&(cost, row)) => {
                    scores.push(scorer.similarity(q, cost));
                    indices.push(row as i64);
                }
                None => {
                    scores.push(f64::NEG_INFINITY);
                    indices.push(-1);
                }
            }
        }
    }
    Ok(Matches { k, scores, indices })
}

/// Returns the similarity of query `q` of `scorer` with every row of `db`.
pub fn all_scores<S: Scorer>(db: &[u64], n_words: usize, scorer: &S, q: usize) -> Result<Vec<f64>> {
    crate::vector::rows_in(db, n_words)?;
    let block = block_rows(n_words);
    let mut costs = vec![0i64; db.len() / n_words];
    costs
        .par_chunks_mut(block)
        .zip(db.par_chunks(block * n_words))
        .for_each(|(out, rows)| scorer.costs(q, rows, out));
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

    fn brute_force(db: &[u64], query: &[u64], k: usize) -> Vec<i64> {
        let n_words = query.len();
        let mut all: Vec<(u64, usize)> = db
            .chunks_exact(n_words)
            .enumerate()
            .map(|(i, row)| (crate::vector::hamming(query, row), i))
            .collect();
        all.sort_unstable();
        all.iter().take(k).map(|&(_, i)| i as i64).collect()
    }

    #[test]
    fn bit_search_matches_brute_force_for_any_thread_count() {
        let n_words = 4;
        let db = random_words(5, 1000 * n_words);
        let queries = random_words(6, 70 * n_words);
        let mut results = Vec::new();
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let scorer = BitQueries::new(&queries, n_words).unwrap();
            results.push(pool.install(|| top_k(&db, n_words, &scorer, 7).unwrap()));
            let single = BitQueries::new(&queries[..n_words], n_words).unwrap();
            let one = pool.install(|| top_k(&db, n_words, &single, 7).unwrap());
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
    fn ties_go_to_the_lower_row_and_short_results_are_padded() {
        let db = vec![5u64, 5, 5];
        let scorer = BitQueries::new(&[5u64], 1).unwrap();
        let found = top_k(&db, 1, &scorer, 5).unwrap();
        assert_eq!(found.indices, vec![0, 1, 2, -1, -1]);
        assert_eq!(found.scores[0], 1.0);
        assert_eq!(found.scores[4], f64::NEG_INFINITY);
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
    fn zero_k_is_rejected() {
        let scorer = BitQueries::new(&[0u64], 1).unwrap();
        assert_eq!(top_k(&[0u64], 1, &scorer, 0), Err(Error::InvalidK(0)));
    }
}
