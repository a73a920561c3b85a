"""The designer's icons: family tiles with their glyph, state marks, the axis link.

Icons are cached and carry 1× and 2× pixmaps, so they stay sharp on high-DPI
screens. :func:`paint_tile` draws the same tile into any painter (the
palette's drag chip).
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QIcon, QPainter, QPainterPath, QPixmap

from .colors import ACCENT, ON_COLOR, PLACEHOLDER, STATE_COLORS, family_color
from .glyphs import paint_glyph, pen

__all__ = ["paint_tile", "family_icon", "kind_icon", "status_icon", "link_icon"]


def paint_tile(painter: QPainter, rect: QRectF, family: str, key: str = "") -> None:
    """A rounded square of the family colour with the white glyph of ``key`` on it.

    Parameters
    ----------
    painter : QPainter
        An active painter (its pen and brush are changed).
    rect : QRectF
        The tile.
    family : str
        Catalogue family (the colour).
    key : str, optional
        Glyph key (``kind.glyph_key()``); the family's glyph by default.
    """
    side = min(rect.width(), rect.height())
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(family_color(family))
    painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), side * 0.22, side * 0.22)
    inset = side * 0.16
    paint_glyph(painter, rect.adjusted(inset, inset, -inset, -inset), key or family, ON_COLOR)


def _pixmap(size: int, ratio: float) -> QPixmap:
    pm = QPixmap(int(size * ratio), int(size * ratio))
    pm.setDevicePixelRatio(ratio)
    pm.fill(Qt.GlobalColor.transparent)
    return pm


@cache
def family_icon(family: str, size: int = 20, key: str = "") -> QIcon:
    """:func:`paint_tile` as an icon of ``size`` logical pixels (cached)."""
    icon = QIcon()
    for ratio in (1.0, 2.0):
        pm = _pixmap(size, ratio)
        painter = QPainter(pm)
        paint_tile(painter, QRectF(0, 0, size, size), family, key)
        painter.end()
        icon.addPixmap(pm)
    return icon


def kind_icon(kind, size: int = 20) -> QIcon:
    """The tile of a :class:`~engine.catalogue.LayerKind` (family colour, its glyph)."""
    return family_icon(kind.family, size, kind.glyph_key())


@cache
def status_icon(state: str, size: int = 14) -> QIcon:
    """A round state mark: ``"error"`` (red !), ``"warning"`` (amber triangle !), ``"ok"`` (✓)."""
    color = STATE_COLORS.get(state, STATE_COLORS["ok"])
    icon = QIcon()
    for ratio in (1.0, 2.0):
        pm = _pixmap(size, ratio)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        if state == "warning":
            tri = QPainterPath(QPointF(size / 2, 0.8))
            tri.lineTo(size - 0.6, size - 1.2)
            tri.lineTo(0.6, size - 1.2)
            tri.closeSubpath()
            p.drawPath(tri)
        else:
            p.drawEllipse(QRectF(0.5, 0.5, size - 1, size - 1))
        p.setPen(pen(ON_COLOR, max(1.4, size / 9)))
        s = size / 14.0
        if state == "ok":
            path = QPainterPath(QPointF(3.8 * s, 7.2 * s))
            path.lineTo(6.1 * s, 9.5 * s)
            path.lineTo(10.3 * s, 4.8 * s)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(path)
        else:
            top = 4.6 if state == "warning" else 3.4
            p.drawLine(QPointF(7 * s, top * s), QPointF(7 * s, 8.2 * s))
            p.drawPoint(QPointF(7 * s, 10.6 * s))
        p.end()
        icon.addPixmap(pm)
    return icon


@cache
def link_icon(linked: bool, size: int = 16) -> QIcon:
    """Chain-link icon of the "same value on every axis" toggle (broken when unlinked)."""
    icon = QIcon()
    for ratio in (1.0, 2.0):
        pm = _pixmap(size, ratio)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.scale(size / 16.0, size / 16.0)
        p.setPen(pen(ACCENT if linked else PLACEHOLDER, 1.6))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.translate(8, 8)
        p.rotate(-45)
        if linked:
            p.drawRoundedRect(QRectF(-7, -2.6, 8, 5.2), 2.6, 2.6)
            p.drawRoundedRect(QRectF(-1, -2.6, 8, 5.2), 2.6, 2.6)
        else:
            p.drawRoundedRect(QRectF(-7.5, -2.6, 6.5, 5.2), 2.6, 2.6)
            p.drawRoundedRect(QRectF(1, -2.6, 6.5, 5.2), 2.6, 2.6)
        p.end()
        icon.addPixmap(pm)
    return icon
