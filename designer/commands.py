"""Undoable edits of the graph model: one small QUndoCommand per model change.

Every command calls :class:`engine.Graph` methods only; the canvas and the
other views follow the model through :class:`~designer.document.Document`
signals. The engine validates each edit and raises
:class:`engine.GraphEditError` (changing nothing) when it refuses one.

PySide6 swallows an exception raised inside ``redo()`` during
``QUndoStack.push``, so a command catches the refusal itself, keeps its message
in :attr:`GraphCommand.error` and marks itself obsolete. Push edits with
:func:`push_edit`, which returns that message (None on success) and never lets
a refused edit into the stack or wipe its redo history.

Undo restores the exact previous model, byte for byte in the saved file
(:func:`engine.io.dumps`): node order, edge order and the order of the explicit
parameters included. Where the inverse edit alone would change an order (an
edge reconnected at the end of the list, a node re-inserted after its former
successors), :func:`restore_snapshot` rebuilds the shortest tail of the model
that differs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QUndoCommand, QUndoStack

from engine import CATALOGUE, Edge, Graph, GraphEditError, Node

__all__ = [
    "GraphCommand", "AddNodeCommand", "RemoveNodesCommand", "ConnectCommand",
    "DisconnectCommand", "SetParamsCommand", "MoveNodesCommand", "RenameNodeCommand",
    "SetMetaCommand", "MacroCommand", "InsertNodeCommand", "Snapshot", "restore_snapshot",
    "push_edit", "fresh_id",
]

#: QUndoCommand.id() of parameter edits (consecutive edits of one parameter merge)
SET_PARAMS_ID = 0x43430001


# -- snapshots ----------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """The order-sensitive state of a graph: node values and edges, in order."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    @classmethod
    def of(cls, graph: Graph) -> Snapshot:
        """The current nodes and edges of ``graph``, in order."""
        return cls(tuple(graph.nodes.values()), tuple(graph.edges))


def _same_node(a: Node, b: Node) -> bool:
    """Equal including the order of the explicit parameters (the file text)."""
    return (a.id == b.id and a.type == b.type and a.pos == b.pos
            and list(a.params.items()) == list(b.params.items()))


def restore_snapshot(graph: Graph, snap: Snapshot) -> None:
    """Edit ``graph`` until it equals ``snap`` exactly, orders included.

    Only the tail that differs is rebuilt: edges from the first one that
    differs, nodes from the first one that differs (their edges go with them).
    Nodes that differ only in position are moved, not rebuilt.
    """
    cur_nodes = list(graph.nodes.values())
    want = snap.nodes
    i = 0
    while i < min(len(cur_nodes), len(want)):
        a, b = cur_nodes[i], want[i]
        if a.id != b.id or a.type != b.type or \
                list(a.params.items()) != list(b.params.items()):
            break
        i += 1
    rebuilt = {n.id for n in cur_nodes[i:]}
    cur_edges = graph.edges
    j = 0
    while j < min(len(cur_edges), len(snap.edges)) and cur_edges[j] == snap.edges[j]:
        j += 1
    for k, e in enumerate(cur_edges[:j]):
        if e.src in rebuilt or e.dst in rebuilt:
            j = k
            break
    for e in reversed(cur_edges[j:]):
        graph.disconnect(e.src, e.dst, e.port)
    for n in reversed(cur_nodes[i:]):
        graph.remove_node(n.id)
    for n in want[:i]:
        if graph.nodes[n.id].pos != n.pos:
            graph.move(n.id, n.pos)
    for n in want[i:]:
        graph.add_node(n.type, dict(n.params), n.id, n.pos)
    for e in snap.edges[j:]:
        graph.connect(e.src, e.dst, e.port)


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


