"""GUI tests of the engine panel (designer/panel), offscreen with pytest-qt.

One panel runs the default example once (module fixture) on a small image;
the tests then inspect its tabs. Cancellation and a bad image use their own
panels. Everything the worker does is waited for with the panel's own event
loop helpers, never with sleeps.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QMainWindow

pytestmark = pytest.mark.gui

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
    qapp.processEvents()
    hit = plot.vb.mapSceneToView(plot.mapToScene(pos))
    return int(np.floor(hit.y())), int(np.floor(hit.x()))


@pytest.fixture(scope="module")
def small_image(tmp_path_factory):
    from PIL import Image

    path = tmp_path_factory.mktemp("img") / "small.png"
    yy, xx = np.mgrid[0:24, 0:32]
    rgb = np.stack([xx * 8, yy * 10, (xx + yy) % 2 * 255], axis=-1).astype(np.uint8)
    Image.fromarray(rgb).save(path)
    return path


@pytest.fixture
def new_panel(qapp):
    """Make fresh panels: ``new_panel(size=(w, h)) -> (window, panel)``; they are shut
    down and closed after the test."""
    made = []

    def make(size=(900, 760)):
        made.append(_make_panel(qapp, size))
        return made[-1]
    yield make
    for win, panel in made:
        panel.shutdown()
        win.close()


@pytest.fixture(scope="module")
def ran(qapp, small_image):
    """A panel on the default example that ran once on a small image."""
    win, panel = _make_panel(qapp)
    panel.set_document(_document())
    panel.set_image(small_image)
    _wait(panel, lambda: panel.controller.image_path == small_image)
    assert panel.run_blocking(timeout_s=120), panel.status_text()
    yield panel
    panel.shutdown()
    win.close()
    win.deleteLater()


# ----------------------------------------------------------------------------- runs


def test_run_fills_the_mosaic_one_tile_per_channel(ran, qapp):
    panel = ran
    assert panel.run_state == "done"
    assert "Ran 23 nodes" in panel.status_text()
    assert panel.controller.result.inputs["input"].shape == (1, 3, 128, 128)
    for node in ("stem_conv", "pool1", "merge", "spatial_sep"):
        panel.select_node(node)
        panel.tabs.setCurrentWidget(panel.maps_tab)
        qapp.processEvents()
        tab = panel.maps_tab
        act = panel.controller.result.activations[node]
        c, h, w = act.shape
        t = tab.tiling
        assert (t.channels, t.height, t.width) == (c, h, w)
        assert t.rows * t.cols >= c > (t.rows - 1) * t.cols  # no empty row
        img = tab.mosaic_image()
        assert img.shape == (t.rows * (h + t.pad) - t.pad, t.cols * (w + t.pad) - t.pad)
        # every tile holds its channel (per-map levels: min -> 0, max -> 1)
        for ch in (0, c // 2, c - 1):
            y, x = t.origin(ch)
            tile = img[y:y + h, x:x + w]
            m = act[ch]
            span = float(m.max() - m.min()) or 1.0
            np.testing.assert_allclose(tile, (m - m.min()) / span, atol=1e-5)
        # the gaps are transparent (NaN) and no tile is missing
        assert np.isnan(img).sum() == img.size - c * h * w


def test_maps_hover_click_and_levels(ran, qapp):
    panel = ran
    panel.select_node("stem_conv")
    panel.tabs.setCurrentWidget(panel.maps_tab)
    qapp.processEvents()
    tab = panel.maps_tab
    t = tab.tiling
    y0, x0 = t.origin(5)
    row, col = _click(qapp, tab.mosaic, x0 + 10.5, y0 + 20.5)
    assert tab.channel == 5 and tab.pixel == (row - y0, col - x0)
    assert abs(row - y0 - 20) <= 2 and abs(col - x0 - 10) <= 2
    np.testing.assert_array_equal(tab.detail.image.image,
                                  panel.controller.result.activations["stem_conv"][5])
    assert "ch 5" in tab.stats.text()
    tab.mosaic.hovered.emit(x0 + 10.5, y0 + 20.5)
    assert "channel <b>5</b>" in tab.hover.text() and "y 20, x 10" in tab.hover.text()
    tab.levels_combo.setCurrentText("global")
    act = panel.controller.result.activations["stem_conv"]
    assert tab.mosaic.image.levels == pytest.approx((act.min(), act.max()), rel=1e-5)
    tab.cmap_combo.setCurrentText("coolwarm")  # diverging: symmetric levels
    lo, hi = tab.mosaic.image.levels
    assert lo == pytest.approx(-hi)
    tab.cmap_combo.setCurrentText("viridis")
    tab.levels_combo.setCurrentText("per map")


def test_vector_activations_become_a_bar_chart(ran, qapp):
    panel = ran
    panel.select_node("classifier")
    panel.tabs.setCurrentWidget(panel.maps_tab)
    qapp.processEvents()
    tab = panel.maps_tab
    assert tab.stack.currentIndex() == 2
    assert tab.bars.bar_count() == 10
    # --screenshot --run refuses to call a bar chart feature maps
    assert "classifier has a vector output (10), shown as a bar chart" in \
        panel.maps_problem()
    panel.select_node("stem_conv")
    qapp.processEvents()
    assert panel.maps_problem() is None
    panel.tabs.setCurrentWidget(panel.rf_tab)
    assert panel.maps_problem() == "the RF tab is shown"
    panel.tabs.setCurrentWidget(panel.maps_tab)


def test_se_chart_has_one_bar_per_channel(ran, qapp):
    panel = ran
    panel.select_node("se")
    panel.tabs.setCurrentWidget(panel.se_tab)
    qapp.processEvents()
    tab = panel.se_tab
    weights = panel.controller.result.se_weights["se"]
    assert weights.shape == (32,)
    assert tab.bar_count() == 32
    np.testing.assert_allclose(tab.chart.bars.opts["height"], weights, rtol=1e-6)
    tab.by_weight.setChecked(True)
    np.testing.assert_allclose(tab.chart.bars.opts["height"], np.sort(weights)[::-1],
                               rtol=1e-6)
    # a bar click shows that channel before (input of se) and after the scaling
    tab.select_channel(7)
    before = panel.controller.result.activations["merge_relu"][7]
    after = panel.controller.result.activations["se"][7]
    np.testing.assert_allclose(tab.before_plot.image.image, before)
    np.testing.assert_allclose(tab.after_plot.image.image, after)
    np.testing.assert_allclose(after, before * weights[7], rtol=1e-4, atol=1e-6)
    tab.by_channel.setChecked(True)


def test_offsets_overlay_has_k_by_k_arrows_at_the_clicked_location(ran, qapp):
    panel = ran
    panel.select_node("deform")
    panel.tabs.setCurrentWidget(panel.offsets_tab)
    qapp.processEvents()
    tab = panel.offsets_tab
    assert tab.offsets.shape == (18, 64, 64)
    row, col = _click(qapp, tab.heat_plot, 20.5, 11.5)  # output position (y 11, x 20)
    assert (row, col) == (11, 20)  # the heatmap is large enough to hit the pixel
    assert tab.location == (11, 20)
    assert len(tab.arrows) == 9
    grid, deformed = tab.sample_points()
    # the regular 3x3 grid of output (11, 20) of a padding-1 conv: rows 10..12, cols 19..21
    assert sorted({int(v) for v in grid[:, 0]}) == [10, 11, 12]
    assert sorted({int(v) for v in grid[:, 1]}) == [19, 20, 21]
    heads = sorted((round(a.pos().y() - 0.5, 4), round(a.pos().x() - 0.5, 4))
                   for a in tab.arrows)
    assert heads == sorted((round(float(y), 4), round(float(x), 4)) for y, x in deformed)
    # the offset conv starts at zero: the tab says so and offers Fit offsets
    assert "All offsets are zero" in tab.info.text()
    assert tab.fit_button.isEnabled()


def test_rf_click_draws_the_region_of_the_analysis(ran, qapp):
    panel = ran
    panel.select_node("dilated")
    panel.tabs.setCurrentWidget(panel.maps_tab)
    qapp.processEvents()
    t = panel.maps_tab.tiling
    y0, x0 = t.origin(3)
    row, col = _click(qapp, panel.maps_tab.mosaic, x0 + 30.5, y0 + 17.5)  # channel 3
    y, x = row - y0, col - x0
    panel.tabs.setCurrentWidget(panel.rf_tab)
    qapp.processEvents()
    tab = panel.rf_tab
    assert tab.index == (3, y, x)
    rf = panel.doc.analyzer.outcome("dilated").result.rf
    rect = tab.region_rect()
    assert (rect.height(), rect.width()) == rf.size == (12, 12)
    (ylo, yhi, ypos), (xlo, xhi, xpos) = rf.region((y, x))
    assert (rect.top(), rect.left()) == (ylo, xlo)
    assert tab.footprint_cells() == len(ypos) * len(xpos)
    # a click on the RF tab's own output map moves it
    y, x = _click(qapp, tab.out_plot, 40.5, 9.5)
    assert tab.index == (3, y, x)
    rect = tab.region_rect()
    assert (rect.height(), rect.width()) == rf.size
    # the effective RF arrives from the worker: zero outside the exact region
    _settle(panel, qapp)
    assert tab.erf is not None and tab.erf.shape == (128, 128)
    (ylo, yhi, _), (xlo, xhi, _) = rf.region((y, x))
    inside = tab.erf[max(ylo, 0):yhi + 1, max(xlo, 0):xhi + 1].sum()
    assert tab.erf.sum() > 0 and inside == pytest.approx(tab.erf.sum())
    assert "Effective RF" in tab.info.text()


def test_rf_of_a_global_node_says_so(ran, qapp):
    panel = ran
    panel.select_node("ds_conv")
    panel.tabs.setCurrentWidget(panel.rf_tab)
    qapp.processEvents()
    assert panel.rf_tab.region_rect() is None
    assert "global" in panel.rf_tab.info.text()
    _settle(panel, qapp)


def test_code_tab_compiles_and_verifies(ran, qapp):
    panel = ran
    panel.tabs.setCurrentWidget(panel.code_tab)
    tab = panel.code_tab
    _wait(panel, lambda: bool(tab.text()), timeout=10)
    text = tab.text()
    compile(text, "x", "exec")
    assert "class ClassifierTour(nn.Module)" in text
    tab.verify_button.click()
    _wait(panel, lambda: tab.verify_button.isEnabled(), timeout=60)
    result = tab.result.text()
    assert "✓" in result, result
    diff = float(result.split("max |Δ| = ")[1].split()[0])
    assert diff <= 1e-5


def test_graph_edit_updates_code_and_marks_results_stale(ran, qapp):
    panel = ran
    panel.tabs.setCurrentWidget(panel.code_tab)
    panel.code_tab.regenerate()
    before = panel.code_tab.text()
    panel.doc.graph.set_params("classifier", {"out_features": 7})
    try:
        panel.code_tab.regenerate()
        assert panel.code_tab.text() != before and "7" in panel.code_tab.text()
        assert not panel.controller.result_is_current()
        assert "graph changed" in panel.status_text()
    finally:
        panel.doc.graph.set_params("classifier", {"out_features": 10})
    assert panel.controller.result_is_current()


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


def test_input_sources_follow_the_engine_and_read_well():
    from designer.panel import fmt
    from designer.panel.views import input_sources
    from engine.runtime.run import uses_image

    kinds = set()
    for path in sorted(EXAMPLES.glob("*.convgraph.json")):
        doc = _document(path)
        sources = input_sources(doc)
        assert sources == {i: "image" if uses_image(doc.graph, i) else "random"
                           for i, n in doc.graph.nodes.items() if n.type == "Input"}
        kinds.update(sources.values())
    assert kinds == {"image", "random"}
    assert fmt.inputs_html({"input": "image"}, "scene.png", 0) == "<b>scene.png</b>"
    assert fmt.inputs_html({"a": "image", "b": "random"}, "x<1>.png", 3) == \
        "<b>x&lt;1&gt;.png</b> (a) and seeded random values for <b>b</b> (seed 3)"
    assert fmt.inputs_html({"v": "random", "w": "random"}, "scene.png", 0) == \
        "seeded random values for <b>v</b>, <b>w</b> (seed 0)"


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


# ---------------------------------------------------------------- failures and cancel


def test_cancel_stops_a_run(new_panel, qapp):
    win, panel = new_panel()
    panel.set_document(_document())
    seen = []

    def cancel_after_three(job, done, total, label):  # runs in the worker thread
        seen.append(done)
        if done == 3:
            panel.controller.jobs.cancel()  # the next progress callback raises

    panel.controller.jobs.progress.connect(cancel_after_three,
                                           Qt.ConnectionType.DirectConnection)
    assert panel.run()
    _wait(panel, lambda: panel.run_state != "running")
    assert panel.run_state == "cancelled"
    assert "cancelled" in panel.status_text().lower()
    assert panel.controller.result is None
    assert max(seen) == 3
    assert panel.last_error is None
    panel.controller.jobs.progress.disconnect(cancel_after_three)
    _settle(panel, qapp)
    assert not panel.cancel_button.isEnabled()
    # the panel still works afterwards
    assert panel.run_blocking(timeout_s=60)


def test_unreadable_image_shows_an_error_and_keeps_the_image(new_panel, qapp, tmp_path,
                                                              small_image):
    win, panel = new_panel()
    panel.set_document(_document())
    panel.set_image(small_image)
    _settle(panel, qapp)
    assert panel.controller.image_path == small_image
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    panel.set_image(bad)
    _settle(panel, qapp)
    assert panel.last_error is not None
    title, message = panel.last_error
    assert title == "Cannot read the image" and "broken.png" in message
    assert panel.dialog is not None and panel.dialog.isVisible()
    panel.dialog.close()
    assert panel.controller.image_path == small_image
    assert panel.run_blocking(timeout_s=60)
    assert "small.png" in panel.status_text()


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


def test_invalid_graph_asks_to_fix_the_errors(new_panel):
    win, panel = new_panel()
    doc = _document()
    doc.graph.disconnect("pool1", "deform", 0)
    panel.set_document(doc)
    assert not panel.run()
    assert "fix the errors first" in panel.status_text().lower()
    assert "deform: input not connected" in panel.status_text()
    assert not panel.controller.busy
    # headless callers (--screenshot --run) get the reason in one line
    assert not panel.run_blocking(timeout_s=10)
    assert panel.run_failure() == ("the graph has 1 error: deform: input not connected; "
                                   "fix the graph, then run")


def test_a_failed_run_says_why(new_panel, tmp_path):
    win, panel = new_panel()
    panel.set_document(_document())
    broken = tmp_path / "gone.png"
    broken.write_bytes(b"not a picture")  # replaced on disk after it was chosen
    panel.controller.image_path = broken
    assert not panel.run_blocking(timeout_s=60)
    assert panel.run_state == "failed"
    reason = panel.run_failure()
    assert reason.startswith("the run failed: ") and "gone.png" in reason, reason
    assert "\n" not in reason
    assert panel.last_error[0] == "The run failed"
    assert panel.maps_problem().startswith("it shows a message: Run the network")
    panel.dialog.close()


def test_bad_weights_file_is_refused_with_a_clear_message(new_panel, qapp, tmp_path):
    win, panel = new_panel()
    panel.set_document(_document())
    bad = tmp_path / "w.pt"
    bad.write_bytes(b"not a torch file")
    panel.controller.load_weights(bad)
    _settle(panel, qapp)
    assert panel.last_error[0] == "Cannot load the weights"
    assert "w.pt" in panel.last_error[1]
    assert panel.controller.weights_path is None
    panel.dialog.close()
    # save, then load back the engine's own weights: accepted
    good = tmp_path / "good.pt"
    panel.controller.save_weights(good)
    _settle(panel, qapp)
    assert good.exists()
    panel.controller.load_weights(good)
    _settle(panel, qapp)
    assert panel.controller.weights_path == str(good)
    assert "good.pt" in panel.weights_tab.state.text()


def test_creating_the_panel_does_not_import_torch():
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "import engine\n"
        "from designer.document import Document\n"
        "from designer.panel import EnginePanel\n"
        "p = EnginePanel()\n"
        f"p.set_document(Document(engine.load_graph({str(EXAMPLE)!r})))\n"
        "p.select_node('dilated')\n"
        "for tab in (p.maps_tab, p.rf_tab, p.code_tab, p.weights_tab):\n"
        "    p.tabs.setCurrentWidget(tab)\n"
        "    app.processEvents()\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=60,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_auto_run_follows_graph_and_weights_changes(new_panel):
    win, panel = new_panel()
    panel.set_document(_document())
    assert panel.run_blocking(timeout_s=60)
    runs = []
    panel.controller.runFinished.connect(runs.append)
    panel.auto_run.setChecked(True)
    assert not panel.auto_timer.isActive()  # results are current: nothing to do
    panel.doc.graph.move("classifier", (5, 2400))  # positions do not matter
    assert not panel.auto_timer.isActive()
    panel.doc.graph.set_params("classifier", {"out_features": 9})
    assert panel.auto_timer.isActive()
    _wait(panel, lambda: len(runs) == 1, timeout=30)
    assert panel.controller.result.activations["classifier"].shape == (9,)
    assert panel.controller.result_is_current()
    panel.weights_tab.seed.setValue(7)  # a new seed re-initialises, then runs
    _wait(panel, lambda: len(runs) == 2, timeout=30)
    assert panel.controller.result.seed == 7
    assert "seed 7" in panel.weights_tab.state.text()


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


def test_statistics_fit_their_fixed_label_and_titles_keep_the_layout(qapp):
    """The statistics label is sized once (no relayout per result): the widest real
    statistics must fit it; a plot title never widens the plot's layout."""
    from designer.panel import fmt
    from designer.panel.feature_tab import FeatureMapsTab

    tab = FeatureMapsTab()
    tab.resize(900, 600)
    tab.show()
    qapp.processEvents()
    fixed = tab.stats.size()
    assert tab.stats.minimumSize() == tab.stats.maximumSize() == fixed
    worst = {"min": -1.2345e-30, "max": -9.9999e+37, "mean": -0.00012345,
             "std": 123456.7, "zeros": 1.0}
    probe = type(tab.stats)()
    probe.setTextFormat(Qt.TextFormat.RichText)
    probe.setText(fmt.stats_html([("ch 2047", worst), ("layer", worst)]))
    hint = probe.sizeHint()
    assert hint.width() <= fixed.width() and hint.height() <= fixed.height(), (hint, fixed)

    title = tab.detail.title
    before = title.minimumWidth(), title.minimumHeight()
    tab.detail.set_title("channel 1023 of a_node_with_a_rather_long_identifier, depth 15")
    assert title.text.startswith("channel 1023")
    assert (title.minimumWidth(), title.minimumHeight()) == before
    tab.close()


