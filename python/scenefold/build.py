"""The main job: fold a real lexicon into a persistent store, and measure it back.

:func:`build_wordnet` folds every synset of English WordNet 3.0, with the NRC
emotion lexicon as its emotion register, into a :class:`~scenefold.lexicon.Lexicon`.
It commits in batches and skips the synsets a file already contains, so an import that
was killed resumes where its last batch ended. :func:`evaluate` unfolds stored
symbols and reports the share that reconstructs exactly.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from scenefold.compressor import SceneCompressor, slot_rows
from scenefold.expander import SceneExpander
from scenefold.importers import (
    ImportProblem,
    SynsetSceneBuilder,
    find_wordnet,
    load_nrc,
    read_synsets,
)
from scenefold.lexicon import Lexicon
from scenefold.symbol import PARTS_REGISTER
from scenefold.vocabulary import Vocabulary

#: Source name of WordNet symbols in a lexicon.
WORDNET_SOURCE = "wordnet"

#: Synsets in WordNet 3.0, the total progress is reported against.
WORDNET_SYNSETS = 117_659

_POS_ORDER = {"n": 0, "v": 1, "a": 2, "s": 2, "r": 3}

#: Called with (synsets done, synsets expected) as an import goes on.
Progress = Callable[[int, int], None]


@dataclass
class BuildReport:
    """Counts and timing of one import."""

    source: str
    read: int = 0
    folded: int = 0
    skipped: int = 0
    split: int = 0
    parts: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    problem_count: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Synsets folded per second."""
        return self.folded / self.seconds if self.seconds > 0 else 0.0


def _sense_rank(name: str, lemma: str) -> int:
    """Rank a synset among a word's senses: part of speech, then sense number."""
    word, pos, number = name.rsplit(".", 2)
    rank = _POS_ORDER.get(pos, 4) * 1000
    if word == lemma and number.isdigit():
        return rank + int(number)
    return rank + 999


def build_wordnet(
    lexicon: Lexicon,
    wordnet: str | os.PathLike[str] | None = None,
    nrc: str | os.PathLike[str] | None = None,
    *,
    emotions: bool = True,
    batch_size: int = 2000,
    limit: int | None = None,
    progress: Progress | None = None,
) -> BuildReport:
    """Fold every synset of WordNet 3.0 into ``lexicon``.

    Parameters
    ----------
    lexicon
        The store to write into; synsets it already contains are skipped.
    wordnet, nrc
        Paths of the sources; found where their packages install them when omitted.
    emotions
        False builds without the NRC emotion register.
    batch_size
        Synsets per transaction: a kill loses at most one batch of work.
    limit
        Fold at most this many synsets, for trials.
    progress
        Called after every batch with (synsets done, synsets expected).
    """
    started = time.perf_counter()
    report = BuildReport(WORDNET_SOURCE)
    root = find_wordnet(wordnet)
    emotion_lexicon = load_nrc(nrc) if emotions else None
    done = set(lexicon.names(WORDNET_SOURCE))
    report.skipped = len(done)

    def note_problem(problem: ImportProblem) -> None:
        report.problem_count += 1
        if len(report.problems) < 100:
            report.problems.append(problem)

    compressor = SceneCompressor(lexicon.space, Vocabulary(lexicon.space))
    build_scene = SynsetSceneBuilder(emotion_lexicon)
    batch: list = []
    slots: set[tuple[str, str, str]] = set()
    senses: list[tuple[str, str, int]] = []
    lexicon.set_import(WORDNET_SOURCE, "running", len(done), 0, {})

    def flush() -> None:
        lexicon.write(
            batch,
            WORDNET_SOURCE,
            slots=sorted(slots),
            senses=senses,
            progress=(report.skipped + report.folded, report.problem_count),
        )
        batch.clear()
        slots.clear()
        senses.clear()
        compressor.vocabulary = Vocabulary(lexicon.space)
        if progress is not None:
            progress(report.skipped + report.folded, WORDNET_SYNSETS)

    for synset in read_synsets(root, on_problem=note_problem):
        report.read += 1
        if synset.name in done:
            continue
        if limit is not None and report.folded >= limit:
            break
        scene = build_scene(synset)
        pieces = compressor.fold_pieces(scene)
        if len(pieces) > 1:
            report.split += 1
            report.parts += len(pieces) - 1
        for symbol, encoded in pieces[:-1]:
            batch.append((symbol, encoded, False))
        batch.append((pieces[-1][0], scene, True))
        for _, encoded in pieces:
            slots.update(slot_rows(encoded))
        for lemma in synset.lemmas:
            word = lemma.lower()
            senses.append((word, synset.name, _sense_rank(synset.name, word)))
        report.folded += 1
        if report.folded % batch_size == 0:
            flush()
    flush()
    report.seconds = time.perf_counter() - started
    total = report.skipped + report.folded
    state = "done" if limit is None or report.folded < limit else "partial"
    lexicon.set_import(
        WORDNET_SOURCE,
        state,
        total,
        report.problem_count,
        {"seconds": round(report.seconds, 2), "split": report.split},
    )
    return report


