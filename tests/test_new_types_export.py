"""The types added after the first release through the runtime and the exporter: the
exported class (ruff-clean, only torch imported) loads the engine's weights strictly and
reproduces its outputs, for the variants the example graph does not hold (replicate and
circular padding, a finite padding value, crops by size and offset, slices of ``[F]``,
Upsample to a 3D size, bicubic with aligned corners). ``skip_crop_and_padding`` goes
through ``test_roundtrip.py`` like every example."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from engine import Graph, analyze
from engine.export import export_code
from engine.runtime import build_model

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("torch_one_thread")]

ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).with_name("ruff")


def chain(name, input_params, layers) -> Graph:
    g = Graph(name)
    g.add_node("Input", input_params, "x")
    src = "x"
    for i, (t, params) in enumerate(layers):
        nid = g.add_node(t, params, f"n{i}")
        g.connect(src, nid)
        src = nid
    return g


def maps_graph() -> Graph:
    g = chain("new maps", {"channels": 2, "height": 9, "width": 11}, [
        ("Pad2d", {"padding": [1, 2, 0, 3], "mode": "replicate"}),
        ("Pad2d", {"padding": 2, "mode": "circular"}),
        ("Pad2d", {"padding": [1, 0, 0, 0], "value": 1.5}),
        ("Crop2d", {"size": [10, 12], "offset": [1, 2]}),
        ("Conv2d", {"out_channels": 5, "kernel_size": 3}),
        ("Crop2d", {"size": 6}),
        ("ChannelSlice", {"start": 1}),
        ("Upsample", {"size": [5, 9], "mode": "bicubic", "align_corners": True}),
        ("Hardswish", {}),
        ("Pad2d", {"padding": [0, 1, 1, 0], "value": "-inf"}),
        ("MaxPool2d", {"kernel_size": 2}),
        ("Softmax", {}),
    ])
    g.add_node("Crop2d", {"offset": [0, 1]}, "by_ref")  # to the size of n11, at an offset
    g.connect("n4", "by_ref", 0)
    g.connect("n11", "by_ref", 1)
    return g


def volume_graph() -> Graph:
    return chain("new volumes", {"channels": 2, "depth": 3, "height": 4, "width": 5}, [
        ("Upsample", {"size": [4, 6, 8], "mode": "trilinear"}),
        ("Upsample", {"scale_factor": 0.5}),
        ("ChannelSlice", {"start": 0, "stop": 1}),
        ("ReLU6", {}),
        ("Flatten", {}),
        ("Linear", {"out_features": 6}),
        ("ChannelSlice", {"start": 2, "stop": 5}),
        ("Hardsigmoid", {}),
        ("Softmax", {}),
    ])


@pytest.mark.parametrize("make", [maps_graph, volume_graph], ids=lambda f: f.__name__)
def test_exported_code_reproduces_the_engine(tmp_path, make):
    g = make()
    r = analyze(g)
    assert r.valid, r.errors
    model = build_model(g, seed=3)
    for nid, node in g.nodes.items():
        if node.type != "Input" and nid in model._modules:  # Cost.params == the module's
            assert sum(p.numel() for p in model._modules[nid].parameters()) == \
                r.nodes[nid].params
    code = export_code(g, "Exported")
    path = tmp_path / "exported.py"
    path.write_text(code, encoding="utf-8")
    proc = subprocess.run([str(RUFF), "check", "--no-cache", "--config",
                           str(ROOT / "pyproject.toml"), str(path)], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    namespace: dict = {}
    exec(compile(code, str(path), "exec"), namespace)  # only torch is imported
    assert not [line for line in code.splitlines() if line.startswith(("import", "from"))
                and "torch" not in line and line != "import math"]
    exported = namespace["Exported"]().eval()
    exported.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(2, *r.nodes["x"].shape)
    with torch.no_grad():
        want, got = model(x), exported(x)
    want = want if isinstance(want, tuple) else (want,)
    got = got if isinstance(got, tuple) else (got,)
    for a, b, nid in zip(want, got, [n for n in g.nodes if not g.successors(n)], strict=True):
        assert tuple(a.shape[1:]) == r.nodes[nid].shape
        assert torch.isfinite(a).all() and torch.allclose(a, b, atol=1e-6), nid


def test_infinite_padding_is_written_with_math_inf():
    code = export_code(maps_graph())
    assert "nn.ConstantPad2d((0, 1, 1, 0), -math.inf)" in code and "import math" in code
    plus = export_code(chain("plus", {"channels": 1, "height": 3, "width": 3},
                             [("Pad2d", {"value": "inf", "padding": 1})]))
    assert "nn.ConstantPad2d(1, math.inf)" in plus
    assert "nn.ReplicationPad2d((1, 2, 0, 3))" in code and "nn.CircularPad2d(2)" in code
    assert "nn.ConstantPad2d((1, 0, 0, 0), 1.5)" in code
    assert "Crop2d(size=(10, 12), offset=(1, 2))" in code and "ChannelSlice(1)" in code
