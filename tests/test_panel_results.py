"""Engine panel tabs after one run (designer/panel), offscreen with pytest-qt.

One panel runs the default example once (module fixture ``ran``) on a small image;
the tests then inspect its Maps, SE, Offsets, RF and Code tabs. Everything the
worker does is waited for with the panel's own event loop helpers, never with sleeps.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.panel_helpers import (
    _click,
    _document,
    _make_panel,
    _settle,
    _wait,
)

pytestmark = pytest.mark.gui


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
    # the offset conv starts at zero: the tab says so and points to the Train tab
    assert "All offsets are zero" in tab.info.text() and "Train" in tab.info.text()


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
