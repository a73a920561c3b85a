"""The Feature maps tab: every channel of the selected node as one tiled mosaic.

All channels are drawn by one :class:`pyqtgraph.ImageItem` (see
:mod:`.tiling`); a histogram on the right shows the value distribution and,
in *manual* mode, sets the display levels. Hovering reads off channel,
position and value; clicking a tile shows that channel large with its
statistics and chooses the output pixel whose receptive field the RF tab
draws. 3-D activations get a depth slider; vectors (after Flatten or Linear)
become a bar chart (:mod:`.vector_page`). Display levels: :mod:`.levels`.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from designer import look
from designer.look import fmt_num, fmt_shape

from . import fmt
from .adaptive_splitter import AdaptiveSplitter
from .colormaps import NAMES, is_diverging
from .depth_slider import DepthSlider
from .image_plot import ImagePlot
from .levels import LEVEL_MODES, channel_levels, tile_levels
from .placeholder import Placeholder
from .tiling import Tiling
from .vector_page import VectorPage

__all__ = ["FeatureMapsTab", "LEVEL_MODES"]


class FeatureMapsTab(QWidget):
    """Mosaic of the channels of one activation, with a large view of one channel.

    Signals
    -------
    pixelChosen(int, object)
        ``(channel, index)`` of a clicked output pixel; ``index`` is ``(y, x)``
        or ``(d, y, x)`` for 3-D maps.
    """

    pixelChosen = Signal(int, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.node_id: str | None = None
        self.activation: np.ndarray | None = None
        self.tiling: Tiling | None = None
        self.channel = 0
        self.pixel: tuple[int, ...] | None = None
        self._manual: tuple[float, float] | None = None
        self._setting_levels = False
        self._layer_stats: dict | None = None
        self._range: tuple[float, float] | None = None
        self._buffer: np.ndarray | None = None
        self._detail_pending = False
        self._refresh_pending = False
        self._pages_prepared = False
        self._build()

    # -- construction ----------------------------------------------------------------
    def _build(self) -> None:
        self.cmap_combo = QComboBox()
        self.cmap_combo.addItems(NAMES)
        self.cmap_combo.setToolTip("Colour map (coolwarm is diverging: white is zero)")
        self.levels_combo = QComboBox()
        self.levels_combo.addItems(LEVEL_MODES)
        self.levels_combo.setToolTip(
            "per map: each channel stretched to its own range (shapes, not magnitudes)\n"
            "global: one scale for all channels (compare strengths)\n"
            "manual: drag the levels on the histogram")
        self.depth_slider = DepthSlider("depth")
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel("Colours"))
        bar.addWidget(self.cmap_combo)
        bar.addWidget(QLabel("Levels"))
        bar.addWidget(self.levels_combo)
        bar.addWidget(self.depth_slider, 1)
        bar.addStretch(0)
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)

        self.mosaic = ImagePlot(histogram=True)
        self.mosaic.setObjectName("mosaic")
        self.mosaic.setMinimumHeight(160)
        self.mosaic.histogram.sigLevelChangeFinished.connect(self._levels_dragged)
        pen = pg.mkPen(look.MARK, width=2, cosmetic=True)
        self.tile_box = QGraphicsRectItem()
        self.tile_box.setPen(pen)
        self.tile_box.setZValue(10)
        self.mosaic.add(self.tile_box, in_range=False)
        self.mosaic_mark = pg.ScatterPlotItem(size=11, symbol="s", pen=pen, brush=None)
        self.mosaic_mark.setZValue(11)
        self.mosaic.add(self.mosaic_mark, in_range=False)
        self.hover = QLabel(" ")
        self.hover.setTextFormat(Qt.TextFormat.RichText)

        self.detail = ImagePlot(colorbar=True, title="")
        self.detail.setObjectName("channel")
        self.detail.setMinimumSize(160, 140)
        self.detail_mark = pg.ScatterPlotItem(size=11, symbol="s", pen=pen, brush=None)
        self.detail_mark.setZValue(11)
        self.detail.add(self.detail_mark, in_range=False)
        self.stats = QLabel()
        self.stats.setObjectName("statistics")
        self.stats.setTextFormat(Qt.TextFormat.RichText)
        self.stats.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        # sized once for the widest statistics: a label of fixed size does not ask its
        # parents for a new layout (and a repaint of both views) on every new text
        self.stats.setText(fmt.stats_html([("ch 0000", fmt.WIDEST_STATS),
                                           ("layer", fmt.WIDEST_STATS)]))
        self.stats.setFixedSize(self.stats.sizeHint())
        self.stats.clear()
        stats_box = QWidget()
        sl = QVBoxLayout(stats_box)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addWidget(self.stats, 0, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        detail_box = AdaptiveSplitter(ratio=1.4)
        detail_box.setHandleWidth(1)
        detail_box.addWidget(self.detail)
        detail_box.addWidget(stats_box)
        detail_box.setStretchFactor(0, 1)
        detail_box.setStretchFactor(1, 0)

        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.mosaic, 1)
        tl.addWidget(self.hover)
        self.splitter = AdaptiveSplitter(ratio=1.3)
        self.splitter.addWidget(top)
        self.splitter.addWidget(detail_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        self.bar_page = VectorPage()
        self.bars, self.bar_info = self.bar_page.bars, self.bar_page.info

        self.placeholder = Placeholder()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.splitter)
        self.stack.addWidget(self.bar_page)
        self.controls = QWidget()
        self.controls.setLayout(bar)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.title)
        lay.addWidget(self.controls)
        lay.addWidget(self.stack, 1)

        self.cmap_combo.currentTextChanged.connect(self._colormap_changed)
        self.levels_combo.currentTextChanged.connect(lambda _t: self._refresh())
        self.depth_slider.valueChanged.connect(lambda _v: self._refresh(keep_view=True))
        self.mosaic.hovered.connect(self._mosaic_hover)
        self.mosaic.clicked.connect(self._mosaic_click)
        self.detail.hovered.connect(self._detail_hover)
        self.detail.clicked.connect(self._detail_click)
        self.show_message("Run the network (Ctrl+R) to see feature maps.")
        # one-time rendering costs paid now rather than in the redraw after the first run
        self.mosaic.warm_up()
        self.detail.warm_up()

    # -- public ----------------------------------------------------------------------
    @property
    def colormap(self) -> str:
        """Name of the colour map chosen (one of ``colormaps.NAMES``)."""
        return self.cmap_combo.currentText()

    @property
    def level_mode(self) -> str:
        """How display levels are chosen: ``"per map"``, ``"global"`` or ``"manual"``."""
        return self.levels_combo.currentText()

    def show_message(self, text: str, actions=None) -> None:
        """Replace the maps by an explanation (no run yet, node without output, ...)."""
        self.placeholder.set_message(text, actions)
        self.stack.setCurrentWidget(self.placeholder)
        self.controls.setVisible(False)
        self.activation = None
        self.tiling = None
        self.title.setText("")

    def show_activation(self, node_id: str, activation: np.ndarray, title: str = "") -> None:
        """Show the activation (without batch dimension) of ``node_id``.

        Parameters
        ----------
        node_id : str
        activation : numpy.ndarray
            ``[C, H, W]``, ``[C, D, H, W]`` or ``[F]`` (``[C, 1, 1]`` counts as a vector).
        title : str
            Rich text shown above the maps.
        """
        a = np.asarray(activation, dtype=np.float32)
        same_node = node_id == self.node_id and self.activation is not None \
            and self.activation.shape == a.shape
        self.node_id = node_id
        self.activation = a
        self._layer_stats = None
        self._range = None
        self.title.setText(title)
        if a.ndim <= 1 or a.ndim == 2 or all(d == 1 for d in a.shape[1:]):
            self._show_vector(a)
            return
        if not same_node:
            self.channel = 0
            self.pixel = None
            self._manual = None
        depth = a.shape[1] if a.ndim == 4 else 0
        self.depth_slider.set_depth(depth, None if same_node else depth // 2)
        self.controls.setVisible(True)
        self._hover_text(None)
        if self.stack.currentWidget() is not self.splitter:
            # first show of the maps page: its layout and first paint (empty views)
            # happen in this event-loop batch, the picture follows in the next one
            self.stack.setCurrentWidget(self.splitter)
            self.tiling = None
            if not self._refresh_pending:
                self._refresh_pending = True
                QTimer.singleShot(1, self._deferred_refresh)
            return
        self._refresh(keep_view=same_node, defer_detail=True)

    def flush(self) -> None:
        """Draw now what a new result left for a later event-loop callback (the large
        view, statistics and histogram): for screenshots and tests."""
        if self._refresh_pending:
            self._refresh(defer_detail=True)
        if self._detail_pending:
            self._deferred_detail()
        self.mosaic.update_histogram()

    def select_channel(self, channel: int) -> None:
        """Show ``channel`` in the large view."""
        if self.activation is None or self.tiling is None:
            return
        self.channel = int(np.clip(channel, 0, self.tiling.channels - 1))
        self._update_detail()
        self._update_marks()

    def mosaic_image(self) -> np.ndarray | None:
        """The image the mosaic ImageItem shows (for tests and screenshots)."""
        self.flush()
        return self.mosaic.image.image

    def mosaic_problem(self) -> str | None:
        """Why the tab does not show a mosaic of feature maps now (None when it does).

        The mosaic must be on screen, at a readable size, and hold one tile per
        channel of the activation with some finite values.
        """
        self.flush()
        if self.activation is None:
            message = self.placeholder.text()
            return f"it shows a message: {fmt.plain(message)}" if message else "it is empty"
        shape = fmt_shape(self.activation.shape)
        if self.stack.currentWidget() is not self.splitter or self.tiling is None:
            return f"{self.node_id} has a vector output ({shape}), shown as a bar chart"
        image = self.mosaic_image()
        if image is None or image.shape != self.tiling.shape or \
                self.tiling.channels != self.activation.shape[0]:
            return f"the mosaic of {self.node_id} ({shape}) was not drawn"
        if not np.isfinite(image).any():
            return f"the mosaic of {self.node_id} ({shape}) has no finite values"
        if not self.mosaic.isVisible() or min(self.mosaic.width(), self.mosaic.height()) < 48:
            size = fmt_shape((self.mosaic.width(), self.mosaic.height()))
            return f"the mosaic is not visible at a readable size ({size} px)"
        return None

    # -- drawing -----------------------------------------------------------------------
    def _maps(self) -> np.ndarray:
        """``[C, H, W]`` currently shown (the depth slice of a 3-D activation)."""
        a = self.activation
        return a[:, self.depth_slider.value()] if a.ndim == 4 else a

    def _levels(self, maps: np.ndarray):
        """Per-channel ``(offset, scale)`` (None: raw values) and the display levels."""
        return tile_levels(maps, self.level_mode, is_diverging(self.colormap), self._manual,
                           self._value_range)

    def _value_range(self) -> tuple[float, float]:
        """Minimum and maximum of the whole activation (computed once per activation)."""
        if self._range is None:
            self._range = (float(self.activation.min()), float(self.activation.max()))
        return self._range

    def _refresh(self, keep_view: bool = False, defer_detail: bool = False) -> None:
        """Redraw the mosaic, then the large view, its statistics and the marks.

        With ``defer_detail`` (a new result) the large view, statistics and marks
        follow in a later event-loop callback, so that the mosaic is updated and
        painted first and no single callback blocks the UI thread for long.
        """
        self._refresh_pending = False
        if self.activation is None or self.activation.ndim < 3 or \
                self.stack.currentWidget() is not self.splitter:
            return
        maps = self._maps()
        c, h, w = maps.shape
        tiling = self.tiling
        if tiling is None or (tiling.channels, tiling.height, tiling.width) != (c, h, w):
            tiling = Tiling.for_maps(c, h, w)
        self.tiling = tiling
        offset, scale, levels = self._levels(maps)
        if self._buffer is None or self._buffer.shape != tiling.buffer_shape:
            self._buffer = np.empty(tiling.buffer_shape, dtype=np.float32)
        image = tiling.build(maps, offset, scale, out=self._buffer)
        self._setting_levels = True
        try:
            self.mosaic.set_image(image, levels=levels, cmap=self.colormap,
                                  auto_range=not keep_view)
        finally:
            self._setting_levels = False
        self.mosaic.histogram.region.setMovable(self.level_mode != "per map")
        self._compact()
        self._update_mosaic_marks()  # now: the mosaic is painted once with them
        if defer_detail:
            if not self._detail_pending:
                self._detail_pending = True
                QTimer.singleShot(1, self._deferred_detail)
            return
        self._update_detail()
        self._update_detail_mark()

    def _deferred_refresh(self) -> None:
        if self._refresh_pending:  # not drawn synchronously in the meantime
            self._refresh(defer_detail=True)

    def _deferred_detail(self) -> None:
        if not self._detail_pending:  # drawn synchronously in the meantime
            return
        self._detail_pending = False
        if self.activation is None or self.activation.ndim < 3 or self.tiling is None:
            return
        self._update_detail()
        self._update_detail_mark()

    def _update_detail(self) -> None:
        self._detail_pending = False
        maps = self._maps()
        ch = self.channel
        m = maps[ch]
        if self.level_mode == "per map":
            lo, hi = channel_levels(m, is_diverging(self.colormap))
        else:
            lo, hi = self.mosaic.image.levels if self.mosaic.image.levels is not None \
                else (float(m.min()), float(m.max()) + 1e-6)
        self.detail.set_image(m, levels=(float(lo), float(hi)), cmap=self.colormap)
        where = f"channel {ch} of {self.node_id}"
        if self.activation.ndim == 4:
            where += f", depth {self.depth_slider.value()}"
        self.detail.set_title(where)
        if self._layer_stats is None:
            self._layer_stats = fmt.stats(self.activation)
        self.stats.setText(fmt.stats_html([(f"ch {ch}", fmt.stats(m)),
                                           ("layer", self._layer_stats)]))
        self.stats.setToolTip("zeros: share of exact zeros (after a rectifier: inactive units)")

    def _update_marks(self) -> None:
        self._update_mosaic_marks()
        self._update_detail_mark()

    def _update_mosaic_marks(self) -> None:
        """The box around the chosen channel's tile and the chosen pixel in it."""
        t = self.tiling
        if t is None:
            return
        y0, x0 = t.origin(self.channel)
        rect = QRectF(x0 - 0.5, y0 - 0.5, t.width + 1, t.height + 1)
        if self.tile_box.rect() != rect:
            self.tile_box.setRect(rect)
        self.tile_box.setVisible(t.channels > 1)
        # no chosen pixel: the marks are hidden (an empty scatter still costs ~1 ms a paint)
        self.mosaic_mark.setVisible(self.pixel is not None)
        if self.pixel is not None:
            y, x = self.pixel[-2:]
            self.mosaic_mark.setData([x0 + x + 0.5], [y0 + y + 0.5])

    def _update_detail_mark(self) -> None:
        """The chosen pixel in the large view."""
        self.detail_mark.setVisible(self.pixel is not None)
        if self.pixel is not None:
            y, x = self.pixel[-2:]
            self.detail_mark.setData([x + 0.5], [y + 0.5])

    def _show_vector(self, a: np.ndarray) -> None:
        self.controls.setVisible(False)
        self.stack.setCurrentWidget(self.bar_page)
        self.bar_page.show_values(a.ravel())
        self.tiling = None

    def _compact(self) -> None:
        """Hide the histogram where it would crowd the mosaic (not in manual mode)."""
        self.mosaic.show_histogram(self.mosaic.width() >= 380 or self.level_mode == "manual")

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """On the first show, lay out and paint the hidden pages soon after."""
        super().showEvent(event)
        if not self._pages_prepared:
            self._pages_prepared = True
            QTimer.singleShot(0, self, self._prepare_pages)  # not if the tab is gone

    def _prepare_pages(self) -> None:
        """Lay out and paint the maps and bar-chart pages once, off screen.

        The first show of a page lays out its views and paints them for the
        first time (~25-40 ms). Done here, while nothing runs, rather than in
        the redraw after the first run. ``grab`` does both for a hidden page.
        """
        for page in (self.splitter, self.bar_page):
            if page is not self.stack.currentWidget():
                page.grab()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Show the mosaic's histogram only where it fits (380 px wide, or manual levels)."""
        super().resizeEvent(event)
        self._compact()

    # -- interaction -------------------------------------------------------------------
    def _colormap_changed(self, _name: str) -> None:
        self._refresh(keep_view=True)

    def _levels_dragged(self, _hist) -> None:
        if self._setting_levels or self.activation is None:
            return
        self._manual = tuple(float(v) for v in self.mosaic.histogram.getLevels())
        if self.level_mode != "manual":
            self.levels_combo.blockSignals(True)
            self.levels_combo.setCurrentText("manual")
            self.levels_combo.blockSignals(False)
        self._update_detail()

    def _value(self, ch: int, y: int, x: int) -> float:
        return float(self._maps()[ch, y, x])

    def _mosaic_hover(self, x: float, y: float) -> None:
        hit = self.tiling.locate(x, y) if self.tiling is not None and not math.isnan(x) \
            else None
        self._hover_text(hit)

    def _detail_hover(self, x: float, y: float) -> None:
        hit = None
        if self.tiling is not None and not math.isnan(x):
            xi, yi = int(math.floor(x)), int(math.floor(y))
            if 0 <= xi < self.tiling.width and 0 <= yi < self.tiling.height:
                hit = (self.channel, yi, xi)
        self._hover_text(hit)

    def _hover_text(self, hit) -> None:
        if hit is None:
            self.hover.setText(fmt.muted("hover a map to read values · click to choose a "
                                         "channel and an output pixel"))
            return
        ch, y, x = hit
        d = f"d {self.depth_slider.value()}, " if self.activation.ndim == 4 else ""
        self.hover.setText(f"channel <b>{ch}</b> · ({d}y {y}, x {x}) · value "
                           f"<b>{fmt_num(self._value(ch, y, x))}</b>")

    def _choose(self, ch: int, y: int, x: int) -> None:
        self.channel = ch
        self.pixel = (self.depth_slider.value(), y, x) if self.activation.ndim == 4 else (y, x)
        self._update_detail()
        self._update_marks()
        self.pixelChosen.emit(ch, self.pixel)

    def _mosaic_click(self, x: float, y: float) -> None:
        hit = self.tiling.locate(x, y) if self.tiling is not None else None
        if hit is not None:
            self._choose(*hit)

    def _detail_click(self, x: float, y: float) -> None:
        if self.tiling is None:
            return
        xi, yi = int(math.floor(x)), int(math.floor(y))
        if 0 <= xi < self.tiling.width and 0 <= yi < self.tiling.height:
            self._choose(self.channel, yi, xi)
