"""The mechanics of a graph's node, or of one layer given by free parameters.

:func:`for_layer` builds the smallest graph that holds the layer (Input → layer;
for an unpooling Input → pool → unpool) and analyses it, so that an impossible
parameter set is refused with the engine's own message; :func:`for_node` reads
a node's parameters and input from the analysis. Both raise
:class:`MechanicsError` (``message`` is one line, ``param`` names the parameter).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..analysis import Analyzer
from ..catalogue import CATALOGUE
from ..graph import Graph, GraphEditError
from .build import explainable_types, mechanics, mechanism_of
from .grid import Mechanics

__all__ = ["MechanicsError", "for_layer", "for_node"]


class MechanicsError(ValueError):
    """Parameters or a node whose mechanics cannot be shown; one line, the engine's."""

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param


def for_node(graph: Graph, node_id: str,
             changes: Mapping[str, Any] | None = None) -> Mechanics:
    """The mechanics of ``node_id`` as the analysis sees it; ``changes`` are parameter
    changes tried on a copy of the graph first (the graph itself is not touched)."""
    if node_id not in graph:
        raise MechanicsError(f"no node {node_id!r} in the graph")
    kind = graph.node(node_id).kind
    if mechanism_of(kind) is None:
        raise MechanicsError(f"{node_id} is a {kind.type}: explain shows "
                             f"{', '.join(explainable_types())}")
    if changes:
        graph = graph.copy()
        try:
            graph.set_params(node_id, changes)
        except GraphEditError as exc:
            raise MechanicsError(exc.message, exc.param) from None
    return _explain(Analyzer(graph), node_id)


def for_layer(type_name: str, params: Mapping[str, Any], input_size: tuple[int, int],
              in_channels: int = 1) -> Mechanics:
    """The mechanics of a ``type_name`` layer with ``params`` on a ``C×H×W`` input.

    For an unpooling layer ``input_size`` is the size of the pooled map it reads; its
    pool (same window) starts from ``(n − 1)·s − 2·p + k``. Messages name the layer by
    its type rather than by the node id of the throw-away graph.
    """
    kind = CATALOGUE.get(type_name)
    if kind is None or mechanism_of(kind) is None:
        what = "unknown layer type" if kind is None else "no index structure to show for"
        raise MechanicsError(f"{what} {type_name!r} (explain knows "
                             f"{', '.join(explainable_types())})")
    h, w = input_size
    g = Graph("explain")
    try:
        if mechanism_of(kind) == "unpool":
            pool_params = {"kernel_size": params.get("kernel_size", (2, 2)),
                           "stride": params.get("stride"),
                           "padding": params.get("padding", (0, 0))}
            maker = next(t for t, k in CATALOGUE.items()
                         if k.makes_indices and mechanism_of(k))
            norm = CATALOGUE[maker].normalise(pool_params)
            k, s, p = norm["kernel_size"], norm["stride"] or norm["kernel_size"], \
                norm["padding"]
            h, w = ((n - 1) * ss - 2 * pp + kk for n, kk, ss, pp in zip((h, w), k, s, p,
                                                                        strict=True))
        g.add_node("Input", {"channels": in_channels, "height": h, "width": w}, "input")
        src = "input"
        if mechanism_of(kind) == "unpool":
            g.add_node(maker, pool_params, "pool")
            g.connect("input", "pool")
            src = "pool"
        node = g.add_node(type_name, dict(params), "layer")
        g.connect(src, node, 0)
        if mechanism_of(kind) == "unpool":
            g.connect(src, node, 1)
    except GraphEditError as exc:
        raise MechanicsError(_named(exc.message, type_name), exc.param) from None
    except (ValueError, TypeError) as exc:  # the pool's own parameter check
        raise MechanicsError(_named(getattr(exc, "message", str(exc)), type_name),
                             getattr(exc, "param", None)) from None
    try:
        return _explain(Analyzer(g), node)
    except MechanicsError as exc:
        raise MechanicsError(_named(exc.message, type_name), exc.param) from None


def _named(message: str, type_name: str) -> str:
    """``layer: kernel 5 exceeds…`` → ``Conv2d: kernel 5 exceeds…``."""
    prefix = "layer: "
    return type_name + ": " + message[len(prefix):] if message.startswith(prefix) else message


def _explain(analyzer: Analyzer, node_id: str) -> Mechanics:
    result = analyzer.result()
    out = analyzer.outcome(node_id)
    if out.result.error is not None:
        raise MechanicsError(out.result.error.message, out.result.error.param)
    if out.ins is None or out.shape is None:
        first = result.errors[0].message if result.errors else "no input"
        raise MechanicsError(f"{node_id}: no input shape ({first})")
    try:
        return mechanics(out.node.kind, out.params, out.ins, out.shape)
    except ValueError as exc:
        raise MechanicsError(str(exc)) from None
