"""Tests of ``FlowGate``: the capacity law against a Monte-Carlo measurement, the
capacity search, the choice of mode and the splitting of scenes that overflow.
"""

import math
import warnings
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scenefold import Atom, Bind, Codebook, Ref, Scene, Seq, Space
from scenefold.compressor import SceneCompressor
from scenefold.errors import CapacityError, InvalidArgumentError
from scenefold.flowgate import (
    DEFAULT_TARGET_ERROR,
    DESIGN_CODEBOOK_SIZE,
    FlowGate,
    Mode,
    capacity,
    retrieval_accuracy,
    scene_terms,
)
from scenefold.symbol import PARTS_REGISTER
from strategies import scenes


def measure_accuracy(
    dim: int, n_items: int, codebook_size: int, n_bundles: int, seed: int
) -> tuple[int, int]:
    """Count the bundled items whose slot query ranks the right candidate first.

    Each bundle contains ``n_items`` distinct candidates, each bound to a random key as
    the expander's slots are. Unbinding a key and searching the codebook is one
    trial. Returns the number of correct readings and the number of trials.
    """
    space = Space(dim=dim, seed=seed)
    candidates = space.random(codebook_size, seed)
    book = Codebook(space, [f"c{i}" for i in range(codebook_size)], candidates)
    keys = space.random(n_bundles * n_items, seed + 1)
    rng = np.random.default_rng(seed)
    hits = 0
    for bundle_index in range(n_bundles):
        chosen = rng.choice(codebook_size, n_items, replace=False)
        bundle_keys = keys[bundle_index * n_items : (bundle_index + 1) * n_items]
        bundle = space.bundle(space.bind(bundle_keys, candidates[chosen]))
        queries = space.bind(bundle_keys, np.tile(bundle, (n_items, 1)))
        _, rows = book.search(queries, 1)
        hits += int(np.sum(rows[:, 0] == chosen))
    return hits, n_bundles * n_items


