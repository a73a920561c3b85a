"""Canvas legibility, scale and layout: readable text at the opening zoom, a 300-node
graph, layered positions of every example, auto-layout as one undo step, and edges
routed around cards.

Runs offscreen (``QT_QPA_PLATFORM=offscreen``).
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

from bench.graphs import make_chain_graph  # noqa: E402
from designer.canvas import GraphScene, layered_positions  # noqa: E402
from designer.document import Document  # noqa: E402
from engine import load_graph  # noqa: E402

pytestmark = pytest.mark.gui
EXAMPLES = sorted((ROOT / "resources" / "examples").glob("*.convgraph.json"))


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
