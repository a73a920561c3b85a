"""Gradients of engine.deform.deform_conv2d: gradcheck in float64 (chunked too) and
torchvision's conventions on the border and far outside the image."""

import pytest
import torch

import engine.deform as deform
import engine.deform_mm as deform_mm
from engine.deform import deform_conv2d

from .deform_reference import ForcedRoutes, autograd_deform_conv2d, fresh_table, make_args

pytestmark = pytest.mark.usefixtures("torch_one_thread")

# --------------------------------------------------------------------------- gradients


def _grad_args(seed=0, mask=True, **kw):
    """float64 arguments whose samples never land on integer coordinates (bilinear kinks)."""
    args = make_args(seed=seed, mask=mask, **kw)
    kh, kw_ = args["weight"].shape[2:]
    n, _, ho, wo = args["offset"].shape
    gen = torch.Generator().manual_seed(seed + 100)
    # integer part anywhere in [-3, 2], fractional part in [0.1, 0.9]: the base positions
    # are integers, so every sample lies strictly between pixel rows and columns.
    ints = torch.randint(-3, 3, args["offset"].shape, generator=gen).double()
    frac = 0.1 + 0.8 * torch.rand(args["offset"].shape, generator=gen, dtype=torch.float64)
    args["offset"] = ints + frac
    for name in ("input", "offset", "weight", "bias", "mask"):
        if args[name] is not None:
            args[name] = args[name].clone().requires_grad_(True)
    return args


def _gradcheck(args):
    names = [k for k in ("input", "offset", "weight", "bias", "mask") if args[k] is not None]
    rest = {k: v for k, v in args.items() if k not in names}

    def fn(*tensors):
        return deform_conv2d(**dict(zip(names, tensors, strict=True)), **rest)

    assert torch.autograd.gradcheck(fn, [args[k] for k in names], eps=1e-6, atol=1e-5)


@pytest.mark.parametrize(
    "geometry",
    [
        dict(n=1, c_in=2, c_out=2, h=4, w=4, kh=3, kw=3, padding=1),
        dict(n=2, c_in=4, c_out=4, h=4, w=5, kh=2, kw=3, groups=2, offset_groups=2,
             stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
    ],
)
@pytest.mark.parametrize("mask", [False, True])
def test_gradcheck(geometry, mask):
    _gradcheck(_grad_args(mask=mask, **geometry))


def test_gradcheck_chunked(monkeypatch):
    monkeypatch.setattr(deform, "_deform_chunk_positions", lambda device, per, *_: 5)
    _gradcheck(_grad_args(n=2, c_in=2, c_out=2, h=3, w=4, kh=2, kw=2, padding=1))


def test_offset_gradient_on_the_border_follows_torchvision():
    """At py == -1 torchvision's CPU kernel uses the one-sided derivative from inside the
    image (the value itself is 0); at py == H it is 0."""
    x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]], dtype=torch.float64)
    wt = torch.ones(1, 1, 1, 1, dtype=torch.float64)
    # 1x1 kernel, 2x2 output; only the sample of output (0, 0) is deformed.
    off = torch.zeros(1, 2, 2, 2, dtype=torch.float64)
    off[0, :, 0, 0] = torch.tensor([-1.0, 0.25])
    off.requires_grad_(True)
    deform_conv2d(x, off, wt)[0, 0, 0, 0].backward()
    # d/dy at y = -1 (from inside): 0.75 * x[0, 0] + 0.25 * x[0, 1]; d/dx: 0 (row -1 is empty).
    assert off.grad[0, 0, 0, 0].item() == pytest.approx(0.75 * 1 + 0.25 * 2)
    assert off.grad[0, 1, 0, 0].item() == 0.0
    off.grad = None
    with torch.no_grad():
        off[0, :, 0, 0] = torch.tensor([2.0, 0.25])  # py == H
    deform_conv2d(x, off, wt)[0, 0, 0, 0].backward()
    assert off.grad.abs().sum().item() == 0.0


def test_gradients_of_far_out_samples_are_zero():
    args = _grad_args(n=1, c_in=2, c_out=2, h=3, w=3, kh=3, kw=3, padding=1, mask=True)
    with torch.no_grad():
        args["offset"].add_(1000.0)
    out = deform_conv2d(**args)
    out.sum().backward()
    assert args["offset"].grad.abs().sum() == 0
    assert args["mask"].grad.abs().sum() == 0
    assert args["input"].grad.abs().sum() == 0
    torch.testing.assert_close(args["bias"].grad, torch.full((2,), 9.0, dtype=torch.float64))


# --------------------------------------------------------------------------- hand-written backward


