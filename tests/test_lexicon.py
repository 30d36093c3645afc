"""Tests of the SQLite lexicon: the file format, writes and the store vocabulary.

The scenes are folded in a 1024-bit space, whose capacity of 9 items per vector
makes a 20-item scene split into parts. None of these tests reads WordNet.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from scenefold import SceneCompressor, SceneExpander, Space
from scenefold.compressor import scene_terms
from scenefold.errors import FormatError, SpaceMismatchError, UnknownSymbolError
from scenefold.formula import parse_scene, to_formula
from scenefold.lexicon import (
    SCHEMA_VERSION,
    Lexicon,
    StoreVocabulary,
    default_store_path,
)
from scenefold.scene import Scene

SPACE = Space(dim=1024, seed=7)

STORM = (
    "storm = emotion: (fear + awe) + logic: (cause * wind + isa * weather) "
    "+ archetype: destroyer"
)
TALE = "tale = seq(calm, thunder, rain)"
# 20 plain items and a pair, which split into three parts of at most 9 items and a
# parent that refers to them.
CROWD = "crowd = " + " + ".join(f"m{i}" for i in range(20)) + " + logic: isa * group"
NIGHT = "night = @storm + rain"

CROWD_PARTS = ("crowd#1", "crowd#2", "crowd#3")


def fold_rows(
    compressor: SceneCompressor, scene: Scene
) -> tuple[list[tuple], list[tuple[str, str, str]]]:
    """Fold a scene into ``Lexicon.write`` rows and slot candidates, as the build does.

    The parts of a split scene are stored with ``top=False``, and the scene's own
    symbol is stored with the whole scene.
    """
    pieces = compressor.fold_pieces(scene)
    rows = [(symbol, encoded, False) for symbol, encoded in pieces[:-1]]
    rows.append((pieces[-1][0], scene, True))
    slots = {
        (term.register, term.key, compressor.vocabulary.row_label(term.filler))
        for _, encoded in pieces
        for term in scene_terms(encoded)
    }
    return rows, sorted(slots)


def write_scenes(
    lexicon: Lexicon,
    compressor: SceneCompressor,
    scenes: list[Scene],
    source: str = "user",
) -> None:
    """Fold ``scenes`` and write them to ``lexicon`` in one batch."""
    rows: list[tuple] = []
    slots: list[tuple[str, str, str]] = []
    for scene in scenes:
        scene_rows, scene_slots = fold_rows(compressor, scene)
        rows += scene_rows
        slots += scene_slots
    lexicon.write(rows, source, slots=slots)


def file_rows(path: Path, query: str) -> list[tuple]:
    """Run a query on the file through a connection of its own."""
    with closing(sqlite3.connect(path)) as db:
        return db.execute(query).fetchall()


@pytest.fixture
def scenes() -> dict[str, Scene]:
    storm = parse_scene(STORM)
    return {
        "storm": storm,
        "tale": parse_scene(TALE),
        "crowd": parse_scene(CROWD),
        "night": parse_scene(NIGHT, known=["storm"]),
    }


@pytest.fixture
def compressor() -> SceneCompressor:
    return SceneCompressor(SPACE)


@pytest.fixture
def store(
    tmp_path: Path, scenes: dict[str, Scene], compressor: SceneCompressor
) -> Path:
    """A closed file with the four scenes, where ``night`` refers to ``storm``."""
    path = tmp_path / "lexicon.sqlite"
    with Lexicon(path, SPACE) as lexicon:
        write_scenes(lexicon, compressor, [scenes["storm"], scenes["tale"]])
        write_scenes(lexicon, compressor, [scenes["crowd"], scenes["night"]])
    return path


# --- creating and reopening -------------------------------------------------------


def test_create_records_schema_and_space(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    with Lexicon(path, SPACE) as lexicon:
        assert lexicon.space == SPACE
    meta = dict(file_rows(path, "SELECT key, value FROM meta"))
    assert meta["schema_version"] == str(SCHEMA_VERSION)
    assert meta["model"] == SPACE.model
    assert meta["dim"] == "1024"
    assert meta["seed"] == "7"


def test_create_uses_wal_journal(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    Lexicon(path, SPACE).close()
    assert file_rows(path, "PRAGMA journal_mode") == [("wal",)]


def test_create_default_space(tmp_path: Path) -> None:
    with Lexicon(tmp_path / "new.sqlite") as lexicon:
        assert lexicon.space == Space()


def test_create_makes_parent_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "lexicon.sqlite"
    Lexicon(path, SPACE).close()
    assert path.is_file()


def test_reopen_keeps_space(store: Path) -> None:
    with Lexicon(store) as lexicon:
        assert lexicon.space == SPACE


def test_reopen_with_same_space(store: Path) -> None:
    with Lexicon(store, Space(dim=1024, seed=7)) as lexicon:
        assert len(lexicon) == 4


@pytest.mark.parametrize(
    "other",
    [Space(dim=1024, seed=8), Space(dim=2048, seed=7)],
    ids=["seed", "dim"],
)
def test_reopen_other_space_rejected(store: Path, other: Space) -> None:
    with pytest.raises(SpaceMismatchError) as caught:
        Lexicon(store, other)
    message = str(caught.value)
    assert str(store) in message
    assert repr(SPACE) in message
    assert repr(other) in message


# --- round trip -------------------------------------------------------------------


def test_round_trip_symbols(
    store: Path, scenes: dict[str, Scene], compressor: SceneCompressor
) -> None:
    with Lexicon(store) as lexicon:
        for name in scenes:
            assert lexicon.get(name).symbol == compressor.vocabulary.symbol(name), name


def test_round_trip_bits(store: Path, compressor: SceneCompressor) -> None:
    with Lexicon(store) as lexicon:
        bits = lexicon.get("storm").symbol.bits
    assert bits.dtype == np.uint64
    assert np.array_equal(bits, compressor.vocabulary.symbol("storm").bits)


def test_round_trip_metacode(store: Path, compressor: SceneCompressor) -> None:
    with Lexicon(store) as lexicon:
        metacode = lexicon.get("tale").symbol.metacode
    assert metacode == compressor.vocabulary.symbol("tale").metacode
    assert metacode.sequences == {"main": (3,)}


def test_round_trip_formulas(store: Path, scenes: dict[str, Scene]) -> None:
    with Lexicon(store) as lexicon:
        for name, scene in scenes.items():
            assert lexicon.get(name).formula == to_formula(scene), name


def test_round_trip_source(store: Path) -> None:
    with Lexicon(store) as lexicon:
        assert lexicon.get("storm").source == "user"


def test_scene_of_plain_symbol(store: Path, scenes: dict[str, Scene]) -> None:
    with Lexicon(store) as lexicon:
        assert lexicon.scene("storm") == scenes["storm"]


def test_scene_of_split_symbol(store: Path, scenes: dict[str, Scene]) -> None:
    with Lexicon(store) as lexicon:
        assert lexicon.scene("crowd") == scenes["crowd"]


def test_scene_with_ref_to_stored_scene(store: Path, scenes: dict[str, Scene]) -> None:
    with Lexicon(store) as lexicon:
        assert lexicon.scene("night") == scenes["night"]


def test_get_unknown_name(store: Path) -> None:
    with Lexicon(store) as lexicon, pytest.raises(UnknownSymbolError, match="'fog'"):
        lexicon.get("fog")


# --- split scenes -----------------------------------------------------------------


def test_split_scene_parts_stored(store: Path) -> None:
    with Lexicon(store) as lexicon:
        assert lexicon.get("crowd").symbol.metacode.parts == CROWD_PARTS
        for part in CROWD_PARTS:
            assert part in lexicon, part


def test_split_scene_parts_not_top(store: Path) -> None:
    with Lexicon(store) as lexicon:
        assert lexicon.names() == ["crowd", "night", "storm", "tale"]
        assert len(lexicon) == 4
        assert lexicon.count() == 4


def test_split_scene_parts_listed_with_all(store: Path) -> None:
    with Lexicon(store) as lexicon:
        names = lexicon.names(top_only=False)
        count = lexicon.count(top_only=False)
    assert names == ["crowd", *CROWD_PARTS, "night", "storm", "tale"]
    assert count == 7


def test_split_scene_part_formula(store: Path, compressor: SceneCompressor) -> None:
    # The compressor keeps the whole scene for the parent and each part's own scene.
    part_scene = compressor.vocabulary.scenes["crowd#2"]
    with Lexicon(store) as lexicon:
        assert lexicon.get("crowd#2").formula == to_formula(part_scene)


def test_count_and_names_by_source(store: Path, compressor: SceneCompressor) -> None:
    with Lexicon(store) as lexicon:
        write_scenes(lexicon, compressor, [parse_scene("fog = grey + damp")], "other")
        assert lexicon.count("other") == 1
        assert lexicon.count("user") == 4
        assert lexicon.names("other") == ["fog"]
        assert len(lexicon) == 5


def test_slot_labels_recorded(store: Path) -> None:
    with Lexicon(store) as lexicon:
        assert lexicon.slot_labels("logic", "cause") == ["wind"]
        assert lexicon.slot_labels("emotion", "") == ["awe", "fear"]
        assert "#sym:storm" in lexicon.slot_labels("main", "#ref")
        assert lexicon.slot_labels("#parts", "#ref") == [
            f"#sym:{part}" for part in CROWD_PARTS
        ]


# --- import progress --------------------------------------------------------------


def test_import_state_absent(store: Path) -> None:
    with Lexicon(store) as lexicon:
        assert lexicon.import_state("user") is None


def test_import_state_written_with_batch(
    tmp_path: Path, compressor: SceneCompressor
) -> None:
    scene = parse_scene("fog = grey + damp")
    with Lexicon(tmp_path / "x.sqlite", SPACE) as lexicon:
        rows, slots = fold_rows(compressor, scene)
        lexicon.write(rows, "user", slots=slots, progress=(1, 2))
        state = lexicon.import_state("user")
    assert state == {"state": "running", "done": 1, "problems": 2}


def test_import_state_detail(tmp_path: Path) -> None:
    with Lexicon(tmp_path / "x.sqlite", SPACE) as lexicon:
        lexicon.set_import("wordnet", "done", 10, 1, {"seconds": 1.5})
        state = lexicon.import_state("wordnet")
    assert state == {"state": "done", "done": 10, "problems": 1, "seconds": 1.5}


# --- files that are not lexicons --------------------------------------------------


def test_other_schema_version_rejected(store: Path) -> None:
    with closing(sqlite3.connect(store)) as db, db:
        db.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(FormatError) as caught:
        Lexicon(store)
    message = str(caught.value)
    assert "version 999" in message
    assert f"reads version {SCHEMA_VERSION}" in message
    assert str(store) in message


def test_random_bytes_rejected(tmp_path: Path) -> None:
    path = tmp_path / "noise.sqlite"
    content = np.random.default_rng(0).bytes(4096)
    path.write_bytes(content)
    with pytest.raises(FormatError, match="is not a SQLite file"):
        Lexicon(path)
    assert path.read_bytes() == content


def test_unrelated_sqlite_rejected(tmp_path: Path) -> None:
    path = tmp_path / "people.sqlite"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE people (name TEXT)")
    with pytest.raises(FormatError) as caught:
        Lexicon(path)
    message = str(caught.value)
    assert "not a scenefold lexicon" in message
    assert "people" in message


def test_unrelated_sqlite_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "people.sqlite"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE people (name TEXT)")
    with pytest.raises(FormatError):
        Lexicon(path)
    assert file_rows(path, "PRAGMA journal_mode") == [("delete",)]


def test_missing_file_without_create(tmp_path: Path) -> None:
    path = tmp_path / "missing.sqlite"
    with pytest.raises(FileNotFoundError) as caught:
        Lexicon(path, create=False)
    message = str(caught.value)
    assert "scenefold build wordnet" in message
    assert "--store PATH" in message
    assert str(path) in message
    assert not path.exists()


# --- the default path -------------------------------------------------------------

posix_only = pytest.mark.skipif(
    sys.platform in ("win32", "darwin"),
    reason="the data folder is XDG_DATA_HOME on Linux and other POSIX systems only",
)


def test_default_path_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SCENEFOLD_STORE", str(tmp_path / "mine.sqlite"))
    assert default_store_path() == tmp_path / "mine.sqlite"


def test_default_path_env_expands_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SCENEFOLD_STORE", "~/mine.sqlite")
    assert default_store_path() == tmp_path / "mine.sqlite"


@posix_only
def test_default_path_xdg_data_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SCENEFOLD_STORE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_store_path() == tmp_path / "data" / "scenefold" / "lexicon.sqlite"


@posix_only
def test_default_path_home_share(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SCENEFOLD_STORE", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    expected = tmp_path / ".local" / "share" / "scenefold" / "lexicon.sqlite"
    assert default_store_path() == expected


def test_lexicon_opens_default_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SCENEFOLD_STORE", str(tmp_path / "mine.sqlite"))
    with Lexicon() as lexicon:
        assert lexicon.path == tmp_path / "mine.sqlite"
    assert (tmp_path / "mine.sqlite").is_file()


# --- word senses ------------------------------------------------------------------

SENSES = [
    ("bank", "bank.n.02", 2),
    ("bank", "depository.n.01", 999),
    ("bank", "bank.v.01", 1001),
    ("bank", "bank.n.01", 1),
    ("bank", "savings_bank.n.02", 999),
    ("ice_cream", "ice_cream.n.01", 1),
    ("storm", "storm.n.01", 1),
    ("stork", "stork.n.01", 1),
    ("story", "story.n.01", 1),
    ("stone", "stone.n.01", 1),
    ("tale", "tale.n.01", 1),
]


@pytest.fixture
def senses_store(tmp_path: Path) -> Iterator[Lexicon]:
    lexicon = Lexicon(tmp_path / "senses.sqlite", SPACE)
    lexicon.write([], "user", senses=SENSES)
    yield lexicon
    lexicon.close()


def test_senses_in_rank_order(senses_store: Lexicon) -> None:
    assert senses_store.senses("bank") == [
        "bank.n.01",
        "bank.n.02",
        "depository.n.01",
        "savings_bank.n.02",
        "bank.v.01",
    ]


def test_senses_normalise_word(senses_store: Lexicon) -> None:
    assert senses_store.senses("  Bank ") == senses_store.senses("bank")
    assert senses_store.senses("Ice Cream") == ["ice_cream.n.01"]


def test_senses_unknown_word(senses_store: Lexicon) -> None:
    assert senses_store.senses("fog") == []


def test_nearest_words_by_spelling(senses_store: Lexicon) -> None:
    nearest = senses_store.nearest_words("strom")
    assert nearest[0] == "storm"
    assert "story" in nearest
    assert "tale" not in nearest


def test_nearest_words_limit(senses_store: Lexicon) -> None:
    assert len(senses_store.nearest_words("strom", n=2)) == 2


def test_nearest_words_none_close(senses_store: Lexicon) -> None:
    assert senses_store.nearest_words("xylophone") == []


def test_nearest_words_unique(senses_store: Lexicon) -> None:
    nearest = senses_store.nearest_words("tales", n=5)
    assert nearest == ["tale"]


# --- unfolding through the store vocabulary ---------------------------------------


def test_vocabulary_is_store_backed(store: Path) -> None:
    with Lexicon(store) as lexicon:
        vocabulary = lexicon.vocabulary()
        assert isinstance(vocabulary, StoreVocabulary)
        assert lexicon.vocabulary() is vocabulary
        assert "storm" in vocabulary
        assert "crowd#1" in vocabulary
        assert "fog" not in vocabulary


@pytest.mark.parametrize("name", ["storm", "tale", "crowd", "night"])
def test_store_vocabulary_unfolds_exactly(
    store: Path, scenes: dict[str, Scene], name: str
) -> None:
    with Lexicon(store) as lexicon:
        unfolding = SceneExpander(vocabulary=lexicon.vocabulary()).unfold(name)
    assert unfolding.exact, unfolding.reasons
    assert unfolding.scene == scenes[name]


def test_store_vocabulary_merges_split_scene(store: Path) -> None:
    with Lexicon(store) as lexicon:
        unfolding = SceneExpander(vocabulary=lexicon.vocabulary()).unfold("crowd")
    assert len(unfolding.found) == 21
    assert "#parts" not in unfolding.scene.registers


def test_store_vocabulary_unfolds_ref_child(
    store: Path, scenes: dict[str, Scene]
) -> None:
    with Lexicon(store) as lexicon:
        unfolding = SceneExpander(vocabulary=lexicon.vocabulary()).unfold("night")
    child = unfolding.children["storm"]
    assert child.exact, child.reasons
    assert child.scene == scenes["storm"]


# Writes one scene at a time and unfolds every stored scene after each write,
# through one store vocabulary, and prints the number of inexact unfoldings. It runs in
# a fresh interpreter because the failure depends on which addresses the allocator
# hands out again.
UNFOLD_AFTER_WRITES = """
import sys, tempfile
from scenefold import Space, SceneCompressor, SceneExpander
from scenefold.compressor import scene_terms
from scenefold.formula import parse_scene
from scenefold.lexicon import Lexicon

