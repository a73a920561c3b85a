"""Undoable edits of the graph model: one small QUndoCommand per user action.

A command is a short list of the engine's primitive edits
(:mod:`engine.graph.edits`). ``redo`` applies them in one ``graph.batch()``
and keeps the exact inverse of each; ``undo`` applies the inverses in reverse,
in one batch too. So one user action, done or undone, is one change
notification, one analysis and one scene update, and undo restores the model
exactly: node order, edge order and the order of explicit parameters included.

The edits are worked out on the first ``redo`` (a new node's id, the edges a
delete cuts), each after the previous one is applied, then replayed as they
are. A compound action is a :class:`MacroCommand` with child commands
(``parent=``, as Qt's): its own edits first, then its children in order;
undone in reverse. It is all or nothing: a refused child rolls the whole batch
back. The children are kept by their macro, not handed to Qt's parent/child
list: PySide6's ``QUndoCommand(text, parent)`` does not transfer ownership, so
a Qt child is deleted twice (by its Python wrapper and by its parent).

PySide6 swallows an exception raised inside ``redo()`` during
``QUndoStack.push``, so a command catches the refusal itself, keeps its message
in :attr:`GraphCommand.error` and marks itself obsolete. Push edits with
:func:`push_edit`, which returns that message (None on success) and never lets
a refused edit into the stack or wipe its redo history.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from PySide6.QtGui import QUndoCommand, QUndoStack

from engine import CATALOGUE, Edge, Graph, GraphEditError, Node
from engine.graph import (
    Connect,
    Disconnect,
    Edit,
    InsertNode,
    MoveNode,
    RenameNode,
    SetMeta,
    SetParams,
)

__all__ = [
    "GraphCommand", "AddNodeCommand", "RemoveNodesCommand", "ConnectCommand",
    "DisconnectCommand", "SetParamsCommand", "MoveNodesCommand", "RenameNodeCommand",
    "SetMetaCommand", "MacroCommand", "InsertNodeCommand", "push_edit", "fresh_id",
]

#: QUndoCommand.id() of parameter edits (consecutive edits of one parameter merge)
SET_PARAMS_ID = 0x43430001


def fresh_id(graph: Graph, base: str, taken: Iterable[str] = ()) -> str:
    """A legal id not in ``graph`` nor in ``taken``, e.g. ``conv3`` from ``conv1``."""
    return graph.unique_id(base, taken)


def _fmt(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "×".join(str(v) for v in value)
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "default"
    return str(value)


def _title(type_name: str) -> str:
    kind = CATALOGUE.get(type_name)
    return kind.title if kind is not None else str(type_name)


# -- base --------------------------------------------------------------------
class GraphCommand(QUndoCommand):
    """One undo step made of primitive edits (and Qt child commands).

    Subclasses implement :meth:`steps`, a generator of the edits; each is
    applied before the next one is asked for.

    Parameters
    ----------
    graph : engine.Graph
        The model the command edits.
    text : str
        Human-readable text shown in the Edit menu and the undo history.
    parent : GraphCommand, optional
        The macro this command is a step of (it keeps its children).
    """

    def __init__(self, graph: Graph, text: str = "", parent: GraphCommand | None = None):
        super().__init__(text)
        self.graph = graph
        self._kids: list[GraphCommand] = []
        if parent is not None:
            parent._kids.append(self)
        #: message of the refused edit, or None
        self.error: str | None = None
        self._child = parent is not None
        self._edits: list[Edit] | None = None  # worked out on the first redo
        self._inverses: list[Edit] = []
        self._skip_redo = False

    def steps(self) -> Iterator[Edit]:
        """The primitive edits of this command, worked out one by one (first redo)."""
        return iter(())

    def children(self) -> list[GraphCommand]:
        """The child commands, in order."""
        return list(self._kids)

    def redo(self) -> None:
        """Apply the edit; a refusal is kept in :attr:`error` and makes the command obsolete.

        As a child step it raises the refusal to its macro instead. The call
        made by ``QUndoStack.push`` inside :func:`push_edit` does nothing:
        ``push_edit`` has already applied the edit.
        """
        if self._skip_redo:
            self._skip_redo = False
            return
        if self._child:
            self._apply()
            return
        try:
            self._apply()
        except GraphEditError as exc:
            self.error = exc.message
            self.setObsolete(True)

    def _apply(self) -> None:
        graph = self.graph
        with graph.batch():  # all or nothing: a refusal rolls back what was applied
            if self._edits is None:
                edits: list[Edit] = []
                inverses = []
                for edit in self.steps():
                    inverses.append(graph.apply(edit))
                    edits.append(edit)
                self._edits = edits
                self._prepared()
            else:
                inverses = [graph.apply(e) for e in self._edits]
            for child in self.children():
                child.redo()
        self._inverses = inverses

    def _prepared(self) -> None:
        """Hook: the edits of the first redo are known (e.g. to name the step)."""

    def undo(self) -> None:
        """Apply the inverses of the children and of the edits, in reverse, as one batch."""
        graph = self.graph
        with graph.batch():
            for child in reversed(self.children()):
                child.undo()
            for inverse in reversed(self._inverses):
                graph.apply(inverse)


def push_edit(stack: QUndoStack, command: GraphCommand) -> str | None:
    """Run ``command`` and, if the engine accepts it, push it onto ``stack``.

    Returns
    -------
    str or None
        The engine's message when the edit is refused (the command is then
        obsolete and never enters the stack, whose redo history is kept),
        None when it was applied (or changed nothing: then no undo step).
    """
    command.redo()
    if command.error is not None:
        return command.error
    if command.isObsolete():  # accepted but changed nothing: no undo step
        return None
    command._skip_redo = True  # already applied: push() must not apply it twice
    stack.push(command)
    return None


# -- nodes -------------------------------------------------------------------------
class AddNodeCommand(GraphCommand):
    """Add one node at the end of the node order.

    ``node_id`` None: generated from the type's id stem on the first redo
    (then kept, so redo after undo gives the same id). ``pos`` is the centre
    of the node card.
    """

    def __init__(self, graph: Graph, type_name: str, params: Mapping[str, Any] | None = None,
                 node_id: str | None = None, pos: tuple[float, float] | None = None,
                 parent: GraphCommand | None = None):
        super().__init__(graph, "", parent)
        self.type_name = type_name
        self.params = dict(params or {})
        self.node_id = node_id
        self.pos = None if pos is None else (float(pos[0]), float(pos[1]))
        self._set_text()

    def _set_text(self) -> None:
        title = _title(self.type_name)
        self.setText(f"Add {title} {self.node_id}" if self.node_id else f"Add {title}")

    def steps(self) -> Iterator[Edit]:
        if self.node_id is None and self.type_name in CATALOGUE:
            self.node_id = self.graph.unique_id(CATALOGUE[self.type_name].stem())
        yield InsertNode(Node(self.node_id, self.type_name, self.params, self.pos))

    def _prepared(self) -> None:
        self._set_text()


class RemoveNodesCommand(GraphCommand):
    """Remove nodes with their edges; undo restores ids, values and orders."""

    def __init__(self, graph: Graph, node_ids: Iterable[str],
                 parent: GraphCommand | None = None):
        ids = list(dict.fromkeys(node_ids))
        text = f"Delete {ids[0]}" if len(ids) == 1 else f"Delete {len(ids)} nodes"
        super().__init__(graph, text, parent)
        self.node_ids = ids

    def steps(self) -> Iterator[Edit]:
        for nid in self.node_ids:
            self.graph.node(nid)  # refuse an unknown id before changing anything
        for nid in self.node_ids:
            yield from self.graph.removal(nid)


class SetParamsCommand(GraphCommand):
    """Set parameters of one node (a value of None resets it to its default).

    Consecutive edits of the same node and the same parameters merge into one
    undo step (typing in a spin box). ``mergeable`` False keeps this edit a
    separate step.
    """

    def __init__(self, graph: Graph, node_id: str, changes: Mapping[str, Any],
                 mergeable: bool = True, parent: GraphCommand | None = None):
        super().__init__(graph, "", parent)
        self.node_id = node_id
        self.changes = dict(changes)
        self.mergeable = mergeable
        names = list(self.changes)
        if len(names) == 1:
            value = self.changes[names[0]]
            self.setText(f"Reset {names[0]} of {node_id}" if value is None
                         else f"Set {names[0]} of {node_id} to {_fmt(value)}")
        else:
            self.setText(f"Set {', '.join(names)} of {node_id}")

    def steps(self) -> Iterator[Edit]:
        graph = self.graph
        yield SetParams.of(self.node_id, graph.params_after(self.node_id, self.changes))

    def _apply(self) -> None:
        before = self.graph.nodes.get(self.node_id)
        super()._apply()
        if before is not None and self.graph.nodes.get(self.node_id) is before:
            self.setObsolete(True)  # nothing changed: no undo step

    def id(self) -> int:
        """``SET_PARAMS_ID`` when mergeable (edits may merge), else -1 (never merges)."""
        return SET_PARAMS_ID if self.mergeable else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt API)
        """Absorb ``other``: a mergeable edit of the same parameters of the same node.

        This command keeps its inverse and takes ``other``'s edits and text. If
        the node is back at its value before this command, the step becomes
        obsolete (no undo step at all).
        """
        if not isinstance(other, SetParamsCommand) or not other.mergeable \
                or other.node_id != self.node_id or set(other.changes) != set(self.changes) \
                or other.graph is not self.graph:
            return False
        self.changes = dict(other.changes)
        self._edits = other._edits
        self.setText(other.text())
        if [inv.params for inv in self._inverses] == [e.params for e in self._edits]:
            self.setObsolete(True)
        return True


class MoveNodesCommand(GraphCommand):
    """Move nodes: ``{id: (old_pos, new_pos)}`` (positions may be None).

    ``text`` defaults to ``Move <id>`` or ``Move <n> nodes``; undo moves back.
    """

    def __init__(self, graph: Graph, moves: Mapping[str, tuple], text: str | None = None,
                 parent: GraphCommand | None = None):
        self.moves = {k: (_pt(a), _pt(b)) for k, (a, b) in moves.items()}
        if text is None:
            ids = list(self.moves)
            text = f"Move {ids[0]}" if len(ids) == 1 else f"Move {len(ids)} nodes"
        super().__init__(graph, text, parent)

    def steps(self) -> Iterator[Edit]:
        for nid, (_old, new) in self.moves.items():
            if self.graph.node(nid).pos != new:
                yield MoveNode(nid, new)

    def _prepared(self) -> None:
        if not self._edits and not self._child:
            self.setObsolete(True)  # nothing to move


def _pt(p):
    return None if p is None else (float(p[0]), float(p[1]))


class RenameNodeCommand(GraphCommand):
    """Rename a node (its edges follow; orders are kept)."""

    def __init__(self, graph: Graph, old: str, new: str, parent: GraphCommand | None = None):
        super().__init__(graph, f"Rename {old} → {new}", parent)
        self.old, self.new = old, new

    def steps(self) -> Iterator[Edit]:
        yield RenameNode(self.old, self.new)


# -- edges -------------------------------------------------------------------------
class ConnectCommand(GraphCommand):
    """Connect ``src`` to input slot ``port`` of ``dst``."""

    def __init__(self, graph: Graph, src: str, dst: str, port: int = 0,
                 parent: GraphCommand | None = None):
        suffix = f" (slot {port})" if port else ""
        super().__init__(graph, f"Connect {src} → {dst}{suffix}", parent)
        self.src, self.dst, self.port = src, dst, port

    def steps(self) -> Iterator[Edit]:
        yield Connect(Edge(self.src, self.dst, self.port))


class DisconnectCommand(GraphCommand):
    """Remove the edge ``src → dst:port``; undo puts it back at its place."""

    def __init__(self, graph: Graph, src: str, dst: str, port: int = 0,
                 parent: GraphCommand | None = None):
        suffix = f" (slot {port})" if port else ""
        super().__init__(graph, f"Disconnect {src} → {dst}{suffix}", parent)
        self.src, self.dst, self.port = src, dst, port

    def steps(self) -> Iterator[Edit]:
        yield Disconnect(Edge(self.src, self.dst, self.port))


# -- graph -------------------------------------------------------------------------
class SetMetaCommand(GraphCommand):
    """Set the graph's name and description (None keeps a value)."""

    def __init__(self, graph: Graph, name: str | None = None,
                 description: str | None = None, parent: GraphCommand | None = None):
        old = (graph.name, graph.description)
        self.new = (old[0] if name is None else str(name),
                    old[1] if description is None else str(description))
        if self.new[0] != old[0] and self.new[1] == old[1]:
            text = f"Rename graph to {self.new[0]}"
        elif self.new[0] == old[0]:
            text = "Edit graph description"
        else:
            text = "Edit graph name and description"
        super().__init__(graph, text, parent)

    def steps(self) -> Iterator[Edit]:
        yield SetMeta(*self.new)


