"""Tests of engine.deform.deform_conv2d against a slow reference written from the formulas."""

import ast
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine.deform as deform
from engine.deform import deform_conv2d

DEFORM_SOURCE = Path(deform.__file__)


@pytest.fixture(autouse=True)
def _one_thread():
    """The cases are tiny: one thread is faster, and immune to a busy second core."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --------------------------------------------------------------------------- reference


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def ref_deform_conv2d(
    input, offset, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), mask=None
):
    """DCN v1 / v2 straight from the definition, with Python loops in float64.

    out[n, co, y, x] = bias[co] + sum_{ci, i, j} weight[co, ci, i, j]
                       * m[n, g, k, y, x] * bilinear(input[n, c], py, px)
    with c = (co // (C_out / groups)) * (C_in / groups) + ci, g = c // (C_in / G),
    k = i * kw + j, py = y * sh - ph + i * dh + dy[n, g, k, y, x] (likewise px), and
    bilinear() = 0 when py <= -1, py >= H, px <= -1 or px >= W, else the sum over the
    four neighbouring pixels inside the image of (1 - |py - yy|) (1 - |px - xx|) v[yy, xx].
    """
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    dh, dw = _pair(dilation)
    n_b, c_in, h, w = input.shape
    c_out, c_w, kh, kw = weight.shape
    groups = c_in // c_w
    k_n = kh * kw
    g_n = offset.shape[1] // (2 * k_n)
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    assert offset.shape == (n_b, 2 * g_n * k_n, ho, wo)
    x = input.double().tolist()
    off = offset.double().tolist()
    wt = weight.double().tolist()
    b = None if bias is None else bias.double().tolist()
    m = None if mask is None else mask.double().tolist()

    def bilinear(n, c, py, px):
        if py <= -1 or py >= h or px <= -1 or px >= w:
            return 0.0
        y0, x0 = math.floor(py), math.floor(px)
        total = 0.0
        for yy in (y0, y0 + 1):
            for xx in (x0, x0 + 1):
                if 0 <= yy < h and 0 <= xx < w:
                    total += (1 - abs(py - yy)) * (1 - abs(px - xx)) * x[n][c][yy][xx]
        return total

    out = [[[[0.0] * wo for _ in range(ho)] for _ in range(c_out)] for _ in range(n_b)]
    for n in range(n_b):
        for co in range(c_out):
            gw = co // (c_out // groups)
            for y in range(ho):
                for xo in range(wo):
                    acc = 0.0 if b is None else b[co]
                    for ci in range(c_w):
                        c = gw * c_w + ci
                        g = c // (c_in // g_n)
                        for i in range(kh):
                            for j in range(kw):
                                k = i * kw + j
                                dy = off[n][g * 2 * k_n + 2 * k][y][xo]
                                dx = off[n][g * 2 * k_n + 2 * k + 1][y][xo]
                                py = y * sh - ph + i * dh + dy
                                px = xo * sw - pw + j * dw + dx
                                v = bilinear(n, c, py, px)
                                if m is not None:
                                    v *= m[n][g * k_n + k][y][xo]
                                acc += wt[co][ci][i][j] * v
                    out[n][co][y][xo] = acc
    return torch.tensor(out, dtype=torch.float64).reshape(n_b, c_out, ho, wo)


# --------------------------------------------------------------------------- helpers


def _out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _make(
    n=2, c_in=4, c_out=6, h=5, w=6, kh=3, kw=3, groups=1, offset_groups=1,
    stride=1, padding=1, dilation=1, bias=True, mask=False, offset_kind="frac",
    dtype=torch.float64, seed=0,
):
    """Random arguments for one case; offset_kind picks how the offsets are drawn."""
    gen = torch.Generator().manual_seed(seed)
    s, p, d = _pair(stride), _pair(padding), _pair(dilation)
    ho, wo = _out_size(h, kh, s[0], p[0], d[0]), _out_size(w, kw, s[1], p[1], d[1])
    k = kh * kw
    x = torch.randn(n, c_in, h, w, generator=gen, dtype=dtype)
    wt = torch.randn(c_out, c_in // groups, kh, kw, generator=gen, dtype=dtype)
    b = torch.randn(c_out, generator=gen, dtype=dtype) if bias else None
    shape = (n, 2 * offset_groups * k, ho, wo)
    if offset_kind == "frac":
        off = torch.randn(shape, generator=gen, dtype=dtype) * 1.5
    elif offset_kind == "int":
        off = torch.randint(-3, 4, shape, generator=gen).to(dtype)
    elif offset_kind == "far":
        off = (torch.rand(shape, generator=gen, dtype=dtype) - 0.5) * 400
    elif offset_kind == "zero":
        off = torch.zeros(shape, dtype=dtype)
    else:
        raise AssertionError(offset_kind)
    msk = torch.rand(n, offset_groups * k, ho, wo, generator=gen, dtype=dtype) if mask else None
    return dict(input=x, offset=off, weight=wt, bias=b, stride=stride, padding=padding,
                dilation=dilation, mask=msk)


def _base_positions(kh, kw, ho, wo, stride, padding, dilation):
    """Un-deformed sampling positions [kh*kw, ho, wo] (rows, cols)."""
    s, p, d = _pair(stride), _pair(padding), _pair(dilation)
    ys = torch.arange(ho, dtype=torch.float64) * s[0] - p[0]
    xs = torch.arange(wo, dtype=torch.float64) * s[1] - p[1]
    by = ys.view(1, 1, ho, 1) + (torch.arange(kh) * d[0]).view(kh, 1, 1, 1).double()
    bx = xs.view(1, 1, 1, wo) + (torch.arange(kw) * d[1]).view(1, kw, 1, 1).double()
    return (by.expand(kh, kw, ho, wo).reshape(kh * kw, ho, wo),
            bx.expand(kh, kw, ho, wo).reshape(kh * kw, ho, wo))


def _check(args, atol=1e-10, rtol=1e-10):
    got = deform_conv2d(**args)
    want = ref_deform_conv2d(**args)
    assert got.shape == want.shape
    assert got.dtype == args["input"].dtype
    assert got.is_contiguous()
    torch.testing.assert_close(got.double(), want, atol=atol, rtol=rtol)
    return got


# --------------------------------------------------------------------------- forward vs reference


@pytest.mark.parametrize("offset_kind", ["frac", "int", "far", "zero"])
@pytest.mark.parametrize("mask", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_offsets_kinds(offset_kind, mask, bias):
    _check(_make(offset_kind=offset_kind, mask=mask, bias=bias, seed=len(offset_kind)))


@pytest.mark.parametrize(
    "geometry",
    [
        dict(groups=2),
        dict(offset_groups=2),
        dict(groups=2, offset_groups=4, c_in=4, c_out=4),
        dict(groups=4, offset_groups=2, c_in=4, c_out=8),
        dict(groups=4, offset_groups=4, c_in=4, c_out=4),  # depthwise
        dict(stride=2, padding=0),
        dict(stride=(2, 1), padding=(0, 2), dilation=(1, 2)),
        dict(dilation=2, padding=2),
        dict(kh=1, kw=3, padding=(0, 1)),
        dict(kh=3, kw=2, padding=(1, 0), stride=(1, 2)),
        dict(kh=1, kw=1, padding=0),
        dict(n=3, h=4, w=3, kh=2, kw=2, padding=0),
        dict(h=1, w=1, kh=1, kw=1, padding=0),
        dict(h=2, w=7, kh=3, kw=3, padding=1, stride=(1, 3)),
    ],
)
@pytest.mark.parametrize("mask", [False, True])
def test_geometries(geometry, mask):
    _check(_make(mask=mask, **geometry))


@pytest.mark.parametrize("mask", [False, True])
def test_float32_matches_reference(mask):
    args = _make(dtype=torch.float32, mask=mask, groups=2, offset_groups=2, c_out=4)
    _check(args, atol=1e-5, rtol=1e-5)


def test_samples_exactly_on_the_border():
    """Samples at -1, H, W, H - 1, W - 1, 0 and just inside / outside them."""
    h, w, kh, kw = 4, 5, 3, 3
    args = _make(n=1, c_in=2, c_out=3, h=h, w=w, kh=kh, kw=kw, padding=1, mask=True)
    by, bx = _base_positions(kh, kw, h, w, 1, 1, 1)
    targets_y = torch.tensor([-1.0, h, h - 1, 0.0, -1 + 1e-9, h - 1e-9, -1 - 1e-9, 2.0, -0.5])
    targets_x = torch.tensor([-1.0, w, w - 1, 0.0, -1 + 1e-9, w - 1e-9, w + 1e-9, 2.0, 4.5])
    gen = torch.Generator().manual_seed(3)
    ty = targets_y[torch.randint(0, len(targets_y), by.shape, generator=gen)]
    tx = targets_x[torch.randint(0, len(targets_x), bx.shape, generator=gen)]
    off = torch.stack((ty - by, tx - bx), 1).reshape(1, 2 * kh * kw, h, w)
    args["offset"] = off
    _check(args)


def test_border_values_are_exact():
    """py = -1 / H or px = -1 / W read exactly 0; py = H - 1 reads the last row."""
    x = torch.arange(12, dtype=torch.float64).view(1, 1, 3, 4) + 1
    wt = torch.ones(1, 1, 1, 1, dtype=torch.float64)
    for dy, dx, want in [(-1, 0, 0.0), (3, 0, 0.0), (0, -1, 0.0), (0, 4, 0.0),
                         (2, 3, 12.0), (2, 0.5, 9.5), (-0.5, 0, 0.5), (0, 3.5, 2.0)]:
        off = torch.tensor([dy, dx], dtype=torch.float64).view(1, 2, 1, 1)
        # uniform offsets; look at output (0, 0), whose undeformed sample is pixel (0, 0)
        got = deform_conv2d(x, off.expand(1, 2, 3, 4).contiguous(), wt)[0, 0, 0, 0]
        assert got.item() == want, (dy, dx, got.item(), want)


def test_zero_offsets_equal_conv2d():
    gen = torch.Generator().manual_seed(1)
    for groups, offset_groups, stride, padding, dilation in [
        (1, 1, 1, 1, 1), (2, 1, 2, 0, 1), (1, 2, (1, 2), (2, 1), (2, 1)), (4, 4, 1, 1, 2),
    ]:
        x = torch.randn(2, 8, 9, 10, generator=gen)
        wt = torch.randn(12, 8 // groups, 3, 3, generator=gen)
        b = torch.randn(12, generator=gen)
        s, p, d = _pair(stride), _pair(padding), _pair(dilation)
        ho, wo = _out_size(9, 3, s[0], p[0], d[0]), _out_size(10, 3, s[1], p[1], d[1])
        off = torch.zeros(2, 2 * offset_groups * 9, ho, wo)
        want = F.conv2d(x, wt, b, stride, padding, dilation, groups)
        got = deform_conv2d(x, off, wt, b, stride, padding, dilation)
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
        ones = torch.ones(2, offset_groups * 9, ho, wo)
        got = deform_conv2d(x, off, wt, b, stride, padding, dilation, mask=ones)
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_integer_offsets_shift_the_image():
    """A uniform integer offset equals conv2d of the shifted, zero-filled image."""
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(1, 3, 8, 8, generator=gen, dtype=torch.float64)
    wt = torch.randn(2, 3, 3, 3, generator=gen, dtype=torch.float64)
    off = torch.zeros(1, 18, 8, 8, dtype=torch.float64)
    off[:, 0::2] = 2.0  # dy
    off[:, 1::2] = -1.0  # dx
    # output (y, x), kernel (i, j) reads x[y + i - 1 + 2, x + j - 1 - 1]
    big = F.pad(x, (3, 3, 3, 3))
    window = big[:, :, 4 : 4 + 10, 1 : 1 + 10]
    torch.testing.assert_close(deform_conv2d(x, off, wt, padding=1), F.conv2d(window, wt))


def test_int_and_pair_arguments_agree():
    args = _make(stride=2, padding=1, dilation=1, h=7, w=7)
    a = deform_conv2d(**args)
    for stride, padding, dilation in [
        ((2, 2), [1, 1], (1, 1)),
        ((2,), torch.tensor([1, 1]), torch.tensor(1)),
    ]:
        args.update(stride=stride, padding=padding, dilation=dilation)
        torch.testing.assert_close(deform_conv2d(**args), a, atol=0, rtol=0)


def test_non_finite_offsets_read_zero():
    args = _make(n=1, mask=True)
    off = args["offset"]
    off[0, 0::4] = float("inf")
    off[0, 1::4] = -float("inf")
    off[0, 2, 0, 0] = float("nan")
    got = deform_conv2d(**args)
    assert torch.isfinite(got).all()
    args["offset"] = torch.where(torch.isfinite(off), off, 1e6)
    torch.testing.assert_close(got, ref_deform_conv2d(**args), atol=1e-10, rtol=1e-10)


def test_empty_batch():
    args = _make(n=0)
    out = deform_conv2d(**args)
    assert out.shape == (0, 6, 5, 6)


def test_empty_image_reads_zero_padding():
    x = torch.zeros(1, 2, 0, 3)
    off = torch.randn(1, 2, 2, 5)
    out = deform_conv2d(x, off, torch.randn(3, 2, 1, 1), torch.arange(3.0), padding=1)
    torch.testing.assert_close(out, torch.arange(3.0).view(1, 3, 1, 1).expand(1, 3, 2, 5))


@pytest.mark.parametrize("chunk", [1, 3, 7])
@pytest.mark.parametrize("groups", [1, 2])
def test_chunking_matches_reference(monkeypatch, chunk, groups):
    """Several chunks of output positions, straddling images of the batch."""
    monkeypatch.setattr(deform, "_deform_chunk_positions", lambda device, per: chunk)
    _check(_make(n=3, h=4, w=3, groups=groups, offset_groups=2, c_out=4, mask=True))


# --------------------------------------------------------------------------- gradients


def _grad_args(seed=0, mask=True, **kw):
    """float64 arguments whose samples never land on integer coordinates (bilinear kinks)."""
    args = _make(seed=seed, mask=mask, **kw)
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


# --------------------------------------------------------------------------- property test


@st.composite
def _geometries(draw):
    groups = draw(st.sampled_from([1, 2]))
    offset_groups = draw(st.sampled_from([1, 2]))
    c_in = math.lcm(groups, offset_groups) * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    min_h = max(1, dilation[0] * (kh - 1) + 1 - 2 * padding[0])
    min_w = max(1, dilation[1] * (kw - 1) + 1 - 2 * padding[1])
    h = draw(st.integers(min_h, min_h + 4))
    w = draw(st.integers(min_w, min_w + 4))
    return dict(
        n=draw(st.integers(1, 2)), c_in=c_in, c_out=c_out, h=h, w=w, kh=kh, kw=kw,
        groups=groups, offset_groups=offset_groups, stride=stride, padding=padding,
        dilation=dilation, bias=draw(st.booleans()), mask=draw(st.booleans()),
        offset_kind=draw(st.sampled_from(["frac", "int", "far", "zero"])),
        seed=draw(st.integers(0, 2**16)),
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_geometries(), st.sampled_from([None, 1, 4]))
def test_property_matches_reference(geometry, chunk):
    if chunk is None:
        _check(_make(**geometry))
        return
    original = deform._deform_chunk_positions
    deform._deform_chunk_positions = lambda device, per: chunk
    try:
        _check(_make(**geometry))
    finally:
        deform._deform_chunk_positions = original


# --------------------------------------------------------------------------- validation


def _bad(**changes):
    args = _make(n=1, c_in=4, c_out=4, h=5, w=5, mask=True)
    args.update(changes)
    return args


@pytest.mark.parametrize(
    "changes, match",
    [
        (dict(input=torch.zeros(4, 5, 5, dtype=torch.float64)), "input must be 4-D"),
        (dict(weight=torch.zeros(4, 4, 3, dtype=torch.float64)), "weight must be 4-D"),
        (dict(offset=torch.zeros(18, 5, 5, dtype=torch.float64)), "offset must be 4-D"),
        (dict(bias=torch.zeros(4, 1, dtype=torch.float64)), "bias must be 1-D"),
        (dict(bias=torch.zeros(5, dtype=torch.float64)), "bias has 5 elements"),
        (dict(weight=torch.zeros(4, 3, 3, 3, dtype=torch.float64)), "multiple of weight.shape"),
        (dict(weight=torch.zeros(3, 2, 3, 3, dtype=torch.float64)), "output channels"),
        (dict(offset=torch.zeros(1, 17, 5, 5, dtype=torch.float64)), "multiple of 2 \\* kh \\* kw"),
        (dict(offset=torch.zeros(1, 0, 5, 5, dtype=torch.float64)), "positive multiple"),
        (dict(offset=torch.zeros(1, 54, 5, 5, dtype=torch.float64), mask=None), "offset groups"),
        (dict(offset=torch.zeros(1, 18, 4, 5, dtype=torch.float64)), "offset must have shape"),
        (dict(offset=torch.zeros(2, 18, 5, 5, dtype=torch.float64)), "offset must have shape"),
        (dict(mask=torch.zeros(1, 18, 5, 5, dtype=torch.float64)), "mask must have shape"),
        (dict(mask=torch.zeros(1, 9, 5, 5)), "mask has dtype"),
        (dict(weight=torch.zeros(4, 4, 3, 3)), "weight has dtype"),
        (dict(input=torch.zeros(1, 4, 5, 5, dtype=torch.int64)), "floating-point"),
        (dict(stride=0), "stride must be >= 1"),
        (dict(stride=(1, 2, 3)), "stride must be an int or a pair"),
        (dict(stride=1.5), "stride must be an int or a pair"),
        (dict(stride=(1, True)), "stride must be an int or a pair"),
        (dict(padding="ab"), "padding must be an int or a pair"),
        (dict(padding=-1), "padding must be >= 0"),
        (dict(dilation=(1, 0)), "dilation must be >= 1"),
        (
            dict(padding=0, input=torch.zeros(1, 4, 2, 5, dtype=torch.float64)),
            "output would be empty",
        ),
        (
            dict(input=torch.zeros(1, 0, 5, 5, dtype=torch.float64)),
            "at least one channel",
        ),
    ],
)
def test_validation(changes, match):
    with pytest.raises(ValueError, match=match):
        deform_conv2d(**_bad(**changes))


def test_a_non_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="offset must be a torch.Tensor, got list"):
        deform_conv2d(**_bad(offset=[0.0]))


# --------------------------------------------------------------------------- self-containment


def test_module_is_self_contained():
    """The exporter copies the function definitions verbatim: only math, torch and
    torch.nn.functional as F may be used, and helpers are top-level _deform* functions."""
    tree = ast.parse(DEFORM_SOURCE.read_text())
    functions = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert (alias.name, alias.asname) in {
                    ("math", None), ("torch", None), ("torch.nn.functional", "F")
                }, alias.name
        elif isinstance(node, ast.ImportFrom):
            assert node.module == "__future__", node.module
        elif isinstance(node, ast.FunctionDef):
            assert node.name == "deform_conv2d" or node.name.startswith("_deform"), node.name
            functions.append(node)
        elif isinstance(node, ast.Assign):
            assert [t.id for t in node.targets] == ["__all__"]
        else:
            assert isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)  # docstring
    assert deform.__all__ == ["deform_conv2d"]

    # Simulate the exporter: the function sources alone, in a namespace with math, torch, F.
    source = DEFORM_SOURCE.read_text()
    namespace = {"math": math, "torch": torch, "F": F}
    exec(
        "\n\n".join(ast.get_source_segment(source, f) for f in functions), namespace
    )
    args = _make(mask=True, groups=2, offset_groups=2, c_out=4)
    torch.testing.assert_close(namespace["deform_conv2d"](**args), deform_conv2d(**args))


@pytest.mark.parametrize("kernel, dilation", [(2, 1), ((2, 3), 1), (4, (1, 2)), ((3, 2), (2, 3))])
def test_module_same_padding_even_kernel_equals_conv2d(kernel, dilation):
    """nnlib.DeformConv2d with padding "same" pads like nn.Conv2d (the extra pixel
    bottom/right when d·(k−1) is odd); with its zero-initialised offsets it is that conv."""
    from engine.nnlib import DeformConv2d

    torch.manual_seed(3)
    x = torch.randn(1, 4, 7, 8)
    mod = DeformConv2d(4, 6, kernel, padding="same", dilation=dilation, modulated=True)
    ref = torch.nn.Conv2d(4, 6, kernel, padding="same", dilation=dilation)
    ref.weight.data.copy_(mod.weight.data)
    ref.bias.data.copy_(mod.bias.data)
    with torch.no_grad():
        got = mod(x)
        want = ref(x)
    assert got.shape == want.shape == (1, 6, 7, 8)
    # the modulated mask is sigmoid(0) = 0.5 everywhere at initialisation
    torch.testing.assert_close(got - mod.bias.view(1, -1, 1, 1),
                               0.5 * (want - ref.bias.view(1, -1, 1, 1)), atol=1e-5, rtol=1e-5)
