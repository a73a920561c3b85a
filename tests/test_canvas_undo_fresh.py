"""Undo and redo of a delete leave nothing stale behind what the canvas defers.

The canvas repaints, routes and labels only what is in sight after an edit
(:mod:`designer.canvas.freshness`); an empty label is not placed until it
shows a text. These tests undo and redo deletions, then scroll far away and
check what the view shows against the analysis itself (``Document.result``),
so that a deferred update that got lost would fail here. Speed is measured by
``bench/undo.py``, not here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("pytestqt")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QRectF  # noqa: E402

from bench.graphs import make_chain_graph  # noqa: E402
from designer.canvas.edge_item import edge_label_texts  # noqa: E402
from designer.commands import RemoveNodesCommand, push_edit  # noqa: E402
from designer.document import Document  # noqa: E402
from engine import load_graph  # noqa: E402

FAN = ROOT / "bench" / "graphs" / "fan63.convgraph.json"


def _truth(doc, edge) -> tuple[str, str]:
    """What the label of ``edge`` must show: the analysis' result of its source."""
    return edge_label_texts(doc.result().nodes.get(edge.src))


def _shown(view):
    return view.mapToScene(view.viewport().rect()).boundingRect()


def _assert_seen_labels_true(view, doc) -> int:
    """Every edge the view shows: routed, drawn as the analysis says, labelled with it
    and its label placed; except a label that waits for its kept spot (an undo) while
    that spot is out of sight: hidden until then. Returns how many wait so."""
    scene = view.graph_scene()
    shown = _shown(view)
    seen = [e for e in scene.edges.values() if e.route is not None
            and e.boundingRect().intersects(shown)]
    assert seen
    waiting = 0
    for e in seen:
        truth = _truth(doc, e.edge)
        assert e.live == (truth[0] != "")  # solid or dashed as the analysis says
        if (e.label._shape_text, e.label._rf_text) != truth:
            assert e.stale and e.spot_waits and not e.label.isVisible()
            (x, y), (w, h) = (e.spot[0].x(), e.spot[0].y()), e.spot[1]
            assert not QRectF(x, y, w, h).intersects(shown)
            waiting += 1
            continue
        if e.label._shape_text:
            assert e.label.isVisible() and e in scene._label_index  # placed and filed
        else:
            assert not e.label.isVisible() and e not in scene._label_index
    return waiting


def _fan_hub_back(view, qtbot):
    """The 63-way fan shown, its hub deleted then undone: ``(doc, scene, hub edges)``."""
    doc = Document(load_graph(FAN))
    view.set_document(doc)
    scene = view.graph_scene()
    qtbot.wait(10)
    assert push_edit(doc.undo_stack, RemoveNodesCommand(doc.graph, ["hub"])) is None
    scene.flush_due()
    view.viewport().repaint()
    doc.undo_stack.undo()
    scene.flush_due()
    view.viewport().repaint()
    hub_edges = [e for e in scene.edges.values() if e.edge.src == "hub"]
    return doc, view.graph_scene(), hub_edges


def test_fan_hub_undo_labels_far_branches_when_scrolled_to(view, qtbot):
    doc, scene, hub_edges = _fan_hub_back(view, qtbot)
    assert len(hub_edges) == 63
    assert _truth(doc, hub_edges[0].edge)[0]  # the hub has a shape again
    assert _assert_seen_labels_true(view, doc) > 20  # long curves, labels far away
    waiting = next(e for e in hub_edges if e.stale)
    assert (waiting.label.shape_text, waiting.label.rf_text) == _truth(doc, waiting.edge)
    assert not waiting.stale  # read: up to date at once (a tooltip, an export)
    # the farthest branch: its edge from the hub and the cards below it
    far = max(hub_edges, key=lambda e: e.dst.x())
    assert far.dst.x() > _shown(view).right() + 1000  # far out of sight
    view.centerOn(far.dst)
    view.viewport().repaint()
    _assert_seen_labels_true(view, doc)
    assert far.label.isVisible() and far in scene._label_index  # placed when seen
    for it in scene.nodes.values():
        if _shown(view).contains(it.pos()):
            assert not it.face_waits
            assert it.result is doc.result().nodes.get(it.node_id)
    # redo, then back to the hub: the branches are cut off again
    doc.undo_stack.redo()
    scene.flush_due()
    view.viewport().repaint()
    _assert_seen_labels_true(view, doc)
    view.centerOn(scene.nodes["cat1"])
    view.viewport().repaint()
    _assert_seen_labels_true(view, doc)
    scene.flush()  # everything, as before an export
    for e in scene.edges.values():
        assert (e.label._shape_text, e.label._rf_text) == _truth(doc, e.edge)


