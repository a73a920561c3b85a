"""Change events of the graph model and the batch that delivers them.

Each primitive edit records one small frozen event. A batch
(:meth:`Graph.batch <engine.graph.model.Graph.batch>`) delivers all events of
one user action to every subscriber at once, as one :class:`Changes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .values import Edge, Node

if TYPE_CHECKING:
    from .groups import Group

__all__ = ["NodeAdded", "NodeRemoved", "NodeChanged", "NodeMoved", "NodeRenamed",
           "EdgeAdded", "EdgeRemoved", "MetaChanged", "GroupAdded", "GroupRemoved",
           "GroupChanged", "GraphEvent", "Changes"]


@dataclass(frozen=True)
class NodeAdded:
    """A node was added (:meth:`Graph.add_node`, :meth:`Graph.insert_node`): ``node``."""

    node: Node


@dataclass(frozen=True)
class NodeRemoved:
    """A node was removed: ``node`` is its last value.

    Sent by :meth:`Graph.remove_node` after an :class:`EdgeRemoved` for each of
    its edges.
    """

    node: Node


@dataclass(frozen=True)
class NodeChanged:
    """Parameters of a node changed (``old`` and ``new`` node values)."""

    old: Node
    new: Node


@dataclass(frozen=True)
class NodeMoved:
    """A node's canvas position changed from ``old`` to ``new`` (None: no position)."""

    node_id: str
    old: tuple[float, float] | None
    new: tuple[float, float] | None


@dataclass(frozen=True)
class NodeRenamed:
    """A node's id changed from ``old`` to ``new``.

    Its edges follow it without :class:`EdgeRemoved` / :class:`EdgeAdded` events.
    """

    old: str
    new: str


@dataclass(frozen=True)
class EdgeAdded:
    """An edge was connected (:meth:`Graph.connect`)."""

    edge: Edge


@dataclass(frozen=True)
class EdgeRemoved:
    """An edge was disconnected (:meth:`Graph.disconnect`, or by removing a node)."""

    edge: Edge


@dataclass(frozen=True)
class MetaChanged:
    """The graph's name or description changed; both fields hold the new values."""

    name: str
    description: str


@dataclass(frozen=True)
class GroupAdded:
    """A group was added: ``group`` (:class:`~engine.graph.groups.Group`)."""

    group: Group


@dataclass(frozen=True)
class GroupRemoved:
    """A group was removed: ``group`` is its last value (its nodes are free)."""

    group: Group


@dataclass(frozen=True)
class GroupChanged:
    """A group's name, nodes, parent or collapsed state changed (``old``, ``new``)."""

    old: Group
    new: Group


GROUP_EVENTS = (GroupAdded, GroupRemoved, GroupChanged)

GraphEvent = (NodeAdded | NodeRemoved | NodeChanged | NodeMoved | NodeRenamed | EdgeAdded
              | EdgeRemoved | MetaChanged | GroupAdded | GroupRemoved | GroupChanged)


@dataclass(frozen=True)
class Changes:
    """The events of one batch, in the order they happened.

    ``revision`` is the graph's revision after the batch. Iterating yields the
    events; ``len()`` counts them.
    """

    events: tuple[GraphEvent, ...]
    revision: int

    def __iter__(self):
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def structural(self) -> bool:
        """Whether nodes or edges came or went (not only values, moves or names)."""
        return any(isinstance(e, (NodeAdded, NodeRemoved, EdgeAdded, EdgeRemoved,
                                  NodeRenamed)) for e in self.events)

    def visual_only(self) -> bool:
        """Whether only positions and groups changed (nothing the analysis or a run sees)."""
        return all(isinstance(e, (NodeMoved, *GROUP_EVENTS)) for e in self.events)
