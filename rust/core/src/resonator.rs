//! Resonator networks: factoring a bound product of bipolar vectors by search in superposition.
//!
//! Given one codebook per factor and a target `s = x_1 ⊙ x_2 ⊙ … ⊙ x_F` (bipolar product,
//! XOR of packed bits), a resonator network keeps one bipolar estimate `x̂_f` per factor and
//! updates each from the others:
//!
//! ```text
//! u_f  = s ⊙ ∏_{g≠f} x̂_g                  (unbind the other estimates)
//! a_f  = X_fᵀ u_f                          (similarity with every codevector)
//! c_f  = a_f / dim          outer-product weights
//!      = (X_fᵀ X_f)⁻¹ a_f   pseudo-inverse (least-squares) weights
//! x̂_f  = sign(X_f act(c_f + noise))        (superpose the codevectors, threshold)
//! ```
//!
//! This is the network of Frady, Kent, Olshausen and Sommer (2020) and Kent, Frady, Sommer
//! and Olshausen (2020), both in Neural Computation 32(12), with the sparse activation and
//! similarity noise of the in-memory factorizer of Langenegger et al. (2023, Nature
//! Nanotechnology 18, 479–485). Vectors are packed bits as in the rest of the core (bit 1 is
//! -1), so `u_f` is a XOR and `a_f` a popcount per codevector. With outer-product weights,
//! the sign activation or a threshold, and no noise, the weighted superposition is summed in
//! `i32` and every step is exact integer arithmetic. The other variants sum `f32` weights.
//!
//! `sign(0)` is +1, as in the public code of both papers, and every estimate starts as the
//! sign of the sum of its codebook. A run stops at a fixed point (a full sweep that changes
//! no estimate) or when a deterministic network revisits a state (a limit cycle). It also
//! stops when its iteration budget is spent or, optionally, when the decoded factors
//! re-bind to the target closely enough. Random restarts share the budget. A batch of
//! searches advances in slices bounded by a deadline, so a caller can stop between slices.
//!
//! Vectors may have any `dim` up to `64 * n_words`: bits from `dim` on are ignored and kept
//! at 0 (+1), so codebooks of the published sizes (dim 1000, 1500) need no padding of their
//! own.

use std::collections::HashMap;
use std::fmt;
use std::time::Instant;

use crate::accumulator::BitPlanes;
use crate::error::Error;
use crate::hash::{mix64, Xoshiro256};
use crate::popcount;
use crate::stats;
use crate::vector::WORD_BITS;

/// Mixed into every search's seed so that its random stream differs from the streams of
/// `Space::random` with the same seed and number.
const SEARCH_STREAM_KEY: u64 = 0x7265_736f_6e61_746f;

/// Weights that turn similarities into the coefficients of the superposed codevectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weights {
    /// `X Xᵀ`: each coefficient is the cosine similarity of its codevector.
    OuterProduct,
    /// `X (XᵀX)⁻¹ Xᵀ`: the least-squares coefficients; needs linearly independent rows.
    PseudoInverse,
}

/// Order in which the factors are updated within one iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// Gauss–Seidel: each factor uses the estimates already updated in this iteration.
    Sequential,
    /// Jacobi: every factor uses the estimates of the previous iteration.
    Synchronous,
}

/// Nonlinearity applied to the coefficients before the codevectors are superposed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// The coefficients as they are.
    Sign,
    /// `c * exp((|c| - max|c|) / temperature)`: sharpens toward the largest `|c|` as the
    /// temperature falls and approaches `Sign` as it grows. It acts on magnitudes, so a
    /// negated estimate (the sign-flip symmetry) stays a fixed point.
    Soft { temperature: f64 },
    /// Coefficients with `|c| < threshold` set to zero (sparse activation). When none
    /// reaches the threshold, all are kept: the estimate would otherwise become the
    /// all-(+1) vector, a fixed point of no use.
    Threshold { threshold: f64 },
}

/// Settings of a resonator network.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Outer-product or pseudo-inverse weights.
    pub weights: Weights,
    /// Sequential or synchronous updates.
    pub update: Update,
    /// Nonlinearity on the coefficients.
    pub activation: Activation,
    /// Standard deviation of the Gaussian noise added to every coefficient, in units of
    /// cosine similarity; 0 for a deterministic network.
    pub noise: f64,
    /// Number of extra runs from random states after a run fails.
    pub restarts: usize,
    /// Iterations (full sweeps over the factors) over all runs of one search.
    pub max_iterations: usize,
    /// Stops a run once the rows with the largest coefficients re-bind to the target with
    /// at least this similarity, and treats a fixed point below it as failed. With noise,
    /// it also keeps a run going through sweeps that change nothing.
    pub stop_confidence: Option<f64>,
    /// Seed of the noise and of the restart states; each search mixes in its stream number.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            weights: Weights::OuterProduct,
            update: Update::Sequential,
            activation: Activation::Sign,
            noise: 0.0,
            restarts: 0,
            max_iterations: 100,
            stop_confidence: None,
            seed: 0,
        }
    }
}

/// Everything that can go wrong when a resonator network is built or given a target.
#[derive(Debug, Clone, PartialEq)]
pub enum ResonatorError {
    /// A size or shape error shared with the rest of the core.
    Core(Error),
    /// No codebook was given.
    NoCodebooks,
    /// `dim` does not fit the rows of `n_words` words.
    InvalidDim { dim: usize, n_words: usize },
    /// A numeric option outside its domain.
    InvalidOption {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
    /// The rows of a codebook are linearly dependent, so pseudo-inverse weights do not exist.
    SingularCodebook {
        factor: usize,
        rows: usize,
        dim: usize,
    },
}

impl fmt::Display for ResonatorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResonatorError::Core(error) => error.fmt(f),
            ResonatorError::NoCodebooks => {
                write!(
                    f,
                    "a resonator network needs at least one codebook, got none"
                )
            }
            ResonatorError::InvalidDim { dim, n_words } => write!(
                f,
                "dim {dim} does not fit rows of {n_words} uint64 words; it must lie in \
                 {}..={}",
                64 * n_words.saturating_sub(1) + 1,
                64 * n_words
            ),
            ResonatorError::InvalidOption {
                name,
                value,
                expected,
            } => {
                write!(f, "{name} must be {expected}, got {value}")
            }
            ResonatorError::SingularCodebook { factor, rows, dim } => write!(
                f,
                "codebook {factor} ({rows} rows of dim {dim}) has linearly dependent rows \
                 (duplicates, or more rows than dim), so pseudo-inverse weights do not \
                 exist; remove the duplicates or use outer-product weights"
            ),
        }
    }
}

impl std::error::Error for ResonatorError {}

impl From<Error> for ResonatorError {
    fn from(error: Error) -> Self {
        ResonatorError::Core(error)
    }
}

/// Result of a resonator call.
pub type Result<T> = std::result::Result<T, ResonatorError>;

/// The vector to factor: packed bits, or accumulator counts (a weighted superposition).
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// `n_words` words; bits from `dim` on are ignored.
    Bits(Vec<u64>),
    /// `dim` signed counts.
    Counts(Vec<i32>),
}

/// Reason a search stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// A full sweep changed no estimate.
    FixedPoint,
    /// The decoded factors re-bound to the target with at least `stop_confidence`.
    Confident,
    /// A deterministic network returned to a state it had visited.
    LimitCycle,
    /// The iteration budget was spent.
    Budget,
}

impl Status {
    /// Returns the name used by the Python API.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Status::FixedPoint => "fixed_point",
            Status::Confident => "confident",
            Status::LimitCycle => "limit_cycle",
            Status::Budget => "budget",
        }
    }
}

/// The codevector decoded for one factor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FactorMatch {
    /// Row of the codevector in its codebook: the largest `|similarity|` with the final
    /// estimate, ties to the lower row.
    pub index: usize,
    /// `|cosine|` of the final estimate with that row.
    pub similarity: f64,
    /// +1 or -1: the product of `sign * row` over the factors has a non-negative similarity
    /// with the target. Every sign is +1 unless the target is closer to the negated product.
    pub sign: i8,
}

/// Result of one search.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// One match per factor.
    pub factors: Vec<FactorMatch>,
    /// Similarity of the signed product of the decoded codevectors with the target, in
    /// [0, 1]; 1 for bits means the product reproduces the target exactly. Unlike
    /// `status`, it separates a wrong fixed point from a right one.
    pub confidence: f64,
    /// Reason the reported run stopped.
    pub status: Status,
    /// Length of the limit cycle, 0 unless `status` is [`Status::LimitCycle`].
    pub cycle_length: usize,
    /// Iterations over all runs.
    pub iterations: usize,
    /// Restarts used.
    pub restarts: usize,
}

