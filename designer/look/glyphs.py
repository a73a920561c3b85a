"""The layer glyphs: one small pictogram per glyph key, drawn with any colour.

A kind's glyph key is ``kind.glyph_key()`` (its family's name, or a
refinement the catalogue declares: ``"upsample"``, ``"multiply"``,
``"concat"``, ``"shuffle"``, ``"flatten"``, ``"dropout"``, ``"batchnorm"``,
``"smooth_act"``, ``"norm_act"``, ``"clipped_act"``, ``"softmax"``, ``"pad"``,
``"crop"``, ``"slice"``, ``"opaque"``). Glyphs are drawn on a 16 × 16 grid scaled
to the target square: a 3×3 kernel for convolutions, a cube for 3D, a hinge
for activations... The canvas draws them on its cards, the palette and the
property pages on family tiles (:mod:`designer.look.icons`).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen

__all__ = ["GLYPHS", "has_glyph", "paint_glyph", "pen"]


def pen(color: QColor, width: float) -> QPen:
    """A pen with round caps and joins (glyph and icon strokes)."""
    p = QPen(color, width)
    p.setCapStyle(Qt.PenCapStyle.RoundCap)
    p.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return p


def has_glyph(key: str) -> bool:
    """Whether glyph key ``key`` has a drawing of its own (else a dot is drawn)."""
    return key in GLYPHS


def paint_glyph(painter: QPainter, rect: QRectF, key: str, color: QColor) -> None:
    """Draw the glyph of ``key`` inside ``rect`` with strokes of ``color``.

    Parameters
    ----------
    painter : QPainter
        An active painter; its state is saved and restored.
    rect : QRectF
        Target square (the glyph keeps its aspect ratio, centred).
    key : str
        A glyph key (``kind.glyph_key()``, or a family name); an unknown key
        draws a dot.
    color : QColor
        Stroke and fill colour of the glyph.
    """
    side = min(rect.width(), rect.height())
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.translate(rect.center().x() - side / 2, rect.center().y() - side / 2)
    painter.scale(side / 16.0, side / 16.0)  # glyphs are drawn on a 16×16 grid
    painter.setPen(pen(color, 1.4))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    GLYPHS.get(key, _glyph_dot)(painter, color)
    painter.restore()


def _fill(painter: QPainter, color: QColor, alpha: int = 255) -> None:
    c = QColor(color)
    c.setAlpha(alpha)
    painter.setBrush(QBrush(c))


def _glyph_dot(p: QPainter, c: QColor) -> None:
    _fill(p, c)
    p.drawEllipse(QPointF(8, 8), 3, 3)


def _glyph_input(p: QPainter, c: QColor) -> None:
    p.drawRoundedRect(QRectF(2, 3, 12, 10), 1.5, 1.5)
    path = QPainterPath(QPointF(3.5, 11.5))
    path.lineTo(6.5, 7.5)
    path.lineTo(9, 10)
    path.lineTo(10.5, 8.5)
    path.lineTo(12.5, 11.5)
    p.drawPath(path)
    _fill(p, c)
    p.drawEllipse(QPointF(10.5, 5.8), 1.0, 1.0)


def _grid(p: QPainter, x: float, y: float, n_x: int, n_y: int, cell: float) -> None:
    for i in range(n_x):
        for j in range(n_y):
            p.drawRect(QRectF(x + i * cell, y + j * cell, cell, cell))


def _glyph_conv(p: QPainter, c: QColor) -> None:
    p.setPen(pen(c, 1.1))
    _grid(p, 2.5, 2.5, 3, 3, 11 / 3)
    _fill(p, c)
    p.drawRect(QRectF(2.5 + 11 / 3, 2.5 + 11 / 3, 11 / 3, 11 / 3))


def _glyph_separable(p: QPainter, c: QColor) -> None:
    p.setPen(pen(c, 1.1))
    _grid(p, 2.0, 2.5, 1, 3, 11 / 3)
    _grid(p, 3.0 + 11 / 3, 6.2, 3, 1, 10 / 3)
    _fill(p, c)
    p.drawRect(QRectF(2.0, 2.5 + 11 / 3, 11 / 3, 11 / 3))


def _glyph_transposed(p: QPainter, c: QColor) -> None:
    _fill(p, c)
    p.drawRect(QRectF(2.5, 9.5, 4, 4))
    p.setBrush(Qt.BrushStyle.NoBrush)
    dash = pen(c, 1.1)
    dash.setDashPattern([1.5, 1.5])
    p.setPen(dash)
    p.drawRect(QRectF(2.5, 2.5, 11, 11))
    p.setPen(pen(c, 1.4))
    p.drawLine(QPointF(7.5, 8.5), QPointF(12, 4))
    p.drawLine(QPointF(9, 4), QPointF(12, 4))
    p.drawLine(QPointF(12, 4), QPointF(12, 7))


def _glyph_deformable(p: QPainter, c: QColor) -> None:
    faint = QColor(c)
    faint.setAlpha(110)
    p.setPen(pen(faint, 0.9))
    p.drawRect(QRectF(2.5, 2.5, 11, 11))
    p.setPen(Qt.PenStyle.NoPen)
    _fill(p, c)
    jitter = [(-0.8, 0.6), (0.7, -0.9), (0.2, 0.9), (0.9, 0.3), (0, 0), (-0.9, -0.4),
              (0.5, -0.7), (-0.3, 0.8), (0.8, 0.8)]
    for k, (dx, dy) in enumerate(jitter):
        x = 4.3 + (k % 3) * 3.7 + dx
        y = 4.3 + (k // 3) * 3.7 + dy
        p.drawEllipse(QPointF(x, y), 1.2, 1.2)


def _glyph_3d(p: QPainter, c: QColor) -> None:
    front = QRectF(2.5, 5.5, 8, 8)
    p.drawRect(front)
    p.drawLine(QPointF(2.5, 5.5), QPointF(5.5, 2.5))
    p.drawLine(QPointF(10.5, 5.5), QPointF(13.5, 2.5))
    p.drawLine(QPointF(10.5, 13.5), QPointF(13.5, 10.5))
    p.drawLine(QPointF(5.5, 2.5), QPointF(13.5, 2.5))
    p.drawLine(QPointF(13.5, 2.5), QPointF(13.5, 10.5))


def _glyph_attention(p: QPainter, c: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    _fill(p, c)
    for i, h in enumerate((5, 10, 3.5, 8)):
        p.drawRoundedRect(QRectF(2.3 + i * 3.1, 13.5 - h, 2.2, h), 0.6, 0.6)
    p.setPen(pen(c, 1.0))
    p.drawLine(QPointF(2, 13.8), QPointF(14, 13.8))


def _glyph_pooling(p: QPainter, c: QColor) -> None:
    p.setPen(pen(c, 1.1))
    _grid(p, 1.5, 4.0, 2, 2, 3.6)
    _fill(p, c)
    p.drawRect(QRectF(1.5 + 3.6, 4.0, 3.6, 3.6))
    p.drawRect(QRectF(11.0, 6.2, 3.4, 3.4))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawLine(QPointF(9.5, 8.0), QPointF(10.2, 8.0))


def _glyph_upsample(p: QPainter, c: QColor) -> None:
    _fill(p, c)
    p.drawRect(QRectF(1.5, 6.2, 3.4, 3.4))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(pen(c, 1.1))
    _grid(p, 7.2, 4.0, 2, 2, 3.6)
    p.drawLine(QPointF(5.2, 8.0), QPointF(6.4, 8.0))


def _glyph_norm_act(p: QPainter, c: QColor) -> None:
    faint = QColor(c)
    faint.setAlpha(120)
    p.setPen(pen(faint, 0.9))
    p.drawLine(QPointF(2, 12), QPointF(14, 12))
    p.drawLine(QPointF(8, 2.5), QPointF(8, 13.5))
    p.setPen(pen(c, 1.7))
    path = QPainterPath(QPointF(2, 12))
    path.lineTo(8, 12)
    path.lineTo(13.5, 3.5)
    p.drawPath(path)


def _glyph_smooth_act(p: QPainter, c: QColor) -> None:
    faint = QColor(c)
    faint.setAlpha(120)
    p.setPen(pen(faint, 0.9))
    p.drawLine(QPointF(2, 8), QPointF(14, 8))
    p.setPen(pen(c, 1.7))
    path = QPainterPath(QPointF(2, 12.5))
    path.cubicTo(QPointF(7, 12.5), QPointF(9, 3.5), QPointF(14, 3.5))
    p.drawPath(path)


def _glyph_batchnorm(p: QPainter, c: QColor) -> None:
    p.setPen(pen(c, 1.5))
    path = QPainterPath(QPointF(2, 12.5))
    path.cubicTo(QPointF(6, 12.5), QPointF(6, 3), QPointF(8, 3))
    path.cubicTo(QPointF(10, 3), QPointF(10, 12.5), QPointF(14, 12.5))
    p.drawPath(path)
    faint = QColor(c)
    faint.setAlpha(120)
    p.setPen(pen(faint, 0.9))
    p.drawLine(QPointF(2, 13.5), QPointF(14, 13.5))


def _glyph_merge(p: QPainter, c: QColor) -> None:
    p.drawEllipse(QPointF(8, 8), 5.5, 5.5)
    p.drawLine(QPointF(8, 5), QPointF(8, 11))
    p.drawLine(QPointF(5, 8), QPointF(11, 8))


def _glyph_multiply(p: QPainter, c: QColor) -> None:
    p.drawEllipse(QPointF(8, 8), 5.5, 5.5)
    p.drawLine(QPointF(5.9, 5.9), QPointF(10.1, 10.1))
    p.drawLine(QPointF(10.1, 5.9), QPointF(5.9, 10.1))


def _glyph_concat(p: QPainter, c: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    _fill(p, c)
    p.drawRoundedRect(QRectF(2.5, 2.5, 11, 4.6), 0.8, 0.8)
    _fill(p, c, 150)
    p.drawRoundedRect(QRectF(2.5, 8.9, 11, 4.6), 0.8, 0.8)


def _glyph_shuffle(p: QPainter, c: QColor) -> None:
    for y0, y1 in ((3.5, 12.5), (12.5, 3.5), (8, 8)):
        path = QPainterPath(QPointF(2, y0))
        path.cubicTo(QPointF(8, y0), QPointF(8, y1), QPointF(14, y1))
        p.drawPath(path)


def _glyph_dense(p: QPainter, c: QColor) -> None:
    left = [QPointF(3.5, y) for y in (3.5, 8, 12.5)]
    right = [QPointF(12.5, y) for y in (5.5, 10.5)]
    faint = QColor(c)
    faint.setAlpha(150)
    p.setPen(pen(faint, 0.8))
    for a in left:
        for b in right:
            p.drawLine(a, b)
    p.setPen(Qt.PenStyle.NoPen)
    _fill(p, c)
    for pt in (*left, *right):
        p.drawEllipse(pt, 1.7, 1.7)


def _glyph_flatten(p: QPainter, c: QColor) -> None:
    p.setPen(pen(c, 1.1))
    _grid(p, 2.0, 2.0, 2, 2, 3.2)
    p.drawLine(QPointF(9.0, 5.2), QPointF(10.4, 5.2))
    _grid(p, 11.2, 1.6, 1, 4, 2.3)


def _glyph_dropout(p: QPainter, c: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    for k in range(9):
        x = 4 + (k % 3) * 4
        y = 4 + (k // 3) * 4
        _fill(p, c, 60 if k in (1, 5, 6) else 255)
        p.drawEllipse(QPointF(x, y), 1.6, 1.6)


def _glyph_clipped_act(p: QPainter, c: QColor) -> None:
    faint = QColor(c)
    faint.setAlpha(120)
    p.setPen(pen(faint, 0.9))
    p.drawLine(QPointF(2, 12), QPointF(14, 12))
    p.drawLine(QPointF(2, 4), QPointF(14, 4))
    p.setPen(pen(c, 1.7))
    path = QPainterPath(QPointF(2, 12))
    path.lineTo(5.5, 12)
    path.lineTo(10.5, 4)
    path.lineTo(14, 4)
    p.drawPath(path)


def _glyph_softmax(p: QPainter, c: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    for x, h, alpha in ((2.5, 3.5, 150), (6.5, 9.5, 255), (10.5, 5.5, 150)):
        _fill(p, c, alpha)
        p.drawRoundedRect(QRectF(x, 13 - h, 3, h), 0.6, 0.6)
    p.setPen(pen(c, 1.0))
    p.drawLine(QPointF(1.5, 13.5), QPointF(14.5, 13.5))


def _glyph_pad(p: QPainter, c: QColor) -> None:
    faint = QColor(c)
    faint.setAlpha(140)
    dashed = pen(faint, 1.0)
    dashed.setStyle(Qt.PenStyle.DashLine)
    p.setPen(dashed)
    p.drawRect(QRectF(2, 2, 12, 12))
    p.setPen(pen(c, 1.1))
    _fill(p, c)
    p.drawRect(QRectF(5, 5, 6, 6))


def _glyph_crop(p: QPainter, c: QColor) -> None:
    p.setPen(pen(c, 1.5))
    p.drawPolyline([QPointF(4.5, 1.5), QPointF(4.5, 11.5), QPointF(14.5, 11.5)])
    p.drawPolyline([QPointF(1.5, 4.5), QPointF(11.5, 4.5), QPointF(11.5, 14.5)])
    p.setPen(Qt.PenStyle.NoPen)
    _fill(p, c, 110)
    p.drawRect(QRectF(4.5, 4.5, 7, 7))


def _glyph_slice(p: QPainter, c: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    for k, y in enumerate((2.5, 5.8, 9.1, 12.4)):
        _fill(p, c, 255 if k in (1, 2) else 80)
        p.drawRoundedRect(QRectF(2.5 if k in (1, 2) else 4.5, y, 11 if k in (1, 2) else 7,
                                 2.4), 0.6, 0.6)


def _glyph_opaque(p: QPainter, c: QColor) -> None:
    _fill(p, c, 70)
    p.drawRoundedRect(QRectF(2, 2, 12, 12), 2, 2)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(pen(c, 1.5))
    path = QPainterPath(QPointF(6, 6.2))
    path.arcTo(QRectF(6, 4, 4, 4), 180, -270)
    path.lineTo(8, 9.6)
    p.drawPath(path)
    p.setPen(Qt.PenStyle.NoPen)
    _fill(p, c)
    p.drawEllipse(QPointF(8, 11.8), 0.9, 0.9)


#: glyph key -> drawing (``kind.glyph_key()``: a family name or a refinement)
GLYPHS = {
    "Input": _glyph_input,
    "Convolution": _glyph_conv,
    "Separable": _glyph_separable,
    "Transposed": _glyph_transposed,
    "Deformable": _glyph_deformable,
    "3D": _glyph_3d,
    "Attention": _glyph_attention,
    "Pooling": _glyph_pooling,
    "Norm & activation": _glyph_norm_act,
    "Merge": _glyph_merge,
    "Dense": _glyph_dense,
    # refinements of a family's glyph
    "upsample": _glyph_upsample,
    "multiply": _glyph_multiply,
    "concat": _glyph_concat,
    "shuffle": _glyph_shuffle,
    "flatten": _glyph_flatten,
    "dropout": _glyph_dropout,
    "batchnorm": _glyph_batchnorm,
    "smooth_act": _glyph_smooth_act,
    "norm_act": _glyph_norm_act,
    "clipped_act": _glyph_clipped_act,
    "softmax": _glyph_softmax,
    "pad": _glyph_pad,
    "crop": _glyph_crop,
    "slice": _glyph_slice,
    "opaque": _glyph_opaque,
}
