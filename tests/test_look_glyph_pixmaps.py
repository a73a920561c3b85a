"""A glyph copied from a kept pixmap (``look.draw_glyph``) looks as the vector drawing
does (``look.paint_glyph``): compared on what Qt rasterises, at several zooms,
sub-pixel positions and pixel ratios; and the pixmap is kept, not redrawn."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QRectF  # noqa: E402
from PySide6.QtGui import QColor, QImage, QPainter, QTransform  # noqa: E402

from designer import look  # noqa: E402
from designer.look import glyph_pixmaps  # noqa: E402


def _draw(fn, key, scale, ox, oy, dpr=1.0, world=None):
    img = QImage(round(80 * dpr), round(80 * dpr), QImage.Format.Format_ARGB32_Premultiplied)
    img.setDevicePixelRatio(dpr)
    img.fill(0)
    p = QPainter(img)
    try:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setTransform(world or QTransform().translate(ox, oy).scale(scale, scale))
        fn(p, QRectF(3.5, 2.0, 19, 19), key, QColor(40, 90, 200))
    finally:
        p.end()
    return img


def _alphas(img):
    return [img.pixelColor(x, y).alpha() for y in range(img.height())
            for x in range(img.width())]


@pytest.mark.parametrize("key", ["conv", "deformable", "activation", "transposed", "nope"])
@pytest.mark.parametrize("scale,ox,oy,dpr", [(1.0, 0, 0, 1.0), (0.8, 3.3, 7.77, 1.0),
                                             (1.37, 0.5, 0.25, 1.0), (2.0, 1.13, 2.9, 1.0),
                                             (1.0, 2.4, 0.6, 2.0)])
def test_the_copied_glyph_is_the_drawn_one(qapp, key, scale, ox, oy, dpr):
    drawn = _alphas(_draw(look.paint_glyph, key, scale, ox, oy, dpr))
    copied = _alphas(_draw(look.draw_glyph, key, scale, ox, oy, dpr))
    ink = sum(drawn)
    assert ink > 0
    assert abs(sum(copied) - ink) <= 0.03 * ink  # the same ink
    diff = [abs(a - b) for a, b in zip(drawn, copied, strict=True)]
    assert sum(diff) <= 0.12 * ink  # in the same place, to an eighth of a pixel
    assert max(diff) <= 80


def test_a_glyph_is_rendered_once_per_look_and_a_rotation_draws_it(qapp):
    glyph_pixmaps._PIXMAPS.clear()
    for _ in range(3):
        _draw(look.draw_glyph, "conv", 1.0, 0, 0)
    assert len(glyph_pixmaps._PIXMAPS) == 1
    _draw(look.draw_glyph, "conv", 1.5, 0, 0)
    assert len(glyph_pixmaps._PIXMAPS) == 2
    rotated = QTransform().translate(40, 0).rotate(30)
    drawn = _alphas(_draw(look.paint_glyph, "conv", 1, 0, 0, world=rotated))
    assert _alphas(_draw(look.draw_glyph, "conv", 1, 0, 0, world=rotated)) == drawn
    assert len(glyph_pixmaps._PIXMAPS) == 2  # drawn as vectors, nothing kept
