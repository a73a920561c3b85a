"""Squeeze-and-Excitation after a run, as one linked picture: squeeze, excite, scale.

Squeeze averages each channel of the block's input to one number; excite
passes that vector through a 1×1 conv C → h with ReLU and a 1×1 conv h → C,
and a sigmoid turns the result into channel weights; scale multiplies each
channel by its weight. :class:`SEView` shows the vectors of
:func:`.se_stages.se_stages` in one :class:`.se_item.SEItem` (bar rows one under
the other, the chosen channel's map before and after), with a heading and a
caption that follow the chosen channel.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView, QLabel, QVBoxLayout, QWidget

from designer import look
from designer.look import fmt_num

from .se_item import SEItem
from .se_stages import SEStages

__all__ = ["SEView"]


class SEView(QWidget):
    """Heading, the linked picture and a caption.

    Signals
    -------
    channelChosen(int)
        The chosen channel (the SE and Maps tabs may follow).
    """

    channelChosen = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setWordWrap(True)
        self.scene = QGraphicsScene(self)
        self.scene.setBackgroundBrush(QColor(look.BASE))
        self.item = SEItem()
        self.scene.addItem(self.item)
        self.view = QGraphicsView(self.scene)
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        self.view.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.view.setMouseTracking(True)
        self.caption = QLabel()
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for w in (self.heading, self.view, self.caption):
            lay.addWidget(w)
        self.item.channelChosen.connect(self._chosen)

    def show_stages(self, node_id: str, source: str, stages: SEStages) -> None:
        """Draw ``stages`` of block ``node_id`` whose input is ``source``."""
        c = len(stages.weights)
        channel = int(np.argmin(stages.weights)) if self.item.stages is None or \
            len(self.item.stages.weights) != c else self.item.channel
        width = max(420.0, self.view.viewport().width() - 12.0)
        self.item.set_stages(stages, channel, width)
        r = self.item.boundingRect()
        self.scene.setSceneRect(r.adjusted(-4, -4, 4, 4))
        self.view.setFixedHeight(int(r.height()) + 12)
        hidden = f"hidden {len(stages.hidden)}" if stages.hidden is not None else \
            "hidden layer: fetching the block's weights…"
        self.heading.setText(f"<b>{node_id}</b> · Squeeze-and-Excitation on <b>{source}</b> · "
                             f"{c} channels · {hidden}")
        self._chosen(channel)

    def _chosen(self, c: int) -> None:
        s = self.item.stages
        check = "" if s.check is None else \
            f" Recomputed from the block's weights: sigmoid(logits) matches the run within " \
            f"{fmt_num(s.check, 2)}."
        self.caption.setText(
            f"Channel <b>{c}</b>: mean {fmt_num(s.squeeze[c], 3)} → logit "
            f"{fmt_num(s.logits[c], 3)} → weight <b>{fmt_num(s.weights[c], 3)}</b>; its map is "
            f"multiplied by it (same grey scale before and after). Hover the bars to choose a "
            f"channel.{check}")
        self.channelChosen.emit(c)
