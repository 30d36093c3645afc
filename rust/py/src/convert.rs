//! Extraction of scalar and label arguments with scenefold's own errors.
//!
//! PyO3's default conversions raise bare `OverflowError`, `TypeError` or
//! `UnicodeEncodeError`; these extractors raise `scenefold.errors` classes instead,
//! with the value and the accepted range in the message.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyString};

use crate::errors::raise;

fn short_repr(obj: &Bound<'_, PyAny>) -> String {
    let text = obj.repr().map_or_else(|_| "<object>".to_string(), |r| r.to_string());
    if text.chars().count() > 60 {
        let head: String = text.chars().take(57).collect();
        format!("{head}...")
    } else {
        text
    }
}

fn integer<T: for<'a, 'py> FromPyObject<'a, 'py>>(
    obj: &Bound<'_, PyAny>,
    range: &str,
) -> PyResult<T> {
    let py = obj.py();
    if obj.is_instance_of::<PyBool>() {
        return Err(raise(
            py,
            "DtypeError",
            format!("expected an integer {range}, got {}", short_repr(obj)),
        ));
    }
    // NumPy integer scalars are not `int` instances but convert through __index__;
    // floats have no __index__ and are rejected.
    let converted;
    let obj = if obj.is_instance_of::<PyInt>() {
        obj
    } else if obj.hasattr("__index__").unwrap_or(false) {
        converted = obj.call_method0("__index__")?;
        &converted
    } else {
        return Err(raise(
            py,
            "DtypeError",
            format!("expected an integer {range}, got {}", short_repr(obj)),
        ));
    };
    obj.extract::<T>().map_err(|_| {
        raise(
            py,
            "InvalidArgumentError",
            format!("expected an integer {range}, got {}", short_repr(obj)),
        )
    })
}

/// Extracts an integer in [0, 2**64).
pub fn u64_arg(obj: &Bound<'_, PyAny>) -> PyResult<u64> {
    integer(obj, "from 0 to 2**64 - 1")
}

/// Extracts an integer in [-2**63, 2**63).
pub fn i64_arg(obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    integer(obj, "from -2**63 to 2**63 - 1")
}

/// Extracts a count: a non-negative integer that fits in memory sizes.
pub fn usize_arg(obj: &Bound<'_, PyAny>) -> PyResult<usize> {
    integer(obj, "from 0 to 2**63 - 1")
}

/// Extracts an optional count; None stays None.
pub fn opt_usize_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<usize>> {
    if obj.is_none() {
        return Ok(None);
    }
    usize_arg(obj).map(Some)
}

/// Extracts a sequence of integers in [-2**63, 2**63), such as weights or shifts.
pub fn i64_list_arg(obj: &Bound<'_, PyAny>) -> PyResult<Vec<i64>> {
    let py = obj.py();
    if obj.is_instance_of::<PyString>() {
        return Err(raise(py, "DtypeError", "expected a sequence of integers, got a str"));
    }
    let items = obj.try_iter().map_err(|_| {
        raise(
            py,
            "DtypeError",
            format!("expected a sequence of integers, got {}", short_repr(obj)),
        )
    })?;
    let mut out = Vec::new();
    for item in items {
        let item = item?;
        // NumPy integer scalars are not `int` instances; accept anything with __index__.
        let value = if item.is_instance_of::<PyInt>() && !item.is_instance_of::<PyBool>() {
            i64_arg(&item)?
        } else if item.hasattr("__index__")? && !item.is_instance_of::<PyBool>() {
            i64_arg(&item.call_method0("__index__")?)?
        } else {
            return Err(raise(
                py,
                "DtypeError",
                format!("expected integers, got {} in the sequence", short_repr(&item)),
            ));
        };
        out.push(value);
    }
    Ok(out)
}

/// Extracts an optional sequence of integers; None stays None.
pub fn opt_i64_list_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<Vec<i64>>> {
    if obj.is_none() {
        return Ok(None);
    }
    i64_list_arg(obj).map(Some)
}

/// Extracts a label: a str that encodes to UTF-8 (no lone surrogates).
pub fn label_arg(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = obj.py();
    let Ok(text) = obj.cast::<PyString>() else {
        return Err(raise(
            py,
            "DtypeError",
            format!("a label must be a str, got {}", short_repr(obj)),
        ));
    };
    text.to_str().map(str::to_owned).map_err(|_| {
        raise(
            py,
            "InvalidArgumentError",
            format!(
                "label {} is not valid Unicode text (it has a lone surrogate); labels \
                 must encode to UTF-8",
                short_repr(obj)
            ),
        )
    })
}

/// Extracts a sequence of labels.
pub fn labels_arg(obj: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    let py = obj.py();
    if obj.is_instance_of::<PyString>() {
        return Err(raise(
            py,
            "DtypeError",
            "labels must be a sequence of str, got one str; wrap it in a list",
        ));
    }
    let items = obj.try_iter().map_err(|_| {
        raise(
            py,
            "DtypeError",
            format!("labels must be a sequence of str, got {}", short_repr(obj)),
        )
    })?;
    items.map(|item| label_arg(&item?)).collect()
}
