"""Tests of the SIMD kernels through the Python API against NumPy: top-k search over
block, tile and thread boundaries, majority bundles, accumulator sums and count queries.

Searches score rows in blocks of 128 KiB (128 rows at dim 8192, at most 512 rows at dim
64). Bit queries go in groups of up to 64 queries and in tiles of 4 queries. The sizes
drawn here cross and miss all of those boundaries. Bundles count rows in groups of 16, so row
counts around multiples of 16 are drawn too.
"""

import contextlib
import os
import subprocess
import sys

import numpy as np
import scenefold
from hypothesis import given
from hypothesis import strategies as st

# Dims of 1, 2, 3, 5, 9, 17 and 128 words hit every tail of the 4- and 8-word registers.
N_WORDS = [1, 2, 3, 5, 9, 17, 128]
# Cap on rows * words, so that every example stays small.
MAX_WORDS = 160 * 128


@contextlib.contextmanager
def num_threads(n: int):
    """Run the block with ``n`` scan threads and restore the previous count after it."""
    previous = scenefold.get_num_threads()
    scenefold.set_num_threads(n)
    try:
        yield
    finally:
        scenefold.set_num_threads(previous)


def random_words(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.bit_generator.random_raw(shape).astype(np.uint64)


def popcount(words: np.ndarray) -> np.ndarray:
    """Return the number of 1 bits along the last axis of a ``uint64`` array."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(words).sum(axis=-1, dtype=np.int64)
    as_bytes = words.view(np.uint8).reshape(*words.shape, 8)
    return np.unpackbits(as_bytes, axis=-1).sum(axis=(-1, -2), dtype=np.int64)


def unpack(words: np.ndarray) -> np.ndarray:
    """Return the bits of ``(n, n_words)`` words as ``(n, dim)`` 0/1 ``int64``."""
    as_bytes = words.view(np.uint8).reshape(len(words), -1)
    return np.unpackbits(as_bytes, axis=1, bitorder="little").astype(np.int64)


def top_k_reference(costs: np.ndarray, k: int) -> np.ndarray:
    """Return the ``k`` rows of lowest cost for each query row, ties to the lower row."""
    rows = np.arange(costs.shape[1])
    order = [np.lexsort((rows, c))[:k] for c in costs]
    return np.array(order, dtype=np.int64)


@st.composite
def search_cases(draw):
    """Draw a codebook with duplicate rows, queries near some rows, and ``k``."""
    n_words = draw(st.sampled_from(N_WORDS))
    max_rows = min(1100, MAX_WORDS // n_words)
    n_rows = draw(st.integers(1, max_rows))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rows = random_words(rng, (n_rows, n_words))
    if n_rows > 2:
        # Copies of earlier rows tie with them, and the lower row must win.
        copies = rng.integers(0, n_rows, size=max(1, n_rows // 10))
        rows[rng.integers(0, n_rows, size=len(copies))] = rows[copies]
    n_queries = draw(st.integers(1, 70))
    queries = random_words(rng, (n_queries, n_words))
    near = rng.integers(0, n_rows, size=n_queries)
    if draw(st.booleans()):
        # Flipping about a quarter of a row's bits gives a query with a clear nearest row.
        shape = (n_queries, n_words)
        queries = rows[near] ^ random_words(rng, shape) & random_words(rng, shape)
    k = draw(st.integers(1, 12))
    return n_words * 64, rows, queries, k


@given(case=search_cases())
def test_bit_search_matches_numpy(case):
    dim, rows, queries, k = case
    space = scenefold.Space(dim=dim)
    book = scenefold.Codebook(space, [f"r{i}" for i in range(len(rows))], rows)
    distances = popcount(queries[:, None, :] ^ rows[None, :, :])
    expected = top_k_reference(distances, k)
    found = {}
    for threads in (1, 2, 3):
        with num_threads(threads):
            found[threads] = book.search(queries, k=k)
    scores, indices = found[1]
    width = min(k, len(rows))
    assert np.array_equal(indices[:, :width], expected)
    assert (indices[:, width:] == -1).all()
    expected_scores = 1 - 2 * np.take_along_axis(distances, expected, axis=1) / dim
    assert np.array_equal(scores[:, :width], expected_scores)
    for threads in (2, 3):
        assert np.array_equal(found[threads][1], indices)
        assert np.array_equal(found[threads][0], scores)


@given(case=search_cases())
def test_single_query_matches_batch_row(case):
    dim, rows, queries, k = case
    space = scenefold.Space(dim=dim)
    book = scenefold.Codebook(space, [f"r{i}" for i in range(len(rows))], rows)
    _, batch = book.search(queries, k=k)
    _, single = book.search(queries[-1], k=k)
    assert np.array_equal(single, batch[-1])


@st.composite
def bundle_cases(draw):
    n_words = draw(st.sampled_from(N_WORDS))
    n_rows = draw(
        st.one_of(
            st.integers(1, 40),
            st.sampled_from([15, 16, 17, 31, 32, 33, 240, 241, 255, 256, 257]),
            st.integers(1, min(1000, MAX_WORDS // n_words)),
        )
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    density = draw(st.sampled_from([0.5, 0.9, 0.1]))
    bits = rng.random((n_rows, n_words * 64)) < density
    packed = np.packbits(bits, axis=1, bitorder="little").view(np.uint64)
    return n_words * 64, np.ascontiguousarray(packed)


@given(case=bundle_cases())
def test_bundle_matches_numpy_majority(case):
    dim, rows = case
    space = scenefold.Space(dim=dim, seed=3)
    ones = unpack(rows).sum(axis=0)
    tie = unpack(space.tie_break()[None, :])[0]
    n = len(rows)
    expected_bits = np.where(2 * ones > n, 1, np.where(2 * ones == n, tie, 0))
    packed = np.packbits(expected_bits.astype(np.uint8), bitorder="little")
    expected = packed.view(np.uint64)
    assert np.array_equal(space.bundle(rows), expected)


@given(case=bundle_cases(), weight=st.sampled_from([1, -1, 3, -7, 1 << 20]))
def test_add_many_matches_numpy_sum(case, weight):
    dim, rows = case
    space = scenefold.Space(dim=dim)
    bipolar = 1 - 2 * unpack(rows)
    acc = space.accumulator()
    acc.add(rows[0], 5)
    acc.add_many(rows, [weight] * len(rows))
    expected = 5 * bipolar[0] + weight * bipolar.sum(axis=0)
    assert np.array_equal(acc.counts, expected.astype(np.int32))
    assert acc.total_weight == 5 + weight * len(rows)
    unit = space.accumulator()
    unit.add_many(rows)
    assert np.array_equal(unit.counts, bipolar.sum(axis=0).astype(np.int32))


@given(case=bundle_cases(), seed=st.integers(0, 2**32 - 1))
def test_add_many_mixed_weights_matches_numpy(case, seed):
    dim, rows = case
    weights = np.random.default_rng(seed).integers(-4, 5, size=len(rows))
    space = scenefold.Space(dim=dim)
    acc = space.accumulator()
    acc.add_many(rows, weights.tolist())
    expected = weights @ (1 - 2 * unpack(rows))
    assert np.array_equal(acc.counts, expected.astype(np.int32))


@given(case=search_cases(), seed=st.integers(0, 2**32 - 1))
def test_count_search_matches_numpy_dot(case, seed):
    dim, rows, _, k = case
    rng = np.random.default_rng(seed)
    counts = rng.integers(-40, 41, size=(3, dim)).astype(np.int32)
    space = scenefold.Space(dim=dim)
    book = scenefold.Codebook(space, [f"r{i}" for i in range(len(rows))], rows)
    dots = counts.astype(np.int64) @ (1 - 2 * unpack(rows)).T
    expected = top_k_reference(-dots, k)
    width = min(k, len(rows))
    for threads in (1, 2):
        with num_threads(threads):
            scores, indices = book.search(counts, k=k)
        assert np.array_equal(indices[:, :width], expected)
    norms = np.linalg.norm(counts.astype(np.float64), axis=1)
    best = np.take_along_axis(dots, expected[:, :1], axis=1)[:, 0]
    assert np.allclose(scores[:, 0], best / (norms * np.sqrt(dim)))


_KERNEL_SCRIPT = """
import numpy as np, scenefold
rng = np.random.default_rng(7)
space = scenefold.Space(dim=8256, seed=1)
rows = rng.bit_generator.random_raw((301, 129)).astype(np.uint64)
book = scenefold.Codebook(space, [f"r{i}" for i in range(301)], rows)
scores, indices = book.search(rows[:9] ^ rows[9:18], k=7)
acc = space.accumulator()
acc.add_many(rows[:40])
counts_scores, counts_indices = book.search(acc, k=5)
print(indices.tolist(), space.bundle(rows[:40]).tolist(), counts_indices.tolist())
"""


def test_every_kernel_gives_the_same_answers():
    """Each kernel named by SCENEFOLD_SIMD returns the default kernel's results."""
    outputs = {}
    for kernel in ("portable", "avx2", "avx512", None):
        env = dict(os.environ)
        env.pop("SCENEFOLD_SIMD", None)
        if kernel is not None:
            env["SCENEFOLD_SIMD"] = kernel
        run = subprocess.run(
            [sys.executable, "-c", _KERNEL_SCRIPT],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs[kernel] = run.stdout
    assert outputs["portable"] == outputs[None]
    assert outputs["avx2"] == outputs[None]
    assert outputs["avx512"] == outputs[None]
