"""The graph as the JSON-ready dict of graph-format.md, and back.

Only the model's contents are written: ``format``, ``version``, ``name``,
``description`` (when set), ``nodes`` (in order, explicit parameters only,
positions rounded to 2 decimals) and ``edges`` (in order, ``port`` only when
not 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

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
    return data


def graph_from_dict(cls: type[Graph], data: Mapping[str, Any]) -> Graph:
    """Build a ``cls`` graph from a parsed (already version-checked) file dict.

    Every node and edge is validated as an edit would be; the first refusal
    raises :class:`~engine.graph.errors.GraphEditError`.
    """
    g = cls(str(data.get("name", "Untitled")), str(data.get("description", "")))
    with g.batch():
        for item in data.get("nodes", []):
            g.add_node(item["type"], item.get("params") or {}, item["id"], item.get("pos"))
        for e in data.get("edges", []):
            g.connect(e["from"], e["to"], e.get("port", 0))
    g.forget_history()  # building is not an edit anyone replays
    return g


def _num(v: float):
    v = round(float(v), 2)  # round first: 1e-05 is saved as 0, not as 0.0 then 0
    return int(v) if v.is_integer() else v


def jsonable(v):
    """A stored parameter value as JSON data (tuples become lists)."""
    if isinstance(v, tuple):
        return list(v)
    return v
