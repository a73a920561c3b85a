"""Look of the canvas: sizes, the palette of layer families, fonts, pens.

Every measure is in scene units (one unit is one screen pixel at 100 % zoom);
fonts use pixel sizes so that the card layout does not depend on the screen's
DPI. One place for every colour keeps the canvas consistent and easy to
restyle.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QColor, QFont

__all__ = ["NODE_W", "NODE_H", "GRID", "PORT_R", "family_color", "font",
           "TITLE_TEXT", "BODY_TEXT", "STRONG_TEXT", "SMALL_TEXT", "READABLE_ZOOM",
           "INK", "INK_SOFT", "INK_FAINT", "CARD", "CARD_BORDER", "ACCENT", "ERROR",
           "WARNING", "EDGE", "EDGE_DIM", "BACKGROUND", "GRID_DOT", "LABEL_BG", "SHADOW"]

#: node card size (the model position is the card's centre); the examples put
#: cards of one row 220 apart and rows 110 apart, which leaves room between
#: cards for an edge label (two lines of :data:`BODY_TEXT`)
NODE_W = 204.0
NODE_H = 64.0
#: grid step for snapping moved and dropped nodes
GRID = 10.0
#: drawn radius of a port (its hit area is larger)
PORT_R = 4.5

INK = QColor("#1f2937")
INK_SOFT = QColor("#4b5563")
INK_FAINT = QColor("#6f798b")
CARD = QColor("#ffffff")
CARD_BORDER = QColor("#d5dae3")
ACCENT = QColor("#2563eb")
ERROR = QColor("#dc2626")
WARNING = QColor("#e59a0b")
EDGE = QColor("#8d99ad")
EDGE_DIM = QColor("#c4cad6")
BACKGROUND = QColor("#f3f5f8")
GRID_DOT = QColor("#d9dee7")
LABEL_BG = QColor(255, 255, 255, 225)
SHADOW = QColor(15, 23, 42, 22)

#: text styles of the canvas, ``(pixel size, weight)`` for :func:`font`. The
#: smallest size times :data:`READABLE_ZOOM` is the smallest text a person reads
#: on a freshly opened document (about 10 px on screen).
TITLE_TEXT = (13.0, QFont.Weight.DemiBold)  # card titles (fits "Depthwise separable")
BODY_TEXT = (12.0, QFont.Weight.Normal)  # card id, key parameters, counts; edge RF
STRONG_TEXT = (12.0, QFont.Weight.DemiBold)  # edge shapes
SMALL_TEXT = (11.0, QFont.Weight.Normal)  # slot names beside ports
#: zoom a document opens at when the whole graph does not fit (never below it)
READABLE_ZOOM = 0.8

_FAMILY = {
    "Input": "#475569",
    "Convolution": "#2563eb",
    "Separable": "#0891b2",
    "Transposed": "#7c3aed",
    "Deformable": "#c026d3",
    "3D": "#4338ca",
    "Attention": "#db2777",
    "Pooling": "#0d9488",
    "Norm & activation": "#16a34a",
    "Merge": "#d97706",
    "Dense": "#b45309",
}


@cache
def family_color(family: str) -> QColor:
    """Colour of a layer family (engine.FAMILIES); grey for an unknown one."""
    return QColor(_FAMILY.get(family, "#64748b"))


@cache
def font(px: float, weight: QFont.Weight = QFont.Weight.Normal, mono: bool = False) -> QFont:
    """A pixel-sized font (cached: fonts are compared by value in text layout)."""
    f = QFont("monospace") if mono else QFont()
    if mono:
        f.setStyleHint(QFont.StyleHint.Monospace)
    f.setPixelSize(round(px))
    f.setWeight(weight)
    f.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return f
