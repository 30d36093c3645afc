"""Tests of ``Codebook``: top-k search and anchors against the NumPy reference, thread
independence, and the label API with its errors.
"""

import contextlib
import math
import unicodedata

import numpy as np
import pytest
import reference as ref
import scenefold
from hypothesis import given
from hypothesis import strategies as st
from scenefold import errors

# Rows are scanned in blocks of 128 KiB, 128 rows at dim 8192 and 32 rows at dim 32768,
# so the larger dims split a codebook into several blocks and thread chunks.
DIMS = [64, 192, 1024, 8192, 32768]
# Cap on rows * words, to keep the float64 reference product small.
MAX_WORDS = 600 * 128


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


@st.composite
def codebooks(draw):
    """Draw a codebook whose length is not a multiple of 256, with its rows.

    Rows come either all random or from a pool of a few vectors, so that duplicate
    rows tie and the lower index must win.
    """
    dim = draw(st.sampled_from(DIMS))
    n_words = dim // 64
    max_rows = min(700, MAX_WORDS // n_words)
    n_rows = draw(st.integers(1, max_rows).filter(lambda n: n % 256 != 0))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):
        rows = random_words(rng, (n_rows, n_words))
    else:
        pool = random_words(rng, (draw(st.integers(1, 4)), n_words))
        rows = pool[rng.integers(0, len(pool), n_rows)]
    space = scenefold.Space(dim=dim, seed=draw(st.integers(0, 2**64 - 1)))
    book = scenefold.Codebook(space, [f"row{i}" for i in range(n_rows)], rows)
    return book, rows, rng


