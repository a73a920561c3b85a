"""Saving never fails silently and unsaved work survives a crash (issue 17).

* the recovery file follows each edit within about a second (not every 30 s);
* a save or autosave that fails, for whatever reason (a text UTF-8 cannot
  encode included), is explained in a dialog / the status bar and never raises;
* a text that cannot be saved still reaches the recovery file;
* at start-up, what a crash left in the recovery folder is cleaned.
"""

from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("pytestqt")

from designer.commands import SetMetaCommand, SetParamsCommand, push_edit  # noqa: E402
from designer.files import DEFAULT_EXAMPLE, Recovery, settings  # noqa: E402
from engine import load_graph, save_graph  # noqa: E402
from tests.window_helpers import Button  # noqa: E402

pytestmark = pytest.mark.gui


def _set(window, node="dilated", **params):
    doc = window.doc
    assert push_edit(doc.undo_stack, SetParamsCommand(doc.graph, node, params)) is None


def test_recovery_written_about_a_second_after_each_edit(window, qtbot):
    assert window.recovery.owned
    path = Recovery().path
    start = time.monotonic()
    _set(window, out_channels=12)
    qtbot.waitUntil(path.is_file, timeout=3000)
    assert time.monotonic() - start < 3  # debounced to about a second (was 30 s)
    assert load_graph(path).nodes["dilated"].params["out_channels"] == 12
    _set(window, out_channels=20)
    _set(window, "gconv", groups=2)  # edits in a row are written together
    qtbot.waitUntil(lambda: load_graph(path).nodes["gconv"].params["groups"] == 2,
                    timeout=3000)
    assert load_graph(path).nodes["dilated"].params["out_channels"] == 20
    window.doc.undo_stack.setIndex(0)  # back at the saved state: nothing to recover
    qtbot.waitUntil(lambda: not path.exists(), timeout=3000)


def _unencodable(tmp_path):
    """A graph file whose description holds a lone surrogate (a valid JSON escape that
    no UTF-8 encoder writes back)."""
    path = tmp_path / "odd.convgraph.json"
    save_graph(load_graph(DEFAULT_EXAMPLE), path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["description"] = "pasted \\ud800 text"
    path.write_text(json.dumps(data).replace("\\\\ud800", "\\ud800"), encoding="utf-8")
    assert "\\ud800" in path.read_text(encoding="utf-8")
    return path


def test_unencodable_text_is_refused_on_open_naming_the_field(window, tmp_path, dialogs):
    """Text that cannot be saved (an unpaired surrogate) is refused where it enters:
    opening the file says which field, and the open design stays as it was."""
    path = _unencodable(tmp_path)
    before_doc = window.doc
    assert not window.open_path(path)
    title, text = dialogs["box"][-1]
    assert title == "Cannot open graph" and "odd.convgraph.json" in text
    assert "description" in text and "UTF-8" in text
    assert window.doc is before_doc


def test_any_save_failure_is_a_dialog(window, tmp_path, dialogs, monkeypatch):
    import designer.file_actions as file_actions

    def broken(graph, path):
        raise RuntimeError("the disk is on fire")
    monkeypatch.setattr(file_actions, "save_graph", broken)
    target = tmp_path / "x.convgraph.json"
    assert not window._write(target)
    assert "RuntimeError: the disk is on fire" in dialogs["critical"][-1][1]
    assert not target.exists()


def test_autosave_failure_is_a_status_message(window, monkeypatch, qtbot):
    def refuse(self, graph, source, source_print=None):
        raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
    monkeypatch.setattr(Recovery, "write", refuse)
    _set(window, out_channels=12)
    qtbot.waitUntil(lambda: "Autosave failed" in window.statusBar().currentMessage(),
                    timeout=3000)
    assert "surrogates not allowed" in window.statusBar().currentMessage()


def test_start_cleans_what_a_crash_left(qtbot, home, dialogs):
    from designer.window import MainWindow

    folder = Recovery().path.parent
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / ".recovery.convgraph.json.k2j3h4.tmp"  # an interrupted atomic write
    tmp.write_text("{half")
    save_graph(load_graph(DEFAULT_EXAMPLE), Recovery().path)
    settings().setValue("session/cleanExit", time.time() + 5)  # older than a clean exit
    other = folder / "notes.txt"
    other.write_text("kept")
    w = MainWindow(engine=False)
    qtbot.addWidget(w)
    assert w.recovery.owned
    assert not tmp.exists() and not Recovery().path.exists()
    assert other.exists() and not w.offer_recovery()
    w.close()


def test_pending_recovery_survives_start_and_knows_its_file(qtbot, home, dialogs, tmp_path,
                                                            monkeypatch):
    """Work restored after a crash saves to its file without a false conflict; a file
    changed since the crash is a conflict."""
    from designer.window import MainWindow

    source = tmp_path / "mine.convgraph.json"
    save_graph(load_graph(DEFAULT_EXAMPLE), source)
    w = MainWindow(engine=False)
    qtbot.addWidget(w)
    assert w.open_path(source)
    doc = w.doc
    push_edit(doc.undo_stack, SetMetaCommand(doc.graph, "Crashed tour"))
    qtbot.waitUntil(Recovery().path.is_file, timeout=3000)
    w._autosave_timer.stop()
    w.recovery.release()  # a crash: no clean exit
    w.deleteLater()

    dialogs["answers"]["question"] = Button.Yes
    w2 = MainWindow(engine=False)
    qtbot.addWidget(w2)
    assert w2.offer_recovery() and w2.doc.graph.name == "Crashed tour"
    assert w2.doc.path == source.resolve() and not w2.disk_changed()
    assert w2.save() and load_graph(source).name == "Crashed tour"
    dialogs["answers"]["question"] = Button.Discard
    w2.close()
