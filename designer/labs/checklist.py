"""The assignment checklist: the open design graded live against a rubric.

It follows ``Document.analysisChanged``: after every edit the design is
graded again with :func:`engine.labs.grade_graph` (the very grading of
``main.py grade``; milliseconds for a lab-sized design) and each
:class:`~designer.labs.check_row.CheckRow` shows its check. The header
shows the rubric's title and the score. Activating a row emits
:attr:`ChecklistView.nodesRequested` with the nodes the check is about
(:func:`~designer.labs.targets.check_nodes`).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from designer import look
from designer.widgets.badge import Badge
from engine.labs import Grade, Rubric, grade_graph

from .check_row import CheckRow
from .follow import refollow
from .targets import check_nodes
from .wording import points_text

__all__ = ["ChecklistView"]

EMPTY = ("No assignment is open. <b>File → Open assignment…</b> loads a rubric "
         "(<code>*.rubric.json</code>); this list then grades your design as you edit.")


class ChecklistView(QWidget):
    """Title, score and one :class:`CheckRow` per check of the rubric.

    Signals
    -------
    nodesRequested(list, str)
        A row was activated: the ids of the nodes its check is about (possibly
        none) and the check's id.
    closeRequested()
        The user pressed the header's close button (leave assignment mode).
    """

    nodesRequested = Signal(list, str)
    closeRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc = None
        self.rubric: Rubric | None = None
        self.grade: Grade | None = None
        self.error: str | None = None
        self.rows: list[CheckRow] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.setSpacing(6)
        head = QHBoxLayout()
        head.setSpacing(8)
        self.title = QLabel(self)
        self.title.setFont(look.bold_font(self.title.font()))
        self.title.setWordWrap(True)
        self.score = Badge(self)
        self.score.setToolTip("points of the checks that hold, out of the rubric's total")
        self.close_button = QToolButton(self)
        self.close_button.setText("Close")
        self.close_button.setToolTip("Leave assignment mode (your design stays open)")
        self.close_button.clicked.connect(self.closeRequested)
        head.addWidget(self.title, 1)
        head.addWidget(self.score, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        outer.addLayout(head)
        self.summary = QLabel(self)
        self.summary.setObjectName("muted")
        self.summary.setWordWrap(True)
        outer.addWidget(self.summary)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.body = QWidget()
        self.list = QVBoxLayout(self.body)
        self.list.setContentsMargins(0, 0, 2, 0)
        self.list.setSpacing(4)
        self.list.addStretch(1)
        self.scroll.setWidget(self.body)
        outer.addWidget(self.scroll, 1)
        self._show_empty()

    # -- state -------------------------------------------------------------------------
    def set_rubric(self, rubric: Rubric | None) -> None:
        """Grade against ``rubric`` from now on (None: no assignment)."""
        self.rubric = rubric
        for row in self.rows:
            self.list.removeWidget(row)
            row.deleteLater()
        self.rows = []
        if rubric is None:
            self.grade = None
            self._show_empty()
            return
        self.title.setText(html.escape(rubric.title or "Assignment"))
        self.title.setToolTip(rubric.path or "")
        for _check in rubric.checks:
            row = CheckRow(self.body)
            row.activated.connect(lambda r=row: self._activated(r))
            self.list.insertWidget(self.list.count() - 1, row)
            self.rows.append(row)
        self.score.show()
        self.close_button.show()
        self.refresh()

    def set_document(self, doc) -> None:
        """Follow ``doc``'s analysis (disconnects the previous document)."""
        refollow(self.doc, doc, self._on_analysis)
        self.doc = doc
        self.refresh()

    def refresh(self) -> None:
        """Grade the open design now and show the result."""
        if self.rubric is None or self.doc is None:
            return
        try:
            grade = grade_graph(self.rubric, self.doc.graph)
        except Exception as exc:  # noqa: BLE001 - an engine bug must not break editing
            self.grade, self.error = None, f"{type(exc).__name__}: {exc}"
            self.summary.setText(look.span(html.escape(
                f"The design could not be graded: {self.error}"), look.ERROR))
            self.score.set_state("error", "?")
            return
        self.grade, self.error = grade, None
        for row, result in zip(self.rows, grade.checks, strict=True):
            row.show_result(result)
        passed = sum(1 for c in grade.checks if c.passed)
        full = grade.score == grade.max_score
        state = "ok" if full else ("error" if grade.score == 0 else "warning")
        self.score.set_state(state, f"{points_text(grade.score, grade.max_score)} points")
        self.summary.setText(f"{passed} of {len(grade.checks)} checks pass"
                             + (" — full marks." if full else
                                ". Click a check to select the node it is about."))

    def _on_analysis(self, _result) -> None:
        self.refresh()

    def _show_empty(self) -> None:
        self.title.setText("Assignment")
        self.title.setToolTip("")
        self.summary.setText(EMPTY)
        self.score.hide()
        self.close_button.hide()

    # -- rows ----------------------------------------------------------------------------
    def row(self, check_id: str) -> CheckRow:
        """The row of the check ``check_id`` (KeyError when there is none)."""
        for row in self.rows:
            if row.result is not None and row.result.id == check_id:
                return row
        raise KeyError(check_id)

    def _activated(self, row: CheckRow) -> None:
        if row.result is None or self.doc is None:
            return
        ids = check_nodes(row.result, self.doc.graph, self.doc.result())
        self.nodesRequested.emit(ids, row.result.id)
