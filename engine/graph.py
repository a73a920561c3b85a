"""The graph model: the single owner of a design's state.

Every edit goes through a :class:`Graph` method that validates it first
(unknown type or parameter, wrong value, cycle, port already taken, id rules)
and raises :class:`GraphEditError` without changing anything when it is
refused. An accepted edit is announced to every subscriber as one small,
frozen event object, so views (the Qt scene, the incremental analysis) mirror
the model instead of owning state.

Nodes are immutable values: an edit replaces the :class:`Node` object.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType
from typing import Any

from .catalogue import CATALOGUE, ParamError

__all__ = ["Graph", "Node", "Edge", "GraphEditError", "check_id", "RESERVED_IDS",
           "NodeAdded", "NodeRemoved", "NodeChanged", "NodeMoved", "NodeRenamed",
           "EdgeAdded", "EdgeRemoved", "MetaChanged", "GraphEvent"]

ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

#: Names that clash with ``nn.Module`` attributes or with names the exported
#: code needs (``self``, ``torch``, ``nn``, ``F``, ``math``).
RESERVED_IDS = frozenset("""
T_destination add_module apply bfloat16 buffers call_super_init children compile cpu cuda
double dump_patches eval extra_repr float forward get_buffer get_extra_state get_parameter
get_submodule half ipu load_state_dict modules mtia named_buffers named_children
named_modules named_parameters parameters register_backward_hook register_buffer
register_forward_hook register_forward_pre_hook register_full_backward_hook
register_full_backward_pre_hook register_load_state_dict_post_hook
register_load_state_dict_pre_hook register_module register_parameter
register_state_dict_post_hook register_state_dict_pre_hook requires_grad_
set_extra_state set_submodule share_memory state_dict to to_empty train training type xpu
zero_grad self torch nn F math super
_apply _backward_hooks _backward_pre_hooks _buffers _call_impl _compiled_call_impl
_forward_hooks _forward_hooks_always_called _forward_hooks_with_kwargs _forward_pre_hooks
_forward_pre_hooks_with_kwargs _get_backward_hooks _get_backward_pre_hooks _get_name
_is_full_backward_hook _load_from_state_dict _load_state_dict_post_hooks
_load_state_dict_pre_hooks _maybe_warn_non_full_backward_hook _modules _named_members
_non_persistent_buffers_set _parameters _register_load_state_dict_pre_hook
_register_state_dict_hook _replicate_for_data_parallel _save_to_state_dict _slow_forward
_state_dict_hooks _state_dict_pre_hooks _version _wrapped_call_impl
""".split())


class GraphEditError(ValueError):
    """A refused edit (or an invalid graph description).

    ``node`` and ``param`` name what is at fault, where known.
    """

    def __init__(self, message: str, node: str | None = None, param: str | None = None):
        super().__init__(message)
        self.message = message
        self.node = node
        self.param = param


def check_id(node_id: Any) -> str:
    """Return ``node_id`` if it is a legal id, else raise :class:`GraphEditError`."""
    if not isinstance(node_id, str):
        raise GraphEditError(f"node id {node_id!r} must be a string", None, "id")
    shown = node_id if len(node_id) <= 40 else node_id[:40] + "..."
    if not ID_RE.match(node_id):
        raise GraphEditError(f"node id {shown!r} is not a valid name: use letters, digits "
                             "and _, not starting with a digit, at most 64 characters",
                             None, "id")
    if keyword.iskeyword(node_id) or keyword.issoftkeyword(node_id):
        raise GraphEditError(f"node id {node_id!r} is a Python keyword", None, "id")
    if node_id in RESERVED_IDS or (node_id.startswith("__") and node_id.endswith("__")):
        raise GraphEditError(f"node id {node_id!r} clashes with an nn.Module attribute or a "
                             "name the exported code uses", None, "id")
    return node_id


@dataclass(frozen=True)
class Node:
    """One layer: ``params`` holds only the values set explicitly (validated)."""

    id: str
    type: str
    params: Mapping[str, Any] = field(default_factory=dict)
    pos: tuple[float, float] | None = None

    @cached_property
    def kind(self):
        """The catalogue's :class:`~engine.catalogue.base.LayerKind` of ``type`` (cached)."""
        return CATALOGUE[self.type]

    @cached_property
    def normalised(self) -> dict[str, Any]:
        """Every parameter, normalised, defaults filled in (shared: do not modify)."""
        return self.kind.normalise(dict(self.params))

    def resolved(self) -> dict[str, Any]:
        """Every parameter, normalised, defaults filled in (a fresh dict)."""
        return dict(self.normalised)


