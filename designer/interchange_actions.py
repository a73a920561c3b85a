"""File → Import… and Export → ONNX… of the main window, run in the engine process.

The designer never imports torch: an import is a job of the engine panel's worker
(:meth:`designer.panel.controller.RunController.import_model`) that the engine process
answers with plain data (the graph file's dict with its ``groups``, the report) after
writing the source's weights to a file of this session's temporary folder. The graph
opens as a new unsaved document (after the usual Save / Discard / Cancel question when
the open design has unsaved changes: nothing open is lost or overwritten), those
weights become the engine's current weights, so Run shows the model's own maps, and
the report dialog (:mod:`designer.import_report`) tells what every source operation
became. An import that fails leaves everything as it was and says why.

:class:`InterchangeActions` is a mixin of :class:`~designer.file_actions.FileActions`
(so of the main window).
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QProgressDialog

from designer.document import Document
from designer.files import settings
from designer.import_dialog import ImportDialog, split_source
from designer.import_report import ImportReportDialog
from engine import Graph, GraphEditError

__all__ = ["InterchangeActions", "import_folder", "LAST_IMPORT_KEY", "LAST_SHAPE_KEY"]

#: settings keys: the last source imported and its input shape (offered again)
LAST_IMPORT_KEY = "import/last_source"
LAST_SHAPE_KEY = "import/last_shape"

_folder: Path | None = None


def import_folder() -> Path:
    """This session's folder for imported weights (removed when the designer exits)."""
    global _folder
    if _folder is None or not _folder.is_dir():
        _folder = Path(tempfile.mkdtemp(prefix="convcanvas-import-"))
        atexit.register(shutil.rmtree, _folder, True)
    return _folder


def _esc(text) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _stem(source: str) -> str:
    tail = re.split(r"[/\\:]", source.rstrip("/\\"))[-1]
    tail = re.sub(r"\.(onnx|py)$", "", tail, flags=re.IGNORECASE)
    return re.sub(r"[^A-Za-z0-9_-]+", "_", tail).strip("_") or "model"


