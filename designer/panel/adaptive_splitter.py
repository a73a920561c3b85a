"""A splitter that lays its two views side by side when wide, stacked when tall."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter

__all__ = ["AdaptiveSplitter"]


class AdaptiveSplitter(QSplitter):
    """QSplitter whose orientation follows its shape (the dock may be wide or tall).

    Parameters
    ----------
    ratio : float
        Horizontal when ``width > ratio * height``, else vertical.
    parent : QWidget, optional
    """

    def __init__(self, ratio: float = 1.1, parent=None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.ratio = ratio
        self.setChildrenCollapsible(False)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Switch to horizontal or vertical by the new size (see ``ratio``), then resize."""
        size = event.size()
        want = Qt.Orientation.Horizontal if size.width() > self.ratio * size.height() \
            else Qt.Orientation.Vertical
        if want != self.orientation():
            self.setOrientation(want)
        super().resizeEvent(event)
