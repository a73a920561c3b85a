"""Colour maps offered by the engine panel.

Every map is a :class:`pyqtgraph.ColorMap` built from data bundled with
pyqtgraph or defined here, so nothing is read from the network or from
matplotlib. ``coolwarm`` is Kenneth Moreland's diverging map (blue - white -
red), the natural choice for signed activations such as those before a ReLU.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyqtgraph as pg

__all__ = ["NAMES", "DIVERGING", "colormap", "coarse_colormap", "lookup_table",
           "is_diverging"]

#: names shown in the colour-map combo boxes, in order
NAMES = ("viridis", "gray", "inferno", "coolwarm")
#: maps whose middle colour marks zero: levels are made symmetric around 0
DIVERGING = frozenset({"coolwarm"})

# Moreland (2009), "Diverging Color Maps for Scientific Visualization", 9 control points
_COOLWARM = (
    (0.000, (59, 76, 192)), (0.125, (98, 130, 234)), (0.250, (141, 176, 254)),
    (0.375, (184, 208, 249)), (0.500, (221, 221, 221)), (0.625, (245, 196, 173)),
    (0.750, (244, 154, 123)), (0.875, (222, 96, 77)), (1.000, (180, 4, 38)),
)


@cache
def colormap(name: str) -> pg.ColorMap:
    """The colour map called ``name`` (one of :data:`NAMES`; unknown names give viridis).

    Parameters
    ----------
    name : str
        ``"viridis"``, ``"gray"``, ``"inferno"`` or ``"coolwarm"``.

    Returns
    -------
    pyqtgraph.ColorMap
    """
    if name == "gray":
        return pg.ColorMap([0.0, 1.0], [(0, 0, 0), (255, 255, 255)], name="gray")
    if name == "coolwarm":
        pos, colors = zip(*_COOLWARM, strict=True)
        return pg.ColorMap(list(pos), [tuple(c) for c in colors], name="coolwarm")
    if name not in ("viridis", "inferno"):
        name = "viridis"
    return pg.colormap.get(name)


@cache
def coarse_colormap(name: str, stops: int = 17) -> pg.ColorMap:
    """``colormap(name)`` resampled to ``stops`` evenly spaced colours.

    The histogram's gradient editor creates one draggable tick per stop, which
    costs about 0.5 ms each: 256-stop maps such as viridis would take 130 ms.
    """
    pos = np.linspace(0.0, 1.0, stops)
    colors = colormap(name).map(pos, mode="byte")
    return pg.ColorMap(pos, colors, name=name)


@cache
def lookup_table(name: str, n: int = 256) -> np.ndarray:
    """``n`` × 4 uint8 RGBA lookup table of the map ``name``."""
    return colormap(name).getLookupTable(0.0, 1.0, n, alpha=True)


def is_diverging(name: str) -> bool:
    """True when ``name`` is a diverging map (zero sits in its middle)."""
    return name in DIVERGING
