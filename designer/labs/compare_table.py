"""The table of a comparison: "this design compared with B", node by node, then the
totals (:class:`engine.labs.DesignDiff`).

Added nodes are in this design only, removed ones in B only; a changed node
lists each difference with B's value, this design's and the signed change
(this design − B). Clicking a row that names a node of this design emits
:attr:`CompareTable.nodeRequested`.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer import look
from designer.look import bold_font, plural
from engine.labs import DesignDiff

from .diff_badge import KIND_COLORS
from .wording import delta, entry_rows, show_value

__all__ = ["CompareTable"]

NODE_ROLE = Qt.ItemDataRole.UserRole
#: the last, empty column takes the spare width
COLUMNS = ("Node", "What", "B", "This design", "Δ", "")


class CompareTable(QWidget):
    """A one-line summary with a Clear button over a five-column table.

    Signals
    -------
    nodeRequested(str)
        A row about a node of this design was clicked.
    clearRequested()
        The Clear button was pressed.
    """

    nodeRequested = Signal(str)
    clearRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.diff: DesignDiff | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(4)
        head = QHBoxLayout()
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.clear_button = QToolButton(self)
        self.clear_button.setText("Clear")
        self.clear_button.setToolTip("Remove the comparison and its badges from the canvas")
        self.clear_button.clicked.connect(self.clearRequested)
        head.addWidget(self.summary, 1)
        head.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(head)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setStretchLastSection(True)
        for col in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)
        lay.addWidget(self.tree, 1)
        self.show_diff(None, "B")

    def show_diff(self, diff: DesignDiff | None, name: str, where: str = "") -> None:
        """Show ``diff`` of design ``name`` (B; ``where`` is its file) with this design;
        None: no comparison."""
        self.tree.headerItem().setText(2, name)
        if diff is not None and diff == self.diff and self.tree.topLevelItemCount():
            return
        self.diff = diff
        self.tree.clear()
        if diff is None:
            self.summary.setText("No comparison. <b>File → Compare with…</b> marks what this "
                                 "design adds, removes and changes relative to another.")
            return
        ok, err = KIND_COLORS["added"], KIND_COLORS["removed"]
        n_add, n_rem = len(diff.added), len(diff.removed)
        parts = [look.span(f"+{plural(n_add, 'node')} added", ok if n_add else look.INK_FAINT),
                 look.span(f"\u2212{n_rem} removed", err if n_rem else look.INK_FAINT),
                 f"{len(diff.changed)} changed"]
        self.summary.setText(f"This design compared with <b>{html.escape(name)}</b>: "
                             + ", ".join(parts) + f" (Δ = this design \u2212 {html.escape(name)})."
                             + (" Same design." if diff.same else ""))
        self.summary.setToolTip(where)
        rows = []
        for nid, type_name in diff.added:
            rows.append(self._row([nid, "+ added", look.MISSING, type_name, ""], nid, ok))
        for nid, type_name in diff.removed:
            rows.append(self._row([nid, "\u2212 removed", type_name, look.MISSING, ""], None,
                                  err))
        for entry in diff.changed:
            for i, cells in enumerate(entry_rows(entry)):
                rows.append(self._row([entry["id"] if i == 0 else "", *cells], entry["id"]))
        if not rows:
            rows.append(self._row(["", f"same design as {name}: "
                                   "no node added, removed or changed", "", "", ""], None))
        for i, key in enumerate(("params", "macs")):
            a, b = diff.total[key]
            label = "params" if key == "params" else "MACs"
            row = self._row(["total" if i == 0 else "", label, show_value(key, a),
                             show_value(key, b), delta(a, b)], None)
            for col in range(len(COLUMNS)):
                row.setFont(col, bold_font(self.tree.font()))
            rows.append(row)
        self.tree.addTopLevelItems(rows)
        self.tree.setToolTip(f"{plural(len(diff.changed), 'changed node')}; Δ = this "
                             f"design − {name}")

    def _row(self, cells: list[str], node: str | None, color=None) -> QTreeWidgetItem:
        item = QTreeWidgetItem(cells)
        item.setData(0, NODE_ROLE, node)
        for col in (2, 3, 4):
            item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight
                                  | Qt.AlignmentFlag.AlignVCenter)
        if color is not None:
            item.setForeground(1, QBrush(color))
        return item

    def _clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        node = item.data(0, NODE_ROLE)
        if node:
            self.nodeRequested.emit(node)