def test_fit_cancel_reset_and_stale_offsets(new_panel, qapp):
    """Fit offsets: the summary stays readable; a cancelled fit keeps its steps and says
    so (results stale); Random weights goes back to the seed's weights; offsets of a run
    before an edit of the node are not drawn with the new parameters."""
    win, panel = new_panel()
    panel.set_document(_document())
    assert panel.run_blocking(timeout_s=120), panel.status_text()
    c = panel.controller
    panel.select_node("deform")
    panel.tabs.setCurrentWidget(panel.offsets_tab)
    qapp.processEvents()
    zero = panel.offsets_tab.offsets.copy()
    assert not zero.any()
    assert not panel.weights_tab.reset_button.isEnabled()

    panel.auto_run.setChecked(True)  # a finished fit brings its own run: no second one
    panel._fit_offsets("deform", 4)
    _wait(panel, lambda: panel.run_state != "running")
    _settle(panel, qapp)
    assert not panel.auto_timer.isActive() and not c.busy
    panel.auto_run.setChecked(False)
    status = panel.status_text()
    assert "Fitted the offsets of deform for 4 steps" in status and "Ran " in status, status
    fitted = panel.offsets_tab.offsets.copy()
    assert np.abs(fitted).max() > 0 and c.result_is_current()
    # the arrows follow: one per tap, drawn where the tap moved (more than 0.05 px)
    tab = panel.offsets_tab
    grid, deformed = tab.sample_points()
    moved = np.hypot(*(deformed - grid).T) > 0.05
    assert moved.any() and len(tab.arrows) == 9
    assert [a.isVisible() for a in tab.arrows] == list(moved)
    assert "fitted" in c.weights_text() and panel.weights_tab.reset_button.isEnabled()

    def cancel_at_two(job, done, total, label):  # worker thread
        if job == "fit" and done == 2:
            c.jobs.cancel()

    c.jobs.progress.connect(cancel_at_two, Qt.ConnectionType.DirectConnection)
    try:
        panel._fit_offsets("deform", 50)
        _wait(panel, lambda: panel.run_state != "running")
        _settle(panel, qapp)
    finally:
        c.jobs.progress.disconnect(cancel_at_two)
    assert panel.run_state == "cancelled"
    # cancel is noticed at the report of step 3, made after step 3 updated the weights
    assert "keep the 3 of 50 steps taken" in panel.status_text(), panel.status_text()
    assert not c.result_is_current()  # the weights moved since the last run
    assert panel.run_blocking(timeout_s=60)
    moved = c.result.offsets["deform"]
    assert not np.array_equal(moved, fitted)  # the two extra steps are in the weights

    panel.weights_tab.reset_button.click()  # the same seed: fresh random weights again
    assert c.weights_text() == f"random (seed {c.seed})"
    assert not c.result_is_current()
    assert panel.run_blocking(timeout_s=60)
    assert np.array_equal(c.result.offsets["deform"], zero)
    assert not panel.weights_tab.reset_button.isEnabled()

    # an edit of the node after the run: its offsets no longer match its parameters
    panel.doc.graph.set_params("deform", {"kernel_size": 5, "padding": 2})
    panel.tabs.setCurrentWidget(panel.maps_tab)
    panel.tabs.setCurrentWidget(panel.offsets_tab)
    qapp.processEvents()
    text = panel.offsets_tab.placeholder.text()
    assert "changed since the last run" in text, text
    assert panel.run_blocking(timeout_s=60)
    panel.tabs.setCurrentWidget(panel.maps_tab)
    panel.tabs.setCurrentWidget(panel.offsets_tab)
    qapp.processEvents()
    assert panel.offsets_tab.offsets.shape[0] == 2 * 25
    assert len(panel.offsets_tab.sample_points()[0]) == 25

    # a run that rebuilt the model (the graph changed) and was then cancelled: the
    # fitted offsets are gone with the old model, and the weights no longer claim them
    panel._fit_offsets("deform", 2)
    _wait(panel, lambda: panel.run_state != "running")
    assert "fitted" in c.weights_text()
    panel.doc.graph.set_params("classifier", {"out_features": 7})

    def cancel_when_built(job, done, total, label):  # worker thread
        if job == "run" and label not in ("building the model", "loading PyTorch"):
            c.jobs.cancel()

    c.jobs.progress.connect(cancel_when_built, Qt.ConnectionType.DirectConnection)
    try:
        assert panel.run()
        _wait(panel, lambda: panel.run_state != "running")
    finally:
        c.jobs.progress.disconnect(cancel_when_built)
    assert panel.run_state == "cancelled"
    assert "fitted" not in c.weights_text(), c.weights_text()


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