impl Outcome {
    /// Returns whether the reported run reached a fixed point or the stop confidence.
    #[must_use]
    pub fn converged(&self) -> bool {
        matches!(self.status, Status::FixedPoint | Status::Confident)
    }
}

/// One codebook and what the updates need of it.
#[derive(Debug, Clone)]
struct Factor {
    rows: Vec<u64>,
    len: usize,
    /// Sign of the sum of the rows, +1 on ties: the start state.
    start: Vec<u64>,
    /// Lower Cholesky factor of `XᵀX`, row-major `len * len`; empty for outer products.
    cholesky: Vec<f64>,
}

impl Factor {
    fn row(&self, i: usize, n_words: usize) -> &[u64] {
        &self.rows[i * n_words..(i + 1) * n_words]
    }
}

/// A resonator network over fixed codebooks and options; immutable and shared by searches.
#[derive(Debug, Clone)]
pub struct Resonator {
    dim: usize,
    n_words: usize,
    /// Bits of the last word below `dim`.
    tail_mask: u64,
    factors: Vec<Factor>,
    options: Options,
    /// Whether the superposition is summed exactly in `i32`.
    integer_sums: bool,
}

/// Start state of a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Each estimate is the sign of the sum of its codebook.
    Superposition,
    /// Each estimate is a random vector of the search's stream.
    Random,
}

/// The state of one factorisation; advanced by [`Resonator::advance`].
#[derive(Debug, Clone)]
pub struct Search {
    target: Target,
    /// Euclidean norm of count targets, 0 for bits.
    target_norm: f64,
    estimates: Vec<u64>,
    rng: Xoshiro256,
    spare_normal: Option<f64>,
    run_iterations: usize,
    iterations: usize,
    restarts: usize,
    /// Hash of each state of the current run and the iteration it was seen at.
    seen: HashMap<u64, usize>,
    /// Per factor, the row with the largest `|coefficient|` at its last update.
    attention: Vec<usize>,
    /// [`Options::stop_confidence`], or the significance floor of a decomposition.
    stop_confidence: Option<f64>,
    best: Option<Outcome>,
    done: bool,
}

impl Search {
    /// Returns whether the search has finished.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Returns the result once the search has finished.
    #[must_use]
    pub fn outcome(&self) -> Option<&Outcome> {
        if self.done {
            self.best.as_ref()
        } else {
            None
        }
    }

    /// Returns the current estimates, `n_factors` rows of `n_words` words.
    #[must_use]
    pub fn estimates(&self) -> &[u64] {
        &self.estimates
    }

    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        // Box–Muller on two uniforms in (0, 1].
        let u1 = ((self.rng.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64);
        let u2 = (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        let radius = (-2.0 * u1.ln()).sqrt();
        let angle = std::f64::consts::TAU * u2;
        self.spare_normal = Some(radius * angle.sin());
        radius * angle.cos()
    }
}

/// Scratch buffers of one thread; reused across searches of the same network.
#[derive(Debug, Clone)]
pub struct Workspace {
    product: Vec<u64>,
    snapshot: Vec<u64>,
    others: Vec<u64>,
    unbound_bits: Vec<u64>,
    unbound_counts: Vec<i32>,
    similarities: Vec<i64>,
    coefficients: Vec<f64>,
    weights_i32: Vec<i32>,
    weights_f32: Vec<f32>,
    sums_i32: Vec<i32>,
    sums_f32: Vec<f32>,
    estimate: Vec<u64>,
}

impl Resonator {
    /// Builds a network from one flat row-major codebook per factor.
    ///
    /// Every codebook has rows of `dim.div_ceil(64)` words; bits from `dim` on are ignored.
    /// Pseudo-inverse weights factor `XᵀX` once per codebook here, which costs about
    /// `len³ / 3` flops.
    pub fn new(dim: usize, codebooks: &[&[u64]], options: Options) -> Result<Self> {
        validate_options(&options)?;
        if codebooks.is_empty() {
            return Err(ResonatorError::NoCodebooks);
        }
        if dim == 0 {
            return Err(ResonatorError::InvalidDim { dim, n_words: 0 });
        }
        let n_words = dim.div_ceil(WORD_BITS);
        let tail_bits = dim - (n_words - 1) * WORD_BITS;
        let tail_mask = if tail_bits == WORD_BITS {
            u64::MAX
        } else {
            (1u64 << tail_bits) - 1
        };
        let mut factors = Vec::with_capacity(codebooks.len());
        for (index, rows) in codebooks.iter().enumerate() {
            let len = crate::vector::rows_in(rows, n_words)?;
            if len == 0 {
                return Err(Error::EmptyCodebook.into());
            }
            let mut rows = rows.to_vec();
            for row in rows.chunks_exact_mut(n_words) {
                row[n_words - 1] &= tail_mask;
            }
            let start = superposition_sign(&rows, n_words, dim);
            let cholesky = match options.weights {
                Weights::OuterProduct => Vec::new(),
                Weights::PseudoInverse => gram_cholesky(&rows, n_words, dim, len).ok_or(
                    ResonatorError::SingularCodebook {
                        factor: index,
                        rows: len,
                        dim,
                    },
                )?,
            };
            factors.push(Factor {
                rows,
                len,
                start,
                cholesky,
            });
        }
        let largest = factors.iter().map(|f| f.len).max().unwrap_or(0);
        let integer_sums = options.weights == Weights::OuterProduct
            && options.noise == 0.0
            && matches!(
                options.activation,
                Activation::Sign | Activation::Threshold { .. }
            )
            && i32::try_from((largest as u64) * (dim as u64)).is_ok();
        Ok(Self {
            dim,
            n_words,
            tail_mask,
            factors,
            options,
            integer_sums,
        })
    }

    /// Returns the number of used bits of a vector.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Returns the number of `u64` words of a vector, `dim.div_ceil(64)`.
    #[must_use]
    pub fn n_words(&self) -> usize {
        self.n_words
    }

    /// Returns the number of factors.
    #[must_use]
    pub fn n_factors(&self) -> usize {
        self.factors.len()
    }

    /// Returns the number of rows of each codebook.
    #[must_use]
    pub fn codebook_sizes(&self) -> Vec<usize> {
        self.factors.iter().map(|f| f.len).collect()
    }

    /// Returns the options the network was built with.
    #[must_use]
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Returns row `index` of codebook `factor`, with the bits from `dim` on cleared.
    #[must_use]
    pub fn row(&self, factor: usize, index: usize) -> &[u64] {
        self.factors[factor].row(index, self.n_words)
    }

    /// Returns scratch buffers sized for this network.
    #[must_use]
    pub fn workspace(&self) -> Workspace {
        let largest = self.factors.iter().map(|f| f.len).max().unwrap_or(0);
        let n_words = self.n_words;
        let lanes = n_words * WORD_BITS;
        let estimates = self.factors.len() * n_words;
        Workspace {
            product: vec![0; n_words],
            snapshot: vec![0; estimates],
            others: vec![0; n_words],
            unbound_bits: vec![0; n_words],
            unbound_counts: vec![0; lanes],
            similarities: vec![0; largest],
            coefficients: vec![0.0; largest],
            weights_i32: vec![0; largest],
            weights_f32: vec![0.0; largest],
            sums_i32: vec![0; lanes],
            sums_f32: vec![0.0; lanes],
            estimate: vec![0; n_words],
        }
    }

    /// Checks a target and brings it to the internal layout: tail bits cleared, counts
    /// padded with zeros to whole words.
    fn normalise(&self, target: Target) -> Result<(Target, f64)> {
        match target {
            Target::Bits(mut bits) => {
                if bits.len() != self.n_words {
                    return Err(Error::DimensionMismatch {
                        expected: self.n_words * WORD_BITS,
                        found: bits.len() * WORD_BITS,
                    }
                    .into());
                }
                bits[self.n_words - 1] &= self.tail_mask;
                Ok((Target::Bits(bits), 0.0))
            }
            Target::Counts(mut counts) => {
                if counts.len() != self.dim {
                    return Err(Error::LengthMismatch {
                        what: "target counts (one per dimension)",
                        expected: self.dim,
                        found: counts.len(),
                    }
                    .into());
                }
                counts.resize(self.n_words * WORD_BITS, 0);
                let norm = crate::accumulator::norm(&counts);
                Ok((Target::Counts(counts), norm))
            }
        }
    }