# -- base --------------------------------------------------------------------
class GraphCommand(QUndoCommand):
    """Base of every graph edit: catches refusals and marks itself obsolete.

    Subclasses implement :meth:`_redo` and :meth:`_undo`, which may raise
    :class:`engine.GraphEditError` (the engine refuses before changing
    anything, and each command changes the model in one engine call or rolls
    back what it did).

    Parameters
    ----------
    graph : engine.Graph
        The model the command edits.
    text : str
        Human-readable text shown in the Edit menu and the undo history.
    """

    def __init__(self, graph: Graph, text: str = ""):
        super().__init__(text)
        self.graph = graph
        #: message of the refused edit, or None
        self.error: str | None = None
        self._skip_redo = False

    def redo(self) -> None:
        """Apply the edit; a refusal is kept in :attr:`error` and makes the command obsolete.

        The call made by ``QUndoStack.push`` inside :func:`push_edit` does
        nothing: ``push_edit`` has already applied the edit.
        """
        if self._skip_redo:
            self._skip_redo = False
            return
        try:
            self._redo()
        except GraphEditError as exc:
            self.error = exc.message
            self.setObsolete(True)

    def undo(self) -> None:
        """Revert the edit (:meth:`_undo`)."""
        self._undo()

    def _redo(self) -> None:
        raise NotImplementedError

    def _undo(self) -> None:
        raise NotImplementedError


