"""Issue 15's canvas defects: the output stub (6), fit on open (8), labels at merges (12).

Runs offscreen (``QT_QPA_PLATFORM=offscreen``).
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("pytestqt")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from designer.canvas import GraphScene  # noqa: E402
from designer.canvas.edge_item import edge_label_texts  # noqa: E402
from designer.commands import (  # noqa: E402
    AddNodeCommand,
    ConnectCommand,
    MacroCommand,
    push_edit,
)
from designer.document import Document  # noqa: E402
from engine import Graph, load_graph  # noqa: E402
from tests.canvas_helpers import scene_of, small_graph  # noqa: E402

pytestmark = pytest.mark.gui

EXAMPLES = ROOT / "resources" / "examples"
FAN = ROOT / "bench" / "graphs" / "fan63.convgraph.json"


# -- defect 6: the last node's output shape and RF --------------------------------------
def test_output_cards_show_their_shape_and_rf_on_a_stub(qapp):
    doc, scene = scene_of(small_graph())
    outputs = [it for it in scene.nodes.values()
               if not it.edges_out and it.result is not None and it.result.shape]
    assert outputs
    for it in outputs:
        assert it.stub is not None and it.stub.isVisible()
        shape, rf = edge_label_texts(it.result)
        assert shape and rf.startswith("RF")
        assert (it.stub.label.shape_text, it.stub.label.rf_text) == (shape, rf)
    inner = [it for it in scene.nodes.values() if it.edges_out]
    assert all(it.stub is None or not it.stub.isVisible() for it in inner)


def test_the_stub_moves_to_the_new_last_card_and_back_on_undo(qapp):
    doc, scene = scene_of(small_graph())
    last = next(it for it in scene.nodes.values() if not it.edges_out and it.result.shape)
    macro = MacroCommand(doc.graph, "add below")
    AddNodeCommand(doc.graph, "ReLU", {}, "tail", (0, 900), parent=macro)
    ConnectCommand(doc.graph, last.node_id, "tail", parent=macro)
    assert push_edit(doc.undo_stack, macro) is None
    new = scene.nodes["tail"]
    assert new is not last and not last.stub.isVisible()
    assert new.stub.isVisible() and new.stub.label.shape_text == \
        edge_label_texts(new.result)[0]
    doc.undo_stack.undo()
    assert last.stub.isVisible()


# -- defect 8: a wide example opens whole, readable --------------------------------------
def test_wide_example_opens_whole_at_a_readable_zoom(view):
    view.resize(850, 700)
    view.set_document(Document(load_graph(EXAMPLES /
                                          "transposed_conv_arithmetic.convgraph.json")))
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert view.zoom() >= 0.65  # every text at least 12 px × 0.65 ≈ 8 px
    for it in view.graph_scene().nodes.values():
        assert shown.contains(it.sceneBoundingRect()), it.node_id


def test_a_graph_too_wide_to_read_whole_opens_at_its_start(view):
    from designer.canvas.view import READABLE_ZOOM

    view.set_document(Document(load_graph(FAN)))
    assert view.zoom() == pytest.approx(READABLE_ZOOM)
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert shown.contains(view.graph_scene().nodes["input1"].sceneBoundingRect())


# -- defect 12: no label on another ------------------------------------------------------
def _concat_of_four(stacked: bool) -> Graph:
    g = Graph("four into one")
    x = g.add_node("Input", {"channels": 3, "height": 32, "width": 32}, "x", (0, 0))
    srcs = [x] if stacked else []
    prev = x
    for i in range(3 if stacked else 4):
        pos = (0, 120 * (i + 1)) if stacked else ((i - 1.5) * 230, 120)
        c = g.add_node("Conv2d", {"out_channels": 4, "kernel_size": 1 + 2 * i, "padding": i},
                       f"c{i}", pos)
        g.connect(prev if stacked else x, c)
        srcs.append(c)
        prev = c
    cat = g.add_node("Concat", {}, "cat", (0, 480 if stacked else 240))
    for port, s in enumerate(srcs):
        g.connect(s, cat, port)
    return g


def _overlaps(scene: GraphScene) -> list:
    rects = [(e.edge, e.label.sceneBoundingRect()) for e in scene.edges.values()
             if e.label.isVisible()]
    rects += [(it.node_id, it.stub.label_rect()) for it in scene.nodes.values()
              if getattr(it, "stub", None) is not None and it.stub.isVisible()]
    return [(a, b) for i, (a, ra) in enumerate(rects) for b, rb in rects[i + 1:]
            if ra.intersects(rb)]


@pytest.mark.parametrize("stacked", [False, True])
def test_labels_at_a_four_input_concat_do_not_overlap(qapp, stacked):
    _doc, scene = scene_of(_concat_of_four(stacked))
    assert sum(e.label.isVisible() for e in scene.edges.values()) == len(scene.edges)
    assert not _overlaps(scene)


def test_labels_of_the_63_way_fan_do_not_overlap(qapp):
    _doc, scene = scene_of(load_graph(FAN))
    assert sum(e.label.isVisible() for e in scene.edges.values()) == len(scene.edges)
    assert not _overlaps(scene)


def _merge_of_a_random_net(seed: int) -> Graph:
    """A few convs wired at random, then an Add or Concat of 3–5 of them (laid out on open)."""
    rnd = random.Random(seed)
    g = Graph("merge")
    nodes = [g.add_node("Input", {"channels": 3, "height": 32, "width": 32}, "x")]
    for i in range(rnd.randint(3, 7)):
        c = g.add_node("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, f"c{i}")
        g.connect(rnd.choice(nodes), c)
        nodes.append(c)
    k = rnd.randint(3, min(5, len(nodes)))
    merge = g.add_node(rnd.choice(["Concat", "Add"]), {}, "m")
    for port, src in enumerate(rnd.sample(nodes, k)):
        g.connect(src, merge, port)
    return g


@pytest.mark.parametrize("seed", [17, 21, 3, 8])
def test_labels_near_an_auto_laid_out_merge_do_not_overlap(qapp, seed):
    """Seeds 17 and 21 piled two labels up before the fix."""
    _doc, scene = scene_of(_merge_of_a_random_net(seed))
    assert not _overlaps(scene)
