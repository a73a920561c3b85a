"""Text fields that commit when the user is done (focus out or Ctrl+Enter)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QPlainTextEdit

__all__ = ["CommitTextEdit"]


class CommitTextEdit(QPlainTextEdit):
    """A multi-line editor that emits :attr:`committed` on focus out or Ctrl+Enter.

    :meth:`set_text` replaces the text from the model without emitting and
    without moving the cursor when the text is unchanged.

    Signals
    -------
    committed(str)
        The text, when it differs from the one last shown or committed.
    """

    committed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._shown = ""
        self.setTabChangesFocus(True)

    def set_text(self, text: str) -> None:
        """Show ``text`` from the model without emitting ``committed``.

        The document is replaced only when the text differs (the cursor stays
        otherwise); ``text`` becomes the reference a later commit compares to.
        """
        if text != self.toPlainText():
            self.setPlainText(text)
        self._shown = text

    def _commit(self) -> None:
        text = self.toPlainText()
        if text != self._shown:
            self._shown = text
            self.committed.emit(text)

    def focusOutEvent(self, event):  # noqa: N802 - Qt override
        """Commit the text (if it changed) when the editor loses the focus."""
        self._commit()
        super().focusOutEvent(event)

    def keyPressEvent(self, event):  # noqa: N802 - Qt override
        """Ctrl+Enter commits instead of inserting a line break."""
        if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            self._commit()
            return
        super().keyPressEvent(event)
