"""The numbers the animation shows: small integers, or a run's real activations.

Small integers as in the seeds' worked examples (an input of 0–3 and a
kernel of 1–3 for convolutions, so that every entry of C shows; 0–9 for
pooling and resampling), from a
seeded generator so that a picture can be made again. An unpooling gets the
input that a max pool would have produced from a random map of its output's
size, with the indices of its maxima. After a run, one channel of the node's
input and output activations.
"""

from __future__ import annotations

import numpy as np

from .walk import Walk

__all__ = ["sample_values", "channel_maps", "unpool_chosen"]


def sample_values(walk: Walk, seed: int = 0):
    """``(x, kernel or None, chosen)`` of small integers for ``walk``'s layer.

    ``chosen`` (unpooling only, else empty) maps each input pixel (flat) to the
    output cell its pool's index names.
    """
    m = walk.mech
    rng = np.random.default_rng(seed)
    kh, kw = m.kernel
    if walk.kernel_like:
        x = rng.integers(0, 4, m.input_size).astype(np.float64)
        if m.mechanism == "spatially_separable":
            kernel = np.outer(rng.integers(1, 3, kh), rng.integers(1, 4, kw)).astype(float)
        else:
            kernel = rng.integers(1, 4, (kh, kw)).astype(np.float64)
        return x, kernel, {}
    if m.mechanism != "unpool":
        return rng.integers(0, 10, m.input_size).astype(np.float64), None, {}
    # unpooling: a max pool's output and indices, from a random map of the output's size
    pre = rng.integers(0, 10, walk.out_shape)
    ly, lx = walk.lanes
    inv_y, inv_x = ly.inverse(), lx.inverse()
    h, w = m.input_size
    x = np.zeros((h, w))
    chosen = {}
    for iy in range(h):
        for ix in range(w):
            cells = [(o, q) for o, _ in inv_y[iy] for q, _ in inv_x[ix]]
            if not cells:
                continue
            best = max(cells, key=lambda c: pre[c])
            x[iy, ix] = pre[best]
            chosen[iy * w + ix] = best
    return x, None, chosen


def channel_maps(source: np.ndarray, output: np.ndarray, links, out_channel: int):
    """One channel of a run: ``(x, y, in_channel, n_read)``.

    Parameters
    ----------
    source, output : numpy.ndarray
        The node's input ``[C_in, H, W]`` and output ``[C_out, H_out, W_out]``.
    links : sequence of (int, int)
        The layer's ``channel_links`` (``(out, in)`` pairs).
    out_channel : int
        The output channel shown; the input channel is the first it reads.

    Returns
    -------
    tuple
        ``x [H, W]``, ``y [H_out, W_out]``, the input channel shown and how many
        input channels the output channel reads.
    """
    c = int(np.clip(out_channel, 0, output.shape[0] - 1))
    reads = sorted(i for o, i in links if o == c) or [min(c, source.shape[0] - 1)]
    return source[reads[0]], output[c], reads[0], len(reads)


def unpool_chosen(walk: Walk, y: np.ndarray) -> dict[int, tuple[int, int]]:
    """For an unpooling with a known output ``y`` (a run's), the cell of its window
    each input pixel went to: the one holding its value (None when it is zero)."""
    ly, lx = walk.lanes
    inv_y, inv_x = ly.inverse(), lx.inverse()
    h, w = walk.mech.input_size
    out = {}
    for iy in range(h):
        for ix in range(w):
            v = walk.x[iy, ix]
            for o, _ in inv_y[iy]:
                hit = next((q for q, _ in inv_x[ix] if v != 0 and y[o, q] == v), None)
                if hit is not None:
                    out[iy * w + ix] = (o, hit)
                    break
    return out
