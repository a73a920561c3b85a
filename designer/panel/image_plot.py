"""A pyqtgraph view of one image with locked aspect, no axes, hover and click.

:class:`ImagePlot` is the building block of every picture in the engine
panel (feature-map mosaics, single channels, the input image with receptive
field and offset overlays). Coordinates are image pixels: pixel ``(row, col)``
covers ``[col, col + 1) × [row, row + 1)`` and row 0 is at the top.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetricsF, QPalette

from designer import look

from .caption import Caption
from .colormaps import coarse_colormap, colormap, lookup_table

__all__ = ["ImagePlot"]

#: lookup tables of histogram gradients, by (colour mode, size, alpha, stops)
_LUTS: dict[tuple, np.ndarray] = {}
#: the histogram follows a new image this long after it (ms), once the image has painted
HISTOGRAM_DELAY_MS = 40
#: the value axes of histograms and colour bars start as wide as this tick label
AXIS_USUAL_LABEL = "-0.00000"


class ImagePlot(pg.GraphicsLayoutWidget):
    """One image in a ViewBox (aspect locked, y down), optionally with a histogram.

    Parameters
    ----------
    parent : QWidget, optional
    histogram : bool
        Add a :class:`pyqtgraph.HistogramLUTItem` on the right that shows the
        value distribution and lets the user drag the display levels.
    title : str, optional
        A small caption above the image.
    colorbar : bool
        Add a (non-interactive) colour bar on the right that reads off values.

    Signals
    -------
    hovered(float, float)
        Image coordinates ``(x, y)`` under the mouse; NaN when it leaves the image area.
    clicked(float, float)
        Image coordinates of a left click inside the view.
    """

    hovered = Signal(float, float)
    clicked = Signal(float, float)

    def __init__(self, parent=None, histogram: bool = False, title: str | None = None,
                 colorbar: bool = False):
        super().__init__(parent)
        self.setBackground(self.palette().color(QPalette.ColorRole.Base))
        self.ci.layout.setContentsMargins(2, 2, 2, 2)
        self.ci.layout.setSpacing(2)
        row = 0
        self.title = None
        if title is not None:
            self.title = Caption(title, self.palette().color(QPalette.ColorRole.Text))
            self.addItem(self.title, row=0, col=0, colspan=2)
            row = 1
        self.vb = self.addViewBox(row=row, col=0, lockAspect=True, invertY=True,
                                  enableMenu=False)
        self.vb.setDefaultPadding(0.02)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.vb.addItem(self.image)
        self.histogram = None
        if histogram:
            self.histogram = pg.HistogramLUTItem(fillHistogram=True)
            # every resize of the gradient (first show, splitter moves) emits
            # gradientChanged, which makes pyqtgraph rebuild its 256-colour LUT (~5 ms)
            # at the next render: serve it from a cache keyed on the gradient's stops
            self.histogram.getLookupTable = self._histogram_lut
            self.histogram.setImageItem(self.image)
            # the histogram curve follows a new image in a later event-loop callback:
            # computing and (first) painting it cost ~10-30 ms, which must not add to
            # the repaint of the new picture in the same batch
            self.image.sigImageChanged.disconnect(self.histogram.imageChanged)
            self.image.sigImageChanged.connect(self._histogram_timer_start)
            self._histogram_timer = QTimer(self)
            self._histogram_timer.setSingleShot(True)
            self._histogram_timer.setInterval(HISTOGRAM_DELAY_MS)
            self._histogram_timer.timeout.connect(self.update_histogram)
            self.histogram.vb.setMinimumWidth(24)
            self.histogram.vb.setMaximumWidth(40)
            self.histogram.region.setBrush(pg.mkBrush(look.with_alpha(look.NEUTRAL, 40)))
            self.addItem(self.histogram, row=row, col=1)
            self._steady_axis_width(self.histogram.axis)
        self._row = row
        self.colorbar = None
        if colorbar and not histogram:
            self.colorbar = pg.ColorBarItem(interactive=False, width=10, colorMap="viridis")
            text = self.palette().color(QPalette.ColorRole.Text)
            self.colorbar.axis.setPen(text)
            self.colorbar.axis.setTextPen(text)
            self.colorbar.setImageItem(self.image)
            self.addItem(self.colorbar, row=row, col=1)
            self._steady_axis_width(self.colorbar.axis)
        self._cmap = "viridis"
        self._rgb = False
        self._lut_key = None
        # colour map of the gradient / colour bar set up now, not on the first result
        # (the gradient editor's ticks cost ~15 ms, once per colour map)
        self._apply_lut()
        self.scene().sigMouseMoved.connect(self._moved)
        self.scene().sigMouseClicked.connect(self._clicked)

    # -- content -----------------------------------------------------------------
    def set_image(self, data: np.ndarray, levels: tuple[float, float] | None = None,
                  cmap: str | None = None, auto_range: bool = True) -> None:
        """Show ``data``: ``[H, W]`` through the colour map, or ``[H, W, 3]`` as RGB.

        Parameters
        ----------
        data : numpy.ndarray
            Scalar image (NaN drawn transparent) or RGB image in ``[0, 1]``.
        levels : (float, float), optional
            Values mapped to the two ends of the colour map; default: the data range.
        cmap : str, optional
            Colour-map name (see :mod:`.colormaps`); default: keep the current one.
        auto_range : bool
            Fit the view to the image when its size changed.
        """
        data = np.asarray(data)
        rgb = data.ndim == 3
        if levels is None:
            levels = (0.0, 1.0) if rgb else _finite_range(data)
        old = self.image.image
        resized = old is None or old.shape[:2] != data.shape[:2]
        if cmap is not None:
            self._cmap = cmap
        self._rgb = rgb
        self._apply_lut()
        self.image.setImage(data, levels=levels, autoLevels=False)
        if self.histogram is not None:
            self.histogram.setLevels(*levels)
        if self.colorbar is not None:
            self.colorbar.setVisible(not rgb)
            self.colorbar.setLevels(levels)
        if auto_range and resized:
            self.vb.autoRange(padding=0.02)
        self.settle()

    def settle(self) -> None:
        """Apply the views' pending range and transform changes now.

        pyqtgraph defers them to the next paint, where they change the scene
        again and queue a second paint (and that one, sometimes, a third): a
        chain of repaints that holds the UI thread. Applied here, the next
        paint is the only one.
        """
        self.scene().prepareForPaint()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Lay the plot out for the new size, then :meth:`settle`."""
        super().resizeEvent(event)
        self.settle()

    def update_histogram(self) -> None:
        """Bring the histogram curve up to date with the image now (normally deferred)."""
        if self.histogram is None:
            return
        self._histogram_timer.stop()
        if self.image.image is not None:
            self.histogram.imageChanged()

    def clear_image(self) -> None:
        """Remove the picture (the view keeps its overlays)."""
        self.image.clear()

    def warm_up(self) -> None:
        """Render a tiny float image with NaN once, then clear it.

        pyqtgraph's first render of a float image through a lookup table pays
        one-time costs (~15-20 ms: the LUT of the gradient, numpy paths taken for
        the first time); paying them while the panel is built keeps them out of
        the redraw after the first run.
        """
        data = np.zeros((2, 2), dtype=np.float32)
        data[0, 0] = np.nan
        self.image.setImage(data, levels=(0.0, 1.0), autoLevels=False)
        self.image.render()
        self.image.clear()

    def set_colormap(self, name: str) -> None:
        """Use the colour map ``name`` for scalar images."""
        self._cmap = name
        self._apply_lut()

    def set_levels(self, lo: float, hi: float) -> None:
        """Display levels of the current image."""
        self.image.setLevels((lo, hi))
        if self.histogram is not None:
            self.histogram.setLevels(lo, hi)
        if self.colorbar is not None:
            self.colorbar.setLevels((lo, hi))
        self.settle()

    def show_histogram(self, show: bool) -> None:
        """Show or hide the histogram (it keeps driving the levels either way)."""
        hist = self.histogram
        if hist is None or (hist.scene() is not None) == show:
            return
        if show:
            self.ci.addItem(hist, row=self._row, col=1)
        else:
            self.ci.removeItem(hist)

    def set_title(self, text: str) -> None:
        """Caption above the image (only if the plot was made with a title)."""
        if self.title is not None:
            self.title.text = text

    def add(self, item, in_range: bool = True) -> None:
        """Add an overlay item, drawn in image coordinates above the picture.

        Parameters
        ----------
        item : QGraphicsItem
        in_range : bool
            The view's automatic range takes the item in. A mark that moves
            with the user's choice should not: each move would queue one more
            range update and repaint.
        """
        self.vb.addItem(item, ignoreBounds=not in_range)

    def remove(self, item) -> None:
        """Remove an overlay added with :meth:`add`."""
        self.vb.removeItem(item)

    def auto_range(self) -> None:
        """Fit the view to the image."""
        self.vb.autoRange(items=[self.image], padding=0.02)

    def value_at(self, x: float, y: float):
        """Image value at image coordinates ``(x, y)``, or None outside it."""
        img = self.image.image
        if img is None or not math.isfinite(x) or not math.isfinite(y):
            return None
        r, c = int(math.floor(y)), int(math.floor(x))
        if 0 <= r < img.shape[0] and 0 <= c < img.shape[1]:
            return img[r, c]
        return None

    # -- internals ---------------------------------------------------------------
    def _histogram_timer_start(self, *_args) -> None:
        self._histogram_timer.start()

    def _steady_axis_width(self, axis: pg.AxisItem) -> None:
        """Start a value axis as wide as a usual tick label, and never let it shrink.

        pyqtgraph fits an axis to its widest tick label, growing and shrinking it
        with every new level range: each change lays the plot out again and
        repaints it a second and third time. Sized for ``-0.00000`` from the
        start, it grows only for a longer label (once), and drops no label.
        """
        text = QFontMetricsF(self.font()).horizontalAdvance(AXIS_USUAL_LABEL)
        axis.textWidth = max(axis.textWidth, math.ceil(text))
        axis.setWidth(None)  # a colour bar fixes its axis at 45 px: labels went missing
        axis.setStyle(autoReduceTextSpace=False, autoExpandTextSpace=True)  # applies it

    def _apply_lut(self) -> None:
        key = (self._cmap, self._rgb)
        if key == self._lut_key:
            return
        self._lut_key = key
        if self.histogram is not None:
            # the gradient editor makes one tick per stop: give it a 17-stop copy
            self.histogram.gradient.setColorMap(coarse_colormap(self._cmap))
            self.histogram.gradient.showTicks(False)
        elif self.colorbar is not None:
            self.colorbar.setColorMap(colormap(self._cmap))
        if self._rgb:
            self.image.setLookupTable(None)
        elif self.histogram is None and self.colorbar is None:
            self.image.setLookupTable(lookup_table(self._cmap)[:, :3])

    def _histogram_lut(self, img=None, n=None, alpha=None):
        """``HistogramLUTItem.getLookupTable`` with a cache keyed on the gradient's stops."""
        if n is None:
            n = 256 if img is not None and img.dtype == np.uint8 else 512
        gradient = self.histogram.gradient
        key = (gradient.colorMode, n, alpha,
               tuple((round(float(pos), 6), tick.color.rgba()) for tick, pos in
                     gradient.listTicks()))
        lut = _LUTS.get(key)
        if lut is None:
            if len(_LUTS) >= 64:
                _LUTS.clear()
            lut = _LUTS[key] = gradient.getLookupTable(n, alpha=alpha)
        return lut

    def _to_image(self, scene_pos) -> QPointF | None:
        if not self.vb.sceneBoundingRect().contains(scene_pos):
            return None
        return self.vb.mapSceneToView(scene_pos)

    def _moved(self, scene_pos) -> None:
        p = self._to_image(scene_pos)
        if p is None:
            self.hovered.emit(math.nan, math.nan)
        else:
            self.hovered.emit(p.x(), p.y())

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        p = self._to_image(event.scenePos())
        if p is not None:
            self.clicked.emit(p.x(), p.y())

    def leaveEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Emit ``hovered(nan, nan)``: the mouse left the widget."""
        self.hovered.emit(math.nan, math.nan)
        super().leaveEvent(event)


def _finite_range(data: np.ndarray) -> tuple[float, float]:
    finite = data[np.isfinite(data)] if data.dtype.kind == "f" else data
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi
