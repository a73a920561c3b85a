"""Edges at most 1.5 device pixels wide are drawn as one-pixel hairlines of equal ink.

Qt's raster engine strokes a pen of at most one device pixel on its fast path
(many times cheaper than a 1.3-pixel antialiased curve: ``bench/undo.py``'s
63-way fan). The hairline's colour is pushed away from the background so that
it carries the ink of the wider line it stands for: checked here against what
Qt itself rasterises for both, not against the formula.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from designer import look  # noqa: E402
from designer.canvas.edge_item import _edge_pen  # noqa: E402


def _ink(pen: QPen, scale: float, ratio: int = 1) -> float:
    """Darkness a curve drawn with ``pen`` at zoom ``scale`` adds, per column crossed
    (on a screen of ``ratio`` device pixels per pixel, in device pixels)."""
    img = QImage(400 * ratio, 200 * ratio, QImage.Format.Format_RGB32)
    img.setDevicePixelRatio(ratio)
    img.fill(look.BACKGROUND)
    path = QPainterPath(QPointF(20, 40))
    path.cubicTo(QPointF(20, 120), QPointF(300, 60), QPointF(300, 160))  # a slanted edge
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.scale(scale, scale)
    p.setPen(pen)
    p.drawPath(path)
    p.end()
    bg = look.BACKGROUND.green()
    cols = range(int(60 * scale * ratio), int(260 * scale * ratio))  # away from the caps
    total = sum(bg - QColor(img.pixel(x, y)).green() for x in cols
                for y in range(200 * ratio))
    return total / len(cols)


def test_on_a_high_density_screen_the_pen_follows_device_pixels(qapp, monkeypatch):
    """At pixel ratio 2 an edge is twice as many device pixels wide as at ratio 1: the
    pen is chosen from the painter's device transform, not its world transform."""
    from PySide6.QtCore import QRectF

    from designer.canvas import edge_item
    from engine import load_graph
    from tests.canvas_helpers import scene_of

    _, scene = scene_of(load_graph(ROOT / "resources" / "examples" /
                                   "classifier_tour.convgraph.json"))
    seen = []
    real = edge_item._edge_pen
    monkeypatch.setattr(edge_item, "_edge_pen",
                        lambda c, w, s, live: seen.append(s) or real(c, w, s, live))
    source = scene.itemsBoundingRect()
    zoom = 300 / source.height()
    img = QImage(round(source.width() * zoom) * 2, 600, QImage.Format.Format_RGB32)
    img.setDevicePixelRatio(2)
    p = QPainter(img)
    scene.render(p, QRectF(0, 0, source.width() * zoom, 300), source)
    p.end()
    assert seen and all(s == pytest.approx(2 * zoom) for s in seen)
    thin = _edge_pen(look.EDGE, 1.6, 0.4 * 2, True)  # zoom 0.4 at ratio 2: 1.28 px
    wide = QPen(look.EDGE, 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                Qt.PenJoinStyle.RoundJoin)
    assert thin.isCosmetic()
    assert _ink(thin, 0.4, ratio=2) == pytest.approx(_ink(wide, 0.4, ratio=2), rel=0.05)


@pytest.mark.parametrize("scale", [0.7, 0.8, 0.9])
def test_a_thin_edge_is_a_hairline_with_the_ink_of_the_wide_line(qapp, scale):
    pen = _edge_pen(look.EDGE, 1.6, scale, True)
    assert pen.isCosmetic() and pen.widthF() == 1.0  # Qt's fast stroker
    wide = QPen(look.EDGE, 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                Qt.PenJoinStyle.RoundJoin)
    assert _ink(pen, scale) == pytest.approx(_ink(wide, scale), rel=0.05)
    # the plain colour as a hairline would be visibly lighter
    plain = QPen(look.EDGE, 1.0)
    plain.setCosmetic(True)
    assert _ink(plain, scale) < 0.9 * _ink(wide, scale)


def test_the_hairline_colour_by_hand():
    """#78849a over #f3f5f8 with 1.28 times the ink: each channel 1.28 times as far."""
    ink = look.hairline_ink(QColor("#78849a"), 1.28)
    bg = look.BACKGROUND
    assert bg.name() == "#f3f5f8"  # the light theme's canvas
    # 243 - 1.28 * 123 = 85.56; 245 - 1.28 * 113 = 100.36; 248 - 1.28 * 94 = 127.68
    assert (ink.red(), ink.green(), ink.blue()) == (86, 100, 128)


def test_wide_selected_and_dead_edges_keep_their_pens(qapp):
    pen = _edge_pen(look.EDGE, 1.6, 1.0, True)  # 1.6 device pixels: the real stroke
    assert not pen.isCosmetic() and pen.widthF() == 1.6
    assert pen.capStyle() == Qt.PenCapStyle.RoundCap
    dead = _edge_pen(look.EDGE_DIM, 1.6, 1.0, False)
    assert dead.style() == Qt.PenStyle.DashLine
    thin_dead = _edge_pen(look.EDGE_DIM, 1.6, 0.8, False)  # the wide pen's dash, in pixels
    assert thin_dead.isCosmetic() and thin_dead.dashPattern() == pytest.approx([5.12, 2.56])
    selected = _edge_pen(look.ACCENT, 2.2, 0.8, True)  # 1.76 px: stays a real stroke
    assert not selected.isCosmetic()
