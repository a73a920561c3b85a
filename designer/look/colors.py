"""Every colour of the designer, defined once.

* one colour per catalogue family (:data:`FAMILY_COLORS`, :func:`family_color`,
  :func:`kind_color`): palette tiles, card stripes, glyphs and ports agree;
* the states :data:`ERROR`, :data:`WARNING`, :data:`OK` and the :data:`ACCENT`
  (selection, links), the same on the canvas, in the problems list, the
  property pages, the status bar and the engine panel;
* ink (text) and window colours, the canvas' card, edge and background
  colours, the marks drawn over pictures in the engine panel and the colours
  of highlighted code;
* :func:`css` and :func:`span` put a colour into rich text.

Colours are :class:`QColor` values shared by everyone: copy one before
changing it (``c = QColor(ACCENT); c.setAlpha(60)``).
"""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QColor

__all__ = ["FAMILY_COLORS", "family_color", "kind_color", "ERROR", "WARNING", "OK", "ACCENT",
           "STATE_COLORS", "INK", "INK_SOFT", "INK_FAINT", "INK_DISABLED", "PLACEHOLDER",
           "ON_COLOR", "WINDOW", "BASE", "ALT_BASE", "BUTTON", "TOOLTIP", "MID", "DARK",
           "MIDLIGHT", "SHADE", "TITLE_BAR", "LINE", "HOVER", "SECTION", "CARD",
           "CARD_BORDER", "CARD_HOVER", "EDGE", "EDGE_HOVER", "EDGE_DIM", "BACKGROUND",
           "GRID_DOT", "LABEL_BG", "LABEL_BORDER", "SHADOW", "MARK", "REGION", "FOOTPRINT",
           "SAMPLE", "ERF", "NEUTRAL", "BAR_POSITIVE", "BAR_NEGATIVE", "BAR_SELECTED", "CODE_LIGHT",
           "CODE_DARK", "GROUP", "GROUP_FILL", "css", "span", "with_alpha", "hairline_ink"]

