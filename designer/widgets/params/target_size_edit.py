"""ConvTranspose ``target_size``: the reachable output sizes per axis."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel

from .base import AXIS_NAMES, ParamEditor, row_layout

__all__ = ["TargetSizeEdit"]


class TargetSizeEdit(ParamEditor):
    """ConvTranspose ``target_size``: per axis, a combo of the reachable sizes.

    :meth:`set_reachable` gives the sizes some ``output_padding`` reaches
    (``kind.reachable(params, ins)``); with "auto" checked the combos show the
    current output size and the output padding decides.
    """

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        lay = row_layout(self)
        self.auto = QCheckBox("auto", self)
        self.auto.setToolTip("auto: the output size follows output_padding")
        lay.addWidget(self.auto)
        self.combos: list[QComboBox] = []
        names = AXIS_NAMES.get(param.n, ("",) * param.n)
        for i in range(param.n):
            if i:
                sep = QLabel("×", self)
                sep.setObjectName("muted")
                lay.addWidget(sep)
            combo = QComboBox(self)
            combo.setToolTip(f"reachable output sizes along {names[i]}")
            combo.activated.connect(lambda _i: self._commit())
            lay.addWidget(combo, 1)
            self.combos.append(combo)
        self.auto.clicked.connect(lambda _c: self._commit())
        self._value = None
        self._reach: tuple[tuple[int, ...], ...] | None = None
        self._current: tuple[int, ...] | None = None

    def _commit(self) -> None:
        self._sync_enabled(self.auto.isChecked())
        self.committed.emit(self.value())

    def _sync_enabled(self, auto: bool) -> None:
        for c in self.combos:
            c.setEnabled(not auto and self._reach is not None)

    def set_reachable(self, reach, current=None) -> None:
        """Sizes per axis (None: unknown, e.g. no input) and the current output size."""
        self._reach = tuple(tuple(r) for r in reach) if reach is not None else None
        self._current = tuple(current) if current is not None else None
        self._fill()

    def _fill(self) -> None:
        shown = self._value if self._value is not None else self._current
        for i, combo in enumerate(self.combos):
            options = list(self._reach[i]) if self._reach is not None else []
            want = shown[i] if shown is not None and i < len(shown) else None
            if want is not None and want not in options:
                options.append(want)
            with QSignalBlocker(combo):
                combo.clear()
                for v in options:
                    ok = self._reach is not None and v in self._reach[i]
                    combo.addItem(str(v) if ok else f"{v} (unreachable)", v)
                if want is not None:
                    combo.setCurrentIndex(max(combo.findData(want), 0))
        self._sync_enabled(self.auto.isChecked())

    def set_value(self, value):
        """Show a target size per axis, or check "auto" for None (no ``committed``).

        A size that :meth:`set_reachable` did not list is shown as
        ``(unreachable)``.
        """
        self._value = tuple(value) if value is not None else None
        with QSignalBlocker(self.auto):
            self.auto.setChecked(value is None)
        self._fill()

    def value(self):
        """None when "auto" is checked or an axis has no size; else a tuple per axis."""
        if self.auto.isChecked():
            return None
        vals = tuple(c.currentData() for c in self.combos)
        return None if any(v is None for v in vals) else vals