@dataclass(frozen=True)
class Edge:
    """A connection: the output of node ``src`` feeds input slot ``port`` of ``dst``."""

    src: str
    dst: str
    port: int = 0


# -- events ------------------------------------------------------------------
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


GraphEvent = (NodeAdded | NodeRemoved | NodeChanged | NodeMoved | NodeRenamed | EdgeAdded
              | EdgeRemoved | MetaChanged)


def _validate_params(node_id: str, type_name: str,
                     params: Mapping[str, Any]) -> tuple[dict, dict]:
    """``(explicit, normalised)`` parameters, or :class:`GraphEditError`."""
    kind = CATALOGUE[type_name]
    try:
        normal = kind.normalise(dict(params))
    except ParamError as exc:
        raise GraphEditError(f"{node_id}: {exc.message}", node_id, exc.param) from None
    # keep each explicit value as the user wrote it (3 stays 3), frozen
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}, normal


def _with_normalised(node: Node, normal: dict) -> Node:
    """Prime :attr:`Node.normalised` with the form validation just computed."""
    node.__dict__["normalised"] = normal  # what the cached_property itself would store
    return node


class Graph:
    """A validated DAG of layers with change notification.

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
        self._listeners: list[Callable[[Any], None]] = []

    # -- observation ---------------------------------------------------------
    def subscribe(self, callback: Callable[[Any], None]) -> Callable[[], None]:
        """Call ``callback(event)`` after every accepted edit; returns an unsubscriber."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def _emit(self, event) -> None:
        for cb in list(self._listeners):
            cb(event)

    # -- read access ---------------------------------------------------------
    @property
    def nodes(self) -> Mapping[str, Node]:
        """Read-only mapping of node id to :class:`Node`, in insertion (file) order."""
        return MappingProxyType(self._nodes)

    @property
    def edges(self) -> list[Edge]:
        """The edges, in the order they were connected (a new list)."""
        return list(self._edges.values())

    def node(self, node_id: str) -> Node:
        """The node with id ``node_id``.

        Raises
        ------
        GraphEditError
            There is no such node.
        """
        try:
            return self._nodes[node_id]
        except KeyError:
            raise GraphEditError(f"no node {node_id!r}", node_id) from None

    def inputs_of(self, node_id: str) -> dict[int, str]:
        """``{port: source id}`` of a node."""
        return dict(self._in.get(node_id, {}))

    def successors(self, node_id: str) -> list[Edge]:
        """The edges leaving ``node_id``, in connection order (empty for an unknown id)."""
        return list(self._out.get(node_id, {}).values())

    def __contains__(self, node_id) -> bool:
        return node_id in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(list(self._nodes.values()))

    def topo_order(self) -> list[str]:
        """Node ids in a stable topological order (insertion order breaks ties)."""
        rank = {n: i for i, n in enumerate(self._nodes)}
        if all(rank[src] < rank[dst] for src, dst, _port in self._edges):
            return list(self._nodes)  # every edge points forward: insertion order is it
        indeg = {n: len(self._in.get(n, ())) for n in self._nodes}
        ready = [n for n in self._nodes if indeg[n] == 0]
        order: list[str] = []
        import heapq
        heap = [(rank[n], n) for n in ready]
        heapq.heapify(heap)
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

        The stem is ``base`` without trailing digits and characters an id cannot
        hold, e.g. ``conv3`` from ``conv1`` when ``conv1`` and ``conv2`` exist.
        """
        taken = set(taken)
        stem = re.sub(r"[^A-Za-z0-9_]", "", re.sub(r"\d+$", "", base)) or "node"
        if stem[0].isdigit():
            stem = "n" + stem
        stem = stem[:56]
        i = 1
        while True:
            cand = f"{stem}{i}"
            if cand not in self._nodes and cand not in taken:
                try:
                    return check_id(cand)
                except GraphEditError:
                    pass
            i += 1

    # -- edits ---------------------------------------------------------------
    def add_node(self, type_name: str, params: Mapping[str, Any] | None = None,
                 node_id: str | None = None, pos: tuple[float, float] | None = None) -> str:
        """Add a node; returns its id (generated from the type when not given)."""
        if not isinstance(type_name, str) or type_name not in CATALOGUE:
            where = f"{node_id}: " if isinstance(node_id, str) else ""
            raise GraphEditError(f"{where}unknown layer type {type_name!r}", node_id, "type")
        if node_id is None:
            node_id = self.unique_id(_short(type_name))
        check_id(node_id)
        if node_id in self._nodes:
            raise GraphEditError(f"duplicate node id {node_id!r}", node_id, "id")
        clean, normal = _validate_params(node_id, type_name, params or {})
        node = _with_normalised(Node(node_id, type_name, MappingProxyType(clean),
                                     _pos(pos, node_id)), normal)
        self._nodes[node_id] = node
        self._in[node_id] = {}
        self._out[node_id] = {}
        self._emit(NodeAdded(node))
        return node_id

    def insert_node(self, node: Node) -> None:
        """Re-insert a removed node value as it was (undo)."""
        self.add_node(node.type, node.params, node.id, node.pos)

    def remove_node(self, node_id: str) -> tuple[Node, list[Edge]]:
        """Remove a node and its edges; returns them (for undo)."""
        node = self.node(node_id)
        edges = [e for e in self._edges.values() if node_id in (e.src, e.dst)]
        for e in edges:
            self.disconnect(e.src, e.dst, e.port)
        del self._nodes[node_id], self._in[node_id], self._out[node_id]
        self._emit(NodeRemoved(node))
        return node, edges

    def can_connect(self, src: str, dst: str, port: int = 0) -> str | None:
        """Why ``src → dst:port`` would be refused, or None if it is fine."""
        try:
            self._check_edge(src, dst, port)
        except GraphEditError as exc:
            return exc.message
        return None

    def _check_edge(self, src, dst, port):
        for n in (src, dst):
            if not isinstance(n, str) or n not in self._nodes:
                raise GraphEditError(f"edge refers to a missing node {n!r}", n)
        if isinstance(port, bool) or not isinstance(port, int) or port < 0:
            raise GraphEditError(f"edge {src} → {dst}: port {port!r} must be a non-negative "
                                 "integer", dst, "port")
        kind = self._nodes[dst].kind
        if kind.max_inputs == 0:
            raise GraphEditError(f"{dst} is an {kind.type}: it takes no inputs", dst)
        if port >= kind.max_inputs:
            slots = "slot 0 only" if kind.max_inputs == 1 else \
                f"slots 0..{kind.max_inputs - 1}"
            raise GraphEditError(f"{dst} ({kind.type}) has {slots}, not port {port}", dst,
                                 "port")
        taken = self._in[dst].get(port)
        if taken is not None:
            raise GraphEditError(f"port {port} of {dst} is already connected (from {taken})",
                                 dst, "port")
        if src == dst or dst in self._ancestors_stop(src, dst):
            raise GraphEditError(f"connecting {src} → {dst} would make a cycle", dst)

    def _ancestors_stop(self, start, target) -> set[str]:
        """Ancestors of ``start`` (stops early once ``target`` is found)."""
        seen: set[str] = set()
        stack = [start]
        while stack:
            for src in self._in.get(stack.pop(), {}).values():
                if src not in seen:
                    seen.add(src)
                    if src == target:
                        return seen
                    stack.append(src)
        return seen

    def connect(self, src: str, dst: str, port: int = 0) -> None:
        """Connect the output of ``src`` to input slot ``port`` of ``dst``.

        Emits :class:`EdgeAdded`.

        Raises
        ------
        GraphEditError
            A node is missing, ``port`` is not a non-negative int or not a slot
            of ``dst``, the slot is already connected, or the edge would make a
            cycle (:meth:`can_connect` gives the reason without raising).
        """
        self._check_edge(src, dst, port)
        edge = Edge(src, dst, port)
        self._edges[(src, dst, port)] = edge
        self._in[dst][port] = src
        self._out[src][(dst, port)] = edge
        self._emit(EdgeAdded(edge))

    def disconnect(self, src: str, dst: str, port: int = 0) -> None:
        """Remove the edge from ``src`` to slot ``port`` of ``dst``.

        Emits :class:`EdgeRemoved`.

        Raises
        ------
        GraphEditError
            There is no such edge.
        """
        edge = self._edges.pop((src, dst, port), None)
        if edge is None:
            raise GraphEditError(f"no edge {src} → {dst} on port {port}", dst)
        del self._in[dst][port]
        del self._out[src][(dst, port)]
        self._emit(EdgeRemoved(edge))

    def set_params(self, node_id: str, changes: Mapping[str, Any]) -> None:
        """Set (or, with value ``None`` for a non-nullable parameter, reset) parameters."""
        old = self.node(node_id)
        kind = old.kind
        params = dict(old.params)
        for name, value in changes.items():
            try:
                spec = kind.param(name)
            except KeyError:
                raise GraphEditError(f"{node_id}: unknown parameter {name!r} for "
                                     f"{kind.type}", node_id, name) from None
            if value is None and not spec.nullable:
                params.pop(name, None)
            else:
                params[name] = value
        clean, normal = _validate_params(node_id, old.type, params)
        new = _with_normalised(replace(old, params=MappingProxyType(clean)), normal)
        if dict(new.params) == dict(old.params):
            return
        self._nodes[node_id] = new
        self._emit(NodeChanged(old, new))

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Set one parameter: ``set_params(node_id, {name: value})``.

        Emits :class:`NodeChanged` if the explicit parameters change; raises
        :class:`GraphEditError` (unknown node or parameter, invalid value) as
        :meth:`set_params`.
        """
        self.set_params(node_id, {name: value})

    def move(self, node_id: str, pos: tuple[float, float] | None) -> None:
        """Set a node's canvas position (``None``: no position).

        Emits :class:`NodeMoved`, unless the position is unchanged.

        Raises
        ------
        GraphEditError
            There is no such node, or ``pos`` is not two finite numbers.
        """
        old = self.node(node_id)
        new_pos = _pos(pos, node_id)
        if new_pos == old.pos:
            return
        self._nodes[node_id] = replace(old, pos=new_pos)
        self._emit(NodeMoved(node_id, old.pos, new_pos))

    def rename(self, old_id: str, new_id: str) -> None:
        """Change a node's id; its edges follow, and node and edge order are kept.

        Emits :class:`NodeRenamed` (no edge events), unless ``new_id`` equals
        ``old_id``.

        Raises
        ------
        GraphEditError
            There is no node ``old_id``, ``new_id`` is not a legal id
            (:func:`check_id`), or it is taken.
        """
        node = self.node(old_id)
        if new_id == old_id:
            return
        check_id(new_id)
        if new_id in self._nodes:
            raise GraphEditError(f"duplicate node id {new_id!r}", new_id, "id")
        edges = [e for e in self._edges.values() if old_id in (e.src, e.dst)]
        # rebuild in order so that node and edge order stay stable
        self._nodes = {(new_id if k == old_id else k): (replace(v, id=new_id)
                                                         if k == old_id else v)
                       for k, v in self._nodes.items()}
        self._in[new_id] = self._in.pop(old_id)
        self._out[new_id] = self._out.pop(old_id)
        ren = {old_id: new_id}
        new_edges = {}
        for key, e in self._edges.items():
            if e in edges:
                e = Edge(ren.get(e.src, e.src), ren.get(e.dst, e.dst), e.port)
                key = (e.src, e.dst, e.port)
            new_edges[key] = e
        self._edges = new_edges
        for n in self._nodes:
            self._in[n] = {p: ren.get(s, s) for p, s in self._in[n].items()}
            self._out[n] = {(ren.get(d, d), p): self._edges[(n, ren.get(d, d), p)]
                            for (d, p) in self._out[n]}
        del node
        self._emit(NodeRenamed(old_id, new_id))

    def set_meta(self, name: str | None = None, description: str | None = None) -> None:
        """Set the graph's name and/or description (``None`` keeps the current value).

        Values are converted with ``str``. Emits :class:`MetaChanged` if either changes.
        """
        name = self.name if name is None else str(name)
        description = self.description if description is None else str(description)
        if (name, description) != (self.name, self.description):
            self.name, self.description = name, description
            self._emit(MetaChanged(name, description))

    # -- serialisation ---------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The graph as the JSON-ready dict of graph-format.md."""
        nodes = []
        for n in self._nodes.values():
            item: dict[str, Any] = {"id": n.id, "type": n.type,
                                    "params": {k: _jsonable(v) for k, v in n.params.items()}}
            if n.pos is not None:
                item["pos"] = [_num(n.pos[0]), _num(n.pos[1])]
            nodes.append(item)
        edges = []
        for e in self._edges.values():
            item = {"from": e.src, "to": e.dst}
            if e.port:
                item["port"] = e.port
            edges.append(item)
        data: dict[str, Any] = {"format": "convcanvas-graph", "version": 1, "name": self.name}
        if self.description:
            data["description"] = self.description
        data["nodes"] = nodes
        data["edges"] = edges
        return data

    def copy(self) -> Graph:
        """An independent copy without subscribers, made via :meth:`to_dict`.

        Positions are rounded to 2 decimals, as in a saved file.
        """
        return Graph.from_dict(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Graph:
        """Build a graph from a parsed (already version-checked) file dict."""
        g = cls(str(data.get("name", "Untitled")), str(data.get("description", "")))
        for item in data.get("nodes", []):
            g.add_node(item["type"], item.get("params") or {}, item["id"], item.get("pos"))
        for e in data.get("edges", []):
            g.connect(e["from"], e["to"], e.get("port", 0))
        return g

    def __str__(self) -> str:
        lines = [f"graph {self.name}:"]
        for nid in self.topo_order():
            n = self._nodes[nid]
            srcs = [s for _, s in sorted(self._in[nid].items())]
            args = ", ".join(f"{k}={_jsonable(v)}" for k, v in n.params.items())
            head = ", ".join(srcs)
            inner = "; ".join(x for x in (head, args) if x)
            lines.append(f"  {nid} = {n.type}({inner})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Graph {self.name!r}: {len(self._nodes)} nodes, {len(self._edges)} edges>"


def _short(type_name: str) -> str:
    short = {"Conv2d": "conv", "Conv3d": "conv3d", "ConvTranspose2d": "up",
             "ConvTranspose3d": "up3d", "DeformConv2d": "dconv", "BatchNorm2d": "bn",
             "BatchNorm3d": "bn3d", "SqueezeExcitation": "se", "MaxPool2d": "pool",
             "AvgPool2d": "avgpool", "MaxUnpool2d": "unpool", "Concat": "cat",
             "DepthwiseSeparableConv2d": "dsconv", "SpatiallySeparableConv2d": "ssconv",
             "AdaptiveAvgPool2d": "gap", "ChannelShuffle": "shuffle", "Linear": "fc",
             "Input": "input", "Add": "add_", "Multiply": "mul"}
    return short.get(type_name, type_name.lower())


def _pos(pos, node_id):
    if pos is None:
        return None
    import math
    if (not isinstance(pos, (list, tuple)) or len(pos) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                       and math.isfinite(v) for v in pos)):
        raise GraphEditError(f"{node_id}: pos must be a list of two finite numbers",
                             node_id, "pos")
    return (float(pos[0]), float(pos[1]))


def _num(v: float):
    v = round(float(v), 2)  # round first: 1e-05 is saved as 0, not as 0.0 then 0
    return int(v) if v.is_integer() else v


def _jsonable(v):
    if isinstance(v, tuple):
        return list(v)
    return v
