"""The window's side of the labs: File → Open assignment… and Compare with…, the
Assignment dock (the checklist) and the Comparison dock (the table).

Nothing the user made is lost: a rubric that cannot be used is explained (the
engine's message names the check and the field) and changes nothing; the
starter beside a rubric replaces the open design only after the user agrees
and the window's usual save prompt (``maybe_save``) lets it go; declined, the
checklist grades the design that is open. The starter opens as an unsaved
copy, so Save never writes over the teacher's file.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from designer.document import Document
from designer.files import EXAMPLES_DIR, FILE_FILTER
from engine import GraphFileError, load_graph
from engine.labs import RubricError

from .assignment import Assignment, read_assignment
from .checklist import ChecklistView
from .compare_table import CompareTable
from .comparison import Comparison
from .overlay import CompareOverlay

__all__ = ["LabActions", "LABS_DIR", "RUBRIC_FILTER"]

LABS_DIR = EXAMPLES_DIR.parent / "labs"
RUBRIC_FILTER = "Rubrics (*.rubric.json);;JSON files (*.json);;All files (*)"
Button = QMessageBox.StandardButton
#: the left column's width while the checklist shows (hints need the room)
CHECKLIST_WIDTH = 360
#: the bottom docks' height while the comparison shows
COMPARE_HEIGHT = 210


class LabActions(QObject):
    """Builds the two lab docks on ``window`` (hidden until used) and runs the labs'
    file actions.

    Parameters
    ----------
    window : designer.window.MainWindow
        Provides ``scene``, ``view``, ``doc``, ``set_document``, ``maybe_save``,
        ``show_open_error``, ``show_message``, ``_dock`` and the docks.
    """

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.assignment: Assignment | None = None
        area = Qt.DockWidgetArea
        self.checklist = ChecklistView(window)
        self.checklist_dock = window._dock("Assignment", "assignment", self.checklist,
                                           area.LeftDockWidgetArea)
        window.splitDockWidget(window.palette_dock, self.checklist_dock,
                               Qt.Orientation.Vertical)  # under the palette
        self.checklist_dock.hide()
        self.table = CompareTable(window)
        self.compare_dock = window._dock("Comparison", "comparison", self.table,
                                         area.BottomDockWidgetArea)
        self.compare_dock.hide()
        self._placed = False  # tabified with the problems on first use
        self.comparison = Comparison(self)
        self.overlay = CompareOverlay(window.scene)
        self.checklist.nodesRequested.connect(self.select_nodes)
        self.checklist.closeRequested.connect(self.close_assignment)
        self.table.nodeRequested.connect(lambda nid: self.select_nodes([nid], ""))
        self.table.clearRequested.connect(self.clear_comparison)
        self.comparison.diffChanged.connect(self._on_diff)

    # -- document ----------------------------------------------------------------------
    def set_document(self, doc) -> None:
        """Grade and compare ``doc`` (the window has just shown it; its scene is new)."""
        self.overlay.forget()
        self.checklist.set_document(doc)
        self.comparison.set_document(doc)

    # -- assignment ------------------------------------------------------------------------
    def open_assignment(self, path=None) -> bool:
        """Ask for a rubric (unless ``path``), then offer its starter; True when the
        assignment is open (with the starter or with the design that was open)."""
        if path is None:
            start = self.assignment.path.parent if self.assignment else LABS_DIR
            path, _ = QFileDialog.getOpenFileName(self.w, "Open assignment", str(start),
                                                  RUBRIC_FILTER)
            if not path:
                return False
        try:
            assignment = read_assignment(path)
        except RubricError as exc:
            self.rubric_error_box(exc).exec()
            return False
        starter = ""
        if assignment.starter is not None and self._wants_starter(assignment):
            starter = self._open_starter(assignment.starter)
        self.assignment = assignment
        self.checklist.set_rubric(assignment.rubric)
        was_visible = self.checklist_dock.isVisible()
        self.checklist_dock.show()
        self.checklist_dock.raise_()
        if not was_visible:  # room for hints: a wider left column, the checklist in most of it
            palette = self.w.palette_dock
            height = max(palette.height(), 400)
            self.w.resizeDocks([palette], [CHECKLIST_WIDTH], Qt.Orientation.Horizontal)
            self.w.resizeDocks([palette, self.checklist_dock],
                               [int(height * 0.38), int(height * 0.62)], Qt.Orientation.Vertical)
        points = assignment.rubric.max_score
        self.w.show_message(f"Assignment: {assignment.title} ({points} points)"
                            + (f"; opened its starter {starter}" if starter else ""), 6000)
        return True

    def _wants_starter(self, assignment: Assignment) -> bool:
        doc = self.w.doc
        if doc is None:
            return True
        untouched = self.w.origin in ("example", "starter") and not doc.dirty
        if not len(doc.graph) or untouched:
            return True  # nothing of the user's is open
        answer = QMessageBox.question(
            self.w, "Open the starter design?",
            f"<p><b>{html.escape(assignment.title)}</b> comes with a starter design "
            f"(<code>{html.escape(assignment.starter.name)}</code>).</p>"
            "<p>Open it in place of the current design? Cancel keeps the current design "
            "open, and the checklist grades it.</p>",
            Button.Open | Button.Cancel, Button.Open)
        return answer == Button.Open

    def _open_starter(self, path: Path) -> str:
        """Open ``path`` as an unsaved copy after ``maybe_save``; its name, or "" when the
        user cancelled or it cannot be read (explained; the design stays)."""
        try:
            graph = load_graph(path)
        except GraphFileError as exc:
            self.w.show_open_error(path, exc)
            return ""
        if not self.w.maybe_save():
            return ""
        self.w.set_document(Document(graph), origin="starter")
        return path.name

    def rubric_error_box(self, exc: RubricError) -> QMessageBox:
        """The dialog explaining why a rubric cannot be used (not shown)."""
        name = Path(exc.path).name if exc.path else "The rubric"
        where = []
        if exc.check is not None:
            where.append(f"check <b>{html.escape(exc.check)}</b>")
        if exc.field is not None:
            where.append(f"field <b>{html.escape(exc.field)}</b>")
        text = (f"<p><b>{html.escape(name)}</b> cannot be used as a rubric:</p>"
                + (f"<p>At {', '.join(where)}:</p>" if where else "")
                + f"<p>{html.escape(exc.message)}</p>"
                "<p>Nothing was changed: your design "
                + ("and the current assignment stay" if self.assignment else "stays")
                + " open.</p>")
        box = QMessageBox(QMessageBox.Icon.Warning, "Cannot open assignment", text,
                          Button.Ok, self.w)
        box.setDetailedText(str(exc))
        return box

    def close_assignment(self) -> None:
        """Leave assignment mode (the design stays open)."""
        self.assignment = None
        self.checklist.set_rubric(None)
        self.checklist_dock.hide()

    # -- comparison -------------------------------------------------------------------------
    def compare_with(self, path=None) -> bool:
        """Ask for a design B (unless ``path``) and mark how the open design differs from
        it; a file that cannot be read is explained and changes nothing."""
        if path is None:
            doc = self.w.doc
            start = (doc.path.parent if doc is not None and doc.path is not None else
                     self.assignment.path.parent if self.assignment else LABS_DIR)
            path, _ = QFileDialog.getOpenFileName(self.w, "Compare with", str(start),
                                                  FILE_FILTER)
            if not path:
                return False
        path = Path(path)
        try:
            graph = load_graph(path)
        except GraphFileError as exc:
            self.w.show_open_error(path, exc)
            return False
        self.comparison.set_other(graph, path)
        if not self._placed:
            self._placed = True
            self.w.tabifyDockWidget(self.w.problems_dock, self.compare_dock)
        if not self.compare_dock.isVisible():
            self.compare_dock.show()
            self.w.resizeDocks([self.compare_dock], [COMPARE_HEIGHT], Qt.Orientation.Vertical)
        self.compare_dock.raise_()
        diff = self.comparison.diff
        if diff is not None:
            self.w.show_message(f"Compared with {self.comparison.name}: "
                                f"+{len(diff.added)} / \u2212{len(diff.removed)} nodes, "
                                f"{len(diff.changed)} changed", 6000)
        return True

    def clear_comparison(self) -> None:
        """Remove the comparison: its badges, ghosts and table."""
        self.comparison.clear()
        self.compare_dock.hide()

    def _on_diff(self, diff) -> None:
        c = self.comparison
        if diff is None or c.other is None:
            self.overlay.clear()
            self.table.show_diff(None, "B")
            return
        self.overlay.show(diff, c.other, c.name)
        self.table.show_diff(diff, c.name, str(c.path or ""))

    # -- selection --------------------------------------------------------------------------
    def select_nodes(self, ids: list, check_id: str = "") -> None:
        """Select ``ids`` on the canvas and bring the first into view; with none, say
        that the check is about the whole design."""
        scene = self.w.scene
        ids = [nid for nid in ids if nid in scene.nodes]
        if not ids:
            if check_id:
                self.w.show_message(f"Check {check_id} is about the whole design, not "
                                    "one node", 4000)
            return
        scene.select_nodes(ids)
        self.w.view.ensureVisible(scene.nodes[ids[0]], 60, 60)
