"""Palette drops and the clipboard on the canvas: a drop creates a node where it
lands or inserts it into the edge under the cursor (highlighted while dragging);
copy, paste and duplicate give fresh ids with the internal edges.

Runs offscreen (``QT_QPA_PLATFORM=offscreen``); drag-and-drop is simulated with
events sent to the view's viewport.
"""

from __future__ import annotations

import json
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QMimeData, QPointF, Qt  # noqa: E402
from PySide6.QtGui import (  # noqa: E402
    QDragEnterEvent,
    QDragMoveEvent,
    QGuiApplication,
)
from PySide6.QtWidgets import QApplication  # noqa: E402

from designer.document import LAYER_MIME  # noqa: E402
from engine.io import dumps  # noqa: E402
from tests.canvas_helpers import Button, Mod, drop, show, small_graph, vp  # noqa: E402

pytestmark = pytest.mark.gui


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
