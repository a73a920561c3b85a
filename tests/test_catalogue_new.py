"""The types added after the first release against torch itself (issue 13): ReLU6,
Hardswish, Hardsigmoid, Softmax, Pad2d, Crop2d, ChannelSlice and Upsample's ``size``;
shape, parameter count, MACs and refusals (``catalogue_harness.py``), and the values of
the module each kind's ``ctor`` builds (Opaque has none: ``test_opaque.py``)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from engine.catalogue import CATALOGUE, Inputs
from engine.runtime.build import resolve_class

from .catalogue_harness import (
    FEW,
    MANY,
    SOME,
    any_rank_shape,
    batched,
    compare,
    engine_node,
    per_axis,
    run_torch,
    shape_of,
)

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("torch_one_thread")]


def built(type_name, params, shapes):
    """The module the catalogue's ``ctor`` builds for ``params`` on ``shapes``."""
    kind = CATALOGUE[type_name]
    p = kind.normalise(params)
    ins = Inputs(tuple(tuple(s) for s in shapes), ("ReLU",) * len(shapes))
    ctor = kind.ctor(p, ins, kind.infer(p, ins))
    return resolve_class(ctor.cls)(*ctor.args, **dict(ctor.kwargs))


# -- activations ---------------------------------------------------------------------------
@pytest.mark.parametrize("type_name", ["ReLU6", "Hardswish", "Hardsigmoid", "Softmax"])
@FEW
@given(data=st.data())
def test_new_activations(type_name, data):
    shape = any_rank_shape(data.draw)

    def ref(xs):
        m = nn.Softmax(dim=1) if type_name == "Softmax" else getattr(nn, type_name)()
        return m(xs[0]), 0, 0

    compare(engine_node([shape], type_name, {}), run_torch(ref, [shape]), f"{shape}")
    x = torch.randn(2, *shape) * 5
    want = {"ReLU6": F.relu6, "Hardswish": F.hardswish, "Hardsigmoid": F.hardsigmoid,
            "Softmax": lambda t: F.softmax(t, dim=1)}[type_name](x)
    assert torch.equal(built(type_name, {}, [shape])(x), want)


def test_softmax_is_along_channels_and_features():
    x = torch.randn(1, 5, 3, 4)
    y = built("Softmax", {}, [(5, 3, 4)])(x)
    assert torch.allclose(y.sum(dim=1), torch.ones(1, 3, 4))
    flat = torch.randn(1, 7)
    assert torch.allclose(built("Softmax", {}, [(7,)])(flat).sum(), torch.tensor(1.0))
    # every channel of a pixel reads every channel of that pixel: not channel-wise
    kind = CATALOGUE["Softmax"]
    assert kind.channel_sources(kind.normalise({}), Inputs(((5, 3, 4),)), 2) is None


# -- Pad2d ---------------------------------------------------------------------------------
@MANY
@given(data=st.data())
def test_pad2d(data):
    draw = data.draw
    rank = draw(st.sampled_from([1, 2, 2, 2, 2, 3]))
    shape = shape_of(draw, rank, hi=7 if rank == 2 else 4)
    pad = draw(per_axis(4, 0, 5))
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    value = draw(st.sampled_from([0.0, 1.5, -2, "-inf", "inf"]))
    params = {"padding": pad, "mode": mode, "value": value}
    pads = tuple(pad) if isinstance(pad, list) else (pad,) * 4

    def ref(xs):
        x = batched(xs[0], 2)
        if mode == "constant":
            return F.pad(x, pads, value=float(value)), 0, 0
        return F.pad(x, pads, mode=mode), 0, 0

    got = engine_node([shape], "Pad2d", params)
    want = run_torch(ref, [shape])
    compare(got, want, f"{shape} {params}")
    if got.error is None:  # the built module pads the same values
        x = torch.randn(1, *shape)
        y = built("Pad2d", params, [shape])(x)
        assert torch.equal(y, ref([x])[0]), params


