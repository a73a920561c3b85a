"""The torch runtime (issue 3): build, trace, capture and the numpy-only run API.

Small graphs and inputs only; no timed assertions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pytest
import torch
from torch import nn

from engine import Graph, analyze, load_graph
from engine.nnlib import Add, SqueezeExcitation
from engine.runtime import (
    ImageError,
    MemoryLimitError,
    RunCancelled,
    RuntimeGraphError,
    Session,
    build_model,
    graph_info,
    prepare_input,
    run_graph,
    run_trace,
)
from engine.runtime.build import default_memory_limit, estimate_bytes
from engine.runtime.run import LazyStats, node_stats

from .runtime_helpers import EXAMPLES, n_params, small_graph

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("torch_one_thread")]


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
    # state_dict keys are "<node id>.<attribute path>": only nodes with weights have any
    keys = set(model.state_dict())
    assert {k.split(".", 1)[0] for k in keys} == {"conv1", "se", "dconv"}
    assert {"conv1.weight", "conv1.bias", "se.fc1.weight", "se.fc2.bias", "dconv.weight",
            "dconv.offset_conv.weight"} <= keys


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
    est = estimate_bytes(g)  # per node: tests/test_memory_guard.py
    assert est > res.activation_bytes + 4 * res.total_params
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
    assert res.memory_estimate == estimate_bytes(g)
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
