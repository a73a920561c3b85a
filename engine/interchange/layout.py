"""Positions for imported graphs: top to bottom, branches side by side (torch-free).

Rows by longest path from the inputs, so every node sits below its sources. Within a
row, a node takes the column of its slot-0 source when that is free (a chain stays
straight), else the nearest free column to the right of it (a branch opens beside
the main chain). Linear in the number of nodes and edges, so a graph of hundreds of
nodes is laid out at once. Spacing is the designer's (``ROW``, ``COL``).
"""

from __future__ import annotations

__all__ = ["layout", "ROW", "COL"]

ROW = 120.0
COL = 230.0


def layout(order: list[str], inputs: dict[str, list[str]]) -> dict[str, tuple[float, float]]:
    """``{node: (x, y)}`` for nodes in topological ``order`` with their sources in slot
    order (``inputs``)."""
    row: dict[str, int] = {}
    for n in order:
        row[n] = 1 + max((row[s] for s in inputs.get(n, ()) if s in row), default=-1)
    used: dict[int, set[int]] = {}
    col: dict[str, int] = {}
    next_input = 0
    for n in order:
        srcs = [s for s in inputs.get(n, ()) if s in col]
        if srcs:
            want = col[srcs[0]]
        else:
            want, next_input = next_input, next_input + 1
        taken = used.setdefault(row[n], set())
        c = want
        while c in taken:
            c += 1
        taken.add(c)
        col[n] = c
    return {n: (col[n] * COL, row[n] * ROW) for n in order}