    /// Starts a search for `target`; `stream` selects its random stream (noise and restarts).
    pub fn start(&self, target: Target, stream: u64, start: Start) -> Result<Search> {
        let (target, target_norm) = self.normalise(target)?;
        let seed = mix64(self.options.seed ^ mix64(stream ^ SEARCH_STREAM_KEY));
        let mut search = Search {
            target,
            target_norm,
            estimates: vec![0; self.factors.len() * self.n_words],
            rng: Xoshiro256::new(seed),
            spare_normal: None,
            run_iterations: 0,
            iterations: 0,
            restarts: 0,
            seen: HashMap::new(),
            attention: vec![0; self.factors.len()],
            stop_confidence: self.options.stop_confidence,
            best: None,
            done: false,
        };
        match start {
            Start::Superposition => self.reset_to_superposition(&mut search),
            Start::Random => self.reset_to_random(&mut search),
        }
        Ok(search)
    }

    fn reset_to_superposition(&self, search: &mut Search) {
        for (f, factor) in self.factors.iter().enumerate() {
            search.estimates[f * self.n_words..(f + 1) * self.n_words]
                .copy_from_slice(&factor.start);
        }
        self.begin_run(search);
    }

    fn reset_to_random(&self, search: &mut Search) {
        let n_words = self.n_words;
        for estimate in search.estimates.chunks_exact_mut(n_words) {
            search.rng.fill(estimate);
            estimate[n_words - 1] &= self.tail_mask;
        }
        self.begin_run(search);
    }

    fn begin_run(&self, search: &mut Search) {
        search.run_iterations = 0;
        search.seen.clear();
        if self.options.noise == 0.0 {
            search.seen.insert(state_hash(&search.estimates), 0);
        }
    }

    /// Runs iterations of `search` until it finishes or, after at least one iteration,
    /// `deadline` passes; returns whether it has finished.
    pub fn advance(
        &self,
        search: &mut Search,
        work: &mut Workspace,
        deadline: Option<Instant>,
    ) -> bool {
        while !search.done {
            self.step(search, work);
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
        }
        search.done
    }

    /// Runs one iteration and, when the run ends, decodes it and decides whether to restart.
    fn step(&self, search: &mut Search, work: &mut Workspace) {
        let per_run = self
            .options
            .max_iterations
            .div_ceil(self.options.restarts + 1);
        let ended = if search.iterations >= self.options.max_iterations
            || search.run_iterations >= per_run
        {
            Some((Status::Budget, 0))
        } else {
            let changed = self.sweep(search, work);
            search.iterations += 1;
            search.run_iterations += 1;
            self.run_status(search, work, changed)
        };
        let Some((status, cycle_length)) = ended else {
            return;
        };
        let outcome = self.decode(search, work, status, cycle_length);
        let accepted = outcome.converged()
            && search
                .stop_confidence
                .is_none_or(|floor| outcome.confidence >= floor);
        let better = search.best.as_ref().is_none_or(|best| {
            (outcome.converged(), outcome.confidence) > (best.converged(), best.confidence)
        });
        if better {
            search.best = Some(outcome);
        }
        let exhausted = search.restarts >= self.options.restarts
            || search.iterations >= self.options.max_iterations;
        if accepted || exhausted {
            search.done = true;
            if let Some(best) = search.best.as_mut() {
                best.iterations = search.iterations;
                best.restarts = search.restarts;
            }
        } else {
            search.restarts += 1;
            self.reset_to_random(search);
        }
    }

    /// Returns why the current run ends after this iteration, if it does.
    fn run_status(
        &self,
        search: &mut Search,
        work: &mut Workspace,
        changed: bool,
    ) -> Option<(Status, usize)> {
        if let Some(floor) = search.stop_confidence {
            if self.attention_confidence(search, work) >= floor {
                return Some((Status::Confident, 0));
            }
        }
        // With noise and a stop confidence, an unchanged sweep does not end the run: the
        // noise can still leave a spurious fixed point, so only the stop test does.
        let stochastic = self.options.noise > 0.0;
        let keep_going = stochastic && search.stop_confidence.is_some();
        if !(changed || keep_going) {
            return Some((Status::FixedPoint, 0));
        }
        if !stochastic {
            let hash = state_hash(&search.estimates);
            if let Some(&first) = search.seen.get(&hash) {
                return Some((Status::LimitCycle, search.run_iterations - first));
            }
            search.seen.insert(hash, search.run_iterations);
        }
        None
    }

    /// Updates every factor once; returns whether any estimate changed.
    fn sweep(&self, search: &mut Search, work: &mut Workspace) -> bool {
        let n_words = self.n_words;
        work.product.fill(0);
        for estimate in search.estimates.chunks_exact(n_words) {
            xor_into(&mut work.product, estimate);
        }
        let synchronous = self.options.update == Update::Synchronous;
        if synchronous {
            work.snapshot.copy_from_slice(&search.estimates);
        }
        let mut changed = false;
        for f in 0..self.factors.len() {
            let range = f * n_words..(f + 1) * n_words;
            let old = if synchronous {
                &work.snapshot[range.clone()]
            } else {
                &search.estimates[range.clone()]
            };
            for ((o, &p), &e) in work.others.iter_mut().zip(&work.product).zip(old) {
                *o = p ^ e;
            }
            self.update_factor(f, search, work);
            let current = &mut search.estimates[range];
            if work.estimate != *current {
                changed = true;
                if !synchronous {
                    xor_into(&mut work.product, current);
                    xor_into(&mut work.product, &work.estimate);
                }
                current.copy_from_slice(&work.estimate);
            }
        }
        changed
    }

    /// Computes the new estimate of factor `f` from `work.others` into `work.estimate`.
    fn update_factor(&self, f: usize, search: &mut Search, work: &mut Workspace) {
        let factor = &self.factors[f];
        let len = factor.len;
        self.similarities(factor, &search.target, work);
        let sims = &work.similarities[..len];
        let coefficients = &mut work.coefficients[..len];
        let dim = self.dim as f64;

        match self.options.weights {
            Weights::OuterProduct => {
                for (c, &a) in coefficients.iter_mut().zip(sims) {
                    *c = a as f64 / dim;
                }
            }
            Weights::PseudoInverse => {
                for (c, &a) in coefficients.iter_mut().zip(sims) {
                    *c = a as f64;
                }
                cholesky_solve(&factor.cholesky, len, coefficients);
            }
        }
        if self.options.noise > 0.0 {
            for c in coefficients.iter_mut() {
                *c += self.options.noise * search.normal();
            }
        }
        search.attention[f] = argmax_abs(coefficients);

        if self.integer_sums {
            let mut floor = match self.options.activation {
                Activation::Threshold { threshold } => threshold,
                _ => 0.0,
            };
            if coefficients.iter().all(|c| c.abs() < floor) {
                floor = 0.0;
            }
            for ((w, &a), &c) in work.weights_i32[..len]
                .iter_mut()
                .zip(sims)
                .zip(coefficients.iter())
            {
                *w = if c.abs() >= floor { a as i32 } else { 0 };
            }
            kernels::superpose_i32(
                &factor.rows,
                self.n_words,
                &work.weights_i32[..len],
                &mut work.sums_i32,
            );
            kernels::sign_i32(&work.sums_i32, &mut work.estimate);
        } else {
            activate(
                self.options.activation,
                coefficients,
                &mut work.weights_f32[..len],
            );
            kernels::superpose_f32(
                &factor.rows,
                self.n_words,
                &work.weights_f32[..len],
                &mut work.sums_f32,
            );
            kernels::sign_f32(&work.sums_f32, &mut work.estimate);
        }

        let last = self.n_words - 1;
        work.estimate[last] &= self.tail_mask;
    }

    /// Writes `a_m = <target ⊙ others, row_m>` for every row of `factor`.
    fn similarities(&self, factor: &Factor, target: &Target, work: &mut Workspace) {
        let out = &mut work.similarities[..factor.len];
        match target {
            Target::Bits(bits) => {
                for ((u, &t), &o) in work.unbound_bits.iter_mut().zip(bits).zip(&work.others) {
                    *u = t ^ o;
                }
                kernels::bipolar_dots(
                    &work.unbound_bits,
                    &factor.rows,
                    self.n_words,
                    self.dim,
                    out,
                );
            }
            Target::Counts(counts) => {
                negate_where(counts, &work.others, &mut work.unbound_counts);
                BitPlanes::new(&work.unbound_counts).dot_rows(
                    popcount::detect(),
                    &factor.rows,
                    out,
                );
            }
        }
    }

