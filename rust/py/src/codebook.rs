//! `Codebook` and `Anchor`: labelled rows, top-k search and anchor filtering.

use numpy::ndarray::Array2;
use numpy::{PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::PyAny;
use scenefold_core::search::{BitQueries, CountQueries, Matches};
use scenefold_core::{stats, Codebook as CoreCodebook};

use crate::arrays;
use crate::convert;
use crate::errors::{raise, IntoPyResult};
use crate::space::{shaped, Accumulator, Space};
use crate::threads;

/// An item found significant for a query.
#[pyclass(module = "scenefold._core", frozen, get_all)]
#[derive(Clone)]
pub struct Anchor {
    /// Label of the item.
    pub label: String,
    /// Row of the item in the codebook.
    pub index: usize,
    /// Similarity of the item with the query, in [-1, 1].
    pub activation: f64,
    /// ``activation * sqrt(dim)``: standard deviations above the noise floor.
    pub z: f64,
    /// Activation minus that of the next item in rank order.
    pub margin: f64,
}

#[pymethods]
impl Anchor {
    fn __repr__(&self) -> String {
        format!(
            "Anchor(label={:?}, index={}, activation={:.4}, z={:.2}, margin={:.4})",
            self.label, self.index, self.activation, self.z, self.margin
        )
    }
}

/// Queries of a search: packed bits or accumulator counts, single or batched.
enum Queries {
    Bits { data: Vec<u64>, batched: bool },
    Counts { data: Vec<i32>, batched: bool },
}

impl Queries {
    fn batched(&self) -> bool {
        match self {
            Queries::Bits { batched, .. } | Queries::Counts { batched, .. } => *batched,
        }
    }
}

/// Labels and their vectors as rows of one contiguous matrix (an item memory).
///
/// Labels are unique and NFC-normalised. Rows come from the atoms of the labels or
/// from given vectors. Searches scan every row on the scan thread pool with the GIL
/// released; results are the same for any number of threads and ties go to the lower
/// row.
#[pyclass(module = "scenefold._core")]
pub struct Codebook {
    space: Space,
    core: CoreCodebook,
}

impl Codebook {
    fn queries(&self, query: &Bound<'_, PyAny>) -> PyResult<Queries> {
        if let Ok(acc) = query.cast::<Accumulator>() {
            let acc = acc.borrow();
            if acc.space.core != self.space.core {
                return Err(raise(
                    query.py(),
                    "SpaceMismatchError",
                    format!(
                        "the accumulator belongs to Space(dim={}, seed={}), the codebook to \
                         Space(dim={}, seed={})",
                        acc.space.core.dim(),
                        acc.space.core.seed(),
                        self.space.core.dim(),
                        self.space.core.seed()
                    ),
                ));
            }
            return Ok(Queries::Counts { data: acc.core.counts().to_vec(), batched: false });
        }
        let is_int32 = query
            .getattr("dtype")
            .and_then(|d| d.str())
            .is_ok_and(|s| s == "int32");
        if is_int32 {
            let rows = arrays::counts(query, "query", self.space.core.dim())?;
            return Ok(Queries::Counts { data: rows.as_slice().to_vec(), batched: rows.batched });
        }
        let rows = arrays::bits(query, "query", self.space.core.n_words())
            .map_err(|e| {
                let py = query.py();
                if e.is_instance_of::<pyo3::exceptions::PyTypeError>(py) {
                    raise(py, "DtypeError", format!("{}; accumulator counts are accepted as int32", e.value(py)))
                } else {
                    e
                }
            })?;
        Ok(Queries::Bits { data: rows.as_slice().to_vec(), batched: rows.batched })
    }

    fn run_search(
        &self,
        py: Python<'_>,
        queries: &Queries,
        k: usize,
        candidates: Option<usize>,
        prefix_words: usize,
    ) -> PyResult<Matches> {
        let core = &self.core;
        let n_words = self.space.core.n_words();
        let dim = self.space.core.dim();
        let found = threads::run(py, || match (queries, candidates) {
            (Queries::Bits { data, .. }, Some(c)) => core.search_prefiltered(data, k, c, prefix_words),
            (Queries::Bits { data, .. }, None) => BitQueries::new(data, n_words).and_then(|s| core.search(&s, k)),
            (Queries::Counts { data, .. }, _) => CountQueries::new(data, dim).and_then(|s| core.search(&s, k)),
        })?;
        found.py(py)
    }

    fn run_scores(&self, py: Python<'_>, queries: &Queries) -> PyResult<Vec<f64>> {
        let core = &self.core;
        let n_words = self.space.core.n_words();
        let dim = self.space.core.dim();
        let scores = threads::run(py, || match queries {
            Queries::Bits { data, .. } => BitQueries::new(&data[..n_words], n_words).and_then(|s| core.scores(&s, 0)),
            Queries::Counts { data, .. } => CountQueries::new(&data[..dim], dim).and_then(|s| core.scores(&s, 0)),
        })?;
        scores.py(py)
    }

    fn single(py: Python<'_>, queries: &Queries, what: &str) -> PyResult<()> {
        if queries.batched() {
            return Err(raise(py, "ShapeError", format!("{what} takes one query, got a 2-D batch; loop over its rows or use search()")));
        }
        Ok(())
    }
}

#[pymethods]
impl Codebook {
    #[new]
    #[pyo3(signature = (space, labels, vectors = None))]
    fn new(
        py: Python<'_>,
        space: PyRef<'_, Space>,
        #[pyo3(from_py_with = convert::labels_arg)] labels: Vec<String>,
        vectors: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut book = Self { core: CoreCodebook::new(space.core), space: space.clone() };
        book.append(py, labels, vectors)?;
        Ok(book)
    }

    /// The space of the rows.
    #[getter]
    fn space(&self) -> Space {
        self.space.clone()
    }

    /// The labels in row order.
    #[getter]
    fn labels(&self) -> Vec<String> {
        self.core.labels().to_vec()
    }

    /// A copy of all rows as a ``(len, n_words)`` ``uint64`` array.
    #[getter]
    fn vectors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        shaped(py, self.core.data().to_vec(), true, self.space.core.n_words())
    }

    fn __len__(&self) -> usize {
        self.core.len()
    }

    fn __contains__(&self, label: &Bound<'_, PyAny>) -> bool {
        label.extract::<String>().is_ok_and(|l| self.core.index_of(&l).is_ok())
    }

    fn __repr__(&self) -> String {
        format!("Codebook(len={}, dim={})", self.core.len(), self.space.core.dim())
    }

    /// Append ``labels`` with ``vectors`` (``(n, n_words)``), or with their atoms.
    ///
    /// Nothing is appended when a label is already present or repeated.
    #[pyo3(signature = (labels, vectors = None))]
    fn append(
        &mut self,
        py: Python<'_>,
        #[pyo3(from_py_with = convert::labels_arg)] labels: Vec<String>,
        vectors: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        match vectors {
            Some(v) => {
                let rows = arrays::bits(v, "vectors", self.space.core.n_words())?;
                if !rows.batched {
                    return Err(raise(py, "ShapeError", "vectors must be 2-D (n, n_words), one row per label"));
                }
                let data = rows.as_slice().to_vec();
                self.core.append(&labels, Some(&data)).py(py)
            }
            None => {
                let core = &mut self.core;
                threads::run(py, || core.append(&labels, None))?.py(py)
            }
        }
    }

    /// Return the row of ``label``; raises ``UnknownLabelError`` when it is absent.
    fn index(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = convert::label_arg)] label: String,
    ) -> PyResult<usize> {
        self.core.index_of(&label).py(py)
    }

    /// Return a copy of the vector of ``label``.
    fn get<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = convert::label_arg)] label: String,
    ) -> PyResult<Bound<'py, PyArray1<u64>>> {
        let i = self.core.index_of(&label).py(py)?;
        Ok(PyArray1::from_slice(py, self.core.row(i)))
    }

    /// Return ``(scores, indices)`` of the ``k`` most similar rows for each query.
    ///
    /// ``queries`` is a ``uint64`` vector or ``(n, n_words)`` batch, ``int32`` counts of
    /// length ``dim`` or ``(n, dim)``, or an :class:`Accumulator`. Scores are bipolar
    /// cosines, best first; missing entries are ``-inf`` with index ``-1``. With
    /// ``candidates``, bit queries compare whole vectors only for the ``candidates``
    /// rows nearest on the first ``prefix_bits`` bits (1024 or 512): exact for matches
    /// whose z-score on the prefix, ``similarity * sqrt(prefix_bits)``, is well above
    /// 5, approximate below. Count queries always scan every row.
    #[pyo3(signature = (queries, k = 10, candidates = None, prefix_bits = 1024))]
    fn search<'py>(
        &self,
        queries: &Bound<'py, PyAny>,
        #[pyo3(from_py_with = convert::i64_arg)] k: i64,
        #[pyo3(from_py_with = convert::opt_usize_arg)] candidates: Option<usize>,
        #[pyo3(from_py_with = convert::usize_arg)] prefix_bits: usize,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let py = queries.py();
        let k = usize::try_from(k).ok().filter(|&k| k > 0).ok_or_else(|| {
            raise(py, "InvalidArgumentError", format!("k must be at least 1, got {k}"))
        })?;
        let parsed = self.queries(queries)?;
        if prefix_bits != 512 && prefix_bits != 1024 {
            return Err(raise(py, "InvalidArgumentError", format!("prefix_bits must be 512 or 1024, got {prefix_bits}")));
        }
        let found = self.run_search(py, &parsed, k, candidates, prefix_bits / 64)?;
        if parsed.batched() {
            let n = found.scores.len() / k;
            let scores = Array2::from_shape_vec((n, k), found.scores).map_err(|e| raise(py, "ShapeError", e.to_string()))?;
            let indices = Array2::from_shape_vec((n, k), found.indices).map_err(|e| raise(py, "ShapeError", e.to_string()))?;
            return Ok((PyArray2::from_owned_array(py, scores).into_any(), PyArray2::from_owned_array(py, indices).into_any()));
        }
        Ok((PyArray1::from_vec(py, found.scores).into_any(), PyArray1::from_vec(py, found.indices).into_any()))
    }

    /// Return the similarity of one query with every row, a ``float64`` array.
    fn scores<'py>(&self, query: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let py = query.py();
        let parsed = self.queries(query)?;
        Self::single(py, &parsed, "scores()")?;
        Ok(PyArray1::from_vec(py, self.run_scores(py, &parsed)?))
    }

    /// Return the z-score an item must reach to be an anchor at false-anchor rate ``alpha``.
    #[pyo3(signature = (alpha = 0.01))]
    fn z_threshold(&self, py: Python<'_>, alpha: f64) -> PyResult<f64> {
        stats::z_threshold(alpha, self.core.len()).py(py)
    }

    /// Return the items significant for ``query`` against the noise floor, best first.
    ///
    /// An item is kept when ``z = activation * sqrt(dim)`` reaches the threshold at
    /// which the chance of any false anchor among ``len(self)`` random items is
    /// ``alpha``; the best ``min_count`` are kept regardless, at most ``max_count``.
    #[pyo3(signature = (query, alpha = 0.01, min_count = 0, max_count = None))]
    fn anchors(
        &self,
        query: &Bound<'_, PyAny>,
        alpha: f64,
        #[pyo3(from_py_with = convert::usize_arg)] min_count: usize,
        #[pyo3(from_py_with = convert::opt_usize_arg)] max_count: Option<usize>,
    ) -> PyResult<Vec<Anchor>> {
        let py = query.py();
        let parsed = self.queries(query)?;
        Self::single(py, &parsed, "anchors()")?;
        if self.core.is_empty() {
            return Err(crate::errors::to_py(py, &scenefold_core::Error::EmptyCodebook));
        }
        let scores = self.run_scores(py, &parsed)?;
        let found = scenefold_core::codebook::select_anchors(&scores, self.space.core.dim(), alpha, min_count, max_count).py(py)?;
        Ok(found
            .into_iter()
            .map(|a| Anchor {
                label: self.core.labels()[a.index].clone(),
                index: a.index,
                activation: a.activation,
                z: a.z,
                margin: a.margin,
            })
            .collect())
    }
}
