"""Primitive edits: small values that change a graph and give back their inverse.

Every change of a :class:`~engine.graph.model.Graph` is one of these eight
primitives, or one of the three group edits of :mod:`.groups` (re-exported
here). ``graph.apply(edit)`` validates and applies it and returns the edit
that undoes it exactly, orders included (node order, edge order, the order of
explicit parameters), so an undo step is just the list of inverses
applied in reverse::

    inverses = [graph.apply(e) for e in edits]
    for inv in reversed(inverses):
        graph.apply(inv)

Positions are indices in the graph's node or edge order at the moment the edit
is applied. An inverse is computed from the graph, not guessed: deleting a
node gives ``InsertNode(node, index)`` with the node's value and place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .groups import DeleteGroup, InsertGroup, SetGroup
from .values import Edge, Node

if TYPE_CHECKING:
    from .model import Graph

__all__ = ["Edit", "InsertNode", "DeleteNode", "Connect", "Disconnect", "SetParams",
           "MoveNode", "RenameNode", "SetMeta", "InsertGroup", "DeleteGroup", "SetGroup"]


@dataclass(frozen=True)
class InsertNode:
    """Insert ``node`` (no edges yet) at ``index`` of the node order (None: at the end)."""

    node: Node
    index: int | None = None

    def apply(self, graph: Graph) -> DeleteNode:
        graph._insert_node(self.node, self.index)
        return DeleteNode(self.node.id)


@dataclass(frozen=True)
class DeleteNode:
    """Delete node ``node_id``, which must have no edges left."""

    node_id: str

    def apply(self, graph: Graph) -> InsertNode:
        node, index = graph._delete_node(self.node_id)
        return InsertNode(node, index)


@dataclass(frozen=True)
class Connect:
    """Add ``edge`` at ``index`` of the edge order (None: at the end)."""

    edge: Edge
    index: int | None = None

    def apply(self, graph: Graph) -> Disconnect:
        graph._connect(self.edge, self.index)
        return Disconnect(self.edge)


@dataclass(frozen=True)
class Disconnect:
    """Remove ``edge``."""

    edge: Edge

    def apply(self, graph: Graph) -> Connect:
        return Connect(self.edge, graph._disconnect(self.edge))


@dataclass(frozen=True)
class SetParams:
    """Replace the explicit parameters of ``node_id`` by ``params`` (in this order)."""

    node_id: str
    params: tuple[tuple[str, Any], ...]

    @classmethod
    def of(cls, node_id: str, params: Mapping[str, Any]) -> SetParams:
        """The edit that gives ``node_id`` exactly the explicit ``params``."""
        return cls(node_id, tuple(params.items()))

    def apply(self, graph: Graph) -> SetParams:
        old = graph._replace_params(self.node_id, dict(self.params))
        return SetParams(self.node_id, tuple(old.items()))


@dataclass(frozen=True)
class MoveNode:
    """Set the canvas position of ``node_id`` (None: no position)."""

    node_id: str
    pos: tuple[float, float] | None

    def apply(self, graph: Graph) -> MoveNode:
        return MoveNode(self.node_id, graph._move(self.node_id, self.pos))


@dataclass(frozen=True)
class RenameNode:
    """Change the id ``old`` to ``new``; edges follow, orders are kept."""

    old: str
    new: str

    def apply(self, graph: Graph) -> RenameNode:
        graph._rename(self.old, self.new)
        return RenameNode(self.new, self.old)


@dataclass(frozen=True)
class SetMeta:
    """Set the graph's name and description."""

    name: str
    description: str

    def apply(self, graph: Graph) -> SetMeta:
        old = (graph.name, graph.description)
        graph._set_meta(self.name, self.description)
        return SetMeta(*old)


Edit = (InsertNode | DeleteNode | Connect | Disconnect | SetParams | MoveNode | RenameNode
        | SetMeta | InsertGroup | DeleteGroup | SetGroup)
