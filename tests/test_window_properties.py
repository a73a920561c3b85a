"""The main window's document and property editor: the default example, parameter
edits (undoable, followed by the editors), linked tuple axes, inline errors, renames,
the graph page, and reachable transposed-conv target sizes.

Runs offscreen (``QT_QPA_PLATFORM=offscreen``). Settings and the recovery file
are redirected to ``tmp_path`` through ``XDG_CONFIG_HOME`` / ``XDG_DATA_HOME``,
and every blocking dialog is patched (fixtures ``home``, ``dialogs``, ``window``
in conftest).
"""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")


from designer.files import DEFAULT_EXAMPLE  # noqa: E402
from engine import load_graph  # noqa: E402
from tests.window_helpers import ROOT, select  # noqa: E402

pytestmark = pytest.mark.gui


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


def test_value_another_limits_is_kept_and_its_error_shown_inline(window):
    # issue 15: a limit between parameters (or the input) is an analysis error at the
    # node, shown inline; the edit is kept (undoable) so the user can mend either side
    page = select(window, "dilated")
    steps = window.doc.undo_stack.count()
    field = page.fields["groups"]
    field.editor.spin.setValue(5)  # 16 channels are not divisible by 5 groups
    assert window.doc.graph.nodes["dilated"].params["groups"] == 5
    assert window.doc.undo_stack.count() == steps + 1
    assert field.message.isVisibleTo(page) and "divisible" in field.text()
    window.doc.undo_stack.undo()
    assert "groups" not in window.doc.graph.nodes["dilated"].params


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
