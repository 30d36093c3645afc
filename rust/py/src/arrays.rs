//! Validation of NumPy arguments: dtype, number of dimensions, width and layout, checked
//! once at the boundary with messages that name the value and the fix.

use numpy::{
    PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::prelude::*;

use crate::errors::raise;

/// A validated C-contiguous array of one vector or a batch of rows.
pub struct Rows<'py, T: numpy::Element> {
    array: PyReadonlyArrayDyn<'py, T>,
    /// Number of rows; 1 for a single vector.
    pub n_rows: usize,
    /// Whether the argument was 2-D.
    pub batched: bool,
}

impl<T: numpy::Element> Rows<'_, T> {
    /// Returns the row-major data.
    pub fn as_slice(&self) -> &[T] {
        // Contiguity was checked when the array was accepted.
        self.array.as_slice().unwrap_or(&[])
    }
}

fn describe(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map_or_else(|_| "an object".to_string(), |n| n.to_string())
}

/// Accepts `obj` as `width` elements of dtype `T` or a C-contiguous `(n, width)` batch.
///
/// `what` names the argument in messages, `expected_dtype` the dtype, `width_name` the
/// meaning of the last axis (`"dim // 64 words"`).
pub fn rows<'py, T: numpy::Element>(
    obj: &Bound<'py, PyAny>,
    what: &str,
    expected_dtype: &str,
    width: usize,
    width_name: &str,
) -> PyResult<Rows<'py, T>> {
    let py = obj.py();
    let Ok(untyped) = obj.cast::<PyUntypedArray>() else {
        return Err(raise(
            py,
            "DtypeError",
            format!(
                "{what} must be a numpy array of dtype {expected_dtype}, got {}",
                describe(obj)
            ),
        ));
    };
    let dtype = untyped.dtype();
    let Ok(array) = obj.cast::<PyArrayDyn<T>>() else {
        return Err(raise(
            py,
            "DtypeError",
            format!(
                "{what} must have dtype {expected_dtype}, got {dtype}; convert it with \
                 .astype(np.{expected_dtype}) only if the values are already packed {expected_dtype}"
            ),
        ));
    };
    let shape = untyped.shape().to_vec();
    let (n_rows, batched) = match shape.as_slice() {
        [w] => {
            check_width(py, what, *w, width, width_name)?;
            (1, false)
        }
        [n, w] => {
            check_width(py, what, *w, width, width_name)?;
            (*n, true)
        }
        _ => {
            return Err(raise(
                py,
                "ShapeError",
                format!(
                    "{what} must be 1-D ({width},) or 2-D (n, {width}), got shape {shape:?}"
                ),
            ))
        }
    };
    if !untyped.is_c_contiguous() {
        return Err(raise(
            py,
            "ShapeError",
            format!("{what} must be C-contiguous; pass np.ascontiguousarray({what}) instead"),
        ));
    }
    let array = array.try_readonly().map_err(|e| {
        raise(py, "ShapeError", format!("{what} cannot be read while it is borrowed mutably: {e}"))
    })?;
    Ok(Rows { array, n_rows, batched })
}

fn check_width(py: Python<'_>, what: &str, found: usize, width: usize, name: &str) -> PyResult<()> {
    if found == width {
        return Ok(());
    }
    let class = if name.contains("words") { "DimensionMismatchError" } else { "ShapeError" };
    Err(raise(
        py,
        class,
        format!(
            "{what} has {found} {name} per row, expected {width} for this space; \
             was it made in a space of another dim?"
        ),
    ))
}

/// Accepts packed bit vectors of a space with `n_words` words per row.
pub fn bits<'py>(obj: &Bound<'py, PyAny>, what: &str, n_words: usize) -> PyResult<Rows<'py, u64>> {
    rows(obj, what, "uint64", n_words, "uint64 words (dim // 64)")
}

/// Accepts accumulator counts of a space of `dim` dimensions.
pub fn counts<'py>(obj: &Bound<'py, PyAny>, what: &str, dim: usize) -> PyResult<Rows<'py, i32>> {
    rows(obj, what, "int32", dim, "counts (dim)")
}
