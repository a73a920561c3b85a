"""The validation confusion matrix of the last epoch, as a shaded table.

:class:`ConfusionView`: rows are the true classes, columns the predicted
ones; each cell holds the count (images, or pixels for segmentation) and is
shaded by its share of the row, the diagonal in the "ok" colour and the rest in
the "error" colour, so a class the model confuses stands out.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer import look

__all__ = ["ConfusionView"]


class ConfusionView(QWidget):
    """A K × K table of counts (rows: truth, columns: prediction).

    Attributes
    ----------
    matrix : numpy.ndarray or None
        The counts shown.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.matrix: np.ndarray | None = None
        self.title = QLabel("Confusion matrix (validation): rows are the true class, "
                            "columns the predicted one.")
        self.title.setWordWrap(True)
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for header in (self.table.horizontalHeader(), self.table.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.title)
        lay.addWidget(self.table, 1)

    def clear(self) -> None:
        """Show nothing (a new run)."""
        self.matrix = None
        self.table.setRowCount(0)
        self.table.setColumnCount(0)

    def set_matrix(self, matrix: np.ndarray, classes, task: str = "classify") -> None:
        """Show ``matrix`` (int ``[K, K]``) with the class names as headers."""
        m = np.asarray(matrix, dtype=np.int64)
        k = len(m)
        self.matrix = m
        unit = "pixels" if task == "segment" else "images"
        right = int(np.trace(m))
        total = int(m.sum())
        self.title.setText(f"Confusion matrix (validation, {look.fmt_count_long(total)} {unit};"
                           f" {100.0 * right / max(total, 1):.1f}% right): rows are the true "
                           "class, columns the predicted one.")
        if self.table.rowCount() != k:
            self.table.setRowCount(k)
            self.table.setColumnCount(k)
        names = [str(c) for c in classes]
        self.table.setHorizontalHeaderLabels(names)
        self.table.setVerticalHeaderLabels(names)
        rows = np.maximum(m.sum(axis=1, keepdims=True), 1)
        share = m / rows
        for i in range(k):
            for j in range(k):
                item = self.table.item(i, j)
                if item is None:
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    self.table.setItem(i, j, item)
                item.setText(look.fmt_count(int(m[i, j])))
                item.setToolTip(f"{names[i]} predicted as {names[j]}: "
                                f"{look.fmt_count_long(int(m[i, j]))} {unit}")
                color = look.with_alpha(look.OK if i == j else look.ERROR,
                                        (20 + 150 * float(share[i, j])) if m[i, j] else 0)
                item.setBackground(color)
