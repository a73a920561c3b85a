"""The layer palette: every ``engine.PRESETS`` entry, grouped by family, searchable.

Dragging an entry starts a :class:`~PySide6.QtGui.QDrag` carrying
:data:`~designer.document.LAYER_MIME` JSON ``{"type", "params", "preset"}`` that
the canvas accepts; double-clicking (or Enter) emits
:attr:`PaletteWidget.presetActivated`, which the window turns into "add below
the selected node, connected to it" (one undo step, by the canvas editor).
"""

from __future__ import annotations

import json

from PySide6.QtCore import QEvent, QMimeData, QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QDrag, QFontMetrics, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer import look
from designer.document import LAYER_MIME
from engine import CATALOGUE, FAMILIES, PRESETS

__all__ = ["PaletteWidget", "PaletteTree", "mime_data", "ordered_presets"]

PRESET_ROLE = Qt.ItemDataRole.UserRole


def mime_data(preset, in_channels: int | None = None) -> QMimeData:
    """The drag payload of ``preset`` (:data:`LAYER_MIME` JSON, and plain text)."""
    payload = {"type": preset.type, "params": preset.initial_params(in_channels),
               "preset": preset.name}
    mime = QMimeData()
    mime.setData(LAYER_MIME, json.dumps(payload).encode("utf-8"))
    mime.setText(preset.name)
    return mime


def ordered_presets() -> dict[str, list]:
    """``{family: [presets]}`` in ``FAMILIES`` order.

    Inside a family, kinds that have named variants come first, each followed
    by its variants (a plain conv, then its dilated, 1×1, grouped and depthwise
    presets, then the kinds without variants); otherwise the catalogue order
    is kept.
    """
    groups: dict[str, list] = {f: [] for f in FAMILIES}
    plain = {p.type: p for p in PRESETS if p.name == CATALOGUE[p.type].title}
    variants: dict[str, list] = {}
    for p in PRESETS:
        if p.name != CATALOGUE[p.type].title:
            variants.setdefault(p.type, []).append(p)
    for p in plain.values():
        groups.setdefault(p.family, [])
    order = sorted(plain.values(), key=lambda p: p.type not in variants)
    for p in order:
        groups[p.family].append(p)
        groups[p.family].extend(variants.get(p.type, []))
    for t, extra in variants.items():  # variants of a kind without a plain entry
        if t not in plain:
            for p in extra:
                groups.setdefault(p.family, []).append(p)
    return {f: items for f, items in groups.items() if items}


def _drag_pixmap(preset, ratio: float) -> QPixmap:
    """A small rounded chip with the kind's tile and the preset name."""
    font = look.bold_font()
    width = QFontMetrics(font).horizontalAdvance(preset.name) + 44
    height = 30
    pm = QPixmap(int(width * ratio), int(height * ratio))
    pm.setDevicePixelRatio(ratio)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    kind = CATALOGUE[preset.type]
    p.setPen(look.kind_color(kind).darker(115))
    p.setBrush(look.CARD)
    p.drawRoundedRect(QRectF(0.5, 0.5, width - 1, height - 1), 7, 7)
    look.paint_tile(p, QRectF(4, 4, 22, 22), kind.family, kind.glyph_key())
    p.setPen(look.INK)
    p.setFont(font)
    p.drawText(QRectF(32, 0, width - 36, height), Qt.AlignmentFlag.AlignVCenter,
               preset.name)
    p.end()
    return pm


