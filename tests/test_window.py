"""The main window: documents, property editor, problems, palette, files, recovery.

Runs offscreen (``QT_QPA_PLATFORM=offscreen``). Settings and the recovery file
are redirected to ``tmp_path`` through ``XDG_CONFIG_HOME`` / ``XDG_DATA_HOME``,
and every blocking dialog is patched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtWidgets import QFileDialog, QMessageBox  # noqa: E402

from designer.document import LAYER_MIME  # noqa: E402
from designer.files import DEFAULT_EXAMPLE, Recovery  # noqa: E402
from engine import PRESETS, Graph, load_graph, save_graph  # noqa: E402
from engine.io import dumps  # noqa: E402

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parent.parent
Button = QMessageBox.StandardButton


@pytest.fixture
def dialogs(monkeypatch):
    """Record dialogs instead of showing them; ``answers`` decides questions."""
    seen: dict[str, list] = {"question": [], "box": [], "critical": [], "warning": []}
    answers = {"question": Button.Discard}

    def question(parent, title, text, *a, **k):
        seen["question"].append((title, text))
        return answers["question"]

    def box_exec(self):
        seen["box"].append((self.windowTitle(), self.text()))
        return int(Button.Ok.value)

    def critical(parent, title, text, *a, **k):
        seen["critical"].append((title, text))
        return Button.Ok

    def warning(parent, title, text, *a, **k):
        seen["warning"].append((title, text))
        return Button.Ok

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(critical))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(warning))
    monkeypatch.setattr(QMessageBox, "exec", box_exec)
    seen["answers"] = answers
    return seen


@pytest.fixture
def home(tmp_path, monkeypatch):
    """Private configuration and data folders for settings and recovery."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path


def _open_window(qtbot, dialogs, engine: bool):
    from designer.window import MainWindow

    w = MainWindow(engine=engine)
    qtbot.addWidget(w)
    assert w.open_example()
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    yield w
    dialogs["answers"]["question"] = Button.Discard
    w.close()


@pytest.fixture
def window(qtbot, home, dialogs):
    """The window on the default example, without the engine panel (a second to build)."""
    yield from _open_window(qtbot, dialogs, engine=False)


@pytest.fixture
def engine_window(qtbot, home, dialogs):
    """The window with the engine panel docked."""
    yield from _open_window(qtbot, dialogs, engine=True)


def select(window, node_id):
    window.scene.select_node(node_id)
    assert window.scene.selected_ids() == [node_id]
    page = window.properties.page
    assert getattr(page, "node_id", None) == node_id
    return page


def test_opens_default_example(window):
    doc = window.doc
    assert doc.graph.name == "Classifier tour"
    assert len(doc.graph) == len(load_graph(DEFAULT_EXAMPLE))
    assert not doc.dirty and not window.isWindowModified()
    assert "Classifier tour" in window.windowTitle() and "[*]" in window.windowTitle()
    assert window.palette.items and window.problems.issue_count() == 0
    assert "58,976" in window.status.params.text()
    assert window.status.badge.text() == "valid"
    assert window.history_dock.isHidden()


def test_parameter_edit_is_undoable_and_followed(window):
    page = select(window, "dilated")
    spin = page.fields["out_channels"].editor.spin
    spin.setValue(24)
    graph = window.doc.graph
    assert graph.nodes["dilated"].params["out_channels"] == 24
    assert window.doc.dirty and window.isWindowModified()
    assert page.facts.value("Output").startswith("24×")
    window.doc.undo_stack.undo()
    assert graph.nodes["dilated"].params["out_channels"] == 16
    assert spin.value() == 16  # the editor follows the model
    window.doc.undo_stack.redo()
    assert spin.value() == 24
    window.doc.undo_stack.undo()
    assert not window.doc.dirty


def test_tuple_editor_links_axes(window):
    page = select(window, "dilated")
    editor = page.fields["kernel_size"].editor
    editor.spins[0].setValue(5)
    assert window.doc.graph.nodes["dilated"].params["kernel_size"] == 5
    editor.link.setChecked(False)
    editor.spins[1].setValue(3)
    assert tuple(window.doc.graph.nodes["dilated"].params["kernel_size"]) == (5, 3)


