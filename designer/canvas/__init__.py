"""The graph canvas: a QGraphicsScene that mirrors a Document, and its view.

* :class:`GraphScene` — cards and edges of the document's graph, kept in sync
  through ``Document.graphChanged`` / ``analysisChanged``;
* :class:`GraphView` — zoom, pan, shortcuts, palette drops;
* :func:`layered_positions` — the automatic top-down layout (pure).
"""

from .layout import layered_positions
from .scene import GraphScene
from .view import GraphView

__all__ = ["GraphScene", "GraphView", "layered_positions"]
