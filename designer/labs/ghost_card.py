"""The ghost of a node that design B has and this design does not (a removed node).

A dashed outline of a card at the place the node has in B, with its id and
type: "− conv2 · Conv2d, only in B". It lies under the cards, ignores the mouse
and is owned by :class:`~designer.labs.overlay.CompareOverlay`.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from designer import look
from designer.canvas.theme import NODE_H, NODE_W

from .diff_badge import KIND_COLORS

__all__ = ["GhostCard"]

_CARD = QRectF(-NODE_W / 2, -NODE_H / 2, NODE_W, NODE_H)


class GhostCard(QGraphicsItem):
    """A dashed card outline; its position is the card's centre, as for a real card."""

    def __init__(self, node_id: str, type_name: str, where: str):
        super().__init__()
        self.node_id = node_id
        self.type_name = type_name
        self.where = where
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        self.setZValue(1)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        """The card with a pixel of margin."""
        return _CARD.adjusted(-2, -2, 2, 2)

    def card_rect(self) -> QRectF:
        """The outline's rectangle in item coordinates."""
        return QRectF(_CARD)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        """Dashed outline on a faint tint; "− id" and "type · only in B" inside."""
        color = KIND_COLORS["removed"]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(color, 1.4, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(look.with_alpha(color, 14))
        painter.drawRoundedRect(_CARD, 8, 8)
        x, width = _CARD.left() + 14, _CARD.width() - 24
        for text, style, ink, y in (
                (f"\u2212 {self.node_id}", look.TITLE_TEXT, color, -6.0),
                (f"{self.type_name} · only in {self.where}", look.SMALL_TEXT,
                 look.INK_FAINT, 14.0)):
            f = look.font(*style)
            painter.setFont(f)
            painter.setPen(ink)
            shown = QFontMetricsF(f).elidedText(text, Qt.TextElideMode.ElideRight, width)
            painter.drawText(QPointF(x, y), shown)
