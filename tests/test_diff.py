"""``main.py diff A B`` (cli.md, issue 14): nodes matched by id, per-node deltas checked
against torch's parameter counts of the modules the runtime builds."""

from __future__ import annotations

import copy
import json

import pytest

from engine.cli import main
from engine.graph import Graph
from engine.labs import diff_graphs

from .test_labs_grade import chain, conv, inp

# base: 3x16x16 -> conv1 3x3 p1 (8) -> bn -> relu -> conv2 3x3 s2 p1 (16) -> se -> gap
#       -> flat -> fc (10)
BASE = chain(inp(3, 16, 16), conv("conv1", 8, padding=1), ("bn", "BatchNorm2d", {}),
             ("relu", "ReLU", {}), conv("conv2", 16, stride=2, padding=1),
             ("se", "SqueezeExcitation", {"reduction": 4}), ("gap", "AdaptiveAvgPool2d", {}),
             ("flat", "Flatten", {}), ("fc", "Linear", {"out_features": 10}))


def variant(**changes) -> dict:
    data = copy.deepcopy(BASE)
    for node in data["nodes"]:
        node["params"].update(changes.get(node["id"], {}))
    return data


def rewired(data: dict, drop: str) -> dict:
    """``data`` without node ``drop``, its predecessor wired to its successor."""
    data = copy.deepcopy(data)
    src = next(e["from"] for e in data["edges"] if e["to"] == drop)
    dst = next(e["to"] for e in data["edges"] if e["from"] == drop)
    data["nodes"] = [n for n in data["nodes"] if n["id"] != drop]
    data["edges"] = [e for e in data["edges"] if drop not in (e["from"], e["to"])]
    data["edges"].append({"from": src, "to": dst})
    return data


def with_type(data: dict, nid: str, type_: str, params: dict) -> dict:
    data = copy.deepcopy(data)
    for node in data["nodes"]:
        if node["id"] == nid:
            node["type"], node["params"] = type_, params
    return data


PAIRS = {
    "kernel": (BASE, variant(conv1={"kernel_size": 5, "padding": 2})),
    "width": (BASE, variant(conv1={"out_channels": 12}, conv2={"out_channels": 32})),
    "se": (BASE, variant(se={"reduction": 2}, fc={"bias": False})),
    "removed_bn": (BASE, rewired(BASE, "bn")),
    "added_bn": (rewired(BASE, "bn"), BASE),
    "type": (BASE, with_type(BASE, "conv2", "DepthwiseSeparableConv2d",
                             {"out_channels": 16, "stride": 2, "padding": 1})),
}


def torch_counts(data: dict) -> dict[str, int]:
    """Per node id, ``sum(p.numel())`` of the module the runtime builds for it."""
    from engine.runtime import build_model

    model = build_model(Graph.from_dict(data))
    counts = {n["id"]: 0 for n in data["nodes"]}
    for name, p in model.named_parameters():
        counts[name.split(".")[0]] += p.numel()
    return counts


@pytest.mark.torch
@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_param_deltas_are_torchs(pair):
    a, b = PAIRS[pair]
    ta, tb = torch_counts(a), torch_counts(b)
    d = diff_graphs(Graph.from_dict(a), Graph.from_dict(b)).to_json()
    changed = {c["id"]: c for c in d["changed"]}
    for nid in set(ta) & set(tb):
        if ta[nid] != tb[nid]:
            assert changed[nid]["param_count"] == [ta[nid], tb[nid]], nid
        else:
            assert "param_count" not in changed.get(nid, {}), nid
    assert d["total"]["params"] == [sum(ta.values()), sum(tb.values())]
    assert d["added"] == [i for i in tb if i not in ta]
    assert d["removed"] == [i for i in ta if i not in tb]


