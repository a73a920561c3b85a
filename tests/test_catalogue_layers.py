"""The other layer kinds of the catalogue against torch itself (issue 2): attention,
shuffle, norms, activations, pooling, unpooling, upsampling, dense layers and merges;
shape, parameter count, MACs and refusals (``catalogue_harness.py``)."""

from __future__ import annotations

import functools
import sys

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from torch import nn

from engine import CATALOGUE, Graph, analyze

from .catalogue_harness import (
    FEW,
    MANY,
    SOME,
    TORCH_ERRORS,
    Got,
    any_rank_shape,
    as_tuple,
    batched,
    compare,
    conv_macs,
    engine_node,
    nparams,
    per_axis,
    run_torch,
    shape_of,
)

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("torch_one_thread")]


# -- attention, shuffle, norm, activations ---------------------------------------------
@FEW
@given(data=st.data())
def test_squeeze_excitation(data):
    draw = data.draw
    c = draw(st.integers(1, 64))
    shape = shape_of(draw, 2 if draw(st.integers(0, 9)) else draw(st.sampled_from([1, 3])), c,
                     hi=8)
    r = draw(st.integers(1, 40))
    hidden = max(1, c // r)

    def ref(xs):
        x = xs[0]
        if x.dim() != 4:
            raise RuntimeError("SE needs an N×C×H×W input")
        pool = nn.AdaptiveAvgPool2d(1)
        fc1, fc2 = nn.Conv2d(c, hidden, 1), nn.Conv2d(hidden, c, 1)
        z = pool(x)
        h = fc1(z)
        w = fc2(torch.relu(h))
        y = x * torch.sigmoid(w)
        return y, nparams(fc1, fc2), conv_macs(fc1, h) + conv_macs(fc2, w)

    compare(engine_node([shape], "SqueezeExcitation", {"reduction": r}),
            run_torch(ref, [shape]), f"{shape} r={r}")


@FEW
@given(data=st.data())
def test_channel_shuffle(data):
    draw = data.draw
    shape = any_rank_shape(draw)
    g = draw(st.integers(1, 6))

    def ref(xs):
        return nn.ChannelShuffle(g)(xs[0]), 0, 0

    compare(engine_node([shape], "ChannelShuffle", {"groups": g}), run_torch(ref, [shape]),
            f"{shape} g={g}")


@pytest.mark.parametrize("dims", [2, 3])
@FEW
@given(data=st.data())
def test_batchnorm(dims, data):
    draw = data.draw
    shape = any_rank_shape(draw)
    eps = draw(st.floats(1e-8, 0.5))
    mom = draw(st.floats(0.0, 1.0))

    def ref(xs):
        bn = (nn.BatchNorm2d if dims == 2 else nn.BatchNorm3d)(shape[0], eps, mom).eval()
        return bn(xs[0]), nparams(bn), 0

    compare(engine_node([shape], f"BatchNorm{dims}d", {"eps": eps, "momentum": mom}),
            run_torch(ref, [shape]), f"{shape}")


@pytest.mark.parametrize("type_name", ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "SiLU",
                                       "Dropout"])
@FEW
@given(data=st.data())
def test_elementwise(type_name, data):
    draw = data.draw
    shape = any_rank_shape(draw)
    params = {}
    if type_name == "LeakyReLU":
        params["negative_slope"] = draw(st.floats(0.0, 1.0))
    if type_name == "Dropout":
        params["p"] = draw(st.floats(0.0, 1.0))

    def ref(xs):
        if type_name == "Dropout":
            m = nn.Dropout(params["p"])
        elif type_name == "LeakyReLU":
            m = nn.LeakyReLU(params["negative_slope"])
        else:
            m = getattr(nn, type_name)()
        return m.eval()(xs[0]), nparams(m), 0

    compare(engine_node([shape], type_name, params), run_torch(ref, [shape]), f"{shape}")


# -- pooling, upsampling --------------------------------------------------------------
@pytest.mark.parametrize("op", ["Max", "Avg"])
@pytest.mark.parametrize("dims", [2, 3])
@MANY
@given(data=st.data())
def test_pool(op, dims, data):
    draw = data.draw
    rank = dims if draw(st.integers(0, 19)) else draw(st.sampled_from([1, 2, 3]))
    shape = shape_of(draw, rank, hi=10 if dims == 2 else 6)
    k = as_tuple(draw(per_axis(dims, 1, 4)), dims)
    s = draw(st.one_of(st.none(), per_axis(dims, 1, 3)))
    p = as_tuple(draw(per_axis(dims, 0, 2)), dims)
    ceil = draw(st.booleans())
    params = {"kernel_size": list(k), "stride": s, "padding": list(p), "ceil_mode": ceil}
    d = (1,) * dims
    if op == "Max":
        d = as_tuple(draw(per_axis(dims, 1, 3)), dims)
        params["dilation"] = list(d)
    stride = k if s is None else as_tuple(s, dims)

    def ref(xs):
        cls = getattr(nn, f"{op}Pool{dims}d")
        if op == "Max":
            m = cls(k, stride, p, d, ceil_mode=ceil)
        else:
            m = cls(k, stride, p, ceil_mode=ceil)
        return m(batched(xs[0], dims)), 0, 0

    compare(engine_node([shape], f"{op}Pool{dims}d", params), run_torch(ref, [shape]),
            f"{shape} {params}")


