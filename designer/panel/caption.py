"""A one-line caption of fixed height for a pyqtgraph layout (a plot's title)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QFontMetricsF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsTextItem, QSizePolicy

__all__ = ["Caption"]


class Caption(pg.GraphicsWidget):
    """Rich text centred on one line; a new text never changes the layout.

    ``pyqtgraph.LabelItem`` makes its text's width its minimum width, so every
    new title lays out the whole plot again and repaints it a second time.
    This caption has a fixed height (one line of its font) and takes whatever
    width the layout gives it; text wider than that is clipped at both ends.

    Parameters
    ----------
    text : str
        Rich text.
    color : QColor, optional
        Default text colour.
    point_size : float
        Font size.
    """

    def __init__(self, text: str = "", color: QColor | None = None, point_size: float = 9.0):
        super().__init__()
        self.item = QGraphicsTextItem(self)
        font = self.item.font()
        font.setPointSizeF(point_size)
        self.item.setFont(font)
        if color is not None:
            self.item.setDefaultTextColor(color)
        height = QFontMetricsF(font).height() + 2 * self.item.document().documentMargin()
        self.setMinimumHeight(height)
        self.setMaximumHeight(height)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape)
        self._text = None
        self.text = text

    @property
    def text(self) -> str:
        """The rich text shown."""
        return self._text

    @text.setter
    def text(self, text: str) -> None:
        if text == self._text:
            return
        self._text = text
        self.item.setHtml(text)
        self._place()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Keep the text centred."""
        self._place()

    def _place(self) -> None:
        width = self.item.boundingRect().width()
        self.item.setPos((self.size().width() - width) / 2, 0)
