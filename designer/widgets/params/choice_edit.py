"""Parameters with a fixed set of options: a combo box."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QComboBox

from .base import ParamEditor, row_layout

__all__ = ["ChoiceEdit"]


class ChoiceEdit(ParamEditor):
    """One of the parameter's options (QComboBox)."""

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.combo = QComboBox(self)
        self.combo.addItems(list(param.options))
        row_layout(self).addWidget(self.combo)
        self.combo.activated.connect(lambda i: self.committed.emit(self.combo.itemText(i)))

    def set_value(self, value):
        """Select the option ``str(value)`` (the first one if it is not an option)."""
        with QSignalBlocker(self.combo):
            i = self.combo.findText(str(value))
            self.combo.setCurrentIndex(max(i, 0))

    def value(self):
        """The option shown."""
        return self.combo.currentText()
