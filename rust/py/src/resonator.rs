//! `Resonator`: factoring bound products of bipolar vectors with a resonator network.
//!
//! Searches run on the scan pool with the GIL released, in slices of about
//! [`SLICE`]; between slices the GIL is taken back and `check_signals` lets Ctrl-C raise
//! `KeyboardInterrupt`. The slicing does not change any result.

use std::time::{Duration, Instant};

use numpy::ndarray::{Array2, Array3};
use numpy::{PyArray1, PyArray2, PyArray3};
use pyo3::prelude::*;
use pyo3::types::{PyAny, PyDict};
use rayon::prelude::*;
use scenefold_core::resonator::{
    Activation, DecomposeOptions, Options, Resonator as CoreResonator, ResonatorError, Start,
    Target, Update, Weights, Workspace,
};

use crate::arrays;
use crate::convert;
use crate::errors::{raise, to_py};
use crate::threads;

/// A found term as returned to Python: `(indices, signs, weight, z, iterations, status)`.
type TermTuple = (Vec<usize>, Vec<i8>, i64, f64, usize, &'static str);

/// Time a slice of searches runs before signals are checked.
const SLICE: Duration = Duration::from_millis(50);

fn resonator_error(py: Python<'_>, error: &ResonatorError) -> PyErr {
    match error {
        ResonatorError::Core(core) => to_py(py, core),
        other => raise(py, "InvalidArgumentError", other.to_string()),
    }
}

fn parse_choice<T: Copy>(
    py: Python<'_>,
    what: &str,
    value: &str,
    choices: &[(&str, T)],
) -> PyResult<T> {
    choices
        .iter()
        .find(|(name, _)| *name == value)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<String> = choices.iter().map(|(n, _)| format!("{n:?}")).collect();
            raise(
                py,
                "InvalidArgumentError",
                format!("{what} must be one of {}, got {value:?}", names.join(", ")),
            )
        })
}

/// Returns `data` as a `(rows, cols)` array.
fn matrix<T: numpy::Element>(
    py: Python<'_>,
    rows: usize,
    cols: usize,
    data: Vec<T>,
) -> PyResult<Bound<'_, PyArray2<T>>> {
    let array = Array2::from_shape_vec((rows, cols), data)
        .map_err(|e| raise(py, "ShapeError", e.to_string()))?;
    Ok(PyArray2::from_owned_array(py, array))
}

/// Targets of a batch: packed bits or int32 counts, always as a list of rows.
fn targets(obj: &Bound<'_, PyAny>, dim: usize, n_words: usize) -> PyResult<(Vec<Target>, bool)> {
    let is_int32 = obj
        .getattr("dtype")
        .and_then(|d| d.str())
        .is_ok_and(|s| s == "int32");
    if is_int32 {
        let rows = arrays::counts(obj, "targets", dim)?;
        let data = rows.as_slice();
        let list = data
            .chunks_exact(dim)
            .map(|c| Target::Counts(c.to_vec()))
            .collect();
        return Ok((list, rows.batched));
    }
    let rows = arrays::bits(obj, "targets", n_words)?;
    let list = rows
        .as_slice()
        .chunks_exact(n_words)
        .map(|w| Target::Bits(w.to_vec()))
        .collect();
    Ok((list, rows.batched))
}

/// A resonator network over fixed codebooks.
///
/// The Python wrapper ``scenefold.Resonator`` documents the options; this class takes
/// the codebooks as ``uint64`` arrays of ``dim.div_ceil(64)`` words per row.
#[pyclass(module = "scenefold._core", frozen)]
pub struct Resonator {
    core: CoreResonator,
}

impl Resonator {
    /// Advances `items` with `advance` in slices until all are done, checking signals
    /// between slices.
    fn run_sliced<S: Send>(
        &self,
        py: Python<'_>,
        items: &mut [S],
        advance: impl Fn(&CoreResonator, &mut S, &mut Workspace, Instant) -> bool + Sync,
    ) -> PyResult<()> {
        let core = &self.core;
        loop {
            let deadline = Instant::now() + SLICE;
            let pending = threads::run(py, || {
                items
                    .par_iter_mut()
                    .map_init(
                        || core.workspace(),
                        |work, item| usize::from(!advance(core, item, work, deadline)),
                    )
                    .sum::<usize>()
            })?;
            if pending == 0 {
                return Ok(());
            }
            py.check_signals()?;
        }
    }
}

