"""NumPy reference implementation of scenefold's algebra, written from its spec.

The tests compare the compiled core against these functions, which share no code with
it. Integer hashing uses Python ints masked to 64 bits or NumPy ``uint64`` arrays, which
wrap modulo 2**64. Bit-level operations go through unpacked ``uint8`` bit arrays, so
none of them depends on the packed-word tricks of the core.

Vectors are ``uint64`` arrays of ``dim // 64`` words, with bit ``i`` in bit ``i % 64``
of word ``i // 64`` and bit 1 standing for the bipolar value -1. Batches are
``(n, dim // 64)``.
"""

from __future__ import annotations

import math
import statistics
import unicodedata
from dataclasses import dataclass

import numpy as np

MASK64 = (1 << 64) - 1
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
GOLDEN_GAMMA = 0x9E3779B97F4A7C15
RANDOM_STREAM_KEY = 0x72616E646F6D5F5F  # the ASCII bytes "random__"
TIE_BREAK_LABEL = "#tie-break"

# --- hashing and atoms ----------------------------------------------------------------


def mix64(z: int) -> int:
    """Apply the SplitMix64 finaliser to a 64-bit integer."""
    z &= MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def fnv1a(state: int, data: bytes) -> int:
    """Continue a 64-bit FNV-1a hash from ``state`` over ``data``."""
    for byte in data:
        state = ((state ^ byte) * FNV_PRIME) & MASK64
    return state


def label_seed(space_seed: int, label: str) -> int:
    """Return the PRNG seed of ``label``.

    The seed is the SplitMix64 finaliser of FNV-1a over the 8 little-endian bytes of
    the space seed followed by the NFC-normalised UTF-8 label.
    """
    data = space_seed.to_bytes(8, "little") + unicodedata.normalize(
        "NFC", label
    ).encode("utf-8")
    return mix64(fnv1a(FNV_OFFSET, data))


def _mix64_array(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint64(r)) | (x >> np.uint64(64 - r))


