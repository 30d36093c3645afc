"""Statistical laws of the algebra, checked with fixed seeds against closed-form values.

Each test states its tolerance. Seeds are fixed, so every run draws the same vectors
and a pass or failure is reproducible.
"""

import math

import numpy as np
import pytest
import reference as ref
import scenefold
from scenefold import _core
from scipy import integrate, stats


def wilson_interval(successes: int, trials: int, confidence: float):
    """Return the Wilson score interval of a binomial proportion."""
    z = stats.norm.isf((1.0 - confidence) / 2.0)
    fraction = successes / trials
    scale = 1.0 + z * z / trials
    center = (fraction + z * z / (2 * trials)) / scale
    half = (
        z
        * math.sqrt(fraction * (1 - fraction) / trials + z * z / (4 * trials * trials))
        / scale
    )
    return center - half, center + half


# --- the normal quantile ---------------------------------------------------------


def test_normal_isf_matches_scipy():
    # The core uses Acklam's rational approximation, stated relative error < 1.15e-9.
    p = np.concatenate(
        [np.logspace(-12, math.log10(0.5), 3000)[:-1], np.linspace(0.01, 0.49, 500)]
    )
    got = np.array([_core.normal_isf(x) for x in p])
    np.testing.assert_allclose(got, stats.norm.isf(p), rtol=1e-8, atol=0)


def test_normal_isf_upper_half():
    # 1 - p is computed exactly for p >= 0.5, so the lower tail is as accurate.
    p = np.concatenate(
        [0.5 + np.logspace(-9, -0.5, 200), 1 - np.logspace(-12, -1, 200)]
    )
    got = np.array([_core.normal_isf(x) for x in p])
    np.testing.assert_allclose(got, stats.norm.isf(p), rtol=1e-8, atol=0)
    assert _core.normal_isf(0.5) == 0.0


# --- the false-anchor rate -------------------------------------------------------

ANCHOR_ROWS = 2000
ANCHOR_QUERIES = 2000


def predicted_false_anchor_rate(dim: int, alpha: float, n_rows: int) -> float:
    """Return the exact chance that a random query has an anchor among random rows.

    A row is an anchor when ``(dim - 2 h) / sqrt(dim) >= t`` for its Hamming distance
    ``h ~ Binomial(dim, 1/2)``, with ``t = isf(alpha / n_rows)``. The rows are
    independent given a random query, so the chance of at least one anchor is
    ``1 - (1 - q) ** n_rows`` with ``q`` the binomial tail.
    """
    t = _core.normal_isf(alpha / n_rows)
    max_distance = math.floor((dim - t * math.sqrt(dim)) / 2)
    q = stats.binom.cdf(max_distance, dim, 0.5)
    return -math.expm1(n_rows * math.log1p(-q))


@pytest.mark.parametrize("alpha", [0.05, 0.2])
@pytest.mark.parametrize("dim", [1024, 8192])
def test_false_anchor_rate(dim, alpha):
    """Random queries against random rows get an anchor at the predicted rate.

    The Bonferroni threshold bounds the rate by ``alpha``. Under the normal model the
    rate is ``1 - (1 - alpha / n) ** n``, about ``1 - exp(-alpha)``: 0.181 for
    alpha 0.2, so the test compares with the exact binomial prediction and checks
    separately that ``alpha`` is not exceeded. Tolerance: a Wilson 99% interval over
    2,000 queries, about +-0.01 at alpha 0.05 and +-0.02 at alpha 0.2.
    """
    space = scenefold.Space(dim=dim, seed=17)
    rows = space.random(ANCHOR_ROWS, 1)
    book = scenefold.Codebook(space, [f"r{i}" for i in range(ANCHOR_ROWS)], rows)
    queries = space.random(ANCHOR_QUERIES, 2)

    with_anchor = sum(1 for q in queries if book.anchors(q, alpha=alpha))
    top_scores, _ = book.search(queries, 1)
    above = int(np.sum(top_scores[:, 0] * math.sqrt(dim) >= book.z_threshold(alpha)))
    assert with_anchor == above

    low, high = wilson_interval(with_anchor, ANCHOR_QUERIES, 0.99)
    predicted = predicted_false_anchor_rate(dim, alpha, ANCHOR_ROWS)
    assert low <= predicted <= high, (with_anchor, predicted)
    assert low <= alpha, (with_anchor, alpha)


# --- bundle capacity -------------------------------------------------------------

FILLERS = 1000
DECODES = 4000


def retrieval_accuracy(signal: float, sigma: float, m: int) -> float:
    """Return ``P(S > max of m - 1 standard normals)`` for ``S ~ N(signal, sigma**2)``.

    That is ``integral of phi(h) * Phi(signal + sigma * h) ** (m - 1) dh``.
    """

    def integrand(h):
        return stats.norm.pdf(h) * stats.norm.cdf(signal + sigma * h) ** (m - 1)

    return integrate.quad(integrand, -12, 12, limit=200)[0]


