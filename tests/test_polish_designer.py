"""Issue 15, the designer's part: partial totals, palette search and tooltips, the
Maps tab's blockers, the RF tab's first channel (pytest-qt)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from engine import Graph


def _chain(bad_kernel: int) -> Graph:
    """Input 3×8×8 → conv ``a`` (3→4, 3×3, padding 1) → conv ``b`` (4→5, k) → ReLU."""
    g = Graph("chain")
    g.add_node("Input", {"channels": 3, "height": 8, "width": 8}, "x")
    g.add_node("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, "a")
    g.add_node("Conv2d", {"out_channels": 5, "kernel_size": bad_kernel}, "b")
    g.add_node("ReLU", {}, "r")
    for src, dst in (("x", "a"), ("a", "b"), ("b", "r")):
        g.connect(src, dst)
    return g


# -- defect 5: the graph page's totals with an error ------------------------------------------
def test_graph_page_shows_partial_totals_with_an_error(qtbot):
    from designer.document import Document
    from designer.widgets.graph_page import GraphPage

    doc = Document(_chain(bad_kernel=20))  # 20 > 8: b fails, r is blocked
    page = GraphPage(doc)
    qtbot.addWidget(page)
    a_params = 4 * 3 * 3 * 3 + 4  # weights + biases of a, by hand
    a_macs = 4 * 8 * 8 * 3 * 3 * 3
    params = page.facts.value("Parameters")
    macs = page.facts.value("MACs")
    assert f"{a_params:,}" in params and "partial" in params and "2 of 4" in params
    assert f"{a_macs:,}" in macs and "partial" in macs
    doc.undo_stack.clear()
    doc.graph.set_params("b", {"out_channels": 5, "kernel_size": 3})
    page.refresh()
    assert "partial" not in page.facts.value("Parameters")


# -- defect 7: palette search by alias, family and description ---------------------------------
@pytest.fixture
def palette(qtbot):
    from designer.palette import PaletteWidget

    w = PaletteWidget()
    qtbot.addWidget(w)
    return w


@pytest.mark.parametrize(("query", "best", "kind"), [
    ("se", "Squeeze-excitation", "SqueezeExcitation"),
    ("SE", "Squeeze-excitation", "SqueezeExcitation"),
    ("atrous", "Dilated conv", "Conv2d"),
    ("deconv", None, "ConvTranspose2d"),
    ("fractionally strided", None, "ConvTranspose2d"),
    ("depthwise", "Depthwise conv", "Conv2d"),
    ("DCN", None, "DeformConv2d"),
    ("1×1", "1×1 conv", "Conv2d"),
    ("1x1", "1×1 conv", "Conv2d"),
    ("attention", None, "SqueezeExcitation"),   # family
    ("scatters", None, "ConvTranspose2d"),      # a description word
])
def test_palette_search_finds_aliases_family_and_description(palette, query, best, kind):
    palette.search.setText(query)
    found = palette.best_match()
    assert found is not None and found.type == kind
    if best:
        assert found.name == best
    assert palette.tree.currentItem() is palette.items[found.name]


def test_palette_short_words_match_names_and_aliases_only(palette):
    palette.search.setText("se")  # not every description with "sees" or "transpose"
    assert {p.name for p in palette.visible_presets()} == {
        "Squeeze-excitation", "Depthwise separable", "Spatially separable", "MaxUnpool2d"}
    palette.search.setText("pool")  # a part of a type name, from three letters
    assert {"MaxPool2d", "AdaptiveAvgPool2d"} <= {p.name for p in palette.visible_presets()}


def test_palette_enter_adds_the_best_match(palette, qtbot):
    chosen = []
    palette.presetActivated.connect(chosen.append)
    qtbot.keyClicks(palette.search, "se")
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    assert [p.type for p in chosen] == ["SqueezeExcitation"]


def test_aliases_are_catalogue_facts():
    from engine import CATALOGUE
    from engine.catalogue.aliases import KIND_ALIASES, param_aliases

    assert set(KIND_ALIASES) == set(CATALOGUE)
    assert "atrous" in param_aliases({"dilation": [2, 2]})
    assert "atrous" not in param_aliases({"dilation": 1})
    assert "1×1" in param_aliases({"kernel_size": 1}) and \
        "1×1" not in param_aliases({"kernel_size": [1, 3]})


# -- defect 13: the palette tooltip says what a preset sets -------------------------------------
def test_palette_tooltip_lists_what_each_preset_sets(palette):
    from engine import CATALOGUE, PRESETS

    for preset in PRESETS:
        tip = palette.items[preset.name].toolTip(0)
        assert "sets" in tip
        for name in preset.params:
            assert name in tip, (preset.name, name)
        for param in CATALOGUE[preset.type].params:  # the others, at their defaults
            if param.default is not None:
                assert param.name in tip, (preset.name, param.name)


# -- defect 10: the Maps tab says what blocks the run ----------------------------------------
def test_maps_tab_names_the_errors_that_block_the_run(new_panel, qtbot):
    from PySide6.QtWidgets import QPushButton

    from tests.panel_helpers import _document

    win, panel = new_panel()
    doc = _document()
    doc.graph.disconnect("pool1", "deform", 0)
    panel.set_document(doc)
    panel.tabs.setCurrentWidget(panel.maps_tab)
    panel.views.refresh(panel.maps_tab)
    qtbot.wait(1)  # a layout shows a button it is given at the next turn of the loop
    text = panel.maps_tab.placeholder.text()
    assert "cannot run" in text and "input not connected" in text
    assert "href='node:deform'" in text
    buttons = [b.text() for b in panel.maps_tab.findChildren(QPushButton)
               if not b.isHidden()]
    assert "▶ Run" not in buttons and "Show deform" in buttons
    with qtbot.waitSignal(panel.nodeRequested) as seen:  # the link selects the node
        panel.maps_tab.placeholder.label.linkActivated.emit("node:deform")
    assert seen.args == ["deform"] and panel.node_id == "deform"


# -- defect 11: the RF tab starts on the most active channel ---------------------------------
def test_most_active_index_skips_a_dead_channel():
    import numpy as np

    from designer.panel.rf_tab import most_active_index

    a = np.zeros((4, 5, 7), np.float32)
    a[2] = -1.0  # negative values count: the magnitude is what a gradient sees
    a[3, 0, 0] = 3.0
    assert most_active_index(a) == (2, 2, 3)
    assert most_active_index(np.ones((2, 3, 4, 6))) == (0, 1, 2, 3)


def test_rf_tab_starts_on_the_most_active_channel(new_panel, qtbot):
    from tests.panel_helpers import _document

    win, panel = new_panel()
    panel.set_document(_document())
    assert panel.run_blocking(timeout_s=120), panel.status_text()
    nid = panel.views.default_node()
    act = panel.controller.result.activations[nid].copy()
    act[0] = 0.0  # a dead channel 0 (all zeros after a ReLU)
    act[1] *= 0.0
    panel.controller.result.activations[nid] = act
    busiest = int(abs(act).reshape(act.shape[0], -1).mean(axis=1).argmax())
    assert busiest > 1
    panel.tabs.setCurrentWidget(panel.rf_tab)
    panel.views.refresh(panel.rf_tab)
    tab = panel.rf_tab
    assert tab.node_id == nid and tab.spins["c"].value() == busiest
    assert tab.spins["y"].value() == act.shape[1] // 2
    tab.spins["c"].setValue(0)  # the user's choice is kept on the next refresh
    panel.views.refresh(panel.rf_tab)
    assert tab.spins["c"].value() == 0
