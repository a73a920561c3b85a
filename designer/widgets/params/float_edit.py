"""Float parameters: a spin box that reads and shows compact numbers."""

from __future__ import annotations

import math

from PySide6.QtCore import QSignalBlocker
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox

from .base import ParamEditor, row_layout

__all__ = ["FloatEdit", "FloatSpinBox"]


class FloatSpinBox(QDoubleSpinBox):
    """A QDoubleSpinBox that shows values compactly (``1e-05``, ``0.1``, ``2``)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDecimals(12)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        """``value`` with 6 significant digits (``%.6g``)."""
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt override
        """Parse ``text`` (a comma is read as the decimal point); else the current value."""
        try:
            return float(text.replace(",", "."))
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        """Accept any finite float notation in range while the user types.

        Parameters
        ----------
        text : str
        pos : int
            Cursor position, returned unchanged.

        Returns
        -------
        (QValidator.State, str, int)
            ``Intermediate`` for an unfinished number (empty, a lone sign or
            point, a trailing exponent) and for a number out of range;
            ``Invalid`` for text that is not a finite number; else
            ``Acceptable``. ``text`` and ``pos`` are returned unchanged.
        """
        stripped = text.strip().replace(",", ".")
        if not stripped or stripped in ("-", ".", "-.") or stripped.lower().endswith("e") \
                or stripped.lower().endswith(("e-", "e+")):
            return QValidator.State.Intermediate, text, pos
        try:
            v = float(stripped)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        if not math.isfinite(v):
            return QValidator.State.Invalid, text, pos
        if self.minimum() <= v <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos


class FloatEdit(ParamEditor):
    """A finite number in the parameter's interval."""

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.spin = FloatSpinBox(self)
        self.spin.setRange(float(param.lo), float(param.hi))
        default = param.default or 0.0
        step = 10 ** math.floor(math.log10(abs(default))) if default else 0.1
        self.spin.setSingleStep(min(step, (param.hi - param.lo) / 10 or 0.1))
        row_layout(self).addWidget(self.spin)
        self.spin.valueChanged.connect(lambda v: self.committed.emit(float(v)))

    def set_value(self, value):
        """Show ``value`` (None shows the minimum) without emitting ``committed``."""
        with QSignalBlocker(self.spin):
            self.spin.setValue(float(value) if value is not None else self.spin.minimum())

    def value(self):
        """The number shown."""
        return self.spin.value()
