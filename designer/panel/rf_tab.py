"""The RF tab: the receptive field of one output pixel, drawn on the input image.

Three views of "which input pixels does this output see?":

- the **theoretical region** (dashed rectangle): the analysis' exact interval
  per axis, in Input pixels (it may reach into the padding, outside the image);
- the **footprint** (tinted cells): the input pixels that really reach the
  output; a stack of dilated convolutions leaves holes in it (gridding);
- the **effective receptive field** (heatmap): the gradient magnitude of the
  output with respect to the input under the current weights (Luo et al.
  2016), usually concentrated in the middle of the region.

Choose the output pixel by clicking the small map on the left (or a feature
map in the Maps tab), or with the coordinate fields.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
)

from designer import look
from designer.look import fmt_shape

from . import fmt
from .colormaps import lookup_table
from .fmt import picture
from .image_plot import ImagePlot
from .node_tab import NodeTab, plots_body

__all__ = ["most_active_index", "ReceptiveFieldTab"]




def most_active_index(activation: np.ndarray) -> tuple[int, ...]:
    """The element the RF tab starts on: the centre of the most active channel.

    The channel with the largest mean absolute value (the first on a tie), so
    that a dead channel (all zeros after a ReLU, whose effective RF is empty)
    is not the first thing shown. ``activation`` is ``[C, H, W]`` or ``[C, D, H, W]``.
    """
    a = np.abs(np.asarray(activation, dtype=np.float64))
    channel = int(np.argmax(a.reshape(a.shape[0], -1).mean(axis=1)))
    return (channel, *(n // 2 for n in a.shape[1:]))

class ReceptiveFieldTab(NodeTab):
    """Theoretical region, exact footprint and effective RF of one output element.

    Signals
    -------
    erfRequested(str, object, str)
        ``(node_id, index, input_id)``: compute the effective receptive field of
        the output element ``index`` (``(c, y, x)``, ``(c, d, y, x)`` or ``(f,)``).
    """

    erfRequested = Signal(str, object, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rf = None
        self.shape: tuple[int, ...] | None = None
        self.index: tuple[int, ...] | None = None
        self.region = None
        self.footprint = None  # exact n-D footprint of the element (engine Footprint)
        self._footprint_of = None
        self.erf: np.ndarray | None = None
        self._erf_key = None
        self._foot = np.zeros((0, 0), bool)
        self._erf_error: str | None = None
        self.tensor: np.ndarray | None = None
        self._frame_shown = None
        self.can_erf = False
        self._build()

    def _build(self) -> None:
        self.spins = {}
        row = QHBoxLayout()
        self.pos_label = QLabel("Output")
        row.addWidget(self.pos_label)
        for name in ("c", "d", "y", "x"):
            spin = QSpinBox()
            spin.setPrefix(f"{name} ")
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(self._spin_changed)
            self.spins[name] = spin
            row.addWidget(spin)
        row.addStretch(1)
        self.show_region = QCheckBox("region")
        self.show_foot = QCheckBox("footprint")
        self.show_erf = QCheckBox("effective RF")
        for box in (self.show_region, self.show_foot, self.show_erf):
            box.setChecked(True)
            box.toggled.connect(lambda _c: self._visibility())
        self.show_erf.toggled.connect(self._erf_toggled)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(75)
        self.opacity.setMaximumWidth(90)
        self.opacity.setToolTip("Opacity of the effective-RF heatmap")
        self.opacity.valueChanged.connect(lambda _v: self._visibility())
        self.zoom = QCheckBox("zoom")
        self.zoom.setChecked(True)
        self.zoom.setToolTip("Zoom the input to the receptive field")
        self.zoom.toggled.connect(lambda _c: self._frame())
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("Show"))
        row2.addWidget(self.show_region)
        row2.addWidget(self.show_foot)
        row2.addWidget(self.show_erf)
        row2.addWidget(self.opacity)
        row2.addStretch(1)
        row2.addWidget(self.zoom)

        self.out_plot = ImagePlot(title="output: click a pixel")
        self.out_plot.setMinimumSize(120, 120)
        self.out_mark = pg.ScatterPlotItem(symbol="s", size=11, brush=None,
                                           pen=pg.mkPen(look.MARK, width=2))
        self.out_mark.setZValue(10)
        self.out_plot.add(self.out_mark)
        self.in_plot = ImagePlot(title="input")
        self.in_plot.setMinimumSize(180, 180)
        self.erf_item = pg.ImageItem(axisOrder="row-major")
        self.foot_item = pg.ImageItem(axisOrder="row-major")
        self.rect_item = QGraphicsRectItem()
        pen = pg.mkPen(look.REGION, width=2, style=Qt.PenStyle.DashLine, cosmetic=True)
        self.rect_item.setPen(pen)
        self.bounds_item = QGraphicsRectItem()
        self.bounds_item.setPen(pg.mkPen(look.NEUTRAL, width=1, cosmetic=True))
        for z, item in enumerate((self.bounds_item, self.erf_item, self.foot_item,
                                  self.rect_item)):
            item.setZValue(5 + z)
            self.in_plot.add(item)
        body, self.info = plots_body(
            [row, row2], self.out_plot, self.in_plot, (2, 3),
            f"{look.span('┅', look.REGION)} theoretical region &nbsp; "
            f"{look.span('■', look.REGION)} footprint (pixels that reach the output) &nbsp; "
            f"{look.span('■', look.ERF)} effective RF (|gradient|)")
        self.set_content(body)
        self.out_plot.clicked.connect(self._out_clicked)

    # -- public ------------------------------------------------------------------------
    def show_node(self, node_id: str, rf, shape: tuple[int, ...], out_map: np.ndarray | None,
                  tensor: np.ndarray | None, input_shape: tuple[int, ...],
                  can_erf: bool, index: tuple[int, ...] | None = None,
                  footprint_of=None) -> None:
        """Show the receptive field of ``node_id``'s outputs.

        Parameters
        ----------
        node_id : str
        rf : engine.RF
            The analysis' receptive field (relative to ``rf.input``).
        shape : tuple of int
            The node's output shape (no batch): ``(C, H, W)``, ``(C, D, H, W)`` or ``(F,)``.
        out_map : numpy.ndarray or None
            A picture of the output to click on (``[H, W]``), if a run produced one.
        tensor : numpy.ndarray or None
            What the Input received, ``[C, (D,) H, W]`` (3-D inputs show the frame in
            the middle of the region); None draws an empty frame.
        input_shape : tuple of int
            ``(C, H, W)`` or ``(C, D, H, W)`` of the Input.
        can_erf : bool
            Whether the effective RF can be computed (a current run exists).
        index : tuple of int, optional
            The output element to show (``(c, y, x)``, ...); default: keep the
            current one for the same node, else the centre of channel 0.
        footprint_of : callable, optional
            ``footprint_of(index) -> engine.analysis.Footprint | None``: the exact
            n-D footprint of an element (merged branches of different shapes
            reach fewer pixels than the product of the per-axis footprints).
            Without it the footprint is that product.
        """
        same = node_id == self.node_id and self.shape == tuple(shape)
        self.node_id = node_id
        self.rf = rf
        self._footprint_of = footprint_of
        self.shape = tuple(shape)
        self.input_shape = tuple(input_shape)
        self.can_erf = can_erf
        self.show_content()
        self.title.setText(f"<b>{node_id}</b> · {rf.label()} · relative to <b>{rf.input}"
                           f"</b> · output {fmt_shape(shape)}")
        h, w = self.input_shape[-2:]
        self.tensor = tensor
        self._frame_shown = None
        self.bounds_item.setRect(QRectF(0, 0, w, h))
        spatial = len(self.shape) >= 3
        self.out_plot.setVisible(spatial)
        self.pos_label.setText("Output" if spatial else "Feature")
        if spatial and out_map is not None:
            self.out_plot.set_image(out_map, cmap="viridis")
        elif spatial:  # no run yet: a neutral grid of the output's size
            self.out_plot.set_image(np.full(self.shape[-2:], 0.8, np.float32), levels=(0, 1),
                                    cmap="gray")
        self._configure_spins(index, keep=same)
        self._update()

    def choose(self, index: tuple[int, ...]) -> None:
        """Show the output element ``index`` (same layout as the node's output shape)."""
        if self.shape is None or len(index) != len(self.shape):
            return
        names = self._names()
        for name, v in zip(names, index, strict=True):
            self.spins[name].blockSignals(True)
            self.spins[name].setValue(int(v))
            self.spins[name].blockSignals(False)
        self._update()

    def set_erf(self, key, erf: np.ndarray) -> None:
        """Receive an effective RF computed for ``key`` = ``(node_id, index)``."""
        if key != self._erf_key:
            return  # an answer to an older request
        self.erf = np.asarray(erf, dtype=np.float32)
        self._draw_erf()
        self._describe()

    def set_erf_error(self, key, message: str) -> None:
        """The effective RF for ``key`` could not be computed."""
        if key != self._erf_key:
            return
        self._erf_error = message
        self._describe()

    def region_rect(self) -> QRectF | None:
        """The drawn theoretical region in input pixels (None when global or hidden)."""
        return self.rect_item.rect() if self.region is not None else None

    def footprint_cells(self) -> int:
        """Number of input pixels in the drawn footprint."""
        return 0 if self.region is None else int(self._foot.sum())

    # -- internals ---------------------------------------------------------------------
    def _names(self) -> tuple[str, ...]:
        return {1: ("c",), 3: ("c", "y", "x"), 4: ("c", "d", "y", "x")}.get(
            len(self.shape), ("c",))

    def _configure_spins(self, index, keep: bool) -> None:
        names = self._names()
        if index is not None and len(index) != len(names):
            index = None
        for name, spin in self.spins.items():
            spin.setVisible(name in names)
        for i, (name, n) in enumerate(zip(names, self.shape, strict=False)):
            spin = self.spins[name]
            spin.blockSignals(True)
            spin.setRange(0, n - 1)
            if index is not None:
                spin.setValue(int(index[i]))
            elif not keep:
                spin.setValue(n // 2 if name != "c" else 0)
            spin.blockSignals(False)
        if len(self.shape) == 1:
            self.spins["c"].setPrefix("feature ")
        else:
            self.spins["c"].setPrefix("channel ")

    def _spin_changed(self, _v) -> None:
        self._update()

    def _current_index(self) -> tuple[int, ...]:
        return tuple(self.spins[n].value() for n in self._names())

    def _update(self) -> None:
        if self.shape is None:
            return
        self.index = self._current_index()
        spatial = self.index[1:]
        if spatial:
            y, x = spatial[-2:]
            self.out_mark.setData([x + 0.5], [y + 0.5])
        self.region = self.rf.region(spatial) if spatial and not self.rf.is_global else None
        if self.region is not None and None in self.region:
            self.region = None  # no input pixel reaches this output (a strided tconv)
        self.footprint = None
        if self.region is not None and self._footprint_of is not None:
            self.footprint = self._footprint_of(self.index)
        self._draw_input()
        self._draw_region()
        self.erf = None
        self._erf_error = None
        self.erf_item.clear()
        self._erf_key = (self.node_id, self.index)
        if self.can_erf and self.show_erf.isChecked():
            self.erfRequested.emit(self.node_id, self.index, self.rf.input)
        self._frame()
        self._describe()
        self._visibility()

    def _draw_input(self) -> None:
        """The input picture (for 3-D inputs: the frame in the middle of the region)."""
        h, w = self.input_shape[-2:]
        x = self.tensor
        frame = self._frame_index() if x is not None and x.ndim == 4 else None
        if self._frame_shown == (id(x), frame):
            return
        self._frame_shown = (id(x), frame)
        title = f"input <b>{self.rf.input}</b> ({fmt_shape((w, h))})"
        if x is None:
            self.in_plot.set_image(np.full((h, w), 0.5, np.float32), levels=(0, 1),
                                   cmap="gray")
            self.in_plot.set_title(title)
            return
        pic = picture(x[:, frame] if frame is not None else x)
        if pic.ndim == 3:
            self.in_plot.set_image(np.clip(pic, 0, 1))
        else:
            self.in_plot.set_image(pic, cmap="gray")
        self.in_plot.set_title(title + (f", frame {frame}" if frame is not None else ""))

    def _frame_index(self) -> int:
        """The frame of a 3-D input drawn: the middle of the region's frames."""
        depth = self.input_shape[1] if len(self.input_shape) == 4 else 1
        if self.region is not None and len(self.region) == 3:
            dlo, dhi, _ = self.region[0]
            return int(np.clip((dlo + dhi) // 2, 0, depth - 1))
        return depth // 2

    def _draw_region(self) -> None:
        if self.region is None:
            self.rect_item.setRect(QRectF())
            self.foot_item.clear()
            return
        (ylo, yhi, ypos), (xlo, xhi, xpos) = self.region[-2:]
        h, w = yhi - ylo + 1, xhi - xlo + 1
        self.rect_item.setRect(QRectF(xlo, ylo, w, h))
        foot = np.zeros((h, w), bool)
        fp = self.footprint
        if self._footprint_of is None:  # the product of the per-axis footprints
            foot[np.ix_(np.asarray(ypos) - ylo, np.asarray(xpos) - xlo)] = True
        elif fp is not None:  # exact, in the frame drawn (None: no pixel reaches it)
            mask = fp.mask
            if mask.ndim == 3:
                d = self._frame_index() - fp.origin[0]
                mask = mask[d] if 0 <= d < mask.shape[0] else np.zeros(mask.shape[1:], bool)
            y0, x0 = fp.origin[-2] - ylo, fp.origin[-1] - xlo
            foot[y0:y0 + mask.shape[0], x0:x0 + mask.shape[1]] = mask
        self._foot = foot
        # each reached pixel is drawn as a dot in the middle of its cell, so that
        # holes (gridding) and the effective RF underneath stay visible
        s = 5 if h * w <= 160_000 else 1
        dot = np.zeros((s, s), bool)
        dot[s // 4:s - s // 4, s // 4:s - s // 4] = True
        cells = np.zeros((h * s, w * s, 4), np.uint8)
        cells[np.kron(foot, dot).astype(bool)] = look.FOOTPRINT.getRgb()
        self.foot_item.setImage(cells, levels=None, autoLevels=False)
        self.foot_item.setRect(QRectF(xlo, ylo, w, h))

    def _draw_erf(self) -> None:
        e = self.erf
        if e is None:
            return
        top = float(e.max())
        norm = e / top if top > 0 else e
        lut = lookup_table("inferno")
        rgba = lut[np.clip((norm * 255).astype(np.int32), 0, 255)].copy()
        rgba[..., 3] = (np.clip(np.sqrt(norm) * 1.2, 0, 1) * 255).astype(np.uint8)
        self.erf_item.setImage(rgba, levels=None, autoLevels=False)
        self.erf_item.setRect(QRectF(0, 0, e.shape[1], e.shape[0]))
        self._visibility()

    def _visibility(self) -> None:
        self.rect_item.setVisible(self.show_region.isChecked() and self.region is not None)
        self.foot_item.setVisible(self.show_foot.isChecked() and self.region is not None)
        self.erf_item.setVisible(self.show_erf.isChecked() and self.erf is not None)
        self.erf_item.setOpacity(self.opacity.value() / 100)

    def _erf_toggled(self, on: bool) -> None:
        if on and self.erf is None and self.can_erf and self.node_id is not None \
                and self.index is not None:
            self.erfRequested.emit(self.node_id, self.index, self.rf.input)
        if self.node_id is not None and self.index is not None:
            self._describe()

    def _frame(self) -> None:
        if self.shape is None:
            return
        h, w = self.input_shape[-2:]
        x0, y0, x1, y1 = 0, 0, w, h
        if self.region is not None:
            (ylo, yhi, _), (xlo, xhi, _) = self.region[-2:]
            if self.zoom.isChecked():
                m = max(4.0, 0.6 * max(yhi - ylo + 1, xhi - xlo + 1))
                x0, y0, x1, y1 = xlo - m, ylo - m, xhi + 1 + m, yhi + 1 + m
            else:
                x0, y0 = min(x0, xlo), min(y0, ylo)
                x1, y1 = max(x1, xhi + 1), max(y1, yhi + 1)
        self.in_plot.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.03)

    def _describe(self) -> None:
        parts = []
        where = ", ".join(f"{n} {v}" for n, v in zip(self._names(), self.index, strict=True))
        if self.region is None:
            parts.append(f"Output ({where}) of <b>{self.node_id}</b> has a <b>global</b> "
                         "receptive field: every input pixel can reach it (a global pooling, "
                         "SE block or flatten lies on the way).")
        else:
            (ylo, yhi, ypos), (xlo, xhi, xpos) = self.region[-2:]
            hh, ww = yhi - ylo + 1, xhi - xlo + 1
            product = len(ypos) * len(xpos)  # the per-axis footprints
            reached = int(self._foot.sum())  # exact (in the frame drawn)
            text = (f"Output ({where}) sees input rows {ylo}…{yhi}, columns {xlo}…{xhi}: "
                    f"<b>{fmt_shape((hh, ww))}</b>")
            if len(self.region) == 3:
                dlo, dhi, _ = self.region[0]
                text += f", frames {dlo}…{dhi}"
            text += "."
            h, w = self.input_shape[-2:]
            if ylo < 0 or xlo < 0 or yhi >= h or xhi >= w:
                text += " Part of it lies in the zero padding outside the image."
            if product < hh * ww:
                text += (f" <b>Footprint with holes</b>: only {reached} of {hh * ww} pixels "
                         "reach it (gridding).")
            elif reached < hh * ww:
                text += (f" <b>Footprint</b>: {reached} of {hh * ww} pixels reach it: "
                         "branches with windows of different shapes meet on the way (a merge "
                         "joins their windows; a Concat channel comes from one branch).")
            else:
                text += " The footprint has no holes."
            if self.rf.deformable:
                text += (" A deformable conv lies on the way: the learned offsets can look "
                         "beyond this nominal region.")
            parts.append(text)
        parts.append(self._erf_text())
        self.info.setText(" ".join(p for p in parts if p))

    def _erf_text(self) -> str:
        if not self.show_erf.isChecked():
            return ""
        if not self.can_erf:
            return fmt.muted("Run the network to see the effective RF.")
        if self._erf_error:
            return look.span(f"Effective RF failed: {escape(self._erf_error)}", look.ERROR)
        if self.erf is None:
            return fmt.muted("Computing the effective RF…")
        e = self.erf.astype(np.float64)
        total = e.sum()
        if total <= 0:
            return "The gradient is zero everywhere (e.g. a rectifier that is off here)."

        def span(marginal):
            c = np.cumsum(marginal) / total
            lo = int(np.searchsorted(c, 0.025))
            hi = int(np.searchsorted(c, 0.975))
            return hi - lo + 1
        hh, ww = span(e.sum(axis=1)), span(e.sum(axis=0))
        text = (f"Effective RF: 95 % of the gradient within about "
                f"<b>{fmt_shape((hh, ww))}</b> pixels")
        if self.region is not None:
            (ylo, yhi, _), (xlo, xhi, _) = self.region[-2:]
            inside = e[max(ylo, 0):yhi + 1, max(xlo, 0):xhi + 1].sum() / total
            text += f", {100 * inside:.0f} % inside the region"
        return text + "."

    def _out_clicked(self, x: float, y: float) -> None:
        if self.shape is None or len(self.shape) < 3:
            return
        h, w = self.shape[-2:]
        xi, yi = int(math.floor(x)), int(math.floor(y))
        if 0 <= xi < w and 0 <= yi < h:
            self.spins["y"].blockSignals(True)
            self.spins["x"].blockSignals(True)
            self.spins["y"].setValue(yi)
            self.spins["x"].setValue(xi)
            self.spins["y"].blockSignals(False)
            self.spins["x"].blockSignals(False)
            self._update()
