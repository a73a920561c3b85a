"""Generated graphs for benchmarks and tests (pure engine: no Qt, no torch).

:func:`make_chain_graph` builds a valid conv net of exactly ``n`` nodes that
exercises most of the canvas: plain conv/BN/ReLU stages, residual blocks
(``Add``), two-branch blocks (``Concat``) and dilated convs. Every conv keeps
the spatial size (padding), so the net stays valid for any ``n``.
:func:`make_fan_graph` builds the 237-node graph with one 63-way fan of issue 16.
``bench/make_graphs.py`` writes both to ``bench/graphs/`` so that every bench
measures the same files.
"""

from __future__ import annotations

from engine import Graph

__all__ = ["make_chain_graph", "make_fan_graph"]

ROW, COL = 120.0, 230.0


class _Builder:
    def __init__(self, graph: Graph, n: int):
        self.g, self.n, self.row = graph, n, 0

    def full(self) -> bool:
        return len(self.g) >= self.n

    def add(self, type_name: str, params: dict | None = None, src: str | None = None,
            x: float = 0.0, port: int = 0) -> str | None:
        if self.full():
            return None
        nid = self.g.add_node(type_name, params or {}, pos=(x, self.row * ROW))
        if src is not None:
            self.g.connect(src, nid, port)
        return nid

    def next_row(self) -> None:
        self.row += 1


def make_chain_graph(n: int, channels: int = 16, size: int = 64) -> Graph:
    """A valid ``n``-node conv net with branches and merges, laid out top-down.

    Parameters
    ----------
    n : int
        Exact number of nodes (at least 1).
    channels : int
        Channel count kept through the net.
    size : int
        Height and width of the Input.
    """
    g = Graph(f"Generated chain ({n} nodes)")
    b = _Builder(g, n)
    cur = b.add("Input", {"channels": 3, "height": size, "width": size})
    b.next_row()
    cur = _stage(b, cur, channels) or cur
    block = 0
    while not b.full():
        kind = block % 4
        block += 1
        if kind == 0:
            nxt = _residual(b, cur, channels)
        elif kind == 1:
            nxt = _two_branch(b, cur, channels)
        elif kind == 2:
            nxt = _stage(b, cur, channels, dilation=2)
        else:
            nxt = _stage(b, cur, channels)
        cur = nxt or cur
    return g


def _stage(b: _Builder, cur: str, c: int, dilation: int = 1) -> str | None:
    """conv 3×3 (same size) → BN → ReLU."""
    conv = b.add("Conv2d", {"out_channels": c, "kernel_size": 3, "padding": dilation,
                            "dilation": dilation}, cur)
    b.next_row()
    bn = b.add("BatchNorm2d", {}, conv)
    b.next_row()
    relu = b.add("ReLU", {}, bn)
    b.next_row()
    return relu or bn or conv


def _residual(b: _Builder, cur: str, c: int) -> str | None:
    """Two conv/BN stages and an Add with the block's input (a ResNet basic block)."""
    last = None
    x = cur
    for i in range(2):
        conv = b.add("Conv2d", {"out_channels": c, "kernel_size": 3, "padding": 1}, x)
        b.next_row()
        bn = b.add("BatchNorm2d", {}, conv)
        b.next_row()
        last = bn or conv
        if bn is None:
            return last
        x = bn
        if i == 0:
            relu = b.add("ReLU", {}, bn)
            b.next_row()
            if relu is None:
                return bn
            x = relu
    add = b.add("Add", {}, x, port=0)
    if add is None:
        return last
    b.g.connect(cur, add, 1)
    b.next_row()
    relu = b.add("ReLU", {}, add)
    b.next_row()
    return relu or add


def _two_branch(b: _Builder, cur: str, c: int) -> str | None:
    """A 1×1 and a 3×3 conv side by side, concatenated (an Inception-style block)."""
    left = b.add("Conv2d", {"out_channels": c // 2, "kernel_size": 1}, cur, x=-COL / 2)
    right = b.add("Conv2d", {"out_channels": c - c // 2, "kernel_size": 3, "padding": 1},
                  cur, x=COL / 2)
    b.next_row()
    if right is None:
        return left
    cat = b.add("Concat", {}, left, port=0)
    if cat is None:
        return right  # a dangling branch is still a valid output
    b.g.connect(right, cat, 1)
    b.next_row()
    return cat


def make_fan_graph(ways: int = 63, tail: int = 43, channels: int = 8, size: int = 32) -> Graph:
    """A stem, one hub feeding ``ways`` conv/BN/ReLU branches, one Concat, then a tail.

    With the defaults: 4 stem nodes + 63 × 3 branch nodes + 1 Concat + 43 tail
    nodes = 237 nodes, the hub (``hub``) with 63 outgoing edges and the Concat
    with 63 incoming ones (the 63-way fan of issue 16).
    """
    g = Graph(f"Generated {ways}-way fan")
    b = _Builder(g, 4 + 3 * ways + 1 + tail)
    cur = b.add("Input", {"channels": 3, "height": size, "width": size})
    b.next_row()
    cur = _stage(b, cur, channels)
    hub = "hub"
    g.rename(cur, hub)
    ends = []
    first = b.row
    for i in range(ways):
        x = (i - (ways - 1) / 2) * COL
        src = hub
        for type_name, params in (("Conv2d", {"out_channels": channels, "kernel_size": 1}),
                                  ("BatchNorm2d", {}), ("ReLU", {})):
            src = b.add(type_name, params, src, x=x)
            b.next_row()
        ends.append(src)
        b.row = first
    b.row = first + 3
    cat = b.add("Concat", {})
    for port, end in enumerate(ends):
        g.connect(end, cat, port)
    b.next_row()
    cur = cat
    while not b.full():
        cur = _stage(b, cur, channels) or cur
    return g