class PaletteTree(QTreeWidget):
    """The tree of families and presets; starts a :data:`LAYER_MIME` drag."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(True)
        self.setIndentation(12)
        self.setIconSize(QSize(20, 20))
        self.setUniformRowHeights(False)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAnimated(False)
        self.setExpandsOnDoubleClick(True)

    def startDrag(self, actions) -> None:  # noqa: N802 - Qt override
        """Drag the current preset as :func:`mime_data` (copy action); family rows do not drag.

        The drag shows a chip with the preset's family glyph and name.
        """
        item = self.currentItem()
        preset = item.data(0, PRESET_ROLE) if item is not None else None
        if preset is None:
            return
        drag = QDrag(self)
        drag.setMimeData(mime_data(preset))
        ratio = self.devicePixelRatioF()
        drag.setPixmap(_drag_pixmap(preset, ratio))
        drag.setHotSpot(QPoint(16, 15))
        drag.exec(Qt.DropAction.CopyAction)


class PaletteWidget(QWidget):
    """A search box over the :class:`PaletteTree`.

    Signals
    -------
    presetActivated(object)
        A preset was double-clicked or chosen with Enter (also Enter in the
        search box picks the first match).
    """

    presetActivated = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.setSpacing(6)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search layers…")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Filter by name, type, family or description "
                               "(e.g. atrous, pointwise, upsample); Enter adds the first match")
        lay.addWidget(self.search)
        self.tree = PaletteTree(self)
        lay.addWidget(self.tree, 1)
        self.items: dict[str, QTreeWidgetItem] = {}
        self._families: list[QTreeWidgetItem] = []
        self._populate()
        self.search.installEventFilter(self)
        self.search.textChanged.connect(self.set_filter)
        self.search.returnPressed.connect(self._activate_first)
        self.tree.itemActivated.connect(self._activated)

    def _populate(self) -> None:
        bold = look.bold_font()
        for family, presets in ordered_presets().items():
            head = QTreeWidgetItem([family])
            head.setFont(0, bold)
            head.setToolTip(0, f"{family}: {len(presets)} layer{'s' * (len(presets) != 1)}")
            head.setSizeHint(0, QSize(0, 21))
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            head.setForeground(0, look.family_color(family).darker(135))
            self.tree.addTopLevelItem(head)
            for preset in presets:
                kind = CATALOGUE[preset.type]
                item = QTreeWidgetItem([preset.name])
                item.setIcon(0, look.kind_icon(kind, 20))
                item.setData(0, PRESET_ROLE, preset)
                item.setSizeHint(0, QSize(0, 21))
                type_line = "" if preset.name == preset.type else \
                    "<br>" + look.span(preset.type, look.INK_FAINT)
                inputs = ("no inputs" if kind.max_inputs == 0 else "1 input" if
                          kind.max_inputs == 1 else "any number of inputs"
                          if kind.min_inputs == 0 else f"{kind.min_inputs}+ inputs")
                item.setToolTip(0, f"<b>{preset.name}</b>{type_line}<p>{preset.doc}</p>"
                                   + look.span(f"{inputs} · drag onto the canvas, or "
                                               "double-click to add below the selection",
                                               look.INK_FAINT))
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsDragEnabled)
                head.addChild(item)
                self.items[preset.name] = item
            self._families.append(head)
        self.tree.expandAll()

    def set_filter(self, text: str) -> None:
        """Show only presets whose name, type, family or doc contains every word."""
        words = text.lower().split()
        for head in self._families:
            shown = 0
            for i in range(head.childCount()):
                item = head.child(i)
                p = item.data(0, PRESET_ROLE)
                hay = f"{p.name} {p.type} {p.family} {p.doc}".lower()
                ok = all(w in hay for w in words)
                item.setHidden(not ok)
                shown += ok
            head.setHidden(shown == 0)
            if words and shown:
                head.setExpanded(True)

    def visible_presets(self) -> list:
        """Presets currently shown (after the filter), in display order."""
        out = []
        for head in self._families:
            if head.isHidden():
                continue
            for i in range(head.childCount()):
                item = head.child(i)
                if not item.isHidden():
                    out.append(item.data(0, PRESET_ROLE))
        return out

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        """Down in the search box moves to the first match in the tree."""
        if obj is self.search and event.type() == QEvent.Type.KeyPress \
                and event.key() == Qt.Key.Key_Down:
            shown = self.visible_presets()
            if shown:
                self.tree.setCurrentItem(self.items[shown[0].name])
                self.tree.setFocus()
                return True
        return super().eventFilter(obj, event)

    def _activate_first(self) -> None:
        shown = self.visible_presets()
        if shown:
            self.presetActivated.emit(shown[0])

    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        preset = item.data(0, PRESET_ROLE)
        if preset is not None:
            self.presetActivated.emit(preset)
