"""File → Export Diagram: the canvas, or the selection, as PNG, SVG or PDF.

The scene is drawn as it is shown (cards, edges, their shape and RF labels, the
error and warning marks) into a raster image (:class:`QImage`, drawn at
:data:`PNG_SCALE` times the canvas size, at most :data:`MAX_PNG_SIDE` pixels), a vector drawing
(:class:`~PySide6.QtSvg.QSvgGenerator`: texts stay text, so a paper's figure
can be searched and edited) or a one-page PDF (:class:`QPdfWriter`, the page the
size of the diagram). Selection halos and the dot grid are left out; the
selection is restored afterwards, without the window hearing of it.

:func:`export_diagram` does the drawing (no dialog; tests call it);
:func:`export_diagram_dialog` asks where to write it.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter, QPdfWriter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QFileDialog, QGraphicsItem, QMessageBox

from designer import look

__all__ = ["FORMATS", "PNG_SCALE", "MAX_PNG_SIDE", "MARGIN", "png_scale", "diagram_rect",
           "export_diagram", "export_diagram_dialog"]

#: suffix -> file-dialog filter
FORMATS = {".png": "PNG image (*.png)", ".svg": "SVG drawing (*.svg)",
           ".pdf": "PDF document (*.pdf)"}
#: a PNG has this many pixels per canvas unit (sharp on a slide or a printed page)
PNG_SCALE = 2.0
#: the longest side of a PNG, pixels: a taller graph is drawn smaller (a 300-node chain
#: at PNG_SCALE would need a 66,000-pixel, 300 MB image)
MAX_PNG_SIDE = 16000
#: space around the diagram, canvas units
MARGIN = 24.0


def _items(scene, ids: list[str] | None) -> list[QGraphicsItem]:
    """The cards, edges and edge labels drawn: all of them, or those of the nodes
    ``ids`` and the edges between two of them."""
    keep = set(scene.nodes) if ids is None else set(ids)
    items: list[QGraphicsItem] = [scene.nodes[i] for i in scene.nodes if i in keep]
    for edge in scene.edges.values():
        if edge.src.node_id in keep and edge.dst.node_id in keep:
            items.append(edge)
            if edge.label.isVisible():
                items.append(edge.label)
    return items


def diagram_rect(scene, ids: list[str] | None = None) -> QRectF:
    """The scene rectangle the diagram of ``ids`` (all nodes when None) covers,
    margin included; empty when there is nothing to draw."""
    rect = QRectF()
    for item in _items(scene, ids):
        rect = rect.united(item.sceneBoundingRect())
    if rect.isEmpty():
        return rect
    return rect.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)


@contextmanager
def _prepared(scene, ids: list[str] | None):
    """Only the diagram's items visible, nothing selected, no item cache (vector
    output gets vector drawing); all restored on exit, no signal sent."""
    keep = set(map(id, _items(scene, ids)))
    hidden = [it for it in scene.items() if it.parentItem() is None and it.isVisible()
              and id(it) not in keep]
    selected = scene.selectedItems()
    cached = [(it, it.cacheMode()) for it in scene.items()
              if it.cacheMode() != QGraphicsItem.CacheMode.NoCache]
    blocked = scene.blockSignals(True)
    try:
        for it in hidden:
            it.setVisible(False)
        for it in selected:
            it.setSelected(False)
        for it, _mode in cached:
            it.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        yield
    finally:
        for it, mode in cached:
            it.setCacheMode(mode)
        for it in selected:
            it.setSelected(True)
        for it in hidden:
            it.setVisible(True)
        scene.blockSignals(blocked)


def _paint(scene, painter: QPainter, target: QRectF, source: QRectF,
           background: bool) -> None:
    painter.setRenderHints(QPainter.RenderHint.Antialiasing
                           | QPainter.RenderHint.TextAntialiasing
                           | QPainter.RenderHint.SmoothPixmapTransform)
    if background:
        painter.fillRect(target, look.BACKGROUND)
    scene.render(painter, target, source, Qt.AspectRatioMode.KeepAspectRatio)


def export_diagram(scene, path, ids: list[str] | None = None, background: bool = True,
                   title: str = "") -> Path:
    """Write the diagram of ``scene`` to ``path`` (the suffix picks PNG, SVG or PDF).

    Parameters
    ----------
    scene : designer.canvas.scene.GraphScene
    path : str or Path
        ``.png``, ``.svg`` or ``.pdf``.
    ids : list of str, optional
        Only these nodes and the edges between them (the selection); all when None.
    background : bool
        Fill with the canvas colour (else transparent in a PNG, none in SVG/PDF).
    title : str
        The SVG's title and the PDF's document title.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        Unknown suffix, or nothing to draw.
    OSError
        The file could not be written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path.name}: a diagram is a .png, .svg or .pdf file, "
                         f"not {suffix or 'a file without a suffix'}")
    scene.flush()  # routes and labels that are due
    source = diagram_rect(scene, ids)
    if source.isEmpty():
        raise ValueError("nothing to export: the canvas is empty" if ids is None
                         else "nothing to export: no node is selected")
    with _prepared(scene, ids):
        if suffix == ".png":
            _png(scene, path, source, background)
        elif suffix == ".svg":
            _svg(scene, path, source, background, title)
        else:
            _pdf(scene, path, source, background, title)
    return path


