"""From the intermediate form to a graph, its groups, weights and report (torch-free).

Steps: fold patterns (:mod:`.fold`), name the ops (:mod:`.naming`), build the
:class:`~engine.graph.Graph`, check every node's analysed shape against its traced
shape (a node whose mapping the analysis does not confirm becomes ``Opaque``, so a
graph is never wrong silently), then groups (:mod:`.groups`) and positions
(:mod:`.layout`). Weights stay as the readers gave them (arrays or tensors), keyed
``<node id>.<name>`` as the runtime's ``state_dict``.
"""

from __future__ import annotations

from ..analysis import Analyzer
from ..catalogue.interchange import T
from ..graph import Graph, GraphEditError
from .fold import _opaque_params, fold_all
from .groups import make_groups
from .ir import Net, Op
from .layout import layout
from .naming import assign_ids
from .report import Report

__all__ = ["assemble"]


def _build(net: Net, ids: dict[str, str], pos=None) -> Graph:
    g = Graph(net.name)
    with g.batch():
        for key, op in net.ops.items():
            g.add_node(op.type, op.params, ids[key], (pos or {}).get(key))
        for key, op in net.ops.items():
            for port, src in enumerate(op.inputs):
                g.connect(ids[src], ids[key], port)
    g.forget_history()
    return g


def _to_opaque(net: Net, key: str, why: str) -> None:
    op = net.ops[key]
    count = op.param_count or sum(_numel(w) for w in op.weights.values())
    net.ops[key] = Op(key, T.opaque, _opaque_params(op.type, Op(
        key, op.type, {}, [], op.shape, param_count=count)), op.inputs, op.shape,
        path=op.path, hint=op.hint, owned=op.owned, param_count=count)
    net.mark(key, "opaque", why)


def _numel(w) -> int:
    n = 1
    for s in w.shape:
        n *= int(s)
    return n


def _verify(net: Net, ids: dict[str, str]) -> Graph:
    """Build the graph; ops whose node the analysis refuses or shapes otherwise become
    Opaque (repeated until the analysis agrees everywhere)."""
    for _ in range(len(net.ops) + 1):
        for key, op in list(net.ops.items()):
            try:
                Graph().add_node(op.type, op.params, "probe")
            except GraphEditError as exc:
                _to_opaque(net, key, f"{op.type}: {exc.message}")
        graph = _build(net, ids)
        an = Analyzer(graph)
        try:
            result = an.result()
        finally:
            an.close()
        bad = []
        for key, op in net.ops.items():
            node = result.nodes.get(ids[key])
            err = [e.message for e in result.errors if e.node == ids[key]]
            if op.type != T.opaque and (err or node is None or node.shape is not None and
                                        tuple(node.shape) != tuple(op.shape)):
                if node is not None and node.shape is None and not err:
                    continue  # downstream of an error: judged at its source
                got = "error: " + err[0] if err else f"shape {node.shape}"
                bad.append((key, f"{op.type} does not reproduce the traced shape "
                            f"{list(op.shape)} ({got})"))
        if not bad:
            return graph
        for key, why in bad:
            _to_opaque(net, key, why)
    raise RuntimeError("internal: the import did not settle")


def assemble(net: Net, source: str, how: str, classes: dict[str, str] | None = None):
    """``(graph, groups, weights, report)`` of an imported ``net``."""
    fold_all(net)
    ids = assign_ids(net)
    graph = _verify(net, ids)
    order = list(net.ops)
    pos = layout([ids[k] for k in order],
                 {ids[k]: [ids[s] for s in net.ops[k].inputs] for k in order})
    for nid, xy in pos.items():
        graph.move(nid, xy)
    graph.forget_history()
    groups = make_groups(net, ids, classes)
    weights = {f"{ids[k]}.{name}": w for k, op in net.ops.items() if op.type != T.opaque
               for name, w in op.weights.items()}
    report = Report(source, how, nodes=len(net.ops),
                    opaque_nodes=[ids[k] for k, op in net.ops.items() if op.type == T.opaque])
    for rec in net.records:
        report.operations.append({"source": rec.source, "op": rec.op, "status": rec.status,
                                  "node": ids.get(rec.key), "note": rec.note})
    return graph, groups, weights, report
