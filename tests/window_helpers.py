"""Helpers shared by the main-window GUI tests (``test_window_*.py``): opening a
window on the default example and selecting a node. The fixtures (``dialogs``,
``home``, ``window``, ``engine_window``) are in conftest.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

ROOT = Path(__file__).resolve().parent.parent
Button = QMessageBox.StandardButton


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


def select(window, node_id):
    window.scene.select_node(node_id)
    assert window.scene.selected_ids() == [node_id]
    page = window.properties.page
    assert getattr(page, "node_id", None) == node_id
    return page
