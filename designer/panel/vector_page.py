"""The Maps tab's page for vector outputs (after Flatten or Linear): a bar per feature.

Hovering or clicking a bar reads off its index, value and rank.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from designer.look import fmt_num

from . import fmt
from .bar_chart import BarChart

__all__ = ["VectorPage"]


class VectorPage(QWidget):
    """A bar chart of a vector and a line of text about it (or about the hovered bar)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.values: np.ndarray | None = None
        self.bars = BarChart(x_label="feature", y_label="value")
        self.info = QLabel()
        self.info.setTextFormat(Qt.TextFormat.RichText)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.bars, 1)
        lay.addWidget(self.info)
        self.bars.barHovered.connect(self._hover)
        self.bars.barClicked.connect(self._hover)

    def show_values(self, v: np.ndarray) -> None:
        """Draw ``v`` (1-D) and its statistics."""
        self.values = v
        self.bars.set_values(v)
        s = fmt.stats(v)
        top = int(np.argmax(v)) if v.size else 0
        self.info.setText(
            f"{v.size} values · min {fmt_num(s['min'])} · max {fmt_num(s['max'])} "
            f"(index {top}) · mean {fmt_num(s['mean'])} · std {fmt_num(s['std'])}")

    def _hover(self, i: int) -> None:
        v = self.values
        if i < 0 or v is None:
            return
        self.info.setText(f"feature <b>{i}</b> = <b>{fmt_num(v[i])}</b> "
                          f"(rank {int((v > v[i]).sum()) + 1} of {v.size})")
