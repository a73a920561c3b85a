"""The canvas' routing and label shortcuts give what the plain computation gives.

``route_context`` keeps the cards of a band for one batch of model events
(:meth:`SceneGeometry.bands_held`): every edge of a 63-way fan crosses the same
band. Checked against the context computed afresh, and a card that moves, comes
or hides inside the batch must be seen. ``Route.crosses`` bisects plain floats
kept per sample tuple: checked against testing every sample, also after a shift
(which gives the route new samples). Speed: ``bench/undo.py`` (the fan's hub).
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
from engine import load_graph  # noqa: E402
from tests.canvas_helpers import scene_of  # noqa: E402

FAN = ROOT / "bench" / "graphs" / "fan63.convgraph.json"


def _context(scene, e):
    obstacles, lanes = scene.route_context(e, e.src.output_anchor(),
                                           e.dst.input_anchor(e.edge.port))
    return [r.getRect() for r in obstacles], [tuple(ln) for ln in lanes]


def test_kept_bands_give_the_context_computed_afresh(qtbot):
    _doc, scene = scene_of(load_graph(FAN))
    edges = list(scene.edges.values())
    fresh = [_context(scene, e) for e in edges]
    with scene.bands_held():
        held = [_context(scene, e) for e in edges]
        assert scene._bands  # (kept: the fan's edges share bands)
        assert held == fresh
        # a card that moves inside the batch: the next context sees it where it is now
        hub_edge = next(e for e in edges if e.src.node_id == "hub")
        other = next(it for it in scene.nodes.values()
                     if it not in (hub_edge.src, hub_edge.dst)
                     and it.pos().y() == hub_edge.dst.pos().y())
        before = _context(scene, hub_edge)
        scene.move_cards({other: other.pos() + QPointF(0, 7)})
        after = _context(scene, hub_edge)
        assert after != before
    assert scene._bands is None
    assert after == _context(scene, hub_edge)
    # a card hidden inside the batch (a collapsed group) is no obstacle any more
    with scene.bands_held():
        n = len(_context(scene, hub_edge)[0])
        other.setVisible(False)
        scene.forget_bands()
        assert len(_context(scene, hub_edge)[0]) == n - 1


coord = st.floats(-600, 600, allow_nan=False)


@settings(max_examples=60)
@given(coord, coord, coord, coord, coord, coord, st.floats(0, 300), st.floats(0, 300),
       st.floats(-50, 50), st.floats(-50, 50))
def test_crosses_is_testing_every_sample(x0, y0, x1, y1, l, t, w, h, dx, dy):
    a, b = QPointF(x0, y0), QPointF(x1, y1 + 100)
    r = route(a, b, [], [], (QRectF(a.x() - 80, a.y() - 40, 160, 40),
                             QRectF(b.x() - 80, b.y(), 160, 40)))
    if r.lane is not None or not r.samples:
        return

    def every(rt):
        return any(l <= x <= l + w and t <= y <= t + h for x, y in rt.samples)

    assert r.crosses(l, t, l + w, t + h) == every(r)
    r.samples = tuple((x + dx, y + dy) for x, y in r.samples)  # what EdgeItem.shift does
    assert r.crosses(l, t, l + w, t + h) == every(r)


def test_crosses_follows_a_shift():
    a, b = QPointF(0, 0), QPointF(400, 300)
    r = route(a, b, [], [], (QRectF(-80, -40, 160, 40), QRectF(320, 300, 160, 40)))
    x, y = r.samples[len(r.samples) // 2]
    assert r.crosses(x - 1, y - 1, x + 1, y + 1)
    r.samples = tuple((px + 1000, py) for px, py in r.samples)  # EdgeItem.shift
    assert not r.crosses(x - 1, y - 1, x + 1, y + 1)
    assert r.crosses(x + 999, y - 1, x + 1001, y + 1)


def test_a_cached_port_shows_each_change_of_its_look(view, qtbot):
    """Ports are drawn once per look and then copied (``DeviceCoordinateCache``): a
    drag mark or a hover must still show at once, and go when it ends."""
    from tests.canvas_helpers import show, small_graph

    show(view, small_graph())
    scene = view.graph_scene()
    port = scene.nodes["relu1"].input_ports[0]
    box = view.mapFromScene(port.sceneBoundingRect()).boundingRect().adjusted(-2, -2, 2, 2)

    def look():
        view.viewport().repaint()
        return view.viewport().grab(box).toImage()

    plain = look()
    port.set_mark("ok")
    marked = look()
    assert marked != plain
    port.set_mark(None)
    assert look() == plain
    port.hoverEnterEvent(None)
    assert look() != plain
    port.hoverLeaveEvent(None)
    assert look() == plain