space = Space(dim=1024, seed=3)
compressor = SceneCompressor(space)
inexact = 0
with Lexicon(tempfile.mkdtemp() + "/x.sqlite", space) as lexicon:
    expander = SceneExpander(vocabulary=lexicon.vocabulary())
    for i in range(6):
        scene = parse_scene(
            f"s{i} = a{i} + b{i} + logic: (cause * c{i} + isa * d{i}) "
            f"+ emotion: (e{i} + f{i})"
        )
        symbol = compressor.fold(scene)
        slots = [
            (t.register, t.key, t.filler.label) for t in scene_terms(scene)
        ]
        lexicon.write([(symbol, scene, True)], "user", slots=slots)
        inexact += sum(not expander.unfold(n).exact for n in lexicon.names())
print(inexact)
"""


def test_store_vocabulary_unfolds_after_each_write(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", UNFOLD_AFTER_WRITES],
        capture_output=True,
        check=False,
        text=True,
        timeout=120,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"


# --- atomic writes ----------------------------------------------------------------


def test_write_other_space_batch_rejected(
    store: Path, compressor: SceneCompressor
) -> None:
    fog = parse_scene("fog = grey + damp")
    rows, slots = fold_rows(compressor, fog)
    foreign_scene = parse_scene("mist = white")
    foreign = SceneCompressor(Space(dim=1024, seed=8)).fold(foreign_scene)
    batch = [*rows, (foreign, foreign_scene, True)]
    with Lexicon(store) as lexicon, pytest.raises(SpaceMismatchError):
        lexicon.write(
            batch,
            "user",
            slots=slots,
            senses=[("fog", "fog", 1)],
            progress=(5, 0),
        )
    assert file_rows(store, "SELECT name FROM symbols WHERE name = 'fog'") == []
    assert file_rows(store, "SELECT * FROM slots WHERE label = 'grey'") == []
    assert file_rows(store, "SELECT * FROM senses") == []
    assert file_rows(store, "SELECT * FROM imports") == []


def test_write_failed_insert_rolled_back(
    store: Path, compressor: SceneCompressor
) -> None:
    fog = parse_scene("fog = grey + damp")
    rows, slots = fold_rows(compressor, fog)
    # The symbols and slots are inserted first; the senses row cannot be bound.
    bad_senses = [("fog", "fog", 1), ("mist", "fog", object())]
    with Lexicon(store) as lexicon:
        with pytest.raises(sqlite3.Error):
            lexicon.write(rows, "user", slots=slots, senses=bad_senses, progress=(5, 0))
        assert "fog" not in lexicon
    assert file_rows(store, "SELECT name FROM symbols WHERE name = 'fog'") == []
    assert file_rows(store, "SELECT * FROM slots WHERE label = 'grey'") == []
    assert file_rows(store, "SELECT * FROM senses") == []
    assert file_rows(store, "SELECT * FROM imports") == []


def test_write_after_failed_write(store: Path, compressor: SceneCompressor) -> None:
    fog = parse_scene("fog = grey + damp")
    rows, slots = fold_rows(compressor, fog)
    with Lexicon(store) as lexicon:
        with pytest.raises(sqlite3.Error):
            lexicon.write(rows, "user", senses=[("fog", "fog", object())])
        lexicon.write(rows, "user", slots=slots)
    with Lexicon(store) as lexicon:
        assert lexicon.get("fog").formula == "fog = damp + grey"


def test_folder_path_rejected(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="is a folder"):
        Lexicon(tmp_path)
