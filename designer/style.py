"""Shared look of the designer: family colours, layer glyphs, theme, number formats.

Everything that gives ConvCanvas its visual identity lives here so that the
palette, the canvas, the property editor and the status bar agree:

* :func:`family_color` / :func:`type_color`: one colour per catalogue family
  (``engine.FAMILIES``); :data:`ERROR`, :data:`WARNING`, :data:`OK` for status.
* :func:`paint_glyph`: draws a family's small pictogram (a 3×3 kernel for
  convolutions, a cube for 3D, a hinge for activations...) into any rectangle
  with any colour, so the canvas can reuse it on its node headers.
* :func:`family_icon` / :func:`type_icon`: cached icons (white glyph on a
  rounded tile of the family colour), sharp on high-DPI screens.
* :func:`apply_theme`: the application palette and a small style sheet.
* :func:`fmt_count`, :func:`fmt_si`, :func:`fmt_bytes`: numbers for people.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QIcon,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
)

__all__ = ["FAMILY_COLORS", "ERROR", "WARNING", "OK", "ACCENT", "family_color",
           "type_color", "type_family", "paint_glyph", "family_icon", "type_icon",
           "status_icon", "link_icon", "apply_theme", "fmt_count", "fmt_si", "fmt_macs",
           "fmt_bytes", "fmt_shape", "mono_font"]

#: one colour per ``engine.FAMILIES`` entry (saturated enough for white glyphs; the
#: same values as ``designer.canvas.theme`` so palette tiles match the node cards)
FAMILY_COLORS: dict[str, str] = {
    "Input": "#475569",
    "Convolution": "#2563eb",
    "Separable": "#0891b2",
    "Transposed": "#7c3aed",
    "Deformable": "#c026d3",
    "3D": "#4338ca",
    "Attention": "#db2777",
    "Pooling": "#0d9488",
    "Norm & activation": "#16a34a",
    "Merge": "#d97706",
    "Dense": "#b45309",
}

ERROR = QColor("#c62828")
WARNING = QColor("#b26a00")
OK = QColor("#2e7d32")
ACCENT = QColor("#2563eb")

_FALLBACK = "#7a7a7a"


def family_color(family: str) -> QColor:
    """The colour of a palette family (grey for an unknown one)."""
    return QColor(FAMILY_COLORS.get(family, _FALLBACK))


def type_family(type_name: str) -> str:
    """The family of a layer type (``"Conv2d"`` -> ``"Convolution"``); ``""`` if unknown."""
    from engine import CATALOGUE  # cheap: the catalogue is already imported by the app

    kind = CATALOGUE.get(type_name)
    return kind.family if kind is not None else ""


def type_color(type_name: str) -> QColor:
    """The colour of a layer type (its family's colour)."""
    return family_color(type_family(type_name))


# -- glyphs ------------------------------------------------------------------
def _pen(color: QColor, width: float) -> QPen:
    pen = QPen(color, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def paint_glyph(painter: QPainter, rect: QRectF, family: str, color: QColor,
                type_name: str = "") -> None:
    """Draw the pictogram of ``family`` inside ``rect`` with strokes of ``color``.

    Parameters
    ----------
    painter : QPainter
        An active painter; its state is saved and restored.
    rect : QRectF
        Target square (the glyph keeps its aspect ratio and a small margin).
    family : str
        A family of ``engine.FAMILIES``; unknown families draw a dot.
    color : QColor
        Stroke and fill colour of the glyph.
    type_name : str, optional
        Refines a few glyphs (``"Upsample"`` and ``"MaxUnpool2d"`` draw an
        upward arrow in the Pooling family, ``"ChannelShuffle"`` crossing
        lines, merges draw ``+``, ``×`` or stacked bars).
    """
    side = min(rect.width(), rect.height())
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.translate(rect.center().x() - side / 2, rect.center().y() - side / 2)
    painter.scale(side / 16.0, side / 16.0)  # glyphs are drawn on a 16×16 grid
    stroke = 1.4
    painter.setPen(_pen(color, stroke))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    draw = _GLYPHS.get(type_name) or _GLYPHS.get(family, _glyph_dot)
    draw(painter, color)
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
    p.setPen(_pen(c, 1.1))
    _grid(p, 2.5, 2.5, 3, 3, 11 / 3)
    _fill(p, c)
    p.drawRect(QRectF(2.5 + 11 / 3, 2.5 + 11 / 3, 11 / 3, 11 / 3))


def _glyph_separable(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c, 1.1))
    _grid(p, 2.0, 2.5, 1, 3, 11 / 3)
    _grid(p, 3.0 + 11 / 3, 6.2, 3, 1, 10 / 3)
    _fill(p, c)
    p.drawRect(QRectF(2.0, 2.5 + 11 / 3, 11 / 3, 11 / 3))


def _glyph_transposed(p: QPainter, c: QColor) -> None:
    _fill(p, c)
    p.drawRect(QRectF(2.5, 9.5, 4, 4))
    p.setBrush(Qt.BrushStyle.NoBrush)
    dash = _pen(c, 1.1)
    dash.setDashPattern([1.5, 1.5])
    p.setPen(dash)
    p.drawRect(QRectF(2.5, 2.5, 11, 11))
    p.setPen(_pen(c, 1.4))
    p.drawLine(QPointF(7.5, 8.5), QPointF(12, 4))
    p.drawLine(QPointF(9, 4), QPointF(12, 4))
    p.drawLine(QPointF(12, 4), QPointF(12, 7))


def _glyph_deformable(p: QPainter, c: QColor) -> None:
    faint = QColor(c)
    faint.setAlpha(110)
    p.setPen(_pen(faint, 0.9))
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
    p.setPen(_pen(c, 1.0))
    p.drawLine(QPointF(2, 13.8), QPointF(14, 13.8))


def _glyph_pooling(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c, 1.1))
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
    p.setPen(_pen(c, 1.1))
    _grid(p, 7.2, 4.0, 2, 2, 3.6)
    p.drawLine(QPointF(5.2, 8.0), QPointF(6.4, 8.0))


