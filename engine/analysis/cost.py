"""Cost pass: learnable parameters and multiply-accumulates of every node.

A node's cost depends on its own layer only (kind, parameters, inputs, output):
the pass recomputes exactly the nodes the shape pass recomputed and follows no
edges. The driver sums the totals.
"""

from __future__ import annotations

from math import prod

from .facts import Facts, walk_order

__all__ = ["cost_pass", "activation_bytes"]


def cost_pass(facts: Facts, todo: set[str]) -> None:
    """Set ``facts.cost`` of the nodes of ``todo`` (the catalogue's
    :class:`~engine.catalogue.base.Cost`, None for a node without a shape) and
    ``facts.act_bytes``."""
    layers, cost, act = facts.layers, facts.cost, facts.act_bytes
    for nid in walk_order(facts, todo):
        layer = layers[nid]
        if layer.out is None:
            cost[nid], act[nid] = None, 0
        else:
            cost[nid], act[nid] = layer.cost(), activation_bytes(layer.out)


def activation_bytes(shape) -> int:
    """Bytes of one float32 activation of ``shape`` (0 without a shape)."""
    return 4 * prod(shape) if shape else 0
