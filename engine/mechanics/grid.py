"""The 2D index structure of one layer over one channel: :class:`Mechanics`.

Positions are flat row-major over one channel (``y · width + x``). The
structure is the product of two :class:`~engine.mechanics.axis.AxisMap`; taps,
overlap counts, pooling divisors and the matrix C are derived from them on
demand (a 224 × 224 node has half a million taps: nothing is stored twice).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .axis import AxisMap

__all__ = ["Mechanics", "ZeroInsertion", "Formulas"]


@dataclass(frozen=True)
class ZeroInsertion:
    """A transposed convolution as a stride-1 convolution of a zero-inserted input.

    The input's pixels sit ``stride`` apart (``stride − 1`` zeros between them),
    with ``padding[axis] = (before, after)`` zeros around (negative: cropped);
    ``before = d·(k−1) − p`` and ``after = before + output_padding``. A stride-1
    convolution with the same dilation and the *flipped* kernel then gives the
    output: output ``o`` reads positions ``o + j·d`` with kernel tap ``k−1−j``.
    """

    size: tuple[int, int]
    padding: tuple[tuple[int, int], tuple[int, int]]
    stride: tuple[int, int]
    #: ``(in_index, position_index)``: where each input pixel sits (flat indices)
    input_at: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Formulas:
    """The arithmetic of a layer as text with its numbers substituted, and the results."""

    #: one line per axis (H, W), e.g. ``H: ⌊(4 + 0 + 0 − 1·(3−1) − 1)/1⌋ + 1 = 2``
    output_size: tuple[str, ...]
    params_text: str
    params: int
    macs_text: str
    macs: int
    #: ``d·(k−1)+1`` per axis, with the text (empty for layers without a kernel)
    effective_kernel: tuple[int, ...] = ()
    effective_text: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mechanics:
    """Exactly which input pixel meets which kernel tap, for one channel of one layer.

    ``mechanism`` names the structure (``conv``, ``transposed``, ``max_pool``,
    ``avg_pool``, ``unpool``, ``upsample``, ``depthwise_separable``,
    ``spatially_separable``, ``deformable``); ``type`` and ``params`` are the
    layer's (normalised). ``kernel`` is the tap grid ``(k_h, k_w)``: tap ``t`` is
    kernel element ``(t // k_w, t % k_w)`` as torch stores it (for the spatially
    separable conv, vertical tap ``t // k_w`` of the k×1 kernel times horizontal
    tap ``t % k_w`` of the 1×k one; for Upsample, the interpolation stencil).
    """

    type: str
    mechanism: str
    params: dict[str, Any]
    input_size: tuple[int, int]
    output_size: tuple[int, int]
    kernel: tuple[int, int]
    axes: tuple[AxisMap, AxisMap]
    formulas: Formulas
    zero_insertion: ZeroInsertion | None = None
    in_channels: int = 1
    out_channels: int = 1
    #: ``(out_channel, in_channel)`` pairs that a weight joins, end to end
    channel_links: tuple[tuple[int, int], ...] = ()
    #: for two-stage layers, ``(stage name, links)`` of each stage
    channel_stages: tuple[tuple[str, tuple[tuple[int, int], ...]], ...] = ()
    notes: tuple[str, ...] = field(default=())

    # -- derived structure ----------------------------------------------------------------
    @cached_property
    def _real(self):
        h, w = self.axes
        return ([h.real(o) for o in range(h.out_size)], [w.real(o) for o in range(w.out_size)])

    @cached_property
    def taps(self) -> tuple[tuple[int, int, int], ...]:
        """``(out_index, in_index, tap_index)``, one per multiplication with a real input
        pixel (padding zeros left out), sorted by output then input position."""
        rows, cols = self._real
        width, ow, kw = self.input_size[1], self.output_size[1], self.kernel[1]
        out = []
        for oy, ys in enumerate(rows):
            for ox, xs in enumerate(cols):
                o = oy * ow + ox
                out.extend((o, y * width + x, jy * kw + jx) for y, jy, _ in ys
                           for x, jx, _ in xs)
        return tuple(out)

    @cached_property
    def weights(self) -> tuple[float, ...]:
        """The interpolation weight of each tap of :attr:`taps` (1.0 for kernels)."""
        rows, cols = self._real
        return tuple(wy * wx for ys in rows for xs in cols for _, _, wy in ys
                     for _, _, wx in xs)

    @cached_property
    def overlap(self) -> tuple[int, ...]:
        """Per output position (flat), how many taps write it (the checkerboard of a
        transposed convolution; fewer at a padded border)."""
        rows, cols = self._real
        return tuple(len(ys) * len(xs) for ys in rows for xs in cols)

    @cached_property
    def divisors(self) -> tuple[int, ...] | None:
        """AvgPool2d's divisor per output: window cells inside the padded input
        (torch's ``count_include_pad``); None for other layers."""
        h, w = self.axes
        if self.mechanism != "avg_pool" or h.extent is None or w.extent is None:
            return None
        return tuple(a * b for a in h.extent for b in w.extent)

    def padding_cells(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """Per axis, the virtual cells the windows reach ``(before, after)`` the input."""
        out = []
        for ax in self.axes:
            qs = [q for e in ax.entries for q, _, _ in e]
            out.append((max(0, -min(qs, default=0)),
                        max(0, max(qs, default=0) - (ax.in_size - 1))))
        return tuple(out)

    def windows(self) -> list[tuple[tuple[int, int, int], ...]]:
        """Per output position, every ``(y, x, tap)`` of its window in input
        coordinates, virtual padding cells included (``y``/``x`` outside the input)."""
        h, w = self.axes
        kw = self.kernel[1]
        return [tuple((y, x, jy * kw + jx) for y, jy, _ in ys for x, jx, _ in xs)
                for ys in h.entries for xs in w.entries]

    def matrix(self) -> list[list[int]]:
        """The matrix C: rows = outputs, columns = inputs (flat), entry = tap index or
        −1. For a transposed convolution this is Cᵀ of the convolution it transposes."""
        n_in = self.input_size[0] * self.input_size[1]
        rows = [[-1] * n_in for _ in range(self.output_size[0] * self.output_size[1])]
        for o, i, t in self.taps:
            rows[o][i] = t
        return rows

    def to_json(self, channels: bool = True) -> dict[str, Any]:
        """The ``explain --json`` object (cli.md); ``channel_links`` when ``channels``."""
        out: dict[str, Any] = {
            "type": self.type,
            "params": {k: list(v) if isinstance(v, tuple) else v
                       for k, v in self.params.items()},
            "input_size": list(self.input_size),
            "output_size": list(self.output_size),
            "mechanism": self.mechanism,
            "kernel": list(self.kernel),
            "taps": [list(t) for t in self.taps],
            "overlap": list(self.overlap),
        }
        if self.mechanism == "upsample":
            out["weights"] = list(self.weights)
        if self.divisors is not None:
            out["divisor"] = list(self.divisors)
        if self.zero_insertion is not None:
            z = self.zero_insertion
            out["zero_insertion"] = {"size": list(z.size),
                                     "padding": [list(p) for p in z.padding],
                                     "input_at": [list(p) for p in z.input_at],
                                     "kernel": "flipped"}
        if channels:
            out["channel_links"] = [list(p) for p in self.channel_links]
            if self.channel_stages:
                out["channel_stages"] = [{"stage": name, "links": [list(p) for p in links]}
                                         for name, links in self.channel_stages]
        f = self.formulas
        out["formulas"] = {"output_size": list(f.output_size), "params": f.params_text,
                           "macs": f.macs_text, "effective_kernel": list(f.effective_text)}
        out["param_count"], out["macs"] = f.params, f.macs
        if self.notes:
            out["notes"] = list(self.notes)
        return out
