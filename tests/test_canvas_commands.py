"""Undo commands of the canvas (designer.commands): refused edits keep the stack,
readable texts, merged parameter edits, exact restores, and a long random edit
sequence that undoes to identical JSON while the scene follows.

Runs offscreen (``QT_QPA_PLATFORM=offscreen``).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("pytestqt")

from PySide6.QtGui import QUndoStack  # noqa: E402

from designer.canvas import GraphScene  # noqa: E402
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
from designer.document import Document  # noqa: E402
from engine import load_graph  # noqa: E402
from engine.io import dumps  # noqa: E402
from tests.canvas_helpers import small_graph  # noqa: E402

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parent.parent


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
