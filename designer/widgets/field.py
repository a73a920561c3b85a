"""A form field: an editor with an inline message (error in red, warning in amber) below."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

__all__ = ["Field", "add_field_row"]


class Field(QWidget):
    """Wraps ``editor`` and a word-wrapped message label that is hidden when empty.

    Parameters
    ----------
    editor : QWidget
        The input widget shown on top.
    """

    def __init__(self, editor: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.editor = editor
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(editor)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setObjectName("fieldError")
        self.message.setVisible(False)
        lay.addWidget(self.message)
        self._level = ""

    def set_message(self, text: str | None, level: str = "error") -> None:
        """Show ``text`` under the editor (``level``: ``"error"`` or ``"warning"``)."""
        text = text or ""
        name = "fieldWarning" if level == "warning" else "fieldError"
        if self.message.objectName() != name:
            self.message.setObjectName(name)
            self.message.style().unpolish(self.message)
            self.message.style().polish(self.message)
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self._level = level if text else ""

    @property
    def level(self) -> str:
        """``"error"``, ``"warning"`` or ``""`` (no message)."""
        return self._level

    def text(self) -> str:
        """The message shown (empty when none)."""
        return self.message.text()


def add_field_row(form, text: str, editor: QWidget, parent: QWidget) -> tuple[Field, QLabel]:
    """Append ``editor`` in a :class:`Field` to ``form`` under the label ``text``.

    Labels sit at the top of their row (messages go below the editor), as tall
    as the editor, so that the label's text lines up with the editor's.

    Returns
    -------
    (Field, QLabel)
    """
    field = Field(editor, parent)
    label = QLabel(text, parent)
    label.setMinimumHeight(editor.sizeHint().height())
    form.addRow(label, field)
    return field, label
