"""Streaming reader of Princeton WordNet 3.0 in its database (WNdb) files.

The reader parses ``data.noun``, ``data.verb``, ``data.adj`` and ``data.adv`` as
described in wndb(5WN), and ``index.*`` only to name synsets. Synsets are named as
NLTK names them, ``lemma.pos.NN``: the first lemma of the synset in lower case, the
synset type (``n v a s r``) and the 2-digit, 1-based rank of the synset among the
senses of that lemma in ``index.<pos>``. By default a satellite adjective (``s``) is
ranked in ``index.adj`` together with the head adjectives, and the
``satellite_ranking`` option of :func:`read_synsets` selects the newer NLTK rule.

Relations are kept at synset level: a lexical pointer, which links one word of a
synset to one word of another, becomes a relation between the two synsets, and a
relation that occurs twice is kept once.

A malformed line is passed to a problem handler as an :class:`ImportProblem` with its
file and line number, skipped, and reading goes on.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from scenefold.errors import InvalidArgumentError
from scenefold.importers._common import (
    ImportProblem,
    ProblemHandler,
    ProblemLogger,
    SourceNotFoundError,
)
from scenefold.importers.nrc import lookup_emotions
from scenefold.scene import Atom, Bind, Item, Scene

#: Lexicographer file names by file number, from lexnames(5WN) of WordNet 3.0.
LEXNAMES: tuple[str, ...] = (
    "adj.all",
    "adj.pert",
    "adv.all",
    "noun.Tops",
    "noun.act",
    "noun.animal",
    "noun.artifact",
    "noun.attribute",
    "noun.body",
    "noun.cognition",
    "noun.communication",
    "noun.event",
    "noun.feeling",
    "noun.food",
    "noun.group",
    "noun.location",
    "noun.motive",
    "noun.object",
    "noun.person",
    "noun.phenomenon",
    "noun.plant",
    "noun.possession",
    "noun.process",
    "noun.quantity",
    "noun.relation",
    "noun.shape",
    "noun.state",
    "noun.substance",
    "noun.time",
    "verb.body",
    "verb.change",
    "verb.cognition",
    "verb.communication",
    "verb.competition",
    "verb.consumption",
    "verb.contact",
    "verb.creation",
    "verb.emotion",
    "verb.motion",
    "verb.perception",
    "verb.possession",
    "verb.social",
    "verb.stative",
    "verb.weather",
    "adj.ppl",
)

#: Relation names of the pointer symbols of wninput(5WN), named as NLTK names them.
#: In ``data.adv``, ``\\`` means "derived from adjective" and is also a pertainym.
POINTER_RELATIONS: dict[str, str] = {
    "!": "antonym",
    "@": "hypernym",
    "@i": "instance_hypernym",
    "~": "hyponym",
    "~i": "instance_hyponym",
    "#m": "member_holonym",
    "#s": "substance_holonym",
    "#p": "part_holonym",
    "%m": "member_meronym",
    "%s": "substance_meronym",
    "%p": "part_meronym",
    "=": "attribute",
    "+": "derivation",
    ";c": "domain_topic",
    "-c": "member_of_domain_topic",
    ";r": "domain_region",
    "-r": "member_of_domain_region",
    ";u": "domain_usage",
    "-u": "member_of_domain_usage",
    "*": "entailment",
    ">": "cause",
    "^": "also_see",
    "$": "verb_group",
    "&": "similar_to",
    "<": "participle",
    "\\": "pertainym",
}

#: Archetype of the synsets of a lexicographer file, for the ``archetype`` register.
#: Files without an entry (noun.Tops, the adjective and adverb files) give none.
#: verb.emotion maps to ``feeling`` and verb.stative to ``state``, so that nouns and
#: verbs of one kind share an archetype.
ARCHETYPES: dict[str, str] = {
    "noun.act": "act",
    "noun.animal": "animal",
    "noun.artifact": "artifact",
    "noun.attribute": "attribute",
    "noun.body": "body",
    "noun.cognition": "cognition",
    "noun.communication": "communication",
    "noun.event": "event",
    "noun.feeling": "feeling",
    "noun.food": "food",
    "noun.group": "group",
    "noun.location": "place",
    "noun.motive": "motive",
    "noun.object": "object",
    "noun.person": "person",
    "noun.phenomenon": "phenomenon",
    "noun.plant": "plant",
    "noun.possession": "possession",
    "noun.process": "process",
    "noun.quantity": "quantity",
    "noun.relation": "relation",
    "noun.shape": "shape",
    "noun.state": "state",
    "noun.substance": "substance",
    "noun.time": "time",
    "verb.body": "body",
    "verb.change": "change",
    "verb.cognition": "cognition",
    "verb.communication": "communication",
    "verb.competition": "competition",
    "verb.consumption": "consumption",
    "verb.contact": "contact",
    "verb.creation": "creation",
    "verb.emotion": "feeling",
    "verb.motion": "motion",
    "verb.perception": "perception",
    "verb.possession": "possession",
    "verb.social": "social",
    "verb.stative": "state",
    "verb.weather": "weather",
}

#: Rule for ranking a satellite adjective among the senses of its first lemma.
SatelliteRanking = Literal["adjectives", "satellites"]

#: Environment variable that names the WordNet folder when no path is given.
WORDNET_ENV_VAR = "SCENEFOLD_WORDNET"

#: Folder where Debian's ``wordnet-base`` package installs the database.
SYSTEM_WORDNET_DIR = Path("/usr/share/wordnet")

#: Parts of speech in file order: the suffix of the data and index files.
POS_FILES: tuple[str, ...] = ("noun", "verb", "adj", "adv")

#: Files that a WordNet database folder must contain.
REQUIRED_FILES: tuple[str, ...] = tuple(
    f"{kind}.{pos}" for pos in POS_FILES for kind in ("data", "index")
)

# Synset types allowed in each data file, and the file that a pointer's pos names.
_SS_TYPES = {"noun": "n", "verb": "v", "adj": "as", "adv": "r"}
_POS_TO_FILE = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}

# Syntactic markers that data.adj appends to a word, as in "galore(ip)".
_ADJ_MARKERS = ("(a)", "(p)", "(ip)")

_HEX_DIGITS = "0123456789abcdefABCDEF"
_DECIMAL_DIGITS = "0123456789"


@dataclass(frozen=True)
class Synset:
    """One synset of WordNet.

    Attributes
    ----------
    name
        NLTK-style name, such as ``dog.n.01``.
    offset
        Byte offset of the synset's line in its data file, its WNdb identifier.
    pos
        Synset type: ``n`` noun, ``v`` verb, ``a`` adjective, ``s`` satellite
        adjective or ``r`` adverb.
    lexname
        Lexicographer file name, such as ``noun.animal``.
    lemmas
        Words of the synset as the data file writes them: case kept, spaces as
        underscores, adjective markers such as ``(p)`` removed.
    relations
        ``(relation, target synset name)`` pairs in file order, without repeats.
    gloss
        Definition and examples.
    frames
        For verbs, ``(frame number, word number)`` pairs of the generic sentence
        frames. Word number 0 means every word of the synset.
    """

    name: str
    offset: int
    pos: str
    lexname: str
    lemmas: tuple[str, ...]
    relations: tuple[tuple[str, str], ...]
    gloss: str
    frames: tuple[tuple[int, int], ...] = ()


# --- locating the database --------------------------------------------------------


def _nltk_wordnet_dirs() -> list[Path]:
    """Return the NLTK data folders that may hold ``corpora/wordnet``, in NLTK order."""
    roots: list[Path] = []
    for entry in os.environ.get("NLTK_DATA", "").split(os.pathsep):
        if entry:
            roots.append(Path(entry).expanduser())
    roots.append(Path("~/nltk_data").expanduser())
    prefix = Path(sys.prefix)
    roots += [
        prefix / "nltk_data",
        prefix / "share/nltk_data",
        prefix / "lib/nltk_data",
    ]
    roots += [
        Path("/usr/share/nltk_data"),
        Path("/usr/local/share/nltk_data"),
        Path("/usr/lib/nltk_data"),
        Path("/usr/local/lib/nltk_data"),
    ]
    return [root / "corpora" / "wordnet" for root in roots]


def _database_dir(folder: Path) -> Path | None:
    """Return ``folder``, or its ``dict`` subfolder, when it contains ``data.noun``."""
    for candidate in (folder, folder / "dict"):
        if (candidate / "data.noun").is_file():
            return candidate
    return None


def _check_complete(folder: Path) -> Path:
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise SourceNotFoundError(
            f"WordNet database in {folder} is incomplete: {', '.join(missing)} "
            "missing. Reinstall it with `apt-get install --reinstall wordnet-base` or "
            "`python -m nltk.downloader wordnet`."
        )
    return folder


def find_wordnet(path: str | os.PathLike[str] | None = None) -> Path:
    """Locate the folder of the WordNet 3.0 database files.

    The search order is ``path``, the ``SCENEFOLD_WORDNET`` environment variable,
    ``/usr/share/wordnet`` (Debian's ``wordnet-base``), then ``corpora/wordnet`` in
    the NLTK data folders (``$NLTK_DATA``, ``~/nltk_data``, the Python prefix,
    ``/usr/share``, ``/usr/local/share``, ``/usr/lib`` and ``/usr/local/lib``). A
    folder is accepted when it, or its ``dict`` subfolder, contains ``data.noun``.

    Parameters
    ----------
    path
        Folder of the database. When given, or when ``SCENEFOLD_WORDNET`` is set, no
        other place is searched.

    Returns
    -------
    Path
        The folder that contains ``data.noun`` and the other database files.

    Raises
    ------
    SourceNotFoundError
        If no folder is found, if ``path`` or ``SCENEFOLD_WORDNET`` names a folder
        without ``data.noun``, or if the folder found lacks one of
        :data:`REQUIRED_FILES`. The message names the commands that install WordNet.
    """
    explicit = [(path, "the given path"), (os.environ.get(WORDNET_ENV_VAR), None)]
    for location, origin in explicit:
        if location is None or location == "":
            continue
        folder = Path(location).expanduser()
        found = _database_dir(folder)
        if found is not None:
            return _check_complete(found)
        origin = origin or f"the {WORDNET_ENV_VAR} environment variable"
        raise SourceNotFoundError(
            f"WordNet database not found: {folder} (from {origin}) does not contain "
            "data.noun. Give the folder that contains data.noun, index.noun and the "
            "other WNdb files, or install WordNet 3.0 with "
            "`apt-get install wordnet-base` or `python -m nltk.downloader wordnet`."
        )

    searched = [SYSTEM_WORDNET_DIR, *_nltk_wordnet_dirs()]
    for folder in searched:
        found = _database_dir(folder)
        if found is not None:
            return _check_complete(found)

    # NOTE: an NLTK corpus left as wordnet.zip is not read. The error names the
    # archive so that the user can unzip it.
    zips = [folder.with_suffix(".zip") for folder in searched[1:]]
    zipped = [str(archive) for archive in zips if archive.is_file()]
    unzip_hint = (
        f" Found {', '.join(zipped)}: unzip it in its folder." if zipped else ""
    )
    raise SourceNotFoundError(
        "WordNet 3.0 database not found in "
        f"{', '.join(str(folder) for folder in searched)}.{unzip_hint} Install it "
        "with `apt-get install wordnet-base` or `python -m nltk.downloader wordnet`, "
        "or give its folder with --wordnet PATH or the "
        f"{WORDNET_ENV_VAR} environment variable."
    )


# --- reading lines ----------------------------------------------------------------


def _read_lines(path: Path, report: ProblemHandler) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, text)`` of the entry lines of a WNdb file.

    License lines, which start with two spaces, and blank lines are skipped. A line
    that is not valid UTF-8 is reported and skipped.
    """
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            if raw.startswith(b"  ") or not raw.strip():
                continue
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError as error:
                report(ImportProblem(str(path), number, f"invalid UTF-8: {error}"))


def _read_lexnames(root: Path, report: ProblemHandler) -> tuple[str, ...]:
    """Return the lexicographer file names from ``root/lexnames``, or the 3.0 table.

    The ``lexnames`` file (lexnames(5WN)) is not part of every distribution, and
    Debian's ``wordnet-base`` leaves it out.
    """
    path = root / "lexnames"
    if not path.is_file():
        return LEXNAMES
    names: dict[int, str] = {}
    for number, line in _read_lines(path, report):
        fields = line.split()
        if len(fields) != 3 or not fields[0].isdigit():
            report(
                ImportProblem(
                    str(path),
                    number,
                    "expected 3 fields: file number, file name and syntactic category",
                )
            )
            continue
        names[int(fields[0])] = fields[1]
    if not names:
        return LEXNAMES
    return tuple(
        names.get(index, f"lexfile.{index}") for index in range(max(names) + 1)
    )


def _read_index(path: Path, report: ProblemHandler) -> dict[str, list[str]]:
    """Map each lemma of an index file to its synset offsets in sense order."""
    senses: dict[str, list[str]] = {}
    for number, line in _read_lines(path, report):
        fields = line.split()
        # lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt offsets
        try:
            synset_count = int(fields[2])
            pointer_count = int(fields[3])
        except (IndexError, ValueError):
            report(ImportProblem(str(path), number, "invalid synset or pointer count"))
            continue
        expected = 6 + pointer_count + synset_count
        if len(fields) != expected or synset_count < 1:
            report(
                ImportProblem(
                    str(path),
                    number,
                    f"expected {expected} fields for {synset_count} synsets and "
                    f"{pointer_count} pointer symbols, got {len(fields)}",
                )
            )
            continue
        senses[fields[0]] = fields[expected - synset_count :]
    return senses


# --- parsing data lines -----------------------------------------------------------


class _LineError(ValueError):
    """A data line that does not follow wndb(5WN)."""


def _strip_marker(word: str) -> str:
    if word.endswith(")"):
        for marker in _ADJ_MARKERS:
            if word.endswith(marker):
                return word[: -len(marker)]
    return word


def _is_hex(token: str, width: int) -> bool:
    # str.strip(chars) runs in C, and an all-hex token strips to the empty string.
    return len(token) == width and not token.strip(_HEX_DIGITS)


def _is_decimal(token: str, width: int) -> bool:
    return len(token) == width and not token.strip(_DECIMAL_DIGITS)


def _hex(token: str, width: int, field_name: str) -> int:
    if not _is_hex(token, width):
        raise _LineError(f"{field_name} must be {width} hex digits, got {token!r}")
    return int(token, 16)


def _decimal(token: str, width: int, field_name: str) -> int:
    if not _is_decimal(token, width):
        raise _LineError(f"{field_name} must be {width} decimal digits, got {token!r}")
    return int(token)


@dataclass
class _DataLine:
    """The fields of one data line, with pointers not yet resolved to names."""

    offset: str
    lexname: str
    ss_type: str
    lemmas: tuple[str, ...]
    pointers: list[tuple[str, str, str]]
    frames: tuple[tuple[int, int], ...]
    gloss: str


def _parse_data_line(line: str, pos_file: str, lexnames: tuple[str, ...]) -> _DataLine:
    """Parse one data line, raising _LineError on the first field that is invalid.

    Unknown pointer symbols are kept here and reported by the caller.
    """
    head, bar, gloss = line.partition("|")
    if not bar:
        raise _LineError("missing '|' before the gloss")
    fields = head.split()
    if len(fields) < 4:
        raise _LineError(
            f"expected at least 4 fields before the gloss, got {len(fields)}"
        )

    offset = fields[0]
    _decimal(offset, 8, "synset_offset")
    lex_filenum = _decimal(fields[1], 2, "lex_filenum")
    if lex_filenum >= len(lexnames):
        raise _LineError(f"lex_filenum {lex_filenum} has no lexicographer file name")
    ss_type = fields[2]
    if len(ss_type) != 1 or ss_type not in _SS_TYPES[pos_file]:
        raise _LineError(f"ss_type {ss_type!r} does not belong in data.{pos_file}")

    word_count = _hex(fields[3], 2, "w_cnt")
    if word_count == 0:
        raise _LineError("w_cnt is 0, but a synset needs at least one word")
    index = 4 + 2 * word_count
    if len(fields) < index + 1:
        raise _LineError(f"line ends inside the {word_count} words")
    words = fields[4:index:2]
    for lex_id in fields[5:index:2]:
        if not _is_hex(lex_id, 1):
            raise _LineError(f"lex_id must be 1 hex digit, got {lex_id!r}")
    if pos_file == "adj":
        words = [_strip_marker(word) for word in words]

    pointer_count = _decimal(fields[index], 3, "p_cnt")
    index += 1
    end = index + 4 * pointer_count
    if len(fields) < end:
        raise _LineError(f"line ends inside the {pointer_count} pointers")
    pointers: list[tuple[str, str, str]] = []
    # This loop runs 377,592 times for WordNet 3.0, so its checks are inline.
    for start in range(index, end, 4):
        symbol, target, target_pos, source_target = fields[start : start + 4]
        if not _is_decimal(target, 8):
            raise _LineError(
                f"pointer synset_offset must be 8 decimal digits, got {target!r}"
            )
        if target_pos not in _POS_TO_FILE:
            raise _LineError(
                f"pointer pos must be one of n v a s r, got {target_pos!r}"
            )
        if not _is_hex(source_target, 4):
            raise _LineError(
                f"pointer source/target must be 4 hex digits, got {source_target!r}"
            )
        pointers.append((symbol, target, target_pos))
    index = end

    frames: list[tuple[int, int]] = []
    if pos_file == "verb":
        if len(fields) <= index:
            raise _LineError("missing f_cnt of the verb frames")
        frame_count = _decimal(fields[index], 2, "f_cnt")
        index += 1
        end = index + 3 * frame_count
        if len(fields) < end:
            raise _LineError(f"line ends inside the {frame_count} verb frames")
        for start in range(index, end, 3):
            plus, frame, word = fields[start : start + 3]
            if plus != "+":
                raise _LineError(f"expected '+' before a verb frame, got {plus!r}")
            frames.append((_decimal(frame, 2, "f_num"), _hex(word, 2, "w_num")))
        index = end

    if index != len(fields):
        raise _LineError(
            "fields left over after the counted fields: "
            f"{' '.join(fields[index : index + 3])!r}"
        )
    return _DataLine(
        offset=offset,
        lexname=lexnames[lex_filenum],
        ss_type=ss_type,
        lemmas=tuple(words),
        pointers=pointers,
        frames=tuple(frames),
        gloss=gloss.strip(),
    )


# --- naming and reading synsets ---------------------------------------------------


def _name_synsets(
    root: Path, report: ProblemHandler, satellite_ranking: SatelliteRanking
) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """Name every synset from the first word of its data line and the index files.

    Returns
    -------
    names
        Data file suffix to a mapping of 8-digit offset to synset name. A line whose
        first word cannot be read, or whose first lemma does not list the synset in
        the index, gets no name here, and the second pass reports it.
    unnamed
        Data file suffix to a mapping of offset to the reason it has no name.
    """
    names: dict[str, dict[str, str]] = {}
    unnamed: dict[str, dict[str, str]] = {}
    for pos_file in POS_FILES:
        senses = _read_index(root / f"index.{pos_file}", report)
        # (offset, ss_type, first lemma) of each line. The second pass reports the
        # lines that are too short to have them.
        heads: list[tuple[str, str, str]] = []
        for _, line in _read_lines(root / f"data.{pos_file}", _ignore_problem):
            fields = line.split(None, 5)
            if len(fields) < 6:
                continue
            word = _strip_marker(fields[4]) if pos_file == "adj" else fields[4]
            heads.append((fields[0], fields[2], word.lower()))

        satellites: set[str] | None = None
        if pos_file == "adj" and satellite_ranking == "satellites":
            satellites = {offset for offset, ss_type, _ in heads if ss_type == "s"}

        file_names: dict[str, str] = {}
        file_unnamed: dict[str, str] = {}
        for offset, ss_type, lemma in heads:
            offsets = senses.get(lemma)
            if offsets is not None and satellites is not None and ss_type == "s":
                offsets = [other for other in offsets if other in satellites]
            if offsets is None or offset not in offsets:
                file_unnamed[offset] = (
                    f"index.{pos_file} does not list synset {offset} under its first "
                    f"lemma {lemma!r}, so the synset cannot be named"
                )
                continue
            file_names[offset] = f"{lemma}.{ss_type}.{offsets.index(offset) + 1:02d}"
        names[pos_file] = file_names
        unnamed[pos_file] = file_unnamed
    return names, unnamed


def _ignore_problem(problem: ImportProblem) -> None:
    """Drop a problem of the naming pass, because the second pass reports it."""


def read_synsets(
    root: str | os.PathLike[str] | None = None,
    *,
    on_problem: ProblemHandler | None = None,
    satellite_ranking: SatelliteRanking = "adjectives",
) -> Iterator[Synset]:
    """Read every synset of a WordNet database.

    Synsets come in file order: nouns, verbs, adjectives, then adverbs. Two passes
    are made. The first reads the index files and the first word of every data line
    to name all synsets, and the second parses the data lines in full and yields
    them. Only the names are kept in memory between the passes.

    Parameters
    ----------
    root
        Database folder, passed to :func:`find_wordnet`.
    on_problem
        Receives each problem found. The line it names is skipped, except for a
        pointer with an unknown symbol or target, where only the pointer is dropped.
        By default the first problems are logged as warnings and the rest counted.
    satellite_ranking
        How the sense number of a satellite adjective (``s``) is counted in the
        synset list of its first lemma in ``index.adj``. ``"adjectives"`` counts
        every adjective synset in that list, as NLTK releases before July 2025 did (for
        example ``parturient.s.02``). ``"satellites"`` counts only the satellites,
        as NLTK 3.10.4 does (``parturient.s.01``). The two differ for 2,007 of the
        10,693 satellites of WordNet 3.0. Other names do not depend on it.

    Yields
    ------
    Synset
        117,659 synsets for WordNet 3.0.

    Raises
    ------
    SourceNotFoundError
        If the database is not found.
    InvalidArgumentError
        If ``satellite_ranking`` is not one of the two values.
    """
    if satellite_ranking not in ("adjectives", "satellites"):
        raise InvalidArgumentError(
            "satellite_ranking must be 'adjectives' or 'satellites', got "
            f"{satellite_ranking!r}"
        )
    folder = find_wordnet(root)
    return _iter_synsets(folder, on_problem, satellite_ranking)


def _iter_synsets(
    folder: Path,
    on_problem: ProblemHandler | None,
    satellite_ranking: SatelliteRanking,
) -> Iterator[Synset]:
    logger = ProblemLogger()
    report = on_problem if on_problem is not None else logger
    try:
        lexnames = _read_lexnames(folder, report)
        names, unnamed = _name_synsets(folder, report, satellite_ranking)
        for pos_file in POS_FILES:
            yield from _read_data_file(
                folder, pos_file, lexnames, names, unnamed, report
            )
    finally:
        logger.close()


def _read_data_file(
    folder: Path,
    pos_file: str,
    lexnames: tuple[str, ...],
    names: Mapping[str, Mapping[str, str]],
    unnamed: Mapping[str, Mapping[str, str]],
    report: ProblemHandler,
) -> Iterator[Synset]:
    path = folder / f"data.{pos_file}"
    file_name = str(path)
    own_names = names[pos_file]
    for number, line in _read_lines(path, report):
        try:
            entry = _parse_data_line(line, pos_file, lexnames)
        except _LineError as error:
            report(ImportProblem(file_name, number, str(error)))
            continue
        name = own_names.get(entry.offset)
        if name is None:
            reason = unnamed[pos_file].get(entry.offset, "the synset cannot be named")
            report(ImportProblem(file_name, number, reason))
            continue

        relations: dict[tuple[str, str], None] = {}
        for symbol, target, target_pos in entry.pointers:
            relation = POINTER_RELATIONS.get(symbol)
            if relation is None:
                message = f"pointer dropped: unknown pointer symbol {symbol!r}"
                report(ImportProblem(file_name, number, message))
                continue
            target_name = names[_POS_TO_FILE[target_pos]].get(target)
            if target_name is None:
                message = (
                    f"pointer dropped: {symbol} {target} {target_pos} points to no "
                    "named synset"
                )
                report(ImportProblem(file_name, number, message))
                continue
            relations[(relation, target_name)] = None

        yield Synset(
            name=name,
            offset=int(entry.offset),
            pos=entry.ss_type,
            lexname=entry.lexname,
            lemmas=entry.lemmas,
            relations=tuple(relations),
            gloss=entry.gloss,
            frames=entry.frames,
        )


# --- scenes -----------------------------------------------------------------------


class SynsetSceneBuilder:
    """Builder of synset scenes that reuses equal atoms and pairs between scenes.

    Atoms and pairs are immutable, so scenes may share them. Reuse skips their
    construction, which normalises every label, so building many scenes is faster
    than calling :func:`synset_scene` for each. The caches grow with the distinct
    lemmas, synset names and relations seen: 260,946 atoms and 223,845 pairs for all
    of WordNet 3.0 with the NRC lexicon.

    Parameters
    ----------
    emotions
        Word to NRC emotions, as returned by :func:`~scenefold.importers.nrc.load_nrc`,
        or None for scenes without an ``emotion`` register.
    """

    def __init__(self, emotions: Mapping[str, Iterable[str]] | None = None) -> None:
        self.emotions = emotions
        self._atoms: dict[str, Atom] = {}
        self._pairs: dict[tuple[str, str], Bind] = {}

    def _atom(self, label: str) -> Atom:
        atom = self._atoms.get(label)
        if atom is None:
            atom = self._atoms[label] = Atom(label)
        return atom

    def _pair(self, relation: str, target: str) -> Bind:
        key = (relation, target)
        pair = self._pairs.get(key)
        if pair is None:
            pair = self._pairs[key] = Bind(relation, self._atom(target))
        return pair

    def __call__(self, synset: Synset) -> Scene:
        """Build the scene of ``synset``, as described in :func:`synset_scene`."""
        atom = self._atom
        pair = self._pair
        registers: dict[str, frozenset[Item]] = {
            "main": frozenset([atom(lemma.lower()) for lemma in synset.lemmas]),
        }
        # A lexical pointer between two lemmas of one synset becomes a synset-level
        # relation to itself; it says nothing at this level and is left out.
        logic: list[Item] = [
            pair(relation, target)
            for relation, target in synset.relations
            if target != synset.name
        ]
        logic.append(pair("lexname", synset.lexname))
        registers["logic"] = frozenset(logic)
        archetype = ARCHETYPES.get(synset.lexname)
        if archetype is not None:
            registers["archetype"] = frozenset([atom(archetype)])
        if self.emotions:
            found = lookup_emotions(synset.lemmas, self.emotions)
            registers["emotion"] = frozenset([atom(emotion) for emotion in found])
        return Scene(synset.name, registers)


def synset_scene(
    synset: Synset, emotions: Mapping[str, Iterable[str]] | None = None
) -> Scene:
    """Build the scene of a synset.

    The scene is named after the synset and has these registers:

    ``main``
        An atom for each lemma, lower-cased, with underscores for spaces.
    ``logic``
        ``Bind(relation, Atom(target name))`` for each relation, and
        ``Bind("lexname", Atom(lexname))``. Targets are atoms, not refs, because the
        relation graph of WordNet has cycles (hypernym and hyponym point both ways).
    ``archetype``
        The atom of :data:`ARCHETYPES` for the synset's lexicographer file, if any.
    ``emotion``
        The NRC emotions of the lemmas (see
        :func:`~scenefold.importers.nrc.lookup_emotions`), if ``emotions`` is given
        and any lemma has some.

    Parameters
    ----------
    synset
        The synset.
    emotions
        Word to NRC emotions, as returned by :func:`~scenefold.importers.nrc.load_nrc`.

    See Also
    --------
    synset_scenes : builds many scenes faster.
    """
    return SynsetSceneBuilder(emotions)(synset)


def synset_scenes(
    synsets: Iterable[Synset], emotions: Mapping[str, Iterable[str]] | None = None
) -> Iterator[Scene]:
    """Build the scene of each synset, as :func:`synset_scene` does, with shared atoms.

    Examples
    --------
    >>> scenes = synset_scenes(read_synsets(), load_nrc())  # doctest: +SKIP
    """
    build = SynsetSceneBuilder(emotions)
    for synset in synsets:
        yield build(synset)
