"""Deformable sampling after a run: p0 + pn + Δpn on the input, with bilinear neighbours.

:class:`DeformView` shows, around one output position, the pixels of the
node's input (the picture the Offsets tab uses) enlarged so that single
pixels are visible; over them one item paints the regular grid ``p0 + pn``
(hollow circles), the learned samples ``p`` (dots, sized by the mask of DCN
v2) with arrows from the grid, and the four bilinear neighbours of one tap
with their weights. A table lists every tap. The output position follows the
cursor over the Mechanism view's output grid (or a click on the picture).
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsScene,
    QGraphicsView,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from designer import look
from designer.look import fmt_num

from .deform import Sample, samples
from .samples_item import SamplesItem
from .style import LABEL_FONT

__all__ = ["DeformView"]


class DeformView(QWidget):
    """The samples of one output position of a deformable conv, on its input.

    Signals
    -------
    locationChosen(int, int)
        The output position now shown.
    """

    locationChosen = Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.params: dict = {}
        self.offsets: np.ndarray | None = None
        self.mask: np.ndarray | None = None
        self.picture: np.ndarray | None = None
        self.location: tuple[int, int] | None = None
        self.tap: int | None = None
        self.current: list[Sample] = []
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setWordWrap(True)
        self.scene = QGraphicsScene(self)
        self.scene.setBackgroundBrush(look.BASE)
        self.pixmap = self.scene.addPixmap(QPixmap())
        self.pixmap.setTransformationMode(Qt.TransformationMode.FastTransformation)
        self.marks = SamplesItem()
        self.scene.addItem(self.marks)
        self.view = QGraphicsView(self.scene)
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMouseTracking(True)
        self.view.viewport().installEventFilter(self)
        self.table = QLabel()
        self.table.setTextFormat(Qt.TextFormat.RichText)
        self.table.setWordWrap(True)
        self.legend = QLabel(
            f"{look.span('○', look.REGION)} regular grid p0 + pn &nbsp; "
            f"{look.span('●', look.SAMPLE)} sample p = p0 + pn + Δpn (size: mask) &nbsp; "
            f"{look.span('□', look.ACCENT)} the 4 bilinear neighbours of the circled sample, "
            "with their weights (hover a sample to choose it) &nbsp; "
            f"{look.span('⬚', look.ERROR)} a neighbour outside the input (0)")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.legend.setFont(LABEL_FONT)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 8, 0, 0)
        for w in (self.heading, self.view, self.legend, self.table):
            lay.addWidget(w)

    # -- content -------------------------------------------------------------------------
    def show_offsets(self, node_id: str, params: dict, offsets: np.ndarray,
                     mask: np.ndarray | None, picture: np.ndarray, source: str) -> None:
        """The run's offsets ``[2·G·k_h·k_w, H_out, W_out]`` (and masks) of ``node_id`` over
        ``picture`` (``[H, W]`` or ``[H, W, 3]``), parameters as the Offsets tab gets them."""
        same = self.offsets is not None and self.offsets.shape == np.shape(offsets)
        self.node_id, self.params = node_id, params
        self.offsets = np.asarray(offsets, np.float32)
        self.mask = None if mask is None else np.asarray(mask, np.float32)
        self.picture = np.asarray(picture, np.float32)
        variant = "modulated (DCN v2): value × mask" if self.mask is not None else "DCN v1"
        kh, kw = params["kernel_size"]
        self.heading.setText(f"<b>Deformable sampling</b> · {node_id} · {kh}×{kw} taps · "
                             f"{variant} · on {source} · offsets "
                             f"[{self.offsets.shape[0]}, {self.offsets.shape[1]}, "
                             f"{self.offsets.shape[2]}] as (dy, dx) per tap")
        ho, wo = self.offsets.shape[1:]
        if not same or self.location is None:
            self.location = (ho // 2, wo // 2)
            self.tap = None
        self.show()
        self.choose(*self.location)

    def choose(self, oy: int, ox: int) -> None:
        """Show output position ``(oy, ox)`` (clamped)."""
        if self.offsets is None:
            return
        ho, wo = self.offsets.shape[1:]
        self.location = (int(np.clip(oy, 0, ho - 1)), int(np.clip(ox, 0, wo - 1)))
        size = self.picture.shape[:2]
        self.current = samples(self.params, self.offsets, self.mask, self.location, size)
        if self.tap is None:  # the sample that moved most shows its neighbours
            centre = len(self.current) // 2
            self.tap = max(self.current, key=lambda s: (round(math.hypot(*s.offset), 6),
                                                        -abs(s.tap - centre))).tap
        self._draw()
        self.locationChosen.emit(*self.location)

    def _draw(self) -> None:
        pts = [s.base for s in self.current] + [s.point for s in self.current]
        ys = [y for y, _ in pts]
        xs = [x for _, x in pts]
        y0, x0 = math.floor(min(ys)) - 1, math.floor(min(xs)) - 1
        y1, x1 = math.floor(max(ys)) + 3, math.floor(max(xs)) + 3
        h, w = y1 - y0, x1 - x0
        px = float(np.clip(420.0 / max(h, w), 14.0, 56.0))
        self.pixmap.setPixmap(self._crop(y0, x0, h, w))
        self.pixmap.setScale(px)
        self.marks.set_samples(self.current, (y0, x0), px, (h, w), self.tap)
        rect = QRectF(0, 0, w * px, h * px)
        self.scene.setSceneRect(rect.adjusted(-4, -4, 4, 4))
        self.view.setFixedHeight(int(min(rect.height(), 460)) + 12)
        self.view.fitInView(self.scene.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio) \
            if rect.height() > 460 else self.view.resetTransform()
        self.table.setText(self._table())

    def _crop(self, y0: int, x0: int, h: int, w: int) -> QPixmap:
        pic = self.picture
        rgb = pic if pic.ndim == 3 else np.repeat(pic[..., None], 3, axis=2)
        if pic.ndim == 2:
            lo, hi = float(pic.min()), float(pic.max())
            rgb = (rgb - lo) / (hi - lo if hi > lo else 1.0)
        out = np.empty((h, w, 3), np.float32)
        out[:] = [look.MIDLIGHT.redF(), look.MIDLIGHT.greenF(), look.MIDLIGHT.blueF()]
        H, W = pic.shape[:2]
        sy, sx = slice(max(0, y0), min(H, y0 + h)), slice(max(0, x0), min(W, x0 + w))
        if sy.start < sy.stop and sx.start < sx.stop:
            out[sy.start - y0:sy.stop - y0, sx.start - x0:sx.stop - x0] = rgb[sy, sx]
        data = np.ascontiguousarray((np.clip(out, 0, 1) * 255).astype(np.uint8))
        img = QImage(data.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        return QPixmap.fromImage(img)

    def _table(self) -> str:
        oy, ox = self.location
        rows = []
        for s in self.current:
            mark = "<b>" if s.tap == self.tap else ""
            end = "</b>" if mark else ""
            corners = ", ".join(f"({y},{x}) {fmt_num(w, 2)}" if inside else
                                look.span(f"({y},{x}) 0", look.ERROR)
                                for y, x, w, inside in s.corners)
            mask = "" if s.mask is None else f"<td>{fmt_num(s.mask, 3)}</td>"
            rows.append(f"<tr><td>{mark}{s.tap}{end}</td>"
                        f"<td>({fmt_num(s.base[0], 3)}, {fmt_num(s.base[1], 3)})</td>"
                        f"<td>({fmt_num(s.offset[0], 3)}, {fmt_num(s.offset[1], 3)})</td>"
                        f"<td>({fmt_num(s.point[0], 3)}, {fmt_num(s.point[1], 3)})</td>"
                        f"<td>{corners}</td>{mask}</tr>")
        head = ("<tr><th>tap</th><th>p0 + pn</th><th>Δpn (dy, dx)</th><th>p</th>"
                "<th>neighbours (y,x) weight</th>"
                + ("<th>mask</th>" if self.mask is not None else "") + "</tr>")
        moved = max((math.hypot(*s.offset) for s in self.current), default=0.0)
        note = "" if moved > 1e-6 else ("<br>All offsets are zero here: the samples sit on "
                                        "the regular grid (train the design in the "
                                        "<b>Train</b> tab, or load trained weights, to see "
                                        "them move).")
        return (f"Output <b>({oy}, {ox})</b>: y = Σₙ w(pn)·x(p0 + pn + Δpn)"
                + (" · m(pn)" if self.mask is not None else "")
                + f"; largest offset {fmt_num(moved, 3)} px.{note}"
                f"<table cellspacing='4'>{head}{''.join(rows)}</table>")

    # -- mouse -----------------------------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt override)
        """Hovering a sample chooses the tap whose neighbours are drawn."""
        if obj is self.view.viewport() and event.type() == event.Type.MouseMove and \
                self.current:
            pos = self.marks.mapFromScene(self.view.mapToScene(event.position().toPoint()))
            best = min(self.current, key=lambda s: (self.marks._at(*s.point) - pos)
                       .manhattanLength())
            if best.tap != self.tap:
                self.tap = best.tap
                self._draw()
        return super().eventFilter(obj, event)
