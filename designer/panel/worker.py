"""Background jobs for the engine panel: one worker thread, cancellable, with progress.

Everything that touches torch (building the model, running it, gradients,
loading weights) runs in the single thread of a private
:class:`QThreadPool`, so jobs never overlap and the model is only ever used
from one thread. Results and errors come back to the UI thread as queued
signals of :class:`JobRunner`, which lives in the UI thread.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QEventLoop, QObject, QThreadPool, QTimer, Signal

__all__ = ["JobRunner", "JobContext", "Cancelled"]


class Cancelled(Exception):
    """Raised by :meth:`JobContext.progress` when no runtime exception class is set."""


@dataclass
class JobContext:
    """What a job function receives: progress reporting and cancellation.

    Attributes
    ----------
    name : str
        The job's name (``"run"``, ``"fit"``, ...).
    cancel_exception : type
        Exception raised by :meth:`progress` once the job is cancelled; a job
        sets it to the runtime's ``RunCancelled`` so that the runtime's own
        callbacks stop the computation.
    """

    name: str
    emit: Callable = field(repr=False)
    event: threading.Event = field(default_factory=threading.Event, repr=False)
    cancel_exception: type = Cancelled
    on_done: Callable | None = field(default=None, repr=False)
    on_fail: Callable | None = field(default=None, repr=False)
    on_cancel: Callable | None = field(default=None, repr=False)

    @property
    def cancelled(self) -> bool:
        """Cancel was asked for (the job stops at its next :meth:`progress`)."""
        return self.event.is_set()

    def progress(self, done: int, total: int, label: str = "") -> None:
        """Report progress; raises :attr:`cancel_exception` when cancelled."""
        if self.event.is_set():
            raise self.cancel_exception("cancelled")
        self.emit(self.name, int(done), int(total), str(label))

    def check(self) -> None:
        """Raise :attr:`cancel_exception` if the job was cancelled."""
        if self.event.is_set():
            raise self.cancel_exception("cancelled")


class JobRunner(QObject):
    """Runs one job at a time in a worker thread.

    Signals (all delivered in the UI thread)
    -------
    started(str)
        Name of a job that begins.
    progress(str, int, int, str)
        ``(name, done, total, label)``.
    finished(str, object)
        Name and return value of a job that succeeded.
    failed(str, str, str)
        Name, one-line message and traceback of a job that raised.
    cancelled(str)
        Name of a job stopped by :meth:`cancel`.
    idle()
        No job is running any more.
    """

    started = Signal(str)
    progress = Signal(str, int, int, str)
    finished = Signal(str, object)
    failed = Signal(str, str, str)
    cancelled = Signal(str)
    idle = Signal()
    _outcome = Signal(object, str, object)  # (context, kind, payload), worker -> UI thread

    def __init__(self, parent=None):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pool.setExpiryTimeout(-1)  # keep the thread: torch state stays warm
        self._lock = threading.Lock()
        self._jobs: list[JobContext] = []
        self.current: JobContext | None = None
        self._outcome.connect(self._deliver)

    @property
    def busy(self) -> bool:
        """True while a job is queued or running."""
        with self._lock:
            return bool(self._jobs)

    def pending(self, name: str) -> bool:
        """True if a job called ``name`` is queued or running."""
        with self._lock:
            return any(j.name == name and not j.cancelled for j in self._jobs)

    def submit(self, name: str, fn: Callable[[JobContext], object],
               on_done: Callable[[object], None] | None = None,
               on_fail: Callable[[str, str], None] | None = None,
               on_cancel: Callable[[], None] | None = None) -> JobContext:
        """Queue ``fn(context)`` for the worker thread; returns the context.

        Parameters
        ----------
        name : str
            Name reported by the signals.
        fn : callable
            Runs in the worker thread; its return value is sent by :attr:`finished`.
            It must not touch widgets.
        on_done, on_fail, on_cancel : callable, optional
            Called in the UI thread with the result, with ``(message, traceback)``,
            or with no argument, before the corresponding signal is emitted.
        """
        ctx = JobContext(name, self.progress.emit, on_done=on_done, on_fail=on_fail,
                         on_cancel=on_cancel)
        with self._lock:
            self._jobs.append(ctx)
        self._pool.start(lambda: self._execute(ctx, fn))
        return ctx

    def cancel(self, name: str | None = None) -> None:
        """Cancel the queued and running jobs (those called ``name``, or all)."""
        with self._lock:
            for j in self._jobs:
                if name is None or j.name == name:
                    j.event.set()

    def wait(self, timeout_s: float, until: Callable[[], bool] | None = None) -> bool:
        """Process events until ``until()`` is true (default: no job left) or time is up.

        Returns
        -------
        bool
            True if the condition was met within ``timeout_s`` seconds.
        """
        done = until or (lambda: not self.busy)
        deadline = time.monotonic() + timeout_s
        while not done() and time.monotonic() < deadline:
            loop = QEventLoop()
            self.idle.connect(loop.quit)
            QTimer.singleShot(20, loop.quit)
            loop.exec()
            self.idle.disconnect(loop.quit)
        return done()

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        """Cancel everything and wait for the worker thread to finish (True if it did)."""
        self.cancel()
        return self._pool.waitForDone(int(timeout_s * 1000))

    # -- worker thread ---------------------------------------------------------------
    def _execute(self, ctx: JobContext, fn) -> None:
        self.current = ctx
        kind, payload = "cancelled", None
        try:
            if not ctx.cancelled:
                self.started.emit(ctx.name)
                result = fn(ctx)
                if not ctx.cancelled:
                    kind, payload = "finished", result
        except BaseException as exc:  # noqa: BLE001 - every failure goes to the UI
            if not (ctx.cancelled or isinstance(exc, ctx.cancel_exception)):
                msg = str(exc) or type(exc).__name__
                kind, payload = "failed", (msg, traceback.format_exc())
        finally:
            self.current = None
        # the job leaves the queue in the UI thread (_deliver), so `busy` stays true
        # until its callbacks have run
        try:
            self._outcome.emit(ctx, kind, payload)
        except RuntimeError:  # the worker was deleted meanwhile (its window closed):
            pass  # no one is left to tell

    # -- UI thread ---------------------------------------------------------------------
    def _deliver(self, ctx: JobContext, kind: str, payload) -> None:
        with self._lock:
            if ctx in self._jobs:
                self._jobs.remove(ctx)
        try:
            if kind == "finished":
                if ctx.on_done is not None:
                    ctx.on_done(payload)
                self.finished.emit(ctx.name, payload)
            elif kind == "failed":
                if ctx.on_fail is not None:
                    ctx.on_fail(*payload)
                self.failed.emit(ctx.name, *payload)
            else:
                if ctx.on_cancel is not None:
                    ctx.on_cancel()
                self.cancelled.emit(ctx.name)
        finally:
            if not self.busy:
                self.idle.emit()
