"""How the designer's labs write checks and differences (designer.labs.wording), the
nodes a check is about (designer.labs.targets) and where a starter is found
(designer.labs.assignment)."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from designer.labs.assignment import find_starter, read_assignment  # noqa: E402
from designer.labs.targets import check_nodes  # noqa: E402
from designer.labs.wording import (  # noqa: E402
    badge_lines,
    check_title,
    delta,
    entry_rows,
    signed,
)
from engine import Graph, analyze  # noqa: E402
from engine.labs import grade_graph, rubric_from_dict  # noqa: E402
from tests.window_helpers import ROOT  # noqa: E402

LABS = ROOT / "resources" / "labs"


def rubric(*checks):
    return rubric_from_dict({"format": "convcanvas-rubric", "version": 1,
                             "checks": list(checks)})


def test_check_titles():
    r = rubric({"id": "a", "what": "valid"},
               {"id": "b", "what": "input_shape", "equals": [3, 32, 32]},
               {"id": "c", "what": "rf_size", "at_least": 31},
               {"id": "d", "what": "rf_size", "node": "conv3", "at_least": 5, "at_most": 9},
               {"id": "e", "what": "total_params", "at_most": 10000},
               {"id": "f", "what": "count_type", "type": "Linear", "equals": 1},
               {"id": "g", "what": "no_warning", "kind": "gridding"},
               {"id": "h", "what": "no_warning"},
               {"id": "i", "what": "node_shape", "node": "up1", "equals": [16, 16, 16]})
    assert [check_title(c) for c in r.checks] == [
        "valid graph (no errors)", "input shape = 3×32×32", "receptive field ≥ 31",
        "receptive field of conv3 between 5 and 9", "parameters ≤ 10,000",
        "number of Linear = 1", "no gridding warning", "no warning at all",
        "shape of up1 = 16×16×16"]


def test_signed_changes():
    assert signed(944) == "+944" and signed(-1024) == "\u22121,024" and signed(0) == "+0"
    assert signed(1_234_567, compact=True) == "+1.2M"
    assert delta(3, 7) == "+4" and delta(None, 7) == "" and delta([1], [2]) == ""


def test_badge_lines_and_rows_of_a_change():
    entry = {"id": "c", "type": ["Conv2d", "DepthwiseSeparableConv2d"],
             "params": {"kernel_size": [3, 5], "padding": [1, 2], "stride": [1, 2]},
             "inputs": [["a"], ["b"]], "shape": [[8, 4, 4], None], "rf_size": [3, 7],
             "param_count": [224, 100], "macs": [10, 2_000_000]}
    assert badge_lines(entry) == ["type Conv2d → DepthwiseSeparableConv2d",
                                  "kernel_size 3 → 5", "padding 1 → 2", "…",
                                  "RF +4 · params \u2212124 · MACs +2.0M"]
    assert badge_lines({"id": "c", "rf_size": [3, 7], "param_count": [224, 100]}) == \
        ["RF +4 · params \u2212124"]
    assert entry_rows(entry) == [
        ("type", "Conv2d", "DepthwiseSeparableConv2d", ""), ("kernel_size", "3", "5", "+2"),
        ("padding", "1", "2", "+1"), ("stride", "1", "2", "+1"), ("inputs", "a", "b", ""),
        ("shape", "8×4×4", "—", ""), ("RF", "3", "7", "+4"),
        ("params", "224", "100", "\u2212124"), ("MACs", "10", "2,000,000", "+1,999,990")]


def test_the_nodes_a_check_is_about():
    g = Graph("t")
    g.add_node("Input", {"channels": 3, "height": 8, "width": 8}, "x")
    g.add_node("Conv2d", {"out_channels": 4, "groups": 2}, "bad")
    g.connect("x", "bad")
    g.add_node("Conv2d", {"out_channels": 4}, "ok")
    g.connect("x", "ok")
    r = rubric({"id": "valid", "what": "valid"},
               {"id": "convs", "what": "count_type", "type": "Conv2d", "at_most": 1},
               {"id": "out", "what": "output_shape", "equals": [4, 6, 6]},
               {"id": "ghost", "what": "node_shape", "node": "nope", "equals": [1]},
               {"id": "macs", "what": "total_macs", "at_most": 1})
    grade, result = grade_graph(r, g), analyze(g)
    nodes = {c.id: check_nodes(c, g, result) for c in grade.checks}
    assert nodes == {"valid": ["bad"], "convs": ["bad", "ok"], "out": ["bad", "ok"],
                     "ghost": [], "macs": []}


def test_starters_are_found_beside_their_rubric(tmp_path):
    a = read_assignment(LABS / "upsample" / "upsample.rubric.json")
    assert a.starter == LABS / "upsample" / "starter.convgraph.json"
    assert a.title.startswith("Lab 2")
    (tmp_path / "x.rubric.json").write_text("{}")
    assert find_starter(tmp_path / "x.rubric.json") is None
    (tmp_path / "starter.convgraph.json").write_text("{}")
    (tmp_path / "x.starter.convgraph.json").write_text("{}")
    assert find_starter(tmp_path / "x.rubric.json") == tmp_path / "x.starter.convgraph.json"
