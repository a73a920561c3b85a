"""Speed of the canvas (prints its figures).

1. Building the scene of a 300-node graph (``bench.graphs.make_chain_graph``):
   every card, edge, route and label.
2. A parameter edit through the Document and the scene, as the property
   editor makes it (``push_edit(SetParamsCommand)``): the engine's incremental
   analysis, then the scene updating the cards and edge labels whose
   ``NodeResult`` changed. Two edits: the first conv (every label below changes)
   and a conv in the middle (half of them). Reported: the whole edit, the
   engine's share, the scene's share (goal: labels updated in under 16 ms,
   median), and the edit followed by a repaint of a 1200×800 view.
3. Auto-layout of the whole graph (one undo step moving every card, edges
   re-routed) and its undo.
4. Painting the whole 300-node scene once (offscreen raster, 1:1).

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/canvas.py``
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QRectF  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.graphs import make_chain_graph  # noqa: E402
from designer.canvas import GraphScene, GraphView  # noqa: E402
from designer.commands import SetParamsCommand, push_edit  # noqa: E402
from designer.document import Document  # noqa: E402

N = 300
REPEAT = 31


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.2f} ms"


def build() -> tuple[Document, GraphScene, list[float]]:
    times = []
    for _ in range(5):
        doc = Document(make_chain_graph(N))
        doc.result()
        scene = GraphScene()
        t = time.perf_counter()
        scene.set_document(doc)
        times.append(time.perf_counter() - t)
    return doc, scene, times


def edit(doc: Document, scene: GraphScene, node_id: str,
         view: GraphView) -> tuple[list, list, list, list, int]:
    """Alternate kernel 3/5 (padding 1/2) on ``node_id``; time the whole and the parts.

    The last list times the edit followed by a repaint of ``view`` (showing the
    edited card and the labels below it).
    """
    total, engine, labels, painted = [], [], [], []
    state = {"t": 0.0}

    def scene_start(_result):
        state["t"] = time.perf_counter()

    # time the scene's analysis handler on its own: it runs right after this one
    doc.analysisChanged.connect(scene_start)
    doc.analysisChanged.disconnect(scene._on_analysis)
    doc.analysisChanged.connect(scene._on_analysis)
    changed = 0
    for i in range(REPEAT):
        k, p = (5, 2) if i % 2 == 0 else (3, 1)
        before = {e: (e.label.shape_text, e.label.rf_text) for e in scene.edges.values()}
        t0 = time.perf_counter()
        assert push_edit(doc.undo_stack, SetParamsCommand(doc.graph, node_id,
                                                          {"kernel_size": k, "padding": p},
                                                          mergeable=False)) is None
        t1 = time.perf_counter()
        total.append(t1 - t0)
        labels.append(t1 - state["t"])
        engine.append(state["t"] - t0)
        changed = sum((e.label.shape_text, e.label.rf_text) != v for e, v in before.items())
    view.centerOn(scene.nodes[node_id])
    for i in range(REPEAT):
        k, p = (5, 2) if i % 2 == 0 else (3, 1)
        t0 = time.perf_counter()
        push_edit(doc.undo_stack, SetParamsCommand(doc.graph, node_id,
                                                   {"kernel_size": k, "padding": p},
                                                   mergeable=False))
        view.viewport().repaint()
        painted.append(time.perf_counter() - t0)
    doc.analysisChanged.disconnect(scene_start)
    return total, engine, labels, painted, changed


def paint(scene: GraphScene) -> float:
    rect = scene.itemsBoundingRect()
    img = QImage(int(rect.width()), min(int(rect.height()), 32000), QImage.Format.Format_ARGB32)
    times = []
    for _ in range(3):
        p = QPainter(img)
        t = time.perf_counter()
        scene.render(p, QRectF(img.rect()), rect)
        times.append(time.perf_counter() - t)
        p.end()
    return statistics.median(times)


def main() -> None:
    app = QApplication.instance() or QApplication([])
    doc, scene, times = build()
    print(f"canvas bench: {N}-node generated chain, {len(doc.graph.edges)} edges "
          f"({os.cpu_count()} cores)")
    print(f"  build scene             {ms(statistics.median(times))}  (median of 5)")
    convs = [n for n, node in doc.graph.nodes.items() if node.type == "Conv2d"]
    view = GraphView(scene)
    view.resize(1200, 800)
    view.show()
    app.processEvents()
    view.set_zoom(1.0)
    for label, nid in (("first conv", convs[0]), ("middle conv", convs[len(convs) // 2])):
        total, engine, labels, painted, changed = edit(doc, scene, nid, view)
        print(f"  edit {label:<12} ({changed:3d} labels change)")
        print(f"    whole edit            {ms(statistics.median(total))}")
        print(f"    engine analysis       {ms(statistics.median(engine))}")
        print(f"    scene: cards+labels   {ms(statistics.median(labels))}   (goal < 16 ms)")
        print(f"    edit + view repaint   {ms(statistics.median(painted))}   (1200×800, 100 %)")
    t = time.perf_counter()
    scene.auto_layout()
    scene.flush()
    t1 = time.perf_counter()
    doc.undo_stack.undo()
    scene.flush()
    t2 = time.perf_counter()
    print(f"  auto-layout             {ms(t1 - t)}   undo {ms(t2 - t1)}")
    print(f"  paint whole scene       {ms(paint(scene))}  (offscreen raster)")
    del app


if __name__ == "__main__":
    main()