    /// Returns the similarity of the target with the product of the rows picked by the
    /// attention, the stop test of [`Options::stop_confidence`].
    fn attention_confidence(&self, search: &Search, work: &mut Workspace) -> f64 {
        work.product.fill(0);
        for (f, &index) in search.attention.iter().enumerate() {
            xor_into(&mut work.product, self.factors[f].row(index, self.n_words));
        }
        self.target_similarity(&search.target, search.target_norm, &work.product)
            .abs()
    }

    /// Returns the cosine of `target` with the bipolar vector `bits`.
    fn target_similarity(&self, target: &Target, target_norm: f64, bits: &[u64]) -> f64 {
        match target {
            Target::Bits(t) => {
                let distance: u64 = t
                    .iter()
                    .zip(bits)
                    .map(|(a, b)| u64::from((a ^ b).count_ones()))
                    .sum();
                1.0 - 2.0 * distance as f64 / self.dim as f64
            }
            Target::Counts(counts) => {
                let dot = signed_dot(counts, bits);
                crate::accumulator::cosine(dot, target_norm, self.dim)
            }
        }
    }

    /// Decodes the current run. Each factor gets the row nearest its estimate by
    /// `|similarity|`, or after a [`Status::Confident`] stop the row that passed the stop
    /// test. Signs are fixed so that the signed product agrees with the target.
    fn decode(
        &self,
        search: &Search,
        work: &mut Workspace,
        status: Status,
        cycle_length: usize,
    ) -> Outcome {
        let n_words = self.n_words;
        let mut factors = Vec::with_capacity(self.factors.len());
        let mut negative = Vec::with_capacity(self.factors.len());
        work.product.fill(0);
        for (f, factor) in self.factors.iter().enumerate() {
            let estimate = &search.estimates[f * n_words..(f + 1) * n_words];
            let sims = &mut work.similarities[..factor.len];
            kernels::bipolar_dots(estimate, &factor.rows, n_words, self.dim, sims);
            let index = if status == Status::Confident {
                search.attention[f]
            } else {
                argmax_abs_i64(sims)
            };
            let a = sims[index];
            negative.push(a < 0);
            factors.push(FactorMatch {
                index,
                similarity: a.unsigned_abs() as f64 / self.dim as f64,
                sign: 1,
            });
            xor_into(&mut work.product, factor.row(index, n_words));
        }
        let raw = self.target_similarity(&search.target, search.target_norm, &work.product);
        if raw < 0.0 {
            // The target is nearer the negated product: negate one factor, preferring one
            // whose estimate was negated and, among those, the least certain.
            let pick = (0..factors.len())
                .min_by(|&i, &j| {
                    (!negative[i], factors[i].similarity)
                        .partial_cmp(&(!negative[j], factors[j].similarity))
                        .unwrap_or(std::cmp::Ordering::Equal)
                })
                .unwrap_or(0);
            factors[pick].sign = -1;
        }
        Outcome {
            factors,
            confidence: raw.abs(),
            status,
            cycle_length,
            iterations: search.iterations,
            restarts: search.restarts,
        }
    }

    /// Factors one target to the end; `stream` selects the random stream.
    pub fn factor(&self, target: Target, stream: u64) -> Result<Outcome> {
        let mut search = self.start(target, stream, Start::Superposition)?;
        let mut work = self.workspace();
        self.advance(&mut search, &mut work, None);
        Ok(search
            .best
            .unwrap_or_else(|| unreachable_outcome(self.factors.len())))
    }

    /// Factors every target on the rayon pool; target `i` uses stream `first_stream + i`,
    /// so the results do not depend on the number of threads.
    pub fn factor_batch(&self, targets: Vec<Target>, first_stream: u64) -> Result<Vec<Outcome>> {
        use rayon::prelude::*;
        let mut searches = targets
            .into_iter()
            .enumerate()
            .map(|(i, t)| self.start(t, first_stream.wrapping_add(i as u64), Start::Superposition))
            .collect::<Result<Vec<_>>>()?;
        searches.par_iter_mut().for_each_init(
            || self.workspace(),
            |work, s| {
                self.advance(s, work, None);
            },
        );
        Ok(searches
            .into_iter()
            .map(|s| {
                s.best
                    .unwrap_or_else(|| unreachable_outcome(self.factors.len()))
            })
            .collect())
    }

    /// Runs exactly `iterations` sweeps from the superposition start of stream 0, ignoring
    /// every stop rule. Returns the estimates before the first sweep and after each one,
    /// `(iterations + 1) * n_factors * n_words` words.
    pub fn trace(&self, target: Target, iterations: usize) -> Result<Vec<u64>> {
        let mut search = self.start(target, 0, Start::Superposition)?;
        let mut work = self.workspace();
        let mut out = Vec::with_capacity((iterations + 1) * search.estimates.len());
        out.extend_from_slice(&search.estimates);
        for _ in 0..iterations {
            self.sweep(&mut search, &mut work);
            out.extend_from_slice(&search.estimates);
        }
        Ok(out)
    }
}

/// Returns a placeholder for a finished search without an outcome, which cannot happen
/// because every path that sets `done` stores an outcome first.
fn unreachable_outcome(n_factors: usize) -> Outcome {
    Outcome {
        factors: vec![
            FactorMatch {
                index: 0,
                similarity: 0.0,
                sign: 1
            };
            n_factors
        ],
        confidence: 0.0,
        status: Status::Budget,
        cycle_length: 0,
        iterations: 0,
        restarts: 0,
    }
}

fn validate_options(options: &Options) -> Result<()> {
    let invalid = |name, value, expected| {
        Err(ResonatorError::InvalidOption {
            name,
            value,
            expected,
        })
    };
    if !(options.noise >= 0.0 && options.noise.is_finite()) {
        return invalid("noise", options.noise, "a finite standard deviation >= 0");
    }
    if options.max_iterations == 0 {
        return invalid("max_iterations", 0.0, "at least 1");
    }
    match options.activation {
        Activation::Soft { temperature } if !(temperature > 0.0 && temperature.is_finite()) => {
            return invalid("temperature", temperature, "finite and > 0");
        }
        Activation::Threshold { threshold } if !(threshold >= 0.0 && threshold.is_finite()) => {
            return invalid("threshold", threshold, "finite and >= 0");
        }
        _ => {}
    }
    if let Some(floor) = options.stop_confidence {
        if !(floor > 0.0 && floor <= 1.0) {
            return invalid("stop_confidence", floor, "in (0, 1]");
        }
    }
    Ok(())
}

/// Writes the activation of `coefficients` as `f32` weights.
fn activate(activation: Activation, coefficients: &[f64], weights: &mut [f32]) {
    match activation {
        Activation::Sign => {
            for (w, &c) in weights.iter_mut().zip(coefficients) {
                *w = c as f32;
            }
        }
        Activation::Threshold { threshold } => {
            let floor = if coefficients.iter().any(|c| c.abs() >= threshold) {
                threshold
            } else {
                0.0
            };
            for (w, &c) in weights.iter_mut().zip(coefficients) {
                *w = if c.abs() >= floor { c as f32 } else { 0.0 };
            }
        }
        Activation::Soft { temperature } => {
            let peak = coefficients.iter().fold(0.0f64, |m, c| m.max(c.abs()));
            for (w, &c) in weights.iter_mut().zip(coefficients) {
                *w = (c * ((c.abs() - peak) / temperature).exp()) as f32;
            }
        }
    }
}

/// Returns the sign of the sum of the rows as packed bits, +1 (bit 0) on ties.
fn superposition_sign(rows: &[u64], n_words: usize, dim: usize) -> Vec<u64> {
    let mut sums = vec![0i32; n_words * WORD_BITS];
    for row in rows.chunks_exact(n_words) {
        kernels::add_row_i32(&mut sums, row, 1);
    }
    let mut out = vec![0u64; n_words];
    kernels::sign_i32(&sums, &mut out);
    let tail_bits = dim - (n_words - 1) * WORD_BITS;
    if tail_bits < WORD_BITS {
        out[n_words - 1] &= (1u64 << tail_bits) - 1;
    }
    out
}

/// Returns the lower Cholesky factor of `XᵀX` (entries `dim - 2 * hamming`), or `None` when
/// a pivot is not clearly positive, that is when the rows are linearly dependent.
fn gram_cholesky(rows: &[u64], n_words: usize, dim: usize, len: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0f64; len * len];
    let mut gram_row = vec![0i64; len];
    // Independent random ±1 rows give pivots near `dim - i` for row `i`. Dependent rows
    // give zero up to rounding, which this tolerance absorbs.
    let tolerance = 1e-9 * dim as f64;
    for i in 0..len {
        let row_i = &rows[i * n_words..(i + 1) * n_words];
        kernels::bipolar_dots(
            row_i,
            &rows[..(i + 1) * n_words],
            n_words,
            dim,
            &mut gram_row[..=i],
        );
        for j in 0..=i {
            let mut sum = gram_row[j] as f64;
            for k in 0..j {
                sum -= l[i * len + k] * l[j * len + k];
            }
            if i == j {
                if sum <= tolerance {
                    return None;
                }
                l[i * len + i] = sum.sqrt();
            } else {
                l[i * len + j] = sum / l[j * len + j];
            }
        }
    }
    Some(l)
}

