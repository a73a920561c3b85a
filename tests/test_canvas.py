"""The canvas: commands, scene mirroring, mouse gestures, drops, clipboard, layout.

Runs offscreen (``QT_QPA_PLATFORM=offscreen``); mouse and drag-and-drop are
simulated with events sent to the view's viewport.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import (  # noqa: E402
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QUndoStack,
    QWheelEvent,
)
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.graphs import make_chain_graph  # noqa: E402
from designer.canvas import GraphScene, GraphView, layered_positions  # noqa: E402
from designer.canvas.edge_item import EdgeItem  # noqa: E402
from designer.commands import (  # noqa: E402
    AddNodeCommand,
    ConnectCommand,
    DisconnectCommand,
    MoveNodesCommand,
    RemoveNodesCommand,
    RenameNodeCommand,
    SetMetaCommand,
    SetParamsCommand,
    push_edit,
)
from designer.document import LAYER_MIME, Document  # noqa: E402
from engine import Graph, load_graph  # noqa: E402
from engine.io import dumps  # noqa: E402

pytestmark = pytest.mark.gui
EXAMPLES = sorted((ROOT / "resources" / "examples").glob("*.convgraph.json"))
Button = Qt.MouseButton
Mod = Qt.KeyboardModifier


# -- helpers ---------------------------------------------------------------------------------
def small_graph() -> Graph:
    """input (3×64×64) → conv1 (16, k3) → bn1, plus a free ReLU off to the side."""
    g = Graph("small")
    g.add_node("Input", {"channels": 3, "height": 64, "width": 64}, "input", (0, 0))
    g.add_node("Conv2d", {"out_channels": 16, "kernel_size": 3}, "conv1", (0, 120))
    g.add_node("BatchNorm2d", {}, "bn1", (0, 240))
    g.add_node("ReLU", {}, "relu1", (300, 360))
    g.connect("input", "conv1")
    g.connect("conv1", "bn1")
    return g


@pytest.fixture
def view(qtbot):
    v = GraphView()
    qtbot.addWidget(v)
    v.resize(1000, 800)
    v.show()
    qtbot.waitExposed(v)
    return v


def show(view: GraphView, graph: Graph) -> Document:
    doc = Document(graph)
    view.set_document(doc)
    view.set_zoom(1.0)
    view.centerOn(150, 200)
    return doc


def vp(view: GraphView, p: QPointF) -> QPoint:
    return view.mapFromScene(p)


def drop(view: GraphView, at: QPoint, payload: dict) -> None:
    mime = QMimeData()
    mime.setData(LAYER_MIME, json.dumps(payload).encode())
    act = Qt.DropAction.CopyAction
    for ev in (QDragEnterEvent(at, act, mime, Button.LeftButton, Mod.NoModifier),
               QDragMoveEvent(at, act, mime, Button.LeftButton, Mod.NoModifier),
               QDropEvent(QPointF(at), act, mime, Button.LeftButton, Mod.NoModifier)):
        QApplication.sendEvent(view.viewport(), ev)


def drag(view: GraphView, a: QPoint, b: QPoint, steps: int = 6) -> None:
    w = view.viewport()
    QTest.mousePress(w, Button.LeftButton, Mod.NoModifier, a)
    for i in range(1, steps + 1):
        t = i / steps
        QTest.mouseMove(w, QPoint(round(a.x() + (b.x() - a.x()) * t),
                                  round(a.y() + (b.y() - a.y()) * t)))
    QTest.mouseRelease(w, Button.LeftButton, Mod.NoModifier, b)


# -- commands ------------------------------------------------------------------------------
def test_push_edit_refused_keeps_stack_and_redo_history(qapp):
    g = small_graph()
    stack = QUndoStack()
    assert push_edit(stack, SetParamsCommand(g, "conv1", {"kernel_size": 5})) is None
    stack.undo()
    before = dumps(g)
    error = push_edit(stack, ConnectCommand(g, "bn1", "input"))
    assert error is not None and "no inputs" in error
    assert dumps(g) == before
    assert stack.count() == 1 and stack.canRedo()  # redo history kept
    assert push_edit(stack, SetParamsCommand(g, "conv1", {"kernel_size": 0})) is not None
    assert stack.count() == 1


def test_command_texts_are_readable(qapp):
    g = small_graph()
    assert SetParamsCommand(g, "conv1", {"kernel_size": 5}).text() == \
        "Set kernel_size of conv1 to 5"
    assert ConnectCommand(g, "conv1", "bn1").text() == "Connect conv1 → bn1"
    assert RenameNodeCommand(g, "conv1", "stem").text() == "Rename conv1 → stem"
    assert RemoveNodesCommand(g, ["bn1", "relu1"]).text() == "Delete 2 nodes"
    add = AddNodeCommand(g, "Conv2d", {"out_channels": 8})
    stack = QUndoStack()
    push_edit(stack, add)
    assert add.text() == f"Add Conv2d {add.node_id}"


def test_set_params_merges_consecutive_edits_and_restores_exactly(qapp):
    g = small_graph()
    g.set_params("conv1", {"padding": 1})  # explicit order: out_channels, kernel_size, padding
    stack = QUndoStack()
    before = dumps(g)
    for k in (5, 7, 9):
        assert push_edit(stack, SetParamsCommand(g, "conv1", {"kernel_size": k})) is None
    assert stack.count() == 1 and g.nodes["conv1"].params["kernel_size"] == 9
    push_edit(stack, SetParamsCommand(g, "conv1", {"out_channels": None}))  # reset → error
    push_edit(stack, SetParamsCommand(g, "conv1", {"out_channels": 8}))
    assert stack.count() == 2  # out_channels edits merged
    stack.undo()
    stack.undo()
    assert dumps(g) == before  # parameter order included
    # editing back to the start value leaves no undo step
    push_edit(stack, SetParamsCommand(g, "conv1", {"stride": 2}))
    push_edit(stack, SetParamsCommand(g, "conv1", {"stride": None}))
    assert stack.count() == 0 and dumps(g) == before


def test_remove_nodes_undo_restores_ids_edges_and_order(qapp):
    g = load_graph(ROOT / "resources" / "examples" / "unet_mini.convgraph.json")
    stack = QUndoStack()
    before = dumps(g)
    assert push_edit(stack, RemoveNodesCommand(g, ["enc2_relu", "input"])) is None
    assert "enc2_relu" not in g and "input" not in g
    stack.undo()
    assert dumps(g) == before
    stack.redo()
    stack.undo()
    assert dumps(g) == before
    assert push_edit(stack, DisconnectCommand(g, "input", "enc1_conv")) is None
    stack.undo()
    assert dumps(g) == before


# -- scene mirrors the document --------------------------------------------------------------
def test_scene_mirrors_document_and_labels_edges(qapp):
    doc = Document(small_graph())
    scene = GraphScene()
    scene.set_document(doc)
    assert set(scene.nodes) == set(doc.graph.nodes)
    assert len(scene.edges) == 2
    label = scene.edges[doc.graph.edges[0]].label
    assert (label.shape_text, label.rf_text) == ("3×64×64", "RF 1×1 · j 1")
    assert scene.nodes["relu1"].pos() == QPointF(300, 360)


def test_set_params_changes_edge_label_text(qapp):
    doc = Document(small_graph())
    scene = GraphScene()
    scene.set_document(doc)
    (edge,) = [e for e in scene.edges.values() if e.edge.src == "conv1"]
    assert edge.label.shape_text == "16×62×62"
    assert push_edit(doc.undo_stack, SetParamsCommand(doc.graph, "conv1",
                                                      {"out_channels": 32})) is None
    assert edge.label.shape_text == "32×62×62"
    assert push_edit(doc.undo_stack, SetParamsCommand(doc.graph, "conv1",
                                                      {"kernel_size": 5})) is None
    assert (edge.label.shape_text, edge.label.rf_text) == ("32×60×60", "RF 5×5 · j 1")
    doc.undo_stack.undo()
    assert edge.label.shape_text == "32×62×62"


def test_impossible_parameter_turns_node_red_with_engine_message(qapp):
    doc = Document(small_graph())
    scene = GraphScene()
    scene.set_document(doc)
    item = scene.nodes["conv1"]
    assert item.error is None
    push_edit(doc.undo_stack, SetParamsCommand(doc.graph, "conv1", {"kernel_size": 99}))
    error = doc.result().nodes["conv1"].error
    assert error is not None
    assert item.error == error
    assert error.message in item.toolTip()
    downstream = [e for e in scene.edges.values() if e.edge.src == "conv1"][0]
    assert downstream.label.shape_text == "" and not downstream.live
    doc.undo_stack.undo()
    assert item.error is None and error.message not in item.toolTip()


def test_rename_and_remove_follow_the_model(qapp):
    doc = Document(small_graph())
    scene = GraphScene()
    scene.set_document(doc)
    item = scene.nodes["conv1"]
    push_edit(doc.undo_stack, RenameNodeCommand(doc.graph, "conv1", "stem"))
    assert scene.nodes["stem"] is item and "conv1" not in scene.nodes
    assert {e.edge.src for e in scene.edges.values()} == {"input", "stem"}
    push_edit(doc.undo_stack, RemoveNodesCommand(doc.graph, ["stem"]))
    assert "stem" not in scene.nodes and not scene.edges
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert set(scene.nodes) == set(doc.graph.nodes) and len(scene.edges) == 2
    assert scene.nodes["conv1"].scene() is scene


def test_random_edit_sequence_undoes_to_identical_json(qapp):
    rnd = random.Random(4)
    doc = Document(load_graph(ROOT / "resources" / "examples" / "classifier_tour.convgraph.json"))
    scene = GraphScene()
    scene.set_document(doc)
    g, stack = doc.graph, doc.undo_stack
    states = [dumps(g)]
    for _ in range(80):
        ids = list(g.nodes)
        op = rnd.choice(["add", "connect", "disconnect", "params", "move", "remove", "rename",
                         "meta"])
        if op == "add":
            cmd = AddNodeCommand(g, rnd.choice(["ReLU", "Conv2d", "Add", "MaxPool2d"]),
                                 {"out_channels": 8} if rnd.random() < 0.5 else {},
                                 pos=(rnd.randrange(-300, 300), rnd.randrange(0, 2000)))
        elif op == "connect":
            cmd = ConnectCommand(g, rnd.choice(ids), rnd.choice(ids), rnd.randrange(2))
        elif op == "disconnect" and g.edges:
            e = rnd.choice(g.edges)
            cmd = DisconnectCommand(g, e.src, e.dst, e.port)
        elif op == "params":
            nid = rnd.choice(ids)
            name = rnd.choice(["kernel_size", "stride", "padding", "out_channels", "p",
                               "groups"])
            cmd = SetParamsCommand(g, nid, {name: rnd.choice([None, 1, 2, 3, 8])},
                                   mergeable=rnd.random() < 0.5)
        elif op == "move":
            moves = {n: (g.nodes[n].pos, (rnd.randrange(-500, 500), rnd.randrange(3000)))
                     for n in rnd.sample(ids, min(3, len(ids)))}
            cmd = MoveNodesCommand(g, moves)
        elif op == "remove":
            cmd = RemoveNodesCommand(g, rnd.sample(ids, min(len(ids), rnd.randrange(1, 3))))
        elif op == "rename":
            cmd = RenameNodeCommand(g, rnd.choice(ids), f"n{rnd.randrange(100)}")
        else:
            cmd = SetMetaCommand(g, f"graph {rnd.randrange(9)}", None)
        count = stack.count()
        if push_edit(stack, cmd) is None and stack.count() > count:
            states.append(dumps(g))
        elif stack.count() == count and stack.index() == count:
            states[-1] = dumps(g)  # merged into the previous step (or no-op)
        assert set(scene.nodes) == set(g.nodes)
    assert stack.count() == len(states) - 1 > 20
    for i in range(len(states) - 1, 0, -1):
        assert dumps(g) == states[i]
        stack.undo()
        assert set(scene.nodes) == set(g.nodes)
    assert dumps(g) == states[0]
    for i in range(1, len(states)):
        stack.redo()
        assert dumps(g) == states[i]
    assert {(e.src, e.dst, e.port) for e in g.edges} == \
        {(e.src, e.dst, e.port) for e in scene.edges}


# -- palette drops ----------------------------------------------------------------------------
def test_drop_creates_node_where_dropped(view):
    doc = show(view, small_graph())
    at = vp(view, QPointF(420, 120))
    drop(view, at, {"type": "MaxPool2d", "params": {"kernel_size": 3}, "preset": "MaxPool2d"})
    new = [n for n in doc.graph.nodes.values() if n.type == "MaxPool2d"]
    assert len(new) == 1
    spot = view.mapToScene(at)
    assert abs(new[0].pos[0] - spot.x()) <= 5 and abs(new[0].pos[1] - spot.y()) <= 5
    assert dict(new[0].params) == {"kernel_size": 3}
    assert view.selected_ids() == [new[0].id]
    assert doc.undo_stack.count() == 1


def test_drop_onto_edge_inserts_the_node(view):
    doc = show(view, small_graph())
    scene = view.graph_scene()
    edge = scene.edges[next(e for e in doc.graph.edges if e.src == "conv1")]
    mid = edge.route.path.pointAtPercent(0.5)
    drop(view, vp(view, mid), {"type": "Conv2d", "params": {"out_channels": 32},
                                "preset": "Depthwise conv"})
    g = doc.graph
    new = next(n for n in g.nodes.values() if n.id not in ("input", "conv1", "bn1", "relu1"))
    assert g.inputs_of(new.id) == {0: "conv1"} and g.inputs_of("bn1") == {0: new.id}
    # the depthwise preset adapts to the 16 incoming channels
    assert new.params["groups"] == new.params["out_channels"] == 16
    assert doc.result().nodes[new.id].error is None
    # the rows from bn1 down moved one row to make room
    assert new.pos == (0, 240) and g.nodes["bn1"].pos == (0, 360)
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert dumps(g) == dumps(small_graph())


def test_drag_highlights_edge_under_cursor(view):
    doc = show(view, small_graph())
    scene = view.graph_scene()
    edge = scene.edges[doc.graph.edges[1]]
    at = vp(view, edge.route.path.pointAtPercent(0.5))
    mime = QMimeData()
    mime.setData(LAYER_MIME, json.dumps({"type": "ReLU"}).encode())
    act = Qt.DropAction.CopyAction
    QApplication.sendEvent(view.viewport(), QDragEnterEvent(at, act, mime, Button.LeftButton,
                                                            Mod.NoModifier))
    QApplication.sendEvent(view.viewport(), QDragMoveEvent(at, act, mime, Button.LeftButton,
                                                           Mod.NoModifier))
    assert edge.highlight
    far = vp(view, QPointF(600, 600))
    QApplication.sendEvent(view.viewport(), QDragMoveEvent(far, act, mime, Button.LeftButton,
                                                           Mod.NoModifier))
    assert not edge.highlight


# -- mouse gestures ------------------------------------------------------------------------------
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


# -- clipboard ---------------------------------------------------------------------------------
def test_copy_paste_gives_fresh_ids_and_internal_edges(view):
    doc = show(view, small_graph())
    scene = view.graph_scene()
    scene.select_nodes(["conv1", "bn1"])
    view.copy()
    assert QGuiApplication.clipboard().mimeData().hasFormat("application/x-convcanvas-nodes")
    scene.paste()
    g = doc.graph
    new = [n for n in g.nodes if n not in ("input", "conv1", "bn1", "relu1")]
    assert len(new) == 2 and not set(new) & {"conv1", "bn1"}
    assert view.selected_ids() == new
    (a, b) = new
    assert g.inputs_of(b) == {0: a}  # the internal edge, not the one from input
    assert g.nodes[a].params == g.nodes["conv1"].params
    assert g.nodes[a].pos != g.nodes["conv1"].pos
    assert doc.undo_stack.count() == 1
    view.duplicate()
    assert len(g) == 8
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert dumps(g) == dumps(small_graph())


# -- legibility -----------------------------------------------------------------------------------
def test_text_is_readable_at_the_opening_zoom_and_titles_fit(qapp):
    from PySide6.QtGui import QFontMetricsF

    from designer import look
    from designer.canvas.node_item import _TEXT_R, _TEXT_X
    from designer.canvas.view import READABLE_ZOOM
    from engine.catalogue import CATALOGUE

    for style in (look.TITLE_TEXT, look.BODY_TEXT, look.STRONG_TEXT):
        assert look.font(*style).pixelSize() * READABLE_ZOOM >= 9.5, style
    fm = QFontMetricsF(look.font(*look.TITLE_TEXT))
    too_wide = [k.title for k in CATALOGUE.values()
                if fm.horizontalAdvance(k.title) > _TEXT_R - _TEXT_X]
    assert not too_wide  # "Depthwise separable", "Squeeze-excitation", "AdaptiveAvgPool2d"


def test_opening_a_tall_graph_shows_its_top_at_the_readable_zoom(view):
    from designer.canvas.view import READABLE_ZOOM

    view.set_document(Document(load_graph(ROOT / "resources" / "examples"
                                          / "classifier_tour.convgraph.json")))
    assert view.zoom() == pytest.approx(READABLE_ZOOM)
    top = view.graph_scene().nodes["input"].sceneBoundingRect()
    assert view.mapToScene(view.viewport().rect()).boundingRect().contains(top)


# -- scale and layout ----------------------------------------------------------------------------
def test_300_node_graph_loads_into_scene(qapp):
    g = make_chain_graph(300)
    assert len(g) == 300
    doc = Document(g)
    assert doc.result().valid
    scene = GraphScene()
    scene.set_document(doc)
    assert len(scene.nodes) == 300 and len(scene.edges) == len(g.edges)
    assert all(e.label.shape_text for e in scene.edges.values())


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name.split(".")[0] for p in EXAMPLES])
def test_layered_positions_put_every_node_below_its_sources(path):
    g = load_graph(path)
    pos = layered_positions(g)
    assert set(pos) == set(g.nodes)
    for e in g.edges:
        assert pos[e.dst][1] > pos[e.src][1], e
    spots = list(pos.values())
    assert len(set(spots)) == len(spots)  # no two cards on one spot


def test_auto_layout_is_one_undo_step_and_fills_missing_positions(qapp):
    g = make_chain_graph(40)
    for n in list(g.nodes):
        g.move(n, None)
    doc = Document(g)
    scene = GraphScene()
    scene.set_document(doc)  # no positions in the file: laid out for display
    shown = {n: scene.item_pos(n) for n in g.nodes}
    for e in g.edges:
        assert shown[e.dst][1] > shown[e.src][1]
    scene.auto_layout()
    assert doc.undo_stack.count() == 1 and doc.undo_stack.undoText() == "Auto-layout"
    for e in g.edges:
        assert g.nodes[e.dst].pos[1] > g.nodes[e.src].pos[1]
    assert {n: scene.item_pos(n) for n in g.nodes} == {n: g.nodes[n].pos for n in g.nodes}
    doc.undo_stack.undo()
    assert all(n.pos is None for n in g.nodes.values())


def test_edges_route_around_cards_in_the_way(qapp):
    doc = Document(load_graph(ROOT / "resources" / "examples" / "unet_mini.convgraph.json"))
    scene = GraphScene()
    scene.set_document(doc)
    cards = {n: scene.card_rect(it, 2) for n, it in scene.nodes.items()}
    for e, item in scene.edges.items():
        path = item.route.path
        for i in range(1, 100):
            p = path.pointAtPercent(i / 100)
            hit = [n for n, r in cards.items() if r.contains(p) and n not in (e.src, e.dst)]
            assert not hit, (e, hit)
    labels = [it.label.sceneBoundingRect() for it in scene.edges.values()]
    for r in labels:
        assert not any(c.intersects(r) for c in cards.values())


def test_edge_items_are_not_recreated_by_parameter_edits(qapp):
    doc = Document(make_chain_graph(60))
    scene = GraphScene()
    scene.set_document(doc)
    items = dict(scene.edges)
    first = next(n for n in doc.graph.nodes if doc.graph.nodes[n].type == "Conv2d")
    push_edit(doc.undo_stack, SetParamsCommand(doc.graph, first, {"kernel_size": 5,
                                                                  "padding": 2}))
    assert scene.edges == items
    assert all(isinstance(e, EdgeItem) for e in scene.edges.values())
    last = [e for e in scene.edges.values()][-1]
    assert "RF" in last.label.rf_text


def test_upstream_edit_relabels_every_edge_but_repaints_only_changed_cards(qapp):
    doc = Document(make_chain_graph(40))
    scene = GraphScene()
    scene.set_document(doc)
    first = next(n for n in doc.graph.nodes if doc.graph.nodes[n].type == "Conv2d")
    repainted = []
    for nid, item in scene.nodes.items():
        item.update = lambda *a, nid=nid: repainted.append(nid)
    before = {e: (it.label.shape_text, it.label.rf_text) for e, it in scene.edges.items()}
    # kernel 5, padding kept: every shape and receptive field below changes
    push_edit(doc.undo_stack, SetParamsCommand(doc.graph, first, {"kernel_size": 5}))
    below = [e for e in scene.edges if e.src != "input1"]
    assert all(scene.edges[e].label.shape_text != before[e][0] for e in below)
    assert all(scene.edges[e].label.rf_text != before[e][1] for e in below)
    assert set(repainted) == {first}  # its key parameters and count; no other card
    fresh = GraphScene()
    fresh.set_document(doc)
    assert {e: it.label.shape_text + it.label.rf_text for e, it in scene.edges.items()} == \
        {e: it.label.shape_text + it.label.rf_text for e, it in fresh.edges.items()}


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
