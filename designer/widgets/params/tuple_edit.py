"""Per-axis parameters (kernel size, stride, ...): a spin box per axis and a link."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QLabel, QSpinBox, QToolButton

from designer.look import link_icon

from .base import AXIS_NAMES, ParamEditor, int_spin_box, row_layout

__all__ = ["TupleEdit"]


class TupleEdit(ParamEditor):
    """One spin box per axis and a link toggle that keeps all axes equal.

    The committed value is a single int when all axes are equal (files stay
    readable: ``"kernel_size": 3``) and a tuple otherwise.
    """

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        n = param.n
        lay = row_layout(self)
        self.spins: list[QSpinBox] = []
        names = AXIS_NAMES.get(n, ("",) * n)
        for i in range(n):
            if i:
                sep = QLabel("×", self)
                sep.setObjectName("muted")
                lay.addWidget(sep)
            box = int_spin_box(param.lo, param.hi, self)
            box.setToolTip(f"{param.name} along {names[i]}" if names[i] else param.name)
            box.valueChanged.connect(lambda v, i=i: self._edited(i, v))
            lay.addWidget(box, 1)
            self.spins.append(box)
        self.link = QToolButton(self)
        self.link.setObjectName("axisLink")
        self.link.setCheckable(True)
        self.link.setChecked(True)
        self.link.setAutoRaise(True)
        self.link.toggled.connect(self._link_toggled)
        self._link_toggled(True)
        lay.addWidget(self.link)

    def _link_toggled(self, linked: bool) -> None:
        self.link.setIcon(link_icon(linked))
        self.link.setToolTip("Same value on every axis (click to edit the axes separately)"
                             if linked else "Axes edited separately (click to link them)")
        if linked and len({s.value() for s in self.spins}) > 1:
            self._edited(0, self.spins[0].value())

    def _edited(self, index: int, value: int) -> None:
        if self.link.isChecked():
            for j, box in enumerate(self.spins):
                if j != index:
                    with QSignalBlocker(box):
                        box.setValue(value)
        self.committed.emit(self.value())

    def set_value(self, value):
        """Show an int on every axis or a value per axis (None is ignored); no ``committed``.

        Different values per axis unlink the axes.
        """
        if value is None:
            return
        values = [value] * len(self.spins) if isinstance(value, int) else list(value)
        for box, v in zip(self.spins, values, strict=False):
            with QSignalBlocker(box):
                box.setValue(int(v))
        with QSignalBlocker(self.link):
            if len(set(values)) > 1:
                self.link.setChecked(False)
                self.link.setIcon(link_icon(False))

    def value(self):
        """A single int when all axes are equal, else the tuple of values."""
        values = tuple(s.value() for s in self.spins)
        return values[0] if len(set(values)) == 1 else values
