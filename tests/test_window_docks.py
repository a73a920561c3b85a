"""The main window's docks and view: the problems list, the palette (mime data,
filter, double-click, keyboard), the docked engine panel, and the opening zoom.

Runs offscreen (``QT_QPA_PLATFORM=offscreen``). Settings and the recovery file
are redirected to ``tmp_path`` through ``XDG_CONFIG_HOME`` / ``XDG_DATA_HOME``,
and every blocking dialog is patched (fixtures ``home``, ``dialogs``, ``window``
in conftest).
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from designer.document import LAYER_MIME  # noqa: E402
from engine import PRESETS, Graph, save_graph  # noqa: E402
from tests.window_helpers import select  # noqa: E402

pytestmark = pytest.mark.gui


def test_problems_list_and_click_selects(window, tmp_path):
    g = Graph("broken design")
    g.add_node("Input", {"channels": 3, "height": 32, "width": 32}, node_id="x", pos=(0, 0))
    g.add_node("Conv2d", {"out_channels": 8, "groups": 2}, node_id="bad", pos=(0, 110))
    g.add_node("Linear", {"out_features": 10}, node_id="fc", pos=(0, 220))
    g.connect("x", "bad")
    g.add_node("ReLU", {}, node_id="loose", pos=(200, 0))
    path = tmp_path / "broken_design.convgraph.json"
    save_graph(g, path)
    assert window.open_path(path)
    problems = window.problems
    errors = window.doc.result().errors
    assert problems.issue_count() == len(errors) + len(window.doc.result().warnings) >= 2
    nodes = {problems.topLevelItem(i).text(0) for i in range(problems.topLevelItemCount())}
    assert {"bad", "fc", "loose"} <= nodes
    assert "error" in window.status.badge.text()
    assert "Problems (" in window.problems_dock.windowTitle()
    row = next(problems.topLevelItem(i) for i in range(problems.topLevelItemCount())
               if problems.topLevelItem(i).text(0) == "bad")
    problems.itemClicked.emit(row, 1)
    assert window.scene.selected_ids() == ["bad"]
    page = window.properties.page
    assert page.node_id == "bad"
    assert "divisible" in page.fields["groups"].text()  # analysis error under its field


def test_palette_mime_and_filter(window):
    from designer.palette import mime_data

    dilated = next(p for p in PRESETS if p.name == "Dilated conv")
    mime = mime_data(dilated)
    payload = json.loads(bytes(mime.data(LAYER_MIME)).decode())
    assert payload == {"type": "Conv2d", "params": dilated.initial_params(),
                       "preset": "Dilated conv"}
    palette = window.palette
    assert set(palette.items) == {p.name for p in PRESETS}
    conv = [p.name for p in palette.visible_presets() if p.family == "Convolution"]
    assert conv[:5] == ["Conv2d", "Dilated conv", "1×1 conv", "Grouped conv",
                        "Depthwise conv"] and conv[-1] == "ChannelShuffle"
    palette.search.setText("atrous")
    assert [p.name for p in palette.visible_presets()] == ["Dilated conv"]
    palette.search.setText("")
    assert len(palette.visible_presets()) == len(PRESETS)


def test_palette_double_click_adds_below_selection(window):
    graph = window.doc.graph
    select(window, "classifier")
    depthwise = next(p for p in PRESETS if p.name == "Depthwise conv")
    select(window, "merge_relu")  # 32 channels
    window.palette.presetActivated.emit(depthwise)
    new = window.scene.selected_ids()[0]
    node = graph.nodes[new]
    assert node.type == "Conv2d" and node.params["groups"] == 32
    assert graph.inputs_of(new) == {0: "merge_relu"}
    assert node.pos[1] > graph.nodes["merge_relu"].pos[1]
    window.doc.undo_stack.undo()  # one step removes node and edge
    assert new not in graph.nodes


def test_palette_keyboard(window, qtbot):
    palette = window.palette
    select(window, "merge_relu")
    qtbot.keyClicks(palette.search, "squeeze")
    qtbot.keyClick(palette.search, Qt.Key.Key_Down)
    assert palette.tree.currentItem() is palette.items["Squeeze-excitation"]
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)  # Enter adds the first match
    new = window.scene.selected_ids()[0]
    assert window.doc.graph.nodes[new].type == "SqueezeExcitation"
    assert window.doc.graph.inputs_of(new) == {0: "merge_relu"}


def test_engine_panel_docked_and_follows(engine_window):
    window = engine_window
    panel = window.ensure_panel()
    if panel is None:
        pytest.skip("designer.panel is not installed")
    assert window.panel_dock.widget() is panel and window.panel_dock.windowTitle() == "Engine"
    assert panel.doc is window.doc
    select(window, "deform")
    assert panel.node_id == "deform"
    window.new_document()
    assert panel.doc is window.doc


def test_window_opens_the_example_readable_not_fitted(window, qtbot):
    """What a person sees first: cards and edge labels at a readable zoom (the
    whole tall example would only fit in the unlabelled overview); F fits it all."""
    from designer.canvas.view import READABLE_ZOOM

    qtbot.wait(50)  # the deferred fit after set_document
    assert window.view.zoom() == pytest.approx(READABLE_ZOOM)
    first = window.scene.nodes["input"]
    assert window.view.mapToScene(window.view.viewport().rect()).boundingRect().contains(
        first.sceneBoundingRect())
    window.fit_view()
    assert window.view.zoom() < READABLE_ZOOM
