"""Light and dark: the two sets of values of the colours in :mod:`.colors`.

The colours are shared :class:`QColor` objects that every view paints with, so a
theme is applied by giving each of them its new value in place
(:func:`use_colors`): the next paint of a card, an edge, a label or a plot mark
reads the theme's value, without any view keeping a copy. The family colours,
the marks drawn over pictures and the bar colours are the same in both themes
(saturated enough for white glyphs and for dark and light backgrounds alike).

``"system"`` follows the desktop's colour scheme (``QStyleHints.colorScheme``);
an unknown scheme is light.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication

from . import colors

__all__ = ["MODES", "DARK", "use_colors", "is_dark", "system_is_dark", "resolve"]

#: the choices of View → Theme, in menu order
MODES = ("system", "light", "dark")

#: colour name (in :mod:`.colors`) -> its dark value; the light values are the module's own
DARK: dict[str, str | tuple[int, int, int, int]] = {
    # states: brighter, to read on dark grey
    "ERROR": "#ef5350", "WARNING": "#f0a53a", "OK": "#5cb860", "ACCENT": "#5b8def",
    # ink
    "INK": "#e6e9ef", "INK_SOFT": "#bcc3ce", "INK_FAINT": "#939cab", "INK_DISABLED": "#5f6775",
    "PLACEHOLDER": "#7d8796",
    # window
    "WINDOW": "#1f2229", "BASE": "#272b34", "ALT_BASE": "#2c313b", "BUTTON": "#2e333d",
    "TOOLTIP": "#323845", "MID": "#4a5160", "DARK": "#15171c", "MIDLIGHT": "#363c48",
    "SHADE": "#0c0d10", "TITLE_BAR": "#2a2f39", "LINE": "#3d4452", "HOVER": "#39404d",
    "SECTION": "#aab3c1",
    # canvas
    "CARD": "#2b303b", "CARD_BORDER": "#474f5e", "CARD_HOVER": "#738097", "EDGE": "#8290a8",
    "EDGE_HOVER": "#bcc6d6", "EDGE_DIM": "#4d5565", "BACKGROUND": "#1b1e24",
    "GRID_DOT": "#323845", "LABEL_BG": (40, 45, 55, 232), "LABEL_BORDER": "#465062",
    "SHADOW": (0, 0, 0, 70),
}

#: the light values, kept before any change
_LIGHT: dict[str, QColor] = {name: QColor(getattr(colors, name)) for name in DARK}
_dark = False


def _color(value) -> QColor:
    return QColor(*value) if isinstance(value, tuple) else QColor(value)


def use_colors(dark: bool) -> bool:
    """Give every colour of :mod:`.colors` its light or dark value (in place).

    Returns whether anything changed.
    """
    global _dark
    if dark == _dark:
        return False
    for name, light in _LIGHT.items():
        getattr(colors, name).setRgba((_color(DARK[name]) if dark else light).rgba())
    colors.use_dark_families(dark)
    _dark = dark
    return True


def is_dark() -> bool:
    """Whether the colours have their dark values now."""
    return _dark


def system_is_dark() -> bool:
    """Whether the desktop asks for a dark colour scheme (False when it does not say)."""
    app = QGuiApplication.instance()
    if app is None:
        return False
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def resolve(mode: str) -> bool:
    """Whether ``mode`` (one of :data:`MODES`) means the dark colours now."""
    if mode not in MODES:
        raise ValueError(f"unknown theme {mode!r}: one of {', '.join(MODES)}")
    return mode == "dark" or (mode == "system" and system_is_dark())
