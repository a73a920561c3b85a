"""A clickable bar chart (pyqtgraph BarGraphItem) for vectors of values.

Used for 1-D activations (after Flatten or Linear) and for the channel
weights of a Squeeze-and-Excitation block. Bars can be drawn in any order
(sorted by value, say) while clicks and hovers still report the original
index.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette

from designer import look

__all__ = ["BarChart"]



class BarChart(pg.PlotWidget):
    """Bars for a vector of values, with hover and click reporting the index.

    Parameters
    ----------
    parent : QWidget, optional
    x_label, y_label : str
        Axis captions.

    Signals
    -------
    barClicked(int)
        Original index of the clicked bar.
    barHovered(int)
        Original index of the bar under the mouse, -1 when none.
    """

    barClicked = Signal(int)
    barHovered = Signal(int)

    def __init__(self, parent=None, x_label: str = "", y_label: str = ""):
        super().__init__(parent)
        pal = self.palette()
        self.setBackground(pal.color(QPalette.ColorRole.Base))
        text = pal.color(QPalette.ColorRole.Text)
        self.plotItem.setMenuEnabled(False)
        self.plotItem.hideButtons()
        for name in ("left", "bottom"):
            axis = self.plotItem.getAxis(name)
            axis.setPen(text)
            axis.setTextPen(text)
            axis.enableAutoSIPrefix(False)
        self.plotItem.setLabel("bottom", x_label)
        self.plotItem.setLabel("left", y_label)
        self.plotItem.vb.setMouseEnabled(x=True, y=False)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8)
        self.addItem(self.bars)
        self.zero = pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen(text, width=1))
        self.addItem(self.zero)
        self.values = np.zeros(0)
        self.order = np.zeros(0, dtype=int)
        self.labels: list[str] | None = None
        self.selected = -1
        self._y_range = None
        self.scene().sigMouseMoved.connect(self._moved)
        self.scene().sigMouseClicked.connect(self._clicked)

    def set_values(self, values, order=None, labels: list[str] | None = None,
                   y_range: tuple[float, float] | None = None) -> None:
        """Draw ``values[order[i]]`` as the i-th bar.

        Parameters
        ----------
        values : array_like
            One value per bar.
        order : array_like of int, optional
            Display order (a permutation of the indices); default: by index.
        labels : list of str, optional
            Tick label of each original index; default: the index.
        y_range : (float, float), optional
            Fixed value range (e.g. ``(0, 1)`` for sigmoid weights).
        """
        self.values = np.asarray(values, dtype=np.float64).ravel()
        n = self.values.size
        self.order = np.arange(n) if order is None else np.asarray(order, dtype=int)
        self.labels = labels
        self._y_range = y_range
        if self.selected >= n:
            self.selected = -1
        self._redraw()
        self._ticks()
        lo = min(0.0, float(np.nanmin(self.values))) if n else 0.0
        hi = max(0.0, float(np.nanmax(self.values))) if n else 1.0
        if y_range is not None:
            lo, hi = y_range
        if hi <= lo:
            hi = lo + 1.0
        self.plotItem.vb.setRange(xRange=(-0.6, max(n, 1) - 0.4), yRange=(lo, hi),
                                  padding=0.04)
        self.plotItem.vb.setLimits(xMin=-1, xMax=max(n, 1), minXRange=min(5, max(n, 1)))

    def select(self, index: int) -> None:
        """Highlight the bar of original index ``index`` (-1: none)."""
        self.selected = index
        self._redraw()

    def bar_count(self) -> int:
        """Number of bars drawn."""
        return int(self.values.size)

    # -- internals ---------------------------------------------------------------
    def _redraw(self) -> None:
        shown = self.values[self.order] if self.values.size else self.values
        brushes = []
        for i in self.order:
            if i == self.selected:
                brushes.append(pg.mkBrush(look.BAR_SELECTED))
            else:
                brushes.append(pg.mkBrush(look.BAR_POSITIVE if self.values[i] >= 0
                                          else look.BAR_NEGATIVE))
        self.bars.setOpts(x=np.arange(shown.size), height=shown, width=0.8, brushes=brushes,
                          pens=[pg.mkPen(None)] * shown.size)

    def _ticks(self) -> None:
        n = self.values.size
        step = max(1, math.ceil(n / 24))
        names = self.labels or [str(i) for i in range(n)]
        ticks = [(pos, names[i]) for pos, i in enumerate(self.order) if pos % step == 0]
        self.plotItem.getAxis("bottom").setTicks([ticks])

    def _index_at(self, scene_pos) -> int:
        vb = self.plotItem.vb
        if not vb.sceneBoundingRect().contains(scene_pos) or not self.values.size:
            return -1
        p = vb.mapSceneToView(scene_pos)
        pos = int(round(p.x()))
        if not 0 <= pos < self.values.size or abs(p.x() - pos) > 0.45:
            return -1
        return int(self.order[pos])

    def _moved(self, scene_pos) -> None:
        i = self._index_at(scene_pos)
        self.barHovered.emit(i)
        if i >= 0:
            name = self.labels[i] if self.labels else str(i)
            self.setToolTip(f"{name}: {self.values[i]:.4g}")
        else:
            self.setToolTip("")

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        i = self._index_at(event.scenePos())
        if i >= 0:
            self.select(i)
            self.barClicked.emit(i)
