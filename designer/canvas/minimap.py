"""The overview map: the whole graph in miniature, over the canvas' bottom-right corner.

Shown only while the graph is larger than the view (hidden when all of it fits).
Each card is a small block in its family's colour, each edge a thin line, and
the part of the graph the view shows is a frame; clicking or dragging in the map
centres the view there. It follows the scene (cards moved, added, removed), the
zoom and the scrolling, redrawn at most every :data:`DELAY_MS`.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from designer import look

__all__ = ["Minimap"]

#: largest size of the map, pixels
MAX_W, MAX_H = 220, 170
#: distance from the view's corner, pixels
INSET = 12
#: coalesce scene changes: at most one redraw this often
DELAY_MS = 60


class Minimap(QWidget):
    """The overview map of a :class:`~designer.canvas.view.GraphView` (its child).

    Parameters
    ----------
    view : GraphView
        The canvas followed and moved.
    """

    def __init__(self, view):
        super().__init__(view)
        self.view = view
        self.enabled = True  # View → Overview Map
        self.world = QRectF()  # scene rectangle the map shows
        self._graph = QRectF()  # the cards, edges and labels, at the last refresh
        self._key = None  # what the graph was then (see _graph_key)
        self._picture: QPixmap | None = None  # the cards and edges, drawn once
        self._cards: list[tuple[QRectF, object]] = []
        self._lines: list[tuple[QPointF, QPointF]] = []
        self._dragging = False
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DELAY_MS)
        self._timer.timeout.connect(self._changed)
        view.installEventFilter(self)
        view.zoomChanged.connect(self._follow)
        view.horizontalScrollBar().valueChanged.connect(self._follow)
        view.verticalScrollBar().valueChanged.connect(self._follow)
        view.scene().changed.connect(self.schedule)
        look.notifier.changed.connect(self._recolour)
        self.hide()

    # -- public --------------------------------------------------------------------
    def set_enabled(self, on: bool) -> None:
        """Allow the map (it still hides while the whole graph fits)."""
        self.enabled = bool(on)
        self.refresh()

    def schedule(self, *_args) -> None:
        """The scene changed: redraw the cards soon (a burst of changes redraws once,
        and only when the graph did change: a hovered card does not)."""
        if not self._timer.isActive():
            self._timer.start()

    def visible_rect(self) -> QRectF:
        """The scene rectangle the view shows."""
        return self.view.mapToScene(self.view.viewport().rect()).boundingRect()

    def refresh(self) -> None:
        """Re-read the cards and the view now; show the map only when the graph does
        not fit in the view."""
        self._timer.stop()
        scene = self.view.scene()
        if scene is None:  # the window is closing
            self.hide()
            return
        self._graph = self.view.graph_rect() if scene.nodes else QRectF()
        self._key = self._graph_key()
        self.world = self._graph.adjusted(-20, -20, 20, 20)
        self._cards = [(it.sceneBoundingRect(), look.kind_color(it.kind))
                       for it in scene.nodes.values()]
        self._lines = [(e.src.scenePos(), e.dst.scenePos()) for e in scene.edges.values()]
        self._picture = None
        self._follow()

    def _graph_key(self):
        doc = self.view.scene().doc
        return (id(doc), doc.graph.revision if doc is not None else None,
                len(self.view.scene().nodes))

    def _changed(self) -> None:
        if self.view.scene() is not None and self._graph_key() != self._key:
            self.refresh()

    def _recolour(self, _dark: bool) -> None:
        self.refresh()  # the cards again, in the theme's colours

    def _follow(self, *_args) -> None:
        """The view moved or zoomed: show or hide, move the frame (the cards are
        drawn once per change of the graph)."""
        if self.view.scene() is None or not self.enabled or self._graph.isEmpty() \
                or self.visible_rect().contains(self._graph):
            self.hide()
            return
        self._place()
        self.show()
        self.raise_()
        self.update()

    def to_scene(self, pos: QPointF) -> QPointF:
        """The scene point under the map point ``pos``."""
        s = self._scale()
        return QPointF(self.world.left() + (pos.x() - self._offset().x()) / s,
                       self.world.top() + (pos.y() - self._offset().y()) / s)

    def to_map(self, rect: QRectF) -> QRectF:
        """``rect`` (scene) in map coordinates."""
        s, o = self._scale(), self._offset()
        return QRectF(o.x() + (rect.left() - self.world.left()) * s,
                      o.y() + (rect.top() - self.world.top()) * s,
                      rect.width() * s, rect.height() * s)

    # -- geometry --------------------------------------------------------------------
    def _scale(self) -> float:
        if self.world.isEmpty():
            return 1.0
        return min((self.width() - 8) / self.world.width(),
                   (self.height() - 8) / self.world.height())

    def _offset(self) -> QPointF:
        s = self._scale()
        return QPointF((self.width() - self.world.width() * s) / 2,
                       (self.height() - self.world.height() * s) / 2)

    def _place(self) -> None:
        ratio = self.world.width() / max(self.world.height(), 1.0)
        w, h = MAX_W, MAX_W / ratio
        if h > MAX_H:
            w, h = MAX_H * ratio, MAX_H
        w, h = max(int(w), 48), max(int(h), 48)
        vp = self.view.viewport().geometry()
        self.setGeometry(vp.right() - w - INSET, vp.bottom() - h - INSET, w, h)

    # -- events ----------------------------------------------------------------------
    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        """The cards and edges (drawn once per graph change) and the view's frame."""
        ratio = self.devicePixelRatioF()
        if self._picture is None or self._picture.size() != self.size() * ratio:
            self._picture = self._draw_graph(ratio)
        p = QPainter(self)
        p.drawPixmap(0, 0, self._picture)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        frame = self.to_map(self.visible_rect()).intersected(QRectF(self.rect()))
        p.setPen(QPen(look.ACCENT, 1.5))
        p.setBrush(look.with_alpha(look.ACCENT, 35))
        p.drawRect(frame)
        p.end()

    def _draw_graph(self, ratio: float) -> QPixmap:
        pm = QPixmap(self.size() * ratio)
        pm.setDevicePixelRatio(ratio)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(look.LINE, 1))
        p.setBrush(look.with_alpha(look.BASE, 235))
        p.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        s, o = self._scale(), self._offset()

        def at(pt: QPointF) -> QPointF:
            return QPointF(o.x() + (pt.x() - self.world.left()) * s,
                           o.y() + (pt.y() - self.world.top()) * s)
        p.setPen(QPen(look.EDGE, 1))
        for a, b in self._lines:
            p.drawLine(at(a), at(b))
        p.setPen(Qt.PenStyle.NoPen)
        for rect, color in self._cards:
            r = self.to_map(rect)
            r.setWidth(max(r.width(), 2.0))
            r.setHeight(max(r.height(), 2.0))
            p.setBrush(color)
            p.drawRoundedRect(r, 1.5, 1.5)
        p.end()
        return pm

    def _go(self, pos: QPointF) -> None:
        self.view.centerOn(self.to_scene(pos))
        self._follow()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Centre the view on the point clicked."""
        if event.button() == Qt.MouseButton.LeftButton:
            self._dragging = True
            self._go(event.position())
        event.accept()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Dragging keeps the view centred under the pointer."""
        if self._dragging:
            self._go(event.position())
        event.accept()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        """End of the drag."""
        self._dragging = False
        event.accept()

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        """The wheel zooms the canvas, as over the canvas itself."""
        event.ignore()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        """Follow the view's size (and a first show)."""
        if obj is self.view and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self._follow()
        return super().eventFilter(obj, event)
