"""The open design: graph model, incremental analysis, undo stack, file state.

The :class:`Document` is the only owner of state in the designer. Views
(canvas, property editor, problems list, status bar) read the model and the
analysis and listen to :attr:`Document.analysisChanged`; they change the model
only by pushing QUndoCommands (``designer.commands``) onto :attr:`undo_stack`.
"""

from __future__ import annotations

import weakref
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from engine import AnalysisResult, Analyzer, Graph

__all__ = ["Document", "LAYER_MIME"]

#: mime type of a palette drag: JSON ``{"type": ..., "params": {...}, "preset": name}``
LAYER_MIME = "application/x-convcanvas-layer"


class Document(QObject):
    """One design. Emits :attr:`analysisChanged` after every model change.

    Parameters
    ----------
    graph : engine.Graph
        The model; the document subscribes to its change events.
    path : pathlib.Path or None
        The file it was opened from or saved to.
    fingerprint : str or None
        ``designer.files.fingerprint`` of that file as it was read or written
        (:attr:`fingerprint`): saving compares it with the file on disk.

    Signals
    -------
    graphChanged(object)
        The :class:`engine.graph.Changes` of one batch (one per user action,
        done or undone): its events (``NodeAdded``, ``EdgeRemoved``, ...) in order.
    analysisChanged(object)
        The :class:`engine.AnalysisResult` after that batch (emitted right
        after ``graphChanged``; once per batch).
    pathChanged(object)
        The new file (a ``Path``, or None), from :meth:`set_path`.
    """

    #: the new :class:`engine.AnalysisResult`
    analysisChanged = Signal(object)
    #: emitted once per batch of engine change events
    graphChanged = Signal(object)
    pathChanged = Signal(object)

    def __init__(self, graph: Graph | None = None, path: Path | None = None,
                 parent=None, fingerprint: str | None = None):
        super().__init__(parent)
        #: the fingerprint of :attr:`path` as this document last read or wrote it
        self.fingerprint = fingerprint
        self.graph = graph if graph is not None else Graph()
        self.analyzer = Analyzer(self.graph)
        # Not a Qt child of the document, and emptied by a finalizer the moment the
        # document dies: a stack destroyed in the middle of a cyclic collection
        # (the document, its graph and its commands refer to one another) deletes
        # commands whose wrappers the collector has already torn down, and the
        # process dies (tests/test_document_lifetime.py).
        self.undo_stack = QUndoStack()
        weakref.finalize(self, self.undo_stack.clear)
        self._path = Path(path) if path else None
        # weakly: the graph (kept by the undo commands) must not keep the document
        self._unsubscribe = self.graph.subscribe(_weak_call(self._on_event))

    @property
    def path(self) -> Path | None:
        """The file of the document, or None when never saved."""
        return self._path

    def set_path(self, path: Path | None, fingerprint: str | None = None) -> None:
        """Set the document's file (None: unsaved) and its :attr:`fingerprint`;
        emit ``pathChanged``."""
        self._path = Path(path) if path else None
        self.fingerprint = fingerprint
        self.pathChanged.emit(self._path)

    @property
    def dirty(self) -> bool:
        """Whether there are edits since the last save (the undo stack is not clean)."""
        return not self.undo_stack.isClean()

    def result(self) -> AnalysisResult:
        """The analysis of the current graph (recomputed incrementally on demand)."""
        return self.analyzer.result()

    def _on_event(self, changes) -> None:
        self.graphChanged.emit(changes)
        self.analysisChanged.emit(self.analyzer.result())

    def close(self) -> None:
        """Stop following the graph (the document's subscription, its analyzer)."""
        self._unsubscribe()
        self.analyzer.close()


def _weak_call(method):
    """A callable that calls the bound ``method`` while its object lives, else nothing."""
    ref = weakref.WeakMethod(method)

    def call(*args):
        target = ref()
        if target is not None:
            target(*args)
    return call
