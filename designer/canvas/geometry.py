"""Geometry services of the graph scene: where cards are, how edges route around
them, where labels sit, and re-routing after cards come, go or move.

:class:`SceneGeometry` is a mixin of :class:`~designer.canvas.scene.GraphScene`;
it reads the scene's cards (``nodes``), edges and lanes and owns the card index
(cards sorted by height) and the pending re-routing.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from PySide6.QtCore import QPointF, QRectF

from . import theme
from .edge_item import EdgeItem
from .node_item import NodeItem

__all__ = ["SceneGeometry", "CARD_MARGIN"]

CARD_MARGIN = 8.0


class SceneGeometry:
    """Card index, edge routing context, label placement and re-routing (a mixin)."""

    def cards_changed(self) -> None:
        """A card moved: the card index is rebuilt on the next query."""
        self._cards = None

    def cards_in(self, lo: float, hi: float) -> list[NodeItem]:
        """Cards whose rectangle reaches into the band ``lo <= y <= hi``."""
        if self._cards is None:
            items = sorted(self.nodes.values(), key=lambda it: it.y())
            self._cards = ([it.y() for it in items], items)
        ys, items = self._cards
        half = theme.NODE_H / 2 + CARD_MARGIN
        return items[bisect_left(ys, lo - half):bisect_right(ys, hi + half)]

    def move_cards(self, targets: dict[NodeItem, QPointF]) -> None:
        """Move several cards at once (a drag): edges among them just translate."""
        moved = {it: p - it.pos() for it, p in targets.items() if p != it.pos()}
        if not moved:
            return
        for it, d in moved.items():
            it.setPos(it.pos() + d)
        self._cards = None
        done: set[EdgeItem] = set()
        for it, d in moved.items():
            for e in (*it.edges_in, *it.edges_out):
                if e in done:
                    continue
                done.add(e)
                other = e.dst if e.src is it else e.src
                if other in moved and moved[other] == d:
                    e.shift(d)
                else:
                    e.adjust()

    def route_context(self, edge: EdgeItem, p0: QPointF, p1: QPointF):
        """Obstacles (cards in the band between ``p0`` and ``p1``) and others' lanes."""
        lo, hi = min(p0.y(), p1.y()) - 40, max(p0.y(), p1.y()) + 40
        obstacles = [self.card_rect(it) for it in self.cards_in(lo, hi)
                     if it is not edge.src and it is not edge.dst and it.isVisible()]
        if self.group_cards:
            obstacles += self.group_obstacles(edge, lo, hi)
        lanes = [lane for e, lane in self._lanes.items() if e is not edge]
        return obstacles, lanes

    def note_lane(self, edge: EdgeItem, lane) -> None:
        """Record the lane ``edge`` takes (None: it takes none), for other edges' routing."""
        if lane is None:
            self._lanes.pop(edge, None)
        else:
            self._lanes[edge] = lane

    def label_conflict(self, rect: QRectF, edge: EdgeItem) -> int:
        """How badly a label at ``rect`` would sit: 0 is a free spot.

        Covering a card (or the slot names above it) costs 100, another label
        10, crossing an edge 1. Only nearby edges are looked at: those sharing
        an end with ``edge`` (fan-in, fan-out) and the lanes, which are the only
        ones that can pass a label's spot.
        """
        score = 0
        for it in self.cards_in(rect.top() - 20, rect.bottom() + 20):
            card = self.card_rect(it, 2)
            if it.kind.slots:
                card.setTop(card.top() - 18)  # slot names above the ports
            if card.intersects(rect):
                score += 100
        if self.group_frames:
            score += self.frame_conflict(rect)
        src, dst = edge.src, edge.dst
        top, bottom = rect.top() - 30, rect.bottom() + 30
        others = {*src.edges_out, *src.edges_in, *dst.edges_in, *dst.edges_out}
        others.update(e for e, ln in self._lanes.items() if ln.lo <= bottom and ln.hi >= top)
        others.discard(edge)
        for e in others:
            if not e.isVisible() or e.route is None:
                continue
            lab = e.label
            if lab.isVisible() and QRectF(lab.pos(), lab.size()).intersects(rect):
                score += 10
            if e.route.crosses(rect):
                score += 1
        return score

    @staticmethod
    def card_rect(item: NodeItem, margin: float = CARD_MARGIN) -> QRectF:
        """Scene rectangle of ``item``'s card, grown by ``margin`` on each side."""
        p = item.pos()
        w, h = theme.NODE_W / 2 + margin, theme.NODE_H / 2 + margin
        return QRectF(p.x() - w, p.y() - h, 2 * w, 2 * h)

    def card_at(self, pos: QPointF, margin: float = 0.0) -> NodeItem | None:
        """The card whose rectangle grown by ``margin`` contains ``pos``, or None."""
        for it in self.cards_in(pos.y() - margin, pos.y() + margin):
            if self.card_rect(it, margin).contains(pos):
                return it
        return None

    def _reroute_near(self, rects: list[QRectF]) -> None:
        """Re-route, soon, the edges whose path passes near any of ``rects``.

        A card that appears, goes or moves may now stand in another edge's
        way (or free it). The edges attached to the card follow at once; the
        others are re-routed once per event-loop turn, however many cards an
        edit moved (auto-layout moves them all).
        """
        if self._building:
            return
        self._pending.extend(rects)
        if not self._reroute_timer.isActive():
            self._reroute_timer.start()

    def flush(self) -> None:
        """Run pending re-routing now (tests and benchmarks)."""
        self._reroute_timer.stop()
        rects, self._pending = self._pending, []
        dirty, self._dirty_edges = self._dirty_edges, set()
        if not rects and not dirty:
            return
        edges = list(self.edges.values())
        if len(rects) > 24:  # a big edit (auto-layout, undo of one): all of them
            targets = edges
        else:
            targets = []
            for e in edges:
                if e in dirty:
                    targets.append(e)
                    continue
                near = e.boundingRect().adjusted(-60, -60, 60, 60)
                if any(near.intersects(r) for r in rects):
                    targets.append(e)
        for e in targets:
            e.adjust()
        if len(targets) > 1:
            for e in targets:  # labels again: they now see every new route
                e.place_label()

    def reroute_all(self) -> None:
        """Re-route every edge now."""
        for e in self.edges.values():
            e.adjust()

    @staticmethod
    def snap(v: float) -> float:
        """``v`` rounded to the nearest multiple of the grid step (``theme.GRID``)."""
        return round(v / theme.GRID) * theme.GRID
