"""A group on the canvas: a collapsed group's card, an expanded group's frame.

:class:`GroupCardItem` stands for a collapsed group: one card (a stack of
cards) with the group's name, the shapes entering and leaving it, its receptive
field and its summed params and MACs (:mod:`.group_facts`). The edges of its
members attach to it (the hidden member cards stand where it stands); dragging
it moves its members; a double-click expands it.

:class:`GroupFrameItem` is an expanded group: a labelled frame drawn behind its
members, with a collapse button in its header. Only the header takes the
mouse, so a rubber band can start inside the frame. Dragging the header moves the
group; a double-click on it renames the group.

Both only show the model; edits go through the scene's group operations
(:class:`~designer.canvas.scene_groups.SceneGroups`).
"""

from __future__ import annotations

import html

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QApplication, QGraphicsItem, QStyleOptionGraphicsItem

from designer import look
from designer.look import fmt_count, fmt_count_long, fmt_shape, plural
from engine.graph import Group

from . import theme
from .group_facts import GroupFacts
from .node_item import OVERVIEW_ZOOM, paint_card_frame

__all__ = ["GroupCardItem", "GroupFrameItem", "CARD_W", "HEADER_H", "facts_lines"]

#: a collapsed group's card: wider than a node card, as high (its members' ports
#: sit on its top and bottom edges)
CARD_W = theme.NODE_W + 28.0
_H = theme.NODE_H
_CARD = QRectF(-CARD_W / 2, -_H / 2, CARD_W, _H)
_BOUNDS = _CARD.adjusted(-9, -9, 14, 14)
#: height of an expanded frame's header (name and collapse button)
HEADER_H = 24.0
_BUTTON = 16.0


def _shapes(shapes: tuple) -> str:
    if not shapes:
        return "–"
    shown = [fmt_shape(s) for s in shapes[:2]]
    return ", ".join(shown) + (" …" if len(shapes) > 2 else "")


def facts_lines(facts: GroupFacts | None) -> tuple[str, str, str, str]:
    """``(shapes in → out, RF, params, MACs)`` as the card writes them."""
    if facts is None:
        return "", "", "", ""
    flow = f"{_shapes(facts.in_shapes)} → {_shapes(facts.out_shapes)}"
    rf = facts.rf.label().split(" · j ")[0] if facts.rf is not None else ""
    params = f"{fmt_count(facts.params)} params" if facts.params is not None else "params ?"
    macs = f"{fmt_count(facts.macs)} MACs" if facts.macs is not None else "MACs ?"
    return flow, rf, params, macs


def _overview(painter: QPainter, rect: QRectF, text: str, lod: float,
              align=Qt.AlignmentFlag.AlignVCenter) -> None:
    """``text`` in a font that stays readable at zoom ``lod``, shrunk to fit ``rect``'s width."""
    px = min(30.0, 12.0 / max(lod, 0.05))
    f = look.font(px, QFont.Weight.DemiBold)
    w = QFontMetricsF(f).horizontalAdvance(text)
    if w > rect.width():
        f = look.font(max(px * 0.6, px * rect.width() / w), QFont.Weight.DemiBold)
    painter.setFont(f)
    painter.setPen(look.INK if align == Qt.AlignmentFlag.AlignVCenter else look.GROUP)
    shown = QFontMetricsF(f).elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
    painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | align, shown)


def _width(text: str, font_key: tuple) -> float:
    return QFontMetricsF(look.font(*font_key)).horizontalAdvance(text)


def _elide(text: str, font_key: tuple, width: float) -> str:
    return QFontMetricsF(look.font(*font_key)).elidedText(text, Qt.TextElideMode.ElideRight,
                                                         width)


class _ShowsGroup:
    """What both group items share: the group value they show (``self.group``)."""

    @property
    def group_id(self) -> str:
        """Id of the group shown."""
        return self.group.id

    def set_group(self, group: Group) -> None:
        """Show a new value of the group (its name)."""
        if group != self.group:
            self.group = group
            self.update()


