"""The Mechanism view: the animated picture of one layer with its controls and formulas.

:class:`MechanismView` is shared by the engine panel's Mechanism tab and the
*Explain a layer…* sandbox. It builds a :class:`~.walk.Walk` from a
:class:`~engine.mechanics.Mechanics` (small integers, or values a run gave),
draws it on a :class:`~.stage.Stage` and steps it with a :class:`~.player.Player`;
the transposed-convolution toggle swaps the walk's form, the export buttons
write a GIF or PNG through :mod:`.render`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QLabel, QVBoxLayout, QWidget

from designer import look
from engine.mechanics import Mechanics

from .controls import Controls
from .facts import facts_html
from .player import Player
from .stage import Stage
from .stage_view import StageView
from .values import sample_values, unpool_chosen
from .walk import Walk

__all__ = ["MechanismView", "RunValues"]


@dataclass(frozen=True)
class RunValues:
    """One channel of a run: the node's input ``x [H, W]`` and output ``y``."""

    x: np.ndarray
    y: np.ndarray
    channels: int = 1
    caption: str = ""


class MechanismView(QWidget):
    """Animated grids, matrix C and formulas of one layer.

    Signals
    -------
    exported(str)
        The path of a GIF or PNG just written.
    outputChosen(int, int)
        An output cell was clicked (lane indices of the walk).
    """

    exported = Signal(str)
    outputChosen = Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.mech: Mechanics | None = None
        self.run_values: RunValues | None = None
        self.walk: Walk | None = None
        self.form = "gather"
        self.seed = 0
        self.stage = Stage(self)
        self.view = StageView(self.stage)
        self.player = Player(self)
        self.controls = Controls(self.player)
        self.caption = QLabel()
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setWordWrap(True)
        self.facts = QLabel()
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        lay.addWidget(self.controls)
        lay.addWidget(self.caption)
        lay.addWidget(self.view)
        lay.addWidget(self.facts)

        self.player.frameChanged.connect(self.stage.show_frame)
        self.controls.formChanged.connect(self.set_form)
        self.controls.reseedRequested.connect(self.reseed)
        self.controls.exportRequested.connect(self._export_dialog)
        self.view.keyAction.connect(self._key)
        self.stage.outputClicked.connect(self._clicked)

    # -- content -------------------------------------------------------------------------
    def show_mechanics(self, mech: Mechanics, run: RunValues | None = None) -> None:
        """Animate ``mech`` with small integers, or with one channel of a run."""
        same_layer = self.mech is not None and self.mech == mech
        self.mech, self.run_values = mech, run
        if mech.mechanism != "transposed":
            self.form = "gather"
        self.controls.show_form_toggle(mech.mechanism == "transposed")
        self.controls.set_reseed(run is None)
        self.facts.setText(facts_html(mech))
        self._build(keep_frame=same_layer)

    def set_form(self, form: str) -> None:
        """``"scatter"`` or ``"gather"`` (zero insertion) for a transposed convolution."""
        if form == self.form:
            return
        self.form = form
        button = self.controls.scatter if form == "scatter" else self.controls.gather
        if not button.isChecked():
            button.setChecked(True)  # emits formChanged again: nothing left to do then
        if self.mech is not None:
            self._build()

    def reseed(self) -> None:
        """Other small integers."""
        self.seed += 1
        if self.mech is not None:
            self._build(keep_frame=True)

    def _build(self, keep_frame: bool = False) -> None:
        frame = self.player.frame if keep_frame else 0
        playing = keep_frame and self.player.playing  # the same layer keeps playing
        walk = Walk(self.mech, self.form)
        run = self.run_values
        if run is None:
            x, kernel, chosen = sample_values(walk, self.seed)
            walk.set_values(x, kernel, chosen=chosen)
            what = "small integers" + (f" (seed {self.seed})" if self.seed else "")
            caption = f"Values: {what}. Hover an output cell to see its window."
        else:
            walk.set_values(run.x, None, run.y)
            if walk.mech.mechanism == "unpool":
                walk.set_values(run.x, None, run.y, chosen=unpool_chosen(walk, run.y))
            caption = run.caption
        self.walk = walk
        self.caption.setText(look.span(caption, look.INK_SOFT) if caption else "")
        self.stage.set_walk(walk, run.channels if run else 1, from_run=run is not None)
        self.player.set_frames(walk.frames)
        self.controls.set_frames(walk.frames, "output" if walk.form == "gather" else "input")
        if frame:
            self.player.seek(frame)
        if playing:
            self.player.play()
        self.view._fit()

    # -- interaction -----------------------------------------------------------------------
    def _key(self, action: str) -> None:
        p = self.player
        {"toggle": p.toggle, "back": lambda: p.step(-1), "forward": lambda: p.step(1),
         "first": lambda: p.seek(0)}[action]()

    def _clicked(self, oy: int, ox: int) -> None:
        walk = self.walk
        if walk is None:
            return
        if walk.form == "gather":
            ow = walk.mech.output_size[1]
            self.player.pause()
            self.player.seek(oy * ow + ox)
        self.outputChosen.emit(oy, ox)

    # -- exports ---------------------------------------------------------------------------
    def _export_dialog(self, kind: str) -> None:
        if self.walk is None:
            return
        name = f"{self.mech.type.lower()}.{kind}"
        path, _filter = QFileDialog.getSaveFileName(
            self, f"Save the {'animation' if kind == 'gif' else 'picture'}", name,
            "GIF animation (*.gif)" if kind == "gif" else "PNG image (*.png)")
        if path:
            self.export_to(kind, path)

    def export_to(self, kind: str, path: str) -> str:
        """Write the animation (``"gif"``) or the current frame (``"png"``) to ``path``."""
        from . import render

        if kind == "gif":
            out = render.write_gif(self.walk, path, fps=self.player.fps)
        else:
            out = render.write_png(self.walk, path, frame=self.player.frame)
        self.exported.emit(str(out))
        return str(out)
