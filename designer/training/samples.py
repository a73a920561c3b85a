"""A grid of images with their labels: validation predictions, or a data set's preview.

:class:`SamplesGrid` paints small images (uint8 ``[N, C, H, W]``, scaled
without smoothing) in as many columns as fit. Under each image: the predicted
class, green when right and red (the true class below it) when wrong; without
predictions, the true class (the data preview). For segmentation each tile
is the image beside its predicted mask (one colour per class, legend below)
with the share of its pixels right.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from designer import look

__all__ = ["SamplesGrid", "rgb_of", "mask_colors"]

CAPTION = 30  # pixels of text under a tile (two lines)
GAP = 6


def rgb_of(image: np.ndarray) -> np.ndarray:
    """uint8 ``[C, H, W]`` (1, 3 or 4 channels; else the first three or the mean) as
    contiguous ``[H, W, 3]``."""
    a = np.asarray(image)
    if a.shape[0] == 1:
        a = np.repeat(a, 3, axis=0)
    elif a.shape[0] != 3:
        a = a[:3] if a.shape[0] > 3 else np.repeat(a.mean(0, keepdims=True), 3, 0)
    return np.ascontiguousarray(a.transpose(1, 2, 0).astype(np.uint8))


def mask_colors(k: int) -> list[QColor]:
    """One colour per class of a mask: class 0 (background) grey, then distinct hues."""
    hues = [look.ACCENT, look.SAMPLE, look.OK, look.BAR_SELECTED, look.ERROR, look.REGION,
            look.BAR_NEGATIVE, look.BAR_POSITIVE]
    return [look.MID] + [hues[i % len(hues)] for i in range(max(0, k - 1))]


def _qimage(rgb: np.ndarray) -> QImage:
    h, w, _ = rgb.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class SamplesGrid(QWidget):
    """Images with true and predicted labels (or masks).

    Attributes
    ----------
    captions : list of str
        The text under each tile (tests read it).
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 90)
        self.tiles: list[list[QImage]] = []
        self.captions: list[str] = []
        self.right: list[bool | None] = []
        self.legend: list[tuple[str, QColor]] = []
        self.empty_text = ""

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(320, 240)

    def clear(self, text: str = "") -> None:
        """No images; ``text`` in their place."""
        self.tiles, self.captions, self.right, self.legend = [], [], [], []
        self.empty_text = text
        self.update()

    def set_samples(self, images, classes, truth, pred=None, task: str = "classify") -> None:
        """Show ``images`` (uint8 ``[N, C, H, W]``) with labels (or masks for ``segment``)."""
        classes = [str(c) for c in classes]
        self.tiles, self.captions, self.right, self.legend = [], [], [], []
        colors = mask_colors(len(classes))
        lut = np.array([[c.red(), c.green(), c.blue()] for c in colors], dtype=np.uint8)
        for i, image in enumerate(images):
            tile = [_qimage(rgb_of(image))]
            if task == "segment":
                mask = pred[i] if pred is not None else truth[i]
                tile.append(_qimage(np.ascontiguousarray(lut[np.clip(mask, 0, len(lut) - 1)])))
                if pred is not None:
                    share = float(np.mean(pred[i] == truth[i]))
                    self.captions.append(f"{100 * share:.0f}% right")
                    self.right.append(share >= 0.9)
                else:
                    self.captions.append("true mask")
                    self.right.append(None)
            elif pred is None:
                self.captions.append(classes[int(truth[i])])
                self.right.append(None)
            else:
                p, t = int(pred[i]), int(truth[i])
                self.captions.append(classes[p] if p == t else f"{classes[p]}\ntrue: {classes[t]}")
                self.right.append(p == t)
            self.tiles.append(tile)
        if task == "segment":
            self.legend = list(zip(classes, colors, strict=True))
        self.empty_text = ""
        self.update()

    # -- painting --------------------------------------------------------------------------
    def _layout(self) -> tuple[int, int, int]:
        """``(columns, tile side, images per tile)`` that fit the widget."""
        n = max(1, len(self.tiles))
        per = len(self.tiles[0]) if self.tiles else 1
        w = self.width()
        h = self.height() - (16 + GAP if self.legend else 0)
        best = (1, 8)
        for cols in range(1, n + 1):
            rows = math.ceil(n / cols)
            side = min((w - GAP * (cols - 1)) / (cols * per), (h - rows * (CAPTION + GAP))
                       / rows)
            if side > best[1]:
                best = (cols, int(side))
        return best[0], best[1], per

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt override)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        pal = self.palette()
        if not self.tiles:
            p.setPen(pal.color(pal.ColorRole.PlaceholderText))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self.empty_text)
            return
        cols, side, per = self._layout()
        for i, (tile, caption, right) in enumerate(
                zip(self.tiles, self.captions, self.right, strict=True)):
            x = (i % cols) * (side * per + GAP)
            y = (i // cols) * (side + CAPTION + GAP)
            for j, image in enumerate(tile):
                p.drawImage(QRect(x + j * side, y, side, side), image)
            color = pal.color(pal.ColorRole.Text) if right is None else (
                look.OK if right else look.ERROR)
            line = p.fontMetrics().height()
            for n, text in enumerate(caption.split("\n")):
                p.setPen(color if n == 0 else pal.color(pal.ColorRole.PlaceholderText))
                p.drawText(QRect(x, y + side + n * line, side * per, line),
                           Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter,
                           p.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight,
                                                      side * per))
        x, y = 0, self.height() - 16
        for name, color in self.legend:
            p.fillRect(QRect(x, y + 3, 10, 10), color)
            p.setPen(pal.color(pal.ColorRole.Text))
            width = p.fontMetrics().horizontalAdvance(name)
            p.drawText(x + 14, y + 13, name)
            x += 24 + width
