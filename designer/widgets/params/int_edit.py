"""Integer parameters: a spin box."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker

from .base import ParamEditor, int_spin_box, row_layout

__all__ = ["IntEdit"]


class IntEdit(ParamEditor):
    """An integer in ``lo..hi`` (QSpinBox)."""

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.spin = int_spin_box(param.lo, param.hi, self)
        row_layout(self).addWidget(self.spin)
        self.spin.valueChanged.connect(lambda v: self.committed.emit(int(v)))

    def set_value(self, value):
        """Show ``value`` (None shows the minimum) without emitting ``committed``."""
        with QSignalBlocker(self.spin):
            self.spin.setValue(int(value) if value is not None else self.spin.minimum())

    def value(self):
        """The integer shown."""
        return self.spin.value()
