"""Measuring one check of a rubric on a design's analysis (rubric.md, ``what``).

:func:`measure` returns a :class:`Measure`: the value measured (JSON-ready:
a bool, a number or a shape as a list) or, when the measure cannot be taken,
None and the reason. Measures of the whole design (``total_params``,
``total_macs``, ``rf_size`` without ``node``, ``no_warning``) cannot be taken
on a graph with errors: the analysis of the nodes past an error is missing,
so a total or a "no warning" would flatter a broken design. Measures of one
node (``input_shape``, ``output_shape``, ``node_shape``, ``rf_size`` with
``node``) need only that node's analysis; ``valid`` and ``count_type`` can
always be taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..analysis import AnalysisResult, analyze
from ..catalogue import fmt_shape
from ..graph import Graph
from .rubric import Check

__all__ = ["Design", "Measure", "measure"]

INPUT = "Input"


@dataclass(frozen=True)
class Measure:
    """What a check measured: ``value`` (None when it cannot be taken, then ``why``)
    and ``text``, the value for people (``"3×32×32"``, ``"31"``)."""

    value: Any
    text: str = ""
    why: str | None = None

    @property
    def taken(self) -> bool:
        """Whether the measure could be taken."""
        return self.why is None


def _missing(why: str) -> Measure:
    return Measure(None, "", why)


class Design:
    """A graph and its analysis, with the facts several checks share (computed once)."""

    def __init__(self, graph: Graph, result: AnalysisResult | None = None):
        self.graph = graph
        self.result = result if result is not None else analyze(graph)

    @cached_property
    def inputs(self) -> list[str]:
        """Ids of the Input nodes, in file order."""
        return [n.id for n in self.graph if n.type == INPUT]

    @cached_property
    def outputs(self) -> list[str]:
        """Ids of the nodes without successors, in file order."""
        fed = {e.src for e in self.graph.edges}
        return [n.id for n in self.graph if n.id not in fed]

    def first_error(self) -> str:
        """The first error's message (the graph has errors)."""
        errors = self.result.errors
        return errors[0].message + (f" (and {len(errors) - 1} more)" if len(errors) > 1
                                    else "")

    def whole(self) -> str | None:
        """Why a measure of the whole design cannot be taken (None: it can)."""
        if self.result.errors:
            return f"cannot be measured: the graph has errors: {self.first_error()}"
        return None

    def _upstream_error(self, node_id: str) -> str | None:
        seen, todo = {node_id}, [node_id]
        while todo:
            nid = todo.pop()
            for src in self.graph.inputs_of(nid).values():
                if src not in seen:
                    seen.add(src)
                    todo.append(src)
        for e in self.result.errors:
            if e.node in seen and e.node != node_id:
                return f"{e.node}: {e.message}"
        return None

    def node_missing(self, node_id: str, what: str) -> str:
        """Why ``node_id``'s ``what`` (shape, receptive field) cannot be measured."""
        if node_id not in self.result.nodes:
            return f'cannot be measured: there is no node "{node_id}"'
        own = self.result.nodes[node_id].error
        if own is not None:
            return f"cannot be measured: node {node_id} has an error: {own.message}"
        upstream = self._upstream_error(node_id)
        if upstream is not None:
            return (f"cannot be measured: node {node_id} has no {what} because of an error "
                    f"upstream ({upstream})")
        return f"cannot be measured: node {node_id} has no {what}"


def _shape(design: Design, node_id: str) -> Measure:
    if node_id not in design.result.nodes:
        return _missing(design.node_missing(node_id, "shape"))
    shape = design.result.nodes[node_id].shape
    if shape is None:
        return _missing(design.node_missing(node_id, "shape"))
    return Measure(list(shape), fmt_shape(shape))


def _single(design: Design, ids: list[str], role: str) -> Measure:
    if len(ids) != 1:
        if not ids:
            return _missing(f"cannot be measured: the graph has no {role} node")
        shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
        return _missing(f"cannot be measured: the graph has {len(ids)} {role} nodes "
                        f"({shown}); the check needs exactly one")
    return _shape(design, ids[0])


def _rf_of(design: Design, node_id: str) -> Measure:
    res = design.result.nodes.get(node_id)
    if res is None or res.shape is None:
        return _missing(design.node_missing(node_id, "receptive field"))
    if res.rf is None:
        return _missing(f"cannot be measured: the receptive field of {node_id} is unknown "
                        "(an Opaque node lies upstream)")
    size = max(res.rf.size)
    return Measure(size, f"{size} (global)" if res.rf.is_global else str(size))


def _largest_rf(design: Design) -> Measure:
    why = design.whole()
    if why:
        return _missing(why)
    best, where = None, ""
    for res in design.result.nodes.values():
        rf = res.rf
        if rf is not None and not rf.is_global and rf.size:
            size = max(rf.size)
            if best is None or size > best:
                best, where = size, res.id
    if best is None:
        return _missing("cannot be measured: no node has a non-global receptive field")
    return Measure(best, f"{best} at {where}")


def _total(design: Design, value: int, unit: str) -> Measure:
    why = design.whole()
    return _missing(why) if why else Measure(value, f"{value:,} {unit}")


def _warnings(design: Design, kind: str | None) -> Measure:
    why = design.whole()
    if why:
        return _missing(why)
    found = [w for w in design.result.warnings if kind is None or w.kind == kind]
    if not found:
        return Measure(0, f"no {kind} warning" if kind else "no warning")
    label = f"{kind} warning" if kind else "warning"
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return Measure(len(found), f"{len(found)} {label}{'s' if len(found) > 1 else ''}: "
                   f"{found[0].message}{more}")


def measure(check: Check, design: Design) -> Measure:
    """Measure ``check.what`` on ``design`` (see the module's docstring)."""
    what, result = check.what, design.result
    if what == "valid":
        if result.valid:
            return Measure(True, "valid")
        n = len(result.errors)
        return Measure(False, f"{n} error{'s' if n > 1 else ''}: {design.first_error()}")
    if what == "input_shape":
        return _single(design, design.inputs, "Input")
    if what == "output_shape":
        return _single(design, design.outputs, "output")
    if what == "node_shape":
        return _shape(design, check.node)
    if what == "rf_size":
        return _rf_of(design, check.node) if check.node else _largest_rf(design)
    if what == "total_params":
        return _total(design, result.total_params, "params")
    if what == "total_macs":
        return _total(design, result.total_macs, "MACs")
    if what == "count_type":
        count = sum(1 for n in design.graph if n.type == check.type)
        return Measure(count, f"{count} × {check.type}")
    if what == "no_warning":
        return _warnings(design, check.kind)
    raise ValueError(f"unknown what {what!r}")  # the rubric parser rejects it first