def test_pad2d_errors_name_the_parameter():
    got = engine_node([(1, 3, 8)], "Pad2d", {"padding": [0, 0, 3, 0], "mode": "reflect"})
    assert got.error is not None and "padding" in got.error and "H" in got.error
    assert engine_node([(1, 3, 8)], "Pad2d", {"padding": [0, 0, 2, 0],
                                              "mode": "reflect"}).shape == (1, 5, 8)
    for bad in ({"value": "nan"}, {"value": float("nan")}, {"value": True},
                {"padding": -1}, {"padding": [1, 2, 3]}, {"mode": "zeros"}):
        got = engine_node([(1, 4, 4)], "Pad2d", bad)
        assert got.error is not None and next(iter(bad)) in got.error, (bad, got.error)


# -- Crop2d --------------------------------------------------------------------------------
def crop_reference(x, size, offset, ref=None):
    """graph-format.md's rule on top of torch's slicing (which never fails by itself)."""
    x = batched(x, 2)
    if size is not None:
        h, w = (size, size) if isinstance(size, int) else size
    elif ref is not None:
        if ref.dim() < 4:
            raise RuntimeError("the reference has no H and W")
        h, w = ref.shape[-2:]
    else:
        raise RuntimeError("no size and no reference")
    big_h, big_w = x.shape[-2:]
    if h > big_h or w > big_w:
        raise RuntimeError("size larger than the input")
    top, left = ((big_h - h) // 2, (big_w - w) // 2) if offset is None else offset
    y = x[..., top:top + h, left:left + w]
    if tuple(y.shape[-2:]) != (h, w):
        raise RuntimeError("the crop runs past the input")
    return y


@MANY
@given(data=st.data())
def test_crop2d(data):
    draw = data.draw
    rank = draw(st.sampled_from([1, 2, 2, 2, 2, 3]))
    shape = shape_of(draw, rank, hi=9 if rank == 2 else 4)
    size = draw(st.one_of(st.none(), per_axis(2, 1, 10)))
    offset = draw(st.one_of(st.none(), st.lists(st.integers(0, 5), min_size=2, max_size=2)))
    shapes = [shape]
    if draw(st.booleans()):  # a reference on slot 1: only its H and W count
        shapes.append(shape_of(draw, draw(st.sampled_from([2, 2, 1, 3])), hi=9))
    params = {"size": size, "offset": offset}

    def ref(xs):
        y = crop_reference(xs[0], size, offset, xs[1] if len(xs) > 1 else None)
        return y, 0, 0

    got = engine_node(shapes, "Crop2d", params)
    compare(got, run_torch(ref, shapes), f"{shapes} {params}")
    if got.error is None:
        xs = [torch.randn(1, *s) for s in shapes]
        y = built("Crop2d", params, shapes)(*xs)
        assert torch.equal(y, ref(xs)[0])


def test_crop2d_reference_gives_only_a_size():
    x = torch.randn(1, 3, 9, 9, requires_grad=True)
    reference = torch.randn(1, 5, 4, 6, requires_grad=True)
    y = built("Crop2d", {}, [(3, 9, 9), (5, 4, 6)])(x, reference)
    assert tuple(y.shape) == (1, 3, 4, 6)
    assert torch.equal(y, x[..., 2:6, 1:7])  # centred: (9 - 4) // 2, (9 - 6) // 2
    y.sum().backward()
    assert reference.grad is None  # no value of the reference reaches the output
    kind = CATALOGUE["Crop2d"]
    assert [kind.reads_values(port) for port in range(3)] == [True, False, True]
    assert kind.slot_role(1) == "reference"


def test_crop2d_errors_name_the_parameter():
    got = engine_node([(2, 6, 6)], "Crop2d", {"size": [7, 6]})
    assert got.error is not None and "size" in got.error and "larger" in got.error
    got = engine_node([(2, 6, 6)], "Crop2d", {"size": 4, "offset": [3, 0]})
    assert got.error is not None and "offset" in got.error
    got = engine_node([(2, 6, 6)], "Crop2d", {})
    assert got.error is not None and "slot 1" in got.error
    got = engine_node([(2, 6, 6), (2, 8, 3)], "Crop2d", {})
    assert got.error is not None and "larger" in got.error
    # a size given wins over the reference
    assert engine_node([(2, 6, 6), (2, 8, 3)], "Crop2d", {"size": 2}).shape == (2, 2, 2)


# -- ChannelSlice --------------------------------------------------------------------------
@MANY
@given(data=st.data())
def test_channel_slice(data):
    draw = data.draw
    shape = any_rank_shape(draw)
    start = draw(st.integers(0, 13))
    stop = draw(st.one_of(st.none(), st.integers(1, 14)))
    params = {"start": start, "stop": stop}

    def ref(xs):
        if stop is not None and stop > shape[0]:
            raise IndexError("stop past the channels")  # torch's slicing would truncate
        return xs[0][:, start:stop], 0, 0  # an empty slice fails in run_torch

    got = engine_node([shape], "ChannelSlice", params)
    compare(got, run_torch(ref, [shape]), f"{shape} {params}")
    if got.error is None:
        x = torch.randn(1, *shape)
        assert torch.equal(built("ChannelSlice", params, [shape])(x), x[:, start:stop])


def test_channel_slice_reads_its_channels_only():
    kind = CATALOGUE["ChannelSlice"]
    p = kind.normalise({"start": 2, "stop": 5})
    ins = Inputs(((8, 4, 4),))
    x = torch.randn(1, 8, 4, 4, requires_grad=True)
    module = built("ChannelSlice", {"start": 2, "stop": 5}, [(8, 4, 4)])
    for c in range(3):
        (grad,) = torch.autograd.grad(module(x)[0, c].sum(), x)
        read = {int(i) for i in torch.nonzero(grad[0].abs().sum(dim=(1, 2))).flatten()}
        assert {ch for _slot, ch in kind.channel_sources(p, ins, c)} == read == {2 + c}


def test_channel_slice_errors_name_the_parameter():
    for params, name in (({"start": 3, "stop": 3}, "stop"), ({"start": 4, "stop": 2}, "stop"),
                         ({"start": 8}, "start"), ({"stop": 9}, "stop")):
        got = engine_node([(8, 2, 2)], "ChannelSlice", params)
        assert got.error is not None and name in got.error, (params, got.error)


# -- Upsample: size, large and small factors ----------------------------------------------
@SOME
@given(data=st.data())
def test_upsample_size(data):
    draw = data.draw
    rank = draw(st.sampled_from([1, 2, 2, 2, 3, 3]))
    shape = shape_of(draw, rank, c=draw(st.integers(1, 3)), hi=9 if rank == 2 else 5)
    size = draw(st.one_of(st.integers(1, 12), st.lists(st.integers(1, 12), min_size=2,
                                                       max_size=3)))
    mode = draw(st.sampled_from(["nearest", "bilinear", "bicubic", "trilinear"]))
    align = draw(st.sampled_from([None, None, True, False]))
    scale = draw(st.sampled_from([2.0, 0.5, 3.7]))  # ignored
    params = {"size": size, "scale_factor": scale, "mode": mode, "align_corners": align}

    def ref(xs):
        x = xs[0]
        if isinstance(size, list) and len(size) != x.dim() - 2:
            raise ValueError("size does not fit the input's rank")
        return nn.Upsample(size=tuple(size) if isinstance(size, list) else size, mode=mode,
                           align_corners=align)(x), 0, 0

    compare(engine_node([shape], "Upsample", params), run_torch(ref, [shape]),
            f"{shape} {params}")


@pytest.mark.parametrize("scale", [64.0, 100, 250.5, 0.001, 0.07])
def test_upsample_scale_factor_has_no_cap_but_the_size_bound(scale):
    shape = (1, 2000, 3000) if scale < 1 else (1, 1, 2)

    def ref(xs):
        return nn.Upsample(scale_factor=scale)(xs[0]), 0, 0

    got = engine_node([shape], "Upsample", {"scale_factor": scale})
    compare(got, run_torch(ref, [shape]), f"{shape} {scale}")


def test_upsample_size_errors():
    got = engine_node([(1, 4, 4)], "Upsample", {"size": [2, 3, 4]})
    assert got.error is not None and "size" in got.error
    got = engine_node([(1, 2, 4, 4)], "Upsample", {"size": [3, 4], "mode": "trilinear"})
    assert got.error is not None and "size" in got.error
    got = engine_node([(1, 1, 1)], "Upsample", {"scale_factor": 70000.0})
    assert got.error is not None and "scale_factor" in got.error
    assert engine_node([(1, 2, 4, 4)], "Upsample", {"size": 3}).shape == (1, 3, 3, 3)
