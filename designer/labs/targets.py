"""The nodes a check is about: clicking a checklist row selects them.

* a check with ``node``: that node;
* ``rf_size`` without ``node``: the node whose receptive field the engine
  measured (the first with that largest non-global size, as the engine's
  text names it);
* ``count_type``: every node of that type;
* ``input_shape`` / ``output_shape``: the Input / output nodes
  (:class:`engine.labs.measure.Design`'s lists);
* ``valid``: the nodes with errors; ``no_warning``: the nodes with such warnings;
* ``total_params`` / ``total_macs``: none (the whole design).

Only nodes of the graph are returned, in graph order, without repeats.
"""

from __future__ import annotations

from engine import AnalysisResult, Graph
from engine.labs import CheckResult
from engine.labs.measure import Design

__all__ = ["check_nodes"]


def _largest_rf(result: AnalysisResult, size) -> list[str]:
    if size is None:
        return []
    for nid, res in result.nodes.items():
        rf = res.rf
        if rf is not None and not rf.is_global and rf.size and max(rf.size) == size:
            return [nid]
    return []


def check_nodes(check: CheckResult, graph: Graph, result: AnalysisResult) -> list[str]:
    """The ids of the nodes ``check`` is about (see the module's docstring)."""
    c = check.check
    if c.node is not None:
        ids = [c.node]
    elif c.what == "rf_size":
        ids = _largest_rf(result, check.measured)
    elif c.what == "count_type":
        ids = [n.id for n in graph if n.type == c.type]
    elif c.what in ("input_shape", "output_shape"):
        design = Design(graph, result)
        ids = design.inputs if c.what == "input_shape" else design.outputs
    elif c.what == "valid":
        ids = [e.node for e in result.errors if e.node]
    elif c.what == "no_warning":
        ids = [w.node for w in result.warnings
               if w.node and (c.kind is None or w.kind == c.kind)]
    else:
        ids = []
    return [nid for nid in dict.fromkeys(ids) if nid in graph.nodes]