/// Solves `L Lᵀ x = b` in place for the lower factor `l` of size `len`.
fn cholesky_solve(l: &[f64], len: usize, b: &mut [f64]) {
    for i in 0..len {
        let mut sum = b[i];
        for k in 0..i {
            sum -= l[i * len + k] * b[k];
        }
        b[i] = sum / l[i * len + i];
    }
    for i in (0..len).rev() {
        let mut sum = b[i];
        for k in i + 1..len {
            sum -= l[k * len + i] * b[k];
        }
        b[i] = sum / l[i * len + i];
    }
}

/// Returns the index of the largest `|x|`, the lower index on ties.
fn argmax_abs(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if v.abs() > values[best].abs() {
            best = i;
        }
    }
    best
}

fn argmax_abs_i64(values: &[i64]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if v.unsigned_abs() > values[best].unsigned_abs() {
            best = i;
        }
    }
    best
}

fn xor_into(acc: &mut [u64], x: &[u64]) {
    for (a, &b) in acc.iter_mut().zip(x) {
        *a ^= b;
    }
}

/// Writes `counts` with the sign flipped where the bit of `bits` is 1.
fn negate_where(counts: &[i32], bits: &[u64], out: &mut [i32]) {
    for ((lanes, src), &word) in out
        .chunks_exact_mut(WORD_BITS)
        .zip(counts.chunks_exact(WORD_BITS))
        .zip(bits)
    {
        for (j, (o, &c)) in lanes.iter_mut().zip(src).enumerate() {
            *o = if (word >> j) & 1 == 1 {
                c.wrapping_neg()
            } else {
                c
            };
        }
    }
}

/// Returns `sum_i counts_i * bipolar(bits)_i`.
fn signed_dot(counts: &[i32], bits: &[u64]) -> i64 {
    let mut dot = 0i64;
    for (lanes, &word) in counts.chunks_exact(WORD_BITS).zip(bits) {
        for (j, &c) in lanes.iter().enumerate() {
            let c = i64::from(c);
            dot += if (word >> j) & 1 == 1 { -c } else { c };
        }
    }
    dot
}

/// Returns a 64-bit hash of the estimates, for limit-cycle detection.
fn state_hash(words: &[u64]) -> u64 {
    words
        .iter()
        .fold(0x243f_6a88_85a3_08d3, |h, &w| mix64(h ^ w).rotate_left(5))
}

/// Settings of a decomposition of a superposition of products.
#[derive(Debug, Clone, PartialEq)]
pub struct DecomposeOptions {
    /// Maximum number of terms reported.
    pub max_terms: usize,
    /// Subtract each term found from the residual before the next search (explaining
    /// away); otherwise every search reads the whole superposition.
    pub explain_away: bool,
    /// Chance that a term is accepted although the product is absent: a term is accepted
    /// when its z-score in the residual reaches the Bonferroni threshold for `alpha` over
    /// every combination of rows.
    pub alpha: f64,
    /// Searches in a row that may end without a new term before the decomposition stops.
    /// With explaining away, the first search after each term starts from the
    /// superposition and the retries from random states. Without it, only the very first
    /// search starts from the superposition.
    pub patience: usize,
}

/// One product found in a superposition.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// Row of each factor's codevector.
    pub indices: Vec<usize>,
    /// +1 or -1 per factor, as in [`FactorMatch::sign`].
    pub signs: Vec<i8>,
    /// Weight subtracted from the residual: the projection `dot / dim` rounded, at least 1.
    pub weight: i64,
    /// `dot(residual, product) / |residual|`, in standard deviations of the dot product of
    /// the residual with an unrelated random vector.
    pub z: f64,
    /// Iterations of the search that found it.
    pub iterations: usize,
    /// Reason that search stopped.
    pub status: Status,
}

/// The state of one decomposition; advanced by [`Resonator::advance_decomposition`].
#[derive(Debug, Clone)]
pub struct Decomposition {
    residual: Vec<i32>,
    options: DecomposeOptions,
    z_threshold: f64,
    stream: u64,
    attempts: usize,
    /// Searches in a row that ended without a new term.
    failures: usize,
    search: Option<Search>,
    terms: Vec<Term>,
    done: bool,
}

impl Decomposition {
    /// Returns the terms found so far, in the order found.
    #[must_use]
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// Returns whether the decomposition has finished.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Returns the residual counts, `dim` of them.
    #[must_use]
    pub fn residual(&self) -> &[i32] {
        &self.residual
    }
}

impl Resonator {
    /// Starts decomposing `counts`, a superposition of products, into its terms.
    pub fn start_decomposition(
        &self,
        counts: &[i32],
        stream: u64,
        options: DecomposeOptions,
    ) -> Result<Decomposition> {
        if counts.len() != self.dim {
            return Err(Error::LengthMismatch {
                what: "superposition counts (one per dimension)",
                expected: self.dim,
                found: counts.len(),
            }
            .into());
        }
        if options.max_terms == 0 {
            return Err(ResonatorError::InvalidOption {
                name: "max_terms",
                value: 0.0,
                expected: "at least 1",
            });
        }
        if !(options.alpha > 0.0 && options.alpha < 1.0) {
            return Err(Error::InvalidAlpha(options.alpha).into());
        }
        let combinations: f64 = self.factors.iter().map(|f| f.len as f64).product();
        let z_threshold = stats::normal_isf(options.alpha / combinations)?;
        let mut residual = counts.to_vec();
        residual.resize(self.n_words * WORD_BITS, 0);
        Ok(Decomposition {
            residual,
            options,
            z_threshold,
            stream,
            attempts: 0,
            failures: 0,
            search: None,
            terms: Vec::new(),
            done: false,
        })
    }

