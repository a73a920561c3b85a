"""The SE tab: channel weights of a Squeeze-and-Excitation block.

A Squeeze-and-Excitation block averages each channel to one number
(squeeze), passes the vector through a small bottleneck MLP ending in a
sigmoid (excitation) and multiplies every channel by its weight in (0, 1).
The bar chart shows these weights, by channel or sorted; clicking a bar
shows that channel before (the block's input) and after the scaling, on the
same colour scale so the dimming is visible.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from designer.look import fmt_num

from . import fmt
from .adaptive_splitter import AdaptiveSplitter
from .bar_chart import BarChart
from .image_plot import ImagePlot
from .node_tab import NodeTab, rich_label

__all__ = ["SETab"]


class SETab(NodeTab):
    """Bar chart of SE channel weights linked to before/after views of a channel.

    Signals
    -------
    channelChosen(int)
        The channel whose bar was clicked.
    """

    channelChosen = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.weights = np.zeros(0)
        self.before: np.ndarray | None = None
        self.after: np.ndarray | None = None
        self.channel = 0
        self.cmap = "viridis"

        self.by_channel = QRadioButton("by channel")
        self.by_weight = QRadioButton("by weight")
        self.by_channel.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.by_channel)
        group.addButton(self.by_weight)
        sort_row = QHBoxLayout()
        sort_row.addWidget(QLabel("Sort"))
        sort_row.addWidget(self.by_channel)
        sort_row.addWidget(self.by_weight)
        sort_row.addStretch(1)
        self.chart = BarChart(x_label="channel", y_label="weight")
        self.chart.setMinimumHeight(140)
        self.summary = rich_label()
        self.before_plot = ImagePlot(title="before")
        self.after_plot = ImagePlot(title="after", colorbar=True)
        pair = AdaptiveSplitter(ratio=0.8)
        pair.addWidget(self.before_plot)
        pair.addWidget(self.after_plot)
        self.caption = rich_label()
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(pair, 1)
        bl.addWidget(self.caption)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addLayout(sort_row)
        tl.addWidget(self.chart, 1)
        tl.addWidget(self.summary)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setChildrenCollapsible(False)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        self.set_content(split)

        self.by_weight.toggled.connect(lambda _c: self._draw_bars())
        self.chart.barClicked.connect(self.select_channel)

    def show_weights(self, node_id: str, weights: np.ndarray, before: np.ndarray | None,
                     after: np.ndarray | None, source: str = "", cmap: str = "viridis") -> None:
        """Show the channel weights ``[C]`` of ``node_id`` and its input/output maps."""
        same = node_id == self.node_id and self.weights.shape == np.shape(weights)
        self.node_id = node_id
        self.weights = np.asarray(weights, dtype=np.float64).ravel()
        self.before = before
        self.after = after
        self.source = source
        self.cmap = cmap
        if not same:
            self.channel = int(np.argmin(self.weights)) if self.weights.size else 0
        self.show_content()
        c = self.weights.size
        self.title.setText(f"<b>{node_id}</b> · Squeeze-and-Excitation · {c} channel weights "
                           f"= sigmoid(MLP(mean of each channel of <b>{source}</b>))")
        w = self.weights
        spread = float(w.max() - w.min()) if c else 0.0
        note = ""
        if spread < 0.05:
            note = " " + fmt.muted("— nearly equal: random weights barely tell channels "
                                   "apart; load trained weights to see SE pick channels.")
        self.summary.setText(
            f"mean {fmt_num(w.mean(), 3)} · min {fmt_num(w.min(), 3)} (channel "
            f"{int(w.argmin())}) · max {fmt_num(w.max(), 3)} (channel {int(w.argmax())})"
            f"{note}")
        self._draw_bars()
        self.select_channel(self.channel)

    def bar_count(self) -> int:
        """Number of bars in the chart."""
        return self.chart.bar_count()

    def select_channel(self, channel: int) -> None:
        """Show ``channel`` before and after scaling, and highlight its bar."""
        if not self.weights.size:
            return
        self.channel = int(np.clip(channel, 0, self.weights.size - 1))
        self.chart.select(self.channel)
        w = self.weights[self.channel]
        b = None if self.before is None else self.before[self.channel]
        a = None if self.after is None else self.after[self.channel]
        maps = [m for m in (b, a) if m is not None and m.ndim == 2]
        if maps:
            lo = min(float(m.min()) for m in maps)
            hi = max(float(m.max()) for m in maps)
            if hi <= lo:
                hi = lo + 1.0
            for plot, m in ((self.before_plot, b), (self.after_plot, a)):
                if m is not None and m.ndim == 2:
                    plot.set_image(m, levels=(lo, hi), cmap=self.cmap)
        self.before_plot.set_title(f"before: channel {self.channel} of {self.source}")
        self.after_plot.set_title(f"after: × {fmt_num(w, 3)}")
        self.caption.setText(
            f"Channel <b>{self.channel}</b> is multiplied by <b>{fmt_num(w, 3)}</b>: "
            f"{'kept almost whole' if w > 0.8 else 'damped' if w > 0.3 else 'suppressed'}"
            f" (same colour scale left and right).")
        self.channelChosen.emit(self.channel)

    def _draw_bars(self) -> None:
        order = np.argsort(-self.weights, kind="stable") if self.by_weight.isChecked() \
            else None
        self.chart.set_values(self.weights, order=order, y_range=(0.0, 1.0))
        self.chart.plotItem.setLabel("bottom", "channel (sorted by weight)"
                                     if order is not None else "channel")
