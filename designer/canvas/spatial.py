"""A uniform-grid spatial index of rectangles (pure Python, no Qt).

The canvas asks "what is near this spot?" thousands of times while it places
labels and routes edges. :class:`SpatialGrid` answers in time proportional to
what is near, not to the size of the graph: each key (an edge, a label, a
lane) is filed under every grid cell its rectangle touches.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

__all__ = ["SpatialGrid"]


class SpatialGrid:
    """Keys filed by rectangle ``(left, top, right, bottom)`` in square cells.

    Parameters
    ----------
    cell : float
        Side of a cell in scene units (about the size of the rectangles asked for).
    """

    __slots__ = ("cell", "_cells", "_where")

    def __init__(self, cell: float = 200.0):
        self.cell = float(cell)
        self._cells: dict[tuple[int, int], set] = {}
        self._where: dict[Hashable, tuple[tuple[float, float, float, float], list]] = {}

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, key) -> bool:
        return key in self._where

    def keys(self) -> list:
        """Every key filed."""
        return list(self._where)

    def clear(self) -> None:
        """Forget every key."""
        self._cells.clear()
        self._where.clear()

    def _span(self, l: float, t: float, r: float, b: float) -> Iterable[tuple[int, int]]:
        c = self.cell
        x0, x1 = int(l // c), int(r // c)
        y0, y1 = int(t // c), int(b // c)
        return [(i, j) for i in range(x0, x1 + 1) for j in range(y0, y1 + 1)]

    def put(self, key: Hashable, rect: tuple[float, float, float, float]) -> None:
        """File ``key`` under ``rect`` (replacing where it was filed before)."""
        old = self._where.get(key)
        if old is not None:
            if old[0] == rect:
                return
            self.discard(key)
        cells = self._span(*rect)
        grid = self._cells
        for cell in cells:
            bucket = grid.get(cell)
            if bucket is None:
                grid[cell] = {key}
            else:
                bucket.add(key)
        self._where[key] = (rect, cells)

    def discard(self, key: Hashable) -> None:
        """Forget ``key`` (nothing happens when it is not filed)."""
        old = self._where.pop(key, None)
        if old is None:
            return
        grid = self._cells
        for cell in old[1]:
            bucket = grid.get(cell)
            if bucket is not None:
                bucket.discard(key)
                if not bucket:
                    del grid[cell]

    def rect(self, key: Hashable) -> tuple[float, float, float, float] | None:
        """The rectangle ``key`` is filed under, or None."""
        old = self._where.get(key)
        return None if old is None else old[0]

    def near(self, l: float, t: float, r: float, b: float) -> list:
        """Keys whose rectangle intersects ``(l, t, r, b)`` (edges touching count)."""
        grid = self._cells
        where = self._where
        c = self.cell
        x0, y0 = int(l // c), int(t // c)
        if x0 == int(r // c) and y0 == int(b // c):  # one cell: no key twice
            bucket = grid.get((x0, y0))
            if not bucket:
                return []
            out = []
            for key in bucket:
                kl, kt, kr, kb = where[key][0]
                if kl <= r and kr >= l and kt <= b and kb >= t:
                    out.append(key)
            return out
        seen: set = set()
        out = []
        for cell in self._span(l, t, r, b):
            bucket = grid.get(cell)
            if not bucket:
                continue
            for key in bucket:
                if key in seen:
                    continue
                seen.add(key)
                kl, kt, kr, kb = where[key][0]
                if kl <= r and kr >= l and kt <= b and kb >= t:
                    out.append(key)
        return out
