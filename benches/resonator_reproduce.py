#!/usr/bin/env python3
"""Measure scenefold's resonator network against published capacities, and its speed.

Sections (``--sections``, default all):

- ``kent``: outer-product weights, sequential updates, superposition start and an
  iteration budget of ``0.001 * M`` for a search space of ``M = size ** F`` (the budget
  of Kent, Frady, Sommer and Olshausen 2020, as stated with their public measurements);
  accuracy around the published 99 % capacities 340 (F = 2, dim 1000), 79 (F = 3, dim
  1500) and 128 (F = 3, dim 2000).
- ``ols``: the same with least-squares (pseudo-inverse) weights at F = 3, dim 1500,
  published at 99.3.
- ``imf``: the sparse threshold activation with similarity noise of the in-memory
  factorizer (Langenegger et al. 2023) against the plain network, at F = 3, dim 1500,
  sizes up to 215 (search spaces up to 1e7).
- ``superposition``: sums of K products of three factors at dim 1500, decoded with and
  without explaining away.
- ``speed``: time per iteration, one thread, against a NumPy implementation and the
  MAP resonator step of torchhd when it is installed.

Accuracy counts a trial right when every factor is right; Kent et al.'s public code
scores the share of factors right, which is also reported. Intervals are 95 % Wilson
intervals. Plots go to ``--out`` (``docs/``) as PNG when matplotlib is installed, and
the Markdown tables to standard output and ``--report``.

Run from the repository root after ``pip install -e .``::

    python benches/resonator_reproduce.py --quick      # smoke run, about a minute
    python benches/resonator_reproduce.py              # about 15 minutes on 2 cores
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import platform
import sys
import time
from dataclasses import dataclass, field

# One BLAS thread, so that the NumPy baseline of the speed section runs on one core like
# the other two. The variables take effect only when set before NumPy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import scenefold as sf

LEVEL = 0.99


def wilson(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Return the Wilson score interval of a binomial proportion."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = (
        z
        * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
        / (1 + z * z / trials)
    )
    return max(0.0, centre - half), min(1.0, centre + half)


def error_bars(successes: list[int], trials: list[int]) -> list[list[float]]:
    """Return matplotlib's ``yerr`` for the Wilson intervals of the given proportions."""
    below, above = [], []
    for k, n in zip(successes, trials):
        low, high = wilson(k, n)
        below.append(max(0.0, k / n - low))
        above.append(max(0.0, high - k / n))
    return [below, above]


