"""Opaque nodes (graph-format.md, issue 13): the analysis takes the recorded shape, params
and MACs; the receptive field of the node and of everything downstream is null with one
``rf_unknown`` warning naming it; building, running and exporting are refused (exit 1)
with a message naming the node and its op, and nothing is written."""

from __future__ import annotations

import json

import pytest

from engine import Analyzer, Graph, GraphEditError, analyze, save_graph
from engine.analysis.footprint import exact_footprint
from engine.cli import main as cli_main
from engine.export import ExportError, export_code


def opaque_graph() -> Graph:
    """x → conv → opq (aten::roll) → relu → add(relu, conv) ; x → side (not downstream)."""
    g = Graph("opaque")
    g.add_node("Input", {"channels": 3, "height": 10, "width": 10}, "x")
    g.add_node("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, "conv")
    g.add_node("Opaque", {"op": "aten::roll", "shape": [4, 10, 10], "params": 12,
                          "macs": 345}, "opq")
    g.add_node("ReLU", {}, "relu")
    g.add_node("Add", {}, "add")
    g.add_node("MaxPool2d", {}, "side")
    for a, b, port in (("x", "conv", 0), ("conv", "opq", 0), ("opq", "relu", 0),
                       ("relu", "add", 0), ("conv", "add", 1), ("x", "side", 0)):
        g.connect(a, b, port)
    return g


def test_opaque_analysis_uses_the_recorded_shape_params_and_macs():
    r = analyze(opaque_graph())
    assert r.valid, r.errors
    n = r.nodes["opq"]
    assert (n.shape, n.params, n.macs) == ((4, 10, 10), 12, 345)
    assert r.total_params == r.nodes["conv"].params + 12
    assert r.total_macs == r.nodes["conv"].macs + 345
    assert r.nodes["add"].shape == (4, 10, 10)
    # the field of the node and of everything downstream is null, the others are kept
    for nid in ("opq", "relu", "add"):
        assert r.nodes[nid].rf is None and r.nodes[nid].rf_by_input == {}, nid
    for nid in ("x", "conv", "side"):
        assert r.nodes[nid].rf is not None, nid
    # one warning, of kind rf_unknown, naming the node and its op
    (w,) = r.warnings
    assert (w.node, w.kind) == ("opq", "rf_unknown")
    assert "opq" in w.message and "aten::roll" in w.message
    data = r.to_json()
    assert data["valid"] and data["warnings"][0]["kind"] == "rf_unknown"
    assert [n["rf"] for n in data["nodes"] if n["id"] == "add"] == [None]


def test_opaque_takes_any_number_of_inputs_and_no_input_node_is_one():
    g = Graph("sources")
    g.add_node("Input", {"channels": 1, "height": 4, "width": 4}, "x")
    g.add_node("Opaque", {"op": "constant", "shape": [1, 4, 4]}, "const")
    g.add_node("Opaque", {"op": "three", "shape": [6]}, "three")
    g.add_node("Add", {}, "add")
    for a, b, port in (("x", "add", 0), ("const", "add", 1), ("x", "three", 0),
                       ("add", "three", 1), ("const", "three", 2)):
        g.connect(a, b, port)
    r = analyze(g)
    assert r.valid, r.errors
    assert r.nodes["const"].shape == (1, 4, 4) and r.nodes["three"].shape == (6,)
    assert r.nodes["add"].rf is None  # one of its paths has an unknown field
    assert {w.node for w in r.warnings} == {"const", "three"}
    only = Graph("no input")
    only.add_node("Opaque", {"op": "constant", "shape": [3]}, "const")
    assert not analyze(only).valid  # an Opaque without inputs is no Input
    gap = Graph("gap")
    gap.add_node("Input", {"channels": 1, "height": 4, "width": 4}, "x")
    gap.add_node("Opaque", {"op": "gap", "shape": [1]}, "o")
    gap.connect("x", "o", 1)
    assert "slot 0" in analyze(gap).nodes["o"].error.message


@pytest.mark.parametrize("params,name", [
    ({"shape": [3]}, "op"), ({"op": "x"}, "shape"), ({"op": 3, "shape": [3]}, "op"),
    ({"op": "two\nlines", "shape": [3]}, "op"), ({"op": "x" * 201, "shape": [3]}, "op"),
    ({"op": "x", "shape": []}, "shape"), ({"op": "x", "shape": [1, 2, 3, 4, 5]}, "shape"),
    ({"op": "x", "shape": [3, 0, 2]}, "shape"), ({"op": "x", "shape": 3}, "shape"),
    ({"op": "x", "shape": [3], "params": -1}, "params"),
    ({"op": "x", "shape": [3], "macs": 1.5}, "macs"),
])
def test_opaque_parameters_are_checked(params, name):
    g = Graph("bad")
    with pytest.raises(GraphEditError) as info:
        g.add_node("Opaque", params, "o")
    assert name in info.value.message


def test_an_edit_that_removes_the_opaque_path_brings_the_field_back():
    g = opaque_graph()
    an = Analyzer(g)
    assert an.result().nodes["add"].rf is None
    g.disconnect("relu", "add", 0)
    g.connect("conv", "add", 0)
    r = an.result()
    assert r.nodes["add"].rf == analyze(g).nodes["add"].rf is not None
    assert r.nodes["relu"].rf is None
    g.remove_node("opq")
    assert not [w for w in an.result().warnings if w.kind == "rf_unknown"]


def test_no_exact_footprint_past_an_opaque_node():
    an = Analyzer(opaque_graph())
    assert exact_footprint(an, "add", (0, 5, 5)) is None
    assert exact_footprint(an, "conv", (0, 5, 5)) is not None


@pytest.mark.torch
def test_building_is_refused_naming_the_node_and_its_op():
    from engine.runtime import build_model
    from engine.runtime.errors import RuntimeGraphError

    with pytest.raises(RuntimeGraphError) as info:
        build_model(opaque_graph())
    assert info.value.message.startswith("opq: ") and "aten::roll" in info.value.message


def test_exporting_is_refused_naming_the_node_and_its_op():
    with pytest.raises(ExportError) as info:
        export_code(opaque_graph())
    assert info.value.message.startswith("opq: ") and "aten::roll" in info.value.message


@pytest.mark.torch
@pytest.mark.parametrize("command", ["export", "run"])
def test_cli_export_and_run_exit_1_and_write_nothing(tmp_path, capsys, command):
    graph = tmp_path / "g.convgraph.json"
    save_graph(opaque_graph(), graph)
    target = tmp_path / ("model.py" if command == "export" else "out")
    argv = [command, str(graph), "-o" if command == "export" else "--out", str(target)]
    assert cli_main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "opq" in err[0] and "aten::roll" in err[0]
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.convgraph.json"]


def test_cli_analyze_is_valid_with_the_warning(tmp_path, capsys):
    graph = tmp_path / "g.convgraph.json"
    save_graph(opaque_graph(), graph)
    assert cli_main(["analyze", str(graph), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] and [w["kind"] for w in data["warnings"]] == ["rf_unknown"]