def test_chain_undo_far_labels_match_the_analysis_when_seen(view, qtbot):
    doc = Document(make_chain_graph(300))
    view.set_document(doc)
    scene = view.graph_scene()
    qtbot.wait(10)
    first = next(n for n, node in doc.graph.nodes.items() if node.type == "Conv2d")
    for _ in range(2):  # delete, undo, redo, undo: each changes every card below
        assert push_edit(doc.undo_stack, RemoveNodesCommand(doc.graph, [first])) is None
        scene.flush_due()
        view.viewport().repaint()
        doc.undo_stack.undo()
        scene.flush_due()
        view.viewport().repaint()
    _assert_seen_labels_true(view, doc)
    last = max(scene.edges.values(), key=lambda e: e.src.y())
    assert last.src.y() > _shown(view).bottom() + 1000  # far out of sight
    view.centerOn(last.src)
    view.viewport().repaint()
    _assert_seen_labels_true(view, doc)
    assert (last.label._shape_text, last.label._rf_text) == _truth(doc, last.edge)
    assert last.label.isVisible()
    assert not last.src.face_waits
    assert last.src.result is doc.result().nodes.get(last.src.node_id)


def test_a_zoomed_out_view_draws_lines_dashed_or_solid_as_the_analysis_says(view, qtbot):
    """Below LABEL_MIN_ZOOM no label is drawn, but an edge's line still shows whether a
    tensor flows: after a delete that cuts 300 nodes off, and after its undo."""
    doc = Document(make_chain_graph(300))
    view.set_document(doc)
    scene = view.graph_scene()
    view.set_zoom(0.3)
    view.viewport().repaint()
    first = next(n for n, node in doc.graph.nodes.items() if node.type == "Conv2d")

    def lines_seen():
        shown = _shown(view)
        seen = [e for e in scene.edges.values() if e.route is not None
                and e.boundingRect().intersects(shown)]
        assert len(seen) > 10
        return {e.live == (_truth(doc, e.edge)[0] != "") for e in seen}, \
            {e.live for e in seen}

    assert push_edit(doc.undo_stack, RemoveNodesCommand(doc.graph, [first])) is None
    scene.flush_due()
    view.viewport().repaint()
    right, drawn = lines_seen()
    assert right == {True} and False in drawn  # cut off: dashed
    doc.undo_stack.undo()
    scene.flush_due()
    view.viewport().repaint()
    right, drawn = lines_seen()
    assert right == {True} and drawn == {True}  # flowing again: solid


def test_a_waiting_label_whose_text_changes_size_is_placed_at_once(view, qtbot):
    """A label waits out of sight for its kept spot only while its text keeps the size it
    had there: a wider text looks for a spot afresh at once (the spot may be in sight)."""
    from designer.canvas.edge_label import label_size
    from designer.commands import SetParamsCommand

    doc, scene, hub_edges = _fan_hub_back(view, qtbot)
    waiting = [e for e in hub_edges if e.stale and e.spot_waits]
    assert len(waiting) > 20
    kept_size = waiting[0].spot[1]
    assert push_edit(doc.undo_stack, SetParamsCommand(doc.graph, "conv1",
                                                      {"kernel_size": 11, "padding": 5})) is None
    scene.flush_due()
    view.viewport().repaint()
    assert label_size(scene.nodes["hub"].result) != kept_size  # wider now
    for e in scene.edges.values():
        if e.stale and e.spot_waits:
            assert label_size(e.src.result) == e.spot[1]
    _assert_seen_labels_true(view, doc)
