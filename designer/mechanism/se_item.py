"""The linked SE picture as one graphics item: bar rows and the chosen channel's maps.

:class:`SEItem` draws squeeze, hidden (when known), logits and weights as rows
of bars, one column per channel (a shorter vector centred), lines from the
chosen channel's mean to every hidden unit and from every hidden unit to its
logit, and the channel's map before and after scaling on one grey scale.
Hovering a column chooses its channel.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsObject

from designer import look
from designer.look import fmt_num

from .se_stages import SEStages
from .style import LABEL_FONT, TITLE_FONT

__all__ = ["SEItem"]

ROW_H, LABEL_W, GAP = 54.0, 168.0, 16.0


def _gray(m: np.ndarray, lo: float, hi: float) -> QImage:
    t = np.clip((m - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
    a, b = look.INK, look.BASE
    rgb = np.stack([a.red() + (b.red() - a.red()) * t, a.green() + (b.green() - a.green()) * t,
                    a.blue() + (b.blue() - a.blue()) * t], -1).astype(np.uint8)
    rgb = np.ascontiguousarray(rgb)
    return QImage(rgb.data, rgb.shape[1], rgb.shape[0], 3 * rgb.shape[1],
                  QImage.Format.Format_RGB888).copy()


class SEItem(QGraphicsObject):
    """Bar rows (squeeze, hidden, logits, weights) and the chosen channel's maps.

    Signals
    -------
    channelChosen(int)
        The channel under the mouse.
    """

    channelChosen = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.stages: SEStages | None = None
        self.channel = 0
        self.width = 520.0
        self.setAcceptHoverEvents(True)

    def set_stages(self, stages: SEStages, channel: int, width: float) -> None:
        """Draw ``stages`` with ``channel`` chosen, ``width`` px wide."""
        self.prepareGeometryChange()
        self.stages, self.channel, self.width = stages, channel, max(360.0, width)
        self.update()

    def set_channel(self, c: int) -> None:
        """Choose channel ``c``."""
        if self.stages is not None and c != self.channel:
            self.channel = int(np.clip(c, 0, len(self.stages.weights) - 1))
            self.update()
            self.channelChosen.emit(self.channel)

    def _rows(self):
        s = self.stages
        c = len(s.weights)
        rows = [("squeeze: mean of each channel", s.squeeze, c)]
        if s.hidden is not None:
            rows.append((f"excite: 1×1 conv {c}→{len(s.hidden)}, max(0, ·)", s.hidden, c))
        rows.append((f"1×1 conv →{c} (logits)", s.logits, c))
        rows.append(("sigmoid: channel weights", s.weights, c))
        return rows

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt override)
        """Bar rows and the maps."""
        n = len(self._rows()) if self.stages is not None else 0
        return QRectF(0, 0, self.width, n * ROW_H + 150.0)

    def _bar_x(self, i: int, n: int, c: int) -> tuple[float, float]:
        span = self.width - LABEL_W
        w = span / c
        offset = (span - w * n) / 2.0  # a shorter vector is centred
        return LABEL_W + offset + i * w, w

    def paint(self, p: QPainter, option, widget=None) -> None:
        """Rows of bars, links to the chosen channel, the maps before and after."""
        if self.stages is None:
            return
        rows = self._rows()
        ch = self.channel
        tops = []
        for r, (label, v, c) in enumerate(rows):
            top = r * ROW_H
            tops.append(top)
            p.setFont(LABEL_FONT)
            p.setPen(look.INK_SOFT)
            p.drawText(QRectF(0, top, LABEL_W - 8, ROW_H - 8), Qt.AlignmentFlag.AlignRight |
                       Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap, label)
            lo, hi = min(0.0, float(v.min())), max(0.0, float(v.max()))
            scale = (ROW_H - 14) / (hi - lo if hi > lo else 1.0)
            base = top + 4 + hi * scale
            for i, val in enumerate(v):
                x, w = self._bar_x(i, len(v), c)
                y = base - max(val, 0) * scale
                chosen = (len(v) == c and i == ch)
                color = look.BAR_SELECTED if chosen else \
                    (look.BAR_POSITIVE if val >= 0 else look.BAR_NEGATIVE)
                p.fillRect(QRectF(x + 0.5, y, max(1.0, w - 1.0), abs(val) * scale), color)
            p.setPen(QPen(look.LINE, 1.0))
            p.drawLine(QPointF(LABEL_W, base), QPointF(self.width, base))
        self._links(p, rows, tops)
        self._maps(p, len(rows) * ROW_H + 6)

    def _links(self, p: QPainter, rows, tops) -> None:
        """The chosen channel's squeeze feeds every hidden unit; every hidden unit feeds
        the chosen logit."""
        if self.stages.hidden is None:
            return
        c = len(self.stages.weights)
        h = len(self.stages.hidden)
        pen = QPen(look.with_alpha(look.BAR_SELECTED, 150), 1.0)
        p.setPen(pen)
        sx, sw = self._bar_x(self.channel, c, c)
        for j in range(h):
            hx, hw = self._bar_x(j, h, c)
            p.drawLine(QPointF(sx + sw / 2, tops[0] + ROW_H - 10),
                       QPointF(hx + hw / 2, tops[1] + 2))
            p.drawLine(QPointF(hx + hw / 2, tops[1] + ROW_H - 10),
                       QPointF(sx + sw / 2, tops[2] + 2))

    def _maps(self, p: QPainter, top: float) -> None:
        s, c = self.stages, self.channel
        b, a = s.before[c], s.after[c]
        lo, hi = float(min(b.min(), a.min())), float(max(b.max(), a.max()))
        side = 120.0
        p.setFont(TITLE_FONT)
        p.setPen(look.INK)
        p.drawText(QRectF(0, top, LABEL_W - 8, side), Qt.AlignmentFlag.AlignRight |
                   Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap,
                   f"scale: channel {c}")
        x = LABEL_W
        for m, title in ((b, "before"), (a, "after")):
            img = _gray(m, lo, hi)
            ratio = img.width() / max(1, img.height())
            w = side * min(ratio, 2.0)
            p.drawImage(QRectF(x, top + 16, w, side - 16), img)
            p.setFont(LABEL_FONT)
            p.setPen(look.INK_SOFT)
            p.drawText(QRectF(x, top, w, 14), Qt.AlignmentFlag.AlignLeft, title)
            x += w + GAP
            if title == "before":
                p.setFont(TITLE_FONT)
                p.setPen(look.INK)
                text = f"× {fmt_num(s.weights[c], 3)} ="
                p.drawText(QRectF(x, top + 16, 90, side - 16), Qt.AlignmentFlag.AlignCenter, text)
                x += 90 + GAP

    def hoverMoveEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """The channel column under the mouse becomes the chosen one."""
        if self.stages is None or event.pos().x() < LABEL_W:
            return
        c = len(self.stages.weights)
        if event.pos().y() < len(self._rows()) * ROW_H:
            i = int((event.pos().x() - LABEL_W) // ((self.width - LABEL_W) / c))
            if 0 <= i < c:
                self.set_channel(i)
