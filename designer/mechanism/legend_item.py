"""The legend of the Mechanism pictures: one swatch and a label per cell kind and mark.

:class:`LegendItem` flows its entries into lines no wider than the picture,
so that an exported PNG or GIF explains itself; :func:`entries_for` lists what a
walk's picture shows (padding, inserted zeros, cropped writes, its marks).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from designer import look

from .lanes import PADDING, REAL, ZERO
from .style import CELL_FILL, CELL_PATTERN, LABEL_FONT, MARKS, PENDING

__all__ = ["LegendItem", "entries_for"]

SWATCH, GAP, LINE_H = 14.0, 16.0, 20.0


class LegendItem(QGraphicsItem):
    """Swatches with labels: ``("cell", kind, text)`` or ``("mark", role, text)``."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.entries: list[tuple[str, object, str]] = []
        self.width = 500.0
        self._places: list[tuple[float, float]] = []
        self._height = 0.0

    def set_entries(self, entries, width: float) -> None:
        """The entries to show and the widest line (px)."""
        self.prepareGeometryChange()
        self.entries = list(entries)
        self.width = max(120.0, width)
        fm = QFontMetricsF(LABEL_FONT)
        x = y = 0.0
        self._places = []
        for _group, _key, text in self.entries:
            w = SWATCH + 5 + fm.horizontalAdvance(text) * 1.08
            if x > 0 and x + w > self.width:
                x, y = 0.0, y + LINE_H
            self._places.append((x, y))
            x += w + GAP
        self._height = y + LINE_H if self.entries else 0.0
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt override)
        """The lines of entries."""
        return QRectF(0, 0, self.width, self._height)

    def paint(self, p: QPainter, option, widget=None) -> None:
        """Swatches and labels."""
        p.setFont(LABEL_FONT)
        for (group, key, text), (x, y) in zip(self.entries, self._places, strict=True):
            box = QRectF(x, y + 3, SWATCH, SWATCH)
            if group == "cell":
                p.fillRect(box, CELL_FILL[key])
                if key in CELL_PATTERN:
                    style, color = CELL_PATTERN[key]
                    p.fillRect(box, QBrush(color, style))
                p.setPen(QPen(look.LINE, 1.0))
                p.setBrush(Qt.BrushStyle.NoBrush)
            else:
                fill, line, width = MARKS[key]
                p.fillRect(box, look.BASE)
                p.setBrush(fill)
                p.setPen(QPen(line, width) if line is not None else QPen(look.LINE, 1.0))
            p.drawRect(box)
            p.setPen(look.INK_SOFT)
            p.drawText(QRectF(x + SWATCH + 5, y, 400, LINE_H),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)


def entries_for(walk) -> list:
    """The legend of ``walk``'s picture: the cell kinds it draws and its marks."""
    ly, lx = walk.lanes
    kinds = set(np.unique(ly.in_kinds)) | set(np.unique(lx.in_kinds))
    out = [("cell", REAL, "input pixel")]
    if PADDING in kinds:
        out.append(("cell", PADDING, "padding (0)" if walk.mech.params.get(
            "padding_mode", "zeros") == "zeros" else "padding (copies a pixel)"))
    if ZERO in kinds:
        out.append(("cell", ZERO, "inserted zero (stride)"))
    if (ly.out_kinds == PADDING).any() or (lx.out_kinds == PADDING).any():
        out.append(("cell", PADDING, "cropped output (padding)"))
    if walk.form == "gather":
        out += [("mark", "window", "kernel window"),
                ("mark", "lit", "pixels in the row of C"),
                ("mark", "focus", "current output / row of C"),
                ("cell", PENDING, "not computed yet")]
    else:
        out += [("mark", "focus", "current input / column of C"),
                ("mark", "target", "outputs it adds x·w to"),
                ("cell", PENDING, "nothing added yet")]
        if walk.mech.mechanism == "unpool":
            out.append(("mark", "chosen", "where its index points"))
    return out
