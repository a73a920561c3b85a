"""Correctness of the canvas' speed-ups: the spatial index, curve hit tests by
bisection, and edge labels that follow the analysis when seen.

Runs offscreen (``QT_QPA_PLATFORM=offscreen``). Speed itself is measured by
``bench/canvas.py`` and ``bench/undo.py``, not here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("pytestqt")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QPointF  # noqa: E402

from bench.graphs import make_chain_graph  # noqa: E402
from designer.canvas.edge_item import edge_label_texts  # noqa: E402
from designer.canvas.routing import _hits, bezier_points  # noqa: E402
from designer.canvas.spatial import SpatialGrid  # noqa: E402
from designer.commands import SetParamsCommand, push_edit  # noqa: E402
from designer.document import Document  # noqa: E402

coord = st.floats(-900, 900, allow_nan=False)
size = st.floats(0, 400, allow_nan=False)


@given(st.lists(st.tuples(coord, coord, size, size), max_size=30), coord, coord, size, size)
def test_spatial_grid_finds_exactly_the_rectangles_that_meet(rects, l, t, w, h):
    grid = SpatialGrid(100.0)
    for k, (x, y, rw, rh) in enumerate(rects):
        grid.put(k, (x, y, x + rw, y + rh))
    grid.put("gone", (l, t, l + 1, t + 1))
    grid.discard("gone")
    r, b = l + w, t + h
    want = {k for k, (x, y, rw, rh) in enumerate(rects)
            if x <= r and x + rw >= l and y <= b and y + rh >= t}  # touching counts
    assert set(grid.near(l, t, r, b)) == want


@given(coord, coord, coord, coord, st.integers(6, 60), coord, coord, size, size)
def test_curve_hit_test_by_bisection_equals_testing_every_point(x0, y0, x1, y1, n, l, t, w, h):
    pts = bezier_points(QPointF(x0, y0), QPointF(x1, y1), n)
    r, b = l + w, t + h
    assert _hits(pts, l, t, r, b) == any(l <= x <= r and t <= y <= b for x, y in pts)


def test_edges_out_of_sight_are_routed_and_labelled_when_seen_or_read(view, qtbot):
    doc = Document(make_chain_graph(300))
    view.set_document(doc)
    scene = view.graph_scene()
    qtbot.wait(10)
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    near = [e for e in scene.edges.values() if shown.contains(e.src.pos())]
    far = [e for e in scene.edges.values() if e.src.y() > shown.bottom() + 1000]
    assert near and far
    assert all(e.route is not None and not e.stale for e in near)  # in sight: done
    assert all(e.route is None and e.shape().isEmpty() for e in far)  # out of sight: wait
    conv = next(n for n, node in doc.graph.nodes.items() if node.type == "Conv2d")
    assert push_edit(doc.undo_stack, SetParamsCommand(doc.graph, conv, {"kernel_size": 5},
                                                      mergeable=False)) is None
    assert not any(e.stale for e in near)  # relabelled at once
    assert all(e.stale for e in far)
    e = far[-1]
    assert e.label.shape_text == edge_label_texts(e.src.result)[0]  # reading freshens
    assert not e.stale and not e.label.isVisible()  # no spot for it before its route
    view.centerOn(far[0].dst)
    view.viewport().repaint()  # the view reveals what it is about to paint
    assert far[0].route is not None and not far[0].stale and far[0].label.isVisible()
    scene.freshen_all()  # before rendering the whole scene
    assert all(e.route is not None and not e.stale for e in scene.edges.values())
    for e in scene.edges.values():
        assert (e.label._shape_text, e.label._rf_text) == edge_label_texts(e.src.result)


def test_card_index_follows_adds_moves_and_removes(qapp):
    from designer.canvas import GraphScene
    from designer.commands import AddNodeCommand, MoveNodesCommand, RemoveNodesCommand

    doc = Document(make_chain_graph(40))
    scene = GraphScene()
    scene.set_document(doc)
    scene.cards_in(0, 1)  # the index exists: edits now update it in place
    g = doc.graph
    ids = list(g.nodes)
    steps = [AddNodeCommand(g, "ReLU", {}, "extra", (500, 130)),
             MoveNodesCommand(g, {ids[3]: (g.nodes[ids[3]].pos, (900, 2000))}),
             MoveNodesCommand(g, {"extra": ((500, 130), (500, -400))}),
             RemoveNodesCommand(g, [ids[7]])]
    for cmd in steps:
        assert push_edit(doc.undo_stack, cmd) is None
        expect = sorted(scene.nodes.values(), key=lambda it: it.y())
        got = scene.cards_in(-1e9, 1e9)
        assert [it.y() for it in got] == [it.y() for it in expect]
        assert set(got) == set(scene.nodes.values())
        for it in scene.nodes.values():  # the x filter sees where each card is now
            p = it.pos()
            assert it in scene.cards_near(p.x(), p.y(), p.x(), p.y(), 0.0)
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
        assert set(scene.cards_in(-1e9, 1e9)) == set(scene.nodes.values())


def test_auto_layout_of_a_big_document_routes_what_is_seen(view, qtbot):
    doc = Document(make_chain_graph(300))
    view.set_document(doc)
    scene = view.graph_scene()
    qtbot.wait(10)
    view.auto_layout()  # one undo step moving every card, then fit (zoomed out)
    scene.flush_due()  # what the event loop runs next
    view.set_zoom(1.0)
    view.centerOn(scene.nodes[next(iter(doc.graph.nodes))])
    view.viewport().repaint()
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    for e in scene.edges.values():
        if shown.contains(e.src.pos()) and shown.contains(e.dst.pos()):
            assert e.route is not None and e.isVisible()
            assert e.route.path.pointAtPercent(0.0) == e.src.output_anchor()
            assert e.route.path.pointAtPercent(1.0) == e.dst.input_anchor(e.edge.port)
        elif e.route is None:  # left for later: nothing drawn, no label shown
            assert e.shape().isEmpty() and not e.label.isVisible()
    doc.undo_stack.undo()
    scene.flush()  # everything, as before an export
    for e in scene.edges.values():
        assert e.isVisible() and e.route.path.pointAtPercent(0.0) == e.src.output_anchor()


def test_cards_out_of_sight_repaint_when_seen(view, qtbot):
    from designer.commands import RemoveNodesCommand

    doc = Document(make_chain_graph(300))
    view.set_document(doc)
    scene = view.graph_scene()
    qtbot.wait(10)
    first_conv = next(n for n, node in doc.graph.nodes.items() if node.type == "Conv2d")
    assert push_edit(doc.undo_stack, RemoveNodesCommand(doc.graph, [first_conv])) is None
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    cards = [it for it in scene.nodes.values() if it.result is not None]
    assert all(it.result.shape is None for it in cards if it.edges_in)  # cut off
    near = [it for it in cards if shown.contains(it.pos())]
    far = [it for it in cards if it.y() > shown.bottom() + 1000]
    assert near and far
    assert not any(it.face_waits for it in near)  # repainted at once
    assert all(it.face_waits for it in far)  # they wait for sight
    view.centerOn(far[0])
    view.viewport().repaint()
    assert not far[0].face_waits
    scene.flush()
    assert not any(it.face_waits for it in scene.nodes.values())
