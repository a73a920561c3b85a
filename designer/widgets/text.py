"""Text fields that commit when the user is done (focus out or Ctrl+Enter)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QPlainTextEdit

__all__ = ["CommitTextEdit"]


class CommitTextEdit(QPlainTextEdit):
    """A multi-line editor that emits :attr:`committed` on focus out or Ctrl+Enter.

    :meth:`set_text` replaces the text from the model without emitting and
    without moving the cursor when the text is unchanged.
    """

    committed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._shown = ""
        self.setTabChangesFocus(True)

    def set_text(self, text: str) -> None:
        if text != self.toPlainText():
            self.setPlainText(text)
        self._shown = text

    def _commit(self) -> None:
        text = self.toPlainText()
        if text != self._shown:
            self._shown = text
            self.committed.emit(text)

    def focusOutEvent(self, event):  # noqa: N802 - Qt override
        self._commit()
        super().focusOutEvent(event)

    def keyPressEvent(self, event):  # noqa: N802 - Qt override
        if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            self._commit()
            return
        super().keyPressEvent(event)
