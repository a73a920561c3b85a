"""Display levels of feature maps: per map, one scale for the layer, or set by hand.

Pure numpy: which value maps to the first and last colour of the colour map.
A diverging map (coolwarm) is centred on zero, so that white means zero.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["LEVEL_MODES", "tile_levels", "range_levels", "channel_levels"]

#: how levels are chosen (the Maps tab's "Levels" box)
LEVEL_MODES = ("per map", "global", "manual")


def range_levels(lo: float, hi: float, diverging: bool) -> tuple[float, float]:
    """Levels spanning ``[lo, hi]`` (symmetric about zero when ``diverging``; never empty)."""
    if diverging:
        m = max(abs(lo), abs(hi)) or 1.0
        return -m, m
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def tile_levels(maps: np.ndarray, mode: str, diverging: bool,
                manual: tuple[float, float] | None,
                value_range: Callable[[], tuple[float, float]]):
    """How to draw the channels ``maps`` (``[C, H, W]``) of one mosaic.

    Parameters
    ----------
    maps : numpy.ndarray
        The channels shown.
    mode : str
        One of :data:`LEVEL_MODES`.
    diverging : bool
        The colour map is diverging.
    manual : tuple or None
        Levels set by hand (``"manual"`` mode; None: not set yet).
    value_range : callable
        ``() -> (min, max)`` of the whole activation (called only when needed).

    Returns
    -------
    offset, scale : numpy.ndarray or None
        Per channel, what the tiling subtracts and then multiplies by (None:
        raw values).
    levels : tuple of float
        The display levels of the mosaic.
    """
    if mode == "per map":
        flat = maps.reshape(maps.shape[0], -1)
        if diverging:
            top = np.maximum(np.abs(flat.min(axis=1)), np.abs(flat.max(axis=1)))
            top[top == 0] = 1
            return None, 1.0 / top, (-1.0, 1.0)
        lo, hi = flat.min(axis=1), flat.max(axis=1)
        span = hi - lo
        span[span == 0] = 1
        return lo, 1.0 / span, (0.0, 1.0)
    if mode == "manual" and manual is not None:
        return None, None, manual
    return None, None, range_levels(*value_range(), diverging)


def channel_levels(m: np.ndarray, diverging: bool) -> tuple[float, float]:
    """Levels of one channel drawn on its own (``"per map"`` mode)."""
    return range_levels(float(m.min()), float(m.max()), diverging)
