"""Reload and merge: re-apply a window's unsaved edits to the file's new version.

The unsaved edits are read from the undo stack (:func:`unsaved_steps`): the
commands between the clean index and the current index, each as the
primitive edits it applied (``GraphCommand._edits``) paired with the edits
that undid them (``_inverses``, the state they started from). When the user
undid saved steps (clean index above the index), the unsaved change is those
undos, replayed the same way. :func:`replay` pushes each step onto the
reloaded document's undo stack as one :class:`ReplayCommand` (so a merged
step can be undone), adapted to the new graph:

* a node added here whose id the file now uses gets a fresh id, and later
  edits follow it (``conv3`` → ``conv4``);
* a parameter or name/description edit changes only the values this window
  changed (a three-way merge against the values it started from), so another
  writer's edits of other parameters of the same node are kept;
* a step the engine refuses (its node was deleted, the edge no longer fits) is
  skipped whole and reported with the engine's reason.

A stack whose clean state is unreachable (``cleanIndex() == -1``: restored
work, or new edits after undoing past the save) does not know which edits
are unsaved: :func:`unsaved_steps` returns None and no merge is offered.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from PySide6.QtGui import QUndoStack

from designer.commands import GraphCommand, push_edit
from engine import Edge, Graph
from engine.graph import (
    Connect,
    DeleteNode,
    Disconnect,
    Edit,
    InsertGroup,
    InsertNode,
    MoveNode,
    RenameNode,
    SetGroup,
    SetMeta,
    SetParams,
)

__all__ = ["Step", "MergeReport", "ReplayCommand", "unsaved_steps", "replay"]

_MISSING = object()


@dataclass(frozen=True)
class Step:
    """One unsaved undo step: its text and ``(edit, before)`` pairs, where ``before``
    is the edit that restores the state the edit started from."""

    text: str
    pairs: tuple[tuple[Edit, Edit], ...]


@dataclass
class MergeReport:
    """What :func:`replay` did: steps re-applied, skipped (text, reason), ids renamed."""

    applied: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)


def _forward(cmd: GraphCommand) -> list[tuple[Edit, Edit]]:
    pairs = list(zip(cmd._edits or [], cmd._inverses, strict=True))
    for kid in cmd.children():
        pairs += _forward(kid)
    return pairs


def _backward(cmd: GraphCommand) -> list[tuple[Edit, Edit]]:
    pairs: list[tuple[Edit, Edit]] = []
    for kid in reversed(cmd.children()):
        pairs += _backward(kid)
    return pairs + list(zip(reversed(cmd._inverses), reversed(cmd._edits or []), strict=True))


def unsaved_steps(stack: QUndoStack) -> list[Step] | None:
    """The edits since the last save, as steps to replay; None when unknown."""
    clean, index = stack.cleanIndex(), stack.index()
    if clean < 0:
        return None
    steps = []
    if clean <= index:
        for i in range(clean, index):
            cmd = stack.command(i)
            if not isinstance(cmd, GraphCommand):
                return None
            steps.append(Step(cmd.text(), tuple(_forward(cmd))))
    else:
        for i in range(clean - 1, index - 1, -1):
            cmd = stack.command(i)
            if not isinstance(cmd, GraphCommand):
                return None
            steps.append(Step(f"Undo {cmd.text()}", tuple(_backward(cmd))))
    return steps


def _three_way(base: dict, ours: dict, theirs: dict) -> dict:
    """``theirs`` with the keys ``ours`` changed from ``base`` set (or removed) as in ours."""
    merged = dict(theirs)
    for key in list(base) + [k for k in ours if k not in base]:
        mine = ours.get(key, _MISSING)
        if base.get(key, _MISSING) == mine:
            continue
        if mine is _MISSING:
            merged.pop(key, None)
        else:
            merged[key] = mine
    return merged


class ReplayCommand(GraphCommand):
    """One unsaved step re-applied to a reloaded graph (see the module docstring).

    ``ids`` maps the ids of this window's new nodes to the ids they got in the
    reloaded graph; it is shared by the steps of one merge and updated here.
    """

    def __init__(self, graph: Graph, step: Step, ids: dict[str, str],
                 renamed: list[tuple[str, str]]):
        super().__init__(graph, step.text)
        self.step = step
        self.ids = ids
        self.renamed = renamed

    def _id(self, node_id: str) -> str:
        return self.ids.get(node_id, node_id)

    def _edge(self, edge: Edge) -> Edge:
        return Edge(self._id(edge.src), self._id(edge.dst), edge.port)

    def steps(self) -> Iterator[Edit]:
        for edit, before in self.step.pairs:
            yield self._adapt(edit, before)

    def _adapt(self, edit: Edit, before: Edit) -> Edit:
        graph = self.graph
        if isinstance(edit, InsertNode):
            node = edit.node
            if node.id in graph.nodes:
                new = graph.unique_id(node.id)
                self.ids[node.id] = new
                self.renamed.append((node.id, new))
                return replace(edit, node=replace(node, id=new))
            self.ids.pop(node.id, None)
            return edit
        if isinstance(edit, DeleteNode):
            return DeleteNode(self._id(edit.node_id))
        if isinstance(edit, Connect):
            return Connect(self._edge(edit.edge), edit.index)
        if isinstance(edit, Disconnect):
            return Disconnect(self._edge(edit.edge))
        if isinstance(edit, MoveNode):
            return MoveNode(self._id(edit.node_id), edit.pos)
        if isinstance(edit, RenameNode):
            old = self._id(edit.old)
            self.ids.pop(edit.old, None)
            return RenameNode(old, edit.new)
        if isinstance(edit, SetParams):
            node_id = self._id(edit.node_id)
            node = graph.nodes.get(node_id)
            if node is None or not isinstance(before, SetParams):
                return SetParams(node_id, edit.params)  # the engine names the problem
            merged = _three_way(dict(before.params), dict(edit.params), dict(node.params))
            return SetParams.of(node_id, merged)
        if isinstance(edit, (InsertGroup, SetGroup)):  # members follow renamed nodes
            nodes = tuple(self._id(n) for n in edit.group.nodes)
            return replace(edit, group=replace(edit.group, nodes=nodes))
        if isinstance(edit, SetMeta) and isinstance(before, SetMeta):
            name = edit.name if edit.name != before.name else graph.name
            text = (edit.description if edit.description != before.description
                    else graph.description)
            return SetMeta(name, text)
        return edit


def replay(stack: QUndoStack, graph: Graph, steps: list[Step]) -> MergeReport:
    """Push ``steps`` onto ``stack`` (the reloaded document's) as :class:`ReplayCommand`s.

    A step the engine refuses is skipped whole (its batch is rolled back) and
    reported with the engine's message; the others become undo steps.
    """
    report = MergeReport()
    ids: dict[str, str] = {}
    for step in steps:
        kept_ids, kept_renamed = dict(ids), len(report.renamed)
        error = push_edit(stack, ReplayCommand(graph, step, ids, report.renamed))
        if error is None:
            report.applied.append(step.text)
            continue
        ids.clear()
        ids.update(kept_ids)
        del report.renamed[kept_renamed:]
        report.skipped.append((step.text, error))
    return report
