"""Every layer kind of the catalogue against torch itself (issue 2).

For random valid (and some invalid) parameters of every type in
``engine.CATALOGUE`` the test builds the equivalent module(s) directly from
``torch.nn`` (not through ``engine.runtime`` / ``engine.nnlib``), runs them on a
tensor of the analysed input shape and compares:

- output shape (batch dimension dropped) with the analysis' shape,
- ``sum(p.numel())`` with the analysis' parameter count,
- the MACs with the formulas of graph-format.md, evaluated here on torch's own
  shapes,
- failure: where torch refuses the shapes/parameters the analysis must report an
  error, and vice versa (for the shape-level rules both sides share).
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import pytest

torch = pytest.importorskip("torch")
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch import nn  # noqa: E402

from engine import CATALOGUE, Graph, GraphEditError, analyze  # noqa: E402

pytestmark = pytest.mark.torch

FEW = settings(max_examples=30, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
SOME = settings(FEW, max_examples=60)
MANY = settings(FEW, max_examples=120)

TORCH_ERRORS = (RuntimeError, ValueError, IndexError)


# -- harness -----------------------------------------------------------------------
@dataclass
class Got:
    error: str | None = None
    shape: tuple | None = None
    params: int | None = None
    macs: int | None = None


def add_inputs(g: Graph, shapes) -> list[str]:
    """One Input per shape; a 1-D shape [F] is an Input F×1×1 then a Flatten."""
    ids = []
    for i, shp in enumerate(shapes):
        if len(shp) == 1:
            g.add_node("Input", {"channels": shp[0], "height": 1, "width": 1}, f"in{i}")
            g.add_node("Flatten", {}, f"flat{i}")
            g.connect(f"in{i}", f"flat{i}")
            ids.append(f"flat{i}")
        elif len(shp) == 3:
            g.add_node("Input", {"channels": shp[0], "height": shp[1], "width": shp[2]},
                       f"in{i}")
            ids.append(f"in{i}")
        else:
            g.add_node("Input", {"channels": shp[0], "depth": shp[1], "height": shp[2],
                                 "width": shp[3]}, f"in{i}")
            ids.append(f"in{i}")
    return ids


def engine_node(shapes, type_name, params) -> Got:
    """Analyse Input(s) → one node of ``type_name``; an edit refusal counts as error."""
    g = Graph("probe")
    srcs = add_inputs(g, shapes)
    try:
        g.add_node(type_name, params, "n")
    except GraphEditError as exc:
        return Got(error=exc.message)
    for port, s in enumerate(srcs):
        g.connect(s, "n", port)
    r = analyze(g)
    nr = r.nodes["n"]
    others = [e for e in r.errors if e.node != "n"]
    assert not others, others
    if nr.error is not None:
        assert nr.shape is None and nr.params is None
        return Got(error=nr.error.message)
    assert r.valid
    assert isinstance(nr.params, int) and isinstance(nr.macs, int)
    return Got(shape=tuple(nr.shape), params=nr.params, macs=nr.macs)


def nparams(*modules) -> int:
    return sum(p.numel() for m in modules for p in m.parameters())


def run_torch(fn, shapes) -> Got:
    """``fn(xs) -> (output, params, macs)`` on zero tensors of ``shapes`` (batch 1)."""
    xs = [torch.zeros(1, *s) for s in shapes]
    try:
        with torch.no_grad():
            y, p, macs = fn(xs)
    except TORCH_ERRORS as exc:
        return Got(error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    if y.numel() == 0:  # some torch kernels return an empty tensor instead of failing
        return Got(error=f"empty output {tuple(y.shape)}")
    return Got(shape=tuple(y.shape[1:]), params=p, macs=macs)


def compare(eng: Got, ref: Got, what=""):
    if ref.error is not None:
        assert eng.error is not None, f"{what}: torch fails ({ref.error}) but the analysis " \
                                      f"accepts it as {eng.shape}"
        return
    assert eng.error is None, f"{what}: torch gives {ref.shape} but the analysis says " \
                              f"{eng.error!r}"
    assert eng.shape == ref.shape, what
    assert eng.params == ref.params, what
    assert eng.macs == ref.macs, what


def batched(x, dims):
    """torch reads a tensor one rank short as unbatched: refuse that as the engine does."""
    if x.dim() != dims + 2:
        raise RuntimeError(f"expected a batched {dims}D input, got {tuple(x.shape)}")
    return x


def conv_macs(conv: nn.Module, y) -> int:
    """Spec: C_out · prod(out spatial) · (C_in / groups) · prod(kernel)."""
    return (conv.out_channels * math.prod(y.shape[2:]) * (conv.in_channels // conv.groups)
            * math.prod(conv.kernel_size))


def tconv_macs(conv: nn.Module, x) -> int:
    """Spec: C_in · prod(in spatial) · (C_out / groups) · prod(kernel)."""
    return (conv.in_channels * math.prod(x.shape[2:]) * (conv.out_channels // conv.groups)
            * math.prod(conv.kernel_size))


# -- strategies -----------------------------------------------------------------------
def per_axis(n, lo, hi):
    """An int or a list of ``n`` ints (the graph file accepts both)."""
    return st.one_of(st.integers(lo, hi), st.lists(st.integers(lo, hi), min_size=n,
                                                   max_size=n))


def as_tuple(v, n):
    return tuple(v) if isinstance(v, list) else (v,) * n


def shape_of(draw, dims, c=None, lo=1, hi=12):
    c = draw(st.integers(1, 12)) if c is None else c
    if dims == 1:
        return (c,)
    return (c, *(draw(st.integers(lo, hi)) for _ in range(dims)))


def any_rank_shape(draw, c=None):
    dims = draw(st.sampled_from([1, 2, 2, 3]))
    return shape_of(draw, dims, c, hi=7 if dims == 3 else 10)


# -- convolutions -------------------------------------------------------------------
@pytest.mark.parametrize("dims", [2, 3])
@MANY
@given(data=st.data())
def test_conv(dims, data):
    draw = data.draw
    groups = draw(st.sampled_from([1, 1, 1, 2, 3, 4]))
    cin = draw(st.integers(1, 4)) * groups if draw(st.integers(0, 9)) else \
        draw(st.integers(1, 12))
    cout = draw(st.integers(1, 4)) * groups if draw(st.integers(0, 9)) else \
        draw(st.integers(1, 12))
    hi = 12 if dims == 2 else 6
    rank = dims if draw(st.integers(0, 19)) else draw(st.sampled_from([1, 2, 3]))
    shape = shape_of(draw, rank, cin, hi=hi)
    k = draw(per_axis(dims, 1, 5 if dims == 2 else 3))
    s = draw(per_axis(dims, 1, 3))
    d = draw(per_axis(dims, 1, 3))
    pad = draw(st.one_of(per_axis(dims, 0, 3), st.sampled_from(["same", "valid"])))
    mode = draw(st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"]))
    bias = draw(st.booleans())
    params = {"out_channels": cout, "kernel_size": k, "stride": s, "padding": pad,
              "dilation": d, "groups": groups, "bias": bias, "padding_mode": mode}

    def ref(xs):
        cls = nn.Conv2d if dims == 2 else nn.Conv3d
        conv = cls(cin, cout, as_tuple(k, dims), as_tuple(s, dims),
                   pad if isinstance(pad, str) else as_tuple(pad, dims), as_tuple(d, dims),
                   groups, bias, mode)
        y = conv(batched(xs[0], dims))
        return y, nparams(conv), conv_macs(conv, y)

    compare(engine_node([shape], f"Conv{dims}d", params), run_torch(ref, [shape]),
            f"{shape} {params}")


def reachable_sizes(make, x, n):
    """{output size tuple: output_padding} over every output_padding torch accepts."""
    found = {}
    for ops in itertools.product(range(4), repeat=n):
        try:
            with torch.no_grad():
                y = make(ops)(x)
        except TORCH_ERRORS:
            continue
        found.setdefault(tuple(y.shape[2:]), ops)
    return found


@pytest.mark.parametrize("dims", [2, 3])
@MANY
@given(data=st.data())
def test_conv_transpose(dims, data):
    draw = data.draw
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cin = draw(st.integers(1, 4)) * groups if draw(st.integers(0, 9)) else \
        draw(st.integers(1, 8))
    cout = draw(st.integers(1, 4)) * groups
    shape = shape_of(draw, dims, cin, hi=8 if dims == 2 else 4)
    k = as_tuple(draw(per_axis(dims, 1, 4)), dims)
    s = as_tuple(draw(per_axis(dims, 1, 3)), dims)
    p = as_tuple(draw(per_axis(dims, 0, 3)), dims)
    d = as_tuple(draw(per_axis(dims, 1, 3)), dims)
    bias = draw(st.booleans())
    params = {"out_channels": cout, "kernel_size": list(k), "stride": list(s),
              "padding": list(p), "dilation": list(d), "groups": groups, "bias": bias}
    cls = nn.ConvTranspose2d if dims == 2 else nn.ConvTranspose3d

    def make(op):
        return cls(cin, cout, k, s, p, op, groups, bias, d)

    if draw(st.booleans()):
        op = as_tuple(draw(per_axis(dims, 0, 3)), dims)
        params["output_padding"] = list(op)

        def ref(xs):
            conv = make(op)
            y = conv(xs[0])
            return y, nparams(conv), tconv_macs(conv, xs[0])

        compare(engine_node([shape], f"ConvTranspose{dims}d", params),
                run_torch(ref, [shape]), f"{shape} {params}")
        return
    # target_size: reachable iff some output_padding that torch accepts gives it
    # (output_padding < max(stride, dilation) <= 3, so 0..3 covers them all)
    reach = reachable_sizes(make, torch.zeros(1, *shape), dims)
    base = [(n - 1) * ss - 2 * pp + dd * (kk - 1) + 1
            for n, kk, ss, pp, dd in zip(shape[1:], k, s, p, d, strict=True)]
    target = tuple(max(1, b + draw(st.integers(-1, 3))) for b in base)
    params["target_size"] = list(target)
    eng = engine_node([shape], f"ConvTranspose{dims}d", params)
    if target not in reach:
        assert eng.error is not None, (shape, params, sorted(reach))
        if cin % groups == 0 and min(base) >= 1:
            # the error names the sizes reachable along the first axis that fails
            axis_sizes = [sorted({sz[a] for sz in reach}) for a in range(dims)]
            bad = next(a for a in range(dims) if target[a] not in axis_sizes[a])
            assert "reachable" in eng.error, eng
            assert ", ".join(map(str, axis_sizes[bad])) in eng.error, (eng, axis_sizes)
        return
    ops = reach[target]

    def ref_t(xs):
        conv = make(ops)
        y = conv(xs[0])
        return y, nparams(conv), tconv_macs(conv, xs[0])

    got = run_torch(ref_t, [shape])
    assert got.shape[1:] == tuple(target)
    compare(eng, got, f"{shape} {params}")


def conv2d_padding(pad):
    return pad if isinstance(pad, str) else as_tuple(pad, 2)


@SOME
@given(data=st.data())
def test_depthwise_separable(data):
    draw = data.draw
    shape = shape_of(draw, 2 if draw(st.integers(0, 19)) else 3, hi=10)
    cin = shape[0]
    cout = draw(st.integers(1, 16))
    dm = draw(st.integers(1, 3))
    k = as_tuple(draw(per_axis(2, 1, 5)), 2)
    s = as_tuple(draw(per_axis(2, 1, 3)), 2)
    d = as_tuple(draw(per_axis(2, 1, 3)), 2)
    pad = draw(st.one_of(per_axis(2, 0, 3), st.sampled_from(["same", "valid"])))
    bias = draw(st.booleans())
    params = {"out_channels": cout, "kernel_size": list(k), "stride": list(s),
              "padding": pad, "dilation": list(d), "depth_multiplier": dm, "bias": bias}

    def ref(xs):
        mid = cin * dm
        dw = nn.Conv2d(cin, mid, k, s, conv2d_padding(pad), d, groups=cin, bias=bias)
        pw = nn.Conv2d(mid, cout, 1, bias=bias)
        h = dw(xs[0])
        y = pw(h)
        return y, nparams(dw, pw), conv_macs(dw, h) + conv_macs(pw, y)

    compare(engine_node([shape], "DepthwiseSeparableConv2d", params), run_torch(ref, [shape]),
            f"{shape} {params}")


@SOME
@given(data=st.data())
def test_spatially_separable(data):
    draw = data.draw
    shape = shape_of(draw, 2, hi=10)
    cin = shape[0]
    cout = draw(st.integers(1, 12))
    (kh, kw), (sh, sw), (dh, dw) = (as_tuple(draw(per_axis(2, lo, hi)), 2)
                                    for lo, hi in ((1, 5), (1, 3), (1, 3)))
    pad = draw(st.one_of(per_axis(2, 0, 3), st.sampled_from(["same", "valid"])))
    bias = draw(st.booleans())
    params = {"out_channels": cout, "kernel_size": [kh, kw], "stride": [sh, sw],
              "padding": pad, "dilation": [dh, dw], "bias": bias}

    def ref(xs):
        if isinstance(pad, str):
            p1 = p2 = pad
        else:
            ph, pw = as_tuple(pad, 2)
            p1, p2 = (ph, 0), (0, pw)
        c1 = nn.Conv2d(cin, cout, (kh, 1), (sh, 1), p1, (dh, 1), bias=bias)
        c2 = nn.Conv2d(cout, cout, (1, kw), (1, sw), p2, (1, dw), bias=bias)
        h = c1(xs[0])
        y = c2(h)
        return y, nparams(c1, c2), conv_macs(c1, h) + conv_macs(c2, y)

    compare(engine_node([shape], "SpatiallySeparableConv2d", params), run_torch(ref, [shape]),
            f"{shape} {params}")


@SOME
@given(data=st.data())
def test_deform_conv(data):
    draw = data.draw
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    og = draw(st.sampled_from([1, 1, 2, 3]))
    cin = draw(st.integers(1, 3)) * math.lcm(groups, og) if draw(st.integers(0, 7)) else \
        draw(st.integers(1, 8))
    cout = draw(st.integers(1, 3)) * groups
    shape = shape_of(draw, 2, cin, hi=10)
    k = as_tuple(draw(per_axis(2, 1, 4)), 2)
    s = as_tuple(draw(per_axis(2, 1, 3)), 2)
    d = as_tuple(draw(per_axis(2, 1, 2)), 2)
    pad = draw(st.one_of(per_axis(2, 0, 2), st.sampled_from(["same", "valid"])))
    modulated = draw(st.booleans())
    bias = draw(st.booleans())
    params = {"out_channels": cout, "kernel_size": list(k), "stride": list(s),
              "padding": pad, "dilation": list(d), "groups": groups, "offset_groups": og,
              "modulated": modulated, "bias": bias}

    def ref(xs):
        # torchvision.ops.deform_conv2d needs in_channels divisible by offset groups
        if cin % og:
            raise ValueError("in_channels not divisible by offset_groups")
        coff = (3 if modulated else 2) * og * k[0] * k[1]
        main = nn.Conv2d(cin, cout, k, s, conv2d_padding(pad), d, groups, bias)
        offset = nn.Conv2d(cin, coff, k, s, conv2d_padding(pad), d, bias=True)
        y = main(xs[0])
        o = offset(xs[0])
        assert o.shape[2:] == y.shape[2:]
        bilinear = cin * math.prod(y.shape[2:]) * math.prod(k) * 4
        return y, nparams(main, offset), conv_macs(main, y) + conv_macs(offset, o) + bilinear

    compare(engine_node([shape], "DeformConv2d", params), run_torch(ref, [shape]),
            f"{shape} {params}")


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
    if type_name != "Concat" and any(len(s) != len(first) for s in shapes):
        return

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


# Every type of the catalogue has a test above: a new type must get one.
COVERED = {"Input", "Conv2d", "Conv3d", "ConvTranspose2d", "ConvTranspose3d",
           "DepthwiseSeparableConv2d", "SpatiallySeparableConv2d", "DeformConv2d",
           "SqueezeExcitation", "ChannelShuffle", "BatchNorm2d", "BatchNorm3d", "ReLU",
           "LeakyReLU", "Sigmoid", "Tanh", "GELU", "SiLU", "Dropout", "MaxPool2d",
           "AvgPool2d", "MaxPool3d", "AvgPool3d", "MaxUnpool2d", "AdaptiveAvgPool2d",
           "AdaptiveAvgPool3d", "Upsample", "Flatten", "Linear", "Add", "Multiply", "Concat"}


def test_every_catalogue_type_is_covered():
    assert set(CATALOGUE) == COVERED
