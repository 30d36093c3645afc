//! Codebooks (item memories): labelled rows of one contiguous matrix, searched exhaustively.

use std::collections::HashMap;

use rayon::prelude::*;
use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};
use crate::popcount;
use crate::search::{self, BitQueries, Matches, Scorer};
use crate::space::Space;
use crate::stats::z_threshold;
use crate::vector::rows_in;

/// One item of a codebook found significant for a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Anchor {
    /// Row of the item in the codebook.
    pub index: usize,
    /// Similarity of the item with the query, in [-1, 1].
    pub activation: f64,
    /// `activation * sqrt(dim)`, in standard deviations of the noise floor.
    pub z: f64,
    /// Activation minus that of the next item in rank order, or minus 0 for the last row.
    pub margin: f64,
}

/// Words of each row copied into the prefix matrix of a prefiltered search (1024 bits).
pub const PREFIX_WORDS: usize = 16;

/// Words of each row in the short prefix matrix (512 bits), for strong matches.
pub const SHORT_PREFIX_WORDS: usize = 8;

/// Labels and their vectors as rows of one contiguous `len * n_words` matrix.
///
/// The first [`PREFIX_WORDS`] words of every row are also kept in a contiguous prefix
/// matrix, so that a prefiltered search reads one eighth of an 8192-bit codebook.
#[derive(Debug, Clone)]
pub struct Codebook {
    space: Space,
    data: Vec<u64>,
    prefix: Vec<u64>,
    short_prefix: Vec<u64>,
    labels: Vec<String>,
    index: HashMap<String, usize>,
}