def _all_grads(fn, args):
    names = [k for k in ("input", "offset", "weight", "bias", "mask") if args[k] is not None]
    for k in names:
        args[k].grad = None
    out = fn(**args)
    (out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view(out.shape)).sum().backward()
    return out.detach(), {k: args[k].grad.clone() for k in names}


@pytest.mark.parametrize(
    "geometry",
    [
        # many samples (over 32 Ki: the radix sort), several chunks, both weight layouts
        dict(n=2, c_in=8, c_out=8, h=24, w=24, offset_groups=4, mask=True, chunk=100),
        # 4,608 samples: keys padded to 32 Ki for the radix sort
        dict(n=1, c_in=4, c_out=4, h=16, w=16, offset_groups=2, mask=True, chunk=None),
        dict(n=2, c_in=8, c_out=8, h=24, w=24, offset_groups=4, mask=False, chunk=None),
        dict(n=1, c_in=4, c_out=64, h=5, w=6, groups=2, offset_groups=2, mask=True, chunk=7),
        dict(n=3, c_in=6, c_out=6, h=7, w=5, groups=3, offset_groups=3, stride=2, dilation=2,
             padding=2, mask=True, chunk=4),
    ],
)
def test_backward_matches_autograd_reference(monkeypatch, geometry):
    chunk = geometry.pop("chunk")
    if chunk is not None:
        monkeypatch.setattr(deform, "_deform_chunk_positions", lambda device, per, *_: chunk)
    args = _grad_args(seed=3, **geometry)
    with torch.no_grad():
        args["offset"].mul_(2.0)  # a good share of samples outside the image too
    got, got_grads = _all_grads(deform_conv2d, args)
    want, want_grads = _all_grads(autograd_deform_conv2d, args)
    torch.testing.assert_close(got, want, atol=1e-10, rtol=1e-10)
    for name in want_grads:
        torch.testing.assert_close(got_grads[name], want_grads[name], atol=1e-9, rtol=1e-9,
                                   msg=lambda m, name=name: f"{name}: {m}")


def test_gradcheck_channel_major_layout():
    """Fewer output positions than output channels: the im2col is reordered, not the weight."""
    args = _grad_args(n=1, c_in=4, c_out=12, h=2, w=3, kh=2, kw=2, groups=2, offset_groups=2,
                      padding=0, mask=True)
    _gradcheck(args)


@pytest.mark.parametrize("needed", [("input",), ("offset",), ("weight", "bias"), ("mask",),
                                    ("offset", "mask")])
def test_gradients_of_a_subset(needed):
    args = _grad_args(n=1, c_in=2, c_out=3, h=4, w=4, mask=True, offset_groups=2)
    for name in ("input", "offset", "weight", "bias", "mask"):
        args[name].requires_grad_(name in needed)
    deform_conv2d(**args).sum().backward()
    ref = {k: (v.detach().clone().requires_grad_(True) if k in needed else v.detach())
           if isinstance(v, torch.Tensor) else v for k, v in args.items()}
    autograd_deform_conv2d(**ref).sum().backward()
    for name in ("input", "offset", "weight", "bias", "mask"):
        if name in needed:
            torch.testing.assert_close(args[name].grad, ref[name].grad)
        else:
            assert args[name].grad is None


def test_arguments_are_not_modified():
    """Every reshape of a small argument can be a view: nothing may be updated in place."""
    for n, h, w in [(1, 1, 1), (2, 3, 4)]:
        args = _grad_args(n=n, c_in=2, c_out=2, h=h, w=w, kh=1, kw=1, padding=0, mask=True)
        before = {k: v.detach().clone() for k, v in args.items() if isinstance(v, torch.Tensor)}
        deform_conv2d(**args).sum().backward()
        with torch.no_grad():
            deform_conv2d(**args)
        for k, v in before.items():
            assert torch.equal(args[k].detach(), v), k


def test_double_backward_is_refused_like_torchvision():
    args = _grad_args(n=1, c_in=2, c_out=2, h=3, w=3)
    (g,) = torch.autograd.grad(deform_conv2d(**args).sum(), args["offset"], create_graph=True)
    with pytest.raises(RuntimeError):
        g.sum().backward()


