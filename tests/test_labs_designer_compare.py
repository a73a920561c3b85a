"""File → Compare with… (issue 14): badges on the cards of nodes added or changed relative
to a design B, ghosts where B has nodes this design lacks, a table with the totals, all
following the edits (the engine's ``diff_graphs(B, this design)`` is the reference).

Runs offscreen; dialogs are patched (fixtures ``home``, ``dialogs``, ``window`` in conftest).
"""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QFileDialog  # noqa: E402

from designer.commands import (  # noqa: E402
    AddNodeCommand,
    ConnectCommand,
    RemoveNodesCommand,
    RenameNodeCommand,
    SetParamsCommand,
    push_edit,
)
from designer.labs.diff_badge import DiffBadge  # noqa: E402
from designer.labs.ghost_card import GhostCard  # noqa: E402
from designer.labs.wording import badge_lines  # noqa: E402
from engine import load_graph  # noqa: E402
from engine.labs import diff_graphs  # noqa: E402
from tests.window_helpers import ROOT  # noqa: E402

pytestmark = pytest.mark.gui

STARTER = ROOT / "resources" / "labs" / "rf_budget" / "starter.convgraph.json"


def edit(window, command) -> None:
    assert push_edit(window.doc.undo_stack, command) is None


def items(window, cls) -> list:
    return [it for it in window.scene.items() if isinstance(it, cls)]


def shown(window) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """node id -> (kind, header, lines) of every badge on the canvas, checked to sit on
    the card of that node (one badge per card)."""
    out = {}
    for badge in items(window, DiffBadge):
        card = badge.parentItem()
        assert window.scene.nodes[card.node_id] is card
        assert card.node_id not in out
        out[card.node_id] = (badge.kind, badge.header, badge.lines)
    return out


def expected(window):
    return diff_graphs(load_graph(STARTER), window.doc.graph)


def table_rows(window) -> list[list[str]]:
    tree = window.labs.table.tree
    return [[tree.topLevelItem(i).text(c) for c in range(5)]
            for i in range(tree.topLevelItemCount())]


@pytest.fixture
def student(window):
    """The rf_budget starter, opened from its file, then edited: conv1 widened to 16
    channels, a pool and a conv added below relu1."""
    assert window.open_path(STARTER)
    g = window.doc.graph
    edit(window, SetParamsCommand(g, "conv1", {"out_channels": 16}))
    edit(window, AddNodeCommand(g, "MaxPool2d", {"kernel_size": 2, "stride": 2},
                                node_id="pool1", pos=(0, 330)))
    edit(window, ConnectCommand(g, "relu1", "pool1"))
    edit(window, AddNodeCommand(g, "Conv2d", {"out_channels": 8, "kernel_size": 3,
                                              "padding": 1}, node_id="conv2", pos=(0, 440)))
    edit(window, ConnectCommand(g, "pool1", "conv2"))
    return window


def test_compare_badges_show_the_engines_deltas(student, monkeypatch):
    window = student
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(STARTER), "")))
    assert window.menu_actions.compare.text() == "Compa&re With…"
    window.menu_actions.compare.trigger()
    diff = expected(window)
    assert window.labs.comparison.diff == diff
    assert [i for i, _ in diff.added] == ["pool1", "conv2"] and not diff.removed
    conv1 = next(e for e in diff.changed if e["id"] == "conv1")
    # the deltas by hand: 3·16·9+16 = 448 params (was 224), 16×32×32 (was 8×32×32)
    assert conv1["params"] == {"out_channels": [8, 16]}
    assert conv1["param_count"] == [224, 448] and conv1["shape"] == [[8, 32, 32],
                                                                     [16, 32, 32]]
    assert conv1["macs"] == [221184, 442368]
    badges = shown(window)
    assert set(badges) == {"pool1", "conv2"} | {e["id"] for e in diff.changed}
    assert badges["pool1"] == ("added", "+ new", ("MaxPool2d · not in starter",))
    assert badges["conv1"] == ("changed", "changed vs starter", tuple(badge_lines(conv1)))
    assert badges["conv1"][2] == ("out_channels 8 → 16", "shape 8×32×32 → 16×32×32",
                                  "params +224 · MACs +221k")
    assert badges["relu1"][2] == ("shape 8×32×32 → 16×32×32",)  # follows from conv1
    assert not items(window, GhostCard)
    rows = table_rows(window)
    assert ["pool1", "+ added", "—", "MaxPool2d", ""] in rows
    assert ["conv1", "out_channels", "8", "16", "+8"] in rows
    assert ["", "params", "224", "448", "+224"] in rows
    p0, p1 = diff.total["params"]
    assert rows[-2] == ["total", "params", f"{p0:,}", f"{p1:,}", f"+{p1 - p0:,}"]
    assert window.labs.table.tree.headerItem().text(2) == "starter"
    assert window.labs.compare_dock.isVisible()
    summary = window.labs.table.summary.text()
    assert "compared with <b>starter</b>" in summary and "+2 nodes added" in summary


