"""What a fix is, how it ties to an analysis issue, and the edits fixes share.

A :class:`Fix` is a value: a title and detail for people, the ``issue`` key it
mends and a function that gives the primitive edits (:mod:`engine.graph.edits`)
for a graph. Applied in one batch (``graph.apply_all(fix.edits(graph))``) they
are undone by their inverses, like every edit of the designer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..analysis import AnalysisResult, analyze
from ..analysis.result import Issue
from ..catalogue import fmt_shape
from ..graph import Connect, Disconnect, Edge, Edit, Graph, InsertNode, Node, SetParams

__all__ = ["Fix", "issue_key", "preview_of", "changed_lines", "mends", "insert_between",
           "set_params", "size_text"]


def issue_key(issue: Issue) -> str:
    """The stable key of an issue: ``"<kind>:<node>:<param>"`` (``kind`` is ``error``
    for errors), e.g. ``"error:add1:"``, ``"stride_drops:conv2:stride"``.

    Issues of one node of one kind and parameter (a stride warning per axis) share
    a key and its fixes.
    """
    return f"{issue.kind or 'error'}:{issue.node or ''}:{issue.param or ''}"


@dataclass(frozen=True)
class Fix:
    """One way to mend an issue.

    Attributes
    ----------
    key : str
        Stable id of the fix: ``"<issue key>|<kind>|<what>"``.
    issue : str
        The :func:`issue_key` of the issue it mends.
    kind : str
        ``target_size``, ``output_padding``, ``crop``, ``pad``, ``padding``,
        ``projection``, ``keep_pixels``, ``hdc``, ``fit_kernel`` or ``fit_padding``.
    node : str
        The node the issue is at (the designer's Problems list and card show it).
    title : str
        One line, e.g. ``Insert Crop2d before add1 (crops 33×33 → 32×32)``.
    detail : str
        What it changes and why, for a tooltip.
    """

    key: str
    issue: str
    kind: str
    node: str
    title: str
    detail: str
    make: Callable[[Graph], list[Edit]] = field(repr=False, compare=False)

    def edits(self, graph: Graph) -> list[Edit]:
        """The primitive edits that apply the fix to ``graph`` (apply them in one batch:
        ``inverses = graph.apply_all(fix.edits(graph))``)."""
        return self.make(graph)

    def apply(self, graph: Graph) -> list[Edit]:
        """Apply the fix in one batch; returns the inverses (undo:
        ``graph.apply_all(reversed(inverses))``)."""
        return graph.apply_all(self.edits(graph))

    def preview(self, graph: Graph) -> AnalysisResult:
        """The analysis the graph would have with the fix applied (on a copy: shapes and
        receptive fields it would give); ``graph`` is not touched."""
        return preview_of(graph, self.edits(graph))


    def preview_text(self, graph: Graph, result: AnalysisResult, limit: int = 6) -> str:
        """What the fix would change, one line per node whose shape or receptive field
        changes (for the hover preview), e.g. ``add1: ? → 4×16×16 · RF 7×7 · j 1``."""
        return "\n".join(changed_lines(result, self.preview(graph), limit))


def _node_text(n) -> str:
    if n is None:
        return "(none)"
    if n.shape is None:
        return "?"
    return fmt_shape(n.shape) + (f" · {n.rf.label()}" if n.rf is not None else "")


def changed_lines(before: AnalysisResult, after: AnalysisResult, limit: int = 6) -> list[str]:
    """``node: before → after`` for the nodes whose shape or receptive field differ
    (new nodes too), in the order of ``after``; at most ``limit`` lines and a count."""
    lines = []
    for nid, n in after.nodes.items():
        old = before.nodes.get(nid)
        a, b = _node_text(old), _node_text(n)
        if a != b:
            lines.append(f"{nid}: {a} → {b}")
    if len(lines) > limit:
        lines = [*lines[:limit], f"… and {len(lines) - limit} more"]
    return lines


def preview_of(graph: Graph, edits: list[Edit]) -> AnalysisResult:
    """The analysis of a copy of ``graph`` with ``edits`` applied."""
    copy = graph.copy()
    copy.apply_all(edits)
    return analyze(copy)


def _keys(issues) -> set[str]:
    return {issue_key(i) for i in issues}


def mends(graph: Graph, result: AnalysisResult, key: str, edits: list[Edit]) -> bool:
    """Whether ``edits`` make the issue ``key`` go away and bring no new error (the
    check every offered fix passes)."""
    try:
        after = preview_of(graph, edits)
    except Exception:  # an edit the model refuses (GraphEditError): not a fix
        return False
    before_errors = _keys(result.errors)
    if key in _keys(after.errors) | _keys(after.warnings):
        return False
    return _keys(after.errors) <= before_errors


def set_params(graph: Graph, node_id: str, changes: dict[str, Any]) -> list[Edit]:
    """The edit that sets (None: resets) parameters of ``node_id``."""
    return [SetParams.of(node_id, graph.params_after(node_id, changes))]


def insert_between(graph: Graph, src: str, dst: str, port: int,
                   chain: list[tuple[str, str, dict[str, Any]]]) -> list[Edit]:
    """Edits that put ``chain`` (``(id, type, params)`` nodes, in order) on the edge
    ``src → dst:port``: the edge goes, the nodes come, placed between the two cards,
    and the new last edge takes the old one's place in the edge order."""
    old = Edge(src, dst, port)
    index = graph.edges.index(old)
    a, b = graph.nodes[src].pos, graph.nodes[dst].pos
    edits: list[Edit] = [Disconnect(old)]
    prev = src
    for i, (nid, type_name, params) in enumerate(chain):
        pos = None
        if a is not None and b is not None:
            t = (i + 1) / (len(chain) + 1)
            pos = (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
        edits.append(InsertNode(Node(nid, type_name, params, pos)))
        edits.append(Connect(Edge(prev, nid, 0)))
        prev = nid
    edits.append(Connect(Edge(prev, dst, port), index))
    return edits


def size_text(shape) -> str:
    """``33×33`` for the spatial part of a shape (``C×H×W`` → ``H×W``)."""
    return fmt_shape(tuple(shape[1:])) if shape and len(shape) > 1 else fmt_shape(shape)
