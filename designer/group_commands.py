"""Undoable group edits: group, ungroup, rename, collapse, expand, add (paste).

Each is a :class:`~designer.commands.GraphCommand` made of the engine's group
primitives (:class:`~engine.graph.InsertGroup`, :class:`~engine.graph.DeleteGroup`,
:class:`~engine.graph.SetGroup`), so undo restores the model exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from designer.commands import GraphCommand
from engine import Graph
from engine.graph import Edit, Group, InsertGroup, SetGroup

__all__ = ["GroupCommand", "UngroupCommand", "SetGroupCommand", "AddGroupCommand"]


class GroupCommand(GraphCommand):
    """Make a new group of ``node_ids`` (:meth:`engine.Graph.grouping`).

    The id (``group1``, ...) and, without ``name``, the name are chosen on the
    first redo and kept for later redos.
    """

    def __init__(self, graph: Graph, node_ids: Iterable[str], name: str | None = None,
                 parent: GraphCommand | None = None):
        self.node_ids = list(dict.fromkeys(node_ids))
        super().__init__(graph, f"Group {len(self.node_ids)} nodes", parent)
        self.name = name
        self.group_id: str | None = None

    def steps(self) -> Iterator[Edit]:
        gid = self.graph.unique_group_id()
        edits = self.graph.grouping(self.node_ids, self.name or gid, gid)
        self.group_id = gid
        yield from edits

    def _prepared(self) -> None:
        self.setText(f"Group {len(self.node_ids)} nodes as {self.name or self.group_id}")


class UngroupCommand(GraphCommand):
    """Dissolve a group: its nodes and subgroups go to its parent."""

    def __init__(self, graph: Graph, group_id: str, parent: GraphCommand | None = None):
        g = graph.groups.get(group_id)
        super().__init__(graph, f"Ungroup {g.name if g else group_id}", parent)
        self.group_id = group_id

    def steps(self) -> Iterator[Edit]:
        yield from self.graph.ungrouping(self.group_id)


class SetGroupCommand(GraphCommand):
    """Change fields of a group (``name``, ``collapsed``): rename, collapse, expand."""

    def __init__(self, graph: Graph, group_id: str, parent: GraphCommand | None = None,
                 **changes):
        g = graph.groups.get(group_id)
        name = g.name if g else group_id
        if set(changes) == {"collapsed"}:
            text = f"{'Collapse' if changes['collapsed'] else 'Expand'} {name}"
        elif set(changes) == {"name"}:
            text = f"Rename group {name} → {changes['name']}"
        else:
            text = f"Edit group {name}"
        super().__init__(graph, text, parent)
        self.group_id = group_id
        self.changes = changes

    def steps(self) -> Iterator[Edit]:
        g = self.graph.groups.get(self.group_id)
        if g is None:
            self.graph.set_group(self.group_id)  # refused: the engine names the missing group
        self._same = replace(g, **self.changes) == g
        yield SetGroup(replace(g, **self.changes))

    def _prepared(self) -> None:
        if self._same and not self._child:
            self.setObsolete(True)  # nothing changed: no undo step


class AddGroupCommand(GraphCommand):
    """Insert a group value as it is (a pasted group, with its new ids)."""

    def __init__(self, graph: Graph, group: Group, parent: GraphCommand | None = None):
        super().__init__(graph, f"Add group {group.name}", parent)
        self.group = group

    def steps(self) -> Iterator[Edit]:
        yield InsertGroup(self.group)
