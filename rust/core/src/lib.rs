//! scenefold's core: packed binary hypervectors and the kernels that fold and unfold them.
//!
//! This crate has no Python in it; `rust/py` wraps it. Every public function validates the
//! sizes it is given and returns [`Error`] instead of panicking on bad input.

pub mod accumulator;
pub mod bundle;
pub mod codebook;
pub mod error;
pub mod hash;
pub mod pages;
pub mod popcount;
pub mod resonator;
pub mod search;
pub mod space;
pub mod stats;
pub mod vector;

pub use accumulator::Accumulator;
pub use codebook::{Anchor, Codebook};
pub use error::{Error, Result};
pub use space::Space;
