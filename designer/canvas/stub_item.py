"""The output stub: a short lead below a card that no edge leaves, with its label.

An edge label shows the tensor that flows along the edge; the network's
outputs have no outgoing edge to carry one. The stub shows the output shape
and receptive field of such a card (an output of the network, or a card not
connected yet) with the same label as an edge
(:class:`~designer.canvas.edge_label.EdgeLabelItem`).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from designer import look
from engine import NodeResult

from . import theme
from .edge_label import EdgeLabelItem, edge_label_texts

__all__ = ["OutputStubItem", "STUB_LEN"]

#: length of the lead below the output port (scene units)
STUB_LEN = 26.0
_BAR = 6.0


class OutputStubItem(QGraphicsItem):
    """A lead from the output port down to a bar, its label to the right.

    A child of its card (it moves with it). Hidden while the card has an
    outgoing edge or no output shape (:meth:`show_result`).

    Parameters
    ----------
    card : NodeItem
    """

    def __init__(self, card):
        super().__init__(card)
        self.card = card
        self.setPos(0, theme.NODE_H / 2)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.label = EdgeLabelItem(self)
        self.label.setParentItem(self)
        self.label.setPos(9, 7)
        self.setVisible(False)

    def freshen(self) -> None:
        """Nothing waits: the stub follows its card's result at once (few cards have one)."""

    def show_result(self, result: NodeResult | None) -> None:
        """Show ``result``'s output shape and receptive field (hidden without a shape)."""
        shape, rf = edge_label_texts(result)
        self.label.set_texts(shape, rf)
        if self.isVisible() != bool(shape):
            self.setVisible(bool(shape))

    def label_rect(self) -> QRectF:
        """The label's scene rectangle (empty while hidden)."""
        if not self.isVisible():
            return QRectF()
        return self.label.sceneBoundingRect()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        """The lead and its end bar."""
        return QRectF(-_BAR - 1, 0, 2 * _BAR + 2, STUB_LEN + 2)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        """Draw the lead (the edge colour) and a bar across its end."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(look.EDGE, 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawLine(QPointF(0, theme.PORT_R), QPointF(0, STUB_LEN))
        painter.drawLine(QPointF(-_BAR, STUB_LEN), QPointF(_BAR, STUB_LEN))
