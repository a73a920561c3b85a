"""Why a connection would be refused, in words a user can act on.

The engine refuses what breaks the graph (a cycle, a taken slot, an Input's
missing input slot); :func:`connection_problem` adds the path of the cycle and
refuses a *type* mismatch too: a tensor whose kind the target can never take
(a flat vector into a convolution, a 3D volume into a 2D layer, indices that
do not come from a MaxPool2d). Mismatched sizes are accepted: they show as an
error on the node, which the user may fix by editing a parameter next.
"""

from __future__ import annotations

from collections import deque

from engine import Graph
from engine.catalogue import Inputs, LayerError

__all__ = ["connection_problem", "cycle_path"]


def cycle_path(graph: Graph, src: str, dst: str) -> list[str] | None:
    """The existing path ``dst → … → src`` that the edge ``src → dst`` would close."""
    if src == dst:
        return [src]
    prev: dict[str, str | None] = {dst: None}
    queue = deque([dst])
    while queue:
        v = queue.popleft()
        if v == src:
            path = [v]
            while prev[path[-1]] is not None:
                path.append(prev[path[-1]])
            return path[::-1]
        for e in graph.successors(v):
            if e.dst not in prev:
                prev[e.dst] = v
                queue.append(e.dst)
    return None


def connection_problem(doc, src: str, dst: str, port: int) -> str | None:
    """Why ``src → dst:port`` cannot be made (None when it can).

    Parameters
    ----------
    doc : Document
        Gives the graph and its analysis (shapes arriving at ``dst``).
    """
    graph = doc.graph
    why = graph.can_connect(src, dst, port)
    if why is not None:
        if "cycle" in why:
            path = cycle_path(graph, src, dst)
            if path is not None and len(path) > 1:
                loop = " → ".join([*path, path[0]])
                return f"{src} → {dst} would make a cycle: {loop}"
            return f"{src} → {dst} would make a cycle: a node cannot feed itself"
        return why
    return _type_mismatch(doc, src, dst, port)


def _type_mismatch(doc, src: str, dst: str, port: int) -> str | None:
    graph = doc.graph
    kind = graph.nodes[dst].kind
    if kind.max_inputs != 1 and not kind.slots:
        return None  # merges: size mismatches are reported on the node
    result = doc.result()
    ports = dict(graph.inputs_of(dst))
    ports[port] = src
    if any(i not in ports for i in range(max(kind.min_inputs, max(ports) + 1))):
        return None  # not all slots known yet
    shapes, types, src_in = [], [], []
    for i in range(max(ports) + 1):
        r = result.nodes.get(ports[i])
        if r is None or r.shape is None:
            return None
        shapes.append(r.shape)
        types.append(r.type)
        outcome = doc.analyzer.outcome(ports[i])
        src_in.append(outcome.ins.shapes if outcome.ins is not None else ())
    params = doc.analyzer.outcome(dst).params
    if params is None:
        return None
    try:
        kind.infer(params, Inputs(tuple(shapes), tuple(types), tuple(src_in)))
    except LayerError as exc:
        if exc.param is None:  # about the incoming tensor, not a parameter
            return f"type mismatch: {dst} ({kind.title}) cannot take {src}: {exc.message}"
    return None