def push_edit(stack: QUndoStack, command: GraphCommand) -> str | None:
    """Run ``command`` and, if the engine accepts it, push it onto ``stack``.

    Parameters
    ----------
    stack : QUndoStack
        The document's undo stack.
    command : GraphCommand
        A fresh command (not pushed before).

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
    """Add one node.

    Parameters
    ----------
    graph : engine.Graph
    type_name : str
        Layer type, as in the graph file.
    params : dict, optional
        Explicit parameters.
    node_id : str, optional
        The id; generated from the type on first redo when None
        (then kept, so redo after undo gives the same id).
    pos : (float, float), optional
        Canvas position (centre of the node card).
    """

    def __init__(self, graph: Graph, type_name: str, params: Mapping[str, Any] | None = None,
                 node_id: str | None = None, pos: tuple[float, float] | None = None):
        super().__init__(graph)
        self.type_name = type_name
        self.params = dict(params or {})
        self.node_id = node_id
        self.pos = None if pos is None else (float(pos[0]), float(pos[1]))
        self._set_text()

    def _set_text(self) -> None:
        kind = CATALOGUE.get(self.type_name)
        title = kind.title if kind is not None else str(self.type_name)
        self.setText(f"Add {title} {self.node_id}" if self.node_id else f"Add {title}")

    def _redo(self) -> None:
        self.node_id = self.graph.add_node(self.type_name, self.params, self.node_id, self.pos)
        self._set_text()

    def _undo(self) -> None:
        self.graph.remove_node(self.node_id)


class RemoveNodesCommand(GraphCommand):
    """Remove nodes with their edges; undo restores ids, values and orders."""

    def __init__(self, graph: Graph, node_ids: Iterable[str]):
        ids = list(dict.fromkeys(node_ids))
        text = f"Delete {ids[0]}" if len(ids) == 1 else f"Delete {len(ids)} nodes"
        super().__init__(graph, text)
        self.node_ids = ids
        self._before: Snapshot | None = None

    def _redo(self) -> None:
        for nid in self.node_ids:
            self.graph.node(nid)  # refuse before changing anything
        self._before = Snapshot.of(self.graph)
        for nid in self.node_ids:
            self.graph.remove_node(nid)

    def _undo(self) -> None:
        restore_snapshot(self.graph, self._before)


class SetParamsCommand(GraphCommand):
    """Set parameters of one node (a value of None resets it to its default).

    Consecutive edits of the same node and the same parameters merge into one
    undo step (typing in a spin box). Undo restores the exact previous explicit
    parameters, in their order.

    Parameters
    ----------
    graph : engine.Graph
    node_id : str
    changes : dict
        ``{parameter: value}``.
    mergeable : bool
        False keeps this edit a separate undo step.
    """

    def __init__(self, graph: Graph, node_id: str, changes: Mapping[str, Any],
                 mergeable: bool = True):
        super().__init__(graph)
        self.node_id = node_id
        self.changes = dict(changes)
        self.mergeable = mergeable
        self._before: Snapshot | None = None
        self._old: Node | None = None
        names = list(self.changes)
        if len(names) == 1:
            name = names[0]
            value = self.changes[name]
            self.setText(f"Reset {name} of {node_id}" if value is None
                         else f"Set {name} of {node_id} to {_fmt(value)}")
        else:
            self.setText(f"Set {', '.join(names)} of {node_id}")

    def id(self) -> int:
        """``SET_PARAMS_ID`` when mergeable (edits may merge), else -1 (never merges)."""
        return SET_PARAMS_ID if self.mergeable else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt API)
        """Absorb ``other`` when it is a mergeable edit of the same parameters and node.

        Returns
        -------
        bool
            True when merged: this command keeps its undo state and takes
            ``other``'s values and text. If the node is back at its value before
            this command, the command becomes obsolete (no undo step).
        """
        if not isinstance(other, SetParamsCommand) or not other.mergeable \
                or other.node_id != self.node_id or set(other.changes) != set(self.changes) \
                or other.graph is not self.graph:
            return False
        self.changes = dict(other.changes)
        self.setText(other.text())
        now = self.graph.nodes.get(self.node_id)
        if now is not None and self._old is not None and _same_node(now, self._old):
            self.setObsolete(True)  # back where it started: no undo step at all
        return True

    def _redo(self) -> None:
        old = self.graph.node(self.node_id)
        before = Snapshot.of(self.graph) if self._old is None else None
        self.graph.set_params(self.node_id, self.changes)
        if self._old is None:
            if self.graph.nodes[self.node_id] is old:
                self.setObsolete(True)  # nothing changed
            self._old, self._before = old, before

    def _undo(self) -> None:
        old = self._old
        now = self.graph.node(self.node_id)
        kind = now.kind
        revert = {k: old.params.get(k) for k in self.changes}
        # predict Graph.set_params: does the plain inverse restore the exact order?
        params = dict(now.params)
        for name, value in revert.items():
            if value is None and not kind.param(name).nullable:
                params.pop(name, None)
            else:
                params[name] = value
        if list(params.items()) == list(old.params.items()):
            self.graph.set_params(self.node_id, revert)
        else:
            restore_snapshot(self.graph, self._before)


class MoveNodesCommand(GraphCommand):
    """Move nodes: ``{id: (old_pos, new_pos)}`` (positions may be None).

    Parameters
    ----------
    graph : engine.Graph
    moves : mapping
        ``{node id: (old position, new position)}``; undo moves back to the
        old positions.
    text : str, optional
        Undo text; default ``Move <id>`` or ``Move <n> nodes``.
    """

    def __init__(self, graph: Graph, moves: Mapping[str, tuple], text: str | None = None):
        self.moves = {k: (_pt(a), _pt(b)) for k, (a, b) in moves.items()}
        if text is None:
            ids = list(self.moves)
            text = f"Move {ids[0]}" if len(ids) == 1 else f"Move {len(ids)} nodes"
        super().__init__(graph, text)

    def _redo(self) -> None:
        if all(self.graph.node(nid).pos == new for nid, (_o, new) in self.moves.items()):
            self.setObsolete(True)  # nothing to move
            return
        for nid, (_old, new) in self.moves.items():
            self.graph.move(nid, new)

    def _undo(self) -> None:
        for nid, (old, _new) in self.moves.items():
            self.graph.move(nid, old)


def _pt(p):
    return None if p is None else (float(p[0]), float(p[1]))


class RenameNodeCommand(GraphCommand):
    """Rename a node (its edges follow; orders are kept)."""

    def __init__(self, graph: Graph, old: str, new: str):
        super().__init__(graph, f"Rename {old} → {new}")
        self.old, self.new = old, new

    def _redo(self) -> None:
        self.graph.rename(self.old, self.new)

    def _undo(self) -> None:
        self.graph.rename(self.new, self.old)


# -- edges -------------------------------------------------------------------------
class ConnectCommand(GraphCommand):
    """Connect ``src`` to input slot ``port`` of ``dst``."""

    def __init__(self, graph: Graph, src: str, dst: str, port: int = 0):
        suffix = f" (slot {port})" if port else ""
        super().__init__(graph, f"Connect {src} → {dst}{suffix}")
        self.src, self.dst, self.port = src, dst, port

    def _redo(self) -> None:
        self.graph.connect(self.src, self.dst, self.port)

    def _undo(self) -> None:
        self.graph.disconnect(self.src, self.dst, self.port)


class DisconnectCommand(GraphCommand):
    """Remove the edge ``src → dst:port``; undo puts it back at its place."""

    def __init__(self, graph: Graph, src: str, dst: str, port: int = 0):
        suffix = f" (slot {port})" if port else ""
        super().__init__(graph, f"Disconnect {src} → {dst}{suffix}")
        self.src, self.dst, self.port = src, dst, port
        self._edges: tuple[Edge, ...] = ()

    def _redo(self) -> None:
        edges = tuple(self.graph.edges)
        self.graph.disconnect(self.src, self.dst, self.port)
        self._edges = edges

    def _undo(self) -> None:
        cur = self.graph.edges
        j = 0
        while j < len(cur) and cur[j] == self._edges[j]:
            j += 1
        for e in reversed(cur[j:]):
            self.graph.disconnect(e.src, e.dst, e.port)
        for e in self._edges[j:]:
            self.graph.connect(e.src, e.dst, e.port)


# -- graph -------------------------------------------------------------------------
class SetMetaCommand(GraphCommand):
    """Set the graph's name and description (None keeps a value)."""

    def __init__(self, graph: Graph, name: str | None = None,
                 description: str | None = None):
        self.old = (graph.name, graph.description)
        self.new = (graph.name if name is None else str(name),
                    graph.description if description is None else str(description))
        if self.new[0] != self.old[0] and self.new[1] == self.old[1]:
            text = f"Rename graph to {self.new[0]}"
        elif self.new[0] == self.old[0]:
            text = "Edit graph description"
        else:
            text = "Edit graph name and description"
        super().__init__(graph, text)

    def _redo(self) -> None:
        self.graph.set_meta(*self.new)

    def _undo(self) -> None:
        self.graph.set_meta(*self.old)


