"""Helpers shared by the engine-panel GUI tests (``test_panel_*.py``): example paths,
a document of an example, a panel in a window, waiting on the panel's worker, and a
real mouse click on an image plot. Their fixtures (``small_image``, ``new_panel``)
are in conftest.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QMainWindow

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "resources" / "examples"
EXAMPLE = EXAMPLES / "classifier_tour.convgraph.json"
VIDEO = EXAMPLES / "video_conv3d.convgraph.json"


def _document(path=EXAMPLE):
    import engine
    from designer.document import Document

    return Document(engine.load_graph(path))


def _make_panel(qapp, size=(900, 760)):
    from designer.panel import EnginePanel

    win = QMainWindow()
    panel = EnginePanel(win)
    win.setCentralWidget(panel)
    win.resize(*size)
    win.show()
    qapp.processEvents()
    return win, panel


def _wait(panel, until, timeout=60.0):
    assert panel.controller.jobs.wait(timeout, until=until), "timed out"


def _settle(panel, qapp):
    _wait(panel, lambda: not panel.controller.busy)
    # a finished run redraws the visible tab in a 1 ms single-shot of its own: wait for it
    # (on a fast machine three rounds of events came before it, and the tab was stale)
    deadline = time.monotonic() + 5.0
    while panel.tabs.currentWidget() in panel.views.dirty and time.monotonic() < deadline:
        qapp.processEvents()
    for _ in range(3):
        qapp.processEvents()


def _click(qapp, plot, x, y):
    """A real left click near image coordinates (x, y) of an ImagePlot.

    Returns the image pixel ``(row, col)`` actually under the (integer) widget
    position that was clicked.
    """
    from PySide6.QtTest import QTest

    scene_pt = plot.vb.mapViewToScene(QPointF(x, y))
    pos = plot.mapFromScene(scene_pt)
    QTest.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     pos)
    # the pixel under the click as the plot mapped it then: a deferred range or layout
    # change that runs in processEvents (sooner or later under load) must not move it
    hit = plot.vb.mapSceneToView(plot.mapToScene(pos))
    qapp.processEvents()
    return int(np.floor(hit.y())), int(np.floor(hit.x()))
