//! Maps core errors onto the exception classes of `scenefold.errors`.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyType;
use scenefold_core::Error;

/// Returns an error of the class `name` of `scenefold.errors` with `message`.
pub fn raise(py: Python<'_>, name: &str, message: impl Into<String>) -> PyErr {
    let message = message.into();
    let class = py
        .import("scenefold.errors")
        .and_then(|module| module.getattr(name))
        .and_then(|class| class.cast_into::<PyType>().map_err(PyErr::from));
    match class {
        Ok(class) => PyErr::from_type(class, message),
        Err(_) => PyRuntimeError::new_err(format!(
            "scenefold.errors.{name} could not be imported; the package is incomplete: {message}"
        )),
    }
}

/// Returns the exception class name for a core error.
fn class_of(error: &Error) -> &'static str {
    match error {
        Error::DimensionMismatch { .. } => "DimensionMismatchError",
        Error::RaggedBuffer { .. } | Error::LengthMismatch { .. } => "ShapeError",
        Error::EmptyCodebook => "EmptyCodebookError",
        Error::UnknownLabel(_) => "UnknownLabelError",
        Error::InvalidDim(_)
        | Error::InvalidK(_)
        | Error::InvalidAlpha(_)
        | Error::InvalidCounts { .. }
        | Error::DuplicateLabel(_)
        | Error::RepeatedLabel(_)
        | Error::Overflow => "InvalidArgumentError",
    }
}

/// Converts a core error into the matching Python exception.
pub fn to_py(py: Python<'_>, error: &Error) -> PyErr {
    raise(py, class_of(error), error.to_string())
}

/// Extension to turn a core `Result` into a `PyResult`.
pub trait IntoPyResult<T> {
    /// Maps the error with [`to_py`].
    fn py(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for scenefold_core::Result<T> {
    fn py(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, &e))
    }
}
