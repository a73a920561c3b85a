"""``main.py explain`` (cli.md, issue 11): the JSON keys, the readable text, exit 2 with
one line in the engine's words for impossible parameters, a graph's node, and no torch or
Qt loaded by ``explain --json``. The command runs in process through ``engine.cli.main``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine import Graph, save_graph
from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent


def explain(capsys, *args):
    code = main(["explain", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def as_json(capsys, *args):
    code, out, err = explain(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_json_keys_of_a_conv(capsys):
    j = as_json(capsys, "Conv2d", "--input", 4, "--kernel", 3)
    assert {"type", "params", "input_size", "output_size", "taps", "overlap"} <= set(j)
    assert "zero_insertion" not in j and "channel_links" not in j  # no channel counts given
    assert j["type"] == "Conv2d" and j["input_size"] == [4, 4] and j["output_size"] == [2, 2]
    assert j["params"]["kernel_size"] == [3, 3]
    assert j["taps"][:4] == [[0, 0, 0], [0, 1, 1], [0, 2, 2], [0, 4, 3]]
    assert j["overlap"] == [9, 9, 9, 9]


def test_json_of_a_transposed_conv_with_channels(capsys):
    j = as_json(capsys, "ConvTranspose2d", "--input", "2,3", "--kernel", 3, "--stride", 2,
                "--padding", 1, "--output-padding", 1, "--in-channels", 4,
                "--out-channels", 2, "--groups", 2)
    assert j["output_size"] == [4, 6]
    z = j["zero_insertion"]
    assert z["size"] == [6, 8] and z["padding"] == [[1, 2], [1, 2]] and z["input_at"][0] == [0, 9]
    assert j["channel_links"] == [[0, 0], [0, 1], [1, 2], [1, 3]]
    assert len(j["overlap"]) == 24


def test_other_parameters_through_param(capsys):
    j = as_json(capsys, "Upsample", "--input", 3, "--param", "scale_factor=2",
                "--param", "mode=bilinear", "--param", "align_corners=true")
    assert j["output_size"] == [6, 6] and j["params"]["mode"] == "bilinear"
    assert len(j["weights"]) == len(j["taps"])
    avg = as_json(capsys, "AvgPool2d", "--input", 5, "--kernel", 3, "--stride", 2,
                  "--padding", 1, "--param", "ceil_mode=true")
    assert avg["output_size"] == [3, 3] and len(avg["divisor"]) == 9
    un = as_json(capsys, "MaxUnpool2d", "--input", 2, "--kernel", 2, "--in-channels", 3)
    assert un["output_size"] == [4, 4] and un["channel_links"] == [[0, 0], [1, 1], [2, 2]]


def test_text_shows_formula_matrix_and_overlap(capsys):
    code, out, _ = explain(capsys, "Conv2d", "--input", 4, "--kernel", 3)
    assert code == 0
    assert "⌊(4 + 0 + 0 − 1·(3−1) − 1)/1⌋ + 1 = 2" in out
    assert "  0 1 2 · 3 4 5 · 6 7 8 · · · · ·" in out  # the first row of C
    assert "overlap" in out
    code, out, _ = explain(capsys, "ConvTranspose2d", "--input", 2, "--stride", 2)
    assert code == 0 and "zero insertion: 7×7" in out and "kernel flipped" in out
    assert "  1 1 2 1 1" in out  # the overlap checkerboard's first row


@pytest.mark.parametrize("args,words", [
    (["Conv2d", "--input", 4, "--kernel", 5], "Conv2d: kernel 5 exceeds padded input 4 along H"),
    (["Conv2d", "--in-channels", 3, "--out-channels", 4, "--groups", 2],
     "Conv2d: in_channels 3 is not divisible by groups 2"),
    (["ConvTranspose2d", "--stride", 2, "--output-padding", 2],
     "output_padding 2 along H must be smaller than stride 2 or dilation 1"),
    (["MaxPool2d", "--kernel", 2, "--padding", 2], "padding 2 along H must be at most half"),
    (["Conv2d", "--stride", 0], "stride = 0"),
    (["Conv2d", "--padding", "same", "--stride", 2], 'padding "same" needs stride 1'),
    (["AvgPool2d", "--dilation", 2], "unknown parameter 'dilation' for AvgPool2d"),
    (["Upsample", "--param", "mode=trilinear"], 'mode "trilinear" needs a 3D input'),
    (["Conv2d", "--kernel", "x"], "--kernel: expected an integer or H,W"),
    (["Conv2d", "--param", "nothing"], "--param: expected NAME=VALUE"),
    (["ReLU"], "no index structure to show for 'ReLU'"),
    (["Conv9d"], "unknown layer type 'Conv9d'"),
])
def test_impossible_parameters_exit_2_with_one_line(capsys, args, words):
    code, out, err = explain(capsys, *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and words in err, err


def test_groups_message_names_the_parameter(capsys):
    code, _, err = explain(capsys, "Conv2d", "--in-channels", 3, "--out-channels", 4,
                           "--groups", 2)
    assert code == 2 and "groups" in err


@pytest.fixture
def graph_file(tmp_path):
    g = Graph("net")
    g.add_node("Input", {"channels": 3, "height": 6, "width": 6}, "x")
    g.add_node("ConvTranspose2d", {"out_channels": 4, "kernel_size": 3, "stride": 2,
                                   "padding": 1, "target_size": [12, 12]}, "up")
    g.add_node("ReLU", {}, "act")
    g.connect("x", "up")
    g.connect("up", "act")
    path = tmp_path / "net.convgraph.json"
    save_graph(g, path)
    return path


def test_a_graphs_node(capsys, graph_file):
    j = as_json(capsys, graph_file, "--node", "up")
    free = as_json(capsys, "ConvTranspose2d", "--input", 6, "--in-channels", 3,
                   "--out-channels", 4, "--kernel", 3, "--stride", 2, "--padding", 1,
                   "--param", "target_size=12")
    assert j == free  # the node's parameters and input size, from the analysis
    assert j["output_size"] == [12, 12] and len(j["channel_links"]) == 12
    tried = as_json(capsys, graph_file, "--node", "up", "--stride", 1, "--param",
                    "target_size=null")
    assert tried["output_size"] == [6, 6]


@pytest.mark.parametrize("args,words", [
    (["--node", "nope"], "no node 'nope'"),
    (["--node", "act"], "act is a ReLU"),
    (["--node", "up", "--input", 4], "--input: a node's input comes from the graph"),
    (["--node", "up", "--output-padding", 1], "set either output_padding or target_size"),
])
def test_graph_mode_refusals(capsys, graph_file, args, words):
    code, _, err = explain(capsys, graph_file, *args)
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1, err


def test_a_graph_file_needs_a_node(capsys, graph_file):
    code, _, err = explain(capsys, graph_file)
    assert code == 2 and "give --node ID" in err


def test_explain_json_loads_neither_torch_nor_qt():
    code = ("import sys\nfrom engine.cli import main\n"
            "rc = main(['explain', 'ConvTranspose2d', '--input', '3', '--stride', '2', "
            "'--json'])\n"
            "print(sorted(m for m in ('torch', 'PySide6', 'pyqtgraph') if m in sys.modules))\n"
            "sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"
