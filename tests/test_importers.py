"""Tests of the WordNet and NRC importers.

Most tests read a small WordNet database written to ``tmp_path``. Tests marked
``wordnet`` read the real WordNet 3.0 and are skipped when it is not installed.
Tests that read the NRC lexicon bundled with ``nrclex`` are skipped without that
package.
"""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from pathlib import Path

import pytest
from scenefold.errors import FormatError, InvalidArgumentError, ScenefoldError
from scenefold.importers import (
    ImportProblem,
    SourceNotFoundError,
    Synset,
    SynsetSceneBuilder,
    find_nrc,
    find_wordnet,
    load_nrc,
    lookup_emotions,
    read_synsets,
    synset_scene,
    synset_scenes,
)
from scenefold.importers import nrc as nrc_module
from scenefold.importers import wordnet as wordnet_module
from scenefold.scene import Atom, Bind

# --- a small WordNet database -----------------------------------------------------

# Real WNdb files start with license lines that begin with two spaces.
LICENSE = (
    "  1 This software and database is being provided to you, the LICENSEE, by  \n"
    "  2 Princeton University under the following license.  \n"
)
FIRST_ENTRY_LINE = 3

DATA = {
    "noun": [
        "00001740 03 n 01 entity 0 001 ~ 00002000 n 0000 | that which exists  ",
        # The two lexical derivation pointers reach the same verb synset.
        (
            "00002000 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 003 "
            "@ 00001740 n 0000 + 00003000 v 0101 + 00003000 v 0201 | a canine  "
        ),
    ],
    "verb": [
        "00003000 38 v 01 run 0 001 + 00002000 n 0101 01 + 02 00 | move fast  ",
    ],
    "adj": [
        "00004000 00 a 01 good 0 002 ! 00005000 a 0101 & 00006000 s 0000 | fine  ",
        "00005000 00 a 01 bad 0 001 ! 00004000 a 0101 | not good  ",
        "00006000 00 s 01 good(p) 0 001 & 00004000 a 0000 | a satellite sense  ",
    ],
    "adv": [
        "00007000 02 r 01 well 0 001 \\ 00004000 a 0101 | in a good manner  ",
    ],
}

INDEX = {
    "noun": [
        "canis_familiaris n 1 1 @ 1 0 00002000  ",
        "dog n 1 2 @ + 1 0 00002000  ",
        "domestic_dog n 1 1 @ 1 0 00002000  ",
        "entity n 1 1 ~ 1 0 00001740  ",
    ],
    "verb": ["run v 1 1 + 1 0 00003000  "],
    "adj": [
        "bad a 1 1 ! 1 0 00005000  ",
        "good a 2 2 ! & 2 0 00004000 00006000  ",
    ],
    "adv": ["well r 1 1 \\ 1 0 00007000  "],
}

SMALL_NAMES = [
    "entity.n.01",
    "dog.n.01",
    "run.v.01",
    "good.a.01",
    "bad.a.01",
    "good.s.02",
    "well.r.01",
]


