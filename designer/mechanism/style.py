"""What each role of the Mechanism views looks like, in designer.look's colours and fonts.

The cells of a grid (a real pixel, a padding cell, an inserted zero, an
output not computed yet, a write that padding crops), the marks laid over
them (the window, the cells of the matrix row, the current output, a hole of
gridding), the heat ramp of counts and the text styles. Nothing here defines
a colour: every one is a designer.look colour or a translucent copy of one.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont

from designer import look
from designer.look import fmt_num

__all__ = ["CELL_FILL", "CELL_INK", "CELL_PATTERN", "MARKS", "EMPTY", "PENDING", "heat",
           "value_text", "VALUE_FONT", "TITLE_FONT", "LABEL_FONT", "SMALL_FONT",
           "brush_for", "LEGEND"]

# cell kinds beyond lanes.REAL / PADDING / ZERO
EMPTY, PENDING = -1, 3

CELL_FILL = {0: look.BASE, 1: look.MIDLIGHT, 2: look.with_alpha(look.family_color("Transposed"),
                                                                 34),
             PENDING: look.ALT_BASE, EMPTY: look.WINDOW}
CELL_INK = {0: look.INK, 1: look.INK_FAINT, 2: look.INK_FAINT, PENDING: look.INK_FAINT,
            EMPTY: look.INK_FAINT}
#: a pattern drawn over the fill (padding: hatched)
CELL_PATTERN = {1: (Qt.BrushStyle.BDiagPattern, look.DARK)}

#: mark role -> (fill, outline, outline width)
MARKS = {
    "window": (look.with_alpha(look.REGION, 22), look.REGION, 2.5),
    "lit": (look.with_alpha(look.MARK, 70), None, 0.0),
    "focus": (look.with_alpha(look.MARK, 90), look.MARK, 3.0),
    "target": (look.with_alpha(look.SAMPLE, 45), look.SAMPLE, 2.0),
    "chosen": (look.with_alpha(look.MARK, 110), look.MARK, 3.0),
    "hole": (look.with_alpha(look.ERROR, 45), look.ERROR, 1.5),
    "row": (look.with_alpha(look.MARK, 45), look.MARK, 1.5),
}

VALUE_FONT = look.font(*look.BODY_TEXT)
TITLE_FONT = look.font(*look.TITLE_TEXT)
LABEL_FONT = look.font(*look.SMALL_TEXT)
SMALL_FONT = look.font(10.0, QFont.Weight.DemiBold)

#: legend entries: (role or cell kind, text)
LEGEND = (("cell", 0, "input pixel"), ("cell", 1, "padding (zero)"),
          ("cell", 2, "inserted zero"), ("mark", "window", "kernel window"),
          ("mark", "lit", "row of C ↔ input pixels"), ("mark", "focus", "current output"),
          ("mark", "target", "outputs written"))


def brush_for(kind: int) -> QBrush:
    """The fill of a cell kind."""
    return QBrush(CELL_FILL.get(kind, look.BASE))


def heat(values: np.ndarray, top: float | None = None) -> list[QColor]:
    """A white → accent ramp for counts (flat list, row-major)."""
    v = np.asarray(values, np.float64).ravel()
    top = float(top if top is not None else (v.max() if v.size else 1.0)) or 1.0
    base, hot = look.BASE, look.ERF
    out = []
    for t in np.clip(v / top, 0, 1):
        out.append(QColor(round(base.red() + (hot.red() - base.red()) * t * 0.5),
                          round(base.green() + (hot.green() - base.green()) * t * 0.5),
                          round(base.blue() + (hot.blue() - base.blue()) * t * 0.5)))
    return out


@lru_cache(maxsize=65536)
def _text(v: float, digits: int) -> str:
    if not math.isfinite(v):
        return ""
    if v.is_integer() and abs(v) < 1e5:
        return fmt_num(v, 6)
    return fmt_num(v, digits)


def value_text(v: float, digits: int = 3) -> str:
    """A cell's number: integers as such, others with ``digits`` significant digits
    (designer.look's :func:`~designer.look.fmt_num`; memoised: grids repeat numbers)."""
    return "" if v is None else _text(float(v), digits)
