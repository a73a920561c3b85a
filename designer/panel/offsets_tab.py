"""The Offsets tab: where a deformable convolution really samples.

A DeformConv2d predicts, for every output position, an offset ``(dy, dx)``
for each of its k × k kernel taps (and, when modulated, a mask in (0, 1)
weighting each sample). This tab draws, on the node's input (the image, or
the channel mean of the source feature map), the regular sampling grid of
one output position (hollow circles) and arrows to the deformed positions
(dots, sized and shaded by the mask), plus a heatmap of the mean offset
length over all output positions. Offsets start at zero (the offset conv is
zero-initialised), so they move only with trained weights: train the design
in the Train tab (:mod:`designer.training`) or load a weights file.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
)

from designer import look
from designer.look import fmt_num, fmt_shape

from . import fmt
from .image_plot import ImagePlot
from .node_tab import NodeTab, plots_body

__all__ = ["OffsetsTab"]


class OffsetsTab(NodeTab):
    """Sampling points of one output position of a deformable conv, and offset lengths.

    Signals
    -------
    locationChosen(int, int)
        Output position ``(y, x)`` now shown.
    """

    locationChosen = Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.params: dict = {}
        self.offsets: np.ndarray | None = None
        self.mask: np.ndarray | None = None
        self.location: tuple[int, int] | None = None
        self.arrows: list[pg.ArrowItem] = []
        self._build()

    def _build(self) -> None:
        self.group_combo = QComboBox()
        self.group_combo.setToolTip("Offset group (channels in a group share offsets)")
        self.group_label = QLabel("Offset group")
        self.zoom = QCheckBox("Zoom to the samples")
        self.zoom.setChecked(True)
        row = QHBoxLayout()
        row.addWidget(self.zoom)
        row.addStretch(1)
        row.addWidget(self.group_label)
        row.addWidget(self.group_combo)

        self.input_plot = ImagePlot(title="input with sampling points")
        self.heat_plot = ImagePlot(title="mean offset length (px) per output", colorbar=True)
        self.input_plot.setMinimumSize(180, 180)
        self.heat_plot.setMinimumSize(150, 150)
        self.lines = pg.PlotDataItem(connect="pairs", pen=pg.mkPen(look.SAMPLE, width=2))
        self.grid_points = pg.ScatterPlotItem(symbol="o", size=15, brush=None,
                                              pen=pg.mkPen(look.REGION, width=2.5))
        self.samples = pg.ScatterPlotItem(symbol="o", pen=pg.mkPen(look.ON_COLOR, width=1))
        for z, item in enumerate((self.lines, self.samples, self.grid_points)):
            item.setZValue(10 + z)
            self.input_plot.add(item)
        self.heat_mark = pg.ScatterPlotItem(symbol="s", size=11, brush=None,
                                            pen=pg.mkPen(look.REGION, width=2))
        self.heat_plot.add(self.heat_mark)
        self.heat_mark.setZValue(10)
        body, self.info = plots_body(
            [row], self.input_plot, self.heat_plot, (3, 2),
            f"{look.span('○', look.REGION)} regular grid &nbsp; "
            f"{look.span('●→', look.SAMPLE)} deformed sample (size and opacity: "
            "mask) &nbsp; click either picture to choose the output position")
        self.set_content(body)

        self.group_combo.currentIndexChanged.connect(lambda _i: self._draw())
        self.zoom.toggled.connect(lambda _c: self._frame())
        self.heat_plot.clicked.connect(self._heat_clicked)
        self.input_plot.clicked.connect(self._input_clicked)

    # -- public ------------------------------------------------------------------------
    def show_offsets(self, node_id: str, params: dict, offsets: np.ndarray,
                     mask: np.ndarray | None, picture: np.ndarray, source: str,
                     trained: bool = False, stale: bool = False, kind_name: str = "") -> None:
        """Show the offsets of ``node_id``.

        Parameters
        ----------
        node_id : str
        params : dict
            Normalised parameters of the deformable conv (kernel_size, stride,
            padding as the left padding per axis, dilation, offset_groups,
            modulated).
        offsets : numpy.ndarray
            ``[2 * offset_groups * kh * kw, Ho, Wo]``, ``(dy, dx)`` per tap.
        mask : numpy.ndarray or None
            ``[offset_groups * kh * kw, Ho, Wo]`` for the modulated variant.
        picture : numpy.ndarray
            The input: ``[H, W, 3]`` RGB in [0, 1] or ``[H, W]`` (drawn in gray).
        source : str
            What the picture is (for the caption).
        trained : bool
            Whether the weights are the Train tab's (trained in this session).
        stale : bool
            The offsets come from a run before the last change of the graph,
            weights or image (said in the title).
        kind_name : str
            The node's layer type, for the title.
        """
        same = node_id == self.node_id and self.offsets is not None \
            and self.offsets.shape == offsets.shape
        self.node_id = node_id
        self.params = params
        self.offsets = np.asarray(offsets, dtype=np.float32)
        self.mask = None if mask is None else np.asarray(mask, dtype=np.float32)
        self.trained = trained
        kh, kw = params["kernel_size"]
        og = int(params.get("offset_groups", 1))
        self.group_combo.blockSignals(True)
        if self.group_combo.count() != og:
            self.group_combo.clear()
            self.group_combo.addItems([str(g) for g in range(og)])
        self.group_combo.blockSignals(False)
        self.group_label.setVisible(og > 1)
        self.group_combo.setVisible(og > 1)
        ho, wo = self.offsets.shape[1:]
        if not same or self.location is None:
            self.location = (ho // 2, wo // 2)
        variant = "modulated (DCN v2)" if self.mask is not None else "DCN v1"
        kind = f"{kind_name} " if kind_name else ""
        self.title.setText(f"<b>{node_id}</b> · {kind}{fmt_shape((kh, kw))} · {variant} · "
                           f"offsets {fmt_shape(self.offsets.shape)} · input: {source}"
                           + (fmt.STALE_NOTE if stale else ""))
        self.show_content()
        if picture.ndim == 3:
            self.input_plot.set_image(np.clip(picture, 0, 1))
        else:
            self.input_plot.set_image(picture, cmap="gray")
        self._draw(reframe=not same)

    def choose(self, y: int, x: int) -> None:
        """Show the samples of output position ``(y, x)``."""
        if self.offsets is None:
            return
        ho, wo = self.offsets.shape[1:]
        self.location = (int(np.clip(y, 0, ho - 1)), int(np.clip(x, 0, wo - 1)))
        self._draw(reframe=True)
        self.locationChosen.emit(*self.location)

    def sample_points(self) -> tuple[np.ndarray, np.ndarray]:
        """Regular and deformed positions ``[k*k, 2]`` (y, x, input pixels) at the location."""
        kh, kw = self.params["kernel_size"]
        sh, sw = self.params.get("stride", (1, 1))
        ph, pw = self.params.get("padding", (0, 0))
        dh, dw = self.params.get("dilation", (1, 1))
        oy, ox = self.location
        g = max(0, self.group_combo.currentIndex())
        k = kh * kw
        ii, jj = np.meshgrid(np.arange(kh), np.arange(kw), indexing="ij")
        grid = np.stack([oy * sh - ph + ii.ravel() * dh, ox * sw - pw + jj.ravel() * dw], 1)
        off = self.offsets[g * 2 * k:(g + 1) * 2 * k, oy, ox].reshape(k, 2)
        return grid.astype(np.float64), grid + off

    # -- drawing -----------------------------------------------------------------------
    def _magnitude(self) -> np.ndarray:
        kh, kw = self.params["kernel_size"]
        k = kh * kw
        g = max(0, self.group_combo.currentIndex())
        off = self.offsets[g * 2 * k:(g + 1) * 2 * k]
        return np.sqrt(off[0::2] ** 2 + off[1::2] ** 2).mean(axis=0)

    def _draw(self, reframe: bool = False) -> None:
        if self.offsets is None or self.location is None:
            return
        mag = self._magnitude()
        lo, hi = float(mag.min()), float(mag.max())
        if hi - lo < 1e-6:
            lo, hi = 0.0, max(hi, 1e-3)
        self.heat_plot.set_image(mag, levels=(lo, hi), cmap="inferno")
        oy, ox = self.location
        self.heat_mark.setData([ox + 0.5], [oy + 0.5])
        grid, deformed = self.sample_points()
        k = grid.shape[0]
        g = max(0, self.group_combo.currentIndex())
        weights = np.ones(k) if self.mask is None else \
            self.mask[g * k:(g + 1) * k, oy, ox].astype(np.float64)
        gy, gx = grid[:, 0] + 0.5, grid[:, 1] + 0.5
        dy, dx = deformed[:, 0] + 0.5, deformed[:, 1] + 0.5
        self.grid_points.setData(gx, gy)
        brushes = [pg.mkBrush(look.with_alpha(look.SAMPLE, 60 + 195 * float(np.clip(w, 0, 1))))
                   for w in weights]
        sizes = 4 + 6 * np.clip(weights, 0, 1)
        self.samples.setData(dx, dy, brush=brushes, size=sizes)
        xs = np.empty(2 * k)
        ys = np.empty(2 * k)
        xs[0::2], xs[1::2] = gx, dx
        ys[0::2], ys[1::2] = gy, dy
        self.lines.setData(xs, ys)
        self._arrows(gx, gy, dx, dy)
        lengths = np.hypot(dy - gy, dx - gx)
        self._info(lengths, weights)
        if reframe:
            self._frame()

    def _arrows(self, gx, gy, dx, dy) -> None:
        k = len(gx)
        while len(self.arrows) < k:
            arrow = pg.ArrowItem(headLen=10, tipAngle=40, brush=look.SAMPLE,
                                 pen=pg.mkPen(look.ON_COLOR, width=0.8))
            arrow.setZValue(14)
            self.input_plot.add(arrow)
            self.arrows.append(arrow)
        while len(self.arrows) > k:
            self.input_plot.remove(self.arrows.pop())
        for arrow, x0, y0, x1, y1 in zip(self.arrows, gx, gy, dx, dy, strict=True):
            length = math.hypot(x1 - x0, y1 - y0)
            # the arrow points left at angle 0; screen y grows downwards like the image's
            arrow.setStyle(angle=math.degrees(math.atan2(y1 - y0, x1 - x0)) - 180)
            arrow.setPos(x1, y1)
            arrow.setVisible(length > 0.05)

    def _info(self, lengths: np.ndarray, weights: np.ndarray) -> None:
        oy, ox = self.location
        kh, kw = self.params["kernel_size"]
        text = (f"Output (y {oy}, x {ox}) samples {kh * kw} points: offset length mean "
                f"<b>{fmt_num(lengths.mean(), 3)}</b> px, max <b>{fmt_num(lengths.max(), 3)}"
                f"</b> px")
        if self.mask is not None:
            text += f"; mask {fmt_num(weights.min(), 2)} – {fmt_num(weights.max(), 2)}"
        text += "."
        if float(np.abs(self.offsets).max()) < 1e-6:
            text += ("<br><b>All offsets are zero</b>: the offset conv starts at zero, so a "
                     "new deformable conv samples exactly like a plain conv. Train the "
                     "design in the <b>Train</b> tab (or load trained weights) to watch "
                     "the grid deform.")
        elif self.trained:
            text += " " + fmt.muted("(weights trained in the Train tab)")
        self.info.setText(text)

    def _frame(self) -> None:
        if self.offsets is None or self.location is None:
            return
        if not self.zoom.isChecked():
            self.input_plot.auto_range()
            return
        grid, deformed = self.sample_points()
        pts = np.vstack([grid, deformed])
        lo, hi = pts.min(axis=0), pts.max(axis=0) + 1
        margin = max(3.0, 0.35 * float((hi - lo).max()))
        self.input_plot.vb.setRange(xRange=(lo[1] - margin, hi[1] + margin),
                                    yRange=(lo[0] - margin, hi[0] + margin), padding=0)

    # -- interaction -------------------------------------------------------------------
    def _heat_clicked(self, x: float, y: float) -> None:
        self.choose(int(math.floor(y)), int(math.floor(x)))

    def _input_clicked(self, x: float, y: float) -> None:
        if self.offsets is None:
            return
        kh, kw = self.params["kernel_size"]
        sh, sw = self.params.get("stride", (1, 1))
        ph, pw = self.params.get("padding", (0, 0))
        dh, dw = self.params.get("dilation", (1, 1))
        oy = round((math.floor(y) + ph - (kh - 1) * dh / 2) / sh)
        ox = round((math.floor(x) + pw - (kw - 1) * dw / 2) / sw)
        self.choose(oy, ox)
