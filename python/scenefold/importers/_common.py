"""Types shared by the importers: the missing-source error and problem reports."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from scenefold.errors import SourceNotFoundError

logger = logging.getLogger("scenefold.importers")

__all__ = ["ImportProblem", "ProblemHandler", "ProblemLogger", "SourceNotFoundError"]


@dataclass(frozen=True)
class ImportProblem:
    """A line of a source file that an importer skipped or read only in part.

    Attributes
    ----------
    file
        Path of the source file.
    line
        1-based line number in ``file``.
    message
        What is wrong with the line.
    """

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


#: Callback that receives each problem an importer finds.
ProblemHandler = Callable[[ImportProblem], None]


class ProblemLogger:
    """Default problem handler, which logs the first problems and counts the rest.

    Parameters
    ----------
    limit
        Number of problems logged one by one. Later problems are only counted, and
        :meth:`close` logs how many were not shown.
    """

    def __init__(self, limit: int = 20) -> None:
        self.limit = limit
        self.count = 0

    def __call__(self, problem: ImportProblem) -> None:
        self.count += 1
        if self.count <= self.limit:
            logger.warning("import problem: %s", problem)

    def close(self) -> None:
        """Log the number of problems that were counted but not logged."""
        hidden = self.count - self.limit
        if hidden > 0:
            logger.warning("%d more import problems were not logged", hidden)
