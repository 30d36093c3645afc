"""SceneCompressor: scene → symbol.

Every item of a scene becomes one or more bound terms, and the symbol is the
majority-thresholded sum of the terms. For register ``r`` with key vector ``R`` and a
slot key with vector ``K`` (zeros for plain items):

=================  =====================================  ==========================
item               term(s)                                slot key
=================  =====================================  ==========================
atom ``a``         ``R ^ atom(a)``                        ``""``
ref ``@s``         ``R ^ atom(#ref) ^ permute(bits(s), 1)``  ``#ref``
pair ``role * f``  ``R ^ atom(role) ^ permute(f, 1)``     ``role``
``seq(x0, x1..)``  ``R ^ atom(#seq:j:i) ^ permute(xi, 1)``  ``#seq:j:i`` for the j-th
                                                          sequence, position i
=================  =====================================  ==========================

The rotation of the filler makes a pair directed: ``cause * wind`` and
``wind * cause`` are different vectors although XOR binding commutes. It also keeps
register keys from cancelling through nested references: without it, the symbol of
``outer = logic: @inner`` with ``inner = logic: x`` would be ``R ^ R ^ x = x``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from scenefold._core import Space
from scenefold.errors import CapacityError, UnknownSymbolError
from scenefold.flowgate import FlowGate
from scenefold.formula import parse, to_formula, topological_order
from scenefold.scene import Atom, Bind, Ref, Scene, Seq, item_sort_key
from scenefold.symbol import PARTS_REGISTER, Metacode, Symbol, formula_checksum
from scenefold.vocabulary import REF_KEY, Vocabulary, seq_key


@dataclass(frozen=True)
class Term:
    """One bound term of a folded scene: which slot it fills and with what."""

    register: str
    key: str
    shift: int
    filler: Atom | Ref


def scene_terms(scene: Scene) -> list[Term]:
    """Return the terms of a scene in canonical order."""
    terms: list[Term] = []
    for register, items in scene.registers.items():
        sequence = 0
        for item in sorted(items, key=item_sort_key):
            if isinstance(item, Atom):
                terms.append(Term(register, "", 0, item))
            elif isinstance(item, Ref):
                terms.append(Term(register, REF_KEY, 1, item))
            elif isinstance(item, Bind):
                terms.append(Term(register, item.role, 1, item.filler))
            elif isinstance(item, Seq):
                for position, filler in enumerate(item.items):
                    terms.append(Term(register, seq_key(sequence, position), 1, filler))
                sequence += 1
    return terms


def slot_rows(scene: Scene) -> set[tuple[str, str, str]]:
    """Return the ``(register, slot key, row label)`` candidates of a folded scene's slots."""
    from scenefold.vocabulary import Vocabulary

    return {
        (t.register, t.key, Vocabulary.row_label(t.filler)) for t in scene_terms(scene)
    }


def term_vectors(vocabulary: Vocabulary, terms: list[Term]) -> np.ndarray:
    """Return the ``(len(terms), n_words)`` bound vectors of ``terms``."""
    space = vocabulary.space
    if not terms:
        return space.zeros(0)
    keys = np.stack([vocabulary.slot_vector(t.register, t.key) for t in terms])
    fillers = np.stack([vocabulary.filler_vector(t.filler) for t in terms])
    return space.bind_permuted(keys, fillers, [t.shift for t in terms])


def bundle_bits(
    vocabulary: Vocabulary, terms: list[Term], name: str | None = None
) -> np.ndarray:
    """Return the majority-thresholded bundle of the terms' vectors.

    Zero counts, which only an even number of terms leaves, take their bits from the
    XOR of all the terms rotated by one bit. It depends on the scene alone, so two
    scenes never share the bits of a common tie-break. The rotation matters: at a
    tied position of two terms their XOR is always 1, while the XOR of the previous
    position is as good as random. With no terms the bits are the atom of
    ``"#empty:" + name``, or the space's tie-break vector when no name is given.
    """
    space = vocabulary.space
    if not terms:
        # An empty scene is the atom of its name, so two empty scenes differ.
        return space.tie_break() if name is None else space.atom("#empty:" + name)
    vectors = term_vectors(vocabulary, terms)
    tie_break = space.permute(np.bitwise_xor.reduce(vectors, axis=0), 1)
    return space.bundle(vectors, tie_break=tie_break)


def canonical_text(scene: Scene) -> str:
    """Return the text a symbol's checksum covers: the canonical formula, or for a
    scene that only refers to the parts of a split scene, those part names."""
    if set(scene.registers) == {PARTS_REGISTER}:
        names = sorted(ref.name for ref in scene.registers[PARTS_REGISTER])
        return PARTS_REGISTER + ": " + " + ".join("@" + name for name in names)
    return to_formula(scene)


