"""Convolutions of the catalogue against torch itself (issue 2): Conv2d/3d,
ConvTranspose2d/3d (output_padding and target_size), the separable convs and
DeformConv2d; shape, parameter count, MACs and refusals (``catalogue_harness.py``)."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from .catalogue_harness import (
    MANY,
    SOME,
    TORCH_ERRORS,
    as_tuple,
    batched,
    compare,
    conv2d_padding,
    conv_macs,
    engine_node,
    nparams,
    per_axis,
    run_torch,
    shape_of,
    tconv_macs,
)

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("torch_one_thread")]


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
