"""The client side of the engine process (torch-free): start it, call it, mirror ``Session``.

:class:`EngineProcess` starts the child (:mod:`.process`) on first use
and restarts it if it died, and :class:`RemoteRuntime` offers what the
designer's jobs use of :mod:`engine.runtime` (``Session``, ``prepare_input``,
``load_image``, the exceptions) with the same signatures. Calls are
synchronous and serialised (one lock per process). A ``callback`` (progress of
``Session.run``, ``fit_offsets`` or :meth:`RemoteRuntime.train`) is called in
the calling thread for every progress message; when it raises, the child is told
to cancel (its own callback then raises :class:`~engine.runtime.errors.RunCancelled`) and the
callback's exception is raised once the child has stopped.

:class:`RemoteSession` mirrors :class:`~engine.runtime.run.Session` method by
method (``tests/test_remote_session.py`` checks the signatures and the
results). The child's side is :mod:`.process`, the messages :mod:`.wire`.

Only Linux/POSIX (the socket is passed as an inherited file descriptor);
:func:`available` says whether this module can be used.
"""

from __future__ import annotations

import atexit
import itertools
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from . import images
from .errors import ImageError, MemoryLimitError, RunCancelled, RuntimeGraphError, WeightsError
from .wire import recv, send

__all__ = ["EngineProcess", "EngineProcessError", "EngineRestarted", "RemoteRuntime",
           "RemoteSession", "available", "shared_process", "torch_thread_defaults",
           "INTERCHANGE_FUNCTIONS"]

#: the import and ONNX-export jobs of :mod:`engine.interchange.jobs` a client may call
INTERCHANGE_FUNCTIONS = frozenset({"import_model", "export_onnx"})

#: socket buffer size asked for (the kernel may cap it: net.core.wmem_max/rmem_max)
SOCKET_BUFFER = 4 << 20


class EngineProcessError(RuntimeError):
    """The engine process could not start or stopped unexpectedly."""


class EngineRestarted(EngineProcessError):
    """The engine process had stopped, idle, before it took a request of a session.

    Nothing of the request ran; the process is started again by the next request,
    but the session it held is gone: build it again and repeat the request
    (the designer's jobs do, :func:`designer.panel.engine_runtime.again_after_restart`).
    """


