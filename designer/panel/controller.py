"""State and background work of the engine panel: image, seed, weights, runs.

:class:`RunController` owns what the panel's tabs share: the chosen image,
the weights (seeded random or loaded from a file), the last
:class:`~engine.runtime.RunResult`, and the single worker thread from which
every torch job is driven. The designer never imports torch, and start-up
never loads it: the first run (or the first image preview) does.

Where torch runs (an engine process by default) is :mod:`.engine_runtime`'s
business; its functions are importable from here too.

Every job takes a snapshot of the UI-side state when it is submitted; the
session is rebuilt when the graph (ignoring node positions), the seed or the
weights file differ from what it was built with, or when the engine process
that held it has stopped (it is restarted on the next job).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from ..settings_dialog import memory_limit_setting
from .engine_runtime import (
    again_after_restart,
    interchange,
    load_runtime_here,
    preload_torch_libraries,
    runtime,
    runtime_loaded,
    use_engine_process,
)
from .snapshot import SessionSpec, Spec, State, graph_key, node_params
from .worker import JobContext, JobRunner

__all__ = ["RunController", "SAMPLES_DIR", "graph_key", "runtime", "runtime_loaded",
           "use_engine_process", "load_runtime_here", "preload_torch_libraries"]

#: the bundled sample images
SAMPLES_DIR = Path(__file__).resolve().parents[2] / "resources" / "images"
DEFAULT_SAMPLE = SAMPLES_DIR / "scene.png"


class RunController(QObject):
    """Image, seed, weights and the background jobs of the engine panel.

    Signals
    -------
    busyChanged(bool)
        A job started (True) or the worker became idle (False).
    progress(str, int, int, str)
        ``(job, done, total, label)``.
    runFinished(object)
        The new :class:`~engine.runtime.RunResult`.
    inputsReady(object)
        ``{input_id: array [1, C, (D,) H, W]}``: exactly what the Inputs receive.
    imageChanged(str)
        Name of the image now in use.
    weightsChanged(str)
        One-line description of the weights (seeded, loaded file, trained).
    failed(str, str)
        ``(job, message)`` of a job that raised.
    cancelled(str)
        Name of a cancelled job.
    notice(str)
        Something the user should know that is not an error (weights dropped, ...).
    weightsSaved(str)
        The file the weights were saved to.
    """

    busyChanged = Signal(bool)
    progress = Signal(str, int, int, str)
    runFinished = Signal(object)
    inputsReady = Signal(object)
    imageChanged = Signal(str)
    weightsChanged = Signal(str)
    failed = Signal(str, str)
    cancelled = Signal(str)
    notice = Signal(str)
    weightsSaved = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.jobs = JobRunner(self)
        self.jobs.started.connect(lambda _n: self.busyChanged.emit(True))
        self.jobs.idle.connect(lambda: self.busyChanged.emit(False))
        self.jobs.progress.connect(self.progress)
        self.doc = None
        self.seed = 0
        self.weights_path: str | None = None
        self.image_path: Path | None = DEFAULT_SAMPLE
        self.image: np.ndarray | None = None  # loaded pixels (None: not loaded yet)
        self._image_token = 0
        self.result = None
        #: node id -> parameters (as in ``to_dict``) of the graph the last result ran
        self.result_params: dict[str, dict] | None = None
        self.result_state: State | None = None
        self.inputs: dict[str, np.ndarray] | None = None
        self.last_error: tuple[str, str] | None = None
        #: how far training went, when the weights file is one the Train tab wrote
        self.trained: str | None = None
        #: bumped by set_seed: the next job builds fresh random weights, even for the same seed
        self._weights_gen = 0
        # worker-thread state (touched only inside jobs)
        self._session = None
        self._session_spec: SessionSpec | None = None
        self._session_token = -1
        self._session_limit: int | None = None  # the memory limit it was built with

    # -- state -------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A job is queued or running."""
        return self.jobs.busy

    @property
    def image_name(self) -> str:
        """File name of the current image (``"image"`` when none was opened)."""
        return self.image_path.name if self.image_path is not None else "image"

    def set_document(self, doc) -> None:
        """Work on ``doc`` (results of the previous document are dropped)."""
        self.jobs.cancel()
        self.doc = doc
        self.result = None
        self.result_params = None
        self.result_state = None
        self.inputs = None

    def current_state(self) -> State | None:
        """What a run now would use: graph (positions aside), seed, weights, image."""
        if self.doc is None:
            return None
        return State(graph_key(self.doc.graph.to_dict()), self.seed, self.weights_path,
                      self._image_token, self._weights_gen)

    def node_changed_since_run(self, node_id: str) -> bool:
        """Whether ``node_id``'s parameters differ from those of the last run (or it is new)."""
        if self.result_params is None or self.doc is None or node_id not in self.doc.graph.nodes:
            return True
        return self.result_params.get(node_id) != node_params(self.doc.graph.to_dict(), node_id)

    def result_is_current(self) -> bool:
        """True when the last run used the current graph, weights and image."""
        return self.result is not None and self.result_state == self.current_state()

    def _state_of(self, spec: Spec) -> State:
        """The state a job ran with (worker side: the weights actually loaded)."""
        return State(spec.key, spec.seed, self._session_spec.weights, spec.image_token,
                      spec.weights_gen)

    @property
    def weights_modified(self) -> bool:
        """The weights are not the seed's random ones (loaded from a file, or trained)."""
        return bool(self.weights_path)

    def weights_text(self) -> str:
        """Where the weights come from, for the status line (trained, file, or seed)."""
        if self.weights_path and self.trained:
            text = f"trained ({self.trained})"
        elif self.weights_path:
            text = f"loaded from {Path(self.weights_path).name}"
        else:
            text = f"random (seed {self.seed})"
        return text

    def _spec(self) -> Spec:
        data = self.doc.graph.to_dict()
        return Spec(data, graph_key(data), self.seed, self.weights_path, self.image_path,
                     self.image, self._image_token, self._weights_gen)

    # -- jobs ---------------------------------------------------------------------------
    def cancel(self) -> None:
        """Cancel every queued or running job."""
        self.jobs.cancel()

    def shutdown(self) -> None:
        """Cancel every job, wait for the worker thread, then close the engine session."""
        if self.jobs.shutdown():
            self._drop_session()

    def _drop_session(self) -> None:
        """Forget the session (an engine process frees its model)."""
        session, self._session = self._session, None
        self._session_spec = None
        close = getattr(session, "close", None)
        if close is not None:
            close()

    def _submit(self, name: str, job, on_done=None, on_fail=None, on_cancel=None) -> bool:
        """Queue ``job(ctx, spec)`` with a snapshot of the current state.

        ``on_done(result)`` runs in the UI thread after the snapshot's notes
        (model rebuilt, weights dropped) were applied.
        """
        if self.doc is None:
            return False
        spec = self._spec()

        def done(result) -> None:
            self._notes(spec)
            if on_done is not None:
                on_done(result)

        def then(handler):  # a cancelled or failed job may have rebuilt the model too
            def call(*args) -> None:
                self._notes(spec)
                handler(*args)
            return call
        self.jobs.submit(name, lambda ctx: again_after_restart(lambda: job(ctx, spec)),
                         on_done=done,
                         on_fail=then(on_fail or self._fail(name)),
                         on_cancel=then(on_cancel or (lambda: self.cancelled.emit(name))))
        return True

    def run(self) -> bool:
        """Run the current graph on the current image; False if there is no document."""
        def job(ctx: JobContext, spec: Spec):
            session = self._ready(ctx, spec)  # imports the runtime (and torch) first
            ctx.cancel_exception = runtime().RunCancelled
            result = session.run(None, ctx.progress, keep_input=True)
            return self._state_of(spec), result, spec.graph
        return self._submit("run", job, self._run_done)

    def _run_done(self, payload) -> None:
        self._show_result(*payload)

    def _show_result(self, state: tuple, result, graph: dict) -> None:
        self.result = result
        self.result_params = {n["id"]: n.get("params", {}) for n in graph["nodes"]}
        self.result_state = state
        self.inputs = dict(result.inputs)
        self.runFinished.emit(result)

    def prepare_inputs(self, on_fail=None) -> bool:
        """Load the image if needed and compute the Input tensors (for the preview).

        Parameters
        ----------
        on_fail : callable, optional
            ``on_fail(message, traceback)`` instead of the :attr:`failed` signal.
        """
        def job(ctx: JobContext, spec: Spec):
            prepare_input = runtime().prepare_input
            image = self._pixels(spec)
            graph = self._graph(spec)
            ids = [n.id for n in graph.nodes.values() if n.type == "Input"]
            return {i: prepare_input(graph, i, image, spec.seed) for i in ids}
        return self._submit("prepare", job, self._inputs_done, on_fail=on_fail)

    def _inputs_done(self, inputs) -> None:
        self.inputs = inputs
        self.inputsReady.emit(inputs)

    def set_image(self, path) -> None:
        """Use the image file ``path``; an unreadable file keeps the current image.

        The file is read in the worker; :attr:`imageChanged` follows on success,
        :attr:`failed` (job ``"image"``) on failure.
        """
        path = Path(path)

        def job(ctx: JobContext):
            return runtime().load_image(path)

        def done(pixels) -> None:
            self.image_path = path
            self.image = pixels
            self._image_token += 1
            self.inputs = None
            self.imageChanged.emit(path.name)
        self.jobs.submit("image", job, on_done=done, on_fail=self._fail("image"))

    def set_seed(self, seed: int) -> None:
        """Seeded random weights (drops loaded weights); the next run rebuilds the model."""
        self.seed = int(seed)
        self.weights_path = None
        self.trained = None
        self._weights_gen += 1
        self.inputs = None  # Inputs fed with noise depend on the seed
        self.weightsChanged.emit(self.weights_text())

    def load_weights(self, path) -> None:
        """Load a ``.pt`` state dict (``weights_only=True``); errors keep the old weights."""
        path = str(path)

        def job(ctx: JobContext, spec: Spec):
            session = self._ready(ctx, spec)
            session.load_weights(path)
            self._session_spec = self._session_spec._replace(weights=path)
            return path

        def done(p) -> None:
            self.weights_path = p
            self.trained = None
            self.weightsChanged.emit(self.weights_text())
        self._submit("load weights", job, done)

    def save_weights(self, path) -> None:
        """Save the current weights (what the last run used) to ``path``."""
        def job(ctx: JobContext, spec: Spec):
            return self._ready(ctx, spec).save_weights(path)
        self._submit("save weights", job, lambda p: self.weightsSaved.emit(str(p)))

    def use_trained(self, path, text: str) -> None:
        """Make trained weights (a file the Train tab wrote) the current weights.

        ``text`` says how far training went (for the status line); the next
        job loads the file, so the tabs show what the network learned.
        """
        self.weights_path = str(path)
        self.trained = text
        self.weightsChanged.emit(self.weights_text())

    def effective_rf(self, node_id: str, index, input_id: str | None, on_done,
                     on_fail=None) -> None:
        """Compute the effective receptive field of ``index`` of ``node_id`` in the worker."""
        self.jobs.cancel("erf")  # only the latest request matters

        def job(ctx: JobContext, spec: Spec):
            session = self._ready(ctx, spec)
            ctx.check()
            return session.effective_rf(node_id, tuple(index), input_id)
        self._submit("erf", job, on_done, on_fail=on_fail, on_cancel=lambda: None)

    def verify(self, code: str, on_done, on_fail) -> None:
        """Run ``code`` (exported PyTorch) against the engine on the current input."""
        def job(ctx: JobContext, spec: Spec):
            return self._ready(ctx, spec).verify_export(code)
        self._submit("verify", job, on_done, on_fail=on_fail)

    # -- import and ONNX export (engine.interchange.jobs, in the engine process) ----------
    def import_model(self, source: str, input_shape, weights_path: str | None, on_done,
                     on_fail, on_cancel=None) -> None:
        """Import a model in the worker (``interchange().import_model``): plain data back.

        ``on_done(result)`` gets the job's dict (``graph``, ``report``, ``summary``,
        ``weights_path``); ``on_fail(message, traceback)`` a one-line message naming what
        is wrong. Nothing of the open document changes here.
        """
        def job(ctx: JobContext):
            if not runtime_loaded():
                ctx.progress(0, 0, "loading PyTorch")
            ctx.progress(0, 0, f"importing {source}")
            return interchange().import_model(source, input_shape, weights_path)
        self.jobs.submit("import", job, on_done=on_done, on_fail=on_fail,
                         on_cancel=on_cancel or (lambda: self.cancelled.emit("import")))

    def use_imported_weights(self, path: str) -> None:
        """Make the weights file an import wrote the current weights (the next run loads it)."""
        self.weights_path = str(path)
        self.trained = None
        self.inputs = None
        self.weightsChanged.emit(self.weights_text())

    def export_onnx(self, path: str, on_done, on_fail) -> bool:
        """Write the current graph with the current weights (file or seed) to ONNX.

        The weights are the current file (imported or trained) or the seed's.
        """
        def job(ctx: JobContext, spec: Spec):
            if not runtime_loaded():
                ctx.progress(0, 0, "loading PyTorch")
            ctx.progress(0, 0, "exporting ONNX")
            return interchange().export_onnx(spec.graph, str(path), spec.weights, spec.seed)
        return self._submit("export onnx", job, on_done, on_fail=on_fail)

    # -- worker side ----------------------------------------------------------------------
    def _fail(self, job: str):
        def handler(message: str, tb: str) -> None:
            self.last_error = (job, message)
            self.failed.emit(job, message)
        return handler

    def _notes(self, spec: Spec) -> None:
        """UI-side consequences of what a job found (model rebuilt, weights dropped)."""
        for note in spec.notes:
            self.notice.emit(note)
        if spec.dropped and self.weights_path == spec.weights:
            self.weights_path = None
            self.trained = None
            self.weightsChanged.emit(self.weights_text())

    @staticmethod
    def _graph(spec: Spec):
        from engine import Graph
        return Graph.from_dict(spec.graph)

    def _pixels(self, spec: Spec):
        """The image pixels (loaded in the worker the first time)."""
        if spec.image is not None or spec.image_path is None:
            return spec.image
        pixels = runtime().load_image(spec.image_path)
        if self.image is None and spec.image_path == self.image_path:
            self.image = pixels  # plain attribute store; read by later specs
        return pixels

    def _ready(self, ctx: JobContext, spec: Spec):
        """The session for ``spec`` (rebuilt if needed) with the current image as input."""
        if not runtime_loaded() and ctx.name == "run":
            ctx.progress(0, 1, "loading PyTorch")
        rt = runtime()
        want = SessionSpec(spec.key, spec.seed, spec.weights, spec.weights_gen)
        limit = memory_limit_setting()  # Edit > Memory Limit…
        if self._session is None or self._session_spec != want or \
                not getattr(self._session, "alive", True) or self._session_limit != limit:
            if ctx.name == "run":
                ctx.progress(0, 1, "building the model")
            self._drop_session()
            session = rt.Session(spec.graph, spec.seed, memory_limit=limit)
            self._session_limit = limit
            loaded = None
            if spec.weights is not None:
                try:
                    session.load_weights(spec.weights)
                    loaded = spec.weights
                except rt.WeightsError as exc:
                    spec.dropped = True
                    spec.notes.append(f"The weights file no longer fits the graph, using "
                                      f"random weights (seed {spec.seed}): {exc}")
            self._session = session
            self._session_spec = SessionSpec(spec.key, spec.seed, loaded, spec.weights_gen)
            self._session_token = -1
            spec.rebuilt = True
        if self._session_token != spec.image_token:
            self._session.set_input(self._pixels(spec))
            self._session_token = spec.image_token
        return self._session

    # -- convenience for the panel -----------------------------------------------------
    def activation(self, node_id: str) -> Any:
        """The last run's activation of ``node_id`` (None if it has none)."""
        if self.result is None:
            return None
        return self.result.activations.get(node_id)