    /// Runs searches of `decomposition` until it finishes or, after at least one iteration,
    /// `deadline` passes; returns whether it has finished.
    pub fn advance_decomposition(
        &self,
        decomposition: &mut Decomposition,
        work: &mut Workspace,
        deadline: Option<Instant>,
    ) -> bool {
        while !decomposition.done {
            if decomposition.search.is_none() && !self.start_attempt(decomposition) {
                decomposition.done = true;
                break;
            }
            let Some(search) = decomposition.search.as_mut() else {
                break;
            };
            if !self.advance(search, work, deadline) {
                break;
            }
            let outcome = search.best.take();
            decomposition.search = None;
            if let Some(outcome) = outcome {
                self.take_term(decomposition, &outcome, work);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
        }
        decomposition.done
    }

    /// Starts the next search, or returns false when the decomposition is complete.
    fn start_attempt(&self, decomposition: &mut Decomposition) -> bool {
        let options = &decomposition.options;
        let residual_left = decomposition.residual.iter().any(|&c| c != 0);
        if decomposition.terms.len() >= options.max_terms
            || decomposition.failures >= options.patience
            || !residual_left
        {
            return false;
        }

        let fresh = if options.explain_away {
            decomposition.failures == 0
        } else {
            decomposition.attempts == 0
        };
        let start = if fresh {
            Start::Superposition
        } else {
            Start::Random
        };
        let stream =
            mix64(decomposition.stream ^ mix64(decomposition.attempts as u64 ^ 0x6465_636f_6d70));
        let target = Target::Counts(decomposition.residual[..self.dim].to_vec());
        decomposition.attempts += 1;
        let Ok(mut search) = self.start(target, stream, start) else {
            return false;
        };
        // z = cosine * sqrt(dim), so a run may stop, and its fixed points count as found,
        // once the rows it attends to reach the significance threshold.
        search.stop_confidence =
            Some((decomposition.z_threshold / (self.dim as f64).sqrt()).min(1.0));
        decomposition.search = Some(search);
        true
    }

    /// Tests the product decoded by a finished search against the residual and records it
    /// when it is significant. With explaining away, a recorded product is subtracted from
    /// the residual. A search without a new term counts toward the patience.
    fn take_term(
        &self,
        decomposition: &mut Decomposition,
        outcome: &Outcome,
        work: &mut Workspace,
    ) {
        let n_words = self.n_words;
        work.product.fill(0);
        for (f, m) in outcome.factors.iter().enumerate() {
            xor_into(&mut work.product, self.factors[f].row(m.index, n_words));
        }
        if outcome.factors.iter().filter(|m| m.sign < 0).count() % 2 == 1 {
            for word in &mut work.product {
                *word = !*word;
            }
            work.product[n_words - 1] &= self.tail_mask;
        }

        let norm = crate::accumulator::norm(&decomposition.residual);
        let dot = signed_dot(&decomposition.residual, &work.product);
        let z = if norm > 0.0 { dot as f64 / norm } else { 0.0 };
        let significant = z >= decomposition.z_threshold;
        let weight = ((dot as f64 / self.dim as f64).round() as i64).max(1);
        let term = Term {
            indices: outcome.factors.iter().map(|m| m.index).collect(),
            signs: outcome.factors.iter().map(|m| m.sign).collect(),
            weight,
            z,
            iterations: outcome.iterations,
            status: outcome.status,
        };

        if decomposition.options.explain_away {
            if !significant {
                decomposition.failures += 1;
                return;
            }
            let step = i32::try_from(weight).unwrap_or(i32::MAX);
            // The lanes from `dim` on have bit 0 in the product and would take `step`, so the
            // subtraction stops at `dim` to keep them zero.
            let mut scaled = vec![0i32; self.dim.next_multiple_of(WORD_BITS)];
            kernels::add_row_i32(&mut scaled, &work.product, step);
            for (r, &s) in decomposition.residual[..self.dim].iter_mut().zip(&scaled) {
                *r = r.saturating_sub(s);
            }
            decomposition.terms.push(term);
            decomposition.failures = 0;
        } else if significant
            && !decomposition
                .terms
                .iter()
                .any(|t| t.indices == term.indices)
        {
            decomposition.terms.push(term);
            decomposition.failures = 0;
        } else {
            decomposition.failures += 1;
        }
    }

    /// Decomposes `counts` to the end; see [`Resonator::start_decomposition`].
    pub fn decompose(
        &self,
        counts: &[i32],
        stream: u64,
        options: DecomposeOptions,
    ) -> Result<Vec<Term>> {
        let mut decomposition = self.start_decomposition(counts, stream, options)?;
        let mut work = self.workspace();
        self.advance_decomposition(&mut decomposition, &mut work, None);
        Ok(decomposition.terms)
    }
}

/// Inner loops compiled twice: for the target's baseline and, on x86-64 CPUs that have
/// them, with AVX2 and POPCNT, chosen once per process. `SCENEFOLD_SIMD=portable` selects
/// the baseline, as for the popcount kernels.
mod kernels {
    // The generic bodies are forced inline into the `#[target_feature]` wrappers, which is
    // what compiles them with AVX2.
    #![allow(clippy::inline_always)]

    use super::WORD_BITS;

    #[cfg(target_arch = "x86_64")]
    fn use_avx2() -> bool {
        use std::sync::OnceLock;
        static AVX2: OnceLock<bool> = OnceLock::new();
        *AVX2.get_or_init(|| {
            crate::popcount::detect() == crate::popcount::Level::Avx2
                && std::is_x86_feature_detected!("avx2")
                && std::is_x86_feature_detected!("popcnt")
        })
    }

