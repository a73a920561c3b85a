"""Coming back to the analysis of a graph state just left: undo and redo cost what changed.

An undo puts the graph back exactly as it was before the last edit; a redo puts
it back as it was before the undo. Both would otherwise be analysed like any
edit: deleting a node near the start of a long chain blocks every node after
it, and its undo recomputes all of them again. Yet the analysis of that state
was known one analysis ago.

So the :class:`~engine.analysis.Analyzer` keeps one step of history, a
:class:`Prior`: the facts of the nodes the last analysis changed, as they were
before (the :class:`~engine.analysis.facts.Facts` log), the assembly's state and
the token of its results table, the order, and the graph's batches since then.
When the graph is again exactly as it was then (:func:`same_graph`: every node
and edge those batches touched is back as it was; the order is the same), the
analyzer puts those facts back instead of recomputing, at the cost of the nodes
that changed, and keeps what it replaced as the next :class:`Prior`, so that
undo, redo, undo... each cost what changed.

The check is exact, never a hash: a node is as it was when it is the same value
(or an equal one: same id, type and parameters); an edge when it is there or
not as it was. Moves, renames of the graph, groups and other events that do not
change the analysis are not looked at; a renamed node is not followed (no
revert then: the analysis is made as usual).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..graph import (
    EdgeAdded,
    EdgeRemoved,
    Graph,
    NodeAdded,
    NodeChanged,
    NodeRemoved,
    NodeRenamed,
)

__all__ = ["Prior", "same_graph"]


@dataclass(frozen=True)
class Prior:
    """The analysis one step back, as the analyzer can return to it."""

    #: node id -> :meth:`Facts.row <engine.analysis.facts.Facts.row>` then, for every
    #: node whose facts changed since
    log: dict
    #: :meth:`Assembly.state <engine.analysis.assemble.Assembly.state>` then
    assembly: tuple
    #: the topological order then (the very list: the assembly compares by identity)
    order: list
    #: the graph's revision then
    revision: int


def same_graph(graph: Graph, batches) -> bool:
    """Whether ``graph`` is, for the analysis, as it was before ``batches`` (the
    graph's :class:`~engine.graph.Changes` since, oldest first)."""
    nodes: dict = {}  # node id -> its value before the batches (None: absent)
    edges: dict = {}  # (src, dst, port) -> whether the edge was there
    for changes in batches:
        for ev in changes:
            if isinstance(ev, NodeChanged):
                nodes.setdefault(ev.old.id, ev.old)
            elif isinstance(ev, EdgeAdded):
                edges.setdefault(_key(ev.edge), False)
            elif isinstance(ev, EdgeRemoved):
                edges.setdefault(_key(ev.edge), True)
            elif isinstance(ev, NodeAdded):
                nodes.setdefault(ev.node.id, None)
            elif isinstance(ev, NodeRemoved):
                nodes.setdefault(ev.node.id, ev.node)
            elif isinstance(ev, NodeRenamed):
                return False
    now = graph.nodes
    for nid, before in nodes.items():
        node = now.get(nid)
        if node is not before and (node is None or before is None or node.type != before.type
                                   or node.params != before.params):
            return False
    for (src, dst, port), there in edges.items():
        if (graph.inputs_of(dst).get(port) == src if dst in now else False) is not there:
            return False
    return True


def _key(edge) -> tuple:
    return edge.src, edge.dst, edge.port