@pytest.mark.parametrize("route", ["dnn", "mm"])
@pytest.mark.parametrize(
    "geometry",
    [
        # 4 M multiply-adds or more take the route; a last chunk of 74 rows, always mm
        dict(n=1, c_in=16, c_out=32, h=32, w=32, mask=True, chunk=None),
        dict(n=1, c_in=16, c_out=32, h=32, w=32, offset_groups=2, mask=False, chunk=950),
        # fewer positions than output channels: the im2col is reordered, not the weight
        dict(n=1, c_in=128, c_out=192, h=6, w=6, offset_groups=2, mask=True, chunk=None),
        dict(n=1, c_in=128, c_out=192, h=6, w=6, mask=False, chunk=20, bias=False),
    ],
)
def test_float32_one_weight_group_on_either_matmul_route(monkeypatch, geometry, route):
    """Float32 on CPU with one weight group: the forward and backward matmuls of 4 M
    multiply-adds or more run on the route chosen for their shape, oneDNN 1x1 convolutions
    ("dnn") or mm; on either, output and every gradient match the float64 autograd
    reference."""
    geometry = dict(geometry)  # (shared by both routes' cases)
    chunk = geometry.pop("chunk")
    if chunk is not None:
        monkeypatch.setattr(deform, "_deform_chunk_positions", lambda device, per, *_: chunk)
    fresh_table(monkeypatch, deform_mm._deform_routes, ForcedRoutes(route))
    args = _grad_args(seed=5, **geometry)
    single = {k: (v.detach().float().requires_grad_(True) if isinstance(v, torch.Tensor) else v)
              for k, v in args.items()}
    calls = []
    for name in ("conv2d", "conv_transpose2d"):
        real = getattr(deform_mm.F, name)
        monkeypatch.setattr(deform_mm.F, name, lambda *a, real=real, name=name, **kw:
                            calls.append(name) or real(*a, **kw))
    got, got_grads = _all_grads(deform_conv2d, single)
    if route == "dnn":
        assert {"conv2d", "conv_transpose2d"} <= set(calls)
    else:
        assert not calls
    monkeypatch.undo()
    want, want_grads = _all_grads(autograd_deform_conv2d, args)
    assert got.dtype == torch.float32
    # float32 rounding over sums of up to 1,152 terms: within 1e-5 of the largest value
    torch.testing.assert_close(got.double(), want, atol=1e-5 * float(want.abs().max()),
                               rtol=1e-5)
    for name in want_grads:
        assert got_grads[name].dtype == torch.float32
        scale = float(want_grads[name].abs().max())
        torch.testing.assert_close(got_grads[name].double(), want_grads[name],
                                   atol=1e-5 * scale, rtol=1e-5,
                                   msg=lambda m, name=name: f"{name}: {m}")


def test_one_position_in_the_last_chunk_of_a_1x1_kernel():
    """n = 1, a 1x1 kernel and one offset group make the im2col-order index a transposed
    view; a last chunk of one position then handed a strided index to embedding_bag's
    backward ("Expected contiguous tensor")."""
    args = _grad_args(seed=4, n=1, c_in=3, c_out=2, h=2, w=3, kh=1, kw=1, padding=0)
    import engine.deform as d
    original = d._deform_chunk_positions
    d._deform_chunk_positions = lambda device, per, *_: 5  # 6 positions: chunks of 5 and 1
    try:
        got, got_grads = _all_grads(deform_conv2d, args)
    finally:
        d._deform_chunk_positions = original
    want, want_grads = _all_grads(autograd_deform_conv2d, args)
    torch.testing.assert_close(got, want, atol=1e-10, rtol=1e-10)
    for name in want_grads:
        torch.testing.assert_close(got_grads[name], want_grads[name], atol=1e-9, rtol=1e-9)


@pytest.mark.parametrize("chunk", [None, 7])
def test_autocast_runs_in_float32_and_answers_in_the_inputs_dtype(monkeypatch, chunk):
    """As torchvision's: under CPU autocast (bfloat16) the convolution runs in float32 and
    its output has the input's dtype, with one chunk or several; the backward works."""
    if chunk is not None:
        monkeypatch.setattr(deform, "_deform_chunk_positions", lambda device, per, *_: chunk)
    args = _grad_args(seed=6, n=1, c_in=4, c_out=6, h=6, w=5, mask=True)
    single = {k: (v.detach().float().requires_grad_(True) if isinstance(v, torch.Tensor) else v)
              for k, v in args.items()}
    plain = deform_conv2d(**single).detach()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = deform_conv2d(**single)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out.detach(), plain)  # no bfloat16 rounding
    out.sum().backward()
    assert all(single[k].grad is not None and single[k].grad.dtype == torch.float32
               for k in ("input", "offset", "weight", "bias", "mask"))
    half = dict(single, input=single["input"].detach().bfloat16())
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = deform_conv2d(**half)  # a bfloat16 input beside float32 weights
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out.float(), deform_conv2d(**dict(
        single, input=half["input"].float())).detach(), atol=0.05, rtol=0.02)
