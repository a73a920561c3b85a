"""An undone delete takes its edges' old routes and label spots back, when they still fit.

Routing is a pure function of its inputs (:mod:`designer.canvas.kept_routes`),
so a kept route is only taken back when routing afresh gives the same path:
checked here against :func:`designer.canvas.routing.route` itself. A route
whose inputs changed while the edge was gone (a card moved) is routed afresh,
and a label goes back to its old spot only while that spot is no worse.
Speed: ``bench/undo.py`` (the 63-way fan's hub).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QRectF  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from designer.canvas.kept_routes import KeptRoute  # noqa: E402
from designer.canvas.routing import route  # noqa: E402
from designer.commands import RemoveNodesCommand, push_edit  # noqa: E402
from engine import load_graph  # noqa: E402
from tests.canvas_helpers import scene_of, show  # noqa: E402

FAN = ROOT / "bench" / "graphs" / "fan63.convgraph.json"
TOUR = ROOT / "resources" / "examples" / "classifier_tour.convgraph.json"


def _points(path) -> list[tuple[float, float]]:
    return [(round(path.elementAt(i).x, 6), round(path.elementAt(i).y, 6))
            for i in range(path.elementCount())]


def _open_and_delete_hub(view, qtbot):
    doc = show(view, load_graph(FAN))
    scene = view.graph_scene()
    qtbot.wait(10)
    scene.flush_due()
    before = {e: it for e, it in scene.edges.items() if e.src == "hub"}
    assert push_edit(doc.undo_stack, RemoveNodesCommand(doc.graph, ["hub"])) is None
    scene.flush_due()
    kept = dict(scene.kept_routes._kept)
    return doc, scene, before, kept


def test_undo_takes_back_the_routes_that_routing_afresh_would_give(view, qtbot):
    doc, scene, before, kept = _open_and_delete_hub(view, qtbot)
    routed = [e for e, it in before.items() if it.route is not None]
    assert len(routed) >= 30 and set(routed) <= set(kept)
    doc.undo_stack.undo()
    scene.flush_due()
    taken = 0
    for e in routed:
        item = scene.edges[e]
        assert item is not before[e]  # a new item for the same edge
        fresh = route(*item.routed_from)  # what routing gives now
        assert _points(item.route.path) == _points(fresh.path)
        assert (item.route.lane is None) == (fresh.lane is None)
        taken += item.route is kept[e].route
    assert taken == len(routed)  # every one taken back, none routed again
    assert len(scene.kept_routes) == 0  # each is taken once


def test_a_card_moved_meanwhile_gets_its_edge_routed_afresh(view, qtbot):
    doc, scene, before, kept = _open_and_delete_hub(view, qtbot)
    e = next(e for e, it in before.items() if it.route is not None and e.dst == "conv33")
    x, y = doc.graph.nodes[e.dst].pos
    doc.graph.move(e.dst, (x + 300.0, y + 40.0))  # not on the undo stack: still undoable
    scene.flush_due()
    doc.undo_stack.undo()
    scene.flush_due()
    item = scene.edges[e]
    assert item.route is not kept[e].route
    assert _points(item.route.path) != _points(kept[e].route.path)
    assert _points(item.route.path) == _points(route(*item.routed_from).path)


def test_a_label_goes_back_to_its_spot_only_while_the_spot_is_no_worse(qapp):
    from PySide6.QtCore import QPointF

    _, scene = scene_of(load_graph(TOUR))
    item = next(it for it in scene.edges.values() if it.label.isVisible())
    size = item.label.size()
    wh = (size.width(), size.height())
    odd = QPointF(1234.5, 5678.5)  # no placement search ever proposes it
    real = scene.label_conflict

    def scorer(at_spot: int):
        return lambda rect, edge, bound=None: (at_spot if rect.topLeft() == odd
                                               else real(rect, edge, bound))

    scene.label_conflict = scorer(2)  # as good as when it was placed there: kept
    item.spot, item.spot_waits = (odd, wh, 2), True
    item.place_label()
    assert item.label.pos() == odd and item.spot == (odd, wh, 2)
    assert not item.spot_waits  # once: a later placement searches again
    scene.label_conflict = scorer(0)
    item.place_label()
    assert item.label.pos() != odd and item.spot[0] == item.label.pos()
    scene.label_conflict = scorer(3)  # worse now than when chosen: placed afresh
    item.spot, item.spot_waits = (odd, wh, 2), True
    item.place_label()
    assert item.label.pos() != odd and item.spot[0] == item.label.pos()
    scene.label_conflict = scorer(0)  # a text of another size: placed afresh
    item.spot, item.spot_waits = (odd, (wh[0] + 8, wh[1]), 5), True
    item.place_label()
    assert item.label.pos() != odd


def test_a_label_that_showed_nothing_waits_for_its_spot(qapp):
    """A label emptied (its source cut off) and given its text back (the undo) is
    offered its old spot; moving the edge forgets the spot and the route's inputs."""
    from PySide6.QtCore import QPointF

    _, scene = scene_of(load_graph(TOUR))
    item = next(it for it in scene.edges.values() if it.label.isVisible())
    result = item.src.result
    assert item.spot is not None and not item.spot_waits
    item.set_result(None)  # no tensor: the label shows nothing
    assert item.label.size().isEmpty() and item.spot_waits
    item.set_result(result)
    assert not item.spot_waits and item.label.pos() == item.spot[0]
    item.shift(QPointF(40.0, 0.0))  # both cards moved: a route of its own now
    assert item.spot is None and item.routed_from is None
    item.adjust()
    assert item.routed_from is not None and item.spot is not None
    item.unroute()
    assert item.spot is None and item.routed_from is None


def test_kept_route_fits_obstacles_in_any_order():
    from PySide6.QtCore import QPointF

    a, b = QRectF(0, 0, 10, 10), QRectF(50, 0, 10, 10)
    p0, p1 = QPointF(0, -100), QPointF(200, 200)
    bounds = (QRectF(-5, -110, 10, 10), QRectF(195, 195, 10, 10))
    r = route(p0, p1, [a, b], [], bounds)
    kept = KeptRoute((p0, p1, [a, b], [], bounds), r, None, None)
    assert kept.fits((QPointF(0, -100), QPointF(200, 200), [b, a], [], bounds))
    assert not kept.fits((p0, QPointF(200, 210), [a, b], [], bounds))  # an end moved
    assert not kept.fits((p0, p1, [a], [], bounds))  # a card left the way
    assert not kept.fits((p0, p1, [a, QRectF(50, 0, 10, 11)], [], bounds))


def test_a_lane_route_fits_only_the_same_lanes_and_cards():
    from PySide6.QtCore import QPointF

    from designer.canvas.routing import Lane

    p0, p1 = QPointF(0, 300), QPointF(40, 0)  # upwards: a lane
    bounds = (QRectF(-80, 270, 160, 52), QRectF(-40, -30, 160, 52))
    others = [Lane(-120.0, -200.0, 100.0, -200.0, 250.0), Lane(90.0, 60.0, 80.0, 60.0, 260.0)]
    r = route(p0, p1, [], others, bounds)
    assert r.lane is not None
    kept = KeptRoute((p0, p1, [], others, bounds), r, None, None)
    assert kept.fits((p0, p1, [], list(reversed(others)), bounds))  # order: ignored
    assert not kept.fits((p0, p1, [], others[:1], bounds))  # a lane gone
    assert not kept.fits((p0, p1, [], [*others, others[0]], bounds))  # a lane twice
    moved = (bounds[0], QRectF(-40, -30, 170, 52))
    assert not kept.fits((p0, p1, [], others, moved))  # a card of its own changed
