"""The gridding picture: paths from one output of a dilated chain to each input pixel.

:func:`dilated_chain` walks from the selected convolution back through the
convolutions before it (skipping layers that keep every pixel where it is,
such as ReLU or BatchNorm) and :class:`GriddingView` draws the path counts of
:func:`.gridding.gridding` as a heat map with the holes marked, a sentence
and, when there are holes, the HDC suggestion.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView, QLabel, QVBoxLayout, QWidget

from designer import look
from engine.catalogue import LayerError
from engine.mechanics import mechanics, mechanism_of

from .grid_item import GridItem
from .gridding import Gridding, gridding
from .lanes import REAL
from .style import heat

__all__ = ["dilated_chain", "GriddingView", "CONV_LIKE"]

#: mechanisms whose taps the chain composes
CONV_LIKE = ("conv", "deformable", "depthwise_separable", "spatially_separable")
#: spans up to this size show the counts as numbers
NUMBERS_UP_TO = 21


def _mechanics(analyzer, nid: str):
    out = analyzer.outcome(nid)
    if out.params is None or out.ins is None or out.shape is None or out.result.error:
        return None
    try:
        return mechanics(out.node.kind, out.params, out.ins, out.shape)
    except ValueError:
        return None


def _passes_through(graph, analyzer, nid: str) -> bool:
    """A one-input layer that moves no pixel (its receptive-field steps are identities)."""
    node = graph.nodes[nid]
    out = analyzer.outcome(nid)
    if len(graph.inputs_of(nid)) != 1 or out.params is None or out.shape is None:
        return False
    try:
        return not any(node.kind.rf_ops(out.params, out.ins, out.shape))
    except (LayerError, ValueError, IndexError):
        return False


def dilated_chain(graph, analyzer, nid: str) -> list:
    """``[(node id, Mechanics)]`` of the convolutions that lead to ``nid`` (input side
    first), ``nid`` included; empty when ``nid`` is not a convolution."""
    chain = []
    cur = nid
    while cur is not None and cur in graph.nodes:
        kind = graph.nodes[cur].kind
        if mechanism_of(kind) in CONV_LIKE:
            m = _mechanics(analyzer, cur)
            if m is None:
                break
            chain.append((cur, m))
        elif not _passes_through(graph, analyzer, cur):
            break
        cur = graph.inputs_of(cur).get(0)
    return chain[::-1]


class GriddingView(QWidget):
    """Heat map of path counts with holes marked, and what they mean."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.result: Gridding | None = None
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.text = QLabel()
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setWordWrap(True)
        self.scene = QGraphicsScene(self)
        self.scene.setBackgroundBrush(look.BASE)
        self.grid = GridItem()
        self.scene.addItem(self.grid)
        self.view = QGraphicsView(self.scene)
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        self.view.setRenderHints(QPainter.RenderHint.Antialiasing |
                                 QPainter.RenderHint.TextAntialiasing)
        self.view.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 8, 0, 0)
        lay.addWidget(self.heading)
        lay.addWidget(self.view)
        lay.addWidget(self.text)

    def show_chain(self, chain: list) -> bool:
        """Draw the gridding of ``chain``; False (and hidden) when no rate exceeds 1."""
        if not chain or all(max(m.params.get("dilation") or (1, 1)) == 1 for _n, m in chain):
            self.result = None
            self.hide()
            return False
        g = self.result = gridding(chain)
        counts = g.counts
        h, w = counts.shape
        small = max(h, w) <= NUMBERS_UP_TO
        texts = [str(int(v)) if small and v else "" for v in counts.ravel()]
        cell = 24.0 if small else max(6.0, min(16.0, 420.0 / max(h, w)))
        rates = ", ".join("×".join(map(str, r)) if r[0] != r[1] else str(r[0])
                          for r in g.rates)
        self.grid.set_cells(0, 0, np.full(counts.shape, REAL), texts,
                            fills=heat(counts), cell=cell,
                            title=f"paths from one output of {g.nodes[-1]} to each input "
                                  f"pixel ({h}×{w})")
        holes = list(zip(*np.nonzero(counts == 0), strict=True))
        self.grid.set_marks([("hole", [(int(a), int(b)) for a, b in holes])])
        r = self.grid.boundingRect()
        self.scene.setSceneRect(r.adjusted(-4, -4, 4, 4))
        self.view.setFixedHeight(int(r.height()) + 12)
        self.heading.setText(f"<b>Dilation and gridding</b> · {len(chain)} convolution"
                             f"{'s' * (len(chain) > 1)} on the path: "
                             f"{', '.join(g.nodes)} · dilation rates {rates}")
        self.text.setText(self._sentence(g))
        self.show()
        return True

    @staticmethod
    def _sentence(g: Gridding) -> str:
        h, w = g.counts.shape
        total = h * w
        if not g.holes:
            return (f"Every one of the {total} input pixels of the {h}×{w} span is reached "
                    f"(by {int(g.counts.min())} to {int(g.counts.max())} paths): no gridding.")
        text = (look.span(f"<b>{g.holes} of {total}</b> input pixels are never reached", look.ERROR)
                + f" (holes, outlined): the output sees only {total - g.holes} pixels of its "
                  f"{h}×{w} span")
        if g.common > 1:
            text += f"; the rates share the factor {g.common}, so every path lands on a " \
                    f"multiple of {g.common}"
        text += "."
        if g.suggestion:
            text += (" <b>Hybrid dilated convolution (HDC)</b>: use rates without a common "
                     f"factor, e.g. <b>{', '.join(map(str, g.suggestion))}</b>, which reach "
                     "every pixel.")
        return text
