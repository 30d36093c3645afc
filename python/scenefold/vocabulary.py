"""The vocabulary shared by folding and unfolding: labels, roles and named symbols.

Atoms are never stored: the vocabulary keeps their labels and derives their vectors
from the space. Every atom label and every folded symbol is a row of one
:class:`~scenefold.Codebook`, the set of candidates an unfolding can find; a symbol's
row is labelled ``"#sym:" + name`` so that an atom and a scene may share a name.

The vocabulary also records which candidates each slot (a register and a slot key)
has held, and keeps a codebook per slot of just those rows. A slot's fillers are of
one kind (lemmas, hypernyms, emotions), so reading a slot from its own codebook
searches far fewer rows than the whole vocabulary, and the false-anchor threshold
is set for that smaller size.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from scenefold._core import Codebook, Space
from scenefold.errors import DuplicateDefinitionError, UnknownSymbolError
from scenefold.scene import STANDARD_REGISTERS, Atom, Ref, Scene, item_sort_key
from scenefold.symbol import PARTS_REGISTER, Symbol

#: Prefix of the codebook rows of symbols.
SYMBOL_ROW_PREFIX = "#sym:"

#: Prefix of the atoms that key registers; ``#`` cannot start a formula label.
REGISTER_ATOM_PREFIX = "#register:"


#: Slot key of sub-scene references; the referenced symbol is rotated by one bit.
REF_KEY = "#ref"

#: Prefix that escapes the row label of an atom whose own label starts with ``#``.
ATOM_ROW_PREFIX = "#atom:"


def seq_key(sequence: int, position: int) -> str:
    """Return the slot key of ``position`` in the ``sequence``-th sequence of a register."""
    return f"#seq:{sequence}:{position}"


class Vocabulary:
    """Labels, roles, registers and symbols known to a compressor and an expander.

    Parameters
    ----------
    space
        The space of every vector.
    """

    def __init__(self, space: Space) -> None:
        self.space = space
        self._item_list: list[str] = []
        self._item_set: set[str] = set()
        self._items_book = Codebook(space, [])
        self.symbols: dict[str, Symbol] = {}
        self.scenes: dict[str, Scene] = {}
        self.registers: set[str] = set(STANDARD_REGISTERS)
        self.roles: set[str] = set()
        self.seq_keys: set[str] = set()
        self.slot_members: dict[tuple[str, str], dict[str, None]] = {}
        self._slot_books: dict[tuple[str, str], Codebook] = {}
        self._key_cache: dict[str, np.ndarray] = {}
        self._slot_cache: dict[tuple[str, str], np.ndarray] = {}
        self._labels_cache: dict[int, tuple[Codebook, int, list[str]]] = {}

    def __len__(self) -> int:
        """Return the number of candidate rows: atom labels plus symbols."""
        return len(self._item_list)

    @property
    def items(self) -> Codebook:
        """Every candidate row, extended on access with the rows added since."""
        book = self._items_book
        if len(book) < len(self._item_list):
            missing = self._item_list[len(book) :]
            book.append(missing, self.row_vectors(missing))
        return book

    def _add_rows(self, row_labels: Iterable[str]) -> None:
        for label in row_labels:
            if label not in self._item_set:
                self._item_set.add(label)
                self._item_list.append(label)

    def __contains__(self, name: object) -> bool:
        """Return whether ``name`` is a known symbol."""
        return name in self.symbols

    def add_labels(self, labels: Iterable[str]) -> None:
        """Add atom labels that are not yet known as candidates."""
        self._add_rows(self.row_label(Atom(label)) for label in labels)

    def add_symbol(self, symbol: Symbol, scene: Scene | None = None) -> None:
        """Register a folded symbol as a candidate; the same bits twice are a no-op."""
        symbol.metacode.check_space(self.space)
        known = self.symbols.get(symbol.name)
        if known is not None:
            if np.array_equal(known.bits, symbol.bits):
                return
            raise DuplicateDefinitionError(
                f"symbol {symbol.name!r} is already defined with other content; "
                "fold the new scene under another name"
            )
        self.symbols[symbol.name] = symbol
        self._add_rows([SYMBOL_ROW_PREFIX + symbol.name])
        if scene is not None:
            self.scenes[symbol.name] = scene

    def note_structure(self, scene: Scene) -> None:
        """Record the registers, roles and sequence keys a scene uses."""
        from scenefold.scene import Bind, Seq

        for register, items in scene.registers.items():
            if register != PARTS_REGISTER:
                self.registers.add(register)
            sequence = 0
            for item in sorted(items, key=item_sort_key):
                if isinstance(item, Bind):
                    self.roles.add(item.role)
                elif isinstance(item, Seq):
                    for position in range(len(item.items)):
                        self.seq_keys.add(seq_key(sequence, position))
                    sequence += 1

    def load_structure(self) -> None:
        """Make :attr:`registers`, :attr:`roles` and :attr:`seq_keys` complete; an
        in-memory vocabulary records them as it folds, so there is nothing to load."""

    def note_slot(self, register: str, key: str, row_labels: Iterable[str]) -> None:
        """Record candidates that a slot has held; they must already be rows."""
        members = self.slot_members.setdefault((register, key), {})
        fresh = [label for label in row_labels if label not in members]
        if not fresh:
            return
        fresh = list(dict.fromkeys(fresh))
        members.update(dict.fromkeys(fresh))
        book = self._slot_books.get((register, key))
        if book is not None:
            book.append(fresh, self.row_vectors(fresh))

    def slot_codebook(self, register: str, key: str) -> Codebook:
        """Return the codebook of the candidates a slot has held, else every row."""
        members = self.slot_members.get((register, key))
        if not members:
            return self.items
        book = self._slot_books.get((register, key))
        if book is None:
            labels = list(members)
            book = Codebook(self.space, labels, self.row_vectors(labels))
            self._slot_books[(register, key)] = book
        return book

    def row_vectors(self, row_labels: list[str]) -> np.ndarray:
        """Return the ``(n, n_words)`` vectors of candidate rows: atoms or symbols."""
        if not row_labels:
            return self.space.zeros(0)
        if not any(label.startswith("#") for label in row_labels):
            return self.space.atoms(row_labels)
        rows = []
        for label in row_labels:
            item = self.row_item(label)
            if isinstance(item, Ref):
                rows.append(self.symbol(item.name).bits)
            else:
                rows.append(self.space.atom(item.label))
        return np.ascontiguousarray(np.stack(rows))

    def codebook_labels(self, book: Codebook) -> list[str]:
        """Return the labels of a codebook, cached until it grows."""
        # The entry keeps a reference to the codebook, so its id cannot be reused meanwhile.
        cached = self._labels_cache.get(id(book))
        if cached is None or cached[0] is not book or cached[1] != len(book):
            cached = (book, len(book), book.labels)
            self._labels_cache[id(book)] = cached
        return cached[2]

    @staticmethod
    def row_label(filler: Atom | Ref) -> str:
        """Return the codebook row label of a filler.

        Symbols are ``"#sym:" + name``; an atom whose label starts with ``#`` is
        escaped as ``"#atom:" + label`` so that no atom can take a symbol's row.
        """
        if isinstance(filler, Ref):
            return SYMBOL_ROW_PREFIX + filler.name
        if filler.label.startswith("#"):
            return ATOM_ROW_PREFIX + filler.label
        return filler.label

    def symbol(self, name: str) -> Symbol:
        """Return the symbol called ``name``; raises ``UnknownSymbolError``."""
        try:
            return self.symbols[name]
        except KeyError:
            raise UnknownSymbolError(
                f"no symbol named {name!r} is known; fold its scene first"
            ) from None

    def filler_vector(self, filler: Atom | Ref) -> np.ndarray:
        """Return the vector of an atom (derived) or of a referenced symbol (stored)."""
        if isinstance(filler, Ref):
            return self.symbol(filler.name).bits
        return self.space.atom(filler.label)

    def key_vector(self, key: str) -> np.ndarray:
        """Return the vector of a slot key: zeros for plain items, else its atom."""
        cached = self._key_cache.get(key)
        if cached is None:
            cached = self.space.zeros() if key == "" else self.space.atom(key)
            self._key_cache[key] = cached
        return cached

    def slot_vector(self, register: str, key: str) -> np.ndarray:
        """Return ``register_vector(register) XOR key_vector(key)``, cached."""
        cached = self._slot_cache.get((register, key))
        if cached is None:
            cached = self.space.bind(self.register_vector(register), self.key_vector(key))
            self._slot_cache[(register, key)] = cached
        return cached

    def register_vector(self, register: str) -> np.ndarray:
        """Return the vector that keys ``register``."""
        return self.key_vector(REGISTER_ATOM_PREFIX + register)

    @staticmethod
    def row_item(row_label: str) -> Atom | Ref:
        """Return the filler that a codebook row represents."""
        if row_label.startswith(SYMBOL_ROW_PREFIX):
            return Ref(row_label[len(SYMBOL_ROW_PREFIX) :])
        if row_label.startswith(ATOM_ROW_PREFIX):
            return Atom(row_label[len(ATOM_ROW_PREFIX) :])
        return Atom(row_label)