def random_codebooks(
    rng: np.random.Generator, sizes: list[int], dim: int
) -> list[np.ndarray]:
    n_words = -(-dim // 64)
    books = []
    for size in sizes:
        book = rng.integers(
            0, 2**64, size=(size, n_words), dtype=np.uint64, endpoint=False
        )
        if dim % 64:
            book[:, -1] &= np.uint64((1 << (dim % 64)) - 1)
        books.append(book)
    return books


def bind_rows(books: list[np.ndarray], indices: np.ndarray) -> np.ndarray:
    out = np.zeros((len(indices), books[0].shape[1]), dtype=np.uint64)
    for f, book in enumerate(books):
        out ^= book[indices[:, f]]
    return out


def kent_budget(size: int, factors: int) -> int:
    return max(1, math.ceil(0.001 * size**factors))


@dataclass
class Point:
    """Accuracy of one configuration at one codebook size."""

    size: int
    trials: int = 0
    all_right: int = 0
    factors_right: int = 0
    factors: int = 0
    iterations: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def accuracy(self) -> float:
        return self.all_right / self.trials if self.trials else float("nan")

    @property
    def factor_accuracy(self) -> float:
        return (
            self.factors_right / (self.trials * self.factors)
            if self.trials
            else float("nan")
        )

    def row(self) -> str:
        low, high = wilson(self.all_right, self.trials)
        return (
            f"| {self.size} | {self.trials} | {self.accuracy:.4f} | [{low:.4f}, {high:.4f}] "
            f"| {self.factor_accuracy:.4f} | {np.median(self.iterations):.0f} "
            f"| {np.percentile(self.iterations, 99):.0f} | {self.seconds:.1f} |"
        )


POINT_HEADER = (
    "| size | trials | accuracy (all factors) | 95 % Wilson | accuracy (share of factors) "
    "| median iterations | 99th pct iterations | seconds |\n|---|---|---|---|---|---|---|---|"
)


def measure(
    size: int,
    factors: int,
    dim: int,
    trials: int,
    options: dict,
    seed: int,
    per_book: int = 50,
) -> Point:
    """Factor ``trials`` random products, drawing fresh codebooks every ``per_book`` trials."""
    point = Point(size=size, factors=factors)
    started = time.perf_counter()
    book_sets = math.ceil(trials / per_book)
    for b in range(book_sets):
        count = min(per_book, trials - b * per_book)
        rng = np.random.default_rng([seed, factors, size, dim, b])
        books = random_codebooks(rng, [size] * factors, dim)
        truth = rng.integers(0, size, size=(count, factors))
        resonator = sf.Resonator(books, dim=dim, **options)
        batch = resonator.factor_arrays(
            bind_rows(books, truth), first_stream=b * per_book
        )
        right = batch.indices == truth
        point.trials += count
        point.all_right += int(right.all(axis=1).sum())
        point.factors_right += int(right.sum())
        point.iterations.extend(int(x) for x in batch.iterations)
    point.seconds = time.perf_counter() - started
    return point


def crossing(
    points: list[Point], level: float = LEVEL, attr: str = "accuracy"
) -> float | None:
    """Return the size where accuracy falls through ``level``, linearly interpolated
    between the last size at or above it and the next size below it."""
    ordered = sorted(points, key=lambda p: p.size)
    for before, after in itertools.pairwise(ordered):
        a, b = getattr(before, attr), getattr(after, attr)
        if a >= level > b:
            return before.size + (a - level) / (a - b) * (after.size - before.size)
    return None


def logistic_crossing(points: list[Point], level: float = LEVEL) -> float | None:
    """Return the size where a logistic fit of accuracy against size equals ``level``.

    The fit maximises the binomial likelihood of ``logit(p) = a + b * size`` by Newton's
    method; None when every point lies on one side of ``level``.
    """
    sizes = np.array([p.size for p in points], dtype=float)
    right = np.array([p.all_right for p in points], dtype=float)
    trials = np.array([p.trials for p in points], dtype=float)
    share = right / trials
    if (share >= level).all() or (share < level).all():
        return None
    centre, scale = sizes.mean(), max(sizes.std(), 1.0)
    x = (sizes - centre) / scale
    design = np.stack([np.ones_like(x), x], axis=1)
    beta = np.zeros(2)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (right - trials * p)
        hessian = (design * (trials * p * (1 - p))[:, None]).T @ design
        step = np.linalg.solve(hessian + 1e-9 * np.eye(2), gradient)
        beta += step
        if np.abs(step).max() < 1e-10:
            break
    if beta[1] >= 0:
        return None
    return float(centre + scale * (math.log(level / (1 - level)) - beta[0]) / beta[1])


def section_curve(
    title: str,
    factors: int,
    dim: int,
    sizes: list[int],
    trials: int,
    options_for,
    published: float,
    seed: int,
    report: list[str],
) -> list[Point]:
    report.append(f"### {title}\n")
    report.append(POINT_HEADER)
    points = []
    for size in sizes:
        point = measure(size, factors, dim, trials, options_for(size), seed)
        points.append(point)
        report.append(point.row())
        print(report[-1], file=sys.stderr, flush=True)
    strict = crossing(points)
    share = crossing(points, attr="factor_accuracy")
    fitted = logistic_crossing(points)

    def fmt(value: float | None) -> str:
        return "outside the sizes measured" if value is None else f"{value:.1f}"

    report.append(
        f"\n99 % crossing, interpolated between neighbouring sizes: {fmt(strict)} (all factors), "
        f"{fmt(share)} (share of factors); logistic fit: {fmt(fitted)}; published {published}.\n"
    )
    return points


def plot_curves(
    curves: list[tuple[str, list[Point], float]], path: str, xlabel: str
) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed; skipping {path}", file=sys.stderr)
        return
    fig, axes = plt.subplots(
        1, len(curves), figsize=(4.2 * len(curves), 3.6), squeeze=False
    )
    for ax, (title, points, published) in zip(axes[0], curves):
        sizes = [p.size for p in points]
        acc = [p.accuracy for p in points]
        err = error_bars([p.all_right for p in points], [p.trials for p in points])
        ax.errorbar(sizes, acc, yerr=err, marker="o", capsize=3, label="scenefold")
        ax.axhline(LEVEL, color="grey", lw=0.8, ls=":")
        if published:
            ax.axvline(
                published,
                color="tab:red",
                lw=1,
                ls="--",
                label=f"published {published}",
            )
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("accuracy (all factors)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_kent(args, report: list[str]) -> None:
    trials = 200 if args.quick else 1500
    configs = [
        ("F = 2, dim 1000", 2, 1000, [300, 320, 340, 360, 380], 340),
        ("F = 3, dim 1500", 3, 1500, [67, 73, 79, 85, 91], 79),
        ("F = 3, dim 2000", 3, 2000, [112, 120, 128, 136, 144], 128),
    ]
    if args.quick:
        configs = [(t, f, d, s[1:4], p) for t, f, d, s, p in configs]
    report.append("## Outer-product weights (Kent et al. 2020)\n")
    curves = []
    for title, factors, dim, sizes, published in configs:
        points = section_curve(
            title,
            factors,
            dim,
            sizes,
            trials,
            lambda size, f=factors: {"max_iterations": kent_budget(size, f)},
            published,
            args.seed,
            report,
        )
        curves.append((title, points, published))
    plot_curves(
        curves, os.path.join(args.out, "resonator_kent.png"), "codebook size per factor"
    )


def run_ols(args, report: list[str]) -> None:
    trials = 200 if args.quick else 1500
    sizes = [92, 99, 106] if args.quick else [85, 92, 99, 106, 113]
    report.append("## Least-squares weights\n")
    points = section_curve(
        "F = 3, dim 1500, pseudo-inverse weights",
        3,
        1500,
        sizes,
        trials,
        lambda size: {"weights": "pinv", "max_iterations": kent_budget(size, 3)},
        99.3,
        args.seed,
        report,
    )
    plot_curves(
        [("F = 3, dim 1500, least squares", points, 99.3)],
        os.path.join(args.out, "resonator_ols.png"),
        "codebook size per factor",
    )


IMF_OPTIONS = {
    "activation": "threshold",
    "threshold": 0.05,
    "noise": 0.01,
    "stop_confidence": 0.5,
}


def run_imf(args, report: list[str]) -> None:
    dim = 1500
    variants = [
        ("plain (sign, no noise)", {}),
        ("threshold 0.05", {"activation": "threshold", "threshold": 0.05}),
        ("threshold 0.05 + noise 0.01", IMF_OPTIONS),
    ]
    sizes = [100, 215] if args.quick else [60, 100, 150, 215]
    report.append("## Sparse activation and noise (in-memory factorizer)\n")
    report.append(
        "F = 3, dim 1500, budget 0.001 * size^3. The noisy variant stops once the rows it\n"
        "attends to re-bind to the target with similarity 0.5 (`stop_confidence`).\n"
    )
    report.append(
        "| variant | size | search space | trials | accuracy | 95 % Wilson | median iterations | seconds |"
    )
    report.append("|---|---|---|---|---|---|---|---|")
    curves = []
    for name, options in variants:
        points = []
        for size in sizes:
            # The plain network spends its whole budget on most failures, so it gets fewer
            # trials at the large sizes. The sparse variants get 4000 at 1e6 and 1e7.
            if options and size in (100, 215):
                trials = 4000
            elif options:
                trials = 1000
            elif size >= 200:
                trials = 40
            elif size >= 100:
                trials = 200
            else:
                trials = 500
            if args.quick:
                trials = min(trials, 20 if not options else 200)
            point = measure(
                size,
                3,
                dim,
                trials,
                {**options, "max_iterations": kent_budget(size, 3)},
                args.seed,
            )
            points.append(point)
            low, high = wilson(point.all_right, point.trials)
            report.append(
                f"| {name} | {size} | {size**3:.2e} | {point.trials} | {point.accuracy:.4f} "
                f"| [{low:.4f}, {high:.4f}] | {np.median(point.iterations):.0f} | {point.seconds:.1f} |"
            )
            print(report[-1], file=sys.stderr, flush=True)
        curves.append((name, points))
    report.append("")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for name, points in curves:
        spaces = [p.size**3 for p in points]
        acc = [p.accuracy for p in points]
        err = error_bars([p.all_right for p in points], [p.trials for p in points])
        ax.errorbar(spaces, acc, yerr=err, marker="o", capsize=3, label=name)
    ax.axhline(0.999, color="grey", lw=0.8, ls=":")
    ax.scatter(
        [1e6, 1e7],
        [0.999, 0.999],
        marker="*",
        s=120,
        color="tab:red",
        zorder=5,
        label="published: solved at >= 99.9 %",
    )
    ax.set_xscale("log")
    ax.set_xlabel("search space size (size^3)")
    ax.set_ylabel("accuracy (all factors)")
    ax.set_title("F = 3, dim 1500", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "resonator_imf.png"), dpi=110)
    plt.close(fig)


def superposition_trials(seed: int, size: int, dim: int, terms: int, trials: int):
    """Return codebooks, the true sets of index triples and the counts of each sum."""
    rng = np.random.default_rng([seed, size, dim, terms])
    books = random_codebooks(rng, [size] * 3, dim)
    truths = []
    counts = np.zeros((trials, dim), dtype=np.int32)
    for t in range(trials):
        chosen: set[tuple[int, int, int]] = set()
        while len(chosen) < terms:
            chosen.add(tuple(int(x) for x in rng.integers(0, size, size=3)))
        truths.append(chosen)
        products = bind_rows(books, np.array(sorted(chosen)))
        as_bytes = products.astype("<u8").view(np.uint8)
        bits = np.unpackbits(as_bytes, axis=-1, bitorder="little")[:, :dim].astype(
            np.int32
        )
        counts[t] = (1 - 2 * bits).sum(axis=0)
    return books, truths, counts


def run_superposition(args, report: list[str]) -> None:
    dim, size = 1500, 40
    trials = 60 if args.quick else 300
    plans = {
        True: [4, 8, 12] if args.quick else [4, 6, 8, 10, 12, 14],
        False: [1, 2, 4] if args.quick else [1, 2, 3, 4, 6],
    }
    report.append("## Sums of products\n")
    report.append(
        f"F = 3, dim 1500, {size} rows per factor ({size**3} products), K distinct products\n"
        "added with weight 1 into an accumulator; a trial is right when the set of terms\n"
        "found equals the set added. Default options (outer product, budget\n"
        "max(100, 0.001 * size^3) per search), alpha 0.01, patience 3 with explaining\n"
        "away and 2 * max_terms without; max_terms is K + 3.\n"
    )
    report.append("| explaining away | K | trials | accuracy | 95 % Wilson | seconds |")
    report.append("|---|---|---|---|---|---|")
    curves = {}
    for explain_away, term_counts in plans.items():
        results = []
        for terms in term_counts:
            books, truths, counts = superposition_trials(
                args.seed, size, dim, terms, trials
            )
            resonator = sf.Resonator(books, dim=dim)
            started = time.perf_counter()
            found = resonator.factor_superposition_batch(
                counts, max_terms=terms + 3, explain_away=explain_away
            )
            seconds = time.perf_counter() - started
            right = sum(
                {t.indices for t in row} == truth for row, truth in zip(found, truths)
            )
            low, high = wilson(right, trials)
            results.append((terms, right, trials))
            report.append(
                f"| {'yes' if explain_away else 'no'} | {terms} | {trials} | {right / trials:.4f} "
                f"| [{low:.4f}, {high:.4f}] | {seconds:.1f} |"
            )
            print(report[-1], file=sys.stderr, flush=True)
        curves[explain_away] = results
    for explain_away, results in curves.items():
        passing = [k for k, right, n in results if right / n >= LEVEL]
        report.append(
            f"\nLargest K at >= 99 % {'with' if explain_away else 'without'} explaining away: "
            f"{max(passing) if passing else 'none of those measured'}."
        )
    report.append("")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    for explain_away, results in curves.items():
        ks = [k for k, _, _ in results]
        acc = [right / n for _, right, n in results]
        err = error_bars([right for _, right, _ in results], [n for _, _, n in results])
        label = "explaining away" if explain_away else "restarts only"
        ax.errorbar(ks, acc, yerr=err, marker="o", capsize=3, label=label)
    ax.axhline(LEVEL, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("products in the sum (K)")
    ax.set_ylabel("all terms recovered")
    ax.set_title(f"F = 3, dim 1500, {size} rows per factor", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "resonator_superposition.png"), dpi=110)
    plt.close(fig)


def numpy_sweep(
    books_pm: list[np.ndarray], target: np.ndarray, estimates: list[np.ndarray]
) -> None:
    """Update every estimate once, sequentially, with outer-product weights on float32 ±1
    vectors, as the public code of Kent et al. does."""
    for f, book in enumerate(books_pm):
        others = target.copy()
        for g, estimate in enumerate(estimates):
            if g != f:
                others *= estimate
        estimates[f] = np.sign(book.T @ (book @ others))
        estimates[f][estimates[f] == 0] = 1


def best_time(run, repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def to_bipolar_f32(bits: np.ndarray, dim: int) -> np.ndarray:
    """Return the float32 ±1 form of packed bits, over the last axis."""
    as_bytes = np.ascontiguousarray(bits).astype("<u8").view(np.uint8)
    unpacked = np.unpackbits(as_bytes, axis=-1, bitorder="little")[..., :dim]
    return (1 - 2 * unpacked.astype(np.float32)).astype(np.float32)


@dataclass
class SpeedSettings:
    """Iterations, repeats and batch size of the speed section."""

    iterations: int
    repeats: int
    batch: int = 64
    # torchhd's batched step is slow here, so it runs fewer iterations, twice.
    batched_iterations: int = 5
    batched_repeats: int = 2


def speed_row(
    seed: int, factors: int, size: int, dim: int, settings: SpeedSettings, torch_modules
) -> str:
    """Time one problem size in every implementation and return its table row."""
    iterations, repeats, batch = settings.iterations, settings.repeats, settings.batch
    rng = np.random.default_rng([seed, factors, size, dim])
    books = random_codebooks(rng, [size] * factors, dim)
    target = random_codebooks(rng, [1], dim)[0][0]
    targets = random_codebooks(rng, [batch], dim)[0]
    resonator = sf.Resonator(books, dim=dim, max_iterations=iterations)
    ours = best_time(lambda: resonator.trace(target, iterations), repeats) / iterations

    batch_iterations = []

    def ours_batch() -> None:
        batch_iterations.append(int(resonator.factor_arrays(targets).iterations.sum()))

    ours_batched = best_time(ours_batch, repeats) / batch_iterations[-1]

    books_pm = [to_bipolar_f32(b, dim) for b in books]
    target_pm = to_bipolar_f32(target, dim)

    def numpy_run() -> None:
        estimates = [
            np.where(b.sum(axis=0) >= 0, 1, -1).astype(np.float32) for b in books_pm
        ]
        for _ in range(iterations):
            numpy_sweep(books_pm, target_pm, estimates)

    numpy_time = best_time(numpy_run, repeats) / iterations

    torch_time = torch_batched = math.nan
    if torch_modules is not None:
        torch, torchhd = torch_modules
        domains = torchhd.MAPTensor(torch.from_numpy(np.stack(books_pm)))
        start = torchhd.MAPTensor(domains.sum(dim=-2).sign())
        query = torchhd.MAPTensor(torch.from_numpy(target_pm))
        queries = torchhd.MAPTensor(torch.from_numpy(to_bipolar_f32(targets, dim)))
        starts = torchhd.MAPTensor(start.unsqueeze(0).repeat(batch, 1, 1))

        def torch_run(query, estimates, steps) -> None:
            with torch.no_grad():
                for _ in range(steps):
                    estimates = torchhd.resonator(query, estimates, domains)

        torch_time = (
            best_time(lambda: torch_run(query, start, iterations), repeats) / iterations
        )
        batched_runs = best_time(
            lambda: torch_run(queries, starts, settings.batched_iterations),
            settings.batched_repeats,
        )
        torch_batched = batched_runs / settings.batched_iterations / batch

    return (
        f"| {factors}, {size}, {dim} | {ours * 1e6:.1f} | {numpy_time * 1e6:.1f} "
        f"| {torch_time * 1e6:.1f} | {numpy_time / ours:.1f} | {torch_time / ours:.1f} "
        f"| {ours_batched * 1e6:.1f} | {torch_batched * 1e6:.1f} |"
    )


def run_speed(args, report: list[str]) -> None:
    settings = SpeedSettings(
        iterations=20 if args.quick else 100, repeats=3 if args.quick else 5
    )
    try:
        import torch
        import torchhd

        torch.set_num_threads(1)
        torch_modules = (torch, torchhd)
        torch_version = f"torch {torch.__version__}, torchhd {torchhd.__version__}"
    except ImportError:
        torch_modules = None
        torch_version = "torchhd is not installed, so its columns are empty"
    report.append("## Speed\n")
    report.append(
        f"Time per iteration (one sweep over all factors), best of {settings.repeats} runs of\n"
        f"{settings.iterations} iterations on one thread. Batched columns are per problem in a\n"
        f"batch of {settings.batch} (torchhd: best of {settings.batched_repeats} runs of "
        f"{settings.batched_iterations} iterations).\n"
        f"NumPy {np.__version__} (float32 ±1, `X.T @ (X @ u)` per factor), {torch_version}\n"
        "(`torchhd.resonator`, a synchronous MAP step on float32). Targets are random\n"
        "vectors, so no search converges early.\n"
    )
    report.append(
        "| F, size, dim | scenefold µs | NumPy µs | torchhd µs | NumPy / scenefold "
        "| torchhd / scenefold | scenefold batched µs | torchhd batched µs |"
    )
    report.append("|---|---|---|---|---|---|---|---|")
    threads = sf.get_num_threads()
    sf.set_num_threads(1)
    try:
        for factors, size, dim in [(2, 340, 1000), (3, 79, 1500), (3, 128, 2000)]:
            report.append(
                speed_row(args.seed, factors, size, dim, settings, torch_modules)
            )
            print(report[-1], file=sys.stderr, flush=True)
    finally:
        sf.set_num_threads(threads)
    report.append("")


SECTIONS = {
    "kent": run_kent,
    "ols": run_ols,
    "imf": run_imf,
    "superposition": run_superposition,
    "speed": run_speed,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="few trials and sizes: a smoke run of about a minute",
    )
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run, from {', '.join(SECTIONS)} (default: all)",
    )
    parser.add_argument(
        "--out", default="docs", help="folder for the PNG plots (default: docs)"
    )
    parser.add_argument("--report", help="also write the Markdown report to this file")
    parser.add_argument(
        "--seed",
        type=int,
        default=2024,
        help="seed of the codebooks and targets (default: 2024)",
    )
    args = parser.parse_args(argv)

    chosen = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
    os.makedirs(args.out, exist_ok=True)

    machine = (
        f"scenefold {sf.__version__}, kernel {sf.simd_level()}, {os.cpu_count()} CPUs, "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"command: `{' '.join(['python', *sys.argv])}`\n"
    )
    report = [
        f"# Resonator measurements{' (--quick)' if args.quick else ''}\n",
        machine,
    ]
    started = time.perf_counter()
    for name in chosen:
        section_started = time.perf_counter()
        SECTIONS[name](args, report)
        report.append(f"_{name}: {time.perf_counter() - section_started:.0f} s_\n")
    report.append(f"Total: {time.perf_counter() - started:.0f} s.")

    text = "\n".join(report)
    print(text)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
