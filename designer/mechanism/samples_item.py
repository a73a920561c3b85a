"""Deformable samples over enlarged input pixels, painted by one graphics item.

:class:`SamplesItem` draws, for one output position, the regular grid
``p0 + pn`` (hollow circles), arrows to the samples ``p = p0 + pn + Δpn``
(dots sized and shaded by the DCN v2 mask) and the four bilinear neighbours of
one chosen tap with their weights (dashed when outside the input: zero).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from designer import look
from designer.look import fmt_num

from .deform import Sample
from .style import SMALL_FONT

__all__ = ["SamplesItem"]


class SamplesItem(QGraphicsItem):
    """Grid points, samples, arrows and one tap's neighbours, in enlarged pixels."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.samples: list[Sample] = []
        self.origin = (0, 0)
        self.px = 24.0
        self.size = (0, 0)
        self.tap = 0

    def set_samples(self, samples_: list[Sample], origin, px: float, size, tap: int) -> None:
        """Samples drawn with input pixel ``origin`` at (0, 0) and ``px`` px per pixel."""
        self.prepareGeometryChange()
        self.samples, self.origin, self.px, self.size, self.tap = samples_, origin, px, size, tap
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt override)
        """The enlarged crop."""
        return QRectF(-2, -2, self.size[1] * self.px + 4, self.size[0] * self.px + 4)

    def _at(self, y: float, x: float) -> QPointF:
        return QPointF((x - self.origin[1] + 0.5) * self.px, (y - self.origin[0] + 0.5) * self.px)

    def paint(self, p: QPainter, option, widget=None) -> None:
        """The chosen tap's neighbours (under everything), arrows, grid circles, sample
        dots, and a ring around the chosen sample."""
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        chosen = self.samples[min(self.tap, len(self.samples) - 1)] if self.samples else None
        if chosen is not None:
            self._corners(p, chosen, labels=False)
        for s in self.samples:
            p.setPen(QPen(look.SAMPLE, 2.0))
            p.drawLine(self._at(*s.base), self._at(*s.point))
        for s in self.samples:
            p.setPen(QPen(look.REGION, 2.5))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawEllipse(self._at(*s.base), self.px * 0.28, self.px * 0.28)
        for s in self.samples:
            m = 1.0 if s.mask is None else float(np.clip(s.mask, 0, 1))
            p.setPen(QPen(look.ON_COLOR, 1.0))
            p.setBrush(look.with_alpha(look.SAMPLE, 90 + 165 * m))
            r = self.px * (0.07 + 0.09 * m)
            p.drawEllipse(self._at(*s.point), r, r)
        if chosen is not None:
            p.setPen(QPen(look.MARK, 2.5))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawEllipse(self._at(*chosen.point), self.px * 0.22, self.px * 0.22)
            self._corners(p, chosen, labels=True)

    def _corners(self, p: QPainter, s: Sample, labels: bool) -> None:
        """The four neighbouring pixels of ``s`` outlined (``labels``: their weights, in
        their outer corners, away from the sample, which sits between them, and drawn
        over everything)."""
        p.setFont(SMALL_FONT)
        y0, x0 = min(c[0] for c in s.corners), min(c[1] for c in s.corners)
        for y, x, w, inside in s.corners:
            rect = QRectF((x - self.origin[1]) * self.px, (y - self.origin[0]) * self.px,
                          self.px, self.px).adjusted(2, 2, -2, -2)
            if not labels:
                pen = QPen(look.ACCENT if inside else look.ERROR, 3.0)
                if not inside:
                    pen.setStyle(Qt.PenStyle.DashLine)
                p.setPen(pen)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(rect)
                continue
            lw, lh = self.px * 0.58, 15.0
            left = rect.left() + 2 if x == x0 else rect.right() - lw - 2
            top = rect.top() + 2 if y == y0 else rect.bottom() - lh - 2
            label = QRectF(left, top, lw, lh)
            p.fillRect(label, look.with_alpha(look.BASE, 225))
            p.setPen(look.INK)
            p.drawText(label, Qt.AlignmentFlag.AlignCenter,
                       fmt_num(round(w, 2), 2) if inside else "0")