class SceneCompressor:
    """Folds scenes into symbols and registers them in a shared vocabulary.

    Parameters
    ----------
    space
        The space to fold in; ``Space()`` (8192 bits, seed 0) when omitted.
    vocabulary
        Labels and symbols shared with a :class:`~scenefold.SceneExpander`; a new
        in-memory one when omitted.
    gate
        The capacity policy; a :class:`~scenefold.FlowGate` of the space when omitted.

    Examples
    --------
    >>> from scenefold import Scene, SceneCompressor
    >>> compressor = SceneCompressor()
    >>> symbol = compressor.fold_formula("⟁ = боль * движение")["⟁"]
    >>> symbol.metacode.slots
    {'main': {'боль': 1}}
    """

    def __init__(
        self,
        space: Space | None = None,
        vocabulary: Vocabulary | None = None,
        gate: FlowGate | None = None,
    ) -> None:
        if vocabulary is not None:
            space = vocabulary.space if space is None else space
            if space != vocabulary.space:
                raise ValueError(
                    f"the vocabulary is of {vocabulary.space!r}, not of {space!r}"
                )
        self.space = space if space is not None else Space()
        self.vocabulary = vocabulary if vocabulary is not None else Vocabulary(self.space)
        self.gate = gate if gate is not None else FlowGate(self.space)

    def fold(self, scene: Scene, *, split: bool = True) -> Symbol:
        """Fold a scene into a symbol and register it in the vocabulary.

        A scene beyond the capacity of one vector is split by the flow gate into part
        symbols that the returned symbol refers to, unless ``split`` is false, which
        raises ``CapacityError`` instead. Every sub-scene the scene refers to must be
        folded already.
        """
        return self.fold_pieces(scene, split=split)[-1][0]

    def fold_pieces(
        self, scene: Scene, *, split: bool = True
    ) -> list[tuple[Symbol, Scene]]:
        """Fold a scene like :meth:`fold`; return every symbol folded, with the scene
        each one encodes, the scene's own symbol last.

        A scene within capacity gives one pair. A split scene gives its parts first,
        then the symbols that refer to them in the register ``"#parts"``.
        """
        self._check_refs(scene)
        if self.gate.fits(scene):
            return [(self._fold_one(scene), scene)]
        if not split:
            raise CapacityError(
                f"scene {scene.name!r} has more items than one vector of dim "
                f"{self.space.dim} holds ({self.gate.capacity}); fold it with "
                "split=True or use a larger dim"
            )
        pieces = self.gate.split(scene)
        folded = [(self._fold_one(piece), piece) for piece in pieces[:-1]]
        folded.append((self._fold_one(pieces[-1], original=scene), pieces[-1]))
        return folded

    def fold_many(self, scenes: Iterable[Scene]) -> dict[str, Symbol]:
        """Fold scenes that may refer to each other, sub-scenes first."""
        by_name = {scene.name: scene for scene in scenes}
        return {name: self.fold(by_name[name]) for name in topological_order(by_name)}

    def fold_formula(self, text: str) -> dict[str, Symbol]:
        """Parse formula text and fold every scene it defines, in dependency order."""
        scenes = parse(text, known=self.vocabulary.symbols.keys())
        return self.fold_many(scenes.values())

    def encode(self, scene: Scene) -> np.ndarray:
        """Return the bits of a scene without registering anything."""
        return bundle_bits(self.vocabulary, scene_terms(scene), scene.name)

    def _check_refs(self, scene: Scene) -> None:
        missing = sorted(name for name in scene.refs() if name not in self.vocabulary)
        if missing:
            raise UnknownSymbolError(
                f"scene {scene.name!r} refers to {', '.join(map(repr, missing))}, "
                "which is not folded yet; fold those scenes first or define them in "
                "the same formula text"
            )

    def _fold_one(self, scene: Scene, original: Scene | None = None) -> Symbol:
        terms = scene_terms(scene)
        self.vocabulary.add_labels(
            t.filler.label for t in terms if isinstance(t.filler, Atom)
        )
        self.vocabulary.note_structure(scene)
        bits = bundle_bits(self.vocabulary, terms, scene.name)
        metacode = self._metacode(scene, terms, original)
        symbol = Symbol(name=scene.name, bits=bits, metacode=metacode)
        self.vocabulary.add_symbol(symbol, original if original is not None else scene)
        slots: dict[tuple[str, str], list[str]] = {}
        for term in terms:
            slots.setdefault((term.register, term.key), []).append(
                self.vocabulary.row_label(term.filler)
            )
        for (register, key), labels in slots.items():
            self.vocabulary.note_slot(register, key, labels)
        return symbol

    def _metacode(
        self, scene: Scene, terms: list[Term], original: Scene | None
    ) -> Metacode:
        slots: dict[str, dict[str, int]] = {}
        for term in terms:
            register = slots.setdefault(term.register, {})
            register[term.key] = register.get(term.key, 0) + 1
        sequences = {
            register: tuple(
                len(item.items)
                for item in sorted(items, key=item_sort_key)
                if isinstance(item, Seq)
            )
            for register, items in scene.registers.items()
        }
        sequences = {k: v for k, v in sequences.items() if v}
        parts = tuple(sorted(x.name for x in scene.registers.get(PARTS_REGISTER, ())))
        # The parts of a split scene are not sub-scenes: they do not add a level.
        depth = (0 if parts else 1) + max(
            (self.vocabulary.symbol(name).metacode.depth for name in scene.refs()),
            default=0,
        )
        checksum = formula_checksum(canonical_text(original if original else scene))
        return Metacode(
            model=self.space.model,
            dim=self.space.dim,
            seed=self.space.seed,
            slots=slots,
            sequences=sequences,
            depth=depth,
            checksum=checksum,
            parts=parts,
        )
