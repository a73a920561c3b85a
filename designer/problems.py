"""The problems list: the analysis' errors (red) and warnings (amber).

Clicking a row asks the window to select and centre its node
(:attr:`ProblemsView.nodeRequested`). The list is rebuilt only when the
issues change, so it costs nothing while the user drags nodes around.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QTreeWidget,
    QTreeWidgetItem,
)

from designer.look import STATE_COLORS, status_icon

__all__ = ["ProblemsView"]

NODE_ROLE = Qt.ItemDataRole.UserRole


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
    """

    nodeRequested = Signal(str)
    countsChanged = Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc = None
        self._shown: tuple | None = None
        self.setColumnCount(2)
        self.setHeaderLabels(["Node", "Problem"])
        self.setRootIsDecorated(False)
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
        self.itemClicked.connect(self._activated)
        self.itemActivated.connect(self._activated)

    def set_document(self, doc) -> None:
        """Follow ``doc``'s analysis (disconnects the previous document)."""
        if self.doc is not None:
            try:
                self.doc.analysisChanged.disconnect(self._on_analysis)
            except (RuntimeError, TypeError):
                pass
        self.doc = doc
        self._shown = None
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
                item.setData(0, Qt.ItemDataRole.UserRole + 1, level)
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

    def issue_count(self) -> int:
        """Rows that show an issue (not the "no problems" row)."""
        return sum(1 for i in range(self.topLevelItemCount())
                   if self.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole + 1))

    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        node = item.data(0, NODE_ROLE)
        if node:
            self.nodeRequested.emit(node)