def _glyph_norm_act(p: QPainter, c: QColor) -> None:
    faint = QColor(c)
    faint.setAlpha(120)
    p.setPen(_pen(faint, 0.9))
    p.drawLine(QPointF(2, 12), QPointF(14, 12))
    p.drawLine(QPointF(8, 2.5), QPointF(8, 13.5))
    p.setPen(_pen(c, 1.7))
    path = QPainterPath(QPointF(2, 12))
    path.lineTo(8, 12)
    path.lineTo(13.5, 3.5)
    p.drawPath(path)


def _glyph_smooth_act(p: QPainter, c: QColor) -> None:
    faint = QColor(c)
    faint.setAlpha(120)
    p.setPen(_pen(faint, 0.9))
    p.drawLine(QPointF(2, 8), QPointF(14, 8))
    p.setPen(_pen(c, 1.7))
    path = QPainterPath(QPointF(2, 12.5))
    path.cubicTo(QPointF(7, 12.5), QPointF(9, 3.5), QPointF(14, 3.5))
    p.drawPath(path)


def _glyph_batchnorm(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c, 1.5))
    path = QPainterPath(QPointF(2, 12.5))
    path.cubicTo(QPointF(6, 12.5), QPointF(6, 3), QPointF(8, 3))
    path.cubicTo(QPointF(10, 3), QPointF(10, 12.5), QPointF(14, 12.5))
    p.drawPath(path)
    faint = QColor(c)
    faint.setAlpha(120)
    p.setPen(_pen(faint, 0.9))
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
    p.setPen(_pen(faint, 0.8))
    for a in left:
        for b in right:
            p.drawLine(a, b)
    p.setPen(Qt.PenStyle.NoPen)
    _fill(p, c)
    for pt in (*left, *right):
        p.drawEllipse(pt, 1.7, 1.7)


def _glyph_flatten(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c, 1.1))
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


