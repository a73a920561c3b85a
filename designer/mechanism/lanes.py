"""One axis of the animation, as numpy arrays built from ``engine.mechanics``' axis maps.

A :class:`Lane` lists, for every output position along one axis, the cells of
the drawn input grid its window covers: their position in the grid's own
coordinates (``disp``, virtual padding cells included), the real input
position they read (``src``, −1 for a zero), the kernel index as torch stores
it (``tap``) and the cell of the drawn kernel (``slot``: the same, except for
the zero-insertion form whose kernel is drawn flipped), and the interpolation
weight. The 2D walk (:mod:`.walk`) is the product of two lanes, so nothing
here loops over pixels in Python more than once per axis.

Three geometries: the sliding window of a layer's own axis map (convolutions,
pools, resampling, unpooling; :func:`window_lane`), a transposed convolution
as a stride-1 convolution over its zero-inserted input (:func:`zero_insertion_lane`)
and its scatter form over the uncropped output, where writes that ``padding``
crops are kept and drawn as cropped cells (:func:`scatter_lane`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.mechanics.axis import AxisMap, scatter, source

__all__ = ["Lane", "REAL", "PADDING", "ZERO", "window_lane", "zero_insertion_lane",
           "scatter_lane"]

#: kinds of a drawn input (or output) cell along one axis
REAL, PADDING, ZERO = 0, 1, 2


@dataclass(frozen=True)
class Lane:
    """Per output position along one axis, the input cells its window covers.

    Attributes
    ----------
    disp, src, tap, slot : numpy.ndarray
        ``[n_out, a]`` ints: drawn input position, real input position (−1:
        padding or an inserted zero), torch kernel index, drawn kernel cell.
    weight : numpy.ndarray
        ``[n_out, a]`` interpolation weights (1 for kernels and windows).
    valid : numpy.ndarray
        ``[n_out, a]`` bools: the entry exists (outputs have windows of
        different lengths only for resampling and scatters).
    in_lo, in_kinds : int, numpy.ndarray
        Drawn input positions are ``in_lo .. in_lo + len(in_kinds) − 1``;
        ``in_kinds`` says REAL, PADDING or ZERO for each.
    out_lo, out_kinds : int, numpy.ndarray
        Output index ``o`` is drawn at ``out_lo + o``; ``out_kinds`` is REAL or
        PADDING (a cropped write of the scatter form) per drawn output.
    in_src : numpy.ndarray
        Per drawn input position, the real input position it shows (−1: a
        zero; a padding cell of padding_mode reflect/replicate/circular copies one).
    in_at : numpy.ndarray
        The drawn position of each real input position.
    kernel : int
        Kernel (or stencil) size along the axis.
    """

    disp: np.ndarray
    src: np.ndarray
    tap: np.ndarray
    slot: np.ndarray
    weight: np.ndarray
    valid: np.ndarray
    in_lo: int
    in_kinds: np.ndarray
    out_lo: int
    out_kinds: np.ndarray
    in_src: np.ndarray
    in_at: np.ndarray
    kernel: int

    @property
    def n_in(self) -> int:
        """Input size along the axis."""
        return len(self.in_at)

    @property
    def n_out(self) -> int:
        """Outputs along the axis (the scatter form's uncropped ones included)."""
        return self.disp.shape[0]

    def real_out(self) -> tuple[int, int]:
        """``(first, end)`` output indices that the layer really produces."""
        idx = np.flatnonzero(self.out_kinds == REAL)
        return (int(idx[0]), int(idx[-1]) + 1) if idx.size else (0, 0)

    def inverse(self) -> list[list[tuple[int, int]]]:
        """Per real input position, the ``(output, entry)`` pairs that read it."""
        inv: list[list[tuple[int, int]]] = [[] for _ in range(self.n_in)]
        for o, a in zip(*np.nonzero(self.valid & (self.src >= 0)), strict=True):
            inv[int(self.src[o, a])].append((int(o), int(a)))
        return inv


def _pack(rows: list[list[tuple[int, int, int, int, float]]]):
    """``[disp, src, tap, slot, weight]`` per entry, per output -> padded arrays."""
    width = max((len(r) for r in rows), default=0) or 1
    arr = np.zeros((len(rows), width, 5), np.float64)
    valid = np.zeros((len(rows), width), bool)
    arr[..., 1] = -1
    for o, row in enumerate(rows):
        if row:
            arr[o, :len(row)] = row
            valid[o, :len(row)] = True
    ints = arr[..., :4].astype(np.int64)
    return ints[..., 0], ints[..., 1], ints[..., 2], ints[..., 3], arr[..., 4], valid


def window_lane(ax: AxisMap) -> Lane:
    """The layer's own axis map: window cells at their (maybe virtual) positions."""
    rows = []
    for entries in ax.entries:
        row = []
        for q, j, w in entries:
            r = source(q, ax.in_size, ax.padding_mode)
            row.append((q, -1 if r is None else r, j, j, w))
        rows.append(row)
    disp, src, tap, slot, weight, valid = _pack(rows)
    qs = disp[valid]
    lo = min(0, int(qs.min())) if qs.size else 0
    hi = max(ax.in_size, int(qs.max()) + 1) if qs.size else ax.in_size
    pos = np.arange(lo, hi)
    kinds = np.where((pos < 0) | (pos >= ax.in_size), PADDING, REAL)
    shows = np.array([-1 if (r := source(int(q), ax.in_size, ax.padding_mode)) is None else r
                      for q in pos], np.int64)
    return Lane(disp, src, tap, slot, weight, valid, lo, kinds, 0,
                np.full(ax.out_size, REAL), shows, np.arange(ax.in_size), ax.kernel)


def zero_insertion_lane(n: int, out: int, k: int, s: int, d: int,
                        before: int, size: int) -> Lane:
    """A transposed conv as a stride-1 conv of the zero-inserted input (see
    :class:`engine.mechanics.ZeroInsertion`): output ``o`` reads positions
    ``o + a·d`` of the ``size`` cells with the flipped kernel (tap ``k−1−a``)."""
    a = np.arange(k)
    disp = np.arange(out)[:, None] + a[None, :] * d
    c = disp - before
    on = (c >= 0) & (c % s == 0) & (c // s < n)
    src = np.where(on, c // s, -1)
    tap = np.broadcast_to(k - 1 - a, disp.shape).copy()
    slot = np.broadcast_to(a, disp.shape).copy()
    pos = np.arange(size) - before
    kinds = np.where((pos < 0) | (pos > (n - 1) * s), PADDING,
                     np.where(pos % s == 0, REAL, ZERO))
    shows = np.where(kinds == REAL, pos // s, -1)
    return Lane(disp, src, tap, slot, np.ones(disp.shape), np.ones(disp.shape, bool), 0,
                kinds, 0, np.full(out, REAL), shows, before + s * np.arange(n), k)


def scatter_lane(n: int, out: int, k: int, s: int, d: int, p: int) -> Lane:
    """A transposed conv's scatter over the uncropped output: input ``i`` writes
    ``i·s − p + j·d``; writes outside ``0 .. out−1`` are kept as cropped cells."""
    lo = min(0, -p)
    hi = max(out, (n - 1) * s - p + (k - 1) * d + 1)
    ax = scatter(n, hi - lo, k, s, d, p + lo)
    rows = [[(i, i, j, j, w) for i, j, w in entries] for entries in ax.entries]
    disp, src, tap, slot, weight, valid = _pack(rows)
    u = np.arange(lo, hi)
    out_kinds = np.where((u < 0) | (u >= out), PADDING, REAL)
    return Lane(disp, src, tap, slot, weight, valid, 0, np.full(n, REAL), lo, out_kinds,
                np.arange(n), np.arange(n), k)
