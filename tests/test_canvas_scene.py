"""The canvas scene mirrors the document: cards and edges, edge labels (shape and
receptive field), error cards, renames and removals, and edits that relabel edges
without recreating items or repainting unchanged cards.

Runs offscreen (``QT_QPA_PLATFORM=offscreen``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QPointF  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.graphs import make_chain_graph  # noqa: E402
from designer.canvas import GraphScene  # noqa: E402
from designer.canvas.edge_item import EdgeItem  # noqa: E402
from designer.commands import (  # noqa: E402
    RemoveNodesCommand,
    RenameNodeCommand,
    SetParamsCommand,
    push_edit,
)
from designer.document import Document  # noqa: E402
from tests.canvas_helpers import small_graph  # noqa: E402

pytestmark = pytest.mark.gui


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


def test_opening_a_document_does_not_run_the_collector_while_it_builds(qapp):
    """The scene's build pauses the cyclic collector (``engine.gcpause``): its items
    all live on, and a collection among them every few hundred allocations made
    opening a 3,000-node graph about 15% slower (``bench/canvas.py``)."""
    import gc

    doc = Document(make_chain_graph(300))
    doc.result()
    runs = []

    def count(phase, info):
        if phase == "start":
            runs.append(info["generation"])

    gc.collect()
    gc.callbacks.append(count)
    try:
        GraphScene().set_document(doc)
    finally:
        gc.callbacks.remove(count)
    assert len(runs) <= 1, runs  # at most the one young collection after the pause
