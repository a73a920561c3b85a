"""Gridding of stacked dilated convolutions: how many paths reach each input pixel.

One output of the last convolution of a chain reads its taps; each of them
reads the taps of the convolution before, and so on. Composing the tap
offsets of each layer (``j·d`` for ``j < k``, scaled by the strides after it)
counts, for every input pixel of the stacked window, how many paths lead to
it. With rates 2, 2, 2 every path lands on an even offset: the odd ones are
holes (gridding). Rates without a common factor such as 1, 2, 5 (hybrid
dilated convolution, HDC) reach every pixel. Qt-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

import numpy as np

from engine.mechanics import Mechanics

__all__ = ["AxisLayer", "offsets_of", "path_counts", "path_counts_2d", "Gridding",
           "gridding", "hdc_suggestion", "HDC_PATTERN"]

#: the rates seed 001 recommends (repeated for longer stacks)
HDC_PATTERN = (1, 2, 5)


@dataclass(frozen=True)
class AxisLayer:
    """One convolution along one axis: its tap offsets (input pixels, from the first
    tap) and its stride."""

    offsets: tuple[int, ...]
    stride: int = 1


def offsets_of(m: Mechanics) -> tuple[AxisLayer, AxisLayer]:
    """The tap offsets of ``m`` per axis, read from the window of a middle output."""
    out = []
    for i, ax in enumerate(m.axes):
        entries = ax.entries[ax.out_size // 2] if ax.out_size else ()
        qs = [q for q, _j, _w in entries]
        lo = min(qs, default=0)
        stride = (m.params.get("stride") or m.kernel)[i] or 1
        out.append(AxisLayer(tuple(q - lo for q in qs), int(stride)))
    return tuple(out)


def path_counts(layers: list[AxisLayer]) -> np.ndarray:
    """Paths from one output of the last layer to each input offset of the first.

    ``layers`` run from the input side to the output side. Returns the counts
    over offsets ``0 .. span − 1`` of the first layer's input.
    """
    counts = np.ones(1, np.int64)
    for layer in reversed(layers):
        s = max(1, layer.stride)
        up = np.zeros((len(counts) - 1) * s + 1, np.int64)
        up[::s] = counts
        taps = np.zeros(max(layer.offsets, default=0) + 1, np.int64)
        for t in layer.offsets:
            taps[t] += 1
        counts = np.convolve(up, taps)
    return counts


def path_counts_2d(layers: list[tuple[AxisLayer, AxisLayer]]) -> np.ndarray:
    """The 2D counts: the product of the two axes' (paths separate per axis)."""
    return np.outer(path_counts([a for a, _ in layers]), path_counts([b for _, b in layers]))


@dataclass(frozen=True)
class Gridding:
    """The path counts of a chain and what to say about them."""

    nodes: tuple[str, ...]
    rates: tuple[tuple[int, int], ...]
    counts: np.ndarray
    holes: int
    common: int
    suggestion: tuple[int, ...] | None


def gridding(chain: list[tuple[str, Mechanics]]) -> Gridding:
    """Path counts of a chain ``[(node id, mechanics)]`` (input side first)."""
    layers = [offsets_of(m) for _nid, m in chain]
    counts = path_counts_2d(layers)
    rates = tuple(tuple(m.params.get("dilation") or (1, 1)) for _nid, m in chain)
    common = 0
    for r in rates:
        common = gcd(common, r[0])
    holes = int((counts == 0).sum())
    k = max(chain[-1][1].kernel) if chain else 3
    suggestion = hdc_suggestion(len(chain), k) if holes else None
    return Gridding(tuple(n for n, _ in chain), rates, counts, holes, common, suggestion)


def hdc_suggestion(n: int, k: int = 3) -> tuple[int, ...] | None:
    """Rates for ``n`` stacked k×k convs that leave no hole: 1, 2, 5 repeated (for
    k = 3; checked with :func:`path_counts`), else 1, 2, 3, … ."""
    for pattern in (HDC_PATTERN, tuple(range(1, n + 1))):
        rates = tuple(pattern[i % len(pattern)] for i in range(n))
        layers = [AxisLayer(tuple(j * r for j in range(k))) for r in rates]
        if (path_counts(layers) > 0).all():
            return rates
    return None
