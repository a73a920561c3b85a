"""Text fields that commit when the user is done (focus out or Ctrl+Enter)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import QPlainTextEdit

__all__ = ["CommitTextEdit", "LONG_RUN", "longest_run"]

#: a run of this many characters without white space makes the editor wrap anywhere:
#: Qt's word wrap looks for a break in such a run again for each line it lays out,
#: so its time grows with the square of the run (one 300 KB line: seconds to minutes)
LONG_RUN = 2000


def longest_run(text: str) -> int:
    """The length of the longest run of ``text`` without white space."""
    return max(map(len, text.split()), default=0)


class CommitTextEdit(QPlainTextEdit):
    """A multi-line editor that emits :attr:`committed` on focus out or Ctrl+Enter.

    :meth:`set_text` replaces the text from the model without emitting and
    without moving the cursor when the text is unchanged. A text with a run
    of :data:`LONG_RUN` characters without a space (a pasted blob, a one-line
    base64) is wrapped anywhere instead of at word boundaries, which keeps
    showing and editing it instant.

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
            self._fit_wrap(text, shrink=True)
            self.setPlainText(text)
        self._shown = text

    def _fit_wrap(self, text: str, shrink: bool) -> None:
        """Wrap anywhere when ``text`` has a long run without spaces; with ``shrink``
        go back to word wrap when it has none."""
        if longest_run(text) >= LONG_RUN:
            mode = QTextOption.WrapMode.WrapAnywhere
        elif shrink:
            mode = QTextOption.WrapMode.WordWrap
        else:
            return
        if self.wordWrapMode() != mode:
            self.setWordWrapMode(mode)

    def insertFromMimeData(self, source) -> None:  # noqa: N802 - Qt override
        """Paste: a long run without spaces switches to wrapping anywhere first."""
        if source.hasText():
            self._fit_wrap(source.text(), shrink=False)
        super().insertFromMimeData(source)

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
