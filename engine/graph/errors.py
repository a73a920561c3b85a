"""The one exception of the graph model: a refused edit."""

from __future__ import annotations

__all__ = ["GraphEditError"]


class GraphEditError(ValueError):
    """A refused edit (or an invalid graph description).

    ``node`` and ``param`` name what is at fault, where known.
    """

    def __init__(self, message: str, node: str | None = None, param: str | None = None):
        super().__init__(message)
        self.message = message
        self.node = node
        self.param = param