_GLYPHS = {
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
    # a few types refine their family's glyph
    "Upsample": _glyph_upsample,
    "MaxUnpool2d": _glyph_upsample,
    "Multiply": _glyph_multiply,
    "Concat": _glyph_concat,
    "ChannelShuffle": _glyph_shuffle,
    "Flatten": _glyph_flatten,
    "Dropout": _glyph_dropout,
    "BatchNorm2d": _glyph_batchnorm,
    "BatchNorm3d": _glyph_batchnorm,
    "Sigmoid": _glyph_smooth_act,
    "Tanh": _glyph_smooth_act,
    "GELU": _glyph_norm_act,
    "SiLU": _glyph_norm_act,
}


def _tile(family: str, type_name: str, size: int, ratio: float) -> QPixmap:
    pm = QPixmap(int(size * ratio), int(size * ratio))
    pm.setDevicePixelRatio(ratio)
    pm.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pm)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(family_color(family))
    painter.drawRoundedRect(QRectF(0.5, 0.5, size - 1, size - 1), size * 0.22, size * 0.22)
    inset = size * 0.16
    paint_glyph(painter, QRectF(inset, inset, size - 2 * inset, size - 2 * inset), family,
                QColor("white"), type_name)
    painter.end()
    return pm


@cache
def family_icon(family: str, size: int = 20, type_name: str = "") -> QIcon:
    """A rounded tile of the family colour with the white glyph (cached).

    Parameters
    ----------
    family : str
        Catalogue family.
    size : int
        Logical edge length in pixels; 1× and 2× pixmaps are included.
    type_name : str
        Optional type refining the glyph (see :func:`paint_glyph`).
    """
    icon = QIcon()
    for ratio in (1.0, 2.0):
        icon.addPixmap(_tile(family, type_name, size, ratio))
    return icon


def type_icon(type_name: str, size: int = 20) -> QIcon:
    """:func:`family_icon` of a layer type."""
    return family_icon(type_family(type_name), size, type_name)


@cache
def status_icon(kind: str, size: int = 14) -> QIcon:
    """A round status icon: ``"error"`` (red !), ``"warning"`` (amber !), ``"ok"`` (✓)."""
    color = {"error": ERROR, "warning": WARNING}.get(kind, OK)
    icon = QIcon()
    for ratio in (1.0, 2.0):
        pm = QPixmap(int(size * ratio), int(size * ratio))
        pm.setDevicePixelRatio(ratio)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        if kind == "warning":
            tri = QPainterPath(QPointF(size / 2, 0.8))
            tri.lineTo(size - 0.6, size - 1.2)
            tri.lineTo(0.6, size - 1.2)
            tri.closeSubpath()
            p.drawPath(tri)
        else:
            p.drawEllipse(QRectF(0.5, 0.5, size - 1, size - 1))
        p.setPen(_pen(QColor("white"), max(1.4, size / 9)))
        s = size / 14.0
        if kind == "ok":
            path = QPainterPath(QPointF(3.8 * s, 7.2 * s))
            path.lineTo(6.1 * s, 9.5 * s)
            path.lineTo(10.3 * s, 4.8 * s)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(path)
        else:
            top = 4.6 if kind == "warning" else 3.4
            p.drawLine(QPointF(7 * s, top * s), QPointF(7 * s, 8.2 * s))
            p.drawPoint(QPointF(7 * s, 10.6 * s))
        p.end()
        icon.addPixmap(pm)
    return icon


# -- theme -------------------------------------------------------------------
_STYLE_SHEET = """
QDockWidget { font-weight: 600; }
QDockWidget::title { padding: 5px 8px; background: #e9ecf1; border-bottom: 1px solid #d5dae2; }
QDockWidget > QWidget { font-weight: normal; }
QStatusBar { border-top: 1px solid #d5dae2; }
QStatusBar::item { border: none; }
QLabel#sectionTitle { color: #56606e; font-weight: 600; padding-top: 6px; }
QLabel#fieldError { color: #c62828; }
QLabel#fieldWarning { color: #b26a00; }
QLabel#muted { color: #6a7381; }
QLabel#heading { font-size: 13pt; font-weight: 600; }
QLineEdit[invalid="true"], QSpinBox[invalid="true"], QComboBox[invalid="true"] {
    border: 1px solid #c62828; }
QTreeView, QListView { outline: 0; }
QToolButton#axisLink { border: none; background: transparent; padding: 2px; }
QToolButton#axisLink:hover { background: #e3e8f0; border-radius: 4px; }
"""


