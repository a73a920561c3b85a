"""Pad2d's ``value``: a number, or the words ``-inf`` / ``inf`` (graph-format.md).

A combo box picks *number*, ``-inf`` or ``inf``; a spin box edits the number. The
infinities are committed as the words the file spells them with (JSON has none), which
the schema reads as ``float("-inf")`` / ``float("inf")``.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QComboBox

from .base import ParamEditor, row_layout
from .float_edit import FloatSpinBox

__all__ = ["PadValueEdit", "NUMBER"]

#: the combo box's entry for a finite value
NUMBER = "number"


class PadValueEdit(ParamEditor):
    """A finite number in the parameter's interval, or one of its words (``-inf``, ``inf``)."""

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        lay = row_layout(self)
        self.choice = QComboBox(self)
        self.choice.addItems([NUMBER, *param.words])
        self.choice.setToolTip("a number, or an infinity (e.g. -inf before a max pool)")
        self.spin = FloatSpinBox(self)
        self.spin.setRange(float(param.lo), float(param.hi))
        self.spin.setSingleStep(1.0)
        lay.addWidget(self.choice)
        lay.addWidget(self.spin, 1)
        self.choice.activated.connect(self._chosen)
        self.spin.valueChanged.connect(lambda v: self.committed.emit(float(v)))

    def _chosen(self, _index: int) -> None:
        self.spin.setEnabled(self.choice.currentText() == NUMBER)
        self.committed.emit(self.value())

    def set_value(self, value):
        """Show ``value`` (a float, an infinity or one of the words); nothing is emitted."""
        word = None
        if isinstance(value, str):
            word = value if value in self.param.words else None
            value = 0.0 if word else value
        elif value is not None and math.isinf(float(value)):
            word = "-inf" if float(value) < 0 else "inf"
        with QSignalBlocker(self.choice), QSignalBlocker(self.spin):
            self.choice.setCurrentText(word or NUMBER)
            if word is None:
                self.spin.setValue(float(value) if value is not None else 0.0)
        self.spin.setEnabled(word is None)

    def value(self):
        """The word when an infinity is chosen, else the number shown."""
        word = self.choice.currentText()
        return self.spin.value() if word == NUMBER else word