#[pymethods]
impl Resonator {
    #[new]
    #[pyo3(signature = (
        codebooks, dim, weights = "outer", update = "sequential", activation = "sign",
        temperature = 1.0, threshold = 0.0, noise = 0.0, restarts = 0, max_iterations = 100,
        stop_confidence = None, seed = 0,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        codebooks: &Bound<'_, PyAny>,
        #[pyo3(from_py_with = convert::usize_arg)] dim: usize,
        weights: &str,
        update: &str,
        activation: &str,
        temperature: f64,
        threshold: f64,
        noise: f64,
        #[pyo3(from_py_with = convert::usize_arg)] restarts: usize,
        #[pyo3(from_py_with = convert::usize_arg)] max_iterations: usize,
        stop_confidence: Option<f64>,
        #[pyo3(from_py_with = convert::u64_arg)] seed: u64,
    ) -> PyResult<Self> {
        let weights = parse_choice(
            py,
            "weights",
            weights,
            &[
                ("outer", Weights::OuterProduct),
                ("pinv", Weights::PseudoInverse),
            ],
        )?;
        let update = parse_choice(
            py,
            "update",
            update,
            &[
                ("sequential", Update::Sequential),
                ("synchronous", Update::Synchronous),
            ],
        )?;
        let activation = match activation {
            "sign" => Activation::Sign,
            "soft" => Activation::Soft { temperature },
            "threshold" => Activation::Threshold { threshold },
            other => {
                return Err(raise(
                    py,
                    "InvalidArgumentError",
                    format!(
                    "activation must be one of \"sign\", \"soft\", \"threshold\", got {other:?}"
                ),
                ))
            }
        };
        if dim == 0 {
            return Err(resonator_error(
                py,
                &ResonatorError::InvalidDim { dim, n_words: 0 },
            ));
        }
        let n_words = dim.div_ceil(64);
        let mut books = Vec::new();
        for (i, item) in codebooks.try_iter()?.enumerate() {
            let item = item?;
            let what = format!("codebooks[{i}]");
            let rows = arrays::bits(&item, &what, n_words)?;
            if !rows.batched {
                return Err(raise(
                    py,
                    "ShapeError",
                    format!("{what} must be 2-D (rows, {n_words}), one codevector per row"),
                ));
            }
            books.push(rows.as_slice().to_vec());
        }
        let options = Options {
            weights,
            update,
            activation,
            noise,
            restarts,
            max_iterations,
            stop_confidence,
            seed,
        };
        let views: Vec<&[u64]> = books.iter().map(Vec::as_slice).collect();
        let core = threads::run(py, || CoreResonator::new(dim, &views, options))?
            .map_err(|e| resonator_error(py, &e))?;
        Ok(Self { core })
    }

    /// Number of used bits of a vector.
    #[getter]
    fn dim(&self) -> usize {
        self.core.dim()
    }

    /// Number of ``uint64`` words of a vector.
    #[getter]
    fn n_words(&self) -> usize {
        self.core.n_words()
    }

    /// Number of rows of each codebook.
    #[getter]
    fn codebook_sizes(&self) -> Vec<usize> {
        self.core.codebook_sizes()
    }

    /// Factor every target; return a dict of arrays with one row per target.
    ///
    /// Keys: ``indices``, ``similarities``, ``signs`` (``(n, n_factors)``),
    /// ``confidence``, ``converged``, ``iterations``, ``restarts``, ``cycle_length``
    /// (``(n,)``), ``status`` (a list of str) and ``batched`` (whether ``targets`` was 2-D).
    /// Target ``i`` uses random stream ``first_stream + i``.
    #[pyo3(signature = (targets, first_stream = 0))]
    fn factor_batch<'py>(
        &self,
        py: Python<'py>,
        targets: &Bound<'py, PyAny>,
        #[pyo3(from_py_with = convert::u64_arg)] first_stream: u64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (list, batched) = self::targets(targets, self.core.dim(), self.core.n_words())?;
        let mut searches = Vec::with_capacity(list.len());
        for (i, target) in list.into_iter().enumerate() {
            let stream = first_stream.wrapping_add(i as u64);
            searches.push(
                self.core
                    .start(target, stream, Start::Superposition)
                    .map_err(|e| resonator_error(py, &e))?,
            );
        }
        self.run_sliced(py, &mut searches, |core, search, work, deadline| {
            core.advance(search, work, Some(deadline))
        })?;

        let n = searches.len();
        let n_factors = self.core.n_factors();
        let mut indices = Vec::with_capacity(n * n_factors);
        let mut similarities = Vec::with_capacity(n * n_factors);
        let mut signs = Vec::with_capacity(n * n_factors);
        let mut confidence = Vec::with_capacity(n);
        let mut converged = Vec::with_capacity(n);
        let mut iterations = Vec::with_capacity(n);
        let mut restarts = Vec::with_capacity(n);
        let mut cycle_length = Vec::with_capacity(n);
        let mut status = Vec::with_capacity(n);
        for search in &searches {
            let Some(outcome) = search.outcome() else {
                return Err(raise(
                    py,
                    "ScenefoldError",
                    "a search finished without a result; this is a bug",
                ));
            };
            for m in &outcome.factors {
                indices.push(m.index as i64);
                similarities.push(m.similarity);
                signs.push(m.sign);
            }
            confidence.push(outcome.confidence);
            converged.push(outcome.converged());
            iterations.push(outcome.iterations as i64);
            restarts.push(outcome.restarts as i64);
            cycle_length.push(outcome.cycle_length as i64);
            status.push(outcome.status.name());
        }
        let out = PyDict::new(py);
        out.set_item("indices", matrix(py, n, n_factors, indices)?)?;
        out.set_item("similarities", matrix(py, n, n_factors, similarities)?)?;
        out.set_item("signs", matrix(py, n, n_factors, signs)?)?;
        out.set_item("confidence", PyArray1::from_vec(py, confidence))?;
        out.set_item("converged", PyArray1::from_vec(py, converged))?;
        out.set_item("iterations", PyArray1::from_vec(py, iterations))?;
        out.set_item("restarts", PyArray1::from_vec(py, restarts))?;
        out.set_item("cycle_length", PyArray1::from_vec(py, cycle_length))?;
        out.set_item("status", status)?;
        out.set_item("batched", batched)?;
        Ok(out)
    }

    /// Return the estimates before the first sweep and after each of ``iterations``
    /// sweeps, ignoring every stop rule, as ``(iterations + 1, n_factors, n_words)``.
    fn trace<'py>(
        &self,
        py: Python<'py>,
        target: &Bound<'py, PyAny>,
        #[pyo3(from_py_with = convert::usize_arg)] iterations: usize,
    ) -> PyResult<Bound<'py, PyArray3<u64>>> {
        let (mut list, batched) = self::targets(target, self.core.dim(), self.core.n_words())?;
        if batched || list.len() != 1 {
            return Err(raise(
                py,
                "ShapeError",
                "trace() takes one target, got a 2-D batch",
            ));
        }
        let target = list.remove(0);
        let core = &self.core;
        let words = threads::run(py, || core.trace(target, iterations))?
            .map_err(|e| resonator_error(py, &e))?;
        let shape = (iterations + 1, core.n_factors(), core.n_words());
        let array = Array3::from_shape_vec(shape, words)
            .map_err(|e| raise(py, "ShapeError", e.to_string()))?;
        Ok(PyArray3::from_owned_array(py, array))
    }

    /// Decompose each row of ``counts`` (``(n, dim)`` int32) into products of codevectors.
    ///
    /// Returns one list per row of ``(indices, signs, weight, z, iterations, status)``
    /// tuples in the order found. Row ``i`` uses random stream ``first_stream + i``.
    #[pyo3(signature = (
        counts, max_terms, explain_away = true, alpha = 0.01, patience = 4, first_stream = 0,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn decompose_batch(
        &self,
        py: Python<'_>,
        counts: &Bound<'_, PyAny>,
        #[pyo3(from_py_with = convert::usize_arg)] max_terms: usize,
        explain_away: bool,
        alpha: f64,
        #[pyo3(from_py_with = convert::usize_arg)] patience: usize,
        #[pyo3(from_py_with = convert::u64_arg)] first_stream: u64,
    ) -> PyResult<Vec<Vec<TermTuple>>> {
        let dim = self.core.dim();
        let rows = arrays::counts(counts, "counts", dim)?;
        let options = DecomposeOptions {
            max_terms,
            explain_away,
            alpha,
            patience,
        };
        let mut decompositions = Vec::with_capacity(rows.n_rows);
        for (i, row) in rows.as_slice().chunks_exact(dim).enumerate() {
            let stream = first_stream.wrapping_add(i as u64);
            decompositions.push(
                self.core
                    .start_decomposition(row, stream, options.clone())
                    .map_err(|e| resonator_error(py, &e))?,
            );
        }
        self.run_sliced(py, &mut decompositions, |core, d, work, deadline| {
            core.advance_decomposition(d, work, Some(deadline))
        })?;
        Ok(decompositions
            .iter()
            .map(|d| {
                d.terms()
                    .iter()
                    .map(|t| {
                        (
                            t.indices.clone(),
                            t.signs.clone(),
                            t.weight,
                            t.z,
                            t.iterations,
                            t.status.name(),
                        )
                    })
                    .collect()
            })
            .collect())
    }

    fn __repr__(&self) -> String {
        format!(
            "Resonator(dim={}, codebook_sizes={:?})",
            self.core.dim(),
            self.core.codebook_sizes()
        )
    }
}
