"""Where a deformable convolution samples, with the bilinear weights (Qt-free).

For output ``(oy, ox)`` and kernel tap ``n = i·k_w + j`` torchvision's
``deform_conv2d`` samples the input at ``p = p0 + pn + Δpn``: ``p0 + pn =
(oy·s − pad + i·d, ox·s − pad + j·d)`` is the regular grid and ``Δpn`` the
learned offset, read from ``offsets[2·(g·K + n)]`` (dy) and ``[2·(g·K + n) + 1]``
(dx) at ``(oy, ox)`` (``K = k_h·k_w``, offset group ``g``). The value there is
bilinear in its four neighbouring pixels; a sample at ``y ≤ −1``, ``y ≥ H``,
``x ≤ −1`` or ``x ≥ W`` is zero, and neighbours outside the input count as
zero. The modulated variant (DCN v2) multiplies it by ``mask[g·K + n]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Sample", "samples", "bilinear_corners"]


@dataclass(frozen=True)
class Sample:
    """One kernel tap's sample: positions ``(y, x)`` in input pixels."""

    tap: int
    base: tuple[float, float]
    offset: tuple[float, float]
    point: tuple[float, float]
    mask: float | None
    #: ``(y, x, weight, inside)`` of the four neighbours
    corners: tuple[tuple[int, int, float, bool], ...]


def bilinear_corners(y: float, x: float, h: int, w: int):
    """The four neighbours of ``(y, x)`` with their bilinear weights (torchvision's
    rule: all zero outside ``−1 < y < h``, ``−1 < x < w``)."""
    y0, x0 = math.floor(y), math.floor(x)
    ly, lx = y - y0, x - x0
    outside = y <= -1 or y >= h or x <= -1 or x >= w
    out = []
    for dy, wy in ((0, 1 - ly), (1, ly)):
        for dx, wx in ((0, 1 - lx), (1, lx)):
            yy, xx = y0 + dy, x0 + dx
            inside = not outside and 0 <= yy < h and 0 <= xx < w
            out.append((yy, xx, float(wy * wx) if not outside else 0.0, inside))
    return tuple(out)


def samples(params: dict, offsets: np.ndarray, mask: np.ndarray | None,
            loc: tuple[int, int], size: tuple[int, int], group: int = 0) -> list[Sample]:
    """The ``k_h·k_w`` samples of output ``loc`` in offset group ``group``.

    Parameters
    ----------
    params : dict
        kernel_size, stride, padding (the padding before the first pixel, per
        axis), dilation.
    offsets : numpy.ndarray
        ``[2·G·k_h·k_w, H_out, W_out]``, ``(dy, dx)`` per tap (torchvision).
    mask : numpy.ndarray or None
        ``[G·k_h·k_w, H_out, W_out]`` (modulated) or None.
    loc : (int, int)
        The output position.
    size : (int, int)
        The input's ``(H, W)``.
    """
    kh, kw = params["kernel_size"]
    sh, sw = params.get("stride", (1, 1))
    ph, pw = params.get("padding", (0, 0))
    dh, dw = params.get("dilation", (1, 1))
    oy, ox = loc
    k = kh * kw
    out = []
    for n in range(k):
        i, j = divmod(n, kw)
        by, bx = oy * sh - ph + i * dh, ox * sw - pw + j * dw
        c = 2 * (group * k + n)
        dy, dx = float(offsets[c, oy, ox]), float(offsets[c + 1, oy, ox])
        y, x = by + dy, bx + dx
        m = None if mask is None else float(mask[group * k + n, oy, ox])
        out.append(Sample(n, (float(by), float(bx)), (dy, dx), (y, x), m,
                          bilinear_corners(y, x, *size)))
    return out
