"""The widget that shows a :class:`.stage.Stage`: as wide as it is given, as tall as
its content, with the animation's keys.

:class:`StageView` flows the stage's pictures into its width, scales the
scene down (never up) when a single picture is wider, and takes its height
from the scene, so that an enclosing scroll area scrolls the whole tab.
Space plays or pauses, ←/→ step, Home goes to the first frame.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QFrame, QGraphicsView, QSizePolicy

from .stage import Stage

__all__ = ["StageView"]


class StageView(QGraphicsView):
    """Shows ``stage`` at a scale that fits the width (at most 1).

    Signals
    -------
    keyAction(str)
        ``"toggle"``, ``"back"``, ``"forward"`` or ``"first"`` from the keyboard.
    """

    keyAction = Signal(str)

    def __init__(self, stage: Stage, parent=None):
        super().__init__(stage, parent)
        self.stage = stage
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setRenderHints(QPainter.RenderHint.Antialiasing |
                            QPainter.RenderHint.TextAntialiasing)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        stage.sceneRectChanged.connect(lambda _r: self._fit())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """The scene's size at the current scale."""
        r = self.stage.sceneRect()
        s = self.transform().m11() or 1.0
        return QSize(int(r.width() * s), int(r.height() * s))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Flow the pictures into the new width."""
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.stage.relayout(max(200.0, self.viewport().width() - 16.0))
            self._fit()

    def _fit(self) -> None:
        r = self.stage.sceneRect()
        width = max(1, self.viewport().width())
        scale = min(1.0, width / max(1.0, r.width()))
        self.resetTransform()
        self.scale(scale, scale)
        height = int(r.height() * scale) + 2
        if self.height() != height:
            self.setFixedHeight(height)
        self.centerOn(r.center())
        self.ensureVisible(r.left(), r.top(), 1, 1, 0, 0)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Space, ←, →, Home drive the animation."""
        action = {Qt.Key.Key_Space: "toggle", Qt.Key.Key_Left: "back",
                  Qt.Key.Key_Right: "forward", Qt.Key.Key_Home: "first"}.get(event.key())
        if action is None:
            super().keyPressEvent(event)
        else:
            self.keyAction.emit(action)