def test_the_kernel_pair_by_hand():
    d = diff_graphs(*map(Graph.from_dict, PAIRS["kernel"])).to_json()
    # conv1: 3*8*9 + 8 = 224 -> 3*8*25 + 8 = 608; MACs 8*16*16*3*9 = 55,296 -> *25/9 =
    # 153,600; RF 3 -> 5, and every node after it (conv2: 3 + 2 = 5 -> 7; se and gap are
    # global, flat/fc global: the extent 16 both times, unchanged)
    c = {x["id"]: x for x in d["changed"]}
    assert c["conv1"] == {"id": "conv1", "params": {"kernel_size": [3, 5], "padding": [1, 2]},
                          "rf_size": [3, 5], "param_count": [224, 608],
                          "macs": [55296, 153600]}
    assert c["bn"] == {"id": "bn", "rf_size": [3, 5]}
    assert c["conv2"] == {"id": "conv2", "rf_size": [5, 7]}
    assert list(c) == ["conv1", "bn", "relu", "conv2"]
    assert d["added"] == [] and d["removed"] == []
    assert d["total"]["params"][1] - d["total"]["params"][0] == 384


def test_type_and_inputs_changes_are_reported():
    d = diff_graphs(*map(Graph.from_dict, PAIRS["type"])).to_json()
    conv2 = d["changed"][0]
    assert conv2["id"] == "conv2" and conv2["type"] == ["Conv2d", "DepthwiseSeparableConv2d"]
    assert conv2["params"]["depth_multiplier"] == [None, 1]
    d = diff_graphs(*map(Graph.from_dict, PAIRS["removed_bn"])).to_json()
    assert d["removed"] == ["bn"] and d["changed"][0] == {"id": "relu",
                                                         "inputs": [["bn"], ["conv1"]]}


def test_positions_names_and_explicit_defaults_are_not_differences():
    b = copy.deepcopy(BASE)
    b["name"] = "renamed"
    for i, node in enumerate(b["nodes"]):
        node["pos"] = [i * 10, 5]
    b["nodes"][1]["params"].update(stride=1, dilation=[1, 1], bias=True)
    d = diff_graphs(Graph.from_dict(BASE), Graph.from_dict(b))
    assert d.same and d.to_json()["changed"] == []


def cli(capsys, *args):
    code = main(["diff", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_exit_codes_and_json(tmp_path, capsys):
    paths = {}
    for name, data in (("a", BASE), ("b", PAIRS["width"][1]), ("same", BASE)):
        paths[name] = tmp_path / f"{name}.convgraph.json"
        paths[name].write_text(json.dumps(data))
    code, out, _ = cli(capsys, paths["a"], paths["same"], "--json")
    assert code == 0 and json.loads(out)["changed"] == []
    code, out, _ = cli(capsys, paths["a"], paths["b"], "--json")
    data = json.loads(out)
    assert code == 1 and set(data) == {"added", "removed", "changed", "total"}
    # fc: 16*10 + 10 = 170 -> 32*10 + 10 = 330
    fc = next(c for c in data["changed"] if c["id"] == "fc")
    assert fc["param_count"] == [170, 330] and fc["macs"] == [160, 320]
    assert all(isinstance(c["rf_size"][0], int) for c in data["changed"] if "rf_size" in c)
    bad = tmp_path / "bad.convgraph.json"
    bad.write_text("{")
    code, out, err = cli(capsys, paths["a"], bad)
    assert code == 2 and out == "" and str(bad) in err.strip().splitlines()[-1]
    code, _, err = cli(capsys, tmp_path / "missing.json", paths["a"])
    assert code == 2 and "no such file" in err


def test_the_text_table_shows_signed_deltas(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(PAIRS["kernel"][0]))
    b.write_text(json.dumps(rewired(PAIRS["kernel"][1], "bn")))
    code, out, _ = cli(capsys, a, b)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"{a} → {b}" and lines[1] == "removed: bn (BatchNorm2d)"
    row = next(line for line in lines if line.startswith("conv1"))
    assert row.split() == ["conv1", "kernel_size", "3", "5", "+2"]
    assert any(line.split() == ["param_count", "224", "608", "+384"] for line in lines)
    total = next(line for line in lines if line.startswith("total"))
    assert total.split()[-1] == "+368"  # +384 for conv1, -16 for the removed bn (2*8)
    a.write_text(json.dumps(BASE))
    code, out, _ = cli(capsys, a, a)
    assert code == 0 and "same design" in out
