"""The node card: family stripe and glyph, title, id, key parameters, ports.

A :class:`NodeItem` only shows a node of the model and its analysis result;
it never edits anything. Mouse behaviour (moving, connecting) lives in
:mod:`designer.canvas.interactions`. Text layouts are prepared once per change
(:class:`QStaticText`), so repainting a card is cheap.
"""

from __future__ import annotations

import html
import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QStaticText,
)
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from designer import look
from designer.look import draw_glyph, fmt_count, fmt_count_long, fmt_shape
from engine import Issue, Node, NodeResult

from . import theme
from .port_item import PortItem
from .stub_item import OutputStubItem

__all__ = ["NodeItem"]

#: below this zoom a card shows its title only, in a larger font
OVERVIEW_ZOOM = 0.55

_W, _H = theme.NODE_W, theme.NODE_H
#: the family glyph's disc (centre from the card's left edge, radius)
_GLYPH_X, _GLYPH_R = 21.0, 12.5
_TEXT_X = -_W / 2 + 39.0
_TEXT_R = _W / 2 - 8.0
#: tops of the three text lines (title; id and count; key parameters)
_LINES = (-_H / 2 + 8.0, -_H / 2 + 25.0, -_H / 2 + 41.0)
_CARD = QRectF(-_W / 2, -_H / 2, _W, _H)
_BOUNDS = _CARD.adjusted(-9, -9, 9, 9)
_SHAPE = QPainterPath()
_SHAPE.addRoundedRect(_CARD, 8, 8)
#: the glyph's box, centred on the disc (the glyph fills about 0.7 of it)
_GLYPH_BOX = QRectF(-9.5, -9.5, 19, 19)


def _static(text: str, size: tuple, width: float) -> tuple[QStaticText, QFont]:
    """Elided, laid-out text and the font it must be drawn with."""
    return look.static_text(text, size, width), look.font(*size)


