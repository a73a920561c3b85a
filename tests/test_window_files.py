"""The main window's files: save and open, broken files explained, prompts for
unsaved work, crash recovery, dropped graph files, a large graph, PyTorch export.

Runs offscreen (``QT_QPA_PLATFORM=offscreen``). Settings and the recovery file
are redirected to ``tmp_path`` through ``XDG_CONFIG_HOME`` / ``XDG_DATA_HOME``,
and every blocking dialog is patched (fixtures ``home``, ``dialogs``, ``window``
in conftest).
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtWidgets import QFileDialog  # noqa: E402

from designer.files import DEFAULT_EXAMPLE, Recovery  # noqa: E402
from engine import Graph, load_graph, save_graph  # noqa: E402
from engine.io import dumps  # noqa: E402
from tests.window_helpers import ROOT, Button, select  # noqa: E402

pytestmark = pytest.mark.gui


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


def test_export_pytorch(window, tmp_path, monkeypatch):
    pytest.importorskip("engine.export")
    target = tmp_path / "model.py"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "")))
    window.export_pytorch()
    code = target.read_text()
    assert "class " in code and "nn.Module" in code and "def forward" in code
