"""StackManager: the levels of one unfolded meaning and the moves between them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scenefold.errors import InvalidArgumentError
from scenefold.expander import SceneExpander, Unfolding
from scenefold.render import LEVELS, render
from scenefold.symbol import Symbol

#: Meta-instructions that move one level denser, in English and Russian.
DENSER = frozenset(
    {"denser", "more compact", "shorter", "compress", "fold",
     "плотнее", "короче", "сожми", "сверни", "компактнее"}
)

#: Meta-instructions that move one level fuller, in English and Russian.
EXPAND = frozenset(
    {"expand", "expand further", "more detail", "more", "unfold", "deeper",
     "разверни", "разверни сильнее", "подробнее", "глубже", "шире"}
)


def normalize_instruction(text: str) -> str:
    """Return an instruction case-folded, without punctuation or quotes, single-spaced."""
    cleaned = re.sub(r"[^\w\s]", " ", text.casefold())
    return " ".join(cleaned.split())


@dataclass(frozen=True)
class Transition:
    """One move between levels and the instruction that caused it."""

    source: str
    target: str
    instruction: str


class StackManager:
    """Keeps the levels of one meaning, from ``glyph`` to ``story``.

    Parameters
    ----------
    expander
        Unfolds the symbol once, on first use.
    symbol
        The symbol, or its name in the expander's vocabulary.
    level
        The starting level, one of ``glyph``, ``symbol``, ``formula``, ``outline``
        and ``story``.
    language
        ``"en"`` or ``"ru"`` for the story; taken from the scene's labels when
        omitted.
    """

    def __init__(
        self,
        expander: SceneExpander,
        symbol: Symbol | str,
        level: str = "symbol",
        language: str | None = None,
    ) -> None:
        self._check_level(level)
        if language not in (None, "en", "ru"):
            raise InvalidArgumentError(
                f"language must be 'en' or 'ru', got {language!r}"
            )
        self.expander = expander
        self.symbol = (
            expander.vocabulary.symbol(symbol) if isinstance(symbol, str) else symbol
        )
        self.level = level
        self.language = language
        self.history: list[Transition] = []
        self._unfolding: Unfolding | None = None

    @staticmethod
    def _check_level(level: str) -> None:
        if level not in LEVELS:
            raise InvalidArgumentError(
                f"unknown level {level!r}; choose one of {', '.join(LEVELS)}"
            )

    @property
    def unfolding(self) -> Unfolding:
        """The symbol's unfolding, computed on first use."""
        if self._unfolding is None:
            self._unfolding = self.expander.unfold(self.symbol)
        return self._unfolding

    def render(self, level: str | None = None) -> str:
        """Return the meaning at ``level``, the current level when omitted."""
        level = self.level if level is None else level
        self._check_level(level)
        return render(self.unfolding, level, self.language)

    def levels(self) -> dict[str, str]:
        """Return the meaning rendered at every level, densest first."""
        return {level: self.render(level) for level in LEVELS}

    def goto(self, level: str, instruction: str = "goto") -> str:
        """Move to ``level``, record the move and return the rendering."""
        self._check_level(level)
        self.history.append(Transition(self.level, level, instruction))
        self.level = level
        return self.render()

    def denser(self, instruction: str = "denser") -> str:
        """Move one level denser (towards ``glyph``); at ``glyph`` stay there."""
        index = max(LEVELS.index(self.level) - 1, 0)
        return self.goto(LEVELS[index], instruction)

    def expand(self, instruction: str = "expand further") -> str:
        """Move one level fuller (towards ``story``); at ``story`` stay there."""
        index = min(LEVELS.index(self.level) + 1, len(LEVELS) - 1)
        return self.goto(LEVELS[index], instruction)

    def apply(self, instruction: str) -> str:
        """Follow a meta-instruction such as "denser", «подробнее» or a level name."""
        key = normalize_instruction(instruction)
        if key in DENSER:
            return self.denser(instruction)
        if key in EXPAND:
            return self.expand(instruction)
        if key in LEVELS:
            return self.goto(key, instruction)
        raise InvalidArgumentError(
            f"unknown instruction {instruction!r}; use one of: "
            f"{', '.join(sorted(DENSER | EXPAND))}, or a level name "
            f"({', '.join(LEVELS)})"
        )
