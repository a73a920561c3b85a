"""Mouse gestures on the canvas: connecting by dragging ports (refusals explained),
dragging an input off, moving and snapping, rubber-band selection and Delete,
double-click, wheel zoom and middle-drag pan, and moving a selection with its edges.

Runs offscreen (``QT_QPA_PLATFORM=offscreen``); the mouse is simulated with events
sent to the view's viewport.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QWheelEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from designer.commands import (  # noqa: E402
    MoveNodesCommand,
    push_edit,
)
from engine.io import dumps  # noqa: E402
from tests.canvas_helpers import Button, Mod, drag, show, small_graph, vp  # noqa: E402

pytestmark = pytest.mark.gui


def test_drag_from_output_to_input_connects(view):
    doc = show(view, small_graph())
    scene = view.graph_scene()
    a = vp(view, scene.nodes["bn1"].output_port.scenePos())
    b = vp(view, scene.nodes["relu1"].input_ports[0].scenePos())
    drag(view, a, b)
    assert doc.graph.inputs_of("relu1") == {0: "bn1"}
    assert any(e.src == "bn1" and e.dst == "relu1" for e in scene.edges)
    assert doc.undo_stack.undoText() == "Connect bn1 → relu1"


def test_drag_onto_card_body_picks_a_free_input(view):
    doc = show(view, small_graph())
    scene = view.graph_scene()
    a = vp(view, scene.nodes["bn1"].output_port.scenePos())
    drag(view, a, vp(view, scene.nodes["relu1"].pos() + QPointF(30, 5)))
    assert doc.graph.inputs_of("relu1") == {0: "bn1"}


def test_refused_cycle_leaves_graph_and_explains(view, qtbot):
    g = small_graph()
    g.add_node("Add", {}, "add1", (0, 360))
    g.connect("bn1", "add1", 0)
    g.add_node("ReLU", {}, "relu2", (0, 480))
    g.connect("add1", "relu2")
    doc = show(view, g)
    scene = view.graph_scene()
    before = dumps(doc.graph)
    messages = []
    view.message.connect(messages.append)
    a = vp(view, scene.nodes["relu2"].output_port.scenePos())
    b = vp(view, scene.nodes["add1"].input_ports[1].scenePos())
    drag(view, a, b)
    assert dumps(doc.graph) == before
    assert doc.undo_stack.count() == 0
    assert messages and "cycle" in messages[-1]
    assert "add1 → relu2 → add1" in messages[-1]


def test_refused_type_mismatch_explains(view):
    g = small_graph()
    g.add_node("Linear", {"out_features": 10}, "fc", (300, 120))
    doc = show(view, g)
    scene = view.graph_scene()
    messages = []
    view.message.connect(messages.append)
    drag(view, vp(view, scene.nodes["conv1"].output_port.scenePos()),
         vp(view, scene.nodes["fc"].input_ports[0].scenePos()))
    assert doc.graph.inputs_of("fc") == {}
    assert messages and "type mismatch" in messages[-1] and "fc" in messages[-1]


def test_drag_connected_input_off_removes_edge(view):
    doc = show(view, small_graph())
    scene = view.graph_scene()
    a = vp(view, scene.nodes["bn1"].input_ports[0].scenePos())
    QTest.mouseClick(view.viewport(), Button.LeftButton, Mod.NoModifier, a)
    assert doc.graph.inputs_of("bn1") == {0: "conv1"}  # a click changes nothing
    assert view.selected_ids() == ["bn1"]
    drag(view, a, vp(view, QPointF(-300, 200)))
    assert doc.graph.inputs_of("bn1") == {}
    doc.undo_stack.undo()
    assert doc.graph.inputs_of("bn1") == {0: "conv1"}


def test_move_snaps_to_grid_and_is_one_undo_step(view):
    doc = show(view, small_graph())
    scene = view.graph_scene()
    start = vp(view, scene.nodes["relu1"].pos() + QPointF(20, 0))
    drag(view, start, start + QPoint(57, 33), steps=8)
    x, y = doc.graph.nodes["relu1"].pos
    assert x % 10 == 0 and y % 10 == 0 and (x, y) != (300, 360)
    assert abs(x - 357) <= 5 and abs(y - 393) <= 5
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.graph.nodes["relu1"].pos == (300, 360)
    assert scene.nodes["relu1"].pos() == QPointF(300, 360)


def test_rubber_band_selects_and_delete_key_removes(view, qtbot):
    doc = show(view, small_graph())
    scene = view.graph_scene()
    seen = []
    view.selectionChangedIds.connect(seen.append)
    a = vp(view, QPointF(-150, 60))
    b = vp(view, QPointF(150, 290))
    drag(view, a, b, steps=10)
    assert view.selected_ids() == ["conv1", "bn1"]
    assert seen[-1] == ["conv1", "bn1"]
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert set(doc.graph.nodes) == {"input", "relu1"}
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert dumps(doc.graph) == dumps(small_graph())
    assert set(scene.nodes) == set(doc.graph.nodes)


def test_double_click_activates_node(view):
    show(view, small_graph())
    scene = view.graph_scene()
    got = []
    view.nodeActivated.connect(got.append)
    QTest.mouseDClick(view.viewport(), Button.LeftButton, Mod.NoModifier,
                      vp(view, scene.nodes["conv1"].pos()))
    assert got == ["conv1"]


def test_wheel_zooms_around_cursor_and_middle_drag_pans(view):
    show(view, small_graph())
    at = vp(view, QPointF(0, 120))
    before = view.mapToScene(at)
    wheel = QWheelEvent(QPointF(at), QPointF(view.viewport().mapToGlobal(at)), QPoint(0, 0),
                        QPoint(0, 240), Button.NoButton, Mod.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), wheel)
    assert view.zoom() > 1.3
    after = view.mapToScene(at)
    assert abs(after.x() - before.x()) < 1 and abs(after.y() - before.y()) < 1
    centre = view.mapToScene(view.viewport().rect().center())
    w = view.viewport()
    QTest.mousePress(w, Button.MiddleButton, Mod.NoModifier, QPoint(500, 400))
    QTest.mouseMove(w, QPoint(560, 430))
    QTest.mouseRelease(w, Button.MiddleButton, Mod.NoModifier, QPoint(560, 430))
    moved = view.mapToScene(view.viewport().rect().center()) - centre
    assert moved.x() < -30 and moved.y() < -15  # the canvas follows the hand
    view.fit()
    assert view.zoom() <= 1.0


def test_dragging_a_selection_moves_edges_and_reroutes_others(view):
    g = small_graph()
    g.add_node("ReLU", {}, "relu2", (0, 600))
    g.connect("bn1", "relu2")
    doc = show(view, g)
    scene = view.graph_scene()
    scene.select_nodes(["conv1", "bn1"])
    inner = scene.edges[next(e for e in g.edges if e.src == "conv1")]
    start = vp(view, scene.nodes["bn1"].pos() + QPointF(40, 0))
    drag(view, start, start + QPoint(300, 0))
    assert g.nodes["conv1"].pos == (300, 120) and g.nodes["bn1"].pos == (300, 240)
    assert doc.undo_stack.count() == 1
    path = inner.route.path.boundingRect()
    inner.adjust()  # the translated path equals a fresh route
    assert inner.route.path.boundingRect() == path
    # a card moved into the way of an edge: the edge goes around it
    long_edge = scene.edges[next(e for e in g.edges if e.src == "bn1")]
    before = long_edge.route.path
    push_edit(doc.undo_stack, MoveNodesCommand(g, {"relu1": ((300, 360), (300, 420))}))
    scene.flush()
    assert long_edge.route.path != before
    card = scene.card_rect(scene.nodes["relu1"], 0)
    assert not any(card.contains(QPointF(x, y)) for x, y in
                   (long_edge.route.path.pointAtPercent(i / 50).toTuple() for i in range(51)))