impl Codebook {
    /// Returns an empty codebook of `space`.
    #[must_use]
    pub fn new(space: Space) -> Self {
        Self {
            space,
            data: Vec::new(),
            prefix: Vec::new(),
            short_prefix: Vec::new(),
            labels: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// Returns the space of the rows.
    #[must_use]
    pub fn space(&self) -> &Space {
        &self.space
    }

    /// Returns the number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Returns whether the codebook has no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Returns the row-major matrix of all rows.
    #[must_use]
    pub fn data(&self) -> &[u64] {
        &self.data
    }

    /// Returns the labels in row order, NFC-normalised.
    #[must_use]
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Returns row `i`.
    #[must_use]
    pub fn row(&self, i: usize) -> &[u64] {
        let n = self.space.n_words();
        &self.data[i * n..(i + 1) * n]
    }

    /// Returns the row of `label`.
    pub fn index_of(&self, label: &str) -> Result<usize> {
        let key: String = label.nfc().collect();
        self.index.get(&key).copied().ok_or(Error::UnknownLabel(key))
    }

    /// Appends `labels` with the given rows, or with their atoms when `rows` is `None`.
    /// Nothing is appended when any label is a duplicate or the rows do not fit.
    pub fn append<S: AsRef<str> + Sync>(&mut self, labels: &[S], rows: Option<&[u64]>) -> Result<()> {
        let normalised: Vec<String> = labels.iter().map(|l| l.as_ref().nfc().collect()).collect();
        let mut fresh = HashMap::with_capacity(normalised.len());
        for (offset, label) in normalised.iter().enumerate() {
            if self.index.contains_key(label) {
                return Err(Error::DuplicateLabel(label.clone()));
            }
            if fresh.insert(label.clone(), offset).is_some() {
                return Err(Error::RepeatedLabel(label.clone()));
            }
        }
        let new_rows = match rows {
            Some(rows) => {
                let n = rows_in(rows, self.space.n_words())?;
                if n != labels.len() {
                    return Err(Error::LengthMismatch {
                        what: "vectors for the labels",
                        expected: labels.len(),
                        found: n,
                    });
                }
                rows.to_vec()
            }
            None => self.space.atoms(&normalised),
        };
        let start = self.labels.len();
        for (offset, label) in normalised.into_iter().enumerate() {
            self.index.insert(label.clone(), start + offset);
            self.labels.push(label);
        }
        let prefix_words = self.prefix_words();
        let short_words = SHORT_PREFIX_WORDS.min(prefix_words);
        for row in new_rows.chunks_exact(self.space.n_words()) {
            self.prefix.extend_from_slice(&row[..prefix_words]);
            self.short_prefix.extend_from_slice(&row[..short_words]);
        }
        self.data.extend_from_slice(&new_rows);
        Ok(())
    }

    /// Returns the number of words per row in the prefix matrix.
    #[must_use]
    pub fn prefix_words(&self) -> usize {
        PREFIX_WORDS.min(self.space.n_words())
    }

    /// Returns the top `k` rows for each bit query, searching the whole vectors of only
    /// the `candidates` rows nearest on the first [`PREFIX_WORDS`] words.
    ///
    /// The answer equals the exhaustive one whenever every true top-`k` row is among
    /// those candidates. A row with similarity `a` to the query has an expected
    /// prefix z-score of `a * sqrt(1024)`, so rows with `a` well above
    /// `4.5 / 32 = 0.14` are kept even among a million random rows; weaker matches
    /// need the exhaustive [`Codebook::search`].
    ///
    /// With `prefix_words` at most [`SHORT_PREFIX_WORDS`] the shortlist compares the
    /// first 512 bits, which reads half as much but separates weak matches less well.
    pub fn search_prefiltered(
        &self,
        queries: &[u64],
        k: usize,
        candidates: usize,
        prefix_words: usize,
    ) -> Result<Matches> {
        if self.is_empty() {
            return Err(Error::EmptyCodebook);
        }
        let n_words = self.space.n_words();
        let stride = self.prefix_words();
        let prefix_words = prefix_words.clamp(1, stride);
        let n_queries = rows_in(queries, n_words)?;
        if k == 0 {
            return Err(Error::InvalidK(k));
        }
        if stride == n_words || candidates >= self.len() {
            return search::top_k(&self.data, n_words, &BitQueries::new(queries, n_words)?, k);
        }

        let (matrix, width_words) = if prefix_words <= SHORT_PREFIX_WORDS {
            (&self.short_prefix, SHORT_PREFIX_WORDS.min(stride))
        } else {
            (&self.prefix, stride)
        };
        let query_prefix: Vec<u64> = queries
            .chunks_exact(n_words)
            .flat_map(|q| q[..width_words].iter().copied())
            .collect();
        let width = candidates.max(k);
        let shortlist = search::top_k(
            matrix,
            width_words,
            &BitQueries::new(&query_prefix, width_words)?,
            width,
        )?;

        let level = popcount::detect();
        let dim = self.space.dim() as f64;
        let per_query: Vec<(Vec<f64>, Vec<i64>)> = (0..n_queries)
            .into_par_iter()
            .map(|q| {
                let query = &queries[q * n_words..(q + 1) * n_words];
                let mut ranked: Vec<(u64, usize)> = shortlist.indices[q * width..(q + 1) * width]
                    .iter()
                    .filter(|&&row| row >= 0)
                    .map(|&row| {
                        let row = row as usize;
                        (popcount::hamming_at(level, query, self.row(row)), row)
                    })
                    .collect();
                ranked.sort_unstable();
                let mut scores = Vec::with_capacity(k);
                let mut indices = Vec::with_capacity(k);
                for &(distance, row) in ranked.iter().take(k) {
                    scores.push(1.0 - 2.0 * distance as f64 / dim);
                    indices.push(row as i64);
                }
                scores.resize(k, f64::NEG_INFINITY);
                indices.resize(k, -1);
                (scores, indices)
            })
            .collect();
        let mut matches = Matches { k, scores: Vec::new(), indices: Vec::new() };
        for (scores, indices) in per_query {
            matches.scores.extend(scores);
            matches.indices.extend(indices);
        }
        Ok(matches)
    }

    /// Returns the top `k` rows for every query of `scorer`.
    pub fn search<S: Scorer>(&self, scorer: &S, k: usize) -> Result<Matches> {
        if self.is_empty() {
            return Err(Error::EmptyCodebook);
        }
        search::top_k(&self.data, self.space.n_words(), scorer, k)
    }

    /// Returns the similarity of query `q` of `scorer` with every row.
    pub fn scores<S: Scorer>(&self, scorer: &S, q: usize) -> Result<Vec<f64>> {
        if self.is_empty() {
            return Err(Error::EmptyCodebook);
        }
        search::all_scores(&self.data, self.space.n_words(), scorer, q)
    }

    /// Returns the anchors of query `q` of `scorer`: see [`select_anchors`].
    pub fn anchors<S: Scorer>(
        &self,
        scorer: &S,
        q: usize,
        alpha: f64,
        min_count: usize,
        max_count: Option<usize>,
    ) -> Result<Vec<Anchor>> {
        let similarities = self.scores(scorer, q)?;
        select_anchors(&similarities, self.space.dim(), alpha, min_count, max_count)
    }
}

/// Picks the significant items of one query from the similarities of every row.
///
/// Rows are ranked by similarity, ties to the lower row. A row is an anchor when its
/// `z = similarity * sqrt(dim)` reaches the threshold that keeps the chance of any false
/// anchor among `scores.len()` random rows at `alpha`. The top `min_count` rows are kept
/// even below the threshold, and at most `max_count` are returned.
pub fn select_anchors(
    scores: &[f64],
    dim: usize,
    alpha: f64,
    min_count: usize,
    max_count: Option<usize>,
) -> Result<Vec<Anchor>> {
    if let Some(max_count) = max_count {
        if min_count > max_count {
            return Err(Error::InvalidCounts { min_count, max_count });
        }
    }
    let threshold = z_threshold(alpha, scores.len())?;
    let root = (dim as f64).sqrt();
    let significant = scores.iter().filter(|&&s| s * root >= threshold).count();
    let mut count = significant.max(min_count).min(scores.len());
    if let Some(max_count) = max_count {
        count = count.min(max_count);
    }

    // Rank only the rows needed: the anchors and the runner-up of the last one.
    let needed = (count + 1).min(scores.len());
    let mut order: Vec<usize> = (0..scores.len()).collect();
    let by_rank = |a: &usize, b: &usize| scores[*b].total_cmp(&scores[*a]).then(a.cmp(b));
    if needed > 0 && needed < order.len() {
        order.select_nth_unstable_by(needed - 1, by_rank);
        order.truncate(needed);
    }
    order.sort_unstable_by(by_rank);

    Ok((0..count)
        .map(|r| {
            let index = order[r];
            let activation = scores[index];
            let runner_up = order.get(r + 1).map_or(0.0, |&next| scores[next]);
            Anchor { index, activation, z: activation * root, margin: activation - runner_up }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::BitQueries;

    #[test]
    fn append_rejects_duplicates_atomically() {
        let space = Space::new(128, 1).unwrap();
        let mut book = Codebook::new(space);
        book.append(&["a", "b"], None).unwrap();
        assert_eq!(book.append(&["c", "a"], None), Err(Error::DuplicateLabel("a".into())));
        assert_eq!(book.len(), 2);
        assert_eq!(book.append(&["d", "d"], None), Err(Error::RepeatedLabel("d".into())));
        assert_eq!(book.index_of("b"), Ok(1));
        assert_eq!(book.index_of("zz"), Err(Error::UnknownLabel("zz".into())));
    }

    #[test]
    fn atom_rows_are_found_by_their_own_atom() {
        let space = Space::new(1024, 3).unwrap();
        let mut book = Codebook::new(space);
        let labels: Vec<String> = (0..100).map(|i| format!("item{i}")).collect();
        book.append(&labels, None).unwrap();
        let query = space.atom("item42");
        let scorer = BitQueries::new(&query, space.n_words()).unwrap();
        let found = book.search(&scorer, 2).unwrap();
        assert_eq!(found.indices[0], 42);
        assert_eq!(found.scores[0], 1.0);
        let anchors = book.anchors(&scorer, 0, 0.01, 0, None).unwrap();
        assert_eq!(anchors.len(), 1);
        assert_eq!(anchors[0].index, 42);
        assert!((anchors[0].margin - (1.0 - found.scores[1])).abs() < 1e-12);
    }

    #[test]
    fn prefiltered_search_finds_strong_matches() {
        let space = Space::new(8192, 5).unwrap();
        let mut book = Codebook::new(space);
        let labels: Vec<String> = (0..3000).map(|i| format!("w{i}")).collect();
        book.append(&labels, None).unwrap();
        let mut queries = Vec::new();
        for i in [7usize, 1234, 2999] {
            // A query at similarity 0.5 to row i: flip a quarter of its bits.
            let mut q = book.row(i).to_vec();
            for (j, word) in q.iter_mut().enumerate() {
                if j % 4 == 0 {
                    *word = !*word;
                }
            }
            queries.extend(q);
        }
        let exhaustive = book.search(&BitQueries::new(&queries, 128).unwrap(), 3).unwrap();
        let fast = book.search_prefiltered(&queries, 3, 64, PREFIX_WORDS).unwrap();
        let short = book.search_prefiltered(&queries, 3, 64, 8).unwrap();
        assert_eq!(short.indices[0], 7);
        assert_eq!(fast.indices[0], 7);
        assert_eq!(fast.indices[3], 1234);
        assert_eq!(fast.indices[6], 2999);
        // The strong match is found exactly; the noise rows behind it may differ.
        for q in 0..3 {
            assert_eq!(fast.indices[q * 3], exhaustive.indices[q * 3]);
            assert_eq!(fast.scores[q * 3], exhaustive.scores[q * 3]);
        }
    }

    #[test]
    fn anchor_counts_are_honoured() {
        let scores = [0.9, 0.1, 0.5, 0.5, -0.2];
        let top = select_anchors(&scores, 64, 0.01, 3, None).unwrap();
        let rows: Vec<usize> = top.iter().map(|a| a.index).collect();
        assert_eq!(rows, vec![0, 2, 3]);
        assert_eq!(top[1].margin, 0.0);
        let capped = select_anchors(&scores, 64, 0.01, 0, Some(0)).unwrap();
        assert!(capped.is_empty());
        assert!(select_anchors(&scores, 64, 0.01, 2, Some(1)).is_err());
    }
}
