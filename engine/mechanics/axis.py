"""One spatial axis of a layer's index structure: for each output position, its taps.

An :class:`AxisMap` lists, for every output position along one axis, the
``(position, tap, weight)`` triples that feed it: ``position`` on the input axis
(outside ``0..in_size-1`` for a virtual padding cell), ``tap`` the kernel index
along the axis (as torch stores the kernel, never flipped) and ``weight`` the
interpolation weight (1.0 for kernels and pooling windows). A 2D layer is the
product of its two axis maps (:mod:`.grid`).

The builders mirror torch's index arithmetic exactly: sliding windows
(convolutions, pooling, ceil mode included), the scatter of a transposed
convolution or of an unpooling, and nearest / bilinear / bicubic resampling
(float32 arithmetic, as torch's CPU kernels compute it).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

__all__ = ["AxisMap", "window", "scatter", "nearest", "linear", "cubic", "source"]

Entry = tuple[int, int, float]


@dataclass(frozen=True)
class AxisMap:
    """Per output position along one axis, its ``(position, tap, weight)`` entries.

    ``padding_mode`` says what a virtual position reads: ``"zeros"`` nothing,
    ``"reflect"`` / ``"replicate"`` / ``"circular"`` a real input position
    (:func:`source`). ``extent`` holds, for pooling windows, the window cells
    inside the padded input (AvgPool2d's divisor with ``count_include_pad``).
    """

    in_size: int
    out_size: int
    kernel: int
    entries: tuple[tuple[Entry, ...], ...]
    padding_mode: str = "zeros"
    extent: tuple[int, ...] | None = None

    def real(self, o: int) -> tuple[Entry, ...]:
        """The entries of output ``o`` that read an input position, padding resolved:
        ``(input position, tap, weight)``, virtual zero cells left out."""
        out = []
        for q, j, w in self.entries[o]:
            r = source(q, self.in_size, self.padding_mode)
            if r is not None:
                out.append((r, j, w))
        return tuple(out)


def source(q: int, n: int, mode: str = "zeros") -> int | None:
    """The input position a (possibly virtual) position ``q`` reads on an axis of ``n``."""
    if 0 <= q < n:
        return q
    if mode == "zeros":
        return None
    if mode == "replicate":
        return min(max(q, 0), n - 1)
    if mode == "circular":
        return q % n
    if mode == "reflect":  # torch: one reflection, padding < n
        return -q if q < 0 else 2 * (n - 1) - q
    raise ValueError(f"unknown padding mode {mode!r}")


def window(n: int, out: int, k: int, s: int, d: int, pad_before: int, pad_after: int,
           padding_mode: str = "zeros") -> AxisMap:
    """A sliding window (convolution or pooling): output ``o`` reads input positions
    ``o·s − pad_before + j·d`` for taps ``j < k``; with ceil mode a last window may
    overhang the padded input (those cells are left out of ``extent``)."""
    entries, extent = [], []
    end = n + pad_after
    for o in range(out):
        start = o * s - pad_before
        entries.append(tuple((start + j * d, j, 1.0) for j in range(k)))
        extent.append(min(start + d * (k - 1) + 1, end) - start)
    return AxisMap(n, out, k, tuple(entries), padding_mode, tuple(extent))


def scatter(n: int, out: int, k: int, s: int, d: int, crop: int) -> AxisMap:
    """A scatter (transposed convolution, unpooling): input ``i`` writes output
    ``i·s − crop + j·d`` for taps ``j < k``; returned per output position."""
    per_out: list[list[Entry]] = [[] for _ in range(out)]
    for i in range(n):
        for j in range(k):
            o = i * s - crop + j * d
            if 0 <= o < out:
                per_out[o].append((i, j, 1.0))
    return AxisMap(n, out, k, tuple(tuple(sorted(e)) for e in per_out))


def _f32(x: float) -> float:
    """``x`` rounded to float32 (torch's CPU resampling computes in float)."""
    return struct.unpack("f", struct.pack("f", x))[0]


def _scale(n: int, out: int, factor: float | None, align_corners: bool) -> float:
    """torch's ``area_pixel_compute_scale`` in float32."""
    if align_corners:
        return _f32((n - 1) / (out - 1)) if out > 1 else 0.0
    if factor is not None and factor > 0:
        return _f32(1.0 / factor)
    return _f32(n / out)


def nearest(n: int, out: int, factor: float | None) -> AxisMap:
    """Nearest resampling: output ``o`` reads ``min(⌊o · 1/scale⌋, n−1)`` (float32)."""
    scale = _scale(n, out, factor, False)
    entries = []
    for o in range(out):
        if out == n:
            i = o
        elif out == 2 * n:
            i = o >> 1
        else:
            i = min(math.floor(_f32(o * scale)), n - 1)
        entries.append(((i, 0, 1.0),))
    return AxisMap(n, out, 1, tuple(entries))


def linear(n: int, out: int, factor: float | None, align_corners: bool) -> AxisMap:
    """Linear resampling: output ``o`` mixes two neighbours (the same one twice at the
    last input position), weights ``1 − λ`` and ``λ``. torch leaves an axis whose size
    does not change as it is, whatever the scale factor."""
    if out == n:
        return AxisMap(n, out, 2, tuple(((o, 0, 1.0),) for o in range(out)))
    scale = _scale(n, out, factor, align_corners)
    entries = []
    for o in range(out):
        if align_corners:
            real = _f32(scale * o)
        else:
            real = max(_f32(_f32(scale * _f32(o + 0.5)) - 0.5), 0.0)
        i0 = min(int(real), n - 1)
        lam = min(max(_f32(real - i0), 0.0), 1.0)
        i1 = i0 + (1 if i0 < n - 1 else 0)
        entries.append(((i0, 0, _f32(1.0 - lam)), (i1, 1, lam)))
    return AxisMap(n, out, 2, tuple(entries))


def _cubic_weights(t: float, a: float = -0.75) -> tuple[float, ...]:
    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return (far(t + 1.0), near(t), near(1.0 - t), far(2.0 - t))


def cubic(n: int, out: int, factor: float | None, align_corners: bool) -> AxisMap:
    """Bicubic resampling (A = −0.75): output ``o`` mixes four neighbours, positions
    clamped to the input (the border pixel repeats)."""
    scale = _scale(n, out, factor, align_corners)
    entries = []
    for o in range(out):
        real = _f32(scale * o) if align_corners else \
            _f32(_f32(scale * _f32(o + 0.5)) - 0.5)
        i = math.floor(real)
        t = _f32(real - i)
        ws = _cubic_weights(t)
        entries.append(tuple((min(max(i - 1 + j, 0), n - 1), j, w)
                             for j, w in enumerate(ws)))
    return AxisMap(n, out, 4, tuple(entries))