class GroupCardItem(_ShowsGroup, QGraphicsItem):
    """The card of a collapsed group (its position is the card's centre).

    Parameters
    ----------
    scene_groups : SceneGroups
        The scene's group operations (drag, expand).
    group : engine.graph.Group
        The group shown.
    """

    def __init__(self, scene_groups, group: Group):
        super().__init__()
        self.ops = scene_groups
        self.group = group
        self.facts: GroupFacts | None = None
        self._press: QPointF | None = None
        self._start: QPointF | None = None
        self._moved = False
        self._hover = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setAcceptHoverEvents(True)
        self.setZValue(2)

    def set_facts(self, facts: GroupFacts | None) -> None:
        """Show new figures (repainted only when they changed)."""
        if facts != self.facts:
            self.facts = facts
            self.update()

    # -- QGraphicsItem ---------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        """The card with room for the stacked card behind it and the halo."""
        return _BOUNDS

    def shape(self) -> QPainterPath:
        """The card itself."""
        path = QPainterPath()
        path.addRoundedRect(_CARD, 8, 8)
        return path

    def card_rect(self) -> QRectF:
        """The card's rectangle in item coordinates."""
        return QRectF(_CARD)

    def toolTip(self) -> str:  # noqa: N802 (Qt API)
        """Rich text: name, members, shapes, receptive field, exact counts."""
        g, f = self.group, self.facts
        rows = [f"<b>{html.escape(g.name)}</b> &nbsp;<code>{html.escape(g.id)}</code>"]
        if f is not None:
            rows.append(plural(len(f.members), "layer"))
            flow = facts_lines(f)[0]
            rows.append(html.escape(flow))
            if f.rf is not None:
                rows.append(html.escape(f.rf.label()))
            rows.append(f"{fmt_count_long(f.params)} parameters · "
                        f"{fmt_count_long(f.macs)} MACs")
            if f.errors:
                rows.append(look.span(f"✖ {plural(f.errors, 'layer')} in error", look.ERROR))
        rows.append(look.span("Double-click to expand", look.INK_FAINT))
        return "<br>".join(rows)

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Repaint with the hover border."""
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Repaint with the normal border."""
        self._hover = False
        self.update()

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Select the card (Ctrl toggles) and get ready to drag it."""
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.setSelected(not self.isSelected())
        elif not self.isSelected():
            if not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.scene().clearSelection()
            self.setSelected(True)
        self._press, self._start, self._moved = event.scenePos(), self.pos(), False
        event.accept()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Drag the card (and its hidden members) on the grid."""
        if self._press is None:
            return
        d = event.scenePos() - self._press
        if not self._moved and d.manhattanLength() < QApplication.startDragDistance():
            return
        self._moved = True
        self.ops.drag_card(self, QPointF(self.ops.snap(d.x()), self.ops.snap(d.y())))

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Move the members in the model by how far the card went (one undo step)."""
        press, self._press = self._press, None
        if press is not None and self._moved:
            self.ops.drop_card(self, self.pos() - self._start)
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Expand the group in place."""
        self._press = None
        self.ops.set_collapsed(self.group.id, False)
        event.accept()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        """A card on a stack of one more: stripe, name, member count, flow and figures."""
        rect = QRectF(_CARD)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(look.with_alpha(look.SHADOW, 18))
        painter.drawRoundedRect(rect.adjusted(-1, 2, 1, 4), 9, 9)
        # the card behind (a stack: this is a group)
        painter.setPen(QPen(look.CARD_BORDER, 1.0))
        painter.setBrush(look.ALT_BASE)
        painter.drawRoundedRect(rect.translated(5, 5), 8, 8)
        selected = self.isSelected()
        if selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(look.with_alpha(look.ACCENT, 55))
            painter.drawRoundedRect(rect.adjusted(-4.5, -4.5, 4.5, 4.5), 11, 11)
        f = self.facts
        if f is not None and f.errors:
            border, width = look.ERROR, 2.0
        elif selected:
            border, width = look.ACCENT, 1.6
        elif self._hover:
            border, width = look.CARD_HOVER, 1.2
        else:
            border, width = look.GROUP, 1.2
        paint_card_frame(painter, rect, border, width, look.GROUP, 6)
        left, right = rect.left() + 16, rect.right() - 10
        width = right - left
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        if lod < OVERVIEW_ZOOM:  # zoomed out: the name alone, large enough to read
            _overview(painter, QRectF(left, rect.top(), width, rect.height()),
                      self.group.name, lod)
            return
        align_l = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        align_r = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        title = "▸ " + self.group.name
        count = plural(len(f.members), "layer") if f is not None else ""
        count_w = _width(count, look.SMALL_TEXT) + 10 if count else 0.0
        if _width(title, look.TITLE_TEXT) + count_w > width:
            count, count_w = "", 0.0  # the name first; the count is in the tooltip
        top = rect.top() + 5
        painter.setFont(look.font(*look.TITLE_TEXT))
        painter.setPen(look.INK)
        painter.drawText(QRectF(left, top, width - count_w, 18), align_l,
                         _elide(title, look.TITLE_TEXT, width - count_w))
        small = look.SMALL_TEXT
        painter.setFont(look.font(*small))
        painter.setPen(look.INK_FAINT)
        if count:
            painter.drawText(QRectF(right - count_w, top, count_w, 18), align_r, count)
        flow, rf, params, macs = facts_lines(f)
        for i, (text, side) in enumerate(((flow, rf), (params, macs))):
            y = top + 20 + 17 * i
            side_w = _width(side, small) + 8 if side else 0.0
            painter.setPen(look.INK_SOFT)
            painter.drawText(QRectF(left, y, width - side_w, 17), align_l,
                             _elide(text, small, width - side_w))
            if side:
                painter.setPen(look.INK_FAINT if i == 0 else look.INK_SOFT)
                painter.drawText(QRectF(right - side_w, y, side_w, 17), align_r, side)


