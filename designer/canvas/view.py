"""The canvas widget: zoom, pan, keyboard shortcuts and palette drops.

:class:`GraphView` shows a :class:`~designer.canvas.scene.GraphScene`.

* wheel: zoom around the cursor; Shift+wheel scrolls sideways;
* middle button drag, or Space + left drag: pan;
* F: fit the graph; Ctrl+0: 100 %; Ctrl++ / Ctrl+−: zoom;
* Del / Backspace: delete the selection; Ctrl+C / Ctrl+X / Ctrl+V / Ctrl+D:
  copy, cut, paste (at the cursor), duplicate; Ctrl+A: select all;
  Esc: cancel the gesture under way, else clear the selection;
* right click: a menu of the same edits for the card, edge or spot under it;
* drop a palette item (:data:`designer.document.LAYER_MIME`) to create the
  layer where it is dropped; dropped onto an edge, it is inserted there
  (the edge under the drag is highlighted).
"""

from __future__ import annotations

import json
import math

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QFrame, QGraphicsView, QMenu

from designer import look
from designer.document import LAYER_MIME
from designer.fix_actions import add_fix_actions

from . import theme
from .edge_item import EdgeItem
from .editor import NODES_MIME
from .fitting import fit, graph_rect
from .node_item import NodeItem
from .port_item import PortItem
from .scene import GraphScene

__all__ = ["GraphView"]

MIN_ZOOM, MAX_ZOOM = theme.MIN_ZOOM, theme.MAX_ZOOM
#: the smallest zoom at which a card's text is readable (opening a document)
READABLE_ZOOM = theme.READABLE_ZOOM
#: the smallest zoom a document is fitted at when it opens (else it shows its start)
FIT_MIN_ZOOM = theme.FIT_MIN_ZOOM


