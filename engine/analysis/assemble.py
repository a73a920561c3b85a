"""Assembling the :class:`AnalysisResult` from the passes' facts, at the cost of what changed.

:class:`Assembly` keeps, between analyses of one graph, the results of every
node (in a persistent table, :mod:`.table`), the totals and each node's errors
and warnings. When the topological order is the one of its last result (no
node or edge added or removed), it visits the redone nodes only: their new
:class:`NodeResult`, the totals moved by their differences, and the issue lists
rebuilt from the nodes that have issues, only when one of those changed.
Otherwise it visits every node (the topological sort already did).
"""

from __future__ import annotations

from ..graph import Graph, Node
from .cost import activation_bytes
from .facts import Facts
from .result import AnalysisResult, Issue, NodeResult, node_result
from .table import Versions
from .warnings import gridding

__all__ = ["Assembly"]

#: a node without errors or warnings
_NO_ISSUES: tuple = ((), ())


class Assembly:
    """Builds each :class:`AnalysisResult` of one graph from the last one."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self._results = Versions()
        #: the order of the last result (identity: the driver makes a new list per sort)
        self._order: list[str] | None = None
        self._totals = (0, 0, 0)
        #: ``(errors, warnings)`` per node that has some
        self._issues: dict[str, tuple[tuple[Issue, ...], tuple[Issue, ...]]] = {}
        self._no_input: Issue | None = None
        self._lists: tuple[tuple[Issue, ...], tuple[Issue, ...]] = ((), ())
        #: whether a :meth:`state` holds ``_issues`` (then it is copied before a change)
        self._issues_held = False

    def forget(self, node_id: str) -> None:
        """A node left the graph (removed, or renamed away)."""
        self._results.drop(node_id)
        if node_id in self._issues:
            self._own_issues().pop(node_id)

    def _own_issues(self) -> dict:
        """The per-node issues, copied first if a :meth:`state` holds them (copy on write)."""
        if self._issues_held:
            self._issues, self._issues_held = dict(self._issues), False
        return self._issues

    def state(self) -> tuple:
        """What :meth:`restore` needs to come back to the last result (cheap: the
        issues are copied on their next change, not now), and the token of its table."""
        self._issues_held = True
        return (self._order, self._totals, self._issues, self._no_input, self._lists,
                self._results.last)

    def restore(self, facts: Facts, state: tuple) -> AnalysisResult:
        """A result equal to the one :meth:`state` was taken after, which must be the one
        before the last (:mod:`.revert`); ``facts`` must already be as they were then."""
        order, self._totals, self._issues, self._no_input, self._lists, version = state
        self._issues_held = True
        changed = self._results.rewind(version)
        self._order = order
        return self._publish(facts, {nid for nid in changed if nid in facts.rank})

    def result(self, facts: Facts, redone: set[str]) -> AnalysisResult:
        """The result: totals, errors and warnings in node order; the NodeResult of
        the nodes ``redone`` built anew, the others kept."""
        if facts.order is not self._order:
            return self._everything(facts, redone)
        layers, cost, public = facts.layers, facts.cost, facts.rf_public
        results, nodes, issues = self._results, self.graph.nodes, self._issues
        params, macs, act = self._totals
        relist = False
        for nid in redone:
            old = results.get(nid)
            r = _node_result(nodes[nid], layers[nid], cost[nid], public[nid])
            results.put(nid, r)
            if old.shape is not None:
                params, macs, act = (params - old.params, macs - old.macs,
                                     act - activation_bytes(old.shape))
            if r.shape is not None:
                params, macs, act = (params + r.params, macs + r.macs,
                                     act + facts.act_bytes[nid])
            mine = _issues_of(facts, nid, r)
            if mine != issues.get(nid, _NO_ISSUES):
                relist = True
                issues = self._own_issues()
                if mine is _NO_ISSUES:
                    del issues[nid]
                else:
                    issues[nid] = mine
        self._totals = params, macs, act
        if relist:
            self._lists = self._issue_lists(facts)
        return self._publish(facts, redone)

    def _everything(self, facts: Facts, redone: set[str]) -> AnalysisResult:
        """:meth:`result` visiting every node (a new order, or the first result)."""
        layers, cost, public, act_bytes = facts.layers, facts.cost, facts.rf_public, facts.act_bytes
        results, nodes = self._results, self.graph.nodes
        issues: dict = {}
        params = macs = act = 0
        everything = len(redone) >= len(facts.order)
        for nid in facts.order:
            r = None if everything else results.get(nid)
            if r is None or nid in redone:
                r = _node_result(nodes[nid], layers[nid], cost[nid], public[nid])
                results.put(nid, r)
            if r.shape is not None:
                params += r.params
                macs += r.macs
                act += act_bytes[nid]
            if r.shape is None and not r.error:
                continue
            mine = _issues_of(facts, nid, r)
            if mine is not _NO_ISSUES:
                issues[nid] = mine
        self._issues, self._issues_held, self._totals = issues, False, (params, macs, act)
        has_input = any(n.type == "Input" for n in nodes.values())
        self._no_input = None if has_input else Issue(None, None, "the graph has no Input node")
        self._lists = self._issue_lists(facts)
        self._order = facts.order
        return self._publish(facts, redone)

    def _issue_lists(self, facts: Facts) -> tuple[tuple[Issue, ...], tuple[Issue, ...]]:
        """Every node's errors, then warnings, in node (topological) order."""
        errors: list[Issue] = [self._no_input] if self._no_input else []
        warnings: list[Issue] = []
        issues = self._issues
        for nid in sorted(issues, key=facts.rank.__getitem__):
            errs, warns = issues[nid]
            errors.extend(errs)
            warnings.extend(warns)
        return tuple(errors), tuple(warnings)

    def _publish(self, facts: Facts, redone: set[str]) -> AnalysisResult:
        params, macs, act = self._totals
        errors, warnings = self._lists
        return AnalysisResult(self._results.publish(facts.order), errors, warnings,
                              params, macs, act, frozenset(redone))


def _issues_of(facts: Facts, nid: str, r: NodeResult):
    """``(errors, warnings)`` of one node as the result lists them."""
    if r.shape is None:  # failed or blocked: no cost, no warnings
        return ((r.error,), ()) if r.error else _NO_ISSUES
    if nid not in facts.flagged:
        return _NO_ISSUES
    warnings = (*facts.warnings[nid], *gridding(facts, nid))
    return ((), warnings) if warnings else _NO_ISSUES


def _node_result(node: Node, layer, cost, public: dict) -> NodeResult:
    summary = _summary(node.kind, layer.params)
    if layer.out is None:
        return node_result(node.id, node.type, None, None, None, None, {}, summary, layer.error)
    return node_result(node.id, node.type, layer.out, cost.params, cost.macs,
                       next(iter(public.values()), None), public, summary)


#: ``kind.summary`` per parameters dict, by identity (the dict is kept alive with its
#: entry, so an id cannot be reused while it is here). Graphs share one dict between
#: nodes with the same parameters (Node.normalised), and a graph analysed again (a
#: new Analyzer, as the runtime and the exporter make) hits: formatting the summaries
#: is otherwise about 7% of a full analysis.
_SUMMARIES: dict[int, tuple[dict, str]] = {}


def _summary(kind, params: dict | None) -> str:
    if not params:
        return ""
    hit = _SUMMARIES.get(id(params))
    if hit is not None and hit[0] is params:
        return hit[1]
    text = kind.summary(params)
    if len(_SUMMARIES) > 8192:
        _SUMMARIES.clear()
    _SUMMARIES[id(params)] = (params, text)
    return text
