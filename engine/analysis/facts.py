"""What the analysis passes know about the nodes, and how a pass walks them.

:class:`Facts` holds one table per pass (node id -> that pass's fact) for one
graph. The passes read and write these tables; :func:`sweep` is the walk they
all share: over the one topological order, recompute the nodes asked for, and
follow the edges of every node whose fact changed what its successors read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..catalogue.base import Cost
    from ..graph import Graph
    from .result import RF, Issue, RFState
    from .shapes import Layer

__all__ = ["Facts", "sweep", "walk_order"]

#: in a row of facts: the node had no fact in that table
NO_FACT = object()


class Facts:
    """Per-node facts of every pass, kept between analyses of one graph."""

    def __init__(self, graph: Graph):
        self.graph = graph
        #: node ids in topological order (set by the driver before the passes run)
        self.order: list[str] = []
        #: node id -> its place in ``order``
        self.rank: dict[str, int] = {}
        #: shape pass: parameters, inputs, output shape or why there is none
        self.layers: dict[str, Layer] = {}
        #: receptive-field pass: per Input that reaches the node, its state ...
        self.rf: dict[str, dict[str, RFState]] = {}
        #: ... and its public form
        self.rf_public: dict[str, dict[str, RF]] = {}
        #: cost pass: learnable parameters and MACs (None without a shape) ...
        self.cost: dict[str, Cost | None] = {}
        #: ... and the bytes of its float32 activation
        self.act_bytes: dict[str, int] = {}
        #: warnings pass: the node's own warnings (stride, misaligned merge) ...
        self.warnings: dict[str, tuple[Issue, ...]] = {}
        #: ... and the nodes that may have warnings: their own, or gridding
        self.flagged: set[str] = set()
        #: answers shared by identical layers during one analysis (see shapes.Layer)
        self.shared: dict = {}
        self._sources: dict[str, tuple[str, ...] | None] = {}
        self._successors: dict[str, list[str]] = {}
        #: node id -> its :meth:`row` before its first change since the log was started
        #: (:mod:`.revert`); None while no log is kept (a first analysis)
        self.log: dict[str, tuple] | None = None

    def begin(self, order: list[str]) -> None:
        """Start an analysis over ``order``: forget what was memoised for the last one.

        The sources and successors of the nodes are kept while the order is the
        same list: the analyzer makes a new one after every change of the edges
        (:class:`~engine.analysis.analyzer.Analyzer`), so an edit of parameters
        walks the wiring it already knows.
        """
        if order is not self.order:
            self.order = order
            self.rank = {nid: i for i, nid in enumerate(order)}
            self._sources = {}
            self._successors = {}
        self.shared = {}

    def forget(self, node_id: str) -> None:
        """Drop every fact of a node that left the graph (removed or renamed)."""
        self.save(node_id)
        for table in self._tables():
            table.pop(node_id, None)
        self.flagged.discard(node_id)

    def _tables(self) -> tuple[dict, ...]:
        return (self.layers, self.rf, self.rf_public, self.cost, self.act_bytes,
                self.warnings)

    def row(self, node_id: str) -> tuple:
        """Every fact of a node (:data:`NO_FACT` where it has none), and whether it
        is flagged."""
        no = NO_FACT
        return (self.layers.get(node_id, no), self.rf.get(node_id, no),
                self.rf_public.get(node_id, no), self.cost.get(node_id, no),
                self.act_bytes.get(node_id, no), self.warnings.get(node_id, no),
                node_id in self.flagged)

    def put_row(self, node_id: str, row: tuple) -> None:
        """Give a node the facts of a :meth:`row` (the inverse of taking it)."""
        if row[0] is NO_FACT:  # the node had no facts (not analysed, or not there)
            for table in self._tables():
                table.pop(node_id, None)
            self.flagged.discard(node_id)
            return
        (self.layers[node_id], self.rf[node_id], self.rf_public[node_id], self.cost[node_id],
         self.act_bytes[node_id], self.warnings[node_id], flagged) = row
        if flagged:
            self.flagged.add(node_id)
        else:
            self.flagged.discard(node_id)

    def save(self, node_id: str) -> None:
        """Keep the node's :meth:`row` in the log, unless it is there already (a pass
        calls it before it changes a fact of the node)."""
        log = self.log
        if log is not None and node_id not in log:
            log[node_id] = self.row(node_id)

    def successors(self, node_id: str) -> list[str]:
        """Ids of the nodes that ``node_id`` feeds (one entry per edge)."""
        got = self._successors.get(node_id)
        if got is None:
            got = self._successors[node_id] = [e.dst for e in self.graph.successors(node_id)]
        return got

    def sources(self, node_id: str) -> tuple[str, ...] | None:
        """Source ids in slot order, or None when the slots used are not 0..n-1."""
        got = self._sources.get(node_id, 0)
        if got != 0:
            return got
        ports = self.graph.inputs_of(node_id)
        n = len(ports)
        if n == 1 and 0 in ports:  # the common case
            got = (ports[0],)
        elif n and max(ports) != n - 1:
            got = None
        else:
            got = tuple([ports[i] for i in range(n)])
        self._sources[node_id] = got
        return got


def walk_order(facts: Facts, todo: set[str]):
    """The nodes of ``todo`` to visit: in topological order when they are all of them
    (a full analysis; the order keeps memory access local: iterating a set of
    100,000 ids jumps around the heap), else the set itself."""
    return facts.order if len(todo) >= len(facts.order) else todo


def sweep(facts: Facts, todo: set[str], step: Callable[[str], bool]) -> set[str]:
    """Run ``step`` on the nodes of ``todo`` in topological order; returns those run.

    ``step(node_id)`` recomputes the pass's fact of the node and returns True
    when it changed what the successors read: they are then run too. Each node
    is saved in the log first (:meth:`Facts.save`; the cost and warnings passes
    visit only nodes a sweep has visited, so the log covers their changes too).
    With every node to do there are no edges to follow; otherwise the walk starts
    at the first node to do.
    """
    order, log = facts.order, facts.log
    if len(todo) >= len(order):
        for nid in order:
            if log is not None:
                facts.save(nid)
            step(nid)
        return set(order)
    if not todo:
        return set()
    rank = facts.rank
    todo = set(todo)
    for nid in order[min([rank[n] for n in todo]):]:
        if nid in todo:
            if log is not None and nid not in log:
                log[nid] = facts.row(nid)
            if step(nid):
                todo.update(facts.successors(nid))
    return todo
