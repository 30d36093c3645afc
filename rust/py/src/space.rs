//! `Space` and `Accumulator`: the algebra of packed binary hypervectors.

use numpy::ndarray::Array2;
use numpy::{PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::PyAny;
use scenefold_core::{accumulator, vector, Accumulator as CoreAccumulator, Space as CoreSpace};

use crate::arrays;
use crate::convert;
use crate::errors::{raise, IntoPyResult};

/// Returns `data` as a 1-D array when `batched` is false, else as `(n, width)`.
pub fn shaped<'py, T: numpy::Element>(
    py: Python<'py>,
    data: Vec<T>,
    batched: bool,
    width: usize,
) -> PyResult<Bound<'py, PyAny>> {
    if batched {
        let n = data.len().checked_div(width).unwrap_or(0);
        let array = Array2::from_shape_vec((n, width), data)
            .map_err(|e| raise(py, "ShapeError", e.to_string()))?;
        Ok(PyArray2::from_owned_array(py, array).into_any())
    } else {
        Ok(PyArray1::from_vec(py, data).into_any())
    }
}

/// A hypervector space: the model, the dimension in bits and the seed of its atoms.
///
/// Vectors are NumPy ``uint64`` arrays of ``dim // 64`` words, or ``(n, dim // 64)``
/// batches; bit ``i`` is bit ``i % 64`` of word ``i // 64`` and bit 1 stands for -1.
#[pyclass(module = "scenefold._core", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct Space {
    pub core: CoreSpace,
}

/// Pairs rows of `a` and `b`: equal counts, or one side a single vector.
fn pair_rows(py: Python<'_>, a: usize, b: usize) -> PyResult<usize> {
    match (a, b) {
        (x, y) if x == y => Ok(x),
        (1, y) => Ok(y),
        (x, 1) => Ok(x),
        (x, y) => Err(raise(
            py,
            "ShapeError",
            format!("cannot pair {x} rows with {y} rows; pass equal counts or one vector"),
        )),
    }
}

impl Space {
    /// Applies `f` to each pair of rows of `a` and `b`, broadcasting a single vector.
    fn pairwise<T, F>(&self, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>, f: F) -> PyResult<(Vec<T>, bool)>
    where
        F: Fn(&[u64], &[u64]) -> T,
    {
        let py = a.py();
        let n_words = self.core.n_words();
        let a = arrays::bits(a, "a", n_words)?;
        let b = arrays::bits(b, "b", n_words)?;
        let n = pair_rows(py, a.n_rows, b.n_rows)?;
        let (xa, xb) = (a.as_slice(), b.as_slice());
        let row = |x: &[u64], rows: usize, i: usize| {
            let i = if rows == 1 { 0 } else { i };
            x[i * n_words..(i + 1) * n_words].to_vec()
        };
        let out = (0..n).map(|i| f(&row(xa, a.n_rows, i), &row(xb, b.n_rows, i))).collect();
        Ok((out, a.batched || b.batched))
    }
}

#[pymethods]
impl Space {
    #[new]
    #[pyo3(signature = (model = "bsc", dim = 8192, seed = 0))]
    fn new(
        py: Python<'_>,
        model: &str,
        #[pyo3(from_py_with = convert::i64_arg)] dim: i64,
        #[pyo3(from_py_with = convert::u64_arg)] seed: u64,
    ) -> PyResult<Self> {
        if model != "bsc" {
            return Err(raise(
                py,
                "InvalidArgumentError",
                format!("model {model:?} is not supported; the supported model is \"bsc\""),
            ));
        }
        let dim = usize::try_from(dim).map_err(|_| {
            raise(py, "InvalidArgumentError", format!("dim must be a positive multiple of 64, got {dim}"))
        })?;
        Ok(Self { core: CoreSpace::new(dim, seed).py(py)? })
    }