# -- compound edits ----------------------------------------------------------------------
class MacroCommand(GraphCommand):
    """Several commands as one undo step, all or nothing.

    Build the steps with :meth:`add` (or pass ``parent=macro`` to a
    command); redo runs them in order, undo in reverse.
    """

    def add(self, command_type: type[GraphCommand], *args, **kwargs) -> GraphCommand:
        """Create a ``command_type(graph, *args, **kwargs)`` step of this macro."""
        return command_type(self.graph, *args, parent=self, **kwargs)


class InsertNodeCommand(GraphCommand):
    """Insert a new node on an edge: disconnect, add, connect twice (one step).

    ``moves`` (``{id: (old, new)}``) are made in the same step, after the
    insertion (making room below it).
    """

    def __init__(self, graph: Graph, edge: Edge, type_name: str,
                 params: Mapping[str, Any] | None = None, node_id: str | None = None,
                 pos: tuple[float, float] | None = None,
                 moves: Mapping[str, tuple] | None = None):
        super().__init__(graph, f"Insert {_title(type_name)} on {edge.src} → {edge.dst}")
        self.edge = edge
        self.add = AddNodeCommand(graph, type_name, params, node_id, pos)
        if moves:
            MoveNodesCommand(graph, moves, "Make room", parent=self)

    @property
    def node_id(self) -> str | None:
        """Id of the inserted node (None before the first redo when not given)."""
        return self.add.node_id

    def steps(self) -> Iterator[Edit]:
        e = self.edge
        yield Disconnect(e)
        yield from self.add.steps()
        yield Connect(Edge(e.src, self.add.node_id, 0))
        yield Connect(Edge(self.add.node_id, e.dst, e.port))

    def _prepared(self) -> None:
        self.setText(f"Insert {self.add.node_id} on {self.edge.src} → {self.edge.dst}")
