"""The incremental analysis driver.

An :class:`Analyzer` follows a :class:`~engine.graph.Graph` by asking it for
the changes since the revision it last saw (``Graph.changes_since``); each change
event marks the node it touches, and :meth:`result` recomputes the marked nodes
in topological order, then the successors of every node whose outcome changed
what it passes on (shape, receptive field), before assembling the frozen
:class:`AnalysisResult`: an edit whose effect stops early costs little.
``engine.analyze(graph)`` is a one-shot Analyzer.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

from ..graph import (
    EdgeAdded,
    EdgeRemoved,
    Graph,
    NodeAdded,
    NodeChanged,
    NodeRemoved,
    NodeRenamed,
)
from .passes import NodeOutcome, activation_bytes, analyze_node
from .result import AnalysisResult, Issue

__all__ = ["Analyzer", "analyze"]

#: kinds after which the spatial structure ends (gridding is judged before them)
_SPATIAL_END = {"Flatten", "Linear", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
                "SqueezeExcitation"}


class Analyzer:
    """Keeps the analysis of ``graph`` up to date with minimal recomputation."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self._done: dict[str, NodeOutcome] = {}
        self._dirty: set[str] = set(graph.nodes)
        self._result: AnalysisResult | None = None
        self._order: list[str] | None = None
        self.recomputed = 0  # nodes recomputed by the last result() (for tests/bench)
        self._revision = graph.revision  # the graph's revision this analysis follows
        self._closed = False

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
            self._done.clear()
            self._dirty = set(graph.nodes)
            self._order = None
            self._result = None
            return
        for changes in batches:
            for ev in changes:
                self._on_event(ev)

    # -- invalidation ----------------------------------------------------------
    # An edit marks only the node it touches; result() then recomputes a node
    # when it is marked or when one of its sources changed what it passes on
    # (shape, receptive field): an edit whose effect stops early costs little.
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
        elif isinstance(ev, NodeRemoved):
            self._done.pop(ev.node.id, None)
            self._dirty.discard(ev.node.id)
            self._order = None
            self._result = None
        elif isinstance(ev, NodeRenamed):
            self._done.pop(ev.old, None)
            self._dirty.discard(ev.old)
            self._touch(ev.new, structural=True)

    # -- results -----------------------------------------------------------------
    def outcome(self, node_id: str) -> NodeOutcome:
        """Full per-node outcome (normalised params, input shapes, RF state)."""
        self.result()
        return self._done[node_id]

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
        self.recomputed = 0
        with _gc_paused():
            if self._dirty:
                self._recompute()
            self._result = self._assemble(self._order)
        return self._result

    def _recompute(self) -> None:
        """Recompute the marked nodes, in order, and the successors of every node
        whose outcome changed what it passes on."""
        graph, done, pending, order = self.graph, self._done, self._dirty, self._order
        nodes = graph.nodes
        everything = len(pending) == len(order)  # all marked: no need to follow edges
        shared: dict = {}  # catalogue answers shared by identical layers of this pass
        for nid in order:
            if nid not in pending:
                continue
            old = done.get(nid)
            new = done[nid] = analyze_node(graph, nodes[nid], done, shared)
            self.recomputed += 1
            if not everything and (old is None or _passes_on(old) != _passes_on(new)):
                for e in graph.successors(nid):
                    pending.add(e.dst)
        pending.clear()

    def _assemble(self, order: list[str]) -> AnalysisResult:
        done = self._done
        errors: list[Issue] = []
        warnings: list[Issue] = []
        nodes = {}
        params = macs = act = 0
        for nid in order:
            o = done[nid]
            r = o.result
            nodes[nid] = r
            if r.shape is None:  # failed or blocked: no cost, no warnings
                if r.error:
                    errors.append(r.error)
                continue
            if o.warnings:
                warnings.extend(o.warnings)
            params += r.params
            macs += r.macs
            act += activation_bytes(r.shape)
            for input_id, st in o.rf.items():
                if st.holes and self._ends_spatial_path(nid):
                    warnings.append(_gridding(nid, input_id, st.holes))
        if not any(n.type == "Input" for n in self.graph.nodes.values()):
            errors.insert(0, Issue(None, None, "the graph has no Input node"))
        return AnalysisResult(nodes, tuple(errors), tuple(warnings), params, macs, act)

    def _ends_spatial_path(self, nid: str) -> bool:
        """Whether the spatial part of a path ends at ``nid`` (an output, or a global
        or flattening layer next): where holes in its receptive field are warned."""
        succ = self.graph.successors(nid)
        return not succ or any(self.graph.nodes[e.dst].type in _SPATIAL_END for e in succ)


def _gridding(nid: str, input_id: str, axes) -> Issue:
    text = ", ".join(f"{ax}: {r} of {s}" for ax, (r, s) in axes)
    return Issue(nid, None, (
        f"{nid}: the receptive field has holes (gridding): only some input "
        f"pixels reach each output ({text}, relative to {input_id}); mix "
        "dilation rates without a common factor, e.g. 1, 2, 5 (HDC)"))


@contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector while the analysis runs.

    The analysis builds thousands of small, acyclic objects that all live until
    it ends (the outcomes); while they pile up the collector would move them to
    its oldest generation, and every few analyses run a full collection of the
    whole process (about 200 ms with torch imported, every 5 to 10 analyses of a
    1000-node graph). Paused, they meet one young collection afterwards, and die
    there when the result is dropped. Reference counting frees them as usual; the
    collector resumes as it was (it is left alone if someone else paused it).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _passes_on(o: NodeOutcome):
    """What successors read from an outcome: if unchanged, they need no update."""
    return (o.result.shape, o.ins.shapes if o.ins else None, o.rf)


def analyze(graph: Graph) -> AnalysisResult:
    """Analyse ``graph`` once; never raises for a bad graph (errors are in the result)."""
    with _gc_paused():  # until the outcomes are gone too: only the result is left to scan
        an = Analyzer(graph)
        try:
            result = an.result()
        finally:
            an.close()
        del an
    return result
