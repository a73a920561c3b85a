"""The comparison drawn on the canvas: a badge per added or changed card, a ghost per
removed node.

The overlay never draws into the cards: a :class:`DiffBadge` is a child item
of its card (so it follows a drag and goes when the card goes), placed to the
card's right, else its left, else above it, wherever no other card is. A
:class:`GhostCard` sits where B has the removed node (moved right until it
covers no card). :meth:`CompareOverlay.show` is cheap to call after every
analysis: it touches only the items whose content or place changed.

``GraphScene.set_document`` deletes every item of the scene: call
:meth:`CompareOverlay.forget` then (never touching the deleted items).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF

from designer.canvas.layout import layered_positions
from designer.canvas.node_item import NodeItem
from designer.canvas.theme import NODE_H, NODE_W
from engine import Graph
from engine.labs import DesignDiff

from .diff_badge import DiffBadge
from .ghost_card import GhostCard
from .wording import badge_lines

__all__ = ["CompareOverlay"]

SIDE_GAP = 10.0
GHOST_STEP = NODE_W + 30.0
GHOST_TRIES = 8


class CompareOverlay:
    """The badges and ghosts of one comparison on ``scene`` (a ``GraphScene``)."""

    def __init__(self, scene):
        self.scene = scene
        #: node id -> (its card, its badge)
        self.badges: dict[str, tuple[NodeItem, DiffBadge]] = {}
        #: node id (in B only) -> its ghost
        self.ghosts: dict[str, GhostCard] = {}

    # -- life cycle ------------------------------------------------------------------------
    def forget(self) -> None:
        """Drop every item without touching it (the scene deleted them all)."""
        self.badges = {}
        self.ghosts = {}

    def clear(self) -> None:
        """Remove every badge and ghost from the canvas."""
        for nid in list(self.badges):
            self._drop_badge(nid)
        for nid in list(self.ghosts):
            self._drop_ghost(nid)

    def _drop_badge(self, nid: str) -> None:
        _card, badge = self.badges.pop(nid)
        if badge.scene() is not None:
            badge.scene().removeItem(badge)
        badge.setParentItem(None)

    def _drop_ghost(self, nid: str) -> None:
        ghost = self.ghosts.pop(nid)
        if ghost.scene() is not None:
            ghost.scene().removeItem(ghost)

    # -- drawing -----------------------------------------------------------------------------
    def show(self, diff: DesignDiff, other: Graph, name: str) -> None:
        """Show ``diff`` (B = ``other``, called ``name``, compared with the open design)."""
        wanted: dict[str, tuple[str, str, list[str]]] = {}
        for nid, type_name in diff.added:
            wanted[nid] = ("added", "+ new", [f"{type_name} · not in {name}"])
        for entry in diff.changed:
            wanted[entry["id"]] = ("changed", f"changed vs {name}", badge_lines(entry))
        cards = self.scene.nodes
        for nid in list(self.badges):
            card, _badge = self.badges[nid]
            if nid not in wanted or cards.get(nid) is not card:
                self._drop_badge(nid)
        for nid, (kind, header, lines) in wanted.items():
            card = cards.get(nid)
            if card is None:
                continue
            if nid not in self.badges:
                self.badges[nid] = (card, DiffBadge(card))
            badge = self.badges[nid][1]
            badge.set_content(kind, header, lines)
            self._place(card, badge)
        self._show_ghosts(diff, other, name)

    def _place(self, card: NodeItem, badge: DiffBadge) -> None:
        size = badge.size()
        w, h = size.width(), size.height()
        for x, y in ((NODE_W / 2 + SIDE_GAP, -NODE_H / 2),
                     (-NODE_W / 2 - SIDE_GAP - w, -NODE_H / 2),
                     (NODE_W / 2 - w, -NODE_H / 2 - h - 6)):
            rect = QRectF(card.mapToScene(QPointF(x, y)), size.size())
            if not self._covers_card(rect, card):
                break
        if badge.pos() != QPointF(x, y):
            badge.setPos(x, y)

    def _covers_card(self, rect: QRectF, own=None) -> bool:
        return any(isinstance(it, NodeItem) and it is not own
                   and it.sceneBoundingRect().intersects(rect)
                   for it in self.scene.items(rect))

    def _show_ghosts(self, diff: DesignDiff, other: Graph, name: str) -> None:
        removed = dict(diff.removed)
        for nid in list(self.ghosts):
            ghost = self.ghosts[nid]
            if nid not in removed or ghost.where != name or ghost.scene() is None:
                self._drop_ghost(nid)
        if not removed:
            return
        auto = None
        for nid, type_name in removed.items():
            node = other.node(nid)
            if node.pos is None:
                auto = auto if auto is not None else layered_positions(other)
                pos = auto.get(nid, (0.0, 0.0))
            else:
                pos = node.pos
            ghost = self.ghosts.get(nid)
            if ghost is None:
                ghost = self.ghosts[nid] = GhostCard(nid, type_name, name)
                self.scene.addItem(ghost)
            self._place_ghost(ghost, QPointF(*pos))

    def _place_ghost(self, ghost: GhostCard, at: QPointF) -> None:
        others = [g for g in self.ghosts.values() if g is not ghost]
        for i in range(GHOST_TRIES):
            spot = at + QPointF(i * GHOST_STEP, 0)
            rect = ghost.card_rect().translated(spot).adjusted(-6, -6, 6, 6)
            if not self._covers_card(rect) and not any(
                    g.sceneBoundingRect().intersects(rect) for g in others):
                break
        if ghost.pos() != spot:
            ghost.setPos(spot)
