"""Gradients of engine.deform.deform_conv2d: gradcheck in float64 (chunked too) and
torchvision's conventions on the border and far outside the image."""

import pytest
import torch

import engine.deform as deform
from engine.deform import deform_conv2d

from .deform_reference import make_args

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
    monkeypatch.setattr(deform, "_deform_chunk_positions", lambda device, per: 5)
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
