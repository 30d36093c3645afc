"""The scene model: registers of atoms, role–filler pairs, sequences and sub-scenes.

A :class:`Scene` is immutable and hashable. Its registers are sets: the order in which
items were written does not matter, and two scenes are equal when they have the same
name and the same items in each register. Labels and names are NFC-normalised on
construction, so a label typed with combining marks equals its precomposed form.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

#: Register of the items written without a ``register:`` prefix.
DEFAULT_REGISTER = "main"

#: Registers that every vocabulary contains. A scene may also use registers of its own.
STANDARD_REGISTERS = ("main", "logic", "emotion", "archetype")


def normalize_label(label: str) -> str:
    """Return ``label`` in Unicode normal form C, the form atoms are derived from."""
    if not isinstance(label, str):
        raise TypeError(f"a label must be a str, got {type(label).__name__}: {label!r}")
    return unicodedata.normalize("NFC", label)


@dataclass(frozen=True, order=True)
class Atom:
    """A named random hypervector, derived from the space seed and its label."""

    label: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", normalize_label(self.label))


@dataclass(frozen=True, order=True)
class Ref:
    """A reference to another named scene, which becomes a sub-scene when unfolded."""

    name: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", normalize_label(self.name))


#: What a role–filler pair or a sequence position may hold.
Filler = Atom | Ref


@dataclass(frozen=True, order=True)
class Bind:
    """A directed role–filler pair, ``role * filler``; never equal to its reverse."""

    role: str
    filler: Filler

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", normalize_label(self.role))
        if not isinstance(self.filler, (Atom, Ref)):
            raise TypeError(
                f"a filler must be an Atom or a Ref, got {type(self.filler).__name__}"
            )


@dataclass(frozen=True, order=True)
class Seq:
    """An ordered sequence; position ``i`` is encoded by the ``i``-th permutation."""

    items: tuple[Filler, ...]

    def __post_init__(self) -> None:
        items = tuple(self.items)
        if not items:
            raise ValueError("a sequence needs at least one item, got seq()")
        for item in items:
            if not isinstance(item, (Atom, Ref)):
                raise TypeError(
                    f"a sequence item must be an Atom or a Ref, got {type(item).__name__}"
                )
        object.__setattr__(self, "items", items)


#: Anything a register can contain.
Item = Atom | Ref | Bind | Seq


def _filler_key(filler: Atom | Ref) -> tuple[int, str]:
    if isinstance(filler, Atom):
        return (0, filler.label)
    return (1, filler.name)


def item_sort_key(item: Item) -> tuple:
    """Return the canonical sort key of an item: atoms, refs, pairs, then sequences,
    each by label; the order of printing, folding and sequence numbering."""
    if isinstance(item, Atom):
        return (0, item.label)
    if isinstance(item, Ref):
        return (1, item.name)
    if isinstance(item, Bind):
        return (2, item.role, _filler_key(item.filler))
    return (3, tuple(_filler_key(x) for x in item.items))


_item_sort_key = item_sort_key


@dataclass(frozen=True)
class Scene:
    """A named tree of meaning: registers that contain items.

    Parameters
    ----------
    name
        The scene's name, which its folded symbol carries.
    registers
        Register name to items. Items may be given in any order and empty registers
        are dropped; each register is stored as a frozenset.
    """

    name: str
    registers: Mapping[str, frozenset[Item]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", normalize_label(self.name))
        cleaned: dict[str, frozenset[Item]] = {}
        for register, items in dict(self.registers).items():
            register = normalize_label(register)
            frozen = frozenset(items)
            for item in frozen:
                if not isinstance(item, (Atom, Ref, Bind, Seq)):
                    raise TypeError(
                        f"register {register!r} contains {item!r}, which is not an "
                        "Atom, Ref, Bind or Seq"
                    )
            if frozen:
                # Two names may become one register after normalisation: merge them.
                cleaned[register] = cleaned.get(register, frozenset()) | frozen
        ordered = {name: cleaned[name] for name in sorted(cleaned)}
        object.__setattr__(self, "registers", ordered)

    def __hash__(self) -> int:
        return hash((self.name, tuple(self.registers.items())))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scene):
            return NotImplemented
        return self.name == other.name and self.registers == other.registers

    @classmethod
    def of(cls, name: str, items: Iterable[Item] = (), **registers: Iterable[Item]) -> Scene:
        """Build a scene from items of the default register and named registers."""
        regs: dict[str, set[Item]] = {}
        if items:
            regs[DEFAULT_REGISTER] = set(items)
        for register, register_items in registers.items():
            regs.setdefault(register, set()).update(register_items)
        return cls(name, {k: frozenset(v) for k, v in regs.items()})

    def to_formula(self) -> str:
        """Return the canonical formula of this scene, one line ``name = …``."""
        from .formula import to_formula

        return to_formula(self)

    @classmethod
    def from_formula(cls, text: str, known: Collection[str] = ()) -> Scene:
        """Parse text that contains exactly one definition into its scene.

        ``known`` names scenes defined elsewhere, so a filler with one of those names
        becomes a :class:`Ref`. See :func:`scenefold.formula.parse_scene`.
        """
        from .formula import parse_scene

        return parse_scene(text, known)

    def items(self, register: str | None = None) -> list[Item]:
        """Return the items of one register, or of all, in canonical order."""
        if register is not None:
            return sorted(self.registers.get(register, ()), key=_item_sort_key)
        out: list[Item] = []
        for name in self.registers:
            out.extend(sorted(self.registers[name], key=_item_sort_key))
        return out

    def refs(self) -> set[str]:
        """Return the names of the scenes this scene refers to directly."""
        names: set[str] = set()
        for items in self.registers.values():
            for item in items:
                if isinstance(item, Ref):
                    names.add(item.name)
                elif isinstance(item, Bind) and isinstance(item.filler, Ref):
                    names.add(item.filler.name)
                elif isinstance(item, Seq):
                    names.update(x.name for x in item.items if isinstance(x, Ref))
        return names

    def __len__(self) -> int:
        """Return the number of items over all registers; a sequence counts once."""
        return sum(len(items) for items in self.registers.values())