def torch_thread_defaults() -> dict[str, str]:
    """Environment for torch beside a UI: a core left to the UI thread, idle threads sleep.

    ``OMP_NUM_THREADS`` = cores − 1 (at least 1), ``OMP_WAIT_POLICY=PASSIVE``; set
    with ``setdefault`` so that the user's own settings win.
    """
    return {"OMP_WAIT_POLICY": "PASSIVE",
            "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 2) - 1))}


def available() -> bool:
    """Whether a child process can serve the runtime here (POSIX)."""
    return os.name == "posix" and hasattr(socket, "socketpair")


class EngineProcess:
    """A child process serving :mod:`engine.runtime` (started on first use).

    Parameters
    ----------
    env : dict, optional
        Extra environment variables of the child (they override inherited
        ones). By default torch's OpenMP threads sleep when idle and leave one
        core to the designer (``OMP_WAIT_POLICY=PASSIVE``, ``OMP_NUM_THREADS``
        = cores - 1) unless the environment already sets them.
    """

    def __init__(self, env: dict[str, str] | None = None):
        self.env = dict(env or {})
        self._lock = threading.RLock()
        self._proc: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self.generation = 0  # bumped at every (re)start: sessions of older ones are gone
        self.ready = False  # the running child has answered (it has loaded torch)
        self._ids = itertools.count(1)
        self._drops: list[tuple[int, int]] = []  # sessions to free (see drop_session)
        self._closing = False  # close() is killing the child: a request must not restart it

    @property
    def alive(self) -> bool:
        """Whether the child process is running."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The child's process id; None when there is none (not started, closed, or died)."""
        return self._proc.pid if self._proc is not None else None

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        for key, value in torch_thread_defaults().items():
            env.setdefault(key, value)
        root = str(Path(__file__).resolve().parents[2])  # where `engine` is importable
        paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        env["PYTHONPATH"] = os.pathsep.join([root, *[p for p in paths if p != root]])
        env.update(self.env)
        return env

    def start(self) -> None:
        """Start the child if it is not running (returns at once; it loads torch)."""
        with self._lock:
            if self.alive:
                return
            self._close_connection()
            ours, theirs = socket.socketpair()
            for end in (ours, theirs):  # a run's arrays cross in fewer, larger writes
                for opt in (socket.SO_SNDBUF, socket.SO_RCVBUF):
                    try:
                        end.setsockopt(socket.SOL_SOCKET, opt, SOCKET_BUFFER)
                    except OSError:
                        pass
            try:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "engine.runtime.process", str(theirs.fileno())],
                    pass_fds=(theirs.fileno(),), env=self._child_env(), stdin=subprocess.DEVNULL)
            except OSError as exc:
                ours.close()
                raise EngineProcessError(f"cannot start the engine process: {exc}") from None
            finally:
                theirs.close()
            self._conn = Connection(ours.detach())
            self.generation += 1
            self.ready = False

    def _close_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
            self._conn = None

    def close(self, timeout_s: float = 5.0) -> None:
        """Ask the child to exit (then kill it); a later call starts a new one.

        If a request is still waiting for the child after ``timeout_s`` (a
        child that hangs), the child is killed first: the request then fails
        and closing goes on.
        """
        if not self._lock.acquire(timeout=timeout_s):
            self._closing = True
            proc = self._proc
            if proc is not None and proc.poll() is None:
                proc.kill()
            if not self._lock.acquire(timeout=timeout_s):
                self._closing = False
                return
        try:
            self._close_locked(timeout_s)
        finally:
            self._closing = False
            self._lock.release()

    def _close_locked(self, timeout_s: float) -> None:
        proc, self._proc = self._proc, None
        self.ready = False
        if proc is not None and proc.poll() is None:
            try:
                send(self._conn, ("exit",))
            except (OSError, ValueError):
                pass
        self._close_connection()
        if proc is not None:
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def _died(self) -> EngineProcessError:
        proc = self._proc
        code = proc.poll() if proc is not None else None
        if proc is not None and code is None:
            proc.kill()
            code = proc.wait()
        self._proc = None
        self.ready = False
        self._close_connection()
        how = "was killed" if code is not None and code < 0 else f"exited with status {code}"
        return EngineProcessError(f"the engine process stopped unexpectedly ({how}); "
                                  "the next job starts a new one")

    def request(self, message: tuple, callback: Callable | None = None, *,
                generation: int | None = None) -> Any:
        """Send one request and wait for its answer, calling ``callback`` on progress.

        The child acknowledges every request (``"taken"``) before it works on it.
        If it had stopped while idle (a working process that died before it took
        the request: between two jobs, or a moment before this one), a request of
        no session (building one, a function) is sent once more to a new process;
        one of a session (``generation``: the process generation that holds it)
        raises :class:`EngineRestarted`, as it does when the process was restarted
        since that session was built.
        """
        with self._lock:
            for attempt in (0, 1):
                self.start()
                if generation is not None and generation != self.generation:
                    raise EngineRestarted("the engine process that held this model had "
                                          "stopped; it was started again: build the model "
                                          "again")
                was_ready = self.ready
                answer = self._exchange(message, callback)
                if answer is not None:
                    break
                # the child had stopped before it took the request
                died = self._died()
                if self._closing:
                    raise died
                if generation is not None and was_ready:
                    raise EngineRestarted("the engine process stopped unexpectedly before it "
                                          "took the request; the next request starts a new "
                                          "one: build the model again")
                if attempt or not was_ready:  # a child that never answered: no retry
                    raise died
            kind, rest = answer
            self.ready = True
            if kind == "ok":
                return rest[0]
            exc, tb = rest
            if tb:
                exc.add_note(f"in the engine process (pid {self.pid}):\n{tb}")
            raise exc

    def _exchange(self, message: tuple, callback: Callable | None):
        """Send ``message``; ``(kind, rest)`` of the answer, or None if the child had
        stopped before it took the request (lock held)."""
        self._send_drops()
        conn = self._conn
        pending: BaseException | None = None
        taken = False
        # only the connection's own errors mean the process died: an error the
        # engine answers with (a file it could not write is an OSError too) is
        # raised after the exchange, and the process and its sessions live on
        try:
            send(conn, message)
            while True:
                kind, *rest = recv(conn)
                if kind == "taken":
                    taken = self.ready = True
                    continue
                if kind != "progress":
                    break
                if callback is not None and pending is None:
                    try:
                        callback(*rest[0])
                    except BaseException as exc:  # noqa: BLE001 - re-raised below
                        pending = exc
                        send(conn, ("cancel",))
        except (EOFError, OSError) as exc:
            if pending is not None:
                raise pending from None
            if not taken:
                return None
            raise self._died() from exc
        if pending is not None:
            raise pending
        return kind, rest

    def tell(self, message: tuple) -> None:
        """Send a control message (``("pause",)``, ``("resume",)``, ``("cancel",)``) to
        the request in progress; call it from that request's callback (its thread)."""
        with self._lock:
            if self._conn is not None:
                send(self._conn, message)

    def new_session(self, graph, seed: int, memory_limit: int | None) -> tuple[int, int]:
        """Build a Session in the child; ``(session id, generation)``."""
        with self._lock:
            self.start()
            sid = next(self._ids)
            self.request(("new", sid, graph, int(seed), memory_limit))
            return sid, self.generation

    def drop_session(self, sid: int, generation: int) -> None:
        """Free a session's model in the child; never waits (any thread).

        The child does not answer a drop. If a request is in progress, the
        drop is sent before the next one.
        """
        if generation != self.generation:
            return
        self._drops.append((sid, generation))
        if self._lock.acquire(blocking=False):
            try:
                self._send_drops()
            finally:
                self._lock.release()

    def _send_drops(self) -> None:
        while self._drops:
            sid, generation = self._drops.pop()
            if generation == self.generation and self.alive:
                try:
                    send(self._conn, ("drop", sid))
                except (OSError, ValueError):
                    pass