    /// The model name, ``"bsc"`` (binary spatter codes).
    #[getter]
    fn model(&self) -> &'static str {
        "bsc"
    }

    /// Number of bits of a vector.
    #[getter]
    fn dim(&self) -> usize {
        self.core.dim()
    }

    /// Seed that atoms are derived from.
    #[getter]
    fn seed(&self) -> u64 {
        self.core.seed()
    }

    /// Number of ``uint64`` words of a vector, ``dim // 64``.
    #[getter]
    fn n_words(&self) -> usize {
        self.core.n_words()
    }

    fn __repr__(&self) -> String {
        format!("Space(model='bsc', dim={}, seed={})", self.core.dim(), self.core.seed())
    }

    /// Return the atom of ``label``, derived from the seed and the NFC-normalised label.
    fn atom<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = convert::label_arg)] label: String,
    ) -> Bound<'py, PyArray1<u64>> {
        PyArray1::from_vec(py, self.core.atom(&label))
    }

    /// Return the atoms of ``labels`` as an ``(n, n_words)`` array.
    fn atoms<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = convert::labels_arg)] labels: Vec<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let core = self.core;
        let data = crate::threads::run(py, || core.atoms(&labels))?;
        shaped(py, data, true, core.n_words())
    }

    /// Return ``n`` random vectors of the numbered stream ``seed`` as ``(n, n_words)``.
    fn random<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = convert::usize_arg)] n: usize,
        #[pyo3(from_py_with = convert::u64_arg)] seed: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        shaped(py, self.core.random(n, seed), true, self.core.n_words())
    }

    /// Return a zero vector, or ``n`` of them as ``(n, n_words)``.
    #[pyo3(signature = (n = None))]
    fn zeros<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = convert::opt_usize_arg)] n: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let w = self.core.n_words();
        shaped(py, vec![0u64; n.unwrap_or(1) * w], n.is_some(), w)
    }

    /// Return the vector whose bits settle ties when a bundle is thresholded.
    fn tie_break<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        PyArray1::from_vec(py, self.core.tie_break())
    }

    /// Bind ``a`` and ``b`` (XOR); a single vector pairs with every row of a batch.
    fn bind<'py>(&self, a: &Bound<'py, PyAny>, b: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let (rows, batched) = self.pairwise(a, b, |x, y| {
            let mut out = vec![0u64; x.len()];
            vector::bind_into(x, y, &mut out);
            out
        })?;
        shaped(a.py(), rows.concat(), batched, self.core.n_words())
    }

    /// Unbind ``b`` from ``a``; for XOR binding this equals :meth:`bind`.
    fn unbind<'py>(&self, a: &Bound<'py, PyAny>, b: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.bind(a, b)
    }

    /// Rotate ``x`` cyclically by ``k`` bits: bit ``i`` moves to ``(i + k) % dim``.
    #[pyo3(signature = (x, k = 1))]
    fn permute<'py>(
        &self,
        x: &Bound<'py, PyAny>,
        #[pyo3(from_py_with = convert::i64_arg)] k: i64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let n_words = self.core.n_words();
        let rows = arrays::bits(x, "x", n_words)?;
        let mut out = vec![0u64; rows.as_slice().len()];
        for (src, dst) in rows.as_slice().chunks_exact(n_words).zip(out.chunks_exact_mut(n_words)) {
            vector::permute_into(src, k, dst);
        }
        shaped(x.py(), out, rows.batched, n_words)
    }

    /// Bind each row of ``a`` to the matching row of ``b`` rotated by ``shifts[i]`` bits.
    ///
    /// Row ``i`` of the result is ``a[i] ^ permute(b[i], shifts[i])``; either side may be a
    /// single vector shared by every row.
    fn bind_permuted<'py>(
        &self,
        a: &Bound<'py, PyAny>,
        b: &Bound<'py, PyAny>,
        #[pyo3(from_py_with = convert::i64_list_arg)] shifts: Vec<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = a.py();
        let n_words = self.core.n_words();
        let ra = arrays::bits(a, "a", n_words)?;
        let rb = arrays::bits(b, "b", n_words)?;
        let n = pair_rows(py, ra.n_rows, rb.n_rows)?;
        let n = pair_rows(py, n, shifts.len())?;
        let (xa, xb) = (ra.as_slice(), rb.as_slice());
        let mut out = vec![0u64; n * n_words];
        let mut rotated = vec![0u64; n_words];
        for (i, dst) in out.chunks_exact_mut(n_words).enumerate() {
            let ia = if ra.n_rows == 1 { 0 } else { i };
            let ib = if rb.n_rows == 1 { 0 } else { i };
            let shift = shifts[if shifts.len() == 1 { 0 } else { i }];
            vector::permute_into(&xb[ib * n_words..(ib + 1) * n_words], shift, &mut rotated);
            vector::bind_into(&xa[ia * n_words..(ia + 1) * n_words], &rotated, dst);
        }
        shaped(py, out, true, n_words)
    }

    /// Unbind ``keys[i]`` from ``counts`` and rotate back by ``shifts[i]``, for each row.
    ///
    /// Row ``i`` is ``permute(counts * bipolar(keys[i]), -shifts[i])``: the query that
    /// finds the fillers bound to ``keys[i]`` after a rotation by ``shifts[i]``.
    fn unbind_counts<'py>(
        &self,
        counts: &Bound<'py, PyAny>,
        keys: &Bound<'py, PyAny>,
        #[pyo3(from_py_with = convert::i64_list_arg)] shifts: Vec<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = counts.py();
        let dim = self.core.dim();
        let n_words = self.core.n_words();
        let c = arrays::counts(counts, "counts", dim)?;
        if c.batched {
            return Err(raise(py, "ShapeError", "counts must be one 1-D vector of length dim"));
        }
        if c.as_slice().contains(&i32::MIN) {
            return Err(raise(
                py,
                "InvalidArgumentError",
                "counts must lie in [-2**31 + 1, 2**31 - 1]: unbinding negates counts, and \
                 -2**31 has no negation in int32",
            ));
        }
        let k = arrays::bits(keys, "keys", n_words)?;
        let n = pair_rows(py, k.n_rows, shifts.len())?;
        let mut out = vec![0i32; n * dim];
        let mut bound = vec![0i32; dim];
        let source = c.as_slice();
        for (i, dst) in out.chunks_exact_mut(dim).enumerate() {
            let ik = if k.n_rows == 1 { 0 } else { i };
            let shift = shifts[if shifts.len() == 1 { 0 } else { i }];
            accumulator::bind_counts(source, &k.as_slice()[ik * n_words..(ik + 1) * n_words], &mut bound);
            // Reduce first: -shift overflows for i64::MIN, -(shift mod dim) never does.
            let shift = shift.rem_euclid(dim as i64);
            accumulator::permute_counts(&bound, -shift, dst);
        }
        shaped(py, out, true, dim)
    }

    /// Undo :meth:`permute` by ``k``.
    #[pyo3(signature = (x, k = 1))]
    fn inverse_permute<'py>(
        &self,
        x: &Bound<'py, PyAny>,
        #[pyo3(from_py_with = convert::i64_arg)] k: i64,
    ) -> PyResult<Bound<'py, PyAny>> {
        // Reduce first: -k overflows for i64::MIN, -(k mod dim) never does.
        let k = k.rem_euclid(self.core.dim() as i64);
        self.permute(x, -k)
    }

    /// Return the number of differing bits; an ``int64`` array for batches.
    fn hamming<'py>(&self, a: &Bound<'py, PyAny>, b: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let (d, batched) = self.pairwise(a, b, |x, y| vector::hamming(x, y) as i64)?;
        if batched {
            return Ok(PyArray1::from_vec(a.py(), d).into_any());
        }
        Ok(d[0].into_pyobject(a.py())?.into_any())
    }

    /// Return the bipolar cosine ``1 - 2 * hamming / dim`` in [-1, 1].
    fn similarity<'py>(&self, a: &Bound<'py, PyAny>, b: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let (s, batched) = self.pairwise(a, b, vector::similarity)?;
        if batched {
            return Ok(PyArray1::from_vec(a.py(), s).into_any());
        }
        Ok(s[0].into_pyobject(a.py())?.into_any())
    }

    /// Bundle the rows of ``vectors`` by weighted majority.
    ///
    /// A zero count takes its bit from ``tie_break``, by default :meth:`tie_break`.
    #[pyo3(signature = (vectors, weights = None, tie_break = None))]
    fn bundle<'py>(
        &self,
        vectors: &Bound<'py, PyAny>,
        #[pyo3(from_py_with = convert::opt_i64_list_arg)] weights: Option<Vec<i64>>,
        tie_break: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyArray1<u64>>> {
        let py = vectors.py();
        if weights.is_none() {
            // Unit weights: count with carry-save adders, never building the counts.
            let n_words = self.core.n_words();
            let rows = arrays::bits(vectors, "vectors", n_words)?;
            let tie = match tie_break {
                Some(tie) => {
                    let tie = arrays::bits(tie, "tie_break", n_words)?;
                    if tie.batched {
                        return Err(raise(py, "ShapeError", "tie_break must be one 1-D vector"));
                    }
                    tie.as_slice().to_vec()
                }
                None => self.core.tie_break(),
            };
            let mut out = vec![0u64; n_words];
            scenefold_core::bundle::bundle_majority(rows.as_slice(), n_words, &tie, &mut out)
                .py(py)?;
            return Ok(PyArray1::from_vec(py, out));
        }
        let mut acc = Accumulator::new(self.clone());
        acc.add_rows(vectors, weights, 1)?;
        acc.threshold(py, tie_break)
    }

    /// Return an empty :class:`Accumulator` of this space.
    fn accumulator(&self) -> Accumulator {
        Accumulator::new(self.clone())
    }
}

/// Converts Python weights to `i32`, naming the first one out of range.
fn weights_i32(py: Python<'_>, weights: &[i64], sign: i64) -> PyResult<Vec<i32>> {
    weights
        .iter()
        .map(|&w| {
            w.checked_mul(sign).and_then(|x| i32::try_from(x).ok()).ok_or_else(|| {
                let what = if sign < 0 { "the negation of weight" } else { "weight" };
                raise(
                    py,
                    "InvalidArgumentError",
                    format!("{what} {w} does not fit in a 32-bit integer"),
                )
            })
        })
        .collect()
}

/// An integer bundle: one signed count per dimension, exact under add and subtract.
///
/// Count ``i`` is the weighted sum of the bipolar values (+1 for bit 0, -1 for bit 1)
/// of bit ``i`` of every vector added; :meth:`threshold` folds it into bits.
#[pyclass(module = "scenefold._core")]
pub struct Accumulator {
    pub space: Space,
    pub core: CoreAccumulator,
}

impl Accumulator {
    pub fn new(space: Space) -> Self {
        let dim = space.core.dim();
        Self { space, core: CoreAccumulator::new(dim) }
    }

    fn add_rows(&mut self, vectors: &Bound<'_, PyAny>, weights: Option<Vec<i64>>, sign: i64) -> PyResult<()> {
        let py = vectors.py();
        let rows = arrays::bits(vectors, "vectors", self.space.core.n_words())?;
        let weights = weights.map(|w| weights_i32(py, &w, sign)).transpose()?;
        let weights = match (weights, sign) {
            (Some(w), _) => Some(w),
            (None, 1) => None,
            (None, _) => Some(vec![-1; rows.n_rows]),
        };
        self.core.add_many(rows.as_slice(), weights.as_deref()).py(py)
    }
}

#[pymethods]
impl Accumulator {
    #[new]
    fn py_new(space: PyRef<'_, Space>) -> Self {
        Self::new(space.clone())
    }

    /// Number of counts, the ``dim`` of the space.
    #[getter]
    fn dim(&self) -> usize {
        self.core.dim()
    }

    /// Sum of the weights added minus those subtracted.
    #[getter]
    fn total_weight(&self) -> i64 {
        self.core.total_weight()
    }

    /// A copy of the counts as an ``int32`` array of length ``dim``.
    #[getter]
    fn counts<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i32>> {
        PyArray1::from_slice(py, self.core.counts())
    }

    fn __repr__(&self) -> String {
        format!("Accumulator(dim={}, total_weight={})", self.core.dim(), self.core.total_weight())
    }

    /// Add ``x`` (one vector, or every row of a batch) times ``weight``.
    #[pyo3(signature = (x, weight = 1))]
    fn add(
        &mut self,
        x: &Bound<'_, PyAny>,
        #[pyo3(from_py_with = convert::i64_arg)] weight: i64,
    ) -> PyResult<()> {
        let n = arrays::bits(x, "x", self.space.core.n_words())?.n_rows;
        self.add_rows(x, Some(vec![weight; n]), 1)
    }

    /// Subtract ``x`` times ``weight``; exactly undoes :meth:`add` with the same arguments.
    #[pyo3(signature = (x, weight = 1))]
    fn subtract(
        &mut self,
        x: &Bound<'_, PyAny>,
        #[pyo3(from_py_with = convert::i64_arg)] weight: i64,
    ) -> PyResult<()> {
        let n = arrays::bits(x, "x", self.space.core.n_words())?.n_rows;
        self.add_rows(x, Some(vec![weight; n]), -1)
    }

