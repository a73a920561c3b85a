"""The window's menu bar: actions, shortcuts, the Examples and Open Recent menus.

:class:`WindowActions` only builds and enables actions; what they do is the
window's, the canvas' and the undo group's business.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

from designer.files import examples
from designer.look import family_icon
from designer.widgets.shortcuts import ShortcutsDialog
from designer.widgets.theme_menu import theme_actions

__all__ = ["WindowActions", "ABOUT"]

ABOUT = """<h3>ConvCanvas</h3>
<p>A desktop designer for convolutional networks: drag layers, connect them and see
every shape, receptive field, parameter count and MAC update as you edit. Run the
network on an image and export standalone PyTorch code.</p>
<p>Graphs are plain JSON (<code>*.convgraph.json</code>); the same engine runs headless:
<code>python main.py analyze|export|run GRAPH</code>.</p>"""

Key = QKeySequence.StandardKey


class WindowActions:
    """Builds File, Edit, View and Help menus of ``window``.

    Parameters
    ----------
    window : designer.window.MainWindow
        Provides the handlers (``new_document``, ``save``...), ``scene``,
        ``view``, ``undo_group`` and the docks.
    """

    def __init__(self, window):
        self.w = window
        bar = window.menuBar()
        self.file_menu = bar.addMenu("&File")
        self.edit_menu = bar.addMenu("&Edit")
        self.view_menu = bar.addMenu("&View")
        self.help_menu = bar.addMenu("&Help")
        self._file()
        self._edit()
        self._view()
        self._help()
        self.update_selection(False)

    def _act(self, menu: QMenu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self.w)
        if shortcut is not None:
            keys = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([k if isinstance(k, QKeySequence) else QKeySequence(k)
                                 for k in keys])
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    # -- menus ---------------------------------------------------------------------
    def _file(self) -> None:
        w, m = self.w, self.file_menu
        self.new = self._act(m, "&New", w.new_document, Key.New, "Start an empty graph")
        self.open = self._act(m, "&Open…", w.choose_and_open, Key.Open, "Open a graph file")
        self.examples_menu = m.addMenu("&Examples")
        for i, ex in enumerate(examples()):
            if i == 1:
                self.examples_menu.addSeparator()
            act = self.examples_menu.addAction(ex.name)
            act.setStatusTip(ex.description[:160])
            act.setToolTip(ex.description)
            act.triggered.connect(lambda _c=False, p=ex.path: w.open_example(p))
        self.examples_menu.setToolTipsVisible(True)
        self.recent_menu = m.addMenu("Open &Recent")
        self.refresh_recent()
        self.import_model = self._act(m, "&Import…", w.import_model, "Ctrl+I",
                                      "Open an ONNX file or a PyTorch nn.Module as a new "
                                      "graph, with its weights")
        m.addSeparator()
        self.open_assignment = self._act(m, "Open A&ssignment…", w.labs.open_assignment,
                                         tip="Grade the design live against a rubric")
        self.compare = self._act(m, "Compa&re With…", w.labs.compare_with,
                                 tip="Mark what this design adds, removes and changes "
                                     "relative to another design")
        m.addSeparator()
        self.save = self._act(m, "&Save", w.save, Key.Save, "Save the graph")
        self.save_as = self._act(m, "Save &As…", w.save_as, "Ctrl+Shift+S",
                                 "Save the graph to another file")
        m.addSeparator()
        self.export = self._act(m, "Export &PyTorch…", w.export_pytorch, "Ctrl+E",
                                "Write standalone PyTorch code for this graph")
        self.export_onnx = self._act(m, "Export O&NNX…", w.export_onnx, "Ctrl+Shift+E",
                                     "Write an ONNX model of this graph with the current "
                                     "weights (in the engine process)")
        self.export_diagram = self._act(m, "Export &Diagram…", lambda: _diagram(w, False),
                                        "Ctrl+Shift+D", "Save the canvas as a PNG, SVG or "
                                        "PDF picture, with its labels")
        self.export_selection = self._act(m, "Export Se&lection as Diagram…",
                                          lambda: _diagram(w, True),
                                          tip="Save the selected nodes and the edges "
                                              "between them as a PNG, SVG or PDF picture")
        m.addSeparator()
        self.quit = self._act(m, "&Quit", w.close, "Ctrl+Q", "Close ConvCanvas")

    def refresh_recent(self) -> None:
        """Rebuild Open Recent from the settings."""
        menu = self.recent_menu
        menu.clear()
        paths = self.w.recent.paths()
        for i, path in enumerate(paths):
            label = f"&{i + 1}  {path.name}" if i < 9 else path.name
            act = menu.addAction(label)
            act.setStatusTip(str(path))
            act.triggered.connect(lambda _c=False, p=path: self.w.open_path(p))
        if paths:
            menu.addSeparator()
            menu.addAction("Clear list", self._clear_recent)
        else:
            none = menu.addAction("No recent files")
            none.setEnabled(False)

    def _clear_recent(self) -> None:
        self.w.recent.clear()
        self.refresh_recent()

    def _edit(self) -> None:
        w, m = self.w, self.edit_menu
        self.undo = w.undo_group.createUndoAction(w, "&Undo")
        self.undo.setShortcut(QKeySequence("Ctrl+Z"))
        self.redo = w.undo_group.createRedoAction(w, "&Redo")
        self.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        m.addAction(self.undo)
        m.addAction(self.redo)
        m.addSeparator()
        view = w.view  # the canvas: paste lands at the cursor when it is over the view
        self.cut = self._act(m, "Cu&t", view.cut, Key.Cut, "Copy and delete the selection")
        self.copy = self._act(m, "&Copy", view.copy, Key.Copy, "Copy the selected nodes")
        self.paste = self._act(m, "&Paste", view.paste, Key.Paste, "Paste copied nodes")
        self.duplicate = self._act(m, "D&uplicate", view.duplicate, "Ctrl+D",
                                   "Duplicate the selected nodes")
        self.delete = self._act(m, "&Delete", view.delete_selection, Key.Delete,
                                "Delete the selected nodes and edges (Backspace on the "
                                "canvas too)")
        m.addSeparator()
        self.group = self._act(m, "&Group", w.scene.group_selection, "Ctrl+G",
                               "Make a named group of the selected nodes (one card when "
                               "collapsed)")
        self.ungroup = self._act(m, "U&ngroup", w.scene.ungroup_selection, "Ctrl+Shift+G",
                                 "Dissolve the selected group (its nodes stay)")
        m.addSeparator()
        self.select_all = self._act(m, "Select &All", w.scene.select_all, Key.SelectAll,
                                    "Select every node")
        m.addSeparator()
        self.memory_limit = self._act(m, "&Memory Limit…", self._memory_limit,
                                      tip="The memory a run or a training may use")
        self.find = self._act(m, "&Find Node…", w.find_bar.open, Key.Find,
                              "Find a node by id, type or family; Enter goes to the next")
        self.find_next = self._act(m, "Find &Next", w.find_bar.next, "F3")
        self.find_previous = self._act(m, "Find Pre&vious", w.find_bar.previous, "Shift+F3")

    def _view(self) -> None:
        w, m = self.w, self.view_menu
        self.fit = self._act(m, "&Fit to Window", w.fit_view, "F", "Show the whole graph")
        view = w.view
        self.zoom_in = self._act(m, "Zoom &In", lambda: view.zoom_by(1.25),
                                 [QKeySequence(Key.ZoomIn), QKeySequence("Ctrl+=")])
        self.zoom_out = self._act(m, "Zoom &Out", lambda: view.zoom_by(0.8), Key.ZoomOut)
        self.zoom_reset = self._act(m, "&Actual Size", lambda: view.set_zoom(1.0), "Ctrl+0")
        m.addSeparator()
        self.layout = self._act(m, "Auto-&layout", view.auto_layout, "Ctrl+L",
                                "Arrange the nodes top-down by depth (undoable)")
        m.addSeparator()
        self.overview = self._act(m, "&Overview Map", lambda: w.minimap.set_enabled(
            self.overview.isChecked()), tip="A map of the whole graph in the canvas' corner "
                                            "while the graph is larger than the view")
        self.overview.setCheckable(True)
        self.overview.setChecked(True)
        self.theme_menu = m.addMenu("&Theme")
        self.themes = theme_actions(self.theme_menu, w)
        m.addSeparator()
        docks = [w.palette_dock, w.properties_dock, w.problems_dock, w.history_dock,
                 w.labs.checklist_dock, w.labs.compare_dock]
        if w.panel_dock is not None:
            docks.append(w.panel_dock)
        keys = {w.history_dock: "Ctrl+H"}
        for dock in docks:
            toggle = dock.toggleViewAction()
            if dock in keys:
                toggle.setShortcut(QKeySequence(keys[dock]))
            m.addAction(toggle)

    def _help(self) -> None:
        w, m = self.w, self.help_menu
        self.shortcuts = self._act(m, "&Keyboard Shortcuts", self._show_shortcuts,
                                   "Ctrl+/")
        self.explain = self._act(m, "&Explain a layer…", self._explain_layer,
                                 tip="Watch any layer compute, with numbers you choose")
        m.addSeparator()
        self.about = self._act(m, "&About ConvCanvas",
                               lambda: QMessageBox.about(w, "About ConvCanvas", ABOUT))
        self.about.setIcon(family_icon("Convolution"))

    def _memory_limit(self) -> None:
        from designer.settings_dialog import MemoryLimitDialog

        MemoryLimitDialog(self.w).exec()

    def _explain_layer(self) -> None:
        from designer.mechanism.sandbox import SandboxDialog  # brings numpy: on first use

        self.sandbox = SandboxDialog(self.w)
        self.sandbox.show()

    def _show_shortcuts(self) -> None:
        dialog = ShortcutsDialog([self.file_menu, self.edit_menu, self.view_menu,
                                  self.help_menu], self.w)
        dialog.exec()

    # -- state -----------------------------------------------------------------------
    def update_selection(self, has_selection: bool) -> None:
        """Enable the actions that need selected nodes."""
        for action in (self.cut, self.copy, self.duplicate, self.export_selection):
            action.setEnabled(has_selection)



def _diagram(window, selection: bool) -> None:
    from designer.diagram_export import export_diagram_dialog  # QtSvg: on first use

    export_diagram_dialog(window, selection)
