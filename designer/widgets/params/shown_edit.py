"""Parameters shown but not edited here: an imported operation's name and shape."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from designer.look import fmt_shape

from .base import ParamEditor, row_layout

__all__ = ["ShownEdit"]


class ShownEdit(ParamEditor):
    """A read-only value (text, or a list of ints shown as ``3×224×224``).

    An Opaque node records what an import found (its ``op`` and traced
    ``shape``); those are facts of the source model, so the editor shows them
    and never commits a change.
    """

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.label = QLabel(self)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row_layout(self).addWidget(self.label)
        self._value = None

    def set_value(self, value):
        """Show ``value``."""
        self._value = value
        if isinstance(value, (list, tuple)):
            self.label.setText(fmt_shape(tuple(value)))
        else:
            self.label.setText("" if value is None else str(value))

    def value(self):
        """The value shown."""
        return self._value