class GroupFrameItem(_ShowsGroup, QGraphicsItem):
    """The frame of an expanded group, behind its members.

    Parameters
    ----------
    scene_groups : SceneGroups
        The scene's group operations (collapse, rename).
    group : engine.graph.Group
        The group shown.
    depth : int
        How many groups hold it (inner frames are drawn above outer ones).
    """

    def __init__(self, scene_groups, group: Group, depth: int):
        super().__init__()
        self.ops = scene_groups
        self.group = group
        self.rect = QRectF()
        self._press: QPointF | None = None
        self._shown = QPointF()  # how far a drag has moved the frame so far
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setZValue(-1.0 + 0.01 * depth)

    def set_rect(self, rect: QRectF) -> None:
        """Frame ``rect`` (scene coordinates, the header included)."""
        if rect != self.rect:
            self.prepareGeometryChange()
            self.rect = QRectF(rect)
            self.update()

    def header(self) -> QRectF:
        """The header band (the part that takes the mouse)."""
        return QRectF(self.rect.left(), self.rect.top(), self.rect.width(), HEADER_H)

    def button(self) -> QRectF:
        """The collapse button, at the header's right end."""
        h = self.header()
        return QRectF(h.right() - _BUTTON - 6, h.center().y() - _BUTTON / 2, _BUTTON, _BUTTON)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        """The frame, 3 units larger (pen and selection)."""
        return self.rect.adjusted(-3, -3, 3, 3)

    def shape(self) -> QPainterPath:
        """Only the header: clicks inside the frame go to the canvas."""
        path = QPainterPath()
        path.addRect(self.header())
        return path

    def toolTip(self) -> str:  # noqa: N802 (Qt API)
        """The name and what the header does."""
        return (f"<b>{html.escape(self.group.name)}</b><br>"
                + look.span("Click − to collapse; drag to move; double-click the name to "
                            "rename", look.INK_FAINT))

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """The button collapses the group; elsewhere the header selects it."""
        if event.button() == Qt.MouseButton.LeftButton and \
                self.button().adjusted(-3, -3, 3, 3).contains(event.scenePos()):
            self.ops.set_collapsed(self.group.id, True)
            event.accept()
            return
        if not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.scene().clearSelection()
        self.setSelected(True)
        if event.button() == Qt.MouseButton.LeftButton:
            self._press, self._shown = event.scenePos(), QPointF()
        event.accept()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Drag the whole group by its header (on the grid)."""
        if self._press is None:
            return
        d = event.scenePos() - self._press
        if self._shown.isNull() and d.manhattanLength() < QApplication.startDragDistance():
            return
        target = QPointF(self.ops.snap(d.x()), self.ops.snap(d.y()))
        if target != self._shown:
            self.ops.drag_frame(self, target - self._shown)
            self._shown = target

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Move the group's members in the model by how far the frame went."""
        press, self._press = self._press, None
        if press is not None and not self._shown.isNull():
            self.ops.drop_card(self, self._shown)
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Rename the group (a dialog)."""
        if not self.button().adjusted(-3, -3, 3, 3).contains(event.scenePos()):
            self.ops.ask_rename(self.group.id)
        event.accept()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        """Rounded frame, tinted inside; header with the name and the − button."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        selected = self.isSelected()
        painter.setPen(QPen(look.ACCENT if selected else look.with_alpha(look.GROUP, 150),
                            1.6 if selected else 1.0, Qt.PenStyle.DashLine))
        painter.setBrush(look.GROUP_FILL)
        painter.drawRoundedRect(self.rect, 10, 10)
        h = self.header()
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        if lod < OVERVIEW_ZOOM:  # zoomed out: the name, large, on the header's line
            _overview(painter, QRectF(h.left() + 8, h.bottom() - 40, h.width() - 16, 38),
                      self.group.name, lod, Qt.AlignmentFlag.AlignBottom)
            return
        painter.setFont(look.font(*look.TITLE_TEXT))
        painter.setPen(look.GROUP)
        painter.drawText(h.adjusted(12, 0, -_BUTTON - 14, 0),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         _elide("▾ " + self.group.name, look.TITLE_TEXT,
                                h.width() - _BUTTON - 26))
        b = self.button()
        painter.setPen(QPen(look.GROUP, 1.2))
        painter.setBrush(look.CARD)
        painter.drawRoundedRect(b, 3, 3)
        painter.drawLine(QPointF(b.left() + 4, b.center().y()),
                         QPointF(b.right() - 4, b.center().y()))
