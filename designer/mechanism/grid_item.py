"""One grid of cells drawn by one graphics item: an input, a kernel, an output, a heat map.

:class:`GridItem` paints a rectangle of cells with their numbers, the row and
column indices of real positions and a title, into a cached pixmap that is
rebuilt only when the cells change; the marks of the current frame (window,
lit cells, current output...) are painted over it on every frame. So a step
costs one pixmap blit and a few rectangles, whatever the grid's size (at most
about 16 × 16 cells are drawn: larger maps show a window that follows the
kernel, see :mod:`.stage`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QFontMetricsF, QPainter, QPen, QPixmap, QStaticText
from PySide6.QtWidgets import QGraphicsObject

from designer import look

from .style import (
    CELL_FILL,
    CELL_INK,
    CELL_PATTERN,
    EMPTY,
    LABEL_FONT,
    MARKS,
    PENDING,
    SMALL_FONT,
    TITLE_FONT,
    VALUE_FONT,
)

__all__ = ["GridItem"]

LABEL_W = 22.0  # room for row indices


@lru_cache(maxsize=4096)
def _static(text: str) -> QStaticText:
    """A laid-out cell number (grids repeat the same few numbers: laying each out once
    makes redrawing a grid about twice as fast)."""
    st = QStaticText(text)
    st.setTextFormat(Qt.TextFormat.PlainText)
    st.prepare(font=VALUE_FONT)
    return st
TITLE_H = 22.0


class GridItem(QGraphicsObject):
    """A grid of ``rows × cols`` cells with numbers, indices, a title and marks.

    Cells are addressed by drawn coordinates ``(y, x)``: the cell at the top
    left is ``(y0, x0)`` (negative for a padding cell above or left of the input).

    Signals
    -------
    hovered(object)
        ``(y, x)`` under the mouse, or None when it leaves the cells.
    clicked(int, int)
        ``(y, x)`` clicked.
    """

    hovered = Signal(object)
    clicked = Signal(int, int)

    def __init__(self, title: str = "", parent=None):
        super().__init__(parent)
        self.title = title
        self.cell = 28.0
        self.y0 = self.x0 = 0
        self.kinds = np.full((1, 1), EMPTY)
        self.texts: list[str] = [""]
        self.fills: list | None = None
        self.row_labels: list[str] = [""]
        self.col_labels: list[str] = [""]
        self.marks: list[tuple[str, tuple]] = []
        self.notes: dict[tuple[int, int], str] = {}
        self.pending: tuple[int, int] | None = None
        self._pixmap: QPixmap | None = None
        self._hover = None
        self.setAcceptHoverEvents(True)

    # -- content -------------------------------------------------------------------------
    @property
    def shape_rc(self) -> tuple[int, int]:
        """``(rows, cols)`` drawn."""
        return self.kinds.shape

    def set_cells(self, y0: int, x0: int, kinds: np.ndarray, texts: list[str],
                  fills: list | None = None, row_labels: list[str] | None = None,
                  col_labels: list[str] | None = None, title: str | None = None,
                  cell: float | None = None) -> None:
        """The cells from ``(y0, x0)``: ``kinds`` ``[rows, cols]`` (lanes.REAL, PADDING,
        ZERO, style.PENDING, style.EMPTY), their texts (row-major), optional fills
        (QColor per cell, a heat map), the index labels and the cell size (px)."""
        self.prepareGeometryChange()
        self.y0, self.x0 = int(y0), int(x0)
        self.kinds = np.asarray(kinds)
        self.texts = list(texts)
        self.fills = fills
        rows, cols = self.kinds.shape
        self.row_labels = row_labels if row_labels is not None else [""] * rows
        self.col_labels = col_labels if col_labels is not None else [""] * cols
        if title is not None:
            self.title = title
        self.cell = float(cell) if cell is not None else self.fit_cell(self.texts)
        self._pixmap = None
        self.update()

    @staticmethod
    def fit_cell(texts, least: float = 24.0, most: float = 46.0) -> float:
        """A cell size in which the widest of ``texts`` reads comfortably."""
        fm = QFontMetricsF(VALUE_FONT)
        wide = max((fm.horizontalAdvance(t) for t in texts if t), default=0.0)
        return float(min(max(least, wide + 10.0), most))

    def set_marks(self, marks: list[tuple[str, tuple]], notes: dict | None = None) -> None:
        """Marks of the current frame: ``(role, cells)`` with roles of style.MARKS, drawn
        in order; ``notes`` small texts in cell corners (``(y, x) -> "×2"``)."""
        self.marks = marks
        self.notes = notes or {}
        self.update()

    # -- geometry ------------------------------------------------------------------------
    def grid_rect(self) -> QRectF:
        """Where the cells are, in item coordinates."""
        rows, cols = self.kinds.shape
        return QRectF(LABEL_W, TITLE_H + 14.0, cols * self.cell, rows * self.cell)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt override)
        """Title, indices and cells."""
        g = self.grid_rect()
        fm = QFontMetricsF(TITLE_FONT)
        width = max(g.right() + 2.0, fm.horizontalAdvance(self.title) * 1.08 + 8.0)
        return QRectF(0.0, 0.0, width, g.bottom() + 3.0)

    def cell_rect(self, y: int, x: int) -> QRectF:
        """The rectangle of drawn cell ``(y, x)``."""
        g = self.grid_rect()
        return QRectF(g.left() + (x - self.x0) * self.cell, g.top() + (y - self.y0) * self.cell,
                      self.cell, self.cell)

    def cell_at(self, pos: QPointF) -> tuple[int, int] | None:
        """The drawn cell under item position ``pos`` (None outside the cells)."""
        g = self.grid_rect()
        if not g.contains(pos):
            return None
        return (self.y0 + int((pos.y() - g.top()) // self.cell),
                self.x0 + int((pos.x() - g.left()) // self.cell))

    # -- painting ------------------------------------------------------------------------
    def paint(self, painter: QPainter, option, widget=None) -> None:  # noqa: D401
        """The cached cells, then this frame's marks."""
        dpr = painter.device().devicePixelRatioF() if painter.device() else 1.0
        scale = max(dpr * painter.worldTransform().m11(), 0.25)  # crisp at any zoom
        if self._pixmap is None or abs(self._pixmap.devicePixelRatio() - scale) > 1e-3:
            self._pixmap = self._render(scale)
        painter.drawPixmap(QPointF(0, 0), self._pixmap)
        if self.pending is not None:
            self._paint_pending(painter)
        self._paint_marks(painter)

    def _render(self, scale: float) -> QPixmap:
        rect = self.boundingRect()
        pm = QPixmap(max(1, int(np.ceil(rect.width() * scale))),
                     max(1, int(np.ceil(rect.height() * scale))))
        pm.setDevicePixelRatio(scale)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self._paint_cells(p)
        p.end()
        return pm

    def _paint_cells(self, p: QPainter) -> None:
        p.setFont(TITLE_FONT)
        p.setPen(look.INK)
        p.drawText(QRectF(0, 0, 2000, TITLE_H), Qt.AlignmentFlag.AlignLeft |
                   Qt.AlignmentFlag.AlignVCenter, self.title)
        rows, cols = self.kinds.shape
        g = self.grid_rect()
        size = self.cell
        rects = [[QRectF(g.left() + c * size, g.top() + r * size, size, size)
                  for c in range(cols)] for r in range(rows)]
        kinds = self.kinds.tolist()
        groups: dict = {}  # one drawRects call per fill (and per pattern)
        for r in range(rows):
            for c in range(cols):
                kind = kinds[r][c]
                if kind == EMPTY:
                    continue
                fill = self.fills[r * cols + c] if self.fills is not None else \
                    CELL_FILL.get(kind, look.BASE)
                if fill != look.BASE:  # the scene's background is BASE already
                    groups.setdefault((fill.rgba(), None), (fill, []))[1].append(rects[r][c])
                if kind in CELL_PATTERN:
                    style, color = CELL_PATTERN[kind]
                    groups.setdefault((color.rgba(), style), (QBrush(color, style), []))[1] \
                        .append(rects[r][c])
        p.setPen(Qt.PenStyle.NoPen)
        for brush, cells in groups.values():
            p.setBrush(brush)
            p.drawRects(cells)
        self._paint_lines(p, 0, rows, 0, cols)
        p.setFont(VALUE_FONT)
        for r in range(rows):
            for c in range(cols):
                text = self.texts[r * cols + c]
                if text:
                    p.setPen(CELL_INK.get(kinds[r][c], look.INK))
                    st = _static(text)
                    size = st.size()
                    rect = rects[r][c]
                    p.drawStaticText(QPointF(rect.center().x() - size.width() / 2,
                                             rect.center().y() - size.height() / 2), st)
        p.setFont(LABEL_FONT)
        p.setPen(look.INK_FAINT)
        for r, label in enumerate(self.row_labels):
            if label:
                p.drawText(QRectF(0, g.top() + r * self.cell, LABEL_W - 4, self.cell),
                           Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
        for c, label in enumerate(self.col_labels):
            if label:
                p.drawText(QRectF(g.left() + c * self.cell - 6, g.top() - 15, self.cell + 12, 14),
                           Qt.AlignmentFlag.AlignCenter, label)

    def _paint_lines(self, p: QPainter, r0: int, r1: int, c0: int, c1: int) -> None:
        """The grid lines of cells ``[r0, r1) × [c0, c1)`` (drawn cells only)."""
        g = self.grid_rect()
        size = self.cell
        p.setPen(QPen(look.LINE, 1.0))
        left, right = g.left() + c0 * size, g.left() + c1 * size
        top, bottom = g.top() + r0 * size, g.top() + r1 * size
        lines = [QLineF(left, g.top() + r * size, right, g.top() + r * size)
                 for r in range(r0, r1 + 1)]
        lines += [QLineF(g.left() + c * size, top, g.left() + c * size, bottom)
                  for c in range(c0, c1 + 1)]
        p.drawLines(lines)  # one call

    def set_pending(self, cell: tuple[int, int] | None) -> None:
        """Cover the cells after drawn cell ``cell`` in row-major order as not computed
        yet (the gather form: one pixmap of final values serves every frame); None
        covers nothing."""
        if cell != self.pending:
            self.pending = cell
            self.update()

    def _paint_pending(self, p: QPainter) -> None:
        rows, cols = self.kinds.shape
        r, c = self.pending[0] - self.y0, self.pending[1] - self.x0
        g = self.grid_rect()
        size = self.cell
        fill = CELL_FILL[PENDING]
        if r < 0:
            r, c = 0, -1  # every drawn cell is after it
        if r >= rows:
            return
        if c + 1 < cols:
            p.fillRect(QRectF(g.left() + (c + 1) * size, g.top() + r * size,
                              (cols - c - 1) * size, size), fill)
            self._paint_lines(p, r, r + 1, c + 1, cols)
        if r + 1 < rows:
            p.fillRect(QRectF(g.left(), g.top() + (r + 1) * size, cols * size,
                              (rows - r - 1) * size), fill)
            self._paint_lines(p, r + 1, rows, 0, cols)

    def _paint_marks(self, p: QPainter) -> None:
        rows, cols = self.kinds.shape
        for role, cells in self.marks:
            fill, line, width = MARKS[role]
            pen = QPen(line, width) if line is not None else Qt.PenStyle.NoPen
            p.setPen(pen)
            p.setBrush(fill)
            inset = width / 2.0
            for y, x in cells:
                if 0 <= y - self.y0 < rows and 0 <= x - self.x0 < cols:
                    p.drawRect(self.cell_rect(y, x).adjusted(inset, inset, -inset, -inset))
        if self.notes:
            p.setFont(SMALL_FONT)
            p.setPen(look.REGION.darker(160))
            for (y, x), text in self.notes.items():
                if 0 <= y - self.y0 < rows and 0 <= x - self.x0 < cols:
                    rect = self.cell_rect(y, x).adjusted(2, 1, -3, -1)
                    p.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                               text)

    # -- mouse ---------------------------------------------------------------------------
    def hoverMoveEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Say which cell is under the mouse (only when it changes)."""
        cell = self.cell_at(event.pos())
        if cell != self._hover:
            self._hover = cell
            self.hovered.emit(cell)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """The mouse left the grid."""
        if self._hover is not None:
            self._hover = None
            self.hovered.emit(None)

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Accept presses on cells (for :meth:`mouseReleaseEvent`)."""
        if self.cell_at(event.pos()) is None:
            event.ignore()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Emit :attr:`clicked` for the cell under the mouse."""
        cell = self.cell_at(event.pos())
        if cell is not None:
            self.clicked.emit(*cell)
