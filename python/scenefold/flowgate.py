"""FlowGate: the capacity law of one vector, scene splitting and the choice of mode.

For ``K`` items bundled into one vector of ``dim`` bits and decoded by nearest
neighbour among ``M`` candidates, the signal-to-noise ratio of the right candidate is
``s = sqrt(2 * dim / (pi * K))`` when the bundle is thresholded to bits by majority and
``s = sqrt(dim / K)`` for an integer sum (Frady, Kleyko and Sommer, "A theory of
sequence indexing and working memory in recurrent neural networks", Neural
Computation 30(6), 2018). One item is decoded right with probability

    p = integral of phi(h) * Phi(h + s) ** (M - 1) dh,

and :func:`capacity` is the largest ``K`` whose expected number of wrong items,
``K * (1 - p)``, stays within the target error.

For a thresholded bundle :func:`retrieval_accuracy` uses the exact finite-``K`` form
of that law by default: an item agrees with the majority of ``K`` items with
probability ``1/2 + rho/2``, ``rho = C(K' - 1, (K' - 1) / 2) / 2 ** (K' - 1)``, where
``K'`` is ``K`` rounded up to odd because the tie-break of an even bundle acts as one
more item; the right candidate's score then has mean ``rho * sqrt(dim)`` and variance
``1 - rho ** 2`` in units of the noise. ``rho`` tends to ``sqrt(2 / (pi K))`` for large
``K``, and the large-``K`` form above underestimates the accuracy of small bundles.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from scenefold._core import Space
from scenefold.errors import CapacityError, InvalidArgumentError
from scenefold.scene import Item, Ref, Scene, Seq, item_sort_key
from scenefold.symbol import PARTS_REGISTER, Symbol

#: Candidate count the capacity is sized for unless a vocabulary is larger: a scene
#: folded now must still unfold after the vocabulary grows to about this size.
DESIGN_CODEBOOK_SIZE = 100_000

#: Expected number of wrong items per folded vector that the capacity allows.
DEFAULT_TARGET_ERROR = 1e-3


def _log_cdf(x: np.ndarray) -> np.ndarray:
    """Return log Phi(x), precise both where Phi is tiny and where it is close to 1."""
    root2 = math.sqrt(2.0)
    upper = np.array([0.5 * math.erfc(v / root2) for v in x])
    lower = np.array([0.5 * math.erfc(-v / root2) for v in x])
    safe_lower = np.maximum(lower, np.finfo(float).tiny)
    return np.where(upper < 0.5, np.log1p(-np.minimum(upper, 0.5)), np.log(safe_lower))


def majority_agreement(n_items: int) -> float:
    """Return ``rho``, the expected bipolar similarity of one item with the majority
    bundle of ``n_items`` independent items (an even count is rounded up to odd)."""
    odd = n_items if n_items % 2 else n_items + 1
    return math.comb(odd - 1, (odd - 1) // 2) / 2.0 ** (odd - 1)


@lru_cache(maxsize=4096)
def retrieval_accuracy(
    dim: int,
    n_items: int,
    codebook_size: int,
    thresholded: bool = True,
    exact: bool = True,
) -> float:
    """Return the probability that one of ``n_items`` bundled items decodes right.

    Parameters
    ----------
    dim
        Bits per vector.
    n_items
        Items bundled into the vector, ``K``.
    codebook_size
        Candidates searched, ``M``, the right one included.
    thresholded
        True for a majority-thresholded bundle, False for an integer sum.
    exact
        For a thresholded bundle, True uses the finite-``K`` similarity and variance
        of the module docstring, False the large-``K`` law ``s = sqrt(2 dim / (pi K))``.
    """
    if dim <= 0 or n_items <= 0 or codebook_size <= 0:
        raise InvalidArgumentError(
            f"dim, n_items and codebook_size must be positive, got {dim}, {n_items}, "
            f"{codebook_size}"
        )
    if codebook_size == 1:
        return 1.0
    spread = 1.0
    if thresholded and exact:
        rho = majority_agreement(n_items)
        s = rho * math.sqrt(dim)
        spread = math.sqrt(max(1.0 - rho * rho, 0.0))
    elif thresholded:
        s = math.sqrt(2.0 * dim / (math.pi * n_items))
    else:
        s = math.sqrt(dim / n_items)
    h = np.linspace(-12.0, 12.0, 4801)
    pdf = np.exp(-0.5 * h * h) / math.sqrt(2.0 * math.pi)
    integrand = pdf * np.exp((codebook_size - 1) * _log_cdf(s + spread * h))
    step = h[1] - h[0]
    return float(min(1.0, np.sum(integrand) * step))


def capacity(
    dim: int,
    codebook_size: int,
    target_error: float = DEFAULT_TARGET_ERROR,
    thresholded: bool = True,
) -> int:
    """Return the max items one vector contains with ``K * (1 - p) <= target_error``."""
    if not 0.0 < target_error < 1.0:
        raise InvalidArgumentError(
            f"target_error must lie strictly between 0 and 1, got {target_error}"
        )

    def fits(k: int) -> bool:
        p = retrieval_accuracy(dim, k, codebook_size, thresholded)
        return k * (1.0 - p) <= target_error

    if not fits(1):
        return 0
    low, high = 1, 2
    while high <= dim and fits(high):
        low, high = high, high * 2
    high = min(high, dim + 1)
    while high - low > 1:
        mid = (low + high) // 2
        if fits(mid):
            low = mid
        else:
            high = mid
    return low


def item_terms(item: Item) -> int:
    """Return the number of bound terms an item adds to a vector."""
    if isinstance(item, Seq):
        return len(item.items)
    return 1


def scene_terms(scene: Scene) -> int:
    """Return the number of bound terms of a scene."""
    return sum(item_terms(item) for item in scene.items())


class Mode(enum.Enum):
    """The mode a request needs."""

    FOLD = "fold"
    UNFOLD = "unfold"
    SPLIT = "split"
    SHIFT = "shift"


@dataclass(frozen=True)
class Decision:
    """The mode :meth:`FlowGate.decide` chose and why."""

    mode: Mode
    reason: str


class FlowGate:
    """Sizes scenes against the capacity of one vector and splits those that overflow.

    Parameters
    ----------
    space
        The space scenes are folded in.
    codebook_size
        Candidates an unfolding searches. The default, :data:`DESIGN_CODEBOOK_SIZE`,
        keeps a scene decodable as the vocabulary grows to that size.
    target_error
        Expected number of wrong items per vector, see :func:`capacity`.
    """

    def __init__(
        self,
        space: Space,
        codebook_size: int = DESIGN_CODEBOOK_SIZE,
        target_error: float = DEFAULT_TARGET_ERROR,
    ) -> None:
        self.space = space
        self.codebook_size = max(int(codebook_size), 1)
        self.target_error = target_error
        self.capacity = capacity(space.dim, self.codebook_size, target_error)
        if self.capacity < 2:
            raise InvalidArgumentError(
                f"a vector of dim {space.dim} fits fewer than 2 items at target error "
                f"{target_error} over {self.codebook_size} candidates; use a larger dim"
            )

    def __repr__(self) -> str:
        return (
            f"FlowGate(dim={self.space.dim}, codebook_size={self.codebook_size}, "
            f"capacity={self.capacity})"
        )

    def fits(self, scene: Scene) -> bool:
        """Return whether the scene folds into one vector within capacity."""
        return scene_terms(scene) <= self.capacity

    def split(self, scene: Scene, _level: int = 0) -> list[Scene]:
        """Split a scene into parts that fit, followed by the scene of their references.

        Parts are named ``"<name>#1"``, ``"<name>#2"``, ...; each keeps the registers
        of its items. The last scene has the original name and refers to every part
        in the register ``"#parts"``; when the parts are too many for one vector, it
        is split in turn, into parts named ``"<name>#1.1"``, ``"<name>#1.2"``, ...
        Fold the scenes in the returned order.
        """
        if self.fits(scene):
            return [scene]
        parts: list[dict[str, set[Item]]] = [{}]
        used = 0
        for register, items in scene.registers.items():
            for item in sorted(items, key=item_sort_key):
                terms = item_terms(item)
                if terms > self.capacity:
                    raise CapacityError(
                        f"a sequence of {terms} items in register {register!r} of scene "
                        f"{scene.name!r} exceeds the capacity of one vector "
                        f"({self.capacity} at dim {self.space.dim}); split the sequence "
                        "into named sub-sequences or use a larger dim"
                    )
                if used + terms > self.capacity:
                    parts.append({})
                    used = 0
                parts[-1].setdefault(register, set()).add(item)
                used += terms
        prefix = f"{scene.name}#" if _level == 0 else f"{scene.name}#{_level}."
        part_scenes = [
            Scene(f"{prefix}{i + 1}", {k: frozenset(v) for k, v in p.items()})
            for i, p in enumerate(parts)
        ]
        parent = Scene(
            scene.name, {PARTS_REGISTER: frozenset(Ref(p.name) for p in part_scenes)}
        )
        return part_scenes + self.split(parent, _level + 1)

    def decide(self, request: Scene | Symbol, register: str | None = None) -> Decision:
        """Choose the mode a request needs.

        A scene within capacity is folded, a larger one split; a symbol is unfolded,
        or, with ``register`` naming one of its registers, shifted to that register.
        """
        if isinstance(request, Scene):
            terms = scene_terms(request)
            if terms <= self.capacity:
                return Decision(
                    Mode.FOLD, f"{terms} terms fit the capacity of {self.capacity}"
                )
            return Decision(
                Mode.SPLIT, f"{terms} terms exceed the capacity of {self.capacity}"
            )
        if isinstance(request, Symbol):
            if register is not None:
                if register not in request.metacode.slots:
                    known = ", ".join(sorted(request.metacode.slots)) or "none"
                    raise InvalidArgumentError(
                        f"symbol {request.name!r} has no register {register!r}; "
                        f"its registers are: {known}"
                    )
                return Decision(Mode.SHIFT, f"unfold register {register!r} alone")
            return Decision(Mode.UNFOLD, "a symbol unfolds into its scene")
        raise TypeError(
            f"decide() takes a Scene or a Symbol, got {type(request).__name__}"
        )

