"""engine.nnlib (issue 3): the modules torch lacks, against the catalogue's parameter
counts and shapes and against plain torch."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from engine import CATALOGUE
from engine.catalogue import Inputs
from engine.deform import deform_conv2d
from engine.nnlib import (
    Add,
    Concat,
    DeformConv2d,
    DepthwiseSeparableConv2d,
    Multiply,
    SpatiallySeparableConv2d,
    SqueezeExcitation,
)

from .runtime_helpers import ROOT, analyze_one, catalogue_params, n_params

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("torch_one_thread")]


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
