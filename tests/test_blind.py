"""Blind unfolding: reading a symbol without its metacode, pairs found by a resonator."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenefold import Atom, Bind, Scene, SceneCompressor, SceneExpander
from scenefold.errors import InvalidArgumentError

ROLES = ["cause", "isa", "part", "agent", "place", "time"]
FILLERS = [f"filler{i}" for i in range(40)]
DISTRACTORS = [f"noise{i}" for i in range(200)]


def fold_with_roles(scene: Scene) -> tuple[SceneCompressor, object]:
    """Fold a scene after a scene that teaches the vocabulary every role."""
    compressor = SceneCompressor()
    compressor.vocabulary.add_labels(DISTRACTORS + FILLERS)
    teacher = Scene.of("teacher", [Bind(role, Atom("x")) for role in ROLES])
    compressor.fold(teacher)
    return compressor, compressor.fold(scene)


@settings(max_examples=15, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(st.sampled_from(ROLES), st.sampled_from(FILLERS)),
        min_size=1,
        max_size=8,
        unique=True,
    ),
    atoms=st.lists(st.sampled_from(FILLERS), max_size=4, unique=True),
)
def test_resonator_recovers_every_pair(pairs, atoms):
    scene = Scene(
        "probe",
        {
            "logic": frozenset(Bind(role, Atom(filler)) for role, filler in pairs),
            "main": frozenset(Atom(label) for label in atoms),
        },
    )
    compressor, symbol = fold_with_roles(scene)
    expander = SceneExpander(vocabulary=compressor.vocabulary, blind_pairs="resonator")
    unfolding = expander.unfold(symbol, use_metacode=False)
    assert unfolding.exact, unfolding.reasons
    assert unfolding.scene == scene


def test_blind_modes_agree():
    scene = Scene.of(
        "storm",
        [Atom("filler1")],
        logic=[Bind("cause", Atom("filler2")), Bind("isa", Atom("filler3"))],
        emotion=[Atom("filler4")],
    )
    compressor, symbol = fold_with_roles(scene)
    for mode in ("resonator", "roles"):
        expander = SceneExpander(vocabulary=compressor.vocabulary, blind_pairs=mode)
        unfolding = expander.unfold(symbol, use_metacode=False)
        assert unfolding.scene == scene, mode


def test_blind_without_roles_reads_atoms():
    compressor = SceneCompressor()
    compressor.vocabulary.add_labels(DISTRACTORS)
    symbol = compressor.fold(Scene.of("plain", [Atom("a"), Atom("b"), Atom("c")]))
    expander = SceneExpander(vocabulary=compressor.vocabulary)
    unfolding = expander.unfold(symbol, use_metacode=False)
    assert unfolding.exact
    assert unfolding.scene == Scene.of("plain", [Atom("a"), Atom("b"), Atom("c")])


def test_blind_pairs_option_checked():
    with pytest.raises(InvalidArgumentError, match="blind_pairs"):
        SceneExpander(blind_pairs="guess")