    /// Declares `$name`, which runs the `#[inline(always)]` body `$generic` compiled with
    /// AVX2 and POPCNT when [`use_avx2`] allows it and for the baseline otherwise.
    macro_rules! dispatch {
        ($(#[$doc:meta])* fn $name:ident / $fast:ident = $generic:ident($($arg:ident: $ty:ty),*)) => {
            $(#[$doc])*
            pub(super) fn $name($($arg: $ty),*) {
                #[cfg(target_arch = "x86_64")]
                if use_avx2() {
                    // SAFETY: `use_avx2` returned true only after the CPU reported AVX2
                    // and POPCNT, the features `$fast` is compiled with.
                    unsafe { $fast($($arg),*) };
                    return;
                }
                $generic($($arg),*);
            }

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,popcnt")]
            fn $fast($($arg: $ty),*) {
                $generic($($arg),*);
            }
        };
    }

    dispatch! {
        /// Writes `dim - 2 * hamming(query, row)` for each row, the bipolar dot product.
        fn bipolar_dots / bipolar_dots_avx2 = bipolar_dots_generic(
            query: &[u64], rows: &[u64], n_words: usize, dim: usize, out: &mut [i64])
    }

    dispatch! {
        /// Writes `sum_m weights[m] * bipolar(row_m)` into `sums`, skipping zero weights.
        fn superpose_i32 / superpose_i32_avx2 = superpose_i32_generic(
            rows: &[u64], n_words: usize, weights: &[i32], sums: &mut [i32])
    }

    dispatch! {
        /// Writes `sum_m weights[m] * bipolar(row_m)` into `sums`, skipping zero weights.
        fn superpose_f32 / superpose_f32_avx2 = superpose_f32_generic(
            rows: &[u64], n_words: usize, weights: &[f32], sums: &mut [f32])
    }

    dispatch! {
        /// Adds `weight * bipolar(row)` to `sums`.
        fn add_row_i32 / add_row_i32_avx2 = add_row_i32_generic(
            sums: &mut [i32], row: &[u64], weight: i32)
    }

    #[inline(always)]
    fn bipolar_dots_generic(
        query: &[u64],
        rows: &[u64],
        n_words: usize,
        dim: usize,
        out: &mut [i64],
    ) {
        for (o, row) in out.iter_mut().zip(rows.chunks_exact(n_words)) {
            let distance: u32 = query
                .iter()
                .zip(row)
                .map(|(a, b)| (a ^ b).count_ones())
                .sum();
            *o = dim as i64 - 2 * i64::from(distance);
        }
    }

    /// Rows summed per pass over the lanes, so that each lane is loaded and stored once
    /// per block instead of once per row.
    const BLOCK: usize = 4;

    /// Returns a lane mask: all ones where bit `k` of `bits` is 1, else 0. Shifting the bit
    /// to the sign and back vectorises as `vpsllvd` and `vpsrad`.
    #[inline(always)]
    fn lane_mask(bits: u32, k: usize) -> i32 {
        ((bits << (31 - k as u32)) as i32) >> 31
    }

    /// Writes `sum_m weights[m] * bipolar(row_m)` as `total - 2 * negative`, where
    /// `negative` sums each weight over the lanes whose bit is 1. The arithmetic wraps, so
    /// the result is exact whenever it fits in `i32`.
    #[inline(always)]
    fn superpose_i32_generic(rows: &[u64], n_words: usize, weights: &[i32], sums: &mut [i32]) {
        sums.fill(0);
        let mut total = 0i32;
        let mut block: [(&[u64], i32); BLOCK] = [(&[], 0); BLOCK];
        let mut filled = 0;
        for (row, &weight) in rows.chunks_exact(n_words).zip(weights) {
            if weight == 0 {
                continue;
            }
            total = total.wrapping_add(weight);
            block[filled] = (row, weight);
            filled += 1;
            if filled == BLOCK {
                add_negative_block_i32(sums, &block);
                filled = 0;
            }
        }
        for &(row, weight) in &block[..filled] {
            add_negative_block_i32(sums, &[(row, weight)]);
        }
        for s in sums.iter_mut() {
            *s = total.wrapping_sub(s.wrapping_mul(2));
        }
    }

    /// Adds each row's weight to the lanes where the row has bit 1.
    #[inline(always)]
    fn add_negative_block_i32<const R: usize>(sums: &mut [i32], block: &[(&[u64], i32); R]) {
        for (j, lanes) in sums.chunks_exact_mut(WORD_BITS).enumerate() {
            let words: [u64; R] = std::array::from_fn(|r| block[r].0[j]);
            for (half, lanes) in lanes.chunks_exact_mut(32).enumerate() {
                let bits: [u32; R] = std::array::from_fn(|r| (words[r] >> (32 * half)) as u32);
                for (k, lane) in lanes.iter_mut().enumerate() {
                    let mut add = 0i32;
                    for r in 0..R {
                        add = add.wrapping_add(block[r].1 & lane_mask(bits[r], k));
                    }
                    *lane = lane.wrapping_add(add);
                }
            }
        }
    }

    #[inline(always)]
    fn add_row_i32_generic(sums: &mut [i32], row: &[u64], weight: i32) {
        for (lanes, &word) in sums.chunks_exact_mut(WORD_BITS).zip(row) {
            for (half, lanes) in lanes.chunks_exact_mut(32).enumerate() {
                let bits = (word >> (32 * half)) as u32;
                for (k, lane) in lanes.iter_mut().enumerate() {
                    // `weight - 2 * (weight & mask)` is `-weight` where the bit is 1.
                    let negative = weight & lane_mask(bits, k);
                    *lane = lane.wrapping_add(weight.wrapping_sub(negative.wrapping_mul(2)));
                }
            }
        }
    }

    /// The `f32` form of [`superpose_i32_generic`]; masks act on the bits of the float.
    #[inline(always)]
    fn superpose_f32_generic(rows: &[u64], n_words: usize, weights: &[f32], sums: &mut [f32]) {
        sums.fill(0.0);
        let mut total = 0.0f32;
        let mut block: [(&[u64], f32); BLOCK] = [(&[], 0.0); BLOCK];
        let mut filled = 0;
        for (row, &weight) in rows.chunks_exact(n_words).zip(weights) {
            if weight == 0.0 {
                continue;
            }
            total += weight;
            block[filled] = (row, weight);
            filled += 1;
            if filled == BLOCK {
                add_negative_block_f32(sums, &block);
                filled = 0;
            }
        }
        for &(row, weight) in &block[..filled] {
            add_negative_block_f32(sums, &[(row, weight)]);
        }
        for s in sums.iter_mut() {
            *s = total - 2.0 * *s;
        }
    }

    #[inline(always)]
    fn add_negative_block_f32<const R: usize>(sums: &mut [f32], block: &[(&[u64], f32); R]) {
        let weight_bits: [u32; R] = std::array::from_fn(|r| block[r].1.to_bits());
        for (j, lanes) in sums.chunks_exact_mut(WORD_BITS).enumerate() {
            let words: [u64; R] = std::array::from_fn(|r| block[r].0[j]);
            for (half, lanes) in lanes.chunks_exact_mut(32).enumerate() {
                let bits: [u32; R] = std::array::from_fn(|r| (words[r] >> (32 * half)) as u32);
                for (k, lane) in lanes.iter_mut().enumerate() {
                    let mut add = 0.0f32;
                    for r in 0..R {
                        add += f32::from_bits(weight_bits[r] & lane_mask(bits[r], k) as u32);
                    }
                    *lane += add;
                }
            }
        }
    }

    /// Writes bit 1 for each negative sum and bit 0 otherwise.
    pub(super) fn sign_i32(sums: &[i32], out: &mut [u64]) {
        for (word, lanes) in out.iter_mut().zip(sums.chunks_exact(WORD_BITS)) {
            let mut bits = 0u64;
            for (j, &s) in lanes.iter().enumerate() {
                bits |= u64::from(s < 0) << j;
            }
            *word = bits;
        }
    }

    /// Writes bit 1 for each negative sum and bit 0 otherwise, zero and NaN included.
    pub(super) fn sign_f32(sums: &[f32], out: &mut [u64]) {
        for (word, lanes) in out.iter_mut().zip(sums.chunks_exact(WORD_BITS)) {
            let mut bits = 0u64;
            for (j, &s) in lanes.iter().enumerate() {
                bits |= u64::from(s < 0.0) << j;
            }
            *word = bits;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIM: usize = 1000;

    fn codebook(seed: u64, len: usize, dim: usize) -> Vec<u64> {
        let n_words = dim.div_ceil(64);
        let mut rows = vec![0u64; len * n_words];
        Xoshiro256::new(seed).fill(&mut rows);
        rows
    }

    fn product(resonator: &Resonator, indices: &[usize]) -> Vec<u64> {
        let mut out = vec![0u64; resonator.n_words()];
        for (f, &i) in indices.iter().enumerate() {
            xor_into(&mut out, resonator.row(f, i));
        }
        out
    }

    fn network(sizes: &[usize], dim: usize, options: Options) -> Resonator {
        let books: Vec<Vec<u64>> = sizes
            .iter()
            .enumerate()
            .map(|(f, &len)| codebook(100 + f as u64, len, dim))
            .collect();
        let views: Vec<&[u64]> = books.iter().map(Vec::as_slice).collect();
        Resonator::new(dim, &views, options).unwrap()
    }

    fn indices(outcome: &Outcome) -> Vec<usize> {
        outcome.factors.iter().map(|m| m.index).collect()
    }

    #[test]
    fn clean_product_is_factored() {
        let resonator = network(&[20, 25, 30], DIM, Options::default());
        for truth in [[0, 0, 0], [3, 24, 17], [19, 1, 29]] {
            let outcome = resonator
                .factor(Target::Bits(product(&resonator, &truth)), 0)
                .unwrap();
            assert_eq!(indices(&outcome), truth);
            assert!(outcome.converged());
            assert!((outcome.confidence - 1.0).abs() < 1e-12);
            assert!(outcome.factors.iter().all(|m| m.sign == 1));
        }
    }

    #[test]
    fn count_target_gives_the_same_factors() {
        let resonator = network(&[20, 25, 30], DIM, Options::default());
        let bits = product(&resonator, &[5, 6, 7]);
        let counts: Vec<i32> = (0..DIM)
            .map(|i| if crate::vector::bit(&bits, i) { -3 } else { 3 })
            .collect();
        let from_bits = resonator.factor(Target::Bits(bits), 0).unwrap();
        let from_counts = resonator.factor(Target::Counts(counts), 0).unwrap();
        assert_eq!(indices(&from_counts), indices(&from_bits));
        assert!((from_counts.confidence - 1.0).abs() < 1e-12);
    }

    #[test]
    fn every_variant_solves_a_small_problem() {
        let variants = [
            Options {
                update: Update::Synchronous,
                ..Options::default()
            },
            Options {
                weights: Weights::PseudoInverse,
                ..Options::default()
            },
            Options {
                activation: Activation::Soft { temperature: 1.0 },
                ..Options::default()
            },
            Options {
                activation: Activation::Threshold { threshold: 0.06 },
                ..Options::default()
            },
            Options {
                activation: Activation::Threshold { threshold: 0.08 },
                noise: 0.015,
                stop_confidence: Some(0.5),
                max_iterations: 1000,
                ..Options::default()
            },
            Options {
                noise: 0.02,
                restarts: 3,
                max_iterations: 400,
                seed: 9,
                ..Options::default()
            },
        ];
        for options in variants {
            let resonator = network(&[15, 15, 15], DIM, options.clone());
            let outcome = resonator
                .factor(Target::Bits(product(&resonator, &[4, 9, 14])), 1)
                .unwrap();
            assert_eq!(indices(&outcome), [4, 9, 14], "{options:?}");
            assert!((outcome.confidence - 1.0).abs() < 1e-12, "{options:?}");
        }
    }

    #[test]
    fn negated_estimates_decode_with_positive_signs() {
        let resonator = network(&[10, 12], 256, Options::default());
        let mut work = resonator.workspace();
        let target = product(&resonator, &[3, 8]);
        let mut search = resonator
            .start(Target::Bits(target.clone()), 0, Start::Superposition)
            .unwrap();
        // Both estimates negated: their product still equals the target.
        let negated: Vec<u64> = [resonator.row(0, 3), resonator.row(1, 8)]
            .concat()
            .iter()
            .map(|w| !w)
            .collect();
        search.estimates.copy_from_slice(&negated);
        let outcome = resonator.decode(&search, &mut work, Status::FixedPoint, 0);
        assert_eq!(indices(&outcome), [3, 8]);
        assert!(outcome
            .factors
            .iter()
            .all(|m| m.sign == 1 && (m.similarity - 1.0).abs() < 1e-12));
        assert!((outcome.confidence - 1.0).abs() < 1e-12);

        // A negated target needs exactly one negated factor.
        let flipped: Vec<u64> = target.iter().map(|w| !w).collect();
        let mut search = resonator
            .start(Target::Bits(flipped), 0, Start::Superposition)
            .unwrap();
        search.estimates.copy_from_slice(&negated);
        search.estimates[..4].iter_mut().for_each(|w| *w = !*w);
        let outcome = resonator.decode(&search, &mut work, Status::FixedPoint, 0);
        assert_eq!(indices(&outcome), [3, 8]);
        assert_eq!(
            outcome.factors.iter().map(|m| m.sign).collect::<Vec<_>>(),
            [1, -1]
        );
        assert!((outcome.confidence - 1.0).abs() < 1e-12);
    }

    #[test]
    fn limit_cycles_repeat_in_the_trace() {
        // Codebooks far beyond capacity for dim 256, so many searches cycle.
        let options = Options {
            max_iterations: 100,
            ..Options::default()
        };
        let resonator = network(&[40, 40, 40], 256, options);
        let n_words = resonator.n_words();
        let state_words = 3 * n_words;
        let mut cycles = 0;
        for trial in 0..24usize {
            let truth = [trial % 40, (trial * 7) % 40, (trial * 13) % 40];
            let target = product(&resonator, &truth);
            let outcome = resonator.factor(Target::Bits(target.clone()), 0).unwrap();
            if outcome.status != Status::LimitCycle {
                continue;
            }
            cycles += 1;
            assert!(outcome.cycle_length >= 2);
            let trace = resonator
                .trace(Target::Bits(target), outcome.iterations)
                .unwrap();
            let state = |t: usize| &trace[t * state_words..(t + 1) * state_words];
            assert_eq!(
                state(outcome.iterations),
                state(outcome.iterations - outcome.cycle_length)
            );
            assert_ne!(state(outcome.iterations), state(outcome.iterations - 1));
        }
        assert!(
            cycles > 0,
            "no search of this hard set ended in a limit cycle"
        );
    }

    #[test]
    fn wrong_fixed_points_have_low_confidence() {
        let options = Options {
            max_iterations: 100,
            ..Options::default()
        };
        let resonator = network(&[40, 40, 40], 256, options);
        let mut wrong = 0;
        for trial in 0..24usize {
            let truth = vec![trial % 40, (trial * 7) % 40, (trial * 13) % 40];
            let outcome = resonator
                .factor(Target::Bits(product(&resonator, &truth)), 0)
                .unwrap();
            if indices(&outcome) == truth {
                assert!((outcome.confidence - 1.0).abs() < 1e-12);
            } else {
                wrong += 1;
                assert!(
                    outcome.confidence < 0.4,
                    "confidence {} of a wrong answer",
                    outcome.confidence
                );
            }
        }
        assert!(wrong > 0);
    }

    #[test]
    fn batch_results_match_single_searches() {
        let options = Options {
            noise: 0.03,
            restarts: 2,
            max_iterations: 200,
            seed: 5,
            ..Options::default()
        };
        let resonator = network(&[25, 25, 25], DIM, options);
        let targets: Vec<Target> = (0..12)
            .map(|i| Target::Bits(product(&resonator, &[i, (i * 3) % 25, (i * 5) % 25])))
            .collect();
        let batch = resonator.factor_batch(targets.clone(), 40).unwrap();
        for (i, target) in targets.into_iter().enumerate() {
            assert_eq!(resonator.factor(target, 40 + i as u64).unwrap(), batch[i]);
        }
    }

    #[test]
    fn bits_past_dim_are_ignored() {
        let dim = 1000;
        let clean = codebook(7, 20, dim);
        let mut dirty = clean.clone();
        let n_words = dim.div_ceil(64);
        for row in dirty.chunks_exact_mut(n_words) {
            row[n_words - 1] |= !((1u64 << (dim % 64)) - 1);
        }
        let other = codebook(8, 20, dim);
        let a = Resonator::new(dim, &[&clean, &other], Options::default()).unwrap();
        let b = Resonator::new(dim, &[&dirty, &other], Options::default()).unwrap();
        let target = product(&a, &[11, 2]);
        assert_eq!(
            a.factor(Target::Bits(target.clone()), 0),
            b.factor(Target::Bits(target), 0)
        );
    }

    #[test]
    fn superposition_terms_are_found() {
        let resonator = network(
            &[12, 12, 12],
            1536,
            Options {
                max_iterations: 200,
                ..Options::default()
            },
        );
        let truth = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
        let mut acc = crate::Accumulator::new(1536);
        for t in &truth {
            acc.add(&product(&resonator, t), 1).unwrap();
        }
        for explain_away in [true, false] {
            let options = DecomposeOptions {
                max_terms: 10,
                explain_away,
                alpha: 0.01,
                patience: 8,
            };
            let terms = resonator.decompose(acc.counts(), 0, options).unwrap();
            let mut found: Vec<Vec<usize>> = terms.iter().map(|t| t.indices.clone()).collect();
            found.sort();
            assert_eq!(
                found,
                truth.iter().map(|t| t.to_vec()).collect::<Vec<_>>(),
                "explain_away={explain_away}"
            );
            assert!(terms.iter().all(|t| t.weight == 1 && t.z > 10.0));
        }
    }

    #[test]
    fn kernels_match_plain_loops() {
        let dim = 320;
        let rows = codebook(3, 9, dim);
        let n_words = 5;
        let weights: Vec<i32> = (0..9).map(|i| i * 37 - 150).collect();
        let mut sums = vec![0i32; dim];
        kernels::superpose_i32(&rows, n_words, &weights, &mut sums);
        let weights_f32: Vec<f32> = weights.iter().map(|&w| w as f32 * 0.5).collect();
        let mut sums_f32 = vec![0f32; dim];
        kernels::superpose_f32(&rows, n_words, &weights_f32, &mut sums_f32);
        for i in 0..dim {
            let expected: i32 = rows
                .chunks_exact(n_words)
                .zip(&weights)
                .map(|(row, &w)| if crate::vector::bit(row, i) { -w } else { w })
                .sum();
            assert_eq!(sums[i], expected);
            assert!((sums_f32[i] - expected as f32 * 0.5).abs() < 1e-3);
        }
        let mut dots = vec![0i64; 9];
        kernels::bipolar_dots(&rows[..n_words], &rows, n_words, dim, &mut dots);
        assert_eq!(dots[0], dim as i64);
        for (m, row) in rows.chunks_exact(n_words).enumerate() {
            assert_eq!(
                dots[m],
                dim as i64 - 2 * crate::vector::hamming(&rows[..n_words], row) as i64
            );
        }
    }

    #[test]
    fn bad_input_is_rejected() {
        let rows = codebook(1, 4, 128);
        assert_eq!(
            Resonator::new(128, &[], Options::default()).unwrap_err(),
            ResonatorError::NoCodebooks
        );
        assert_eq!(
            Resonator::new(128, &[&rows, &[]], Options::default()).unwrap_err(),
            ResonatorError::Core(Error::EmptyCodebook)
        );
        assert_eq!(
            Resonator::new(128, &[&rows, &rows[..3]], Options::default()).unwrap_err(),
            ResonatorError::Core(Error::RaggedBuffer { len: 3, n_words: 2 })
        );
        assert!(matches!(
            Resonator::new(0, &[&rows], Options::default()),
            Err(ResonatorError::InvalidDim { .. })
        ));
        let duplicate = [&rows[..2], &rows[..2]].concat();
        let pinv = Options {
            weights: Weights::PseudoInverse,
            ..Options::default()
        };
        assert_eq!(
            Resonator::new(128, &[&duplicate], pinv).unwrap_err(),
            ResonatorError::SingularCodebook {
                factor: 0,
                rows: 2,
                dim: 128
            }
        );
        for options in [
            Options {
                noise: -1.0,
                ..Options::default()
            },
            Options {
                noise: f64::NAN,
                ..Options::default()
            },
            Options {
                max_iterations: 0,
                ..Options::default()
            },
            Options {
                activation: Activation::Soft { temperature: 0.0 },
                ..Options::default()
            },
            Options {
                activation: Activation::Threshold { threshold: -0.1 },
                ..Options::default()
            },
            Options {
                stop_confidence: Some(1.5),
                ..Options::default()
            },
        ] {
            assert!(matches!(
                Resonator::new(128, &[&rows], options),
                Err(ResonatorError::InvalidOption { .. })
            ));
        }
        let resonator = Resonator::new(128, &[&rows], Options::default()).unwrap();
        assert_eq!(
            resonator.factor(Target::Bits(vec![0; 3]), 0).unwrap_err(),
            ResonatorError::Core(Error::DimensionMismatch {
                expected: 128,
                found: 192
            })
        );
        assert!(matches!(
            resonator.factor(Target::Counts(vec![0; 127]), 0),
            Err(ResonatorError::Core(Error::LengthMismatch { .. }))
        ));
        let options = DecomposeOptions {
            max_terms: 0,
            explain_away: true,
            alpha: 0.01,
            patience: 1,
        };
        assert!(resonator.decompose(&[0; 128], 0, options).is_err());
    }
}
