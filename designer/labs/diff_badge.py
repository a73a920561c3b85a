"""The badge a compared card wears: "+ new" or "changed", and what changed.

A :class:`DiffBadge` is a child item of a :class:`~designer.canvas.node_item.NodeItem`
(it moves, and goes, with its card) placed by
:class:`~designer.labs.overlay.CompareOverlay`. It ignores the mouse, so the
canvas' interactions never see it.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from designer import look

__all__ = ["DiffBadge", "KIND_COLORS"]

#: ``"added"``, ``"changed"``, ``"removed"`` -> colour (the ghost card's too)
KIND_COLORS = {"added": look.OK, "changed": look.ACCENT, "removed": look.ERROR}
PAD_X, PAD_Y, GAP = 8.0, 5.0, 2.0
MAX_WIDTH = 250.0
STRIPE = 4.0


class DiffBadge(QGraphicsItem):
    """A small framed note: a coloured header line and a few lines of changes."""

    def __init__(self, parent: QGraphicsItem | None = None):
        super().__init__(parent)
        self.kind = "changed"
        self.header = ""
        self.lines: tuple[str, ...] = ()
        self._rect = QRectF()
        self._shown: list[tuple[str, float]] = []
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        self.setZValue(5)

    def set_content(self, kind: str, header: str, lines) -> bool:
        """Show ``header`` in the colour of ``kind`` and ``lines`` below it; returns
        whether anything changed."""
        lines = tuple(lines)
        if (kind, header, lines) == (self.kind, self.header, self.lines) and self._shown:
            return False
        self.prepareGeometryChange()
        self.kind, self.header, self.lines = kind, header, lines
        strong, body = look.font(*look.STRONG_TEXT), look.font(*look.SMALL_TEXT)
        shown, width, height = [], 0.0, PAD_Y
        for i, text in enumerate((header, *lines)):
            fm = QFontMetricsF(strong if i == 0 else body)
            text = fm.elidedText(text, Qt.TextElideMode.ElideRight, MAX_WIDTH)
            shown.append((text, height + fm.ascent()))
            width = max(width, fm.horizontalAdvance(text))
            height += fm.height() + GAP
        self._shown = shown
        self._rect = QRectF(0, 0, width + 2 * PAD_X + STRIPE, height - GAP + PAD_Y)
        self.update()
        return True

    def size(self) -> QRectF:
        """The badge's rectangle in its own coordinates (top-left at 0, 0)."""
        return QRectF(self._rect)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        """The frame, with half a pen around it."""
        return self._rect.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        """A white rounded frame in the kind's colour, a stripe on its left, the text."""
        color = KIND_COLORS.get(self.kind, look.ACCENT)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(color, 1.2))
        painter.setBrush(look.with_alpha(look.CARD, 240))
        painter.drawRoundedRect(self._rect, 5, 5)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        stripe = QRectF(self._rect.left() + 1.5, self._rect.top() + 3, STRIPE - 1,
                        self._rect.height() - 6)
        painter.drawRoundedRect(stripe, 1.5, 1.5)
        x = PAD_X + STRIPE
        for i, (text, y) in enumerate(self._shown):
            painter.setFont(look.font(*(look.STRONG_TEXT if i == 0 else look.SMALL_TEXT)))
            painter.setPen(color if i == 0 else look.INK_SOFT)
            painter.drawText(QPointF(x, y), text)
