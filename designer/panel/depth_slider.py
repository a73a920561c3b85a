"""A labelled slider over the depth axis of 3-D tensors (``[C, D, H, W]``)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

__all__ = ["DepthSlider"]


class DepthSlider(QWidget):
    """Chooses one depth slice; hidden for tensors without depth.

    Slices count from 0, like channels and pixel positions everywhere in the
    panel (titles, hover read-outs, the RF tab's fields): the label reads
    ``depth 8 (0–15)`` for the ninth of sixteen slices.

    Parameters
    ----------
    name : str
        The word in the label (``"depth"``, ``"frame"``).
    parent : QWidget, optional

    Signals
    -------
    valueChanged(int)
        The user moved the slider (not emitted by :meth:`set_depth`).
    """

    valueChanged = Signal(int)

    def __init__(self, name: str = "depth", parent=None):
        super().__init__(parent)
        self.name = name
        self.label = QLabel()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setMinimumWidth(80)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.label)
        lay.addWidget(self.slider, 1)
        self.slider.valueChanged.connect(self._moved)
        self.set_depth(0)

    def set_depth(self, depth: int, value: int | None = None) -> None:
        """Slide over ``depth`` slices (hidden when there are fewer than two).

        Parameters
        ----------
        depth : int
        value : int, optional
            The slice to show; default: keep the current one (within range).
        """
        depth = max(int(depth), 0)
        self.setVisible(depth > 1)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(depth - 1, 0))
        if value is not None:
            self.slider.setValue(int(value))
        self.slider.blockSignals(False)
        last = max(depth - 1, 0)
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance(
            f"{self.name} {last} (0–{last})"))
        self.slider.setToolTip(f"{self.name} index, counting from 0 like channels and "
                               f"pixel positions ({depth} slices)")
        self._update_label()

    def value(self) -> int:
        """The slice shown (0-based)."""
        return self.slider.value()

    def setValue(self, value: int) -> None:  # noqa: N802 (Qt naming)
        """Move the slider to slice ``value`` (clamped to the range).

        Unlike :meth:`set_depth`, this emits ``valueChanged`` when the slice changes.
        """
        self.slider.setValue(int(value))

    def text(self) -> str:
        """The label, e.g. ``"depth 8 (0–15)"``."""
        return self.label.text()

    def _update_label(self) -> None:
        self.label.setText(f"{self.name} {self.slider.value()} (0–{self.slider.maximum()})")

    def _moved(self, value: int) -> None:
        self._update_label()
        self.valueChanged.emit(value)
