"""scenefold: fold scenes of meaning into hypervector symbols and unfold them back.

The algebra lives in the compiled core: :class:`Space` (atoms, bind, permute, bundle,
similarity), :class:`Accumulator` (exact integer bundles) and :class:`Codebook`
(labelled rows with top-k search and anchor filtering).
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
from scenefold.errors import ScenefoldError
from scenefold.scene import Atom, Bind, Ref, Scene, Seq

__all__ = [
    "Accumulator",
    "Anchor",
    "Atom",
    "Bind",
    "Codebook",
    "Ref",
    "Scene",
    "ScenefoldError",
    "Seq",
    "Space",
    "__version__",
    "get_num_threads",
    "set_num_threads",
    "simd_level",
]
