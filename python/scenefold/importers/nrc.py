"""Reader of the NRC Word-Emotion Association Lexicon (Mohammad and Turney).

The lexicon maps English words to the eight basic emotions of Plutchik's wheel and to
two sentiments. :func:`load_nrc` reads either the JSON file bundled with the ``nrclex``
package on PyPI (word to list of emotions) or the original word-level text file of
the NRC distribution (``word<TAB>emotion<TAB>0|1``, one line per word and emotion).
The ``nrclex`` package is located on disk but never imported, because importing it
also imports TextBlob.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from scenefold.errors import FormatError
from scenefold.importers._common import (
    ImportProblem,
    ProblemHandler,
    ProblemLogger,
    SourceNotFoundError,
)

#: The ten NRC categories: Plutchik's eight emotions, then the two sentiments.
NRC_EMOTIONS: tuple[str, ...] = (
    "anger",
    "anticipation",
    "disgust",
    "fear",
    "joy",
    "sadness",
    "surprise",
    "trust",
    "positive",
    "negative",
)

#: Environment variable that names the lexicon file when no path is given.
NRC_ENV_VAR = "SCENEFOLD_NRC"

_EMOTION_SET = frozenset(NRC_EMOTIONS)

# nrclex 4.x ships the lexicon in nrclex/data/, and older releases in the package
# folder itself.
_BUNDLED_FILES = ("data/nrc_en.json", "nrc_en.json")


def find_nrc(path: str | os.PathLike[str] | None = None) -> Path:
    """Locate the NRC lexicon file.

    Parameters
    ----------
    path
        A lexicon file, in the JSON or the text format. When it is None, the
        ``SCENEFOLD_NRC`` environment variable is used, and then the JSON file of an
        installed ``nrclex`` package.

    Returns
    -------
    Path
        The lexicon file.

    Raises
    ------
    SourceNotFoundError
        If ``path`` or ``SCENEFOLD_NRC`` names a missing file, or if neither is given
        and ``nrclex`` is not installed.
    """
    for location, origin in (
        (path, "the given path"),
        (os.environ.get(NRC_ENV_VAR), None),
    ):
        if location is None or location == "":
            continue
        candidate = Path(location).expanduser()
        if candidate.is_file():
            return candidate
        origin = origin or f"the {NRC_ENV_VAR} environment variable"
        raise SourceNotFoundError(
            f"NRC emotion lexicon not found: {candidate} (from {origin}) is not a "
            "file. Give the path of nrc_en.json or of the NRC word-level text file, "
            "or leave the path out to use the lexicon of `pip install nrclex`."
        )

    package_dir = _nrclex_package_dir()
    if package_dir is not None:
        for relative in _BUNDLED_FILES:
            candidate = package_dir / relative
            if candidate.is_file():
                return candidate
        raise SourceNotFoundError(
            f"NRC emotion lexicon not found: the nrclex package at {package_dir} has "
            f"none of {', '.join(_BUNDLED_FILES)}. Reinstall it with "
            "`pip install --force-reinstall nrclex`, or give the lexicon file with "
            f"--nrc PATH or the {NRC_ENV_VAR} environment variable."
        )
    raise SourceNotFoundError(
        "NRC emotion lexicon not found: the nrclex package is not installed. Install "
        "it with `pip install nrclex`, or give the lexicon file (nrc_en.json or the NRC "
        f"word-level text file) with --nrc PATH or the {NRC_ENV_VAR} environment "
        "variable."
    )


def _nrclex_package_dir() -> Path | None:
    """Return the folder of the installed ``nrclex`` package without importing it."""
    try:
        spec = importlib.util.find_spec("nrclex")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def load_nrc(
    path: str | os.PathLike[str] | None = None,
    *,
    on_problem: ProblemHandler | None = None,
) -> dict[str, frozenset[str]]:
    """Read the NRC lexicon into a word-to-emotions mapping.

    Parameters
    ----------
    path
        The lexicon file, located by :func:`find_nrc` when None. A file whose first
        non-blank character is ``{`` is read as JSON (word to list of emotions), any
        other file as the NRC word-level text format.
    on_problem
        Receives each malformed line of a text-format file, which is then skipped.
        By default the first problems are logged as warnings.

    Returns
    -------
    dict[str, frozenset[str]]
        Each word with at least one associated emotion, mapped to its emotions from
        :data:`NRC_EMOTIONS`. Words of the text format whose ten flags are all 0 are
        left out, as they are in the JSON file.

    Raises
    ------
    SourceNotFoundError
        If no lexicon file is found.
    FormatError
        If a JSON file is not an object of words to lists of known emotions.
    """
    source = find_nrc(path)
    text = source.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        return _parse_json(text, source)

    logger = ProblemLogger()
    try:
        return _parse_text(
            text, source, on_problem if on_problem is not None else logger
        )
    finally:
        logger.close()


def _parse_json(text: str, source: Path) -> dict[str, frozenset[str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise FormatError(f"{source}: invalid JSON: {error}") from error
    if not isinstance(data, dict):
        raise FormatError(
            f"{source}: expected a JSON object of words to emotion lists, got "
            f"{type(data).__name__}"
        )

    lexicon: dict[str, frozenset[str]] = {}
    for word, emotions in data.items():
        if not isinstance(emotions, list) or not all(
            isinstance(emotion, str) for emotion in emotions
        ):
            raise FormatError(
                f"{source}: the emotions of {word!r} must be a list of strings, got "
                f"{emotions!r}"
            )
        unknown = set(emotions) - _EMOTION_SET
        if unknown:
            raise FormatError(
                f"{source}: {word!r} has unknown emotions {sorted(unknown)}, expected "
                f"names among {', '.join(NRC_EMOTIONS)}"
            )
        if emotions:
            lexicon[word] = frozenset(emotions)
    return lexicon


def _parse_text(
    text: str, source: Path, report: ProblemHandler
) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            report(
                ImportProblem(
                    str(source),
                    number,
                    f"expected 3 tab-separated fields (word, emotion, 0 or 1), "
                    f"got {len(fields)}",
                )
            )
            continue
        word, emotion, flag = (field.strip() for field in fields)
        if emotion not in _EMOTION_SET:
            report(ImportProblem(str(source), number, f"unknown emotion {emotion!r}"))
            continue
        if flag not in ("0", "1"):
            report(
                ImportProblem(
                    str(source),
                    number,
                    f"association flag must be 0 or 1, got {flag!r}",
                )
            )
            continue
        if not word:
            report(ImportProblem(str(source), number, "empty word"))
            continue
        if flag == "1":
            found.setdefault(word, set()).add(emotion)
    return {word: frozenset(emotions) for word, emotions in found.items()}


def lookup_emotions(
    words: Iterable[str], lexicon: Mapping[str, Iterable[str]]
) -> frozenset[str]:
    """Return the union of the NRC emotions of ``words``.

    Each word is looked up as written, then lower-cased, then lower-cased with
    underscores replaced by spaces. The first form found in ``lexicon`` counts, and a
    word found in no form adds nothing.
    """
    emotions: set[str] = set()
    for word in words:
        hit = lexicon.get(word)
        if hit is None:
            lower = word.lower()
            hit = lexicon.get(lower)
            if hit is None and "_" in lower:
                hit = lexicon.get(lower.replace("_", " "))
        if hit is not None:
            emotions.update(hit)
    return frozenset(emotions)
