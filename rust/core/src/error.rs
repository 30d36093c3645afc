//! The one error type of the core. The bindings map each variant onto a Python exception.

use std::fmt;

/// Everything that can go wrong in a core call; every variant is caused by an input value.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// `dim` is zero or not a multiple of 64.
    InvalidDim(usize),
    /// A vector or matrix has another `dim` than the space it is used with.
    DimensionMismatch { expected: usize, found: usize },
    /// A flat buffer's length is not a whole number of rows of `n_words` words.
    RaggedBuffer { len: usize, n_words: usize },
    /// Two arrays that must have the same number of rows do not.
    LengthMismatch { what: &'static str, expected: usize, found: usize },
    /// A search or anchor filter ran on a codebook with no rows.
    EmptyCodebook,
    /// `k` for a top-k search is zero.
    InvalidK(usize),
    /// A false-anchor rate outside the open interval (0, 1).
    InvalidAlpha(f64),
    /// `min_count` larger than `max_count` in an anchor filter.
    InvalidCounts { min_count: usize, max_count: usize },
    /// A label to append is already in the codebook.
    DuplicateLabel(String),
    /// A label appears twice among the labels of one append.
    RepeatedLabel(String),
    /// A label is not in the codebook.
    UnknownLabel(String),
    /// An accumulator count would leave the range of `i32`.
    Overflow,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidDim(dim) => write!(
                f,
                "dim must be a positive multiple of 64 up to {}, got {dim}; try {}",
                crate::vector::MAX_DIM,
                ((dim / 64).max(1) * 64).min(crate::vector::MAX_DIM)
            ),
            Error::DimensionMismatch { expected, found } => write!(
                f,
                "dimension mismatch: expected vectors of dim {expected} ({} uint64 words), \
                 got dim {found} ({} words)",
                expected / 64,
                found / 64
            ),
            Error::RaggedBuffer { len, n_words } => write!(
                f,
                "a buffer of {len} words is not a whole number of rows of {n_words} words"
            ),
            Error::LengthMismatch { what, expected, found } => {
                write!(f, "{what}: expected {expected} rows, got {found}")
            }
            Error::EmptyCodebook => {
                write!(f, "the codebook is empty; append labels or vectors before searching")
            }
            Error::InvalidK(k) => write!(f, "k must be at least 1, got {k}"),
            Error::InvalidAlpha(alpha) => write!(
                f,
                "alpha is a false-anchor rate and must lie strictly between 0 and 1, got {alpha}"
            ),
            Error::InvalidCounts { min_count, max_count } => write!(
                f,
                "min_count ({min_count}) must not exceed max_count ({max_count})"
            ),
            Error::DuplicateLabel(label) => write!(
                f,
                "label {label:?} is already in the codebook; labels must be unique"
            ),
            Error::RepeatedLabel(label) => write!(
                f,
                "label {label:?} appears twice in the labels to append; labels must be unique"
            ),
            Error::UnknownLabel(label) => write!(f, "label {label:?} is not in the codebook"),
            Error::Overflow => write!(
                f,
                "an accumulator count left the range of a 32-bit integer; use smaller weights"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// Result of a core call.
pub type Result<T> = std::result::Result<T, Error>;
