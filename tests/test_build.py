"""Tests of the main job: building WordNet into a lexicon, resuming it and measuring it.

Tests marked ``wordnet`` read WordNet 3.0 and skip with the install hint when it is
missing. Builds with the emotion register also need the NRC lexicon of ``nrclex``.
Each build stops after a few hundred synsets. The tests of missing sources and
malformed lines use a small database written to ``tmp_path`` and run everywhere.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from itertools import islice
from pathlib import Path

import pytest
from scenefold.build import (
    WORDNET_SOURCE,
    WORDNET_SYNSETS,
    BuildReport,
    build_wordnet,
    evaluate,
)
from scenefold.importers import (
    NRC_EMOTIONS,
    SourceNotFoundError,
    read_synsets,
)
from scenefold.importers import nrc as nrc_module
from scenefold.lexicon import Lexicon

BUILD_LIMIT = 300
BUILD_BATCH = 100

# --- sources ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def first_names(wordnet_root: Path) -> list[str]:
    """Names of the first 600 synsets of WordNet, in the order a build folds them."""
    return [synset.name for synset in islice(read_synsets(wordnet_root), 600)]


def check_parts_complete(lexicon: Lexicon) -> None:
    """Assert that every split symbol has its parts and every part its parent."""
    top = set(lexicon.names())
    every = set(lexicon.names(top_only=False))
    expected_parts: set[str] = set()
    for stored in lexicon.iter_symbols():
        expected_parts.update(stored.symbol.metacode.parts)
    assert expected_parts <= every
    assert every - top == expected_parts


# --- a build of 300 synsets -------------------------------------------------------


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, wordnet_root: Path, nrc_file: Path
) -> tuple[Path, BuildReport, list[tuple[int, int]]]:
    """Build 300 synsets in batches of 100, and return the file, report and progress."""
    path = tmp_path_factory.mktemp("build") / "lexicon.sqlite"
    calls: list[tuple[int, int]] = []
    with Lexicon(path) as lexicon:
        report = build_wordnet(
            lexicon,
            wordnet_root,
            nrc_file,
            batch_size=BUILD_BATCH,
            limit=BUILD_LIMIT,
            progress=lambda done, total: calls.append((done, total)),
        )
    return path, report, calls


@pytest.mark.wordnet
def test_build_report_counts(built) -> None:
    _, report, _ = built
    assert report.folded == BUILD_LIMIT
    assert report.skipped == 0
    assert report.problem_count == 0
    assert report.problems == []
    assert report.parts >= report.split
    assert report.rate > 0


@pytest.mark.wordnet
def test_build_stores_first_synsets(built, first_names: list[str]) -> None:
    path, report, _ = built
    with Lexicon(path) as lexicon:
        assert len(lexicon) == BUILD_LIMIT
        assert lexicon.count(WORDNET_SOURCE) == BUILD_LIMIT
        assert lexicon.count(top_only=False) == BUILD_LIMIT + report.parts
        assert set(lexicon.names()) == set(first_names[:BUILD_LIMIT])


@pytest.mark.wordnet
def test_build_split_parts_complete(built) -> None:
    path, _, _ = built
    with Lexicon(path) as lexicon:
        check_parts_complete(lexicon)


@pytest.mark.wordnet
def test_build_import_state(built) -> None:
    path, _, _ = built
    with Lexicon(path) as lexicon:
        state = lexicon.import_state(WORDNET_SOURCE)
    assert state["state"] == "partial"
    assert state["done"] == BUILD_LIMIT
    assert state["problems"] == 0


@pytest.mark.wordnet
def test_build_progress_calls(built) -> None:
    _, _, calls = built
    done = [call[0] for call in calls]
    assert done[:3] == [100, 200, 300]
    assert done[-1] == BUILD_LIMIT
    assert {call[1] for call in calls} == {WORDNET_SYNSETS}


@pytest.mark.wordnet
def test_build_word_senses(built) -> None:
    path, _, _ = built
    with Lexicon(path) as lexicon:
        assert lexicon.senses("entity") == ["entity.n.01"]
        assert lexicon.senses("retreat") == [
            "retreat.n.01",
            "retreat.n.07",
            "retirement.n.03",
        ]


@pytest.mark.wordnet
def test_build_emotion_register(built) -> None:
    path, _, _ = built
    with Lexicon(path) as lexicon:
        food = lexicon.scene("food.n.01")
        labels = lexicon.slot_labels("emotion", "")
    emotions = {atom.label for atom in food.registers["emotion"]}
    assert emotions == {"joy", "positive", "trust"}
    assert labels
    assert set(labels) <= set(NRC_EMOTIONS)


@pytest.mark.wordnet
def test_evaluate_sample_exact(built) -> None:
    path, _, _ = built
    with Lexicon(path) as lexicon:
        report = evaluate(lexicon, sample=100)
    assert report.evaluated == 100
    assert report.exact_share == 1.0
    assert dict(report.failures) == {}
    assert report.mean_margin > 0


@pytest.mark.wordnet
def test_evaluate_sample_is_reproducible(built) -> None:
    path, _, _ = built
    calls: list[tuple[int, int]] = []
    with Lexicon(path) as lexicon:
        first = evaluate(
            lexicon, sample=20, seed=3, progress=lambda *c: calls.append(c)
        )
        second = evaluate(lexicon, sample=20, seed=3)
    assert first.to_json()["exact_and_equal"] == second.to_json()["exact_and_equal"]
    assert calls == [(20, 20)]


# --- resuming ---------------------------------------------------------------------


@pytest.mark.wordnet
def test_build_resumes_after_stored_synsets(
    built, tmp_path: Path, first_names: list[str], nrc_file: Path, wordnet_root: Path
) -> None:
    source, first, _ = built
    path = tmp_path / "resumed.sqlite"
    shutil.copyfile(source, path)
    with Lexicon(path) as lexicon:
        report = build_wordnet(
            lexicon, wordnet_root, nrc_file, batch_size=BUILD_BATCH, limit=150
        )
        names = lexicon.names()
        count = lexicon.count(top_only=False)
        check_parts_complete(lexicon)
    assert report.skipped == BUILD_LIMIT
    assert report.folded == 150
    assert len(names) == BUILD_LIMIT + 150
    assert set(names) == set(first_names[: BUILD_LIMIT + 150])
    assert count == len(names) + first.parts + report.parts


@pytest.mark.wordnet
def test_build_resume_records_progress(
    built, tmp_path: Path, first_names: list[str], nrc_file: Path, wordnet_root: Path
) -> None:
    source, _, _ = built
    path = tmp_path / "resumed.sqlite"
    shutil.copyfile(source, path)
    resumed = first_names[BUILD_LIMIT]
    with Lexicon(path) as lexicon:
        build_wordnet(lexicon, wordnet_root, nrc_file, limit=20)
        state = lexicon.import_state(WORDNET_SOURCE)
        senses = lexicon.senses(resumed.split(".")[0])
    assert state["state"] == "partial"
    assert state["done"] == BUILD_LIMIT + 20
    assert resumed in senses


# --- killed imports ---------------------------------------------------------------

KILL_BATCH = 50
KILL_LIMIT = 600

# Builds into argv[1] from WordNet argv[2] and NRC argv[3], in batches of argv[4]
# synsets, at most argv[5] synsets.
BUILD_SCRIPT = """
import sys
from scenefold.build import build_wordnet
from scenefold.lexicon import Lexicon

