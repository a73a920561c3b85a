"""Two writers on one graph file: no edit is ever lost silently.

Two main windows on one file, and another program writing the file while it
is open: the file watcher offers to reload a file without unsaved edits, and
Save of a file that changed on disk asks Overwrite / Save As / Reload and
Merge (issue 17). Dialogs are answered through the ``dialogs`` fixture; the
conflict box is answered by clicking its button (:func:`choose`).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton  # noqa: E402

from designer.commands import SetParamsCommand, push_edit  # noqa: E402
from designer.files import DEFAULT_EXAMPLE, Recovery  # noqa: E402
from engine import load_graph, save_graph  # noqa: E402
from tests.window_helpers import Button  # noqa: E402

pytestmark = pytest.mark.gui

CHANGED = "File changed on disk"
#: another program's edit: widen "dilated", drop "dropout" (flatten feeds the classifier)
#: and extend the description; written in place or by a rename
EXTERNAL = """
import json, os, sys
path, how = sys.argv[1], sys.argv[2]
data = json.load(open(path, encoding="utf-8"))
data["description"] += " (edited elsewhere)"
for node in data["nodes"]:
    if node["id"] == "dilated":
        node["params"]["out_channels"] = 24
data["nodes"] = [n for n in data["nodes"] if n["id"] != "dropout"]
data["edges"] = [e for e in data["edges"] if "dropout" not in (e["from"], e["to"])]
data["edges"].append({"from": "flatten", "to": "classifier"})
text = json.dumps(data, indent=1)
if how == "replace":
    with open(path + ".new", "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(path + ".new", path)
else:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
"""


def edit_elsewhere(path, how="inplace"):
    """Another program (a separate process) edits the file: see :data:`EXTERNAL`."""
    subprocess.run([sys.executable, "-c", EXTERNAL, str(path), how], check=True, timeout=60)


@pytest.fixture
def graph_file(tmp_path):
    path = tmp_path / "shared.convgraph.json"
    save_graph(load_graph(DEFAULT_EXAMPLE), path)
    return path


@pytest.fixture
def open_on(qtbot, home, dialogs):
    """``open_on(path) -> MainWindow`` showing that file; closed (discarding) after."""
    from designer.window import MainWindow

    made = []

    def make(path):
        w = MainWindow(engine=False)
        qtbot.addWidget(w)
        assert w.open_path(path)
        w.resize(1200, 800)
        w.show()
        made.append(w)
        return w
    yield make
    dialogs["answers"]["question"] = Button.Discard
    for w in made:
        w.close()


def choose(monkeypatch, dialogs, name):
    """Answer the conflict box by clicking its button ``name``; every box shown is
    recorded in ``dialogs["box"]`` as (title, text) and in ``dialogs["boxes"]``."""
    dialogs.setdefault("boxes", [])

    def exec_(box):
        dialogs["box"].append((box.windowTitle(), box.text()))
        dialogs["boxes"].append(box)
        button = box.findChild(QPushButton, name)
        if button is not None and button.isEnabled():
            button.click()
        return 0
    monkeypatch.setattr(QMessageBox, "exec", exec_)


def add_below(window, node_id, type_name="ReLU"):
    """A palette double-click with ``node_id`` selected: a new connected layer."""
    window.scene.select_node(node_id)
    new = window.view.add_layer(type_name)
    assert new and new in window.doc.graph.nodes
    return new


def sources(graph, node_id):
    return list(graph.inputs_of(node_id).values())


def questions(dialogs, title=CHANGED):
    return [text for t, text in dialogs["question"] if t == title]


def test_two_windows_never_lose_an_edit(open_on, graph_file, dialogs, monkeypatch, qtbot):
    a, b = open_on(graph_file), open_on(graph_file)
    dialogs["answers"]["question"] = Button.No  # A keeps its version when told
    b_node = add_below(b, "gap")
    assert b.save() and not b.doc.dirty
    qtbot.waitUntil(lambda: len(questions(dialogs)) == 1, timeout=5000)
    assert graph_file.name in questions(dialogs)[0]  # A, clean, was offered a reload
    assert b_node not in a.doc.graph.nodes

    a_node = add_below(a, "stem_relu")  # the same kind of layer: the same new id
    assert a_node == b_node
    choose(monkeypatch, dialogs, "merge")
    assert not a.save()  # not saved: the merged design is shown for review
    title, text = dialogs["box"][0]
    assert title == CHANGED and graph_file.name in text and "1 unsaved edit" in text
    merged = a.doc.graph
    assert b_node in merged.nodes and sources(merged, b_node) == ["gap"]
    renamed = [n for n in merged.nodes if sources(merged, n) == ["stem_relu"]
               and merged.nodes[n].type == "ReLU"]
    assert len(renamed) == 1 and renamed[0] != b_node
    report_title, report = dialogs["box"][1]  # the renamed node is told, not hidden
    assert report_title == "Merged with the file on disk"
    assert f"{a_node} → {renamed[0]}" in report
    assert a.doc.dirty and len(questions(dialogs)) == 1

    assert a.save()  # no conflict any more: the file holds both windows' nodes
    on_disk = load_graph(graph_file)
    assert {b_node, renamed[0]} <= set(on_disk.nodes)
    a.doc.undo_stack.undo()  # a merged step is an undo step of its own
    assert renamed[0] not in a.doc.graph.nodes and b_node in a.doc.graph.nodes
    a.doc.undo_stack.redo()

    dialogs["answers"]["question"] = Button.Yes  # B, clean, accepts the reload
    qtbot.waitUntil(lambda: renamed[0] in b.doc.graph.nodes, timeout=5000)
    assert not b.doc.dirty and b.doc.path == graph_file.resolve()
    assert len(questions(dialogs)) == 2


@pytest.mark.parametrize("how", ["inplace", "replace"])
def test_watcher_offers_reload_without_unsaved_edits(open_on, graph_file, dialogs, qtbot,
                                                     how):
    w = open_on(graph_file)
    dialogs["answers"]["question"] = Button.Yes
    edit_elsewhere(graph_file, how)
    qtbot.waitUntil(lambda: "dropout" not in w.doc.graph.nodes, timeout=5000)
    assert len(questions(dialogs)) == 1 and graph_file.name in questions(dialogs)[0]
    assert w.doc.graph.nodes["dilated"].params["out_channels"] == 24
    assert not w.doc.dirty and not w.disk_changed()
    assert w.save()  # reloaded: saving is no conflict
    edit_elsewhere(graph_file, how)  # the watcher follows the file after a reload or a rename
    qtbot.waitUntil(lambda: len(questions(dialogs)) == 2, timeout=5000)


def test_watcher_declined_or_unsaved_edits_do_not_reload(open_on, graph_file, dialogs,
                                                         qtbot, monkeypatch):
    w = open_on(graph_file)
    doc = w.doc
    dialogs["answers"]["question"] = Button.No
    edit_elsewhere(graph_file)
    qtbot.waitUntil(lambda: len(questions(dialogs)) == 1, timeout=5000)
    assert w.doc is doc and "dropout" in doc.graph.nodes  # declined: kept as it was
    w.check_disk()
    assert len(questions(dialogs)) == 1  # the same change is not asked about twice

    push_edit(doc.undo_stack, SetParamsCommand(doc.graph, "dilated", {"dilation": 3}))
    edit_elsewhere(graph_file, "replace")  # with unsaved edits: no question, a message
    qtbot.waitUntil(lambda: "changed by another" in w.statusBar().currentMessage(),
                    timeout=5000)
    assert len(questions(dialogs)) == 1 and w.doc is doc and doc.dirty
    choose(monkeypatch, dialogs, "cancel")
    before = graph_file.read_bytes()
    assert not w.save()  # the save asks; Cancel writes nothing
    assert dialogs["box"][-1][0] == CHANGED
    assert graph_file.read_bytes() == before and doc.dirty


def _edit_then_external_change(w, graph_file):
    """Unsaved edits in ``w`` (one that the external edit makes impossible), then
    another program edits the file."""
    stack, graph = w.doc.undo_stack, w.doc.graph
    assert push_edit(stack, SetParamsCommand(graph, "dilated", {"dilation": 3,
                                                                "padding": 3})) is None
    assert push_edit(stack, SetParamsCommand(graph, "dropout", {"p": 0.5})) is None
    new = add_below(w, "gap", "GELU")
    edit_elsewhere(graph_file)
    assert w.disk_changed()
    return new


def test_save_conflict_overwrite(open_on, graph_file, dialogs, monkeypatch):
    w = open_on(graph_file)
    new = _edit_then_external_change(w, graph_file)
    choose(monkeypatch, dialogs, "overwrite")
    assert w.save()
    title, text = dialogs["box"][-1]
    assert title == CHANGED and "3 unsaved edits" in text
    disk = load_graph(graph_file)  # this window's version replaced the other one
    assert "dropout" in disk.nodes and new in disk.nodes
    assert disk.nodes["dilated"].params["out_channels"] == 16
    assert not w.doc.dirty and not w.disk_changed()


def test_save_conflict_save_as(open_on, graph_file, dialogs, monkeypatch, tmp_path):
    w = open_on(graph_file)
    new = _edit_then_external_change(w, graph_file)
    other = tmp_path / "mine.convgraph.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(other), "")))
    theirs = graph_file.read_bytes()
    choose(monkeypatch, dialogs, "saveAs")
    assert w.save()
    assert graph_file.read_bytes() == theirs  # the other writer's file is kept
    mine = load_graph(other)
    assert new in mine.nodes and mine.nodes["dropout"].params["p"] == 0.5
    assert w.doc.path == other.resolve() and not w.doc.dirty


def test_save_conflict_reload_and_merge(open_on, graph_file, dialogs, monkeypatch, qtbot):
    w = open_on(graph_file)
    new = _edit_then_external_change(w, graph_file)
    recovery = Recovery().path
    qtbot.waitUntil(lambda: recovery.is_file() and not w._autosave_timer.isActive(),
                    timeout=3000)  # the edits before the merge are autosaved
    choose(monkeypatch, dialogs, "merge")
    assert not w.save()
    graph = w.doc.graph
    dilated = graph.nodes["dilated"].params  # both writers' parameters of one node
    assert (dilated["out_channels"], dilated["dilation"], dilated["padding"]) == (24, 3, 3)
    assert "dropout" not in graph.nodes and sources(graph, new) == ["gap"]
    assert graph.description.endswith("(edited elsewhere)")
    title, text = dialogs["box"][-1]  # the skipped edit is named, with the reason
    assert title == "Merged with the file on disk"
    assert "re-applied 2 of your 3 unsaved edits" in text
    assert "<b>Set p of dropout to 0.5</b>: " in text
    # the merged, unsaved work goes to the recovery file too
    qtbot.waitUntil(lambda: recovery.is_file()
                    and "dropout" not in load_graph(recovery).nodes, timeout=3000)
    assert w.doc.dirty and w.save()
    assert json.loads(graph_file.read_text())["nodes"][5]["params"]["dilation"] == 3


def test_merge_replays_undone_saved_steps(open_on, graph_file, dialogs, monkeypatch):
    """Undoing past the save is an unsaved change too: merged as the undo it is."""
    w = open_on(graph_file)
    stack, graph = w.doc.undo_stack, w.doc.graph
    push_edit(stack, SetParamsCommand(graph, "gconv", {"groups": 2}))
    assert w.save()
    stack.undo()  # gconv back to 4 groups, unsaved
    edit_elsewhere(graph_file)
    choose(monkeypatch, dialogs, "merge")
    assert not w.save()
    assert w.doc.graph.nodes["gconv"].params["groups"] == 4
    assert w.doc.graph.nodes["dilated"].params["out_channels"] == 24


def test_merge_unavailable_without_history(open_on, graph_file, dialogs, monkeypatch):
    """A document whose unsaved edits are not all in its undo stack offers no merge."""
    w = open_on(graph_file)
    push_edit(w.doc.undo_stack, SetParamsCommand(w.doc.graph, "gconv", {"groups": 2}))
    w.doc.undo_stack.resetClean()
    edit_elsewhere(graph_file)
    choose(monkeypatch, dialogs, "merge")
    before = graph_file.read_bytes()
    assert not w.save()
    box = dialogs["boxes"][-1]
    assert not box.findChild(QPushButton, "merge").isEnabled()
    assert "not available" in box.informativeText()
    assert graph_file.read_bytes() == before and w.doc.dirty


def test_conflict_box_looks(open_on, graph_file, tmp_path):
    """The conflict box names the file and offers the four answers (picture kept for a look)."""
    w = open_on(graph_file)
    add_below(w, "gap")
    edit_elsewhere(graph_file)
    box = w.conflict_box()
    names = [b.objectName() for b in box.buttons()]
    assert sorted(names) == ["cancel", "merge", "overwrite", "saveAs"]
    assert box.defaultButton().objectName() == "merge"
    box.show()
    assert not box.grab().isNull()
    box.grab().save(str(tmp_path / "conflict.png"))
    box.close()
