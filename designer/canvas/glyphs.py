"""Vector glyphs of the layer families, drawn as crisp painter paths.

Each glyph is a :class:`QPainterPath` in a 16 × 16 box centred on the origin,
meant to be stroked (not filled) at about 1.4 units; dots are tiny circles.
Paths (not font symbols) keep the glyphs identical on every platform.
"""

from __future__ import annotations

import math
from functools import cache

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainterPath

__all__ = ["glyph"]


def _poly(path: QPainterPath, *pts: tuple[float, float]) -> None:
    path.moveTo(*pts[0])
    for p in pts[1:]:
        path.lineTo(*p)


def _dot(path: QPainterPath, x: float, y: float, r: float = 1.1) -> None:
    path.addEllipse(QPointF(x, y), r, r)


def _input() -> QPainterPath:
    p = QPainterPath()
    p.addRoundedRect(QRectF(-7, -6, 14, 12), 2, 2)
    _poly(p, (-7, 4), (-2.5, -0.5), (0.5, 2.5), (3, 0.5), (7, 4))
    _dot(p, 3.2, -2.6, 1.3)
    return p


def _conv() -> QPainterPath:
    p = QPainterPath()
    p.addRect(QRectF(-6.5, -6.5, 13, 13))
    for t in (-6.5 + 13 / 3, -6.5 + 26 / 3):
        _poly(p, (t, -6.5), (t, 6.5))
        _poly(p, (-6.5, t), (6.5, t))
    return p


def _separable() -> QPainterPath:
    p = QPainterPath()
    p.addRect(QRectF(-7, -7, 4, 14))
    p.addRect(QRectF(-1, -2, 8, 4))
    _poly(p, (-3, 0), (-1, 0))
    return p


def _transposed() -> QPainterPath:
    p = QPainterPath()
    p.addRect(QRectF(-2.5, -2.5, 5, 5))
    for sx in (-1, 1):
        for sy in (-1, 1):
            _poly(p, (sx * 7, sy * 3.5), (sx * 7, sy * 7), (sx * 3.5, sy * 7))
    return p


def _deformable() -> QPainterPath:
    p = QPainterPath()
    for k in (-3.5, 3.5):
        p.moveTo(-7, k)
        p.cubicTo(-3, k - 3, 3, k + 3, 7, k)
        p.moveTo(k, -7)
        p.cubicTo(k + 3, -3, k - 3, 3, k, 7)
    return p


def _cube() -> QPainterPath:
    p = QPainterPath()
    p.addRect(QRectF(-7, -3, 10, 10))
    _poly(p, (-7, -3), (-3, -7), (7, -7), (7, 3), (3, 7))
    _poly(p, (3, -3), (7, -7))
    return p


def _attention() -> QPainterPath:
    p = QPainterPath()
    p.moveTo(-7.5, 0)
    p.quadTo(0, -8, 7.5, 0)
    p.quadTo(0, 8, -7.5, 0)
    p.addEllipse(QPointF(0, 0), 2.4, 2.4)
    return p


def _pooling() -> QPainterPath:
    p = QPainterPath()
    _poly(p, (-7, -6), (7, -6), (1.6, 1), (1.6, 6.5), (-1.6, 6.5), (-1.6, 1), (-7, -6))
    return p


def _activation() -> QPainterPath:
    p = QPainterPath()
    _poly(p, (-7, 6.5), (7, 6.5))
    _poly(p, (-7, 3.5), (0, 3.5), (6.5, -6))
    return p


def _merge() -> QPainterPath:
    p = QPainterPath()
    p.moveTo(-6, -7)
    p.cubicTo(-6, -2, 0, -2, 0, 1.5)
    p.moveTo(6, -7)
    p.cubicTo(6, -2, 0, -2, 0, 1.5)
    _poly(p, (0, 1.5), (0, 7))
    _dot(p, 0, 1.5, 1.4)
    return p


def _dense() -> QPainterPath:
    p = QPainterPath()
    left = [(-5.5, -5.5), (-5.5, 0), (-5.5, 5.5)]
    right = [(5.5, -3), (5.5, 3)]
    for a in left:
        for b in right:
            dx, dy = b[0] - a[0], b[1] - a[1]
            n = math.hypot(dx, dy)
            _poly(p, (a[0] + 1.6 * dx / n, a[1] + 1.6 * dy / n),
                  (b[0] - 1.6 * dx / n, b[1] - 1.6 * dy / n))
    for x, y in left + right:
        _dot(p, x, y, 1.6)
    return p


_BUILDERS = {
    "Input": _input, "Convolution": _conv, "Separable": _separable,
    "Transposed": _transposed, "Deformable": _deformable, "3D": _cube,
    "Attention": _attention, "Pooling": _pooling, "Norm & activation": _activation,
    "Merge": _merge, "Dense": _dense,
}


@cache
def glyph(family: str) -> QPainterPath:
    """The glyph of a family (``engine.FAMILIES``); a plain square if unknown."""
    build = _BUILDERS.get(family)
    if build is None:
        p = QPainterPath()
        p.addRoundedRect(QRectF(-6, -6, 12, 12), 2, 2)
        return p
    return build()