def test_invalid_value_shown_inline_model_unchanged(window):
    page = select(window, "dilated")
    before = dict(window.doc.graph.nodes["dilated"].params)
    steps = window.doc.undo_stack.count()
    field = page.fields["groups"]
    field.editor.spin.setValue(5)  # 16 channels are not divisible by 5 groups
    assert dict(window.doc.graph.nodes["dilated"].params) == before
    assert window.doc.undo_stack.count() == steps
    assert field.message.isVisibleTo(page) and "divisible" in field.text()
    assert field.editor.spin.value() == 1  # shows the model's value again


def test_rename_inline_error_and_success(window):
    page = select(window, "dilated")
    page.id_edit.setText("1bad")
    page.id_edit.editingFinished.emit()
    assert "dilated" in window.doc.graph.nodes
    assert "not a valid name" in page.id_field.text()
    page.id_edit.setText("atrous")
    page.id_edit.editingFinished.emit()
    assert "atrous" in window.doc.graph.nodes and page.node_id == "atrous"
    assert window.properties.ids == ["atrous"]


def test_graph_page_edits_name(window):
    window.scene.clearSelection()
    page = window.properties.page
    page.name_edit.setText("My net")
    page.name_edit.editingFinished.emit()
    assert window.doc.graph.name == "My net"
    assert window.windowTitle().startswith("My net")
    window.doc.undo_stack.undo()
    assert window.doc.graph.name == "Classifier tour"
    assert page.name_edit.text() == "Classifier tour"


def test_transposed_target_size_lists_reachable(window, tmp_path, dialogs):
    path = ROOT / "resources" / "examples" / "transposed_conv_arithmetic.convgraph.json"
    assert window.open_path(path)
    graph = window.doc.graph
    tconv = next(n.id for n in graph if n.type == "ConvTranspose2d" and
                 "target_size" not in n.params and "output_padding" not in n.params)
    page = select(window, tconv)
    editor = page.fields["target_size"].editor
    outcome = window.doc.analyzer.outcome(tconv)
    reach = graph.nodes[tconv].kind.reachable(outcome.params, outcome.ins)
    assert [editor.combos[0].itemData(i) for i in range(editor.combos[0].count())] == \
        list(reach[0])
    if len(reach[0]) > 1:
        editor.auto.setChecked(False)
        editor.combos[0].setCurrentIndex(len(reach[0]) - 1)
        editor.combos[0].activated.emit(len(reach[0]) - 1)
        assert graph.nodes[tconv].params["target_size"][0] == reach[0][-1]


def test_save_open_round_trip(window, tmp_path, monkeypatch):
    first = tmp_path / "tour.convgraph.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(first), "")))
    assert window.save()  # an example has no file yet: Save asks where
    assert window.doc.path == first.resolve() and not window.doc.dirty
    assert json.loads(first.read_text()) == load_graph(DEFAULT_EXAMPLE).to_dict()
    assert window.open_path(first)
    second = tmp_path / "again.convgraph.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(second), "")))
    assert window.save_as()
    assert second.read_text() == first.read_text()
    assert window.recent.paths()[0] == second.resolve()


def test_broken_file_explained_and_current_kept(window, tmp_path, dialogs):
    doc = window.doc
    broken = tmp_path / "broken.convgraph.json"
    data = json.loads(DEFAULT_EXAMPLE.read_text())
    data["nodes"][1]["params"]["kernel_size"] = -3
    broken.write_text(json.dumps(data))
    assert not window.open_path(broken)
    assert window.doc is doc
    title, text = dialogs["box"][-1]
    assert "broken.convgraph.json" in text and "kernel_size" in text
    assert data["nodes"][1]["id"] in text
    (tmp_path / "junk.convgraph.json").write_text("{not json")
    assert not window.open_path(tmp_path / "junk.convgraph.json")
    assert window.doc is doc and len(dialogs["box"]) == 2


