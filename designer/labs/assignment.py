"""An assignment: a rubric file and, when one sits beside it, the starter design.

The layout of ``resources/labs/*/``: ``NAME.rubric.json`` next to
``starter.convgraph.json`` (also found: ``NAME.starter.convgraph.json``).
Reading the rubric is :func:`engine.labs.load_rubric`'s, which raises
:class:`engine.labs.RubricError` naming the check and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.labs import Rubric, load_rubric

__all__ = ["Assignment", "RUBRIC_SUFFIX", "STARTER_NAME", "find_starter", "read_assignment"]

RUBRIC_SUFFIX = ".rubric.json"
STARTER_NAME = "starter.convgraph.json"


@dataclass(frozen=True)
class Assignment:
    """A validated rubric, the file it came from and the starter beside it (or None)."""

    rubric: Rubric
    path: Path
    starter: Path | None

    @property
    def title(self) -> str:
        """The rubric's title, else the file's name without ``.rubric.json``."""
        return self.rubric.title or stem(self.path)


def stem(path: Path) -> str:
    """``lab.rubric.json`` -> ``lab``; another name loses its last suffix."""
    name = path.name
    return name[: -len(RUBRIC_SUFFIX)] if name.endswith(RUBRIC_SUFFIX) else path.stem


def find_starter(rubric_path: Path) -> Path | None:
    """The starter design beside a rubric: ``NAME.starter.convgraph.json``, else
    ``starter.convgraph.json`` in the same folder; None when there is neither."""
    folder = rubric_path.parent
    for name in (f"{stem(rubric_path)}.{STARTER_NAME}", STARTER_NAME):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def read_assignment(path) -> Assignment:
    """Read and validate the rubric at ``path``; raises :class:`engine.labs.RubricError`."""
    path = Path(path)
    rubric = load_rubric(path)
    return Assignment(rubric, path, find_starter(path))