def write_database(
    folder: Path,
    data: dict[str, list[str]] | None = None,
    index: dict[str, list[str]] | None = None,
) -> Path:
    """Write the small database, with ``data`` and ``index`` replacing its files."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {f"data.{pos}": lines for pos, lines in {**DATA, **(data or {})}.items()}
    files.update(
        {f"index.{pos}": lines for pos, lines in {**INDEX, **(index or {})}.items()}
    )
    for name, lines in files.items():
        (folder / name).write_text(LICENSE + "".join(f"{line}\n" for line in lines))
    return folder


def read_all(folder: Path, **options: object) -> tuple[dict[str, Synset], list]:
    problems: list[ImportProblem] = []
    synsets = {
        synset.name: synset
        for synset in read_synsets(folder, on_problem=problems.append, **options)
    }
    return synsets, problems


@pytest.fixture
def small_db(tmp_path: Path) -> Path:
    return write_database(tmp_path / "wordnet")


# --- reading the small database ---------------------------------------------------


def test_small_database_names(small_db: Path) -> None:
    synsets, problems = read_all(small_db)
    assert problems == []
    assert list(synsets) == SMALL_NAMES


def test_small_database_synset_fields(small_db: Path) -> None:
    synsets, _ = read_all(small_db)
    dog = synsets["dog.n.01"]
    assert dog.offset == 2000
    assert dog.pos == "n"
    assert dog.lexname == "noun.animal"
    assert dog.lemmas == ("dog", "domestic_dog", "Canis_familiaris")
    assert dog.gloss == "a canine"
    assert dog.frames == ()


def test_lexical_pointers_become_one_relation(small_db: Path) -> None:
    synsets, _ = read_all(small_db)
    assert synsets["dog.n.01"].relations == (
        ("hypernym", "entity.n.01"),
        ("derivation", "run.v.01"),
    )


def test_verb_frames_parsed(small_db: Path) -> None:
    synsets, _ = read_all(small_db)
    assert synsets["run.v.01"].frames == ((2, 0),)
    assert synsets["run.v.01"].lexname == "verb.motion"


def test_adjective_relations_and_markers(small_db: Path) -> None:
    synsets, _ = read_all(small_db)
    good = synsets["good.a.01"]
    assert good.relations == (("antonym", "bad.a.01"), ("similar_to", "good.s.02"))
    satellite = synsets["good.s.02"]
    assert satellite.pos == "s"
    assert satellite.lemmas == ("good",)
    assert synsets["well.r.01"].relations == (("pertainym", "good.a.01"),)


def test_satellite_ranking_satellites(small_db: Path) -> None:
    synsets, problems = read_all(small_db, satellite_ranking="satellites")
    assert problems == []
    assert "good.s.01" in synsets
    assert "good.s.02" not in synsets
    assert synsets["good.a.01"].relations[1] == ("similar_to", "good.s.01")


def test_satellite_ranking_rejects_unknown(small_db: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="satellite_ranking"):
        read_synsets(small_db, satellite_ranking="head")  # type: ignore[arg-type]


def test_lexnames_file_overrides_table(small_db: Path) -> None:
    lexnames = "".join(
        f"{number:02d}\t{name}\t1\n"
        for number, name in enumerate(wordnet_module.LEXNAMES)
    )
    (small_db / "lexnames").write_text(lexnames.replace("noun.animal", "noun.beast"))
    synsets, problems = read_all(small_db)
    assert problems == []
    assert synsets["dog.n.01"].lexname == "noun.beast"


# --- malformed input --------------------------------------------------------------

MALFORMED_NOUN_LINES = [
    ("00001800 03 n 01 thing 0 000 no gloss bar", "missing '|'"),
    ("0000180 03 n 01 thing 0 000 | short offset", "synset_offset"),
    ("00001800 99 n 01 thing 0 000 | unknown file", "lex_filenum 99"),
    ("00001800 03 v 01 thing 0 000 | verb in noun file", "ss_type 'v'"),
    ("00001800 03 n 00 000 | no words", "w_cnt is 0"),
    ("00001800 03 n 0g thing 0 000 | bad count", "w_cnt must be 2 hex digits"),
    ("00001800 03 n 01 thing x 000 | bad lex_id", "lex_id"),
    ("00001800 03 n 01 thing 0 00x | bad p_cnt", "p_cnt"),
    ("00001800 03 n 01 thing 0 002 @ 00001740 n 0000 | cut", "inside the 2 pointers"),
    ("00001800 03 n 01 thing 0 001 @ 1740 n 0000 | short", "pointer synset_offset"),
    ("00001800 03 n 01 thing 0 001 @ 00001740 q 0000 | bad pos", "pointer pos"),
    ("00001800 03 n 01 thing 0 001 @ 00001740 n 00z0 | bad", "source/target"),
    ("00001800 03 n 01 thing 0 000 extra | fields", "left over"),
]


@pytest.mark.parametrize(("line", "fragment"), MALFORMED_NOUN_LINES)
def test_malformed_line_reported_and_skipped(
    tmp_path: Path, line: str, fragment: str
) -> None:
    folder = write_database(tmp_path / "wordnet", data={"noun": [line, *DATA["noun"]]})
    synsets, problems = read_all(folder)
    assert len(problems) == 1
    assert problems[0].file == str(folder / "data.noun")
    assert problems[0].line == FIRST_ENTRY_LINE
    assert fragment in problems[0].message
    assert list(synsets) == SMALL_NAMES


MALFORMED_VERB_LINES = [
    ("00003100 38 v 01 walk 0 000 | no frames", "missing f_cnt"),
    ("00003100 38 v 01 walk 0 000 02 + 02 00 | one frame", "inside the 2 verb frames"),
    ("00003100 38 v 01 walk 0 000 01 - 02 00 | no plus", "expected '+'"),
    ("00003100 38 v 01 walk 0 000 01 + 02 0 | short", "w_num"),
]


@pytest.mark.parametrize(("line", "fragment"), MALFORMED_VERB_LINES)
def test_malformed_verb_line_reported(tmp_path: Path, line: str, fragment: str) -> None:
    folder = write_database(tmp_path / "wordnet", data={"verb": [*DATA["verb"], line]})
    synsets, problems = read_all(folder)
    assert len(problems) == 1
    assert problems[0].file == str(folder / "data.verb")
    assert problems[0].line == FIRST_ENTRY_LINE + 1
    assert fragment in problems[0].message
    assert "run.v.01" in synsets


def test_malformed_lines_counted_import_continues(tmp_path: Path) -> None:
    bad = [line for line, _ in MALFORMED_NOUN_LINES]
    noun_lines = [DATA["noun"][0], *bad, DATA["noun"][1]]
    folder = write_database(tmp_path / "wordnet", data={"noun": noun_lines})
    synsets, problems = read_all(folder)
    assert len(problems) == len(bad)
    assert [problem.line for problem in problems] == list(
        range(FIRST_ENTRY_LINE + 1, FIRST_ENTRY_LINE + 1 + len(bad))
    )
    assert list(synsets) == SMALL_NAMES


def test_invalid_utf8_line_reported(small_db: Path) -> None:
    path = small_db / "data.noun"
    path.write_bytes(path.read_bytes() + b"00009000 03 n 01 caf\xe9 0 000 | latin-1\n")
    synsets, problems = read_all(small_db)
    assert len(problems) == 1
    assert problems[0].line == FIRST_ENTRY_LINE + 2
    assert "invalid UTF-8" in problems[0].message
    assert list(synsets) == SMALL_NAMES


def test_synset_missing_from_index_skipped(tmp_path: Path) -> None:
    orphan = "00001900 03 n 01 orphan 0 000 | not in index.noun  "
    entity = "00001740 03 n 01 entity 0 001 ~ 00001900 n 0000 | that which exists  "
    folder = write_database(
        tmp_path / "wordnet", data={"noun": [entity, orphan, DATA["noun"][1]]}
    )
    synsets, problems = read_all(folder)
    messages = {problem.line: problem.message for problem in problems}
    assert len(problems) == 2
    assert "pointer dropped" in messages[FIRST_ENTRY_LINE]
    assert "does not list synset 00001900" in messages[FIRST_ENTRY_LINE + 1]
    assert synsets["entity.n.01"].relations == ()
    assert "orphan.n.01" not in synsets


def test_unknown_pointer_symbol_dropped(tmp_path: Path) -> None:
    entity = "00001740 03 n 01 entity 0 002 ?? 00002000 n 0000 ~ 00002000 n 0000 | x"
    folder = write_database(
        tmp_path / "wordnet", data={"noun": [entity, DATA["noun"][1]]}
    )
    synsets, problems = read_all(folder)
    assert len(problems) == 1
    assert "unknown pointer symbol '??'" in problems[0].message
    assert synsets["entity.n.01"].relations == (("hyponym", "dog.n.01"),)


def test_malformed_index_line_reported(tmp_path: Path) -> None:
    index = {"noun": [*INDEX["noun"], "cat n 2 0 2 0 00009999"]}
    folder = write_database(tmp_path / "wordnet", index=index)
    synsets, problems = read_all(folder)
    assert len(problems) == 1
    assert problems[0].file == str(folder / "index.noun")
    assert problems[0].line == FIRST_ENTRY_LINE + 4
    assert "expected 8 fields" in problems[0].message
    assert list(synsets) == SMALL_NAMES


def test_default_handler_logs_and_counts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = ["00001800 03 n 01 thing 0 00x | bad p_cnt"] * 25
    folder = write_database(tmp_path / "wordnet", data={"noun": [*DATA["noun"], *bad]})
    with caplog.at_level(logging.WARNING, logger="scenefold.importers"):
        names = [synset.name for synset in read_synsets(folder)]
    assert names == SMALL_NAMES
    assert len(caplog.records) == 21
    assert "data.noun:5: p_cnt" in caplog.records[0].getMessage()
    assert caplog.records[-1].getMessage() == "5 more import problems were not logged"


def test_import_problem_str() -> None:
    problem = ImportProblem("data.noun", 7, "p_cnt must be 3 decimal digits")
    assert str(problem) == "data.noun:7: p_cnt must be 3 decimal digits"


# --- locating WordNet -------------------------------------------------------------


@pytest.fixture
def no_default_wordnet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every default WordNet location at empty folders under ``tmp_path``."""
    nltk_corpora = tmp_path / "nltk_data" / "corpora"
    monkeypatch.delenv("SCENEFOLD_WORDNET", raising=False)
    monkeypatch.setattr(wordnet_module, "SYSTEM_WORDNET_DIR", tmp_path / "system")
    monkeypatch.setattr(
        wordnet_module, "_nltk_wordnet_dirs", lambda: [nltk_corpora / "wordnet"]
    )
    return nltk_corpora