class GraphView(QGraphicsView):
    """The canvas view; forwards the scene's signals for the window.

    Parameters
    ----------
    scene : GraphScene, optional
        Created when not given.
    parent : QWidget, optional

    Signals
    -------
    selectionChangedIds(list)
        Forwarded from the scene: ids of the selected nodes, in graph order.
    nodeActivated(str)
        Forwarded from the scene: a node was double-clicked.
    message(str)
        Forwarded from the scene: transient text for the status bar.
    zoomChanged(float)
        The new zoom factor, after :meth:`set_zoom` and :meth:`fit`.
    """

    selectionChangedIds = Signal(list)
    nodeActivated = Signal(str)
    message = Signal(str)
    zoomChanged = Signal(float)

    def __init__(self, scene: GraphScene | None = None, parent=None):
        super().__init__(parent)
        scene = scene if scene is not None else GraphScene(self)
        self.setScene(scene)
        scene.selectionChangedIds.connect(self.selectionChangedIds)
        scene.nodeActivated.connect(self.nodeActivated)
        scene.message.connect(self.message)
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pan_from: QPointF | None = None
        self._space = False
        self._drop_edge: EdgeItem | None = None
        self._dots: dict[tuple[int, int], QPolygonF] = {}
        self._revealed: tuple | None = None  # (label epoch, rect, zoom) last revealed

    # -- API for the window -------------------------------------------------------------
    def graph_scene(self) -> GraphScene:
        """The :class:`GraphScene` shown (``scene()`` with its type)."""
        return self.scene()

    def set_document(self, doc) -> None:
        """Show ``doc``: all of it if it fits readably, else its top at a readable zoom."""
        self.scene().set_document(doc)
        self.fit(readable=True)

    def selected_ids(self) -> list[str]:
        """Selected node ids, in graph order."""
        return self.scene().selected_ids()

    def select_node(self, node_id: str | None) -> None:
        """Select only ``node_id`` (None clears) and scroll it into view."""
        self.scene().select_node(node_id)

    def delete_selection(self) -> None:
        """Delete the selected nodes and edges (one undo step)."""
        self.scene().delete_selection()

    def copy(self) -> None:
        """Copy the selected nodes to the clipboard."""
        self.scene().copy()

    def cut(self) -> None:
        """Copy the selected nodes, then delete the selection."""
        self.scene().cut()

    def paste(self) -> None:
        """Paste at the cursor when it is over the canvas, else next to the originals."""
        pos = self.mapFromGlobal(self.cursor().pos())
        at = self.mapToScene(pos) if self.viewport().rect().contains(pos) else None
        self.scene().paste(at)

    def duplicate(self) -> None:
        """Duplicate the selected nodes, offset down-right."""
        self.scene().duplicate()

    def auto_layout(self) -> None:
        """Lay out the graph in layers (one undo step), then fit it in the view."""
        self.scene().auto_layout()
        self.fit()

    def add_layer(self, type_name: str, params: dict | None = None,
                  preset: str | None = None) -> str | None:
        """Add a layer (palette double-click): below the selected node, else mid-view."""
        return self.scene().editor.add_layer(type_name, params, preset)

    def zoom(self) -> float:
        """Current zoom factor (1.0 is 100 %)."""
        return self.transform().m11()

    def graph_rect(self) -> QRectF:
        """Bounding rectangle of the cards, edges and labels (scene units)."""
        return graph_rect(self.scene())

    def fit(self, readable: bool = False) -> None:
        """Fit the whole graph in the view (at most 100 %); see :func:`fitting.fit`.

        With ``readable`` (opening a document), a graph that fits at
        :data:`FIT_MIN_ZOOM` or more is fitted whole; a larger one opens at
        :data:`READABLE_ZOOM` showing its start.
        """
        fit(self, readable)
        self.zoomChanged.emit(self.zoom())

    def set_zoom(self, z: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``z`` keeping the scene point under ``anchor`` (viewport) still."""
        z = max(MIN_ZOOM, min(MAX_ZOOM, z))
        anchor = anchor if anchor is not None else QPointF(self.viewport().rect().center())
        before = self.mapToScene(anchor.toPoint())
        factor = z / self.zoom()
        self.scale(factor, factor)
        after = self.mapToScene(anchor.toPoint())
        d = after - before
        self.translate(d.x(), d.y())
        self.zoomChanged.emit(self.zoom())

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Multiply the zoom by ``factor`` around ``anchor`` (see :meth:`set_zoom`)."""
        self.set_zoom(self.zoom() * factor, anchor)

    # -- painting ------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Bring the labels about to be seen up to date (:meth:`GraphScene.reveal`), then paint."""
        scene = self.scene()
        rect = self.mapToScene(self.viewport().rect()).boundingRect()
        seen = (scene.label_epoch, rect.getRect(), self.zoom())
        if seen != self._revealed:
            self._revealed = seen
            scene.reveal(rect, self.zoom())
        super().paintEvent(event)

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        """Fill the background and draw the dot grid.

        Dots every 20 units from 70 % zoom, every 40 from 35 %, none below.
        """
        painter.fillRect(rect, look.BACKGROUND)
        z = self.zoom()
        step = 20.0 if z >= 0.7 else 40.0 if z >= 0.35 else 0.0
        if not step:
            return
        left = math.floor(rect.left() / step) * step
        top = math.floor(rect.top() / step) * step
        nx = int((rect.right() - left) / step) + 2
        ny = int((rect.bottom() - top) / step) + 2
        # a grid of unit points, reused while the viewport's size and zoom stay
        pts = self._dots.get((nx, ny))
        if pts is None:
            if len(self._dots) > 6:
                self._dots.clear()
            row = QPolygonF([QPointF(i, 0) for i in range(nx)])
            pts = QPolygonF(row)
            for j in range(1, ny):  # whole rows appended in C++ (a fraction of the time)
                pts.append(row.translated(0, j))
            self._dots[(nx, ny)] = pts
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.translate(left, top)
        painter.scale(step, step)
        pen = QPen(look.GRID_DOT, 1.5)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.drawPoints(pts)
        painter.restore()

    # -- zoom and pan --------------------------------------------------------------------
    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Zoom around the cursor; with Shift, scroll sideways instead."""
        delta = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            d = delta.y() or delta.x()
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - d)
            event.accept()
            return
        dy = delta.y() or event.pixelDelta().y()
        if dy:
            self.zoom_by(1.0015 ** dy, event.position())
        event.accept()

    def _panning(self, event) -> bool:
        return event.button() == Qt.MouseButton.MiddleButton or (
            self._space and event.button() == Qt.MouseButton.LeftButton)

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Start panning on a middle press, or a left press while Space is held."""
        if self._panning(event):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Scroll by the mouse movement while panning."""
        if self._pan_from is not None:
            d = event.position() - self._pan_from
            self._pan_from = event.position()
            h, v = self.horizontalScrollBar(), self.verticalScrollBar()
            h.setValue(h.value() - round(d.x()))
            v.setValue(v.value() - round(d.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """End panning (the hand cursor stays while Space is held)."""
        if self._pan_from is not None and (
                event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton)):
            self._pan_from = None
            if self._space:
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            else:
                self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    # -- keyboard --------------------------------------------------------------------------
    _OWN_KEYS = (QKeySequence.StandardKey.Copy, QKeySequence.StandardKey.Paste,
                 QKeySequence.StandardKey.Cut, QKeySequence.StandardKey.SelectAll,
                 QKeySequence.StandardKey.Delete)

    def event(self, event) -> bool:
        """Claim the canvas's own shortcuts before window-level actions with the same keys.

        These are copy, cut, paste, select all, delete, Backspace, Esc and Ctrl+D.
        """
        # take our shortcuts before window-level actions steal them while we have focus
        if event.type() == QEvent.Type.ShortcutOverride and self._own_key(event):
            event.accept()
            return True
        return super().event(event)

    def _own_key(self, event) -> bool:
        if any(event.matches(k) for k in self._OWN_KEYS):
            return True
        key, mods = event.key(), event.modifiers()
        ctrl = mods & Qt.KeyboardModifier.ControlModifier
        return (key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace, Qt.Key.Key_Escape)
                or (ctrl and key == Qt.Key.Key_D))

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """The canvas keys listed in the module docstring; Space starts pan mode.

        Esc cancels the running gesture, or else clears the selection. Other
        keys get the default handling.
        """
        key = event.key()
        mods = event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        scene = self.scene()
        if key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.setDragMode(QGraphicsView.DragMode.NoDrag)
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) or \
                event.matches(QKeySequence.StandardKey.Delete):
            scene.delete_selection()
        elif event.matches(QKeySequence.StandardKey.Copy):
            scene.copy()
        elif event.matches(QKeySequence.StandardKey.Cut):
            scene.cut()
        elif event.matches(QKeySequence.StandardKey.Paste):
            self.paste()
        elif event.matches(QKeySequence.StandardKey.SelectAll):
            scene.select_all()
        elif ctrl and key == Qt.Key.Key_D:
            scene.duplicate()
        elif key == Qt.Key.Key_F and not ctrl:
            self.fit()
        elif ctrl and key == Qt.Key.Key_0:
            self.set_zoom(1.0)
        elif ctrl and key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(1.25)
        elif ctrl and key == Qt.Key.Key_Minus:
            self.zoom_by(0.8)
        elif key == Qt.Key.Key_Escape:
            if not scene.cancel_interaction():
                scene.select_nodes([])
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def keyReleaseEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Releasing Space leaves pan mode (back to rubber-band selection)."""
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self._pan_from = None
            self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
            self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Leave pan mode: the Space release may never arrive."""
        if self._space:
            self._space = False
            self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
            self.viewport().unsetCursor()
        super().focusOutEvent(event)

    # -- context menu ----------------------------------------------------------------------
    def contextMenuEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Show the edit menu for what is under the cursor; nothing without a document.

        A card (selected first if it was not) gets properties, cut, copy,
        duplicate and delete; an edge gets delete; empty canvas gets paste here,
        select all, auto-layout and fit.
        """
        scene = self.scene()
        if scene.doc is None:
            return
        pos = self.mapToScene(event.pos())
        item = scene.item_at(pos)
        item = item.node if isinstance(item, PortItem) else item
        menu = QMenu(self)
        group = scene.group_at(pos) if not isinstance(item, NodeItem) else None
        if group is not None:
            scene.fill_group_menu(menu, group)
        elif isinstance(item, NodeItem):
            if not item.isSelected():
                scene.select_nodes([item.node_id])
            n = len(scene.selected_ids())
            what = item.node_id if n == 1 else f"{n} nodes"
            menu.addAction("Properties…",
                           lambda: scene.nodeActivated.emit(item.node_id)).setEnabled(n == 1)
            menu.addSeparator()
            menu.addAction(f"Cut {what}", scene.cut)
            menu.addAction(f"Copy {what}", scene.copy)
            menu.addAction(f"Duplicate {what}", scene.duplicate)
            menu.addAction(f"Group {what}", scene.group_selection)
            menu.addSeparator()
            menu.addAction(f"Delete {what}", scene.delete_selection)
            if n == 1:  # the one-click fixes of the card's errors and warnings
                add_fix_actions(menu, scene.doc, item.node_id, scene.message.emit)
        elif isinstance(item, EdgeItem):
            if not item.isSelected():
                scene.clearSelection()
                item.setSelected(True)
            e = item.edge
            menu.addAction(f"Delete edge {e.src} → {e.dst}", scene.delete_selection)
        else:
            paste = menu.addAction("Paste here", lambda: scene.paste(pos))
            mime = QGuiApplication.clipboard().mimeData()
            paste.setEnabled(mime is not None and mime.hasFormat(NODES_MIME))
            menu.addAction("Select all", scene.select_all)
            menu.addSeparator()
            menu.addAction("Auto-layout", self.auto_layout)
            menu.addAction("Fit to view", self.fit)
        menu.exec(event.globalPos())
        event.accept()

    # -- palette drops ---------------------------------------------------------------------
    @staticmethod
    def _layer(event) -> dict | None:
        mime = event.mimeData()
        if mime is None or not mime.hasFormat(LAYER_MIME):
            return None
        try:
            data = json.loads(bytes(mime.data(LAYER_MIME)).decode("utf-8"))
        except ValueError:
            return None
        return data if isinstance(data, dict) and isinstance(data.get("type"), str) else None

    def _edge_at(self, scene_pos: QPointF, type_name: str) -> EdgeItem | None:
        scene = self.scene()
        if scene.card_at(scene_pos) is not None:
            return None
        for it in scene.items(QRectF(scene_pos.x() - 6, scene_pos.y() - 6, 12, 12)):
            if isinstance(it, EdgeItem) and it.isVisible() and \
                    scene.editor.insertable(type_name, it.edge) and \
                    it.shape().intersects(QRectF(scene_pos.x() - 3, scene_pos.y() - 3, 6, 6)):
                return it
        return None

    def _set_drop_edge(self, edge: EdgeItem | None) -> None:
        if edge is not self._drop_edge:
            if self._drop_edge is not None and self._drop_edge.scene() is not None:
                self._drop_edge.set_highlight(False)
            self._drop_edge = edge
            if edge is not None:
                edge.set_highlight(True)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Accept a palette layer (:data:`LAYER_MIME`) when a document is shown."""
        if self.scene().doc is not None and self._layer(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Highlight the edge under the cursor that the layer would be inserted into."""
        data = self._layer(event)
        if self.scene().doc is None or data is None:
            event.ignore()
            return
        pos = self.mapToScene(event.position().toPoint())
        self._set_drop_edge(self._edge_at(pos, data["type"]))
        event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Clear the edge highlight."""
        self._set_drop_edge(None)
        event.accept()

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Create the dropped layer at the cursor (:meth:`CanvasEditor.drop_layer`).

        Dropped on the highlighted edge, the layer is inserted there. The view
        then takes the focus; the drop is ignored when the edit is refused.
        """
        data = self._layer(event)
        scene = self.scene()
        if scene.doc is None or data is None:
            self._set_drop_edge(None)
            event.ignore()
            return
        pos = self.mapToScene(event.position().toPoint())
        edge = self._edge_at(pos, data["type"])
        self._set_drop_edge(None)
        params = data.get("params") if isinstance(data.get("params"), dict) else None
        preset = data.get("preset") if isinstance(data.get("preset"), str) else None
        nid = scene.editor.drop_layer(data["type"], params, preset, pos,
                                      edge.edge if edge is not None else None)
        if nid is not None:
            event.acceptProposedAction()
            self.setFocus()
        else:
            event.ignore()
