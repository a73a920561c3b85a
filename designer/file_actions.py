"""The file life cycle of the main window: new, open, save, save as, export,
unsaved-changes prompts, and the autosave/recovery file.

Save checks first that the file on disk is still the one the document read or
wrote (``Document.fingerprint``); if not, :meth:`~designer.conflicts.DiskWatch.save_conflict`
asks. A failed save or autosave, whatever the reason, is explained (a dialog,
a status message) and never raises out of the event loop.

:class:`FileActions` is a mixin of :class:`~designer.window.MainWindow`: it
reads the window's open document (``doc``), its recent files and recovery
helpers, and replaces the document through ``set_document``.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from designer.document import Document
from designer.files import (
    DEFAULT_EXAMPLE,
    EXAMPLES_DIR,
    FILE_FILTER,
    GRAPH_SUFFIX,
    fingerprint,
)
from designer.interchange_actions import InterchangeActions
from engine import Graph, GraphFileError, load_graph, save_graph

__all__ = ["FileActions"]


class FileActions(InterchangeActions):
    """Open, save, export and recover documents (a mixin of the main window); import
    and ONNX export are :class:`~designer.interchange_actions.InterchangeActions`'."""

    def new_document(self) -> bool:
        """Replace the design with an empty one, after :meth:`maybe_save`.

        Returns False when the user cancelled.
        """
        if not self.maybe_save():
            return False
        self.set_document(Document(Graph()))
        return True

    def open_example(self, path: Path = DEFAULT_EXAMPLE) -> bool:
        """Open a bundled example as an unsaved copy (Save asks where to write it)."""
        return self._open(path, as_copy=True)

    def open_path(self, path, ask: bool = True) -> bool:
        """Open a graph file; a file that cannot be read is explained, the current
        design is kept. Returns whether the file was opened."""
        return self._open(Path(path), as_copy=False, ask=ask)

    def _open(self, path: Path, as_copy: bool, ask: bool = True) -> bool:
        print_ = fingerprint(path)  # before reading: a change in between shows as one
        try:
            graph = load_graph(path)
        except GraphFileError as exc:
            self.show_open_error(path, exc)
            return False
        if ask and not self.maybe_save():
            return False
        if as_copy:
            self.set_document(Document(graph), origin="example")
        else:
            self.set_document(Document(graph, path.resolve(), fingerprint=print_))
            self.recent.add(path)
            self.menu_actions.refresh_recent()
        self.show_message(f"Opened {path.name}: {len(graph)} nodes", 4000)
        return True

    def show_open_error(self, path: Path, exc: GraphFileError) -> None:
        """Explain why ``path`` could not be opened (names file, node and parameter)."""
        self.open_error_box(path, exc).exec()

    def open_error_box(self, path: Path, exc: GraphFileError) -> QMessageBox:
        """The dialog of :meth:`show_open_error` (not shown)."""
        where = []
        if exc.node:
            where.append(f"node <b>{_esc(exc.node)}</b>")
        if exc.param:
            where.append(f"parameter <b>{_esc(exc.param)}</b>")
        text = (f"<p><b>{_esc(Path(path).name)}</b> could not be opened:</p>"
                f"<p>{_esc(exc.message)}</p>"
                + (f"<p>At {', '.join(where)}.</p>" if where else "")
                + "<p>The current design is unchanged.</p>")
        box = QMessageBox(QMessageBox.Icon.Warning, "Cannot open graph", text,
                          QMessageBox.StandardButton.Ok, self)
        box.setDetailedText(str(exc))
        return box

    def choose_and_open(self) -> bool:
        """Ask for a graph file and open it; True when a file was opened.

        The dialog starts in the document's folder, else in the examples.
        """
        start = str(self.doc.path.parent if self.doc and self.doc.path else EXAMPLES_DIR)
        path, _ = QFileDialog.getOpenFileName(self, "Open graph", start, FILE_FILTER)
        return bool(path) and self.open_path(path)

    def save(self) -> bool:
        """Save to the document's file (Save As when it has none).

        When the file changed on disk since it was opened or last saved, ask
        first: overwrite, save as, or reload and merge (``save_conflict``).
        """
        if self.doc.path is None:
            return self.save_as()
        if self.disk_changed():
            return self.save_conflict()
        return self._write(self.doc.path)

    def save_as(self) -> bool:
        """Ask for a file name and save there; True when saved.

        A name without a ``.json`` ending gets :data:`GRAPH_SUFFIX`.
        """
        base = self.doc.path or Path.home() / _file_stem(self.doc.graph.name)
        path, _ = QFileDialog.getSaveFileName(self, "Save graph as", str(base), FILE_FILTER)
        if not path:
            return False
        if not path.lower().endswith(".json"):
            path += GRAPH_SUFFIX
        return self._write(Path(path))

    def _write(self, path: Path) -> bool:
        try:
            where = unencodable(self.doc.graph)
            if where:
                raise UnicodeError(f"{where} holds a character that cannot be written as "
                                   "UTF-8 (a lone surrogate, e.g. from a broken paste): "
                                   "edit it and save again.")
            save_graph(self.doc.graph, path)
        except Exception as exc:  # noqa: BLE001 - any failure is explained, never raised
            QMessageBox.critical(self, "Cannot save graph",
                                 f"<p><b>{_esc(path.name)}</b> could not be saved:</p>"
                                 f"<p>{_esc(failure_reason(exc))}</p><p>The file on disk "
                                 "is unchanged and your design is still open.</p>")
            return False
        self.doc.set_path(path.resolve(), fingerprint(path))
        self.origin = ""
        self.doc.undo_stack.setClean()
        if self.recovery.owned:
            self.recovery.discard()
        self._autosaved_at = None
        self.recent.add(path)
        self.menu_actions.refresh_recent()
        self._update_title()
        self.show_message(f"Saved {path}", 4000)
        return True

    def maybe_save(self) -> bool:
        """Ask Save / Discard / Cancel when there are unsaved changes.

        Returns True when the caller may go on (saved or discarded).
        """
        if self.doc is None or not self.doc.dirty:
            return True
        name = self.doc.path.name if self.doc.path else (self.doc.graph.name or "Untitled")
        answer = QMessageBox.question(
            self, "Unsaved changes",
            f"<p>Save the changes to <b>{_esc(name)}</b>?</p>"
            "<p>Your changes are lost if you don't save them.</p>",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def export_pytorch(self) -> None:
        """Write standalone PyTorch code (``engine.export``, imported on demand)."""
        from engine.export import ExportError, export_code, write_export

        result = self.doc.result()
        if not result.valid:
            QMessageBox.warning(self, "Export PyTorch", "<p>The graph has errors; fix them "
                                "first (see Problems).</p><p>" + _esc(result.errors[0].message)
                                + "</p>")
            self._show_problems()
            return
        base = self.doc.path.parent if self.doc.path else Path.home()
        stem = _file_stem(self.doc.graph.name).replace(GRAPH_SUFFIX, "").lower() or "model"
        path, _ = QFileDialog.getSaveFileName(self, "Export PyTorch code",
                                              str(base / f"{stem}.py"), "Python (*.py)")
        if not path:
            return
        try:
            write_export(export_code(self.doc.graph, None), path)
        except (ExportError, OSError) as exc:
            QMessageBox.critical(self, "Export PyTorch", f"Export failed: {_esc(str(exc))}")
            return
        self.show_message(f"Exported {path}", 5000)

    # -- recovery --------------------------------------------------------------------
    def autosave(self) -> Path | None:
        """Write the recovery file if the document changed since the last autosave.

        A document back at its saved state deletes it. A failure is told in the
        status bar (with its reason) and never raised.
        """
        doc = self.doc
        if doc is None or not self.recovery.owned:
            return None
        if not doc.dirty:
            if self._autosaved_at is not None:
                self.recovery.discard()
                self._autosaved_at = None
            return None
        mark = (id(doc), doc.undo_stack.index())
        if mark == self._autosaved_at:
            return None
        try:
            path = self.recovery.write(doc.graph, doc.path, doc.fingerprint)
        except Exception as exc:  # noqa: BLE001 - a timer slot: told, never raised
            self.show_message(f"Autosave failed: {failure_reason(exc)}", 10000)
            return None
        self._autosaved_at = mark
        return path

    def offer_recovery(self) -> bool:
        """At start-up: restore unsaved work left by a session that did not exit cleanly."""
        path = self.recovery.pending() if self.recovery.owned else None
        if path is None:
            return False
        try:
            graph = load_graph(path)
        except GraphFileError:
            self.recovery.discard()
            return False
        source = self.recovery.source()
        answer = QMessageBox.question(
            self, "Restore unsaved work",
            f"<p>ConvCanvas did not close normally last time.</p><p>Restore the unsaved "
            f"design <b>{_esc(graph.name)}</b> ({len(graph)} nodes)"
            + (f" of <b>{_esc(source.name)}</b>" if source else "") + "?</p>",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes)
        if answer != QMessageBox.StandardButton.Yes:
            self.recovery.discard()
            return False
        known = source is not None and source.exists()
        doc = Document(graph, source if known else None,
                       fingerprint=self.recovery.source_fingerprint() if known else None)
        self.set_document(doc, origin="recovered")
        doc.undo_stack.resetClean()  # unsaved until the user saves it
        self._update_title()
        return True


def unencodable(graph) -> str | None:
    """Which text of ``graph`` UTF-8 cannot encode ("the description", "node conv1"),
    or None: such a text (a lone surrogate) cannot be saved."""
    def bad(value) -> bool:
        if isinstance(value, (list, tuple)):
            return any(bad(v) for v in value)
        if not isinstance(value, str):
            return False
        try:
            value.encode("utf-8")
        except UnicodeError:
            return True
        return False

    if bad(graph.name):
        return "The graph's name"
    if bad(graph.description):
        return "The graph's description"
    for node in graph.nodes.values():
        if bad(node.id) or bad(list(node.params)) or bad(list(node.params.values())):
            return f"Node {node.id!r}"
    return None


def failure_reason(exc: BaseException) -> str:
    """Why a save failed, in words: the engine's message, or the exception named."""
    if isinstance(exc, GraphFileError):
        return exc.message
    if isinstance(exc, UnicodeEncodeError):
        return f"a text cannot be written as UTF-8 (a lone surrogate?): {exc}"
    if isinstance(exc, UnicodeError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"cannot write: {exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _file_stem(name: str) -> str:
    """A file name for a graph name: ``"Classifier tour"`` -> ``classifier_tour.convgraph.json``."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", name.strip()).strip("_").lower() or "untitled"
    return stem + GRAPH_SUFFIX
