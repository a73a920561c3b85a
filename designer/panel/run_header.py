"""The engine panel's header: Run, Cancel, the progress bar, Auto-run and the status line.

:class:`RunHeader` only shows what the panel tells it. The progress bar is
throttled: ``QProgressBar.setValue`` repaints synchronously, so at most ~25
updates a second are shown and the UI thread stays free while the worker runs.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from designer.look import ERROR, span

from . import fmt

__all__ = ["RunHeader"]

#: interval of the progress bar's updates while a job reports progress
PROGRESS_INTERVAL_MS = 40


class RunHeader(QWidget):
    """Run and Cancel buttons, a progress bar, the Auto-run box, the status line below."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.run_button = QPushButton("▶  Run")
        self.run_button.setToolTip("Run the network on the image (Ctrl+R)")
        self.run_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.progress.setMinimumWidth(120)
        self.auto_run = QCheckBox("Auto-run")
        self.auto_run.setToolTip("Run again shortly after every change of the graph, the "
                                 "weights or the image")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        row = QHBoxLayout()
        row.addWidget(self.run_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.progress, 1)
        row.addWidget(self.auto_run)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        lay.addLayout(row)
        lay.addWidget(self.status)
        self._pending: tuple[int, int, str] | None = None
        self.progress_timer = QTimer(self)
        self.progress_timer.setInterval(PROGRESS_INTERVAL_MS)
        self.progress_timer.timeout.connect(self._show_progress)

    # -- status line -------------------------------------------------------------------
    def set_status(self, html: str, error: bool = False) -> str:
        """Show ``html`` (red for an error); returns it as plain text (also the tooltip)."""
        self.status.setText(span(html, ERROR) if error else html)
        plain = fmt.plain(html)
        self.status.setToolTip(plain)
        return plain

    def status_text(self) -> str:
        """The status line as plain text."""
        return fmt.plain(self.status.text())

    def status_html(self) -> str:
        """The status line as shown (rich text)."""
        return self.status.text()

    # -- progress ----------------------------------------------------------------------
    def start(self, text: str) -> None:
        """A job started: a busy bar reading ``text``."""
        self.progress.setRange(0, 0)
        self.progress.setFormat(text)

    def report(self, done: int, total: int, label: str) -> None:
        """Progress of the running job (shown at most every :data:`PROGRESS_INTERVAL_MS`)."""
        first = self._pending is None
        self._pending = (done, total, label)
        if first and not self.progress_timer.isActive():
            self._show_progress()
            self.progress_timer.start()

    def _show_progress(self) -> None:
        if self._pending is None:
            self.progress_timer.stop()
            return
        done, total, label = self._pending
        self._pending = None
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{label} ({done}/{total})" if total > 1 else label)

    def _drop_pending(self) -> None:
        self.progress_timer.stop()
        self._pending = None

    def finish(self, text: str) -> None:
        """The job ended with results: a full bar reading ``text``."""
        self._drop_pending()
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.progress.setFormat(text)

    def stop(self, text: str) -> None:
        """The job ended without results (``"failed"``, ``"cancelled"``)."""
        self._drop_pending()
        self.progress.setFormat(text)

    def set_busy(self, busy: bool, done: bool) -> None:
        """A job is queued or running (Cancel enabled); idle, the bar rests full if the
        last run is ``done``, else empty."""
        self.cancel_button.setEnabled(busy)
        if not busy:
            self._drop_pending()
            self.progress.setRange(0, 1)
            self.progress.setValue(1 if done else 0)
            if not done:
                self.progress.setFormat("")
