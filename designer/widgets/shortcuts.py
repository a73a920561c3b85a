"""Help → Keyboard shortcuts: a table generated from the window's menus."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

__all__ = ["ShortcutsDialog", "EXTRA_SHORTCUTS"]

#: gestures of the canvas that are not menu actions
EXTRA_SHORTCUTS = (
    ("Canvas", "Connect two nodes", "drag from an output port to an input port"),
    ("Canvas", "Re-plug or remove an edge", "drag its input end elsewhere, or off"),
    ("Canvas", "Insert a layer on an edge", "drop it from the palette onto the edge"),
    ("Canvas", "Edit a node", "click it (double-click shows its properties)"),
    ("Canvas", "Box select", "drag on the empty canvas"),
    ("Canvas", "Pan", "middle-drag, or Space + drag"),
    ("Canvas", "Zoom", "mouse wheel (Shift + wheel scrolls sideways)"),
    ("Canvas", "Cancel a gesture / clear the selection", "Esc"),
    ("Palette", "Add a layer below the selected node", "double-click, or Enter"),
    ("Palette", "Find a layer", "type in the search box (Enter adds the first match)"),
    ("Properties", "Commit a value", "Enter or Tab (Ctrl+Enter in the description)"),
    ("Engine", "Run the network on the image", "Ctrl+R (Run in the Engine panel)"),
)


class ShortcutsDialog(QDialog):
    """Lists every menu action that has a shortcut, grouped by menu.

    Parameters
    ----------
    menus : list of QMenu
        The window's menus (read when the dialog opens, so it is always exact).
    """

    def __init__(self, menus, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(680, 640)
        lay = QVBoxLayout(self)
        tree = QTreeWidget(self)
        tree.setHeaderLabels(["Action", "Shortcut"])
        tree.setRootIsDecorated(False)
        tree.setAlternatingRowColors(True)
        tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        fmt = QKeySequence.SequenceFormat.NativeText
        for menu in menus:
            rows = []
            for action in menu.actions():
                keys = [k.toString(fmt) for k in action.shortcuts() if not k.isEmpty()]
                if keys and action.text():
                    rows.append((action.text().replace("&", ""), ", ".join(keys)))
            if rows:
                self._group(tree, menu.title().replace("&", ""), rows)
        groups: dict[str, list] = {}
        for group, what, how in EXTRA_SHORTCUTS:
            groups.setdefault(group, []).append((what, how))
        for group, rows in groups.items():
            self._group(tree, group, rows)
        lay.addWidget(tree)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    @staticmethod
    def _group(tree: QTreeWidget, title: str, rows) -> None:
        head = QTreeWidgetItem([title, ""])
        font = head.font(0)
        font.setBold(True)
        head.setFont(0, font)
        tree.addTopLevelItem(head)
        for what, keys in rows:
            tree.addTopLevelItem(QTreeWidgetItem([f"    {what}", keys]))
