"""Glyphs drawn once per size, colour and sub-pixel offset, then copied.

A card draws its family glyph (:func:`~designer.look.glyphs.paint_glyph`: a
dozen antialiased strokes, about half of a card's drawing time). Every card of
a family at one zoom shows the same glyph, so :func:`draw_glyph` renders it
once into a pixmap, at the device pixel size and at the position within a pixel
(to a quarter pixel) where it lands, and copies that pixmap pixel for pixel.
The picture is the vector drawing's, shifted by at most an eighth of a pixel.
A painter that rotates, shears or stretches unevenly gets the vector drawing.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap, QTransform

from .glyphs import paint_glyph

__all__ = ["draw_glyph"]

#: rendered glyphs by (key, colour, device size and offset in quarter pixels)
_PIXMAPS: dict[tuple, QPixmap] = {}
#: at most this many kept (a few families × zoom levels × 16 offsets)
_KEEP = 2048


def draw_glyph(painter: QPainter, rect: QRectF, key: str, color: QColor) -> None:
    """:func:`~designer.look.glyphs.paint_glyph`, copied from a kept pixmap."""
    t = painter.deviceTransform()
    if t.m12() or t.m21() or t.m13() or t.m23() or t.m11() != t.m22() or t.m11() <= 0:
        paint_glyph(painter, rect, key, color)
        return
    side = min(rect.width(), rect.height())
    c = rect.center()
    dev = t.mapRect(QRectF(c.x() - side / 2, c.y() - side / 2, side, side))
    x0, y0 = math.floor(dev.left()), math.floor(dev.top())
    qx, qy = round((dev.left() - x0) * 4), round((dev.top() - y0) * 4)
    q = round(dev.width() * 4)
    if q <= 0:
        return
    k = (key, color.rgba(), q, qx, qy)
    pm = _PIXMAPS.get(k)
    if pm is None:
        pm = _render(key, color, q / 4, qx / 4, qy / 4)
        if len(_PIXMAPS) >= _KEEP:
            _PIXMAPS.clear()
        _PIXMAPS[k] = pm
    dpr = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
    painter.save()
    painter.setWorldTransform(QTransform.fromScale(1 / dpr, 1 / dpr))  # device pixels
    painter.drawPixmap(QPointF(x0, y0), pm)
    painter.restore()


def _render(key: str, color: QColor, side: float, fx: float, fy: float) -> QPixmap:
    """The glyph ``side`` device pixels wide, its box starting at ``(fx, fy)``."""
    n = math.ceil(max(fx, fy) + side) + 1
    img = QImage(n, n, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(0)
    p = QPainter(img)
    paint_glyph(p, QRectF(fx, fy, side, side), key, color)
    p.end()
    return QPixmap.fromImage(img)
