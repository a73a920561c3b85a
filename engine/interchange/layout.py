"""Positions for imported graphs: top to bottom, branches side by side (torch-free).

Rows by longest path from the inputs, so every node sits below its sources. Row by
row, the nodes that start the longest path to an output choose first, so the main
chain keeps its column whatever order the source code computes its branches in (a
ResNet block that computes its shortcut before its residual path still has its main
chain straight). A node takes the leftmost column of its sources when that is free (a
chain stays straight, a merge such as a residual Add or a Concat returns to the main
chain), else the nearest free column to the right of it (a branch opens beside the
main chain). Linear in the number of nodes and edges (plus a sort per row), so a
graph of hundreds of nodes is laid out at once. Spacing is the designer's (``ROW``,
``COL``).
"""

from __future__ import annotations

__all__ = ["layout", "ROW", "COL"]

ROW = 120.0
COL = 230.0


def layout(order: list[str], inputs: dict[str, list[str]]) -> dict[str, tuple[float, float]]:
    """``{node: (x, y)}`` for nodes in topological ``order`` with their sources in slot
    order (``inputs``)."""
    index = {n: i for i, n in enumerate(order)}
    row: dict[str, int] = {}
    for n in order:
        row[n] = 1 + max((row[s] for s in inputs.get(n, ()) if s in row), default=-1)
    height = dict.fromkeys(order, 0)  # longest path to an output
    for n in reversed(order):
        for s in inputs.get(n, ()):
            if s in height:
                height[s] = max(height[s], height[n] + 1)
    rows: dict[int, list[str]] = {}
    for n in order:
        rows.setdefault(row[n], []).append(n)
    col: dict[str, int] = {}
    next_input = 0
    for r in sorted(rows):
        taken: set[int] = set()
        for n in sorted(rows[r], key=lambda m: (-height[m], index[m])):
            srcs = [col[s] for s in inputs.get(n, ()) if s in col]
            if srcs:
                want = min(srcs)
            else:
                want, next_input = next_input, next_input + 1
            c = want
            while c in taken:
                c += 1
            taken.add(c)
            col[n] = c
    return {n: (col[n] * COL, row[n] * ROW) for n in order}
