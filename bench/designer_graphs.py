"""Graphs the designer's benchmarks open (pure engine: no Qt, no torch).

* :func:`make_branching_graph`: ``bench.graphs.make_chain_graph`` (residual
  blocks, two-branch blocks, dilated stages) *without positions*, so opening
  it lays it out as the designer does for an imported graph.
The 63-way fan is ``bench/graphs/fan63.convgraph.json``
(``bench.graphs.make_fan_graph``), shared with the engine's benchmarks.
"""

from __future__ import annotations

from engine import Graph

from .graphs import make_chain_graph

__all__ = ["make_branching_graph"]


def make_branching_graph(n: int) -> Graph:
    """``make_chain_graph(n)`` with every position removed (laid out on open)."""
    g = make_chain_graph(n)
    for nid in list(g.nodes):
        g.move(nid, None)
    g.forget_history()
    return g