#: one colour per ``engine.FAMILIES`` entry, saturated enough for white glyphs
FAMILY_COLORS: dict[str, str] = {
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
_UNKNOWN_FAMILY = "#7a7a7a"
#: the families whose colour is too dark to read on a dark card, lighter in the dark theme
FAMILY_COLORS_DARK: dict[str, str] = {"Input": "#8a98ae", "3D": "#6f73f0",
                                      "Convolution": "#3d7ef5", "Transposed": "#8b5cf6"}
#: the family colours in use (the dark theme swaps in FAMILY_COLORS_DARK)
_families: dict[str, str] = dict(FAMILY_COLORS)

# -- states (text on white stays legible, white text on them too) -------------------------
ERROR = QColor("#c62828")
WARNING = QColor("#b26a00")
OK = QColor("#2e7d32")
ACCENT = QColor("#2563eb")
#: ``"error"``, ``"warning"``, ``"ok"`` -> colour
STATE_COLORS = {"error": ERROR, "warning": WARNING, "ok": OK}

# -- ink on light backgrounds ----------------------------------------------------------------
INK = QColor("#1f2430")  # text
INK_SOFT = QColor("#4b5563")  # secondary text (card parameters, RF lines)
INK_FAINT = QColor("#6a7381")  # muted text (ids, hints, notes)
INK_DISABLED = QColor("#9aa1ab")
PLACEHOLDER = QColor("#8a93a0")  # placeholders, an unlinked link icon
ON_COLOR = QColor("#ffffff")  # glyphs and text on a family tile or a state badge

# -- window ------------------------------------------------------------------------------
WINDOW = QColor("#f4f5f7")
BASE = QColor("#ffffff")
ALT_BASE = QColor("#f6f7f9")
BUTTON = QColor("#f0f1f4")
TOOLTIP = QColor("#fffef5")
MID = QColor("#c9ced6")
DARK = QColor("#a9b0ba")
MIDLIGHT = QColor("#e6e8ec")
SHADE = QColor("#7d8591")
TITLE_BAR = QColor("#e9ecf1")  # dock titles
LINE = QColor("#d5dae2")  # separators, card borders
HOVER = QColor("#e3e8f0")  # background of a hovered flat button
SECTION = QColor("#56606e")  # section titles of the property pages

# -- canvas ------------------------------------------------------------------------------
CARD = QColor("#ffffff")  # its own colour: a dark card is not the dark base
CARD_BORDER = QColor("#d5dae2")  # LINE's value, its own colour in the dark theme
CARD_HOVER = QColor("#aab3c2")
EDGE = QColor("#78849a")  # 3:1 on the background (WCAG, non-text)
EDGE_HOVER = QColor("#5b677a")
EDGE_DIM = QColor("#c4cad6")  # no tensor flows
BACKGROUND = QColor("#f3f5f8")
GRID_DOT = QColor("#d9dee7")
LABEL_BG = QColor(255, 255, 255, 225)
LABEL_BORDER = QColor("#dfe3ea")
SHADOW = QColor(15, 23, 42, 22)
GROUP = QColor("#5b6b8c")  # a group's card stripe, frame border and title
GROUP_FILL = QColor(91, 107, 140, 16)  # inside an expanded group's frame

# -- marks over pictures and plots (engine panel) -------------------------------------------
MARK = QColor("#ff3d00")  # the chosen channel and output pixel
REGION = QColor("#00b8d4")  # a theoretical receptive field, the regular sampling grid
FOOTPRINT = QColor(0, 229, 255, 230)  # input pixels that reach an output
SAMPLE = QColor("#ff6d00")  # deformed sampling points
ERF = QColor("#e65100")  # legend of the effective receptive field (inferno's orange)
NEUTRAL = QColor(128, 128, 128)  # bounds of the input, the histogram's level region
BAR_POSITIVE = QColor(70, 130, 200)
BAR_NEGATIVE = QColor(210, 110, 70)
BAR_SELECTED = QColor(250, 190, 40)

# -- highlighted Python (Code tab) -----------------------------------------------------------
CODE_LIGHT = {"keyword": "#7b30d0", "builtin": "#0b60b8", "self": "#b3261e",
              "number": "#a35200", "decorator": "#8a6d00", "definition": "#0b60b8",
              "string": "#1b7a2c", "comment": "#6a737d"}
CODE_DARK = {"keyword": "#c792ea", "builtin": "#82aaff", "self": "#f07178",
             "number": "#f78c6c", "decorator": "#ffcb6b", "definition": "#82aaff",
             "string": "#c3e88d", "comment": "#7f8c98"}


@cache
def family_color(family: str) -> QColor:
    """The colour of a catalogue family (grey for an unknown one)."""
    return QColor(_families.get(family, _UNKNOWN_FAMILY))


def use_dark_families(dark: bool) -> None:
    """Use the families' dark-theme colours (or the light ones again)."""
    _families.clear()
    _families.update(FAMILY_COLORS)
    if dark:
        _families.update(FAMILY_COLORS_DARK)
    family_color.cache_clear()


def kind_color(kind) -> QColor:
    """The colour of a :class:`~engine.catalogue.LayerKind` (its family's)."""
    return family_color(kind.family)


def with_alpha(color: QColor, alpha: float) -> QColor:
    """A copy of ``color`` with opacity ``alpha`` (0-255)."""
    c = QColor(color)
    c.setAlpha(int(alpha))
    return c


def hairline_ink(color: QColor, weight: float) -> QColor:
    """The colour that gives a one-pixel line the ink of a ``weight``-pixel one in ``color``.

    Each channel's distance from the canvas :data:`BACKGROUND` is multiplied by
    ``weight`` (clamped), so a line drawn one device pixel wide (Qt's fast
    hairline stroker, many times cheaper than a wider antialiased stroke)
    looks as strong as the wider line it stands for. Alpha is kept.
    """
    key = (color.rgba(), BACKGROUND.rgba(), round(weight, 2))
    got = _inks.get(key)
    if got is None:
        if len(_inks) > 256:
            _inks.clear()
        bg = BACKGROUND

        def mix(c: int, b: int) -> int:
            return max(0, min(255, round(b + (c - b) * key[2])))

        got = _inks[key] = QColor(mix(color.red(), bg.red()), mix(color.green(), bg.green()),
                                  mix(color.blue(), bg.blue()), color.alpha())
    return got


_inks: dict[tuple, QColor] = {}


def css(color: QColor) -> str:
    """``#rrggbb`` of ``color`` for a style sheet or rich text."""
    return color.name()


def span(html: str, color: QColor) -> str:
    """``html`` coloured with ``color`` in rich text."""
    return f"<span style='color:{color.name()}'>{html}</span>"