def png_scale(source: QRectF) -> float:
    """Pixels per canvas unit of the PNG of ``source``: :data:`PNG_SCALE`, less where
    the longest side would exceed :data:`MAX_PNG_SIDE`."""
    return min(PNG_SCALE, MAX_PNG_SIDE / max(source.width(), source.height(), 1.0))


def _png(scene, path: Path, source: QRectF, background: bool) -> None:
    scale = png_scale(source)
    size = QSize(round(source.width() * scale), round(source.height() * scale))
    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    per_metre = round(96 * scale / 0.0254)
    image.setDotsPerMeterX(per_metre)
    image.setDotsPerMeterY(per_metre)
    painter = QPainter(image)
    try:
        _paint(scene, painter, QRectF(0, 0, size.width(), size.height()), source, background)
    finally:
        painter.end()
    if not image.save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")


def _svg(scene, path: Path, source: QRectF, background: bool, title: str) -> None:
    gen = QSvgGenerator()
    gen.setFileName(str(path))
    size = QSize(round(source.width()), round(source.height()))
    gen.setSize(size)
    gen.setViewBox(QRectF(0, 0, size.width(), size.height()))
    gen.setResolution(96)
    gen.setTitle(title or "ConvCanvas diagram")
    gen.setDescription("Drawn by ConvCanvas")
    painter = QPainter()
    if not painter.begin(gen):
        raise OSError(f"cannot write {path}")
    try:
        _paint(scene, painter, QRectF(0, 0, size.width(), size.height()), source, background)
    finally:
        painter.end()
    if not path.exists():
        raise OSError(f"cannot write {path}")


def _pdf(scene, path: Path, source: QRectF, background: bool, title: str) -> None:
    writer = QPdfWriter(str(path))
    writer.setTitle(title or "ConvCanvas diagram")
    writer.setCreator("ConvCanvas")
    writer.setResolution(300)
    points = QSizeF(source.width() * 0.75, source.height() * 0.75)  # 96 px per inch
    writer.setPageLayout(QPageLayout(QPageSize(points, QPageSize.Unit.Point, "diagram"),
                                     QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"cannot write {path}")
    try:
        target = QRectF(0, 0, writer.width(), writer.height())
        _paint(scene, painter, target, source, background)
    finally:
        painter.end()


def export_diagram_dialog(window, selection: bool = False) -> Path | None:
    """Ask for a file and export the canvas (or, with ``selection``, the selected
    nodes); the suffix picks the format. Errors are shown, not raised."""
    scene = window.scene
    ids = scene.selected_ids() if selection else None
    if selection and not ids:
        window.show_message("Select the nodes to export first")
        return None
    if not scene.nodes:
        window.show_message("The canvas is empty: nothing to export")
        return None
    doc = window.doc
    stem = doc.path.name.split(".")[0] if doc is not None and doc.path else \
        (doc.graph.name if doc is not None and doc.graph.name else "diagram")
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem) or "diagram"
    folder = doc.path.parent if doc is not None and doc.path else Path.home()
    filters = ";;".join(FORMATS.values())
    chosen, chosen_filter = QFileDialog.getSaveFileName(
        window, "Export Selection as Diagram" if selection else "Export Diagram",
        str(folder / f"{stem}.png"), filters)
    if not chosen:
        return None
    path = Path(chosen)
    if path.suffix.lower() not in FORMATS:  # the filter's suffix, when none was typed
        suffix = next((s for s, f in FORMATS.items() if f == chosen_filter), ".png")
        path = path.with_name(path.name + suffix)
    try:
        export_diagram(scene, path, ids, title=doc.graph.name if doc is not None else "")
    except (OSError, ValueError) as exc:
        QMessageBox.warning(window, "Cannot export the diagram", str(exc))
        return None
    what = f"{len(ids)} selected nodes" if ids else "the diagram"
    window.show_message(f"Exported {what} to {path}")
    return path
