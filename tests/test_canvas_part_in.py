"""A long curve is drawn only over the part a repaint exposes (``Route.part_in``).

The piece must cover the curve wherever it crosses the exposed x range, and lie
on the curve: checked against the curve's own points (``QPainterPath``), not
against the de Casteljau code that cuts it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QPointF, QRectF  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from designer.canvas.routing import route  # noqa: E402


def _y_at(path, x: float) -> float:
    """The curve's y where it reaches ``x``: Qt's own points, bisected (x is monotonic)."""
    a, b = 0.0, 1.0
    rising = path.pointAtPercent(1.0).x() > path.pointAtPercent(0.0).x()
    for _ in range(40):
        m = (a + b) / 2
        if (path.pointAtPercent(m).x() < x) == rising:
            a = m
        else:
            b = m
    return path.pointAtPercent((a + b) / 2).y()


@settings(max_examples=40, deadline=None)
@given(dx=st.floats(-9000, 9000).filter(lambda v: abs(v) > 2500),
       dy=st.floats(100, 600), left=st.floats(0, 1), width=st.floats(300, 1500))
def test_the_piece_covers_the_exposed_range_and_lies_on_the_curve(qapp, dx, dy, left, width):
    p0, p1 = QPointF(0, 0), QPointF(dx, dy)
    r = route(p0, p1, [], [], (QRectF(), QRectF()))
    lo, hi = min(0.0, dx), max(0.0, dx)
    width = min(width, (hi - lo) / 2.5)  # shorter curves are drawn whole
    x = lo + (hi - lo - width) * left
    shown = QRectF(x, -50, width, dy + 100)
    piece = r.part_in(shown)
    assert piece is not None  # long enough to be cut
    b = piece.boundingRect()
    assert b.left() <= x + 1e-6 and b.right() >= x + width - 1e-6  # covers the range
    assert b.width() < (hi - lo) * 0.9  # and is a piece, not the whole curve
    for t in (0.0, 0.3, 0.7, 1.0):
        pt = piece.pointAtPercent(t)
        assert abs(pt.y() - _y_at(r.path, pt.x())) < 1.0  # on the curve


def _ends(path):
    a, b = path.pointAtPercent(0.0), path.pointAtPercent(1.0)
    return (round(a.x(), 6), round(a.y(), 6), round(b.x(), 6), round(b.y(), 6))


def test_the_piece_is_kept_for_the_same_range_and_follows_a_shift(qapp):
    """A repaint (or an undo taking the route back) asks for the same piece again: it is
    the one kept; another range, or the route shifted, gives the piece cut afresh."""
    r = route(QPointF(0, 0), QPointF(6000, 300), [], [], (QRectF(), QRectF()))
    shown = QRectF(1000, -50, 800, 400)
    first = r.part_in(shown)
    assert r.part_in(QRectF(shown)) is first  # kept
    other = r.part_in(QRectF(2000, -50, 800, 400))
    assert other is not first and _ends(other) == _ends(r._piece(QRectF(2000, -50, 800, 400)))
    # EdgeItem.shift: the path moves in place and the samples are new
    r.path.translate(QPointF(0, 40))
    r.samples = tuple((x, y + 40) for x, y in r.samples)
    moved = r.part_in(QRectF(2000, -50, 800, 400))
    assert moved is not other and _ends(moved)[1] == pytest.approx(_ends(other)[1] + 40)
