"""Routes of edges that left the scene, kept for their return (an undo, a redo).

Deleting a node takes its edges' items out of the scene; undoing the delete
brings new items for the same edges. Routing them again (and placing their
labels) is most of what an undo of a hub costs: the 63 edges of a fan's hub
took about 50 ms to route. A route is a pure function of what
:meth:`EdgeItem.adjust <designer.canvas.edge_item.EdgeItem.adjust>` hands
:func:`~designer.canvas.routing.route`: the two port anchors, the cards in the
way, the lanes of other edges and the two cards' rectangles. So a returning
edge that finds those as they were takes its old route back: exactly the path
a fresh routing would give. Its label goes back to its old spot if that spot
is no worse than when it was chosen (placement depends on the order labels
are placed in, so a fresh search could pick another spot of equal cost).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from PySide6.QtGui import QPainterPath

from engine import Edge

from .routing import Route

__all__ = ["KeptRoute", "KeptRoutes"]


@dataclass
class KeptRoute:
    """A route with what it was computed from, its hit shape and its label's spot."""

    #: ``(p0, p1, obstacles, lanes, bounds)``: the arguments of ``routing.route``
    inputs: tuple
    route: Route
    shape: QPainterPath
    #: ``(position, (width, height), score)`` of the label (``EdgeItem.spot``)
    spot: tuple | None

    def fits(self, inputs: tuple) -> bool:
        """Whether routing ``inputs`` gives this route again.

        A curve depends on the anchors and the cards in the way only; a lane also
        on the other lanes and the two cards. Obstacles and lanes are compared
        without their order, which routing ignores, but with their repeats, which
        it counts (two equal lanes are two crossings).
        """
        p0, p1, obstacles, lanes, bounds = inputs
        k0, k1, kept_obstacles, kept_lanes, kept_bounds = self.inputs
        if p0 != k0 or p1 != k1 or not _same_rects(obstacles, kept_obstacles):
            return False
        return self.route.lane is None or (
            Counter(lanes) == Counter(kept_lanes) and list(bounds) == list(kept_bounds))


def _same_rects(a: list, b: list) -> bool:
    if len(a) != len(b):
        return False
    return a == b or sorted(r.getCoords() for r in a) == sorted(r.getCoords() for r in b)


class KeptRoutes:
    """The routes of the last :data:`LIMIT` edges that left, by edge (each taken once)."""

    #: how many departed edges are remembered (the oldest is forgotten first)
    LIMIT = 1024

    def __init__(self) -> None:
        self._kept: dict[Edge, KeptRoute] = {}

    def __len__(self) -> int:
        return len(self._kept)

    def keep(self, item) -> None:
        """Remember the route of ``item`` (an edge item leaving the scene), if it has one."""
        if item.route is None or item.routed_from is None:
            return
        kept, edge = self._kept, item.edge
        kept.pop(edge, None)
        kept[edge] = KeptRoute(item.routed_from, item.route, item.shape(), item.spot)
        if len(kept) > self.LIMIT:
            del kept[next(iter(kept))]

    def take(self, edge: Edge) -> KeptRoute | None:
        """The route kept for ``edge`` (forgotten here), or None."""
        return self._kept.pop(edge, None) if self._kept else None

    def clear(self) -> None:
        """Forget every route (another document)."""
        self._kept.clear()