def test_close_with_unsaved_changes_prompts(window, dialogs):
    page = select(window, "dilated")
    page.fields["out_channels"].editor.spin.setValue(20)
    dialogs["answers"]["question"] = Button.Cancel
    assert not window.close()
    assert window.isVisible() and dialogs["question"]
    dialogs["answers"]["question"] = Button.Discard
    assert window.close()


def test_new_document_prompts_and_keeps_work_on_cancel(window, dialogs):
    page = select(window, "dilated")
    page.fields["out_channels"].editor.spin.setValue(20)
    doc = window.doc
    dialogs["answers"]["question"] = Button.Cancel
    assert not window.new_document()
    assert window.doc is doc
    dialogs["answers"]["question"] = Button.Discard
    assert window.new_document()
    assert len(window.doc.graph) == 0 and not window.doc.dirty


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


def test_recovery_written_and_offered(qtbot, home, dialogs):
    from designer.window import MainWindow

    w = MainWindow(engine=False)
    qtbot.addWidget(w)
    w.open_example()
    page = select(w, "dilated")
    page.fields["out_channels"].editor.spin.setValue(12)
    path = w.autosave()
    assert path is not None and path == Recovery().path and path.is_file()
    assert load_graph(path).nodes["dilated"].params["out_channels"] == 12
    assert w.autosave() is None  # unchanged since the last autosave

    other = MainWindow(engine=False)  # a second instance does not own the recovery file
    qtbot.addWidget(other)
    other.open_example()
    select(other, "dilated").fields["out_channels"].editor.spin.setValue(20)
    assert other.autosave() is None and not other.offer_recovery()
    assert load_graph(path).nodes["dilated"].params["out_channels"] == 12
    other.close()

    w._autosave_timer.stop()
    w.recovery.release()  # a crash: the process dies, its lock goes stale...
    w.deleteLater()  # ...and there is no clean exit: the recovery file stays

    dialogs["answers"]["question"] = Button.Yes
    w2 = MainWindow(engine=False)
    qtbot.addWidget(w2)
    assert w2.offer_recovery()
    assert w2.doc.graph.nodes["dilated"].params["out_channels"] == 12
    assert w2.doc.dirty and w2.isWindowModified()
    dialogs["answers"]["question"] = Button.Discard
    assert w2.close()
    assert not Recovery().path.exists()
    assert Recovery().pending() is None


def test_dropped_graph_file_opens(window, tmp_path, qtbot):
    from PySide6.QtCore import QMimeData, QUrl
    from PySide6.QtGui import QDropEvent

    path = tmp_path / "dropped.convgraph.json"
    save_graph(load_graph(ROOT / "resources/examples/gridding_pair.convgraph.json"), path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.doc.path == path.resolve(), timeout=2000)


def test_large_graph_loads(window, tmp_path):
    g = Graph("deep chain")
    prev = g.add_node("Input", {"channels": 3, "height": 32, "width": 32}, node_id="x",
                      pos=(0, 0))
    for i in range(150):
        conv = g.add_node("Conv2d", {"out_channels": 8, "padding": 1}, pos=(0, 220 * i + 110))
        g.connect(prev, conv)
        prev = g.add_node("ReLU", {}, pos=(0, 220 * i + 220))
        g.connect(conv, prev)
    path = tmp_path / "deep.convgraph.json"
    save_graph(g, path)
    assert window.open_path(path)
    assert len(window.doc.graph) == 301 and window.doc.result().valid
    assert window.problems.issue_count() == 0
    assert dumps(window.doc.graph) == dumps(g)


def test_screenshot_command(tmp_path):
    out = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "c"),
               XDG_DATA_HOME=str(tmp_path / "d"))
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Traceback" not in proc.stderr
    bad = subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", str(out),
                          str(tmp_path / "missing.convgraph.json")], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and bad.stderr.count("\n") == 1
    assert "missing.convgraph.json" in bad.stderr and "Traceback" not in bad.stderr


