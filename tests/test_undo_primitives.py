"""Edits as primitives with exact inverses, delivered in batches (architecture issue).

Truth here is the file text: ``dumps`` of the graph before an edit must equal
its text after undo, byte for byte (node order, edge order, parameter order),
and a scene that followed every batch must equal a scene built afresh.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Analyzer, Edge, Graph, GraphEditError, load_graph
from engine.graph import (
    Connect,
    DeleteNode,
    Disconnect,
    InsertNode,
    MoveNode,
    Node,
    RenameNode,
    SetMeta,
    SetParams,
)
from engine.io import dumps

ROOT = Path(__file__).resolve().parent.parent
TOUR = ROOT / "resources" / "examples" / "classifier_tour.convgraph.json"
TYPES = ["ReLU", "Conv2d", "Add", "MaxPool2d", "Concat", "BatchNorm2d"]


# -- engine: primitives and batches ------------------------------------------------------
def random_edit(g: Graph, rnd: random.Random):
    """One primitive edit, often one the graph refuses."""
    ids = list(g.nodes)
    op = rnd.randrange(8)
    if op == 0 or not ids:
        nid = f"n{rnd.randrange(60)}"
        params = {"out_channels": rnd.choice([4, 8])} if rnd.random() < 0.5 else {}
        return InsertNode(Node(nid, rnd.choice(TYPES), params, (rnd.randrange(9), 0.5)),
                          rnd.randrange(len(ids) + 1))
    if op == 1:
        nid = rnd.choice(ids)
        return DeleteNode(nid)
    if op == 2:
        return Connect(Edge(rnd.choice(ids), rnd.choice(ids), rnd.randrange(2)),
                       rnd.randrange(len(g.edges) + 1))
    if op == 3 and g.edges:
        return Disconnect(rnd.choice(g.edges))
    if op == 4:
        nid = rnd.choice(ids)
        names = ["kernel_size", "stride", "padding", "out_channels", "p"]
        params = {n: rnd.choice([1, 2, 3]) for n in rnd.sample(names, rnd.randrange(3))}
        return SetParams.of(nid, params)
    if op == 5:
        return MoveNode(rnd.choice(ids), rnd.choice([None, (rnd.randrange(99), 1.25)]))
    if op == 6:
        return RenameNode(rnd.choice(ids), f"r{rnd.randrange(60)}")
    return SetMeta(f"g{rnd.randrange(5)}", rnd.choice(["", "text"]))


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_every_primitive_has_an_exact_inverse(seed):
    rnd = random.Random(seed)
    g = load_graph(TOUR)
    for _ in range(60):
        edit = random_edit(g, rnd)
        before = dumps(g)
        try:
            inverse = g.apply(edit)
        except GraphEditError:
            assert dumps(g) == before  # refused: nothing changed
            continue
        after = dumps(g)
        again = g.apply(inverse)
        assert dumps(g) == before
        g.apply(again)  # the inverse of the inverse redoes the edit
        assert dumps(g) == after


def test_a_batch_is_one_notification_and_a_refusal_rolls_it_back():
    g = load_graph(TOUR)
    seen = []
    g.subscribe(seen.append)
    before = dumps(g)
    with g.batch():
        g.remove_node("stem_conv")
        g.set_meta("renamed")
    assert len(seen) == 1 and len(seen[0]) > 2 and g.revision == seen[0].revision
    after = dumps(g)
    with pytest.raises(GraphEditError):
        with g.batch():
            g.set_meta("half done")
            g.connect("no_such_node", "head")
    assert dumps(g) == after and len(seen) == 1  # rolled back, nothing announced
    assert before != after


def test_analysis_is_current_whoever_listens_first():
    """The analyzer pulls the changes, so a listener that asks it first sees them."""
    g = load_graph(TOUR)
    shapes = []
    g.subscribe(lambda _changes: shapes.append(analyzer.result().nodes["stem_conv"].shape))
    analyzer = Analyzer(g)  # created after the listener
    analyzer.result()
    g.set_params("stem_conv", {"out_channels": 7})
    assert shapes == [(7, *analyzer.result().nodes["stem_conv"].shape[1:])]


# -- designer: commands, document, scene ----------------------------------------------------
def scene_state(scene) -> dict:
    """What the canvas shows: cards, ports, edges and labels."""
    cards = {nid: (it.node, (it.pos().x(), it.pos().y()), it.result, it.warnings,
                   [p.connected for p in it.input_ports])
             for nid, it in scene.nodes.items()}
    edges = {(e.src, e.dst, e.port): (it.label.shape_text, it.label.rf_text)
             for e, it in scene.edges.items()}
    return {"cards": cards, "edges": edges}


def random_command(g: Graph, rnd: random.Random, parent=None):
    from designer.commands import (
        AddNodeCommand,
        ConnectCommand,
        DisconnectCommand,
        InsertNodeCommand,
        MacroCommand,
        MoveNodesCommand,
        RemoveNodesCommand,
        RenameNodeCommand,
        SetMetaCommand,
        SetParamsCommand,
    )

    ids = list(g.nodes)
    op = rnd.randrange(10)
    if op == 0 or len(ids) < 20 and op == 5 or len(ids) < 3:
        return AddNodeCommand(g, rnd.choice(TYPES), {"out_channels": 8} if rnd.random() < .5
                              else {}, pos=(rnd.randrange(-300, 300), rnd.randrange(2000)),
                              parent=parent)
    if op == 1:
        return ConnectCommand(g, rnd.choice(ids), rnd.choice(ids), rnd.randrange(2), parent=parent)
    if op == 2 and g.edges:
        e = rnd.choice(g.edges)
        return DisconnectCommand(g, e.src, e.dst, e.port, parent=parent)
    if op == 3:
        name = rnd.choice(["kernel_size", "stride", "padding", "out_channels", "p"])
        return SetParamsCommand(g, rnd.choice(ids), {name: rnd.choice([None, 1, 2, 3, 8])},
                                mergeable=rnd.random() < 0.5, parent=parent)
    if op == 4:
        return MoveNodesCommand(g, {n: (g.nodes[n].pos, (rnd.randrange(-500, 500),
                                                         rnd.randrange(3000)))
                                    for n in rnd.sample(ids, min(3, len(ids)))},
                                parent=parent)
    if op == 5 and rnd.random() < 0.5:
        return RemoveNodesCommand(g, rnd.sample(ids, min(len(ids), rnd.randrange(1, 3))),
                                  parent=parent)
    if op == 6:
        return RenameNodeCommand(g, rnd.choice(ids), f"n{rnd.randrange(100)}", parent=parent)
    if op == 7 and g.edges and parent is None:
        return InsertNodeCommand(g, rnd.choice(g.edges), rnd.choice(["ReLU", "BatchNorm2d"]),
                                 pos=(0, rnd.randrange(2000)))
    if op == 8 and parent is None:
        macro = MacroCommand(g, "several")
        for _ in range(rnd.randrange(1, 4)):
            random_command(g, rnd, parent=macro)  # made before any is applied
        return macro
    return SetMetaCommand(g, f"graph {rnd.randrange(9)}", None, parent=parent)


@pytest.mark.gui
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_random_edits_undos_and_redos_are_exact(qapp, seed):
    """About 3,000 edits, undos and redos over 3 examples: undo-all gives the start,
    redo-all the end, and the scene equals one built afresh after every phase."""
    from designer.canvas import GraphScene
    from designer.commands import push_edit
    from designer.document import Document

    rnd = random.Random(seed)  # hypothesis picks the seed: 1,000 steps would not fit its buffer
    doc = Document(load_graph(TOUR))
    scene = GraphScene()
    scene.set_document(doc)
    g, stack = doc.graph, doc.undo_stack
    start = dumps(g)
    notes = []
    doc.graphChanged.connect(notes.append)
    for step in range(1000):
        r = rnd.random()
        if r < 0.15 and stack.canUndo():
            stack.undo()
        elif r < 0.25 and stack.canRedo():
            stack.redo()
        else:
            push_edit(stack, random_command(g, rnd))
        if step % 250 == 0:
            scene.flush()
            fresh = GraphScene()
            fresh.set_document(doc)
            assert scene_state(scene) == scene_state(fresh)
            fresh.set_document(None)
    while stack.canRedo():  # the end is the top of the stack
        stack.redo()
    end = dumps(g)
    while stack.canUndo():
        stack.undo()
    assert dumps(g) == start
    while stack.canRedo():
        stack.redo()
    assert dumps(g) == end
    fresh = GraphScene()
    fresh.set_document(doc)
    assert scene_state(scene) == scene_state(fresh)
    assert notes, "the document announced the batches"


@pytest.mark.gui
@pytest.mark.parametrize("which", ["hub", "stem_conv"])
def test_undo_of_deleting_the_hub_is_one_notification_one_analysis(qapp, which):
    """Undo the delete of classifier_tour's most-connected node (issue 10's figure),
    and of stem_conv (the issue's example)."""
    from designer.canvas import GraphScene
    from designer.commands import RemoveNodesCommand, push_edit
    from designer.document import Document

    doc = Document(load_graph(TOUR))
    scene = GraphScene()
    scene.set_document(doc)
    g = doc.graph
    hub = max(g.nodes, key=lambda n: len(g.edges_of(n))) if which == "hub" else which
    before = dumps(g)
    assert push_edit(doc.undo_stack, RemoveNodesCommand(g, [hub])) is None
    cards = dict(scene.nodes)
    notes, analyses = [], []
    doc.graphChanged.connect(notes.append)
    doc.analysisChanged.connect(analyses.append)
    doc.undo_stack.undo()
    assert dumps(g) == before
    assert len(notes) == 1 and len(analyses) == 1
    assert len(notes[0]) == 1 + len(g.edges_of(hub))  # the node and its edges
    recreated = [n for n, it in scene.nodes.items() if cards.get(n) is not it]
    assert recreated == [hub]


def test_an_analyzer_far_behind_recomputes_everything_right():
    """Past the graph's journal (JOURNAL batches) the analyzer starts afresh."""
    from engine import analyze
    from engine.graph.model import JOURNAL

    g = load_graph(TOUR)
    analyzer = Analyzer(g)
    analyzer.result()
    for i in range(JOURNAL + 5):
        g.set_params("stem_conv", {"out_channels": 8 + i % 3})
    assert g.changes_since(0) is None
    assert analyzer.result().to_json() == analyze(g).to_json()
    assert analyzer.recomputed == len(g)
