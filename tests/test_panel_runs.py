"""Engine panel runs on panels of their own: what the Inputs receive and which node
is shown first (3-D graphs, graphs without convolutions, a dropped image, Ctrl+R),
and the exact RF footprint of merged branches. Offscreen with pytest-qt; the worker
is waited for with the panel's own helpers, never with sleeps.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from tests.panel_helpers import (
    EXAMPLE,
    VIDEO,
    _document,
    _settle,
    _wait,
)

pytestmark = pytest.mark.gui


def test_3d_graph_depth_counted_from_zero_inputs_named_statistics_shown(new_panel, qapp):
    win, panel = new_panel(size=(1000, 800))
    panel.set_document(_document(VIDEO))
    # the 3-D Input gets seeded noise, not the image: the panel says so before and after
    assert "seeded random values for clip (seed 0)" in panel.status_text()
    assert panel.run_blocking(timeout_s=120), panel.run_failure()
    status = panel.status_text()
    assert status.startswith("Ran 12 nodes on seeded random values for clip (seed 0) in")
    assert "scene.png" not in status
    for _ in range(3):
        qapp.processEvents()
    tab = panel.maps_tab
    assert tab.node_id == "conv1" and tab.activation.shape == (64, 16, 112, 112)
    # slider, large view and hover all count slices from 0, like channels and pixels
    assert tab.depth_slider.isVisible()
    assert tab.depth_slider.text() == "depth 8 (0–15)"
    assert tab.detail.title.text.endswith("channel 0 of conv1, depth 8")
    tab.depth_slider.setValue(15)
    assert tab.depth_slider.text() == "depth 15 (0–15)"
    assert tab.detail.title.text.endswith("depth 15")
    np.testing.assert_array_equal(tab.detail.image.image, tab.activation[0, 15])
    tab._mosaic_hover(3.5, 2.5)
    assert "(d 15, y 2, x 3)" in tab.hover.text()
    tab.depth_slider.setValue(0)
    assert tab.depth_slider.text() == "depth 0 (0–15)"
    # every row of the statistics table under the large view is on screen
    stats = tab.stats
    assert stats.isVisible()
    for _ in range(3):
        qapp.processEvents()
    shown = stats.visibleRegion().boundingRect()
    assert shown.height() >= stats.sizeHint().height(), (shown, stats.sizeHint())
    assert shown.width() >= stats.sizeHint().width()
    bottom = stats.mapTo(win, stats.rect().bottomLeft()).y()
    assert bottom <= win.height()
    assert fmt_rows(stats.text()) == ["", "min", "max", "mean", "std", "zeros"]
    # the Image tab counts frames the same way
    panel.tabs.setCurrentWidget(panel.image_tab)
    _wait(panel, lambda: panel.image_tab.current_tensor() is not None)
    qapp.processEvents()
    assert panel.image_tab.depth.text() == "frame 0 (0–15)"
    assert "seeded random values" in panel.image_tab.info.text()


def fmt_rows(html: str) -> list[str]:
    """First cell of every row of a statistics table (``fmt.stats_html``)."""
    import re

    from designer.panel import fmt

    return [fmt.plain(row.split("</td>")[0]).strip()
            for row in re.findall(r"<tr>(.*?)</tr>", html)]


def test_default_node_without_convolutions_is_the_last_spatial_one(new_panel, qapp, tmp_path):
    path = tmp_path / "mlp.convgraph.json"
    path.write_text(json.dumps({
        "format": "convcanvas-graph", "version": 1, "name": "MLP",
        "nodes": [{"id": "input", "type": "Input",
                   "params": {"channels": 3, "height": 16, "width": 16}},
                  {"id": "flatten", "type": "Flatten"},
                  {"id": "fc", "type": "Linear", "params": {"out_features": 4}}],
        "edges": [{"from": "input", "to": "flatten"}, {"from": "flatten", "to": "fc"}]}))
    win, panel = new_panel()
    panel.set_document(_document(path))
    assert panel.run_blocking(timeout_s=60), panel.run_failure()
    qapp.processEvents()
    assert panel.maps_tab.node_id == "input"  # its maps, not the bars of fc
    assert panel.maps_problem() is None


def test_ctrl_r_runs(new_panel):
    from PySide6.QtTest import QTest

    win, panel = new_panel()
    panel.set_document(_document())
    assert panel.image_tab.combo.currentText() == "scene.png"  # the default sample
    win.activateWindow()
    panel.maps_tab.setFocus()
    QTest.keyClick(panel.maps_tab, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert panel.run_state == "running"
    _wait(panel, lambda: panel.run_state != "running")
    assert panel.run_state == "done"
    # the visible tab is redrawn in an event-loop callback of its own, just after
    _wait(panel, lambda: panel.maps_tab.activation is not None)  # the first conv is shown
    assert panel.maps_tab.node_id == "stem_conv"


def test_dropping_an_image_file_uses_it(new_panel, qapp, small_image):
    from PySide6.QtCore import QMimeData, QPoint, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    win, panel = new_panel()
    panel.set_document(_document())
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(small_image))])
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    panel.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    panel.dropEvent(drop)
    _settle(panel, qapp)
    assert panel.controller.image_path == small_image
    assert panel.tabs.currentWidget() is panel.image_tab
    # the Image tab previews exactly what the Input receives
    _settle(panel, qapp)
    tensor = panel.image_tab.current_tensor()
    assert tensor is not None and tensor.shape == (3, 128, 128)
    assert panel.image_tab.combo.currentText() == "small.png"
    shown = panel.image_tab.preview.image.image
    np.testing.assert_allclose(shown, tensor.transpose(1, 2, 0), atol=1e-6)
    # other files are refused
    text = QMimeData()
    text.setUrls([QUrl.fromLocalFile(str(EXAMPLE))])
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, text,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    panel.dragEnterEvent(enter)
    assert not enter.isAccepted()


def test_rf_footprint_of_merged_branches_is_exact(new_panel, qapp, cross_graph):
    """A 1×5 and a 5×1 conv added: the region is 5 × 5, the footprint the 9-pixel cross
    (the effective RF is zero off the cross); a Concat channel counts its own branch."""
    from designer.document import Document

    win, panel = new_panel()
    panel.set_document(Document(cross_graph))
    assert panel.run_blocking(timeout_s=60), panel.status_text()
    panel.select_node("add")
    panel.views.set_rf_index("add", (0, 12, 12))
    panel.tabs.setCurrentWidget(panel.rf_tab)
    qapp.processEvents()
    tab = panel.rf_tab
    rect = tab.region_rect()
    assert (rect.top(), rect.left(), rect.height(), rect.width()) == (10, 10, 5, 5)
    assert tab.footprint_cells() == 9
    assert "9 of 25 pixels" in tab.info.text()
    _settle(panel, qapp)
    assert tab.erf is not None  # with random weights the gradient lives on the cross only
    off_cross = tab.erf[10:15, 10:15].copy()
    off_cross[2, :] = 0
    off_cross[:, 2] = 0
    assert tab.erf[10:15, 10:15].sum() > 0 and not off_cross.any()
    panel.select_node("cat")
    panel.views.set_rf_index("cat", (3, 12, 12))  # channels 2-3 come from b (5 × 1)
    qapp.processEvents()
    assert tab.footprint_cells() == 5
