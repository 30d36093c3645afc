//! A space: the model, the dimension and the seed that every vector of it shares.

use rayon::prelude::*;

use crate::error::Result;
use crate::hash::{atom_into, stream_seed, Xoshiro256};
use crate::vector::n_words_for;

/// Label of the tie-break vector used when thresholding a zero count. No formula label can
/// be equal to it because `#` starts a comment in the formula language.
pub const TIE_BREAK_LABEL: &str = "#tie-break";

/// The binary spatter code space: `dim` bits, XOR binding, majority bundling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    dim: usize,
    n_words: usize,
    seed: u64,
}

impl Space {
    /// Returns a space of `dim` bits; `dim` must be a positive multiple of 64.
    pub fn new(dim: usize, seed: u64) -> Result<Self> {
        let n_words = n_words_for(dim)?;
        Ok(Self { dim, n_words, seed })
    }

    /// Returns the number of bits of a vector.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Returns the number of `u64` words of a vector, `dim / 64`.
    #[must_use]
    pub fn n_words(&self) -> usize {
        self.n_words
    }

    /// Returns the seed atoms are derived from.
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Returns the atom of `label`.
    #[must_use]
    pub fn atom(&self, label: &str) -> Vec<u64> {
        let mut out = vec![0u64; self.n_words];
        atom_into(self.seed, label, &mut out);
        out
    }

    /// Returns the atoms of `labels` as rows of one flat buffer, generated in parallel.
    #[must_use]
    pub fn atoms<S: AsRef<str> + Sync>(&self, labels: &[S]) -> Vec<u64> {
        let mut out = vec![0u64; labels.len() * self.n_words];
        out.par_chunks_mut(self.n_words)
            .zip(labels.par_iter())
            .for_each(|(row, label)| atom_into(self.seed, label.as_ref(), row));
        out
    }

    /// Returns `n` random vectors of the numbered stream `stream`, reproducible per seed.
    #[must_use]
    pub fn random(&self, n: usize, stream: u64) -> Vec<u64> {
        let mut out = vec![0u64; n * self.n_words];
        Xoshiro256::new(stream_seed(self.seed, stream)).fill(&mut out);
        out
    }

    /// Returns the vector whose bits settle zero counts when an accumulator is thresholded.
    #[must_use]
    pub fn tie_break(&self) -> Vec<u64> {
        self.atom(TIE_BREAK_LABEL)
    }
}
