"""A comparison of the open design with another one (B), kept current as the user edits.

:class:`Comparison` holds B, analysed once, and on every
``Document.analysisChanged`` recomputes :func:`engine.labs.diff_graphs` with
B as *a* and the open design as *b*, reusing both analyses (a fraction of a
millisecond for a lab-sized design). So "added" means in this design only,
"removed" in B only, and every change reads B → this design.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from engine import AnalysisResult, Graph, analyze
from engine.labs import DesignDiff, diff_graphs

from .follow import refollow

__all__ = ["Comparison"]

GRAPH_SUFFIX = ".convgraph.json"


def short_name(path: Path) -> str:
    """``reference.convgraph.json`` -> ``reference``."""
    name = path.name
    return name[: -len(GRAPH_SUFFIX)] if name.endswith(GRAPH_SUFFIX) else path.stem


class Comparison(QObject):
    """B and the diff of the open design with it.

    Signals
    -------
    diffChanged(object)
        The new :class:`engine.labs.DesignDiff`, or None once cleared.
    """

    diffChanged = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc = None
        self.other: Graph | None = None
        self.other_result: AnalysisResult | None = None
        self.path: Path | None = None
        self.name = "B"
        self.diff: DesignDiff | None = None

    @property
    def active(self) -> bool:
        """Whether a design B is set."""
        return self.other is not None

    def set_other(self, graph: Graph, path: Path | None = None) -> None:
        """Compare with ``graph`` (read from ``path``) from now on."""
        self.other = graph
        self.other_result = analyze(graph)
        self.path = Path(path) if path is not None else None
        self.name = short_name(self.path) if self.path is not None else (graph.name or "B")
        self.refresh()

    def clear(self) -> None:
        """Stop comparing."""
        self.other = self.other_result = self.path = None
        self.name = "B"
        self.diff = None
        self.diffChanged.emit(None)

    def set_document(self, doc) -> None:
        """Follow ``doc`` (disconnects the previous document)."""
        refollow(self.doc, doc, self._on_analysis)
        self.doc = doc
        self.refresh()

    def refresh(self) -> None:
        """Recompute the diff now (nothing without B or a document)."""
        if self.other is None or self.doc is None:
            return
        self.diff = diff_graphs(self.other, self.doc.graph, self.other_result,
                                self.doc.result())
        self.diffChanged.emit(self.diff)

    def _on_analysis(self, _result) -> None:
        self.refresh()
