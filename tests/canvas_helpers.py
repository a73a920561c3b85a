"""Helpers shared by the canvas GUI tests (``test_canvas_*.py``): a small graph,
showing a graph in a scene or a view, and mouse and drag-and-drop events sent to the view's
viewport. The ``view`` fixture is in conftest.
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from designer.canvas import GraphScene, GraphView  # noqa: E402
from designer.document import LAYER_MIME, Document  # noqa: E402
from engine import Graph  # noqa: E402

Button = Qt.MouseButton
Mod = Qt.KeyboardModifier


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


def scene_of(graph: Graph) -> tuple[Document, GraphScene]:
    """``graph`` in a new document shown by a scene without a view."""
    doc = Document(graph)
    scene = GraphScene()
    scene.set_document(doc)
    return doc, scene


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