class InterchangeActions:
    """Import a model as a new document; export the design to ONNX (a window mixin)."""

    import_report_dialog: ImportReportDialog | None = None
    import_error_box: QMessageBox | None = None
    import_progress: QProgressDialog | None = None

    def _engine_controller(self, what: str):
        """The engine panel's controller, or None after explaining why there is none."""
        panel = self.ensure_panel()
        if panel is None:
            reason = self.panel_error or "the engine panel is turned off"
            self._interchange_error(what, f"{what} needs the engine (PyTorch): {reason}.")
            return None
        return panel.controller

    def _interchange_error(self, title: str, html: str, detail: str = "") -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Warning, title, html,
                          QMessageBox.StandardButton.Ok, self)
        if detail:
            box.setDetailedText(detail)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.import_error_box = box
        box.open()
        return box

    # -- import ------------------------------------------------------------------------
    def import_model(self) -> bool:
        """File → Import…: ask for the source and the input shape, then import.

        The dialog offers the last source imported (and its shape) again.
        """
        store = settings()
        last = str(store.value(LAST_IMPORT_KEY, "") or "")
        path = split_source(last)[0]
        folder = Path(path).parent if path.lower().endswith((".py", ".onnx")) else None
        start = str(folder) if folder is not None and folder.is_dir() else (
            str(self.doc.path.parent) if self.doc and self.doc.path else str(Path.home()))
        dialog = ImportDialog(start, self)
        if last:
            dialog.restore(last, str(store.value(LAST_SHAPE_KEY, "") or ""))
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        store.setValue(LAST_IMPORT_KEY, dialog.source())
        store.setValue(LAST_SHAPE_KEY, dialog.shape_edit.text().strip())
        return self.start_import(dialog.source(), dialog.input_shape())

    def start_import(self, source: str, input_shape=None) -> bool:
        """Import ``source`` in the engine process; the result opens when it arrives.

        Returns False when no job was started (no engine).
        """
        controller = self._engine_controller("Import")
        if controller is None:
            return False
        folder = import_folder()
        n = len(list(folder.glob("*.pt")))
        weights = str(folder / f"{_stem(source)}-{n + 1}.pt")
        progress = QProgressDialog(f"Importing {source}…", "Cancel", 0, 0, self)
        progress.setWindowTitle("Import")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(400)
        progress.canceled.connect(lambda: controller.jobs.cancel("import"))
        self.import_progress = progress

        def finish() -> None:
            progress.reset()
            progress.deleteLater()
            if self.import_progress is progress:
                self.import_progress = None

        def done(result: dict) -> None:
            finish()
            self._import_done(source, result, controller)

        def fail(message: str, _traceback: str) -> None:
            finish()
            self._interchange_error(
                "Cannot import", f"<p><b>{_esc(source)}</b> could not be imported:</p>"
                f"<p>{_esc(message)}</p><p>The current design is unchanged.</p>")
            self.show_message(f"Import failed: {message}", 10000)

        def cancelled() -> None:
            finish()
            Path(weights).unlink(missing_ok=True)
            self.show_message("Import cancelled; the current design is unchanged", 6000)
        self.show_message(f"Importing {source}…", 0)
        controller.import_model(source, input_shape, weights, done, fail, cancelled)
        return True

    def _import_done(self, source: str, result: dict, controller) -> None:
        weights = result.get("weights_path")
        try:
            graph = Graph.from_dict(result["graph"])
        except (GraphEditError, KeyError, TypeError, ValueError) as exc:
            self._interchange_error("Cannot import", f"<p><b>{_esc(source)}</b> made a "
                                    f"graph the designer cannot open:</p><p>{_esc(exc)}</p>"
                                    "<p>The current design is unchanged.</p>")
            return
        if not self.maybe_save():
            if weights:
                Path(weights).unlink(missing_ok=True)
            self.show_message("Import not opened: the current design was kept", 6000)
            return
        doc = Document(graph)
        self.set_document(doc, origin="imported")
        doc.undo_stack.resetClean()  # unsaved until the user saves it
        self._update_title()
        if weights:
            controller.use_imported_weights(weights)
        report = result.get("report", {})
        self.show_message(result.get("summary", f"Imported {source}"), 10000)
        dialog = ImportReportDialog(report, self)
        self.import_report_dialog = dialog
        dialog.show()

    # -- ONNX export ---------------------------------------------------------------------
    def export_onnx(self) -> None:
        """Export → ONNX…: ask for a file, then write it in the engine process."""
        result = self.doc.result()
        if not result.valid:
            self._interchange_error("Export ONNX", "<p>The graph has errors; fix them first "
                                    "(see Problems).</p><p>" + _esc(result.errors[0].message)
                                    + "</p>")
            self._show_problems()
            return
        base = self.doc.path.parent if self.doc.path else Path.home()
        stem = re.sub(r"[^A-Za-z0-9_-]+", "_", self.doc.graph.name.strip()).strip("_")
        path, _ = QFileDialog.getSaveFileName(self, "Export ONNX",
                                              str(base / f"{stem.lower() or 'model'}.onnx"),
                                              "ONNX models (*.onnx)")
        if path:
            self.start_export_onnx(path if path.lower().endswith(".onnx") else path + ".onnx")

    def start_export_onnx(self, path: str) -> bool:
        """Write the design to the ONNX file ``path`` with the engine's current weights."""
        controller = self._engine_controller("Export ONNX")
        if controller is None:
            return False

        def done(info: dict) -> None:
            self.show_message(f"Exported {info['path']}: inputs "
                              f"{', '.join(info['inputs'])}, outputs "
                              f"{', '.join(info['outputs'])}", 10000)

        def fail(message: str, _traceback: str) -> None:
            self._interchange_error("Export ONNX", f"<p><b>{_esc(Path(path).name)}</b> "
                                    f"was not written:</p><p>{_esc(message)}</p>")
        self.show_message(f"Exporting {Path(path).name}…", 0)
        return controller.export_onnx(path, done, fail)
