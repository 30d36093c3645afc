"""Importers of lexical resources into scenes: WordNet 3.0 and the NRC lexicon.

:mod:`scenefold.importers.wordnet` reads the WordNet database files and builds one
scene per synset. :mod:`scenefold.importers.nrc` reads the NRC word-emotion lexicon
that fills the ``emotion`` register of those scenes.
"""

from __future__ import annotations

from scenefold.importers._common import (
    ImportProblem,
    ProblemHandler,
    ProblemLogger,
    SourceNotFoundError,
)
from scenefold.importers.nrc import NRC_EMOTIONS, find_nrc, load_nrc, lookup_emotions
from scenefold.importers.wordnet import (
    ARCHETYPES,
    LEXNAMES,
    POINTER_RELATIONS,
    SatelliteRanking,
    Synset,
    SynsetSceneBuilder,
    find_wordnet,
    read_synsets,
    synset_scene,
    synset_scenes,
)

__all__ = [
    "ARCHETYPES",
    "LEXNAMES",
    "NRC_EMOTIONS",
    "POINTER_RELATIONS",
    "ImportProblem",
    "ProblemHandler",
    "ProblemLogger",
    "SatelliteRanking",
    "SourceNotFoundError",
    "Synset",
    "SynsetSceneBuilder",
    "find_nrc",
    "find_wordnet",
    "load_nrc",
    "lookup_emotions",
    "read_synsets",
    "synset_scene",
    "synset_scenes",
]
