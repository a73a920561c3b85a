"""A centred explanation shown where a tab has nothing to draw yet."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

__all__ = ["Placeholder"]


class Placeholder(QWidget):
    """A message (rich text) with optional buttons, centred in the tab.

    Parameters
    ----------
    text : str
        Initial message.
    parent : QWidget, optional
    """

    def __init__(self, text: str = "", parent=None):
        super().__init__(parent)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setStyleSheet("color: palette(placeholder-text); font-size: 11pt;")
        self._buttons = QHBoxLayout()
        self._buttons.addStretch(1)
        self._buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 12, 24, 12)
        lay.addStretch(1)
        lay.addWidget(self.label)  # no alignment flag: it would break the word wrap
        lay.addLayout(self._buttons)
        lay.addStretch(2)

    def set_message(self, text: str,
                    actions: list[tuple[str, Callable[[], None]]] | None = None) -> None:
        """Show ``text`` and one button per ``(label, callback)`` in ``actions``."""
        self.label.setText(text)
        while self._buttons.count() > 2:
            item = self._buttons.takeAt(1)
            button = item.widget()
            if button is not None:  # off screen at once: deleteLater waits for the loop
                button.hide()
                button.setParent(None)
                button.deleteLater()
        for i, (label, callback) in enumerate(actions or []):
            button = QPushButton(label)
            button.clicked.connect(callback)
            self._buttons.insertWidget(1 + i, button)

    def text(self) -> str:
        """The message shown."""
        return self.label.text()