    /// Add every row of ``vectors`` with its weight from ``weights`` (default 1).
    #[pyo3(signature = (vectors, weights = None))]
    fn add_many(
        &mut self,
        vectors: &Bound<'_, PyAny>,
        #[pyo3(from_py_with = convert::opt_i64_list_arg)] weights: Option<Vec<i64>>,
    ) -> PyResult<()> {
        self.add_rows(vectors, weights, 1)
    }

    /// Fold the counts into bits: negative to 1, positive to 0, zero from ``tie_break``
    /// (by default the space's :meth:`Space.tie_break`).
    #[pyo3(signature = (tie_break = None))]
    fn threshold<'py>(
        &self,
        py: Python<'py>,
        tie_break: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyArray1<u64>>> {
        let n_words = self.space.core.n_words();
        let mut out = vec![0u64; n_words];
        match tie_break {
            Some(tie) => {
                let rows = arrays::bits(tie, "tie_break", n_words)?;
                if rows.batched {
                    return Err(raise(py, "ShapeError", "tie_break must be one 1-D vector"));
                }
                self.core.threshold_into(rows.as_slice(), &mut out).py(py)?;
            }
            None => self.core.threshold_into(&self.space.core.tie_break(), &mut out).py(py)?,
        }
        Ok(PyArray1::from_vec(py, out))
    }

    /// Return the cosine of the counts with bipolar ``x``; an array for a batch.
    fn similarity<'py>(&self, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = x.py();
        let rows = arrays::bits(x, "x", self.space.core.n_words())?;
        let norm = self.core.norm();
        let dim = self.core.dim();
        let mut out = Vec::with_capacity(rows.n_rows);
        for row in rows.as_slice().chunks_exact(self.space.core.n_words()) {
            out.push(accumulator::cosine(self.core.dot(row).py(py)?, norm, dim));
        }
        if rows.batched {
            return Ok(PyArray1::from_vec(py, out).into_any());
        }
        Ok(out[0].into_pyobject(py)?.into_any())
    }

    /// Return the Euclidean norm of the counts.
    fn norm(&self) -> f64 {
        self.core.norm()
    }

    /// Set every count to zero.
    fn clear(&mut self) {
        self.core.clear();
    }

    /// Return an independent copy.
    fn copy(&self) -> Self {
        Self { space: self.space.clone(), core: self.core.clone() }
    }
}
