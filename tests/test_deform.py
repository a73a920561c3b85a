"""engine.deform.deform_conv2d against a slow reference written from the formulas
(``deform_reference.py``): offsets, masks, geometries, borders, chunking, random cases."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine.deform as deform
import engine.deform_sampling as deform_sampling
from engine.deform import deform_conv2d

from .deform_reference import (
    base_positions,
    check_reference,
    fresh_table,
    make_args,
    out_size,
    pair,
    ref_deform_conv2d,
)

pytestmark = pytest.mark.usefixtures("torch_one_thread")

# --------------------------------------------------------------------------- forward vs reference


@pytest.mark.parametrize("offset_kind", ["frac", "int", "far", "zero"])
@pytest.mark.parametrize("mask", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_offsets_kinds(offset_kind, mask, bias):
    check_reference(make_args(offset_kind=offset_kind, mask=mask, bias=bias, seed=len(offset_kind)))


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
    check_reference(make_args(mask=mask, **geometry))


@pytest.mark.parametrize("mask", [False, True])
def test_float32_matches_reference(mask):
    args = make_args(dtype=torch.float32, mask=mask, groups=2, offset_groups=2, c_out=4)
    check_reference(args, atol=1e-5, rtol=1e-5)


def test_samples_exactly_on_the_border():
    """Samples at -1, H, W, H - 1, W - 1, 0 and just inside / outside them."""
    h, w, kh, kw = 4, 5, 3, 3
    args = make_args(n=1, c_in=2, c_out=3, h=h, w=w, kh=kh, kw=kw, padding=1, mask=True)
    by, bx = base_positions(kh, kw, h, w, 1, 1, 1)
    targets_y = torch.tensor([-1.0, h, h - 1, 0.0, -1 + 1e-9, h - 1e-9, -1 - 1e-9, 2.0, -0.5])
    targets_x = torch.tensor([-1.0, w, w - 1, 0.0, -1 + 1e-9, w - 1e-9, w + 1e-9, 2.0, 4.5])
    gen = torch.Generator().manual_seed(3)
    ty = targets_y[torch.randint(0, len(targets_y), by.shape, generator=gen)]
    tx = targets_x[torch.randint(0, len(targets_x), bx.shape, generator=gen)]
    off = torch.stack((ty - by, tx - bx), 1).reshape(1, 2 * kh * kw, h, w)
    args["offset"] = off
    check_reference(args)


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
        s, p, d = pair(stride), pair(padding), pair(dilation)
        ho, wo = out_size(9, 3, s[0], p[0], d[0]), out_size(10, 3, s[1], p[1], d[1])
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
    args = make_args(stride=2, padding=1, dilation=1, h=7, w=7)
    a = deform_conv2d(**args)
    for stride, padding, dilation in [
        ((2, 2), [1, 1], (1, 1)),
        ((2,), torch.tensor([1, 1]), torch.tensor(1)),
    ]:
        args.update(stride=stride, padding=padding, dilation=dilation)
        torch.testing.assert_close(deform_conv2d(**args), a, atol=0, rtol=0)


def test_non_finite_offsets_read_zero():
    args = make_args(n=1, mask=True)
    off = args["offset"]
    off[0, 0::4] = float("inf")
    off[0, 1::4] = -float("inf")
    off[0, 2, 0, 0] = float("nan")
    got = deform_conv2d(**args)
    assert torch.isfinite(got).all()
    args["offset"] = torch.where(torch.isfinite(off), off, 1e6)
    torch.testing.assert_close(got, ref_deform_conv2d(**args), atol=1e-10, rtol=1e-10)


def test_empty_batch():
    args = make_args(n=0)
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
    monkeypatch.setattr(deform, "_deform_chunk_positions", lambda device, per, *_: chunk)
    check_reference(make_args(n=3, h=4, w=3, groups=groups, offset_groups=2, c_out=4, mask=True))


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
        check_reference(make_args(**geometry))
        return
    original = deform._deform_chunk_positions
    deform._deform_chunk_positions = lambda device, per, *_: chunk
    try:
        check_reference(make_args(**geometry))
    finally:
        deform._deform_chunk_positions = original


# --------------------------------------------------------------------------- per-geometry constants


@pytest.fixture
def kept(monkeypatch):
    """A fresh table of per-geometry tensors for the test."""
    return fresh_table(monkeypatch, deform_sampling._deform_kept)


def test_the_sample_grid_is_made_once_per_geometry_and_never_written(kept):
    args = make_args(seed=3, n=2, c_in=4, c_out=2, h=7, w=6, stride=(2, 1), padding=(1, 2),
                     dilation=(1, 2), offset_groups=2, mask=True)
    want = ref_deform_conv2d(**args)
    for _ in range(3):  # the first call makes the grid and the shifts, the others reuse them
        torch.testing.assert_close(deform_conv2d(**args), want, atol=1e-10, rtol=1e-10)
    assert sorted(k[0] for k in kept) == ["_deform_base", "_deform_shifts"]
    base = next(v for k, v in kept.items() if k[0] == "_deform_base")
    by, bx = base_positions(3, 3, 4, 6, (2, 1), (1, 2), (1, 2))  # the textbook grid
    assert torch.equal(base[:, :, 0].reshape(9, 4, 6), by)
    assert torch.equal(base[:, :, 1].reshape(9, 4, 6), bx)
    made = dict(kept)
    deform_conv2d(**make_args(seed=4, n=2, c_in=4, c_out=2, h=7, w=6, padding=1))
    assert len(kept) == 4 and all(kept[k] is v for k, v in made.items())


def test_kept_tensors_stay_under_4m_elements(kept):
    def grid(h, w):
        return deform_sampling._deform_kept(deform_sampling._deform_base, h, w, 1, 1, (1, 1),
                                            (0, 0), (1, 1), torch.float32, torch.device("cpu"))
    grid(1024, 1024)
    grid(1024, 1024)  # the same: kept once
    grid(10, 10)
    assert [k[1:3] for k in kept] == [(1024, 1024), (10, 10)]  # 2 M + 200 elements
    grid(1024, 1025)  # 4 M + 2,248 in all: starts again
    assert [k[1:3] for k in kept] == [(1024, 1025)]