def apply_theme(app) -> None:
    """Fusion style, a calm light palette and the shared style sheet."""
    app.setStyle("Fusion")
    pal = QPalette()
    role = QPalette.ColorRole
    base = {
        role.Window: "#f4f5f7", role.WindowText: "#1f2430", role.Base: "#ffffff",
        role.AlternateBase: "#f6f7f9", role.Text: "#1f2430", role.Button: "#f0f1f4",
        role.ButtonText: "#1f2430", role.Highlight: ACCENT.name(),
        role.HighlightedText: "#ffffff", role.ToolTipBase: "#fffef5",
        role.ToolTipText: "#1f2430", role.PlaceholderText: "#8a93a0",
        role.Link: ACCENT.name(), role.Mid: "#c9ced6", role.Dark: "#a9b0ba",
        role.Light: "#ffffff", role.Midlight: "#e6e8ec", role.Shadow: "#7d8591",
    }
    for r, color in base.items():
        pal.setColor(r, QColor(color))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(disabled, r, QColor("#9aa1ab"))
    app.setPalette(pal)
    app.setStyleSheet(_STYLE_SHEET)


def mono_font(point_size: float | None = None) -> QFont:
    """A fixed-pitch font for shapes and numbers."""
    font = QFont("DejaVu Sans Mono")
    font.setStyleHint(QFont.StyleHint.Monospace)
    if point_size:
        font.setPointSizeF(point_size)
    return font


# -- numbers -----------------------------------------------------------------
def fmt_count(n: int | None) -> str:
    """``58976`` -> ``"58,976"``; None -> ``"–"``."""
    return "–" if n is None else f"{n:,}"


def fmt_si(n: float | None, unit: str = "") -> str:
    """``90_123_456`` -> ``"90.1 M"``: three significant digits, SI prefix."""
    if n is None:
        return "–"
    for div, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= div:
            v = n / div
            text = f"{v:.3g}" if v < 100 else f"{v:.0f}"
            return f"{text} {prefix}{unit}".rstrip()
    return f"{n:g} {unit}".rstrip()


def fmt_macs(n: int | None) -> str:
    """``90_123_456`` -> ``"90,123,456 (90.1 M)"``; small counts stay plain."""
    if n is None:
        return "–"
    return f"{n:,}" if n < 10_000 else f"{n:,} ({fmt_si(n)})"


def fmt_bytes(n: int | None) -> str:
    """``1_310_720`` -> ``"1.25 MiB"``."""
    if n is None:
        return "–"
    v = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if v < 1024 or unit == "GiB":
            return f"{v:.0f} {unit}" if unit == "B" else f"{v:.3g} {unit}"
        v /= 1024
    return f"{v:.3g} TiB"  # pragma: no cover


def fmt_shape(shape) -> str:
    """``(32, 62, 62)`` -> ``"32×62×62"``; None -> ``"?"``."""
    return "?" if shape is None else "×".join(str(v) for v in shape)


@cache
def link_icon(linked: bool, size: int = 16) -> QIcon:
    """Chain-link icon of the "same value on every axis" toggle (broken when unlinked)."""
    icon = QIcon()
    for ratio in (1.0, 2.0):
        pm = QPixmap(int(size * ratio), int(size * ratio))
        pm.setDevicePixelRatio(ratio)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.scale(size / 16.0, size / 16.0)
        color = ACCENT if linked else QColor("#8a93a0")
        p.setPen(_pen(color, 1.6))
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
