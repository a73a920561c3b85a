"""The analysis driver: runs the passes over one topological order, incrementally.

An :class:`Analyzer` follows a :class:`~engine.graph.Graph` by asking it for the
changes since the revision it last saw (``Graph.changes_since``: pulled, so the
analysis is current whichever listener of the graph asks first); each change
event marks the node it touches. :meth:`Analyzer.result` then runs the passes
in turn, each over the nodes it must redo, in topological order:

1. shapes (:mod:`.shapes`): the marked nodes, and the successors of every node
   whose output (or input shapes) changed;
2. receptive fields (:mod:`.receptive`): the nodes the shape pass redid, and the
   successors of every node whose field changed;
3. cost (:mod:`.cost`): the nodes the shape pass redid;
4. warnings (:mod:`.warnings`): the nodes either of the first two redid;

and assembles the frozen :class:`AnalysisResult`, rebuilding the
:class:`NodeResult` of the nodes redone only: an edit whose effect stops early
costs little. When the order is the one of the last result (no node or edge
added or removed), the assembly too costs what changed: the results go into a
persistent table (:mod:`.table`), the totals move by the redone nodes'
differences and the issue lists are rebuilt from the few nodes that have
issues, and only when one of those changed. When the graph is again exactly as
it was one analysis ago (an undo, a redo), the analyzer comes back to that
analysis at the cost of the nodes that changed, recomputing none (:mod:`.revert`).
``analyze(graph)`` is a one-shot Analyzer.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..catalogue import Inputs
from ..gcpause import paused
from ..graph import (
    EdgeAdded,
    EdgeRemoved,
    Graph,
    Node,
    NodeAdded,
    NodeChanged,
    NodeRemoved,
    NodeRenamed,
)
from .assemble import Assembly
from .cost import cost_pass
from .facts import Facts
from .receptive import rf_pass
from .result import AnalysisResult, Issue, NodeResult, RFState
from .revert import Prior, same_graph
from .shapes import shape_pass
from .warnings import warnings_pass

__all__ = ["Analyzer", "NodeOutcome", "analyze"]


@dataclass(frozen=True)
class NodeOutcome:
    """Everything the analysis knows about one node (runtime and export use it)."""

    node: Node
    #: normalised parameters
    params: dict | None
    #: what arrives on the slots; None when the node failed or is blocked
    ins: Inputs | None
    result: NodeResult
    #: receptive-field state per Input that reaches the node
    rf: dict[str, RFState]
    #: the node's own warnings (gridding, judged with its successors, excepted)
    warnings: tuple[Issue, ...] = ()

    @property
    def shape(self):
        """The node's output shape (``result.shape``; None when it has none)."""
        return self.result.shape


