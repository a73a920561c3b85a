"""One training run of the Train tab, driven off the UI thread through an engine process.

:class:`TrainingRun` owns a worker thread (a :class:`~designer.panel.worker.JobRunner`
of its own, so the panel's runs go on while it trains) and an engine process of
its own (:class:`engine.runtime.remote.EngineProcess`): torch trains there
(:mod:`engine.runtime.train_job`) and the designer never imports it (where there is
no engine process, ``CONVCANVAS_ENGINE_PROCESS=0``, the same job runs in the worker
thread, as the panel's runs then do). The worker
thread only waits on the process's socket; each progress report (a plain dict of
numbers and numpy arrays) is re-emitted to the UI thread as :attr:`report`.

Pause and Stop are flags read by the worker thread at each report: it tells the
engine process to pause (and blocks until Resume or Stop) or to stop. A stopped
run still answers, with the weights it reached (:attr:`finished`).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

__all__ = ["TrainingRun"]


class TrainingRun(QObject):
    """Start, pause, resume and stop training; reports arrive in the UI thread.

    Signals
    -------
    report(object)
        A progress report (dict: ``phase``, ``epoch``, ``epochs``, ``step``,
        ``steps``, ``loss``, ``metrics``, ``message``; after an epoch also
        ``weights``, ``confusion``, ``classes``, ``task``, ``images``,
        ``truth``, ``pred``).
    finished(object)
        ``{"result": TrainResult (no weights), "weights": path}``, also after Stop.
    failed(str)
        One-line message of a run that could not train.
    stateChanged(str)
        ``"running"``, ``"paused"``, ``"stopping"`` or ``"idle"``.
    """

    report = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    stateChanged = Signal(str)

    def __init__(self, parent=None):
        # imported here: designer.panel imports this package (its Train tab)
        from designer.panel.worker import JobRunner

        super().__init__(parent)
        self.jobs = JobRunner(self)
        self.state = "idle"
        self._process = None
        self._pause = threading.Event()
        self._stop = threading.Event()
        self._root: Path | None = None  # temporary folder of this session's weights
        self._runs = 0

    # -- UI thread -----------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A run is starting, training, paused or stopping."""
        return self.state != "idle"

    def start(self, graph: dict, data: str, config, weights: str | None = None) -> bool:
        """Train ``graph`` (a ``Graph.to_dict``) on ``data`` with ``config`` (TrainConfig).

        ``weights``: a weights file to start from (else the seed's random weights).
        False when a run is already going on.
        """
        if self.busy:
            return False
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="convcanvas-train-"))
        self._runs += 1
        out = self._root / f"run-{self._runs}"
        self._pause.clear()
        self._stop.clear()

        def job(_ctx):
            from designer.panel.engine_runtime import use_engine_process

            if not use_engine_process():
                return self._train_here(graph, data, config, weights, out)
            from engine.runtime.remote import EngineProcess, RemoteRuntime

            if self._process is None:
                self._process = EngineProcess()
                atexit.register(self._process.close)
            return RemoteRuntime(self._process).train(graph, data, config, out,
                                                      weights=weights, callback=self._steer)
        self._set_state("running")
        self.jobs.submit("train", job, on_done=self._done, on_fail=self._fail,
                         on_cancel=lambda: self._set_state("idle"))
        return True

    def pause(self) -> None:
        """Pause at the next step (the engine process waits; the time is not counted)."""
        if self.state == "running":
            self._pause.set()
            self._set_state("paused")

    def resume(self) -> None:
        """Go on after :meth:`pause`."""
        if self.state == "paused":
            self._pause.clear()
            self._set_state("running")

    def stop(self) -> None:
        """Stop at the next step, keeping the weights reached (:attr:`finished` follows)."""
        if self.state in ("running", "paused"):
            self._stop.set()
            self._set_state("stopping")

    def shutdown(self, timeout_s: float = 5.0) -> None:
        """Stop, wait for the worker, close the engine process, remove the temporary files.

        Save what should be kept first: the weights files go with the folder.
        """
        self._stop.set()
        self._pause.clear()
        self.jobs.shutdown(timeout_s)
        if self._process is not None:
            self._process.close()
            self._process = None
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)

    def _done(self, answer) -> None:
        self._set_state("idle")
        self.finished.emit(answer)

    def _fail(self, message: str, _tb: str) -> None:
        self._set_state("idle")
        self.failed.emit(message)

    # -- worker thread -------------------------------------------------------------------
    def _train_here(self, graph, data, config, weights, out) -> dict:
        """Without an engine process: train in this worker thread (torch loaded here, as
        the panel's runs then are), pausing and stopping in the job's own callback."""
        from designer.panel.engine_runtime import load_runtime_here

        load_runtime_here()
        from engine.runtime.errors import RunCancelled
        from engine.runtime.train_job import train_for_client

        def check() -> None:
            while self._pause.is_set() and not self._stop.is_set():
                self._stop.wait(0.05)
            if self._stop.is_set():
                raise RunCancelled("stopped")
        return train_for_client(graph, data, config, weights, out, self.report.emit, check)

    def _steer(self, report: dict) -> None:
        """Called for each report: hand it to the UI thread, then pause or stop."""
        self.report.emit(report)
        tell = self._process.tell
        if self._stop.is_set():  # a second cancel is read as a late one, and ignored
            tell(("cancel",))
            return
        if self._pause.is_set():
            tell(("pause",))
            while self._pause.is_set() and not self._stop.is_set():
                self._stop.wait(0.05)
            tell(("cancel",) if self._stop.is_set() else ("resume",))