@pytest.mark.parametrize("lo, hi", [(0.0, 1.0), (1000.001, 1000.01), (-1.239e-4, -1.231e-4),
                                    (-12345.6, 98765.4)])
def test_value_axes_keep_their_tick_labels(qapp, lo, hi):
    """Histogram and colour-bar axes start at a steady width (no relayout per result)
    yet grow for long tick labels rather than dropping them (pyqtgraph skips a label
    that does not fit)."""
    from PySide6.QtGui import QImage, QPainter

    from designer.panel.image_plot import ImagePlot

    data = np.linspace(lo, hi, 64 * 64).reshape(64, 64)
    for plot in (ImagePlot(histogram=True), ImagePlot(colorbar=True, title="")):
        plot.resize(420, 300)
        plot.show()
        plot.set_image(data)
        plot.update_histogram()
        qapp.processEvents()
        plot.grab()
        qapp.processEvents()
        axis = plot.histogram.axis if plot.histogram is not None else plot.colorbar.axis
        img = QImage(10, 10, QImage.Format.Format_ARGB32)
        painter = QPainter(img)
        specs = axis.generateDrawSpecs(painter)
        painter.end()
        drawn = {t[2] for t in specs[2]}
        (spacing, values), *_ = axis.tickValues(axis.range[0], axis.range[1],
                                                 axis.size().height())
        wanted = set(axis.tickStrings(values, axis.autoSIPrefixScale * axis.scale, spacing))
        assert wanted and wanted <= drawn, (plot, wanted, drawn)
        plot.close()
