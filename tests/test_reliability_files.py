"""Issue 17, what a graph file may hold: text that can be saved, numbers a float can
hold, ids that keep the weights contract, and weights files of dense real tensors.

Each refusal is one line on stderr naming the file and the place, exit 2, and the
graph model refuses the same values when they come from an edit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine import Graph, GraphFileError, load_graph, save_graph
from engine.cli import main as cli_main
from engine.graph import GraphEditError, check_id
from engine.graph.checks import check_meta

ROOT = Path(__file__).resolve().parent.parent
UNET = ROOT / "resources" / "examples" / "unet_mini.convgraph.json"


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = cli_main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def small(**top) -> dict:
    data = {"format": "convcanvas-graph", "version": 1, "name": "small", "nodes": [
        {"id": "x", "type": "Input", "params": {"channels": 1, "height": 8, "width": 8},
         "pos": [0, 0]},
        {"id": "conv", "type": "Conv2d", "params": {"out_channels": 2, "padding": "same"}}],
        "edges": [{"from": "x", "to": "conv"}]}
    data.update(top)
    return data


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "g.convgraph.json"
    path.write_text(text, encoding="utf-8")
    return path


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# -- 4: text that cannot be saved is refused where it enters ----------------------------
SURROGATE = "\\ud800"  # as a JSON escape: loads as an unpaired surrogate


@pytest.mark.parametrize("where, place", [
    ('"name": "small"', "name"),
    ('"name": "small", "description": "d"', "description"),
    ('"padding": "same"', "node conv: params.padding"),
    ('"out_channels": 2', "node conv: params"),  # the key itself
])
def test_unsavable_text_is_refused_naming_the_field(tmp_path, capsys, where, place):
    text = json.dumps(small())
    if place == "description":
        text = text.replace('"name": "small"', where)
        where = '"description": "d"'
        bad = f'"description": "d{SURROGATE}"'
    elif place == "node conv: params":
        bad = f'"out_channels{SURROGATE}": 2'
    else:
        key, value = where.split(": ")
        bad = f'{key}: "{value.strip(chr(34))}{SURROGATE}"'
    path = write(tmp_path, text.replace(where, bad))
    with pytest.raises(GraphFileError) as info:
        load_graph(path)
    assert place in str(info.value) and "U+D800" in str(info.value)
    for cmd in (["analyze", path], ["export", path, "-o", tmp_path / "m.py"]):
        code, _, err = run_cli(capsys, *cmd)
        assert code == 2
        line = one_error_line(err)
        assert str(path) in line and place in line
    assert not (tmp_path / "m.py").exists()


def test_unsavable_id_is_refused_with_its_index(tmp_path):
    text = json.dumps(small()).replace('"id": "conv"', f'"id": "conv{SURROGATE}"')
    with pytest.raises(GraphFileError) as info:
        load_graph(write(tmp_path, text))
    assert "node #1" in str(info.value)


def test_the_model_refuses_unsavable_text_from_edits():
    g = Graph("ok")
    g.add_node("Input", {"channels": 1, "height": 8, "width": 8}, "x")
    with pytest.raises(GraphEditError, match="U\\+DC00"):
        g.add_node("Conv2d", {"out_channels": 2, "padding": "same\udc00"}, "c")
    g.add_node("Conv2d", {"out_channels": 2}, "c")
    with pytest.raises(GraphEditError):
        g.set_param("c", "padding_mode", "zeros\ud800")
    with pytest.raises(GraphEditError):
        g.rename("c", "c\ud800")
    with pytest.raises(GraphEditError, match="graph name"):
        check_meta("net\ud800", "")
    with pytest.raises(GraphEditError, match="description"):
        Graph.from_dict({**g.to_dict(), "description": "\udfff"})
    assert g.to_dict()["nodes"][1]["params"] == {"out_channels": 2}


def test_set_meta_refuses_unsavable_text(tmp_path):
    g = Graph("ok")
    with pytest.raises(GraphEditError):
        g.set_meta("net\ud800")


def test_save_never_raises_anything_but_graph_file_error(tmp_path):
    g = load_graph(UNET)
    g.name = "bypassed\ud800"  # as if a check had been skipped
    with pytest.raises(GraphFileError):
        save_graph(g, tmp_path / "x.convgraph.json")
    assert not (tmp_path / "x.convgraph.json").exists()


# -- 8: numbers beyond the float range ------------------------------------------------------
@pytest.mark.parametrize("old, new, place", [
    ('"pos": [0, 0]', '"pos": [1' + "0" * 400 + ", 0]", "node x: pos[0]"),
    ('"pos": [0, 0]', '"pos": [1e400, 0]', "node x: pos[0]"),
    ('"out_channels": 2', '"out_channels": -1' + "0" * 320, "node conv: params.out_channels"),
    ('"name": "small"', '"name": "small", "extra": [[-1e999]]', "extra[0][0]"),
])
def test_numbers_out_of_float_range_give_one_line(tmp_path, capsys, old, new, place):
    path = write(tmp_path, json.dumps(small()).replace(old, new))
    for cmd in (["analyze", path], ["export", path, "-o", tmp_path / "m.py"]):
        code, _, err = run_cli(capsys, *cmd)
        assert code == 2, err
        line = one_error_line(err)
        assert place in line and "float range" in line, line


def test_deep_nesting_is_refused_in_one_line(tmp_path, capsys):
    deep = "[" * 500 + "]" * 500
    path = write(tmp_path, json.dumps(small()).replace('"pos": [0, 0]', f'"pos": {deep}'))
    code, _, err = run_cli(capsys, "analyze", path)
    assert code == 2 and "nested" in one_error_line(err)


# -- 7: ids that break the weights contract --------------------------------------------------
@pytest.mark.parametrize("bad", ["__x", "__init", "relu1\n", "conv\n", "x\r", " x", "é"])
def test_ids_that_break_exported_code_are_refused(bad):
    with pytest.raises(GraphEditError):
        check_id(bad)


@pytest.mark.parametrize("value, shown", [(None, "null"), (5, "5"), (["a"], '["a"]')])
def test_a_non_string_id_is_refused_naming_the_node_index(tmp_path, capsys, value, shown):
    data = small()
    data["nodes"][1]["id"] = value
    data["edges"] = []  # no dangling edge may attach to a generated id
    path = write(tmp_path, json.dumps(data))
    code, _, err = run_cli(capsys, "analyze", path)
    assert code == 2
    line = one_error_line(err)
    assert "node #1" in line and shown in line
    with pytest.raises(GraphEditError, match="node #1"):
        Graph.from_dict(data)


@pytest.mark.parametrize("name", ["Net\n", "__Net", "Net\r", "class", "nn", "1Net", ""])
def test_bad_class_names_exit_2_before_anything_is_written(tmp_path, capsys, name):
    out = tmp_path / "m.py"
    code, _, err = run_cli(capsys, "export", UNET, "-o", out, "--class-name", name)
    assert code == 2
    assert "--class-name" in one_error_line(err)
    assert not out.exists()


def test_a_leading_underscore_id_still_exports_and_loads_strictly(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    data = small()
    data["nodes"][1]["id"] = "_conv"
    data["edges"] = [{"from": "x", "to": "_conv"}]
    path = write(tmp_path, json.dumps(data))
    out = tmp_path / "m.py"
    assert run_cli(capsys, "export", path, "-o", out)[0] == 0
    weights = tmp_path / "w.pt"
    code, _, err = run_cli(capsys, "run", path, "--out", tmp_path / "o", "--save-weights",
                           weights)
    assert code == 0, err
    scope: dict = {}
    exec(compile(out.read_text(), str(out), "exec"), scope)
    model = scope["Small"]()
    model.load_state_dict(torch.load(weights, weights_only=True), strict=True)


# -- 9: weights files of tensors a model cannot take ----------------------------------------
@pytest.mark.parametrize("kind", ["complex", "meta", "sparse"])
def test_weights_of_unusable_tensors_are_refused_naming_the_key(tmp_path, capsys, kind):
    torch = pytest.importorskip("torch")
    path = write(tmp_path, json.dumps(small()))
    good = tmp_path / "good.pt"
    assert run_cli(capsys, "run", path, "--out", tmp_path / "o", "--save-weights", good)[0] == 0
    state = torch.load(good, weights_only=True)
    w = state["conv.weight"]
    state["conv.weight"] = {"complex": lambda: w.to(torch.complex64),
                            "meta": lambda: torch.empty_like(w, device="meta"),
                            "sparse": lambda: w.to_sparse()}[kind]()
    bad = tmp_path / "bad.pt"
    torch.save(state, bad)
    code, _, err = run_cli(capsys, "run", path, "--out", tmp_path / "o2", "--weights", bad)
    assert code == 2
    line = one_error_line(err)
    assert "'conv.weight'" in line and kind in line
    assert not (tmp_path / "o2").exists()


def test_a_plain_pickle_gives_only_the_one_line_error(tmp_path):
    pytest.importorskip("torch")
    import pickle

    path = write(tmp_path, json.dumps(small()))
    pkl = tmp_path / "w.pt"
    pkl.write_bytes(pickle.dumps({"conv.weight": [1.0, 2.0]}, protocol=4))
    proc = subprocess.run([sys.executable, "main.py", "run", str(path), "--weights", str(pkl),
                           "--out", str(tmp_path / "o")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    line = one_error_line(proc.stderr)
    assert line.startswith(f"error: {pkl}: ") and "torch.save" in line