def wilson_interval(hits: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Return the Wilson score interval of a binomial proportion."""
    p = hits / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return centre - half / denominator, centre + half / denominator


# --- the retrieval law ------------------------------------------------------------

# (dim, K) with M = 1000 candidates, where the predicted accuracy lies in 0.5-0.99.
LAW_POINTS = [(512, 15), (512, 20), (1024, 41)]


def test_wilson_interval_contains_proportion():
    low, high = wilson_interval(80, 100)
    assert low < 0.8 < high
    assert 0.7 < low
    assert high < 0.88


@pytest.mark.parametrize("dim, n_items", LAW_POINTS)
def test_law_points_in_range(dim, n_items):
    assert 0.5 <= retrieval_accuracy(dim, n_items, 1000) <= 0.99


@pytest.mark.parametrize("dim, n_items", LAW_POINTS)
def test_law_close_to_measurement(dim, n_items):
    hits, trials = measure_accuracy(dim, n_items, 1000, 20_000 // n_items, seed=3)
    predicted = retrieval_accuracy(dim, n_items, 1000)
    # Within 2 points even with few trials. The next test checks the Wilson interval.
    assert abs(hits / trials - predicted) < 0.02


@pytest.mark.parametrize("dim, n_items", LAW_POINTS)
def test_law_matches_measurement(dim, n_items):
    hits, trials = measure_accuracy(dim, n_items, 1000, 40_000 // n_items, seed=11)
    low, high = wilson_interval(hits, trials)
    predicted = retrieval_accuracy(dim, n_items, 1000)
    assert low <= predicted <= high, (hits / trials, predicted)


def test_accuracy_one_candidate():
    assert retrieval_accuracy(64, 50, 1) == 1.0


@pytest.mark.parametrize("args", [(0, 1, 10), (512, 0, 10), (512, 1, 0), (-64, 1, 10)])
def test_accuracy_invalid_raises(args):
    with pytest.raises(InvalidArgumentError, match="must be positive"):
        retrieval_accuracy(*args)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_accuracy_decreases_with_items():
    values = [retrieval_accuracy(1024, k, 1000) for k in range(1, 80, 4)]
    assert values == sorted(values, reverse=True)
    assert values[0] > 0.999999
    assert values[-1] < 0.5


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_accuracy_increases_with_dim():
    values = [retrieval_accuracy(dim, 40, 1000) for dim in (256, 512, 1024, 2048)]
    assert values == sorted(values)


def test_accuracy_decreases_with_candidates():
    values = [retrieval_accuracy(1024, 30, m) for m in (2, 10, 100, 1000, 10_000)]
    assert values == sorted(values, reverse=True)


def test_accuracy_integer_sum_higher():
    thresholded = retrieval_accuracy(512, 20, 1000)
    assert retrieval_accuracy(512, 20, 1000, thresholded=False) > thresholded


def test_accuracy_no_runtime_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # __wrapped__ skips the lru_cache, so the computation runs in this test.
        retrieval_accuracy.__wrapped__(512, 40, 1000)


# --- the capacity search ----------------------------------------------------------


@pytest.mark.parametrize("dim, expected", [(4096, 35), (8192, 67)])
def test_capacity_documented_values(dim, expected):
    assert capacity(dim, DESIGN_CODEBOOK_SIZE) == expected


@pytest.mark.parametrize(
    "dim, codebook_size, target_error",
    [(512, 1000, 1e-3), (1024, 100, 1e-2), (2048, 10_000, 1e-4), (8192, 10**5, 1e-3)],
)
def test_capacity_is_largest_fit(dim, codebook_size, target_error):
    k = capacity(dim, codebook_size, target_error)

    def expected_errors(n: int) -> float:
        return n * (1 - retrieval_accuracy(dim, n, codebook_size))

    assert expected_errors(k) <= target_error
    assert expected_errors(k + 1) > target_error


def test_capacity_monotone_in_dim():
    values = [capacity(dim, 10_000) for dim in (128, 256, 512, 1024, 2048, 4096, 8192)]
    assert values == sorted(values)
    assert values[-1] > values[0]


def test_capacity_decreasing_in_codebook_size():
    sizes = (2, 10, 100, 1000, 10**4, 10**5, 10**6)
    values = [capacity(1024, m) for m in sizes]
    assert values == sorted(values, reverse=True)
    assert values[0] > values[-1]


def test_capacity_grows_with_target_error():
    strict = capacity(8192, DESIGN_CODEBOOK_SIZE, 1e-6)
    loose = capacity(8192, DESIGN_CODEBOOK_SIZE, 0.5)
    assert strict < capacity(8192, DESIGN_CODEBOOK_SIZE) < loose


def test_capacity_zero_when_one_item_fails():
    assert capacity(64, 10**15) == 0


@pytest.mark.parametrize("target_error", [0.0, 1.0, -0.1, 2.0])
def test_capacity_invalid_target_raises(target_error):
    with pytest.raises(InvalidArgumentError, match="target_error"):
        capacity(1024, 100, target_error)


def test_gate_default_capacity():
    gate = FlowGate(Space())
    assert gate.codebook_size == DESIGN_CODEBOOK_SIZE
    assert gate.target_error == DEFAULT_TARGET_ERROR
    assert gate.capacity == 67


def test_gate_tiny_dim_raises():
    with pytest.raises(InvalidArgumentError, match="use a larger dim"):
        FlowGate(Space(dim=128))


# --- modes ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def storm():
    compressor = SceneCompressor()
    text = (
        "storm = emotion: (fear + awe) + logic: (cause * wind + isa * weather) "
        "+ archetype: destroyer"
    )
    return compressor.gate, compressor.fold_formula(text)["storm"]


def atom_scene(name: str, count: int) -> Scene:
    return Scene.of(name, [Atom(f"a{i}") for i in range(count)])


def test_decide_fold_at_capacity(storm):
    gate, _ = storm
    decision = gate.decide(atom_scene("full", gate.capacity))
    assert decision.mode is Mode.FOLD
    assert str(gate.capacity) in decision.reason


def test_decide_split_above_capacity(storm):
    gate, _ = storm
    decision = gate.decide(atom_scene("over", gate.capacity + 1))
    assert decision.mode is Mode.SPLIT
    assert f"{gate.capacity + 1} terms" in decision.reason


def test_decide_counts_sequence_terms(storm):
    gate, _ = storm
    sequences = [
        Seq(tuple(Atom(f"s{i}_{j}") for j in range(4))) for i in range(gate.capacity)
    ]
    assert gate.decide(Scene.of("seqs", sequences)).mode is Mode.SPLIT


def test_decide_unfold_symbol(storm):
    gate, symbol = storm
    assert gate.decide(symbol).mode is Mode.UNFOLD


def test_decide_shift_known_register(storm):
    gate, symbol = storm
    decision = gate.decide(symbol, register="emotion")
    assert decision.mode is Mode.SHIFT
    assert "emotion" in decision.reason


def test_decide_shift_unknown_register_raises(storm):
    gate, symbol = storm
    with pytest.raises(InvalidArgumentError, match="'dream'") as error:
        gate.decide(symbol, register="dream")
    assert "archetype, emotion, logic" in str(error.value)


def test_decide_register_of_scene_ignored(storm):
    gate, _ = storm
    assert gate.decide(atom_scene("small", 3), register="dream").mode is Mode.FOLD


@pytest.mark.parametrize("request_value", ["storm", 3, None])
def test_decide_other_type_raises(storm, request_value):
    gate, _ = storm
    with pytest.raises(TypeError, match="Scene or a Symbol"):
        gate.decide(request_value)


# --- splitting --------------------------------------------------------------------


def register_items(scene: Scene) -> Counter:
    """Count the (register, item) pairs of a scene's own items, not its parts."""
    return Counter(
        (register, item)
        for register, items in scene.registers.items()
        if register != PARTS_REGISTER
        for item in items
    )


def check_split(gate: FlowGate, scene: Scene, pieces: list[Scene]) -> None:
    """Assert the contract of FlowGate.split on one scene and its pieces."""
    names = [piece.name for piece in pieces]
    assert len(set(names)) == len(names)
    assert pieces[-1].name == scene.name
    for piece in pieces:
        assert scene_terms(piece) <= gate.capacity, piece.name
    together = Counter()
    for piece in pieces:
        together += register_items(piece)
    assert together == register_items(scene)
    referenced = Counter(
        ref.name for piece in pieces for ref in piece.registers.get(PARTS_REGISTER, ())
    )
    assert set(referenced) == set(names[:-1])
    assert set(referenced.values()) <= {1}
    for index, piece in enumerate(pieces):
        for ref in piece.registers.get(PARTS_REGISTER, ()):
            assert names.index(ref.name) < index, (ref.name, piece.name)


SMALL_SPACE = Space(dim=512, seed=1)
# Capacity 9 at dim 512 over 10 candidates, so scenes of a few registers overflow.
SMALL_GATE = FlowGate(SMALL_SPACE, codebook_size=10)


def test_small_gate_capacity():
    assert SMALL_GATE.capacity == 9


@given(scenes(max_registers=4, max_items=8, refs=False))
def test_split_contract(scene):
    pieces = SMALL_GATE.split(scene)
    check_split(SMALL_GATE, scene, pieces)


@given(scenes(max_registers=3, max_items=4, refs=False))
def test_split_fitting_scene_whole(scene):
    gate = FlowGate(Space(), codebook_size=DESIGN_CODEBOOK_SIZE)
    assert gate.split(scene) == [scene]


@given(st.integers(min_value=10, max_value=400))
def test_split_atoms_contract(count):
    scene = atom_scene("atoms", count)
    pieces = SMALL_GATE.split(scene)
    check_split(SMALL_GATE, scene, pieces)
    assert len(pieces) > 1


def test_split_part_names():
    pieces = SMALL_GATE.split(atom_scene("big", 20))
    assert [piece.name for piece in pieces] == ["big#1", "big#2", "big#3", "big"]


def test_split_nested_part_names():
    pieces = SMALL_GATE.split(atom_scene("huge", 100))
    names = [piece.name for piece in pieces]
    assert names[:12] == [f"huge#{i}" for i in range(1, 13)]
    assert names[12:] == ["huge#1.1", "huge#1.2", "huge"]


def test_split_keeps_registers_and_refs():
    scene = Scene(
        "mixed",
        {
            "main": frozenset([Atom(f"m{i}") for i in range(6)] + [Ref("inner")]),
            "logic": frozenset(Bind(f"r{i}", Atom(f"l{i}")) for i in range(6)),
            "emotion": frozenset([Seq((Atom("x"), Atom("y"), Atom("z")))]),
        },
    )
    check_split(SMALL_GATE, scene, SMALL_GATE.split(scene))


def test_split_long_sequence_raises():
    sequence = Seq(tuple(Atom(f"s{i}") for i in range(SMALL_GATE.capacity + 1)))
    scene = Scene.of("long", [sequence])
    with pytest.raises(CapacityError, match="sequence of 10 items") as error:
        SMALL_GATE.split(scene)
    assert "capacity of one vector (9 at dim 512)" in str(error.value)


def test_split_sequence_at_capacity():
    sequence = Seq(tuple(Atom(f"s{i}") for i in range(SMALL_GATE.capacity)))
    scene = Scene.of("long", [sequence, Atom("extra")])
    check_split(SMALL_GATE, scene, SMALL_GATE.split(scene))
