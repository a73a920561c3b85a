"""Ports of a node card: input slots on top, the output at the bottom."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QPainter, QPainterPath, QPen, QStaticText
from PySide6.QtWidgets import QGraphicsItem

from designer import look

from . import theme

__all__ = ["PortItem"]

_HIT_R = 10.0
_HIT_SHAPE = QPainterPath()
_HIT_SHAPE.addEllipse(QPointF(0, 0), _HIT_R, _HIT_R)


class PortItem(QGraphicsItem):
    """One port, a child of its :class:`~designer.canvas.node_item.NodeItem`.

    Parameters
    ----------
    node : NodeItem
        The card the port belongs to (its parent item).
    output : bool
        True for the output port, False for an input slot.
    index : int
        Input slot number (0 for the output).
    name : str or None
        Slot name shown next to the port (the catalogue's ``slots``, e.g. ``x``, ``indices``).
    """

    def __init__(self, node, output: bool, index: int = 0, name: str | None = None):
        super().__init__(node)
        self.node = node
        self.output = output
        self.index = index
        self.name = name
        self.connected = False
        #: drag feedback: None, "ok" (a valid target) or "bad" (refused)
        self.mark: str | None = None
        self._hover = False
        self._name_text = QStaticText(name) if name else None
        self._bounds = QRectF(-_HIT_R, -_HIT_R, 2 * _HIT_R, 2 * _HIT_R)
        if self._name_text is not None:
            self._name_text.prepare(font=look.font(*look.SMALL_TEXT))
            size = self._name_text.size()
            self._bounds = self._bounds.united(
                QRectF(6, -8 - size.height(), size.width() + 2, size.height() + 2))
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        # drawn once per look, then copied: a view repaints hundreds of ports (a 63-way
        # fan's view 111, 1.4 of its 7 ms); a change of look calls update()
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    # -- state ------------------------------------------------------------------
    def set_connected(self, connected: bool) -> None:
        """Show the port filled (an edge is plugged in) or hollow."""
        if connected != self.connected:
            self.connected = connected
            self.update()

    def set_mark(self, mark: str | None) -> None:
        """Set the drag feedback: None, ``"ok"`` (accent ring) or ``"bad"`` (red ring)."""
        if mark != self.mark:
            self.mark = mark
            self.update()

    def toolTip(self) -> str:  # noqa: N802 (Qt API; see GraphScene.helpEvent)
        """Plain text: the port's node and slot, what is plugged in, and what dragging it does."""
        node = self.node
        if self.output:
            return f"{node.node_id}: output — drag to an input to connect"
        n = len(node.input_ports)
        what = f"{self.name} (slot {self.index})" if self.name else \
            (f"slot {self.index}" if n > 1 else "input")
        src = next((e.edge.src for e in node.edges_in if e.edge.port == self.index), None)
        return f"{node.node_id}: {what}" + (f" ← {src} (drag away to unplug)" if src
                                            else " — free: drag an output here")

    def scene_anchor(self) -> QPointF:
        """Where edges attach, in scene coordinates."""
        return self.scenePos()

    # -- QGraphicsItem ---------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        """The hit circle, united with the slot name's text when there is one."""
        return self._bounds

    def shape(self) -> QPainterPath:
        """A circle of radius 10 around the port, larger than the dot drawn (easy to hit)."""
        return _HIT_SHAPE

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Repaint the dot larger and filled."""
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Repaint the dot at its normal size."""
        self._hover = False
        self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        """Draw the dot in the family colour, with a halo for a drag mark, and the slot name.

        The dot is filled when connected, hovered or marked, hollow otherwise.
        """
        color = look.kind_color(self.node.kind)
        big = self._hover or self.mark is not None
        r = theme.PORT_R + (1.5 if big else 0.0)
        if self.mark is not None:
            ring = look.ACCENT if self.mark == "ok" else look.ERROR
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(look.with_alpha(ring, 60))
            painter.drawEllipse(QPointF(0, 0), r + 4, r + 4)
            color = ring
        painter.setPen(QPen(color, 1.6))
        painter.setBrush(QBrush(color if (self.connected or big) else look.CARD))
        painter.drawEllipse(QPointF(0, 0), r, r)
        if self._name_text is not None:
            painter.setPen(look.INK_FAINT)
            painter.setFont(look.font(*look.SMALL_TEXT))
            painter.drawStaticText(QPointF(7, -9 - self._name_text.size().height()),
                                   self._name_text)
