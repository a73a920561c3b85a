"""Where a view looks when a document opens or F is pressed: the whole graph, or its start.

:func:`fit` zooms and centres a :class:`~designer.canvas.view.GraphView` on the
graph (:func:`graph_rect`: cards, output stubs, edges and labels). Opening a
document (``readable``), a graph that fits at
:data:`~designer.canvas.theme.FIT_MIN_ZOOM` or more is shown whole; a larger
one opens at :data:`~designer.canvas.theme.READABLE_ZOOM` showing its start:
its top, and around its first source card when it is wider than the view.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF

from . import theme

__all__ = ["fit", "graph_rect", "first_card"]


def graph_rect(scene) -> QRectF:
    """Bounding rectangle of the cards, output stubs, edges, labels and groups (scene units)."""
    rect = QRectF()
    for it in scene.nodes.values():
        rect = rect.united(it.sceneBoundingRect())
        if it.stub is not None and it.stub.isVisible():
            rect = rect.united(it.stub.label_rect())
    for e in scene.edges.values():
        if not e.isVisible():  # inside a collapsed group
            continue
        rect = rect.united(e.sceneBoundingRect())
        if e.label.isVisible():
            rect = rect.united(e.label.sceneBoundingRect())
    for it in (*scene.group_cards.values(), *scene.group_frames.values()):
        rect = rect.united(it.sceneBoundingRect())
    return rect


def first_card(scene):
    """The first card without inputs in graph order (where the graph starts)."""
    nodes = scene.nodes
    return next((it for it in nodes.values() if not it.edges_in), next(iter(nodes.values())))


def fit(view, readable: bool = False) -> None:
    """Zoom and centre ``view`` on its scene's graph (see the module docstring)."""
    scene = view.scene()
    if not scene.nodes:
        view.set_zoom(1.0)
        view.centerOn(0, 0)
        return
    rect = graph_rect(scene).adjusted(-40, -40, 40, 40)
    vw, vh = view.viewport().width(), view.viewport().height()
    z = min(vw / rect.width(), vh / rect.height(), 1.0)
    if readable and z < theme.FIT_MIN_ZOOM:
        z = theme.READABLE_ZOOM
    z = max(z, theme.MIN_ZOOM)
    view.set_zoom(z)
    view_w, view_h = vw / z, vh / z
    x, y = rect.center().x(), rect.center().y()
    if rect.width() > view_w:  # around the first source card, kept inside the graph
        x = max(rect.left() + view_w / 2, min(rect.right() - view_w / 2, first_card(scene).x()))
    if rect.height() > view_h:
        y = rect.top() + view_h / 2
    view.centerOn(x, y)