@dataclass
class EvalReport:
    """Counts, margins and timing of one evaluation."""

    evaluated: int = 0
    exact: int = 0
    equal: int = 0
    margin_sum: float = 0.0
    rounds_sum: int = 0
    failures: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def exact_share(self) -> float:
        """Share of symbols that unfolded exactly and equal to their stored scene."""
        return self.equal / self.evaluated if self.evaluated else 0.0

    @property
    def mean_margin(self) -> float:
        """Mean over symbols of the smallest margin of any item found."""
        return self.margin_sum / self.evaluated if self.evaluated else 0.0

    @property
    def rate(self) -> float:
        """Symbols unfolded per second."""
        return self.evaluated / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict:
        """Return the report as JSON-compatible data."""
        return {
            "evaluated": self.evaluated,
            "exact": self.exact,
            "exact_and_equal": self.equal,
            "exact_share": self.exact_share,
            "mean_min_margin": self.mean_margin,
            "mean_rounds": self.rounds_sum / self.evaluated if self.evaluated else 0.0,
            "failures": dict(self.failures),
            "failure_examples": self.examples,
            "seconds": self.seconds,
            "symbols_per_second": self.rate,
        }


def _failure_cause(reasons: list[str]) -> str:
    text = " ".join(reasons)
    if "below the anchor threshold" in text:
        return "weak anchor"
    if "found " in text and " of " in text:
        return "missing items"
    if "checksum" in text:
        return "checksum mismatch"
    if "re-folding" in text:
        return "re-fold mismatch"
    if "part" in text:
        return "part not exact"
    return "other"


def evaluate(
    lexicon: Lexicon,
    *,
    sample: int | None = None,
    seed: int = 0,
    source: str | None = WORDNET_SOURCE,
    progress: Progress | None = None,
) -> EvalReport:
    """Unfold stored symbols and count those that reconstruct their scene exactly.

    Parameters
    ----------
    sample
        Unfold this many symbols drawn at random (with ``seed``); all when omitted.
    source
        Only symbols of this source; every source when None.
    progress
        Called every 500 symbols with (symbols done, symbols to do).
    """
    names = lexicon.names(source)
    if sample is not None and sample < len(names):
        names = sorted(random.Random(seed).sample(names, sample))
    expander = SceneExpander(vocabulary=lexicon.vocabulary())
    report = EvalReport()
    started = time.perf_counter()
    for i, name in enumerate(names):
        stored = lexicon.get(name)
        unfolding = expander.unfold(stored.symbol, depth=0)
        truth = lexicon.scene(name)
        report.evaluated += 1
        report.exact += unfolding.exact
        report.rounds_sum += unfolding.rounds
        margins = [f.margin for f in unfolding.found if f.register != PARTS_REGISTER]
        report.margin_sum += min(margins, default=0.0)
        if unfolding.exact and unfolding.scene == truth:
            report.equal += 1
        else:
            cause = (
                _failure_cause(unfolding.reasons)
                if not unfolding.exact
                else "exact but different scene"
            )
            report.failures[cause] += 1
            report.examples.setdefault(cause, name)
        if progress is not None and (i + 1) % 500 == 0 and i + 1 < len(names):
            progress(i + 1, len(names))
    report.seconds = time.perf_counter() - started
    if progress is not None:
        progress(len(names), len(names))
    return report
