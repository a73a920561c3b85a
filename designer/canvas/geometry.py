"""Geometry services of the graph scene: where cards are, how edges route around
them, where labels sit, and re-routing after cards come, go or move.

:class:`SceneGeometry` is a mixin of :class:`~designer.canvas.scene.GraphScene`;
it reads the scene's cards (``nodes``), edges and lanes and owns the card index
(cards sorted by height) and the pending re-routing.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QPointF, QRectF

from . import edge_item, theme
from .edge_item import EdgeItem
from .node_item import NodeItem

__all__ = ["SceneGeometry", "CARD_MARGIN", "ON_CARD", "ON_LABEL"]

CARD_MARGIN = 8.0
#: what a label covering a card costs (:meth:`SceneGeometry.label_conflict`)
ON_CARD = 10000
#: what a label covering another label costs (more than any number of crossings)
ON_LABEL = edge_item.ON_LABEL


def _serial(edge: EdgeItem) -> int:
    return edge.serial


def _in_sight(edge: EdgeItem, sight) -> bool:
    """Whether either end of ``edge`` lies in one of the ``sight`` rectangles."""
    for p in (edge.src.pos(), edge.dst.pos()):
        x, y = p.x(), p.y()
        if any(l <= x <= r and t <= y <= b for l, t, r, b in sight):
            return True
    return False


class SceneGeometry:
    """Card index, edge routing context, label placement and re-routing (a mixin)."""

    def cards_changed(self) -> None:
        """A card moved: the card index is rebuilt on the next query."""
        self._cards = None
        self.forget_bands()

    @contextmanager
    def bands_held(self) -> Iterator[None]:
        """Keep :meth:`route_context`'s cards per band for the ``with`` block (one
        batch of model events, the routing of a build): the 64 edges of a 63-way fan
        all cross one band. Any card that comes, goes, moves or hides forgets them."""
        if self._bands is not None:
            yield
            return
        self._bands = {}
        try:
            yield
        finally:
            self._bands = None

    def forget_bands(self) -> None:
        """Drop the cards kept per band (a card came, went, moved or hid)."""
        if self._bands:
            self._bands = {}

    def _card_index(self) -> tuple[list[float], list[NodeItem], list[float]]:
        """``(ys, cards, xs)``: every card sorted by height (built on first use)."""
        if self._cards is None:
            items = sorted(self.nodes.values(), key=lambda it: it.y())
            ys, xs = [], []
            for it in items:
                p = it.pos()
                it.indexed_y = p.y()
                ys.append(p.y())
                xs.append(p.x())
            self._cards = (ys, items, xs)
        return self._cards

    def cards_in(self, lo: float, hi: float) -> list[NodeItem]:
        """Cards whose rectangle reaches into the band ``lo <= y <= hi``."""
        ys, items, _xs = self._card_index()
        half = theme.NODE_H / 2 + CARD_MARGIN
        return items[bisect_left(ys, lo - half):bisect_right(ys, hi + half)]

    def cards_near(self, l: float, t: float, r: float, b: float,
                   reach: float) -> list[NodeItem]:
        """Cards in the band ``t..b`` whose centre is within ``reach`` of ``l..r`` in x."""
        ys, items, xs = self._card_index()
        half = theme.NODE_H / 2 + CARD_MARGIN
        i, j = bisect_left(ys, t - half), bisect_right(ys, b + half)
        lo, hi = l - reach, r + reach
        return [items[k] for k in range(i, j) if lo <= xs[k] <= hi]

    def index_card(self, item: NodeItem) -> None:
        """File a card that came or moved into the card index (kept sorted by height)."""
        if self._cards is None:
            return
        self.forget_bands()
        ys, items, xs = self._cards
        p = item.pos()
        i = bisect_right(ys, p.y())
        ys.insert(i, p.y())
        items.insert(i, item)
        xs.insert(i, p.x())
        item.indexed_y = p.y()

    def unindex_card(self, item: NodeItem) -> None:
        """Take a card that goes or is about to move out of the card index."""
        self.forget_bands()
        if self._cards is None:
            return
        ys, items, xs = self._cards
        i = bisect_left(ys, getattr(item, "indexed_y", item.y()))
        while i < len(items) and items[i] is not item:
            i += 1
        if i == len(items):
            self._cards = None  # not found: rebuilt on the next query
            return
        del ys[i]
        del items[i]
        del xs[i]

    def move_cards(self, targets: dict[NodeItem, QPointF]) -> None:
        """Move several cards at once (a drag): edges among them just translate."""
        moved = {it: p - it.pos() for it, p in targets.items() if p != it.pos()}
        if not moved:
            return
        for it, d in moved.items():
            it.setPos(it.pos() + d)
        self.cards_changed()
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
        """Obstacles (cards in the band between ``p0`` and ``p1``) and the lanes
        of other edges whose vertical run overlaps that band (the only ones a
        lane there can cross or must keep its distance from)."""
        lo, hi = min(p0.y(), p1.y()) - 40, max(p0.y(), p1.y()) + 40
        src, dst = edge.src, edge.dst
        band = None if self._bands is None else self._bands.get((lo, hi))
        if band is None:
            band = self._band(lo, hi)
            if self._bands is not None:
                self._bands[(lo, hi)] = band
        obstacles = [rect for it, rect in band if it is not src and it is not dst]
        if self.group_cards:
            obstacles += self.group_obstacles(edge, lo, hi)
        lanes = [self._lanes[e] for e in self._lane_index.near(0.0, lo, 0.0, hi)
                 if e is not edge]
        return obstacles, lanes

    def _band(self, lo: float, hi: float) -> list[tuple[NodeItem, QRectF]]:
        """``(card, rectangle)`` of the shown cards in the band ``lo..hi``."""
        band = []
        for it in self.cards_in(lo, hi):
            if not it.isVisible():
                continue
            p = it.pos()
            at = (p.x(), p.y())
            kept = it.obstacle
            if kept is None or kept[0] != at:  # a card's rectangle, kept while it stays
                kept = it.obstacle = (at, self.card_rect(it))
            band.append((it, kept[1]))
        return band

    def note_lane(self, edge: EdgeItem, lane) -> None:
        """Record the lane ``edge`` takes (None: it takes none), for other edges' routing."""
        if lane is None:
            self._lanes.pop(edge, None)
            self._lane_index.discard(edge)
        else:
            self._lanes[edge] = lane
            self._lane_index.put(edge, (0.0, lane.lo, 0.0, lane.hi))

    def note_edge(self, edge: EdgeItem) -> None:
        """File ``edge``'s bounds (after a route or a shift) for nearness queries."""
        b = edge.boundingRect()
        self._edge_index.put(edge, (b.left(), b.top(), b.right(), b.bottom()))
        self._unrouted.discard(edge)
        self._route_seq += 1
        edge.routed_seq = self._route_seq

    def note_unrouted(self, edge: EdgeItem) -> None:
        """File an edge left unrouted by where its ends are (routed when seen).

        Until then it has no path and a one-unit bounding box at its source's
        port (Qt would paint an item with empty bounds on every repaint), and
        its label is hidden. A routed edge given back (after a big move)
        forgets its route.
        """
        if edge.route is not None:
            self.note_lane(edge, None)
            self._edge_index.discard(edge)
            self._label_index.discard(edge)
        edge.unroute()
        a, b = edge.src.pos(), edge.dst.pos()
        self._unrouted.put(edge, (min(a.x(), b.x()) - 260, min(a.y(), b.y()) - 60,
                                  max(a.x(), b.x()) + 260, max(a.y(), b.y()) + 60))

    def note_label(self, edge: EdgeItem) -> None:
        """File ``edge``'s label where it now is (or forget it while it shows nothing)."""
        lab = edge.label
        if lab.isVisible() and not lab.boundingRect().isEmpty():
            p, size = lab.pos(), lab.size()
            self._label_index.put(edge, (p.x(), p.y(), p.x() + size.width(),
                                         p.y() + size.height()))
        else:
            self._label_index.discard(edge)

    def forget_edge(self, edge: EdgeItem) -> None:
        """Drop ``edge`` from every index (it leaves the scene)."""
        self.note_lane(edge, None)
        self._edge_index.discard(edge)
        self._label_index.discard(edge)
        self._unrouted.discard(edge)

    def label_conflict(self, rect: QRectF, edge: EdgeItem, bound: int | None = None) -> int:
        """How badly a label at ``rect`` would sit: 0 is a free spot.

        Covering a card (or the slot names above it) costs :data:`ON_CARD`,
        another label :data:`ON_LABEL`, crossing an edge 1 each. Only what is
        near ``rect`` is looked at (the label and edge indexes), so placing
        every label of a graph takes time proportional to the graph. With
        ``bound``, counting stops once the score reaches it (a worse spot).
        """
        l, t, r, b = rect.left(), rect.top(), rect.right(), rect.bottom()
        score = 0
        hw, hh = theme.NODE_W / 2 + 2, theme.NODE_H / 2 + 2
        # 90 and 250: output stubs hang below cards, their labels right of centre
        for it in self.cards_near(l, t - 90, r, b + 20, 250.0):
            if not it.isVisible():
                continue
            p = it.pos()
            cl, cr = p.x() - hw, p.x() + hw
            ct, cb = p.y() - hh - (18 if it.kind.slots else 0), p.y() + hh
            if cl < r and cr > l and ct < b and cb > t:
                score += ON_CARD
            stub = it.stub
            if stub is not None and stub.isVisible():
                sr = stub.label_rect()
                if sr.left() < r and sr.right() > l and sr.top() < b and sr.bottom() > t:
                    score += ON_LABEL
        if self.group_frames:
            score += self.frame_conflict(rect)
        if bound is not None and score >= bound:
            return score
        for e in self._label_index.near(l, t, r, b):
            if e is not edge:
                score += ON_LABEL
        if bound is not None and score >= bound:
            return score
        for e in self._edge_index.near(l, t, r, b):
            route = e.route  # (Qt's isVisible last: most edges near do not cross)
            if route is not None and e is not edge and route.crosses(l, t, r, b) and \
                    e.isVisible():
                score += 1
                if bound is not None and score >= bound:
                    return score
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
        self._route_seq += 1
        self._pending.extend((r, self._route_seq) for r in rects)
        if not self._reroute_timer.isActive():
            self._reroute_timer.start()

    def flush(self) -> None:
        """Run pending re-routing now, and route and label every edge left for
        later (before reading or exporting the whole scene; tests)."""
        self.flush_due()
        self.freshen_all()

    def flush_due(self) -> None:
        """Run pending re-routing now (once per event-loop turn after an edit)."""
        self._reroute_timer.stop()
        rects, self._pending = self._pending, []
        dirty, self._dirty_edges = self._dirty_edges, set()
        if not rects and not dirty:
            return
        if len(rects) > max(24, len(self.edges) // 4):  # auto-layout: all of them
            targets = list(self.edges.values())
            sight = self._sight() if self._lazy else None
            if sight is not None:  # a big document: those in sight, the rest when seen
                targets = [e for e in targets if _in_sight(e, sight)]
                seen = set(targets)
                for e in self.edges.values():
                    if e not in seen:
                        self.note_unrouted(e)
                self.label_epoch += 1
        else:
            found = set(dirty)
            for rc, seq in rects:  # not those routed since (they saw the card there)
                found.update(e for e in self._edge_index.near(
                    rc.left() - 60, rc.top() - 60, rc.right() + 60, rc.bottom() + 60)
                    if e.routed_seq < seq)
            targets = sorted((e for e in found if e.scene() is self), key=_serial)
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
