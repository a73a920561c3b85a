"""engine.mechanics against torch (issue 11): rebuilding each output of one channel from
the ``explain --json`` taps (random weights) gives torch's result, for convolutions,
transposed convolutions (scatter and zero-insertion forms), pooling (count_include_pad),
unpooling, resampling, the composite convs and DeformConv2d with zero offsets; channel
links agree with which channels torch's grouped weights join."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from torch import nn

from engine.mechanics import MechanicsError, for_layer

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("torch_one_thread")]

MANY = settings(max_examples=120)
SOME = settings(max_examples=40)


def explained(type_name, params, hw, c_in=1):
    """The ``explain --json`` object of a layer, or an ``assume`` failure if refused."""
    try:
        m = for_layer(type_name, params, hw, c_in)
    except MechanicsError:
        assume(False)
    return json.loads(json.dumps(m.to_json()))


def rebuild(j, x, w, weights=None):
    """Each output of one channel as the sum over its taps of ``w[tap] · x[in]``."""
    oh, ow = j["output_size"]
    out = torch.zeros(oh * ow, dtype=torch.float64)
    if j["taps"]:
        t = torch.tensor(j["taps"], dtype=torch.long)
        prod = w.reshape(-1)[t[:, 2]] * x.reshape(-1)[t[:, 1]]
        if weights is not None:
            prod = prod * torch.tensor(weights, dtype=torch.float64)
        out.index_add_(0, t[:, 0], prod)
    return out.reshape(oh, ow)


def rand(*shape):
    return torch.randn(*shape, dtype=torch.float64)


pair = st.tuples


def sizes(lo=1, hi=9):
    return pair(st.integers(lo, hi), st.integers(lo, hi))


@MANY
@given(hw=sizes(), k=sizes(1, 4), s=sizes(1, 3), d=sizes(1, 3),
       pad=st.one_of(sizes(0, 3), st.sampled_from(["same", "valid"])),
       mode=st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"]))
def test_conv_taps_rebuild_conv2d(hw, k, s, d, pad, mode):
    p = {"out_channels": 1, "kernel_size": list(k), "stride": list(s), "dilation": list(d),
         "padding": pad if isinstance(pad, str) else list(pad), "padding_mode": mode}
    j = explained("Conv2d", p, hw)
    x, w = rand(1, 1, *hw), rand(1, 1, *k)
    conv = nn.Conv2d(1, 1, k, s, pad, d, bias=False, padding_mode=mode).double()
    conv.weight.data = w
    want = conv(x)[0, 0]
    assert list(want.shape) == j["output_size"]
    torch.testing.assert_close(rebuild(j, x, w), want)
    # every tap meets a real pixel; overlap counts them; the window never exceeds k_h·k_w
    hw_in = hw[0] * hw[1]
    assert all(0 <= i < hw_in and 0 <= t < k[0] * k[1] for _, i, t in j["taps"])
    counts = [0] * len(j["overlap"])
    for o, _, _ in j["taps"]:
        counts[o] += 1
    assert counts == j["overlap"] and max(counts, default=0) <= k[0] * k[1]


@MANY
@given(hw=sizes(1, 6), k=sizes(1, 4), s=sizes(1, 3), d=sizes(1, 3), p=sizes(0, 3),
       op=sizes(0, 2), by_target=st.booleans())
def test_transposed_taps_and_zero_insertion(hw, k, s, d, p, op, by_target):
    assume(all(o < max(ss, dd) for o, ss, dd in zip(op, s, d, strict=True)))
    params = {"out_channels": 1, "kernel_size": list(k), "stride": list(s), "padding": list(p),
              "dilation": list(d)}
    base = [(n - 1) * ss - 2 * pp + dd * (kk - 1) + 1
            for n, kk, ss, pp, dd in zip(hw, k, s, p, d, strict=True)]
    if by_target:  # TensorFlow's output_shape / MXNet's adj: the same output_padding
        params["target_size"] = [b + o for b, o in zip(base, op, strict=True)]
    else:
        params["output_padding"] = list(op)
    j = explained("ConvTranspose2d", params, hw)
    x, w = rand(1, 1, *hw), rand(1, 1, *k)
    want = F.conv_transpose2d(x, w, stride=s, padding=p, output_padding=op, dilation=d)[0, 0]
    assert list(want.shape) == j["output_size"]
    torch.testing.assert_close(rebuild(j, x, w), want)  # tap_index: the kernel unflipped
    # the same output: a stride-1 conv of the zero-inserted input with the flipped kernel
    z = j["zero_insertion"]
    zh, zw = z["size"]
    eq = torch.zeros(zh * zw, dtype=torch.float64)
    for i, pos in z["input_at"]:
        eq[pos] = x.reshape(-1)[i]
    got = F.conv2d(eq.reshape(1, 1, zh, zw), w.flip(-1, -2), dilation=d)[0, 0]
    torch.testing.assert_close(got, want)
    # overlap: how many taps write each output (the checkerboard)
    counts = [0] * len(j["overlap"])
    for o, _, _ in j["taps"]:
        counts[o] += 1
    assert counts == j["overlap"]


@MANY
@given(hw=sizes(1, 9), k=sizes(1, 4), s=st.one_of(st.none(), sizes(1, 3)), p=sizes(0, 2),
       d=sizes(1, 3), ceil=st.booleans(), avg=st.booleans())
def test_pool_windows(hw, k, s, p, d, ceil, avg):
    params = {"kernel_size": list(k), "stride": list(s) if s else None, "padding": list(p),
              "ceil_mode": ceil}
    if not avg:
        params["dilation"] = list(d)
    j = explained("AvgPool2d" if avg else "MaxPool2d", params, hw)
    x = rand(1, 1, *hw)
    stride = s or k
    if avg:  # count_include_pad: the divisor counts padding cells inside the padded input
        want = F.avg_pool2d(x, k, stride, p, ceil_mode=ceil)[0, 0]
        got = rebuild(j, x, torch.ones(k[0] * k[1], dtype=torch.float64))
        torch.testing.assert_close(got / torch.tensor(j["divisor"]).reshape(got.shape), want)
        return
    want, idx = F.max_pool2d(x, k, stride, p, d, ceil_mode=ceil, return_indices=True)
    assert list(want.shape[2:]) == j["output_size"]
    flat = x.reshape(-1)
    best = [float("-inf")] * len(j["overlap"])
    arg = [None] * len(best)
    for o, i, _ in j["taps"]:
        if flat[i] > best[o]:
            best[o], arg[o] = float(flat[i]), i
    torch.testing.assert_close(torch.tensor(best, dtype=torch.float64), want.reshape(-1))
    assert [a for a in arg if a is not None] == \
        [int(v) for v, a in zip(idx.reshape(-1), arg, strict=True) if a is not None]


@SOME
@given(hw=sizes(1, 5), k=sizes(1, 3), s=st.one_of(st.none(), sizes(1, 3)), p=sizes(0, 1))
def test_unpool_map(hw, k, s, p):
    j = explained("MaxUnpool2d", {"kernel_size": list(k), "stride": list(s) if s else None,
                                  "padding": list(p)}, hw)
    stride = s or k
    x = rand(1, 1, *j["output_size"])  # the pool's input: the unpool's output size
    pooled, idx = F.max_pool2d(x, k, stride, p, return_indices=True)
    assert list(pooled.shape[2:]) == list(hw)
    un = F.max_unpool2d(pooled, idx, k, stride, p, output_size=j["output_size"])[0, 0]
    cells = {(o, i) for o, i, _ in j["taps"]}
    oh, ow = j["output_size"]
    for o, i, t in j["taps"]:  # tap t: the cell of pooled position i's window that o is
        (iy, ix), (oy, ox) = divmod(i, hw[1]), divmod(o, ow)
        assert (oy, ox) == (iy * stride[0] - p[0] + t // k[1], ix * stride[1] - p[1] + t % k[1])
    for i, o in enumerate(idx.reshape(-1).tolist()):  # each value lands in its window
        assert (o, i) in cells
        assert un.reshape(-1)[o] == pooled.reshape(-1)[i]
    assert all(v == 0 or o in set(idx.reshape(-1).tolist())
               for o, v in enumerate(un.reshape(-1).tolist()))


@MANY
@given(hw=sizes(1, 9),
       scale=st.one_of(st.sampled_from([0.5, 0.75, 1.0, 4 / 3, 1.5, 2.0, 2.5, 3.0]),
                       st.integers(20, 500).map(lambda v: v / 100)),  # 1.14: 6 stays 6
       mode=st.sampled_from(["nearest", "bilinear", "bicubic"]),
       align=st.sampled_from([None, True, False]))
@example(hw=(2, 6), scale=1.14, mode="bilinear", align=None)  # W stays 6: torch copies it
@example(hw=(3, 6), scale=1.14, mode="bicubic", align=None)  # ... but bicubic resamples it
def test_upsample_map(hw, scale, mode, align):
    if mode == "nearest":
        align = None
    j = explained("Upsample", {"scale_factor": scale, "mode": mode, "align_corners": align},
                  hw)
    x = rand(1, 1, *hw).float()
    want = nn.Upsample(scale_factor=scale, mode=mode, align_corners=align)(x)[0, 0]
    assert list(want.shape) == j["output_size"]
    k = j["kernel"][0] * j["kernel"][1]
    got = rebuild(j, x.double(), torch.ones(k, dtype=torch.float64), j["weights"])
    torch.testing.assert_close(got.float(), want, atol=2e-5, rtol=1e-5)


def module_case(k, s, d, pad):
    return {"out_channels": 1, "kernel_size": list(k), "stride": list(s),
            "dilation": list(d), "padding": pad if isinstance(pad, str) else list(pad),
            "bias": False}


@SOME
@given(hw=sizes(1, 8), k=sizes(1, 4), s=sizes(1, 3), d=sizes(1, 2),
       pad=st.one_of(sizes(0, 2), st.sampled_from(["same", "valid"])),
       which=st.sampled_from(["dw", "ss", "deform"]))
def test_composite_convs_spatial_part(hw, k, s, d, pad, which):
    from engine import nnlib

    params = module_case(k, s, d, pad)
    x = rand(1, 1, *hw)
    if which == "dw":
        j = explained("DepthwiseSeparableConv2d", params, hw)
        mod = nnlib.DepthwiseSeparableConv2d(1, 1, k, s, pad, d, bias=False).double()
        want, w = mod.depthwise(x)[0, 0], mod.depthwise.weight
    elif which == "ss":
        j = explained("SpatiallySeparableConv2d", params, hw)
        mod = nnlib.SpatiallySeparableConv2d(1, 1, k, s, pad, d, bias=False).double()
        want = mod(x)[0, 0]  # tap t weighs w_h[t // k_w] · w_w[t % k_w]
        w = mod.conv_h.weight[0, 0, :, 0][:, None] * mod.conv_w.weight[0, 0, 0, :][None, :]
    else:
        j = explained("DeformConv2d", params, hw)
        mod = nnlib.DeformConv2d(1, 1, k, s, pad, d, bias=False).double()  # zero offsets
        want, w = mod(x)[0, 0], mod.weight
    assert list(want.shape) == j["output_size"]
    torch.testing.assert_close(rebuild(j, x, w.detach()), want.detach())


def reads(module, c_in, hw=(3, 3)):
    """Which output channels change when only input channel ``i`` is non-zero."""
    links = set()
    with torch.no_grad():
        for i in range(c_in):
            x = torch.zeros(1, c_in, *hw, dtype=torch.float64)
            x[0, i] = 1.0
            y = module(x)[0]
            links |= {(o, i) for o in range(y.shape[0]) if y[o].abs().sum() > 0}
    return links


@SOME
@given(g=st.integers(1, 4), a=st.integers(1, 3), b=st.integers(1, 3),
       which=st.sampled_from(["Conv2d", "ConvTranspose2d", "DeformConv2d"]))
def test_channel_links_follow_groups(g, a, b, which):
    from engine import nnlib

    c_in, c_out = g * a, g * b
    j = explained(which, {"out_channels": c_out, "groups": g, "kernel_size": 1, "bias": False},
                  (3, 3), c_in)
    links = {tuple(p) for p in j["channel_links"]}
    if which == "Conv2d":
        mod = nn.Conv2d(c_in, c_out, 1, groups=g, bias=False)
        assert len(links) == mod.weight.shape[0] * mod.weight.shape[1]  # [C_out, C_in/g]
    elif which == "ConvTranspose2d":
        mod = nn.ConvTranspose2d(c_in, c_out, 1, groups=g, bias=False)
        assert len(links) == mod.weight.shape[0] * mod.weight.shape[1]  # [C_in, C_out/g]
    else:
        mod = nnlib.DeformConv2d(c_in, c_out, 1, groups=g, bias=False)
        assert len(links) == mod.weight.shape[0] * mod.weight.shape[1]
    with torch.no_grad():
        for prm in mod.parameters():
            prm.copy_(torch.rand_like(prm) + 0.5)
    assert reads(mod.double(), c_in) == links


@pytest.mark.parametrize("c_in,c_out,m", [(3, 4, 1), (2, 5, 2)])
def test_channel_links_of_separable_convs(c_in, c_out, m):
    from engine import nnlib

    dw = explained("DepthwiseSeparableConv2d", {"out_channels": c_out, "kernel_size": 1,
                                                "depth_multiplier": m}, (3, 3), c_in)
    mod = nnlib.DepthwiseSeparableConv2d(c_in, c_out, 1, depth_multiplier=m, bias=False)
    stages = {s["stage"]: {tuple(p) for p in s["links"]} for s in dw["channel_stages"]}
    with torch.no_grad():
        for prm in mod.parameters():
            prm.copy_(torch.rand_like(prm) + 0.5)
    assert reads(mod.depthwise.double(), c_in) == stages["depthwise"]
    assert {tuple(p) for p in dw["channel_links"]} == reads(mod.double(), c_in)
    ss = explained("SpatiallySeparableConv2d", {"out_channels": c_out, "kernel_size": 1},
                   (3, 3), c_in)
    assert len(ss["channel_links"]) == c_in * c_out


@pytest.mark.parametrize("channels,groups", [(6, 2), (6, 3), (8, 4), (5, 1)])
def test_shuffle_links(channels, groups):
    from engine.catalogue import CATALOGUE, Inputs
    from engine.mechanics.channels import shuffle

    links = set(shuffle(channels, groups))
    x = torch.arange(channels, dtype=torch.float64).reshape(1, channels, 1, 1)
    y = nn.ChannelShuffle(groups)(x).reshape(-1).tolist()
    assert links == {(o, int(i)) for o, i in enumerate(y)}
    kind = CATALOGUE["ChannelShuffle"]
    p = kind.normalise({"groups": groups})
    ins = Inputs(((channels, 2, 2),))
    assert links == {(o, kind.channel_sources(p, ins, o)[0][1]) for o in range(channels)}
