//! The thread pool of codebook scans and the one helper that runs every long core call.

use std::sync::{Arc, RwLock};

use pyo3::prelude::*;
use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::errors::raise;

static POOL: RwLock<Option<Arc<ThreadPool>>> = RwLock::new(None);

/// Environment variable that sets the initial number of threads.
pub const THREADS_ENV: &str = "SCENEFOLD_NUM_THREADS";

/// Most scan threads; far above any useful count, low enough to start quickly.
pub const MAX_THREADS: usize = 1024;

fn build(n: usize) -> Result<ThreadPool, String> {
    ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("scenefold-{i}"))
        .build()
        .map_err(|e| e.to_string())
}

/// Reads `SCENEFOLD_NUM_THREADS`; a value that is not a count up to [`MAX_THREADS`]
/// is ignored with a warning on standard error, and 0 means one per core.
fn initial_threads() -> usize {
    let Ok(value) = std::env::var(THREADS_ENV) else {
        return 0;
    };
    match value.trim().parse::<usize>() {
        Ok(n) if n <= MAX_THREADS => n,
        _ => {
            eprintln!(
                "scenefold: ignoring {THREADS_ENV}={value:?}; expected a count from 0 to \
                 {MAX_THREADS}, using one thread per core"
            );
            0
        }
    }
}

fn pool(py: Python<'_>) -> PyResult<Arc<ThreadPool>> {
    if let Some(pool) = POOL.read().ok().and_then(|guard| guard.clone()) {
        return Ok(pool);
    }
    let mut guard = POOL.write().map_err(|_| raise(py, "ScenefoldError", "thread pool lock poisoned"))?;
    if let Some(pool) = guard.clone() {
        return Ok(pool);
    }
    let pool = Arc::new(build(initial_threads()).map_err(|e| raise(py, "ScenefoldError", e))?);
    *guard = Some(pool.clone());
    Ok(pool)
}

/// Runs `f` on the scan pool with the GIL released.
pub fn run<T: Send, F: FnOnce() -> T + Send>(py: Python<'_>, f: F) -> PyResult<T> {
    let pool = pool(py)?;
    Ok(py.detach(|| pool.install(f)))
}

/// Sets the number of scan threads; 0 means one per core.
#[pyfunction]
pub fn set_num_threads(
    py: Python<'_>,
    #[pyo3(from_py_with = crate::convert::usize_arg)] n: usize,
) -> PyResult<()> {
    if n > MAX_THREADS {
        return Err(raise(
            py,
            "InvalidArgumentError",
            format!("n must be from 0 to {MAX_THREADS} threads, got {n}"),
        ));
    }
    let pool = Arc::new(build(n).map_err(|e| raise(py, "InvalidArgumentError", e))?);
    let mut guard = POOL.write().map_err(|_| raise(py, "ScenefoldError", "thread pool lock poisoned"))?;
    *guard = Some(pool);
    Ok(())
}

/// Returns the number of scan threads.
#[pyfunction]
pub fn get_num_threads(py: Python<'_>) -> PyResult<usize> {
    Ok(pool(py)?.current_num_threads())
}
