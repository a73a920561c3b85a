"""A rounded, coloured pill with a short state text (the status bar's validity badge)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel

from designer.look import OK, ON_COLOR, STATE_COLORS

__all__ = ["Badge"]


class Badge(QLabel):
    """A rounded pill with white bold text; :meth:`set_state` picks the colour.

    Signals
    -------
    clicked()
        The badge was pressed.
    """

    clicked = Signal()
    COLORS = STATE_COLORS

    def __init__(self, parent=None):
        super().__init__(parent)
        font = self.font()
        font.setBold(True)
        self.setFont(font)
        self.state = "ok"
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def set_state(self, state: str, text: str) -> None:
        """Show ``text`` on the colour of ``state``.

        Parameters
        ----------
        state : str
            ``"ok"`` (green), ``"error"`` (red) or ``"warning"`` (amber); another
            value is drawn green.
        text : str
            The label.
        """
        self.state = state
        self.setText(text)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """The text's width plus 20 px, its height plus 4 px."""
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance(self.text()) + 20, fm.height() + 4)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """The same as :meth:`sizeHint`: the pill never shrinks below its text."""
        return self.sizeHint()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        """Draw the pill in the state's colour with the text in white (no QLabel painting)."""
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        r = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self.COLORS.get(self.state, OK))
        p.drawRoundedRect(r, r.height() / 2, r.height() / 2)
        p.setPen(ON_COLOR)
        p.drawText(r, Qt.AlignmentFlag.AlignCenter, self.text())
        p.end()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Emit ``clicked`` on any mouse button."""
        self.clicked.emit()
        event.accept()