def _screenshot(tmp_path, *args, timeout=180):
    """``main.py --screenshot OUT.png ARGS...`` offscreen; returns (process, OUT)."""
    out = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "c"),
               XDG_DATA_HOME=str(tmp_path / "d"))
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", str(out),
                           *map(str, args)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    return proc, out


def _viridis_pixels(png: Path):
    """Mask of the pixels of ``png`` that have exactly a colour of the viridis map."""
    import numpy as np
    from PIL import Image

    from designer.panel.colormaps import lookup_table

    lut = lookup_table("viridis")[:, :3].astype(np.int64)
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(np.int64)
    key = rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2]
    mask = np.isin(key, lut[:, 0] << 16 | lut[:, 1] << 8 | lut[:, 2])
    return mask, key


def test_screenshot_with_run_shows_feature_maps(tmp_path):
    from PIL import Image

    from designer.app import SCREENSHOT_SIZE

    proc, out = _screenshot(tmp_path, "--run")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    with Image.open(out) as img:
        assert img.format == "PNG" and img.size == SCREENSHOT_SIZE
        img.verify()
    # the Maps tab (engine dock, right half) holds a mosaic in the default colour map:
    # thousands of pixels of many viridis colours; a blank or placeholder tab has none
    mask, key = _viridis_pixels(out)
    ys, xs = mask.nonzero()
    assert mask.sum() > 5000, mask.sum()
    assert len(set(key[mask].tolist())) > 100
    assert xs.min() > SCREENSHOT_SIZE[0] // 2 and ys.min() > SCREENSHOT_SIZE[1] // 3


def test_screenshot_with_run_of_a_3d_graph(tmp_path):
    proc, out = _screenshot(tmp_path, ROOT / "resources/examples/video_conv3d.convgraph.json",
                            "--run")
    assert proc.returncode == 0, proc.stderr
    assert _viridis_pixels(out)[0].sum() > 5000


def test_screenshot_run_of_a_graph_with_errors_names_them(tmp_path):
    data = json.loads((ROOT / "resources/examples/classifier_tour.convgraph.json").read_text())
    data["edges"] = [e for e in data["edges"] if (e["from"], e["to"]) != ("pool1", "deform")]
    path = tmp_path / "broken.convgraph.json"
    path.write_text(json.dumps(data))
    proc, out = _screenshot(tmp_path, path, "--run")
    assert proc.returncode == 1
    assert proc.stderr == ("error: --run: the graph has 1 error: deform: input not "
                           "connected; fix the graph, then run\n")
    assert not out.exists()


def test_screenshot_run_without_feature_maps_fails_clearly(tmp_path):
    g = Graph()
    g.add_node("Input", {"channels": 3, "height": 1, "width": 1}, node_id="pixel")
    g.add_node("Flatten", {}, node_id="flat")
    g.add_node("Linear", {"out_features": 4}, node_id="fc")
    g.connect("pixel", "flat")
    g.connect("flat", "fc")
    path = tmp_path / "vector.convgraph.json"
    save_graph(g, path)
    proc, out = _screenshot(tmp_path, path, "--run")
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "the Maps tab shows no feature maps" in proc.stderr
    assert "bar chart" in proc.stderr
    assert not out.exists()


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


def test_export_pytorch(window, tmp_path, monkeypatch):
    pytest.importorskip("engine.export")
    target = tmp_path / "model.py"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "")))
    window.export_pytorch()
    code = target.read_text()
    assert "class " in code and "nn.Module" in code and "def forward" in code


def test_unreadable_graph_argument_starts_empty(tmp_path):
    """``main.py GRAPH`` with a broken file: one line on stderr, an empty window, exit 0."""
    broken = tmp_path / "broken.convgraph.json"
    broken.write_text('{"format": "convcanvas-graph", "version": 1, "nodes": [{"id": 1}]}')
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "c"),
               XDG_DATA_HOME=str(tmp_path / "d"))
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), str(broken),
                           "--startup-probe"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0
    assert proc.stdout.startswith("shown")
    lines = [ln for ln in proc.stderr.splitlines() if not ln.startswith("This plugin")]
    assert len(lines) == 1 and "broken.convgraph.json" in lines[0]


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
