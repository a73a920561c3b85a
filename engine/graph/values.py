"""The values the graph model holds: immutable :class:`Node` and :class:`Edge`.

An edit never changes a value: it replaces it, so a value handed out (to the
analysis, to an undo command) stays true to the moment it was taken.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..catalogue import CATALOGUE

__all__ = ["Node", "Edge"]


@dataclass(frozen=True)
class Node:
    """One layer: ``params`` holds only the values set explicitly (validated)."""

    id: str
    type: str
    params: Mapping[str, Any] = field(default_factory=dict)
    pos: tuple[float, float] | None = None

    @cached_property
    def kind(self):
        """The catalogue's :class:`~engine.catalogue.base.LayerKind` of ``type`` (cached)."""
        return CATALOGUE[self.type]

    @cached_property
    def normalised(self) -> dict[str, Any]:
        """Every parameter, normalised, defaults filled in (shared: do not modify)."""
        return self.kind.normalise(dict(self.params))

    def resolved(self) -> dict[str, Any]:
        """Every parameter, normalised, defaults filled in (a fresh dict)."""
        return dict(self.normalised)


@dataclass(frozen=True)
class Edge:
    """A connection: the output of node ``src`` feeds input slot ``port`` of ``dst``."""

    src: str
    dst: str
    port: int = 0


