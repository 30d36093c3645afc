"""Every exception scenefold raises, under one base class :class:`ScenefoldError`.

Errors about a value also subclass :class:`ValueError`, errors about a type or dtype
also subclass :class:`TypeError`, and a missing key or label also subclasses
:class:`KeyError`, so code that catches the built-in kinds keeps working.
The Rust core's errors are raised as these classes by the bindings.
"""

from __future__ import annotations


class ScenefoldError(Exception):
    """Base class of every error raised by scenefold."""


# --- the algebra and the bindings -------------------------------------------------


class InvalidArgumentError(ScenefoldError, ValueError):
    """An argument has a value outside its domain (a dim, k, alpha, count...)."""


class DimensionMismatchError(ScenefoldError, ValueError):
    """Two vectors, or a vector and a space, disagree on ``dim``."""


class ShapeError(ScenefoldError, ValueError):
    """An array has the wrong number of dimensions, length or memory layout."""


class DtypeError(ScenefoldError, TypeError):
    """An array has the wrong dtype, such as ``int64`` where ``uint64`` is expected."""


class EmptyCodebookError(ScenefoldError, ValueError):
    """A search or anchor filter ran on a codebook with no rows."""


class UnknownLabelError(ScenefoldError, KeyError):
    """A label was looked up in a codebook or vocabulary that does not contain it."""

    def __str__(self) -> str:
        # KeyError quotes its argument; a message reads better as given.
        return str(self.args[0]) if self.args else ""


class SpaceMismatchError(ScenefoldError, ValueError):
    """A vector, symbol or file belongs to another space (model, dim or seed)."""


# --- formulas ---------------------------------------------------------------------


class FormulaError(ScenefoldError, ValueError):
    """Base class of errors in formula text."""


class FormulaSyntaxError(FormulaError):
    """Formula text that does not follow the grammar.

    Attributes
    ----------
    line, column
        1-based position of the offending text.
    found
        The text found there (``"end of input"`` at the end).
    expected
        What the grammar expected instead.
    """

    def __init__(self, message: str, *, line: int, column: int, found: str, expected: str):
        super().__init__(f"line {line}, column {column}: {message}")
        self.line = line
        self.column = column
        self.found = found
        self.expected = expected


class UnknownSymbolError(FormulaError):
    """A formula refers with ``@name`` to a scene that is neither defined nor known."""


class InvalidNameError(FormulaError):
    """A scene name, register name or label that cannot be used."""


class DuplicateDefinitionError(FormulaError):
    """The same scene name is defined twice in one document."""


class CyclicDefinitionError(FormulaError):
    """A scene is defined through itself, directly or through a cycle of scenes."""


# --- folding, unfolding and storage -----------------------------------------------


class CapacityError(ScenefoldError, ValueError):
    """A scene cannot be folded into one vector and splitting was not allowed."""


class SourceNotFoundError(ScenefoldError, FileNotFoundError):
    """A lexical resource, such as WordNet or the NRC lexicon, was not found.

    The message lists the places that were searched and how to install the resource
    or point scenefold at it.
    """


class FormatError(ScenefoldError, ValueError):
    """Serialised bytes or a store file with a bad magic, version or content."""
