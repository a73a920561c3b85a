"""The graph as the JSON-ready dict of graph-format.md, and back.

Only the model's contents are written: ``format``, ``version``, ``name``,
``description`` (when set), ``nodes`` (in order, explicit parameters only,
positions rounded to 2 decimals), ``edges`` (in order, ``port`` only when
not 0) and ``groups`` (in order; the key only when there are groups, so a
file without groups reads and writes as before).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..gcpause import paused
from .checks import check_meta, clean_fields, cycle_error, plain_edge
from .errors import GraphEditError
from .groups import group_to_dict
from .topo import first_cycle_edge
from .values import Edge

if TYPE_CHECKING:
    from .model import Graph

__all__ = ["graph_to_dict", "graph_from_dict", "jsonable"]


def graph_to_dict(graph: Graph) -> dict[str, Any]:
    """The graph as the JSON-ready dict of graph-format.md."""
    nodes = []
    for n in graph.nodes.values():
        item: dict[str, Any] = {"id": n.id, "type": n.type,
                                "params": {k: jsonable(v) for k, v in n.params.items()}}
        if n.pos is not None:
            item["pos"] = [_num(n.pos[0]), _num(n.pos[1])]
        nodes.append(item)
    edges = []
    for e in graph.edges:
        item = {"from": e.src, "to": e.dst}
        if e.port:
            item["port"] = e.port
        edges.append(item)
    data: dict[str, Any] = {"format": "convcanvas-graph", "version": 1, "name": graph.name}
    if graph.description:
        data["description"] = graph.description
    data["nodes"] = nodes
    data["edges"] = edges
    if graph.groups:
        data["groups"] = [group_to_dict(g) for g in graph.groups.values()]
    return data


def graph_from_dict(cls: type[Graph], data: Mapping[str, Any]) -> Graph:
    """Build a ``cls`` graph from a parsed (already version-checked) file dict.

    Every node and edge is validated as an edit would be; the first refusal
    raises :class:`~engine.graph.errors.GraphEditError`. A node without a
    string id is refused (naming its index), never given a fresh id.
    """
    with paused(lasting=True):  # a load makes objects that all live on: no use scanning them
        return _graph_from_dict(cls, data)


def _graph_from_dict(cls: type[Graph], data: Mapping[str, Any]) -> Graph:
    name, description = check_meta(data.get("name", "Untitled"), data.get("description", ""))
    g = cls(name, description)
    g._topo.suspend()  # the nodes take no ranks one by one: one sort after the edges
    with g.batch():
        for i, item in enumerate(data.get("nodes", [])):
            if type(item) is not dict and not isinstance(item, Mapping):
                raise GraphEditError(f"node #{i} must be an object", f"#{i}")
            nid = item.get("id")
            if not isinstance(nid, str):
                raise GraphEditError(f"node #{i}: \"id\" must be a string, found "
                                     f"{_shown(nid)}", f"#{i}", "id")
            # the primitive itself, without an inverse to keep: a refused file is dropped
            g._add_clean(clean_fields(nid, item.get("type"), item.get("params") or {},
                                      item.get("pos")), None)
        _read_edges(g, data.get("edges", []))
        g.add_groups(data.get("groups", []))
    g.forget_history()  # building is not an edit anyone replays
    return g


def _read_edges(g: Graph, items) -> None:
    """Connect the file's edges with one cycle check at the end (linear in the file).

    Each edge is checked as :meth:`Graph.connect` checks it, except for cycles:
    one Kahn sort over the whole graph follows. A refusal is the one an
    edge-by-edge load gives: the first edge that closes a cycle, unless an
    earlier edge is refused for another reason.
    """
    topo = g._topo  # (suspended by the caller before the nodes)
    read = False
    # the ends as the node ids' own string objects, not the file's equal copies: every
    # later look-up by id (the graph's, the analysis') then matches by identity
    nodes, ins = g._nodes, g._in
    same = {nid: nid for nid in nodes}.get
    try:
        for i, e in enumerate(items):
            if type(e) is not dict and not isinstance(e, Mapping):
                raise GraphEditError(f"edge #{i} must be an object")
            src, dst, port = e.get("from"), e.get("to"), e.get("port", 0)
            if type(src) is str and type(dst) is str:
                src, dst = same(src, src), same(dst, dst)
                if plain_edge(nodes, ins, src, dst, port):  # else the edit words the refusal
                    g._add_edge(Edge(src, dst, port), None)
                    continue
            g._connect(Edge(src, dst, port), None)
        read = True
    except GraphEditError:
        _refuse_cycle_before(g)  # an earlier edge closed a cycle: that is the refusal
        raise
    finally:
        if not read:
            topo.abandon()
    if not topo.rebuild(g.nodes, g._out, g._in):
        _refuse_cycle_before(g)


def _refuse_cycle_before(g: Graph) -> None:
    """Raise the refusal of the first edge (in edge order) that closes a cycle, if any."""
    edges = [(e.src, e.dst) for e in g.edges]
    first = first_cycle_edge(list(g.nodes), edges)
    if first is not None:
        g._topo.abandon()
        raise cycle_error(*edges[first]) from None


def _shown(v) -> str:
    """A value as the file wrote it, shortened (``null``, ``5``)."""
    try:
        return json.dumps(v)[:40]
    except (TypeError, ValueError):
        return type(v).__name__


def _num(v: float):
    v = round(float(v), 2)  # round first: 1e-05 is saved as 0, not as 0.0 then 0
    return int(v) if v.is_integer() else v


def jsonable(v):
    """A stored parameter value as JSON data (tuples become lists)."""
    if isinstance(v, tuple):
        return list(v)
    return v
