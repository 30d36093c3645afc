"""Type stubs of the compiled core, ``scenefold._core``.

Vectors are packed binary hypervectors: ``dim`` bits in ``dim // 64`` little-endian
``uint64`` words, bit ``i`` of the vector in bit ``i % 64`` of word ``i // 64``. Bit 1
stands for the bipolar value -1 and bit 0 for +1. A batch is a C-contiguous
``(n, dim // 64)`` ``uint64`` array.
"""

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Bits = npt.NDArray[np.uint64]
Counts = npt.NDArray[np.int32]

__version__: str

def simd_level() -> str:
    """Return the popcount kernel scans run: ``"avx512"``, ``"avx2"`` or ``"portable"``."""

def set_num_threads(n: int) -> None:
    """Set the number of worker threads for codebook scans; 0 means one per core."""

def get_num_threads() -> int:
    """Return the number of worker threads codebook scans use."""

def label_seed(seed: int, label: str) -> int:
    """Return the 64-bit PRNG seed of ``label`` in a space with ``seed``."""

def normal_isf(p: float) -> float:
    """Return ``z`` with upper-tail probability ``p`` under the standard normal."""

class Space:
    model: str
    dim: int
    seed: int
    n_words: int

    def __init__(self, model: str = "bsc", dim: int = 8192, seed: int = 0) -> None: ...
    def atom(self, label: str) -> Bits: ...
    def atoms(self, labels: Sequence[str]) -> Bits: ...
    def random(self, n: int, seed: int) -> Bits: ...
    def zeros(self, n: int | None = None) -> Bits: ...
    def bind(self, a: Bits, b: Bits) -> Bits: ...
    def unbind(self, a: Bits, b: Bits) -> Bits: ...
    def permute(self, x: Bits, k: int = 1) -> Bits: ...
    def inverse_permute(self, x: Bits, k: int = 1) -> Bits: ...
    def bind_permuted(self, a: Bits, b: Bits, shifts: Sequence[int]) -> Bits: ...
    def unbind_counts(
        self, counts: Counts, keys: Bits, shifts: Sequence[int]
    ) -> Counts: ...
    def hamming(self, a: Bits, b: Bits) -> int | npt.NDArray[np.int64]: ...
    def similarity(self, a: Bits, b: Bits) -> float | npt.NDArray[np.float64]: ...
    def bundle(
        self,
        vectors: Bits,
        weights: npt.ArrayLike | None = None,
        tie_break: Bits | None = None,
    ) -> Bits: ...
    def accumulator(self) -> Accumulator: ...
    def tie_break(self) -> Bits: ...

class Accumulator:
    dim: int
    total_weight: int

    def __init__(self, space: Space) -> None: ...
    @property
    def counts(self) -> Counts: ...
    def add(self, x: Bits, weight: int = 1) -> None: ...
    def subtract(self, x: Bits, weight: int = 1) -> None: ...
    def add_many(self, vectors: Bits, weights: npt.ArrayLike | None = None) -> None: ...
    def threshold(self, tie_break: Bits | None = None) -> Bits: ...
    def similarity(self, x: Bits) -> float | npt.NDArray[np.float64]: ...
    def norm(self) -> float: ...
    def clear(self) -> None: ...
    def copy(self) -> Accumulator: ...

class Anchor:
    label: str
    index: int
    activation: float
    z: float
    margin: float

class Codebook:
    space: Space
    labels: list[str]

    def __init__(
        self, space: Space, labels: Sequence[str], vectors: Bits | None = None
    ) -> None: ...
    def __len__(self) -> int: ...
    def __contains__(self, label: object) -> bool: ...
    @property
    def vectors(self) -> Bits: ...
    def append(self, labels: Sequence[str], vectors: Bits | None = None) -> None: ...
    def index(self, label: str) -> int: ...
    def get(self, label: str) -> Bits: ...
    def search(
        self,
        queries: Bits | Counts | Accumulator,
        k: int = 10,
        candidates: int | None = None,
        prefix_bits: int = 1024,
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
    def scores(self, query: Bits | Counts | Accumulator) -> npt.NDArray[np.float64]: ...
    def anchors(
        self,
        query: Bits | Counts | Accumulator,
        alpha: float = 0.01,
        min_count: int = 0,
        max_count: int | None = None,
    ) -> list[Anchor]: ...
    def z_threshold(self, alpha: float = 0.01) -> float: ...

class Resonator:
    """A resonator network over fixed codebooks; ``scenefold.Resonator`` wraps it."""

    dim: int
    n_words: int
    codebook_sizes: list[int]

    def __init__(
        self,
        codebooks: Sequence[Bits],
        dim: int,
        weights: str = "outer",
        update: str = "sequential",
        activation: str = "sign",
        temperature: float = 1.0,
        threshold: float = 0.0,
        noise: float = 0.0,
        restarts: int = 0,
        max_iterations: int = 100,
        stop_confidence: float | None = None,
        seed: int = 0,
    ) -> None: ...
    def factor_batch(
        self, targets: Bits | Counts, first_stream: int = 0
    ) -> dict[str, object]: ...
    def trace(self, target: Bits | Counts, iterations: int) -> Bits: ...
    def decompose_batch(
        self,
        counts: Counts,
        max_terms: int,
        explain_away: bool = True,
        alpha: float = 0.01,
        patience: int = 4,
        first_stream: int = 0,
    ) -> list[list[tuple[list[int], list[int], int, float, int, str]]]: ...
