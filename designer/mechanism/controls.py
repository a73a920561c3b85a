"""The Mechanism view's controls: play, pause, step, scrub, speed, form and exports.

:class:`Controls` is a row of widgets bound to a :class:`.player.Player`; the
transposed-convolution toggle (scatter or zero insertion), *New numbers* and
the export buttons only emit signals.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from designer.look import fmt_num

from .player import SPEEDS, Player

__all__ = ["Controls"]


class Controls(QWidget):
    """Transport buttons, a scrub slider, a speed menu, the form toggle and exports.

    Signals
    -------
    formChanged(str)
        ``"scatter"`` or ``"gather"`` (zero insertion), for transposed convolutions.
    reseedRequested()
        New small integers, please.
    exportRequested(str)
        ``"gif"`` or ``"png"``.
    """

    formChanged = Signal(str)
    reseedRequested = Signal()
    exportRequested = Signal(str)

    def __init__(self, player: Player, parent=None):
        super().__init__(parent)
        self.player = player
        icon = QStyle.StandardPixmap
        self.first = self._tool(icon.SP_MediaSkipBackward, "First frame (Home)")
        self.back = self._tool(icon.SP_MediaSeekBackward, "One step back (←)")
        self.play = self._tool(icon.SP_MediaPlay, "Play / pause (Space)")
        self.forward = self._tool(icon.SP_MediaSeekForward, "One step forward (→)")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Scrub through the frames")
        self.position = QLabel()
        self.position.setMinimumWidth(70)
        self.speed = QComboBox()
        for fps in SPEEDS:
            self.speed.addItem(f"{fmt_num(fps, 2)} steps/s", fps)
        self.speed.setCurrentIndex(SPEEDS.index(2.0))
        self.speed.setToolTip("Animation speed")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.first, self.back, self.play, self.forward):
            row.addWidget(w)
        row.addWidget(self.slider, 1)
        row.addWidget(self.position)
        row.addWidget(self.speed)

        self.scatter = QRadioButton("scatter")
        self.scatter.setToolTip("Each input pixel adds w·x to the outputs its kernel covers")
        self.gather = QRadioButton("zero insertion")
        self.gather.setToolTip("A stride-1 conv with the flipped kernel over the input with "
                               "zeros inserted between its pixels")
        self.gather.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.scatter)
        group.addButton(self.gather)
        self.form_label = QLabel("Transposed conv as")
        self.reseed = QPushButton("New numbers")
        self.reseed.setToolTip("Other small integers for the input and the kernel")
        self.gif = QPushButton("Save GIF…")
        self.gif.setToolTip("The animation as a GIF (for handouts)")
        self.png = QPushButton("Save PNG…")
        self.png.setToolTip("The grids and the matrix with a legend, as a PNG")
        second = QHBoxLayout()
        second.setContentsMargins(0, 0, 0, 0)
        for w in (self.form_label, self.gather, self.scatter):
            second.addWidget(w)
        second.addStretch(1)
        for w in (self.reseed, self.gif, self.png):
            second.addWidget(w)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(row)
        lay.addLayout(second)
        self.show_form_toggle(False)

        self.first.clicked.connect(lambda: player.seek(0))
        self.back.clicked.connect(lambda: player.step(-1))
        self.forward.clicked.connect(lambda: player.step(1))
        self.play.clicked.connect(player.toggle)
        self.slider.valueChanged.connect(player.seek)
        self.speed.currentIndexChanged.connect(
            lambda i: player.set_speed(self.speed.itemData(i)))
        player.frameChanged.connect(self._frame)
        player.playingChanged.connect(lambda on: self.play.setIcon(self.style().standardIcon(
            icon.SP_MediaPause if on else icon.SP_MediaPlay)))
        self.scatter.toggled.connect(
            lambda on: self.formChanged.emit("scatter" if on else "gather"))
        self.reseed.clicked.connect(self.reseedRequested)
        self.gif.clicked.connect(lambda: self.exportRequested.emit("gif"))
        self.png.clicked.connect(lambda: self.exportRequested.emit("png"))
        player.set_speed(self.speed.currentData())

    def _tool(self, pixmap, tip: str) -> QToolButton:
        b = QToolButton()
        b.setIcon(self.style().standardIcon(pixmap))
        b.setToolTip(tip)
        b.setAutoRaise(True)
        b.setMinimumWidth(28)
        return b

    def set_frames(self, frames: int, what: str) -> None:
        """``frames`` frames, each one ``what`` (``"output"``, ``"input pixel"``)."""
        self.what = what
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, frames - 1))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self._frame(self.player.frame)

    def _frame(self, f: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(f)
        self.slider.blockSignals(False)
        self.position.setText(f"{getattr(self, 'what', 'step')} {f + 1} / {self.player.frames}")

    def show_form_toggle(self, on: bool) -> None:
        """Show the scatter / zero-insertion toggle (transposed convolutions)."""
        for w in (self.form_label, self.gather, self.scatter):
            w.setVisible(on)

    def set_reseed(self, on: bool) -> None:
        """Offer *New numbers* (small integers shown)."""
        self.reseed.setVisible(on)