class Analyzer:
    """Keeps the analysis of ``graph`` up to date with minimal recomputation."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self._facts = Facts(graph)
        self._assembly = Assembly(graph)
        self._dirty: set[str] = set(graph.nodes)
        self._result: AnalysisResult | None = None
        self._order: list[str] | None = None
        self.recomputed = 0  # nodes recomputed by the last result() (for tests/bench)
        self._revision = graph.revision  # the graph's revision this analysis follows
        self._closed = False
        #: the analysis one step back, to come back to (:mod:`.revert`) ...
        self._prior: Prior | None = None
        #: ... and the last one: (assembly state, order, revision), the next prior
        self._last: tuple | None = None

    def close(self) -> None:
        """Stop following the graph: later edits are not seen (calling it again is harmless)."""
        self._closed = True

    def _catch_up(self) -> None:
        """Mark what changed since the revision last seen (pulled from the graph, so
        the analysis is current whichever listener of the graph asks first)."""
        graph = self.graph
        if self._closed or self._revision == graph.revision:
            return
        batches = graph.changes_since(self._revision)
        self._revision = graph.revision
        if batches is None:  # too far behind: everything
            self._facts = Facts(graph)
            self._assembly = Assembly(graph)
            self._dirty = set(graph.nodes)
            self._order = None
            self._result = None
            self._prior = self._last = None
            return
        for changes in batches:
            for ev in changes:
                self._on_event(ev)

    def __repr__(self) -> str:
        state = "up to date" if self._result is not None else f"{len(self._dirty)} marked"
        return f"<Analyzer of {self.graph!r}: {state}>"

    # -- invalidation ----------------------------------------------------------
    def _touch(self, node_id: str, structural: bool = False) -> None:
        self._dirty.add(node_id)
        if structural:
            self._order = None
        self._result = None

    def _on_event(self, ev) -> None:
        if isinstance(ev, NodeChanged):
            self._touch(ev.new.id)
        elif isinstance(ev, (EdgeAdded, EdgeRemoved)):
            self._touch(ev.edge.dst, structural=True)
        elif isinstance(ev, NodeAdded):
            self._touch(ev.node.id, structural=True)
        elif isinstance(ev, (NodeRemoved, NodeRenamed)):
            gone = ev.node.id if isinstance(ev, NodeRemoved) else ev.old
            self._facts.forget(gone)
            self._assembly.forget(gone)
            self._dirty.discard(gone)
            self._order = None
            self._result = None
            if isinstance(ev, NodeRenamed):
                self._touch(ev.new, structural=True)

    # -- results -----------------------------------------------------------------
    def outcome(self, node_id: str) -> NodeOutcome:
        """Full per-node outcome (normalised params, input shapes, RF state)."""
        result = self.result()
        facts = self._facts
        layer = facts.layers[node_id]
        return NodeOutcome(self.graph.nodes[node_id], layer.params,
                           layer.ins if layer.out is not None else None,
                           result.nodes[node_id], facts.rf[node_id],
                           facts.warnings[node_id])

    def result(self) -> AnalysisResult:
        """The analysis of the graph as it is now (cached until an edit that affects it).

        Never raises for a bad graph: errors are in the result. Unless it returns
        the cached result, it sets ``recomputed`` to the number of nodes recomputed.
        """
        self._catch_up()
        if self._result is not None:
            return self._result
        if self._order is None:
            self._order = self.graph.topo_order()
        if self._prior is not None and self._back_to_prior():
            return self._result
        facts = self._facts
        facts.begin(self._order)
        redone: set[str] = set()
        # see engine.gcpause: the new facts and results live until an edit replaces them,
        # and they hold no cycles (refcounting frees them then), so no young collection
        # scans them: an edit upstream of a 1,000-node chain was ~1 ms of collection
        # each time, 3 ms every third, and a full collection (65-77 ms) every ~60 edits
        with paused(lasting=True):
            if self._dirty:
                shaped = shape_pass(facts, self._dirty)
                fielded = rf_pass(facts, shaped)
                cost_pass(facts, shaped)
                redone = shaped | fielded
                warnings_pass(facts, redone)
                self._dirty.clear()
            self._result = self._assembly.result(facts, redone)
        self.recomputed = len(redone)
        facts.begin(self._order)  # drop this analysis' shared layers (the wiring stays)
        self._remember(facts.log)
        return self._result

    def _remember(self, log: dict | None) -> None:
        """The analysis just made is the last; the one before it becomes the prior
        (with ``log``, its facts where they changed since)."""
        last = self._last
        self._prior = None if last is None or log is None else Prior(log, *last)
        self._last = (self._assembly.state(), self._order, self._revision)
        self._facts.log = {}

    def _back_to_prior(self) -> bool:
        """If the graph is again as at the prior analysis (an undo, a redo), come back
        to it: its facts put back where they changed, at the cost of those nodes."""
        prior = self._prior
        batches = self.graph.changes_since(prior.revision)
        if (batches is None or self._order != prior.order
                or not same_graph(self.graph, batches)):
            return False
        facts = self._facts
        for nid, row in (facts.log or {}).items():  # back to the last analysis ...
            facts.put_row(nid, row)
        log = {}
        for nid, row in prior.log.items():  # ... and one more step
            log[nid] = facts.row(nid)
            facts.put_row(nid, row)
        self._order = prior.order
        facts.begin(self._order)
        self._result = self._assembly.restore(facts, prior.assembly)
        self._dirty.clear()
        self.recomputed = 0
        self._remember(log)
        return True


def analyze(graph: Graph) -> AnalysisResult:
    """Analyse ``graph`` once; never raises for a bad graph (errors are in the result)."""
    with paused(lasting=True):  # until the facts are gone: the result is what lives on
        an = Analyzer(graph)
        try:
            result = an.result()
        finally:
            an.close()
        del an
    return result