# -- compound edits ----------------------------------------------------------------------
class MacroCommand(GraphCommand):
    """Several edits as one undo step; all or nothing.

    Parameters
    ----------
    graph : engine.Graph
    text : str
    children : iterable of GraphCommand
        Run in order by redo, undone in reverse order. When one is refused,
        those already done are undone and the macro is refused with its
        message.
    """

    def __init__(self, graph: Graph, text: str, children: Iterable[GraphCommand] = ()):
        super().__init__(graph, text)
        self.children = list(children)

    def _redo(self) -> None:
        self._run(self.children)

    def _run(self, steps: list[GraphCommand]) -> None:
        done: list[GraphCommand] = []
        try:
            for step in steps:
                step._redo()
                done.append(step)
        except GraphEditError:
            for step in reversed(done):
                step._undo()
            raise

    def _undo(self) -> None:
        for step in reversed(self.children):
            step._undo()


class InsertNodeCommand(MacroCommand):
    """Insert a new node on an edge: disconnect, add, connect twice.

    Parameters
    ----------
    graph : engine.Graph
    edge : engine.Edge
        The edge ``src → dst:port`` the node goes on.
    type_name, params, node_id, pos
        As for :class:`AddNodeCommand`.
    extra : iterable of GraphCommand
        Further steps of the same undo step, run last (e.g. moving the nodes
        below down to make room).
    """

    def __init__(self, graph: Graph, edge: Edge, type_name: str,
                 params: Mapping[str, Any] | None = None, node_id: str | None = None,
                 pos: tuple[float, float] | None = None,
                 extra: Iterable[GraphCommand] = ()):
        kind = CATALOGUE.get(type_name)
        title = kind.title if kind is not None else type_name
        super().__init__(graph, f"Insert {title} on {edge.src} → {edge.dst}")
        self.edge = edge
        self.add = AddNodeCommand(graph, type_name, params, node_id, pos)
        self.extra = list(extra)

    @property
    def node_id(self) -> str | None:
        """Id of the inserted node (None before the first redo when not given)."""
        return self.add.node_id

    def _redo(self) -> None:
        if not self.children:
            e = self.edge
            steps: list[GraphCommand] = [DisconnectCommand(self.graph, e.src, e.dst, e.port),
                                         self.add]
            self._run(steps)  # the new id is known from here on
            rest = [ConnectCommand(self.graph, e.src, self.add.node_id, 0),
                    ConnectCommand(self.graph, self.add.node_id, e.dst, e.port), *self.extra]
            try:
                self._run(rest)
            except GraphEditError:
                for step in reversed(steps):
                    step._undo()
                raise
            self.children = steps + rest
            self.setText(f"Insert {self.add.node_id} on {e.src} → {e.dst}")
        else:
            super()._redo()
