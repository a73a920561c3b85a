"""Live training curves (pyqtgraph): loss and accuracy against epochs, train and validation.

:class:`CurvesView` holds two plots side by side. The training loss gets a
point at every progress report (the mean over the steps since the last one,
at the fraction of the epoch done), so the curve moves while an epoch runs; the validation loss
and both accuracies get one point per epoch. Adding a point only sets the
data of one curve (a few hundred points at most): cheap enough for the UI
thread at the rate the engine process reports.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QWidget

from designer import look

__all__ = ["CurvesView"]

#: curve name -> (plot, legend text, colour, symbol)
SERIES = {"train_loss": ("loss", "train", look.ACCENT, None),
          "val_loss": ("loss", "validation", look.SAMPLE, "o"),
          "train_acc": ("accuracy", "train", look.ACCENT, "o"),
          "val_acc": ("accuracy", "validation", look.SAMPLE, "o")}


class CurvesView(QWidget):
    """Loss and accuracy curves of one run.

    Attributes
    ----------
    points : dict
        ``{series: ([x...], [y...])}`` for ``train_loss``, ``val_loss``,
        ``train_acc`` and ``val_acc`` (x in epochs).
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plots = {"loss": self._plot("loss", "cross-entropy"),
                      "accuracy": self._plot("accuracy", "accuracy (%)")}
        self.plots["accuracy"].setYRange(0, 100, padding=0.02)
        self.curves = {}
        for name, (plot, label, color, symbol) in SERIES.items():
            pen = pg.mkPen(color, width=2)
            self.curves[name] = self.plots[plot].plot(
                [], [], pen=pen, name=label, symbol=symbol, symbolSize=6,
                symbolBrush=color, symbolPen=None)
        self.points: dict[str, tuple[list, list]] = {}
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for plot in self.plots.values():
            lay.addWidget(plot)
        self.clear()

    def _plot(self, title: str, y_label: str) -> pg.PlotWidget:
        w = pg.PlotWidget()
        pal = self.palette()
        w.setBackground(pal.color(QPalette.ColorRole.Base))
        text = pal.color(QPalette.ColorRole.Text)
        item = w.plotItem
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setTitle(title, color=text.name(), size="10pt")
        for axis_name in ("left", "bottom"):
            axis = item.getAxis(axis_name)
            axis.setPen(text)
            axis.setTextPen(text)
        item.setLabel("bottom", "epoch")
        item.setLabel("left", y_label)
        item.showGrid(x=True, y=True, alpha=0.15)
        # where the curves seldom go: top right for a falling loss, bottom right for a
        # rising accuracy
        item.addLegend(offset=(-8, 8) if title == "loss" else (-8, -8),
                       labelTextColor=text.name())
        w.setMinimumSize(160, 120)
        return w

    def clear(self, epochs: int = 1) -> None:
        """Forget every point; the x axis spans ``epochs``."""
        self.points = {name: ([], []) for name in SERIES}
        for curve in self.curves.values():
            curve.setData([], [])
        for plot in self.plots.values():
            plot.setXRange(0, max(1, epochs), padding=0.02)
        self.plots["loss"].enableAutoRange(axis="y")

    def add_step(self, x: float, loss: float) -> None:
        """A training-loss point at ``x`` epochs."""
        self._add("train_loss", x, loss)

    def add_epoch(self, metrics: dict) -> None:
        """The points of a finished epoch (``EpochMetrics`` as a dict; accuracies in [0, 1])."""
        x = float(metrics["epoch"])
        xs, _ = self.points["train_loss"]
        if not xs or xs[-1] < x:
            self._add("train_loss", x, metrics["train_loss"])
        self._add("val_loss", x, metrics["val_loss"])
        self._add("train_acc", x, 100.0 * metrics["train_acc"])
        self._add("val_acc", x, 100.0 * metrics["val_acc"])

    def _add(self, name: str, x: float, y: float) -> None:
        xs, ys = self.points[name]
        xs.append(float(x))
        ys.append(float(y))
        self.curves[name].setData(xs, ys)
