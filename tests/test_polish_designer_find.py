"""Issue 15: find a node by id or type (Ctrl+F) on a graph of hundreds of nodes, and
the overview map of a graph larger than the view."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt

from engine import Graph


def _long_chain(n: int = 300) -> Graph:
    g = Graph("long")
    g.add_node("Input", {"channels": 3, "height": 16, "width": 16}, "x", pos=(0, 0))
    prev = "x"
    for i in range(n):
        kind = "Conv2d" if i % 10 == 0 else "ReLU"
        params = {"out_channels": 3, "kernel_size": 3, "padding": 1} if kind == "Conv2d" \
            else {}
        nid = f"{kind.lower()}_{i}"
        g.add_node(kind, params, nid, pos=((i % 2) * 300.0, 110.0 * (i + 1)))
        g.connect(prev, nid)
        prev = nid
    return g


def _open(window, qtbot, graph):
    from designer.document import Document

    window.set_document(Document(graph))
    qtbot.wait(1)


def _centre(view) -> QPointF:
    return view.mapToScene(view.viewport().rect().center())


def test_find_by_id_selects_and_centres(window, qtbot):
    from designer.find import find_nodes

    graph = _long_chain()
    _open(window, qtbot, graph)
    # exact id first, then reading order (conv2d_250 is a conv)
    assert find_nodes(graph, "relu_25") == ["relu_25", *(f"relu_{i}" for i in range(251, 260))]
    assert find_nodes(graph, "RELU_26")[0] == "relu_26"
    window.menu_actions.find.trigger()
    bar = window.find_bar
    assert bar.isVisible() and bar.edit.hasFocus()
    qtbot.keyClicks(bar.edit, "relu_287")
    assert window.scene.selected_ids() == ["relu_287"]
    target = window.scene.nodes["relu_287"].scenePos()
    assert (_centre(window.view) - target).manhattanLength() <= 3  # whole pixels
    assert bar.count.text() == "1 of 1"
    qtbot.keyClick(bar.edit, Qt.Key.Key_Escape)
    assert not bar.isVisible()


def test_find_by_type_steps_through_matches(window, qtbot):
    _open(window, qtbot, _long_chain())
    bar = window.find_bar
    bar.open()
    qtbot.keyClicks(bar.edit, "Conv2d")  # 30 convs, in reading order
    assert window.scene.selected_ids() == ["conv2d_0"] and bar.count.text() == "1 of 30"
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return)
    assert window.scene.selected_ids() == ["conv2d_10"]
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert window.scene.selected_ids() == ["conv2d_290"]  # wraps around
    bar.edit.setText("no such node")
    assert "no match" in bar.count.text() and window.scene.selected_ids() == ["conv2d_290"]
    bar.edit.setText("normalisation")  # a family word that no node has
    assert bar.matches == []
    bar.edit.setText("pooling")
    assert bar.matches == []
    bar.edit.setText("Norm & activation")  # a family: every ReLU
    assert len(bar.matches) == 270


def test_minimap_shows_when_the_graph_is_larger_and_moves_the_view(window, qtbot):
    from PySide6.QtCore import QPoint

    mini = window.minimap
    graph = Graph("small")
    graph.add_node("Input", {"channels": 3, "height": 8, "width": 8}, "x", pos=(0, 0))
    _open(window, qtbot, graph)
    mini.refresh()
    assert not mini.isVisible()  # all of it fits
    _open(window, qtbot, _long_chain())
    mini.refresh()
    assert mini.isVisible()
    assert window.view.viewport().geometry().contains(mini.geometry())
    before = _centre(window.view)
    bottom = QPoint(mini.width() // 2, mini.height() - 6)
    qtbot.mouseClick(mini, Qt.MouseButton.LeftButton, pos=bottom)
    after = _centre(window.view)
    assert after.y() > before.y() + 10000  # the bottom of a 33,000-unit tall graph
    assert (after - mini.to_scene(QPointF(bottom))).manhattanLength() <= 3
    qtbot.mousePress(mini, Qt.MouseButton.LeftButton, pos=QPoint(mini.width() // 2, 6))
    qtbot.mouseMove(mini, QPoint(mini.width() // 2, mini.height() // 2))
    qtbot.mouseRelease(mini, Qt.MouseButton.LeftButton, pos=QPoint(mini.width() // 2,
                                                                    mini.height() // 2))
    middle = _centre(window.view).y()
    rect = window.view.graph_rect()
    assert abs(middle - rect.center().y()) < rect.height() * 0.1  # dragged to the middle
    _open(window, qtbot, _long_chain(20))
    window.view.set_zoom(1.0)
    mini.refresh()
    assert mini.isVisible()
    window.view.fit()  # everything fits: the map goes
    mini.refresh()
    assert not mini.isVisible()
    window.view.set_zoom(1.0)
    window.menu_actions.overview.trigger()  # View → Overview Map off
    assert not mini.isVisible()
    window.menu_actions.overview.trigger()
    assert mini.isVisible()


def test_png_of_a_very_tall_graph_stays_a_reasonable_size(window, qtbot, tmp_path):
    from PySide6.QtGui import QImageReader

    from designer.diagram_export import MAX_PNG_SIDE, export_diagram

    _open(window, qtbot, _long_chain())
    out = export_diagram(window.scene, tmp_path / "tall.png")
    size = QImageReader(str(out)).size()
    assert size.height() == MAX_PNG_SIDE and 0 < size.width() < 1000
