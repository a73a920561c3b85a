"""The Code tab: the design as standalone PyTorch source, with a check.

The source comes from :func:`engine.export.export_code` (torch-free, so it is
cheap to regenerate): a module that imports only torch and defines one
``nn.Module`` whose submodules are named after the nodes. *Verify* runs that
code in the worker against the engine on the current input, with the same
weights, and reports the largest output difference.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from designer import look

from .highlighter import PythonHighlighter

__all__ = ["CodeTab", "TOLERANCE"]

#: largest output difference accepted by Verify (float32)
TOLERANCE = 1e-5


class CodeTab(QWidget):
    """Read-only, highlighted exported code with Copy, Save and Verify.

    Signals
    -------
    verifyRequested(str)
        The code to check against the engine.
    errorOccurred(str, str)
        ``(title, message)`` of a failure to show in a dialog.
    """

    verifyRequested = Signal(str)
    errorOccurred = Signal(str, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc = None
        self.ok = False
        self._dirty = True
        self.class_name = QLineEdit()
        self.class_name.setPlaceholderText("class name (default: from the graph name)")
        self.class_name.setToolTip("Name of the exported nn.Module class")
        self.copy_button = QPushButton("Copy")
        self.save_button = QPushButton("Save as .py…")
        self.verify_button = QPushButton("Verify")
        self.verify_button.setToolTip(
            "Run the exported code with the current weights on the current input and "
            "compare its outputs with the engine's")
        self.result = QLabel()
        self.result.setTextFormat(Qt.TextFormat.RichText)
        self.result.setWordWrap(True)
        self.result.setVisible(False)
        self.editor = QPlainTextEdit()
        self.editor.setReadOnly(True)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.highlighter = PythonHighlighter(self.editor.document())
        top = QHBoxLayout()
        top.addWidget(self.class_name, 1)
        top.addWidget(self.copy_button)
        top.addWidget(self.save_button)
        top.addWidget(self.verify_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.result)
        lay.addWidget(self.editor, 1)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(300)
        self.timer.timeout.connect(self.regenerate)
        self.copy_button.clicked.connect(self.copy)
        self.save_button.clicked.connect(self._save)
        self.verify_button.clicked.connect(self.verify)
        self.class_name.editingFinished.connect(self.regenerate)

    # -- public ------------------------------------------------------------------------
    def set_document(self, doc) -> None:
        """Show the code of ``doc`` (regenerated when the graph changes)."""
        self.doc = doc
        self.editor.clear()
        self.graph_changed()

    def graph_changed(self) -> None:
        """The graph changed: regenerate soon if visible, else when next shown."""
        self._dirty = True
        if self.isVisible():
            self.timer.start()

    def text(self) -> str:
        """The code shown."""
        return self.editor.toPlainText()

    def regenerate(self) -> None:
        """Export the current graph now."""
        self.timer.stop()
        self._dirty = False
        if self.doc is None:
            self._show("", False)
            return
        from engine.export import ExportError, export_code
        name = self.class_name.text().strip() or None
        try:
            code = export_code(self.doc.graph, class_name=name)
        except ExportError as exc:
            lines = "\n".join(f"#   {e.message}" for e in exc.errors) or f"#   {exc.message}"
            self._show(f"# Fix the errors first: the graph cannot be exported.\n{lines}\n",
                       False)
            return
        self._show(code, True)

    def scroll_to_class(self) -> None:
        """Scroll so that the model class (the last ``class``) is at the top."""
        doc = self.editor.document()
        block = doc.lastBlock()
        while block.isValid() and not block.text().startswith("class "):
            block = block.previous()
        if block.isValid():
            cursor = self.editor.textCursor()
            cursor.setPosition(block.position())
            self.editor.setTextCursor(cursor)
            bar = self.editor.verticalScrollBar()
            bar.setValue(bar.maximum())
            self.editor.ensureCursorVisible()

    def copy(self) -> None:
        """Copy the code to the clipboard."""
        QGuiApplication.clipboard().setText(self.text())
        self._say("Copied to the clipboard.")

    def save(self, path: str) -> bool:
        """Write the code to ``path`` (atomically); errors go to :attr:`errorOccurred`."""
        from engine.export import write_export
        try:
            write_export(self.text(), path)
        except OSError as exc:
            self.errorOccurred.emit("Cannot save the code",
                                    f"{path}: {exc.strerror or exc}")
            return False
        self._say(f"Saved to {path}.")
        return True

    def verify(self) -> None:
        """Ask for a check of the code against the engine."""
        if not self.ok:
            return
        self.verify_button.setEnabled(False)
        self._say("Verifying… (building the exported class and running it)")
        self.verifyRequested.emit(self.text())

    def verify_done(self, diff: float) -> None:
        """Show the result of a check: the largest output difference."""
        self.verify_button.setEnabled(self.ok)
        if diff <= TOLERANCE:
            self._say(
                f"{look.span(f'<b>max |Δ| = {diff:.1e} ✓</b>', look.OK)} the "
                "exported class gives the engine's outputs (with the same weights).")
        else:
            self._say(
                f"{look.span(f'<b>max |Δ| = {diff:.2g} ✗</b>', look.ERROR)} the "
                f"exported class differs from the engine by more than {TOLERANCE:g}.")

    def verify_failed(self, message: str, _tb: str = "") -> None:
        """Show why the check could not run."""
        self.verify_button.setEnabled(self.ok)
        self._say(f"{look.span('<b>Verify failed ✗</b>', look.ERROR)} {escape(message)}")

    # -- internals ---------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.result.setText(text)
        self.result.setVisible(bool(text))

    def _show(self, code: str, ok: bool) -> None:
        self.ok = ok
        if code != self.editor.toPlainText():
            first = not self.editor.toPlainText()
            bar = self.editor.verticalScrollBar()
            pos = bar.value()
            self.editor.setPlainText(code)
            if first:
                self.scroll_to_class()
            else:
                bar.setValue(pos)
            self._say("")
        self.save_button.setEnabled(ok)
        self.copy_button.setEnabled(bool(code))
        self.verify_button.setEnabled(ok)

    def _save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save PyTorch code", "model.py",
                                              "Python (*.py)")
        if path:
            if not path.endswith(".py"):
                path += ".py"
            self.save(path)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Regenerate the code at once if the graph changed while the tab was hidden."""
        super().showEvent(event)
        if self._dirty:
            self.timer.start(0)
