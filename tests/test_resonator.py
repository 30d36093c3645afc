"""Tests of the resonator network: accuracy, a NumPy reference, sign flips, confidence,
superpositions, role–filler pairs, interruption and input errors.

Random codebooks come from NumPy generators with fixed seeds, so every statistical check
is deterministic. Each check states the rate it expects and the margin it allows.
"""

from __future__ import annotations

import signal
import threading
import time

import numpy as np
import pytest
import scenefold as sf
from scenefold.errors import (
    DimensionMismatchError,
    DtypeError,
    EmptyCodebookError,
    InvalidArgumentError,
    ShapeError,
)


def random_codebook(rng: np.random.Generator, rows: int, dim: int) -> np.ndarray:
    """Return ``rows`` random packed vectors of ``dim`` bits, the bits past ``dim`` cleared."""
    n_words = -(-dim // 64)
    book = rng.integers(0, 2**64, size=(rows, n_words), dtype=np.uint64, endpoint=False)
    if dim % 64:
        book[:, -1] &= np.uint64((1 << (dim % 64)) - 1)
    return book


def problems(seed: int, sizes: list[int], dim: int, trials: int):
    """Return codebooks, true indices ``(trials, F)`` and the bound targets."""
    rng = np.random.default_rng(seed)
    books = [random_codebook(rng, m, dim) for m in sizes]
    truth = np.stack([rng.integers(0, m, size=trials) for m in sizes], axis=1)
    targets = np.zeros((trials, books[0].shape[1]), dtype=np.uint64)
    for f, book in enumerate(books):
        targets ^= book[truth[:, f]]
    return books, truth, targets


def bipolar(bits: np.ndarray, dim: int) -> np.ndarray:
    """Return the ±1 form of packed bits (bit 1 is -1), over the last axis, as int64."""
    as_bytes = np.ascontiguousarray(bits, dtype="<u8").view(np.uint8)
    unpacked = np.unpackbits(as_bytes, axis=-1, bitorder="little")[..., :dim]
    return 1 - 2 * unpacked.astype(np.int64)


def reference_trace(
    books: list[np.ndarray],
    target: np.ndarray,
    iterations: int,
    *,
    synchronous: bool = False,
    threshold: float | None = None,
) -> np.ndarray:
    """Run the outer-product resonator of Kent et al. (2020) on ±1 integers.

    Start at the sign of each codebook's sum, update with ``sign(X Xᵀ u)``, and map
    ``sign(0)`` to +1. A threshold zeroes the similarities below it unless that would
    zero them all. Returns the ±1 states ``(iterations + 1, F, dim)``.
    """
    dim = target.shape[-1]
    estimates = [np.where(b.sum(axis=0) >= 0, 1, -1) for b in books]
    states = [np.stack(estimates)]
    for _ in range(iterations):
        previous = [e.copy() for e in estimates]
        for f, book in enumerate(books):
            source = previous if synchronous else estimates
            others = np.prod([source[g] for g in range(len(books)) if g != f], axis=0)
            similarities = book @ (target * others)
            kept = (
                np.abs(similarities) / dim >= threshold
                if threshold is not None
                else None
            )
            if kept is not None and kept.any():
                similarities = np.where(kept, similarities, 0)
            estimates[f] = np.where(book.T @ similarities >= 0, 1, -1)
        states.append(np.stack(estimates))
    return np.stack(states)


def test_accuracy_three_factors_of_thirty():
    # Kent et al. (2020) put the 99 % capacity at dim 1500, F = 3 near 79 rows per
    # factor, so 30 rows should fail almost never: all 400 seeded trials pass here, and
    # the check allows 4 failures.
    books, truth, targets = problems(seed=1, sizes=[30, 30, 30], dim=1500, trials=400)
    batch = sf.Resonator(books, dim=1500).factor_arrays(targets)
    correct = (batch.indices == truth).all(axis=1)
    assert correct.mean() >= 0.99
    assert (batch.confidence[correct] == 1.0).all()
    assert batch.converged[correct].all()


@pytest.mark.parametrize(
    ("sizes", "dim", "synchronous", "threshold"),
    [
        ([7, 9, 11], 200, False, None),
        ([12, 12], 256, False, None),
        ([15, 15, 15], 192, True, None),
        ([20, 20, 20], 320, False, 0.08),
    ],
)
def test_trace_matches_numpy_reference(sizes, dim, synchronous, threshold):
    books, _, targets = problems(seed=sum(sizes) + dim, sizes=sizes, dim=dim, trials=3)
    options = {"update": "synchronous" if synchronous else "sequential"}
    if threshold is not None:
        options.update(activation="threshold", threshold=threshold)
    resonator = sf.Resonator(books, dim=dim, **options)
    books_pm = [bipolar(b, dim) for b in books]
    for target in targets:
        expected = reference_trace(
            books_pm,
            bipolar(target, dim),
            12,
            synchronous=synchronous,
            threshold=threshold,
        )
        found = bipolar(resonator.trace(target, 12), dim)
        for iteration in range(13):
            assert np.array_equal(found[iteration], expected[iteration]), (
                f"iteration {iteration}"
            )


def test_negated_estimates_are_reported_with_positive_signs():
    # With four factors the product is unchanged when two estimates are negated, and the
    # network often settles that way. The decoded rows and signs must not show it.
    dim = 512
    books, truth, targets = problems(seed=21, sizes=[8, 8, 8, 8], dim=dim, trials=40)
    resonator = sf.Resonator(books)
    results = resonator.factor_batch(targets)
    negated_runs = 0
    for target, result, expected in zip(targets, results, truth):
        final = bipolar(resonator.trace(target, result.iterations)[-1], dim)
        rows = [bipolar(books[f][i], dim) for f, i in enumerate(result.indices)]
        negated = [int(final[f] @ rows[f]) < 0 for f in range(4)]
        negated_runs += any(negated)
        assert result.indices == tuple(expected)
        assert result.signs == (1, 1, 1, 1)
        assert result.confidence == 1.0
    assert negated_runs > 0, "no run of the seeded set settled on negated estimates"


def test_negated_target_gets_one_negative_sign():
    books, truth, targets = problems(seed=3, sizes=[10, 10, 10], dim=512, trials=1)
    result = sf.Resonator(books).factor(~targets[0])
    assert result.indices == tuple(truth[0])
    assert sorted(result.signs) == [-1, 1, 1]
    assert result.confidence == 1.0


def test_wrong_fixed_points_have_low_confidence():
    # 100 rows per factor at dim 256 is past the capacity of two factors: some searches
    # settle on wrong fixed points. The re-bound product of a wrong result is unrelated to the target, so
    # its similarity stays near the noise floor 1 / sqrt(256) = 0.06.
    books, truth, targets = problems(seed=11, sizes=[100, 100], dim=256, trials=60)
    batch = sf.Resonator(books, max_iterations=300).factor_arrays(targets)
    correct = (batch.indices == truth).all(axis=1)
    assert (batch.converged & ~correct).any(), (
        "the seeded set has no converged wrong answer"
    )
    assert (batch.confidence[~correct] < 0.4).all()
    assert (batch.confidence[correct] == 1.0).all()


def test_limit_cycle_is_a_repeated_state():
    books, _, targets = problems(seed=11, sizes=[40, 40, 40], dim=256, trials=60)
    resonator = sf.Resonator(books, max_iterations=300)
    results = resonator.factor_batch(targets)
    cycles = [(t, r) for t, r in zip(targets, results) if r.status == "limit_cycle"]
    assert cycles, "the seeded set has no limit cycle"
    for target, result in cycles:
        states = resonator.trace(target, result.iterations)
        assert result.cycle_length >= 2
        assert np.array_equal(states[-1], states[-1 - result.cycle_length])


@pytest.mark.parametrize("explain_away", [True, False])
def test_superposition_of_three_products(explain_away):
    space = sf.Space(dim=1536, seed=0)
    books = [sf.Codebook(space, [f"{name}{i}" for i in range(16)]) for name in "abc"]
    truth = {(1, 2, 3), (4, 5, 6), (15, 0, 9)}
    acc = space.accumulator()
    for indices in truth:
        acc.add(
            books[0].vectors[indices[0]]
            ^ books[1].vectors[indices[1]]
            ^ books[2].vectors[indices[2]]
        )
    terms = sf.Resonator(books).factor_superposition(
        acc, max_terms=10, explain_away=explain_away
    )
    assert {t.indices for t in terms} == truth
    assert all(t.weight == 1 for t in terms)
    assert min(t.z for t in terms) > 10.0
    assert {t.labels for t in terms} == {
        ("a1", "b2", "c3"),
        ("a4", "b5", "c6"),
        ("a15", "b0", "c9"),
    }


def test_superposition_of_thresholded_bundle():
    space = sf.Space(dim=2048, seed=1)
    books = [sf.Codebook(space, [f"{name}{i}" for i in range(12)]) for name in "xy"]
    truth = {(0, 1), (2, 3), (4, 5)}
    bundle = space.bundle(
        np.stack([books[0].vectors[i] ^ books[1].vectors[j] for i, j in truth])
    )
    terms = sf.Resonator(books).factor_superposition(bundle)
    assert {t.indices for t in terms} == truth


def test_role_filler_pairs_with_permuted_fillers():
    # scenefold binds a pair as register ^ role ^ permute(filler, 1).
    space = sf.Space(dim=2048, seed=2)
    roles = sf.Codebook(space, ["cause", "isa", "part", "agent"])
    fillers = sf.Codebook(space, ["wind", "rain", "weather", "storm", "sea", "ship"])
    register = space.atom("#register:logic")
    pairs = [("cause", "wind"), ("isa", "weather"), ("agent", "ship")]
    terms = np.stack(
        [register ^ space.atom(r) ^ space.permute(space.atom(f), 1) for r, f in pairs]
    )
    symbol = space.bundle(terms)
    resonator = sf.Resonator([roles, fillers], shifts=(0, 1))
    found = resonator.factor_superposition(space.bind(symbol, register), max_terms=8)
    assert {t.labels for t in found} == set(pairs)

    single = resonator.factor(space.bind(terms[0], register))
    assert single.labels == ("cause", "wind")
    assert single.confidence == 1.0


def test_variants_solve_a_moderate_problem():
    books, truth, targets = problems(seed=5, sizes=[40, 40, 40], dim=1024, trials=20)
    variants = [
        {"weights": "pinv"},
        {"update": "synchronous", "max_iterations": 400},
        {"activation": "soft", "temperature": 1.0},
        {
            "activation": "threshold",
            "threshold": 0.06,
            "noise": 0.015,
            "stop_confidence": 0.5,
            "max_iterations": 1000,
            "seed": 3,
        },
        {"noise": 0.01, "restarts": 2, "stop_confidence": 0.9, "seed": 4},
    ]
    for options in variants:
        batch = sf.Resonator(books, **options).factor_arrays(targets)
        assert (batch.indices == truth).all(axis=1).mean() >= 0.95, options


def test_stop_confidence_stops_early():
    books, truth, targets = problems(seed=6, sizes=[20, 20, 20], dim=1024, trials=10)
    batch = sf.Resonator(books, stop_confidence=0.99).factor_arrays(targets)
    assert (batch.indices == truth).all()
    assert set(batch.status) <= {"confident", "fixed_point"}
    assert "confident" in batch.status


def test_results_do_not_depend_on_threads_or_batching():
    books, _, targets = problems(seed=8, sizes=[50, 50, 50], dim=1024, trials=16)
    resonator = sf.Resonator(books, noise=0.02, restarts=2, max_iterations=150, seed=9)
    before = sf.get_num_threads()
    try:
        sf.set_num_threads(1)
        one = resonator.factor_arrays(targets)
        sf.set_num_threads(2)
        two = resonator.factor_arrays(targets)
    finally:
        sf.set_num_threads(before)
    assert np.array_equal(one.indices, two.indices)
    assert np.array_equal(one.iterations, two.iterations)
    fifth = resonator.factor_arrays(targets[5], first_stream=5)
    assert np.array_equal(fifth.indices[0], one.indices[5])
    assert fifth.iterations[0] == one.iterations[5]


def test_accumulator_and_counts_targets():
    space = sf.Space(dim=1024, seed=4)
    books = [sf.Codebook(space, [f"{name}{i}" for i in range(10)]) for name in "ab"]
    acc = space.accumulator()
    acc.add(books[0].get("a4") ^ books[1].get("b9"), 3)
    resonator = sf.Resonator(books)
    assert resonator.factor(acc).labels == ("a4", "b9")
    assert resonator.factor(acc.counts).labels == ("a4", "b9")


def test_interrupt_stops_a_long_batch():
    books, _, targets = problems(seed=12, sizes=[300, 300, 300], dim=1024, trials=64)
    resonator = sf.Resonator(books, max_iterations=100_000)

    class Interrupted(Exception):
        pass

    def handler(signum, frame):
        raise Interrupted

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach only the main thread")
    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        started = time.monotonic()
        with pytest.raises(Interrupted):
            resonator.factor_arrays(targets)
        assert time.monotonic() - started < 5.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_bad_input_is_rejected():
    rng = np.random.default_rng(0)
    book = random_codebook(rng, 8, 256)
    with pytest.raises(InvalidArgumentError):
        sf.Resonator([])
    with pytest.raises(DtypeError):
        sf.Resonator([book.astype(np.int64)])
    with pytest.raises(ShapeError):
        sf.Resonator([book[0]])
    with pytest.raises(DimensionMismatchError):
        sf.Resonator([book, random_codebook(rng, 8, 512)])
    with pytest.raises(EmptyCodebookError):
        sf.Resonator([book, book[:0]])
    with pytest.raises(InvalidArgumentError, match="weights"):
        sf.Resonator([book], weights="hebbian")
    with pytest.raises(InvalidArgumentError, match="activation"):
        sf.Resonator([book], activation="relu")
    with pytest.raises(InvalidArgumentError, match="noise"):
        sf.Resonator([book], noise=-0.1)
    with pytest.raises(InvalidArgumentError, match="threshold"):
        sf.Resonator([book], activation="threshold", threshold=float("nan"))
    with pytest.raises(InvalidArgumentError, match="linearly dependent"):
        sf.Resonator([np.concatenate([book, book[:1]])], weights="pinv")
    with pytest.raises(DimensionMismatchError):
        sf.Resonator([book], dim=100)
    with pytest.raises(InvalidArgumentError, match="dim"):
        sf.Resonator([book], dim=0)
    with pytest.raises(InvalidArgumentError, match="multiple of 64"):
        sf.Resonator([random_codebook(rng, 4, 200)], dim=200, shifts=(1,))
    with pytest.raises(ShapeError, match="shifts"):
        sf.Resonator([book], shifts=(0, 1))

    resonator = sf.Resonator([book, book])
    with pytest.raises(DimensionMismatchError):
        resonator.factor(np.zeros(3, dtype=np.uint64))
    with pytest.raises(ShapeError):
        resonator.factor(np.zeros(255, dtype=np.int32))
    with pytest.raises(DtypeError):
        resonator.factor(np.zeros(4, dtype=np.float64))
    with pytest.raises(ShapeError):
        resonator.factor(np.zeros((2, 4), dtype=np.uint64))
    with pytest.raises(InvalidArgumentError, match="max_terms"):
        resonator.factor_superposition(np.zeros(256, dtype=np.int32), max_terms=0)
    with pytest.raises(DimensionMismatchError):
        resonator.factor(sf.Space(dim=512).accumulator())