def majority_signal(dim: int, k: int):
    """Return ``(signal, sigma)`` of the right filler after unbinding a majority bundle.

    For odd ``k``, the majority of ``k`` random signs agrees with one of them with mean
    product ``e = C(k - 1, (k - 1) / 2) / 2 ** (k - 1)``, which tends to
    ``sqrt(2 / (pi k))``. In units of the wrong fillers' standard deviation
    ``sqrt(dim)``, the right filler's dot product has mean ``e * sqrt(dim)`` and
    standard deviation ``sqrt(1 - e**2)``. With the limit of ``e`` this is the usual
    ``s = sqrt(2 dim / (pi k))``, about 1% too small at ``k = 21``.
    """
    e = math.comb(k - 1, (k - 1) // 2) / 2 ** (k - 1)
    return e * math.sqrt(dim), math.sqrt(1 - e * e)


def accumulator_signal(dim: int, k: int):
    """Return ``(signal, sigma)`` of the right filler after unbinding integer counts.

    The wrong fillers' dot products have variance ``k * dim``, the right one has mean
    ``dim`` and variance ``(k - 1) * dim``, so ``s = sqrt(dim / k)``.
    """
    return math.sqrt(dim / k), math.sqrt((k - 1) / k)


def decode_pairs(dim: int, k: int, mode: str, seed: int):
    """Bundle ``k`` role-filler pairs repeatedly and count fillers decoded correctly.

    Roles are fresh atoms per bundle and fillers are drawn without repetition from a
    codebook of ``FILLERS`` atoms. Each role is unbound and its nearest filler taken.
    """
    space = scenefold.Space(dim=dim, seed=seed)
    fillers = scenefold.Codebook(space, [f"filler{i}" for i in range(FILLERS)])
    filler_rows = fillers.vectors
    rng = np.random.default_rng(seed)
    correct = 0
    trials = 0
    bundle_id = 0
    while trials < DECODES:
        roles = space.atoms([f"role{bundle_id}:{i}" for i in range(k)])
        chosen = rng.choice(FILLERS, k, replace=False)
        pairs = space.bind(roles, filler_rows[chosen])
        if mode == "majority":
            queries = space.bind(space.bundle(pairs), roles)
        else:
            acc = space.accumulator()
            acc.add_many(pairs)
            # Unbinding counts by XOR flips the sign of each count where the role is 1.
            queries = ref.unbind_counts(acc.counts, roles).astype(np.int32)
        _, found = fillers.search(queries, 1)
        correct += int(np.sum(found[:, 0] == chosen))
        trials += k
        bundle_id += 1
    return correct, trials


@pytest.mark.parametrize(
    ("mode", "dim", "k"),
    [
        ("majority", 512, 21),
        ("majority", 1024, 41),
        ("majority", 1024, 61),
        ("accumulator", 512, 41),
        ("accumulator", 512, 51),
        ("accumulator", 1024, 61),
    ],
)
def test_bundle_retrieval_law(mode, dim, k):
    """The fraction of fillers decoded from a bundle of k pairs matches the theory.

    Tolerance: the predicted accuracy, between 0.47 and 0.79 at these points, must lie
    inside the Wilson 95% interval of about 4,000 decodes, about +-0.015.
    """
    if mode == "majority":
        signal, sigma = majority_signal(dim, k)
    else:
        signal, sigma = accumulator_signal(dim, k)
    predicted = retrieval_accuracy(signal, sigma, FILLERS)
    correct, trials = decode_pairs(dim, k, mode, seed=0)
    low, high = wilson_interval(correct, trials, 0.95)
    assert low <= predicted <= high, (correct / trials, predicted)


def test_accumulator_beats_majority():
    majority, trials = decode_pairs(512, 41, "majority", seed=1)
    exact, _ = decode_pairs(512, 41, "accumulator", seed=1)
    assert exact > majority, (exact / trials, majority / trials)


# --- "What is the dollar of Mexico?" ---------------------------------------------


def test_dollar_of_mexico():
    """The "dollar of Mexico" analogy: dollar bound to USA * MEX decodes to peso.

    Each record is a majority bundle of 3 pairs, which agrees with each pair on 3/4 of
    the bits, so the answer differs from peso on ``2 * 1/4 * 3/4 = 0.375`` of the bits.
    Tolerance: +-0.02, about 3.7 standard deviations of
    ``sqrt(0.375 * 0.625 / 8192) = 0.0053``.
    """
    space = scenefold.Space(dim=8192, seed=0)
    names = [
        "country",
        "capital",
        "currency",
        "usa",
        "washington",
        "dollar",
        "mexico",
        "mexico_city",
        "peso",
    ]
    book = scenefold.Codebook(space, names)

    def atom(name):
        return book.get(name)

    roles = np.stack([atom("country"), atom("capital"), atom("currency")])
    usa = space.bundle(
        space.bind(roles, np.stack([atom("usa"), atom("washington"), atom("dollar")]))
    )
    mexico = space.bundle(
        space.bind(roles, np.stack([atom("mexico"), atom("mexico_city"), atom("peso")]))
    )
    mapping = space.bind(usa, mexico)

    for source, target in [
        ("dollar", "peso"),
        ("washington", "mexico_city"),
        ("usa", "mexico"),
    ]:
        answer = space.bind(atom(source), mapping)
        _, indices = book.search(answer, 2)
        assert book.labels[indices[0]] == target
        distance = space.hamming(answer, atom(target)) / space.dim
        assert distance == pytest.approx(0.375, abs=0.02), source
        runner_up = space.hamming(answer, book.vectors[indices[1]]) / space.dim
        assert runner_up > 0.45, source
