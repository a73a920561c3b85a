"""``main.py export GRAPH -o MODEL.onnx``: onnxruntime gives the engine's outputs (≤ 1e-4)
for graphs the engine runs, deformable convolutions (v1, v2) and SE included; names of
inputs and outputs; Opaque graphs refused naming the node; the exported DeformConv
imports back as one DeformConv2d."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")
np = pytest.importorskip("numpy")

pytestmark = pytest.mark.torch

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)],
                          capture_output=True, text=True, cwd=cwd or ROOT, timeout=300)


def graph_with(*layers, channels=4, size=12, inputs=1):
    from engine.graph import Graph
    g = Graph("export test")
    ins = [g.add_node("Input", {"channels": channels, "height": size, "width": size},
                      "input" if inputs == 1 else f"image{i}") for i in range(inputs)]
    prev = ins[0]
    for type_, params in layers:
        n = g.add_node(type_, params)
        g.connect(prev, n)
        prev = n
    return g, ins, prev


def ort_outputs(proto, feed):
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return [o.name for o in sess.get_outputs()], sess.run(None, feed)


def _offsets(model, std=0.5):
    """Non-zero offset convs: the deformation is exercised, not the plain conv."""
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for m in model.modules():
            if hasattr(m, "offset_conv"):
                m.offset_conv.weight.copy_(torch.randn(m.offset_conv.weight.shape,
                                                       generator=gen) * std)
                m.offset_conv.bias.copy_(torch.randn(m.offset_conv.bias.shape,
                                                     generator=gen))
    return model.state_dict()


@pytest.mark.parametrize("modulated", [False, True])
def test_deformable_conv_and_se_match_the_engine(modulated, tmp_path):
    from engine.interchange import export_onnx, import_model
    from engine.runtime import build_model
    g, _ins, _out = graph_with(
        ("DeformConv2d", {"out_channels": 6, "padding": 1, "modulated": modulated,
                          "offset_groups": 2, "stride": 2}),
        ("SqueezeExcitation", {"reduction": 2}), ("ReLU", {}))
    model = build_model(g, seed=5)
    state = _offsets(model)
    proto = export_onnx(g, tmp_path / "d.onnx", weights=state)
    assert "DeformConv" in {n.op_type for n in proto.graph.node}
    x = torch.randn(1, 4, 12, 12, generator=torch.Generator().manual_seed(4))
    names, (got,) = ort_outputs(proto, {"input": x.numpy()})
    with torch.no_grad():
        want = model(x).numpy()
    assert names == ["relu1"] and np.abs(got - want).max() <= 1e-4
    # and back: the DeformConv with its offset conv is one DeformConv2d again
    back, _groups, weights, report = import_model(str(tmp_path / "d.onnx"))
    assert report.opaque_nodes == []
    types = [n.type for n in back.nodes.values()]
    assert types.count("DeformConv2d") == 1 and "Conv2d" not in types
    again = build_model(back)
    again.load_state_dict(weights, strict=True)
    with torch.no_grad():
        assert (again(x) - model(x)).abs().max() <= 1e-4


def test_several_inputs_are_named_by_id_and_outputs_by_node(tmp_path):
    from engine.graph import Graph
    from engine.interchange import export_onnx
    from engine.runtime import build_model
    g = Graph("two")
    a = g.add_node("Input", {"channels": 2, "height": 8, "width": 8}, "left")
    b = g.add_node("Input", {"channels": 2, "height": 8, "width": 8}, "right")
    cat = g.add_node("Concat")
    g.connect(a, cat, 0)
    g.connect(b, cat, 1)
    conv = g.add_node("Conv2d", {"out_channels": 3, "padding": 1})
    g.connect(cat, conv)
    up = g.add_node("Upsample", {"scale_factor": 2})
    g.connect(conv, up)
    pool = g.add_node("MaxPool2d", {})
    g.connect(conv, pool)
    proto = export_onnx(g, seed=7)
    xs = [torch.randn(1, 2, 8, 8) for _ in range(2)]
    names, outs = ort_outputs(proto, {"left": xs[0].numpy(), "right": xs[1].numpy()})
    assert [i.name for i in proto.graph.input] == ["left", "right"]
    assert names == [up, pool]
    with torch.no_grad():
        want = build_model(g, seed=7)(*xs)
    for got, w in zip(outs, want, strict=True):
        assert np.abs(got - w.numpy()).max() <= 1e-4


def test_cli_export_onnx_with_weights_and_seed(tmp_path):
    from engine.io import save_graph
    g, _i, _o = graph_with(("Conv2d", {"out_channels": 3, "padding": 1}),
                           ("BatchNorm2d", {}), ("Hardswish", {}))
    path = tmp_path / "g.convgraph.json"
    save_graph(g, path)
    r = cli("run", path, "--seed", 3, "--save-weights", tmp_path / "w.pt",
            "--save-activations", "--out", tmp_path / "run")
    assert r.returncode == 0, r.stderr
    for args in (["-o", tmp_path / "a.onnx", "--weights", tmp_path / "w.pt"],
                 ["-o", tmp_path / "b.model", "--format", "onnx", "--seed", 3]):
        r = cli("export", path, *args)
        assert r.returncode == 0, r.stderr
        import onnx
        proto = onnx.load(str(args[1]))
        x = np.load(tmp_path / "run" / "input.npy")
        _names, (got,) = ort_outputs(proto, {"input": x})
        want = np.load(tmp_path / "run" / "activations.npz")["hardswish1"]
        assert np.abs(got[0] - want).max() <= 1e-4
    r = cli("export", path, "-o", tmp_path / "c.py", "--seed", 1)
    assert r.returncode == 2 and "ONNX" in r.stderr
    r = cli("export", path, "-o", tmp_path / "d.onnx", "--weights", tmp_path / "nope.pt")
    assert r.returncode == 2 and not (tmp_path / "d.onnx").exists()


def test_an_opaque_graph_is_refused_naming_the_node(tmp_path):
    from engine.io import save_graph
    g, _i, last = graph_with(("Conv2d", {"out_channels": 3}))
    op = g.add_node("Opaque", {"op": "torch.sin", "shape": [3, 10, 10]}, "sin1")
    g.connect(last, op)
    path = tmp_path / "g.convgraph.json"
    save_graph(g, path)
    r = cli("export", path, "-o", tmp_path / "m.onnx")
    assert r.returncode == 1 and "sin1" in r.stderr.splitlines()[-1]
    assert not (tmp_path / "m.onnx").exists()
    assert json.loads(path.read_text())["nodes"][-1]["id"] == "sin1"
