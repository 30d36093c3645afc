"""Resonator networks: factor a bound product of bipolar vectors into its codevectors.

Given one codebook per factor and a target ``s = x_1 ^ x_2 ^ ... ^ x_F`` (XOR of packed
bits, the bipolar product), :class:`Resonator` finds the row of each codebook that the
target was bound from without trying every combination. Each factor keeps an estimate
that is updated from the target unbound by the other estimates, superposed over its
codebook and thresholded (Frady, Kent, Olshausen and Sommer 2020; Kent, Frady, Sommer
and Olshausen 2020, Neural Computation 32(12)). Options add least-squares weights,
synchronous updates, a sharpening soft activation, the sparse threshold activation and
similarity noise of the in-memory factorizer (Langenegger et al. 2023, Nature
Nanotechnology 18), random restarts and a stop rule on the decoded factors.

Every result carries ``confidence``, the similarity of the re-bound factors with the
target. A search can converge to a wrong fixed point; its confidence is then near the
noise floor ``1 / sqrt(dim)`` instead of 1.

:meth:`Resonator.factor_superposition` reads a bundle of several products: it factors
the strongest, subtracts it (explaining away) and repeats while the next product is
significant.

See ``docs/resonator.md`` for measured accuracy against the published capacities.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from scenefold import _core
from scenefold.errors import DimensionMismatchError, InvalidArgumentError, ShapeError

#: Weight of one bit of a packed target in :meth:`Resonator.factor_superposition`:
#: the bits become counts of ``±SUPERPOSITION_BIT_WEIGHT``, fine enough to subtract the
#: projection of a term rounded to an integer.
SUPERPOSITION_BIT_WEIGHT = 64


@dataclass(frozen=True)
class ResonatorResult:
    """The factorisation of one target.

    Attributes
    ----------
    indices
        Row of the decoded codevector in each codebook.
    labels
        Label of that row for codebooks given as :class:`~scenefold.Codebook`, else None.
    similarities
        ``|cosine|`` of each factor's final estimate with its decoded row.
    signs
        +1 or -1 per factor; the product of ``sign * row`` over the factors has a
        non-negative similarity with the target. All +1 unless the target is nearer the
        negated product.
    confidence
        Similarity of that signed product with the target, in [0, 1]; 1.0 for a packed
        target means the factors reproduce it exactly.
    converged
        Whether the search stopped at a fixed point or at ``stop_confidence``.
    status
        ``"fixed_point"``, ``"confident"``, ``"limit_cycle"`` or ``"budget"``.
    iterations
        Sweeps over all factors, over all runs.
    restarts
        Runs from random states after the first.
    cycle_length
        Period of the limit cycle, 0 unless ``status == "limit_cycle"``.
    """

    indices: tuple[int, ...]
    labels: tuple[str | None, ...]
    similarities: tuple[float, ...]
    signs: tuple[int, ...]
    confidence: float
    converged: bool
    status: str
    iterations: int
    restarts: int
    cycle_length: int


@dataclass(frozen=True)
class ResonatorBatch:
    """Results of many targets as arrays, one row per target.

    Attributes
    ----------
    indices, similarities, signs
        ``(n, n_factors)`` arrays of int64, float64 and int8.
    confidence, converged, iterations, restarts, cycle_length
        ``(n,)`` arrays.
    status
        One status string per target.
    """

    indices: npt.NDArray[np.int64]
    similarities: npt.NDArray[np.float64]
    signs: npt.NDArray[np.int8]
    confidence: npt.NDArray[np.float64]
    converged: npt.NDArray[np.bool_]
    iterations: npt.NDArray[np.int64]
    restarts: npt.NDArray[np.int64]
    cycle_length: npt.NDArray[np.int64]
    status: list[str]

    def __len__(self) -> int:
        return len(self.status)


@dataclass(frozen=True)
class ResonatorTerm:
    """One product found in a superposition.

    Attributes
    ----------
    indices, labels, signs
        As in :class:`ResonatorResult`.
    weight
        Weight subtracted from the residual: the projection ``dot / dim`` of the
        residual on the signed product, rounded, at least 1. For an accumulator of
        unit-weight products it is the number of times the product was added.
    z
        ``dot(residual, product) / |residual|``: standard deviations above the dot
        product of the residual with an unrelated random vector.
    iterations
        Sweeps of the search that found the term.
    status
        Why that search stopped.
    """

    indices: tuple[int, ...]
    labels: tuple[str | None, ...]
    signs: tuple[int, ...]
    weight: int
    z: float
    iterations: int
    status: str


def _packed_rows(
    book: Any, position: int
) -> tuple[npt.NDArray[np.uint64], list[str] | None, int | None]:
    """Return the rows of a codebook argument, its labels and the dim it fixes."""
    if isinstance(book, _core.Codebook):
        return book.vectors, list(book.labels), book.space.dim
    if not isinstance(book, np.ndarray):
        raise InvalidArgumentError(
            f"codebooks[{position}] must be a scenefold Codebook or a (rows, dim // 64) "
            f"uint64 array, got {type(book).__name__}"
        )
    if book.ndim != 2:
        raise ShapeError(
            f"codebooks[{position}] must be 2-D (rows, words), got shape {book.shape}"
        )
    return book, None, None


def _rotate(
    rows: npt.NDArray[np.uint64], shift: int, dim: int
) -> npt.NDArray[np.uint64]:
    if shift == 0:
        return rows
    if dim % 64:
        raise InvalidArgumentError(
            f"shifts need dim to be a multiple of 64 (the permutation of the core), got dim {dim}"
        )
    return _core.Space(dim=dim).permute(np.ascontiguousarray(rows), shift)


def _bits_to_counts(
    bits: npt.NDArray[np.uint64], dim: int, weight: int
) -> npt.NDArray[np.int32]:
    """Return ``weight * bipolar(bits)`` for the first ``dim`` bits of each row."""
    as_bytes = np.ascontiguousarray(bits, dtype="<u8").view(np.uint8)
    unpacked = np.unpackbits(as_bytes, axis=-1, bitorder="little")[..., :dim]
    return (weight * (1 - 2 * unpacked.astype(np.int32))).astype(np.int32)


class Resonator:
    """A resonator network that factors targets over fixed codebooks.

    Parameters
    ----------
    codebooks
        One codebook per factor: :class:`~scenefold.Codebook` objects or
        ``(rows, dim // 64)`` ``uint64`` arrays (``ceil(dim / 64)`` words when ``dim``
        is given and not a multiple of 64). Sizes may differ.
    dim
        Number of used bits; bits from ``dim`` on are ignored. Defaults to the space of
        the Codebooks or ``64 * words`` of the arrays.
    shifts
        Rotation applied to the rows of each codebook before factoring, as
        ``Space.permute``: a factor stored as ``permute(filler, 1)`` is read with shift 1,
        and its results index the unrotated rows.
    weights
        ``"outer"`` (``X Xᵀ``) or ``"pinv"`` (least squares, ``X (XᵀX)⁻¹ Xᵀ``; needs
        linearly independent rows, at most ``dim`` per codebook).
    update
        ``"sequential"`` (each factor uses the estimates already updated in the same
        sweep) or ``"synchronous"`` (all factors use those of the previous sweep).
    activation
        ``"sign"``: the coefficients as they are. ``"soft"``: each coefficient ``c``
        times ``exp((|c| - max|c|) / temperature)``, which sharpens toward the best
        codevector as the temperature falls and equals ``"sign"`` as it grows.
        ``"threshold"``: coefficients with ``|c| < threshold`` set to zero.
    temperature
        Temperature of ``"soft"``, in units of cosine similarity.
    threshold
        Threshold of ``"threshold"``, in units of cosine similarity.
        ``docs/resonator.md`` measures 0.05 at dim 1500, about ``1.9 / sqrt(dim)``.
    noise
        Standard deviation of Gaussian noise added to every coefficient, in units of
        cosine similarity; 0 for a deterministic network.
    restarts
        Extra runs from random states after a run ends in a limit cycle, spends its
        share of the budget or, with ``stop_confidence``, converges below it.
    max_iterations
        Sweeps over all runs of one search. Defaults to
        ``max(100, ceil(0.001 * prod(sizes)))``, the budget of Kent et al. (2020) with
        a floor for small problems.
    stop_confidence
        When given, a run also stops once the rows with the largest coefficients re-bind
        to the target with at least this similarity, and a fixed point below it counts
        as failed. With ``noise > 0`` it also keeps a run going through sweeps that
        change nothing, so the noise can leave spurious fixed points; give it with
        ``activation="threshold"``, whose spurious fixed points are common.
    seed
        Seed of the noise and of the restart states. Target ``i`` of a batch uses the
        random stream ``first_stream + i``, so results do not depend on threads.

    Raises
    ------
    InvalidArgumentError
        An option outside its domain, no codebooks, or linearly dependent rows with
        ``weights="pinv"``.
    ShapeError, DimensionMismatchError, DtypeError
        A codebook that is not a 2-D ``uint64`` array of the expected width.

    Examples
    --------
    >>> import numpy as np, scenefold as sf
    >>> space = sf.Space(dim=1024, seed=0)
    >>> books = [sf.Codebook(space, [f"{name}{i}" for i in range(20)]) for name in "abc"]
    >>> target = space.bind(space.bind(books[0].get("a3"), books[1].get("b7")), books[2].get("c11"))
    >>> result = sf.Resonator(books).factor(target)
    >>> result.labels, result.confidence
    (('a3', 'b7', 'c11'), 1.0)
    """

    def __init__(
        self,
        codebooks: Sequence[Any],
        *,
        dim: int | None = None,
        shifts: Sequence[int] | None = None,
        weights: str = "outer",
        update: str = "sequential",
        activation: str = "sign",
        temperature: float = 1.0,
        threshold: float = 0.0,
        noise: float = 0.0,
        restarts: int = 0,
        max_iterations: int | None = None,
        stop_confidence: float | None = None,
        seed: int = 0,
    ) -> None:
        books = list(codebooks)
        if not books:
            raise InvalidArgumentError(
                "a resonator network needs at least one codebook, got none"
            )
        parsed = [_packed_rows(book, i) for i, book in enumerate(books)]
        dims = {d for _, _, d in parsed if d is not None}
        if len(dims) > 1:
            raise DimensionMismatchError(
                f"the codebooks come from spaces of different dims {sorted(dims)}"
            )
        if dim is None:
            dim = dims.pop() if dims else 64 * parsed[0][0].shape[1]
        elif dims and dim not in dims:
            raise DimensionMismatchError(
                f"dim {dim} differs from the codebooks' space dim {dims.pop()}"
            )

        if shifts is not None and len(shifts) != len(parsed):
            raise ShapeError(
                f"shifts has {len(shifts)} entries for {len(parsed)} codebooks"
            )
        rows = [
            _rotate(vectors, 0 if shifts is None else int(shifts[f]), dim)
            for f, (vectors, _, _) in enumerate(parsed)
        ]
        sizes = [len(r) for r in rows]
        if max_iterations is None:
            max_iterations = max(100, math.ceil(0.001 * math.prod(sizes)))
        self._core = _core.Resonator(
            rows,
            dim,
            weights=weights,
            update=update,
            activation=activation,
            temperature=temperature,
            threshold=threshold,
            noise=noise,
            restarts=restarts,
            max_iterations=max_iterations,
            stop_confidence=stop_confidence,
            seed=seed,
        )

        self._labels = [labels for _, labels, _ in parsed]
        self.max_iterations = max_iterations

    @property
    def dim(self) -> int:
        """Number of used bits of a vector."""
        return self._core.dim

    @property
    def n_words(self) -> int:
        """Number of ``uint64`` words of a vector, ``ceil(dim / 64)``."""
        return self._core.n_words

    @property
    def codebook_sizes(self) -> tuple[int, ...]:
        """Number of rows of each codebook."""
        return tuple(self._core.codebook_sizes)

    def __repr__(self) -> str:
        return f"Resonator(dim={self.dim}, codebook_sizes={self.codebook_sizes})"

    def _label(self, factor: int, index: int) -> str | None:
        labels = self._labels[factor]
        return None if labels is None else labels[index]

    def _target(self, target: Any) -> Any:
        if isinstance(target, _core.Accumulator):
            if target.dim != self.dim:
                raise DimensionMismatchError(
                    f"the accumulator has dim {target.dim}, the resonator {self.dim}"
                )
            return target.counts
        return target

    def factor_arrays(self, targets: Any, first_stream: int = 0) -> ResonatorBatch:
        """Factor a batch of targets and return the results as arrays.

        Parameters
        ----------
        targets
            Packed bits, ``(n_words,)`` or ``(n, n_words)`` ``uint64``, or counts,
            ``(dim,)`` or ``(n, dim)`` ``int32``, or an :class:`~scenefold.Accumulator`.
        first_stream
            Random stream of the first target; target ``i`` uses ``first_stream + i``.

        Returns
        -------
        ResonatorBatch
            Shapes: ``(n, n_factors)`` and ``(n,)``, with ``n = 1`` for one target.
        """
        raw = self._core.factor_batch(self._target(targets), first_stream)
        return ResonatorBatch(
            indices=raw["indices"],
            similarities=raw["similarities"],
            signs=raw["signs"],
            confidence=raw["confidence"],
            converged=raw["converged"],
            iterations=raw["iterations"],
            restarts=raw["restarts"],
            cycle_length=raw["cycle_length"],
            status=list(raw["status"]),
        )

    def _results(self, batch: ResonatorBatch) -> list[ResonatorResult]:
        out = []
        for i in range(len(batch)):
            indices = tuple(int(x) for x in batch.indices[i])
            out.append(
                ResonatorResult(
                    indices=indices,
                    labels=tuple(self._label(f, x) for f, x in enumerate(indices)),
                    similarities=tuple(float(x) for x in batch.similarities[i]),
                    signs=tuple(int(x) for x in batch.signs[i]),
                    confidence=float(batch.confidence[i]),
                    converged=bool(batch.converged[i]),
                    status=batch.status[i],
                    iterations=int(batch.iterations[i]),
                    restarts=int(batch.restarts[i]),
                    cycle_length=int(batch.cycle_length[i]),
                )
            )
        return out

    def factor(self, target: Any) -> ResonatorResult:
        """Factor one target.

        Parameters
        ----------
        target
            Packed bits ``(n_words,)`` ``uint64``, counts ``(dim,)`` ``int32``, or an
            :class:`~scenefold.Accumulator`.

        Returns
        -------
        ResonatorResult
        """
        target = self._target(target)
        if getattr(target, "ndim", 1) != 1:
            raise ShapeError(
                "factor() takes one target; use factor_batch() for a 2-D batch"
            )
        return self._results(self.factor_arrays(target))[0]

    def factor_batch(
        self, targets: Any, first_stream: int = 0
    ) -> list[ResonatorResult]:
        """Factor each row of ``targets`` in parallel with the GIL released.

        Parameters
        ----------
        targets
            ``(n, n_words)`` ``uint64`` bits or ``(n, dim)`` ``int32`` counts.
        first_stream
            Random stream of the first row.

        Returns
        -------
        list of ResonatorResult
            One per row.
        """
        return self._results(self.factor_arrays(targets, first_stream))

    def trace(self, target: Any, iterations: int) -> npt.NDArray[np.uint64]:
        """Run exactly ``iterations`` sweeps from the superposition start, ignoring every
        stop rule, and return the estimates.

        Returns
        -------
        numpy.ndarray
            ``(iterations + 1, n_factors, n_words)`` ``uint64``: the start, then the
            state after each sweep. Noise, if any, is that of random stream 0.
        """
        return self._core.trace(self._target(target), iterations)

    def _superposition_counts(self, targets: Any) -> npt.NDArray[np.int32]:
        targets = self._target(targets)
        if isinstance(targets, np.ndarray) and targets.dtype == np.uint64:
            if targets.shape[-1] != self.n_words:
                raise DimensionMismatchError(
                    f"targets have {targets.shape[-1]} uint64 words per row, expected {self.n_words}"
                )
            return _bits_to_counts(targets, self.dim, SUPERPOSITION_BIT_WEIGHT)
        return targets

    def factor_superposition_batch(
        self,
        targets: Any,
        max_terms: int = 32,
        *,
        explain_away: bool = True,
        alpha: float = 0.01,
        patience: int | None = None,
        first_stream: int = 0,
    ) -> list[list[ResonatorTerm]]:
        """Decompose each row of ``targets``, a superposition of products, into terms.

        Parameters
        ----------
        targets
            ``(n, dim)`` ``int32`` counts (exact bundles), or ``(n, n_words)``
            ``uint64`` thresholded bundles, read as counts of
            ``±SUPERPOSITION_BIT_WEIGHT``.
        max_terms
            Maximum number of terms per row.
        explain_away
            Subtract each term found before searching for the next (explaining away).
            Without it, every search reads the whole superposition and distinct
            significant products are collected.
        alpha
            Chance of accepting a product that is not in the superposition: the z-score
            threshold is Bonferroni-corrected over every combination of rows. A search
            stops as soon as the rows it attends to pass this threshold.
        patience
            Searches in a row that may end without a new term before a row is done.
            With explaining away, the first search after each term starts from the
            superposition and the retries from random states. Without it, only the
            first search starts from the superposition. Default: 3 with explaining
            away, else ``2 * max_terms``.
        first_stream
            Random stream of the first row.

        Returns
        -------
        list of list of ResonatorTerm
            The terms of each row, in the order found.
        """
        counts = self._superposition_counts(targets)
        if getattr(counts, "ndim", 2) != 2:
            raise ShapeError(
                "factor_superposition_batch() takes a 2-D batch; use factor_superposition()"
            )
        if patience is None:
            patience = 3 if explain_away else 2 * max_terms
        raw = self._core.decompose_batch(
            counts, max_terms, explain_away, alpha, patience, first_stream
        )
        return [
            [
                ResonatorTerm(
                    indices=tuple(indices),
                    labels=tuple(self._label(f, x) for f, x in enumerate(indices)),
                    signs=tuple(signs),
                    weight=weight,
                    z=z,
                    iterations=iterations,
                    status=status,
                )
                for indices, signs, weight, z, iterations, status in row
            ]
            for row in raw
        ]

    def factor_superposition(
        self,
        target: Any,
        max_terms: int = 32,
        *,
        explain_away: bool = True,
        alpha: float = 0.01,
        patience: int | None = None,
    ) -> list[ResonatorTerm]:
        """Decompose one superposition of products into its terms.

        Parameters
        ----------
        target
            An :class:`~scenefold.Accumulator`, ``(dim,)`` ``int32`` counts, or a
            ``(n_words,)`` ``uint64`` thresholded bundle.
        max_terms, explain_away, alpha, patience
            As in :meth:`factor_superposition_batch`.

        Returns
        -------
        list of ResonatorTerm
            In the order found; strongest first with explaining away.
        """
        counts = self._superposition_counts(target)
        if getattr(counts, "ndim", 1) != 1:
            raise ShapeError(
                "factor_superposition() takes one target; use factor_superposition_batch()"
            )
        return self.factor_superposition_batch(
            np.ascontiguousarray(counts)[None, :],
            max_terms,
            explain_away=explain_away,
            alpha=alpha,
            patience=patience,
        )[0]
