"""The main window: canvas in the centre, palette, properties, problems and history docks.

The window owns no design state: the open :class:`~designer.document.Document`
does. It wires the views to the document (``set_document`` on each), turns
menu actions into document operations and takes graph files dropped on it.
The file life cycle (open, save, prompts, export, recovery) is the
:class:`~designer.file_actions.FileActions` mixin's; watching the open file and
save conflicts the :class:`~designer.conflicts.DiskWatch` mixin's.
Menus and shortcuts are built by :mod:`designer.widgets.menus`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QUndoGroup
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QUndoView,
)

from designer.canvas.minimap import Minimap
from designer.canvas.scene import GraphScene
from designer.canvas.view import GraphView
from designer.conflicts import DiskWatch
from designer.document import Document
from designer.file_actions import FileActions
from designer.files import (
    RecentFiles,
    Recovery,
    is_graph_file,
    settings,
)
from designer.find import FindBar
from designer.labs import LabActions
from designer.palette import PaletteWidget
from designer.problems import ProblemsView
from designer.properties import PropertyEditor
from designer.widgets.menus import WindowActions
from designer.widgets.status import StatusSummary
from engine import Graph


def engine_panel_class():
    """The engine panel class (imported on first use: it brings numpy and pyqtgraph,
    about a second that start-up does not wait for)."""
    from designer.panel import EnginePanel

    return EnginePanel


__all__ = ["MainWindow", "AUTOSAVE_DELAY_MS"]

#: the recovery file is written this long after an edit (later edits within it
#: are written together: at most one write a second, none lost for longer)
AUTOSAVE_DELAY_MS = 1000
#: the engine panel is built this long after the window is first shown
PANEL_DELAY_MS = 60
APP_NAME = "ConvCanvas"


class MainWindow(FileActions, DiskWatch, QMainWindow):
    """The designer window.

    Parameters
    ----------
    session : bool
        Take part in the user's session: write the recovery file
        :data:`AUTOSAVE_DELAY_MS` after each edit, offer recovery (after
        cleaning what a crash left), remember the window layout and clean exits.
        Off for ``--screenshot``, so that a headless run never touches the
        user's recovery file or settings.
    engine : bool
        Dock the engine panel (``designer.panel``, when installed); it is
        built just after the window is first shown, see :meth:`ensure_panel`.
    """

    def __init__(self, session: bool = True, engine: bool = True, parent=None):
        super().__init__(parent)
        self.session = session
        self._engine = engine
        self.doc: Document | None = None
        self.origin = ""  # "example" / "recovered" for documents without a file
        self.recent = RecentFiles()
        self.recovery = Recovery()
        self.undo_group = QUndoGroup(self)
        self._autosaved_at: tuple[int, int] | None = None
        self.setWindowTitle(APP_NAME)
        self.setDockNestingEnabled(True)
        self.setAcceptDrops(True)

        self.scene = GraphScene(self)
        self.view = GraphView(self.scene, self)
        self.view.viewport().installEventFilter(self)
        self.setCentralWidget(self.view)
        self.find_bar = FindBar(self.view)  # Ctrl+F, over the canvas
        self.minimap = Minimap(self.view)  # while the graph is larger than the view
        self._build_docks()
        self.status = StatusSummary(self)
        self.statusBar().addPermanentWidget(self.status)
        self.statusBar().setSizeGripEnabled(False)
        self.menu_actions = WindowActions(self)

        self.scene.selectionChangedIds.connect(self._on_selection)
        self.scene.groupsSelected.connect(self._on_groups_selected)
        self.scene.nodeActivated.connect(self._on_node_activated)
        self.scene.message.connect(self.show_message)
        self.problems.nodeRequested.connect(self.focus_node)
        self.problems.countsChanged.connect(self._on_counts)
        self.problems.message.connect(self.show_message)
        self.problems.fixApplied.connect(lambda title: self.show_message(f"Applied: {title}"))
        self.palette.presetActivated.connect(self._add_preset)
        self.status.badgeClicked.connect(self._show_problems)

        self._autosave_timer = QTimer(self)
        self._autosave_timer.setSingleShot(True)
        self._autosave_timer.setInterval(AUTOSAVE_DELAY_MS)
        self._autosave_timer.timeout.connect(self.autosave)
        if session and self.recovery.acquire():  # one instance owns the recovery file
            self.recovery.clean_stale()
        self._init_disk_watch()
        self.set_document(Document(Graph()))

    # -- layout ------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        """Palette left; properties (history tabbed) over the engine right; problems
        under the canvas. The side columns take the full height, so that a deep
        network keeps as much canvas height as possible."""
        area = Qt.DockWidgetArea
        self.setCorner(Qt.Corner.BottomLeftCorner, area.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, area.RightDockWidgetArea)
        self.palette = PaletteWidget(self)
        self.palette_dock = self._dock("Layers", "palette", self.palette,
                                       area.LeftDockWidgetArea)
        self.properties = PropertyEditor(self)
        self.properties_dock = self._dock("Properties", "properties", self.properties,
                                          area.RightDockWidgetArea)
        self.panel = None  # built by ensure_panel(), just after the window is shown
        self.panel_error: str | None = None  # why it could not be built
        self.panel_dock = None
        if self._engine:
            waiting = QLabel("Loading the engine…", self)
            waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
            waiting.setObjectName("muted")
            self.panel_dock = self._dock("Engine", "engine", waiting,
                                         area.RightDockWidgetArea)
            self.splitDockWidget(self.properties_dock, self.panel_dock,
                                 Qt.Orientation.Vertical)
        self.history = QUndoView(self.undo_group, self)
        self.history.setEmptyLabel("<original>")
        self.history_dock = self._dock("History", "history", self.history,
                                       area.RightDockWidgetArea)
        self.tabifyDockWidget(self.properties_dock, self.history_dock)
        self.history_dock.hide()
        self.properties_dock.raise_()
        self.problems = ProblemsView(self)
        self.problems_dock = self._dock("Problems", "problems", self.problems,
                                        area.BottomDockWidgetArea)
        self.labs = LabActions(self)  # Assignment and Comparison docks, hidden until used
        self._sized = False

    def _default_dock_sizes(self) -> None:
        """Dock sizes for this window size (once, unless a saved layout was restored)."""
        height = max(self.height(), 600)
        right = 560 if self.panel_dock is not None else 370
        self.resizeDocks([self.palette_dock, self.properties_dock], [230, right],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.problems_dock], [130], Qt.Orientation.Vertical)
        if self.panel_dock is not None:
            self.resizeDocks([self.properties_dock, self.panel_dock],
                             [int(height * 0.5), int(height * 0.5)], Qt.Orientation.Vertical)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Size the docks on the first show; build the engine panel shortly after.

        The panel is built :data:`PANEL_DELAY_MS` later, so that the first paint
        does not wait for it.
        """
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            self._default_dock_sizes()
        if self.panel is None and self.panel_dock is not None:
            QTimer.singleShot(PANEL_DELAY_MS, self.ensure_panel)  # after the first paint

    def ensure_panel(self):
        """Build the engine panel now if it is installed and not built yet.

        Returns the panel, or None when it cannot start (the reason is then shown
        in its dock and on stderr: a broken install must not hide it).
        """
        if self.panel is not None or self.panel_dock is None or self.panel_error:
            return self.panel
        waiting = self.panel_dock.widget()
        try:
            self.panel = engine_panel_class()(self)
        except Exception as exc:  # noqa: BLE001 - shown to the user, the canvas keeps working
            reason = f"{type(exc).__name__}: {exc}"
            print(f"error: the engine panel could not start: {reason}", file=sys.stderr)
            waiting.setWordWrap(True)
            waiting.setText(f"The engine panel could not start.\n\n{reason}")
            self.panel_error = reason  # not retried; the rest of the window works
            return None
        self.panel_dock.setWidget(self.panel)
        waiting.deleteLater()
        for name, slot in (("nodeRequested", self.focus_node),
                           ("statusMessage", self.show_message)):
            signal = getattr(self.panel, name, None)
            if signal is not None:
                signal.connect(slot)
        if self.doc is not None:
            self.panel.set_document(self.doc)
            ids = self.scene.selected_ids()
            if len(ids) == 1:
                self.panel.select_node(ids[0])
        return self.panel

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """1440×900; ``designer.app`` starts the window at this size (before any saved geometry)."""
        return QSize(1440, 900)

    # -- document ------------------------------------------------------------------
    def set_document(self, doc: Document, origin: str = "") -> None:
        """Show ``doc`` in every view; the previous document is closed."""
        old = self.doc
        self.doc = doc
        self.origin = origin
        if self.recovery.owned and self._autosaved_at is not None:
            self.recovery.discard()  # the work it held was saved or discarded
        self._autosaved_at = None
        self.undo_group.addStack(doc.undo_stack)
        self.undo_group.setActiveStack(doc.undo_stack)
        doc.undo_stack.cleanChanged.connect(self._on_clean_changed)
        doc.undo_stack.indexChanged.connect(self._schedule_autosave)
        doc.graphChanged.connect(self._on_graph_event)
        doc.pathChanged.connect(self._update_title)
        doc.pathChanged.connect(self._watch_path)
        self.view.set_document(doc)
        self.properties.set_document(doc)
        self.problems.set_document(doc)
        self.status.set_document(doc)
        self.labs.set_document(doc)
        if self.panel is not None:
            self.panel.set_document(doc)
        if old is not None:
            for signal, slot in ((old.undo_stack.cleanChanged, self._on_clean_changed),
                                 (old.undo_stack.indexChanged, self._schedule_autosave),
                                 (old.graphChanged, self._on_graph_event),
                                 (old.pathChanged, self._update_title),
                                 (old.pathChanged, self._watch_path)):
                signal.disconnect(slot)
            self.undo_group.removeStack(old.undo_stack)
            old.close()
            old.deleteLater()
        self._update_title()
        self._watch_path()
        if doc.dirty:  # e.g. a merge: its unsaved work goes to the recovery file too
            self._schedule_autosave()
        # once the docks have their sizes: readable, its top in view (F shows it all)
        QTimer.singleShot(0, lambda: self.view.fit(readable=True))

    def _schedule_autosave(self, *_args) -> None:
        """An edit, undo or redo: write the recovery file :data:`AUTOSAVE_DELAY_MS`
        later (not restarted by later edits, so a stream of edits is written too)."""
        if self.recovery.owned and not self._autosave_timer.isActive():
            self._autosave_timer.start()

    def _on_clean_changed(self, clean: bool) -> None:
        if self.doc is not None and self.sender() is self.doc.undo_stack:
            self.setWindowModified(not clean)

    def _update_title(self, *_args) -> None:
        doc = self.doc
        name = doc.graph.name or "Untitled"
        where = doc.path.name if doc.path is not None else (self.origin or "not saved")
        self.setWindowTitle(f"{name} — {where}[*] — {APP_NAME}")
        self.setWindowModified(doc.dirty)
        self.setWindowFilePath(str(doc.path) if doc.path is not None else "")

    def _on_graph_event(self, changes) -> None:
        from engine.graph import MetaChanged

        if any(isinstance(event, MetaChanged) for event in changes):
            self._update_title()

    def _on_selection(self, ids: list) -> None:
        self.properties.set_selection(list(ids))
        self.menu_actions.update_selection(bool(ids))
        if self.panel is not None and len(ids) == 1:
            self.panel.select_node(ids[0])

    def _on_groups_selected(self, group_ids: list) -> None:
        self.menu_actions.update_selection(bool(self.scene.selection_with_groups()))
        if not self.scene.selected_ids():
            self.properties.set_group(group_ids[0] if group_ids else None)

    def _on_node_activated(self, node_id: str) -> None:
        self.properties_dock.show()
        self.properties_dock.raise_()
        if self.panel is not None:
            self.panel.select_node(node_id)

    def _on_counts(self, errors: int, warnings: int) -> None:
        parts = []
        if errors:
            parts.append(f"{errors} error{'s' * (errors != 1)}")
        if warnings:
            parts.append(f"{warnings} warning{'s' * (warnings != 1)}")
        self.problems_dock.setWindowTitle("Problems" + (f" ({', '.join(parts)})"
                                                        if parts else ""))

    def _show_problems(self) -> None:
        self.problems_dock.show()
        self.problems_dock.raise_()

    def show_message(self, text: str, ms: int = 6000) -> None:
        """A transient message in the status bar."""
        self.statusBar().showMessage(text, ms)

    def focus_node(self, node_id: str) -> None:
        """Select ``node_id`` on the canvas and scroll it into view."""
        if self.doc is not None and node_id in self.doc.graph.nodes:
            self.scene.select_node(node_id)
            item = self.scene.nodes.get(node_id)
            if item is not None:  # scroll only as far as needed
                self.view.ensureVisible(item, 60, 60)

    def fit_view(self) -> None:
        """Show the whole graph."""
        self.view.fit()

    def _add_preset(self, preset) -> None:
        """Palette double-click: add below the selected node, connected (one undo step)."""
        new = self.view.add_layer(preset.type, preset.initial_params(), preset.name)
        if new:
            self.show_message(f"Added {new} ({preset.name})", 3000)

    # -- events ----------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Close unless the user cancels :meth:`maybe_save`.

        Stops autosave and the engine panel's worker, stores the window layout
        (in session mode) and, when this instance owns it, deletes the recovery
        file and records a clean exit.
        """
        train = getattr(self.panel, "train_tab", None)  # trained weights not saved yet
        if not self.maybe_save() or (train is not None and not train.offer_save(self)):
            event.ignore()
            return
        self._autosave_timer.stop()
        self._disk_timer.stop()
        shutdown = getattr(self.panel, "shutdown", None)
        if callable(shutdown):
            shutdown()  # stop the engine's worker thread
        if self.session:
            s = settings()
            s.setValue("window/geometry", self.saveGeometry())
            s.setValue("window/state", self.saveState())
        if self.recovery.owned:
            self.recovery.discard()
            self.recovery.mark_clean_exit()
            self.recovery.release()
        event.accept()

    def restore_layout(self) -> None:
        """Restore the window geometry and dock layout of the last session."""
        s = settings()
        geometry, state = s.value("window/geometry"), s.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None and self.restoreState(state):
            self._sized = True

    def _dropped_file(self, event) -> Path | None:
        mime = event.mimeData()
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and is_graph_file(url.toLocalFile()):
                return Path(url.toLocalFile())
        return None

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Accept a dragged graph file (``*.json``)."""
        if self._dropped_file(event) is not None:
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Open a dropped graph file (after the drop returns, asking to save first)."""
        path = self._dropped_file(event)
        if path is None:
            super().dropEvent(event)
            return
        event.acceptProposedAction()
        QTimer.singleShot(0, lambda: self.open_path(path))

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        """Graph files dropped on the canvas open them (layer drops go to the view)."""
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop) \
                and self._dropped_file(event) is not None:
            if kind == QEvent.Type.Drop:
                self.dropEvent(event)
            else:
                event.acceptProposedAction()
            return True
        return super().eventFilter(obj, event)

