"""The matrix C (Cᵀ for a transposed convolution) as one graphics item.

Rows are outputs and columns inputs (flat, row-major over one channel), as in
``Y = C·X``. :class:`MatrixItem` paints a block of rows × columns (the whole
matrix when it has at most 64 of each, else a band around the current row)
into a cached pixmap and lays the current row (gather) or column (scatter)
and its non-zero entries over it on every frame.
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsItem

from designer import look

from .style import LABEL_FONT, MARKS, TITLE_FONT, VALUE_FONT, value_text

__all__ = ["MatrixItem"]

LEFT, HEADER = 34.0, 38.0
SUBTITLE_W = 420.0
WIDTH, HEIGHT = 540.0, 420.0


class MatrixItem(QGraphicsItem):
    """A block of the matrix C with its current row or column highlighted."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = ""
        self.subtitle = ""
        self.top = HEADER
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.entries: dict[int, dict[int, float]] = {}
        self.row: int | None = None
        self.col: int | None = None
        self.cw = self.ch = 20.0
        self._pixmap: QPixmap | None = None
        self._fm = QFontMetricsF(VALUE_FONT)

    def set_block(self, rows: list[int], cols: list[int], entries: dict[int, dict[int, float]],
                  title: str, subtitle: str = "") -> None:
        """Rows (outputs) and columns (inputs) drawn, ``entries[row][col]``, a title and a
        word-wrapped subtitle."""
        if rows == self.rows and cols == self.cols and title == self.title and \
                subtitle == self.subtitle:
            return  # the entries of the same rows and columns are the same
        self.prepareGeometryChange()
        self.rows, self.cols, self.entries, self.title = list(rows), list(cols), entries, title
        self.subtitle = subtitle
        fm = QFontMetricsF(LABEL_FONT)
        sub = fm.boundingRect(QRectF(0, 0, SUBTITLE_W, 200), Qt.TextFlag.TextWordWrap,
                              subtitle).height() if subtitle else 0.0
        self.top = HEADER + sub
        self.cw = min(26.0, max(5.0, WIDTH / max(1, len(cols))))
        self.ch = min(22.0, max(5.0, HEIGHT / max(1, len(rows))))
        self._pixmap = None
        self.update()

    def set_current(self, row: int | None, col: int | None) -> None:
        """Highlight ``row`` (an output) or ``col`` (an input)."""
        if (row, col) != (self.row, self.col):
            self.row, self.col = row, col
            self.update()

    # -- geometry ----------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt override)
        """Title, indices and entries."""
        w = LEFT + len(self.cols) * self.cw + 4
        fm = QFontMetricsF(TITLE_FONT)
        return QRectF(0, 0, max(w, fm.horizontalAdvance(self.title) * 1.08 + 8,
                                SUBTITLE_W if self.subtitle else 0.0),
                      self.top + len(self.rows) * self.ch + 4)

    def _rect(self, r: int, c: int) -> QRectF:
        return QRectF(LEFT + c * self.cw, self.top + r * self.ch, self.cw, self.ch)

    # -- painting ----------------------------------------------------------------------------
    def paint(self, painter: QPainter, option, widget=None) -> None:
        """The cached block, then the current row or column."""
        dpr = painter.device().devicePixelRatioF() if painter.device() else 1.0
        scale = max(dpr * painter.worldTransform().m11(), 0.25)  # crisp at any zoom
        if self._pixmap is None or abs(self._pixmap.devicePixelRatio() - scale) > 1e-3:
            self._pixmap = self._render(scale)
        painter.drawPixmap(QPointF(0, 0), self._pixmap)
        self._paint_current(painter)

    def _render(self, scale: float) -> QPixmap:
        rect = self.boundingRect()
        pm = QPixmap(max(1, int(rect.width() * scale) + 1), max(1, int(rect.height() * scale) + 1))
        pm.setDevicePixelRatio(scale)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        p.setFont(TITLE_FONT)
        p.setPen(look.INK)
        p.drawText(QRectF(0, 0, rect.width(), 20), Qt.AlignmentFlag.AlignLeft, self.title)
        if self.subtitle:
            p.setFont(LABEL_FONT)
            p.setPen(look.INK_SOFT)
            p.drawText(QRectF(0, 20, SUBTITLE_W, self.top - HEADER + 2),
                       Qt.TextFlag.TextWordWrap, self.subtitle)
        n_r, n_c = len(self.rows), len(self.cols)
        p.fillRect(QRectF(LEFT, self.top, n_c * self.cw, n_r * self.ch), look.BASE)
        nonzero = look.with_alpha(look.ACCENT, 46)
        p.setFont(VALUE_FONT)
        text_fits = self.ch >= 13
        index = {c: j for j, c in enumerate(self.cols)}
        for i, r in enumerate(self.rows):
            for c, v in self.entries.get(r, {}).items():
                j = index.get(c)
                if j is None:
                    continue
                rect = self._rect(i, j)
                p.fillRect(rect, nonzero)
                text = value_text(v, 2)
                if text_fits and self._fm.horizontalAdvance(text) + 2 <= self.cw:
                    p.setPen(look.INK)
                    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        if self.cw >= 8 and self.ch >= 8:
            p.setPen(QPen(look.MIDLIGHT, 1.0))
            right, bottom = LEFT + n_c * self.cw, self.top + n_r * self.ch
            p.drawLines([QLineF(LEFT, self.top + i * self.ch, right, self.top + i * self.ch)
                         for i in range(n_r + 1)] +
                        [QLineF(LEFT + j * self.cw, self.top, LEFT + j * self.cw, bottom)
                         for j in range(n_c + 1)])
        p.setPen(QPen(look.LINE, 1.0))
        p.drawRect(QRectF(LEFT, self.top, n_c * self.cw, n_r * self.ch))
        p.setPen(QPen(look.INK_FAINT, 2.0))  # a jump between runs of columns
        for j in range(1, n_c):
            if self.cols[j] != self.cols[j - 1] + 1:
                p.drawLine(QPointF(LEFT + j * self.cw, self.top - 2),
                           QPointF(LEFT + j * self.cw, self.top + n_r * self.ch + 2))
        self._paint_indices(p)
        p.end()
        return pm

    def _paint_indices(self, p: QPainter) -> None:
        p.setFont(LABEL_FONT)
        p.setPen(look.INK_FAINT)
        fm = QFontMetricsF(LABEL_FONT)
        step_r = max(1, int((fm.height() + 1) // self.ch) + 1) if self.ch < fm.height() else 1
        for i, r in enumerate(self.rows):
            if i % step_r == 0:
                p.drawText(QRectF(0, self.top + i * self.ch, LEFT - 4, self.ch),
                           Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(r))
        widest = fm.horizontalAdvance(str(max(self.cols, default=0))) + 4
        step_c = max(1, int(widest // self.cw) + (1 if widest > self.cw else 0))
        for j, c in enumerate(self.cols):
            if j % step_c == 0:
                p.drawText(QRectF(LEFT + j * self.cw - 10, self.top - 16, self.cw + 20, 14),
                           Qt.AlignmentFlag.AlignCenter, str(c))

    def _paint_current(self, p: QPainter) -> None:
        n_r, n_c = len(self.rows), len(self.cols)
        fill, line, width = MARKS["row"]
        lit, _, _ = MARKS["lit"]
        cells = []
        if self.row in self.rows:
            i = self.rows.index(self.row)
            band = QRectF(LEFT, self.top + i * self.ch, n_c * self.cw, self.ch)
            cells = [(i, self.cols.index(c)) for c in self.entries.get(self.row, {})
                     if c in self.cols]
        elif self.col in self.cols:
            j = self.cols.index(self.col)
            band = QRectF(LEFT + j * self.cw, self.top, self.cw, n_r * self.ch)
            cells = [(i, j) for i, r in enumerate(self.rows)
                     if self.col in self.entries.get(r, {})]
        else:
            return
        p.setPen(Qt.PenStyle.NoPen)
        for i, j in cells:
            p.fillRect(self._rect(i, j), lit)
        p.setBrush(fill)
        p.setPen(QPen(line, width))
        p.drawRect(band)
