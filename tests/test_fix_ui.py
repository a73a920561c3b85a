"""One-click fixes in the designer (issue 15): the Problems list offers each issue's
fixes under it with an Apply button, previews a fix on hover, applies it as one undo
step; a card's context menu offers the fixes of its issues.

The truth is hand-computed: the transposed conv ``up`` (k 3, s 2, p 1) turns 8×8 into
15×15, so ``add1`` (16×16 + 15×15) is an error that ``output_padding`` 1 mends
(15 + 1 = 16); the model after undo equals the model before, key for key.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMenu

from designer.document import Document
from tests.test_fixes import dilated_stack, strided, tconv_merge


def _show(window, qtbot, graph):
    doc = Document(graph)
    window.set_document(doc)
    problems = window.problems
    qtbot.waitUntil(lambda: bool(problems.fixes_shown()), timeout=5000)
    return doc, problems


def test_problems_list_offers_fixes_and_apply_is_one_undo_step(window, qtbot):
    doc, problems = _show(window, qtbot, tconv_merge())
    before = doc.graph.to_dict()
    assert [i.node for i in doc.result().errors] == ["add1"]
    kinds = {f.kind for f in problems.fixes_shown()}
    assert {"output_padding", "target_size", "pad"} <= kinds
    row = problems.topLevelItem(0)
    assert row.isExpanded() and row.childCount() >= 3
    # the Apply button of the output_padding row
    index = next(j for j in range(row.childCount())
                 if row.child(j).data(1, Qt.ItemDataRole.UserRole).kind == "output_padding")
    child = row.child(index)
    assert child.text(1) == "Set output_padding of up to 1 (15×15 → 16×16)"
    button = problems.itemWidget(child, 0)
    assert button is not None and button.text() == "Apply"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert doc.result().errors == ()
    assert doc.graph.nodes["up"].params["output_padding"] == 1
    assert doc.result().nodes["up"].shape == (4, 16, 16)
    assert doc.undo_stack.count() == 1
    assert doc.undo_stack.undoText().startswith("Fix: Set output_padding of up")
    doc.undo_stack.undo()
    assert doc.graph.to_dict() == before
    doc.undo_stack.redo()
    assert doc.graph.nodes["up"].params["output_padding"] == 1


def test_hovering_a_fix_previews_the_shapes_it_would_give(window, qtbot):
    doc, problems = _show(window, qtbot, tconv_merge())
    row = problems.topLevelItem(0)
    child = next(row.child(j) for j in range(row.childCount())
                 if row.child(j).data(1, Qt.ItemDataRole.UserRole).kind == "pad")
    problems._hovered(child, 1)
    tip = child.toolTip(1)
    # the inserted Pad2d gives 16×16, and add1 goes from no shape (error) to 4×16×16
    assert "With this fix" in tip and "4×16×16" in tip
    assert "errors 1 → 0" in tip
    assert doc.graph.to_dict() == tconv_merge().to_dict()  # the preview touched nothing


def test_double_click_applies_and_warnings_get_fixes_too(window, qtbot):
    doc, problems = _show(window, qtbot, strided())
    row = problems.topLevelItem(0)
    assert row.data(0, Qt.ItemDataRole.UserRole) == "conv1"
    child = row.child(0)
    fix = child.data(1, Qt.ItemDataRole.UserRole)
    assert fix.kind == "keep_pixels"
    problems.itemActivated.emit(child, 1)  # double-click or Enter
    assert doc.graph.nodes["conv1"].params["padding"] == 1
    assert not [w for w in doc.result().warnings if w.kind == "stride_drops"]


def test_gridding_fix_from_the_cards_context_menu(window, qtbot):
    doc, _problems = _show(window, qtbot, dilated_stack())
    menu = QMenu()
    from designer.fix_actions import add_fix_actions

    issue_node = next(w.node for w in doc.result().warnings if w.kind == "gridding")
    assert add_fix_actions(menu, doc, issue_node) == 1
    action = next(a for a in menu.actions() if a.text().startswith("Use HDC"))
    assert action.text() == "Use HDC dilation rates 1, 2, 5 for d1, d2, d3 (were 2, 2, 2)"
    assert "d3" in action.toolTip()
    action.trigger()
    assert [doc.graph.nodes[f"d{i}"].params["dilation"] for i in (1, 2, 3)] == [1, 2, 5]
    assert not [w for w in doc.result().warnings if w.kind == "gridding"]
    doc.undo_stack.undo()
    assert doc.graph.to_dict() == dilated_stack().to_dict()


def test_the_canvas_context_menu_of_a_card_lists_its_fixes(window, qtbot, monkeypatch):
    doc, _problems = _show(window, qtbot, tconv_merge())
    shown: list[list[str]] = []

    class RecordingMenu(QMenu):
        def exec(self, *_a):  # noqa: A003 - Qt's name
            shown.append([a.text() for a in self.actions()])

    monkeypatch.setattr("designer.canvas.view.QMenu", RecordingMenu)
    view, scene = window.view, window.scene
    scene.flush()
    pos = view.mapFromScene(scene.nodes["add1"].pos())
    view.contextMenuEvent(_ContextEvent(pos))
    assert shown and any(t.startswith("Set output_padding of up") for t in shown[0])


class _ContextEvent:
    """Enough of a QContextMenuEvent for GraphView.contextMenuEvent."""

    def __init__(self, pos: QPoint):
        self._pos = pos

    def pos(self) -> QPoint:
        return self._pos

    def globalPos(self) -> QPoint:  # noqa: N802 - Qt's name
        return self._pos

    def accept(self) -> None:
        pass
