"""scenefold: fold scenes of meaning into hypervector symbols and unfold them back.

The algebra lives in the compiled core: :class:`Space` (atoms, bind, permute, bundle,
similarity), :class:`Accumulator` (exact integer bundles) and :class:`Codebook`
(labelled rows with top-k search and anchor filtering). On top of it,
:class:`SceneCompressor` folds a :class:`Scene` into a :class:`Symbol`,
:class:`SceneExpander` unfolds it back, :class:`FlowGate` sizes scenes against the
capacity of one vector and :class:`StackManager` moves between levels of detail.
"""

from scenefold._core import (
    Accumulator,
    Anchor,
    Codebook,
    Space,
    __version__,
    get_num_threads,
    set_num_threads,
    simd_level,
)
from scenefold.compressor import SceneCompressor
from scenefold.errors import ScenefoldError
from scenefold.expander import Found, SceneExpander, Unfolding
from scenefold.flowgate import FlowGate, Mode, capacity, retrieval_accuracy
from scenefold.formula import parse, parse_scene, to_formula
from scenefold.render import LEVELS, render
from scenefold.resonator import Resonator, ResonatorBatch, ResonatorResult, ResonatorTerm
from scenefold.scene import Atom, Bind, Ref, Scene, Seq
from scenefold.stack import StackManager
from scenefold.symbol import Metacode, Symbol
from scenefold.vocabulary import Vocabulary

__all__ = [
    "LEVELS",
    "Accumulator",
    "Anchor",
    "Atom",
    "Bind",
    "Codebook",
    "FlowGate",
    "Found",
    "Metacode",
    "Mode",
    "Ref",
    "Resonator",
    "ResonatorBatch",
    "ResonatorResult",
    "ResonatorTerm",
    "Scene",
    "SceneCompressor",
    "SceneExpander",
    "ScenefoldError",
    "Seq",
    "Space",
    "StackManager",
    "Symbol",
    "Unfolding",
    "Vocabulary",
    "capacity",
    "parse",
    "parse_scene",
    "render",
    "retrieval_accuracy",
    "to_formula",
    "__version__",
    "get_num_threads",
    "set_num_threads",
    "simd_level",
]