_shared: EngineProcess | None = None
_shared_lock = threading.Lock()


def shared_process() -> EngineProcess:
    """The engine process of this interpreter (one for all callers; closed at exit)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = EngineProcess()
            atexit.register(_shared.close)
        return _shared


def _graph_dict(graph):
    return graph.to_dict() if hasattr(graph, "to_dict") else graph


class RemoteSession:
    """A :class:`~engine.runtime.run.Session` living in an engine process.

    Same methods and results; ``callback`` arguments are called in the calling
    thread. :attr:`alive` is False once the process that held it has stopped
    (a new session must then be built).

    Every method but :meth:`close` raises :class:`EngineProcessError` when the
    session is no longer alive or the process stops during the call, and otherwise
    what the session's method raises in the engine process.
    """

    def __init__(self, process: EngineProcess, graph, seed: int = 0, *,
                 memory_limit: int | None = None):
        self.process = process
        self.seed = int(seed)
        self.sid, self.generation = process.new_session(_graph_dict(graph), seed, memory_limit)

    @property
    def alive(self) -> bool:
        """Whether the process that built this session still runs (False after :meth:`close`)."""
        return self.process.alive and self.process.generation == self.generation

    def _call(self, method: str, *args, callback=None, **kwargs):
        if not self.alive:
            raise EngineProcessError("the engine process that held this model stopped; "
                                     "build it again")
        return self.process.request(("call", self.sid, method, args, kwargs,
                                     callback is not None), callback,
                                    generation=self.generation)

    def run(self, image=None, callback=None, *, capture: bool = True,
            keep_input: bool = False):
        """As ``Session.run``; ``callback`` is called in this thread."""
        return self._call("run", image, callback=callback, capture=capture,
                          keep_input=keep_input)

    def set_input(self, image=None):
        """As ``Session.set_input``."""
        return self._call("set_input", image)

    def load_weights(self, weights) -> None:
        """As ``Session.load_weights`` (a path is read by the engine process)."""
        return self._call("load_weights", weights)

    def save_weights(self, path) -> str:
        """As ``Session.save_weights`` (the engine process writes the file)."""
        return self._call("save_weights", str(path))

    def state_dict(self):
        """As ``Session.state_dict``."""
        return self._call("state_dict")

    def effective_rf(self, node_id: str, index, input_id: str | None = None):
        """As ``Session.effective_rf``."""
        return self._call("effective_rf", node_id, tuple(index), input_id)

    def fit_offsets(self, node_id: str, steps: int = 30, callback=None, *,
                    angle: float = 30.0, lr: float = 0.05):
        """As ``Session.fit_offsets``; ``callback`` is called in this thread."""
        return self._call("fit_offsets", node_id, steps, callback=callback, angle=angle, lr=lr)

    def reset_offsets(self, node_id: str) -> None:
        """As ``Session.reset_offsets``."""
        return self._call("reset_offsets", node_id)

    def verify_export(self, code: str) -> float:
        """As ``Session.verify_export`` (the code is executed in the engine process)."""
        return self._call("verify_export", code)

    def close(self) -> None:
        """Free the model in the engine process."""
        self.process.drop_session(self.sid, self.generation)
        self.generation = -1


class RemoteRuntime:
    """What the designer's jobs use of :mod:`engine.runtime`, served by a child process.

    ``Session``, ``prepare_input`` and the exception classes behave as the
    runtime's; ``load_image`` (Pillow, no torch) runs in the calling process.
    """

    RunCancelled = RunCancelled
    WeightsError = WeightsError
    ImageError = ImageError
    RuntimeGraphError = RuntimeGraphError
    MemoryLimitError = MemoryLimitError
    load_image = staticmethod(images.load_image)

    def __init__(self, process: EngineProcess | None = None):
        self.process = process or shared_process()

    def Session(self, graph, seed: int = 0, *, memory_limit: int | None = None):  # noqa: N802
        """Build a model in the engine process: a :class:`RemoteSession` (as ``Session``).

        Raises
        ------
        RuntimeGraphError, MemoryLimitError
            As :class:`~engine.runtime.run.Session`.
        EngineProcessError
            The engine process cannot start or stops.
        """
        return RemoteSession(self.process, graph, seed, memory_limit=memory_limit)

    def train(self, graph, data, config, out_dir, *, weights=None, callback=None) -> dict:
        """Train ``graph`` in the engine process (:mod:`engine.runtime.train_job`).

        ``callback(report)`` is called in this thread for each progress report
        (a plain dict); it steers the run with :meth:`EngineProcess.tell`
        (pause, resume, cancel: a cancelled run still answers, with the weights
        reached). Returns ``{"result": TrainResult, "weights": path}``.

        Raises
        ------
        RuntimeGraphError, MemoryLimitError, WeightsError
            As :func:`engine.training.train`; also its ``TaskError`` and ``DataError``.
        EngineProcessError
            The engine process cannot start or stops.
        """
        return self.process.request(("train", _graph_dict(graph), str(data), config,
                                     weights, str(out_dir)), callback)

    def prepare_input(self, graph, input_id: str, image=None, seed: int = 0):
        """As :func:`~engine.runtime.run.prepare_input`, computed in the engine process."""
        return self.process.request(("call", None, "prepare_input",
                                     (_graph_dict(graph), input_id, image, seed), {}, False))

    def import_model(self, source: str, input_shape=None, weights_path: str | None = None):
        """As :func:`engine.interchange.jobs.import_model`, run in the engine process."""
        return self.process.request(("call", None, "import_model",
                                     (str(source), input_shape, weights_path), {}, False))

    def export_onnx(self, graph, path, weights: str | None = None, seed: int = 0):
        """As :func:`engine.interchange.jobs.export_onnx`, run in the engine process."""
        return self.process.request(("call", None, "export_onnx",
                                     (_graph_dict(graph), str(path), weights, int(seed)), {},
                                     False))
