"""Edge labels that update when they are seen: the canvas draws only what is visible.

An edit upstream of a long chain changes the shape or receptive field on every
edge below it. Relabelling thousands of edges nobody sees would make each edit
O(graph). An edge label shows its source card's analysis result; the card
always holds the latest one. :class:`LazyLabels` (a mixin of
:class:`~designer.canvas.scene.GraphScene`) relabels at once only the edges in
sight of a shown view when many cards changed; every other label is *stale*
(:attr:`EdgeItem.stale`) until it comes into sight: each view calls
:meth:`LazyLabels.reveal` before it paints, and reading a label's texts
freshens it first (:attr:`EdgeLabelItem.shape_text`), so no reader sees an
old label. Without a shown view every label follows at once.

Routes work the same way for a big document (:data:`LazyLabels.LAZY_EDGES`
edges or more, opened in a view, or after a big move such as auto-layout): only
the edges in sight are routed and labelled; the others have no path yet
(:meth:`EdgeItem.unroute`) and are filed by where their ends are, and
:meth:`LazyLabels.reveal` routes them when a view is about to paint them.
``GraphScene.flush`` (before an export, in tests) completes everything.

An undo that brings back many edges (a 63-way fan's hub) brings their labels
back to the spots they had (:mod:`.kept_routes`). A long curve crosses the view
while its label sits far away: such a label (``EdgeItem.spot_waits``) waits,
hidden, until its spot comes into sight, while the line itself is drawn solid or
dashed as the latest result says at once (:meth:`EdgeItem.follow_live`).
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt

from .edge_item import LABEL_MIN_ZOOM, EdgeItem
from .edge_label import label_size

__all__ = ["LazyLabels", "REVEAL_MARGIN"]

#: how far beyond a view's edges (scene units) labels are kept up to date
REVEAL_MARGIN = 200.0


def _serial(edge: EdgeItem) -> int:
    return edge.serial


def _due(edge: EdgeItem, l: float, t: float, r: float, b: float) -> bool:
    """Whether the label of an edge near ``(l, t, r, b)`` follows now. Not while it waits
    to go back to its kept spot (``spot_waits``: an undo brought it back), that spot lies
    outside and its new text has the size it had there: a long edge of a fan crosses the
    view while its label sits far away, and it goes back there once that comes into
    sight. A text of another size looks for a spot afresh at once (it may be in sight)."""
    spot = edge.spot
    if spot is None or not edge.spot_waits:
        return True
    p, (w, h) = spot[0], spot[1]
    x, y = p.x(), p.y()
    if x <= r and x + w >= l and y <= b and y + h >= t:
        return True
    return label_size(edge.src.result) != spot[1]


def _catch_up(edge: EdgeItem, box: tuple[float, float, float, float]) -> None:
    """Bring an edge near ``box`` up to date: its label and line, or only its line
    while the label waits out of sight (:func:`_due`)."""
    if _due(edge, *box):
        edge.freshen()
    else:
        edge.follow_live()


class LazyLabels:
    """Which edge labels follow the analysis at once, and the others when seen (a mixin)."""

    #: up to this many changed cards, every label below them is updated at once
    EAGER = 64
    #: a document with this many edges or more, opened in a view, routes and labels
    #: only the edges in sight; the others when they come into sight
    LAZY_EDGES = 200

    def _init_lazy(self) -> None:
        self._lazy = False
        #: counts the analyses that left labels behind (views reveal again after one)
        self.label_epoch = 0

    def _sight(self, labels: bool = True) -> list[tuple[float, float, float, float]] | None:
        """Where the shown views look (grown by :data:`REVEAL_MARGIN`); None: none shown.

        With ``labels``, views zoomed out below :data:`LABEL_MIN_ZOOM` (where
        labels are not drawn) do not count.
        """
        views = [v for v in self.views() if v.isVisible()]
        if not views:
            return None
        rects = []
        m = REVEAL_MARGIN
        for v in views:
            if labels and v.transform().m11() < LABEL_MIN_ZOOM:
                continue  # an overview: labels are not drawn there
            r = v.mapToScene(v.viewport().rect()).boundingRect()
            rects.append((r.left() - m, r.top() - m, r.right() + m, r.bottom() + m))
        return rects

    def _cards_seen(self, rects) -> set:
        """The cards whose centre lies in one of ``rects``."""
        seen = set()
        for l, t, r, b in rects:
            seen.update(it for it in self.cards_in(t, b) if l <= it.x() <= r)
        return seen

    def mirror_results(self, news: list) -> None:
        """Show new ``(card, result, warnings)``: the cards and the labels of the
        edges leaving them.

        A few cards: every card and label at once. Many (an edit upstream of a
        long chain): every card holds its result at once, but only those in
        sight repaint and only the labels in sight follow; the others when seen.
        """
        if self._building:
            cards = [] if self._lazy else None  # a new card is painted afresh anyway
        else:
            cards = None if len(news) <= self.EAGER else self._sight(labels=False)
        seen = None if cards is None else self._cards_seen(cards)
        changed = []
        for item, r, ws in news:
            if r is not item.result:
                changed.append(item)
            item.set_result(r, ws, seen is None or item in seen)
        if self._building and self._lazy:
            return  # each edge is labelled when it is first routed
        sight = None if cards is None else self._sight()
        if sight is None:
            for item in changed:
                for e in item.edges_out:
                    e.freshen()
            return
        self.label_epoch += 1
        for rect in sight:
            for e in sorted(self._edge_index.near(*rect), key=_serial):
                _catch_up(e, rect)

    def reveal(self, rect: QRectF, zoom: float) -> None:
        """Repaint the cards in or near ``rect`` whose look changed out of sight, route
        the edges there that wait for it and bring their labels up to date (a view
        about to paint ``rect``). Labels are left alone below :data:`LABEL_MIN_ZOOM`,
        where they are not drawn; the lines there still show whether a tensor flows."""
        m = REVEAL_MARGIN
        l, r = rect.left() - m, rect.right() + m
        for it in self.cards_in(rect.top() - m, rect.bottom() + m):
            if it.face_waits and l <= it.x() <= r:
                it.show_face()
        if len(self._unrouted):
            pending = self._unrouted.near(rect.left() - m, rect.top() - m,
                                          rect.right() + m, rect.bottom() + m)
            for e in sorted(pending, key=_serial):
                e.adjust()
        box = (rect.left() - m, rect.top() - m, rect.right() + m, rect.bottom() + m)
        if zoom < LABEL_MIN_ZOOM:  # no labels drawn: the lines still follow (dashed or not)
            for e in self._edge_index.near(*box):
                if e.behind:
                    e.follow_live()
            return
        for e in sorted((e for e in self._edge_index.near(*box) if e.behind), key=_serial):
            _catch_up(e, box)

    def freshen_all(self) -> None:
        """Route every edge and bring every card and label up to date (before
        rendering the whole scene to a picture)."""
        for it in self.nodes.values():
            if it.face_waits:
                it.show_face()
        for e in sorted(self._unrouted.keys(), key=_serial):
            e.adjust()
        for e in self.edges.values():
            e.freshen()

    def render(self, painter, target=QRectF(), source=QRectF(),  # noqa: B008
               mode=Qt.AspectRatioMode.KeepAspectRatio) -> None:
        """``QGraphicsScene.render`` with every label up to date first."""
        self.freshen_all()
        super().render(painter, target, source, mode)