def bit_queries(rng: np.random.Generator, rows: np.ndarray, n: int) -> np.ndarray:
    """Return ``n`` queries: rows, rows with a few bits flipped, or random vectors."""
    n_words = rows.shape[1]
    picked = rows[rng.integers(0, len(rows), n)].copy()
    flips = np.zeros_like(picked)
    for i in range(n):
        for bit in rng.integers(0, n_words * 64, rng.integers(0, 40)):
            flips[i, bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
    noisy = picked ^ flips
    kind = rng.integers(0, 3, n)
    fresh = random_words(rng, (n, n_words))
    return np.where(
        (kind == 2)[:, None], fresh, np.where((kind == 1)[:, None], noisy, picked)
    )


def count_queries(rng: np.random.Generator, rows: np.ndarray, n: int) -> np.ndarray:
    """Return ``n`` int32 count queries: weighted bundles of up to 5 rows, or zeros."""
    dim = rows.shape[1] * 64
    out = np.zeros((n, dim), dtype=np.int64)
    for i in range(n):
        size = rng.integers(0, 6)
        picked = rows[rng.integers(0, len(rows), size)]
        weights = rng.integers(-7, 8, size)
        if size:
            out[i] = ref.counts(picked, weights)
    return out.astype(np.int32)


def reference_search(rows, queries, k):
    if queries.dtype == np.int32:
        return ref.search_counts(queries, rows, k)
    return ref.search_bits(queries, rows, k)


def check_matches(got, expected):
    scores, indices = got
    expected_scores, expected_indices = expected
    assert indices.dtype == np.int64
    assert scores.dtype == np.float64
    assert np.array_equal(indices, expected_indices)
    np.testing.assert_allclose(scores, expected_scores, rtol=1e-12, atol=1e-15)


# --- search against the reference -----------------------------------------------------


@given(data=st.data(), drawn=codebooks())
def test_search_bits_match_reference(data, drawn):
    book, rows, rng = drawn
    n_queries = data.draw(st.integers(1, 70))
    k = data.draw(st.integers(1, len(rows) + 5))
    queries = bit_queries(rng, rows, n_queries)
    got = book.search(queries, k)
    assert got[0].shape == (n_queries, k)
    check_matches(got, reference_search(rows, queries, k))


@given(data=st.data(), drawn=codebooks())
def test_search_counts_match_reference(data, drawn):
    book, rows, rng = drawn
    n_queries = data.draw(st.integers(1, 70))
    k = data.draw(st.integers(1, len(rows) + 5))
    queries = count_queries(rng, rows, n_queries)
    got = book.search(queries, k)
    assert got[0].shape == (n_queries, k)
    check_matches(got, reference_search(rows, queries, k))


@given(data=st.data(), drawn=codebooks())
def test_search_single_matches_batch(data, drawn):
    book, rows, rng = drawn
    k = data.draw(st.integers(1, len(rows) + 3))
    queries = bit_queries(rng, rows, 3)
    counts = count_queries(rng, rows, 3)
    for batch in [queries, counts]:
        scores, indices = book.search(batch, k)
        for i, query in enumerate(batch):
            one_scores, one_indices = book.search(query, k)
            assert one_indices.shape == (k,)
            assert np.array_equal(one_indices, indices[i])
            assert np.array_equal(one_scores, scores[i])


@given(data=st.data(), drawn=codebooks())
def test_search_accumulator_query(data, drawn):
    book, rows, rng = drawn
    k = data.draw(st.integers(1, len(rows) + 3))
    acc = book.space.accumulator()
    picked = rows[rng.integers(0, len(rows), 3)]
    acc.add_many(picked, [3, -1, 2])
    got = book.search(acc, k)
    assert got[0].shape == (k,)
    expected = ref.search_counts(acc.counts, rows, k)
    check_matches(got, (expected[0][0], expected[1][0]))


@given(data=st.data(), drawn=codebooks())
def test_search_same_for_any_threads(data, drawn):
    book, rows, rng = drawn
    k = data.draw(st.integers(1, len(rows) + 3))
    batch = bit_queries(rng, rows, data.draw(st.integers(1, 70)))
    counts = count_queries(rng, rows, data.draw(st.integers(1, 8)))
    results = []
    for threads in [1, 2, 3]:
        with num_threads(threads):
            assert scenefold.get_num_threads() == threads
            results.append(
                [
                    book.search(batch, k),
                    book.search(batch[0], k),
                    book.search(counts, k),
                ]
            )
    for other in results[1:]:
        for (scores, indices), (other_scores, other_indices) in zip(
            results[0], other, strict=True
        ):
            assert np.array_equal(indices, other_indices)
            assert np.array_equal(scores, other_scores)


@given(drawn=codebooks())
def test_scores_match_reference(drawn):
    book, rows, rng = drawn
    query = bit_queries(rng, rows, 1)[0]
    counts = count_queries(rng, rows, 1)[0]
    expected_bits = ref.similarity(np.broadcast_to(query, rows.shape), rows)
    np.testing.assert_allclose(book.scores(query), expected_bits, rtol=0, atol=1e-15)
    np.testing.assert_allclose(
        book.scores(counts), ref.cosine(counts, rows), rtol=1e-12, atol=1e-15
    )


def test_search_extreme_counts_ranking():
    # Counts spanning the whole int32 range need 32 bit planes in the count kernel.
    space = scenefold.Space(dim=1024, seed=4)
    rows = space.random(300, 1)
    book = scenefold.Codebook(space, [str(i) for i in range(300)], rows)
    rng = np.random.default_rng(3)
    counts = rng.integers(-(2**31) + 1, 2**31 - 1, (4, 1024)).astype(np.int32)
    counts[0, :] = 2**31 - 1
    counts[1, ::2] = -(2**31) + 1
    _, indices = book.search(counts, 20)
    _, expected = ref.search_counts(counts, rows, 20)
    assert np.array_equal(indices, expected)


# --- prefiltered search -----------------------------------------------------------

# Words of the prefix that a prefiltered search compares first, per prefix_bits.
PREFIX_WORDS = {512: 8, 1024: 16}


def check_prefiltered(rows, queries, k, candidates, prefix_bits, got):
    """Check a prefiltered search against what the exhaustive search guarantees.

    Every result is a real row with its true similarity, ranked by full distance with
    ties to the lower row. When the exhaustive top-k rows are all strictly nearer on
    the prefix than the ``max(candidates, k)``-th nearest row, so that they are in the
    shortlist under any tie rule, the result equals the exhaustive one.
    """
    scores, indices = got
    dim = rows.shape[1] * 64
    n_rows = len(rows)
    exact_scores, exact_indices = ref.search_bits(queries, rows, k)
    width_words = min(PREFIX_WORDS[prefix_bits], rows.shape[1])
    prefix_distances = (
        width_words * 64
        - ref.bipolar_dots(queries[:, :width_words], rows[:, :width_words])
    ) // 2
    full_distances = (dim - ref.bipolar_dots(queries, rows)) // 2
    width = max(candidates, k)
    for q in range(len(queries)):
        found = indices[q][indices[q] >= 0]
        assert len(found) == min(k, n_rows), q
        assert len(set(found.tolist())) == len(found), q
        distances = full_distances[q, found]
        expected_scores = 1.0 - 2.0 * distances / dim
        np.testing.assert_allclose(scores[q, : len(found)], expected_scores, atol=1e-15)
        ranking = list(zip(distances.tolist(), found.tolist(), strict=True))
        assert ranking == sorted(ranking), q
        if width >= n_rows:
            continue
        cutoff = np.sort(prefix_distances[q])[width - 1]
        best = exact_indices[q][exact_indices[q] >= 0]
        if np.all(prefix_distances[q, best] < cutoff):
            assert np.array_equal(indices[q], exact_indices[q]), q
            assert np.array_equal(scores[q], exact_scores[q]), q


@given(data=st.data(), drawn=codebooks())
def test_prefiltered_search_contract(data, drawn):
    book, rows, rng = drawn
    k = data.draw(st.integers(1, 12))
    candidates = data.draw(st.integers(0, len(rows) + 5))
    prefix_bits = data.draw(st.sampled_from([512, 1024]))
    queries = bit_queries(rng, rows, data.draw(st.integers(1, 20)))
    got = book.search(queries, k, candidates=candidates, prefix_bits=prefix_bits)
    assert got[0].shape == (len(queries), k)
    check_prefiltered(rows, queries, k, candidates, prefix_bits, got)
    if candidates >= len(rows) or book.space.dim <= 1024:
        check_matches(got, ref.search_bits(queries, rows, k))


@pytest.mark.parametrize("prefix_bits", [512, 1024])
def test_prefiltered_finds_strong_matches(prefix_bits):
    space = scenefold.Space(dim=8192, seed=6)
    rows = space.random(3000, 1)
    book = scenefold.Codebook(space, [f"r{i}" for i in range(3000)], rows)
    rng = np.random.default_rng(6)
    targets = rng.integers(0, 3000, 40)
    # Flipping 10% of the bits leaves similarity 0.8, z = 0.8 * sqrt(512) > 18.
    noise = np.where(rng.random((40, 8192)) < 0.1, 1, 0).astype(np.uint8)
    queries = rows[targets] ^ ref.pack(noise)
    got = book.search(queries, 3, candidates=16, prefix_bits=prefix_bits)
    assert np.array_equal(got[1][:, 0], targets)
    check_prefiltered(rows, queries, 3, 16, prefix_bits, got)
    with num_threads(1):
        single = book.search(queries, 3, candidates=16, prefix_bits=prefix_bits)
    assert np.array_equal(single[1], got[1])
    assert np.array_equal(single[0], got[0])


def test_prefiltered_counts_scan_all():
    space = scenefold.Space(dim=4096, seed=2)
    rows = space.random(500, 1)
    book = scenefold.Codebook(space, [f"r{i}" for i in range(500)], rows)
    counts = count_queries(np.random.default_rng(1), rows, 5)
    got = book.search(counts, 4, candidates=1)
    check_matches(got, ref.search_counts(counts, rows, 4))


@pytest.mark.parametrize("prefix_bits", [0, 256, 768, 2048])
def test_prefix_bits_invalid(prefix_bits):
    space = scenefold.Space(dim=128)
    book = scenefold.Codebook(space, ["a"])
    with pytest.raises(errors.InvalidArgumentError) as info:
        book.search(space.atom("a"), 1, candidates=4, prefix_bits=prefix_bits)
    check_error(info, ValueError, "prefix_bits", str(prefix_bits))


# --- ties, padding, shapes ------------------------------------------------------------


def test_ties_go_to_lower_index():
    space = scenefold.Space(dim=128, seed=2)
    x, y = space.random(2, 0)
    rows = np.stack([y, x, y, x, x, y])
    book = scenefold.Codebook(space, list("abcdef"), rows)
    scores, indices = book.search(x, 6)
    assert indices.tolist() == [1, 3, 4, 0, 2, 5]
    assert scores[:3].tolist() == [1.0, 1.0, 1.0]
    _, indices = book.search(np.stack([x, y]), 2)
    assert indices.tolist() == [[1, 3], [0, 2]]


def test_search_pads_short_results():
    space = scenefold.Space(dim=64)
    book = scenefold.Codebook(space, ["a", "b", "c"])
    scores, indices = book.search(space.atom("b"), 5)
    assert indices[0] == 1
    assert indices[3:].tolist() == [-1, -1]
    assert np.all(np.isneginf(scores[3:]))
    assert np.all(np.isfinite(scores[:3]))
    batch_scores, batch_indices = book.search(space.atoms(["a", "c"]), 4)
    assert batch_indices[:, 3].tolist() == [-1, -1]
    assert np.all(np.isneginf(batch_scores[:, 3]))


def test_search_shapes_and_defaults():
    space = scenefold.Space(dim=192)
    book = scenefold.Codebook(space, [f"w{i}" for i in range(30)])
    scores, indices = book.search(space.atom("w7"))
    assert scores.shape == (10,)
    assert indices.shape == (10,)
    assert indices[0] == 7
    assert scores[0] == 1.0
    scores, indices = book.search(space.zeros(0), 3)
    assert scores.shape == (0, 3)
    assert indices.shape == (0, 3)


def test_search_zero_counts_score_zero():
    space = scenefold.Space(dim=128)
    book = scenefold.Codebook(space, ["a", "b"])
    scores, indices = book.search(np.zeros(128, dtype=np.int32), 2)
    assert scores.tolist() == [0.0, 0.0]
    assert indices.tolist() == [0, 1]


# --- anchors --------------------------------------------------------------------------


def check_anchors(book, query, alpha, min_count, max_count):
    dim = book.space.dim
    threshold = book.z_threshold(alpha)
    assert threshold == pytest.approx(ref.z_threshold(alpha, len(book)), rel=1e-8)
    got = book.anchors(query, alpha, min_count, max_count)
    # The core's own scores are checked against the reference elsewhere. Selecting
    # from them keeps rows that sit exactly on the threshold on the same side.
    expected = ref.select_anchors(
        book.scores(query), dim, threshold, min_count, max_count
    )
    assert [a.index for a in got] == [a.index for a in expected]
    assert [a.label for a in got] == [book.labels[a.index] for a in expected]
    for anchor, want in zip(got, expected, strict=True):
        assert anchor.activation == pytest.approx(want.activation, abs=1e-15)
        assert anchor.z == pytest.approx(want.z, rel=1e-12, abs=1e-12)
        assert anchor.margin == pytest.approx(want.margin, abs=1e-12)


@given(data=st.data(), drawn=codebooks())
def test_anchors_match_reference(data, drawn):
    book, rows, rng = drawn
    alpha = data.draw(st.floats(1e-9, 0.999))
    min_count = data.draw(st.integers(0, len(rows) + 2))
    max_count = data.draw(st.one_of(st.none(), st.integers(min_count, len(rows) + 3)))
    picked = rows[rng.integers(0, len(rows), 3)]
    queries = [
        bit_queries(rng, rows, 1)[0],
        book.space.bundle(picked),
        count_queries(rng, rows, 1)[0],
    ]
    for query in queries:
        check_anchors(book, query, alpha, min_count, max_count)


def test_anchors_find_bundled_items():
    space = scenefold.Space(dim=4096, seed=11)
    names = [f"item{i}" for i in range(500)]
    book = scenefold.Codebook(space, names)
    acc = space.accumulator()
    acc.add_many(space.atoms(["item3", "item100", "item499"]))
    found = book.anchors(acc, alpha=0.01)
    assert sorted(a.index for a in found) == [3, 100, 499]
    assert sorted(a.label for a in found) == ["item100", "item3", "item499"]
    for anchor in found:
        assert anchor.z == pytest.approx(anchor.activation * 64.0, rel=1e-12)
        assert anchor.z >= book.z_threshold(0.01)


def test_anchor_margin_of_last_row():
    space = scenefold.Space(dim=256)
    book = scenefold.Codebook(space, ["a", "b"])
    query = space.atom("a")
    found = book.anchors(query, alpha=0.5, min_count=2)
    assert [a.index for a in found] == [0, 1]
    assert found[0].margin == pytest.approx(1.0 - found[1].activation, abs=1e-15)
    assert found[1].margin == pytest.approx(found[1].activation, abs=1e-15)


def test_anchor_counts():
    space = scenefold.Space(dim=1024, seed=5)
    book = scenefold.Codebook(space, [f"x{i}" for i in range(40)])
    query = space.random(1, 0)[0]
    assert book.anchors(query, alpha=0.01) == []
    assert len(book.anchors(query, alpha=0.01, min_count=4)) == 4
    assert len(book.anchors(query, alpha=0.01, min_count=100)) == 40
    exact = space.atom("x5")
    assert len(book.anchors(exact, alpha=0.01, max_count=0)) == 0
    assert len(book.anchors(exact, alpha=0.01, min_count=3, max_count=3)) == 3


def test_anchor_repr():
    space = scenefold.Space(dim=128)
    book = scenefold.Codebook(space, ["страх"])
    (anchor,) = book.anchors(space.atom("страх"), alpha=0.5)
    assert anchor.label == "страх"
    assert anchor.index == 0
    assert anchor.activation == 1.0
    assert anchor.z == pytest.approx(math.sqrt(128))
    assert "страх" in repr(anchor)


# --- labels and rows ------------------------------------------------------------------


def test_codebook_atoms_and_lookup():
    space = scenefold.Space(dim=192, seed=8)
    names = ["a", "wind", "страх", "тихое влечение", "⟁"]
    book = scenefold.Codebook(space, names)
    assert len(book) == 5
    assert book.labels == names
    assert book.space == space
    assert np.array_equal(book.vectors, space.atoms(names))
    for i, name in enumerate(names):
        assert name in book
        assert book.index(name) == i
        assert np.array_equal(book.get(name), space.atom(name))
    assert "wine" not in book
    assert 3 not in book
    assert None not in book


def test_codebook_given_vectors():
    space = scenefold.Space(dim=128)
    rows = space.random(3, 5)
    book = scenefold.Codebook(space, ["x", "y", "z"], rows)
    assert np.array_equal(book.vectors, rows)
    assert np.array_equal(book.get("y"), rows[1])


def test_codebook_append():
    space = scenefold.Space(dim=128)
    book = scenefold.Codebook(space, ["a"])
    book.append(["b", "c"])
    rows = space.random(2, 1)
    book.append(["d", "e"], rows)
    book.append([])
    assert book.labels == ["a", "b", "c", "d", "e"]
    assert book.index("e") == 4
    assert np.array_equal(book.vectors[3:], rows)
    assert np.array_equal(book.vectors[:3], space.atoms(["a", "b", "c"]))


def test_codebook_copies_out():
    space = scenefold.Space(dim=128)
    book = scenefold.Codebook(space, ["a"])
    row = book.get("a")
    row[:] = 0
    vectors = book.vectors
    vectors[:] = 0
    assert np.array_equal(book.get("a"), space.atom("a"))


def test_codebook_nfc_labels():
    space = scenefold.Space(dim=128, seed=3)
    decomposed = "e\u0301te\u0301"
    composed = unicodedata.normalize("NFC", decomposed)
    book = scenefold.Codebook(space, [decomposed, "\u0438\u0306"])
    assert book.labels == [composed, "\u0439"]
    assert composed in book
    assert decomposed in book
    assert book.index(composed) == 0
    assert book.index("\u0439") == 1
    assert book.index("\u0438\u0306") == 1
    assert np.array_equal(book.get(composed), space.atom(decomposed))


def test_cyrillic_search():
    space = scenefold.Space(dim=1024)
    names = ["страх", "тихое влечение", "ветер", "ёж"]
    book = scenefold.Codebook(space, names)
    _, indices = book.search(space.atom("тихое влечение"), 1)
    assert book.labels[indices[0]] == "тихое влечение"
    assert book.index("\u0435\u0308\u0436") == 3


# --- errors ---------------------------------------------------------------------------


def check_error(info, cls, *fragments):
    err = info.value
    assert isinstance(err, errors.ScenefoldError)
    assert isinstance(err, cls)
    for fragment in fragments:
        assert fragment in str(err), fragment


def snapshot(book):
    return len(book), book.labels, book.vectors.copy()


def assert_unchanged(book, before):
    length, labels, vectors = before
    assert len(book) == length
    assert book.labels == labels
    assert np.array_equal(book.vectors, vectors)


@pytest.mark.parametrize(
    "names",
    [["c", "a"], ["c", "c"], ["c", "e\u0301"], ["\u00e9"]],
    ids=["existing", "repeated", "nfc-repeated", "nfc-existing"],
)
def test_append_duplicate_atomic(names):
    space = scenefold.Space(dim=128)
    book = scenefold.Codebook(space, ["a", "b", "e\u0301"])
    before = snapshot(book)
    with pytest.raises(errors.InvalidArgumentError) as info:
        book.append(names)
    check_error(info, ValueError, "unique")
    assert_unchanged(book, before)
    with pytest.raises(errors.InvalidArgumentError):
        book.append(names, space.random(len(names), 0))
    assert_unchanged(book, before)


def test_init_duplicate_rejected():
    space = scenefold.Space(dim=128)
    with pytest.raises(errors.InvalidArgumentError) as info:
        scenefold.Codebook(space, ["x", "y", "x"])
    check_error(info, ValueError, '"x"')


def test_append_rows_mismatch_atomic():
    space = scenefold.Space(dim=128)
    book = scenefold.Codebook(space, ["a"])
    before = snapshot(book)
    with pytest.raises(errors.ShapeError) as info:
        book.append(["b", "c"], space.random(3, 0))
    check_error(info, ValueError, "2", "3")
    assert_unchanged(book, before)
    with pytest.raises(errors.ShapeError):
        book.append(["b"], space.random(1, 0)[0])
    assert_unchanged(book, before)
    with pytest.raises(errors.DimensionMismatchError):
        book.append(["b"], scenefold.Space(dim=192).random(1, 0))
    assert_unchanged(book, before)
    with pytest.raises(errors.DtypeError):
        book.append(["b"], space.random(1, 0).astype(np.int64))
    assert_unchanged(book, before)


def test_unknown_label():
    space = scenefold.Space(dim=128)
    book = scenefold.Codebook(space, ["a"])
    with pytest.raises(errors.UnknownLabelError) as info:
        book.index("страх")
    check_error(info, KeyError, "страх")
    assert str(info.value).startswith("label")
    with pytest.raises(KeyError):
        book.get("b")


@pytest.mark.parametrize("method", ["search", "scores", "anchors"])
def test_empty_codebook(method):
    space = scenefold.Space(dim=128)
    book = scenefold.Codebook(space, [])
    assert len(book) == 0
    with pytest.raises(errors.EmptyCodebookError) as info:
        getattr(book, method)(space.atom("a"))
    check_error(info, ValueError, "empty")
    with pytest.raises(errors.EmptyCodebookError):
        getattr(book, method)(space.accumulator())


def test_empty_codebook_threshold():
    book = scenefold.Codebook(scenefold.Space(dim=128), [])
    with pytest.raises(errors.EmptyCodebookError):
        book.z_threshold()


@pytest.mark.parametrize("k", [0, -1])
def test_invalid_k(k):
    space = scenefold.Space(dim=128)
    book = scenefold.Codebook(space, ["a"])
    with pytest.raises(errors.InvalidArgumentError) as info:
        book.search(space.atom("a"), k)
    check_error(info, ValueError, "k", str(k))


@pytest.mark.parametrize("shape", [(127,), (129,), (2, 127), (64,)])
def test_counts_query_wrong_length(shape):
    space = scenefold.Space(dim=128)
    book = scenefold.Codebook(space, ["a"])
    with pytest.raises(errors.ShapeError) as info:
        book.search(np.zeros(shape, dtype=np.int32))
    check_error(info, ValueError, "128")


def test_query_dtype_rejected():
    space = scenefold.Space(dim=128)
    book = scenefold.Codebook(space, ["a"])
    with pytest.raises(errors.DtypeError) as info:
        book.search(np.zeros(128, dtype=np.int64))
    check_error(info, TypeError, "uint64", "int32")
    with pytest.raises(errors.DtypeError):
        book.search([0, 0])


def test_query_width_rejected():
    space = scenefold.Space(dim=128)
    book = scenefold.Codebook(space, ["a"])
    with pytest.raises(errors.DimensionMismatchError):
        book.search(scenefold.Space(dim=192).atom("a"))


def test_accumulator_other_space():
    space = scenefold.Space(dim=128)
    book = scenefold.Codebook(space, ["a"])
    for other in [scenefold.Space(dim=256), scenefold.Space(dim=128, seed=1)]:
        with pytest.raises(errors.SpaceMismatchError):
            book.search(other.accumulator())


@pytest.mark.parametrize("method", ["scores", "anchors"])
def test_batch_rejected_by_single_query(method):
    space = scenefold.Space(dim=128)
    book = scenefold.Codebook(space, ["a"])
    with pytest.raises(errors.ShapeError) as info:
        getattr(book, method)(space.atoms(["a", "b"]))
    check_error(info, ValueError, "search()")


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_invalid_alpha(alpha):
    space = scenefold.Space(dim=128)
    book = scenefold.Codebook(space, ["a"])
    with pytest.raises(errors.InvalidArgumentError) as info:
        book.anchors(space.atom("a"), alpha=alpha)
    check_error(info, ValueError, "alpha")
    with pytest.raises(errors.InvalidArgumentError):
        book.z_threshold(alpha)


def test_invalid_anchor_counts():
    space = scenefold.Space(dim=128)
    book = scenefold.Codebook(space, ["a"])
    with pytest.raises(errors.InvalidArgumentError) as info:
        book.anchors(space.atom("a"), min_count=3, max_count=2)
    check_error(info, ValueError, "min_count", "max_count")


UNCONVERTIBLE_ARGUMENTS = {
    "k beyond int64": (
        lambda book, q: book.search(q, 2**64),
        errors.InvalidArgumentError,
        str(2**64),
    ),
    "float k": (lambda book, q: book.search(q, 2.0), errors.DtypeError, "2.0"),
    "negative candidates": (
        lambda book, q: book.search(q, 1, candidates=-1),
        errors.InvalidArgumentError,
        "-1",
    ),
    "negative min_count": (
        lambda book, q: book.anchors(q, min_count=-1),
        errors.InvalidArgumentError,
        "-1",
    ),
    "surrogate label": (
        lambda book, q: book.append(["\ud800"]),
        errors.InvalidArgumentError,
        "surrogate",
    ),
    "surrogate lookup": (
        lambda book, q: book.index("\ud800"),
        errors.InvalidArgumentError,
        "surrogate",
    ),
    "one str as labels": (
        lambda book, q: book.append("bc"),
        errors.DtypeError,
        "list",
    ),
    "int label": (lambda book, q: book.get(3), errors.DtypeError, "str"),
}


@pytest.mark.parametrize("name", list(UNCONVERTIBLE_ARGUMENTS))
def test_unconvertible_argument(name):
    space = scenefold.Space(dim=128)
    book = scenefold.Codebook(space, ["a"])
    before = snapshot(book)
    call, cls, fragment = UNCONVERTIBLE_ARGUMENTS[name]
    with pytest.raises(cls) as info:
        call(book, space.atom("a"))
    check_error(info, Exception, fragment)
    assert_unchanged(book, before)


def test_numpy_integer_k():
    space = scenefold.Space(dim=128)
    book = scenefold.Codebook(space, ["a", "b"])
    _, indices = book.search(space.atom("b"), np.int64(1))
    assert indices.tolist() == [1]
