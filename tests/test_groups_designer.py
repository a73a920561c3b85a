"""Groups in the designer (issue 13, point 3): Ctrl+G, collapsed cards, expand and
collapse, undo/redo, save/load, copy/paste, and a file from ``main.py import``.

Truth: counts summed by hand from the layer formulas (graph-format.md), the
file text before and after undo, and the groups an import writes.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from designer.canvas.folding import Fold
from engine import Graph, load_graph
from engine.io import dumps, save_graph
from tests.canvas_helpers import show, vp

Key, Mod = Qt.Key, Qt.KeyboardModifier


def three_convs() -> Graph:
    """x (3×32×32) → c1 (8, k3 p1) → c2 (8, k3 p1) → c3 (4, k1) → out ReLU."""
    g = Graph("three")
    g.add_node("Input", {"channels": 3, "height": 32, "width": 32}, "x", (0, 0))
    g.add_node("Conv2d", {"out_channels": 8, "padding": 1}, "c1", (0, 110))
    g.add_node("Conv2d", {"out_channels": 8, "padding": 1}, "c2", (0, 220))
    g.add_node("Conv2d", {"out_channels": 4, "kernel_size": 1}, "c3", (0, 330))
    g.add_node("ReLU", {}, "out", (0, 440))
    for a, b in (("x", "c1"), ("c1", "c2"), ("c2", "c3"), ("c3", "out")):
        g.connect(a, b)
    return g


# hand-computed: Conv2d params = out·in·k² + out; MACs = out·H·W·in·k² (32×32 kept)
C1 = (8 * 3 * 9 + 8, 8 * 32 * 32 * 3 * 9)
C2 = (8 * 8 * 9 + 8, 8 * 32 * 32 * 8 * 9)


def test_ctrl_g_groups_the_selection_and_ctrl_shift_g_ungroups(window):
    window.set_document(type(window.doc)(three_convs()))
    scene, graph = window.scene, window.doc.graph
    scene.select_nodes(["c1", "c2"])
    QTest.keyClick(window, Key.Key_G, Mod.ControlModifier)
    assert list(graph.groups) == ["group1"]
    g = graph.groups["group1"]
    assert (g.name, g.nodes, g.parent, g.collapsed) == ("group1", ("c1", "c2"), None, False)
    assert "group1" in scene.group_frames  # expanded: a frame
    assert window.doc.undo_stack.undoText().startswith("Group 2 nodes")
    scene.select_group("group1")
    QTest.keyClick(window, Key.Key_G, Mod.ControlModifier | Mod.ShiftModifier)
    assert not graph.groups and not scene.group_frames


def test_collapsed_card_sums_the_members_and_edges_attach(view):
    graph = three_convs()
    doc = show(view, graph)
    scene = view.scene()
    scene.select_nodes(["c1", "c2"])
    gid = scene.group_selection("block")
    scene.set_collapsed(gid, True)
    card = scene.group_cards[gid]
    f = card.facts
    assert f.params == C1[0] + C2[0] == 808
    assert f.macs == C1[1] + C2[1] == 811008
    assert f.in_shapes == ((3, 32, 32),) and f.out_shapes == ((8, 32, 32),)
    assert f.rf.size == (5, 5)  # two 3×3 convs
    assert not scene.nodes["c1"].isVisible() and not scene.nodes["c2"].isVisible()
    inner = scene.edges[next(e for e in scene.edges if e.src == "c1")]
    assert not inner.isVisible()
    into = scene.edges[next(e for e in scene.edges if e.dst == "c1")]
    out = scene.edges[next(e for e in scene.edges if e.src == "c2")]
    assert into.isVisible() and out.isVisible()
    top = card.sceneBoundingRect().top() + 9  # the card's edge (bounds have a margin)
    assert abs(into.route.path.pointAtPercent(1).y() - top) < 1.5
    # the card folds the band: c3 now sits one row below the card
    assert scene.nodes["c3"].y() - card.y() == 110
    # the model keeps every position
    assert graph.nodes["c3"].pos == (0.0, 330.0)
    doc.undo_stack.undo()
    assert scene.nodes["c1"].isVisible() and gid not in scene.group_cards


def test_expand_and_collapse_by_mouse_with_undo_and_redo(view):
    graph = three_convs()
    doc = show(view, graph)
    scene = view.scene()
    scene.select_nodes(["c1", "c2"])
    gid = scene.group_selection()
    scene.set_collapsed(gid, True)
    before = dumps(graph)
    card = scene.group_cards[gid]
    QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, Mod.NoModifier,
                      vp(view, card.scenePos()))
    assert not graph.groups[gid].collapsed and gid in scene.group_frames
    assert scene.nodes["c1"].isVisible()
    assert doc.undo_stack.undoText() == f"Expand {gid}"
    frame = scene.group_frames[gid]
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Mod.NoModifier,
                     vp(view, frame.button().center()))
    assert graph.groups[gid].collapsed and gid in scene.group_cards
    assert doc.undo_stack.undoText() == f"Collapse {gid}"
    doc.undo_stack.undo()
    assert not graph.groups[gid].collapsed
    doc.undo_stack.undo()
    assert dumps(graph) == before and gid in scene.group_cards
    doc.undo_stack.redo()
    doc.undo_stack.redo()
    assert graph.groups[gid].collapsed and not scene.nodes["c2"].isVisible()


def test_group_rename_ungroup_undo_redo_restore_the_file(view):
    graph = three_convs()
    doc = show(view, graph)
    scene = view.scene()
    texts = [dumps(graph)]
    scene.select_nodes(["c1", "c2", "c3"])
    gid = scene.group_selection()
    texts.append(dumps(graph))
    assert scene.rename_group(gid, "trunk") is None
    assert graph.groups[gid].name == "trunk"
    texts.append(dumps(graph))
    scene.select_group(gid)
    scene.ungroup_selection()
    assert not graph.groups
    texts.append(dumps(graph))
    for text in reversed(texts[:-1]):
        doc.undo_stack.undo()
        assert dumps(graph) == text
    for text in texts[1:]:
        doc.undo_stack.redo()
        assert dumps(graph) == text


def test_group_page_renames(window):
    window.set_document(type(window.doc)(three_convs()))
    scene, graph = window.scene, window.doc.graph
    scene.select_nodes(["c1", "c2"])
    gid = scene.group_selection()
    page = window.properties.page
    assert type(page).__name__ == "GroupPage"
    page.name_edit.setText("encoder")
    page.name_edit.editingFinished.emit()
    assert graph.groups[gid].name == "encoder"
    assert scene.group_frames[gid].group.name == "encoder"
    window.doc.undo_stack.undo()
    assert page.name_edit.text() == gid


def test_save_and_load_keep_groups(view, tmp_path):
    graph = three_convs()
    show(view, graph)
    scene = view.scene()
    scene.select_nodes(["c1", "c2"])
    inner = scene.group_selection("inner")
    scene.select_nodes(["c1", "c2", "c3"])
    outer = scene.group_selection("outer")
    scene.set_collapsed(outer, True)
    path = tmp_path / "g.convgraph.json"
    save_graph(graph, path)
    again = load_graph(path)
    assert again.groups == graph.groups
    assert again.groups[inner].parent == outer
    show(view, again)
    assert list(view.scene().group_cards) == [outer]


def test_copy_paste_of_a_group_copies_nodes_edges_and_group(view):
    graph = three_convs()
    doc = show(view, graph)
    scene = view.scene()
    scene.select_nodes(["c1", "c2"])
    gid = scene.group_selection("block")
    scene.set_collapsed(gid, True)
    scene.select_group(gid)
    scene.copy()
    before = dumps(graph)
    scene.paste()
    assert len(graph.groups) == 2
    new = graph.groups["group2"]
    assert (new.name, new.collapsed, len(new.nodes)) == ("block", True, 2)
    a, b = new.nodes
    assert graph.nodes[a].params == graph.nodes["c1"].params
    assert graph.inputs_of(b) == {0: a}  # the inner edge came along
    assert "group2" in scene.group_cards
    assert scene.group_cards["group2"].facts.params is None  # no input yet: in error
    doc.undo_stack.undo()
    assert dumps(graph) == before
    doc.undo_stack.redo()
    graph.connect("x", a)
    assert scene.group_cards["group2"].facts.params == C1[0] + C2[0]


def test_dragging_a_card_moves_its_members(view):
    graph = three_convs()
    doc = show(view, graph)
    scene = view.scene()
    scene.select_nodes(["c1", "c2"])
    gid = scene.group_selection()
    scene.set_collapsed(gid, True)
    card = scene.group_cards[gid]
    a = vp(view, card.scenePos())
    w = view.viewport()
    QTest.mousePress(w, Qt.MouseButton.LeftButton, Mod.NoModifier, a)
    for i in range(1, 7):
        QTest.mouseMove(w, a + QPoint(40 * i, 0))
    QTest.mouseRelease(w, Qt.MouseButton.LeftButton, Mod.NoModifier, a + QPoint(240, 0))
    dx = graph.nodes["c1"].pos[0]
    assert dx > 150 and graph.nodes["c2"].pos[0] == dx
    assert graph.nodes["c1"].pos[1] == 110.0 and graph.nodes["c2"].pos[1] == 220.0
    doc.undo_stack.undo()
    assert graph.nodes["c1"].pos == (0.0, 110.0)


def test_fold_maps_both_ways():
    fold = Fold([(100.0, 300.0), (500.0, 600.0)], [(50.0, 20.0)])
    for y in (-10.0, 60.0, 99.0, 350.0, 650.0):
        assert abs(fold.to_model(fold.to_view(y)) - y) < 1e-2
    assert fold.to_view(300.0) == fold.to_view(100.0) == 120.0
    assert fold.to_view(700.0) == 700.0 - 300.0 + 20.0


def test_an_imported_model_opens_as_collapsed_stem_stages_and_head(view, tmp_path):
    import torch
    from torch import nn

    from engine.interchange import import_model, write_graph

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv1 = nn.Conv2d(c, c, 3, padding=1)
            self.relu = nn.ReLU()
            self.conv2 = nn.Conv2d(c, c, 3, padding=1)

        def forward(self, x):
            return x + self.conv2(self.relu(self.conv1(x)))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.bn = nn.BatchNorm2d(4)
            self.layer1 = nn.Sequential(Block(4), Block(4))
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            x = self.layer1(self.bn(self.conv(x)))
            return self.fc(torch.flatten(self.pool(x), 1))

    torch.manual_seed(0)
    graph, groups, _weights, _report = import_model(Net(), (3, 12, 12))
    path = tmp_path / "net.convgraph.json"
    write_graph(graph, groups, path)
    text = path.read_text()
    loaded = load_graph(path)
    assert dumps(loaded) == text  # the import's file reads and writes byte for byte
    assert [g["id"] for g in json.loads(text)["groups"]] == list(loaded.groups)
    show(view, loaded)
    scene = view.scene()
    assert set(scene.group_cards) == {"stem", "layer1", "head"}
    assert all(not it.isVisible() for n, it in scene.nodes.items() if n != "x")
    hidden = [e for e in scene.edges.values() if not e.isVisible()]
    assert hidden and not any(e.label.isVisible() for e in hidden)
    card = scene.group_cards["layer1"]
    results = [scene.doc.result().nodes[n] for n in loaded.members("layer1")]
    assert card.facts.params == sum(r.params for r in results) == 4 * (4 * 4 * 9 + 4)
    ys = [scene.group_cards[g].y() for g in ("stem", "layer1", "head")]
    assert ys == sorted(ys) and ys[2] - ys[0] < 4 * 110  # folded: three rows apart


def test_delete_a_card_removes_its_members_and_undo_restores(view):
    graph = three_convs()
    doc = show(view, graph)
    scene = view.scene()
    scene.select_nodes(["c1", "c2"])
    gid = scene.group_selection()
    scene.set_collapsed(gid, True)
    before = dumps(graph)
    scene.select_group(gid)
    scene.delete_selection()
    assert "c1" not in graph.nodes and "c2" not in graph.nodes and not graph.groups
    assert not scene.group_cards
    doc.undo_stack.undo()
    assert dumps(graph) == before and gid in scene.group_cards


def test_moving_a_node_below_a_folded_card_keeps_model_coordinates(view):
    graph = three_convs()
    show(view, graph)
    scene = view.scene()
    scene.select_nodes(["c1", "c2"])
    gid = scene.group_selection()
    scene.set_collapsed(gid, True)
    item = scene.nodes["out"]
    a = vp(view, item.scenePos())
    w = view.viewport()
    QTest.mousePress(w, Qt.MouseButton.LeftButton, Mod.NoModifier, a)
    for i in range(1, 5):
        QTest.mouseMove(w, a + QPoint(0, 10 * i))
    QTest.mouseRelease(w, Qt.MouseButton.LeftButton, Mod.NoModifier, a + QPoint(0, 40))
    assert graph.nodes["out"].pos == (0.0, 480.0)  # 440 + 40 in the model
    assert scene.nodes["out"].y() == 480.0 - 110.0  # shown folded


def test_focusing_a_hidden_node_selects_its_card(view):
    graph = three_convs()
    show(view, graph)
    scene = view.scene()
    scene.select_nodes(["c1", "c2"])
    gid = scene.group_selection()
    scene.set_collapsed(gid, True)
    scene.select_node("c2")
    assert scene.selected_group_ids() == [gid]


def group_scene_state(scene) -> dict:
    """What the canvas shows of a grouped graph: cards, visibility, positions, groups."""
    nodes = {n: (round(it.x(), 2), round(it.y(), 2), it.isVisible())
             for n, it in scene.nodes.items()}
    edges = {(e.src, e.dst, e.port): (it.isVisible(), it.label.isVisible())
             for e, it in scene.edges.items()}
    cards = {g: (round(c.x(), 2), round(c.y(), 2), c.group, c.facts)
             for g, c in scene.group_cards.items()}
    frames = {g: (f.group, f.rect.getRect()) for g, f in scene.group_frames.items()}
    return {"nodes": nodes, "edges": edges, "cards": cards, "frames": frames}


def test_random_group_commands_keep_the_scene_equal_to_a_fresh_one(view):
    """Group, ungroup, collapse, expand, rename, delete and move in random order, then
    undo all and redo all: after each phase the scene equals one built afresh."""
    import random

    from designer.canvas import GraphScene
    from designer.commands import MoveNodesCommand, RemoveNodesCommand, push_edit
    from designer.document import Document
    from designer.group_commands import GroupCommand, SetGroupCommand, UngroupCommand

    graph = three_convs()
    for i in range(4):
        graph.add_node("ReLU", {}, f"r{i}", (220.0, 110.0 * (i + 1)))
        graph.connect("x" if i == 0 else f"r{i - 1}", f"r{i}")
    doc = show(view, graph)
    scene = view.scene()
    rnd = random.Random(13)

    def fresh():
        other = GraphScene()
        other.set_document(Document(graph.copy()))
        return group_scene_state(other)

    for _ in range(40):
        ids, gids = list(graph.nodes), list(graph.groups)
        op = rnd.randrange(6)
        if op == 0 or not gids:
            cmd = GroupCommand(graph, rnd.sample(ids, rnd.randint(1, 3)))
        elif op == 1:
            cmd = UngroupCommand(graph, rnd.choice(gids))
        elif op in (2, 3):
            gid = rnd.choice(gids)
            cmd = SetGroupCommand(graph, gid, collapsed=not graph.groups[gid].collapsed)
        elif op == 4 and len(ids) > 3:
            cmd = RemoveNodesCommand(graph, [rnd.choice(ids)])
        else:
            n = rnd.choice(ids)
            old = graph.nodes[n].pos
            cmd = MoveNodesCommand(graph, {n: (old, (old[0] + 20, old[1] + 40))})
        push_edit(doc.undo_stack, cmd)
        assert group_scene_state(scene) == fresh()
    steps = doc.undo_stack.index()
    texts = [doc.undo_stack.text(i) for i in range(steps)]
    assert sum(t.startswith(("Collapse", "Expand")) for t in texts) >= 5, texts
    for _ in range(steps):
        doc.undo_stack.undo()
    assert group_scene_state(scene) == fresh()
    for _ in range(steps):
        doc.undo_stack.redo()
    assert group_scene_state(scene) == fresh()


def test_fit_shows_the_folded_graph_not_the_hidden_rows(view):
    graph = three_convs()
    show(view, graph)
    scene = view.scene()
    full = view.graph_rect().height()
    scene.select_nodes(["c1", "c2", "c3"])
    gid = scene.group_selection()
    scene.set_collapsed(gid, True)
    assert view.graph_rect().height() < full - 2 * 110 + 1
    card = scene.group_cards[gid].sceneBoundingRect()
    assert view.graph_rect().contains(card)
    assert abs(view.graph_rect().left() - card.left()) < 1  # hidden edges' old routes left out


def test_dragging_a_frame_header_moves_the_group_and_double_click_renames(view, monkeypatch):
    from PySide6.QtWidgets import QApplication, QInputDialog

    graph = three_convs()
    doc = show(view, graph)
    scene = view.scene()
    scene.select_nodes(["c1", "c2"])
    gid = scene.group_selection()
    frame = scene.group_frames[gid]
    h = frame.header()
    a = vp(view, h.center() - (h.center() - h.topLeft()) * 0.5)
    w = view.viewport()
    QTest.mousePress(w, Qt.MouseButton.LeftButton, Mod.NoModifier, a)
    for i in range(1, 5):
        QTest.mouseMove(w, a + QPoint(0, 0) + QPoint(-30 * i, 0))
    QTest.mouseRelease(w, Qt.MouseButton.LeftButton, Mod.NoModifier, a + QPoint(-120, 0))
    assert graph.nodes["c1"].pos == (-120.0, 110.0) and graph.nodes["c2"].pos == (-120.0, 220.0)
    assert graph.nodes["c3"].pos == (0.0, 330.0)
    assert doc.undo_stack.undoText() == f"Move {gid}"
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("renamed", True))
    frame = scene.group_frames[gid]
    QTest.mouseDClick(w, Qt.MouseButton.LeftButton, Mod.NoModifier,
                      vp(view, frame.header().center() - QPoint(40, 0)))
    assert graph.groups[gid].name == "renamed"
    # the rename rebuilt the frame under the pointer during the double click, so Qt
    # never saw its last release: end the press, or later tests' moves are drags
    if QApplication.mouseButtons() != Qt.MouseButton.NoButton:
        QTest.mouseRelease(w, Qt.MouseButton.LeftButton, Mod.NoModifier, a)
    assert QApplication.mouseButtons() == Qt.MouseButton.NoButton
