"""One row of the assignment checklist: ✓/✗, what the check asks, the points, what
was measured and, while it fails, the rubric's hint.

A row is a focusable frame: a click, Enter or Space emits
:attr:`CheckRow.activated` (the checklist then selects the check's nodes).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy

from designer import look
from engine.labs import CheckResult

from .wording import check_title, points_text

__all__ = ["CheckRow"]

ICON_PX = 16


def _sheet() -> str:
    return (f"QFrame#checkRow {{ background: {look.css(look.BASE)}; border: 1px solid "
            f"{look.css(look.LINE)}; border-radius: 6px; }}"
            f"QFrame#checkRow:hover {{ background: {look.css(look.ALT_BASE)}; "
            f"border-color: {look.css(look.CARD_HOVER)}; }}"
            f"QFrame#checkRow:focus {{ border-color: {look.css(look.ACCENT)}; }}"
            f"QFrame#checkRow[failed=\"true\"] {{ border-left: 3px solid "
            f"{look.css(look.ERROR)}; }}"
            f"QFrame#checkRow[failed=\"false\"] {{ border-left: 3px solid "
            f"{look.css(look.OK)}; }}"
            "QFrame#checkRow QLabel { background: transparent; border: none; }")


class CheckRow(QFrame):
    """The row of one check; :meth:`show_result` shows a new grade of it.

    Signals
    -------
    activated()
        The row was clicked, or Enter / Space pressed on it.
    """

    activated = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("checkRow")
        self.setStyleSheet(_sheet())
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.result: CheckResult | None = None
        self._shown: tuple | None = None
        grid = QGridLayout(self)
        grid.setContentsMargins(8, 6, 8, 6)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        self.mark = QLabel(self)
        self.mark.setFixedWidth(ICON_PX)
        self.mark.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.title = QLabel(self)
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.points = QLabel(self)
        self.points.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.setTextFormat(Qt.TextFormat.RichText)
        grid.addWidget(self.mark, 0, 0, 1, 1)
        grid.addWidget(self.title, 0, 1)
        grid.addWidget(self.points, 0, 2)
        grid.addWidget(self.detail, 1, 1, 1, 2)
        grid.addWidget(self.hint, 2, 1, 1, 2)
        grid.setColumnStretch(1, 1)

    def show_result(self, result: CheckResult) -> None:
        """Show ``result`` (a grade of this row's check); nothing is redone when the row
        already shows the same thing."""
        self.result = result
        c = result.check
        key = (c, result.passed, result.detail, result.points)
        if key == self._shown:
            return
        self._shown = key
        state = "ok" if result.passed else "error"
        self.mark.setPixmap(look.status_icon(state).pixmap(ICON_PX, ICON_PX))
        self.title.setText(f"<b>{html.escape(c.id)}</b>&nbsp; "
                           f"{html.escape(check_title(c))}")
        color = look.OK if result.passed else look.ERROR
        self.points.setText(look.span(f"<b>{points_text(result.points, c.points)}</b>",
                                      color))
        self.points.setToolTip(f"{points_text(result.points, c.points)} points")
        self.detail.setText(look.span(html.escape(result.detail), look.INK_SOFT))
        hint = result.hint
        self.hint.setVisible(bool(hint))
        if hint:
            self.hint.setText(look.span(f"<i>Hint: {html.escape(hint)}</i>", look.INK_FAINT))
        self.setProperty("failed", "false" if result.passed else "true")
        self.style().unpolish(self)
        self.style().polish(self)
        verdict = "passes" if result.passed else "fails"
        self.setToolTip(f"{c.id} ({c.what}) {verdict}: {result.detail}\n"
                        "Click to select the node it is about.")
        self.setAccessibleName(f"check {c.id} {verdict}")

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        """A left click activates the row."""
        if event.button() == Qt.MouseButton.LeftButton:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self.activated.emit()
            event.accept()
            return
        super().mousePressEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Enter, Return or Space activate the row."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit()
            event.accept()
            return
        super().keyPressEvent(event)
