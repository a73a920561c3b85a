"""The frame shared by the tabs that show one node: a title over a message or the views.

:class:`NodeTab` holds a rich-text title and a stack that shows either a
:class:`.placeholder.Placeholder` (what to do to see something) or the tab's
content. :func:`plots_body` lays out the common content of the Offsets and
RF tabs: rows of controls, two pictures side by side (or stacked, following
the tab's shape), an info line and a grey legend.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLayout, QStackedWidget, QVBoxLayout, QWidget

from designer.look import INK_FAINT

from .adaptive_splitter import AdaptiveSplitter
from .placeholder import Placeholder

__all__ = ["NodeTab", "plots_body", "rich_label"]


def rich_label(wrap: bool = True) -> QLabel:
    """An empty rich-text label (word-wrapped unless ``wrap`` is False)."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(wrap)
    return label


class NodeTab(QWidget):
    """A title above either a placeholder message or :attr:`content`.

    Subclasses build their views and hand them to :meth:`set_content`; they
    call :meth:`show_content` when they have something to draw.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.node_id: str | None = None
        self.title = rich_label()
        self.placeholder = Placeholder()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.content: QWidget | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.title)
        lay.addWidget(self.stack, 1)

    def set_content(self, widget: QWidget) -> None:
        """The views shown by :meth:`show_content` (once, while building)."""
        self.content = widget
        self.stack.addWidget(widget)

    def show_content(self) -> None:
        """Show the views (set by :meth:`set_content`) instead of the message."""
        self.stack.setCurrentWidget(self.content)

    def show_message(self, text: str, actions=None) -> None:
        """An explanation instead of the views (nothing selected, no run yet, ...).

        Parameters
        ----------
        text : str
            Rich text.
        actions : list of (str, callable), optional
            One button per entry under the message.
        """
        self.placeholder.set_message(text, actions)
        self.stack.setCurrentWidget(self.placeholder)
        self.title.setText("")
        self.node_id = None


def plots_body(rows: list[QLayout], first: QWidget, second: QWidget,
               stretch: tuple[int, int], legend: str) -> tuple[QWidget, QLabel]:
    """Control rows, two views in an :class:`AdaptiveSplitter`, an info line, a legend.

    Parameters
    ----------
    rows : list of QLayout
        Rows of controls, top to bottom.
    first, second : QWidget
        The two views (left and right, or top and bottom in a tall tab).
    stretch : (int, int)
        Their stretch factors.
    legend : str
        Rich text shown in gray at the bottom.

    Returns
    -------
    (QWidget, QLabel)
        The body and its (empty, word-wrapped) info label.
    """
    split = AdaptiveSplitter()
    for i, view in enumerate((first, second)):
        split.addWidget(view)
        split.setStretchFactor(i, stretch[i])
    info = rich_label()
    note = QLabel(legend)
    note.setWordWrap(True)
    note.setStyleSheet(f"color: {INK_FAINT.name()};")
    body = QWidget()
    lay = QVBoxLayout(body)
    lay.setContentsMargins(0, 0, 0, 0)
    for row in rows:
        lay.addLayout(row)
    lay.addWidget(split, 1)
    lay.addWidget(info)
    lay.addWidget(note)
    return body, info