def xoshiro_outputs(state, n_words: int) -> np.ndarray:
    """Return ``n_words`` xoshiro256** outputs for each of several generator states.

    ``state`` is four ``uint64`` arrays of equal length, one per state word. All
    generators advance together, one NumPy operation per output word.
    """
    s0, s1, s2, s3 = (np.array(s, dtype=np.uint64) for s in state)
    out = np.empty((len(s0), n_words), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(n_words):
            out[:, j] = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
            t = s1 << np.uint64(17)
            s2 = s2 ^ s0
            s3 = s3 ^ s1
            s1 = s1 ^ s2
            s0 = s0 ^ s3
            s2 = s2 ^ t
            s3 = _rotl(s3, 45)
    return out


def splitmix_state(seeds) -> list[np.ndarray]:
    """Return four successive SplitMix64 outputs from each seed, as four arrays."""
    x = np.asarray([int(s) & MASK64 for s in seeds], dtype=np.uint64)
    state = []
    with np.errstate(over="ignore"):
        for _ in range(4):
            x = x + np.uint64(GOLDEN_GAMMA)
            state.append(_mix64_array(x))
    return state


def xoshiro_words(seeds, n_words: int) -> np.ndarray:
    """Return the first ``n_words`` outputs of xoshiro256** seeded through SplitMix64.

    The result has one row per seed.
    """
    return xoshiro_outputs(splitmix_state(seeds), n_words)


def atoms(space_seed: int, labels, dim: int) -> np.ndarray:
    """Return the atoms of ``labels`` as an ``(n, dim // 64)`` array."""
    seeds = [label_seed(space_seed, label) for label in labels]
    return xoshiro_words(seeds, dim // 64)


def atom(space_seed: int, label: str, dim: int) -> np.ndarray:
    """Return the atom of ``label``, ``dim // 64`` words."""
    return atoms(space_seed, [label], dim)[0]


def tie_break(space_seed: int, dim: int) -> np.ndarray:
    """Return the vector whose bits settle zero counts: the atom of ``#tie-break``."""
    return atom(space_seed, TIE_BREAK_LABEL, dim)


def random_rows(space_seed: int, n: int, stream: int, dim: int) -> np.ndarray:
    """Return ``n`` rows of the random stream ``stream``, as ``Space.random`` does.

    One xoshiro256** generator fills the rows one after the other. Its seed is
    ``mix64(seed ^ mix64(stream ^ "random__"))``.
    """
    seed = mix64(space_seed ^ mix64(stream ^ RANDOM_STREAM_KEY))
    n_words = dim // 64
    return xoshiro_words([seed], n * n_words)[0].reshape(n, n_words)


# --- packed bits ----------------------------------------------------------------------


def unpack(words: np.ndarray) -> np.ndarray:
    """Return the bits of packed vectors as ``uint8``, shape ``(..., dim)``."""
    words = np.ascontiguousarray(words, dtype="<u8")
    return np.unpackbits(words.view(np.uint8), axis=-1, bitorder="little")


def pack(bits: np.ndarray) -> np.ndarray:
    """Pack ``(..., dim)`` bits into ``uint64`` words, the inverse of :func:`unpack`."""
    packed = np.packbits(np.asarray(bits, dtype=np.uint8), axis=-1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64)


def bipolar(words: np.ndarray) -> np.ndarray:
    """Return the bipolar form (+1 for bit 0, -1 for bit 1) as ``int64``."""
    return 1 - 2 * unpack(words).astype(np.int64)


def bind(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bind by elementwise product of bipolar values, that is XOR of bits."""
    return pack(unpack(a) ^ unpack(b))


def permute(x: np.ndarray, k: int) -> np.ndarray:
    """Rotate the bits cyclically so that bit ``i`` moves to ``(i + k) mod dim``."""
    bits = unpack(x)
    return pack(np.roll(bits, int(k) % bits.shape[-1], axis=-1))


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the number of differing bits along the last axis."""
    return np.count_nonzero(unpack(a) != unpack(b), axis=-1)


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the bipolar cosine ``1 - 2 * hamming / dim``."""
    dim = unpack(a).shape[-1]
    return 1.0 - 2.0 * hamming(a, b) / dim


# --- bundles and accumulators ---------------------------------------------------------


def counts(rows: np.ndarray, weights=None) -> np.ndarray:
    """Return the counts ``sum_i weight_i * bipolar(row_i)`` as ``int64``."""
    rows = np.atleast_2d(rows)
    if weights is None:
        weights = np.ones(len(rows), dtype=np.int64)
    weights = np.asarray(weights, dtype=np.int64)
    return (weights[:, None] * bipolar(rows)).sum(axis=0)


def threshold(counts_: np.ndarray, tie_break_bits: np.ndarray) -> np.ndarray:
    """Fold counts into bits: negative to 1, positive to 0, zero from the tie-break."""
    counts_ = np.asarray(counts_)
    bits = np.where(counts_ < 0, 1, np.where(counts_ > 0, 0, unpack(tie_break_bits)))
    return pack(bits)


def bundle(rows: np.ndarray, weights, tie_break_bits: np.ndarray) -> np.ndarray:
    """Return the weighted majority of ``rows``, ties settled by ``tie_break_bits``."""
    return threshold(counts(rows, weights), tie_break_bits)


def dot(counts_: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Return the exact integer dot product of counts with bipolar vectors."""
    return (np.asarray(counts_, dtype=np.int64) * bipolar(x)).sum(axis=-1)


def norm(counts_: np.ndarray) -> float:
    """Return the Euclidean norm of counts, summed exactly in Python integers."""
    squares = np.square(np.ravel(counts_).astype(np.int64))
    return math.sqrt(sum(squares.tolist()))


def cosine(counts_: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Return ``dot / (norm * sqrt(dim))``, or 0 for all-zero counts."""
    counts_ = np.asarray(counts_)
    length = norm(counts_)
    if length == 0.0:
        return np.zeros(np.shape(dot(counts_, x)))
    return dot(counts_, x) / (length * math.sqrt(counts_.shape[-1]))


def unbind_counts(counts_: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Unbind ``key`` from counts: flip the sign of each count where the key has 1."""
    return np.asarray(counts_) * bipolar(key)


def permute_counts(counts_: np.ndarray, k: int) -> np.ndarray:
    """Rotate counts cyclically so that count ``i`` moves to ``(i + k) mod dim``."""
    counts_ = np.asarray(counts_)
    return np.roll(counts_, int(k) % counts_.shape[-1], axis=-1)


# --- search and anchors ---------------------------------------------------------------


def bipolar_dots(queries: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Return the ``(n_queries, n_rows)`` dot products of queries with bipolar rows.

    ``queries`` are either counts of shape ``(n, dim)`` or packed bit rows. The product
    runs in float64, which is exact while every dot product stays below 2**53.
    """
    queries = np.atleast_2d(queries)
    if queries.dtype == np.uint64:
        queries = bipolar(queries)
    return np.rint(
        queries.astype(np.float64) @ bipolar(rows).astype(np.float64).T
    ).astype(np.int64)


def top_k(costs: np.ndarray, k: int) -> np.ndarray:
    """Return the rows of the ``k`` smallest costs per query, ties to the lower row.

    Missing entries, when ``k`` exceeds the number of rows, are -1.
    """
    costs = np.atleast_2d(costs)
    n_queries = costs.shape[0]
    order = np.argsort(costs, axis=1, kind="stable")[:, :k]
    padded = np.full((n_queries, k), -1, dtype=np.int64)
    padded[:, : order.shape[1]] = order
    return padded


def search_bits(queries: np.ndarray, rows: np.ndarray, k: int):
    """Return ``(scores, indices)`` of a bit-query search, ``(n, k)`` each."""
    dim = rows.shape[-1] * 64
    distances = (dim - bipolar_dots(queries, rows)) // 2
    indices = top_k(distances, k)
    best = np.take_along_axis(distances, np.maximum(indices, 0), axis=1)
    scores = np.where(indices >= 0, 1.0 - 2.0 * best / dim, -np.inf)
    return scores, indices


def search_counts(queries: np.ndarray, rows: np.ndarray, k: int):
    """Return ``(scores, indices)`` of a counts-query search, ``(n, k)`` each."""
    queries = np.atleast_2d(queries).astype(np.int64)
    dim = queries.shape[-1]
    dots = bipolar_dots(queries, rows)
    indices = top_k(-dots, k)
    best = np.take_along_axis(dots, np.maximum(indices, 0), axis=1)
    norms = np.array([norm(q) for q in queries])[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        cosines = np.where(norms == 0.0, 0.0, best / (norms * math.sqrt(dim)))
    scores = np.where(indices >= 0, cosines, -np.inf)
    return scores, indices


def z_threshold(alpha: float, n_items: int) -> float:
    """Return the anchor threshold ``isf(alpha / n_items)`` of the standard normal."""
    return -statistics.NormalDist().inv_cdf(alpha / n_items)


@dataclass(frozen=True)
class Anchor:
    """An expected anchor: row, activation, ``z`` and margin to the next ranked row."""

    index: int
    activation: float
    z: float
    margin: float


def select_anchors(
    scores: np.ndarray,
    dim: int,
    threshold_z: float,
    min_count: int = 0,
    max_count: int | None = None,
) -> list[Anchor]:
    """Return the anchors of one query from the similarities of every row.

    Rows are ranked by similarity, ties to the lower row. The anchors are the rows whose
    ``z = similarity * sqrt(dim)`` reaches ``threshold_z``, raised to the top
    ``min_count`` rows and capped at ``max_count``. The margin of the last ranked row
    is measured against 0.
    """
    scores = np.asarray(scores, dtype=np.float64)
    root = math.sqrt(dim)
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    significant = sum(1 for s in scores if s * root >= threshold_z)
    count = min(max(significant, min_count), len(scores))
    if max_count is not None:
        count = min(count, max_count)
    found = []
    for rank in range(count):
        index = order[rank]
        runner_up = scores[order[rank + 1]] if rank + 1 < len(order) else 0.0
        activation = float(scores[index])
        found.append(
            Anchor(index, activation, activation * root, activation - runner_up)
        )
    return found
