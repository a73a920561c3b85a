"""Padding: pixels per axis, or the words "same" / "valid"."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QComboBox

from .base import ParamEditor, row_layout
from .tuple_edit import TupleEdit

__all__ = ["PaddingEdit"]


class PaddingEdit(ParamEditor):
    """Explicit padding per axis, or the words ``"same"`` / ``"valid"``."""

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        lay = row_layout(self)
        self.mode = QComboBox(self)
        self.mode.addItem("explicit", None)
        for word in param.words:
            self.mode.addItem(word, word)
        self.mode.setMinimumWidth(60)
        self.mode.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.mode.setMinimumContentsLength(5)
        self.mode.setToolTip('explicit pixels, "same" (output size = input size, '
                             'stride 1) or "valid" (no padding)')
        self.numbers = TupleEdit(param, self)
        lay.addWidget(self.mode)
        lay.addWidget(self.numbers, 1)
        self.mode.activated.connect(self._mode_chosen)
        self.numbers.committed.connect(self.committed.emit)

    def _mode_chosen(self, index: int) -> None:
        word = self.mode.itemData(index)
        self.numbers.setEnabled(word is None)
        self.committed.emit(word if word is not None else self.numbers.value())

    def set_value(self, value):
        """Show a word (``"same"``, ``"valid"``) in the mode combo, or the pixels per axis.

        The per-axis boxes are disabled while a word is chosen. Nothing is emitted.
        """
        with QSignalBlocker(self.mode):
            if isinstance(value, str):
                self.mode.setCurrentIndex(max(self.mode.findData(value), 0))
                self.numbers.setEnabled(False)
            else:
                self.mode.setCurrentIndex(0)
                self.numbers.setEnabled(True)
                self.numbers.set_value(value)

    def value(self):
        """The chosen word, or the pixels (an int when all axes are equal, else a tuple)."""
        word = self.mode.currentData()
        return word if word is not None else self.numbers.value()
