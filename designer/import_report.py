"""The report shown after File → Import…: what every source operation became.

One row per source operation (``mapped`` / ``folded`` / ``opaque``, the operation, the
node it became, the note) under a summary: source, how it was read, the counts, the
nodes made, the time taken, and, when some operations could not be expressed, the
Opaque nodes named with what that means (analysis goes on around them; run and export
refuse them). Built from the report's JSON (:meth:`engine.interchange.Report.to_json`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.look import ERROR, INK_FAINT, OK, WARNING, span
from engine.catalogue.interchange import T

__all__ = ["ImportReportDialog", "summary_html", "STATUS_COLORS"]

STATUS_COLORS = {"mapped": OK, "folded": INK_FAINT, "opaque": ERROR}
COLUMNS = ("Status", "Source", "Operation", "Node", "Note")


def _esc(text) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def summary_html(report: dict) -> str:
    """The report's summary as rich text (source, counts, nodes, Opaque nodes named)."""
    counts = report.get("counts", {})
    how = {"fx": "torch.fx", "export": "torch.export", "onnx": "ONNX"}.get(
        report.get("traced_with"), report.get("traced_with", ""))
    parts = [f"<p><b>{_esc(report.get('source', ''))}</b> (read with {_esc(how)}): "
             f"{len(report.get('operations', []))} operations → "
             f"<b>{report.get('nodes', 0)}</b> nodes in {report.get('seconds', 0):.2f} s</p>",
             "<p>" + " · ".join(span(f"{counts.get(k, 0)} {k}", STATUS_COLORS[k])
                                for k in ("mapped", "folded", "opaque")) + "</p>"]
    opaque = report.get("opaque_nodes", [])
    if opaque:
        names = ", ".join(f"<b>{_esc(n)}</b>" for n in opaque)
        parts.append(f"<p>{span(T.opaque, ERROR)}: {names}. These operations have no "
                     "graph type: they keep their traced shape so that analysis goes on "
                     "around them, but Run and Export refuse the graph until they are "
                     "replaced.</p>")
    else:
        parts.append(f"<p>{span('Every operation maps to a graph type.', OK)} The "
                     "imported weights are the engine's current weights: Run shows the "
                     "model's own maps.</p>")
    parts.append("<p>The weights live in a temporary file for this session: keep them "
                 "with Save .pt… in the Engine panel's Weights tab, and the graph with "
                 "File → Save.</p>")
    return "".join(parts)


class ImportReportDialog(QDialog):
    """The import report (non-modal; the imported graph is already open behind it).

    Parameters
    ----------
    report : dict
        The report's JSON.
    parent : QWidget, optional
    """

    def __init__(self, report: dict, parent: QWidget | None = None):
        super().__init__(parent)
        self.report = report
        self.setWindowTitle("Import report")
        self.summary = QLabel(summary_html(report))
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.filter = QComboBox()
        self.filter.addItems(["All operations", "mapped", "folded", "opaque"])
        self.filter.currentTextChanged.connect(self._filter)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.filter)
        top.addStretch(1)
        self.table = self._table(report.get("operations", []))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(760, 520)
        if report.get("opaque_nodes"):
            self.filter.setCurrentText("opaque")

    def _table(self, operations: list[dict]) -> QTableWidget:
        table = QTableWidget(len(operations), len(COLUMNS))
        table.setHorizontalHeaderLabels(COLUMNS)
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setAlternatingRowColors(True)
        for row, item in enumerate(operations):
            status = item.get("status", "")
            values = (status, item.get("source", ""), item.get("op", ""),
                      item.get("node") or "—", item.get("note") or "")
            for col, value in enumerate(values):
                cell = QTableWidgetItem(str(value))
                cell.setToolTip(str(value))
                if col == 0:
                    cell.setForeground(QBrush(STATUS_COLORS.get(status, WARNING)))
                table.setItem(row, col, cell)
        header = table.horizontalHeader()
        for col in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        return table

    def rows(self, status: str | None = None) -> list[tuple[str, ...]]:
        """The table's visible rows as text (``status`` keeps only those)."""
        out = []
        for row in range(self.table.rowCount()):
            if self.table.isRowHidden(row):
                continue
            values = tuple(self.table.item(row, c).text() for c in range(len(COLUMNS)))
            if status is None or values[0] == status:
                out.append(values)
        return out

    def _filter(self, text: str) -> None:
        for row in range(self.table.rowCount()):
            status = self.table.item(row, 0).text()
            self.table.setRowHidden(row, text in STATUS_COLORS and status != text)