class NodeItem(QGraphicsItem):
    """A node card. Its position is the card's centre, as ``Node.pos`` in the file.

    Parameters
    ----------
    node : engine.Node
        The model value shown.
    """

    def __init__(self, node: Node):
        super().__init__()
        self.node = node
        self.kind = node.kind
        self.result: NodeResult | None = None
        self.error: Issue | None = None
        self.warnings: tuple[Issue, ...] = ()
        #: EdgeItems ending here / starting here (kept by the scene)
        self.edges_in: list = []
        self.edges_out: list = []
        self._hover = False
        self._texts: tuple | None = None  # laid out on first paint after a change
        self._face: tuple | None = None  # what the card shows (see set_result)
        #: the look changed out of sight: repaint when seen (GraphScene.reveal)
        self.face_waits = False
        #: ``((x, y), rect)``: the card as an obstacle to routes, where it was last asked
        self.obstacle: tuple | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setAcceptHoverEvents(True)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(2)
        self.output_port = PortItem(self, True)
        self.output_port.setPos(0, _H / 2)
        self.input_ports: list[PortItem] = []
        self.set_connected_inputs({})
        #: the output stub, made when the card first shows an output with no edge
        self.stub: OutputStubItem | None = None

    # -- identity ------------------------------------------------------------------------
    @property
    def node_id(self) -> str:
        """Id of the node shown."""
        return self.node.id

    # -- model updates -----------------------------------------------------------------
    def set_node(self, node: Node) -> None:
        """Show a new value of the node (parameters changed or renamed).

        The card shows the id; what parameters change reaches it as a new
        analysis result (:meth:`set_result`).
        """
        renamed = node.id != self.node.id
        self.node = node
        self.kind = node.kind
        if renamed:
            self._texts = None
            self.update()

    def set_result(self, result: NodeResult | None, warnings: tuple[Issue, ...],
                   shown: bool = True) -> None:
        """Show a new analysis result (repainted only when the card changes).

        Only a change of what the card shows (key parameters, parameter count,
        error or warning state) repaints it: an edit upstream usually changes
        the shape and receptive field of every node below, which the edge
        labels show, not the cards. A card out of sight (``shown`` False)
        repaints when the view is about to show it (:meth:`show_face`).
        """
        self.result = result
        self.error = result.error if result is not None else None
        self.warnings = warnings
        if not self.edges_out or self.stub is not None:
            self.sync_stub()
        face = (None if result is None else
                (result.summary, result.params,
                 result.shape if self.kind.max_inputs == 0 else None),
                self.error is not None, bool(warnings))  # what _card_texts shows
        if face == self._face:
            return
        self._face = face
        self._texts = None
        if shown:
            self.update()
        else:
            self.face_waits = True

    def show_face(self) -> None:
        """Repaint a card whose look changed while out of sight."""
        self.face_waits = False
        self.update()

    def sync_stub(self) -> None:
        """Show the output stub while no edge leaves the card (its output has no label)."""
        if self.edges_out:
            if self.stub is not None and self.stub.isVisible():
                self.stub.setVisible(False)
            return
        if self.stub is None:
            if self.result is None or self.result.shape is None:
                return
            self.stub = OutputStubItem(self)
        self.stub.show_result(self.result)

    def set_connected_inputs(self, sources: dict[int, str]) -> None:
        """Input slots from ``{port: source id}``: merges show one free slot more."""
        kind = self.kind
        if kind.max_inputs == 0:
            n = 0
        elif kind.max_inputs == 1:
            n = 1
        else:
            used = max(sources) + 1 if sources else 0
            n = min(kind.max_inputs, max(kind.min_inputs, used + 1))
            if kind.slots:
                n = len(kind.slots)
        if n != len(self.input_ports):
            for p in self.input_ports[n:]:
                p.setParentItem(None)
                if p.scene() is not None:
                    p.scene().removeItem(p)
            del self.input_ports[n:]
            for i in range(len(self.input_ports), n):
                name = kind.slots[i] if kind.slots and i < len(kind.slots) else None
                self.input_ports.append(PortItem(self, False, i, name))
            for i, p in enumerate(self.input_ports):
                p.setPos(-_W / 2 + _W * (i + 1) / (n + 1), -_H / 2)
        for i, p in enumerate(self.input_ports):
            p.set_connected(i in sources)

    def input_port(self, index: int) -> PortItem | None:
        """The port of input slot ``index``, or None when the card has no such slot."""
        return self.input_ports[index] if 0 <= index < len(self.input_ports) else None

    def input_anchor(self, index: int) -> QPointF:
        """Scene point where an edge into slot ``index`` ends."""
        port = self.input_port(index)
        if port is not None:
            return port.scenePos()
        return self.scenePos() + QPointF(0, -_H / 2)

    def output_anchor(self) -> QPointF:
        """Scene point where edges leaving the card start (the output port)."""
        return self.scenePos() + QPointF(0, _H / 2)

    # -- text ------------------------------------------------------------------------
    def _card_texts(self) -> tuple[str, str]:
        """``(key parameters, parameter count)`` as the card shows them."""
        r = self.result
        if r is None:
            return "", ""
        summary = r.summary or ""
        if not summary and self.kind.max_inputs == 0 and r.shape:
            summary = fmt_shape(r.shape)
        count = ""
        if r.params is not None:
            count = f"{fmt_count(r.params)} params" if r.params != 1 else "1 param"
        return summary, count

    def _layout_text(self) -> None:
        kind = self.kind
        width = _TEXT_R - _TEXT_X
        summary, count = self._card_texts()
        count_st = _static(count, look.BODY_TEXT, width) if count else None
        count_w = count_st[0].size().width() + 8 if count_st is not None else 0
        self._texts = (
            _static(kind.title, look.TITLE_TEXT, width),
            _static(self.node.id, look.BODY_TEXT, width - count_w),
            _static(summary, look.BODY_TEXT, width) if summary else None,
            count_st,
        )

    def toolTip(self) -> str:  # noqa: N802 (Qt API; built on demand, see GraphScene.helpEvent)
        """Rich text: type, id, shape, counts, receptive field, errors and warnings."""
        kind, r, n = self.kind, self.result, self.node
        rows = [f"<b>{html.escape(kind.title)}</b> &nbsp;<code>{html.escape(n.id)}</code>"]
        if r is not None:
            if r.shape is not None:
                rows.append(f"output {fmt_shape(r.shape)}")
            if r.params is not None:
                rows.append(f"{fmt_count_long(r.params)} parameters · "
                            f"{fmt_count_long(r.macs)} MACs")
            if r.rf is not None:
                rows.append(html.escape(r.rf.label()))
        if self.error is not None:
            rows.append(look.span(f"✖ {html.escape(self.error.message, quote=False)}",
                                  look.ERROR))
        for w in self.warnings:
            rows.append(look.span(f"⚠ {html.escape(w.message, quote=False)}", look.WARNING))
        if kind.doc and self.error is None and not self.warnings:
            rows.append(look.span(html.escape(kind.doc), look.INK_FAINT))
        return "<br>".join(rows)

    # -- QGraphicsItem -----------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        """The card with a 9-unit margin for its shadow, selection halo and badge."""
        return _BOUNDS

    def shape(self) -> QPainterPath:
        """The rounded card itself (the margin of :meth:`boundingRect` is not hit)."""
        return _SHAPE

    def card_rect(self) -> QRectF:
        """The card's rectangle in item coordinates (a copy; the item's origin is its centre)."""
        return QRectF(_CARD)

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Repaint with the hover border."""
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Repaint with the normal border."""
        self._hover = False
        self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        """Draw the card: shadow, selection halo, border, family stripe, glyph, texts, badge.

        The border is red for an error, amber for warnings, else accent when
        selected. Below :data:`OVERVIEW_ZOOM` only the title is drawn, larger.
        """
        rect = self.card_rect()
        color = look.kind_color(self.kind)
        # soft shadow: at 5-9 % opacity its edges need no antialiasing (6x cheaper)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(Qt.PenStyle.NoPen)
        for dy, grow, alpha in ((3.0, 1.5, 14), (1.5, 0.5, 22)):
            painter.setBrush(look.with_alpha(look.SHADOW, alpha))
            painter.drawRoundedRect(rect.adjusted(-grow, -grow + dy, grow, grow + dy), 9, 9)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        selected = self.isSelected()
        if selected:
            painter.setBrush(look.with_alpha(look.ACCENT, 55))
            painter.drawRoundedRect(rect.adjusted(-4.5, -4.5, 4.5, 4.5), 11, 11)
        # card
        if self.error is not None:
            border, width = look.ERROR, 2.0
        elif self.warnings:
            border, width = look.WARNING, 2.0
        elif selected:
            border, width = look.ACCENT, 1.6
        elif self._hover:
            border, width = look.CARD_HOVER, 1.2
        else:
            border, width = look.CARD_BORDER, 1.0
        paint_card_frame(painter, rect, border, width, color, 5)
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        if lod < OVERVIEW_ZOOM:
            self._paint_overview(painter, rect, lod)
            self._paint_badge(painter, rect)
            return
        # glyph on a tinted disc
        centre = QPointF(rect.left() + _GLYPH_X, 0)
        painter.setBrush(look.with_alpha(color, 30))
        painter.drawEllipse(centre, _GLYPH_R, _GLYPH_R)
        draw_glyph(painter, _GLYPH_BOX.translated(centre), self.kind.glyph_key(), color)
        self._paint_text(painter)
        self._paint_badge(painter, rect)

    def _paint_overview(self, painter: QPainter, rect: QRectF, lod: float) -> None:
        """Zoomed out: the title alone, large enough to read."""
        text_rect = rect.adjusted(14, 0, -8, 0)
        px = min(30.0, 12.0 / max(lod, 0.05))
        f = look.font(px, QFont.Weight.DemiBold)
        width = QFontMetricsF(f).horizontalAdvance(self.kind.title)
        if width > text_rect.width():  # shrink a little rather than elide (whole pixels)
            f = look.font(math.floor(max(px * 0.6, px * text_rect.width() / width)),
                           QFont.Weight.DemiBold)
        painter.setFont(f)
        painter.setPen(look.INK)
        shown = QFontMetricsF(f).elidedText(self.kind.title, Qt.TextElideMode.ElideRight,
                                            text_rect.width())
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         shown)

    def _paint_text(self, painter: QPainter) -> None:
        if self._texts is None:
            self._layout_text()
        title, ident, summary, count = self._texts
        y_title, y_id, y_summary = _LINES
        _draw(painter, title, QPointF(_TEXT_X, y_title), look.INK)
        _draw(painter, ident, QPointF(_TEXT_X, y_id), look.INK_FAINT)
        if summary is not None:
            _draw(painter, summary, QPointF(_TEXT_X, y_summary), look.INK_SOFT)
        if count is not None:
            _draw(painter, count, QPointF(_TEXT_R - count[0].size().width(), y_id),
                  look.INK_FAINT)

    def _paint_badge(self, painter: QPainter, rect: QRectF) -> None:
        if self.error is not None or self.warnings:
            badge = look.ERROR if self.error is not None else look.WARNING
            c = QPointF(rect.right() - 1, rect.top() + 1)
            painter.setPen(QPen(look.CARD, 1.5))
            painter.setBrush(badge)
            painter.drawEllipse(c, 7.5, 7.5)
            painter.setPen(QPen(look.CARD, 1.8, Qt.PenStyle.SolidLine,
                                Qt.PenCapStyle.RoundCap))
            painter.drawLine(QPointF(c.x(), c.y() - 3.6), QPointF(c.x(), c.y() + 0.8))
            painter.drawPoint(QPointF(c.x(), c.y() + 3.4))


def paint_card_frame(painter: QPainter, rect: QRectF, border, width: float, stripe,
                     stripe_width: float) -> None:
    """A card's rounded body with its border and the coloured stripe along its left edge
    (layer cards and collapsed group cards share it)."""
    painter.setBrush(look.CARD)
    painter.setPen(QPen(border, width))
    painter.drawRoundedRect(rect, 8, 8)
    path, clip = QPainterPath(), QPainterPath()
    path.addRoundedRect(rect, 8, 8)
    clip.addRect(QRectF(rect.left(), rect.top(), stripe_width, rect.height()))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(stripe)
    painter.drawPath(path.intersected(clip))


def _draw(painter: QPainter, text: tuple[QStaticText, QFont], at: QPointF, color) -> None:
    painter.setFont(text[1])
    painter.setPen(color)
    painter.drawStaticText(at, text[0])
