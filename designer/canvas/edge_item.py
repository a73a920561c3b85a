"""An edge: a curved arrow from an output port to an input port, with a label.

The label (:mod:`.edge_label`) shows what flows along the edge: the source's
output shape (``32×62×62``) and its receptive field relative to the Input
(``RF 7×7 · j 2``, ``RF global``). Geometry comes from
:mod:`designer.canvas.routing`; the scene supplies obstacles and lanes.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QGraphicsItem

from designer import look
from engine import Edge, NodeResult

from . import theme
from .edge_label import LABEL_MIN_ZOOM, ON_LABEL, EdgeLabelItem, edge_label_texts, label_key
from .routing import Lane, Route, route, spots_around

__all__ = ["EdgeItem", "EdgeLabelItem", "edge_label_texts", "LABEL_MIN_ZOOM", "ON_LABEL"]

_ARROW_L, _ARROW_W = 8.0, 4.2
_SERIALS = itertools.count()
_UNSEEN = object()  # EdgeItem._live_of before any result


class EdgeItem(QGraphicsItem):
    """An edge of the model between two :class:`NodeItem` cards.

    Parameters
    ----------
    edge : engine.Edge
    src, dst : NodeItem
        The cards at its ends.
    """

    def __init__(self, edge: Edge, src, dst):
        super().__init__()
        #: creation order (a stable order for sets of edges)
        self.serial = next(_SERIALS)
        #: the scene's route counter when last routed or shifted (GraphScene.flush)
        self.routed_seq = 0
        self.edge = edge
        self.src = src
        self.dst = dst
        self.route: Route | None = None
        self.highlight = False  # a palette drag hovers it
        self._key: tuple | None = ()  # label_key of the latest result (() before any)
        self._shown: NodeResult | None = None  # the source's result the label shows
        #: the source's result the line follows (:attr:`live`; :meth:`follow_live`)
        self._live_of: NodeResult | object = _UNSEEN
        self._path = QPainterPath()
        self._shape = QPainterPath()
        self._arrow = QPolygonF()
        self._bounds = QRectF()
        #: what the route was computed from (see :class:`KeptRoute`), None before
        self.routed_from: tuple | None = None
        #: ``(position, (width, height), score)`` of the label's last placement on
        #: this route. While ``spot_waits`` (its route was taken back, or the label
        #: showed nothing meanwhile: an undo), the next placement of a text of that
        #: size goes back there if the spot is no worse; any other placement searches
        self.spot: tuple | None = None
        self.spot_waits = False
        self.label = EdgeLabelItem(self)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setAcceptHoverEvents(True)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        self._hover = False
        self.setZValue(0)

    # -- model ---------------------------------------------------------------------
    def set_result(self, result: NodeResult | None) -> None:
        """Label from the source's analysis result (unchanged key: nothing to do).

        The scene calls this only for labels in sight; the others show the
        source card's result when they come into sight (:meth:`freshen`).
        """
        self._label_from(result, place=True)

    def _label_from(self, result: NodeResult | None, place: bool) -> None:
        was = self.live
        self._shown = self._live_of = result
        if self.live != was:  # (also when the label's key stays: after follow_live)
            self.update()
        key = label_key(result)
        if key == self._key:
            return
        self._key = key
        shape, rf = edge_label_texts(result)
        if self.label.set_texts(shape, rf) and place and self.route is not None:
            self.place_label()
        if self.route is None and self.label.isVisible():
            self.label.setVisible(False)  # shown once routed (no spot before)

    def freshen(self) -> None:
        """Show the source card's latest result if the label shows an older one."""
        result = self.src.result
        if result is not self._shown:
            self.set_result(result)
        elif result is not self._live_of:  # (back to the result the label shows)
            self.follow_live()

    def follow_live(self) -> None:
        """Draw the edge solid or dashed as its source card's latest result says, the
        label left as it is (one that waits out of sight for its kept spot: an undo)."""
        was = self.live
        self._live_of = self.src.result
        if self.live != was:
            self.update()

    @property
    def live(self) -> bool:
        """Whether a tensor flows along the edge (solid); False: an error upstream, or
        nothing analysed yet (dashed). True before any result is shown."""
        return self._live_of is _UNSEEN or label_key(self._live_of) is not None

    @property
    def stale(self) -> bool:
        """Whether the label shows an older result than its source card's."""
        return self.src.result is not self._shown

    @property
    def behind(self) -> bool:
        """Whether the label or the line (solid or dashed) shows an older result than
        its source card's."""
        result = self.src.result
        return result is not self._shown or result is not self._live_of

    def toolTip(self) -> str:  # noqa: N802 (Qt API; see GraphScene.helpEvent)
        """Plain text: ``src → dst`` (slot for multi-input targets), label texts, a hint."""
        e, lab = self.edge, self.label
        text = f"{e.src} → {e.dst}" + (f" (slot {e.port})" if self.dst.kind.max_inputs > 1
                                        else "")
        if lab.shape_text:
            text += f"\n{lab.shape_text}   {lab.rf_text}"
        return text + "\nDrop a layer here to insert it; Del removes a selected edge"

    def set_highlight(self, on: bool) -> None:
        """Show or hide the halo of a palette drag hovering the edge (insert here)."""
        if on != self.highlight:
            self.highlight = on
            self.update()

    # -- geometry --------------------------------------------------------------
    def adjust(self) -> None:
        """Recompute the path after a move of either end (or of a card in the way).

        A hidden edge (inside a collapsed group) is not routed: it is when shown.
        """
        if not self.isVisible():
            return
        p0 = self.src.output_anchor()
        p1 = self.dst.input_anchor(self.edge.port)
        scene = self.scene()
        src_rect = self.src.sceneBoundingRect()
        dst_rect = self.dst.sceneBoundingRect()
        if scene is not None and hasattr(scene, "route_context"):
            obstacles, lanes = scene.route_context(self, p0, p1)
        else:
            obstacles, lanes = [], []
        inputs = (p0, p1, obstacles, lanes, (src_rect.adjusted(6, 6, -6, -6),
                                             dst_rect.adjusted(6, 6, -6, -6)))
        kept = scene.kept_routes.take(self.edge) if hasattr(scene, "kept_routes") else None
        if kept is not None and kept.fits(inputs):  # as it was before it left (an undo)
            r, shape, self.spot = kept.route, kept.shape, kept.spot
            self.spot_waits = True
        else:
            r, shape, self.spot = route(*inputs), None, None
        self.routed_from = inputs
        self.prepareGeometryChange()
        if self.route is None:  # first route (or left unrouted out of sight)
            self.label.setVisible(not self.label.boundingRect().isEmpty())
        self.route = r
        if scene is not None and hasattr(scene, "note_lane"):
            scene.note_lane(self, r.lane)
        tip = QPointF(p1.x(), p1.y() - theme.PORT_R + 0.5)
        self._arrow = QPolygonF([tip, QPointF(tip.x() - _ARROW_W, tip.y() - _ARROW_L),
                                 QPointF(tip.x() + _ARROW_W, tip.y() - _ARROW_L)])
        # stop the line inside the arrow head
        self._path = r.path
        if shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(12)
            shape = stroker.createStroke(r.path)
        self._shape = shape
        self._bounds = r.path.boundingRect().adjusted(-8, -8, 8, 8)
        if self.stale:  # first route of an edge left unrouted out of sight
            self._label_from(self.src.result, place=False)
        if scene is not None and hasattr(scene, "note_edge"):
            scene.note_edge(self)
            if getattr(scene, "_building", False):
                return  # the scene places every label once all routes are known
        self.place_label()

    def unroute(self) -> None:
        """Forget the path until the next :meth:`adjust` (an edge left for later)."""
        self.prepareGeometryChange()
        self.route = self.routed_from = self.spot = None
        self._path, self._shape, self._arrow = QPainterPath(), QPainterPath(), QPolygonF()
        p = self.src.output_anchor()
        self._bounds = QRectF(p.x(), p.y(), 1.0, 1.0)
        self.label.setVisible(False)

    def shift(self, d: QPointF) -> None:
        """Translate the whole edge (both its cards moved by ``d``)."""
        r = self.route
        if r is None:
            return
        self.prepareGeometryChange()
        self.routed_from = self.spot = None  # a route of its own now, placed afresh
        r.path.translate(d)
        dx, dy = d.x(), d.y()
        r.anchor = r.anchor + d
        r.samples = tuple((x + dx, y + dy) for x, y in r.samples)
        if r.lane is not None:
            ln = r.lane
            r.lane = Lane(ln.x + dx, ln.x0 + dx, ln.ya + dy, ln.x1 + dx, ln.yb + dy)
            scene = self.scene()
            if scene is not None and hasattr(scene, "note_lane"):
                scene.note_lane(self, r.lane)
        self._path = r.path
        self._arrow.translate(d)
        self._shape.translate(d)
        self._bounds.translate(d)
        self.label.moveBy(dx, dy)
        scene = self.scene()
        if scene is not None and hasattr(scene, "note_edge"):
            scene.note_edge(self)
            scene.note_label(self)

    def place_label(self) -> None:
        """Put the label beside the path, clear of cards, other labels and edges."""
        r = self.route
        if r is None:
            return
        size = self.label.size()
        scene = self.scene()
        check = scene is not None and hasattr(scene, "label_conflict")
        if size.isEmpty():  # nothing shown: placed once it shows a text (set_texts)
            self.spot_waits = self.spot is not None  # its text may come back (an undo)
            if check and hasattr(scene, "note_label"):
                scene.note_label(self)
            return
        wh, spot = (size.width(), size.height()), self.spot
        waits, self.spot_waits = self.spot_waits, False
        if check and waits and spot is not None and spot[1] == wh and \
                scene.label_conflict(QRectF(spot[0], size), self, spot[2] + 1) <= spot[2]:
            self.label.setPos(spot[0])  # back where it was, and no worse there
            scene.note_label(self)
            return
        best = None
        for pos in self._label_spots(size):
            score = scene.label_conflict(QRectF(pos, size), self,
                                         None if best is None else best[0]) if check else 0
            if score == 0:
                best = (0, pos)
                break
            if best is None or score < best[0]:
                best = (score, pos)
        if check and best[0] >= ON_LABEL:  # crowded: look farther
            for pos in spots_around(best[1], size):
                score = scene.label_conflict(QRectF(pos, size), self, best[0])
                if score < best[0]:
                    best = (score, pos)
                    if score < ON_LABEL:
                        break
        self.label.setPos(best[1])
        self.spot = (best[1], wh, best[0])
        if check and hasattr(scene, "note_label"):
            scene.note_label(self)

    def _label_spots(self, size):
        """Label positions beside the curve, best first.

        A straight edge is labelled at its middle. A slanted one is labelled
        where it runs vertically, on the side away from its bend: near the
        target when the source fans out, near the source when the target
        gathers several inputs.
        """
        path = self.route.path
        p0, p1 = path.pointAtPercent(0.0), path.pointAtPercent(1.0)
        dx = p1.x() - p0.x()
        h, w = size.height(), size.width()
        gap = 7.0

        def beside(x, y, side):
            return QPointF(x + gap if side > 0 else x - gap - w, y - h / 2)

        if self.route.lane is not None:
            lane = self.route.lane
            x, lo, hi = lane.x, lane.lo, lane.hi
            side = self.route.side
            for f in (0.5, 0.3, 0.7, 0.15, 0.85):
                y = lo + (hi - lo) * f
                yield beside(x, y, side)
                yield beside(x, y, -side)
            return
        if abs(dx) < 2:
            yield beside(p0.x(), (p0.y() + p1.y()) / 2, 1)
        else:
            side = 1 if dx > 0 else -1
            near_dst = beside(p1.x(), p1.y() - 12 - h / 2, side)
            near_src = beside(p0.x(), p0.y() + 12 + h / 2, -side)
            if self.dst.kind.max_inputs > 1 and len(self.src.edges_out) <= 1:
                yield near_src
                yield near_dst
            else:
                yield near_dst
                yield near_src
        for t in (0.5, 0.65, 0.35, 0.8, 0.2):
            p = path.pointAtPercent(t)
            yield beside(p.x(), p.y(), 1)
            yield beside(p.x(), p.y(), -1)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        """The path's bounds, 8 units larger on each side (arrow and pen width)."""
        return self._bounds

    def shape(self) -> QPainterPath:
        """A 12-unit-wide stroke around the path, so that a thin edge is easy to click."""
        return self._shape

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Repaint darker and thicker while hovered."""
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Repaint in the normal colour."""
        self._hover = False
        self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        """Draw the path and arrow head.

        Accent colour when selected or highlighted (with a halo for the drop
        highlight), darker when hovered, dashed and dim when no tensor flows.
        """
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        selected = self.isSelected()
        path = self._path
        if self.route is not None and self._bounds.width() > 1200:  # a long curve
            path = self.route.part_in(option.exposedRect.adjusted(-20, 0, 20, 0)) or path
        if self.highlight:
            painter.setPen(QPen(look.with_alpha(look.ACCENT, 50), 9, Qt.PenStyle.SolidLine,
                                Qt.PenCapStyle.RoundCap))
            painter.drawPath(path)
        live = self.live
        if self.highlight or selected:
            color, width = look.ACCENT, 2.2
        elif self._hover:
            color, width = look.EDGE_HOVER, 2.0
        else:
            color, width = (look.EDGE if live else look.EDGE_DIM), 1.6
        painter.setPen(_edge_pen(color, width, painter.deviceTransform().m11(), live))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawPolygon(self._arrow)


#: device widths up to which an edge is drawn as a one-pixel hairline of equal ink
HAIRLINE_UP_TO = 1.5


def _edge_pen(color, width: float, scale: float, live: bool) -> QPen:
    """The pen of an edge ``width`` scene units wide, ``scale`` device pixels per unit (the
    zoom times the screen's pixel ratio), dashed if not ``live``.

    Up to :data:`HAIRLINE_UP_TO` device pixels wide (a zoomed-out view) the
    line is drawn one pixel wide in :func:`~designer.look.hairline_ink`:
    Qt's raster engine strokes it on its fast path, about 20 times cheaper
    than a 1.3-pixel antialiased curve (a 63-way fan repaints in half the time).
    """
    device = width * scale
    if device <= HAIRLINE_UP_TO:
        pen = QPen(look.hairline_ink(color, device), 1.0)
        pen.setCosmetic(True)
        if not live:  # the dash of the wide pen, in pixels
            pen.setDashPattern([4.0 * device, 2.0 * device])
        return pen
    pen = QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
               Qt.PenJoinStyle.RoundJoin)
    if not live:
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen
