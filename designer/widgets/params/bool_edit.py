"""Boolean parameters: a check box."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QCheckBox

from .base import ParamEditor, row_layout

__all__ = ["BoolEdit"]


class BoolEdit(ParamEditor):
    """True/false (QCheckBox); commits on the user's click only."""

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.box = QCheckBox(self)
        row_layout(self).addWidget(self.box)
        self.box.clicked.connect(lambda checked: self.committed.emit(bool(checked)))

    def set_value(self, value):
        """Check the box when ``value`` is true (no ``committed``)."""
        with QSignalBlocker(self.box):
            self.box.setChecked(bool(value))

    def value(self):
        """Whether the box is checked."""
        return self.box.isChecked()
