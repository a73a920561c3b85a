"""Mouse interactions of the canvas, one small object per gesture.

The scene hands a left-button press to :func:`start_interaction`, which picks
the gesture from what lies under the cursor; the returned object then gets
the moves and the release, and pushes one undo command at the end:

* :class:`ConnectInteraction` — drag from an output port to an input port (or
  from a free input back to an output) to connect, with a rubber line that
  turns red and explains itself where the connection would be refused; drag a
  connected input away to re-plug the edge elsewhere, or off into the void to
  remove it.
* :class:`MoveInteraction` — drag cards (the whole selection) with grid
  snapping; one :class:`~designer.commands.MoveNodesCommand` on release.

Rubber-band selection is the view's (``QGraphicsView.RubberBandDrag``).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPainterPath, QPen
from PySide6.QtWidgets import QApplication, QGraphicsPathItem, QToolTip

from designer import look
from designer.commands import (
    ConnectCommand,
    DisconnectCommand,
    MacroCommand,
    MoveNodesCommand,
)

from .edge_item import EdgeItem
from .node_item import NodeItem
from .port_item import PortItem
from .routing import curve_handle
from .rules import connection_problem

__all__ = ["Interaction", "ConnectInteraction", "MoveInteraction", "start_interaction"]


def start_interaction(scene, item, event):
    """The gesture a left press on ``item`` starts, or None (default handling)."""
    if isinstance(item, PortItem):
        if item.output:
            return ConnectInteraction(scene, item, event)
        edge = next((e for e in item.node.edges_in if e.edge.port == item.index), None)
        return ConnectInteraction(scene, item, event, detach=edge)
    if isinstance(item, NodeItem):
        return MoveInteraction(scene, item, event)
    return None


class Interaction:
    """Base of a gesture: gets the mouse events until the release.

    Parameters
    ----------
    scene : GraphScene
        The scene the gesture runs in.
    """

    def __init__(self, scene):
        self.scene = scene

    def mouse_press(self, event) -> None:
        """A further press during the gesture: accepted and ignored."""
        event.accept()

    def mouse_move(self, event) -> None:
        """The mouse moved (scene coordinates in ``event``); does nothing here."""
        pass

    def mouse_release(self, event) -> None:
        """The button was released: finish the gesture; does nothing here."""
        pass

    def cancel(self) -> None:
        """Undo any visual change (Esc, document replaced)."""


def _explain(scene, event, text: str) -> None:
    """Status-bar message and a tooltip at the cursor."""
    scene.message.emit(text)
    widget = event.widget()
    QToolTip.showText(event.screenPos(), text, widget)


class ConnectInteraction(Interaction):
    """Drag a new edge (or re-plug an existing one) between ports.

    Parameters
    ----------
    scene : GraphScene
    port : PortItem
        Where the drag starts. From an output it looks for inputs; from a free
        input it looks for outputs; from a connected input (``detach``) it lifts
        that edge's end and looks for a new input.
    event : QGraphicsSceneMouseEvent
    detach : EdgeItem, optional
        The edge plugged into ``port``.
    """

    def __init__(self, scene, port: PortItem, event, detach: EdgeItem | None = None):
        super().__init__(scene)
        self.detach = detach
        if detach is not None:
            self.anchor_port = detach.src.output_port
            self.forward = True
            detach.setVisible(False)
            detach.label.setVisible(False)
        else:
            self.anchor_port = port
            self.forward = port.output
        self.anchor_port.set_mark("ok")
        self.port = port
        self.screen_press = event.screenPos()
        self.moved = False
        self.target: PortItem | None = None
        self.candidate: tuple[str, str, int] | None = None
        self.problem: str | None = None
        self._checked: tuple | None = None  # (candidate, problem) of the last check
        self.preview = QGraphicsPathItem()
        self.preview.setZValue(10)
        scene.addItem(self.preview)
        self._update(event.scenePos())

    # -- hit testing ---------------------------------------------------------------------
    def _find(self, pos: QPointF):
        """The port under ``pos`` that would take part, and the edge it would make."""
        scene = self.scene
        item = scene.item_at(pos)
        own = self.anchor_port.node
        node = item.node if isinstance(item, PortItem) else item
        if not isinstance(node, NodeItem) or node is own:
            return None, None
        if self.forward:
            if isinstance(item, PortItem) and not item.output:
                port = item
            else:
                port = self._nearest_input(node, pos)
            if port is None:
                return None, (own.node_id, node.node_id, 0)
            return port, (own.node_id, node.node_id, port.index)
        return node.output_port, (node.node_id, own.node_id, self.anchor_port.index)

    def _nearest_input(self, node: NodeItem, pos: QPointF) -> PortItem | None:
        ports = node.input_ports
        if not ports:
            return None
        free = [p for p in ports if not p.connected or self._is_detached(p)]
        pool = free or ports
        return min(pool, key=lambda p: abs(p.scenePos().x() - pos.x()))

    def _is_detached(self, port: PortItem) -> bool:
        d = self.detach
        return d is not None and port.node is d.dst and port.index == d.edge.port

    def _problem(self, cand) -> str | None:
        if self._checked is not None and self._checked[0] == cand:
            return self._checked[1]
        src, dst, port = cand
        d = self.detach
        if d is not None and (src, dst, port) == (d.edge.src, d.edge.dst, d.edge.port):
            problem = None
        else:
            problem = connection_problem(self.scene.doc, src, dst, port)
        self._checked = (cand, problem)
        return problem

    # -- feedback --------------------------------------------------------------------------
    def _update(self, pos: QPointF) -> None:
        port, cand = self._find(pos)
        if port is not self.target:
            if self.target is not None and self.target is not self.anchor_port:
                self.target.set_mark(None)
            self.target = port
        self.candidate = cand
        self.problem = self._problem(cand) if cand is not None else None
        if port is not None:
            port.set_mark("bad" if self.problem else "ok")
        end = port.scenePos() if port is not None and not self.problem else pos
        start = self.anchor_port.scenePos()
        a, b = (start, end) if self.forward else (end, start)
        h = curve_handle(a, b)
        path = QPainterPath(a)
        path.cubicTo(QPointF(a.x(), a.y() + h), QPointF(b.x(), b.y() - h), b)
        color = look.ERROR if self.problem else look.ACCENT
        pen = QPen(color, 2.0, Qt.PenStyle.DashLine, Qt.PenCapStyle.RoundCap)
        self.preview.setPen(pen)
        self.preview.setPath(path)

    def mouse_move(self, event) -> None:
        """Follow the cursor: mark the target port and redraw the rubber line.

        Where the connection would be refused, a tooltip says why.
        """
        if not self.moved:
            d = event.screenPos() - self.screen_press
            self.moved = d.manhattanLength() >= QApplication.startDragDistance()
        self._update(event.scenePos())
        if self.problem and self.target is not None:
            QToolTip.showText(event.screenPos(), self.problem, event.widget())
        else:
            QToolTip.hideText()

    def mouse_release(self, event) -> None:
        """Finish the drag and push the edit.

        A click without drag selects the port's card. A valid target connects
        (a detached edge is re-plugged in one macro). Released over nothing, a
        detached edge is removed. A refused connection restores the edge and
        explains why in the status bar and a tooltip.
        """
        self._update(event.scenePos())
        cand, problem, detach = self.candidate, self.problem, self.detach
        self._cleanup()
        scene, graph = self.scene, self.scene.graph
        if not self.moved:  # a click on a port: select its card, change nothing
            self._restore()
            scene.select_nodes([self.port.node.node_id])
            return
        if cand is None or (problem is None and self.target is None):
            if detach is not None:  # dragged off into the void: remove the edge
                e = detach.edge
                scene.editor.push(DisconnectCommand(graph, e.src, e.dst, e.port))
            return
        if problem is not None:
            self._restore()
            _explain(scene, event, f"Cannot connect: {problem}")
            return
        src, dst, port = cand
        if detach is not None:
            e = detach.edge
            if (e.src, e.dst, e.port) == cand:
                self._restore()
                return
            cmd = MacroCommand(graph, f"Reconnect {src} → {dst}")
            cmd.add(DisconnectCommand, e.src, e.dst, e.port)
            cmd.add(ConnectCommand, src, dst, port)
        else:
            cmd = ConnectCommand(graph, src, dst, port)
        error = scene.editor.push(cmd, quiet=True)
        if error is not None:
            self._restore()
            _explain(scene, event, f"Cannot connect: {error}")

    def _cleanup(self) -> None:
        if self.target is not None:
            self.target.set_mark(None)
        self.anchor_port.set_mark(None)
        if self.preview.scene() is not None:
            self.scene.removeItem(self.preview)
        QToolTip.hideText()

    def _restore(self) -> None:
        d = self.detach
        if d is not None and d.scene() is not None:
            d.setVisible(True)
            d.label.setVisible(bool(d.label.shape_text or d.label.rf_text))

    def cancel(self) -> None:
        """Remove the rubber line and port marks, and show the detached edge again."""
        self._cleanup()
        self._restore()


class MoveInteraction(Interaction):
    """Press on a card: select it; drag: move the selection on the grid.

    Ctrl-click toggles the card's selection, Shift-click adds it; a click
    without drag on a card of a multiple selection selects that card alone.

    Parameters
    ----------
    scene : GraphScene
    item : NodeItem
        The card pressed.
    event : QGraphicsSceneMouseEvent
        The press (its position and modifiers).
    """

    def __init__(self, scene, item: NodeItem, event):
        super().__init__(scene)
        self.item = item
        self.press = event.scenePos()
        self.screen_press = event.screenPos()
        self.moved = False
        mods = event.modifiers()
        self.toggle = bool(mods & Qt.KeyboardModifier.ControlModifier)
        self.extend = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        self.was_selected = item.isSelected()
        if self.toggle:
            item.setSelected(not item.isSelected())
        elif not item.isSelected():
            if self.extend:
                item.setSelected(True)
            else:
                scene.select_nodes([item.node_id])  # one selection signal, not two
        self.items = [it for it in scene.selectedItems() if isinstance(it, NodeItem)]
        self.start = {it: it.pos() for it in self.items}
        self._cursor_set = False

    def mouse_move(self, event) -> None:
        """Move the selected cards with the cursor, snapped to the grid.

        Nothing moves before the drag distance is reached; the model changes
        only on the release.
        """
        if self.toggle or self.item not in self.start:
            return
        if not self.moved:
            d = event.screenPos() - self.screen_press
            if d.manhattanLength() < QApplication.startDragDistance():
                return
            self.moved = True
            self._set_cursor(event, Qt.CursorShape.ClosedHandCursor)
        delta = event.scenePos() - self.press
        origin = self.start[self.item]
        target = QPointF(self.scene.snap(origin.x() + delta.x()),
                         self.scene.snap(origin.y() + delta.y()))
        step = target - origin
        self.scene.move_cards({it: p + step for it, p in self.start.items()})

    def _set_cursor(self, event, shape) -> None:
        w = event.widget()
        if w is not None:
            w.setCursor(shape)
            self._cursor_set = True

    def _reset_cursor(self) -> None:
        if self._cursor_set:
            for v in self.scene.views():
                v.viewport().unsetCursor()
            self._cursor_set = False

    def mouse_release(self, event) -> None:
        """Push one :class:`~designer.commands.MoveNodesCommand` for the cards that moved.

        Without a drag, a click on an already selected card (no modifier) selects
        that card alone. When the move is refused the cards go back and the
        reason is shown.
        """
        self._reset_cursor()
        if not self.moved:
            if self.was_selected and not (self.toggle or self.extend):
                self.scene.select_nodes([self.item.node_id])
            return
        graph = self.scene.graph
        moves = {}
        for it, p in self.start.items():
            new = it.pos()
            if new != p:
                moves[it.node_id] = (graph.nodes[it.node_id].pos, self.scene.model_point(new))
        if moves:
            error = self.scene.editor.push(MoveNodesCommand(graph, moves), quiet=True)
            if error is not None:
                self.cancel()
                self.scene.message.emit(error)

    def cancel(self) -> None:
        """Put the dragged cards back where they were (those still in the scene)."""
        self._reset_cursor()
        self.scene.move_cards({it: p for it, p in self.start.items() if it.scene() is not None})
