//! Python bindings of scenefold's core, the module `scenefold._core`.
//!
//! This crate only converts and validates arguments, releases the GIL around long calls
//! and maps core errors onto `scenefold.errors`; every kernel lives in `scenefold-core`.

use pyo3::prelude::*;

mod arrays;
mod codebook;
mod convert;
mod errors;
mod resonator;
mod space;
mod threads;

/// Return the PRNG seed of ``label`` in a space with ``seed``.
#[pyfunction]
fn label_seed(
    #[pyo3(from_py_with = convert::u64_arg)] seed: u64,
    #[pyo3(from_py_with = convert::label_arg)] label: String,
) -> u64 {
    scenefold_core::hash::label_seed(seed, &label)
}

/// Return ``z`` whose upper-tail probability under the standard normal is ``p``.
#[pyfunction]
fn normal_isf(py: Python<'_>, p: f64) -> PyResult<f64> {
    if !(p > 0.0 && p < 1.0) {
        return Err(errors::raise(
            py,
            "InvalidArgumentError",
            format!("p is a probability and must lie strictly between 0 and 1, got {p}"),
        ));
    }
    errors::IntoPyResult::py(scenefold_core::stats::normal_isf(p), py)
}

/// Return the popcount kernel scans run: ``"avx512"``, ``"avx2"`` or ``"portable"``.
///
/// The best one the CPU supports, capped by the ``SCENEFOLD_SIMD`` environment variable.
#[pyfunction]
fn simd_level() -> &'static str {
    scenefold_core::popcount::Kernel::detect().name()
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<space::Space>()?;
    m.add_class::<space::Accumulator>()?;
    m.add_class::<codebook::Codebook>()?;
    m.add_class::<codebook::Anchor>()?;
    m.add_class::<resonator::Resonator>()?;
    m.add_function(wrap_pyfunction!(label_seed, m)?)?;
    m.add_function(wrap_pyfunction!(normal_isf, m)?)?;
    m.add_function(wrap_pyfunction!(simd_level, m)?)?;
    m.add_function(wrap_pyfunction!(threads::set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(threads::get_num_threads, m)?)?;
    Ok(())
}
