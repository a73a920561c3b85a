#!/usr/bin/env python3
"""Undo of a delete, as the designer does it (architecture issue's figure).

Deletes the most-connected node of a graph with the Delete command, then times
its undo (and the redo): the whole path from ``QUndoStack.undo`` through the
graph model, the incremental analysis and the canvas. Counted per undo:

* ``notifications``: ``Document.graphChanged`` emissions (one per batch);
* ``events``: the model events those carried;
* ``analyses``: ``Document.analysisChanged`` emissions (each a full result);
* ``cards new``: node cards that are new objects after the undo (only the
  restored node's card should be);
* ``cards redrawn``: cards whose analysis result changed and were repainted.

Graphs: ``resources/examples/classifier_tour``, generated chains
(``bench.graphs.make_chain_graph``) of 300 and 3,000 nodes, the 3,000-node
chain without positions (laid out on open) and the 63-way fan
(``bench/graphs/fan63.convgraph.json``, deleting its hub). Each is shown in a
1200×800 view at the opening zoom, as in the designer; an undo is timed until
the view has repainted (``processEvents`` + ``repaint``). The ``designer``
column is the canvas' share (the scene's slots and the repaint); the rest is
the model and the analysis (``engine``). Issue 16's goal: undo or redo of any
delete in a 3,000-node graph ≤ 30 ms.

``--tree DIR`` runs the same measurement on another checkout (e.g. a
``git worktree`` of an older commit) so that both are measured on one machine
under the same load; its figures are printed the same way.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/undo.py [--repeat N] [--tree DIR]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent.parent
#: the clock of every figure (``--cpu``: the main thread's CPU time)
clock = time.perf_counter


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=9, help="undo/redo pairs timed (median)")
    ap.add_argument("--tree", type=Path, default=HERE, help="checkout to measure")
    ap.add_argument("--sizes", default="300,3000", help="generated chain sizes")
    ap.add_argument("--cpu", action="store_true",
                    help="the main thread's CPU time instead of the wall clock (steadier on "
                         "a busy machine; the goal is wall time)")
    args = ap.parse_args()
    global clock
    clock = time.thread_time if args.cpu else time.perf_counter
    sys.path.insert(0, str(args.tree.resolve()))
    sys.path.insert(1, str(HERE))  # bench.graphs from this checkout

    from PySide6.QtWidgets import QApplication

    from bench.designer_graphs import make_branching_graph
    from bench.graphs import make_chain_graph
    from designer.canvas import GraphView
    from designer.commands import RemoveNodesCommand, push_edit
    from designer.document import Document
    from engine import load_graph

    app = QApplication.instance() or QApplication([])
    tour = args.tree / "resources" / "examples" / "classifier_tour.convgraph.json"
    cases = [("classifier_tour", lambda: load_graph(tour))]
    cases += [(f"chain {n}", lambda n=n: make_chain_graph(n))
              for n in (int(s) for s in args.sizes.split(",") if s)]
    cases += [("chain 3000 laid out", lambda: make_branching_graph(3000)),
              ("63-way fan", lambda: load_graph(HERE / "bench" / "graphs"
                                                / "fan63.convgraph.json"))]
    print(f"Undo of deleting the most-connected node ({args.tree}; load "
          f"{os.getloadavg()[0]:.2f}; {'main-thread CPU' if args.cpu else 'wall'} time)")
    print(f"{'graph':>20} {'nodes':>6} {'deleted':>9} {'edges cut':>9} {'notif.':>6} "
          f"{'events':>6} {'analyses':>8} {'cards new':>9} {'redrawn':>7} {'undo ms':>8} "
          f"{'redo ms':>8} {'designer':>8}")
    for name, make in cases:
        graph = make()
        doc = Document(graph)
        view = GraphView()
        view.resize(1200, 800)
        view.show()
        view.set_document(doc)
        scene = view.graph_scene()
        flush = getattr(scene, "flush_due", scene.flush)  # older trees: flush
        app.processEvents()
        timer = _SceneShare(doc, scene)
        degree = {n: 0 for n in graph.nodes}
        for e in graph.edges:
            degree[e.src] += 1
            degree[e.dst] += 1
        hub = max(degree, key=degree.get)
        assert push_edit(doc.undo_stack, RemoveNodesCommand(graph, [hub])) is None
        flush()
        counts = {"notes": 0, "events": 0, "analyses": 0}

        def on_graph(changes, counts=counts):
            counts["notes"] += 1
            counts["events"] += len(changes) if hasattr(changes, "__len__") else 1

        def on_analysis(_result, counts=counts):
            counts["analyses"] += 1

        doc.graphChanged.connect(on_graph)
        doc.analysisChanged.connect(on_analysis)
        redrawn = _count_redraws(scene)
        cards = dict(scene.nodes)
        undo_ms, redo_ms = [], []
        first = None
        share = []
        for i in range(args.repeat):
            for k in counts:
                counts[k] = 0
            redrawn.clear()
            timer.spent = 0.0
            t = clock()
            doc.undo_stack.undo()
            t1 = clock()
            flush()
            app.processEvents()  # the view paints what changed
            t2 = clock()
            undo_ms.append((t2 - t) * 1000)
            share.append((timer.spent + t2 - t1) * 1000)
            if i == 0:
                new = sum(1 for n, it in scene.nodes.items() if cards.get(n) is not it)
                first = (dict(counts), new, len(redrawn))
            t = clock()
            doc.undo_stack.redo()
            flush()
            app.processEvents()
            redo_ms.append((clock() - t) * 1000)
            cards = dict(scene.nodes)
        c, new, red = first
        print(f"{name:>20} {len(graph):>6} {hub:>9} {degree[hub]:>9} {c['notes']:>6} "
              f"{c['events']:>6} {c['analyses']:>8} {new:>9} {red:>7} "
              f"{statistics.median(undo_ms):>8.2f} {statistics.median(redo_ms):>8.2f} "
              f"{statistics.median(share):>8.2f}")
        timer.close()
        view.hide()
        scene.set_document(None)
        doc.close()
    return 0


class _SceneShare:
    """Times the scene's slots on the document's signals (the canvas' share)."""

    def __init__(self, doc, scene):
        self.spent = 0.0
        self._slots = ((doc.graphChanged, scene._on_graph_event),
                       (doc.analysisChanged, scene._on_analysis))
        self._timed = []
        for signal, slot in self._slots:
            signal.disconnect(slot)
            timed = self._wrap(slot)
            signal.connect(timed)
            self._timed.append(timed)

    def _wrap(self, slot):
        def timed(arg):
            t = clock()
            slot(arg)
            self.spent += clock() - t
        return timed

    def close(self) -> None:
        for (signal, slot), timed in zip(self._slots, self._timed, strict=True):
            signal.disconnect(timed)
            signal.connect(slot)


_SEEN: set = set()


def _count_redraws(scene) -> set:
    """Ids of the cards whose shown result changes (``NodeItem.set_result`` with news)."""
    from designer.canvas.node_item import NodeItem

    seen = _SEEN
    original = NodeItem.set_result
    if getattr(original, "counting", False):
        return seen

    def counting(item, result, warnings, *more):
        if result is not item.result or warnings != item.warnings:
            seen.add(item.node_id)
        return original(item, result, warnings, *more)

    counting.counting = True
    NodeItem.set_result = counting
    return seen


if __name__ == "__main__":
    sys.exit(main())
