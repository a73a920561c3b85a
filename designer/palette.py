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
from engine.catalogue.aliases import normalise, search_words

__all__ = ["PaletteWidget", "PaletteTree", "mime_data", "ordered_presets", "match_score",
           "preset_tooltip"]

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


def _words(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in normalise(text)).split()


def match_score(preset, query: str) -> float:
    """How well ``preset`` matches every word of ``query`` (0: it does not).

    A word scores 5 when it is a word of the name or type, 4 when it is one of the entry's aliases
    (:func:`engine.catalogue.aliases.search_words`: ``se``, ``deconv``, ``atrous``,
    ``1x1``...), 3 when a word of the name, type or an alias starts with it, 2 when
    a word of the name or type contains it, 1 when a word of the family or
    description starts with it (these two for three letters or more: two would
    be inside half the words). ``×`` is read as ``x`` and hyphens as spaces.
    """
    aliases = search_words(preset.type, preset.params, preset.depthwise)
    name = normalise(f"{preset.name} {preset.type}")
    name_words = _words(name) + [w for a in aliases for w in _words(a)]
    other_words = _words(f"{preset.family} {preset.doc}")
    total = 0.0
    exact = set(_words(name))
    for word in _words(query):
        if word in exact:
            score = 5
        elif word in aliases:
            score = 4
        elif any(w.startswith(word) for w in name_words):
            score = 3
        elif len(word) >= 3 and any(word in w for w in exact):  # "pool" in "maxpool2d"
            score = 2
        elif len(word) >= 3 and any(w.startswith(word) for w in other_words):
            score = 1  # two letters would start half the words of the descriptions
        else:
            return 0.0
        total += score
    phrase = " ".join(_words(query))
    if len(phrase.split()) > 1 and phrase in aliases:  # "fractionally strided"
        total += 4
    return total


def preset_tooltip(preset) -> str:
    """Rich text of a palette entry: name, type, doc, what the preset sets (its own
    parameters, then the others at their defaults), aliases and inputs."""
    kind = CATALOGUE[preset.type]
    type_line = "" if preset.name == preset.type else \
        "<br>" + look.span(preset.type, look.INK_FAINT)
    own = preset.params
    sets = ", ".join(f"{k} {_value(v)}" for k, v in own.items()) or "nothing"
    if preset.depthwise:
        sets += " (groups and out_channels follow the input's channels)"
    rest = [f"{p.name} {_value(p.default)}" for p in kind.params
            if p.name not in own and p.default is not None]
    defaults = f"<br>defaults: {', '.join(rest)}" if rest else ""
    aliases = search_words(preset.type, preset.params, preset.depthwise)
    also = f"<br>also found as: {', '.join(aliases)}" if aliases else ""
    inputs = ("no inputs" if kind.max_inputs == 0 else "1 input" if
              kind.max_inputs == 1 else "any number of inputs"
              if kind.min_inputs == 0 else f"{kind.min_inputs}+ inputs")
    return (f"<b>{preset.name}</b>{type_line}<p>{preset.doc}</p>"
            f"<p><b>sets</b> {sets}{look.span(defaults, look.INK_SOFT)}</p>"
            + look.span(f"{inputs} · drag onto the canvas, or double-click to add below "
                        f"the selection{also}", look.INK_FAINT))


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "×".join(map(str, v)) if all(isinstance(x, int) for x in v) else str(list(v))
    return str(v)


def _family_ink(family: str):
    """A family's colour as heading text: darker on light, lighter on dark."""
    color = look.family_color(family)
    return color.lighter(150) if look.themes.is_dark() else color.darker(135)


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
        search box picks the best match).
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
        self.search.setToolTip("Filter by name, type, alias, family or description "
                               "(e.g. se, deconv, atrous, 1x1); Enter adds the best match")
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
            head.setForeground(0, _family_ink(family))
            self.tree.addTopLevelItem(head)
            for preset in presets:
                kind = CATALOGUE[preset.type]
                item = QTreeWidgetItem([preset.name])
                item.setIcon(0, look.kind_icon(kind, 20))
                item.setData(0, PRESET_ROLE, preset)
                item.setSizeHint(0, QSize(0, 21))
                item.setToolTip(0, preset_tooltip(preset))
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsDragEnabled)
                head.addChild(item)
                self.items[preset.name] = item
            self._families.append(head)
        self.tree.expandAll()
        look.notifier.changed.connect(self._recolour)

    def _recolour(self, _dark: bool) -> None:
        """The theme changed: family headings in the new ink."""
        for head in self._families:
            head.setForeground(0, _family_ink(head.text(0)))

    def set_filter(self, text: str) -> None:
        """Show only presets that match every word (:func:`match_score`: name, type,
        aliases, family, description); the best match becomes the current item."""
        words = text.split()
        self._scores = {}
        for head in self._families:
            shown = 0
            for i in range(head.childCount()):
                item = head.child(i)
                p = item.data(0, PRESET_ROLE)
                score = match_score(p, text) if words else 1.0
                item.setHidden(not score)
                if score:
                    self._scores[p.name] = score
                shown += bool(score)
            head.setHidden(shown == 0)
            if words and shown:
                head.setExpanded(True)
        best = self.best_match()
        if words and best is not None:
            self.tree.setCurrentItem(self.items[best.name])

    def best_match(self):
        """The shown preset that matches the search best (the first on a tie), or None."""
        shown = self.visible_presets()
        if not shown:
            return None
        scores = getattr(self, "_scores", {})
        return max(shown, key=lambda p: scores.get(p.name, 0.0))

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
        """Down in the search box moves to the best match in the tree."""
        if obj is self.search and event.type() == QEvent.Type.KeyPress \
                and event.key() == Qt.Key.Key_Down:
            best = self.best_match()
            if best is not None:
                self.tree.setCurrentItem(self.items[best.name])
                self.tree.setFocus()
                return True
        return super().eventFilter(obj, event)

    def _activate_first(self) -> None:
        best = self.best_match()
        if best is not None:
            self.presetActivated.emit(best)

    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        preset = item.data(0, PRESET_ROLE)
        if preset is not None:
            self.presetActivated.emit(preset)
