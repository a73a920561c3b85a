"""The designer's fonts: the canvas' text styles (pixel sizes) and bold UI text.

Canvas text uses pixel sizes, so that the card layout does not depend on the
screen's DPI: a style is ``(pixel size, weight)`` for :func:`font`. The
smallest canvas size times the canvas' opening zoom is the smallest text a
person reads on a freshly opened document (about 10 px on screen).
"""

from __future__ import annotations

from functools import cache, lru_cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF, QStaticText

__all__ = ["font", "bold_font", "static_text", "TITLE_TEXT", "BODY_TEXT", "STRONG_TEXT",
           "SMALL_TEXT"]

TITLE_TEXT = (13.0, QFont.Weight.DemiBold)  # card titles (fits "Depthwise separable")
BODY_TEXT = (12.0, QFont.Weight.Normal)  # card id, key parameters, counts; edge RF
STRONG_TEXT = (12.0, QFont.Weight.DemiBold)  # edge shapes
SMALL_TEXT = (11.0, QFont.Weight.Normal)  # slot names beside ports


@cache
def font(px: float, weight: QFont.Weight = QFont.Weight.Normal) -> QFont:
    """A pixel-sized font (cached: fonts are compared by value in text layout)."""
    f = QFont()
    f.setPixelSize(round(px))
    f.setWeight(weight)
    f.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return f


def bold_font(base: QFont | None = None) -> QFont:
    """A bold copy of ``base`` (the application font by default): family headings."""
    f = QFont(base) if base is not None else QFont()
    f.setBold(True)
    return f


@lru_cache(maxsize=4096)
def static_text(text: str, style: tuple, width: float | None = None) -> QStaticText:
    """``text`` laid out in the canvas style ``style`` (``(pixel size, weight)``), elided
    to ``width`` when given; draw it with ``font(*style)``. Shared and kept: cards and
    labels repeat their texts, and an undo shows the texts of before again."""
    f = font(*style)
    shown = text if width is None else \
        QFontMetricsF(f).elidedText(text, Qt.TextElideMode.ElideRight, width)
    st = QStaticText(shown)
    st.setTextFormat(Qt.TextFormat.PlainText)
    st.prepare(font=f)
    return st