path, wordnet, nrc, batch, limit = sys.argv[1:]
with Lexicon(path) as lexicon:
    build_wordnet(lexicon, wordnet, nrc, batch_size=int(batch), limit=int(limit))
"""

# The same build, whose process kills itself with SIGKILL inside the transaction of
# its third batch, after the symbols rows are inserted. A cache of 10 pages makes
# SQLite spill the open transaction's pages into the WAL before the kill.
SELF_KILL_SCRIPT = (
    """
import functools, os, signal, sqlite3

class KillingConnection(sqlite3.Connection):
    batches = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.execute("PRAGMA cache_size = 10")

    def executemany(self, sql, rows):
        cursor = super().executemany(sql, rows)
        if sql.startswith("INSERT OR REPLACE INTO symbols"):
            KillingConnection.batches += 1
            if KillingConnection.batches == 3:
                os.kill(os.getpid(), signal.SIGKILL)
        return cursor

sqlite3.connect = functools.partial(sqlite3.connect, factory=KillingConnection)
"""
    + BUILD_SCRIPT
)


def committed_count(path: Path) -> int:
    """Count the top-level symbols committed to ``path`` through a read-only
    connection, which finds 0 while the file or its tables do not exist yet."""
    if not path.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT count(*) FROM symbols WHERE top = 1").fetchone()
    except sqlite3.OperationalError:
        return 0
    return row[0]


def start_build(script: str, path: Path, root: Path, nrc: Path, limit: int):
    arguments = [str(path), str(root), str(nrc), str(KILL_BATCH), str(limit)]
    return subprocess.Popen(
        [sys.executable, "-c", script, *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.fixture(scope="module")
def killed_build(
    tmp_path_factory: pytest.TempPathFactory, wordnet_root: Path, nrc_file: Path
) -> tuple[Path, int]:
    """Start a build in a subprocess and SIGKILL it once 100 symbols are committed."""
    path = tmp_path_factory.mktemp("killed") / "lexicon.sqlite"
    process = start_build(BUILD_SCRIPT, path, wordnet_root, nrc_file, KILL_LIMIT)
    deadline = time.monotonic() + 120
    try:
        while committed_count(path) < 2 * KILL_BATCH:
            if process.poll() is not None:
                pytest.fail(f"the build ended before the kill: {process.stderr.read()}")
            if time.monotonic() > deadline:
                pytest.fail("the build committed fewer than 100 symbols in 120 s")
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=60)
        process.stderr.close()
    return path, process.returncode


@pytest.mark.wordnet
@pytest.mark.slow
def test_killed_build_was_killed(killed_build) -> None:
    _, returncode = killed_build
    assert returncode == -signal.SIGKILL


@pytest.mark.wordnet
@pytest.mark.slow
def test_killed_build_keeps_whole_batches(killed_build, first_names: list[str]) -> None:
    path, _ = killed_build
    with Lexicon(path) as lexicon:
        count = len(lexicon)
        names = set(lexicon.names())
        check_parts_complete(lexicon)
    assert count >= 2 * KILL_BATCH
    assert count % KILL_BATCH == 0
    assert names == set(first_names[:count])


@pytest.mark.wordnet
@pytest.mark.slow
def test_killed_build_unfolds_exactly(killed_build) -> None:
    path, _ = killed_build
    with Lexicon(path) as lexicon:
        report = evaluate(lexicon, sample=50)
    assert report.evaluated == 50
    assert report.exact_share == 1.0


@pytest.mark.wordnet
@pytest.mark.slow
def test_killed_build_resumes_to_limit(
    killed_build,
    tmp_path: Path,
    first_names: list[str],
    wordnet_root: Path,
    nrc_file: Path,
) -> None:
    source, _ = killed_build
    path = tmp_path / "lexicon.sqlite"
    with Lexicon(source) as lexicon:
        before = set(lexicon.names())
    # A checkpointed copy, so the module's killed file stays as the kill left it.
    with closing(sqlite3.connect(source)) as db, closing(sqlite3.connect(path)) as copy:
        db.backup(copy)
    with Lexicon(path) as lexicon:
        report = build_wordnet(
            lexicon,
            wordnet_root,
            nrc_file,
            batch_size=KILL_BATCH,
            limit=KILL_LIMIT - len(before),
        )
        after = set(lexicon.names())
        state = lexicon.import_state(WORDNET_SOURCE)
        check_parts_complete(lexicon)
    assert report.skipped == len(before)
    assert before <= after
    assert after == set(first_names[:KILL_LIMIT])
    assert state["done"] == KILL_LIMIT


@pytest.mark.wordnet
@pytest.mark.slow
def test_kill_inside_transaction_loses_batch(
    tmp_path: Path, first_names: list[str], wordnet_root: Path, nrc_file: Path
) -> None:
    path = tmp_path / "lexicon.sqlite"
    process = start_build(SELF_KILL_SCRIPT, path, wordnet_root, nrc_file, 150)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == -signal.SIGKILL, stderr.decode()
    with Lexicon(path) as lexicon:
        names = set(lexicon.names())
        state = lexicon.import_state(WORDNET_SOURCE)
        check_parts_complete(lexicon)
    assert names == set(first_names[: 2 * KILL_BATCH])
    assert state["state"] == "running"
    assert state["done"] == 2 * KILL_BATCH


# --- missing sources --------------------------------------------------------------

# A small WNdb database: two nouns, a verb and an adverb that point at each other.
LICENSE = "  1 This software and database is being provided to you, the LICENSEE.  \n"
SMALL_DATA = {
    "noun": [
        "00001740 03 n 01 entity 0 001 ~ 00002000 n 0000 | that which exists  ",
        "00002000 05 n 02 dog 0 domestic_dog 0 001 @ 00001740 n 0000 | a canine  ",
    ],
    "verb": ["00003000 38 v 01 run 0 000 01 + 02 00 | move fast  "],
    "adj": ["00004000 00 a 01 good 0 000 | fine  "],
    "adv": ["00007000 02 r 01 well 0 001 \\ 00004000 a 0101 | in a good manner  "],
}
SMALL_INDEX = {
    "noun": [
        "dog n 1 1 @ 1 0 00002000  ",
        "domestic_dog n 1 1 @ 1 0 00002000  ",
        "entity n 1 1 ~ 1 0 00001740  ",
    ],
    "verb": ["run v 1 0 1 0 00003000  "],
    "adj": ["good a 1 0 1 0 00004000  "],
    "adv": ["well r 1 1 \\ 1 0 00007000  "],
}
SMALL_NAMES = ["dog.n.01", "entity.n.01", "good.a.01", "run.v.01", "well.r.01"]

# p_cnt "00x" is not 3 decimal digits. Inserted after entity, it is line 3 of
# data.noun, after the license line.
MALFORMED_NOUN = "00001800 03 n 01 thing 0 00x | bad p_cnt  "


def write_small_database(folder: Path, extra_nouns: list[str] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for pos, lines in SMALL_DATA.items():
        if pos == "noun":
            lines = [lines[0], *extra_nouns, *lines[1:]]
        text = LICENSE + "".join(f"{line}\n" for line in lines)
        (folder / f"data.{pos}").write_text(text)
    for pos, lines in SMALL_INDEX.items():
        text = LICENSE + "".join(f"{line}\n" for line in lines)
        (folder / f"index.{pos}").write_text(text)
    return folder


def test_build_missing_wordnet(tmp_path: Path) -> None:
    with Lexicon(tmp_path / "x.sqlite") as lexicon:
        with pytest.raises(SourceNotFoundError) as caught:
            build_wordnet(lexicon, tmp_path / "nope", emotions=False)
        assert lexicon.import_state(WORDNET_SOURCE) is None
    message = str(caught.value)
    assert "apt-get install wordnet-base" in message
    assert str(tmp_path / "nope") in message


def test_build_missing_nrc_file(tmp_path: Path) -> None:
    folder = write_small_database(tmp_path / "wordnet")
    with Lexicon(tmp_path / "x.sqlite") as lexicon:
        with pytest.raises(SourceNotFoundError, match="missing.json"):
            build_wordnet(lexicon, folder, tmp_path / "missing.json")
        assert len(lexicon) == 0


def test_build_missing_nrc_file_names_install(tmp_path: Path) -> None:
    folder = write_small_database(tmp_path / "wordnet")
    with (
        Lexicon(tmp_path / "x.sqlite") as lexicon,
        pytest.raises(SourceNotFoundError, match="pip install nrclex"),
    ):
        build_wordnet(lexicon, folder, tmp_path / "missing.json")


def test_build_without_nrclex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCENEFOLD_NRC", raising=False)
    monkeypatch.setattr(nrc_module, "_nrclex_package_dir", lambda: None)
    folder = write_small_database(tmp_path / "wordnet")
    with (
        Lexicon(tmp_path / "x.sqlite") as lexicon,
        pytest.raises(SourceNotFoundError, match="pip install nrclex"),
    ):
        build_wordnet(lexicon, folder)


def test_build_without_emotions_needs_no_nrc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nrc_module, "_nrclex_package_dir", lambda: None)
    folder = write_small_database(tmp_path / "wordnet")
    with Lexicon(tmp_path / "x.sqlite") as lexicon:
        report = build_wordnet(lexicon, folder, emotions=False)
        assert lexicon.names() == SMALL_NAMES
    assert report.folded == len(SMALL_NAMES)


# --- malformed lines --------------------------------------------------------------


def test_build_counts_malformed_line(tmp_path: Path) -> None:
    folder = write_small_database(tmp_path / "wordnet", [MALFORMED_NOUN])
    with Lexicon(tmp_path / "x.sqlite") as lexicon:
        report = build_wordnet(lexicon, folder, emotions=False, batch_size=2)
        names = lexicon.names()
        state = lexicon.import_state(WORDNET_SOURCE)
    assert report.problem_count == 1
    assert report.problems[0].file == str(folder / "data.noun")
    assert report.problems[0].line == 3
    assert "p_cnt" in report.problems[0].message
    assert names == SMALL_NAMES
    assert state["state"] == "done"
    assert state["problems"] == 1


@pytest.mark.wordnet
def test_build_real_database_with_malformed_line(
    tmp_path: Path, wordnet_root: Path, first_names: list[str]
) -> None:
    folder = tmp_path / "wordnet"
    folder.mkdir()
    for name in (
        "data.verb",
        "data.adj",
        "data.adv",
        *(f"index.{pos}" for pos in ("noun", "verb", "adj", "adv")),
    ):
        (folder / name).symlink_to(wordnet_root / name)
    # Corrupt the p_cnt of abstraction.n.06 without changing the line's length, so
    # the byte offsets that name the other synsets stay right.
    lines = (wordnet_root / "data.noun").read_bytes().split(b"\n")
    number = next(i for i, line in enumerate(lines) if line.startswith(b"00002137 "))
    fields = lines[number].split(b" ")
    assert fields[4:7] == [b"abstraction", b"0", b"abstract_entity"]
    assert fields[8] == b"010"
    fields[8] = b"00x"
    lines[number] = b" ".join(fields)
    (folder / "data.noun").write_bytes(b"\n".join(lines))

    with Lexicon(tmp_path / "x.sqlite") as lexicon:
        report = build_wordnet(lexicon, folder, emotions=False, limit=50)
        names = set(lexicon.names())
    assert report.problem_count == 1
    assert report.problems[0].line == number + 1
    assert report.folded == 50
    expected = [name for name in first_names if name != "abstraction.n.06"][:50]
    assert names == set(expected)
