"""Which block of the matrix C to draw, and its entries (no drawing).

The whole matrix when it has at most :data:`MATRIX_FULL` rows and columns;
else a band of :data:`BAND_ROWS` rows around the current output and, as
columns, a run of inputs around the window in each input row the window
covers (a convolution's row reads k input rows, far apart in flat order), so
that the current row's entries are all visible and the band shows C's
Toeplitz structure. Rows are computed once (:meth:`~.walk.Walk.matrix_row`).
"""

from __future__ import annotations

from .walk import Walk

__all__ = ["MatrixBand", "MATRIX_FULL", "BAND_ROWS"]

#: the whole matrix C is drawn up to this many rows and columns; else a band
MATRIX_FULL = 64
BAND_ROWS = 24


class MatrixBand:
    """The block of C to draw for ``walk`` around a row (or a column)."""

    def __init__(self, walk: Walk):
        self.walk = walk
        self._rows: dict[int, dict[int, float]] = {}
        self._band: tuple[list[int], list[int]] | None = None

    def block(self, row: int | None, col: int | None):
        """``(rows, cols, entries, title, subtitle)`` for :meth:`.MatrixItem.set_block`
        around output ``row`` (gather) or input ``col`` (scatter)."""
        walk = self.walk
        oh, ow = walk.mech.output_size
        n_out, n_in = oh * ow, walk.mech.input_size[0] * walk.mech.input_size[1]
        if n_out <= MATRIX_FULL and n_in <= MATRIX_FULL:
            rows, cols = list(range(n_out)), list(range(n_in))
        else:
            centre = row if row is not None else self._row_of_col(col)
            rows, cols = self._band or ([], [])
            need = set(self.row(centre)) | ({col} if col is not None else set())
            if centre not in rows or not need <= set(cols):  # moves only when it must
                r0 = min(max(centre - BAND_ROWS // 2, 0), max(0, n_out - BAND_ROWS))
                rows = list(range(r0, min(n_out, r0 + BAND_ROWS)))
                cols = self._band_cols(self.row(centre), col)
                self._band = (rows, cols)
        name = "Cᵀ" if walk.mech.mechanism == "transposed" else "C"
        what = {"max_pool": "1 = in the window (max is not linear)",
                "unpool": "1 = a cell the value may go to",
                "avg_pool": "1/divisor", "upsample": "interpolation weights"}.get(
            walk.mech.mechanism, "kernel values" if walk.kernel is not None else "tap index")
        part = "" if len(rows) == n_out and len(cols) == n_in else \
            f"; rows {rows[0]}–{rows[-1]} and the columns of the window's input rows"
        title = f"matrix {name}: {n_out} outputs × {n_in} inputs"
        subtitle = f"y = {name}·x; row = output, column = input; entries: {what}{part}"
        return rows, cols, {r: self.row(r) for r in rows}, title, subtitle

    def _band_cols(self, entries: dict[int, float], col: int | None) -> list[int]:
        """For each input row the centre row reads, a run of inputs around the window
        (at most :data:`MATRIX_FULL` columns in all)."""
        w = self.walk.mech.input_size[1]
        ref = sorted(entries) or [col or 0]
        ys = sorted({c // w for c in ref})
        xs = [c % w for c in ref]
        span = max(xs) - min(xs) + 1
        if span * len(ys) > MATRIX_FULL:
            return ref[:MATRIX_FULL]
        run = min(w, max(span, MATRIX_FULL // len(ys)))
        a = min(max(min(xs) - (run - span) // 2, 0), w - run)
        return [y * w + x for y in ys for x in range(a, a + run)]

    def row(self, r: int) -> dict[int, float]:
        """Row ``r`` of C (cached)."""
        if r not in self._rows:
            if len(self._rows) > 4096:
                self._rows.clear()
            self._rows[r] = self.walk.matrix_row(r)
        return self._rows[r]

    def _row_of_col(self, col: int | None) -> int:
        """A row that input ``col`` writes (the middle one of its outputs)."""
        fr = self.walk.frame(col or 0)
        oh, ow = self.walk.mech.output_size
        inside = [(a, b) for a, b, _s, _t in fr.window if 0 <= a < oh and 0 <= b < ow]
        if not inside:
            return 0
        a, b = inside[len(inside) // 2]
        return a * ow + b
