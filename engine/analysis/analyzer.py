"""The incremental analysis driver.

An :class:`Analyzer` subscribes to a :class:`~engine.graph.Graph`; each change
event marks the touched node and its descendants dirty, and :meth:`result`
recomputes only those (in topological order) before assembling the frozen
:class:`AnalysisResult`. ``engine.analyze(graph)`` is a one-shot Analyzer.
"""

from __future__ import annotations

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
        self._params: dict = {}
        self._result: AnalysisResult | None = None
        self._order: list[str] | None = None
        self.recomputed = 0  # nodes recomputed by the last result() (for tests/bench)
        self._unsubscribe = graph.subscribe(self._on_event)

    def close(self) -> None:
        self._unsubscribe()

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
            self._params.pop(id(ev.old), None)
            self._touch(ev.new.id)
        elif isinstance(ev, (EdgeAdded, EdgeRemoved)):
            self._touch(ev.edge.dst, structural=True)
        elif isinstance(ev, NodeAdded):
            self._touch(ev.node.id, structural=True)
        elif isinstance(ev, NodeRemoved):
            self._done.pop(ev.node.id, None)
            self._params.pop(id(ev.node), None)
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
        if self._result is not None:
            return self._result
        graph = self.graph
        if self._order is None:
            self._order = graph.topo_order()
        order = self._order
        self.recomputed = 0
        if self._dirty:
            changed: set[str] = set()
            done = self._done
            for nid in order:
                if nid not in self._dirty and not (
                        changed and any(s in changed for s in graph.inputs_of(nid).values())):
                    continue
                old = done.get(nid)
                new = done[nid] = analyze_node(graph, graph.nodes[nid], done, self._params)
                self.recomputed += 1
                if old is None or _passes_on(old) != _passes_on(new):
                    changed.add(nid)
            self._dirty.clear()
        self._result = self._assemble(order)
        return self._result

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
            if r.error:
                errors.append(r.error)
            warnings.extend(o.warnings)
            if r.params is not None:
                params += r.params
                macs += r.macs
                act += activation_bytes(r.shape)
            if r.shape is not None and o.rf:
                warnings.extend(self._gridding(nid, o))
        if not any(n.type == "Input" for n in self.graph.nodes.values()):
            errors.insert(0, Issue(None, None, "the graph has no Input node"))
        return AnalysisResult(nodes, tuple(errors), tuple(warnings), params, macs, act)

    def _gridding(self, nid: str, o: NodeOutcome) -> list[Issue]:
        succ = self.graph.successors(nid)
        if succ and not any(self.graph.nodes[e.dst].type in _SPATIAL_END for e in succ):
            return []
        out = []
        for input_id, st in o.rf.items():
            if st.is_global:
                continue
            holes = [(ax, h) for ax, m in zip("DHW"[-len(st.maps):], st.maps, strict=True)
                     if (h := m.holes())]
            if holes:
                text = ", ".join(f"{ax}: {r} of {s}" for ax, (r, s) in holes)
                out.append(Issue(nid, None, (
                    f"{nid}: the receptive field has holes (gridding): only some input "
                    f"pixels reach each output ({text}, relative to {input_id}); mix "
                    "dilation rates without a common factor, e.g. 1, 2, 5 (HDC)")))
        return out


def _passes_on(o: NodeOutcome):
    """What successors read from an outcome: if unchanged, they need no update."""
    return (o.result.shape, o.ins.shapes if o.ins else None, o.rf)


def analyze(graph: Graph) -> AnalysisResult:
    """Analyse ``graph`` once; never raises for a bad graph (errors are in the result)."""
    an = Analyzer(graph)
    try:
        return an.result()
    finally:
        an.close()
