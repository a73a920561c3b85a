"""The animation of one layer, frame by frame (numpy; no drawing).

:class:`Walk` turns a :class:`~engine.mechanics.Mechanics` and the values of
one channel into frames. In the *gather* form a frame is one output: its
window on the drawn input grid, the row of the matrix C, the equation of its
value; outputs fill in one after the other. In the *scatter* form (a
transposed convolution's, or an unpooling) a frame is one input pixel: it adds
``w·x`` to every output its kernel covers (partial sums grow). For a
transposed convolution the gather form runs over the zero-inserted input with
the flipped kernel; both forms end in the same output.

Outputs are computed once, vectorised over the two :class:`~.lanes.Lane`
(``[out_h, a, out_w, b]`` arrays); a frame only slices them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.mechanics import Mechanics

from .lanes import Lane, scatter_lane, window_lane, zero_insertion_lane

__all__ = ["Walk", "Frame", "KERNEL_LIKE", "follow"]

#: mechanisms whose output is a weighted sum with a learned kernel
KERNEL_LIKE = ("conv", "transposed", "deformable", "depthwise_separable",
               "spatially_separable")


@dataclass(frozen=True)
class Frame:
    """What one step of the animation shows (drawn grid coordinates ``(y, x)``).

    ``window`` holds ``(y, x, slot_y, slot_x)`` of the input cells read (gather) or
    of the output cells written (scatter); ``lit`` the input cells of the matrix
    row (gather) or the input pixel (scatter); ``row``/``col`` the matrix C's
    highlighted row (an output, gather) or column (an input, scatter).
    """

    index: int
    form: str
    focus: tuple[int, int]
    window: tuple[tuple[int, int, int, int], ...]
    lit: tuple[tuple[int, int], ...]
    row: int | None = None
    col: int | None = None
    #: ``(input value, kernel value or None, weight)`` of each term (gather), or the
    #: scattered value ``x`` with the kernel values written (scatter)
    terms: tuple = field(default=())
    chosen: tuple[int, int] | None = None  # unpooling: the cell its index names


def follow(start: int, lo: int, total: int, size: int, first: int, last: int) -> int:
    """The first drawn position of a ``size``-cell view over ``lo .. lo+total−1`` that
    keeps ``first .. last`` in view, moving from ``start`` only when it must: then so
    that the cells ahead come into view (a window leaving on the right lands at the
    left edge), which keeps the view still for as many steps as possible."""
    if total <= size:
        return lo
    if last >= start + size:
        start = first
    elif first < start:
        start = last - size + 1
    return int(min(max(start, lo), lo + total - size))


class Walk:
    """The frames of one layer over one channel.

    Parameters
    ----------
    mech : Mechanics
    form : {"gather", "scatter"}
        For a transposed convolution, zero insertion (gather) or scatter; an
        unpooling always scatters, the other layers always gather.
    """

    def __init__(self, mech: Mechanics, form: str = "gather"):
        self.mech = mech
        kind = mech.mechanism
        if kind == "transposed":
            self.form = form
            self.lanes = self._transposed_lanes(form)
        else:
            self.form = "scatter" if kind == "unpool" else "gather"
            self.lanes = tuple(window_lane(ax) for ax in mech.axes)
        self.kernel_like = kind in KERNEL_LIKE
        self.x = np.zeros(mech.input_size)
        self.kernel: np.ndarray | None = None
        self._given: np.ndarray | None = None
        self._full: np.ndarray | None = None
        self._inverse = None
        self.chosen: dict[int, tuple[int, int]] = {}

    def _transposed_lanes(self, form: str) -> tuple[Lane, Lane]:
        m, p = self.mech, self.mech.params
        z = m.zero_insertion
        out = []
        for i in range(2):
            n, o, k = m.input_size[i], m.output_size[i], m.kernel[i]
            s, d, pad = p["stride"][i], p["dilation"][i], p["padding"][i]
            if form == "gather":
                out.append(zero_insertion_lane(n, o, k, s, d, z.padding[i][0], z.size[i]))
            else:
                out.append(scatter_lane(n, o, k, s, d, pad))
        return tuple(out)

    # -- sizes -----------------------------------------------------------------------------
    @property
    def out_shape(self) -> tuple[int, int]:
        """Drawn outputs per axis (a scatter's cropped writes included)."""
        return self.lanes[0].n_out, self.lanes[1].n_out

    @property
    def frames(self) -> int:
        """Number of frames: outputs (gather) or input pixels (scatter)."""
        h, w = self.mech.output_size if self.form == "gather" else self.mech.input_size
        return h * w

    # -- values ----------------------------------------------------------------------------
    def set_values(self, x: np.ndarray, kernel: np.ndarray | None = None,
                   y: np.ndarray | None = None, chosen: dict | None = None) -> None:
        """The input ``[H, W]``, the kernel ``[k_h, k_w]`` (None: unknown) and, when
        known (a run's activations), the output ``[H_out, W_out]``; for an unpooling
        ``chosen`` maps input flat index -> the output cell its index names.

        Nothing is computed here: outputs are computed for the cells drawn
        (:meth:`values`, :meth:`outputs`), so a 224 × 224 layer costs no more than a
        small one."""
        self.x = np.asarray(x, np.float64)
        self.kernel = None if kernel is None else np.asarray(kernel, np.float64)
        self.chosen = dict(chosen or {})
        self._given = None if y is None else self._place(np.asarray(y, np.float64))
        self._full = None

    def _slab(self, rows: slice, cols: slice):
        """``(terms, flat input index, mask, input values)`` ``[rows, a, cols, b]`` of the
        drawn outputs ``[rows, cols]`` (lane indices)."""
        ly, lx = self.lanes
        sy, sx = np.maximum(ly.src[rows], 0), np.maximum(lx.src[cols], 0)
        g = self.x[sy[:, :, None, None], sx[None, None, :, :]]
        mask = (ly.valid[rows] & (ly.src[rows] >= 0))[:, :, None, None] & \
            (lx.valid[cols] & (lx.src[cols] >= 0))[None, None, :, :]
        w = ly.weight[rows][:, :, None, None] * lx.weight[cols][None, None, :, :]
        if self.kernel_like:
            k = np.ones(self.mech.kernel) if self.kernel is None else self.kernel
            w = w * k[ly.tap[rows][:, :, None, None], lx.tap[cols][None, None, :, :]]
        flat = sy[:, :, None, None] * self.mech.input_size[1] + sx[None, None, :, :]
        return np.where(mask, g * w, 0.0), np.where(mask, flat, -1), mask, g

    def values(self, rows: slice, cols: slice) -> np.ndarray:
        """The final outputs ``[rows, cols]`` (lane indices; NaN where a scatter's write
        is cropped and the values came from a run)."""
        if self._given is not None:
            return self._given[rows, cols]
        if self.mech.mechanism == "unpool":
            return self._unpooled(len(self.x.flat))[rows, cols]
        terms, _flat, mask, g = self._slab(rows, cols)
        if self.mech.mechanism == "max_pool":
            return np.where(mask, g, -np.inf).max(axis=(1, 3))
        if self.mech.mechanism == "avg_pool":
            ey, ex = (np.array(ax.extent, np.float64) for ax in self.mech.axes)
            return terms.sum(axis=(1, 3)) / np.outer(ey[rows], ex[cols])
        return terms.sum(axis=(1, 3))

    def value(self, oy: int, ox: int) -> float:
        """One final output (lane indices)."""
        return float(self.values(slice(oy, oy + 1), slice(ox, ox + 1))[0, 0])

    @property
    def y(self) -> np.ndarray:
        """Every final output (lane indices), computed on first use."""
        if self._full is None:
            self._full = self.values(slice(None), slice(None))
        return self._full

    def _place(self, y: np.ndarray) -> np.ndarray:
        """A real output drawn on the (maybe uncropped) output grid; NaN where cropped."""
        out = np.full(self.out_shape, np.nan)
        (y0, _), (x0, _) = (ln.real_out() for ln in self.lanes)
        out[y0:y0 + y.shape[0], x0:x0 + y.shape[1]] = y
        return out

    def _unpooled(self, upto: int) -> np.ndarray:
        y = np.zeros(self.out_shape)
        w = self.mech.input_size[1]
        for i, (oy, ox) in sorted(self.chosen.items()):
            if i < upto:
                y[oy, ox] = self.x[i // w, i % w]
        return y

    # -- frames ----------------------------------------------------------------------------
    def frame(self, f: int) -> Frame:
        """Frame ``f`` (clamped to the walk)."""
        f = int(min(max(f, 0), self.frames - 1))
        return self._gather(f) if self.form == "gather" else self._scatter(f)

    def _gather(self, f: int) -> Frame:
        ly, lx = self.lanes
        ow = self.mech.output_size[1]
        oy, ox = divmod(f, ow)
        window, lit, terms = [], [], []
        for a in np.flatnonzero(ly.valid[oy]):
            for b in np.flatnonzero(lx.valid[ox]):
                window.append((int(ly.disp[oy, a]), int(lx.disp[ox, b]),
                               int(ly.slot[oy, a]), int(lx.slot[ox, b])))
                sy, sx = int(ly.src[oy, a]), int(lx.src[ox, b])
                if sy >= 0 and sx >= 0:
                    lit.append((int(ly.in_at[sy]), int(lx.in_at[sx])))
                    k = None
                    if self.kernel_like and self.kernel is not None:
                        k = float(self.kernel[ly.tap[oy, a], lx.tap[ox, b]])
                    terms.append((float(self.x[sy, sx]), k,
                                  float(ly.weight[oy, a] * lx.weight[ox, b])))
        focus = (ly.out_lo + oy, lx.out_lo + ox)
        return Frame(f, "gather", focus, tuple(window), tuple(dict.fromkeys(lit)), row=f,
                     terms=tuple(terms))

    def _scatter(self, f: int) -> Frame:
        ly, lx = self.lanes
        if self._inverse is None:
            self._inverse = (ly.inverse(), lx.inverse())
        iy, ix = divmod(f, self.mech.input_size[1])
        window = tuple((ly.out_lo + o, lx.out_lo + q, int(ly.slot[o, a]), int(lx.slot[q, b]))
                       for o, a in self._inverse[0][iy] for q, b in self._inverse[1][ix])
        k = None
        if self.kernel_like and self.kernel is not None:
            k = self.kernel
        focus = (int(ly.in_at[iy]), int(lx.in_at[ix]))
        return Frame(f, "scatter", focus, window, (focus,), col=f,
                     terms=((float(self.x[iy, ix]), k, 1.0),), chosen=self.chosen.get(f))

    def window_of(self, oy: int, ox: int) -> tuple[tuple[int, int, int, int], ...]:
        """The drawn input cells ``(y, x, slot_y, slot_x)`` that drawn output ``(oy, ox)``
        (lane indices) reads, whatever the form (hovering an output cell)."""
        ly, lx = self.lanes
        out = []
        for a in np.flatnonzero(ly.valid[oy]):
            for b in np.flatnonzero(lx.valid[ox]):
                if self.form == "gather":
                    y, x = ly.disp[oy, a], lx.disp[ox, b]
                else:
                    y, x = ly.in_at[ly.src[oy, a]], lx.in_at[lx.src[ox, b]]
                out.append((int(y), int(x), int(ly.slot[oy, a]), int(lx.slot[ox, b])))
        return tuple(out)

    # -- outputs as drawn --------------------------------------------------------------------
    def outputs(self, f: int, rows: slice, cols: slice) -> tuple[np.ndarray, np.ndarray]:
        """``(values, done)`` of the drawn outputs ``[rows, cols]`` at frame ``f``: the
        outputs finished so far (gather) or the partial sums so far (scatter)."""
        if self.form == "gather":
            oh, ow = self.out_shape
            idx = np.arange(oh * ow).reshape(oh, ow)[rows, cols]
            return self.values(rows, cols), idx <= f
        if self.mech.mechanism == "unpool":
            y = self._unpooled(f + 1)[rows, cols]
            return y, np.ones(y.shape, bool)
        terms, flat, mask, _g = self._slab(rows, cols)
        keep = (flat <= f) & mask
        if self.kernel is None and self._given is not None:
            # a run's values: without the weights only finished outputs are known
            done = ~(mask & (flat > f)).any(axis=(1, 3)) & mask.any(axis=(1, 3))
            return self._given[rows, cols], done
        return np.where(keep, terms, 0.0).sum(axis=(1, 3)), keep.any(axis=(1, 3))

    def overlap(self) -> np.ndarray:
        """Taps per real output (the engine's ``Mechanics.overlap``, as a grid)."""
        counts = [(ln.valid & (ln.src >= 0)).sum(axis=1) for ln in self.lanes]
        (y0, y1), (x0, x1) = (ln.real_out() for ln in self.lanes)
        return np.outer(counts[0][y0:y1], counts[1][x0:x1])

    # -- the matrix C ------------------------------------------------------------------------
    def matrix_row(self, o: int) -> dict[int, float]:
        """Input column -> entry of row ``o`` (a real output, flat) of C (Cᵀ for a
        transposed conv): the kernel value (the tap index while the kernel is
        unknown), the interpolation weight, 1/divisor, or 1 for a max or unpooling."""
        ly, lx = self.lanes
        (y0, _), (x0, _) = (ln.real_out() for ln in self.lanes)
        oy, ox = divmod(o, self.mech.output_size[1])
        oy, ox = oy + y0, ox + x0
        w_in = self.mech.input_size[1]
        kw = self.mech.kernel[1]
        div = None
        if self.mech.mechanism == "avg_pool":
            div = self.mech.axes[0].extent[oy] * self.mech.axes[1].extent[ox]
        row: dict[int, float] = {}
        for a in np.flatnonzero(ly.valid[oy] & (ly.src[oy] >= 0)):
            for b in np.flatnonzero(lx.valid[ox] & (lx.src[ox] >= 0)):
                col = int(ly.src[oy, a]) * w_in + int(lx.src[ox, b])
                wt = float(ly.weight[oy, a] * lx.weight[ox, b])
                if self.kernel_like:
                    t = (int(ly.tap[oy, a]), int(lx.tap[ox, b]))
                    v = float(self.kernel[t]) if self.kernel is not None else t[0] * kw + t[1]
                elif div is not None:
                    v = 1.0 / div
                elif self.mech.mechanism == "upsample":
                    v = wt
                else:
                    v = 1.0
                row[col] = row.get(col, 0.0) + v if self.mech.mechanism == "upsample" else v
        return row
