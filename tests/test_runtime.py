"""The torch runtime (issue 3): nnlib modules, build, run, capture, weights, images.

Small graphs and inputs only; no timed assertions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from engine import CATALOGUE, Graph, analyze, load_graph  # noqa: E402
from engine.catalogue import Inputs  # noqa: E402
from engine.deform import deform_conv2d  # noqa: E402
from engine.nnlib import (  # noqa: E402
    Add,
    Concat,
    DeformConv2d,
    DepthwiseSeparableConv2d,
    Multiply,
    SpatiallySeparableConv2d,
    SqueezeExcitation,
)
from engine.runtime import (  # noqa: E402
    ImageError,
    MemoryLimitError,
    RunCancelled,
    RuntimeGraphError,
    Session,
    WeightsError,
    build_model,
    graph_info,
    load_image,
    mosaic,
    prepare_input,
    run_graph,
    run_trace,
    save_png,
)
from engine.runtime.build import default_memory_limit, estimate_bytes  # noqa: E402
from engine.runtime.run import LazyStats, node_stats  # noqa: E402

pytestmark = pytest.mark.torch

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "resources" / "examples"


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def catalogue_params(type_name: str, params: dict, in_shape) -> int:
    kind = CATALOGUE[type_name]
    p = kind.normalise(params)
    ins = Inputs((tuple(in_shape),))
    return kind.cost(p, ins, kind.infer(p, ins)).params


def small_graph(name="small", channels=3, size=16) -> Graph:
    g = Graph(name)
    g.add_node("Input", {"channels": channels, "height": size, "width": size}, "x")
    g.add_node("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}, "conv1")
    g.add_node("ReLU", {}, "relu1")
    g.add_node("SqueezeExcitation", {"reduction": 4}, "se")
    g.add_node("DeformConv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1,
                                "modulated": True}, "dconv")
    g.add_node("Add", {}, "add")
    g.add_node("MaxPool2d", {"kernel_size": 2}, "pool")
    g.add_node("MaxUnpool2d", {"kernel_size": 2}, "unpool")
    for a, b in (("x", "conv1"), ("conv1", "relu1"), ("relu1", "se"), ("se", "dconv"),
                 ("dconv", "add"), ("add", "pool"), ("pool", "unpool")):
        g.connect(a, b)
    g.connect("relu1", "add", 1)
    g.connect("pool", "unpool", 1)
    return g


# -- nnlib ------------------------------------------------------------------------------
@pytest.mark.parametrize("params,in_shape", [
    ({"out_channels": 16, "kernel_size": 3, "padding": 1}, (16, 12, 12)),
    ({"out_channels": 8, "kernel_size": (3, 5), "modulated": True, "offset_groups": 2,
      "groups": 2, "bias": False}, (4, 12, 12)),
    ({"out_channels": 6, "kernel_size": 1, "stride": 2, "offset_groups": 3}, (6, 9, 9)),
])
def test_deform_conv_params_match_catalogue(params, in_shape):
    p = CATALOGUE["DeformConv2d"].normalise(params)
    ctor = CATALOGUE["DeformConv2d"].ctor(p, Inputs((in_shape,)), None)
    m = DeformConv2d(*ctor.args, **dict(ctor.kwargs))
    assert n_params(m) == catalogue_params("DeformConv2d", params, in_shape)
    k = p["kernel_size"][0] * p["kernel_size"][1]
    assert m.offset_conv.out_channels == (3 if p["modulated"] else 2) * p["offset_groups"] * k
    assert not m.offset_conv.weight.any() and not m.offset_conv.bias.any()


def test_deform_conv_with_zero_offsets_is_a_conv():
    torch.manual_seed(1)
    m = DeformConv2d(4, 6, 3, stride=2, padding=1, dilation=1, groups=2)
    conv = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)
    conv.weight.data.copy_(m.weight.data)
    conv.bias.data.copy_(m.bias.data)
    x = torch.randn(2, 4, 11, 11)
    with torch.no_grad():
        assert torch.allclose(m(x), conv(x), atol=1e-5)


def test_deform_conv_modulated_uses_sigmoid_mask_channels():
    torch.manual_seed(2)
    m = DeformConv2d(3, 4, 3, padding=1, modulated=True, offset_groups=1)
    with torch.no_grad():
        m.offset_conv.bias[18:] = 2.0  # mask logits
        m.offset_conv.bias[:18] = 0.3
        x = torch.randn(1, 3, 7, 7)
        out = m.offset_conv(x)
        want = deform_conv2d(x, out[:, :18], m.weight, m.bias, padding=(1, 1),
                             mask=torch.sigmoid(out[:, 18:]))
        assert torch.allclose(m(x), want, atol=1e-6)


@pytest.mark.parametrize("channels,reduction", [(32, 8), (5, 16), (64, 1)])
def test_squeeze_excitation(channels, reduction):
    m = SqueezeExcitation(channels, reduction)
    assert n_params(m) == catalogue_params("SqueezeExcitation", {"reduction": reduction},
                                           (channels, 6, 6))
    assert m.fc1.out_channels == max(1, channels // reduction)
    assert isinstance(m.act, nn.ReLU) and isinstance(m.gate, nn.Sigmoid)
    x = torch.randn(2, channels, 6, 6)
    with torch.no_grad():
        w = torch.sigmoid(m.fc2(torch.relu(m.fc1(x.mean((2, 3), keepdim=True)))))
        assert torch.allclose(m(x), x * w, atol=1e-6)


@pytest.mark.parametrize("params", [
    {"out_channels": 8, "kernel_size": 3, "padding": 1},
    {"out_channels": 5, "kernel_size": (3, 5), "stride": 2, "depth_multiplier": 3,
     "bias": False},
])
def test_depthwise_separable(params):
    p = CATALOGUE["DepthwiseSeparableConv2d"].normalise(params)
    ins = Inputs(((4, 13, 13),))
    ctor = CATALOGUE["DepthwiseSeparableConv2d"].ctor(p, ins, None)
    m = DepthwiseSeparableConv2d(*ctor.args, **dict(ctor.kwargs))
    assert n_params(m) == catalogue_params("DepthwiseSeparableConv2d", params, (4, 13, 13))
    assert m.depthwise.groups == 4 and m.pointwise.kernel_size == (1, 1)
    out = m(torch.randn(1, 4, 13, 13))
    assert tuple(out.shape[1:]) == analyze_one("DepthwiseSeparableConv2d", params, (4, 13, 13))


@pytest.mark.parametrize("params", [
    {"out_channels": 8, "kernel_size": 3, "padding": 1},
    {"out_channels": 3, "kernel_size": (5, 3), "stride": (2, 1), "dilation": (1, 2),
     "padding": (2, 0), "bias": False},
])
def test_spatially_separable(params):
    p = CATALOGUE["SpatiallySeparableConv2d"].normalise(params)
    ctor = CATALOGUE["SpatiallySeparableConv2d"].ctor(p, Inputs(((4, 13, 14),)), None)
    m = SpatiallySeparableConv2d(*ctor.args, **dict(ctor.kwargs))
    assert n_params(m) == catalogue_params("SpatiallySeparableConv2d", params, (4, 13, 14))
    kh, kw = p["kernel_size"]
    assert m.conv_h.kernel_size == (kh, 1) and m.conv_w.kernel_size == (1, kw)
    assert m.conv_h.stride == (p["stride"][0], 1) and m.conv_w.stride == (1, p["stride"][1])
    out = m(torch.randn(1, 4, 13, 14))
    assert tuple(out.shape[1:]) == analyze_one("SpatiallySeparableConv2d", params, (4, 13, 14))


def analyze_one(type_name, params, in_shape):
    kind = CATALOGUE[type_name]
    return kind.infer(kind.normalise(params), Inputs((tuple(in_shape),)))


def test_merge_modules():
    a, b, c = torch.randn(3, 1, 2, 4, 4)
    assert torch.equal(Add()(a, b, c), a + b + c)
    assert torch.equal(Multiply()(a, b), a * b)
    assert torch.equal(Concat()(a, b), torch.cat([a, b], 1))
    assert n_params(Add()) == n_params(Concat()) == 0


def test_nnlib_imports_only_torch_and_deform():
    import ast
    tree = ast.parse((ROOT / "engine" / "nnlib.py").read_text())
    mods = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            mods |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            mods.add(node.module)
    assert mods <= {"__future__", "torch", "torch.nn", "torch.nn.functional", "engine.deform"}


# -- build ------------------------------------------------------------------------------
def test_build_names_modules_by_node_id():
    g = small_graph()
    model = build_model(g, seed=0)
    names = dict(model.named_children())
    assert "x" not in names  # Inputs get no module
    assert isinstance(names["conv1"], nn.Conv2d)
    assert isinstance(names["se"], SqueezeExcitation)
    assert isinstance(names["add"], Add)
    assert names["pool"].return_indices  # feeds the unpool's slot 1
    assert not model.training and all(not m.training for m in model.modules())
    res = analyze(g)
    for nid, m in names.items():
        assert n_params(m) == res.nodes[nid].params, nid
    assert set(model.state_dict()) == {k for k in model.state_dict()}


def test_build_is_deterministic_and_leaves_the_global_rng_alone():
    g = small_graph()
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    a = build_model(g, seed=7).state_dict()
    after = torch.rand(3)
    assert torch.equal(before, after)
    b = build_model(g, seed=7).state_dict()
    c = build_model(g, seed=8).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["conv1.weight"], c["conv1.weight"])


def test_build_refuses_invalid_graph_listing_errors():
    g = Graph("bad")
    g.add_node("Input", {"channels": 3, "height": 8, "width": 8}, "x")
    g.add_node("Conv2d", {"out_channels": 4, "kernel_size": 9}, "big")
    g.add_node("Conv2d", {"out_channels": 4}, "lonely")
    g.connect("x", "big")
    with pytest.raises(RuntimeGraphError) as info:
        build_model(g)
    msg = str(info.value)
    assert "2 errors" in msg and "big" in msg and "lonely" in msg
    assert len(info.value.errors) == 2 and "\n" not in msg


def test_memory_limit():
    g = small_graph()
    res = analyze(g)
    est = estimate_bytes(res)
    assert est == 2 * res.activation_bytes + 4 * res.total_params
    with pytest.raises(MemoryLimitError) as info:
        build_model(g, memory_limit=est - 1)
    assert info.value.estimate == est and info.value.limit == est - 1
    assert "limit" in str(info.value)
    with pytest.raises(MemoryLimitError):
        Session(g, memory_limit=1000)
    lim = default_memory_limit()
    assert 0 < lim <= 4 << 30


def test_forward_one_and_several_outputs():
    g = small_graph()
    model = build_model(g)
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        y = model(x)
    assert isinstance(y, torch.Tensor) and tuple(y.shape) == (1, 8, 16, 16)
    g2 = load_graph(EXAMPLES / "five_vs_two_threes.convgraph.json")
    m2 = build_model(g2)
    ins = [torch.rand(1, *graph_info(m2).shapes[i]) for i in graph_info(m2).input_ids]
    with torch.no_grad():
        out = m2(*ins)
    assert isinstance(out, tuple) and len(out) == len(graph_info(m2).output_ids) == 2
    with pytest.raises(ValueError, match="expects"):
        model(torch.rand(1, 3, 8, 8))


def test_trace_capture_hooks_and_callback():
    g = small_graph()
    model = build_model(g)
    calls = []
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        plain = run_trace(model, [x])
        tr = run_trace(model, [x], capture=True,
                       callback=lambda d, t, n: calls.append((d, t, n)))
    assert plain.activations == {} and plain.se_weights == {}
    assert list(tr.activations) == g.topo_order()
    assert [c[0] for c in calls] == list(range(1, len(g) + 1))
    assert all(c[1] == len(g) for c in calls)
    assert tuple(tr.se_weights["se"].shape) == (1, 8, 1, 1)
    assert tuple(tr.offset_logits["dconv"].shape) == (1, 27, 16, 16)
    assert torch.equal(tr.outputs[0], plain.outputs[0])
    # hooks are removed after a capturing run
    assert not model.se.gate._forward_hooks and not model.dconv.offset_conv._forward_hooks

    def stop(done, total, nid):
        if nid == "se":
            raise RunCancelled()
    with pytest.raises(RunCancelled), torch.no_grad():
        run_trace(model, [x], capture=True, callback=stop)
    assert not model.se.gate._forward_hooks


def test_unpool_gets_indices_and_values_flow_on():
    g = small_graph()
    res = run_graph(g, np.random.default_rng(0).random((20, 24, 3)), seed=1)
    add, unpool = res.activations["add"], res.activations["unpool"]
    pooled = res.activations["pool"]
    assert pooled.shape == (8, 8, 8)
    ref = torch.nn.functional.max_pool2d(torch.from_numpy(add.copy())[None], 2,
                                         return_indices=True)
    back = torch.nn.functional.max_unpool2d(ref[0], ref[1], 2, output_size=[16, 16])[0]
    assert np.allclose(unpool, back.numpy())


# -- run API ------------------------------------------------------------------------------
def _only_numpy(obj, path="result"):
    if isinstance(obj, torch.Tensor):
        raise AssertionError(f"{path} is a torch tensor")
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            _only_numpy(v, f"{path}[{k!r}]")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _only_numpy(v, f"{path}[{i}]")


def test_run_graph_returns_numpy_only():
    g = small_graph()
    res = run_graph(g.to_dict(), None, seed=3)
    for name in ("inputs", "activations", "outputs", "se_weights", "offsets", "masks",
                 "stats", "shapes"):
        _only_numpy(getattr(res, name), name)
    assert res.inputs["x"].shape == (1, 3, 16, 16) and res.inputs["x"].dtype == np.float32
    assert res.activations["conv1"].shape == (8, 16, 16)
    assert list(res.outputs) == ["unpool"]
    assert res.se_weights["se"].shape == (8,)
    assert np.all((res.se_weights["se"] > 0) & (res.se_weights["se"] < 1))
    assert res.offsets["dconv"].shape == (18, 16, 16) and not res.offsets["dconv"].any()
    assert res.masks["dconv"].shape == (9, 16, 16) and np.allclose(res.masks["dconv"], 0.5)
    st = res.stats["conv1"]
    a = res.activations["conv1"]
    assert st.shape == (8, 16, 16) and math.isclose(st.max, float(a.max()))
    assert list(res.stats) == list(res.activations)
    for nid, act in res.activations.items():  # lazy, numpy float32: float64 reference
        st, ref = res.stats[nid], act.astype(np.float64)
        assert st is res.stats[nid] and st.shape == act.shape
        assert (st.min, st.max) == (float(act.min()), float(act.max()))
        assert math.isclose(st.mean, ref.mean(), rel_tol=1e-5, abs_tol=1e-6)
        assert math.isclose(st.std, ref.std(), rel_tol=1e-4, abs_tol=1e-6)
    assert not res.activations["conv1"].flags.writeable
    assert res.input_sources == {"x": "image"}
    assert res.memory_estimate == estimate_bytes(analyze(g))
    quick = run_graph(g, None, seed=3, capture=False)
    assert quick.activations == {} and np.array_equal(quick.outputs["unpool"],
                                                      res.outputs["unpool"])
    assert list(quick.stats) == ["unpool"]
    assert quick.stats["unpool"] == res.stats["unpool"]
    assert quick.shapes == res.shapes


def test_node_stats_edge_cases():
    empty = node_stats(np.zeros((0, 4), np.float32))
    assert empty.shape == (0, 4) and all(math.isnan(v) for v in
                                         (empty.min, empty.max, empty.mean, empty.std))
    ints = node_stats(np.array([[1, 3], [5, 7]], np.int64))
    assert (ints.min, ints.max, ints.mean) == (1.0, 7.0, 4.0)
    assert math.isclose(ints.std, math.sqrt(5.0), rel_tol=1e-6)
    lazy = LazyStats({"a": np.arange(4, dtype=np.float32)})
    assert len(lazy) == 1 and "a" in lazy and lazy.get("b") is None
    assert lazy["a"].max == 3.0


def test_prepare_input_image_conversions():
    g = Graph("in")
    g.add_node("Input", {"channels": 3, "height": 5, "width": 7}, "rgb")
    g.add_node("Input", {"channels": 1, "height": 5, "width": 7}, "gray")
    g.add_node("Input", {"channels": 4, "height": 5, "width": 7}, "four")
    g.add_node("Input", {"channels": 2, "depth": 3, "height": 5, "width": 7}, "vol")
    img8 = np.zeros((5, 7, 3), np.uint8)
    img8[..., 0] = 255
    rgb = prepare_input(g, "rgb", img8)
    assert rgb.shape == (1, 3, 5, 7) and rgb.dtype == np.float32
    assert np.allclose(rgb[0, 0], 1) and np.allclose(rgb[0, 1:], 0)
    assert np.allclose(prepare_input(g, "rgb", img8.astype(np.float32) / 255), rgb)
    gray = prepare_input(g, "gray", img8)
    assert gray.shape == (1, 1, 5, 7) and np.allclose(gray, 0.299)
    from_gray = prepare_input(g, "rgb", np.full((5, 7), 0.25, np.float32))
    assert np.allclose(from_gray, 0.25)
    # whole-image bilinear resize: a constant stays constant, a ramp stays monotone
    big = np.tile(np.linspace(0, 1, 70, dtype=np.float32), (50, 1))
    r = prepare_input(g, "gray", big)
    assert r.shape == (1, 1, 5, 7) and np.all(np.diff(r[0, 0], axis=1) > 0)
    assert np.allclose(prepare_input(g, "rgb", np.full((40, 9, 3), 0.5, np.float32)), 0.5)
    # other channel counts / 3D: seeded noise, different per Input and per seed
    four = prepare_input(g, "four", img8, seed=1)
    assert four.shape == (1, 4, 5, 7) and 0 <= four.min() and four.max() < 1
    assert np.array_equal(four, prepare_input(g, "four", None, seed=1))
    assert not np.array_equal(four, prepare_input(g, "four", None, seed=2))
    vol = prepare_input(g, "vol", None, seed=1)
    assert vol.shape == (1, 2, 3, 5, 7)
    # default: the bundled sample
    assert prepare_input(g, "rgb").shape == (1, 3, 5, 7)
    with pytest.raises(ImageError):
        prepare_input(g, "rgb", np.zeros((4, 4, 2)))
    with pytest.raises(ImageError):
        prepare_input(g, "rgb", np.full((4, 4), np.nan))
    with pytest.raises(ValueError):
        prepare_input(g, "nope", img8)


# -- weights ------------------------------------------------------------------------------
def test_weights_roundtrip_and_errors(tmp_path):
    g = small_graph()
    s = Session(g, seed=0)
    path = tmp_path / "w.pt"
    s.save_weights(path)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left
    other = Session(g, seed=5)
    r_before = other.run()
    other.load_weights(path)
    assert np.array_equal(other.run().outputs["unpool"], s.run().outputs["unpool"])
    assert not np.array_equal(r_before.outputs["unpool"], s.run().outputs["unpool"])
    # a state dict that does not fit: keys named
    state = torch.load(path, weights_only=True)
    state["extra.weight"] = torch.zeros(1)
    del state["conv1.bias"]
    state["dconv.weight"] = torch.zeros(2, 2, 3, 3)
    bad = tmp_path / "bad.pt"
    torch.save(state, bad)
    with pytest.raises(WeightsError) as info:
        s.load_weights(bad)
    msg = str(info.value)
    assert "conv1.bias" in msg and "extra.weight" in msg and "dconv.weight" in msg
    assert str(bad) in msg and "\n" not in msg
    for content, why in ((b"hello", "torch.save"), (b"", "torch.save")):
        f = tmp_path / "junk.pt"
        f.write_bytes(content)
        with pytest.raises(WeightsError, match=why):
            s.load_weights(f)
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(WeightsError, match="state dict"):
        s.load_weights(tmp_path / "list.pt")
    with pytest.raises(WeightsError, match="no such file"):
        s.load_weights(tmp_path / "missing.pt")
    # a failed save leaves the existing file alone
    with pytest.raises(OSError):
        s.save_weights(tmp_path / "no" / "dir" / "w.pt")


# -- session tools ------------------------------------------------------------------------
def test_effective_rf_stays_inside_the_theoretical_rf():
    g = load_graph(EXAMPLES / "hdc_dilated_stack.convgraph.json")
    s = Session(g, seed=0)
    s.run()
    res = s.analysis
    node = next(n for n in g.topo_order() if g.nodes[n].type == "Conv2d")
    shape = res.nodes[node].shape
    idx = (0, shape[1] // 2, shape[2] // 2)
    erf = s.effective_rf(node, idx)
    inp = g.topo_order()[0]
    assert erf.shape == tuple(res.nodes[inp].shape[1:]) and erf.dtype == np.float32
    assert erf.sum() > 0
    region = res.nodes[node].rf.region(idx[1:])
    ys, xs = np.nonzero(erf)
    (ylo, yhi, _), (xlo, xhi, _) = region
    assert ylo <= ys.min() and ys.max() <= yhi and xlo <= xs.min() and xs.max() <= xhi
    with pytest.raises(ValueError):
        s.effective_rf(node, (0, 0))
    with pytest.raises(ValueError):
        s.effective_rf(node, (shape[0], 0, 0))


def test_effective_rf_of_an_unrelated_input_is_zero():
    g = load_graph(EXAMPLES / "transposed_conv_arithmetic.convgraph.json")
    s = Session(g)
    inputs = s.input_ids
    assert len(inputs) == 2
    out = s.output_ids[0]
    reach = s.analysis.nodes[out].rf_by_input
    other = next(i for i in inputs if i not in reach)
    assert not s.effective_rf(out, (0, 0, 0), other).any()


def test_fit_offsets_moves_offsets_and_can_be_undone():
    g = Graph("fit")
    g.add_node("Input", {"channels": 3, "height": 24, "width": 24}, "x")
    g.add_node("Conv2d", {"out_channels": 6, "kernel_size": 3, "padding": 1}, "c")
    g.add_node("DeformConv2d", {"out_channels": 6, "kernel_size": 3, "padding": 1}, "d")
    g.connect("x", "c")
    g.connect("c", "d")
    s = Session(g, seed=0)
    s.run()
    seen = []
    fit = s.fit_offsets("d", steps=12, callback=lambda i, n, loss: seen.append((i, n, loss)))
    assert fit.steps == 12 and len(fit.losses) == 13 and len(seen) == 12
    assert fit.losses[-1] < fit.losses[0]
    assert fit.offsets.shape == (18, 24, 24) and np.abs(fit.offsets).mean() > 0.01
    assert fit.target_offsets.shape == (18,) and fit.target_offsets[8:10].tolist() == [0, 0]
    assert np.abs(s.run().offsets["d"]).mean() > 0.01
    s.reset_offsets("d")
    assert not s.run().offsets["d"].any()

    def cancel(i, n, loss):
        if i == 3:
            raise RunCancelled()
    assert s.fit_offsets("d", steps=10, callback=cancel).steps == 3
    with pytest.raises(ValueError):
        s.fit_offsets("c")


def test_verify_export_matches_engine():
    from engine.export import export_code
    g = small_graph("Verify me")
    s = Session(g, seed=4)
    s.run()
    assert s.verify_export(export_code(g)) <= 1e-5
    with pytest.raises(WeightsError):
        s.verify_export(export_code(small_graph(channels=1)))


def test_session_from_dict_and_bad_dicts():
    g = small_graph()
    s = Session(g.to_dict(), seed=0)
    assert s.input_ids == ("x",) and s.output_ids == ("unpool",)
    with pytest.raises(RuntimeGraphError):
        Session({"nodes": [{"id": "x", "type": "Nope"}]})


# -- images -------------------------------------------------------------------------------
def test_load_image_modes_and_errors(tmp_path):
    from PIL import Image
    rgb = tmp_path / "rgb.png"
    Image.new("RGB", (6, 4), (10, 20, 30)).save(rgb)
    a = load_image(rgb)
    assert a.shape == (4, 6, 3) and a.dtype == np.uint8 and tuple(a[0, 0]) == (10, 20, 30)
    gray = tmp_path / "g.png"
    Image.new("L", (3, 2), 7).save(gray)
    assert load_image(gray).shape == (2, 3)
    rgba = tmp_path / "a.png"
    Image.new("RGBA", (2, 2), (0, 0, 0, 0)).save(rgba)
    assert np.all(load_image(rgba) == 255)  # transparent -> white
    i16 = tmp_path / "i16.png"
    Image.fromarray(np.full((2, 2), 65535, np.uint16)).save(i16)
    b = load_image(i16)
    assert b.dtype == np.float32 and np.allclose(b, 1.0)
    for path, why in ((tmp_path / "missing.png", "no such file"), (tmp_path, "directory")):
        with pytest.raises(ImageError, match=why):
            load_image(path)
    junk = tmp_path / "junk.png"
    junk.write_text("not an image")
    with pytest.raises(ImageError, match="junk.png"):
        load_image(junk)
    trunc = tmp_path / "trunc.png"
    trunc.write_bytes(rgb.read_bytes()[:40])
    with pytest.raises(ImageError):
        load_image(trunc)


def test_mosaic_and_save_png(tmp_path):
    act = np.stack([np.arange(12, dtype=np.float32).reshape(3, 4) * (c + 1) - c
                    for c in range(5)])
    m = mosaic(act, pad=1)
    assert m.shape == (2 * 4 + 1, 3 * 5 + 1) and m.dtype == np.float32
    assert m.min() == 0 and m.max() == 1
    assert np.allclose(m[1:4, 1:5], np.arange(12).reshape(3, 4) / 11)  # per channel
    assert mosaic(act, cols=5, pad=0).shape == (3, 20)
    assert mosaic(np.zeros((2, 3, 3))).max() == 1.0  # constant maps: 0, padding 1
    assert mosaic(np.zeros((2, 3, 3)), pad_value=0).max() == 0
    assert mosaic(np.random.rand(4, 2, 3, 3)).shape == (2 * 4 + 1, 2 * 4 + 1)  # mid slice
    assert mosaic(np.arange(6.0)).shape == (1, 6)
    assert mosaic(np.random.rand(3, 1, 1), min_tile=4, pad=0).shape == (8, 8)
    out = tmp_path / "m.png"
    save_png(out, m)
    from PIL import Image
    with Image.open(out) as im:
        assert im.size == (m.shape[1], m.shape[0]) and im.mode == "L"
    save_png(out, np.zeros((2, 2, 3), np.uint8))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.png"]


def test_session_reuses_exact_inputs_and_keeps_them():
    g = small_graph()
    s = Session(g, seed=2)
    first = s.run(np.random.default_rng(1).random((9, 9, 3)))
    again = Session(g, seed=2).run(dict(first.inputs))
    assert again.input_sources == {"x": "given"}
    assert np.array_equal(again.outputs["unpool"], first.outputs["unpool"])
    kept = s.run(None, keep_input=True)
    assert np.array_equal(kept.inputs["x"], first.inputs["x"])
    with pytest.raises(ValueError, match="expects shape"):
        s.set_input({"x": np.zeros((1, 3, 4, 4), np.float32)})


# -- engine process (the designer's runtime) ----------------------------------------------
@pytest.fixture(scope="module")
def engine_process():
    from engine.runtime.process import EngineProcess, available

    if not available():
        pytest.skip("no engine process on this platform")
    proc = EngineProcess()
    yield proc
    proc.close()


def test_wire_format_keeps_arrays_and_read_only_flags():
    import socket
    from multiprocessing.connection import Connection

    from engine.runtime.process import recv, send

    a, b = socket.socketpair()
    left, right = Connection(a.detach()), Connection(b.detach())
    ro = np.arange(12, dtype=np.float32).reshape(3, 4)
    ro.flags.writeable = False
    rw = np.ones((2, 2), np.int64)
    strided = np.arange(20.0)[::2]
    send(left, {"ro": ro, "rw": rw, "strided": strided, "same": ro, "empty": np.zeros(0)})
    got = right.poll(5) and recv(right)
    assert np.array_equal(got["ro"], ro) and not got["ro"].flags.writeable
    assert np.array_equal(got["rw"], rw) and got["rw"].flags.writeable
    assert np.array_equal(got["strided"], strided) and got["same"] is got["ro"]
    assert got["empty"].shape == (0,)
    left.close()
    right.close()


def test_remote_session_gives_the_engine_results(engine_process):
    from engine.runtime.process import RemoteRuntime
    from engine.runtime.results import RunResult

    rt = RemoteRuntime(engine_process)
    g = small_graph()
    image = np.random.default_rng(4).random((12, 10, 3))
    here = Session(g, seed=5).run(image)
    remote = rt.Session(g.to_dict(), 5)
    steps = []
    res = remote.run(image, lambda *a: steps.append(a))
    assert isinstance(res, RunResult) and len(steps) == len(g)
    assert list(res.activations) == list(here.activations)
    for nid, act in here.activations.items():
        assert np.array_equal(res.activations[nid], act)
        assert not res.activations[nid].flags.writeable
    assert np.array_equal(res.masks["dconv"], here.masks["dconv"])
    assert res.stats["conv1"] == here.stats["conv1"]
    again = remote.run(None, keep_input=True)
    assert np.array_equal(again.inputs["x"], here.inputs["x"])
    assert remote.effective_rf("conv1", (0, 3, 3)).shape == (16, 16)
    fit = remote.fit_offsets("dconv", 2)
    assert fit.steps == 2 and len(fit.losses) == 3
    assert np.array_equal(rt.prepare_input(g, "x", image, 5), here.inputs["x"])
    remote.close()
    assert not remote.alive


def test_remote_errors_and_cancel_keep_their_types(engine_process, tmp_path):
    from engine.runtime.process import EngineProcessError, RemoteRuntime

    rt = RemoteRuntime(engine_process)
    g = small_graph()
    with pytest.raises(RuntimeGraphError, match="no Input"):
        rt.Session({"nodes": [], "edges": []}, 0)
    with pytest.raises(MemoryLimitError) as info:
        rt.Session(g.to_dict(), 0, memory_limit=1000)
    assert info.value.limit == 1000
    remote = rt.Session(g.to_dict(), 0)
    with pytest.raises(WeightsError, match="no such file") as info:
        remote.load_weights(tmp_path / "missing.pt")
    assert info.value.path == str(tmp_path / "missing.pt")

    class Stop(Exception):
        pass

    def stop_at_three(done, total, node):
        if done == 3:
            raise Stop(node)
    with pytest.raises(Stop):
        remote.run(None, stop_at_three)
    assert len(remote.run(None, keep_input=True).activations) == len(g)  # still usable

    # a file the engine cannot write is the engine's answer, not a dead connection:
    # the user sees the file-system error and the process (its fitted weights) lives on
    pid = engine_process.pid
    fit = remote.fit_offsets("dconv", 2)
    fitted = remote.state_dict()
    for bad in (tmp_path / "no_such_dir" / "w.pt", tmp_path):
        with pytest.raises(OSError) as info:
            remote.save_weights(bad)
        assert not isinstance(info.value, EngineProcessError)
        assert "stopped unexpectedly" not in str(info.value)
    assert engine_process.pid == pid and remote.alive and fit.steps == 2
    after = remote.state_dict()
    assert all(np.array_equal(after[k], v) for k, v in fitted.items())


def test_engine_process_restarts_after_dying():
    import os
    import signal

    from engine.runtime.process import EngineProcess, EngineProcessError, RemoteRuntime

    proc = EngineProcess()
    try:
        rt = RemoteRuntime(proc)
        remote = rt.Session(small_graph().to_dict(), 0)
        os.kill(proc.pid, signal.SIGKILL)
        with pytest.raises(EngineProcessError, match="stopped unexpectedly"):
            remote.run(None)
        assert not remote.alive
        assert len(rt.Session(small_graph().to_dict(), 0).run(None).activations) == 8
    finally:
        proc.close()


def test_engine_process_client_never_imports_torch():
    import subprocess
    import sys

    code = ("import sys\n"
            "import engine\n"
            "from engine.runtime.process import RemoteRuntime\n"
            f"g = engine.load_graph({str(EXAMPLES / 'classifier_tour.convgraph.json')!r})\n"
            "rt = RemoteRuntime()\n"
            "r = rt.Session(g.to_dict(), 0).run(None)\n"
            "print(len(r.activations), r.stats['stem_conv'].shape, 'torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["23", "(16,", "128,", "128)", "False"]


def test_engine_process_close_does_not_wait_for_a_hung_request():
    import os
    import signal
    import threading
    import time

    from engine.runtime.process import EngineProcess, EngineProcessError, RemoteRuntime

    proc = EngineProcess()
    remote = RemoteRuntime(proc).Session(small_graph().to_dict(), 0)
    os.kill(proc.pid, signal.SIGSTOP)  # the child hangs: the next request waits for it
    errors = []

    def job():
        try:
            remote.run(None)
        except EngineProcessError as exc:
            errors.append(exc)
    t = threading.Thread(target=job, daemon=True)
    t.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    proc.close(timeout_s=1.0)
    t.join(5)
    assert time.monotonic() - t0 < 5 and not t.is_alive() and not proc.alive
    assert errors and "stopped unexpectedly" in str(errors[0])
