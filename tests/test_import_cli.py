"""``main.py import`` (cli.md): sources, outputs, report, exit codes; the imported weights
reproduce the module through ``run --weights``; an Opaque operation; export PyTorch →
import gives back the same graph; ids valid and readable."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")

pytestmark = pytest.mark.torch

ROOT = Path(__file__).resolve().parents[1]

NET = textwrap.dedent('''
    import torch
    from torch import nn
    import torch.nn.functional as F


    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv1 = nn.Conv2d(c, c, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(c)
            self.conv2 = nn.Conv2d(c, c, 3, padding=1)

        def forward(self, x):
            return F.relu(x + self.conv2(F.relu(self.bn1(self.conv1(x)))))


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 4, 3, stride=2, padding=1)
            self.layer1 = nn.Sequential(Block(4), Block(4))
            self.head = nn.Conv2d(4, 2, 1)

        def forward(self, x):
            return self.head(self.layer1(self.stem(x)))


    class Odd(Net):
        def forward(self, x):
            return self.head(torch.sin(self.layer1(self.stem(x))))


    def build():
        torch.manual_seed(0)
        return Net().eval()


    def odd():
        torch.manual_seed(0)
        return Odd().eval()


    def not_a_module():
        return 3
''')


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)],
                          capture_output=True, text=True, cwd=cwd or ROOT, timeout=300)


@pytest.fixture()
def net_file(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(NET)
    return path


def _module(path, name):
    import importlib.util
    spec = importlib.util.spec_from_file_location("net_for_test", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, name)()


def test_import_a_python_file_then_run_with_its_weights(net_file, tmp_path):
    out = tmp_path / "net.convgraph.json"
    r = cli("import", f"{net_file}:build", "-o", out, "--input-shape", "3,16,16",
            "--weights-out", tmp_path / "w.pt", "--report", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert "0 opaque" in last and "nodes" in last
    data = json.loads(out.read_text())
    ids = [n["id"] for n in data["nodes"]]
    assert ids[:4] == ["x", "stem", "layer1_0_conv1", "layer1_0_bn1"]
    assert "layer1_0_add1" in ids and all("pos" in n for n in data["nodes"])
    groups = {g["id"]: g for g in data["groups"]}
    assert groups["layer1"]["parent"] is None and groups["layer1.0"]["parent"] == "layer1"
    assert "layer1_0_conv1" in groups["layer1.0"]["nodes"]
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["counts"]["opaque"] == 0 and report["opaque_nodes"] == []
    assert {"source", "op", "status", "node", "note"} <= set(report["operations"][0])
    assert "layer1_0_conv1" in r.stdout  # the report is printed

    r = cli("run", out, "--weights", tmp_path / "w.pt", "--save-activations", "--out",
            tmp_path / "run")
    assert r.returncode == 0, r.stderr
    x = torch.from_numpy(np.load(tmp_path / "run" / "input.npy"))
    with torch.no_grad():
        want = _module(net_file, "build")(x)[0].numpy()
    got = np.load(tmp_path / "run" / "activations.npz")["head"]
    assert np.abs(got - want).max() <= 1e-4


def test_import_a_package_module(tmp_path):
    r = cli("import", "tests.test_import_models:resnet18", "-o", tmp_path / "g.json",
            "--input-shape", "3,32,32")
    assert r.returncode == 0, r.stderr
    assert "layer4_1_conv2" in (tmp_path / "g.json").read_text()


def test_an_operation_the_format_lacks_is_opaque_and_everything_refuses_it(net_file,
                                                                         tmp_path):
    out = tmp_path / "odd.convgraph.json"
    r = cli("import", f"{net_file}:odd", "-o", out, "--input-shape", "3,16,16",
            "--report", tmp_path / "r.json")
    assert r.returncode == 1, r.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["opaque_nodes"] == ["sin1"]
    (item,) = [o for o in report["operations"] if o["status"] == "opaque"]
    assert item["node"] == "sin1" and "sin" in item["op"]
    assert "sin1" in r.stderr.splitlines()[-1]
    r = cli("analyze", out, "--json")  # analysis goes on around it
    assert r.returncode == 0
    nodes = {n["id"]: n for n in json.loads(r.stdout)["nodes"]}
    assert nodes["sin1"]["shape"] == [4, 8, 8] and nodes["head"]["shape"] == [2, 8, 8]
    assert nodes["head"]["rf"] is None and nodes["layer1_1_conv2"]["rf"] is not None
    for args in (["run", out, "--out", tmp_path / "run"],
                 ["export", out, "-o", tmp_path / "m.py"],
                 ["export", out, "-o", tmp_path / "m.onnx"]):
        r = cli(*args)
        assert r.returncode == 1 and "sin1" in r.stderr.strip().splitlines()[-1], args
    assert not (tmp_path / "m.py").exists() and not (tmp_path / "m.onnx").exists()


@pytest.mark.parametrize("source, why", [
    ("missing.py:Net", "no such file"), ("nope.onnx", "no such file"),
    ("NET:not_a_module", "not an nn.Module"), ("NET:Missing", "has no 'Missing'"),
    ("garbage.onnx", "not an ONNX model"), ("just-text", "FILE.py:NAME"),
])
def test_unreadable_sources_exit_2_writing_nothing(source, why, net_file, tmp_path):
    (tmp_path / "garbage.onnx").write_bytes(b"\x00\x01 not onnx")
    source = source.replace("NET", str(net_file)).replace("garbage", str(tmp_path / "garbage"))
    r = cli("import", source, "-o", tmp_path / "g.json", "--input-shape", "3,16,16",
            cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert why in r.stderr.strip().splitlines()[-1] and "Traceback" not in r.stderr
    assert not (tmp_path / "g.json").exists()


def test_bad_arguments_exit_2(net_file, tmp_path):
    r = cli("import", f"{net_file}:build", "-o", tmp_path / "g.json", "--input-shape", "3,x")
    assert r.returncode == 2 and "--input-shape" in r.stderr
    r = cli("import", f"{net_file}:build", "-o", net_file)
    assert r.returncode == 2 and net_file.read_text() == NET


def test_export_pytorch_then_import_gives_back_the_same_graph(tmp_path):
    from engine.export import export_code
    from engine.graph import Graph
    from engine.interchange import import_model
    g = Graph("Round trip")
    i = g.add_node("Input", {"channels": 3, "height": 20, "width": 20}, "input")

    def add(type_, params, *srcs):
        n = g.add_node(type_, params)
        for port, s in enumerate(srcs):
            g.connect(s, n, port)
        return n
    c = add("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}, i)
    r = add("ReLU6", {}, add("BatchNorm2d", {"eps": 1e-3}, c))
    se = add("SqueezeExcitation", {"reduction": 4},
             add("DepthwiseSeparableConv2d", {"out_channels": 8, "padding": 1}, r))
    sh = add("ChannelShuffle", {"groups": 2}, add("Add", {}, se, r))
    ss = add("SpatiallySeparableConv2d", {"out_channels": 4, "kernel_size": [3, 5],
                                          "padding": [1, 2]},
             add("ChannelSlice", {"start": 4}, sh))
    dc = add("DeformConv2d", {"out_channels": 4, "padding": 1, "modulated": True},
             add("ChannelSlice", {"start": 0, "stop": 4}, sh))
    hs = add("Hardswish", {}, add("Concat", {}, dc, ss))
    cr = add("Crop2d", {}, add("Pad2d", {"padding": [1, 0, 2, 1], "mode": "reflect"}, hs), hs)
    up = add("Upsample", {"scale_factor": 2, "mode": "bilinear", "align_corners": False}, cr)
    tc = add("ConvTranspose2d", {"out_channels": 4, "kernel_size": 2, "stride": 2},
             add("MaxPool2d", {"kernel_size": 2}, up))
    fl = add("Flatten", {}, add("AdaptiveAvgPool2d", {"output_size": 1}, tc))
    add("Softmax", {}, add("Dropout", {"p": 0.1}, add("Linear", {"out_features": 5}, fl)))
    path = tmp_path / "rt.py"
    path.write_text(export_code(g, "RoundTrip"))

    back, _groups, _w, report = import_model(f"{path}:RoundTrip", (3, 20, 20))
    assert report.opaque_nodes == []
    assert list(back.nodes) == list(g.nodes)
    for n in g.nodes.values():
        m = back.nodes[n.id]
        assert (m.type, m.normalised) == (n.type, n.normalised), n.id
    def edges(graph):
        return sorted((e.src, e.dst, e.port) for e in graph.edges)
    assert edges(g) == edges(back)


def test_a_model_of_200_nodes_imports_in_under_5_seconds():
    import importlib.util
    spec = importlib.util.spec_from_file_location("bench_import", ROOT / "bench" / "import.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    seconds, nodes = bench.time_import(bench.deep_resnet())
    assert nodes >= 200 and seconds < 5.0


def test_ids_are_valid_and_readable():
    from engine.graph import check_id
    from engine.interchange.ir import Net, Op
    from engine.interchange.naming import assign_ids
    net = Net()
    for key, path, owned, type_ in [("a", "class", True, "Conv2d"), ("b", "__init__", True,
                                    "ReLU"), ("c", "1.conv", True, "Conv2d"),
                                    ("d", "layer1.0", False, "Add"), ("e", "", False, "Add"),
                                    ("f", "layer1.0", False, "Add"), ("g", "forward", True,
                                    "ReLU"), ("h", "x" * 80, True, "ReLU")]:
        net.add(Op(key, type_, {}, [], (1,), path=path, owned=owned))
    ids = assign_ids(net)
    assert [check_id(i) for i in ids.values()] and len(set(ids.values())) == len(ids)
    assert ids["a"] == "class_" and ids["c"] == "n1_conv" and ids["e"] == "add1"
    assert ids["d"] == "layer1_0_add1" and ids["f"] == "layer1_0_add2"
    assert ids["g"] == "forward_" and len(ids["h"]) <= 64 and ids["b"] == "init_"


class _Untraceable(torch.nn.Module):
    """fx cannot trace ``range`` over a traced size; torch.export can."""

    def __init__(self):
        super().__init__()
        self.c = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.d = torch.nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.fc = torch.nn.Linear(8, 4)

    def forward(self, x):
        y = torch.nn.functional.relu6(self.c(x))
        parts = [y[:, 2 * i:2 * i + 2] for i in range(y.shape[1] // 2)]
        y = torch.cat(parts[::-1], 1) + self.d(y)
        return self.fc(y.mean((2, 3)))


def test_torch_export_is_the_fallback_when_fx_cannot_trace():
    from engine.interchange import import_model
    from engine.runtime import build_model
    torch.manual_seed(0)
    model = _Untraceable().eval()
    graph, _groups, weights, report = import_model(model, (3, 8, 8))
    assert report.how == "export" and report.opaque_nodes == []
    assert [n.type for n in graph.nodes.values()].count("ChannelSlice") == 4
    engine_model = build_model(graph)
    engine_model.load_state_dict(weights, strict=True)
    x = torch.randn(1, 3, 8, 8)
    with torch.no_grad():
        assert (engine_model(x) - model(x)).abs().max() <= 1e-4


class _Separable(torch.nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.depthwise = torch.nn.Conv2d(cin, cin * 2, 3, padding=1, groups=cin)
        self.pointwise = torch.nn.Conv2d(cin * 2, cout, 1)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class _TwoSeparables(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.block = _Separable(4, 8)
        self.other = torch.nn.Sequential(torch.nn.Conv2d(8, 8, 3, padding=1, groups=8),
                                         torch.nn.BatchNorm2d(8), torch.nn.Conv2d(8, 6, 1))

    def forward(self, x):
        return self.other(self.block(x))


def test_depthwise_pointwise_folds_only_where_the_state_dict_layout_matches():
    from engine.interchange import import_model
    from engine.runtime import build_model
    torch.manual_seed(0)
    model = _TwoSeparables().eval()
    graph, _groups, weights, report = import_model(model, (4, 10, 10))
    node = graph.nodes["block"]
    assert node.type == "DepthwiseSeparableConv2d"
    assert dict(node.params) == {"out_channels": 8, "kernel_size": 3, "padding": 1,
                                 "depth_multiplier": 2, "bias": True}
    assert {"block.depthwise.weight", "block.pointwise.bias"} <= set(weights)
    assert graph.nodes["other_0"].type == "Conv2d"  # a BatchNorm between: no fold
    folded = [o for o in report.operations if o["status"] == "folded"]
    assert [o["node"] for o in folded] == ["block", "block"]
    engine_model = build_model(graph)
    engine_model.load_state_dict(weights, strict=True)
    x = torch.randn(1, 4, 10, 10)
    with torch.no_grad():
        assert (engine_model(x) - model(x)).abs().max() <= 1e-4


def test_an_onnx_operator_without_a_type_is_opaque(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper
    w = numpy_helper.from_array(np.ones((2, 1, 3, 3), dtype=np.float32), "conv.weight")
    nodes = [helper.make_node("Conv", ["input", "conv.weight"], ["c"], name="conv",
                              kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             helper.make_node("Sin", ["c"], ["s"], name="wave"),
             helper.make_node("Relu", ["s"], ["out"], name="act")]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                   ["N", 1, 6, 6])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)], [w])
    path = tmp_path / "sin.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), path)
    r = cli("import", path, "-o", tmp_path / "g.json", "--report", tmp_path / "r.json")
    assert r.returncode == 1, r.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["opaque_nodes"] == ["wave"]  # the ONNX node's name
    data = json.loads((tmp_path / "g.json").read_text())
    ids = [n["id"] for n in data["nodes"]]
    assert ids == ["input", "conv", "wave", "act"]
    assert data["nodes"][2]["params"]["shape"] == [2, 6, 6]
