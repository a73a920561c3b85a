"""Assignment mode in the designer (issue 14): File → Open assignment… loads a rubric and
its starter, the checklist grades the design live as commands edit it, clicking a check
selects its node, a broken rubric is explained and loses nothing.

Runs offscreen; dialogs are patched (fixtures ``home``, ``dialogs``, ``window`` in conftest).
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QFileDialog, QMessageBox  # noqa: E402

from designer.commands import (  # noqa: E402
    AddNodeCommand,
    ConnectCommand,
    SetParamsCommand,
    push_edit,
)
from engine import load_graph  # noqa: E402
from engine.labs import grade_graph, load_rubric  # noqa: E402
from tests.window_helpers import ROOT, Button  # noqa: E402

pytestmark = pytest.mark.gui

LABS = ROOT / "resources" / "labs"
DILATED = LABS / "dilated" / "dilated.rubric.json"
RF_BUDGET = LABS / "rf_budget" / "rf_budget.rubric.json"


def states(window) -> dict[str, bool]:
    return {c.id: c.passed for c in window.labs.checklist.grade.checks}


def edit(window, command) -> None:
    assert push_edit(window.doc.undo_stack, command) is None


def click(qtbot, window, check_id) -> list[str]:
    row = window.labs.checklist.row(check_id)
    qtbot.mouseClick(row, Qt.MouseButton.LeftButton)
    return window.scene.selected_ids()


def test_menu_opens_an_assignment_with_its_starter(window, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(DILATED), "")))
    assert window.menu_actions.open_assignment.text() == "Open A&ssignment…"
    window.menu_actions.open_assignment.trigger()  # the example was untouched: no question
    labs = window.labs
    assert labs.assignment is not None and labs.checklist_dock.isVisible()
    assert window.doc.graph.to_dict() == load_graph(DILATED.parent /
                                                    "starter.convgraph.json").to_dict()
    assert window.doc.path is None and window.origin == "starter"  # Save never overwrites it
    assert labs.checklist.title.text() == "Lab 3: a dilated stack without gridding"
    assert len(labs.checklist.rows) == 6


def test_checklist_turns_green_as_the_edits_are_made(window, qtbot):
    assert window.labs.open_assignment(DILATED)
    checklist = window.labs.checklist
    assert states(window) == {"valid": True, "input": True, "size_kept": True, "rf": True,
                              "no_gridding": False, "four_convs": True}
    assert checklist.grade.score == 7 and checklist.score.text() == "7/10 points"
    assert checklist.score.state == "warning"
    row = checklist.row("no_gridding")
    assert row.property("failed") == "true" and row.hint.isVisibleTo(row)
    assert "rates with a common factor" in row.hint.text()
    assert "gridding" in row.detail.text() and row.points.text().count("0/3")
    graph = window.doc.graph
    # HDC rates, padding = dilation keeps 64×64: the checks follow each edit
    steps = {"conv1": (1, 4, {"rf", "no_gridding"}),  # 27 < 31, and holes remain
             "conv2": (2, 7, {"rf"}),  # 1, 2, 4, 4: no common factor, field 23
             "conv3": (5, 7, {"rf"})}  # field 25
    for nid, (d, score, failing) in steps.items():
        edit(window, SetParamsCommand(graph, nid, {"dilation": d, "padding": d}))
        assert {k for k, ok in states(window).items() if not ok} == failing
        assert checklist.grade.score == score
    assert checklist.row("rf").hint.isVisibleTo(checklist.row("rf"))
    assert not checklist.row("no_gridding").hint.isVisibleTo(checklist.row("no_gridding"))
    edit(window, SetParamsCommand(graph, "conv4", {"dilation": 9, "padding": 9}))
    assert all(states(window).values())
    assert checklist.score.text() == "10/10 points" and checklist.score.state == "ok"
    assert "full marks" in checklist.summary.text()
    assert all(r.property("failed") == "false" and not r.hint.isVisibleTo(r)
               for r in checklist.rows)
    # the checklist says what `main.py grade` says
    cli = grade_graph(load_rubric(DILATED), window.doc.graph)
    assert [(c.id, c.passed, c.detail) for c in cli.checks] == \
        [(c.id, c.passed, c.detail) for c in checklist.grade.checks]
    assert checklist.row("rf").detail.text().count("35 at conv4 (needs ≥ 31)")
    window.doc.undo_stack.undo()  # undo is an edit too
    assert states(window)["rf"] is False and checklist.grade.score == 7
    assert checklist.row("rf").detail.text().count("25 at conv4 (needs ≥ 31)")


def test_adding_layers_reaches_the_receptive_field(window):
    assert window.labs.open_assignment(RF_BUDGET)
    assert states(window) == {"valid": True, "input": True, "rf": False, "budget": True,
                              "no_drops": True}
    graph, src, y = window.doc.graph, "relu1", 330
    for nid, type_name, params in (
            ("pool1", "MaxPool2d", {"kernel_size": 2, "stride": 2}),
            ("conv2", "Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
            ("pool2", "MaxPool2d", {"kernel_size": 2, "stride": 2}),
            ("conv3", "Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
            ("conv4", "Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
            ("conv5", "Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1})):
        assert not states(window)["rf"]
        edit(window, AddNodeCommand(graph, type_name, params, node_id=nid, pos=(0, y)))
        edit(window, ConnectCommand(graph, src, nid))
        src, y = nid, y + 110
    assert all(states(window).values()) and window.labs.checklist.grade.score == 10
    assert window.labs.checklist.row("rf").result.measured == 34


def test_clicking_a_check_selects_its_node(window, qtbot, tmp_path):
    rubric = {"format": "convcanvas-rubric", "version": 1, "title": "targets", "checks": [
        {"id": "rf", "what": "rf_size", "at_least": 31},
        {"id": "rf3", "what": "rf_size", "node": "conv3", "at_least": 31},
        {"id": "convs", "what": "count_type", "type": "Conv2d", "at_most": 4},
        {"id": "in", "what": "input_shape", "equals": [3, 64, 64]},
        {"id": "out", "what": "output_shape", "equals": [16, 64, 64]},
        {"id": "shape2", "what": "node_shape", "node": "relu2", "equals": [16, 64, 64]},
        {"id": "grid", "what": "no_warning", "kind": "gridding"},
        {"id": "budget", "what": "total_params", "at_most": 100000}]}
    path = tmp_path / "targets.rubric.json"  # no starter beside it: the design stays
    path.write_text(json.dumps(rubric))
    assert window.open_path(DILATED.parent / "starter.convgraph.json")
    doc = window.doc
    assert window.labs.open_assignment(path) and window.doc is doc
    assert click(qtbot, window, "rf") == ["conv4"]  # the largest field: 33 at conv4
    assert click(qtbot, window, "rf3") == ["conv3"]
    assert click(qtbot, window, "convs") == ["conv1", "conv2", "conv3", "conv4"]
    assert click(qtbot, window, "in") == ["input"]
    assert click(qtbot, window, "out") == ["relu4"]
    assert click(qtbot, window, "shape2") == ["relu2"]
    assert click(qtbot, window, "grid") == ["relu4"]  # where the gridding warning is
    window.scene.select_node("conv1")
    assert click(qtbot, window, "budget") == ["conv1"]  # the whole design: nothing to select
    assert "whole design" in window.statusBar().currentMessage()
    row = window.labs.checklist.row("in")  # the keyboard works too
    window.scene.select_node(None)
    row.setFocus()
    qtbot.keyClick(row, Qt.Key.Key_Return)
    assert window.scene.selected_ids() == ["input"]


def test_a_broken_rubric_names_the_check_and_field_and_changes_nothing(window, dialogs,
                                                                         tmp_path):
    assert window.labs.open_assignment(DILATED)
    edit(window, SetParamsCommand(window.doc.graph, "conv1", {"out_channels": 8}))
    doc, before = window.doc, window.doc.graph.to_dict()
    bad = json.loads(DILATED.read_text())
    bad["checks"][3]["at_least"] = "31"
    path = tmp_path / "bad.rubric.json"
    path.write_text(json.dumps(bad))
    assert not window.labs.open_assignment(path)
    title, text = dialogs["box"][-1]
    assert title == "Cannot open assignment"
    assert "check <b>rf</b>" in text and "field <b>at_least</b>" in text
    assert "must be a number, not &quot;31&quot;" in text
    assert window.doc is doc and doc.graph.to_dict() == before and doc.dirty
    assert window.labs.assignment.path == DILATED  # the open assignment stays too
    assert window.labs.checklist.rows and window.labs.checklist_dock.isVisible()


def test_declining_the_starter_keeps_the_users_design(window, dialogs, monkeypatch):
    assert window.open_path(LABS / "rf_budget" / "reference.convgraph.json")
    edit(window, SetParamsCommand(window.doc.graph, "conv1", {"out_channels": 4}))
    doc, before = window.doc, window.doc.graph.to_dict()
    dialogs["answers"]["question"] = Button.Cancel  # "Open the starter design?" Cancel
    assert window.labs.open_assignment(RF_BUDGET)
    assert dialogs["question"][-1][0] == "Open the starter design?"
    assert window.doc is doc and doc.graph.to_dict() == before and doc.dirty
    assert window.labs.checklist.grade.score == 10  # it grades the design that is open
    # accepted, but the save prompt cancelled: still nothing lost
    answers = iter([Button.Open, Button.Cancel])
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: next(answers)))
    assert window.labs.open_assignment(RF_BUDGET)
    assert window.doc is doc and doc.graph.to_dict() == before
    # accepted and discarded: the starter opens
    answers = iter([Button.Open, Button.Discard])
    assert window.labs.open_assignment(RF_BUDGET)
    assert window.doc is not doc and len(window.doc.graph) == 3
    assert window.labs.checklist.grade.score == 6


def test_closing_the_assignment_keeps_the_design(window):
    assert window.labs.open_assignment(RF_BUDGET)
    doc = window.doc
    window.labs.checklist.close_button.click()
    assert window.labs.assignment is None and not window.labs.checklist_dock.isVisible()
    assert window.doc is doc and window.labs.checklist.rows == []
    edit(window, SetParamsCommand(doc.graph, "conv1", {"out_channels": 4}))  # no grading
