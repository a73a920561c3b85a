"""The graph model: the single owner of a design's state.

Every change is a primitive edit (:mod:`engine.graph.edits`) that the graph
validates before it touches anything, raising :class:`GraphEditError` when it
refuses one, and that hands back its exact inverse. Changes are announced in
batches: ``with graph.batch():`` groups the edits of one user action, and each
subscriber gets one :class:`~engine.graph.events.Changes` with all of their
events when the outermost batch ends. A batch left by an exception is rolled
back (its edits undone in reverse) and announces nothing. Outside a batch,
each edit is a batch of its own.

The convenience methods (:meth:`Graph.add_node`, :meth:`Graph.remove_node`,
:meth:`Graph.set_params`, ...) are made of those primitives. Readers that do
not subscribe (the incremental analysis) ask :meth:`Graph.changes_since` for
what happened since the revision they last saw, so no listener depends on the
order in which listeners are called.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from ..catalogue import CATALOGUE
from . import serial
from .checks import check_edge, check_meta, check_type, clean_node, clean_params, clean_pos
from .edits import (
    Connect,
    DeleteNode,
    Disconnect,
    Edit,
    InsertNode,
    MoveNode,
    RenameNode,
    SetMeta,
    SetParams,
)
from .errors import GraphEditError
from .events import (
    Changes,
    EdgeAdded,
    EdgeRemoved,
    MetaChanged,
    NodeAdded,
    NodeChanged,
    NodeMoved,
    NodeRemoved,
    NodeRenamed,
)
from .groups import GroupStore
from .ids import check_id, fresh_id
from .topo import TopoIndex
from .values import Edge, Node, put_at

__all__ = ["Graph"]

#: how many past batches :meth:`Graph.changes_since` can replay
JOURNAL = 64


class _Batch:
    """Context manager of :meth:`Graph.batch` (rolls back on an exception)."""

    __slots__ = ("graph", "mark")

    def __init__(self, graph: Graph):
        self.graph = graph

    def __enter__(self) -> Graph:
        g = self.graph
        self.mark = (len(g._log), len(g._pending))
        g._depth += 1
        return g

    def __exit__(self, exc_type, exc, tb) -> None:
        g = self.graph
        if exc_type is not None:
            g._rollback(*self.mark)
        g._depth -= 1
        if g._depth == 0:
            g._deliver()


class Graph(GroupStore):
    """A validated DAG of layers with batched change notification.

    Examples
    --------
    >>> g = Graph("demo")
    >>> g.add_node("Input", {"channels": 1, "height": 28, "width": 28}, node_id="x")
    'x'
    >>> g.add_node("Conv2d", {"out_channels": 8})
    'conv1'
    >>> g.connect("x", "conv1")
    >>> print(g)
    graph demo:
      x = Input(channels=1, height=28, width=28)
      conv1 = Conv2d(x; out_channels=8)
    """

    def __init__(self, name: str = "Untitled", description: str = ""):
        self.name = name
        self.description = description
        self._nodes: dict[str, Node] = {}
        self._edges: dict[tuple[str, str, int], Edge] = {}
        self._in: dict[str, dict[int, str]] = {}
        self._out: dict[str, dict[tuple[str, int], Edge]] = {}
        self._topo = TopoIndex()  # the cycle check of connect
        self._listeners: list[Callable[[Changes], None]] = []
        self._depth = 0
        self._log: list[Edit] = []  # inverses of this batch's edits (for a rollback)
        self._pending: list = []  # events of this batch
        #: counts the batches that changed something
        self.revision = 0
        self._journal: deque[Changes] = deque(maxlen=JOURNAL)
        self._init_groups()

    # -- observation ---------------------------------------------------------
    def subscribe(self, callback: Callable[[Changes], None]) -> Callable[[], None]:
        """Call ``callback(changes)`` after every batch that changed something.

        Returns an unsubscriber (calling it twice is harmless).
        """
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def batch(self) -> _Batch:
        """Group edits: ``with graph.batch(): ...`` announces them as one :class:`Changes`.

        Batches nest (only the outermost announces). An exception leaving a
        batch undoes that batch's edits, exactly, before it propagates.
        """
        return _Batch(self)

    def changes_since(self, revision: int) -> list[Changes] | None:
        """The batches after ``revision``, oldest first; None when they are forgotten."""
        if revision == self.revision:
            return []
        journal = self._journal
        if not journal or journal[0].revision > revision + 1 or revision > self.revision:
            return None
        return [c for c in journal if c.revision > revision]

    def forget_history(self) -> None:
        """Drop the journal (:meth:`changes_since` answers None for older revisions)."""
        self._journal.clear()

    def _deliver(self) -> None:
        events, self._pending = tuple(self._pending), []
        self._log = []
        if not events:
            return
        self.revision += 1
        changes = Changes(events, self.revision)
        self._journal.append(changes)
        for cb in list(self._listeners):
            cb(changes)

    def _rollback(self, log_mark: int, event_mark: int) -> None:
        undo = self._log[log_mark:]
        del self._log[log_mark:]
        for inverse in reversed(undo):
            inverse.apply(self)
        del self._pending[event_mark:]

    # -- read access ---------------------------------------------------------
    @property
    def nodes(self) -> Mapping[str, Node]:
        """Read-only mapping of node id to :class:`Node`, in node (file) order."""
        return MappingProxyType(self._nodes)

    @property
    def edges(self) -> list[Edge]:
        """The edges, in edge (file) order (a new list)."""
        return list(self._edges.values())

    def node(self, node_id: str) -> Node:
        """The node with id ``node_id``; :class:`GraphEditError` if there is none."""
        try:
            return self._nodes[node_id]
        except (KeyError, TypeError):
            raise GraphEditError(f"no node {node_id!r}", node_id) from None

    def inputs_of(self, node_id: str) -> dict[int, str]:
        """``{port: source id}`` of a node."""
        return dict(self._in.get(node_id, {}))

    def successors(self, node_id: str) -> list[Edge]:
        """The edges leaving ``node_id``, in connection order (empty for an unknown id)."""
        return list(self._out.get(node_id, {}).values())

    def edges_of(self, node_id: str) -> list[Edge]:
        """Every edge that starts or ends at ``node_id``, in edge order."""
        return [e for e in self._edges.values() if node_id in (e.src, e.dst)]

    def __contains__(self, node_id) -> bool:
        return node_id in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(list(self._nodes.values()))

    def topo_order(self) -> list[str]:
        """Node ids in a stable topological order (node order breaks ties)."""
        rank = {n: i for i, n in enumerate(self._nodes)}
        if all(rank[src] < rank[dst] for src, dst, _port in self._edges):
            return list(self._nodes)  # every edge points forward: node order is it
        indeg = {n: len(self._in.get(n, ())) for n in self._nodes}
        heap = [(rank[n], n) for n in self._nodes if indeg[n] == 0]
        heapq.heapify(heap)
        order: list[str] = []
        while heap:
            _, n = heapq.heappop(heap)
            order.append(n)
            for (dst, _port) in self._out.get(n, {}):
                indeg[dst] -= 1
                if indeg[dst] == 0:
                    heapq.heappush(heap, (rank[dst], dst))
        return order

    def descendants(self, node_id: str) -> set[str]:
        """Ids of every node reachable from ``node_id`` along edges (itself excluded)."""
        seen: set[str] = set()
        stack = [node_id]
        while stack:
            for (dst, _p) in self._out.get(stack.pop(), {}):
                if dst not in seen:
                    seen.add(dst)
                    stack.append(dst)
        return seen

    def unique_id(self, base: str, taken: Iterable[str] = ()) -> str:
        """A fresh legal id ``<stem><n>`` not in the graph nor in ``taken``.

        The stem is ``base`` without trailing digits, e.g. ``conv3`` from
        ``conv1`` when ``conv1`` and ``conv2`` exist.
        """
        taken = set(taken)
        return fresh_id(base, _Either(self._nodes, taken))

    def can_connect(self, src: str, dst: str, port: int = 0) -> str | None:
        """Why ``src → dst:port`` would be refused, or None if it is fine."""
        try:
            self._check_edge(src, dst, port)
        except GraphEditError as exc:
            return exc.message
        return None

    # -- primitive edits -----------------------------------------------------------
    def apply(self, edit: Edit) -> Edit:
        """Validate and apply one primitive edit; returns the edit that undoes it."""
        if not self._depth:
            with self.batch():
                return self.apply(edit)
        inverse = edit.apply(self)
        self._log.append(inverse)
        return inverse

    def apply_all(self, edits: Iterable[Edit]) -> list[Edit]:
        """Apply ``edits`` in one batch, all or nothing; returns their inverses, in order.

        Undo them with ``apply_all(reversed(inverses))``.
        """
        with self.batch():
            return [self.apply(e) for e in edits]

    def _insert_node(self, node: Node, index: int | None) -> None:
        self._add_clean(clean_node(node), index)

    def _add_clean(self, node: Node, index: int | None) -> None:
        """:meth:`_insert_node` of a node already checked (:func:`clean_node`)."""
        if node.id in self._nodes:
            raise GraphEditError(f"duplicate node id {node.id!r}", node.id, "id")
        self._nodes = put_at(self._nodes, node.id, node, index)
        self._in[node.id], self._out[node.id] = {}, {}
        self._topo.add(node.id)
        self._pending.append(NodeAdded(node))

    def _delete_node(self, node_id: str) -> tuple[Node, int]:
        node = self.node(node_id)
        if self._in[node_id] or self._out[node_id]:
            raise GraphEditError(f"{node_id} still has edges: disconnect them first", node_id)
        self._refuse_grouped(node_id)
        index = list(self._nodes).index(node_id)
        del self._nodes[node_id], self._in[node_id], self._out[node_id]
        self._pending.append(NodeRemoved(node))
        self._topo.remove(node_id)
        return node, index

    def _connect(self, edge: Edge, index: int | None) -> None:
        src, dst, port = edge.src, edge.dst, edge.port
        self._check_edge(src, dst, port)
        self._add_edge(edge if type(edge) is Edge else Edge(src, dst, port), index)  # a value

    def _add_edge(self, edge: Edge, index: int | None) -> None:
        """:meth:`_connect` of an edge already checked (also a file's plain edges)."""
        src, dst, port = edge.src, edge.dst, edge.port
        self._edges = put_at(self._edges, (src, dst, port), edge, index)
        self._in[dst][port] = src
        self._out[src][(dst, port)] = edge
        self._topo.connected(src, dst, self._out, self._in)
        self._pending.append(EdgeAdded(edge))

    def _disconnect(self, edge: Edge) -> int:
        key = (edge.src, edge.dst, edge.port)
        if key not in self._edges:
            raise GraphEditError(f"no edge {edge.src} → {edge.dst} on port {edge.port}",
                                 edge.dst)
        index = list(self._edges).index(key)
        edge = self._edges.pop(key)
        del self._in[edge.dst][edge.port]
        del self._out[edge.src][(edge.dst, edge.port)]
        self._pending.append(EdgeRemoved(edge))
        return index

    def _replace_params(self, node_id: str, params: dict[str, Any]) -> dict[str, Any]:
        old = self.node(node_id)
        clean = clean_params(node_id, old.type, params)
        if list(clean.items()) != list(old.params.items()):
            new = replace(old, params=MappingProxyType(clean))
            self._nodes[node_id] = new
            self._pending.append(NodeChanged(old, new))
        return dict(old.params)

    def _move(self, node_id: str, pos) -> tuple[float, float] | None:
        old = self.node(node_id)
        new_pos = clean_pos(pos, node_id)
        if new_pos != old.pos:
            self._nodes[node_id] = replace(old, pos=new_pos)
            self._pending.append(NodeMoved(node_id, old.pos, new_pos))
        return old.pos

    def _rename(self, old_id: str, new_id: str) -> None:
        self.node(old_id)
        if new_id == old_id:
            return
        check_id(new_id)
        if new_id in self._nodes:
            raise GraphEditError(f"duplicate node id {new_id!r}", new_id, "id")
        self._topo.rename(old_id, new_id)
        ren = {old_id: new_id}.get
        self._nodes = {ren(k, k): (replace(v, id=new_id) if k == old_id else v)
                       for k, v in self._nodes.items()}
        self._edges = {(e.src, e.dst, e.port): e for e in
                       (Edge(ren(e.src, e.src), ren(e.dst, e.dst), e.port)
                        if old_id in (e.src, e.dst) else e for e in self._edges.values())}
        self._in = {ren(n, n): {p: ren(s, s) for p, s in ins.items()}
                    for n, ins in self._in.items()}
        self._out = {n: {} for n in self._nodes}
        for key, e in self._edges.items():
            self._out[e.src][(e.dst, e.port)] = self._edges[key]
        self._pending.append(NodeRenamed(old_id, new_id))
        self._rename_in_groups(old_id, new_id)

    def _set_meta(self, name: str, description: str) -> None:
        check_meta(name, description)
        if (name, description) != (self.name, self.description):
            self.name, self.description = name, description
            self._pending.append(MetaChanged(name, description))

    def _check_edge(self, src, dst, port) -> None:
        check_edge(self._nodes, self._in, src, dst, port, self._closes_cycle)

    def _closes_cycle(self, src: str, dst: str) -> bool:
        return self._topo.closes_cycle(src, dst, self._nodes, self._out, self._in)

    # -- edits made of primitives ---------------------------------------------------
    def add_node(self, type_name: str, params: Mapping[str, Any] | None = None,
                 node_id: str | None = None, pos: tuple[float, float] | None = None) -> str:
        """Add a node at the end; returns its id (from the type's id stem when not given)."""
        check_type(type_name, node_id)
        if node_id is None:
            node_id = self.unique_id(CATALOGUE[type_name].stem())
        self.apply(InsertNode(Node(node_id, type_name, params or {}, pos)))
        return node_id

    def insert_node(self, node: Node, index: int | None = None) -> None:
        """Insert a node value (no edges) at ``index`` of the node order (None: the end)."""
        self.apply(InsertNode(node, index))

    def removal(self, node_id: str) -> list[Edit]:
        """The primitive edits that remove ``node_id``: its edges (last first), its
        group membership (:meth:`leave_group`), then it."""
        self.node(node_id)
        return [*(Disconnect(e) for e in reversed(self.edges_of(node_id))),
                *self.leave_group(node_id), DeleteNode(node_id)]

    def remove_node(self, node_id: str) -> tuple[Node, list[Edge]]:
        """Remove a node and its edges (one batch); returns them."""
        node, edges = self.node(node_id), self.edges_of(node_id)
        self.apply_all(self.removal(node_id))
        return node, edges

    def connect(self, src: str, dst: str, port: int = 0, index: int | None = None) -> None:
        """Connect the output of ``src`` to input slot ``port`` of ``dst``.

        ``index`` places the edge in the edge order (None: at the end).
        Raises :class:`GraphEditError` when a node is missing, ``port`` is not
        a slot of ``dst`` or is taken, or the edge would make a cycle
        (:meth:`can_connect` gives the reason without raising).
        """
        self.apply(Connect(Edge(src, dst, port), index))

    def disconnect(self, src: str, dst: str, port: int = 0) -> None:
        """Remove the edge from ``src`` to slot ``port`` of ``dst`` (it must exist)."""
        self.apply(Disconnect(Edge(src, dst, port)))

    def params_after(self, node_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """The explicit parameters of ``node_id`` once ``changes`` are made.

        A value of None resets a non-nullable parameter (drops it); new names
        go at the end, existing ones keep their place. Unknown names raise
        :class:`GraphEditError`.
        """
        old = self.node(node_id)
        params = dict(old.params)
        for name, value in changes.items():
            try:
                spec = old.kind.param(name)
            except KeyError:
                raise GraphEditError(f"{node_id}: unknown parameter {name!r} for "
                                     f"{old.kind.type}", node_id, name) from None
            if value is None and not spec.nullable:
                params.pop(name, None)
            else:
                params[name] = value
        return params

    def set_params(self, node_id: str, changes: Mapping[str, Any]) -> None:
        """Set (or, with value ``None`` for a non-nullable parameter, reset) parameters."""
        self.apply(SetParams.of(node_id, self.params_after(node_id, changes)))

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Set one parameter: ``set_params(node_id, {name: value})``."""
        self.set_params(node_id, {name: value})

    def move(self, node_id: str, pos: tuple[float, float] | None) -> None:
        """Set a node's canvas position (None: no position)."""
        self.apply(MoveNode(node_id, pos))

    def rename(self, old_id: str, new_id: str) -> None:
        """Change a node's id; its edges follow, and node and edge order are kept."""
        self.apply(RenameNode(old_id, new_id))

    def set_meta(self, name: str | None = None, description: str | None = None) -> None:
        """Set the graph's name and/or description (None keeps the current value)."""
        self.apply(SetMeta(self.name if name is None else str(name),
                           self.description if description is None else str(description)))

    # -- serialisation ---------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The graph as the JSON-ready dict of graph-format.md."""
        return serial.graph_to_dict(self)

    def copy(self) -> Graph:
        """An independent copy without subscribers (positions rounded as in a file)."""
        return Graph.from_dict(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Graph:
        """Build a graph from a parsed (already version-checked) file dict."""
        return serial.graph_from_dict(cls, data)

    def __str__(self) -> str:
        lines = [f"graph {self.name}:"]
        for nid in self.topo_order():
            n = self._nodes[nid]
            srcs = [s for _, s in sorted(self._in[nid].items())]
            args = ", ".join(f"{k}={serial.jsonable(v)}" for k, v in n.params.items())
            inner = "; ".join(x for x in (", ".join(srcs), args) if x)
            lines.append(f"  {nid} = {n.type}({inner})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Graph {self.name!r}: {len(self._nodes)} nodes, {len(self._edges)} edges>"


class _Either:
    """``in`` over two containers (the graph's ids and extra taken ones)."""

    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a, self.b = a, b

    def __contains__(self, item) -> bool:
        return item in self.a or item in self.b
