"""The picture of one layer at one frame: input, kernel, output, overlap, matrix C, legend.

:class:`Stage` is a graphics scene holding one item per grid (:class:`.GridItem`),
the matrix (:class:`.MatrixItem`), the equation and the legend. It draws a
:class:`~.walk.Walk` at a frame; maps larger than :data:`VIEW` cells per axis
show a window of them that follows the kernel (:func:`.walk.follow`). Its
items flow into lines no wider than the width it is given (:meth:`relayout`),
so the same scene fills the dock, the sandbox dialog and the exported PNG/GIF.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGraphicsScene, QGraphicsTextItem

from designer import look

from .equation import equation_html
from .grid_item import GridItem
from .lanes import PADDING, REAL, ZERO
from .legend_item import LegendItem, entries_for
from .matrix_band import MatrixBand
from .matrix_item import MatrixItem
from .style import PENDING, heat, value_text
from .walk import Walk, follow

__all__ = ["Stage", "VIEW"]

#: most cells drawn per axis of a grid
VIEW = 16
#: grids up to this many cells wide show the kernel value in each window cell
NOTES_UP_TO = 10
NOTE_CELL = 38.0
GAP = 26.0


def _grid_kinds(ky: np.ndarray, kx: np.ndarray) -> np.ndarray:
    """2D cell kinds from two axes: padding wins over an inserted zero over a pixel."""
    a, b = ky[:, None], kx[None, :]
    return np.where((a == PADDING) | (b == PADDING), PADDING,
                    np.where((a == ZERO) | (b == ZERO), ZERO, REAL))


class Stage(QGraphicsScene):
    """Input grid, kernel, output grid, overlap heat map, matrix C, equation and legend.

    Signals
    -------
    outputHovered(object)
        ``(oy, ox)`` (lane indices of :class:`~.walk.Walk`) under the mouse, or None.
    outputClicked(int, int)
        Lane indices of a clicked output cell.
    """

    outputHovered = Signal(object)
    outputClicked = Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setBackgroundBrush(look.BASE)
        self.input_grid = GridItem()
        self.kernel_grid = GridItem()
        self.output_grid = GridItem()
        self.overlap_grid = GridItem()
        self.matrix = MatrixItem()
        self.equation = QGraphicsTextItem()
        self.equation.setDefaultTextColor(look.INK)
        self.legend = LegendItem()
        self.footer = QGraphicsTextItem()
        self.footer.setDefaultTextColor(look.INK_SOFT)
        self.footer.setVisible(False)
        for item in (self.input_grid, self.kernel_grid, self.output_grid, self.overlap_grid,
                     self.matrix, self.equation, self.legend, self.footer):
            self.addItem(item)
        self.walk: Walk | None = None
        self.index = 0
        self.hover: tuple[int, int] | None = None
        self.channels = 1
        self.from_run = False
        self.width = 560.0
        self._overlap = None
        self._starts = [0, 0, 0, 0]  # input y, x; output y, x (drawn coordinates)
        for grid in (self.output_grid, self.overlap_grid):
            grid.hovered.connect(self._hovered)
            grid.clicked.connect(self._clicked)

    # -- content ---------------------------------------------------------------------------
    def set_walk(self, walk: Walk, channels: int = 1, from_run: bool = False) -> None:
        """Draw ``walk`` (its values set) from its first frame."""
        self.walk, self.channels, self.from_run = walk, channels, from_run
        self.hover = None
        self.band = MatrixBand(walk)
        self._overlap = None
        ly, lx = walk.lanes
        self._starts = [ly.in_lo, lx.in_lo, ly.out_lo, lx.out_lo]
        self._in_cell = GridItem.fit_cell(self._sample_texts(walk.x))
        # kernel values in the window's corners, where the cells have room for them
        self._notes = walk.kernel is not None and walk.kernel_like and \
            min(len(ly.in_kinds), len(lx.in_kinds), VIEW) <= NOTES_UP_TO
        if self._notes:
            self._in_cell = max(self._in_cell, NOTE_CELL)
        oh, ow = walk.out_shape
        block = [walk.values(slice(a, a + VIEW), slice(b, b + VIEW))
                 for a, b in ((0, 0), (oh // 2, ow // 2))]  # numbers as wide as the rest
        finite = np.concatenate([v[np.isfinite(v)] for v in block])
        self._out_cell = GridItem.fit_cell(self._sample_texts(finite))
        # a scatter writes x·w into each output: shown in the cells' corners
        self._scatter_notes = walk.form == "scatter" and walk.kernel is not None and \
            walk.kernel_like and min(ly.n_out, lx.n_out, VIEW) <= NOTES_UP_TO
        if self._scatter_notes:
            self._out_cell = max(self._out_cell, NOTE_CELL)
        self._kernel_cells(walk)
        self._place_input(force=True)
        self._place_output(0, force=True)
        self.legend.set_entries(entries_for(walk), self.width)
        self.show_frame(0)
        self.relayout(self.width)

    @staticmethod
    def _sample_texts(values: np.ndarray) -> list[str]:
        v = np.asarray(values).ravel()
        if v.size > 400:
            v = np.concatenate([v[:: v.size // 400 + 1], [v.min(), v.max()]])
        return [value_text(float(a)) for a in v]

    def _kernel_cells(self, walk: Walk) -> None:
        m = walk.mech
        kh, kw = m.kernel
        flipped = walk.form == "gather" and m.mechanism == "transposed"
        texts = []
        for sy in range(kh):
            for sx in range(kw):
                ty, tx = (kh - 1 - sy, kw - 1 - sx) if flipped else (sy, sx)
                if walk.kernel is not None:
                    texts.append(value_text(walk.kernel[ty, tx]))
                elif walk.kernel_like:
                    texts.append(f"w{ty * kw + tx}")
                else:
                    texts.append("")
        title = {"max_pool": "window: max", "avg_pool": "window: mean",
                 "unpool": "window: where x may go", "upsample": "weights"}.get(m.mechanism)
        if title is None:
            title = "kernel w, flipped" if flipped else "kernel w"
            d = m.params.get("dilation") or (1, 1)
            if max(d) > 1:
                title += f" (dilation {'×'.join(map(str, d))})"
        self.kernel_grid.set_cells(0, 0, np.full((kh, kw), REAL), texts, title=title,
                                   row_labels=[str(i) for i in range(kh)],
                                   col_labels=[str(i) for i in range(kw)])

    # -- viewports -----------------------------------------------------------------------------
    def _place_input(self, force: bool = False, ys=None, xs=None) -> None:
        walk = self.walk
        ly, lx = walk.lanes
        starts = list(self._starts)
        if ys is not None:
            starts[0] = follow(starts[0], ly.in_lo, len(ly.in_kinds), VIEW, min(ys), max(ys))
            starts[1] = follow(starts[1], lx.in_lo, len(lx.in_kinds), VIEW, min(xs), max(xs))
        if not force and starts[:2] == self._starts[:2]:
            return
        self._starts[:2] = starts[:2]
        y0, x0 = starts[0], starts[1]
        ry = slice(y0 - ly.in_lo, min(y0 - ly.in_lo + VIEW, len(ly.in_kinds)))
        rx = slice(x0 - lx.in_lo, min(x0 - lx.in_lo + VIEW, len(lx.in_kinds)))
        kinds = _grid_kinds(ly.in_kinds[ry], lx.in_kinds[rx])
        sy, sx = ly.in_src[ry], lx.in_src[rx]
        texts = [value_text(walk.x[a, b]) if a >= 0 and b >= 0 else "0"
                 for a in sy for b in sx]
        h, w = walk.mech.input_size
        if walk.form == "gather" and walk.mech.mechanism == "transposed":
            title = f"zero-inserted input {len(ly.in_kinds)}×{len(lx.in_kinds)} (x is {h}×{w})"
        else:
            title = f"input x ({h}×{w})"
            (pt, pb), (pl, pr) = walk.mech.padding_cells() if walk.form == "gather" else \
                ((0, 0), (0, 0))
            if pt or pb or pl or pr:
                same = pt == pb == pl == pr
                title += f" + padding {pt}" if same else f" + padding {pt},{pb} / {pl},{pr}"
        self.input_grid.set_cells(
            y0, x0, kinds, texts, title=title, cell=self._in_cell,
            row_labels=[str(a) if k == REAL else "" for a, k in zip(sy, ly.in_kinds[ry],
                                                                    strict=True)],
            col_labels=[str(b) if k == REAL else "" for b, k in zip(sx, lx.in_kinds[rx],
                                                                    strict=True)])

    def _out_slices(self):
        ly, lx = self.walk.lanes
        y0, x0 = self._starts[2] - ly.out_lo, self._starts[3] - lx.out_lo
        return (slice(y0, min(y0 + VIEW, ly.n_out)), slice(x0, min(x0 + VIEW, lx.n_out)))

    def _place_output(self, f: int, force: bool = False, ys=None, xs=None) -> None:
        walk = self.walk
        ly, lx = walk.lanes
        if ys is not None and ys:
            old = list(self._starts[2:])
            self._starts[2] = follow(old[0], ly.out_lo, ly.n_out, VIEW, min(ys), max(ys))
            self._starts[3] = follow(old[1], lx.out_lo, lx.n_out, VIEW, min(xs), max(xs))
            force = force or old != self._starts[2:]
        rs, cs = self._out_slices()
        gather = walk.form == "gather"
        if gather:  # final values once; the cells after the current one are covered
            focus = walk.frame(f).focus
            self.output_grid.set_pending(focus)
            if not force:
                return
            values = walk.values(rs, cs)
            done = np.ones(values.shape, bool)
        else:
            values, done = walk.outputs(f, rs, cs)
        base = _grid_kinds(ly.out_kinds[rs], lx.out_kinds[cs])
        kinds = np.where((base == REAL) & ~done, PENDING, base)
        texts = [value_text(v) if d else "" for v, d in zip(values.ravel(), done.ravel(),
                                                             strict=True)]
        oh, ow = walk.mech.output_size
        labels = ([str(i + ly.out_lo) if 0 <= i + ly.out_lo < oh else ""
                   for i in range(rs.start, rs.stop)],
                  [str(i + lx.out_lo) if 0 <= i + lx.out_lo < ow else ""
                   for i in range(cs.start, cs.stop)])
        title = f"output y ({oh}×{ow})"
        if walk.form == "scatter" and walk.mech.mechanism == "transposed":
            title = f"output y ({oh}×{ow}): partial sums"
        self.output_grid.set_cells(self._starts[2], self._starts[3], kinds, texts, title=title,
                                   cell=self._out_cell, row_labels=labels[0],
                                   col_labels=labels[1])
        if not gather:
            self.output_grid.set_pending(None)
        if force:
            self._place_overlap(rs, cs)

    def _place_overlap(self, rs: slice, cs: slice) -> None:
        walk = self.walk
        ly, lx = walk.lanes
        if self._overlap is None:
            self._overlap = walk.overlap()
        full = self._overlap
        (y0, _), (x0, _) = ly.real_out(), lx.real_out()
        ry = range(max(rs.start, y0), min(rs.stop, y0 + full.shape[0]))
        rx = range(max(cs.start, x0), min(cs.stop, x0 + full.shape[1]))
        sub = full[ry.start - y0:ry.stop - y0, rx.start - x0:rx.stop - x0]
        self.overlap_grid.set_cells(
            ry.start + ly.out_lo, rx.start + lx.out_lo, np.full(sub.shape, REAL),
            [str(int(v)) for v in sub.ravel()], fills=heat(sub, float(full.max())),
            title="overlap: taps per output", cell=max(24.0, min(self._out_cell, 30.0)),
            row_labels=[str(i + ly.out_lo) for i in ry],
            col_labels=[str(i + lx.out_lo) for i in rx])

    # -- frames --------------------------------------------------------------------------------
    def show_frame(self, f: int) -> None:
        """Draw frame ``f`` (or, while an output is hovered, that output's window)."""
        walk = self.walk
        if walk is None:
            return
        self.index = f = int(min(max(f, 0), walk.frames - 1))
        fr = walk.frame(f)
        window = fr.window
        ly, lx = walk.lanes
        if self.hover is not None:
            window = walk.window_of(*self.hover)
            hover_cell = (self.hover[0] + ly.out_lo, self.hover[1] + lx.out_lo)
        if fr.form == "gather" or self.hover is not None:
            in_cells = [(a, b) for a, b, _s, _t in window]
            lit = list(fr.lit) if self.hover is None else \
                [(a, b) for a, b in in_cells if self._is_real(a, b)]
            focus_out = [fr.focus] if self.hover is None else [hover_cell]
            targets = []
        else:
            in_cells, lit, focus_out = [fr.focus], [fr.focus], []
            targets = [(a, b) for a, b, _s, _t in window]
        ys, xs = zip(*in_cells, strict=True) if in_cells else ((0,), (0,))
        self._place_input(ys=ys, xs=xs)
        oy, ox = zip(*(focus_out + targets), strict=True) if focus_out or targets \
            else ((0,), (0,))
        self._place_output(f, ys=oy, xs=ox)
        notes = {}
        if self._notes and (fr.form == "gather" or self.hover):
            kh, kw = walk.mech.kernel
            flipped = walk.form == "gather" and walk.mech.mechanism == "transposed"
            for a, b, sy, sx in window:
                ty, tx = (kh - 1 - sy, kw - 1 - sx) if flipped else (sy, sx)
                notes[(a, b)] = "×" + value_text(walk.kernel[ty, tx])
        if fr.form == "gather" or self.hover is not None:
            self.input_grid.set_marks([("lit", lit), ("window", in_cells)], notes)
            slots = [(sy, sx) for _a, _b, sy, sx in window]
            self.kernel_grid.set_marks([("window", slots)])
            self.output_grid.set_marks([("focus", focus_out)])
            self.overlap_grid.set_marks([("focus", focus_out)])
        else:
            self.input_grid.set_marks([("lit", lit), ("focus", lit)])
            kh, kw = walk.mech.kernel
            self.kernel_grid.set_marks([("target", [(a, b) for a in range(kh)
                                                    for b in range(kw)])])
            marks = [("target", targets)]
            if fr.chosen is not None:
                marks.append(("chosen", [fr.chosen]))
            added = {}
            if self._scatter_notes:
                x = fr.terms[0][0]
                added = {(a, b): "+" + value_text(x * walk.kernel[sy, sx])
                         for a, b, sy, sx in window}
            self.output_grid.set_marks(marks, added)
            self.overlap_grid.set_marks([("target", targets)])
        if walk.mech.mechanism == "upsample":
            self._stencil(window)
        self._matrix(fr)
        self.equation.setHtml(self._equation(fr))

    def _is_real(self, a: int, b: int) -> bool:
        ly, lx = self.walk.lanes
        return ly.in_kinds[a - ly.in_lo] == REAL and lx.in_kinds[b - lx.in_lo] == REAL

    def _equation(self, fr) -> str:
        if self.hover is not None and fr.form == "gather":
            oh, ow = self.walk.mech.output_size
            oy, ox = self.hover
            if 0 <= oy < oh and 0 <= ox < ow:
                fr = self.walk.frame(oy * ow + ox)
        return equation_html(self.walk, fr, self.channels, self.from_run)

    def _stencil(self, window) -> None:
        kh, kw = self.walk.mech.kernel
        ly, lx = self.walk.lanes
        fr = self.walk.frame(self.index)
        oy, ox = fr.focus if self.hover is None else self.hover
        wy = {int(ly.slot[oy, a]): ly.weight[oy, a] for a in np.flatnonzero(ly.valid[oy])}
        wx = {int(lx.slot[ox, b]): lx.weight[ox, b] for b in np.flatnonzero(lx.valid[ox])}
        texts = [value_text(wy.get(a, 0.0) * wx.get(b, 0.0), 3) for a in range(kh)
                 for b in range(kw)]
        self.kernel_grid.set_cells(0, 0, np.full((kh, kw), REAL), texts,
                                   cell=GridItem.fit_cell(["0.000"]))

    def _matrix(self, fr) -> None:
        walk = self.walk
        oh, ow = walk.mech.output_size
        row = fr.row
        if self.hover is not None:
            oy, ox = self.hover[0] + walk.lanes[0].out_lo, self.hover[1] + walk.lanes[1].out_lo
            row = oy * ow + ox if 0 <= oy < oh and 0 <= ox < ow else None
        col = None if row is not None else fr.col
        self.matrix.set_block(*self.band.block(row, col))
        self.matrix.set_current(row, col)

    # -- hover -----------------------------------------------------------------------------------
    def _hovered(self, cell) -> None:
        ly, lx = self.walk.lanes if self.walk else (None, None)
        lane = None if cell is None or ly is None else (cell[0] - ly.out_lo, cell[1] - lx.out_lo)
        self.set_hover(lane)
        self.outputHovered.emit(lane)

    def _clicked(self, y: int, x: int) -> None:
        if self.walk is not None:
            self.outputClicked.emit(y - self.walk.lanes[0].out_lo, x - self.walk.lanes[1].out_lo)

    def set_hover(self, lane: tuple[int, int] | None) -> None:
        """Show the window of output ``lane`` (lane indices) instead of the frame's."""
        if lane == self.hover:
            return
        self.hover = lane
        self.show_frame(self.index)

    # -- layout ----------------------------------------------------------------------------------
    def relayout(self, width: float) -> None:
        """Flow the pictures into lines at most ``width`` px wide (wider only when one
        picture is wider)."""
        self.width = width
        x = y = line_h = 0.0
        right = 0.0
        for item in (self.input_grid, self.kernel_grid, self.output_grid, self.overlap_grid):
            r = item.boundingRect()
            if x > 0 and x + r.width() > width:
                x, y, line_h = 0.0, y + line_h + 10, 0.0
            item.setPos(x, y)
            x += r.width() + GAP
            right = max(right, x - GAP)
            line_h = max(line_h, r.height())
        y += line_h + 10
        full = max(width, right)
        self.equation.setTextWidth(full)
        self.equation.setPos(0, y)
        y += self.equation.boundingRect().height() + 8
        self.matrix.setPos(0, y)
        y += self.matrix.boundingRect().height() + 10
        self.legend.set_entries(self.legend.entries, full)
        self.legend.setPos(0, y)
        y += self.legend.boundingRect().height() + 6
        if self.footer.isVisible():
            self.footer.setTextWidth(full)
            self.footer.setPos(0, y)
            y += self.footer.boundingRect().height()
        self.setSceneRect(-8, -8, max(full, self.matrix.boundingRect().width()) + 16, y + 16)