def test_badges_follow_the_edits_and_removed_nodes_get_ghosts(student):
    window = student
    assert window.labs.compare_with(STARTER)
    g = window.doc.graph
    edit(window, SetParamsCommand(g, "conv1", {"out_channels": 8}))  # back as in B
    assert "conv1" not in shown(window) and "relu1" not in shown(window)
    assert set(shown(window)) == {"pool1", "conv2"}
    edit(window, RemoveNodesCommand(g, ["relu1"]))
    diff = expected(window)
    assert [i for i, _ in diff.removed] == ["relu1"]
    ghosts = items(window, GhostCard)
    assert [(gh.node_id, gh.type_name, gh.where) for gh in ghosts] == [("relu1", "ReLU",
                                                                        "starter")]
    ghost = ghosts[0]
    assert not any(card.sceneBoundingRect().intersects(ghost.sceneBoundingRect())
                   for card in window.scene.nodes.values())  # never over a card
    assert ["relu1", "\u2212 removed", "ReLU", "—", ""] in table_rows(window)
    assert "\u22121 removed" in window.labs.table.summary.text()
    window.doc.undo_stack.undo()  # relu1 is back: its ghost goes
    assert not items(window, GhostCard)
    assert set(shown(window)) == {"pool1", "conv2"}
    assert window.labs.comparison.diff == expected(window)


def test_a_renamed_node_reads_as_removed_and_added(student):
    window = student
    assert window.labs.compare_with(STARTER)
    card = window.scene.nodes["conv1"]
    edit(window, RenameNodeCommand(window.doc.graph, "conv1", "stem"))
    assert window.scene.nodes["stem"] is card  # the same card: one badge, the new one
    assert [type(c).__name__ for c in card.childItems()].count("DiffBadge") == 1
    assert shown(window)["stem"][0] == "added"
    assert [gh.node_id for gh in items(window, GhostCard)] == ["conv1"]


def test_clear_removes_every_mark_and_a_new_document_is_compared_too(student):
    window = student
    assert window.labs.compare_with(STARTER)
    assert shown(window)
    window.labs.table.clear_button.click()
    assert not items(window, DiffBadge) and not items(window, GhostCard)
    assert not window.labs.compare_dock.isVisible() and not window.labs.comparison.active
    edit(window, SetParamsCommand(window.doc.graph, "conv1", {"out_channels": 4}))
    assert not items(window, DiffBadge)  # cleared stays cleared
    assert window.labs.compare_with(STARTER)
    reference = STARTER.parent / "reference.convgraph.json"
    assert window.open_path(reference, ask=False)  # the scene is rebuilt: marks too
    diff = expected(window)
    assert set(shown(window)) == {i for i, _ in diff.added} | {e["id"] for e in diff.changed}
    assert not diff.removed and not items(window, GhostCard)
    assert window.labs.comparison.diff == diff


def test_a_design_compared_with_itself_and_an_unreadable_b(window, dialogs, tmp_path):
    assert window.open_path(STARTER)
    assert window.labs.compare_with(STARTER)
    assert window.labs.comparison.diff.same and not shown(window)
    assert "same design as starter" in table_rows(window)[0][1]
    bad = tmp_path / "broken.convgraph.json"
    bad.write_text("{not json")
    assert not window.labs.compare_with(bad)
    assert dialogs["box"][-1][0] == "Cannot open graph"
    assert window.labs.comparison.path == STARTER  # the comparison that was shown stays
