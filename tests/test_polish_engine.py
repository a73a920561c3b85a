"""Issue 15, engine defects: jump and start follow the output grid past a global
operation (1), limits between parameters are analysis errors, not load errors (2),
NaN / Infinity literals name the node and parameter (3), readable numbers in the
command-line tables (9) and one generated-id scheme (13)."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from engine import CATALOGUE, PRESETS, Graph, GraphFileError, analyze, load_graph, save_graph
from engine.numfmt import fmt_number


def _se_stride_upsample(with_se: bool) -> Graph:
    g = Graph("se grid")
    g.add_node("Input", {"channels": 8, "height": 32, "width": 32}, "x")
    chain = ["x"]
    if with_se:
        g.add_node("SqueezeExcitation", {"reduction": 4}, "se")
        chain.append("se")
    g.add_node("Conv2d", {"out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1}, "c")
    g.add_node("Upsample", {"scale_factor": 4}, "up")
    chain += ["c", "up"]
    for a, b in zip(chain, chain[1:], strict=False):
        g.connect(a, b)
    return g


def test_jump_and_start_follow_the_grid_past_squeeze_excitation():
    r = analyze(_se_stride_upsample(True))
    # hand-computed: SE keeps the grid (1), stride 2 doubles it (2), ×4 divides it (1/2)
    assert [r.nodes[i].rf.jump for i in ("se", "c", "up")] == [(1, 1), (2, 2), (0.5, 0.5)]
    assert all(r.nodes[i].rf.is_global for i in ("se", "c", "up"))
    assert r.nodes["up"].rf.size == (32, 32)  # still the whole input
    # the grid (jump, start) is the one the same chain without the SE block has
    plain = analyze(_se_stride_upsample(False))
    for i in ("c", "up"):
        assert r.nodes[i].rf.jump == plain.nodes[i].rf.jump
        assert r.nodes[i].rf.start == plain.nodes[i].rf.start
    assert r.nodes["se"].rf.start == (0, 0)  # output 0 sits on input pixel 0
    assert r.nodes["se"].rf.state.jumps == (Fraction(1),) * 2


def test_start_follows_an_offset_after_squeeze_excitation():
    g = Graph("offset")
    g.add_node("Input", {"channels": 4, "height": 16, "width": 16}, "x")
    g.add_node("SqueezeExcitation", {"reduction": 2}, "se")
    g.add_node("Conv2d", {"out_channels": 4, "kernel_size": 5, "stride": 3}, "c")
    g.connect("x", "se")
    g.connect("se", "c")
    rf = analyze(g).nodes["c"].rf
    # output 0 of a 5-wide valid window starts on pixel 0: centre 2; neighbours 3 apart
    assert rf.start == (2, 2) and rf.jump == (3, 3)


# -- defect 2: limits between parameters are analysis errors at the node ------------------

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args):
    return subprocess.run([sys.executable, "main.py", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def _file(tmp_path, layer: dict) -> Path:
    data = {"format": "convcanvas-graph", "version": 1, "name": "limits",
            "nodes": [{"id": "x", "type": "Input",
                       "params": {"channels": 3, "height": 8, "width": 8}},
                      {"id": "up", **layer}],
            "edges": [{"from": "x", "to": "up"}]}
    path = tmp_path / "limits.convgraph.json"
    path.write_text(json.dumps(data))
    return path


CROSS = {  # a value another parameter makes impossible: (layer, param at fault)
    "output_padding >= stride": ({"type": "ConvTranspose2d", "params": {
        "out_channels": 2, "stride": 1, "output_padding": 1}}, "output_padding"),
    "output_padding >= dilation": ({"type": "ConvTranspose2d", "params": {
        "out_channels": 2, "stride": 2, "dilation": 2, "output_padding": 2}},
        "output_padding"),
    "output_padding and target_size": ({"type": "ConvTranspose2d", "params": {
        "out_channels": 2, "stride": 2, "output_padding": 1, "target_size": [16, 16]}},
        "target_size"),
    "groups": ({"type": "Conv2d", "params": {"out_channels": 6, "groups": 4}}, "groups"),
    "pool padding over half the kernel": ({"type": "MaxPool2d", "params": {
        "kernel_size": 2, "padding": 2}}, "padding"),
    "empty channel slice": ({"type": "ChannelSlice", "params": {"start": 2, "stop": 1}},
                            "stop"),
}


@pytest.mark.parametrize("name", list(CROSS))
def test_a_limit_between_parameters_opens_and_errs_at_the_node(tmp_path, name):
    layer, param = CROSS[name]
    path = _file(tmp_path, layer)
    graph = load_graph(path)  # the file opens, so the designer can mend it
    errors = analyze(graph).errors
    assert [(e.node, e.param) for e in errors] == [("up", param)]
    proc = _cli("analyze", path)
    assert proc.returncode == 1, proc.stderr  # cli.md: 1 graph errors (printed)
    assert "up" in proc.stdout and param in proc.stderr and "Traceback" not in proc.stderr


def test_export_of_such_a_file_is_a_graph_error(tmp_path):
    path = _file(tmp_path, CROSS["output_padding >= stride"][0])
    out = tmp_path / "model.py"
    proc = _cli("export", path, "-o", out)
    assert proc.returncode == 1 and not out.exists()
    assert "output_padding" in proc.stderr


@pytest.mark.parametrize("params, param", [
    ({"out_channels": 2, "kernel_size": 0}, "kernel_size"),
    ({"out_channels": 2, "stride": -1}, "stride"),
    ({"out_channels": 2, "output_padding": -1}, "output_padding"),
    ({"out_channels": "2"}, "out_channels"),
])
def test_a_value_wrong_on_its_own_keeps_exit_2(tmp_path, params, param):
    path = _file(tmp_path, {"type": "ConvTranspose2d", "params": params})
    with pytest.raises(GraphFileError):
        load_graph(path)
    proc = _cli("analyze", path)
    assert proc.returncode == 2 and "up" in proc.stderr and param in proc.stderr


def test_setting_stride_1_under_output_padding_1_is_allowed_and_shown():
    g = Graph("edit")
    g.add_node("Input", {"channels": 3, "height": 8, "width": 8}, "x")
    g.add_node("ConvTranspose2d", {"out_channels": 2, "stride": 2, "output_padding": 1}, "up")
    g.connect("x", "up")
    assert analyze(g).valid and analyze(g).nodes["up"].shape == (2, 18, 18)
    g.set_param("up", "stride", 1)  # accepted: the limit is the analysis's
    r = analyze(g)
    assert [(e.node, e.param) for e in r.errors] == [("up", "output_padding")]
    assert r.nodes["up"].shape is None and "stride 1" in r.errors[0].message
    g.set_param("up", "output_padding", 0)  # mended
    assert analyze(g).valid and analyze(g).nodes["up"].shape == (2, 10, 10)


def test_a_stride_edit_that_makes_the_kernel_impossible_is_shown():
    g = Graph("edit")
    g.add_node("Input", {"channels": 3, "height": 8, "width": 8}, "x")
    g.add_node("Conv2d", {"out_channels": 2, "kernel_size": 4, "padding": "same"}, "c")
    g.connect("x", "c")
    assert analyze(g).valid
    g.set_param("c", "stride", 2)  # "same" needs stride 1
    assert [(e.node, e.param) for e in analyze(g).errors] == [("c", "padding")]


# -- defect 3: NaN / Infinity literals name the node and the parameter -----------------------

@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_a_non_finite_literal_names_the_node_and_parameter(tmp_path, literal):
    path = tmp_path / "nan.convgraph.json"
    path.write_text('{"format": "convcanvas-graph", "version": 1, "nodes": ['
                    '{"id": "x", "type": "Input"}, {"id": "bn", "type": "BatchNorm2d", '
                    f'"params": {{"eps": {literal}}}}}], "edges": [{{"from": "x", "to": "bn"}}]}}')
    with pytest.raises(GraphFileError) as info:
        load_graph(path)
    assert (info.value.node, info.value.param) == ("bn", "eps")
    assert literal in info.value.message and "not valid JSON" not in info.value.message
    proc = _cli("analyze", path)
    assert proc.returncode == 2
    assert f"node bn: params.eps: {literal}" in proc.stderr


# -- defect 9: readable numbers in the tables, help for every option -------------------------

def test_the_table_prints_fractional_jumps_as_fractions(tmp_path):
    g = Graph("thirds")
    g.add_node("Input", {"channels": 1, "height": 9, "width": 9}, "x")
    g.add_node("Conv2d", {"out_channels": 1, "kernel_size": 3, "stride": 2}, "c")
    g.add_node("ConvTranspose2d", {"out_channels": 1, "kernel_size": 3, "stride": 3}, "up")
    g.connect("x", "c")
    g.connect("c", "up")
    path = tmp_path / "thirds.convgraph.json"
    save_graph(g, path)
    table = _cli("analyze", path).stdout
    row = next(line for line in table.splitlines() if line.startswith("up "))
    assert " 2/3 " in row and "0.666" not in table  # jump 2 / 3, hand-computed
    data = json.loads(_cli("analyze", path, "--json").stdout)
    jump = next(n for n in data["nodes"] if n["id"] == "up")["rf"]["jump"]
    assert jump == [2 / 3, 2 / 3]  # JSON keeps full precision


def test_fmt_number():
    assert [fmt_number(v) for v in (2.0, Fraction(2, 3), 2 / 3, 15.5, 0.25, 1 / 3, -0.75)] \
        == ["2", "2/3", "2/3", "15.5", "0.25", "1/3", "-0.75"]
    assert fmt_number(0.123456) == "0.123" and fmt_number(Fraction(1, 3000)) == "0.000333"


def test_the_misaligned_warning_prints_readable_jumps():
    g = Graph("mis")
    g.add_node("Input", {"channels": 1, "height": 13, "width": 13}, "x")
    g.add_node("Conv2d", {"out_channels": 1, "kernel_size": 3, "stride": 2}, "a")  # 6×6
    g.add_node("ConvTranspose2d", {"out_channels": 1, "kernel_size": 3, "stride": 3}, "b")
    g.add_node("ConvTranspose2d", {"out_channels": 1, "kernel_size": 6}, "d")  # 18×18
    g.add_node("Concat", {}, "cat")
    for s, d, p in [("x", "a", 0), ("a", "b", 0), ("x", "d", 0), ("b", "cat", 0),
                    ("d", "cat", 1)]:
        g.connect(s, d, p)
    (w,) = [w for w in analyze(g).warnings if w.kind == "misaligned"]
    assert "jumps 2/3×2/3 vs 1×1" in w.message  # 2 / 3 and 1, hand-computed


def _subparsers():
    from engine.cli import build_parser
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sub.choices


@pytest.mark.parametrize("command", ["analyze", "export", "run", "explain", "import", "train",
                                     "diff", "grade"])
def test_every_option_of_every_subcommand_is_explained_with_an_example(command):
    parser = _subparsers()[command]
    for action in parser._actions:
        assert action.help and action.help != argparse.SUPPRESS, (command, action.dest)
    text = parser.format_help()
    assert "examples:" in text and f"main.py {command} " in text.split("examples:")[1]
    assert parser.description


# -- defect 13: consistent presets, one generated-id scheme -----------------------------------

def test_every_sliding_conv_preset_keeps_the_size_and_says_what_it_sets():
    checked = 0
    for preset in PRESETS:
        assert preset.sets  # the palette's tooltip says what it sets
        kind = CATALOGUE[preset.type]
        names = {p.name for p in kind.params}
        if not {"out_channels", "kernel_size", "padding", "dilation", "stride"} <= names or \
                "output_padding" in names:
            continue
        g = Graph("preset")
        depth = {"depth": 9} if kind.type.endswith("3d") else {}
        g.add_node("Input", {"channels": 4, "height": 17, "width": 17, **depth}, "x")
        g.add_node(preset.type, preset.initial_params(4), "n")
        g.connect("x", "n")
        shape = analyze(g).nodes["n"].shape
        assert shape is not None and shape[1:] == (9, 17, 17)[-len(shape[1:]):], preset.name
        assert "keeps H×W at stride 1" in preset.sets
        assert not isinstance(preset.params.get("padding"), str)  # a number, not "same"
        checked += 1
    assert checked >= 9  # Conv2d/3d, separable, deformable and the four Conv2d presets


def test_generated_ids_follow_one_scheme():
    g = Graph("ids")
    for type_name, kind in CATALOGUE.items():
        stem = kind.stem()
        assert re.fullmatch(r"[a-z][a-z0-9]*[a-z]", stem), (type_name, stem)
        assert g.add_node(type_name, _required(kind)) == f"{stem}1"
    assert g.add_node("Add", {}) == "add2"  # the next one counts on


def _required(kind) -> dict:
    return {p.name: p.default for p in kind.params if p.required}
