"""The problems list: the analysis' errors (red) and warnings (amber), with their fixes.

Clicking a row asks the window to select and centre its node
(:attr:`ProblemsView.nodeRequested`). The list is rebuilt only when the
issues change, so it costs nothing while the user drags nodes around.

Under each issue that one edit mends, its fixes (:mod:`engine.fixes`) follow as
child rows with an *Apply* button (or double-click, or Enter): one undoable
command each (:class:`designer.fix_actions.FixCommand`). Hovering a fix shows
what it would give (the shapes and receptive fields that change). Issues no
single edit mends well (misaligned grids) get a row of advice instead. The
fixes are worked out just after the list is shown (each is checked on a copy
of the graph), so the list itself appears at once.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
)

from designer.fix_actions import FixFinder, apply_fix, preview_text
from designer.look import STATE_COLORS, status_icon
from engine.fixes import issue_key

__all__ = ["ProblemsView"]

NODE_ROLE = Qt.ItemDataRole.UserRole
LEVEL_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2


class _WrapDelegate(QStyledItemDelegate):
    """Rows as tall as their message wrapped to the width of its column."""

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 - Qt override
        size = super().sizeHint(option, index)
        view = self.parent()
        width = view.columnWidth(index.column()) - 12
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        if width > 40 and text:
            rect = option.fontMetrics.boundingRect(
                QRect(0, 0, width, 100_000), int(Qt.TextFlag.TextWordWrap), text)
            size.setHeight(max(size.height(), rect.height() + 6))
        return size


class ProblemsView(QTreeWidget):
    """Two columns (node, message); one row per issue, errors first.

    Signals
    -------
    nodeRequested(str)
        The user clicked (or pressed Enter on) a problem that names a node.
    countsChanged(int, int)
        Number of errors and warnings after a refresh.
    fixApplied(str)
        A fix was applied (its title); a refusal goes to ``message``.
    message(str)
        Something to tell the user (a fix the model refused).
    """

    nodeRequested = Signal(str)
    countsChanged = Signal(int, int)
    fixApplied = Signal(str)
    message = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc = None
        self._shown: tuple | None = None
        self._finder: FixFinder | None = None
        self._fixes_timer = QTimer(self)
        self._fixes_timer.setSingleShot(True)
        self._fixes_timer.setInterval(0)
        self._fixes_timer.timeout.connect(self._add_fixes)
        self.setColumnCount(2)
        self.setHeaderLabels(["Node", "Problem"])
        self.setRootIsDecorated(True)
        self.setMouseTracking(True)  # a fix row's preview is worked out when hovered
        self.setUniformRowHeights(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(True)  # long messages (gridding) wrap instead of being cut
        self.setItemDelegate(_WrapDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = self.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 160)
        # wrapped rows change height with the column width
        header.sectionResized.connect(lambda *_a: self.scheduleDelayedItemsLayout())
        self.itemClicked.connect(self._clicked)
        self.itemActivated.connect(self._activated)
        self.itemEntered.connect(self._hovered)

    def set_document(self, doc) -> None:
        """Follow ``doc``'s analysis (disconnects the previous document)."""
        if self.doc is not None:
            try:
                self.doc.analysisChanged.disconnect(self._on_analysis)
            except (RuntimeError, TypeError):
                pass
        self.doc = doc
        self._shown = None
        self._finder = FixFinder(doc) if doc is not None else None
        if doc is not None:
            doc.analysisChanged.connect(self._on_analysis)
            self._on_analysis(doc.result())
        else:
            self.clear()

    def _on_analysis(self, result) -> None:
        key = (result.errors, result.warnings)
        if key == self._shown:
            return
        self._shown = key
        self.clear()
        items = []
        for level, issues in (("error", result.errors), ("warning", result.warnings)):
            color = QBrush(STATE_COLORS[level])
            for issue in issues:
                node = issue.node or "graph"
                message = issue.message
                if issue.node and message.startswith(f"{issue.node}: "):
                    message = message[len(issue.node) + 2:]
                item = QTreeWidgetItem([node, message])
                item.setIcon(0, status_icon(level))
                item.setForeground(1, color)
                item.setData(0, NODE_ROLE, issue.node)
                item.setData(0, LEVEL_ROLE, level)
                item.setData(0, KEY_ROLE, issue_key(issue))
                tip = issue.message + (f"\n(parameter {issue.param})" if issue.param else "")
                item.setToolTip(0, tip)
                item.setToolTip(1, tip)
                items.append(item)
        if not items:
            item = QTreeWidgetItem(["", "No problems: the graph is valid."])
            item.setIcon(0, status_icon("ok"))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            items.append(item)
        self.addTopLevelItems(items)
        self.countsChanged.emit(len(result.errors), len(result.warnings))
        if result.errors or result.warnings:
            self._fixes_timer.start()

    # -- fixes ----------------------------------------------------------------------------
    def _add_fixes(self) -> None:
        """Add each issue's fixes (or advice) as child rows of its row."""
        if self._finder is None:
            return
        seen: set[str] = set()
        for i in range(self.topLevelItemCount()):
            item = self.topLevelItem(i)
            key = item.data(0, KEY_ROLE)
            if not key or key in seen:  # issues of one node, kind and param share fixes
                continue
            seen.add(key)
            for fix in self._finder.fixes(key):
                child = QTreeWidgetItem(["", fix.title])
                child.setData(0, NODE_ROLE, fix.node)
                child.setData(1, Qt.ItemDataRole.UserRole, fix)
                child.setToolTip(1, fix.detail)
                item.addChild(child)
                button = QToolButton(self)
                button.setText("Apply")
                button.setAutoRaise(False)
                button.setToolTip(f"Apply: {fix.title} (one undo step)")
                button.clicked.connect(lambda _c=False, f=fix: self.apply(f))
                self.setItemWidget(child, 0, button)
            advice = self._finder.advice(key)
            if advice:
                child = QTreeWidgetItem(["", f"Hint: {advice}"])
                child.setData(0, NODE_ROLE, item.data(0, NODE_ROLE))
                child.setToolTip(1, advice)
                item.addChild(child)
            if item.childCount():
                item.setExpanded(True)

    def fixes_shown(self) -> list:
        """The :class:`engine.fixes.Fix` es in the list, in order (after :meth:`_add_fixes`)."""
        out = []
        for i in range(self.topLevelItemCount()):
            item = self.topLevelItem(i)
            for j in range(item.childCount()):
                fix = item.child(j).data(1, Qt.ItemDataRole.UserRole)
                if fix is not None:
                    out.append(fix)
        return out

    def apply(self, fix) -> str | None:
        """Apply ``fix`` as one undo step; the refusal message, or None."""
        if self.doc is None:
            return "no document"
        message = apply_fix(self.doc, fix)
        if message:
            self.message.emit(message)
        else:
            self.fixApplied.emit(fix.title)
        return message

    def _hovered(self, item: QTreeWidgetItem, _column: int) -> None:
        fix = item.data(1, Qt.ItemDataRole.UserRole)
        if fix is None or self.doc is None or item.data(1, KEY_ROLE):
            return
        tip = preview_text(self.doc, fix)
        item.setToolTip(0, tip)
        item.setToolTip(1, tip)
        item.setData(1, KEY_ROLE, True)  # previewed: the list is rebuilt on every change

    def issue_count(self) -> int:
        """Rows that show an issue (not the "no problems" row)."""
        return sum(1 for i in range(self.topLevelItemCount())
                   if self.topLevelItem(i).data(0, LEVEL_ROLE))

    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        """Double-click or Enter: apply a fix row's fix, else show the row's node."""
        fix = item.data(1, Qt.ItemDataRole.UserRole)
        if fix is not None:
            self.apply(fix)
            return
        self._clicked(item)

    def _clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        node = item.data(0, NODE_ROLE)
        if node:
            self.nodeRequested.emit(node)
