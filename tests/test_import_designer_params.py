"""Property editors for the imported types' parameters: Pad2d's ``value`` takes -inf and
inf (graph-format.md: a number, or the words), Upsample's ``size`` is a pair for 2D and
a triple for 3D, its axes following the node's input."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("pytestqt")
pytestmark = pytest.mark.gui


def _param(type_name, name):
    from engine import CATALOGUE

    return next(p for p in CATALOGUE[type_name].params if p.name == name)


def test_pad_value_editor_takes_the_infinities(qtbot):
    from designer.widgets.params import PadValueEdit, make_editor

    param = _param("Pad2d", "value")
    editor = make_editor(param)
    qtbot.addWidget(editor)
    assert isinstance(editor, PadValueEdit)
    seen = []
    editor.committed.connect(seen.append)
    editor.set_value(float("-inf"))
    assert editor.choice.currentText() == "-inf" and not editor.spin.isEnabled()
    assert editor.value() == "-inf" and param.validate(editor.value()) == -math.inf
    editor.set_value("inf")
    assert editor.value() == "inf" and not seen
    editor.choice.setCurrentText("number")
    editor.choice.activated.emit(0)
    assert editor.spin.isEnabled() and seen == [0.0]
    editor.spin.setValue(-1.5)
    assert seen[-1] == -1.5
    editor.choice.setCurrentIndex(editor.choice.findText("-inf"))
    editor.choice.activated.emit(editor.choice.currentIndex())
    assert seen[-1] == "-inf"


def test_sizes_editor_follows_the_value_and_the_input(qtbot):
    from designer.widgets.params import NullableEdit, SizesEdit, make_editor

    param = _param("Upsample", "size")
    editor = make_editor(param)
    qtbot.addWidget(editor)
    assert isinstance(editor, NullableEdit) and isinstance(editor.inner, SizesEdit)
    sizes = editor.inner
    assert sizes.axes == 2
    editor.set_value([4, 6, 8])
    assert sizes.axes == 3 and editor.value() == (4, 6, 8)
    editor.set_value([5, 7])
    assert sizes.axes == 2 and editor.value() == (5, 7)
    editor.set_value(None)
    editor.follow_input((3, 4, 16, 16))  # a C×D×H×W input: D × H × W
    assert sizes.axes == 3
    editor.follow_input((3, 16, 16))
    assert sizes.axes == 2
    seen = []
    editor.committed.connect(seen.append)
    editor.set_value(9)
    editor.follow_input((3, 4, 16, 16))
    assert sizes.axes == 3 and sizes.value() == 9 and not seen
    assert param.validate((4, 6, 8)) == (4, 6, 8)


def _window_on(qtbot, window, graph):
    from designer.document import Document
    from tests.window_helpers import select

    window.set_document(Document(graph))
    return lambda node_id: select(window, node_id)


def test_pad2d_value_minus_inf_through_the_property_page(qtbot, window):
    from engine import CATALOGUE, Graph

    g = Graph()
    g.add_node("Input", {"channels": 3, "height": 8, "width": 8}, "x")
    g.add_node(next(t for t in CATALOGUE if t.startswith("Pad")), {"padding": 1}, "pad")
    g.connect("x", "pad")
    page = _window_on(qtbot, window, g)("pad")
    editor = page.fields["value"].editor
    editor.choice.setCurrentIndex(editor.choice.findText("-inf"))
    editor.choice.activated.emit(editor.choice.currentIndex())
    node = window.doc.graph.nodes["pad"]
    assert node.resolved()["value"] == -math.inf
    saved = next(n for n in window.doc.graph.to_dict()["nodes"] if n["id"] == "pad")
    assert saved["params"]["value"] == "-inf"
    window.doc.undo_stack.undo()
    assert window.doc.graph.nodes["pad"].resolved()["value"] == 0.0
    window.doc.undo_stack.setClean()


def test_upsample_3d_size_through_the_property_page(qtbot, window):
    from engine import CATALOGUE, Graph

    up = next(t for t in CATALOGUE if t.startswith("Ups"))
    g = Graph()
    g.add_node("Input", {"channels": 2, "depth": 4, "height": 8, "width": 8}, "v")
    g.add_node(up, {"mode": "trilinear"}, "up")
    g.connect("v", "up")
    page = _window_on(qtbot, window, g)("up")
    editor = page.fields["size"].editor
    assert editor.inner.axes == 3  # follows the C×D×H×W input
    assert editor.value() is None and editor.inner.value() == (4, 8, 8)  # the input's
    editor.auto.click()  # a size instead of the scale factor: from the input's
    assert window.doc.graph.nodes["up"].resolved()["size"] == (4, 8, 8)
    editor.inner.inner.link.setChecked(False)
    editor.inner.inner.spins[0].setValue(6)
    result = window.doc.result()
    assert window.doc.graph.nodes["up"].resolved()["size"] == (6, 8, 8)
    assert result.valid and tuple(result.nodes["up"].shape) == (2, 6, 8, 8)
    window.doc.undo_stack.setClean()