@SOME
@given(data=st.data())
def test_max_unpool_after_max_pool(data):
    draw = data.draw
    shape = shape_of(draw, 2, hi=12)
    k = as_tuple(draw(per_axis(2, 1, 4)), 2)
    s = as_tuple(draw(per_axis(2, 1, 3)), 2)
    p = tuple(draw(st.integers(0, kk // 2)) for kk in k)
    d = as_tuple(draw(per_axis(2, 1, 2)), 2)
    ceil = draw(st.booleans())
    pool_params = {"kernel_size": list(k), "stride": list(s), "padding": list(p),
                   "dilation": list(d), "ceil_mode": ceil}
    if draw(st.integers(0, 3)):
        uk, us, up = k, s, p
    else:
        uk = as_tuple(draw(per_axis(2, 1, 4)), 2)
        us = as_tuple(draw(per_axis(2, 1, 3)), 2)
        up = tuple(draw(st.integers(0, kk // 2)) for kk in uk)
    unpool_params = {"kernel_size": list(uk), "stride": list(us), "padding": list(up)}

    pool = nn.MaxPool2d(k, s, p, d, return_indices=True, ceil_mode=ceil)
    try:
        pooled, idx = pool(torch.zeros(1, *shape))
    except TORCH_ERRORS:
        assume(False)
    # with dilation a window can lie entirely in the padding: torch then returns -inf and
    # an index outside the input that MaxUnpool2d refuses (reported, not in the spec)
    assume(not torch.isinf(pooled).any())

    g = Graph("unpool")
    g.add_node("Input", {"channels": shape[0], "height": shape[1], "width": shape[2]}, "x")
    g.add_node("MaxPool2d", pool_params, "pool")
    g.add_node("MaxUnpool2d", unpool_params, "n")
    g.connect("x", "pool")
    g.connect("pool", "n", 0)
    g.connect("pool", "n", 1)
    r = analyze(g)
    assert r.nodes["pool"].shape == tuple(pooled.shape[1:])
    nr = r.nodes["n"]
    eng = Got(error=nr.error.message) if nr.error else Got(shape=nr.shape, params=nr.params,
                                                           macs=nr.macs)

    def ref(xs):
        unpool = nn.MaxUnpool2d(uk, us, up)
        return unpool(pooled, idx, output_size=shape[1:]), 0, 0

    compare(eng, run_torch(ref, [shape]), f"{shape} {pool_params} {unpool_params}")
    if eng.error is None:
        assert eng.shape == shape  # the pool's input size


@pytest.mark.parametrize("dims", [2, 3])
@SOME
@given(data=st.data())
def test_adaptive_avg_pool(dims, data):
    draw = data.draw
    rank = dims if draw(st.integers(0, 9)) else draw(st.sampled_from([1, 2, 3]))
    shape = shape_of(draw, rank, hi=10 if rank == 2 else 6)
    out = draw(per_axis(dims, 1, 8))

    def ref(xs):
        pool = getattr(nn, f"AdaptiveAvgPool{dims}d")(as_tuple(out, dims))
        return pool(batched(xs[0], dims)), 0, 0

    compare(engine_node([shape], f"AdaptiveAvgPool{dims}d", {"output_size": out}),
            run_torch(ref, [shape]), f"{shape} {out}")


FRACTIONAL_SCALES = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 1 / 3, 2 / 3, 0.4]


@MANY
@given(data=st.data())
def test_upsample(data):
    draw = data.draw
    rank = draw(st.sampled_from([1, 2, 2, 2, 3, 3]))
    shape = shape_of(draw, rank, c=draw(st.integers(1, 3)), hi=9 if rank == 2 else 5)
    scale = draw(st.one_of(st.sampled_from(FRACTIONAL_SCALES),
                           st.floats(0.05, 4.0, allow_nan=False)))
    mode = draw(st.sampled_from(["nearest", "bilinear", "bicubic", "trilinear"]))
    align = draw(st.sampled_from([None, None, True, False]))
    params = {"scale_factor": scale, "mode": mode, "align_corners": align}

    def ref(xs):
        return nn.Upsample(scale_factor=scale, mode=mode, align_corners=align)(xs[0]), 0, 0

    compare(engine_node([shape], "Upsample", params), run_torch(ref, [shape]),
            f"{shape} {params}")


# -- dense ------------------------------------------------------------------------------
@FEW
@given(data=st.data())
def test_flatten(data):
    shape = any_rank_shape(data.draw)
    compare(engine_node([shape], "Flatten", {}),
            run_torch(lambda xs: (nn.Flatten()(xs[0]), 0, 0), [shape]), f"{shape}")


@FEW
@given(data=st.data())
def test_linear(data):
    draw = data.draw
    f = draw(st.integers(1, 300))
    out = draw(st.integers(1, 64))
    bias = draw(st.booleans())

    def ref(xs):
        lin = nn.Linear(f, out, bias)
        return lin(xs[0]), nparams(lin), f * out

    compare(engine_node([(f,)], "Linear", {"out_features": out, "bias": bias}),
            run_torch(ref, [(f,)]), f"{f} → {out}")


def test_linear_needs_a_flat_input():
    got = engine_node([(4, 5, 5)], "Linear", {"out_features": 10})
    assert got.error is not None and "Flatten" in got.error


# -- merges -----------------------------------------------------------------------------
@pytest.mark.parametrize("type_name", ["Add", "Multiply", "Concat"])
@SOME
@given(data=st.data())
def test_merge(type_name, data):
    draw = data.draw
    n = draw(st.integers(2, 4))
    rank = draw(st.sampled_from([1, 2, 2, 3]))
    # sizes >= 2 so that torch's broadcasting never hides a mismatch
    first = shape_of(draw, rank, c=draw(st.integers(2, 6)), lo=2, hi=6)
    shapes = [first]
    for _ in range(n - 1):
        if draw(st.integers(0, 2)):
            other = list(first)
            if type_name == "Concat":
                other[0] = draw(st.integers(1, 6))
        else:
            r2 = rank if type_name != "Concat" or draw(st.integers(0, 3)) else \
                draw(st.sampled_from([1, 2, 3]))
            other = list(shape_of(draw, r2, c=draw(st.integers(2, 6)), lo=2, hi=6))
        shapes.append(tuple(other))
    # Add and Multiply of different ranks: torch broadcasts them, the engine refuses
    # them (test_graph_model); here only cases both sides can be compared on
    assume(type_name == "Concat" or all(len(s) == len(first) for s in shapes))

    def ref(xs):
        if type_name == "Concat":
            return torch.cat(xs, dim=1), 0, 0
        op = torch.add if type_name == "Add" else torch.mul
        y = functools.reduce(op, xs)
        if y.shape != xs[0].shape or any(x.shape != y.shape for x in xs):
            raise RuntimeError("broadcast")  # the engine wants equal shapes
        return y, 0, 0

    compare(engine_node(shapes, type_name, {}), run_torch(ref, shapes), f"{shapes}")


def test_input_shapes():
    g = Graph()
    g.add_node("Input", {"channels": 2, "height": 5, "width": 7}, "a")
    g.add_node("Input", {"channels": 1, "depth": 3, "height": 4, "width": 6}, "b")
    g.add_node("Input", {}, "c")
    r = analyze(g)
    assert r.nodes["a"].shape == (2, 5, 7)
    assert r.nodes["b"].shape == (1, 3, 4, 6)
    assert r.nodes["c"].shape == (3, 224, 224)
    assert all(r.nodes[i].params == 0 and r.nodes[i].macs == 0 for i in "abc")


# Every type of the catalogue has a test against torch (here or in test_catalogue_conv.py):
# a new type must get one.
COVERED = {
    "Input": "test_input_shapes", "Conv2d": "test_conv", "Conv3d": "test_conv",
    "ConvTranspose2d": "test_conv_transpose", "ConvTranspose3d": "test_conv_transpose",
    "DepthwiseSeparableConv2d": "test_depthwise_separable",
    "SpatiallySeparableConv2d": "test_spatially_separable", "DeformConv2d": "test_deform_conv",
    "SqueezeExcitation": "test_squeeze_excitation", "ChannelShuffle": "test_channel_shuffle",
    "BatchNorm2d": "test_batchnorm", "BatchNorm3d": "test_batchnorm",
    **dict.fromkeys(["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "SiLU", "Dropout"],
                    "test_elementwise"),
    **dict.fromkeys(["MaxPool2d", "AvgPool2d", "MaxPool3d", "AvgPool3d"], "test_pool"),
    "MaxUnpool2d": "test_max_unpool_after_max_pool",
    "AdaptiveAvgPool2d": "test_adaptive_avg_pool", "AdaptiveAvgPool3d": "test_adaptive_avg_pool",
    "Upsample": "test_upsample", "Flatten": "test_flatten", "Linear": "test_linear",
    **dict.fromkeys(["Add", "Multiply", "Concat"], "test_merge"),
    # test_catalogue_new.py; Opaque has no module: test_opaque.py
    **dict.fromkeys(["ReLU6", "Hardswish", "Hardsigmoid", "Softmax"], "test_new_activations"),
    "Pad2d": "test_pad2d", "Crop2d": "test_crop2d", "ChannelSlice": "test_channel_slice",
    "Opaque": "test_opaque_analysis_uses_the_recorded_shape_params_and_macs",
}


def test_every_catalogue_type_is_covered():
    from . import test_catalogue_conv, test_catalogue_new, test_opaque

    assert set(CATALOGUE) == set(COVERED)
    tests = {name for module in (test_catalogue_conv, test_catalogue_new, test_opaque,
                                 sys.modules[__name__])
             for name in vars(module) if name.startswith("test_")}
    assert set(COVERED.values()) <= tests, set(COVERED.values()) - tests
