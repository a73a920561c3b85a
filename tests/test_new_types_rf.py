"""Receptive fields of the types added after the first release (issue 13) against torch.

- Pad2d, Crop2d and ChannelSlice in fixed and random chains, through the gradient oracle
  of ``rf_oracle.py`` (its ``build_graph`` extended here to layers whose parameters
  depend on the size that reaches them: a crop of fixed margins, a reflect padding
  clamped below the size, as the torch side does);
- Upsample, one output at a time against torch's gradient: by ``size``, with
  ``align_corners``, and fractional or large factors, in every mode. torch computes
  nearest's source index in float32 (``floorf(dst * (float)(in / out))``): where the
  exact source is an integer that rounding can land one pixel short; the analysis
  follows exact arithmetic, and those positions (found by replaying torch's float32
  arithmetic, itself checked against torch) are the only ones left out;
- Crop2d's reference and Opaque-free merges: a reference's Input does not reach the
  crop's field, nor its exact footprint; ChannelSlice's exact footprint follows its
  channels through a Concat.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st
from torch import nn

from engine import Analyzer, Graph, analyze
from engine.analysis import exact_footprint
from engine.catalogue.pooling import scale_ratio

from . import rf_oracle
from .rf_oracle import FEW, Net, Op, TooBig, chains, conv, pool, tconv, up

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("torch_one_thread")]


# -- the oracle, extended to size-dependent layers --------------------------------------------
def pad_box(h, w, pads, mode):
    """``(left, right, top, bottom)``: reflect below the size, circular at most the size."""
    cap_h, cap_w = {"reflect": (h - 1, w - 1), "circular": (h, w)}.get(mode, (10**9,) * 2)
    left, right, top, bottom = pads
    return (min(left, cap_w), min(right, cap_w), min(top, cap_h), min(bottom, cap_h))


def crop_box(h, w, margins, centred):
    """``(top, left, h, w)`` of a crop of ``margins`` (top, bottom, left, right), ≥ 1 kept."""
    mt, mb, ml, mr = margins
    th, tw = min(mt + mb, h - 1), min(ml + mr, w - 1)
    top, left = (th // 2, tw // 2) if centred else (min(mt, th), min(ml, tw))
    return top, left, h - th, w - tw


class _Pad(nn.Module):
    def __init__(self, pads, mode):
        super().__init__()
        self.pads, self.mode = pads, mode

    def forward(self, x):  # the oracle's value is irrelevant: 0 (an -inf would give NaN)
        return F.pad(x, pad_box(*x.shape[-2:], self.pads, self.mode), mode=self.mode)


class _Crop(nn.Module):
    def __init__(self, margins, centred):
        super().__init__()
        self.margins, self.centred = margins, centred

    def forward(self, x):
        top, left, h, w = crop_box(*x.shape[-2:], self.margins, self.centred)
        return x[..., top:top + h, left:left + w]


@dataclass(frozen=True)
class NewOp(Op):
    """pad (``pads``: left, right, top, bottom; ``pad_mode``), crop (``margins``: top,
    bottom, left, right; ``centred``) or slice (channel 0 of 1)."""

    pads: tuple = (0, 0, 0, 0)
    pad_mode: str = "constant"
    margins: tuple = (0, 0, 0, 0)
    centred: bool = False

    def engine_at(self, shape):
        if self.kind == "pad":
            value = "-inf" if self.pad_mode == "constant" else 0.0  # the analysis ignores it
            return "Pad2d", {"padding": list(pad_box(*shape[1:], self.pads, self.pad_mode)),
                             "mode": self.pad_mode, "value": value}
        if self.kind == "crop":
            top, left, h, w = crop_box(*shape[1:], self.margins, self.centred)
            return "Crop2d", {"size": [h, w], "offset": None if self.centred else [top, left]}
        return "ChannelSlice", {"start": 0, "stop": 1}

    def torch(self, cin):
        if self.kind == "pad":
            return _Pad(self.pads, self.pad_mode), cin
        if self.kind == "crop":
            return _Crop(self.margins, self.centred), cin
        return ChannelFirst(), 1


class ChannelFirst(nn.Module):
    def forward(self, x):
        return x[:, :1]


def build_graph(net: Net, h: int, w: int):
    """``rf_oracle.build_graph`` where a :class:`NewOp` sees the shape that reaches it."""
    g = Graph("rf")
    g.add_node("Input", {"channels": 1, "height": h, "width": w}, "x")
    counter = iter(range(1000))

    def chain(src, ops):
        for op in ops:
            if isinstance(op, NewOp):
                shape = analyze(g).nodes[src].shape or (1, h, w)
                t, params = op.engine_at(shape)
            else:
                t, params = op.engine()
            nid = g.add_node(t, params, f"n{next(counter)}")
            g.connect(src, nid)
            src = nid
        return src

    last = chain("x", net.trunk)
    if net.branches:
        a, b = chain(last, net.branches[0]), chain(last, net.branches[1])
        m = g.add_node(net.merge, {}, "merge")
        g.connect(a, m, 0)
        g.connect(b, m, 1)
        last = m
    return g, chain(last, net.tail)


@pytest.fixture
def oracle(monkeypatch):
    monkeypatch.setattr(rf_oracle, "build_graph", build_graph)
    return rf_oracle.check


def pad(left, right, top, bottom, mode="constant"):
    return NewOp("pad", p=(top, left), pads=(left, right, top, bottom), pad_mode=mode)


def crop(top, bottom, left, right, centred=False):
    return NewOp("crop", margins=(top, bottom, left, right), centred=centred)


SLICE = NewOp("slice")

CASES = {
    "TF SAME before a stride-2 conv": Net((pad(0, 1, 0, 1), conv(3, 2))),
    "-inf padding before a max pool": Net((pad(1, 0, 1, 0), pool("maxpool", 2))),
    "asymmetric padding, dilated conv": Net((pad(3, 0, 1, 2), conv(3, d=2))),
    "reflect and replicate": Net((pad(2, 2, 2, 2, "reflect"), conv(5),
                                  pad(1, 3, 0, 2, "replicate"), conv(3, 2))),
    "circular then strided": Net((conv(3, 2), pad(1, 1, 2, 0, "circular"), conv(3))),
    "crop at an offset": Net((conv(3, 2, 1), crop(2, 1, 0, 3), conv(3))),
    "centred crop after a tconv": Net((tconv(3, 2, 1), crop(3, 2, 1, 4, centred=True))),
    "pad then crop back": Net((pad(2, 1, 3, 0), conv(3, p=1), crop(3, 0, 2, 1))),
    "upsample then crop": Net((up(1.5, "bilinear"), crop(1, 2, 2, 1), conv(3, 2))),
    "slice in a chain": Net((conv(3, 2), SLICE, conv(3))),
    "crop in a residual branch": Net((conv(3, p=1),), ((pad(1, 1, 1, 1), crop(1, 1, 1, 1)),
                                                       (conv(1),)), "Add", (conv(3, 2),)),
    # fractional factors the oracle did not cover yet (bicubic: its negative weights can
    # cancel between paths, so it is checked one output at a time below)
    "nearest x0.75": Net((up(0.75), conv(3))),
    "bilinear x1.25 then x0.4": Net((up(1.25, "bilinear"), up(0.4, "bilinear"))),
    "nearest x1/3 after a stride": Net((conv(3, 2), up(1 / 3))),
    "bilinear x3.5": Net((up(3.5, "bilinear"),)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_fixed_networks(oracle, name):
    oracle(CASES[name])


@st.composite
def new_ops(draw):
    kind = draw(st.sampled_from(["pad", "pad", "crop", "slice"]))
    if kind == "pad":
        return pad(*(draw(st.integers(0, 3)) for _ in range(4)),
                   mode=draw(st.sampled_from(["constant", "reflect", "replicate",
                                              "circular"])))
    if kind == "crop":
        return crop(*(draw(st.integers(0, 3)) for _ in range(4)), centred=draw(st.booleans()))
    return SLICE


@FEW
@given(chains(), st.lists(st.tuples(st.integers(0, 4), new_ops()), min_size=1, max_size=3))
def test_random_chains_with_padding_cropping_and_slicing(monkeypatch_chains, ops, inserts):
    chain = list(ops)
    for at, op in inserts:
        chain.insert(min(at, len(chain)), op)
    try:
        monkeypatch_chains(Net(tuple(chain)), rf_oracle.RANDOM_MAX_ELEMENTS)
    except TooBig:
        assume(False)


@pytest.fixture(scope="module")
def monkeypatch_chains():
    """The oracle with the extended builder, for hypothesis (a module-scoped patch)."""
    saved = rf_oracle.build_graph
    rf_oracle.build_graph = build_graph
    yield rf_oracle.check
    rf_oracle.build_graph = saved


# -- Upsample, one output at a time --------------------------------------------------------
def nearest_float32(n: int, out: int, scale: float | None) -> list[int]:
    """torch's nearest source index (UpSampleKernel: float32 arithmetic)."""
    if out == n:
        return list(range(out))
    if out == 2 * n:
        return [j >> 1 for j in range(out)]
    c = np.float32(1.0 / scale) if scale is not None else np.float32(n) / np.float32(out)
    return [min(int(np.floor(np.float32(j) * c)), n - 1) for j in range(out)]


def upsample_regions(n: int, params: dict):
    """Per output column: (the engine's region positions, torch's footprint), input n×n."""
    g = Graph("up")
    g.add_node("Input", {"channels": 1, "height": n, "width": n}, "x")
    g.add_node("Upsample", params, "up")
    g.connect("x", "up")
    r = analyze(g)
    assert r.valid, r.errors
    shape = r.nodes["up"].shape
    kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in params.items()}
    if "size" in kwargs:
        kwargs.pop("scale_factor", None)
    x = torch.zeros(1, 1, n, n, dtype=torch.float64, requires_grad=True)
    y = nn.Upsample(**kwargs)(x)
    assert tuple(y.shape[1:]) == shape
    row = shape[1] // 2
    rf = r.nodes["up"].rf
    out = []
    for j in range(shape[2]):
        (grad,) = torch.autograd.grad(y[0, 0, row, j], x, retain_graph=True)
        line = grad[0, 0].abs().amax(dim=0)
        top = float(line.max())
        fp = [int(i) for i in torch.nonzero(line > top * 1e-10).flatten()] if top else []
        region = rf.region((row, j))[1]
        out.append((region[2] if region else [], fp))
    return shape, out


def check_upsample(n: int, params: dict):
    shape, regions = upsample_regions(n, params)
    skip = set()
    if params.get("mode", "nearest") == "nearest":
        scale = None if params.get("size") is not None else params["scale_factor"]
        fl = nearest_float32(n, shape[2], scale)
        ratio = (Fraction(n, shape[2]) if scale is None else 1 / scale_ratio(scale))
        skip = {j for j in range(shape[2]) if fl[j] != min(math.floor(j * ratio), n - 1)}
        assert len(skip) <= shape[2] // 8 + 1  # rare: exact-integer sources only
    compared = 0
    for j, (model, fp) in enumerate(regions):
        if not model or model[0] < 0 or model[-1] > n - 1:
            continue  # torch clamps at the border: the analysis' axis is infinite
        if j in skip:
            assert fp == [fl[j]] and model == [fl[j] + 1]  # torch's float32 rounding
            continue
        assert model == fp, (params, n, j, model, fp)
        compared += 1
    assert compared >= max(1, len(regions) // 3)


SIZES = [(9, 23), (11, 5), (9, 9), (12, 17), (16, 40), (10, 4), (21, 69), (26, 22)]


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
@pytest.mark.parametrize("n,out", SIZES)
def test_upsample_to_a_size(mode, n, out):
    check_upsample(n, {"size": [out, out], "mode": mode})


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("n,out", [(5, 13), (7, 3), (12, 17), (4, 10), (9, 25)])
def test_upsample_align_corners(mode, n, out):
    check_upsample(n, {"size": out, "mode": mode, "align_corners": True})
    check_upsample(n, {"scale_factor": out / n, "mode": mode, "align_corners": True})


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
@pytest.mark.parametrize("scale", [0.3, 0.75, 1.25, 1 / 3, 2.3, 2.7, 3.5, 5.0, 40.0])
def test_upsample_fractional_and_large_factors(mode, scale):
    check_upsample(60 if scale < 1 else 6 if scale > 10 else 17, {"scale_factor": scale,
                                                                    "mode": mode})


def test_torch_nearest_float32_replay_is_exact():
    for n, out in SIZES + [(2, 82), (39, 66)]:
        x = torch.arange(n, dtype=torch.float64).view(1, 1, 1, n)
        got = F.interpolate(x, size=(1, out), mode="nearest").flatten().long().tolist()
        assert got == nearest_float32(n, out, None)
    for scale in (2.3, 2.7, 0.3, 1.7):
        x = torch.arange(37, dtype=torch.float64).view(1, 1, 1, 37)
        got = F.interpolate(x, scale_factor=(1.0, scale), mode="nearest").flatten().long()
        assert got.tolist() == nearest_float32(37, int(37 * scale), scale)


def test_scale_ratios():
    assert [scale_ratio(s) for s in (2.0, 2.5, 1 / 3, 0.75, 0.001, 2.3, 65536.0)] == [
        2, Fraction(5, 2), Fraction(1, 3), Fraction(3, 4), Fraction(1, 1000),
        Fraction(23, 10), 65536]


# -- Crop2d's reference, ChannelSlice's channels --------------------------------------------
def test_crop_reference_from_another_input_does_not_reach_the_field():
    g = Graph("skip crop")
    g.add_node("Input", {"channels": 2, "height": 20, "width": 20}, "x")
    g.add_node("Input", {"channels": 1, "height": 40, "width": 40}, "other")
    g.add_node("Conv2d", {"out_channels": 2, "kernel_size": 3}, "conv")
    g.add_node("AdaptiveAvgPool2d", {"output_size": [12, 10]}, "ref")
    g.add_node("Crop2d", {}, "crop")
    for a, b, port in (("x", "conv", 0), ("other", "ref", 0), ("conv", "crop", 0),
                       ("ref", "crop", 1)):
        g.connect(a, b, port)
    an = Analyzer(g)
    r = an.result()
    assert r.valid and r.nodes["crop"].shape == (2, 12, 10)
    rf = r.nodes["crop"].rf
    assert set(r.nodes["crop"].rf_by_input) == {"x"} and not rf.is_global
    # centred: top = (18 − 12) // 2 = 3, left = (18 − 10) // 2 = 4; conv 3×3 unpadded
    assert rf.size == (3, 3) and rf.start == (4, 5) and not r.warnings
    fp = exact_footprint(an, "crop", (1, 0, 0))
    assert (fp.input, fp.origin, fp.cells) == ("x", (3, 4), 9)
    assert exact_footprint(an, "crop", (1, 0, 0), "other") is None


def test_channel_slice_footprint_follows_its_branch_of_a_concat():
    """x → a (1×5 conv, 2 ch), b (5×1 conv, 3 ch) → cat → slice [1, 4): channel 0 of the
    slice is a's, channels 1-2 are b's; the exact footprint is that branch's window, as
    torch's gradient of the all-ones net says."""
    g = Graph("slice")
    g.add_node("Input", {"channels": 1, "height": 15, "width": 15}, "x")
    g.add_node("Conv2d", {"out_channels": 2, "kernel_size": [1, 5], "padding": [0, 2],
                          "bias": False}, "a")
    g.add_node("Conv2d", {"out_channels": 3, "kernel_size": [5, 1], "padding": [2, 0],
                          "bias": False}, "b")
    g.add_node("Concat", {}, "cat")
    g.add_node("ChannelSlice", {"start": 1, "stop": 4}, "sl")
    for src, dst, port in (("x", "a", 0), ("x", "b", 0), ("a", "cat", 0), ("b", "cat", 1),
                           ("cat", "sl", 0)):
        g.connect(src, dst, port)
    an = Analyzer(g)
    conv_a = nn.Conv2d(1, 2, (1, 5), padding=(0, 2), bias=False).double()
    conv_b = nn.Conv2d(1, 3, (5, 1), padding=(2, 0), bias=False).double()
    for c in (conv_a, conv_b):
        with torch.no_grad():
            c.weight.fill_(1.0)
    for channel in range(3):
        x = torch.zeros(1, 1, 15, 15, dtype=torch.float64, requires_grad=True)
        y = torch.cat([conv_a(x), conv_b(x)], 1)[:, 1:4]
        y[0, channel, 7, 7].backward()
        fp = exact_footprint(an, "sl", (channel, 7, 7))
        got = np.zeros((15, 15), bool)
        (y0, x0), m = fp.origin, fp.mask
        got[y0:y0 + m.shape[0], x0:x0 + m.shape[1]] = m
        assert np.array_equal(got, (x.grad[0, 0] != 0).numpy()), channel
    # the per-axis field joins every channel of its input, as for a Concat itself
    assert an.result().nodes["sl"].rf.size == (5, 5)
