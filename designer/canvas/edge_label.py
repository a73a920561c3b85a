"""The label of an edge: the source's output shape over its receptive field.

``32×62×62`` on the first line, ``RF 7×7 · j 2`` (or ``RF global``) below, in
a small frame beside the edge's path; :class:`EdgeLabelItem` draws it and
:func:`edge_label_texts` gives its texts for an analysis result (the output
stubs of :mod:`.stub_item` show the same texts).
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from designer import look
from designer.look import fmt_shape
from engine import NodeResult

__all__ = ["EdgeLabelItem", "edge_label_texts", "label_key", "LABEL_MIN_ZOOM", "ON_LABEL"]

#: below this zoom, labels are not drawn (they would be unreadable)
LABEL_MIN_ZOOM = 0.55  # as the cards switch to their overview (title only)
_SHAPE_FONT = look.STRONG_TEXT
_RF_FONT = look.BODY_TEXT


_RF_LABELS: dict[tuple, str] = {}


def _rf_label(rf) -> str:
    """``rf.label()``, memoised on the values it shows (labels repeat a lot)."""
    key = (rf.size, rf.jump, rf.is_global, rf.deformable)
    text = _RF_LABELS.get(key)
    if text is None:
        if len(_RF_LABELS) > 4096:
            _RF_LABELS.clear()
        text = _RF_LABELS[key] = rf.label()
    return text


def edge_label_texts(result: NodeResult | None) -> tuple[str, str]:
    """``(shape, receptive field)`` texts of an edge leaving a node with ``result``."""
    if result is None or result.shape is None:
        return "", ""
    rf = _rf_label(result.rf) if result.rf is not None else ""
    if len(result.rf_by_input) > 1:
        rf += f" (of {result.rf.input})"
    return _shape_label(result.shape), rf


def label_key(result: NodeResult | None) -> tuple | None:
    """What an edge label shows of ``result``: equal keys give equal texts."""
    if result is None or result.shape is None:
        return None
    rf = result.rf
    if rf is None:
        return (result.shape,)
    return (result.shape, rf.size, rf.jump, rf.is_global, rf.deformable,
            rf.input if len(result.rf_by_input) > 1 else None)


@lru_cache(maxsize=4096)
def _shape_label(shape: tuple) -> str:
    return fmt_shape(shape)


@lru_cache(maxsize=4096)
def _text_width(text: str, font_key: tuple) -> float:
    return QFontMetricsF(look.font(*font_key)).horizontalAdvance(text)


@lru_cache(maxsize=8)
def _line_height(font_key: tuple) -> float:
    return QFontMetricsF(look.font(*font_key)).height()


@lru_cache(maxsize=4096)
def _label_size(shape: str, rf: str) -> tuple[float, float]:
    """Width and height of a label showing ``shape`` over ``rf`` (0, 0 when empty)."""
    w = h = 0.0
    if shape:
        w, h = _text_width(shape, _SHAPE_FONT), _line_height(_SHAPE_FONT)
    if rf:
        w, h = max(w, _text_width(rf, _RF_FONT)), h + _line_height(_RF_FONT)
    pad_x, pad_y = EdgeLabelItem.PAD_X, EdgeLabelItem.PAD_Y
    return (w + 2 * pad_x, h + 2 * pad_y) if w else (0.0, 0.0)


def label_size(result: NodeResult | None) -> tuple[float, float]:
    """Width and height of the label of an edge leaving a node with ``result`` (its
    texts and their size are memoised: labels repeat them)."""
    return _label_size(*edge_label_texts(result))


#: what a label on another label costs (``GraphScene.label_conflict``)
ON_LABEL = 100


class EdgeLabelItem(QGraphicsItem):
    """The label of an edge: shape on the first line, receptive field below.

    A top-level item above every edge and below every card (the scene adds and
    removes it with its edge). The size comes from cached font metrics; the
    text layout is prepared on first paint, so updating many labels is cheap.

    Parameters
    ----------
    edge : designer.canvas.edge_item.EdgeItem
        The edge labelled (its selection colours the label's frame).
    """

    PAD_X, PAD_Y = 5.0, 2.5

    def __init__(self, edge):
        super().__init__()
        self.edge = edge
        self._shape_text = ""
        self._rf_text = ""
        self._st: tuple | None = None
        self._rect = QRectF()
        self._size = (0.0, 0.0)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(1)
        self.setVisible(False)

    @property
    def shape_text(self) -> str:
        """The first line (the output shape), up to date with the analysis."""
        self.edge.freshen()
        return self._shape_text

    @property
    def rf_text(self) -> str:
        """The second line (the receptive field), up to date with the analysis."""
        self.edge.freshen()
        return self._rf_text

    def set_texts(self, shape: str, rf: str) -> bool:
        """Set the texts; returns True when the label's size changed."""
        if shape == self._shape_text and rf == self._rf_text:
            return False
        self._shape_text, self._rf_text = shape, rf
        self._st = None
        size = _label_size(shape, rf)
        resized = size != self._size
        if resized:  # geometry changes only with the size (digits are tabular)
            self.prepareGeometryChange()
            self._size = size
            self._rect = QRectF(0, 0, *size)
            shown = bool(size[0])
            if self.isVisible() != shown:
                self.setVisible(shown)
        self.update()
        return resized

    def size(self):
        """Size of the label (empty while it shows no text)."""
        return self._rect.size()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        """The label's box, from the cached text size (origin at its top-left)."""
        return self._rect

    def _layout(self) -> tuple:
        out = []
        for text, f in ((self._shape_text, _SHAPE_FONT), (self._rf_text, _RF_FONT)):
            if not text:
                continue
            out.append((look.static_text(text, f), f,
                        look.INK if f is _SHAPE_FONT else look.INK_SOFT))
        return tuple(out)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        """Draw the framed label; nothing below :data:`LABEL_MIN_ZOOM`.

        The frame takes the accent colour while the edge is selected. The text
        layout is prepared here on the first paint after a change.
        """
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        if lod < LABEL_MIN_ZOOM or self._rect.isEmpty():
            return
        if self._st is None:
            self._st = self._layout()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        selected = self.edge.isSelected()
        painter.setPen(QPen(look.ACCENT if selected else look.LABEL_BORDER, 1.0))
        painter.setBrush(look.LABEL_BG)
        painter.drawRoundedRect(self._rect.adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        y = self.PAD_Y
        for st, f, color in self._st:
            painter.setFont(look.font(*f))
            painter.setPen(color)
            painter.drawStaticText(QPointF(self.PAD_X, y), st)
            y += _line_height(f)
