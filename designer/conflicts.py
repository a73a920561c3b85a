"""The open file and other writers: watch it, and never overwrite their changes silently.

:class:`DiskWatch` is a mixin of :class:`~designer.window.MainWindow` (next to
:class:`~designer.file_actions.FileActions`). The document keeps the
:func:`~designer.files.fingerprint` of its file as it last read or wrote it.

* A ``QFileSystemWatcher`` follows the file and its folder (an atomic save
  replaces the file, so the folder tells when it comes back). When the file
  differs from the fingerprint: with no unsaved edits the window offers to
  reload it; with unsaved edits it says so in the status bar, and Save asks.
* Save of a file that changed on disk asks (:meth:`DiskWatch.save_conflict`):
  Overwrite, Save As, or Reload and Merge (:mod:`designer.merge`: the unsaved
  undo steps are re-applied to the file's new version; those the engine
  refuses are listed).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QFileSystemWatcher, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from designer.document import Document
from designer.files import fingerprint
from designer.merge import replay, unsaved_steps
from engine import GraphFileError, load_graph

__all__ = ["DiskWatch", "DISK_SETTLE_MS"]

#: a change on disk is looked at this long after the last notification (a writer
#: may take several steps)
DISK_SETTLE_MS = 250
#: the most skipped steps a merge report lists in its text (all are in its details)
REPORT_LINES = 12
Button = QMessageBox.StandardButton


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class DiskWatch:
    """Watch the open file; resolve save conflicts (a mixin of the main window)."""

    def _init_disk_watch(self) -> None:
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._disk_touched)
        self._watcher.directoryChanged.connect(self._disk_touched)
        self._disk_timer = QTimer(self)
        self._disk_timer.setSingleShot(True)
        self._disk_timer.setInterval(DISK_SETTLE_MS)
        self._disk_timer.timeout.connect(self.check_disk)
        self._disk_seen: str | None = None  # the disk version already told about
        self._asking = False

    def _watch_path(self, *_args) -> None:
        """Follow the document's file (and its folder) instead of the previous one."""
        watched = self._watcher.files() + self._watcher.directories()
        if watched:
            self._watcher.removePaths(watched)
        self._disk_seen = None
        path = self.doc.path if self.doc is not None else None
        if path is None:
            return
        for target in (path, path.parent):
            if target.exists():
                self._watcher.addPath(str(target))

    def _disk_touched(self, *_args) -> None:
        self._disk_timer.start()

    def disk_changed(self) -> bool:
        """Whether the document's file on disk differs from the one it read or wrote
        (a missing file is no conflict: saving writes it again)."""
        doc = self.doc
        if doc is None or doc.path is None:
            return False
        disk = fingerprint(doc.path)
        return disk is not None and disk != doc.fingerprint

    def check_disk(self) -> None:
        """Look at the file after a change notification: offer to reload it when the
        document has no unsaved edits, else say that Save will ask."""
        doc = self.doc
        if doc is None or doc.path is None:
            return
        path = doc.path
        if str(path) not in self._watcher.files() and path.exists():
            self._watcher.addPath(str(path))  # replaced by a rename: watch the new file
        if self._asking or QApplication.activeModalWidget() is not None:
            self._disk_timer.start()  # not over another dialog: look again later
            return
        disk = fingerprint(path)
        if disk is None or disk == doc.fingerprint or disk == self._disk_seen:
            return
        self._disk_seen = disk
        if doc.dirty:
            self.show_message(f"{path.name} was changed by another program or window; "
                              "Save will ask whether to overwrite, save as or merge", 15000)
            return
        self._asking = True
        try:
            answer = QMessageBox.question(
                self, "File changed on disk",
                f"<p><b>{_esc(path.name)}</b> was changed by another program or window."
                "</p><p>You have no unsaved changes. Reload it to see the new version?</p>",
                Button.Yes | Button.No, Button.Yes)
        finally:
            self._asking = False
        if answer == Button.Yes and self.doc is doc and not doc.dirty:
            self.reload_from_disk()

    def reload_from_disk(self) -> bool:
        """Open the document's file again (its unsaved edits are dropped)."""
        path = self.doc.path
        print_ = fingerprint(path)  # before reading: a later change then shows as one
        try:
            graph = load_graph(path)
        except GraphFileError as exc:
            self.show_open_error(path, exc)
            return False
        self.set_document(Document(graph, path, fingerprint=print_))
        self.show_message(f"Reloaded {path.name}: {len(graph)} nodes", 6000)
        return True

    # -- save conflicts ------------------------------------------------------------
    def conflict_box(self) -> QMessageBox:
        """The question of :meth:`save_conflict` (not shown). Its buttons are named
        ``overwrite``, ``saveAs``, ``merge`` and ``cancel``."""
        doc = self.doc
        path = doc.path
        try:
            when = time.strftime("%H:%M:%S", time.localtime(path.stat().st_mtime))
        except OSError:
            when = ""
        steps = unsaved_steps(doc.undo_stack)
        count = len(steps) if steps is not None else 0
        text = (f"<p><b>{_esc(path.name)}</b> was changed on disk"
                + (f" at {when}" if when else "") + " by another program or window "
                "since you opened or last saved it.</p>"
                "<p><b>Overwrite</b> replaces those changes with your version. "
                "<b>Save As</b> writes your version to another file. "
                f"<b>Reload and Merge</b> reads the file again and re-applies your "
                f"{count} unsaved edit{'s' * (count != 1)} on top, then shows what did not "
                "apply.</p>")
        box = QMessageBox(QMessageBox.Icon.Warning, "File changed on disk", text,
                          Button.NoButton, self)
        overwrite = box.addButton("Overwrite", QMessageBox.ButtonRole.DestructiveRole)
        save_as = box.addButton("Save As…", QMessageBox.ButtonRole.AcceptRole)
        merge = box.addButton("Reload and Merge", QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(Button.Cancel)
        for button, name in ((overwrite, "overwrite"), (save_as, "saveAs"), (merge, "merge"),
                             (cancel, "cancel")):
            button.setObjectName(name)
        if steps is None:
            merge.setEnabled(False)
            box.setInformativeText("Merging is not available: the undo history does not "
                                   "hold all of your unsaved changes (restored work, or "
                                   "new edits after undoing past the save).")
        box.setDefaultButton(merge if steps is not None else save_as)
        box.setEscapeButton(cancel)
        return box

    def save_conflict(self) -> bool:
        """Ask what to do with a file that changed on disk; True when it was saved."""
        box = self.conflict_box()
        box.exec()
        clicked = box.clickedButton()
        choice = clicked.objectName() if clicked is not None else "cancel"
        if choice == "overwrite":
            return self._write(self.doc.path)
        if choice == "saveAs":
            return self.save_as()
        if choice == "merge":
            self.reload_and_merge()
            return False  # the merged design is shown unsaved, to be reviewed
        return False

    def reload_and_merge(self) -> bool:
        """Reload the file and re-apply this window's unsaved edits on top.

        The merged document is unsaved; a dialog lists the steps that were
        skipped (with the engine's reason) and the new nodes that got a new id.
        Returns False (design unchanged) when the file cannot be read or the
        unsaved edits are not known.
        """
        doc = self.doc
        path = doc.path
        steps = unsaved_steps(doc.undo_stack)
        if steps is None:
            QMessageBox.warning(self, "Reload and merge", "<p>Your unsaved changes are not "
                                "all in the undo history, so they cannot be re-applied. "
                                "Use Save As to keep your version.</p>")
            return False
        print_ = fingerprint(path)
        try:
            graph = load_graph(path)
        except GraphFileError as exc:
            self.show_open_error(path, exc)
            return False
        merged = Document(graph, path, fingerprint=print_)
        report = replay(merged.undo_stack, merged.graph, steps)
        self.set_document(merged)
        done = len(report.applied)
        summary = (f"Reloaded {path.name} and re-applied {done} of your {len(steps)} "
                   f"unsaved edit{'s' * (len(steps) != 1)}")
        self.show_message(summary + "; review and save", 10000)
        if report.skipped or report.renamed:
            self.merge_report_box(summary, report).exec()
        return True

    def merge_report_box(self, summary: str, report) -> QMessageBox:
        """The dialog that lists what a merge skipped or renamed (not shown)."""
        text = f"<p>{_esc(summary)}.</p>"
        details = []
        if report.skipped:
            text += "<p>Not re-applied: the file's new version refuses them:</p><ul>"
            for step, reason in report.skipped[:REPORT_LINES]:
                text += f"<li><b>{_esc(step)}</b>: {_esc(reason)}</li>"
            more = len(report.skipped) - REPORT_LINES
            text += "</ul>" + (f"<p>… and {more} more (see details).</p>" if more > 0 else "")
            details += [f"skipped: {step}: {reason}" for step, reason in report.skipped]
        if report.renamed:
            pairs = ", ".join(f"{old} → {new}" for old, new in report.renamed[:REPORT_LINES])
            text += (f"<p>New nodes renamed (the file now has nodes with their ids): "
                     f"{_esc(pairs)}.</p>")
            details += [f"renamed: {old} -> {new}" for old, new in report.renamed]
        text += "<p>The merged design is not saved yet: review it and save.</p>"
        box = QMessageBox(QMessageBox.Icon.Information, "Merged with the file on disk", text,
                          Button.Ok, self)
        box.setDetailedText("\n".join(details))
        return box
