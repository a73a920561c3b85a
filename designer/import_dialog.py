"""File → Import…: the dialog that asks what to import and with which input shape.

The sources are those of ``main.py import`` (cli.md): an ONNX file, a Python file with
the name of an ``nn.Module`` class or of a function returning one (``FILE.py:NAME``),
or an importable ``package.module:NAME``. For a Python file the names it defines are
offered, read from its text with :mod:`ast` (the file is not run here: the engine
process runs it when the import starts, and the dialog says so). The input shape is
prefilled: ``3,224,224`` for Python sources, the shape an ONNX file declares (read by
:mod:`engine.interchange.onnx_peek`, without onnx; empty, the model's own, when it
has symbolic sizes); :meth:`ImportDialog.check` names what is wrong before anything
runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from designer.look import ERROR, INK_FAINT, css
from engine.import_cli import parse_shape
from engine.interchange.onnx_peek import shape_text

__all__ = ["ImportDialog", "module_names", "split_source", "DEFAULT_SHAPE", "MODEL_FILTER"]

#: the input shape offered for Python sources (C,H,W without the batch)
DEFAULT_SHAPE = "3,224,224"
MODEL_FILTER = "Models (*.onnx *.py);;ONNX models (*.onnx);;Python files (*.py);;All files (*)"


def module_names(path) -> list[str]:
    """Top-level classes, then functions, defined in the Python file ``path``.

    Read with :mod:`ast` (nothing is executed); ``[]`` when the file cannot be read or
    parsed. Names starting with ``_`` are left out.
    """
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeError, SyntaxError, ValueError):
        return []
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    return [n for n in classes + functions if not n.startswith("_")]


def split_source(text: str) -> tuple[str, str]:
    """``("FILE.py", "NAME")`` for ``FILE.py:NAME``; ``(text, "")`` for any other source."""
    head, sep, name = text.rpartition(":")
    if sep and head.lower().endswith(".py"):
        return head, name
    return text, ""


class ImportDialog(QDialog):
    """Asks for the source and the input shape of an import.

    Parameters
    ----------
    start_dir : str
        Where Browse… starts.
    parent : QWidget, optional
    """

    def __init__(self, start_dir: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Import a model")
        self.start_dir = start_dir
        self.source_edit = QLineEdit()
        self.source_edit.setPlaceholderText("MODEL.onnx, FILE.py or package.module:NAME")
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self.choose_file)
        row = QHBoxLayout()
        row.addWidget(self.source_edit, 1)
        row.addWidget(self.browse)
        self.name_combo = QComboBox()
        self.name_combo.setEditable(True)
        self.name_combo.setToolTip("The nn.Module class, or a function returning a module, "
                                   "called with no arguments")
        self.shape_edit = QLineEdit(DEFAULT_SHAPE)
        self.shape_edit.setToolTip("C,H,W (or C,D,H,W) without the batch")
        form = QFormLayout()
        form.addRow("Source", row)
        form.addRow("Module", self.name_combo)
        form.addRow("Input shape", self.shape_edit)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(f"color: {css(INK_FAINT)}")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {css(ERROR)}")
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.source_edit.textChanged.connect(self._source_changed)
        self.setMinimumWidth(520)
        self._kind = ""
        self._source_changed(self.source_edit.text())

    # -- the source -------------------------------------------------------------------
    def choose_file(self) -> None:
        """Browse for an ONNX or Python file."""
        path, _ = QFileDialog.getOpenFileName(self, "Import a model", self.start_dir,
                                              MODEL_FILTER)
        if path:
            self.set_source(path)

    def set_source(self, text: str, name: str | None = None) -> None:
        """Fill the source (and, for a Python file, the module name)."""
        self.source_edit.setText(str(text))
        if name is not None:
            self.name_combo.setCurrentText(name)

    def restore(self, source: str, shape: str) -> None:
        """Fill the fields with an earlier import's ``source`` and shape text."""
        path, name = split_source(source)
        self.set_source(path, name or None)
        self.shape_edit.setText(shape)

    def kind(self) -> str:
        """``"onnx"``, ``"file"`` (a ``.py``), ``"module"`` (``package.module:NAME``) or ``""``."""
        text = self.source_edit.text().strip()
        if not text:
            return ""
        if text.lower().endswith(".onnx"):
            return "onnx"
        if text.lower().endswith(".py"):
            return "file"
        return "module"

    def _source_changed(self, _text: str) -> None:
        kind = self.kind()
        self.error.hide()
        if kind == "file":
            names = module_names(self.source_edit.text().strip())
            current = self.name_combo.currentText()
            self.name_combo.clear()
            self.name_combo.addItems(names)
            if current in names:
                self.name_combo.setCurrentText(current)
        self.name_combo.setEnabled(kind == "file")
        if kind != self._kind:
            if kind == "onnx":
                self.shape_edit.clear()
            elif self._kind in ("", "onnx") and not self.shape_edit.text().strip():
                self.shape_edit.setText(DEFAULT_SHAPE)
            self._kind = kind
        path = Path(self.source_edit.text().strip())
        if kind == "onnx" and path.is_file():  # the model's own shape, read from the file
            self.shape_edit.setText(shape_text(path))
        self.shape_edit.setPlaceholderText("the model's own" if kind == "onnx" else
                                           "the first convolution's channels at 224×224")
        hints = {"onnx": "An ONNX file: leave the shape empty to use the model's own.",
                 "file": "Importing a Python file runs its code (your own, named here), "
                         "in the engine process.",
                 "module": "package.module:NAME — the module is imported and NAME() called "
                           "in the engine process."}
        self.hint.setText(hints.get(kind, "ONNX files, Python files defining an nn.Module, "
                                          "or package.module:NAME."))

    # -- what the import gets ------------------------------------------------------------
    def source(self) -> str:
        """The source as ``main.py import`` takes it (``FILE.py:NAME`` for a Python file)."""
        text = self.source_edit.text().strip()
        if self.kind() == "file":
            return f"{text}:{self.name_combo.currentText().strip()}"
        return text

    def input_shape(self):
        """The shape as a tuple, or None (the model's own); ValueError when malformed."""
        text = self.shape_edit.text().strip()
        return parse_shape(text) if text else None

    def check(self) -> str:
        """What is wrong with the fields, in words ("" when the import can start)."""
        text = self.source_edit.text().strip()
        kind = self.kind()
        if not text:
            return "Choose a model: an ONNX file, a Python file or package.module:NAME."
        if kind in ("onnx", "file"):
            path = Path(text)
            if not path.exists():
                return f"{path.name}: no such file."
            if not path.is_file():
                return f"{path.name}: is not a file."
        if kind == "file":
            name = self.name_combo.currentText().strip()
            if not name.isidentifier():
                return (f"{Path(text).name}: name the nn.Module class or the function "
                        "returning one (Module)." if not name else
                        f"{name!r} is not a Python name.")
        if kind == "module":
            target, _, name = text.rpartition(":")
            if not target or not name.isidentifier():
                return f"{text}: expected package.module:NAME (or an .onnx or .py file)."
        try:
            self.input_shape()
        except ValueError:
            return (f"Input shape {self.shape_edit.text().strip()!r}: expected C,H,W (or "
                    "C,D,H,W) of positive integers, without the batch.")
        return ""

    def accept(self) -> None:  # noqa: D102 - QDialog override: refuse with the reason
        problem = self.check()
        if problem:
            self.error.setText(problem)
            self.error.show()
            return
        super().accept()