def test_find_wordnet_explicit_path(small_db: Path) -> None:
    assert find_wordnet(small_db) == small_db
    assert find_wordnet(str(small_db)) == small_db


def test_find_wordnet_dict_subfolder(tmp_path: Path) -> None:
    folder = write_database(tmp_path / "WordNet-3.0" / "dict")
    assert find_wordnet(tmp_path / "WordNet-3.0") == folder


def test_find_wordnet_env_var(
    small_db: Path, no_default_wordnet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCENEFOLD_WORDNET", str(small_db))
    assert find_wordnet() == small_db


def test_find_wordnet_nltk_folder(no_default_wordnet: Path) -> None:
    folder = write_database(no_default_wordnet / "wordnet")
    assert find_wordnet() == folder


def test_find_wordnet_missing_names_fix(no_default_wordnet: Path) -> None:
    with pytest.raises(SourceNotFoundError) as caught:
        find_wordnet()
    message = str(caught.value)
    assert "apt-get install wordnet-base" in message
    assert "python -m nltk.downloader wordnet" in message
    assert "--wordnet PATH" in message
    assert "SCENEFOLD_WORDNET" in message
    assert str(no_default_wordnet / "wordnet") in message


def test_find_wordnet_error_types(no_default_wordnet: Path) -> None:
    with pytest.raises(SourceNotFoundError) as caught:
        find_wordnet()
    assert isinstance(caught.value, FileNotFoundError)
    assert isinstance(caught.value, ScenefoldError)


def test_find_wordnet_zip_hint(no_default_wordnet: Path) -> None:
    no_default_wordnet.mkdir(parents=True)
    (no_default_wordnet / "wordnet.zip").write_bytes(b"PK")
    with pytest.raises(SourceNotFoundError, match="unzip"):
        find_wordnet()


def test_find_wordnet_bad_explicit_path(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError) as caught:
        find_wordnet(tmp_path / "missing")
    message = str(caught.value)
    assert str(tmp_path / "missing") in message
    assert "apt-get install wordnet-base" in message


def test_find_wordnet_bad_env_var_not_skipped(
    small_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SCENEFOLD_WORDNET", str(tmp_path / "missing"))
    monkeypatch.setattr(wordnet_module, "SYSTEM_WORDNET_DIR", small_db)
    with pytest.raises(SourceNotFoundError, match="SCENEFOLD_WORDNET"):
        find_wordnet()


def test_find_wordnet_incomplete_folder(small_db: Path) -> None:
    (small_db / "index.verb").unlink()
    with pytest.raises(SourceNotFoundError, match="index.verb"):
        find_wordnet(small_db)


def test_read_synsets_raises_before_iteration(no_default_wordnet: Path) -> None:
    with pytest.raises(SourceNotFoundError):
        read_synsets()


# --- scenes -----------------------------------------------------------------------


def test_synset_scene_registers(small_db: Path) -> None:
    synsets, _ = read_all(small_db)
    scene = synset_scene(synsets["dog.n.01"], {"dog": frozenset({"trust"})})
    assert scene.name == "dog.n.01"
    assert scene.registers["main"] == {
        Atom("dog"),
        Atom("domestic_dog"),
        Atom("canis_familiaris"),
    }
    assert scene.registers["logic"] == {
        Bind("hypernym", Atom("entity.n.01")),
        Bind("derivation", Atom("run.v.01")),
        Bind("lexname", Atom("noun.animal")),
    }
    assert scene.registers["archetype"] == {Atom("animal")}
    assert scene.registers["emotion"] == {Atom("trust")}


def test_synset_scene_has_no_refs(small_db: Path) -> None:
    synsets, _ = read_all(small_db)
    for synset in synsets.values():
        assert synset_scene(synset).refs() == set()


def test_synset_scene_optional_registers(small_db: Path) -> None:
    synsets, _ = read_all(small_db)
    scene = synset_scene(synsets["good.a.01"])
    assert set(scene.registers) == {"main", "logic"}
    no_hit = synset_scene(synsets["good.a.01"], {"evil": frozenset({"fear"})})
    assert "emotion" not in no_hit.registers


def test_scene_builder_matches_synset_scene(small_db: Path) -> None:
    synsets, _ = read_all(small_db)
    emotions = {"good": frozenset({"joy", "positive"})}
    built = list(synset_scenes(synsets.values(), emotions))
    assert built == [synset_scene(synset, emotions) for synset in synsets.values()]


def test_scene_builder_shares_atoms(small_db: Path) -> None:
    synsets, _ = read_all(small_db)
    build = SynsetSceneBuilder()
    first = build(synsets["good.a.01"])
    second = build(synsets["bad.a.01"])
    lexname = Bind("lexname", Atom("adj.all"))
    shared = [item for item in first.registers["logic"] if item == lexname]
    again = [item for item in second.registers["logic"] if item == lexname]
    assert shared[0] is again[0]


def test_archetype_table_uses_known_lexnames() -> None:
    assert set(wordnet_module.ARCHETYPES) <= set(wordnet_module.LEXNAMES)
    assert len(wordnet_module.LEXNAMES) == 45


# --- NRC lexicon ------------------------------------------------------------------


def test_load_nrc_json(tmp_path: Path) -> None:
    path = tmp_path / "nrc.json"
    data = {"loss": ["anger", "sadness"], "abacus": ["trust"], "empty": []}
    path.write_text(json.dumps(data))
    lexicon = load_nrc(path)
    assert lexicon == {
        "loss": frozenset({"anger", "sadness"}),
        "abacus": frozenset({"trust"}),
    }


def test_load_nrc_text_format_by_content(tmp_path: Path) -> None:
    # The file is named .json, but its content is the NRC word-level text format.
    path = tmp_path / "lexicon.json"
    rows = [
        "NRC Word-Emotion Association Lexicon",
        "loss\tanger\t1",
        "loss\tjoy\t0",
        "loss\tsadness\t1",
        "calm\tjoy\t0",
        "calm\tbliss\t1",
        "calm\ttrust\t2",
    ]
    path.write_text("\n".join(rows) + "\n")
    problems: list[ImportProblem] = []
    lexicon = load_nrc(path, on_problem=problems.append)
    assert lexicon == {"loss": frozenset({"anger", "sadness"})}
    assert [problem.line for problem in problems] == [1, 6, 7]
    assert "3 tab-separated fields" in problems[0].message
    assert "unknown emotion 'bliss'" in problems[1].message
    assert "must be 0 or 1" in problems[2].message


def test_load_nrc_json_unknown_emotion(tmp_path: Path) -> None:
    path = tmp_path / "nrc.json"
    path.write_text(json.dumps({"loss": ["grief"]}))
    with pytest.raises(FormatError, match="grief"):
        load_nrc(path)


def test_load_nrc_json_wrong_shape(tmp_path: Path) -> None:
    path = tmp_path / "nrc.json"
    path.write_text(json.dumps({"loss": "anger"}))
    with pytest.raises(FormatError, match="list of strings"):
        load_nrc(path)


def test_load_nrc_missing_names_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCENEFOLD_NRC", raising=False)
    monkeypatch.setattr(nrc_module, "_nrclex_package_dir", lambda: None)
    with pytest.raises(SourceNotFoundError) as caught:
        load_nrc()
    message = str(caught.value)
    assert "pip install nrclex" in message
    assert "--nrc PATH" in message
    assert isinstance(caught.value, FileNotFoundError)


def test_load_nrc_bad_path(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match="missing.json"):
        load_nrc(tmp_path / "missing.json")


def test_load_nrc_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "nrc.json"
    path.write_text(json.dumps({"loss": ["fear"]}))
    monkeypatch.setenv("SCENEFOLD_NRC", str(path))
    assert find_nrc() == path
    assert load_nrc() == {"loss": frozenset({"fear"})}


def test_lookup_emotions_forms() -> None:
    lexicon = {
        "Paris": frozenset({"joy"}),
        "paris": frozenset({"fear"}),
        "ice cream": frozenset({"positive"}),
        "loss": frozenset({"sadness"}),
    }
    assert lookup_emotions(["Paris"], lexicon) == {"joy"}
    assert lookup_emotions(["PARIS"], lexicon) == {"fear"}
    assert lookup_emotions(["Ice_Cream"], lexicon) == {"positive"}
    assert lookup_emotions(["loss", "Ice_Cream", "nothing"], lexicon) == {
        "sadness",
        "positive",
    }
    assert lookup_emotions([], lexicon) == frozenset()


# --- the real data ----------------------------------------------------------------


@pytest.fixture(scope="module")
def wordnet_read(wordnet_root: Path) -> tuple[dict[str, Synset], list[ImportProblem]]:
    return read_all(wordnet_root)


@pytest.fixture(scope="module")
def wordnet_synsets(
    wordnet_read: tuple[dict[str, Synset], list[ImportProblem]],
) -> dict[str, Synset]:
    return wordnet_read[0]


@pytest.fixture(scope="module")
def nrc_lexicon() -> dict[str, frozenset[str]]:
    try:
        return load_nrc()
    except SourceNotFoundError as error:
        pytest.skip(f"needs the NRC lexicon: {error}")


@pytest.mark.wordnet
def test_wordnet_counts_by_pos(wordnet_synsets: dict[str, Synset]) -> None:
    counts = Counter(synset.pos for synset in wordnet_synsets.values())
    assert len(wordnet_synsets) == 117_659
    assert counts["n"] == 82_115
    assert counts["v"] == 13_767
    assert counts["a"] + counts["s"] == 18_156
    assert counts["s"] == 10_693
    assert counts["r"] == 3_621


@pytest.mark.wordnet
def test_wordnet_reads_without_problems(
    wordnet_read: tuple[dict[str, Synset], list[ImportProblem]],
) -> None:
    assert wordnet_read[1] == []


@pytest.mark.wordnet
@pytest.mark.parametrize(
    ("name", "offset", "lexname"),
    [
        ("entity.n.01", 1740, "noun.Tops"),
        ("loss.n.01", 13327676, "noun.possession"),
        ("dog.n.01", 2084071, "noun.animal"),
        ("good.a.01", 1123148, "adj.all"),
        ("run.v.01", 1926329, "verb.motion"),
        ("parturient.s.02", 3829, "adj.all"),
    ],
)
def test_wordnet_known_names(
    wordnet_synsets: dict[str, Synset], name: str, offset: int, lexname: str
) -> None:
    synset = wordnet_synsets[name]
    assert synset.offset == offset
    assert synset.lexname == lexname


@pytest.mark.wordnet
def test_wordnet_loss_hypernyms(wordnet_synsets: dict[str, Synset]) -> None:
    relations = wordnet_synsets["loss.n.01"].relations
    hypernyms = [target for relation, target in relations if relation == "hypernym"]
    assert hypernyms == ["transferred_property.n.01"]


@pytest.mark.wordnet
def test_wordnet_dog(wordnet_synsets: dict[str, Synset]) -> None:
    dog = wordnet_synsets["dog.n.01"]
    assert dog.lemmas == ("dog", "domestic_dog", "Canis_familiaris")
    assert ("hypernym", "canine.n.02") in dog.relations
    assert ("member_holonym", "pack.n.06") in dog.relations


@pytest.mark.wordnet
def test_wordnet_good_antonym(wordnet_synsets: dict[str, Synset]) -> None:
    assert ("antonym", "bad.a.01") in wordnet_synsets["good.a.01"].relations


@pytest.mark.wordnet
def test_wordnet_relation_targets_exist(wordnet_synsets: dict[str, Synset]) -> None:
    targets = {
        target for synset in wordnet_synsets.values() for _, target in synset.relations
    }
    assert targets <= wordnet_synsets.keys()


@pytest.mark.wordnet
def test_wordnet_satellite_ranking(wordnet_root: Path) -> None:
    names = {
        synset.offset: synset.name
        for synset in read_synsets(wordnet_root, satellite_ranking="satellites")
        if synset.pos == "s"
    }
    assert names[3829] == "parturient.s.01"
    assert len(names) == 10_693


@pytest.mark.wordnet
def test_wordnet_loss_scene(
    wordnet_synsets: dict[str, Synset], nrc_lexicon: dict[str, frozenset[str]]
) -> None:
    scene = synset_scene(wordnet_synsets["loss.n.01"], nrc_lexicon)
    assert scene.name == "loss.n.01"
    assert scene.registers["main"] == {Atom("loss")}
    assert scene.registers["logic"] == {
        Bind("hypernym", Atom("transferred_property.n.01")),
        Bind("hyponym", Atom("forfeit.n.01")),
        Bind("hyponym", Atom("financial_loss.n.01")),
        Bind("hyponym", Atom("sacrifice.n.03")),
        Bind("hyponym", Atom("wastage.n.02")),
        Bind("lexname", Atom("noun.possession")),
    }
    assert scene.registers["archetype"] == {Atom("possession")}
    emotions = {Atom(name) for name in ("anger", "fear", "negative", "sadness")}
    assert scene.registers["emotion"] == emotions


@pytest.mark.wordnet
def test_wordnet_logic_register_sizes(wordnet_synsets: dict[str, Synset]) -> None:
    sizes = {
        scene.name: len(scene.registers["logic"])
        for scene in synset_scenes(wordnet_synsets.values())
    }
    largest = max(sizes, key=sizes.__getitem__)
    assert sum(1 for size in sizes.values() if size > 50) == 254
    assert largest == "city.n.01"
    assert sizes[largest] == 674


def test_bundled_nrc_lexicon(nrc_lexicon: dict[str, frozenset[str]]) -> None:
    assert len(nrc_lexicon) == 6468
    assert nrc_lexicon["loss"] == {"anger", "fear", "negative", "sadness"}


def test_bundled_nrc_not_imported() -> None:
    if "nrclex" in sys.modules:
        pytest.skip("nrclex was imported before this test")
    try:
        load_nrc()
    except SourceNotFoundError as error:
        pytest.skip(f"needs the NRC lexicon: {error}")
    assert "nrclex" not in sys.modules
