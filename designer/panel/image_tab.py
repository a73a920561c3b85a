"""The Image tab: choose the picture fed to the network and see the exact Input tensor.

Bundled samples (``resources/images/*.png``) are offered in a combo box; any
PNG, JPEG or BMP can be opened or dropped on the panel. The preview shows the
tensor the Input receives (after resizing and colour conversion by
:func:`engine.runtime.prepare_input`): RGB for 3 channels, grayscale for one,
the channels side by side for other counts (which get seeded noise).
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from designer.look import fmt_num, fmt_shape
from engine.runtime.images import takes_image

from . import fmt
from .depth_slider import DepthSlider
from .image_plot import ImagePlot
from .tiling import Tiling

__all__ = ["ImageTab", "IMAGE_FILTER", "IMAGE_SUFFIXES", "dropped_image"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp);;All files (*)"


def dropped_image(mime) -> str | None:
    """The first image file (PNG, JPEG or BMP) among the URLs of dragged ``mime`` data."""
    for url in mime.urls() if mime.hasUrls() else []:
        path = url.toLocalFile()
        if path and Path(path).suffix.lower() in IMAGE_SUFFIXES:
            return path
    return None


class ImageTab(QWidget):
    """Image chooser and preview of the Input tensors.

    Parameters
    ----------
    samples_dir : pathlib.Path
        Folder of the bundled sample images.
    parent : QWidget, optional

    Signals
    -------
    imageRequested(str)
        Path of an image the user chose (combo, dialog or drop).
    """

    imageRequested = Signal(str)

    def __init__(self, samples_dir: Path, parent=None):
        super().__init__(parent)
        self.inputs: dict[str, np.ndarray] = {}
        self.samples = sorted(Path(samples_dir).glob("*.png"))
        self.combo = QComboBox()
        self.combo.setToolTip("Bundled sample images, and the files you opened")
        for p in self.samples:
            self.combo.addItem(p.name, str(p))
        self.open_button = QPushButton("Open image…")
        self.open_button.setToolTip("Open a PNG, JPEG or BMP file (or drop one on the panel)")
        self.input_combo = QComboBox()
        self.input_combo.setToolTip("Which Input to preview")
        self.depth = DepthSlider("frame")
        self.preview = ImagePlot(title="")
        self.preview.setMinimumHeight(180)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.TextFormat.RichText)
        self.hover = QLabel(" ")
        self.hint = QLabel(fmt.muted("Tip: drop an image file anywhere on this panel."))

        row = QHBoxLayout()
        row.addWidget(QLabel("Image"))
        row.addWidget(self.combo, 1)
        row.addWidget(self.open_button)
        inputs_row = QHBoxLayout()
        self.input_label = QLabel("Input")
        inputs_row.addWidget(self.input_label)
        inputs_row.addWidget(self.input_combo, 1)
        inputs_row.addWidget(self.depth, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(row)
        lay.addLayout(inputs_row)
        lay.addWidget(self.preview, 1)
        lay.addWidget(self.hover)
        lay.addWidget(self.info)
        lay.addWidget(self.hint)

        self.combo.activated.connect(self._combo_chosen)
        self.open_button.clicked.connect(self.open_dialog)
        self.input_combo.currentIndexChanged.connect(lambda _i: self._draw())
        self.depth.valueChanged.connect(lambda _v: self._draw())
        self.preview.hovered.connect(self._hover)
        self._set_inputs_visible(False)
        self.show_message("The preview of the Input tensor appears here.")

    # -- choosing ----------------------------------------------------------------------
    def open_dialog(self) -> None:
        """Ask for an image file and request it."""
        path, _ = QFileDialog.getOpenFileName(self, "Open image", "", IMAGE_FILTER)
        if path:
            self.imageRequested.emit(path)

    def _combo_chosen(self, index: int) -> None:
        path = self.combo.itemData(index)
        if path:
            self.imageRequested.emit(path)

    def set_current(self, path: Path | None) -> None:
        """Select ``path`` in the combo, adding it when it is not a sample."""
        if path is None:
            return
        path = Path(path)
        i = self.combo.findData(str(path))
        if i < 0:
            self.combo.insertItem(0, path.name, str(path))
            self.combo.setItemData(0, str(path), Qt.ItemDataRole.ToolTipRole)
            i = 0
        self.combo.setCurrentIndex(i)

    # -- preview -----------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        """A note under the preview (while preparing, or after a failure)."""
        self.info.setText(text)

    def set_inputs(self, inputs: dict[str, np.ndarray], image_name: str,
                   image_size: tuple[int, int] | None) -> None:
        """Show the Input tensors ``{input_id: [1, C, (D,) H, W]}``."""
        self.inputs = dict(inputs)
        self._image_name = image_name
        self._image_size = image_size
        current = self.input_combo.currentText()
        self.input_combo.blockSignals(True)
        self.input_combo.clear()
        self.input_combo.addItems(list(self.inputs))
        if current in self.inputs:
            self.input_combo.setCurrentText(current)
        self.input_combo.blockSignals(False)
        self._set_inputs_visible(True)
        self._draw()

    def _set_inputs_visible(self, visible: bool) -> None:
        many = visible and len(self.inputs) > 1
        self.input_label.setVisible(many)
        self.input_combo.setVisible(many)

    def current_tensor(self) -> np.ndarray | None:
        """``[C, (D,) H, W]`` of the Input being previewed."""
        a = self.inputs.get(self.input_combo.currentText())
        return None if a is None else a[0]

    def _draw(self) -> None:
        a = self.current_tensor()
        if a is None:
            return
        input_id = self.input_combo.currentText()
        depth = a.shape[1] if a.ndim == 4 else 0
        self.depth.set_depth(depth)
        frame = a[:, self.depth.value()] if depth else a
        c = frame.shape[0]
        noise = not takes_image(c, depth or None)
        if c == 3:
            self.preview.set_image(np.clip(frame.transpose(1, 2, 0), 0, 1))
        elif c == 1:
            self.preview.set_image(frame[0], levels=(0.0, 1.0), cmap="gray")
        else:
            t = Tiling.for_maps(c, frame.shape[1], frame.shape[2])
            self.preview.set_image(t.build(frame), levels=(0.0, 1.0), cmap="gray")
        kind = {1: "grayscale (luminance)", 3: "RGB"}.get(c, f"{c} channels")
        self.preview.set_title(f"what <b>{input_id}</b> receives: {fmt_shape(a.shape)}")
        if noise:
            text = (f"<b>{input_id}</b> has {c} channel{'s' if c != 1 else ''}"
                    f"{' and a depth' if depth else ''}, so it gets seeded random values "
                    f"in [0, 1) instead of the image ({fmt_shape(a.shape)}).")
        else:
            src = escape(self._image_name)
            if self._image_size:
                src += f" ({fmt_shape(self._image_size[1::-1])})"
            text = (f"<b>{input_id}</b> receives {src} resized to "
                    f"{fmt_shape(a.shape[:-3:-1])} (bilinear, antialiased; aspect not kept), "
                    f"{kind}, "
                    f"float32 in [{fmt_num(a.min(), 3)}, {fmt_num(a.max(), 3)}].")
        self.info.setText(text)

    def _hover(self, x: float, y: float) -> None:
        a = self.current_tensor()
        if a is None or math.isnan(x):
            self.hover.setText(" ")
            return
        frame = a[:, self.depth.value()] if a.ndim == 4 else a
        c, h, w = frame.shape
        xi, yi = int(math.floor(x)), int(math.floor(y))
        if c in (1, 3) and 0 <= xi < w and 0 <= yi < h:
            names = "RGB" if c == 3 else "L"
            vals = " ".join(f"{n} {frame[i, yi, xi]:.3f}" for i, n in enumerate(names))
            self.hover.setText(f"(y {yi}, x {xi})  {vals}")
        else:
            self.hover.setText(" ")
